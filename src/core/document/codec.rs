//! How a data value is written in the file, and the map from its decoded text back to file bytes:
//! literal blocks (`|`, `|-`, `|+`) line by line, quoted scalars (and JSON strings) byte by byte.
//! A value whose encoding cannot be mapped exactly is `Opaque` and is re-encoded whole when edited.

/// One physical line of a literal block: `start` is the line start (indentation included),
/// `content` where the decoded text of the line begins, `end` the end before the line break,
/// `eol_end` after the line break (`== end` on a last line without one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawLine {
    pub start: usize,
    pub content: usize,
    pub end: usize,
    pub eol_end: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Codec {
    Literal {
        /// Content indentation in columns.
        indent: usize,
        /// The physical lines from the first line after the header to the last non-blank content line.
        lines: Vec<RawLine>,
        /// What the decoded value has after the joined lines (the chomping result: `\n`, `` or more).
        suffix: String,
        /// The file's line ending (`\n` or `\r\n`).
        eol: &'static str,
    },
    Quoted {
        double: bool,
        /// `map[i]` is the file offset where decoded byte `i` comes from; `map[len]` is the closing quote.
        map: Vec<usize>,
    },
    Opaque,
}

/// Split the lines of a literal block starting at `region_start` with the given indentation,
/// stopping at the first non-blank line that is less indented. Returns `None` when nothing fits.
pub fn literal_lines(text: &str, region_start: usize, indent: usize) -> Vec<RawLine> {
    let bytes = text.as_bytes();
    let mut lines = vec![];
    let mut pos = region_start;
    let mut last_nonblank = None;
    while pos < text.len() {
        let end = text[pos..].find('\n').map_or(text.len(), |i| pos + i);
        let eol_end = if end < text.len() { end + 1 } else { end };
        let end_no_cr = if end > pos && bytes[end - 1] == b'\r' {
            end - 1
        } else {
            end
        };
        let line = &text[pos..end_no_cr];
        let spaces = line.bytes().take_while(|&b| b == b' ').count();
        let blank = line.trim_start_matches([' ', '\t']).is_empty();
        if !blank && spaces < indent {
            break;
        }
        lines.push(RawLine {
            start: pos,
            content: (pos + indent).min(end_no_cr),
            end: end_no_cr,
            eol_end,
        });
        // A whitespace-only line indented deeper than the block is content (its extra spaces).
        if !blank || line.len() > indent {
            last_nonblank = Some(lines.len());
        }
        pos = eol_end;
    }
    lines.truncate(last_nonblank.unwrap_or(0));
    lines
}

/// The lines of a block list whose dashes are at column `indent`, from `region_start` (the first dash's
/// line): like a literal block, but a line at the list's own column that is not an item (`- `) or a
/// comment ends it too (a sibling key of a list written without extra indentation), and trailing blank
/// and comment lines are not part of it.
pub fn structured_lines(text: &str, region_start: usize, indent: usize) -> Vec<RawLine> {
    let mut lines = literal_lines(text, region_start, indent);
    if let Some(stop) = lines.iter().position(|l| {
        let rest = &text[l.start..l.end];
        let spaces = rest.bytes().take_while(|&b| b == b' ').count();
        let body = &rest[spaces..];
        !body.is_empty()
            && (spaces == indent && !(body.starts_with('-') || body.starts_with('#'))
                || (indent == 0 && (body.starts_with("---") || body.starts_with("..."))))
    }) {
        lines.truncate(stop);
    }
    while let Some(last) = lines.last() {
        let body = text[last.start..last.end].trim_start();
        if body.is_empty() || body.starts_with('#') {
            lines.pop();
        } else {
            break;
        }
    }
    lines
}

/// The decoded text of literal lines joined by `\n` (without the chomping suffix).
pub fn literal_core(text: &str, lines: &[RawLine]) -> String {
    let mut out = String::new();
    for (i, l) in lines.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let line = &text[l.start..l.end];
        if line.trim_start_matches([' ', '\t']).is_empty() && l.content >= l.end {
            continue;
        }
        out.push_str(&text[l.content..l.end]);
    }
    out
}

fn is_space(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// Decode the inside of a quoted scalar (without its quotes), recording where each decoded byte
/// comes from. `base` is the file offset of `raw`. Line folding and (for double quotes) escapes as in
/// YAML 1.2; JSON strings are a subset. Returns `None` on anything unexpected.
pub fn decode_quoted(raw: &str, base: usize, double: bool) -> Option<(String, Vec<usize>)> {
    let b = raw.as_bytes();
    let mut out = String::with_capacity(raw.len());
    let mut map: Vec<usize> = Vec::with_capacity(raw.len() + 1);
    let mut i = 0;
    let push = |out: &mut String, map: &mut Vec<usize>, s: &str, at: usize| {
        out.push_str(s);
        map.extend(std::iter::repeat_n(at, s.len()));
    };
    let is_break =
        |i: usize| b[i] == b'\n' || (b[i] == b'\r' && i + 1 < b.len() && b[i + 1] == b'\n');
    let break_len = |i: usize| if b[i] == b'\r' { 2 } else { 1 };
    while i < b.len() {
        let c = b[i];
        if is_space(c) {
            // Whitespace before a line break is dropped by folding; elsewhere it is content.
            let mut j = i;
            while j < b.len() && is_space(b[j]) {
                j += 1;
            }
            if j < b.len() && is_break(j) {
                i = fold(b, j, base + i, &mut out, &mut map, is_break, break_len);
            } else {
                out.push_str(&raw[i..j]);
                map.extend((i..j).map(|k| base + k));
                i = j;
            }
            continue;
        }
        if is_break(i) {
            i = fold(b, i, base + i, &mut out, &mut map, is_break, break_len);
            continue;
        }
        if double && c == b'\\' {
            let next = *b.get(i + 1)?;
            if next == b'\n' || next == b'\r' {
                // Escaped line break: joins the lines without a space, drops leading whitespace.
                let mut j = i + 1 + break_len(i + 1);
                while j < b.len() && is_space(b[j]) {
                    j += 1;
                }
                i = j;
                continue;
            }
            let (s, len): (String, usize) = match next {
                b'0' => ("\0".into(), 2),
                b'a' => ("\x07".into(), 2),
                b'b' => ("\x08".into(), 2),
                b't' | b'\t' => ("\t".into(), 2),
                b'n' => ("\n".into(), 2),
                b'v' => ("\x0b".into(), 2),
                b'f' => ("\x0c".into(), 2),
                b'r' => ("\r".into(), 2),
                b'e' => ("\x1b".into(), 2),
                b' ' => (" ".into(), 2),
                b'"' => ("\"".into(), 2),
                b'/' => ("/".into(), 2),
                b'\\' => ("\\".into(), 2),
                b'N' => ("\u{85}".into(), 2),
                b'_' => ("\u{a0}".into(), 2),
                b'L' => ("\u{2028}".into(), 2),
                b'P' => ("\u{2029}".into(), 2),
                b'x' | b'u' | b'U' => {
                    let n = match next {
                        b'x' => 2,
                        b'u' => 4,
                        _ => 8,
                    };
                    let hex = raw.get(i + 2..i + 2 + n)?;
                    let code = u32::from_str_radix(hex, 16).ok()?;
                    (char::from_u32(code)?.to_string(), 2 + n)
                }
                _ => return None,
            };
            push(&mut out, &mut map, &s, i + base);
            i += len;
            continue;
        }
        if !double && c == b'\'' {
            if b.get(i + 1) == Some(&b'\'') {
                push(&mut out, &mut map, "'", i + base);
                i += 2;
                continue;
            }
            return None;
        }
        // A whole UTF-8 character.
        let ch_len = raw[i..].chars().next()?.len_utf8();
        out.push_str(&raw[i..i + ch_len]);
        map.extend((i..i + ch_len).map(|k| base + k));
        i += ch_len;
    }
    map.push(base + b.len());
    Some((out, map))
}

/// Fold a line break at `i` (the whitespace before it starts at file offset `at`): empty lines
/// become `\n` each, otherwise the break becomes one space; the next line's leading whitespace is
/// dropped. The produced characters are attributed to `at`, so that text inserted there lands
/// before that whitespace, which stays trailing.
fn fold(
    b: &[u8],
    i: usize,
    at: usize,
    out: &mut String,
    map: &mut Vec<usize>,
    is_break: impl Fn(usize) -> bool,
    break_len: impl Fn(usize) -> usize,
) -> usize {
    let mut j = i + break_len(i);
    let mut empty_lines = 0;
    loop {
        let mut k = j;
        while k < b.len() && is_space(b[k]) {
            k += 1;
        }
        if k < b.len() && is_break(k) {
            empty_lines += 1;
            j = k + break_len(k);
        } else {
            j = k;
            break;
        }
    }
    if empty_lines == 0 {
        out.push(' ');
        map.push(at);
    } else {
        for _ in 0..empty_lines {
            out.push('\n');
            map.push(at);
        }
    }
    j
}

/// Encode text for the inside of a double-quoted YAML scalar or a JSON string, on one line.
pub fn encode_double(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\u{:04x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out
}

/// Encode text for the inside of a single-quoted scalar; `None` when it needs a line break.
pub fn encode_single(s: &str) -> Option<String> {
    if s.contains(['\n', '\r']) {
        return None;
    }
    Some(s.replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(raw: &str, double: bool) -> (String, Vec<usize>) {
        decode_quoted(raw, 0, double).unwrap()
    }

    #[test]
    fn double_quoted_folding_like_kubectl_output() {
        let raw = "- a\\n\n    \\ b: c\\n";
        let (s, map) = decode(raw, true);
        assert_eq!(s, "- a\n  b: c\n");
        assert_eq!(map.len(), s.len() + 1);
        // The folded space maps to the line break; the escaped space to its backslash.
        assert_eq!(&raw[map[4]..map[4] + 1], "\n");
        assert_eq!(&raw[map[5]..map[5] + 2], "\\ ");
    }

    #[test]
    fn empty_lines_fold_to_newlines_and_trailing_space_is_dropped() {
        let (s, _) = decode("a  \n\n   b", true);
        assert_eq!(s, "a\nb");
        let (s, _) = decode("a\n b", false);
        assert_eq!(s, "a b");
        let (s, _) = decode("it''s", false);
        assert_eq!(s, "it's");
    }

    #[test]
    fn escapes() {
        let (s, _) = decode("\\u00e9\\x41\\t\\\"\\/", true);
        assert_eq!(s, "éA\t\"/");
        assert!(decode_quoted("\\q", 0, true).is_none());
    }

    #[test]
    fn literal_lines_stop_at_less_indented_content() {
        let text = "k: |\n    a\n\n      b\n    c  \n\n  next: x\n";
        let lines = literal_lines(text, 5, 4);
        assert_eq!(lines.len(), 4);
        assert_eq!(literal_core(text, &lines), "a\n\n  b\nc  ");
        let text = "k: |\n    a\n      \n    \n";
        let lines = literal_lines(text, 5, 4);
        assert_eq!(literal_core(text, &lines), "a\n  ");
    }

    #[test]
    fn encoders() {
        assert_eq!(encode_double("a\"b\\c\nd\u{1}"), "a\\\"b\\\\c\\nd\\u0001");
        assert_eq!(encode_single("it's").unwrap(), "it''s");
        assert!(encode_single("a\nb").is_none());
    }
}
