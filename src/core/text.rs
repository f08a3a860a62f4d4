//! Text that is shown to people: which characters could make a terminal or a browser show something else
//! than what is there, and how to show them instead.

use std::borrow::Cow;

/// Whether a character must not reach a terminal raw: C0 controls but newline and tab (ESC starts escape
/// sequences, CR rewrites the line, BEL rings), DEL, C1 controls (CSI is U+009B), bidi controls (they
/// reorder what follows), line and paragraph separators, and zero-width characters (they hide differences
/// between names).
pub fn is_hidden(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{8}' | '\u{b}'..='\u{1f}' | '\u{7f}'..='\u{9f}'
        | '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}' | '\u{2060}'..='\u{2069}'
        | '\u{061c}' | '\u{feff}')
}

/// The text with every hidden character shown as an escape (`\u{1b}`); newlines and tabs kept.
pub fn escape_hidden(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_hidden) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if is_hidden(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// One value on one line: hidden characters, newlines and tabs all escaped.
pub fn one_line(text: &str) -> Cow<'_, str> {
    if !text.contains(['\n', '\t']) {
        return escape_hidden(text);
    }
    Cow::Owned(
        escape_hidden(text)
            .replace('\n', "\\n")
            .replace('\t', "\\t"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_characters_are_escaped_and_plain_text_is_borrowed() {
        assert!(matches!(
            escape_hidden("admin:{{SessionName}}"),
            Cow::Borrowed(_)
        ));
        assert_eq!(
            escape_hidden("\r\x1b[2Kok\u{202e}x\u{9b}\ty\n"),
            "\\u{d}\\u{1b}[2Kok\\u{202e}x\\u{9b}\ty\n"
        );
        assert_eq!(one_line("a\nb\tc\u{7}"), "a\\nb\\tc\\u{7}");
        for c in [
            '\u{200b}', '\u{2066}', '\u{feff}', '\u{61c}', '\u{7f}', '\u{85}',
        ] {
            assert!(is_hidden(c), "{c:?}");
        }
        for c in ['a', 'ſ', 'é', ' ', '\n', '\t', '\u{a0}'] {
            assert!(!is_hidden(c), "{c:?}");
        }
    }
}
