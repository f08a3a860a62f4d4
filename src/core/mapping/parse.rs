//! `ParseMap` of aws-iam-authenticator (spec §3.3), one data value at a time: YAML->JSON, then Go's
//! encoding/json rules (case-insensitive keys, type errors keep the entry with the field empty), then
//! `Validate()`, which drops invalid entries. `mapAccounts` goes through go-yaml v2 into strings.

use super::{Entry, Field, ListKind, SsoMatcher, TypeError};
use crate::core::yaml::{self, ConvertError, Json, Node, NodeKind, Span, SpannedJson, YamlError};

/// How a list value is written; the editor uses it to choose how to insert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListShape {
    /// Empty, or exactly ``` `` ```, `""` or `''` after trimming: no list, no error.
    Skippable,
    /// Parses to null (only comments, `~`, `null`): an empty list, no error.
    Null,
    /// A block sequence (`- …`).
    Block,
    /// A flow sequence (`[…]`).
    Flow,
    /// Something the authenticator cannot read as a list: the list is empty.
    Broken,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListErrorKind {
    /// The value is not valid YAML: the whole list is dropped.
    Syntax,
    /// A collection used as a mapping key, typically an unquoted `{{…}}`: the whole list is dropped.
    ComplexKey,
    /// A key written twice in one mapping: the whole list is dropped.
    DuplicateKey,
    /// The value is a mapping or scalar, not a list: the whole list is empty.
    NotAList,
    /// An item of the list is not a mapping: it becomes an empty entry, which is dropped.
    ItemNotMapping,
}

/// A problem with the list as a whole, located in the list's own text.
#[derive(Debug, Clone, PartialEq)]
pub struct ListError {
    pub kind: ListErrorKind,
    /// The message the authenticator would log (or close to it).
    pub message: String,
    /// What is wrong, without the authenticator's prefixes and inner line numbers.
    pub detail: String,
    pub span: Span,
}

impl ListError {
    fn syntax(e: &YamlError) -> Self {
        ListError {
            kind: ListErrorKind::Syntax,
            message: format!("yaml: line {}: {}", e.line, e.message),
            detail: e.message.clone(),
            span: Span {
                start: e.offset,
                end: e.offset,
                line: e.line,
                col: e.col,
            },
        }
    }
}

/// A parsed `mapRoles` or `mapUsers` value.
#[derive(Debug, Clone, PartialEq)]
pub struct ListParse {
    pub shape: ListShape,
    /// Every decoded entry, invalid ones included (`Entry::invalid` says which the authenticator drops).
    pub entries: Vec<Entry>,
    pub errors: Vec<ListError>,
    /// The YAML tree of the value, when it parsed.
    pub root: Option<Node>,
}

impl ListParse {
    /// True when the authenticator loses every entry of this list because of an error.
    pub fn dropped_whole(&self) -> bool {
        self.errors.iter().any(|e| {
            matches!(
                e.kind,
                ListErrorKind::Syntax
                    | ListErrorKind::ComplexKey
                    | ListErrorKind::DuplicateKey
                    | ListErrorKind::NotAList
            )
        })
    }

    pub fn valid_entries(&self) -> impl Iterator<Item = &Entry> {
        self.entries.iter().filter(|e| e.is_valid())
    }
}

/// `isSkippable`: empty after trimming, or exactly two backticks, double or single quotes.
pub fn is_skippable(value: &str) -> bool {
    matches!(value.trim(), "" | "``" | "\"\"" | "''")
}

fn broken(error: ListError, root: Option<Node>) -> ListParse {
    ListParse {
        shape: ListShape::Broken,
        entries: vec![],
        errors: vec![error],
        root,
    }
}

/// Parse a `mapRoles` or `mapUsers` value exactly as `ParseMap` does.
pub fn parse_list(text: &str, list: ListKind) -> ListParse {
    if is_skippable(text) {
        return ListParse {
            shape: ListShape::Skippable,
            entries: vec![],
            errors: vec![],
            root: None,
        };
    }
    let type_name = format!("[]config.{}", list.go_type());
    if text.trim_start().starts_with('{') {
        // util/yaml.ToJSON takes such a value as JSON verbatim; a JSON object is never a list.
        let start = text.len() - text.trim_start().len();
        let span = Span {
            start,
            end: text.len(),
            line: 1 + text[..start].matches('\n').count(),
            col: 1,
        };
        return broken(
            ListError {
                kind: ListErrorKind::NotAList,
                message: format!("json: cannot unmarshal object into Go value of type {type_name}"),
                detail: "the value is a JSON object, not a list".into(),
                span,
            },
            None,
        );
    }
    let docs = match yaml::parse_stream(text) {
        Ok(docs) => docs,
        Err(e) => return broken(ListError::syntax(&e), None),
    };
    // sigs.k8s.io/yaml reads the first document only.
    let Some(root) = docs.into_iter().next() else {
        return ListParse {
            shape: ListShape::Null,
            entries: vec![],
            errors: vec![],
            root: None,
        };
    };
    let json = match yaml::to_json(&root) {
        Ok(j) => j,
        Err(e) => {
            let kind = match e {
                ConvertError::ComplexKey { .. } => ListErrorKind::ComplexKey,
                ConvertError::DuplicateKey { .. } => ListErrorKind::DuplicateKey,
            };
            let message = match &e {
                ConvertError::ComplexKey { .. } => {
                    format!("error converting YAML to JSON: {e}")
                }
                ConvertError::DuplicateKey { .. } => format!(
                    "error converting YAML to JSON: yaml: unmarshal errors:\n  line {}: {e}",
                    e.span().line
                ),
            };
            let detail = match &e {
                ConvertError::ComplexKey { .. } => {
                    "a value starting with `{` is read as a mapping; quote it (for example `\"{{SessionName}}\"`)".to_string()
                }
                ConvertError::DuplicateKey { key, .. } => format!("key `{key}` is written twice in one entry"),
            };
            return broken(
                ListError {
                    kind,
                    message,
                    detail,
                    span: e.span(),
                },
                Some(root),
            );
        }
    };
    match json.value {
        Json::Null => ListParse {
            shape: ListShape::Null,
            entries: vec![],
            errors: vec![],
            root: Some(root),
        },
        Json::Array(items) => {
            let flow = matches!(root.kind, NodeKind::Seq { flow: true, .. });
            let mut errors = vec![];
            let entries = items
                .iter()
                .enumerate()
                .map(|(index, item)| decode_entry(text, item, index, list, &mut errors))
                .collect();
            ListParse {
                shape: if flow {
                    ListShape::Flow
                } else {
                    ListShape::Block
                },
                entries,
                errors,
                root: Some(root),
            }
        }
        other => broken(
            ListError {
                kind: ListErrorKind::NotAList,
                message: format!(
                    "json: cannot unmarshal {} into Go value of type {type_name}",
                    other.go_kind()
                ),
                detail: format!("the value is a {}, not a list", other.go_kind()),
                span: json.span,
            },
            Some(root),
        ),
    }
}

/// The struct fields of RoleMapping/UserMapping, by their JSON tags.
fn struct_fields(list: ListKind) -> &'static [&'static str] {
    match list {
        ListKind::Roles => &["rolearn", "sso", "username", "groups", "userid"],
        ListKind::Users => &["userarn", "username", "groups", "userid"],
    }
}

/// Go encoding/json field lookup: an exact tag match first, else a case-insensitive one.
fn find_field(fields: &'static [&'static str], key: &str) -> Option<&'static str> {
    fields
        .iter()
        .find(|f| **f == key)
        .or_else(|| fields.iter().find(|f| f.eq_ignore_ascii_case(key)))
        .copied()
}

/// Keys in the order Go decodes them: the YAML->JSON step goes through a Go map, and json.Marshal
/// writes map keys sorted bytewise; with two keys for one field (`rolearn`, `roleARN`) the later wins.
fn go_order(entries: &[(String, Span, SpannedJson)]) -> Vec<&(String, Span, SpannedJson)> {
    let mut sorted: Vec<_> = entries.iter().collect();
    sorted.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    sorted
}

fn type_error(
    json: &SpannedJson,
    path: &Path<'_>,
    go_type: &str,
    field: Option<&'static str>,
) -> TypeError {
    TypeError {
        message: format!(
            "json: cannot unmarshal {} into Go struct field {}.{} of type {go_type}",
            json.value.go_kind(),
            path.0,
            path.1
        ),
        field,
        span: json.span,
    }
}

/// A Go struct field path (`RoleMapping`, `groups`), formatted only when an error needs it.
struct Path<'a>(&'a str, &'a str);

fn decode_string(
    json: &SpannedJson,
    target: &mut String,
    path: &Path<'_>,
    field: &'static str,
    errors: &mut Vec<TypeError>,
) {
    match &json.value {
        Json::String(s) => *target = s.clone(),
        Json::Null => {}
        _ => errors.push(type_error(json, path, "string", Some(field))),
    }
}

fn decode_entry(
    text: &str,
    item: &SpannedJson,
    index: usize,
    list: ListKind,
    list_errors: &mut Vec<ListError>,
) -> Entry {
    let mut entry = Entry {
        list,
        index,
        arn: String::new(),
        sso: None,
        username: String::new(),
        groups: vec![],
        userid: String::new(),
        span: item.span,
        flow: false,
        fields: vec![],
        type_errors: vec![],
        invalid: None,
        group_spans: vec![],
        canonical: None,
    };
    let go_type = list.go_type();
    match &item.value {
        Json::Object(keys) => {
            entry.flow = item.flow;
            for (key, key_span, value) in keys {
                let field = find_field(struct_fields(list), key);
                let multiline = matches!(value.style, Some(yaml::Style::Plain))
                    && text
                        .get(value.span.start..value.span.end)
                        .is_some_and(|t| t.contains('\n'));
                entry.fields.push(Field {
                    written: key.clone(),
                    field,
                    key_span: *key_span,
                    value_span: value.span,
                    value_style: value.style,
                    value_multiline_plain: multiline,
                });
            }
            for (key, _, value) in go_order(keys) {
                let Some(field) = find_field(struct_fields(list), key) else {
                    continue;
                };
                let path = Path(go_type, field);
                let errs = &mut entry.type_errors;
                match field {
                    "rolearn" | "userarn" => {
                        decode_string(value, &mut entry.arn, &path, field, errs)
                    }
                    "username" => decode_string(value, &mut entry.username, &path, field, errs),
                    "userid" => decode_string(value, &mut entry.userid, &path, field, errs),
                    "groups" => match &value.value {
                        Json::Null => {
                            entry.groups.clear();
                            entry.group_spans.clear();
                        }
                        Json::Array(items) => {
                            entry.groups.clear();
                            entry.group_spans.clear();
                            for g in items {
                                let mut s = String::new();
                                decode_string(g, &mut s, &path, field, errs);
                                entry.groups.push(s);
                                entry.group_spans.push(g.span);
                            }
                        }
                        _ => errs.push(type_error(value, &path, "[]string", Some(field))),
                    },
                    "sso" => match &value.value {
                        Json::Null => entry.sso = None,
                        Json::Object(sso_keys) => {
                            let sso = entry.sso.get_or_insert_with(SsoMatcher::default);
                            const SSO_FIELDS: &[&str] =
                                &["permissionSetName", "accountID", "partition"];
                            for (k, _, v) in go_order(sso_keys) {
                                let Some(f) = find_field(SSO_FIELDS, k) else {
                                    continue;
                                };
                                let sso_type = format!("{go_type}.sso");
                                let p = Path(&sso_type, f);
                                let target = match f {
                                    "permissionSetName" => &mut sso.permission_set_name,
                                    "accountID" => &mut sso.account_id,
                                    _ => &mut sso.partition,
                                };
                                decode_string(v, target, &p, "sso", errs);
                            }
                        }
                        _ => errs.push(type_error(
                            value,
                            &path,
                            "config.SSOARNMatcher",
                            Some(field),
                        )),
                    },
                    _ => {}
                }
            }
        }
        Json::Null => {}
        other => list_errors.push(ListError {
            kind: super::ListErrorKind::ItemNotMapping,
            message: format!(
                "json: cannot unmarshal {} into Go value of type config.{go_type}",
                other.go_kind()
            ),
            detail: format!(
                "item #{} is a {}, not a mapping",
                index + 1,
                other.go_kind()
            ),
            span: item.span,
        }),
    }
    entry.invalid = validate(&entry);
    entry
}

/// `RoleMapping.Validate()` / `UserMapping.Validate()`.
fn validate(entry: &Entry) -> Option<String> {
    match entry.list {
        ListKind::Roles => {
            if entry.arn.is_empty() && entry.sso.is_none() {
                return Some("one of rolearn or SSO must be supplied".into());
            }
            if !entry.arn.is_empty() && entry.sso.is_some() {
                return Some("only one of rolearn or SSO can be supplied".into());
            }
            entry.sso.as_ref().and_then(|s| s.validate().err())
        }
        ListKind::Users => entry
            .arn
            .is_empty()
            .then(|| "value for userarn must be supplied".to_string()),
    }
}

/// A parsed `mapAccounts` value: go-yaml v2 into `[]string`, so every scalar is kept as its text.
#[derive(Debug, Clone, PartialEq)]
pub struct AccountsParse {
    pub shape: ListShape,
    /// Each account with the span of its scalar.
    pub accounts: Vec<(String, Span, yaml::Style)>,
    pub errors: Vec<ListError>,
    pub root: Option<Node>,
}

pub fn parse_accounts(text: &str) -> AccountsParse {
    let empty = |shape, errors, root| AccountsParse {
        shape,
        accounts: vec![],
        errors,
        root,
    };
    if is_skippable(text) {
        return empty(ListShape::Skippable, vec![], None);
    }
    let docs = match yaml::parse_stream(text) {
        Ok(d) => d,
        Err(e) => return empty(ListShape::Broken, vec![ListError::syntax(&e)], None),
    };
    let Some(root) = docs.into_iter().next() else {
        return empty(ListShape::Null, vec![], None);
    };
    match &root.kind {
        NodeKind::Seq { items, flow } => {
            let mut accounts = vec![];
            let mut errors = vec![];
            for item in items {
                match &item.kind {
                    NodeKind::Scalar { value, style, tag } => {
                        let v = match yaml::resolve(value, *style, tag.as_deref()) {
                            yaml::Resolved::Null => String::new(),
                            _ => value.clone(),
                        };
                        accounts.push((v, item.span, *style));
                    }
                    _ => errors.push(ListError {
                        kind: ListErrorKind::ItemNotMapping,
                        message: format!(
                            "yaml: unmarshal errors:\n  line {}: cannot unmarshal !!{} into string",
                            item.span.line,
                            if matches!(item.kind, NodeKind::Seq { .. }) {
                                "seq"
                            } else {
                                "map"
                            }
                        ),
                        detail: "an account must be a plain string".into(),
                        span: item.span,
                    }),
                }
            }
            let shape = if *flow {
                ListShape::Flow
            } else {
                ListShape::Block
            };
            AccountsParse {
                shape,
                accounts,
                errors,
                root: Some(root),
            }
        }
        NodeKind::Scalar { value, style, tag }
            if yaml::resolve(value, *style, tag.as_deref()) == yaml::Resolved::Null =>
        {
            empty(ListShape::Null, vec![], Some(root))
        }
        _ => {
            let what = match root.kind {
                NodeKind::Map { .. } => "!!map",
                _ => "!!str",
            };
            let e = ListError {
                kind: ListErrorKind::NotAList,
                message: format!(
                    "yaml: unmarshal errors:\n  line {}: cannot unmarshal {what} into []string",
                    root.span.line
                ),
                detail: "the value is not a list of account IDs".into(),
                span: root.span,
            };
            empty(ListShape::Broken, vec![e], Some(root))
        }
    }
}
