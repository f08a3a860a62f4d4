//! Writing a new entry the way its neighbours are written: indentation, sequence indentation, key
//! order and spelling, quoting, block or flow groups; the canonical style when there is no neighbour.
//! Account IDs and values starting with `{{` are always quoted.

use super::edit::NewEntry;
use crate::core::mapping::Entry;
use crate::core::yaml::{self, Span};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quote {
    Plain,
    Single,
    Double,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Groups {
    /// Block sequence; the items' dash is this many columns right of the entry's keys.
    Block { item_offset: usize },
    /// Flow sequence; `spaced` is `[a, b]` rather than `[a,b]`.
    Flow { spaced: bool },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryStyle {
    dash_col: usize,
    key_offset: usize,
    order: Vec<&'static str>,
    spelled: Vec<(&'static str, String)>,
    key_quote: Quote,
    arn_quote: Quote,
    username_quote: Quote,
    group_quote: Quote,
    groups: Groups,
    /// For flow entries: `{"k":"v"}` (compact JSON) rather than `{k: v}`.
    compact: bool,
}

impl EntryStyle {
    /// The spelling of the authenticator's config and EKS Anywhere's docs: `roleARN`, `userARN`.
    pub fn structured() -> Self {
        EntryStyle {
            spelled: vec![
                ("rolearn", "roleARN".to_string()),
                ("userarn", "userARN".to_string()),
            ],
            ..Self::canonical()
        }
    }

    pub fn canonical() -> Self {
        EntryStyle {
            dash_col: 0,
            key_offset: 2,
            order: vec![],
            spelled: vec![],
            key_quote: Quote::Plain,
            arn_quote: Quote::Plain,
            username_quote: Quote::Plain,
            group_quote: Quote::Plain,
            groups: Groups::Block { item_offset: 2 },
            compact: false,
        }
    }

    /// Read the style of an existing entry from the list's text.
    pub fn of(entry: &Entry, inner: &str) -> Self {
        let mut style = EntryStyle::canonical();
        let line_start = |pos: usize| inner[..pos].rfind('\n').map_or(0, |i| i + 1);
        let col = |pos: usize| inner[line_start(pos)..pos].chars().count();
        let quote_at = |span: Span| match inner.as_bytes().get(span.start) {
            Some(b'"') => Quote::Double,
            Some(b'\'') => Quote::Single,
            _ => Quote::Plain,
        };
        // The dash of the item: the last `-` before the entry's first key.
        if let Some(dash) = inner[..entry.span.start.min(inner.len())].rfind('-') {
            style.dash_col = col(dash);
            let first_key = entry
                .fields
                .first()
                .map_or(entry.span.start, |f| f.key_span.start);
            if line_start(first_key) == line_start(dash) {
                style.key_offset = col(first_key).saturating_sub(style.dash_col).max(2);
            }
        }
        style.order = entry.fields.iter().filter_map(|f| f.field).collect();
        style.spelled = entry
            .fields
            .iter()
            .filter_map(|f| f.field.map(|name| (name, f.written.clone())))
            .collect();
        if let Some(first) = entry.fields.first() {
            style.key_quote = quote_at(first.key_span);
        }
        if let Some(f) = entry.field(entry.list.arn_field()) {
            style.arn_quote = quote_at(f.value_span);
        }
        if let Some(f) = entry.field("username") {
            style.username_quote = quote_at(f.value_span);
        }
        if let Some(span) = entry.group_spans.first() {
            style.group_quote = quote_at(*span);
        }
        if let Some(f) = entry.field("groups") {
            let value =
                &inner[f.value_span.start.min(inner.len())..f.value_span.end.min(inner.len())];
            if value.starts_with('[') {
                style.groups = Groups::Flow {
                    spaced: value.contains(", ") || !value.contains(','),
                };
            } else if let Some(first) = entry.group_spans.first() {
                let dash = inner[..first.start].rfind('-').unwrap_or(first.start);
                let key_col = col(f.key_span.start);
                style.groups = Groups::Block {
                    item_offset: col(dash).saturating_sub(key_col),
                };
            }
        }
        if entry.flow {
            let raw = &inner[entry.span.start.min(inner.len())..entry.span.end.min(inner.len())];
            style.compact = raw.contains("\":\"") || raw.contains("\":[");
        }
        style
    }

    fn key(&self, field: &'static str) -> String {
        let name = self
            .spelled
            .iter()
            .find(|(f, _)| *f == field)
            .map_or(field.to_string(), |(_, w)| w.clone());
        match self.key_quote {
            Quote::Double => format!("\"{}\"", super::codec::encode_double(&name)),
            Quote::Single => format!("'{}'", name.replace('\'', "''")),
            Quote::Plain => name,
        }
    }

    /// The fields to write, in the neighbour's order, then any it lacks in canonical order.
    fn fields(&self, entry: &NewEntry) -> Vec<&'static str> {
        let arn_field = entry.list.arn_field();
        let wanted: Vec<&'static str> = [arn_field, "username", "groups"]
            .into_iter()
            .filter(|f| match *f {
                "username" => entry.username.is_some(),
                "groups" => !entry.groups.is_empty(),
                _ => true,
            })
            .collect();
        let mut out: Vec<&'static str> = self
            .order
            .iter()
            .copied()
            .filter(|f| wanted.contains(f))
            .collect();
        for f in wanted {
            if !out.contains(&f) {
                out.push(f);
            }
        }
        out
    }
}

/// Whether a plain scalar would not read back as the same string (YAML 1.1 included); in flow
/// context the flow indicators `,[]{}` anywhere need quotes too.
pub fn needs_quotes(v: &str, flow: bool) -> bool {
    v.is_empty()
        || yaml::resolve(v, yaml::Style::Plain, None) != yaml::Resolved::Str
        || v.starts_with([
            '-', '?', ':', ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', '\'', '"', '%',
            '@', '`', ' ', '\t',
        ])
        || v.ends_with([' ', '\t', ':'])
        || v.contains(": ")
        || v.contains(" #")
        || v.contains(['\n', '\r', '\t'])
        || (flow && v.contains([',', '[', ']', '{', '}']))
        || v.chars().any(|c| c.is_control())
}

pub fn scalar(value: &str, pref: Quote, force: bool) -> String {
    scalar_in(value, pref, force, false)
}

fn scalar_in(value: &str, pref: Quote, force: bool, flow: bool) -> String {
    let quote = match pref {
        Quote::Plain if force || needs_quotes(value, flow) => Quote::Double,
        Quote::Single if value.contains(['\n', '\r']) || value.chars().any(|c| c.is_control()) => {
            Quote::Double
        }
        q => q,
    };
    match quote {
        Quote::Plain => value.to_string(),
        Quote::Single => format!("'{}'", value.replace('\'', "''")),
        Quote::Double => format!("\"{}\"", super::codec::encode_double(value)),
    }
}

fn value_of(entry: &NewEntry, field: &str, style: &EntryStyle, flow: bool) -> String {
    match field {
        "username" => {
            let u = entry.username.as_deref().unwrap_or("");
            scalar_in(u, style.username_quote, u.starts_with("{{"), flow)
        }
        _ => scalar_in(
            &entry.arn,
            style.arn_quote,
            entry.arn.starts_with("{{"),
            flow,
        ),
    }
}

/// The entry as block YAML lines, each ending with `\n`.
pub fn render_block(entry: &NewEntry, style: &EntryStyle) -> String {
    let pad = |n: usize| " ".repeat(n);
    let key_col = style.dash_col + style.key_offset;
    let mut out = String::new();
    for (i, field) in style.fields(entry).into_iter().enumerate() {
        if i == 0 {
            out.push_str(&pad(style.dash_col));
            out.push('-');
            out.push_str(&pad(style.key_offset - 1));
        } else {
            out.push_str(&pad(key_col));
        }
        out.push_str(&style.key(field));
        out.push(':');
        if field == "groups" {
            match style.groups {
                Groups::Flow { spaced } => {
                    let sep = if spaced { ", " } else { "," };
                    let items: Vec<String> = entry
                        .groups
                        .iter()
                        .map(|g| scalar_in(g, style.group_quote, g.starts_with("{{"), true))
                        .collect();
                    out.push_str(&format!(" [{}]\n", items.join(sep)));
                }
                Groups::Block { item_offset } => {
                    out.push('\n');
                    for g in &entry.groups {
                        out.push_str(&pad(key_col + item_offset));
                        out.push_str("- ");
                        out.push_str(&scalar(g, style.group_quote, g.starts_with("{{")));
                        out.push('\n');
                    }
                }
            }
        } else {
            out.push(' ');
            out.push_str(&value_of(entry, field, style, false));
            out.push('\n');
        }
    }
    out
}

/// The entry as a flow mapping on one line.
pub fn render_flow(entry: &NewEntry, style: &EntryStyle) -> String {
    let fields = style.fields(entry);
    if style.compact {
        let mut parts = vec![];
        for f in fields {
            let key = serde_json::to_string(&style.key_name(f)).unwrap_or_default();
            let value = match f {
                "groups" => serde_json::to_string(&entry.groups),
                "username" => serde_json::to_string(entry.username.as_deref().unwrap_or("")),
                _ => serde_json::to_string(&entry.arn),
            }
            .unwrap_or_default();
            parts.push(format!("{key}:{value}"));
        }
        return format!("{{{}}}", parts.join(","));
    }
    let mut parts = vec![];
    for f in fields {
        let value = if f == "groups" {
            let items: Vec<String> = entry
                .groups
                .iter()
                .map(|g| scalar_in(g, style.group_quote, false, true))
                .collect();
            format!("[{}]", items.join(", "))
        } else {
            value_of(entry, f, style, true)
        };
        parts.push(format!("{}: {value}", style.key(f)));
    }
    format!("{{{}}}", parts.join(", "))
}

impl EntryStyle {
    pub fn group_quote(&self) -> Quote {
        self.group_quote
    }

    pub fn flow_groups_spaced(&self) -> bool {
        !matches!(self.groups, Groups::Flow { spaced: false })
    }

    fn key_name(&self, field: &'static str) -> String {
        self.spelled
            .iter()
            .find(|(f, _)| *f == field)
            .map_or(field.to_string(), |(_, w)| w.clone())
    }
}

/// An account ID as a block item or flow item, always quoted.
pub fn account(id: &str, pref: Quote) -> String {
    let quote = if pref == Quote::Single {
        Quote::Single
    } else {
        Quote::Double
    };
    scalar(id, quote, true)
}

pub fn quote_of(inner: &str, span: Span) -> Quote {
    match inner.as_bytes().get(span.start) {
        Some(b'"') => Quote::Double,
        Some(b'\'') => Quote::Single,
        _ => Quote::Plain,
    }
}
