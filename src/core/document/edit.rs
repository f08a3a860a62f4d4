//! Surgical edits: plan the new list, change only the bytes of the entry concerned (mapping decoded
//! offsets back to file bytes through the value's codec), then re-read the result with the same reader
//! and fail closed unless it yields exactly the planned model.

use super::codec::{self, Codec};
use super::lists::{add_account, add_entry, item_spans, remove_item, update_entry};
use super::{AuthDocument, Format, Slot};
use crate::core::mapping::{DataKey, Entry, ListErrorKind, ListKind, ListShape, SsoMatcher};
use crate::core::yaml::{NodeKind, Span};
use thiserror::Error;

/// A mapping to add.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEntry {
    pub list: ListKind,
    pub arn: String,
    pub username: Option<String>,
    pub groups: Vec<String>,
}

/// One change to the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EditPlan {
    AddEntry(NewEntry),
    RemoveEntry {
        list: ListKind,
        index: usize,
    },
    AddAccount(String),
    RemoveAccount {
        index: usize,
    },
    /// Replace a data value's whole decoded text (repairs); written back with the value's own codec, so
    /// only the bytes that differ change.
    SetValue {
        key: DataKey,
        content: String,
    },
    /// Rename a data key written in the wrong case (`maproles` -> `mapRoles`).
    RenameKey {
        written: String,
        to: DataKey,
    },
    /// Replace the username and/or the groups of an entry in place (`None` keeps the field).
    UpdateEntry {
        list: ListKind,
        index: usize,
        username: Option<String>,
        groups: Option<Vec<String>>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum EditError {
    #[error(
        "{source_name}:{line}: `{key}` is a YAML {what}, not a string; kubectl refuses such a ConfigMap. Write it as a block string (`{key}: |`) first"
    )]
    NotString {
        source_name: String,
        line: usize,
        key: &'static str,
        what: &'static str,
    },
    #[error(
        "{source_name}:{line}: `{key}` is a YAML {what}, not a list; the authenticator refuses to start with it. Write it as a YAML list (`- roleARN: …` lines under the key) first"
    )]
    NotList {
        source_name: String,
        line: usize,
        key: String,
        what: &'static str,
    },
    #[error(
        "{source_name}:{line}: `{key}` cannot be read ({message}); the authenticator drops all of it. Fix it first (`iamidmap validate -f {source_name}` shows how); iamidmap does not edit a list it cannot read"
    )]
    BrokenList {
        source_name: String,
        line: usize,
        key: &'static str,
        message: String,
    },
    #[error(
        "{source_name}:{line}: key `{key}` is written twice; kubectl refuses the file and it is unclear which one to edit. Remove one of them first"
    )]
    DuplicateKey {
        source_name: String,
        line: usize,
        key: String,
    },
    #[error(
        "{source_name}:{line}: data key `{written}` is ignored by the authenticator (keys are case-sensitive); rename it to `{key}` before adding mappings, or they would be split over two keys"
    )]
    WrongCaseKey {
        source_name: String,
        line: usize,
        written: String,
        key: &'static str,
    },
    #[error("{0}")]
    Unsupported(String),
    #[error(
        "the edit did not read back as planned ({0}); nothing was written. Please report this with the file"
    )]
    NotVerified(String),
}

/// The anchor names (`&name`) defined in a piece of YAML text (a heuristic on the text: quoted `&` is
/// rare in entries and only makes the check stricter).
fn anchors_in(text: &str) -> Vec<&str> {
    text.match_indices('&')
        .filter(|(at, _)| *at == 0 || text[..*at].ends_with([' ', '\t', '\n', '-', '[', '{', ',']))
        .filter_map(|(at, _)| {
            let rest = &text[at + 1..];
            let n = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
                .unwrap_or(rest.len());
            (n > 0).then(|| &rest[..n])
        })
        .collect()
}

/// The edited text, with notes for the user about anything beyond a surgical change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EditOutcome {
    pub text: String,
    pub notes: Vec<String>,
}

/// The parts of an entry that the authenticator uses; what verification compares.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Semantic {
    arn: String,
    sso: Option<SsoMatcher>,
    username: String,
    groups: Vec<String>,
    userid: String,
    valid: bool,
}

impl From<&Entry> for Semantic {
    fn from(e: &Entry) -> Self {
        Semantic {
            arn: e.arn.clone(),
            sso: e.sso.clone(),
            username: e.username.clone(),
            groups: e.groups.clone(),
            userid: e.userid.clone(),
            valid: e.is_valid(),
        }
    }
}

impl From<&NewEntry> for Semantic {
    fn from(e: &NewEntry) -> Self {
        Semantic {
            arn: e.arn.clone(),
            sso: None,
            username: e.username.clone().unwrap_or_default(),
            groups: e.groups.clone(),
            userid: String::new(),
            valid: true,
        }
    }
}

/// What the edited document must read back as.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Model {
    roles: Vec<Semantic>,
    users: Vec<Semantic>,
    accounts: Vec<String>,
}

fn semantics(entries: &[Entry]) -> Vec<Semantic> {
    entries.iter().map(Semantic::from).collect()
}

fn model_of(doc: &AuthDocument) -> Model {
    Model {
        roles: semantics(&doc.roles.entries),
        users: semantics(&doc.users.entries),
        accounts: doc.accounts.accounts.iter().map(|a| a.0.clone()).collect(),
    }
}

impl AuthDocument {
    /// Apply one edit and return the new text, verified by re-reading it.
    pub fn apply(&self, plan: &EditPlan) -> Result<EditOutcome, EditError> {
        if let EditPlan::RenameKey { written, to } = plan {
            return self.rename_key(written, *to);
        }
        self.check_editable(plan)?;
        let repair = matches!(plan, EditPlan::SetValue { .. });
        let mut model = model_of(self);
        let (key, new_content) = match plan {
            EditPlan::AddEntry(entry) => {
                let key = entry.list.data_key();
                let content = self.slot_content(key);
                let list = self.list(entry.list);
                let new = add_entry(
                    content,
                    list,
                    entry,
                    self.is_block_value(key),
                    self.is_structured(),
                );
                match entry.list {
                    ListKind::Roles => model.roles.push(entry.into()),
                    ListKind::Users => model.users.push(entry.into()),
                }
                (key, new)
            }
            EditPlan::RemoveEntry { list, index } => {
                let key = list.data_key();
                let parse = self.list(*list);
                let entry = self.entry_at(*list, *index)?;
                let content = self.slot_content(key);
                let new = remove_item(
                    content,
                    entry.span,
                    parse.shape,
                    &item_spans(parse),
                    self.is_block_value(key),
                );
                match list {
                    ListKind::Roles => model.roles.remove(*index),
                    ListKind::Users => model.users.remove(*index),
                };
                (key, new)
            }
            EditPlan::UpdateEntry {
                list,
                index,
                username,
                groups,
            } => {
                let key = list.data_key();
                let entry = self.entry_at(*list, *index)?;
                let content = self.slot_content(key);
                let new = update_entry(content, entry, username.as_deref(), groups.as_deref());
                let planned = match list {
                    ListKind::Roles => &mut model.roles[*index],
                    ListKind::Users => &mut model.users[*index],
                };
                if let Some(u) = username {
                    planned.username = u.clone();
                }
                if let Some(g) = groups {
                    planned.groups = g.clone();
                }
                (key, new)
            }
            EditPlan::SetValue { key, content } => {
                match key {
                    DataKey::MapRoles => {
                        model.roles = semantics(
                            &crate::core::mapping::parse_list(content, ListKind::Roles).entries,
                        )
                    }
                    DataKey::MapUsers => {
                        model.users = semantics(
                            &crate::core::mapping::parse_list(content, ListKind::Users).entries,
                        )
                    }
                    DataKey::MapAccounts => {
                        model.accounts = crate::core::mapping::parse_accounts(content)
                            .accounts
                            .iter()
                            .map(|a| a.0.clone())
                            .collect()
                    }
                }
                (*key, content.clone())
            }
            EditPlan::RenameKey { .. } => unreachable!("handled above"),
            EditPlan::AddAccount(id) => {
                let key = DataKey::MapAccounts;
                let new = add_account(
                    self.slot_content(key),
                    &self.accounts,
                    id,
                    self.is_block_value(key),
                );
                model.accounts.push(id.clone());
                (key, new)
            }
            EditPlan::RemoveAccount { index } => {
                let key = DataKey::MapAccounts;
                let spans: Vec<Span> = self.accounts.accounts.iter().map(|a| a.1).collect();
                let span = *spans.get(*index).ok_or_else(|| {
                    EditError::Unsupported(format!("no account #{index} in `mapAccounts`"))
                })?;
                let new = remove_item(
                    self.slot_content(key),
                    span,
                    self.accounts.shape,
                    &spans,
                    self.is_block_value(key),
                );
                model.accounts.remove(*index);
                (key, new)
            }
        };
        let mut notes = vec![];
        // A delete that empties a list whose key holds nothing else removes the key, so that adding an
        // entry under a new key and deleting it again gives back the original bytes.
        if matches!(
            plan,
            EditPlan::RemoveEntry { .. } | EditPlan::RemoveAccount { .. }
        ) && matches!(new_content.trim(), "" | "[]")
            && let Some(text) = self.remove_slot(key)
            && self.verify(&text, &model, key, repair).is_ok()
        {
            notes.push(format!(
                "removed the key `{}`, which held nothing else",
                self.facts.carrier.kind.key_path(key)
            ));
            return Ok(EditOutcome { text, notes });
        }
        let text = match self.slot(key) {
            Some(slot) => {
                // Surgical first; if that cannot be done or does not read back as planned, re-encode
                // only this value. Each candidate is verified by re-reading it once.
                // An emptied structured list is written `key: []`, not as a `[]` line under the key.
                let emptied = self.is_structured() && matches!(new_content.trim(), "" | "[]");
                if !emptied
                    && let Some(text) = self.splice_slot(slot, &new_content)
                    && self.verify(&text, &model, key, repair).is_ok()
                {
                    return Ok(EditOutcome { text, notes });
                }
                if emptied {
                    self.put_structured_list(key, &new_content)?
                } else if self.is_structured() {
                    if !matches!(slot.content.trim(), "" | "[]") {
                        notes.push(format!(
                        "`{}` could not be edited line by line; iamidmap rewrote that one list; everything else is unchanged",
                        self.facts.carrier.kind.key_path(key)
                    ));
                    }
                    self.put_structured_list(key, &new_content)?
                } else {
                    notes.push(format!(
                        "`{}` was written as a {} that cannot be edited in place; iamidmap re-encoded that one value{}; everything else is unchanged",
                        key.as_str(),
                        style_name(slot),
                        if self.format == Format::Json || self.carrier.data_flow {
                            " as a JSON string"
                        } else {
                            " as a literal block (`|`)"
                        }
                    ));
                    self.reencode_slot(slot, &new_content)
                }
            }
            None => {
                notes.push(format!(
                    "added the key `{}`",
                    self.facts.carrier.kind.key_path(key)
                ));
                if self.is_structured() {
                    self.put_structured_list(key, &new_content)?
                } else {
                    self.add_slot(key, &new_content)?
                }
            }
        };
        self.verify(&text, &model, key, repair)?;
        Ok(EditOutcome { text, notes })
    }

    /// Whether a value is (or, when absent, will be) a literal block: such a list is written in block
    /// style and an emptied one becomes `[]`; a quoted value keeps flow entries and empties to "".
    fn is_block_value(&self, key: DataKey) -> bool {
        use crate::core::yaml::Style;
        if self.is_structured() {
            return true;
        }
        self.slot(key)
            .is_none_or(|s| matches!(s.style, Some(Style::Literal)))
    }

    fn entry_at(&self, list: ListKind, index: usize) -> Result<&Entry, EditError> {
        self.list(list).entries.get(index).ok_or_else(|| {
            EditError::Unsupported(format!(
                "no entry #{index} in `{}`",
                list.data_key().as_str()
            ))
        })
    }

    fn slot_content(&self, key: DataKey) -> &str {
        self.slot(key).map_or("", |s| s.content.as_str())
    }

    fn check_editable(&self, plan: &EditPlan) -> Result<(), EditError> {
        if let Some((why, offset)) = &self.facts.carrier.inner_error {
            return Err(EditError::Unsupported(format!(
                "{}:{}: {why}. Fix it first (`iamidmap validate -f {}` shows where); iamidmap does not edit a config it cannot read",
                self.source_name,
                self.location(*offset).line,
                self.source_name
            )));
        }
        let key = match plan {
            EditPlan::AddEntry(e) => e.list.data_key(),
            EditPlan::RemoveEntry { list, .. } | EditPlan::UpdateEntry { list, .. } => {
                list.data_key()
            }
            // A repair may rewrite a list that cannot be read: that is the point of it.
            EditPlan::SetValue { .. } => return Ok(()),
            _ => DataKey::MapAccounts,
        };
        if let Some((dup, span)) = self.facts.duplicate_keys.first() {
            return Err(EditError::DuplicateKey {
                source_name: self.source_name.clone(),
                line: self.location(span.start).line,
                key: dup.clone(),
            });
        }
        if self.slot(key).is_none()
            && let Some((written, span)) = self
                .facts
                .wrong_case_keys
                .iter()
                .find(|(w, _)| w.trim().eq_ignore_ascii_case(key.as_str()))
        {
            return Err(EditError::WrongCaseKey {
                source_name: self.source_name.clone(),
                line: self.location(span.start).line,
                written: written.clone(),
                key: key.as_str(),
            });
        }
        let Some(slot) = self.slot(key) else {
            return Ok(());
        };
        let line = self.location(slot.key_span.start).line;
        if let Some(what) = slot.wrong_type
            && self.is_structured()
        {
            return Err(EditError::NotList {
                source_name: self.source_name.clone(),
                line,
                key: self.facts.carrier.kind.key_path(key),
                what,
            });
        }
        if let Some(what) = slot.wrong_type {
            return Err(EditError::NotString {
                source_name: self.source_name.clone(),
                line,
                key: key.as_str(),
                what,
            });
        }
        let errors = match key {
            DataKey::MapRoles => &self.roles.errors,
            DataKey::MapUsers => &self.users.errors,
            DataKey::MapAccounts => &self.accounts.errors,
        };
        let broken = match key {
            DataKey::MapRoles => self.roles.dropped_whole(),
            DataKey::MapUsers => self.users.dropped_whole(),
            DataKey::MapAccounts => self.accounts.shape == ListShape::Broken,
        };
        if broken {
            let e = &errors[0];
            return Err(EditError::BrokenList {
                source_name: self.source_name.clone(),
                line: self.inner_location(key, e.span).line,
                key: key.as_str(),
                message: e.detail.clone(),
            });
        }
        // mapAccounts that go-yaml reads only in part (a value stops the decode): adding or removing
        // accounts around it would change which ones are trusted.
        if key == DataKey::MapAccounts
            && let Some(e) = errors.iter().find(|e| e.kind == ListErrorKind::Decode)
        {
            return Err(EditError::BrokenList {
                source_name: self.source_name.clone(),
                line: self.inner_location(key, e.span).line,
                key: key.as_str(),
                message: e.detail.clone(),
            });
        }
        if let EditPlan::RemoveEntry { list, index } | EditPlan::UpdateEntry { list, index, .. } =
            plan
        {
            self.check_entry_editable(*list, *index, matches!(plan, EditPlan::UpdateEntry { .. }))?;
        }
        Ok(())
    }

    /// An entry whose text other entries share (an anchor they alias) or that takes fields from elsewhere
    /// (a merge key, an alias) cannot be changed without changing what is not in it: refused, with why.
    fn check_entry_editable(
        &self,
        list: ListKind,
        index: usize,
        update: bool,
    ) -> Result<(), EditError> {
        let entry = self.entry_at(list, index)?;
        let key = list.data_key();
        let line = self.entry_location(entry).line;
        let content = self.slot_content(key);
        // From the end of the previous entry: an anchor may stand before the entry (`- &base`).
        let start = index
            .checked_sub(1)
            .and_then(|i| self.list(list).entries.get(i))
            .map_or(0, |e| e.span.end);
        let range = start..entry.span.end.max(start);
        let own = content.get(range.clone()).unwrap_or("");
        for anchor in anchors_in(own) {
            let alias = format!("*{anchor}");
            let used = content.match_indices(&alias).any(|(at, _)| {
                !range.contains(&at)
                    && !content[at + alias.len()..]
                        .starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            });
            if used {
                return Err(EditError::Unsupported(format!(
                    "{}:{line}: this entry carries the anchor `&{anchor}`, which other entries use (`{alias}`); changing or removing it would change them too. Write those entries out in full first (`iamidmap validate -f {}` lists them under IM057)",
                    self.source_name, self.source_name
                )));
            }
        }
        if update && entry.has_inherited_fields() {
            return Err(EditError::Unsupported(format!(
                "{}:{line}: this entry takes fields from elsewhere (an alias or a merge key `<<`), so it cannot be changed in place. Write it out in full first",
                self.source_name
            )));
        }
        Ok(())
    }

    /// Replace the decoded text of a value by changing only the bytes that differ.
    pub(super) fn splice_slot(&self, slot: &Slot, new: &str) -> Option<String> {
        let old = slot.content.as_str();
        match &slot.codec {
            Codec::Literal {
                indent,
                lines,
                suffix,
                eol,
            } => {
                let core = new.strip_suffix(suffix.as_str())?;
                let old_core = old.strip_suffix(suffix.as_str())?;
                if lines.is_empty() {
                    return None;
                }
                let old_lines: Vec<&str> = old_core.split('\n').collect();
                let new_lines: Vec<&str> = core.split('\n').collect();
                if old_lines.len() != lines.len() {
                    return None;
                }
                let prefix = old_lines
                    .iter()
                    .zip(&new_lines)
                    .take_while(|(a, b)| a == b)
                    .count();
                let max_suffix = old_lines.len().min(new_lines.len()) - prefix;
                let suffix_n = old_lines
                    .iter()
                    .rev()
                    .zip(new_lines.iter().rev())
                    .take(max_suffix)
                    .take_while(|(a, b)| a == b)
                    .count();
                let text = &self.text;
                let mut region: Vec<String> = vec![];
                for l in &lines[..prefix] {
                    region.push(text[l.start..l.eol_end].to_string());
                }
                for l in &new_lines[prefix..new_lines.len() - suffix_n] {
                    if l.is_empty() {
                        region.push(eol.to_string());
                    } else {
                        region.push(format!("{}{l}{eol}", " ".repeat(*indent)));
                    }
                }
                for l in &lines[lines.len() - suffix_n..] {
                    region.push(text[l.start..l.eol_end].to_string());
                }
                let last = lines[lines.len() - 1];
                let had_final_eol = last.eol_end > last.end;
                let n = region.len();
                for (i, r) in region.iter_mut().enumerate() {
                    let has = r.ends_with('\n');
                    if i + 1 < n && !has {
                        r.push_str(eol);
                    } else if i + 1 == n && has && !had_final_eol {
                        let trimmed = r.trim_end_matches('\n').trim_end_matches('\r').len();
                        r.truncate(trimmed);
                    }
                }
                let start = lines[0].start;
                let end = last.eol_end;
                Some(format!(
                    "{}{}{}",
                    &text[..start],
                    region.concat(),
                    &text[end..]
                ))
            }
            Codec::Quoted { double, map } => {
                let prefix = common_prefix(old, new);
                let suffix = common_suffix(&old[prefix..], &new[prefix..]);
                let removed_end = old.len() - suffix;
                let inserted = &new[prefix..new.len() - suffix];
                let encoded = if *double {
                    codec::encode_double(inserted)
                } else {
                    codec::encode_single(inserted)?
                };
                let (a, b) = (map[prefix], map[removed_end]);
                if a > b {
                    return None;
                }
                Some(format!("{}{}{}", &self.text[..a], encoded, &self.text[b..]))
            }
            Codec::Opaque => None,
        }
    }

    /// Write a whole value anew (only that value), for encodings that cannot be edited in place.
    pub(super) fn reencode_slot(&self, slot: &Slot, new: &str) -> String {
        let start = value_start(&self.text, slot);
        let end = match slot.style {
            Some(crate::core::yaml::Style::Literal) | Some(crate::core::yaml::Style::Folded) => {
                literal_end(&self.text, slot)
            }
            _ => slot.value_span.end,
        };
        let key_col = slot.key_span.col - 1;
        let encoded = self.encode_value(new, key_col);
        format!("{}{}{}", &self.text[..start], encoded, &self.text[end..])
    }

    fn encode_value(&self, content: &str, key_col: usize) -> String {
        if self.format == Format::Json || self.carrier.data_flow || content.is_empty() {
            return format!("\"{}\"", codec::encode_double(content));
        }
        let indent = " ".repeat(key_col + 2);
        let chomp = if content.ends_with('\n') { "" } else { "-" };
        let mut out = format!("|{chomp}");
        for line in content.strip_suffix('\n').unwrap_or(content).split('\n') {
            out.push_str(self.eol);
            if !line.is_empty() {
                out.push_str(&indent);
                out.push_str(line);
            }
        }
        out
    }

    /// Add a data key that the file does not have yet, after the last data key.
    fn add_slot(&self, key: DataKey, content: &str) -> Result<String, EditError> {
        let eol = self.eol;
        let text = &self.text;
        let c = &self.carrier;
        if c.data_span.is_some() {
            let at = c
                .append_at
                .unwrap_or_else(|| c.data_span.map_or(0, |s| s.start + 1));
            if c.data_flow {
                let empty = c.append_at.is_none();
                let pad = " ".repeat(c.key_col);
                let value = format!("\"{}\"", codec::encode_double(content));
                let ins = if empty {
                    format!("\"{}\": {value}", key.as_str())
                } else {
                    format!(",{eol}{pad}\"{}\": {value}", key.as_str())
                };
                return Ok(format!("{}{ins}{}", &text[..at], &text[at..]));
            }
            let Some(at) = c.append_at else {
                return Err(EditError::Unsupported(
                    "the manifest's `data` is empty and not in flow style; add `mapRoles: |` under it first".into(),
                ));
            };
            let value = self.encode_value(content, c.key_col);
            let pad = " ".repeat(c.key_col);
            if let Some(line) = c.insert_before_last {
                // The last value is a block scalar that ends the file without a line break: appending
                // would add one to it, so the new key goes before it and its bytes stay as they were.
                let ins = format!("{pad}{}: {value}{eol}", key.as_str());
                return Ok(format!("{}{ins}{}", &text[..line], &text[line..]));
            }
            let ins = format!("{eol}{pad}{}: {value}", key.as_str());
            return Ok(format!("{}{ins}{}", &text[..at], &text[at..]));
        }
        // No data at all: add it to the object.
        if c.object_flow {
            let at = c.object_span.end.saturating_sub(1);
            let before = text[..at].trim_end_matches([' ', '\n', '\r', '\t']).len();
            let pad = " ".repeat(c.object_key_col.max(2));
            let ins = format!(
                ",{eol}{pad}\"data\": {{\"{}\": \"{}\"}}",
                key.as_str(),
                codec::encode_double(content)
            );
            return Ok(format!("{}{ins}{}", &text[..before], &text[before..]));
        }
        if c.shape != super::Shape::Object {
            return Err(EditError::Unsupported(
                "cannot add a data key to this fragment".into(),
            ));
        }
        let docs = crate::core::yaml::parse_stream(text)
            .map_err(|e| EditError::NotVerified(e.to_string()))?;
        let doc = &docs[c.doc_index];
        let object = match c.list_item {
            Some(i) => match doc.get("items").map(|n| &n.kind) {
                Some(NodeKind::Seq { items, .. }) => &items[i],
                _ => doc,
            },
            None => doc,
        };
        let Some((_, last)) = object.entries().last() else {
            return Err(EditError::Unsupported("the object is empty".into()));
        };
        let at = super::value_end(text, last);
        let pad = " ".repeat(c.object_key_col);
        let value = self.encode_value(content, c.object_key_col + 2);
        let ins = format!("{eol}{pad}data:{eol}{pad}  {}: {value}", key.as_str());
        Ok(format!("{}{ins}{}", &text[..at], &text[at..]))
    }

    /// The text without the data key `key` and its value, when that can be done by removing whole lines
    /// (block style: the key alone at the start of its line, no comment on its line or after its value) or
    /// the last member of a flow `data` with its comma, and another data key is left. `None` otherwise (the
    /// caller then empties the value).
    fn remove_slot(&self, key: DataKey) -> Option<String> {
        let text = &self.text;
        let c = &self.carrier;
        if self.is_structured()
            || c.data_span.is_none()
            || self.slots.len() + self.facts.other_data_keys.len() < 2
        {
            return None;
        }
        let slot = self.slot(key)?;
        if c.data_flow {
            // JSON or flow style: only the last member, with the comma before it.
            let end = slot.value_span.end;
            let prefix = text[..slot.key_span.start].trim_end();
            let closes = text[end..].trim_start().starts_with('}');
            return (closes && prefix.ends_with(',') && !text[prefix.len()..end].contains('#'))
                .then(|| format!("{}{}", &prefix[..prefix.len() - 1], &text[end..]));
        }
        let line_start = text[..slot.key_span.start].rfind('\n').map_or(0, |i| i + 1);
        if !text[line_start..slot.key_span.start]
            .bytes()
            .all(|b| b == b' ')
        {
            return None;
        }
        let end = match slot.style {
            Some(crate::core::yaml::Style::Literal | crate::core::yaml::Style::Folded) => {
                literal_end(text, slot)
            }
            Some(_) => slot.value_span.end,
            None => return None,
        };
        // Nothing but the value between the key and the end (no header comment), nothing after it on
        // its last line.
        let key_line = text[slot.key_span.end..].split('\n').next().unwrap_or("");
        if key_line.contains('#') {
            return None;
        }
        let rest_of_line = text[end..].split('\n').next().unwrap_or("");
        if !rest_of_line.trim().is_empty() {
            return None;
        }
        let after = end + rest_of_line.len();
        if after < text.len() {
            // A line break follows: remove the key's lines with it.
            return Some(format!("{}{}", &text[..line_start], &text[after + 1..]));
        }
        // The key ends the file: remove the line break before it instead.
        let before = text[..line_start]
            .strip_suffix('\n')
            .map(|t| t.strip_suffix('\r').unwrap_or(t))?;
        Some(format!("{before}{}", &text[after..]))
    }

    /// Re-read the edited text and compare with the planned model; fail closed otherwise.
    fn verify(
        &self,
        text: &str,
        model: &Model,
        edited: DataKey,
        repair: bool,
    ) -> Result<(), EditError> {
        let doc = self
            .reparse(text.to_string())
            .map_err(|e| EditError::NotVerified(e.to_string()))?;
        let got = model_of(&doc);
        if got != *model {
            return Err(EditError::NotVerified(
                "the mappings read back differ from the plan".into(),
            ));
        }
        for key in DataKey::ALL {
            if key == edited {
                continue;
            }
            let a = self.slot(key).map(|s| &s.content);
            let b = doc.slot(key).map(|s| &s.content);
            if a != b {
                return Err(EditError::NotVerified(format!(
                    "`{}` changed",
                    key.as_str()
                )));
            }
        }
        let (a, b) = (&self.facts, &doc.facts);
        if (&a.name, &a.namespace, &a.kind, &a.other_data_keys)
            != (&b.name, &b.namespace, &b.kind, &b.other_data_keys)
        {
            return Err(EditError::NotVerified(
                "the object's metadata changed".into(),
            ));
        }
        let errors = |d: &AuthDocument| {
            (
                d.roles.errors.len(),
                d.users.errors.len(),
                d.accounts.errors.len(),
            )
        };
        if !repair && errors(self) != errors(&doc) {
            return Err(EditError::NotVerified("new parse errors appeared".into()));
        }
        Ok(())
    }
}

fn style_name(slot: &Slot) -> &'static str {
    use crate::core::yaml::Style::*;
    match slot.style {
        Some(Plain) => "plain string",
        Some(SingleQuoted) => "single-quoted string",
        Some(DoubleQuoted) => "double-quoted string",
        Some(Literal) => "literal block",
        Some(Folded) => "folded block (`>`)",
        None => "non-string value",
    }
}

/// Where the value's own text starts: the `|`/`>` header of a block scalar, else the scalar itself.
fn value_start(text: &str, slot: &Slot) -> usize {
    match slot.style {
        Some(crate::core::yaml::Style::Literal) | Some(crate::core::yaml::Style::Folded) => {
            let between = &text[slot.key_span.end..slot.value_span.start.max(slot.key_span.end)];
            between
                .find(['|', '>'])
                .map_or(slot.value_span.start, |i| slot.key_span.end + i)
        }
        _ => slot.value_span.start,
    }
}

fn literal_end(text: &str, slot: &Slot) -> usize {
    match &slot.codec {
        Codec::Literal { lines, .. } if !lines.is_empty() => lines[lines.len() - 1].end,
        _ => {
            let node = crate::core::yaml::Node {
                kind: NodeKind::Scalar {
                    value: String::new(),
                    style: crate::core::yaml::Style::Literal,
                    tag: None,
                },
                span: slot.value_span,
            };
            super::value_end(text, &node)
        }
    }
}

fn common_prefix(a: &str, b: &str) -> usize {
    let mut n = a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count();
    while !a.is_char_boundary(n) || !b.is_char_boundary(n) {
        n -= 1;
    }
    n
}

fn common_suffix(a: &str, b: &str) -> usize {
    let mut n = a
        .bytes()
        .rev()
        .zip(b.bytes().rev())
        .take_while(|(x, y)| x == y)
        .count();
    while !a.is_char_boundary(a.len() - n) || !b.is_char_boundary(b.len() - n) {
        n -= 1;
    }
    n
}

impl AuthDocument {
    /// Rename a wrong-case data key; only the key's bytes change.
    fn rename_key(&self, written: &str, to: DataKey) -> Result<EditOutcome, EditError> {
        if self.slot(to).is_some() {
            return Err(EditError::Unsupported(format!(
                "both `{written}` and `{}` exist; merge them by hand",
                to.as_str()
            )));
        }
        let Some((_, span)) = self
            .facts
            .wrong_case_keys
            .iter()
            .find(|(w, _)| w == written)
        else {
            return Err(EditError::Unsupported(format!("no data key `{written}`")));
        };
        let raw = &self.text[span.start..span.end];
        let replacement = raw.replace(written.trim(), to.as_str());
        let text = format!(
            "{}{}{}",
            &self.text[..span.start],
            replacement,
            &self.text[span.end..]
        );
        let doc = self
            .reparse(text.clone())
            .map_err(|e| EditError::NotVerified(e.to_string()))?;
        if doc.slot(to).is_none() {
            return Err(EditError::NotVerified(format!(
                "`{}` did not appear",
                to.as_str()
            )));
        }
        Ok(EditOutcome {
            text,
            notes: vec![],
        })
    }
}
