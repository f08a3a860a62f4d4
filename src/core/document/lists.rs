//! Edits of a list's decoded text (the inside of `mapRoles`, `mapUsers`, `mapAccounts`): add an entry in its
//! neighbours' style, remove one with its lines, replace an entry's username or groups, add or remove an
//! account. The edit module writes the result back into the file and verifies it.

use super::edit::NewEntry;
use super::render::{self, EntryStyle, Quote};
use crate::core::mapping::{Entry, ListShape};
use crate::core::yaml::Span;

// Byte searches: `pos` may fall inside a multi-byte character (an entry ending in U+2028, say); the
// results are always just after a `\n`, or an end of the text, so they are character boundaries.
pub(super) fn line_start(s: &str, pos: usize) -> usize {
    let pos = pos.min(s.len());
    s.as_bytes()[..pos]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1)
}

/// The end of the line holding `pos`, after its `\n` (or the end of the text).
pub(super) fn line_end_incl(s: &str, pos: usize) -> usize {
    let pos = pos.min(s.len());
    s.as_bytes()[pos..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(s.len(), |i| pos + i + 1)
}

/// The spans of a list's items as written (the dash is found from them).
pub(super) fn item_spans(parse: &crate::core::mapping::ListParse) -> Vec<Span> {
    parse.entries.iter().map(|e| e.span).collect()
}

/// The end of an entry's text: the furthest end of anything inside it.
pub(super) fn entry_end(entry: &Entry) -> usize {
    let mut end = entry.span.end;
    for f in &entry.fields {
        end = end.max(f.value_span.end);
    }
    for g in &entry.group_spans {
        end = end.max(g.end);
    }
    end
}

/// The new decoded text of a list with one more entry.
pub(super) fn add_entry(
    content: &str,
    list: &crate::core::mapping::ListParse,
    entry: &NewEntry,
    block_value: bool,
    structured: bool,
) -> String {
    let fresh = if structured {
        EntryStyle::structured()
    } else {
        EntryStyle::canonical()
    };
    let neighbour = list
        .entries
        .iter()
        .rev()
        .find(|e| e.is_valid())
        .or(list.entries.last());
    match (list.shape, neighbour) {
        (ListShape::Block, Some(n)) => {
            let style = EntryStyle::of(n, content);
            let last = list.entries.last().map_or(entry_end(n), entry_end);
            insert_lines_after(content, last, &render::render_block(entry, &style))
        }
        (ListShape::Flow, Some(n)) => {
            let style = EntryStyle::of(n, content);
            let last_end = list.entries.last().map_or(n.span.end, |e| e.span.end);
            let sep = flow_separator(content, list);
            let item = render::render_flow(entry, &style);
            format!(
                "{}{sep}{item}{}",
                &content[..last_end],
                &content[last_end..]
            )
        }
        (ListShape::Flow, None) if !block_value || !is_lone_empty_flow(content) => {
            let item = render::render_flow(entry, &fresh);
            insert_into_empty_flow(content, list.root.as_ref(), &item)
        }
        _ => {
            let block = render::render_block(entry, &fresh);
            replace_or_append_block(content, &block)
        }
    }
}

/// Put the first item into an empty flow sequence (`[]` -> `[item]`), keeping the value's style.
fn insert_into_empty_flow(
    content: &str,
    root: Option<&crate::core::yaml::Span>,
    item: &str,
) -> String {
    let open = root.map_or(0, |r| r.start);
    format!("{}{item}{}", &content[..open + 1], &content[open + 1..])
}

pub(super) fn is_lone_empty_flow(content: &str) -> bool {
    content.trim() == "[]"
}

/// An empty list's text with a block appended: `[]` alone is replaced; comments are kept.
fn replace_or_append_block(content: &str, block: &str) -> String {
    if is_lone_empty_flow(content) || content.trim().is_empty() {
        let tail = &content[content.trim_end().len()..];
        let body = block.strip_suffix('\n').unwrap_or(block);
        if tail.contains('\n') || content.trim().is_empty() && content.ends_with('\n') {
            return format!("{body}{}", if tail.is_empty() { "\n" } else { tail });
        }
        return if content.is_empty() {
            block.to_string()
        } else {
            body.to_string()
        };
    }
    let trimmed = content.trim_end_matches('\n');
    let last_line_end = trimmed.len();
    insert_lines_after(content, last_line_end.saturating_sub(1), block)
}

/// Insert whole lines after the line holding `pos`.
pub(super) fn insert_lines_after(content: &str, pos: usize, lines: &str) -> String {
    let at = line_end_incl(content, pos.min(content.len().saturating_sub(1)));
    if at == content.len() && !content.ends_with('\n') {
        let body = lines.strip_suffix('\n').unwrap_or(lines);
        format!("{content}\n{body}")
    } else {
        format!("{}{lines}{}", &content[..at], &content[at..])
    }
}

fn flow_separator(content: &str, list: &crate::core::mapping::ListParse) -> &'static str {
    if list.entries.len() >= 2 {
        let a = list.entries[list.entries.len() - 2].span.end;
        let b = list.entries[list.entries.len() - 1].span.start;
        if content[a..b].contains(", ") || content[a..b].contains(",\n") {
            return ", ";
        }
        return ",";
    }
    let first = list.entries.first().map_or(0, |e| e.span.start);
    if first > 0 && content[..first].ends_with(' ') {
        ", "
    } else {
        ","
    }
}

/// Remove one item (entry or account) from a list's decoded text.
pub(super) fn remove_item(
    content: &str,
    span: Span,
    shape: ListShape,
    all: &[Span],
    block_value: bool,
) -> String {
    let pos = all.iter().position(|s| *s == span).unwrap_or(0);
    match shape {
        ListShape::Flow => {
            let (a, b) = if pos > 0 {
                (all[pos - 1].end, span.end)
            } else if all.len() > 1 {
                (span.start, all[1].start)
            } else {
                (span.start, span.end)
            };
            format!("{}{}", &content[..a], &content[b..])
        }
        _ => {
            // Block: from the line of the item's dash to the end of the item's last line.
            let dash = content[..span.start].rfind('-').unwrap_or(span.start);
            let start = line_start(content, dash);
            let end_pos = item_end(content, span, all, pos);
            let end = line_end_incl(content, end_pos.saturating_sub(1).max(start));
            // The last item of a value without a final line break takes the break before it along.
            let start = if end == content.len() && !content.ends_with('\n') && start > 0 {
                start - 1
            } else {
                start
            };
            let mut out = format!("{}{}", &content[..start], &content[end..]);
            if all.len() == 1 && out.trim().is_empty() && block_value {
                // The block list is now empty: write `[]` as eksctl and kubectl do.
                out = format!("[]{}", if content.ends_with('\n') { "\n" } else { "" });
            }
            out
        }
    }
}

/// The end of a block item: up to (not including) the next item's dash line, without trailing
/// comment or blank lines, which belong to what follows.
fn item_end(content: &str, span: Span, all: &[Span], pos: usize) -> usize {
    let limit = all
        .get(pos + 1)
        .map(|n| {
            let dash = content[..n.start].rfind('-').unwrap_or(n.start);
            line_start(content, dash)
        })
        .unwrap_or(content.len());
    // Walk the lines from the item's start to `limit`, keeping the last one with content that is
    // not a comment.
    let mut end = span.end.max(span.start + 1).min(limit);
    let mut pos_line = line_end_incl(content, span.start);
    while pos_line < limit {
        let next = line_end_incl(content, pos_line);
        let line = content[pos_line..next].trim();
        if !line.is_empty() && !line.starts_with('#') {
            end = next;
        }
        pos_line = next;
    }
    end
}

/// The new decoded text of `mapAccounts` with one more account.
pub(super) fn add_account(
    content: &str,
    parse: &crate::core::mapping::AccountsParse,
    id: &str,
    block_value: bool,
) -> String {
    let quote = parse
        .accounts
        .last()
        .map_or(Quote::Double, |a| render::quote_of(content, a.1));
    let item = render::account(id, quote);
    match (parse.shape, parse.accounts.last()) {
        (ListShape::Block, Some(last)) => {
            let dash = content[..last.1.start].rfind('-').unwrap_or(last.1.start);
            let col = dash - line_start(content, dash);
            insert_lines_after(
                content,
                last.1.end.saturating_sub(1),
                &format!("{}- {item}\n", " ".repeat(col)),
            )
        }
        (ListShape::Flow, Some(last)) => {
            let sep = if parse.accounts.len() >= 2 {
                let prev = parse.accounts[parse.accounts.len() - 2].1.end;
                if content[prev..last.1.start].contains(' ') {
                    ", "
                } else {
                    ","
                }
            } else {
                ", "
            };
            format!(
                "{}{sep}{item}{}",
                &content[..last.1.end],
                &content[last.1.end..]
            )
        }
        (ListShape::Flow, None) if !block_value || !is_lone_empty_flow(content) => {
            insert_into_empty_flow(content, parse.root.as_ref(), &item)
        }
        _ => replace_or_append_block(content, &format!("- {item}\n")),
    }
}

/// The new decoded text of a list with one entry's username and/or groups replaced in place: only
/// those values change (or a line is added for a missing field); the rest of the entry keeps its bytes.
pub(super) fn update_entry(
    content: &str,
    entry: &Entry,
    username: Option<&str>,
    groups: Option<&[String]>,
) -> String {
    let style = EntryStyle::of(entry, content);
    if entry.flow {
        let new = NewEntry {
            list: entry.list,
            arn: entry.arn.clone(),
            username: username
                .map(str::to_string)
                .or(Some(entry.username.clone())),
            groups: groups
                .map(<[String]>::to_vec)
                .unwrap_or_else(|| entry.groups.clone()),
        };
        let (a, b) = (entry.span.start, entry.span.end);
        return format!(
            "{}{}{}",
            &content[..a],
            render::render_flow(&new, &style),
            &content[b..]
        );
    }
    // Replacements as (start, end, text), applied from the end so earlier offsets stay valid.
    let mut edits: Vec<(usize, usize, String)> = vec![];
    let key_col = entry.fields.first().map_or(0, |f| {
        f.key_span.start - line_start(content, f.key_span.start)
    });
    let after_entry = line_end_incl(content, entry_end(entry).saturating_sub(1));
    let eol_before = |at: usize| {
        if at == content.len() && !content.ends_with('\n') {
            "\n"
        } else {
            ""
        }
    };
    if let Some(u) = username {
        let quote = entry
            .field("username")
            .map_or(Quote::Plain, |f| render::quote_of(content, f.value_span));
        let value = render::scalar(u, quote, u.starts_with("{{"));
        match entry.field("username") {
            // An empty value sits right after the `:`; the new one needs its space.
            Some(f) if f.value_span.start == f.value_span.end => {
                edits.push((f.value_span.start, f.value_span.end, format!(" {value}")))
            }
            Some(f) => edits.push((f.value_span.start, f.value_span.end, value)),
            None => {
                let at = line_end_incl(content, entry.span.start);
                let (pre, post) = if at == content.len() && !content.ends_with('\n') {
                    ("\n", "")
                } else {
                    ("", "\n")
                };
                edits.push((
                    at,
                    at,
                    format!("{pre}{}username: {value}{post}", " ".repeat(key_col)),
                ));
            }
        }
    }
    if let Some(g) = groups {
        let items: Vec<String> = g
            .iter()
            .map(|x| render::scalar(x, style.group_quote(), x.starts_with("{{")))
            .collect();
        match entry.field("groups") {
            Some(f)
                if content[f.value_span.start..].starts_with('[')
                    || g.is_empty()
                    || entry.group_spans.is_empty() =>
            {
                let flow = format!(
                    "[{}]",
                    items.join(if style.flow_groups_spaced() {
                        ", "
                    } else {
                        ","
                    })
                );
                let end = entry
                    .group_spans
                    .last()
                    .map_or(f.value_span.end, |l| l.end)
                    .max(f.value_span.end);
                let start = if content[f.value_span.start..].starts_with('[') {
                    f.value_span.start
                } else {
                    f.key_span.end + 1
                };
                let lead = if content[f.value_span.start..].starts_with('[') {
                    ""
                } else {
                    " "
                };
                edits.push((start, end, format!("{lead}{flow}")));
            }
            Some(_) => {
                // A block sequence: rewrite its item lines at the same indentation.
                let first = entry.group_spans[0];
                let last = *entry.group_spans.last().expect("non-empty");
                let dash = content[..first.start].rfind('-').unwrap_or(first.start);
                let start = line_start(content, dash);
                let end = line_end_incl(content, last.end.saturating_sub(1));
                let pad = " ".repeat(dash - start);
                let mut lines: String = items.iter().map(|i| format!("{pad}- {i}\n")).collect();
                if end == content.len() && !content.ends_with('\n') {
                    lines.pop();
                }
                edits.push((start, end, lines));
            }
            None => {
                let pad = " ".repeat(key_col);
                let block: String = if g.is_empty() {
                    format!("{pad}groups: []\n")
                } else {
                    let mut b = format!("{pad}groups:\n");
                    for i in &items {
                        b.push_str(&format!("{pad}  - {i}\n"));
                    }
                    b
                };
                let pre = eol_before(after_entry);
                let block = if pre.is_empty() {
                    block
                } else {
                    format!("{pre}{}", block.trim_end_matches('\n'))
                };
                edits.push((after_entry, after_entry, block));
            }
        }
    }
    // From the end; at one offset, the later edit first, so the earlier one ends up before it.
    let mut edits: Vec<(usize, (usize, usize, String))> = edits.into_iter().enumerate().collect();
    edits.sort_by_key(|(i, (start, _, _))| std::cmp::Reverse((*start, *i)));
    let mut out = content.to_string();
    for (_, (a, b, text)) in edits {
        out.replace_range(a..b, &text);
    }
    out
}
