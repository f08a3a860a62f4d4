//! The mapping model: role and user entries as aws-iam-authenticator decodes them, the effective
//! mapping it builds from them (last entry wins per key), and lookups of a caller's canonical ARN.

pub mod backend;
mod parse;
pub mod template;

pub use parse::{
    AccountsParse, ListError, ListErrorKind, ListParse, ListShape, parse_accounts, parse_list,
};

use crate::core::yaml::{Span, Style};
use crate::core::{arn, gostr};

/// The three data keys of the aws-auth ConfigMap (case-sensitive).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum DataKey {
    #[serde(rename = "mapRoles")]
    MapRoles,
    #[serde(rename = "mapUsers")]
    MapUsers,
    #[serde(rename = "mapAccounts")]
    MapAccounts,
}

impl DataKey {
    pub const ALL: [DataKey; 3] = [DataKey::MapRoles, DataKey::MapUsers, DataKey::MapAccounts];

    pub fn as_str(self) -> &'static str {
        match self {
            DataKey::MapRoles => "mapRoles",
            DataKey::MapUsers => "mapUsers",
            DataKey::MapAccounts => "mapAccounts",
        }
    }

    pub fn from_exact(s: &str) -> Option<DataKey> {
        DataKey::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// Which list an entry lives in, which decides its ARN field (`rolearn` or `userarn`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum ListKind {
    Roles,
    Users,
}

impl ListKind {
    pub fn data_key(self) -> DataKey {
        match self {
            ListKind::Roles => DataKey::MapRoles,
            ListKind::Users => DataKey::MapUsers,
        }
    }
    pub fn arn_field(self) -> &'static str {
        match self {
            ListKind::Roles => "rolearn",
            ListKind::Users => "userarn",
        }
    }
    pub fn go_type(self) -> &'static str {
        match self {
            ListKind::Roles => "RoleMapping",
            ListKind::Users => "UserMapping",
        }
    }
}

/// The `sso` matcher of a role entry (an alpha feature, off on EKS).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SsoMatcher {
    pub permission_set_name: String,
    pub account_id: String,
    pub partition: String,
}

impl SsoMatcher {
    /// The ArnLike pattern, lower-cased. Deliberate fix of upstream: a non-empty `partition` is used
    /// (upstream writes an empty partition then, so such entries never match; aws-iam-authenticator pkg/arn/arn.go).
    pub fn arn_like(&self) -> String {
        let partition = if self.partition.is_empty() {
            "aws"
        } else {
            &self.partition
        };
        format!(
            "arn:{partition}:iam::{}:role/AWSReservedSSO_{}_*",
            self.account_id, self.permission_set_name
        )
        .to_lowercase()
    }

    pub fn validate(&self) -> Result<(), String> {
        if !arn::is_account_id(&self.account_id) {
            return Err(format!(
                "AccountID '{}' is not a valid AWS Account ID",
                self.account_id
            ));
        }
        let name_ok = (1..=32).contains(&self.permission_set_name.len())
            && self
                .permission_set_name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_+=,.@-".contains(&b));
        if !name_ok {
            return Err(format!(
                "PermissionSetName '{}' is not a valid AWS SSO PermissionSet Name",
                self.permission_set_name
            ));
        }
        if !self.partition.is_empty() && !arn::is_known_partition(&self.partition) {
            return Err(format!(
                "partition '{}' is not a valid AWS partition",
                self.partition
            ));
        }
        Ok(())
    }
}

/// One key of an entry as written, with where it is.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// The key as written (`rolearn`, `roleARN`, ` username`…).
    pub written: String,
    /// The struct field it decodes into, if any (`rolearn`, `username`, `groups`, `sso`, `userid`).
    pub field: Option<&'static str>,
    pub key_span: Span,
    pub value_span: Span,
    /// The YAML style of a scalar value (`None` for collections).
    pub value_style: Option<Style>,
    /// True when the value is a plain scalar that spans several lines (the folded-groups trap).
    pub value_multiline_plain: bool,
    /// Not written in the entry's own text: set by a merge key (`<<: *anchor`) or an alias.
    pub inherited: bool,
}

/// A type error of Go's encoding/json while decoding an entry: the field keeps its zero value.
#[derive(Debug, Clone, PartialEq)]
pub struct TypeError {
    pub message: String,
    pub field: Option<&'static str>,
    pub span: Span,
}

/// An entry of `mapRoles` or `mapUsers`, decoded exactly like the authenticator decodes it.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub list: ListKind,
    /// Position in its list (0-based), invalid entries included.
    pub index: usize,
    /// `rolearn` or `userarn` as written (empty when absent).
    pub arn: String,
    pub sso: Option<SsoMatcher>,
    pub username: String,
    pub groups: Vec<String>,
    pub userid: String,
    /// Where the entry is in the list's text (for block entries: from the first key to the last value).
    pub span: Span,
    /// Whether the entry is written as a flow mapping (`{…}`).
    pub flow: bool,
    pub fields: Vec<Field>,
    pub type_errors: Vec<TypeError>,
    /// Why `Validate()` refuses the entry; such an entry is dropped by the authenticator.
    pub invalid: Option<String>,
    /// Each group's span, in order (absent for groups that were not strings).
    pub group_spans: Vec<Span>,
    /// The ARN the backend stores and matches when it is not the ARN as written: the MountedFile backend
    /// (authenticator config, EKS Anywhere) canonicalizes role ARNs, so an assumed-role ARN becomes the
    /// role's ARN (pkg/mapper/file/mapper.go). `None`: matched as written (the aws-auth ConfigMap).
    pub canonical: Option<String>,
    /// The entry is an alias (`- *admin`) of an entry written elsewhere.
    pub alias: bool,
    /// Keys written in the entry whose values a later key or merge replaced (go-yaml keeps the last).
    pub shadowed_keys: Vec<(String, Span)>,
    /// Values written with an explicit tag (`!!binary`, `!!str`…): where, the tag, and what they read as.
    pub tagged: Vec<(Span, String, String)>,
}

impl Entry {
    /// The authenticator's `Key()`: lower-cased rolearn (or the SSO pattern) for roles, userarn as written
    /// (Go's `strings.ToLower`, so `İ` becomes `i`).
    pub fn key(&self) -> String {
        if let Some(c) = &self.canonical {
            return gostr::to_lower(c);
        }
        match (self.list, &self.sso) {
            (ListKind::Roles, Some(sso)) if self.arn.is_empty() => sso.arn_like(),
            (ListKind::Roles, _) => gostr::to_lower(&self.arn),
            (ListKind::Users, _) => self.arn.clone(),
        }
    }

    /// The ARN to show for the entry: as written, or an SSO matcher's pattern.
    pub fn shown_arn(&self) -> String {
        match &self.sso {
            Some(sso) if self.arn.is_empty() => sso.arn_like(),
            _ => self.arn.clone(),
        }
    }

    /// Whether any field of the entry is not written in its own text (merge key or alias).
    pub fn has_inherited_fields(&self) -> bool {
        self.alias || self.fields.iter().any(|f| f.inherited)
    }

    pub fn is_valid(&self) -> bool {
        self.invalid.is_none()
    }

    /// The ARN the backend compares callers with: the canonical one where the backend canonicalizes.
    pub fn matched_arn(&self) -> &str {
        self.canonical.as_deref().unwrap_or(&self.arn)
    }

    /// The MountedFile backend's load step (aws-iam-authenticator pkg/mapper/file/mapper.go): each valid role entry's ARN is canonicalized, each
    /// user key is `Canonicalize(lowercase(userarn))`; a failure stops the server from starting, which is
    /// recorded as the entry being invalid.
    pub fn canonicalize_for_mounted_file(&mut self) {
        if self.invalid.is_some() || self.arn.is_empty() {
            return;
        }
        let input = match self.list {
            ListKind::Roles => self.arn.clone(),
            ListKind::Users => gostr::to_lower(&self.arn),
        };
        match arn::canonicalize(&input) {
            Ok((_, c)) => self.canonical = Some(c),
            Err(e) => self.invalid = Some(format!("error canonicalizing ARN: {e}")),
        }
    }

    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().rev().find(|f| f.field == Some(name))
    }

    /// `Matches(subject)` with the subject already lower-cased: Go's `strings.EqualFold`.
    fn matches(&self, subject_lower: &str, sso_role_match: bool) -> bool {
        if !self.arn.is_empty() {
            return match (&self.canonical, self.list) {
                // MountedFile users are looked up by exact key: Canonicalize(lowercase(userarn)).
                (Some(c), ListKind::Users) => gostr::to_lower(c) == subject_lower,
                _ => gostr::equal_fold(self.matched_arn(), subject_lower),
            };
        }
        match (&self.sso, sso_role_match) {
            (Some(sso), true) => arn::arn_like(subject_lower, &sso.arn_like()).unwrap_or(false),
            _ => false,
        }
    }

    /// The same mapping, compared by what the authenticator uses (for idempotent creates).
    pub fn same_mapping(&self, other: &Entry) -> bool {
        let mut a = self.groups.clone();
        let mut b = other.groups.clone();
        a.sort();
        b.sort();
        self.list == other.list
            && self.arn.eq_ignore_ascii_case(&other.arn)
            && self.username == other.username
            && a == b
    }
}

/// What the authenticator builds from the three lists: duplicates resolved, invalid entries dropped.
#[derive(Debug, Clone)]
pub struct EffectiveMapping<'a> {
    /// Surviving role entries in document order (last entry per key wins).
    pub roles: Vec<&'a Entry>,
    /// Surviving user entries in document order (last entry per exact userarn wins).
    pub users: Vec<&'a Entry>,
    pub accounts: Vec<String>,
    /// The `SSORoleMatch` feature gate; off on EKS.
    pub sso_role_match: bool,
    /// Surviving role and user entries by lowercased ARN, the first in document order for each (what a
    /// scan in document order finds first), so a lookup is O(1) whatever the size of the ConfigMap.
    role_index: std::collections::HashMap<String, Vec<&'a Entry>>,
    user_index: std::collections::HashMap<String, Vec<&'a Entry>>,
}

/// Surviving entries by the Unicode fold of their ARN (what `strings.EqualFold` compares), in document
/// order: a lookup is O(1) whatever the size of the ConfigMap, and every match is found.
fn index<'a>(entries: &[&'a Entry]) -> std::collections::HashMap<String, Vec<&'a Entry>> {
    let mut map: std::collections::HashMap<String, Vec<&'a Entry>> =
        std::collections::HashMap::with_capacity(entries.len());
    for e in entries.iter().filter(|e| !e.arn.is_empty()) {
        map.entry(gostr::fold_key(e.matched_arn()))
            .or_default()
            .push(*e);
    }
    map
}

/// The result of a lookup: the entry that matched, or an account-wide mapping.
#[derive(Debug, Clone, PartialEq)]
pub enum Resolution<'a> {
    Entry(&'a Entry),
    /// Listed in `mapAccounts`: username is the canonical ARN, no groups.
    Account(String),
}

fn last_wins(entries: &[Entry]) -> Vec<&Entry> {
    let mut last: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for (i, e) in entries.iter().enumerate() {
        if e.is_valid() {
            last.insert(e.key(), i);
        }
    }
    let mut keep: Vec<usize> = last.into_values().collect();
    keep.sort_unstable();
    keep.into_iter().map(|i| &entries[i]).collect()
}

impl<'a> EffectiveMapping<'a> {
    pub fn new(roles: &'a [Entry], users: &'a [Entry], accounts: &[String]) -> Self {
        let (roles, users) = (last_wins(roles), last_wins(users));
        EffectiveMapping {
            role_index: index(&roles),
            user_index: index(&users),
            roles,
            users,
            accounts: accounts.to_vec(),
            sso_role_match: false,
        }
    }

    /// `Map(identity)` for a canonical ARN. Deterministic where upstream iterates a Go map: among
    /// surviving entries the first in document order wins, and an exact `rolearn` beats an `sso` match.
    /// [`EffectiveMapping::candidates`] lists every entry upstream may pick.
    pub fn lookup_entry(&self, canonical_arn: &str) -> Option<&'a Entry> {
        self.candidates(canonical_arn).into_iter().next()
    }

    /// Every stored entry that matches: roles first (upstream consults users only when no role matches).
    /// More than one means upstream picks one at random per request (it iterates a Go map).
    pub fn candidates(&self, canonical_arn: &str) -> Vec<&'a Entry> {
        let subject = gostr::to_lower(canonical_arn);
        let key = gostr::fold_key(&subject);
        let mut roles: Vec<&'a Entry> = self
            .role_index
            .get(&key)
            .map(|v| {
                v.iter()
                    .filter(|e| e.matches(&subject, self.sso_role_match))
                    .copied()
                    .collect()
            })
            .unwrap_or_default();
        roles.extend(
            self.roles
                .iter()
                .filter(|e| e.arn.is_empty() && e.matches(&subject, self.sso_role_match)),
        );
        if !roles.is_empty() {
            return roles;
        }
        self.user_index
            .get(&key)
            .map(|v| {
                v.iter()
                    .filter(|e| e.matches(&subject, false))
                    .copied()
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Whether upstream's answer for this ARN is random: several stored entries match and they do not
    /// all give the same username and groups.
    pub fn nondeterministic(&self, canonical_arn: &str) -> bool {
        let c = self.candidates(canonical_arn);
        c.iter()
            .skip(1)
            .any(|e| e.username != c[0].username || e.groups != c[0].groups)
    }

    /// The whole EKSConfigMap answer: an entry, else `mapAccounts` for the caller's account.
    pub fn resolve(&self, canonical_arn: &str) -> Option<Resolution<'a>> {
        if let Some(e) = self.lookup_entry(canonical_arn) {
            return Some(Resolution::Entry(e));
        }
        let account = arn::parse(canonical_arn).ok()?.account.to_string();
        self.accounts
            .contains(&account)
            .then(|| Resolution::Account(canonical_arn.to_string()))
    }
}

#[cfg(test)]
#[path = "mapping_tests.rs"]
mod tests;
