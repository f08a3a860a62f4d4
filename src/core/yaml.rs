//! A spanned YAML tree (byte offsets for every node) read with granit-parser, plus the two conversions
//! aws-iam-authenticator applies: YAML 1.1 scalar resolution (go-yaml v2) and the YAML->JSON step
//! (sigs.k8s.io/yaml) that turns a mapping key into a string or fails.

use granit_parser::{Event, Options, Parser, ScalarStyle, StructureStyle};
use thiserror::Error;

/// A byte range in the text that was parsed, with the 1-based line and column of its start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    pub start: usize,
    pub end: usize,
    pub line: usize,
    pub col: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Plain,
    SingleQuoted,
    DoubleQuoted,
    Literal,
    Folded,
}

#[derive(Debug, Clone, PartialEq)]
pub enum NodeKind {
    Scalar {
        value: String,
        style: Style,
        /// The tag suffix when a tag was written (`str` for `!!str`, `` for `!`).
        tag: Option<String>,
    },
    Seq {
        items: Vec<Node>,
        flow: bool,
    },
    Map {
        entries: Vec<(Node, Node)>,
        flow: bool,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub kind: NodeKind,
    pub span: Span,
}

/// A YAML syntax error, located in the text that was parsed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("line {line} column {col}: {message}")]
pub struct YamlError {
    pub message: String,
    pub line: usize,
    pub col: usize,
    pub offset: usize,
}

/// Limits that keep a hostile document (deep nesting, alias bombs) cheap to reject.
const NESTING_LIMIT: usize = 128;
const NODE_BUDGET: usize = 2_000_000;

fn span_of(span: &granit_parser::Span) -> Span {
    Span {
        start: span.start.byte_offset().unwrap_or(0),
        end: span.end.byte_offset().unwrap_or(0),
        line: span.start.line(),
        col: span.start.col() + 1,
    }
}

enum Frame {
    Seq {
        items: Vec<Node>,
        flow: bool,
        span: Span,
        anchor: usize,
    },
    Map {
        entries: Vec<(Node, Node)>,
        pending_key: Option<Node>,
        flow: bool,
        span: Span,
        anchor: usize,
    },
}

fn count_nodes(node: &Node) -> usize {
    match &node.kind {
        NodeKind::Scalar { .. } => 1,
        NodeKind::Seq { items, .. } => 1 + items.iter().map(count_nodes).sum::<usize>(),
        NodeKind::Map { entries, .. } => {
            1 + entries
                .iter()
                .map(|(k, v)| count_nodes(k) + count_nodes(v))
                .sum::<usize>()
        }
    }
}

/// Parse every document of a YAML stream (JSON included) into spanned trees.
pub fn parse_stream(text: &str) -> Result<Vec<Node>, YamlError> {
    let mut options = Options::default();
    options.emit_comments = false;
    options.flow_nesting_limit = NESTING_LIMIT;
    options.block_nesting_limit = NESTING_LIMIT;
    // go-yaml (libyaml) keeps no line break that the file does not have at its end.
    options.block_scalar_eof_without_line_feed = true;
    let mut parser = Parser::new_from_str_with_options(text, options);
    let mut docs = Vec::new();
    let mut stack: Vec<Frame> = Vec::new();
    let mut anchors: std::collections::HashMap<usize, Node> = std::collections::HashMap::new();
    let mut budget = NODE_BUDGET;
    let error_at = |message: String, offset: usize, line: usize, col: usize| YamlError {
        message,
        line,
        col,
        offset,
    };
    loop {
        let (event, span) = match parser.next_event() {
            None => break,
            Some(Ok(pair)) => pair,
            Some(Err(e)) => {
                let m = e.marker();
                // Lines as every other location counts them: by `\n` only (the scanner also breaks
                // lines at a lone `\r`, which would put the error past the end of the file).
                let (line, col) = match m.byte_offset().and_then(|o| text.get(..o)) {
                    Some(before) => (
                        before.matches('\n').count() + 1,
                        before.rsplit('\n').next().unwrap_or("").chars().count() + 1,
                    ),
                    None => (m.line(), m.col() + 1),
                };
                return Err(error_at(e.info(), m.byte_offset().unwrap_or(0), line, col));
            }
        };
        let sp = span_of(&span);
        let finished: Option<(Node, usize)> = match event {
            Event::StreamEnd => break,
            Event::StreamStart | Event::DocumentStart(..) | Event::DocumentEnd => None,
            Event::Scalar(value, style, anchor, tag) => {
                let style = match style {
                    ScalarStyle::Plain => Style::Plain,
                    ScalarStyle::SingleQuoted => Style::SingleQuoted,
                    ScalarStyle::DoubleQuoted => Style::DoubleQuoted,
                    ScalarStyle::Literal => Style::Literal,
                    ScalarStyle::Folded => Style::Folded,
                };
                // An empty plain scalar (implicit null) is reported as `~` with an empty span.
                let value = if style == Style::Plain && sp.start == sp.end && value == "~" {
                    String::new()
                } else {
                    value.into_owned()
                };
                Some((
                    Node {
                        kind: NodeKind::Scalar {
                            value,
                            style,
                            tag: tag.map(|t| t.suffix().to_string()),
                        },
                        span: sp,
                    },
                    anchor,
                ))
            }
            Event::SequenceStart(style, anchor, _) => {
                stack.push(Frame::Seq {
                    items: vec![],
                    flow: style == StructureStyle::Flow,
                    span: sp,
                    anchor,
                });
                None
            }
            Event::MappingStart(style, anchor, _) => {
                stack.push(Frame::Map {
                    entries: vec![],
                    pending_key: None,
                    flow: style == StructureStyle::Flow,
                    span: sp,
                    anchor,
                });
                None
            }
            Event::SequenceEnd | Event::MappingEnd => match stack.pop() {
                Some(Frame::Seq {
                    items,
                    flow,
                    mut span,
                    anchor,
                }) => {
                    span.end = if flow {
                        sp.end
                    } else {
                        items.last().map_or(span.start, |n| n.span.end)
                    };
                    Some((
                        Node {
                            kind: NodeKind::Seq { items, flow },
                            span,
                        },
                        anchor,
                    ))
                }
                Some(Frame::Map {
                    entries,
                    flow,
                    mut span,
                    anchor,
                    ..
                }) => {
                    span.end = if flow {
                        sp.end
                    } else {
                        entries.last().map_or(span.start, |(_, v)| v.span.end)
                    };
                    Some((
                        Node {
                            kind: NodeKind::Map { entries, flow },
                            span,
                        },
                        anchor,
                    ))
                }
                None => None,
            },
            Event::Alias(id) => match anchors.get(&id) {
                Some(node) => {
                    let n = count_nodes(node);
                    if n > budget {
                        return Err(error_at(
                            "aliases expand to too many nodes (an alias bomb?)".into(),
                            sp.start,
                            sp.line,
                            sp.col,
                        ));
                    }
                    budget -= n;
                    let mut node = node.clone();
                    node.span = sp;
                    Some((node, 0))
                }
                None => {
                    return Err(error_at("unknown anchor".into(), sp.start, sp.line, sp.col));
                }
            },
            _ => None,
        };
        if let Some((node, anchor)) = finished {
            budget = budget.saturating_sub(1);
            if budget == 0 {
                return Err(error_at(
                    "document has too many nodes".into(),
                    sp.start,
                    sp.line,
                    sp.col,
                ));
            }
            if anchor != 0 {
                anchors.insert(anchor, node.clone());
            }
            match stack.last_mut() {
                None => docs.push(node),
                Some(Frame::Seq { items, .. }) => items.push(node),
                Some(Frame::Map {
                    entries,
                    pending_key,
                    ..
                }) => match pending_key.take() {
                    None => *pending_key = Some(node),
                    Some(key) => entries.push((key, node)),
                },
            }
        }
    }
    Ok(docs)
}

/// A scalar resolved the way go-yaml v2 resolves it (YAML 1.1).
#[derive(Debug, Clone, PartialEq)]
pub enum Resolved {
    Null,
    Bool(bool),
    Int,
    Float,
    Str,
}

const YAML11_TRUE: [&str; 11] = [
    "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON",
];
const YAML11_FALSE: [&str; 11] = [
    "n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF",
];

fn is_yaml11_int(s: &str) -> bool {
    let plain: String = s.chars().filter(|&c| c != '_').collect();
    let digits = plain
        .strip_prefix('-')
        .or_else(|| plain.strip_prefix('+'))
        .unwrap_or(&plain);
    if digits.is_empty() {
        return false;
    }
    let all = |body: &str, radix: u32| !body.is_empty() && body.chars().all(|c| c.is_digit(radix));
    if let Some(b) = digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))
    {
        return all(b, 16);
    }
    if let Some(b) = digits
        .strip_prefix("0b")
        .or_else(|| digits.strip_prefix("0B"))
    {
        return all(b, 2);
    }
    if let Some(b) = digits
        .strip_prefix("0o")
        .or_else(|| digits.strip_prefix("0O"))
    {
        return all(b, 8);
    }
    if digits.len() > 1 && digits.starts_with('0') {
        return all(&digits[1..], 8);
    }
    all(digits, 10)
}

fn is_yaml11_float(s: &str) -> bool {
    // go-yaml v2: ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$ and the .inf/.nan spellings.
    const SPECIAL: [&str; 12] = [
        ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF", ".nan",
        ".NaN", ".NAN",
    ];
    if SPECIAL.contains(&s) {
        return true;
    }
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

/// Resolve a scalar like go-yaml v2. Only plain scalars without a tag can be anything but a string.
/// Timestamps stay strings: go-yaml v2 keeps their text when decoding into an interface.
pub fn resolve(value: &str, style: Style, tag: Option<&str>) -> Resolved {
    match tag {
        Some("str") | Some("") | Some("binary") => return Resolved::Str,
        Some("null") => return Resolved::Null,
        Some("bool") => return Resolved::Bool(YAML11_TRUE.contains(&value)),
        Some("int") => return Resolved::Int,
        Some("float") => return Resolved::Float,
        _ => {}
    }
    if style != Style::Plain {
        return Resolved::Str;
    }
    match value {
        "" | "~" | "null" | "Null" | "NULL" => return Resolved::Null,
        _ => {}
    }
    if YAML11_TRUE.contains(&value) {
        return Resolved::Bool(true);
    }
    if YAML11_FALSE.contains(&value) {
        return Resolved::Bool(false);
    }
    let first = value.as_bytes()[0];
    if first.is_ascii_digit() || first == b'-' || first == b'+' || first == b'.' {
        if is_yaml11_int(value) {
            return Resolved::Int;
        }
        if is_yaml11_float(value) {
            return Resolved::Float;
        }
    }
    Resolved::Str
}

/// A JSON value as the YAML->JSON step produces it, each node keeping the span of its YAML source.
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    Number(String),
    String(String),
    Array(Vec<SpannedJson>),
    /// Keys in document order; duplicates were rejected during conversion.
    Object(Vec<(String, Span, SpannedJson)>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct SpannedJson {
    pub value: Json,
    pub span: Span,
    /// For scalars: the YAML style they were written in.
    pub style: Option<Style>,
    /// For collections: written in flow style (`[…]`, `{…}`).
    pub flow: bool,
}

impl Json {
    /// The JSON type name Go's encoding/json uses in its errors.
    pub fn go_kind(&self) -> &'static str {
        match self {
            Json::Null => "null",
            Json::Bool(_) => "bool",
            Json::Number(_) => "number",
            Json::String(_) => "string",
            Json::Array(_) => "array",
            Json::Object(_) => "object",
        }
    }
}

/// Why the YAML->JSON step failed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ConvertError {
    #[error("a mapping key is itself a {what}; YAML->JSON conversion rejects it")]
    ComplexKey { what: &'static str, span: Span },
    #[error("key {key:?} already set in map")]
    DuplicateKey { key: String, span: Span },
}

impl ConvertError {
    pub fn span(&self) -> Span {
        match self {
            ConvertError::ComplexKey { span, .. } | ConvertError::DuplicateKey { span, .. } => {
                *span
            }
        }
    }
}

/// Convert a YAML node to JSON like sigs.k8s.io/yaml: scalars resolved as YAML 1.1, keys stringified,
/// a collection as a key or a duplicate key is an error.
pub fn to_json(node: &Node) -> Result<SpannedJson, ConvertError> {
    let flow = matches!(
        node.kind,
        NodeKind::Seq { flow: true, .. } | NodeKind::Map { flow: true, .. }
    );
    let (value, style) = match &node.kind {
        NodeKind::Scalar { value, style, tag } => {
            let json = match resolve(value, *style, tag.as_deref()) {
                Resolved::Null => Json::Null,
                Resolved::Bool(b) => Json::Bool(b),
                Resolved::Int | Resolved::Float => Json::Number(value.clone()),
                Resolved::Str => Json::String(value.clone()),
            };
            (json, Some(*style))
        }
        NodeKind::Seq { items, .. } => (
            Json::Array(items.iter().map(to_json).collect::<Result<_, _>>()?),
            None,
        ),
        NodeKind::Map { entries, .. } => {
            let mut out: Vec<(String, Span, SpannedJson)> = Vec::with_capacity(entries.len());
            for (k, v) in entries {
                let key = match &k.kind {
                    NodeKind::Scalar { value, style, tag } => {
                        match resolve(value, *style, tag.as_deref()) {
                            Resolved::Null => "null".to_string(),
                            Resolved::Bool(b) => b.to_string(),
                            _ => value.clone(),
                        }
                    }
                    NodeKind::Seq { .. } => {
                        return Err(ConvertError::ComplexKey {
                            what: "sequence",
                            span: k.span,
                        });
                    }
                    NodeKind::Map { .. } => {
                        return Err(ConvertError::ComplexKey {
                            what: "mapping",
                            span: k.span,
                        });
                    }
                };
                if out.iter().any(|(existing, _, _)| *existing == key) {
                    return Err(ConvertError::DuplicateKey { key, span: k.span });
                }
                out.push((key, k.span, to_json(v)?));
            }
            (Json::Object(out), None)
        }
    };
    Ok(SpannedJson {
        value,
        span: node.span,
        style,
        flow,
    })
}

impl Node {
    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            NodeKind::Scalar { value, .. } => Some(value),
            _ => None,
        }
    }

    /// Look a key up in a mapping node (exact, case-sensitive), returning the first match.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.kind {
            NodeKind::Map { entries, .. } => entries
                .iter()
                .find(|(k, _)| k.as_str() == Some(key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn entries(&self) -> &[(Node, Node)] {
        match &self.kind {
            NodeKind::Map { entries, .. } => entries,
            _ => &[],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml11_resolution_matches_go_yaml_v2() {
        use Resolved::*;
        for (s, r) in [
            ("yes", Bool(true)),
            ("On", Bool(true)),
            ("n", Bool(false)),
            ("OFF", Bool(false)),
            ("~", Null),
            ("", Null),
            ("123456789012", Int),
            ("012345678912", Float), // not octal (8, 9), but go-yaml's float pattern matches
            ("0755", Int),
            ("0x1F", Int),
            ("1_000", Int),
            ("-12", Int),
            ("1.5", Float),
            (".5", Float),
            ("1e3", Float),
            (".inf", Float),
            ("2001-12-14", Str),
            ("system:masters", Str),
            ("arn:aws:iam::1:role/x", Str),
            ("1.2.3", Str),
        ] {
            assert_eq!(resolve(s, Style::Plain, None), r, "{s:?}");
        }
        assert_eq!(resolve("yes", Style::DoubleQuoted, None), Str);
        assert_eq!(resolve("123", Style::Plain, Some("str")), Str);
    }

    #[test]
    fn unquoted_template_is_a_complex_key() {
        let docs = parse_stream("- username: {{SessionName}}\n").unwrap();
        assert!(matches!(
            to_json(&docs[0]),
            Err(ConvertError::ComplexKey { .. })
        ));
    }

    #[test]
    fn duplicate_keys_fail_conversion() {
        let docs = parse_stream("- rolearn: a\n  rolearn: b\n").unwrap();
        let err = to_json(&docs[0]).unwrap_err();
        assert_eq!(err.to_string(), "key \"rolearn\" already set in map");
        assert_eq!(err.span().line, 2);
    }

    #[test]
    fn spans_are_byte_offsets() {
        let text = "a: é\nb: [x, y]\n";
        let docs = parse_stream(text).unwrap();
        let b = docs[0].get("b").unwrap();
        assert_eq!(&text[b.span.start..b.span.end], "[x, y]");
        assert_eq!(b.span.line, 2);
    }

    #[test]
    fn alias_bombs_and_deep_nesting_are_rejected() {
        let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        let mut prev = 'a';
        for c in 'b'..='z' {
            bomb.push_str(&format!(
                "{c}: &{c} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"
            ));
            prev = c;
        }
        assert!(parse_stream(&bomb).is_err());
        let deep = "[".repeat(10_000);
        assert!(parse_stream(&deep).is_err());
    }
}
