//! go-yaml v2's scalar resolution (`resolve.go` and the scalar half of `decode.go`): YAML 1.1 booleans
//! and nulls, Go's `strconv.ParseInt(s, 0, 64)` and `ParseFloat` rules (so `1e400` overflows and stays a
//! string, `0x1F` is an int, `08` a float), timestamps, explicit tags (`!!int abc` is an error) and
//! `!!binary` (base64, decoded).

pub(crate) const STR_TAG: &str = "tag:yaml.org,2002:str";
pub(crate) const BOOL_TAG: &str = "tag:yaml.org,2002:bool";
pub(crate) const INT_TAG: &str = "tag:yaml.org,2002:int";
pub(crate) const FLOAT_TAG: &str = "tag:yaml.org,2002:float";
pub(crate) const NULL_TAG: &str = "tag:yaml.org,2002:null";
pub(crate) const TIMESTAMP_TAG: &str = "tag:yaml.org,2002:timestamp";
pub(crate) const BINARY_TAG: &str = "tag:yaml.org,2002:binary";
pub(crate) const MERGE_TAG: &str = "tag:yaml.org,2002:merge";

/// A scalar's value as go-yaml decodes it into `interface{}` (timestamps stay their text there).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum GoScalar {
    Null,
    Bool(bool),
    Int(i64),
    Uint(u64),
    Float(f64),
    /// A string: the scalar's own text.
    Text,
    /// `!!binary`, decoded (any bytes).
    Binary(Vec<u8>),
    /// Resolved as a timestamp; decoded as its text.
    Timestamp,
}

pub(crate) fn short_tag(tag: &str) -> String {
    match tag.strip_prefix("tag:yaml.org,2002:") {
        Some(rest) => format!("!!{rest}"),
        None => tag.to_string(),
    }
}

fn resolvable(tag: &str) -> bool {
    matches!(
        tag,
        "" | STR_TAG | BOOL_TAG | INT_TAG | FLOAT_TAG | NULL_TAG | TIMESTAMP_TAG
    )
}

const YAML11_TRUE: [&str; 11] = [
    "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON",
];
const YAML11_FALSE: [&str; 11] = [
    "n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF",
];

fn map_lookup(s: &str) -> Option<(&'static str, GoScalar)> {
    if YAML11_TRUE.contains(&s) {
        return Some((BOOL_TAG, GoScalar::Bool(true)));
    }
    if YAML11_FALSE.contains(&s) {
        return Some((BOOL_TAG, GoScalar::Bool(false)));
    }
    match s {
        "" | "~" | "null" | "Null" | "NULL" => Some((NULL_TAG, GoScalar::Null)),
        ".nan" | ".NaN" | ".NAN" => Some((FLOAT_TAG, GoScalar::Float(f64::NAN))),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            Some((FLOAT_TAG, GoScalar::Float(f64::INFINITY)))
        }
        "-.inf" | "-.Inf" | "-.INF" => Some((FLOAT_TAG, GoScalar::Float(f64::NEG_INFINITY))),
        "<<" => Some((MERGE_TAG, GoScalar::Text)),
        _ => None,
    }
}

/// `strconv.ParseUint(s, 0, 64)` (no sign, base prefix or leading-zero octal).
fn parse_uint_base0(s: &str) -> Option<u64> {
    let (digits, radix) = if let Some(r) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        (r, 16)
    } else if let Some(r) = s.strip_prefix("0o").or_else(|| s.strip_prefix("0O")) {
        (r, 8)
    } else if let Some(r) = s.strip_prefix("0b").or_else(|| s.strip_prefix("0B")) {
        (r, 2)
    } else if s.len() > 1 && s.starts_with('0') {
        (&s[1..], 8)
    } else {
        (s, 10)
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    u64::from_str_radix(digits, radix).ok()
}

/// `strconv.ParseInt(s, 0, 64)`.
fn parse_int_base0(s: &str) -> Option<i64> {
    let (neg, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let u = parse_uint_base0(body)?;
    if neg {
        if u <= 1u64 << 63 {
            Some((u as i64).wrapping_neg())
        } else {
            None
        }
    } else {
        i64::try_from(u).ok()
    }
}

/// `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`.
fn yaml_style_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        i += 1;
    }
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - start
    };
    if i < b.len() && b[i] == b'.' {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    } else {
        if digits(&mut i) == 0 {
            return false;
        }
        if i < b.len() && b[i] == b'.' {
            i += 1;
            digits(&mut i);
        }
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

/// `strconv.ParseFloat(s, 64)` for the decimal forms go-yaml hands it: `None` on a syntax error or an
/// overflow (Go's ErrRange); an underflow is 0, as in Go.
fn parse_float_decimal(s: &str) -> Option<f64> {
    let b = s.as_bytes();
    let body = s.trim_start_matches(['+', '-']);
    if b.len() - body.len() > 1 {
        return None;
    }
    let ok = {
        // Go's readFloat: digits with at most one '.', at least one digit, optional exponent with digits.
        let mut i = 0;
        let bb = body.as_bytes();
        let mut nd = 0;
        let mut dot = false;
        while i < bb.len() && (bb[i].is_ascii_digit() || (bb[i] == b'.' && !dot)) {
            if bb[i] == b'.' {
                dot = true;
            } else {
                nd += 1;
            }
            i += 1;
        }
        let mut ok = nd > 0;
        if ok && i < bb.len() && (bb[i] == b'e' || bb[i] == b'E') {
            i += 1;
            if i < bb.len() && (bb[i] == b'+' || bb[i] == b'-') {
                i += 1;
            }
            let start = i;
            while i < bb.len() && bb[i].is_ascii_digit() {
                i += 1;
            }
            ok = i > start;
        }
        ok && i == bb.len()
    };
    if !ok {
        return None;
    }
    let v: f64 = s.parse().ok()?;
    v.is_finite().then_some(v)
}

fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// go-yaml's `getnum(value, false)`: one or two digits.
fn getnum(s: &str) -> Option<(u32, &str)> {
    let b = s.as_bytes();
    if b.is_empty() || !b[0].is_ascii_digit() {
        return None;
    }
    if b.len() < 2 || !b[1].is_ascii_digit() {
        return Some(((b[0] - b'0') as u32, &s[1..]));
    }
    Some((((b[0] - b'0') * 10 + (b[1] - b'0')) as u32, &s[2..]))
}

fn days_in(month: u32, year: i64) -> u32 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

fn timestamp_date(v: &str) -> Option<(u32, &str)> {
    let year: i64 = v.get(..4)?.parse().ok()?;
    let v = v[4..].strip_prefix('-')?;
    let (month, v) = getnum(v)?;
    if !(1..=12).contains(&month) {
        return None;
    }
    let v = v.strip_prefix('-')?;
    let (day, v) = getnum(v)?;
    if day < 1 || day > days_in(month, year) {
        return None;
    }
    Some((day, v))
}

/// Go's `time.Parse` for the four layouts go-yaml v2 tries (`2006-1-2T15:4:5.999999999Z07:00`, the
/// same with `t`, `2006-1-2 15:4:5.999999999`, `2006-1-2`).
pub(crate) fn parse_timestamp(s: &str) -> bool {
    let i = s.bytes().take_while(|b| b.is_ascii_digit()).count();
    if i != 4 || i == s.len() || s.as_bytes()[i] != b'-' {
        return false;
    }
    let time = |v: &str| -> Option<String> {
        let (h, v) = getnum(v)?;
        let v = v.strip_prefix(':')?;
        let (m, v) = getnum(v)?;
        let v = v.strip_prefix(':')?;
        let (sec, mut v) = getnum(v)?;
        if h >= 24 || m >= 60 || sec >= 60 {
            return None;
        }
        let b = v.as_bytes();
        if b.len() >= 2 && (b[0] == b'.' || b[0] == b',') && b[1].is_ascii_digit() {
            let n = 1 + v[1..].bytes().take_while(|c| c.is_ascii_digit()).count();
            v = &v[n..];
        }
        Some(v.to_string())
    };
    let zone = |v: &str| -> bool {
        if v == "Z" {
            return true;
        }
        let b = v.as_bytes();
        b.len() == 6
            && (b[0] == b'+' || b[0] == b'-')
            && all_digits(&v[1..3])
            && b[3] == b':'
            && all_digits(&v[4..6])
            && v[1..3].parse::<u32>().is_ok_and(|h| h < 24)
            && v[4..6].parse::<u32>().is_ok_and(|m| m < 60)
    };
    let Some((_, rest)) = timestamp_date(s) else {
        return false;
    };
    if rest.is_empty() {
        return true;
    }
    for sep in ['T', 't'] {
        if let Some(r) = rest.strip_prefix(sep)
            && let Some(z) = time(r)
            && zone(&z)
        {
            return true;
        }
    }
    if rest.starts_with(' ') {
        let r = rest.trim_start_matches(' ');
        if let Some(z) = time(r)
            && z.is_empty()
        {
            return true;
        }
    }
    false
}

/// `resolve(tag, in)`: the resolved tag and value, or go-yaml's `cannot decode` failure.
fn resolve(tag: &str, input: &str) -> Result<(String, GoScalar), String> {
    if !resolvable(tag) {
        return Ok((tag.to_string(), GoScalar::Text));
    }
    let (rtag, out) = resolve_inner(tag, input);
    match tag {
        "" | STR_TAG | BINARY_TAG => return Ok((rtag.to_string(), out)),
        t if t == rtag => return Ok((rtag.to_string(), out)),
        FLOAT_TAG if rtag == INT_TAG => {
            if let GoScalar::Int(i) = out {
                return Ok((FLOAT_TAG.to_string(), GoScalar::Float(i as f64)));
            }
        }
        _ => {}
    }
    Err(format!(
        "cannot decode {} `{input}` as a {}",
        short_tag(rtag),
        short_tag(tag)
    ))
}

fn resolve_inner(tag: &str, input: &str) -> (&'static str, GoScalar) {
    let hint = match input.as_bytes().first() {
        None => b'N',
        Some(b'+' | b'-') => b'S',
        Some(b'0'..=b'9') => b'D',
        Some(b'y' | b'Y' | b'n' | b'N' | b't' | b'T' | b'f' | b'F' | b'o' | b'O' | b'~') => b'M',
        Some(b'.') => b'.',
        Some(_) => 0,
    };
    if hint != 0 && tag != STR_TAG && tag != BINARY_TAG {
        if let Some(found) = map_lookup(input) {
            return found;
        }
        match hint {
            b'.' => {
                if let Some(f) = parse_float_decimal(input) {
                    return (FLOAT_TAG, GoScalar::Float(f));
                }
            }
            b'D' | b'S' => {
                if (tag.is_empty() || tag == TIMESTAMP_TAG) && parse_timestamp(input) {
                    return (TIMESTAMP_TAG, GoScalar::Timestamp);
                }
                let plain = input.replace('_', "");
                if let Some(i) = parse_int_base0(&plain) {
                    return (INT_TAG, GoScalar::Int(i));
                }
                if let Some(u) = parse_uint_base0(&plain) {
                    return (INT_TAG, GoScalar::Uint(u));
                }
                if yaml_style_float(&plain)
                    && let Some(f) = parse_float_decimal(&plain)
                {
                    return (FLOAT_TAG, GoScalar::Float(f));
                }
            }
            _ => {}
        }
    }
    (STR_TAG, GoScalar::Text)
}

/// Go's `base64.StdEncoding.DecodeString`: padding required, CR and LF ignored, other bytes refused.
fn base64_std(s: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    const ENGINE: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new()
            .with_decode_allow_trailing_bits(true)
            .with_decode_padding_mode(DecodePaddingMode::RequireCanonical),
    );
    let clean: String = s.chars().filter(|&c| c != '\r' && c != '\n').collect();
    ENGINE.decode(clean).ok()
}

/// `decoder.scalar` into `interface{}`: what a scalar node decodes to, or go-yaml's failure.
pub(crate) fn decode_scalar(
    value: &str,
    tag: Option<&str>,
    implicit: bool,
) -> Result<GoScalar, String> {
    if tag.is_none() && !implicit {
        return Ok(GoScalar::Text);
    }
    let (rtag, out) = resolve(tag.unwrap_or(""), value)?;
    if rtag == BINARY_TAG {
        return base64_std(value)
            .map(GoScalar::Binary)
            .ok_or_else(|| "!!binary value contains invalid base64 data".to_string());
    }
    Ok(out)
}

/// Whether a key node is go-yaml's merge key `<<`.
pub(crate) fn is_merge(value: &str, tag: Option<&str>, implicit: bool) -> bool {
    value == "<<" && (implicit || tag == Some(MERGE_TAG))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(s: &str) -> GoScalar {
        decode_scalar(s, None, true).unwrap()
    }

    #[test]
    fn yaml11_scalars_resolve_like_go_yaml_v2() {
        use GoScalar::*;
        assert_eq!(plain("yes"), Bool(true));
        assert_eq!(plain("OFF"), Bool(false));
        assert_eq!(plain("~"), Null);
        assert_eq!(plain(""), Null);
        assert_eq!(plain("123456789012"), Int(123456789012));
        assert_eq!(plain("012345678912"), Float(12345678912.0));
        assert_eq!(plain("0755"), Int(0o755));
        assert_eq!(plain("0x1F"), Int(31));
        assert_eq!(plain("+0x1F"), Int(31));
        assert_eq!(plain("1_000"), Int(1000));
        assert_eq!(plain("18446744073709551615"), Uint(u64::MAX));
        assert_eq!(plain("1e400"), Text);
        assert_eq!(plain("1e-400"), Float(0.0));
        assert_eq!(plain(".5"), Float(0.5));
        assert!(matches!(plain(".inf"), Float(f) if f.is_infinite()));
        assert_eq!(plain("2001-12-14"), Timestamp);
        assert_eq!(plain("2001-02-30"), Text);
        assert_eq!(plain("system:masters"), Text);
        assert_eq!(plain("NaN"), Text);
        assert_eq!(plain("1.2.3"), Text);
        assert_eq!(decode_scalar("yes", None, false).unwrap(), Text);
        assert_eq!(decode_scalar("123", Some(STR_TAG), false).unwrap(), Text);
        assert_eq!(
            decode_scalar("1", Some(FLOAT_TAG), false).unwrap(),
            Float(1.0)
        );
        assert!(decode_scalar("abc", Some(INT_TAG), false).is_err());
        assert_eq!(
            decode_scalar("aGk=", Some(BINARY_TAG), false).unwrap(),
            Binary(b"hi".to_vec())
        );
        assert!(decode_scalar("aGk", Some(BINARY_TAG), false).is_err());
        assert_eq!(decode_scalar("x", Some("!custom"), false).unwrap(), Text);
    }

    #[test]
    fn timestamps() {
        assert!(parse_timestamp("2001-12-14t21:59:43.10-05:00"));
        assert!(parse_timestamp("2001-12-14 21:59:43.10"));
        assert!(parse_timestamp("2001-1-2T3:4:5Z"));
        assert!(!parse_timestamp("2001-12-14 21:59:43.10 -5"));
        assert!(!parse_timestamp("12001-1-1"));
    }
}
