//! The round-trip aws-auth document: the file's exact text, where the aws-auth ConfigMap is in it (single
//! or multi-document YAML, JSON, `List`, `kubectl get` dumps, data-only fragments), each data value with
//! the map from its decoded text back to file bytes, and the three lists read the authenticator's way.

pub mod codec;
mod edit;
mod lists;
pub mod live;
mod render;
mod structured;

pub use edit::{EditError, EditOutcome, EditPlan, NewEntry};
pub use structured::AUTHENTICATOR_CONFIGMAP;

use crate::core::mapping::{
    AccountsParse, DataKey, Entry, ListKind, ListParse, parse_accounts, parse_list,
};
use crate::core::yaml::{self, Node, NodeKind, Span, Style};
use codec::Codec;
use thiserror::Error;

/// Lists larger than this are read in parallel with each other.
const PARALLEL_BYTES: usize = 64 * 1024;

/// Why a file cannot be read as an aws-auth manifest at all.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DocumentError {
    #[error(
        "{source_name}:{line}:{col}: not valid YAML or JSON: {message}; kubectl would refuse this file too. Fix the syntax at that line and run `iamidmap validate -f {source_name}` again"
    )]
    Syntax {
        source_name: String,
        line: usize,
        col: usize,
        message: String,
    },
    #[error(
        "{source_name}: no aws-auth ConfigMap found (no document with `mapRoles`, `mapUsers` or `mapAccounts` data, and no ConfigMap named `aws-auth`); point -f at the aws-auth manifest"
    )]
    NotFound { source_name: String },
    #[error("{source_name}: no {what} found ({looked_for}); {next}")]
    KindNotFound {
        source_name: String,
        what: &'static str,
        looked_for: &'static str,
        next: &'static str,
    },
}

/// Which of the three carriers of identity mappings a document is (docs/carriers.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash, serde::Serialize)]
pub enum CarrierKind {
    /// The EKS `kube-system/aws-auth` ConfigMap: each list is a YAML string (EKSConfigMap backend).
    #[default]
    #[serde(rename = "aws-auth")]
    AwsAuth,
    /// aws-iam-authenticator's own config (kops, self-managed): `server.mapRoles` etc. as structured YAML,
    /// in the file on disk or in the `config.yaml` key of `kube-system/aws-iam-authenticator`
    /// (MountedFile backend).
    #[serde(rename = "authenticator-config")]
    AuthenticatorConfig,
    /// An EKS Anywhere `AWSIamConfig` in a cluster spec: `spec.mapRoles`/`spec.mapUsers`, rendered by
    /// EKS Anywhere into the authenticator's mounted config (MountedFile backend).
    #[serde(rename = "awsiamconfig")]
    AwsIamConfig,
}

impl CarrierKind {
    pub const ALL: [CarrierKind; 3] = [
        CarrierKind::AwsAuth,
        CarrierKind::AuthenticatorConfig,
        CarrierKind::AwsIamConfig,
    ];

    /// The name `--kind` takes.
    pub fn as_str(self) -> &'static str {
        match self {
            CarrierKind::AwsAuth => "aws-auth",
            CarrierKind::AuthenticatorConfig => "authenticator-config",
            CarrierKind::AwsIamConfig => "awsiamconfig",
        }
    }

    /// What it is, for messages.
    pub fn label(self) -> &'static str {
        match self {
            CarrierKind::AwsAuth => "aws-auth ConfigMap",
            CarrierKind::AuthenticatorConfig => "aws-iam-authenticator config",
            CarrierKind::AwsIamConfig => "EKS Anywhere AWSIamConfig",
        }
    }

    /// The backend whose rules read the lists.
    pub fn backend(self) -> crate::core::mapping::backend::BackendMode {
        use crate::core::mapping::backend::BackendMode;
        match self {
            CarrierKind::AwsAuth => BackendMode::EksConfigMap,
            _ => BackendMode::MountedFile,
        }
    }

    /// Whether the lists are structured YAML (not strings).
    pub fn structured(self) -> bool {
        self != CarrierKind::AwsAuth
    }

    /// How a list key is named in messages: `mapRoles`, `server.mapRoles`, `spec.mapRoles`.
    pub fn key_path(self, key: DataKey) -> String {
        match self {
            CarrierKind::AwsAuth => key.as_str().to_string(),
            CarrierKind::AuthenticatorConfig => format!("server.{}", key.as_str()),
            CarrierKind::AwsIamConfig => format!("spec.{}", key.as_str()),
        }
    }
}

/// A `Cluster` document of an EKS Anywhere cluster spec, with its `spec.identityProviderRefs`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClusterDoc {
    pub name: Option<String>,
    /// `(kind, name)` of each reference.
    pub refs: Vec<(String, String)>,
    /// Where the document starts (file offset).
    pub offset: usize,
    /// `spec.gitOpsRef`: Flux applies the spec from Git (the name of the FluxConfig).
    pub gitops: Option<String>,
}

/// What the carrier adds beyond the lists (read for lint and for `verify`'s backend chain).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CarrierFacts {
    pub kind: CarrierKind,
    /// The lists are inside the `config.yaml` value of a ConfigMap (authenticator config).
    pub in_configmap: bool,
    /// The authenticator config's `clusterID`, with its file offset.
    pub cluster_id: Option<(String, usize)>,
    /// The backend modes the carrier lists (`spec.backendMode`, `server.backendMode`) and where.
    pub backend_modes: Option<(Vec<String>, usize)>,
    /// `spec.partition` (EKS Anywhere) and where.
    pub partition: Option<(String, usize)>,
    /// Where the mapping that holds the lists (`server:`, `spec:`) is, or the object when it is absent.
    pub container_offset: Option<usize>,
    /// The `Cluster` documents of an EKS Anywhere cluster spec.
    pub clusters: Vec<ClusterDoc>,
    /// Why `config.yaml` cannot be read (the authenticator does not start), and where.
    pub inner_error: Option<(String, usize)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Yaml,
    Json,
}

/// What kind of object holds the mappings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// A full object (`kind: ConfigMap`, or some other kind).
    Object,
    /// A `{data: {…}}` fragment without apiVersion/kind/metadata: usable only with `kubectl patch`.
    DataFragment,
    /// A bare mapping of `mapRoles`/`mapUsers`/`mapAccounts` (no `data`).
    BareKeys,
}

/// One of the three data keys present in the file, with how its value is written.
#[derive(Debug, Clone, PartialEq)]
pub struct Slot {
    pub key: DataKey,
    pub key_span: Span,
    pub value_span: Span,
    /// The scalar style, or `None` when the value is not a string (a list or mapping: kubectl refuses).
    pub style: Option<Style>,
    /// What the value is when it is not a string (`sequence`, `mapping`, `number`, `boolean`).
    pub wrong_type: Option<&'static str>,
    /// The decoded string (empty when not a string).
    pub content: String,
    pub codec: Codec,
    /// Start offsets of the decoded lines of `content`.
    content_lines: Vec<usize>,
}

/// Facts about the object for lint: identity, shape and the oddities kubectl or the authenticator care about.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Facts {
    pub api_version: Option<String>,
    pub kind: Option<String>,
    pub name: Option<String>,
    pub namespace: Option<String>,
    pub has_metadata: bool,
    /// The object's own span (for findings about it).
    pub object_span: Span,
    pub metadata_span: Option<Span>,
    /// Data keys that look like map keys in another case (`maproles`), ignored by the authenticator.
    pub wrong_case_keys: Vec<(String, Span)>,
    /// Keys written twice in the object, its metadata or its data.
    pub duplicate_keys: Vec<(String, Span)>,
    /// Other data keys (kept, ignored by the authenticator).
    pub other_data_keys: Vec<String>,
    pub has_last_applied: bool,
    /// Size of the data as the API server counts it against its 1 MiB limit (the values' bytes).
    pub data_bytes: usize,
    /// Number of YAML documents in the file.
    pub documents: usize,
    /// Every data key with a string value, in document order (what the API object's `data` would hold).
    pub data_strings: Vec<(String, String)>,
    /// Which carrier this is, and what it says beyond the lists.
    pub carrier: CarrierFacts,
}

#[derive(Debug, Clone, PartialEq)]
struct Carrier {
    doc_index: usize,
    list_item: Option<usize>,
    shape: Shape,
    /// The mapping node holding the data keys, if there is one.
    data_span: Option<Span>,
    data_flow: bool,
    /// Where a new data key goes (after the last data entry), and the key column.
    append_at: Option<usize>,
    /// When the last data value is a block scalar that ends the file without a line break, a key added
    /// after it would give it one (its value would change): the new key goes before that entry's line.
    insert_before_last: Option<usize>,
    key_col: usize,
    /// The object mapping's span and whether it is flow (JSON).
    object_span: Span,
    object_flow: bool,
    object_key_col: usize,
}

/// A file holding an aws-auth ConfigMap, read losslessly.
#[derive(Debug, Clone)]
pub struct AuthDocument {
    pub source_name: String,
    pub text: String,
    line_starts: Vec<usize>,
    pub format: Format,
    pub eol: &'static str,
    pub shape: Shape,
    pub slots: Vec<Slot>,
    pub roles: ListParse,
    pub users: ListParse,
    pub accounts: AccountsParse,
    pub facts: Facts,
    carrier: Carrier,
    /// Where the structured lists of the authenticator config or AWSIamConfig are (None for aws-auth).
    layout: Option<structured::Layout>,
}

/// A position in the file, 1-based.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct Location {
    pub line: usize,
    pub column: usize,
}

fn scalar_kind_name(node: &Node) -> &'static str {
    match &node.kind {
        NodeKind::Seq { .. } => "sequence",
        NodeKind::Map { .. } => "mapping",
        NodeKind::Scalar { value, style, tag } => {
            match yaml::resolve(value, *style, tag.as_deref()) {
                yaml::Resolved::Bool(_) => "boolean",
                yaml::Resolved::Int | yaml::Resolved::Float => "number",
                yaml::Resolved::Null => "null",
                yaml::Resolved::Str => "string",
            }
        }
    }
}

fn has_map_keys(node: &Node) -> bool {
    node.entries().iter().any(|(k, _)| {
        k.as_str().is_some_and(|s| {
            DataKey::ALL
                .iter()
                .any(|d| d.as_str().eq_ignore_ascii_case(s.trim()))
        })
    })
}

fn duplicates(node: &Node, out: &mut Vec<(String, Span)>) {
    let mut seen: Vec<&str> = vec![];
    for (k, _) in node.entries() {
        if let Some(s) = k.as_str() {
            if seen.contains(&s) {
                out.push((s.to_string(), k.span));
            }
            seen.push(s);
        }
    }
}

/// The last value for a key (a lenient reader keeps the last of duplicate keys).
fn last_get<'a>(node: &'a Node, key: &str) -> Option<&'a Node> {
    node.entries()
        .iter()
        .rev()
        .find(|(k, _)| k.as_str() == Some(key))
        .map(|(_, v)| v)
}

fn str_of(node: Option<&Node>) -> Option<String> {
    node.and_then(|n| n.as_str()).map(|s| s.to_string())
}

impl AuthDocument {
    /// Read a manifest, detecting its carrier. Only a file that is not YAML at all, or holds nothing like
    /// identity mappings, is an error; everything else (broken values, wrong keys) is kept for lint.
    pub fn parse(source_name: &str, text: String) -> Result<AuthDocument, DocumentError> {
        Self::parse_as(source_name, text, None)
    }

    /// Read the same carrier again from an edited text (edits never change what a file is).
    pub fn reparse(&self, text: String) -> Result<AuthDocument, DocumentError> {
        Self::parse_as(&self.source_name, text, Some(self.facts.carrier.kind))
    }

    /// Read a manifest as the given carrier (`--kind`), or detect it: an aws-auth ConfigMap first, then an
    /// `AWSIamConfig`, then an aws-iam-authenticator config (file or ConfigMap).
    pub fn parse_as(
        source_name: &str,
        text: String,
        kind: Option<CarrierKind>,
    ) -> Result<AuthDocument, DocumentError> {
        let docs = parse_yaml(source_name, &text)?;
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        let eol = if text.contains("\r\n") { "\r\n" } else { "\n" };
        let (found, (doc_index, list_item, object)) = locate(source_name, &docs, kind)?;
        let format = if text.trim_start().starts_with(['{', '[']) {
            Format::Json
        } else {
            Format::Yaml
        };
        let (mut facts, shape, data_node) = object_facts(object, docs.len());
        let object_key_col = object
            .entries()
            .first()
            .map_or(0, |(k, _)| k.span.col.saturating_sub(1));
        let mut carrier = Carrier {
            doc_index,
            list_item,
            shape,
            data_span: None,
            data_flow: false,
            append_at: None,
            insert_before_last: None,
            key_col: object_key_col + 2,
            object_span: object.span,
            object_flow: matches!(object.kind, NodeKind::Map { flow: true, .. }),
            object_key_col,
        };
        // The data of a ConfigMap: aws-auth's three keys, or the authenticator's `config.yaml`.
        let data = match shape {
            Shape::BareKeys => Some(object),
            _ => data_node,
        };
        let mut slots = vec![];
        let mut config_yaml = None;
        if let Some(data) = data.filter(|d| {
            found.as_ref().is_none_or(|f| f.configmap) && matches!(d.kind, NodeKind::Map { .. })
        }) {
            let read = ConfigMapData {
                text: &text,
                data,
                shape,
                data_node_present: data_node.is_some(),
                other_carrier: found.is_some(),
            };
            (slots, config_yaml) = read.read(&mut facts, &mut carrier);
        }
        // The authenticator config and the AWSIamConfig: their own reader.
        let layout = found.as_ref().map(|f| {
            // The `config.yaml` value is read like a list value (its codec maps its text to file bytes);
            // its `key` field is unused.
            let outer = config_yaml.map(|(k, v)| read_slot(&text, DataKey::MapRoles, k, v));
            let (read, layout) = structured::read(&text, &docs, f, outer, eol, &mut facts);
            slots = read;
            layout
        });
        let (roles, users, accounts) = read_lists(&slots, facts.carrier.kind.structured());
        Ok(AuthDocument {
            source_name: source_name.to_string(),
            text,
            line_starts,
            format,
            eol,
            shape,
            slots,
            roles,
            users,
            accounts,
            facts,
            carrier,
            layout,
        })
    }

    pub fn slot(&self, key: DataKey) -> Option<&Slot> {
        self.slots.iter().find(|s| s.key == key)
    }

    /// The entries the authenticator keeps (valid ones), roles then users, in document order.
    pub fn valid_entries(&self) -> impl Iterator<Item = &Entry> {
        self.roles
            .entries
            .iter()
            .chain(self.users.entries.iter())
            .filter(|e| e.is_valid())
    }

    /// The backends the authenticator searches, in order (aws-iam-authenticator pkg/mapper/mapper.go, pkg/server/server.go): EKSConfigMap for aws-auth;
    /// the config's `server.backendMode` (default MountedFile) for the authenticator config; MountedFile
    /// (where EKS Anywhere renders `spec.mapRoles`/`mapUsers`) then `spec.backendMode` for an
    /// AWSIamConfig. An invalid list is the authenticator's refusal to start.
    pub fn backend_chain(&self) -> Result<Vec<crate::core::mapping::backend::BackendMode>, String> {
        use crate::core::mapping::backend::{BackendMode, validate_backend_modes};
        let c = &self.facts.carrier;
        let listed = |modes: &[String]| {
            validate_backend_modes(&modes.iter().map(String::as_str).collect::<Vec<_>>())
        };
        match c.kind {
            CarrierKind::AwsAuth => Ok(vec![BackendMode::EksConfigMap]),
            CarrierKind::AuthenticatorConfig => match &c.backend_modes {
                Some((modes, _)) => listed(modes),
                None => Ok(vec![BackendMode::MountedFile]),
            },
            CarrierKind::AwsIamConfig => {
                let mut chain = vec![BackendMode::MountedFile];
                let modes = c.backend_modes.as_ref().map_or(&[][..], |(m, _)| m);
                for m in listed(modes)? {
                    if !chain.contains(&m) {
                        chain.push(m);
                    }
                }
                Ok(chain)
            }
        }
    }

    pub fn list(&self, kind: ListKind) -> &ListParse {
        match kind {
            ListKind::Roles => &self.roles,
            ListKind::Users => &self.users,
        }
    }

    /// The effective mapping the authenticator builds from this document.
    pub fn effective(&self) -> crate::core::mapping::EffectiveMapping<'_> {
        let accounts: Vec<String> = self.accounts.accounts.iter().map(|a| a.0.clone()).collect();
        crate::core::mapping::EffectiveMapping::new(
            &self.roles.entries,
            &self.users.entries,
            &accounts,
        )
    }

    /// Line and column of a byte offset in the file.
    pub fn location(&self, offset: usize) -> Location {
        let line = self.line_starts.partition_point(|&s| s <= offset).max(1);
        let start = self.line_starts[line - 1];
        let column = self.text[start..offset.min(self.text.len())]
            .chars()
            .count()
            + 1;
        Location { line, column }
    }

    /// The file offset of a byte offset inside a data value's decoded text.
    pub fn file_offset(&self, key: DataKey, inner: usize) -> usize {
        self.slot(key).map_or(0, |slot| slot_offset(slot, inner))
    }

    /// Where a span inside a data value is in the file.
    pub fn inner_location(&self, key: DataKey, span: Span) -> Location {
        self.location(self.file_offset(key, span.start))
    }

    /// Where an entry starts in the file.
    pub fn entry_location(&self, entry: &Entry) -> Location {
        self.inner_location(entry.list.data_key(), entry.span)
    }

    /// The location of a data key itself (or of the object when absent).
    pub fn key_location(&self, key: DataKey) -> Location {
        match self.slot(key) {
            Some(s) => self.location(s.key_span.start),
            None => self.location(self.facts.object_span.start),
        }
    }
}

/// The file offset of a byte offset inside a value's decoded text.
fn slot_offset(slot: &Slot, inner: usize) -> usize {
    match &slot.codec {
        Codec::Quoted { map, .. } => map[inner.min(map.len() - 1)],
        Codec::Literal { lines, .. } => {
            let line = slot.content_lines.partition_point(|&s| s <= inner).max(1) - 1;
            match lines.get(line) {
                Some(raw) => (raw.content + (inner - slot.content_lines[line])).min(raw.end),
                None => lines.last().map_or(slot.value_span.start, |l| l.end),
            }
        }
        Codec::Opaque => slot.value_span.start,
    }
}

/// The end of a value in the file, for appending after it: a literal block ends with its last
/// content line, anything else at its own end.
/// Whether a line holds a chart's template action (`{{ .Values.x }}`, `{{- toYaml … }}`), not only the
/// authenticator's own placeholders (`{{EC2PrivateDNSName}}`, `{{SessionName}}`, …).
fn chart_template(line: &str) -> bool {
    const PLACEHOLDERS: [&str; 5] = [
        "EC2PrivateDNSName",
        "SessionName",
        "SessionNameRaw",
        "AccountID",
        "AccessKeyID",
    ];
    line.match_indices("{{").any(|(i, _)| {
        let inner = &line[i + 2..];
        let inner = inner.find("}}").map_or(inner, |end| &inner[..end]);
        !PLACEHOLDERS.contains(&inner)
    })
}

/// The start of `key`'s line when `value` is a block scalar with no line break after its end at `at`
/// (the end of the file): text appended there would become part of the scalar.
fn block_at_eof(text: &str, key: &Node, value: &Node, at: usize) -> Option<usize> {
    let block = matches!(
        value.kind,
        NodeKind::Scalar {
            style: Style::Literal | Style::Folded,
            ..
        }
    );
    if !block || text[at.min(text.len())..].contains('\n') {
        return None;
    }
    let line_start = text[..key.span.start].rfind('\n').map_or(0, |i| i + 1);
    // Only when the key starts its line (block style), so that a whole entry can go before it.
    text[line_start..key.span.start]
        .bytes()
        .all(|b| b == b' ')
        .then_some(line_start)
}

fn value_end(text: &str, value: &Node) -> usize {
    match &value.kind {
        NodeKind::Scalar {
            style: Style::Literal | Style::Folded,
            ..
        } => {
            // The span runs to the next token; step back over blank lines and less-indented comments.
            let mut end = value.span.end.min(text.len());
            let bytes = text.as_bytes();
            while end > value.span.start {
                // Bytes, not str: `end - 1` may fall inside a multi-byte character.
                let line_start = bytes[..end.saturating_sub(1)]
                    .iter()
                    .rposition(|&b| b == b'\n')
                    .map_or(0, |i| i + 1);
                let line = &text[line_start..end];
                let trimmed = line.trim();
                let spaces = line.bytes().take_while(|&b| b == b' ').count();
                if trimmed.is_empty() || (trimmed.starts_with('#') && spaces + 1 < value.span.col) {
                    end = line_start;
                    continue;
                }
                break;
            }
            // Stop before the line break of the last content line.
            if bytes.get(end.wrapping_sub(1)) == Some(&b'\n') {
                end -= 1;
                if bytes.get(end.wrapping_sub(1)) == Some(&b'\r') {
                    end -= 1;
                }
            }
            end
        }
        _ => value.span.end,
    }
}

type CarrierRef<'a> = (usize, Option<usize>, &'a Node);

/// The YAML stream, or a syntax error that names the file and line (and says so when the line is a chart's
/// template, which is not YAML until it is rendered).
fn parse_yaml(source_name: &str, text: &str) -> Result<Vec<Node>, DocumentError> {
    yaml::parse_stream(text).map_err(|e| {
        let mut message = e.problem().to_string();
        // A chart's template (`{{ toYaml .Values.mapRoles }}`) is not YAML until it is rendered.
        let at = text.lines().nth(e.line.saturating_sub(1)).unwrap_or("");
        if chart_template(at) && !at.trim_start().starts_with('#') {
            message.push_str(
                " (this line holds a template, `{{ … }}`: render it first, e.g. with `helm template`, and check the rendered manifest)",
            );
        }
        DocumentError::Syntax {
            source_name: source_name.to_string(),
            line: e.line,
            col: e.col,
            message,
        }
    })
}

/// Which object of the stream carries the mappings: the given carrier (`--kind`), or detected (an aws-auth
/// ConfigMap first, then an `AWSIamConfig`, then an aws-iam-authenticator config). `None` as the first
/// value: aws-auth.
fn locate<'a>(
    source_name: &str,
    docs: &'a [Node],
    kind: Option<CarrierKind>,
) -> Result<(Option<structured::Found<'a>>, CarrierRef<'a>), DocumentError> {
    let aws = find_carrier(docs);
    let found = match kind {
        Some(CarrierKind::AwsAuth) => None,
        Some(k) => Some(
            structured::find(docs, Some(k)).ok_or_else(|| structured::not_found(source_name, k))?,
        ),
        None => match &aws {
            Some((score, _)) if *score >= 5 => None,
            _ => structured::find(docs, None),
        },
    };
    let at = match &found {
        Some(f) => (f.doc_index, f.list_item, f.object),
        None => {
            aws.ok_or_else(|| DocumentError::NotFound {
                source_name: source_name.to_string(),
            })?
            .1
        }
    };
    Ok((found, at))
}

/// What the object says about itself (kind, metadata, duplicate keys), its shape, and its `data` node.
fn object_facts(object: &Node, documents: usize) -> (Facts, Shape, Option<&Node>) {
    let mut facts = Facts {
        documents,
        object_span: object.span,
        ..Facts::default()
    };
    let is_object = object.get("kind").is_some()
        || object.get("apiVersion").is_some()
        || object.get("metadata").is_some();
    let data_node = last_get(object, "data");
    let shape = if is_object {
        Shape::Object
    } else if data_node.is_some() {
        Shape::DataFragment
    } else {
        Shape::BareKeys
    };
    duplicates(object, &mut facts.duplicate_keys);
    facts.api_version = str_of(object.get("apiVersion"));
    facts.kind = str_of(object.get("kind"));
    if let Some(meta) = last_get(object, "metadata") {
        facts.has_metadata = true;
        facts.metadata_span = Some(meta.span);
        duplicates(meta, &mut facts.duplicate_keys);
        facts.name = str_of(meta.get("name"));
        facts.namespace = str_of(meta.get("namespace"));
        facts.has_last_applied = meta
            .get("annotations")
            .and_then(|a| a.get("kubectl.kubernetes.io/last-applied-configuration"))
            .is_some();
    }
    (facts, shape, data_node)
}

/// A ConfigMap's `data` map, read the way the API server and the authenticator read it.
struct ConfigMapData<'a> {
    text: &'a str,
    data: &'a Node,
    shape: Shape,
    /// The object has a `data:` key (else its top-level keys are the data).
    data_node_present: bool,
    /// The ConfigMap carries an authenticator config (`config.yaml`), not aws-auth's keys.
    other_carrier: bool,
}

impl<'a> ConfigMapData<'a> {
    /// aws-auth's slots (the last of each exact key, as the API server keeps it), or the authenticator's
    /// `config.yaml`; the size, string values, wrong-case and other keys go into `facts`, where edits
    /// append into `carrier`.
    fn read(
        &self,
        facts: &mut Facts,
        carrier: &mut Carrier,
    ) -> (Vec<Slot>, Option<(&'a Node, &'a Node)>) {
        let (text, data) = (self.text, self.data);
        let mut slots: Vec<Slot> = vec![];
        let mut config_yaml = None;
        carrier.data_span = Some(data.span);
        carrier.data_flow = matches!(data.kind, NodeKind::Map { flow: true, .. });
        if let Some((k, v)) = data.entries().last() {
            carrier.key_col = k.span.col.saturating_sub(1);
            let at = value_end(text, v);
            carrier.append_at = Some(at);
            carrier.insert_before_last = block_at_eof(text, k, v, at);
        }
        if self.shape != Shape::BareKeys {
            duplicates(data, &mut facts.duplicate_keys);
        }
        for (k, v) in data.entries() {
            let Some(key) = k.as_str() else { continue };
            // As the API server counts its 1 MiB limit: the values' bytes (keys do not count).
            facts.data_bytes += v.as_str().map_or(0, str::len);
            if let NodeKind::Scalar { value, style, tag } = &v.kind
                && matches!(
                    yaml::resolve(value, *style, tag.as_deref()),
                    yaml::Resolved::Str | yaml::Resolved::Null
                )
            {
                facts.data_strings.retain(|(k, _)| k != key);
                facts.data_strings.push((key.to_string(), value.clone()));
            }
            if self.other_carrier {
                if key == structured::CONFIG_KEY {
                    config_yaml = Some((k, v));
                } else {
                    facts.other_data_keys.push(key.to_string());
                }
                continue;
            }
            match DataKey::from_exact(key) {
                Some(dk) => {
                    slots.retain(|s| s.key != dk);
                    slots.push(read_slot(text, dk, k, v));
                }
                None => {
                    if DataKey::ALL
                        .iter()
                        .any(|d| d.as_str().eq_ignore_ascii_case(key.trim()))
                    {
                        facts.wrong_case_keys.push((key.to_string(), k.span));
                    } else if self.shape != Shape::BareKeys || !self.data_node_present {
                        facts.other_data_keys.push(key.to_string());
                    }
                }
            }
        }
        (slots, config_yaml)
    }
}

/// The three lists from their slots (a slot of the wrong type counts as absent). Entries of the
/// structured carriers are canonicalized as the MountedFile backend does.
fn read_lists(slots: &[Slot], structured: bool) -> (ListParse, ListParse, AccountsParse) {
    let content = |key: DataKey| {
        slots
            .iter()
            .find(|s| s.key == key && s.wrong_type.is_none())
            .map_or("", |s| s.content.as_str())
    };
    let (roles_src, users_src) = (content(DataKey::MapRoles), content(DataKey::MapUsers));
    // The two lists are independent: large ones are read on two threads (same result).
    let (mut roles, mut users) = if roles_src.len().min(users_src.len()) > PARALLEL_BYTES {
        std::thread::scope(|s| {
            let users = s.spawn(|| parse_list(users_src, ListKind::Users));
            let roles = parse_list(roles_src, ListKind::Roles);
            (roles, users.join().expect("mapUsers reader panicked"))
        })
    } else {
        (
            parse_list(roles_src, ListKind::Roles),
            parse_list(users_src, ListKind::Users),
        )
    };
    let accounts = parse_accounts(content(DataKey::MapAccounts));
    if structured {
        for e in roles.entries.iter_mut().chain(users.entries.iter_mut()) {
            e.canonicalize_for_mounted_file();
        }
    }
    (roles, users, accounts)
}

/// Find the object that holds the aws-auth mappings, preferring a ConfigMap named aws-auth.
fn find_carrier(docs: &[Node]) -> Option<(u8, CarrierRef<'_>)> {
    let mut candidates: Vec<(u8, CarrierRef<'_>)> = vec![];
    for (d, doc) in docs.iter().enumerate() {
        if !matches!(doc.kind, NodeKind::Map { .. }) {
            continue;
        }
        if doc.get("kind").and_then(Node::as_str) == Some("List") {
            if let Some(NodeKind::Seq { items, .. }) = doc.get("items").map(|n| &n.kind) {
                for (i, item) in items.iter().enumerate() {
                    if let Some(score) = score(item) {
                        candidates.push((score, (d, Some(i), item)));
                    }
                }
            }
            continue;
        }
        if let Some(score) = score(doc) {
            candidates.push((score, (d, None, doc)));
        }
    }
    // Highest score first; among equals, the first in the file.
    candidates.sort_by_key(|(s, r)| (std::cmp::Reverse(*s), r.0, r.1));
    candidates.into_iter().next()
}

fn score(node: &Node) -> Option<u8> {
    if !matches!(node.kind, NodeKind::Map { .. }) {
        return None;
    }
    let is_cm = node.get("kind").and_then(Node::as_str) == Some("ConfigMap");
    let named = node
        .get("metadata")
        .and_then(|m| m.get("name"))
        .and_then(Node::as_str)
        == Some("aws-auth");
    let data_keys = node.get("data").is_some_and(has_map_keys);
    match (is_cm, named, data_keys) {
        (true, true, _) => Some(6),
        (true, false, true) => Some(5),
        (false, _, true) => Some(4),
        _ if has_map_keys(node) => Some(3),
        // A ConfigMap without mappings (empty, or under another name): the last choice.
        (true, false, false) => Some(1),
        _ => None,
    }
}

fn read_slot(text: &str, key: DataKey, k: &Node, v: &Node) -> Slot {
    let mut slot = Slot {
        key,
        key_span: k.span,
        value_span: v.span,
        style: None,
        wrong_type: None,
        content: String::new(),
        codec: Codec::Opaque,
        content_lines: vec![0],
    };
    let NodeKind::Scalar { value, style, tag } = &v.kind else {
        slot.wrong_type = Some(scalar_kind_name(v));
        return slot;
    };
    match yaml::resolve(value, *style, tag.as_deref()) {
        yaml::Resolved::Str => {}
        // A null data value decodes to the empty string.
        yaml::Resolved::Null => {
            slot.style = Some(*style);
            return slot;
        }
        _ => {
            slot.wrong_type = Some(scalar_kind_name(v));
            return slot;
        }
    }
    slot.style = Some(*style);
    slot.content = value.clone();
    slot.content_lines = std::iter::once(0)
        .chain(value.match_indices('\n').map(|(i, _)| i + 1))
        .collect();
    slot.codec = match style {
        Style::Literal => literal_codec(text, k, v, value).unwrap_or(Codec::Opaque),
        Style::DoubleQuoted | Style::SingleQuoted => {
            let double = *style == Style::DoubleQuoted;
            let inner = text.get(v.span.start + 1..v.span.end.saturating_sub(1));
            match inner.and_then(|raw| codec::decode_quoted(raw, v.span.start + 1, double)) {
                Some((decoded, map)) if decoded == *value => Codec::Quoted { double, map },
                _ => Codec::Opaque,
            }
        }
        _ => Codec::Opaque,
    };
    slot
}

fn literal_codec(text: &str, k: &Node, v: &Node, value: &str) -> Option<Codec> {
    let between = text.get(k.span.end..v.span.start.max(k.span.end))?;
    let bar = between.find('|')? + k.span.end;
    let header_end = text[bar..].find('\n').map_or(text.len(), |i| bar + i + 1);
    let header = text[bar + 1..header_end].split('#').next()?.trim();
    if header.bytes().any(|b| b.is_ascii_digit()) {
        return None; // explicit indentation indicator: leave it to the whole-value path
    }
    let first = text[header_end..]
        .split_inclusive('\n')
        .find(|l| !l.trim().is_empty())?;
    let indent = first.bytes().take_while(|&b| b == b' ').count();
    if indent == 0 {
        return None;
    }
    let lines = codec::literal_lines(text, header_end, indent);
    let core = codec::literal_core(text, &lines);
    let suffix = value.strip_prefix(core.as_str())?;
    if !suffix.bytes().all(|b| b == b'\n') {
        return None;
    }
    let eol = if lines
        .iter()
        .any(|l| text[l.end..l.eol_end].starts_with('\r'))
    {
        "\r\n"
    } else {
        "\n"
    };
    Some(Codec::Literal {
        indent,
        lines,
        suffix: suffix.to_string(),
        eol,
    })
}

#[cfg(test)]
#[path = "document_tests.rs"]
mod tests;
