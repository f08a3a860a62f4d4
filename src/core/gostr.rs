//! Go's string rules where aws-iam-authenticator depends on them: `strings.ToLower` (Unicode simple
//! lower-casing, so `İ` becomes `i`), `strings.EqualFold` (Unicode simple case folding, so `ſ` equals
//! `s` and the Kelvin sign `K` equals `k`), and encoding/json's case-insensitive field-name match.
//! Rust's own `to_lowercase` differs (it maps `İ` to two characters and `Σ` at a word end to `ς`).

use regex_syntax::hir::{ClassUnicode, ClassUnicodeRange};

/// Go's `unicode.ToLower` for one character (UnicodeData's simple mapping).
fn lower_char(c: char) -> char {
    if c.is_ascii() {
        return c.to_ascii_lowercase();
    }
    if c == '\u{130}' {
        return 'i';
    }
    let mut it = c.to_lowercase();
    match (it.next(), it.next()) {
        (Some(l), None) => l,
        _ => c,
    }
}

/// Go's `strings.ToLower`.
pub fn to_lower(s: &str) -> String {
    if s.is_ascii() {
        return s.to_ascii_lowercase();
    }
    s.chars().map(lower_char).collect()
}

/// A representative of `c`'s simple case-folding orbit (the smallest code point in it), so that
/// `fold_char(a) == fold_char(b)` exactly when Go's `strings.EqualFold` says `a` and `b` are equal.
pub fn fold_char(c: char) -> char {
    if c.is_ascii() {
        return c.to_ascii_lowercase();
    }
    let mut class = ClassUnicode::new([ClassUnicodeRange::new(c, c)]);
    class.case_fold_simple();
    let folded = class.ranges().first().map_or(c, |r| r.start());
    // ASCII letters represent their orbit by their lower case (k for K, K and k; s for S, ſ and s).
    if folded.is_ascii() {
        folded.to_ascii_lowercase()
    } else {
        folded
    }
}

/// A key under which strings that Go's `strings.EqualFold` finds equal coincide.
pub fn fold_key(s: &str) -> String {
    if s.is_ascii() {
        return s.to_ascii_lowercase();
    }
    s.chars().map(fold_char).collect()
}

/// Go's `strings.EqualFold`.
pub fn equal_fold(a: &str, b: &str) -> bool {
    if a.is_ascii() && b.is_ascii() {
        return a.eq_ignore_ascii_case(b);
    }
    let mut x = a.chars();
    let mut y = b.chars();
    loop {
        match (x.next(), y.next()) {
            (None, None) => return true,
            (Some(p), Some(q)) if p == q || fold_char(p) == fold_char(q) => {}
            _ => return false,
        }
    }
}

/// encoding/json's match of an object key with a struct field name (an ASCII name): exact bytes first is
/// the caller's job; this is the case-insensitive fallback (`equalFoldRight`/`simpleLetterEqualFold` of
/// Go 1.19, the same as `bytes.EqualFold` of later versions for ASCII names): ASCII letters match either
/// case, `s` also matches `ſ` (U+017F) and `k` the Kelvin sign (U+212A); nothing else matches.
pub fn json_field_fold(name: &str, key: &str) -> bool {
    let mut key = key.chars();
    for n in name.chars() {
        let Some(k) = key.next() else { return false };
        let ok = if k.is_ascii() {
            k == n || (n.is_ascii_alphabetic() && k.eq_ignore_ascii_case(&n))
        } else {
            match n.to_ascii_lowercase() {
                's' => k == '\u{17F}',
                'k' => k == '\u{212A}',
                _ => false,
            }
        };
        if !ok {
            return false;
        }
    }
    key.next().is_none()
}

/// Go's `json.Marshal` replacement of invalid UTF-8: every byte that does not start a valid sequence
/// becomes U+FFFD on its own (Rust's `from_utf8_lossy` replaces whole maximal subparts instead).
pub fn utf8_replace_go(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(_) => {
            let mut out = String::with_capacity(bytes.len());
            let mut rest = bytes;
            while !rest.is_empty() {
                match std::str::from_utf8(rest) {
                    Ok(s) => {
                        out.push_str(s);
                        break;
                    }
                    Err(e) => {
                        let good = e.valid_up_to();
                        out.push_str(std::str::from_utf8(&rest[..good]).unwrap_or_default());
                        out.push('\u{FFFD}');
                        rest = &rest[good + 1..];
                    }
                }
            }
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_lower_and_fold() {
        assert_eq!(to_lower("ARN:İ"), "arn:i");
        assert_eq!(to_lower("ΟΔΟΣ"), "οδοσ");
        assert!(equal_fold("user/ſam", "USER/SAM"));
        assert!(equal_fold("\u{212A}ey", "key"));
        assert!(!equal_fold("İ", "i"));
        assert!(!equal_fold("ı", "i"));
        assert!(equal_fold("ß", "\u{1E9E}"));
        assert!(!equal_fold("ab", "abc"));
        assert_eq!(fold_key("Uſer"), fold_key("USER"));
    }

    #[test]
    fn json_fields_fold_like_go() {
        assert!(json_field_fold("userarn", "uſerarn"));
        assert!(json_field_fold("groups", "GROUPſ"));
        assert!(json_field_fold("rolearn", "roleARN"));
        assert!(!json_field_fold("rolearn", "role_arn"));
        assert!(!json_field_fold("rolearn", "rolearn "));
        assert!(!json_field_fold("accountID", "accountİD"));
        assert!(json_field_fold("userid", "u\u{17F}erid"));
    }

    #[test]
    fn invalid_utf8_is_replaced_per_byte() {
        assert_eq!(
            utf8_replace_go(b"a\xF0\x9F\x98b"),
            "a\u{FFFD}\u{FFFD}\u{FFFD}b"
        );
        assert_eq!(utf8_replace_go(b"ok"), "ok");
    }
}
