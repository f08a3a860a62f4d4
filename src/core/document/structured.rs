//! The two carriers whose lists are structured YAML instead of strings: aws-iam-authenticator's config
//! (`server.mapRoles` …, in a file or in the `config.yaml` key of `kube-system/aws-iam-authenticator`) and
//! EKS Anywhere's `AWSIamConfig` (`spec.mapRoles` …).
//!
//! A block list is read as the text of its lines with the list's indentation removed: the same text the
//! aws-auth reader parses, so entries, errors and spans are the same. When those lines sit in the file
//! with one indentation (also through a `config.yaml: |` block), the list is a `Codec::Literal` slot and
//! the line-diff splice of the editor applies unchanged; otherwise the whole list is rewritten.

use super::codec::{self, Codec};
use super::edit::EditError;
use super::{
    AuthDocument, CarrierKind, ClusterDoc, DocumentError, Facts, Slot, scalar_kind_name,
    slot_offset, value_end,
};
use crate::core::mapping::DataKey;
use crate::core::yaml::{self, Node, NodeKind, Span, Style};

/// The key of the authenticator ConfigMap that holds its config.
pub(super) const CONFIG_KEY: &str = "config.yaml";
/// The ConfigMap kops and the authenticator's manifests use.
pub const AUTHENTICATOR_CONFIGMAP: &str = "aws-iam-authenticator";

/// The object that carries structured mappings.
pub(super) struct Found<'a> {
    pub kind: CarrierKind,
    pub doc_index: usize,
    pub list_item: Option<usize>,
    pub object: &'a Node,
    /// A ConfigMap whose `config.yaml` holds the config (else the config, or the AWSIamConfig, itself).
    pub configmap: bool,
}

/// The last entry of a mapping whose key matches (viper reads config keys case-insensitively).
fn get_ci<'a>(node: &'a Node, key: &str) -> Option<&'a (Node, Node)> {
    node.entries()
        .iter()
        .rev()
        .find(|(k, _)| k.as_str().is_some_and(|s| s.eq_ignore_ascii_case(key)))
}

fn get_exact<'a>(node: &'a Node, key: &str) -> Option<&'a (Node, Node)> {
    node.entries()
        .iter()
        .rev()
        .find(|(k, _)| k.as_str() == Some(key))
}

fn is_map(node: &Node) -> bool {
    matches!(node.kind, NodeKind::Map { .. })
}

fn candidate(node: &Node) -> Option<(CarrierKind, u8, bool)> {
    if !is_map(node) {
        return None;
    }
    let kind = node.get("kind").and_then(Node::as_str);
    match kind {
        Some("AWSIamConfig") => Some((CarrierKind::AwsIamConfig, 3, false)),
        Some("ConfigMap") => {
            let named = node
                .get("metadata")
                .and_then(|m| m.get("name"))
                .and_then(Node::as_str)
                == Some(AUTHENTICATOR_CONFIGMAP);
            let has_config = node.get("data").and_then(|d| d.get(CONFIG_KEY)).is_some();
            (named || has_config).then_some((
                CarrierKind::AuthenticatorConfig,
                if named { 3 } else { 2 },
                true,
            ))
        }
        Some(_) => None,
        None => {
            let server = get_ci(node, "server").is_some_and(|(_, v)| is_map(v));
            let cluster_id = get_ci(node, "clusterID").is_some();
            (server || cluster_id).then_some((CarrierKind::AuthenticatorConfig, 2, false))
        }
    }
}

/// Find the object of a structured carrier (`want`: only that kind).
pub(super) fn find(docs: &[Node], want: Option<CarrierKind>) -> Option<Found<'_>> {
    let mut best: Option<(u8, Found<'_>)> = None;
    for (d, doc) in docs.iter().enumerate() {
        let mut nodes: Vec<(Option<usize>, &Node)> = vec![(None, doc)];
        if doc.get("kind").and_then(Node::as_str) == Some("List")
            && let Some(NodeKind::Seq { items, .. }) = doc.get("items").map(|n| &n.kind)
        {
            nodes = items
                .iter()
                .enumerate()
                .map(|(i, n)| (Some(i), n))
                .collect();
        }
        for (item, node) in nodes {
            let Some((kind, score, configmap)) = candidate(node) else {
                continue;
            };
            if want.is_some_and(|w| w != kind) {
                continue;
            }
            if best.as_ref().is_none_or(|(s, _)| score > *s) {
                best = Some((
                    score,
                    Found {
                        kind,
                        doc_index: d,
                        list_item: item,
                        object: node,
                        configmap,
                    },
                ));
            }
        }
    }
    best.map(|(_, f)| f)
}

pub(super) fn not_found(source_name: &str, kind: CarrierKind) -> DocumentError {
    let (looked_for, next) = match kind {
        CarrierKind::AuthenticatorConfig => (
            "no ConfigMap `aws-iam-authenticator` or with a `config.yaml` key, and no config with `server:` or `clusterID`",
            "point -f at the authenticator's config file or its ConfigMap manifest",
        ),
        CarrierKind::AwsIamConfig => (
            "no document of kind `AWSIamConfig`",
            "point -f at the EKS Anywhere cluster spec that holds the AWSIamConfig",
        ),
        CarrierKind::AwsAuth => ("", ""),
    };
    DocumentError::KindNotFound {
        source_name: source_name.to_string(),
        what: kind.label(),
        looked_for,
        next,
    }
}

/// Where one list is in the container text (the file, or the decoded `config.yaml`).
#[derive(Debug, Clone)]
pub(super) struct Place {
    pub key: DataKey,
    /// Just after the `:` of the key.
    pub colon_end: usize,
    /// The end of the value (its last line, without the line break).
    pub value_end: usize,
    /// The column of a block list's dashes.
    pub block_col: Option<usize>,
    pub key_col: usize,
}

/// How the structured lists sit in the document, for edits that add or rewrite a whole list.
#[derive(Debug, Clone, Default)]
pub(super) struct Layout {
    /// The decoded `config.yaml` and its value in the file, when the lists are inside a ConfigMap.
    pub inner: Option<(String, Slot)>,
    /// The mapping holding the lists (`server:`/`spec:`) exists, is in block style, and where a new key
    /// goes, at which column, with which extra indentation for a new list.
    pub has_container: bool,
    pub container_flow: bool,
    pub append_at: Option<usize>,
    pub key_col: usize,
    pub list_offset: usize,
    pub places: Vec<Place>,
}

use super::lists::line_start;

/// The end of the line holding `pos`, before its line break.
fn line_end(s: &str, pos: usize) -> usize {
    let pos = pos.min(s.len());
    let end = s.as_bytes()[pos..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(s.len(), |i| pos + i);
    if end > pos && s.as_bytes()[end - 1] == b'\r' {
        end - 1
    } else {
        end
    }
}

fn is_empty_plain(node: &Node) -> bool {
    matches!(&node.kind, NodeKind::Scalar { value, style: Style::Plain, .. } if value.is_empty())
}

/// The end of the last thing written in a node (its span may run on to the next token).
fn deep_end(text: &str, node: &Node) -> usize {
    match &node.kind {
        NodeKind::Scalar {
            style: Style::Literal | Style::Folded,
            ..
        } => value_end(text, node),
        NodeKind::Scalar { .. } => node.span.end,
        NodeKind::Seq { flow: true, .. } | NodeKind::Map { flow: true, .. } => node.span.end,
        NodeKind::Seq { items, .. } => items
            .last()
            .map_or(node.span.start + 1, |i| deep_end(text, i)),
        NodeKind::Map { entries, .. } => entries.last().map_or(node.span.end, |(k, v)| {
            if is_empty_plain(v) {
                k.span.end
            } else {
                deep_end(text, v).max(k.span.end)
            }
        }),
    }
}

/// The lines `[start, end)` with `col` columns of indentation removed (less-indented comments kept
/// without it), each followed by `\n`.
fn dedent(text: &str, start: usize, end: usize, col: usize) -> String {
    let mut out = String::new();
    for line in text[start..end].split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        let spaces = line.bytes().take_while(|&b| b == b' ').count();
        if spaces >= col {
            out.push_str(&line[col..]);
        } else {
            out.push_str(line.trim_start());
        }
        out.push('\n');
    }
    out
}

struct Reader<'t> {
    text: &'t str,
    ctext: &'t str,
    outer: Option<&'t Slot>,
    /// The indentation the file adds to container lines (0 for the file itself, the `config.yaml`
    /// block's for a ConfigMap); `None` when the container is not a literal block in the file.
    outer_indent: Option<usize>,
    eol: &'static str,
}

impl Reader<'_> {
    fn to_file(&self, offset: usize) -> usize {
        match self.outer {
            Some(slot) => slot_offset(slot, offset),
            None => offset,
        }
    }

    fn span(&self, span: Span) -> Span {
        Span {
            start: self.to_file(span.start),
            end: self.to_file(span.end),
            ..span
        }
    }

    fn slot(&self, key: DataKey, k: &Node, v: &Node) -> (Slot, Place) {
        let ctext = self.ctext;
        let colon_end = ctext[k.span.end..]
            .find(':')
            .map_or(k.span.end, |i| k.span.end + i + 1);
        let mut slot = Slot {
            key,
            key_span: self.span(k.span),
            value_span: self.span(v.span),
            style: None,
            wrong_type: None,
            content: String::new(),
            codec: Codec::Opaque,
            content_lines: vec![0],
        };
        let mut place = Place {
            key,
            colon_end,
            value_end: colon_end,
            block_col: None,
            key_col: line_start(ctext, k.span.start).abs_diff(k.span.start),
        };
        match &v.kind {
            NodeKind::Seq { flow: false, .. } => {
                let ls = line_start(ctext, v.span.start);
                let col = ctext[ls..].bytes().take_while(|&b| b == b' ').count();
                let end = line_end(ctext, deep_end(ctext, v));
                slot.content = dedent(ctext, ls, end, col);
                place.value_end = end;
                place.block_col = Some(col);
                if let Some(oi) = self.outer_indent {
                    let fls = line_start(self.text, self.to_file(ls + col));
                    let lines = codec::structured_lines(self.text, fls, col + oi);
                    if !lines.is_empty()
                        && codec::literal_core(self.text, &lines) + "\n" == slot.content
                    {
                        slot.codec = Codec::Literal {
                            indent: col + oi,
                            lines,
                            suffix: "\n".into(),
                            eol: self.eol,
                        };
                    }
                }
            }
            NodeKind::Seq { flow: true, .. } => {
                slot.content = ctext[v.span.start..v.span.end].to_string();
                place.value_end = v.span.end;
            }
            NodeKind::Scalar { value, style, tag }
                if yaml::resolve(value, *style, tag.as_deref()) == yaml::Resolved::Null =>
            {
                if !ctext[colon_end..v.span.end.max(colon_end)]
                    .trim()
                    .is_empty()
                {
                    place.value_end = v.span.end;
                }
            }
            _ => {
                slot.wrong_type = Some(scalar_kind_name(v));
                place.value_end = value_end(ctext, v);
            }
        }
        slot.content_lines = std::iter::once(0)
            .chain(slot.content.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        (slot, place)
    }
}

fn clusters_of(docs: &[Node]) -> Vec<ClusterDoc> {
    let mut out = vec![];
    for doc in docs {
        if doc.get("kind").and_then(Node::as_str) != Some("Cluster") {
            continue;
        }
        let refs = match doc
            .get("spec")
            .and_then(|s| s.get("identityProviderRefs"))
            .map(|n| &n.kind)
        {
            Some(NodeKind::Seq { items, .. }) => items
                .iter()
                .map(|r| {
                    (
                        r.get("kind")
                            .and_then(Node::as_str)
                            .unwrap_or("")
                            .to_string(),
                        r.get("name")
                            .and_then(Node::as_str)
                            .unwrap_or("")
                            .to_string(),
                    )
                })
                .collect(),
            _ => vec![],
        };
        out.push(ClusterDoc {
            name: doc
                .get("metadata")
                .and_then(|m| m.get("name"))
                .and_then(Node::as_str)
                .map(str::to_string),
            refs,
            offset: doc.span.start,
            gitops: doc.get("spec").and_then(|s| s.get("gitOpsRef")).map(|g| {
                g.get("name")
                    .and_then(Node::as_str)
                    .unwrap_or("")
                    .to_string()
            }),
        });
    }
    out
}

fn strings_of(node: &Node) -> Vec<String> {
    match &node.kind {
        NodeKind::Seq { items, .. } => items
            .iter()
            .filter_map(|i| i.as_str().map(str::to_string))
            .collect(),
        NodeKind::Scalar { value, .. } if !value.is_empty() => value
            .split(',')
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect(),
        _ => vec![],
    }
}

/// Read the structured lists and the carrier's facts. `outer` is the `config.yaml` value of a ConfigMap.
pub(super) fn read(
    text: &str,
    docs: &[Node],
    found: &Found<'_>,
    outer: Option<Slot>,
    eol: &'static str,
    facts: &mut Facts,
) -> (Vec<Slot>, Layout) {
    let c = &mut facts.carrier;
    c.kind = found.kind;
    c.in_configmap = found.configmap;
    c.container_offset = Some(found.object.span.start);
    if found.kind == CarrierKind::AwsIamConfig {
        c.clusters = clusters_of(docs);
    }
    let mut layout = Layout {
        list_offset: 2,
        ..Layout::default()
    };
    let inner_docs;
    let (ctext, root, outer_indent): (&str, Option<&Node>, Option<usize>) = if found.configmap {
        let Some(slot) = outer.as_ref() else {
            c.inner_error = Some((
                format!(
                    "the ConfigMap has no `{CONFIG_KEY}` key, so the authenticator has no config"
                ),
                found.object.span.start,
            ));
            return (vec![], layout);
        };
        if let Some(what) = slot.wrong_type {
            c.inner_error = Some((
                format!(
                    "`{CONFIG_KEY}` is a YAML {what}, not a string; the API server refuses the ConfigMap"
                ),
                slot.key_span.start,
            ));
            return (vec![], layout);
        }
        inner_docs = match yaml::parse_stream(&slot.content) {
            Ok(d) => d,
            Err(e) => {
                c.inner_error = Some((
                    format!(
                        "`{CONFIG_KEY}` is not valid YAML ({}); the authenticator cannot load its config and does not start",
                        e.problem()
                    ),
                    slot_offset(slot, e.offset),
                ));
                return (vec![], layout);
            }
        };
        let indent = match &slot.codec {
            Codec::Literal { indent, .. } => Some(*indent),
            _ => None,
        };
        (slot.content.as_str(), inner_docs.first(), indent)
    } else {
        (text, Some(found.object), Some(0))
    };
    let reader = Reader {
        text,
        ctext,
        outer: if found.configmap {
            outer.as_ref()
        } else {
            None
        },
        outer_indent,
        eol,
    };
    let Some(root) = root.filter(|r| is_map(r)) else {
        c.inner_error = Some((
            format!(
                "`{CONFIG_KEY}` holds no configuration mapping; the authenticator does not start"
            ),
            outer
                .as_ref()
                .map_or(found.object.span.start, |s| s.key_span.start),
        ));
        return (vec![], layout);
    };
    let container = match found.kind {
        CarrierKind::AwsIamConfig => get_exact(root, "spec"),
        _ => {
            if let Some((k, v)) = get_ci(root, "clusterID") {
                let id = v.as_str().unwrap_or("").to_string();
                c.cluster_id = Some((id, reader.to_file(k.span.start)));
            }
            get_ci(root, "server")
        }
    };
    let mut slots: Vec<Slot> = vec![];
    let Some((ck, cv)) = container.filter(|(_, v)| is_map(v)) else {
        return (slots, layout);
    };
    c.container_offset = Some(reader.to_file(ck.span.start));
    let before = facts.duplicate_keys.len();
    super::duplicates(cv, &mut facts.duplicate_keys);
    for d in facts.duplicate_keys.iter_mut().skip(before) {
        d.1 = reader.span(d.1);
    }
    let c = &mut facts.carrier;
    if let Some((k, v)) = get_ci(cv, "backendMode") {
        c.backend_modes = Some((strings_of(v), reader.to_file(k.span.start)));
    }
    if found.kind == CarrierKind::AwsIamConfig
        && let Some((k, v)) = get_exact(cv, "partition")
    {
        c.partition = Some((
            v.as_str().unwrap_or("").to_string(),
            reader.to_file(k.span.start),
        ));
    }
    layout.has_container = true;
    layout.container_flow = matches!(cv.kind, NodeKind::Map { flow: true, .. });
    if let Some((k, v)) = cv.entries().last() {
        layout.key_col = line_start(ctext, k.span.start).abs_diff(k.span.start);
        layout.append_at = Some(match &v.kind {
            NodeKind::Seq { flow: false, .. } | NodeKind::Map { flow: false, .. } => {
                line_end(ctext, deep_end(ctext, v))
            }
            _ if is_empty_plain(v) => line_end(ctext, k.span.end),
            _ => value_end(ctext, v),
        });
    }
    for (k, v) in cv.entries() {
        let Some(name) = k.as_str() else { continue };
        let key = match found.kind {
            CarrierKind::AwsIamConfig => DataKey::from_exact(name),
            _ => DataKey::ALL
                .into_iter()
                .find(|d| d.as_str().eq_ignore_ascii_case(name)),
        };
        let Some(key) = key else {
            if DataKey::ALL
                .iter()
                .any(|d| d.as_str().eq_ignore_ascii_case(name.trim()))
            {
                facts
                    .wrong_case_keys
                    .push((name.to_string(), reader.span(k.span)));
            }
            continue;
        };
        let (slot, place) = reader.slot(key, k, v);
        if let Some(col) = place.block_col {
            layout.list_offset = col.saturating_sub(place.key_col);
        }
        slots.retain(|s| s.key != key);
        layout.places.retain(|p| p.key != key);
        slots.push(slot);
        layout.places.push(place);
    }
    if found.configmap {
        layout.inner = outer.clone().map(|o| (ctext.to_string(), o));
    }
    (slots, layout)
}

/// A list written as block lines at `indent` after its key (or ` []` when it is empty).
fn encode_list(content: &str, indent: usize, eol: &str) -> String {
    let body = content.trim_end_matches('\n');
    if body.trim().is_empty() || body.trim() == "[]" {
        return " []".into();
    }
    // A flow list (JSON included) is its own text, continuation lines already indented: kept inline.
    if body.trim_start().starts_with('[') {
        return format!(" {}", body.trim());
    }
    let mut out = String::new();
    for line in body.split('\n') {
        out.push_str(eol);
        let line = line.trim_end_matches('\r');
        if !line.trim().is_empty() {
            out.push_str(&" ".repeat(indent));
            out.push_str(line);
        }
    }
    out
}

impl AuthDocument {
    /// Rewrite (or add) one structured list whole, in the container text, and put the container back
    /// into the file (through the `config.yaml` block for a ConfigMap).
    pub(super) fn put_structured_list(
        &self,
        key: DataKey,
        content: &str,
    ) -> Result<String, EditError> {
        let layout = self
            .layout
            .as_ref()
            .ok_or_else(|| EditError::Unsupported("not a structured carrier".into()))?;
        let kind = self.facts.carrier.kind;
        let ctext: &str = layout.inner.as_ref().map_or(&self.text, |(t, _)| t);
        // A decoded `config.yaml` has `\n` line breaks; the block splice writes the file's own.
        let eol = if layout.inner.is_some() {
            "\n"
        } else {
            self.eol
        };
        let new_ctext = match layout.places.iter().find(|p| p.key == key) {
            Some(p) => {
                let indent = p.block_col.unwrap_or(p.key_col + layout.list_offset);
                format!(
                    "{}{}{}",
                    &ctext[..p.colon_end],
                    encode_list(content, indent, eol),
                    &ctext[p.value_end..]
                )
            }
            None => {
                let container = if kind == CarrierKind::AwsIamConfig {
                    "spec"
                } else {
                    "server"
                };
                if !layout.has_container {
                    return Err(EditError::Unsupported(format!(
                        "{}: the {} has no `{container}:` mapping to add `{}` to; add `{container}:` first",
                        self.source_name,
                        kind.label(),
                        key.as_str()
                    )));
                }
                let Some(at) = layout.append_at.filter(|_| !layout.container_flow) else {
                    return Err(EditError::Unsupported(format!(
                        "{}: `{container}` is empty or written in flow style; add `{}:` under it by hand first",
                        self.source_name,
                        key.as_str()
                    )));
                };
                format!(
                    "{}{eol}{}{}:{}{}",
                    &ctext[..at],
                    " ".repeat(layout.key_col),
                    key.as_str(),
                    encode_list(content, layout.key_col + layout.list_offset, eol),
                    &ctext[at..]
                )
            }
        };
        Ok(match &layout.inner {
            Some((_, outer)) => self
                .splice_slot(outer, &new_ctext)
                .unwrap_or_else(|| self.reencode_slot(outer, &new_ctext)),
            None => new_ctext,
        })
    }

    /// Whether the lists are structured (authenticator config, AWSIamConfig).
    pub(super) fn is_structured(&self) -> bool {
        self.layout.is_some()
    }
}
