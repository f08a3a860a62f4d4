//! YAML exactly as aws-iam-authenticator and kubectl read it: a port of go-yaml v2 (scanner, parser,
//! composer and decoder; the YAML library under sigs.k8s.io/yaml) with byte offsets on every node, plus
//! the conversion to JSON that sigs.k8s.io/yaml and encoding/json apply before the authenticator decodes
//! its entries.
//!
//! Two views of a document: [`Node`] trees (every document of a stream, aliases expanded, keys as
//! written) for the manifest reader and the editor, and [`SpannedJson`] (the first document only, as
//! `yaml.Unmarshal` reads it, with go-yaml's semantics: duplicate keys last-wins, merge keys applied,
//! YAML 1.1 scalars) for the mapping lists.

mod compose;
mod decode;
mod parser;
mod resolve;
mod scanner;

pub use decode::{DecodeFailure, StringsDecode};

use compose::{AKind, Arena};
use thiserror::Error;

/// A byte range in the text that was parsed, with the 1-based line and column (in characters, lines
/// counted by `\n`) of its start.
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
        /// The tag, when one was written, resolved as go-yaml resolves it (`tag:yaml.org,2002:str` for
        /// `!!str`, `!` for `!`, `!custom`).
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

/// A YAML syntax error, located in the text that was parsed; `message` is go-yaml's own wording.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("line {line} column {col}: {message}")]
pub struct YamlError {
    pub message: String,
    pub line: usize,
    pub col: usize,
    pub offset: usize,
}

impl YamlError {
    /// The problem without go-yaml's `line N: ` prefix (whose line counts from the value's start).
    pub fn problem(&self) -> &str {
        match self.message.split_once(": ") {
            Some((line, rest)) if line.starts_with("line ") => rest,
            _ => &self.message,
        }
    }
}

/// A JSON value as the YAML->JSON step produces it, each node keeping the span of its YAML source.
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    /// A number, as written.
    Number(String),
    String(String),
    Array(Vec<SpannedJson>),
    /// Keys are unique (go-yaml keeps the last value of a key written twice, or set again by a merge);
    /// `shadowed` lists the keys whose values were replaced that way.
    Object {
        fields: Vec<JsonField>,
        shadowed: Vec<(String, Span)>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct JsonField {
    pub key: String,
    pub key_span: Span,
    pub value: SpannedJson,
    /// Set by a merge key (`<<: *anchor`), not written in this mapping.
    pub inherited: bool,
    /// A key the JSON conversion cannot turn into a string (null, uint64), and why.
    pub unconvertible_key: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SpannedJson {
    pub value: Json,
    pub span: Span,
    /// For scalars: the YAML style they were written in.
    pub style: Option<Style>,
    /// For collections: written in flow style (`[…]`, `{…}`).
    pub flow: bool,
    /// The value is an alias (`*name`): its text is elsewhere.
    pub alias: bool,
    /// For scalars written with an explicit tag that changes what they read as (`!!binary`, `!!str`,
    /// `!custom`…): the tag as written in short form.
    pub tag: Option<String>,
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
            Json::Object { .. } => "object",
        }
    }
}

/// A scalar resolved the way go-yaml v2 resolves it (YAML 1.1), for readers of [`Node`] trees.
#[derive(Debug, Clone, PartialEq)]
pub enum Resolved {
    Null,
    Bool(bool),
    Int,
    Float,
    Str,
}

/// Resolve a scalar of a [`Node`] tree like go-yaml v2 (a tag that cannot apply reads as a string).
pub fn resolve(value: &str, style: Style, tag: Option<&str>) -> Resolved {
    let implicit = (tag.is_none() && style == Style::Plain) || tag == Some("!");
    match resolve::decode_scalar(value, tag, implicit) {
        Ok(resolve::GoScalar::Null) => Resolved::Null,
        Ok(resolve::GoScalar::Bool(b)) => Resolved::Bool(b),
        Ok(resolve::GoScalar::Int(_) | resolve::GoScalar::Uint(_)) => Resolved::Int,
        Ok(resolve::GoScalar::Float(_)) => Resolved::Float,
        _ => Resolved::Str,
    }
}

/// Expanded aliases may not add more nodes than this (the ratio rule has already bounded them).
const EXPANSION_BUDGET: usize = 4_000_000;

fn expand(
    nodes: &[compose::ANode],
    values: &mut [String],
    movable: bool,
    id: usize,
    memo: &mut std::collections::HashMap<usize, Node>,
    budget: &mut usize,
) -> Result<Node, YamlError> {
    let n = &nodes[id];
    *budget = budget.checked_sub(1).ok_or_else(|| YamlError {
        message: "aliases expand to too many nodes".into(),
        line: n.span.line,
        col: n.span.col,
        offset: n.span.start,
    })?;
    Ok(match &n.kind {
        AKind::Scalar { style, tag, .. } => Node {
            kind: NodeKind::Scalar {
                value: if movable {
                    std::mem::take(&mut values[id])
                } else {
                    values[id].clone()
                },
                style: *style,
                tag: tag.clone(),
            },
            span: n.span,
        },
        AKind::Seq { items, flow } => Node {
            kind: NodeKind::Seq {
                items: items
                    .iter()
                    .map(|&i| expand(nodes, values, movable, i, memo, budget))
                    .collect::<Result<_, _>>()?,
                flow: *flow,
            },
            span: n.span,
        },
        AKind::Map { pairs, flow } => Node {
            kind: NodeKind::Map {
                entries: pairs
                    .iter()
                    .map(|&(k, v)| {
                        Ok((
                            expand(nodes, values, movable, k, memo, budget)?,
                            expand(nodes, values, movable, v, memo, budget)?,
                        ))
                    })
                    .collect::<Result<_, YamlError>>()?,
                flow: *flow,
            },
            span: n.span,
        },
        AKind::Alias { target, .. } => {
            let mut node = match memo.get(target) {
                Some(node) => node.clone(),
                None => {
                    let node = expand(nodes, values, movable, *target, memo, budget)?;
                    memo.insert(*target, node.clone());
                    node
                }
            };
            node.span = n.span;
            node
        }
    })
}

fn failure_error(f: &DecodeFailure) -> YamlError {
    YamlError {
        message: f.message.clone(),
        line: f.span.line,
        col: f.span.col,
        offset: f.span.start,
    }
}

/// Parse every document of a YAML stream (JSON included) into spanned trees. A document that the
/// YAML->JSON step refuses (kubectl's view of a manifest: excessive aliasing, `.inf`, null keys…) is an
/// error too.
pub fn parse_stream(text: &str) -> Result<Vec<Node>, YamlError> {
    let mut arena = compose::compose(text, false)?;
    let mut docs = Vec::with_capacity(arena.docs.len());
    let mut memo = std::collections::HashMap::new();
    let mut budget = EXPANSION_BUDGET + arena.nodes.len();
    let roots = arena.docs.clone();
    let movable = !arena.has_alias;
    for root in roots {
        decode::to_json(&mut arena, root, decode::Texts::Skip).map_err(|f| failure_error(&f))?;
        memo.clear();
        docs.push(expand(
            &arena.nodes,
            &mut arena.values,
            movable,
            root,
            &mut memo,
            &mut budget,
        )?);
    }
    Ok(docs)
}

/// Every document of a stream as the YAML->JSON step gives it: kubectl's reading of a manifest.
pub fn stream_json(text: &str) -> Result<Vec<SpannedJson>, YamlError> {
    let mut arena = compose::compose(text, false)?;
    let roots = arena.docs.clone();
    roots
        .into_iter()
        .map(|root| {
            decode::to_json(&mut arena, root, decode::Texts::Copy).map_err(|f| failure_error(&f))
        })
        .collect()
}

/// The first document of a value, read the way `yaml.Unmarshal` reads it (later documents are not read,
/// except as far as go-yaml's scanner looks ahead).
#[derive(Debug, Clone)]
pub struct FirstDocument {
    arena: Arena,
    root: Option<usize>,
}

impl FirstDocument {
    pub fn parse(text: &str) -> Result<FirstDocument, YamlError> {
        let arena = compose::compose(text, true)?;
        let root = arena.docs.first().copied();
        Ok(FirstDocument { arena, root })
    }

    /// True when there is no document at all (only comments or blank lines).
    pub fn is_empty(&self) -> bool {
        self.root.is_none()
    }

    /// The root node's span and whether it is a flow sequence.
    pub fn root_span(&self) -> Option<Span> {
        self.root.map(|r| self.arena.nodes[r].span)
    }

    pub fn root_is_flow(&self) -> bool {
        self.root.is_some_and(|r| {
            matches!(
                self.arena.nodes[r].kind,
                AKind::Seq { flow: true, .. } | AKind::Map { flow: true, .. }
            )
        })
    }

    /// sigs.k8s.io/yaml's YAMLToJSON of the document (`None`: no document, which is JSON null).
    pub fn into_json(mut self) -> Result<Option<SpannedJson>, DecodeFailure> {
        match self.root {
            None => Ok(None),
            Some(r) => decode::to_json(&mut self.arena, r, decode::Texts::Move).map(Some),
        }
    }

    /// go-yaml's `Unmarshal` into `[]string` (`mapAccounts`).
    pub fn into_strings(mut self) -> StringsDecode {
        match self.root {
            None => StringsDecode {
                null: true,
                ..StringsDecode::default()
            },
            Some(r) => decode::decode_strings(&mut self.arena, r),
        }
    }
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
#[path = "yaml_tests.rs"]
mod tests;
