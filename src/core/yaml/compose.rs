//! From events to nodes, as go-yaml v2's `parser` type in `decode.go` builds them: one arena per stream,
//! anchors per document, registered when a node starts (so an alias inside its own anchor is a cycle,
//! reported when decoding as go-yaml does), and an alias to an unknown anchor an error at once.

use super::parser::{Event, EventKind, Parser};
use super::scanner::{Mark, RawError, ScalarStyle, Stage};
use super::{Span, Style, YamlError};
use std::collections::HashMap;

/// How deep collections may nest. go-yaml allows 10,000 levels; iamidmap stops far earlier so that no
/// reader, editor or drop of a tree can exhaust the stack (a deliberate, documented divergence: no real
/// mapping nests more than a handful of levels, and a refusal is loud).
pub(crate) const NESTING_LIMIT: usize = 256;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum AKind {
    /// The text is in `Arena::values` at the node's index.
    Scalar {
        style: Style,
        /// The resolved tag (`tag:yaml.org,2002:str`, `!`, `!custom`), when one was written.
        tag: Option<String>,
        /// go-yaml's `implicit`: plain without a tag, or tagged `!`.
        implicit: bool,
    },
    Seq {
        items: Vec<usize>,
        flow: bool,
    },
    Map {
        pairs: Vec<(usize, usize)>,
        flow: bool,
    },
    Alias {
        target: usize,
        name: String,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ANode {
    pub kind: AKind,
    pub span: Span,
}

/// The nodes of a stream and the root of each document read.
#[derive(Debug, Clone, Default)]
pub(crate) struct Arena {
    pub nodes: Vec<ANode>,
    /// Each node's scalar text (empty for collections and aliases), apart so it can be moved out.
    pub values: Vec<String>,
    pub docs: Vec<usize>,
    pub has_alias: bool,
}

pub(crate) fn span(start: Mark, end: Mark) -> Span {
    Span {
        start: start.pos,
        end: end.pos.max(start.pos),
        line: start.lf_line,
        col: start.lf_col,
    }
}

/// A located error, with go-yaml's own wording in `message`.
pub(crate) fn located(text: &str, e: &RawError) -> YamlError {
    let message = e.go_message();
    let (offset, line, col) = if e.stage == Stage::Reader {
        let offset = e.offset.min(text.len());
        let before = text.get(..offset).unwrap_or("");
        (
            offset,
            before.matches('\n').count() + 1,
            before.rsplit('\n').next().unwrap_or("").chars().count() + 1,
        )
    } else {
        // A simple key without its `:` is best shown where the key starts (go-yaml reports where it
        // gave up looking, which can be lines later).
        let m = if e.context == "while scanning a simple key" {
            e.context_mark
        } else {
            e.problem_mark
        };
        (m.pos.min(text.len()), m.lf_line, m.lf_col)
    };
    YamlError {
        message,
        line,
        col,
        offset,
    }
}

fn style_of(s: ScalarStyle) -> Style {
    match s {
        ScalarStyle::Plain => Style::Plain,
        ScalarStyle::SingleQuoted => Style::SingleQuoted,
        ScalarStyle::DoubleQuoted => Style::DoubleQuoted,
        ScalarStyle::Literal => Style::Literal,
        ScalarStyle::Folded => Style::Folded,
    }
}

fn text_of(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap_or_else(|e| crate::core::gostr::utf8_replace_go(e.as_bytes()))
}

enum Frame {
    Seq(usize),
    Map(usize, Option<usize>),
}

/// Compose the documents of `text`: all of them, or only the first (what `yaml.Unmarshal` reads).
pub(crate) fn compose(text: &str, first_only: bool) -> Result<Arena, YamlError> {
    let mut parser = Parser::new(text.as_bytes());
    let mut arena = Arena::default();
    let mut anchors: HashMap<String, usize> = HashMap::new();
    let mut stack: Vec<Frame> = vec![];
    let mut indentless: Vec<usize> = vec![];
    let fail = |e: Box<RawError>| located(text, &e);
    while let Some(event) = parser.next_event().map_err(fail)? {
        let Event { kind, start, end } = event;
        let finished: Option<usize> = match kind {
            EventKind::StreamStart => None,
            EventKind::StreamEnd => break,
            EventKind::DocumentStart => {
                anchors.clear();
                None
            }
            EventKind::DocumentEnd => {
                if first_only {
                    break;
                }
                None
            }
            EventKind::Alias { anchor } => {
                let name = text_of(anchor);
                let Some(&target) = anchors.get(&name) else {
                    return Err(located(
                        text,
                        &RawError {
                            stage: Stage::Composer,
                            problem: format!("unknown anchor '{name}' referenced"),
                            problem_mark: start,
                            context: String::new(),
                            context_mark: Mark::default(),
                            offset: start.pos,
                        },
                    ));
                };
                arena.has_alias = true;
                arena.nodes.push(ANode {
                    kind: AKind::Alias { target, name },
                    span: span(start, end),
                });
                arena.values.push(String::new());
                Some(arena.nodes.len() - 1)
            }
            EventKind::Scalar {
                anchor,
                tag,
                value,
                plain_implicit,
                style,
                value_start,
                value_end,
            } => {
                arena.values.push(text_of(value));
                arena.nodes.push(ANode {
                    kind: AKind::Scalar {
                        style: style_of(style),
                        tag: tag.map(text_of),
                        implicit: plain_implicit,
                    },
                    span: span(value_start, value_end),
                });
                let id = arena.nodes.len() - 1;
                if let Some(a) = anchor {
                    anchors.insert(text_of(a), id);
                }
                Some(id)
            }
            EventKind::SequenceStart {
                anchor,
                flow,
                token_start,
                ..
            }
            | EventKind::MappingStart {
                anchor,
                flow,
                token_start,
            } if stack.len() >= NESTING_LIMIT => {
                let _ = (anchor, flow);
                return Err(YamlError {
                    message: format!(
                        "collections nest deeper than {NESTING_LIMIT} levels (iamidmap refuses such documents)"
                    ),
                    line: token_start.lf_line,
                    col: token_start.lf_col,
                    offset: token_start.pos,
                });
            }
            EventKind::SequenceStart {
                anchor,
                flow,
                token_start,
                indentless: is_indentless,
            } => {
                arena.nodes.push(ANode {
                    kind: AKind::Seq {
                        items: vec![],
                        flow,
                    },
                    span: span(token_start, token_start),
                });
                arena.values.push(String::new());
                let id = arena.nodes.len() - 1;
                if is_indentless {
                    indentless.push(id);
                }
                if let Some(a) = anchor {
                    anchors.insert(text_of(a), id);
                }
                stack.push(Frame::Seq(id));
                None
            }
            EventKind::MappingStart {
                anchor,
                flow,
                token_start,
            } => {
                arena.nodes.push(ANode {
                    kind: AKind::Map {
                        pairs: vec![],
                        flow,
                    },
                    span: span(token_start, token_start),
                });
                arena.values.push(String::new());
                let id = arena.nodes.len() - 1;
                if let Some(a) = anchor {
                    anchors.insert(text_of(a), id);
                }
                stack.push(Frame::Map(id, None));
                None
            }
            EventKind::SequenceEnd | EventKind::MappingEnd => {
                let Some(frame) = stack.pop() else { continue };
                let id = match frame {
                    Frame::Seq(id) | Frame::Map(id, _) => id,
                };
                let last_end = match &arena.nodes[id].kind {
                    AKind::Seq { items, .. } => items.last().map(|&i| arena.nodes[i].span.end),
                    AKind::Map { pairs, .. } => pairs.last().map(|&(_, v)| arena.nodes[v].span.end),
                    _ => None,
                };
                // An indentless sequence (`key:` then `- item` at the key's column) starts at its
                // first item's value, as the rest of iamidmap has always located it.
                let first_item = match (&arena.nodes[id].kind, indentless.contains(&id)) {
                    (AKind::Seq { items, .. }, true) => items.first().map(|&i| arena.nodes[i].span),
                    _ => None,
                };
                if let Some(first) = first_item {
                    let node = &mut arena.nodes[id];
                    node.span.start = first.start;
                    node.span.line = first.line;
                    node.span.col = first.col;
                }
                let flow = matches!(
                    arena.nodes[id].kind,
                    AKind::Seq { flow: true, .. } | AKind::Map { flow: true, .. }
                );
                let node = &mut arena.nodes[id];
                node.span.end = if flow {
                    end.pos.max(node.span.start)
                } else {
                    last_end.unwrap_or(node.span.start).max(node.span.start)
                };
                Some(id)
            }
        };
        if let Some(id) = finished {
            match stack.last_mut() {
                None => arena.docs.push(id),
                Some(Frame::Seq(parent)) => {
                    let parent = *parent;
                    if let AKind::Seq { items, .. } = &mut arena.nodes[parent].kind {
                        items.push(id);
                    }
                }
                Some(Frame::Map(parent, pending)) => match pending.take() {
                    None => *pending = Some(id),
                    Some(key) => {
                        let parent = *parent;
                        if let AKind::Map { pairs, .. } = &mut arena.nodes[parent].kind {
                            pairs.push((key, id));
                        }
                    }
                },
            }
        }
    }
    Ok(arena)
}
