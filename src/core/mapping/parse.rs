//! `ParseMap` of aws-iam-authenticator (pkg/mapper/configmap/configmap.go), one data value at a time:
//! YAML->JSON exactly as go-yaml v2 and sigs.k8s.io/yaml do it (duplicate keys last-wins, merge keys,
//! `.inf` and null keys refused), then Go's encoding/json rules (keys sorted, field names matched exactly
//! first and then with Go's case folding, type errors keep the entry with the field unchanged, `sso`
//! allocated before a type error), then `Validate()`, which drops invalid entries. `mapAccounts` goes
//! through go-yaml v2 straight into `[]string`.

use super::{Entry, Field, ListKind, SsoMatcher, TypeError};
use crate::core::gostr;
use crate::core::yaml::{self, DecodeFailure, FirstDocument, Json, Span, SpannedJson, YamlError};

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
    /// The YAML->JSON step fails (excessive aliasing, `.inf`, a null key, invalid `!!binary`, a bad
    /// merge…): the whole list is dropped.
    Decode,
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
        let detail = e.problem().to_string();
        ListError {
            kind: ListErrorKind::Syntax,
            message: format!("yaml: {}", e.message),
            detail,
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
    /// Where the value's root node is, when it parsed (the `[` of an empty flow list, for the editor).
    pub root: Option<Span>,
}

impl ListParse {
    /// True when the authenticator loses every entry of this list because of an error.
    pub fn dropped_whole(&self) -> bool {
        self.errors.iter().any(|e| {
            matches!(
                e.kind,
                ListErrorKind::Syntax
                    | ListErrorKind::ComplexKey
                    | ListErrorKind::Decode
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

fn broken(error: ListError, root: Option<Span>) -> ListParse {
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
                detail: if text.trim_start().starts_with("{{") {
                    "the value looks like a template (`{{ … }}`), not a list: render it first (e.g. `helm template`) and check the rendered manifest".into()
                } else {
                    "the value is a JSON object, not a list".into()
                },
                span,
            },
            None,
        );
    }
    let doc = match FirstDocument::parse(text) {
        Ok(doc) => doc,
        Err(e) => return broken(ListError::syntax(&e), None),
    };
    let root = doc.root_span();
    let json = match doc.into_json() {
        Ok(Some(j)) => j,
        // No document (only comments): JSON null, an empty list.
        Ok(None) => {
            return ListParse {
                shape: ListShape::Null,
                entries: vec![],
                errors: vec![],
                root,
            };
        }
        Err(f) => return broken(decode_error(&f), root),
    };
    match json.value {
        Json::Null => ListParse {
            shape: ListShape::Null,
            entries: vec![],
            errors: vec![],
            root,
        },
        Json::Array(items) => {
            let flow = json.flow;
            let mut errors = vec![];
            let entries = items
                .into_iter()
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
                root,
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
            root,
        ),
    }
}

/// A failure of the YAML->JSON step, as a list error (the whole list is dropped).
fn decode_error(f: &DecodeFailure) -> ListError {
    let complex = f.message.starts_with("invalid map key");
    ListError {
        kind: if complex {
            ListErrorKind::ComplexKey
        } else {
            ListErrorKind::Decode
        },
        message: format!("error converting YAML to JSON: yaml: {}", f.message),
        detail: if complex {
            "a value starting with `{` is read as a mapping, which cannot be a key; quote it (for example `\"{{SessionName}}\"`)".to_string()
        } else {
            f.message.clone()
        },
        span: f.span,
    }
}

/// The struct fields of RoleMapping/UserMapping, by their JSON tags.
fn struct_fields(list: ListKind) -> &'static [&'static str] {
    match list {
        ListKind::Roles => &["rolearn", "sso", "username", "groups", "userid"],
        ListKind::Users => &["userarn", "username", "groups", "userid"],
    }
}

/// Go encoding/json field lookup: an exact tag match first, else Go's case-insensitive match (which
/// also takes `ſ` for `s` and the Kelvin sign for `k`).
fn find_field(fields: &'static [&'static str], key: &str) -> Option<&'static str> {
    fields
        .iter()
        .find(|f| **f == key)
        .or_else(|| fields.iter().find(|f| gostr::json_field_fold(f, key)))
        .copied()
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

/// encoding/json into a string field: a string is taken (moved out of the JSON, which is not read
/// again), null leaves the field as it is, anything else is a type error that leaves it too.
fn decode_string(
    json: &mut SpannedJson,
    target: &mut String,
    path: &Path<'_>,
    field: &'static str,
    errors: &mut Vec<TypeError>,
) {
    match &mut json.value {
        Json::String(s) => *target = std::mem::take(s),
        Json::Null => {}
        _ => errors.push(type_error(json, path, "string", Some(field))),
    }
}

fn decode_entry(
    text: &str,
    mut item: SpannedJson,
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
        fields: Vec::with_capacity(4),
        type_errors: vec![],
        invalid: None,
        group_spans: vec![],
        canonical: None,
        alias: false,
        shadowed_keys: vec![],
        tagged: vec![],
    };
    let go_type = list.go_type();
    entry.alias = item.alias;
    let (item_span, item_flow, item_alias) = (item.span, item.flow, item.alias);
    match &mut item.value {
        Json::Object { fields, shadowed } => {
            entry.flow = item_flow;
            entry.shadowed_keys = std::mem::take(shadowed);
            for f in fields.iter() {
                collect_tagged(&f.value, &mut entry.tagged);
            }
            let found: Vec<Option<&'static str>> = fields
                .iter()
                .map(|f| find_field(struct_fields(list), &f.key))
                .collect();
            // Keys in the order Go decodes them: json.Marshal writes map keys sorted bytewise; with two
            // keys for one field (`rolearn`, `roleARN`) the later wins.
            let mut order: Vec<usize> = (0..fields.len()).collect();
            order.sort_by(|&a, &b| fields[a].key.as_bytes().cmp(fields[b].key.as_bytes()));
            for i in order {
                let Some(field) = found[i] else {
                    continue;
                };
                let value = &mut fields[i].value;
                let path = Path(go_type, field);
                let errs = &mut entry.type_errors;
                match field {
                    "rolearn" | "userarn" => {
                        decode_string(value, &mut entry.arn, &path, field, errs)
                    }
                    "username" => decode_string(value, &mut entry.username, &path, field, errs),
                    "userid" => decode_string(value, &mut entry.userid, &path, field, errs),
                    "groups" => {
                        let (span, kind) = (value.span, value.value.go_kind());
                        match &mut value.value {
                            Json::Null => {
                                entry.groups.clear();
                                entry.group_spans.clear();
                            }
                            Json::Array(items) => {
                                // encoding/json decodes into the slice it already holds: an element
                                // that fails (or is null) keeps what an earlier `groups` key put there.
                                let old = std::mem::take(&mut entry.groups);
                                entry.group_spans.clear();
                                for (i, g) in items.iter_mut().enumerate() {
                                    let mut s = old.get(i).cloned().unwrap_or_default();
                                    decode_string(g, &mut s, &path, field, errs);
                                    entry.groups.push(s);
                                    entry.group_spans.push(g.span);
                                }
                            }
                            _ => errs.push(TypeError {
                                message: format!(
                                    "json: cannot unmarshal {kind} into Go struct field {}.{} of type []string",
                                    path.0, path.1
                                ),
                                field: Some(field),
                                span,
                            }),
                        }
                    }
                    "sso" => match &mut value.value {
                        Json::Null => entry.sso = None,
                        Json::Object {
                            fields: sso_fields, ..
                        } => {
                            let sso = entry.sso.get_or_insert_with(SsoMatcher::default);
                            const SSO_FIELDS: &[&str] =
                                &["permissionSetName", "accountID", "partition"];
                            let mut order: Vec<usize> = (0..sso_fields.len()).collect();
                            order.sort_by(|&a, &b| {
                                sso_fields[a]
                                    .key
                                    .as_bytes()
                                    .cmp(sso_fields[b].key.as_bytes())
                            });
                            for j in order {
                                let Some(f) = find_field(SSO_FIELDS, &sso_fields[j].key) else {
                                    continue;
                                };
                                let sso_type = format!("{go_type}.sso");
                                let p = Path(&sso_type, f);
                                let target = match f {
                                    "permissionSetName" => &mut sso.permission_set_name,
                                    "accountID" => &mut sso.account_id,
                                    _ => &mut sso.partition,
                                };
                                decode_string(&mut sso_fields[j].value, target, &p, "sso", errs);
                            }
                        }
                        _ => {
                            // encoding/json allocates the pointer before it finds the type wrong, so
                            // the entry now has an (empty) `sso` and fails validation.
                            entry.sso.get_or_insert_with(SsoMatcher::default);
                            errs.push(type_error(
                                value,
                                &path,
                                "config.SSOARNMatcher",
                                Some(field),
                            ))
                        }
                    },
                    _ => {}
                }
            }
            for (f, field) in std::mem::take(fields).into_iter().zip(found) {
                let value = &f.value;
                let multiline = matches!(value.style, Some(yaml::Style::Plain))
                    && text
                        .get(value.span.start..value.span.end)
                        .is_some_and(|t| t.contains('\n'));
                entry.fields.push(Field {
                    written: f.key,
                    field,
                    key_span: f.key_span,
                    value_span: value.span,
                    value_style: value.style,
                    value_multiline_plain: multiline,
                    inherited: f.inherited || item_alias || value.alias,
                });
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
            span: item_span,
        }),
    }
    entry.invalid = validate(&entry);
    entry
}

/// Scalars (at any depth) written with an explicit tag, with what they read as.
fn collect_tagged(v: &SpannedJson, out: &mut Vec<(Span, String, String)>) {
    match &v.value {
        Json::Array(items) => items.iter().for_each(|i| collect_tagged(i, out)),
        Json::Object { fields, .. } => fields.iter().for_each(|f| collect_tagged(&f.value, out)),
        other => {
            if let Some(tag) = &v.tag {
                let shown = match other {
                    Json::String(s) => s.clone(),
                    Json::Number(n) => n.clone(),
                    Json::Bool(b) => b.to_string(),
                    _ => "null".into(),
                };
                out.push((v.span, tag.clone(), shown));
            }
        }
    }
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
    pub root: Option<Span>,
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
    let doc = match FirstDocument::parse(text) {
        Ok(d) => d,
        Err(e) => return empty(ListShape::Broken, vec![ListError::syntax(&e)], None),
    };
    let root = doc.root_span();
    let flow = doc.root_is_flow();
    let decoded = doc.into_strings();
    let mut errors: Vec<ListError> = decoded
        .type_errors
        .iter()
        .map(|(message, span)| ListError {
            kind: ListErrorKind::ItemNotMapping,
            message: format!("yaml: unmarshal errors:\n  {message}"),
            detail: "an account must be a plain string".into(),
            span: *span,
        })
        .collect();
    if let Some((message, span)) = &decoded.not_a_list {
        errors.push(ListError {
            kind: ListErrorKind::NotAList,
            message: format!("yaml: unmarshal errors:\n  {message}"),
            detail: "the value is not a list of account IDs".into(),
            span: *span,
        });
        return AccountsParse {
            shape: ListShape::Broken,
            accounts: vec![],
            errors,
            root,
        };
    }
    let mut accounts = decoded.items;
    if let Some(f) = &decoded.fatal {
        // go-yaml stops here but keeps the accounts it already decoded, and the slice it allocated for
        // all of them still holds empty strings where the rest would have gone: "" becomes an account.
        if decoded.padding > 0 {
            accounts.push((String::new(), f.span, yaml::Style::Plain));
        }
        errors.push(ListError {
            kind: ListErrorKind::Decode,
            message: format!("yaml: {}", f.message),
            detail: format!(
                "{}; the accounts listed before it are still trusted",
                f.message
            ),
            span: f.span,
        });
    }
    let shape = if decoded.null && accounts.is_empty() && decoded.fatal.is_none() {
        ListShape::Null
    } else if flow {
        ListShape::Flow
    } else {
        ListShape::Block
    };
    AccountsParse {
        shape,
        accounts,
        errors,
        root,
    }
}
