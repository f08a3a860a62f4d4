//! The IAM side of `check`: which principal an entry names, what IAM says about it, and what that means.

use crate::core::arn::{self, PrincipalType};
use crate::core::mapping::Entry;
use serde_json::Value;

/// The principal IAM is asked about for one entry.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub enum Query {
    Role(String),
    User(String),
}

impl Query {
    pub fn name(&self) -> &str {
        match self {
            Query::Role(n) | Query::User(n) => n,
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Query::Role(_) => "role",
            Query::User(_) => "user",
        }
    }
}

/// Why an entry's principal is not looked up.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "reason", rename_all = "kebab-case")]
pub enum Skip {
    /// The ARN names another account (or partition) than the cluster's; IAM there cannot be read.
    OtherAccount { partition: String, account: String },
    /// The account root, a federated user or an `sso:` matcher: nothing to look up by name.
    NotAPrincipal,
    /// The ARN is not one (lint reports it).
    InvalidArn,
}

/// The cluster's account and partition: IAM is read there.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Account {
    pub partition: String,
    pub id: String,
}

/// What to look up for an entry, or why not.
pub fn query(entry: &Entry, account: &Account) -> Result<(Query, Option<String>), Skip> {
    if entry.sso.is_some() {
        return Err(Skip::NotAPrincipal);
    }
    query_arn(&entry.arn, account)
}

/// What to look up for an ARN (an entry's, or an EKS access entry's principal), or why not.
pub fn query_arn(arn_text: &str, account: &Account) -> Result<(Query, Option<String>), Skip> {
    let parts = arn::parse(arn_text.trim()).map_err(|_| Skip::InvalidArn)?;
    if !arn::is_known_partition(parts.partition) || !arn::is_account_id(parts.account) {
        return Err(Skip::InvalidArn);
    }
    if parts.partition != account.partition || parts.account != account.id {
        return Err(Skip::OtherAccount {
            partition: parts.partition.to_string(),
            account: parts.account.to_string(),
        });
    }
    let pieces: Vec<&str> = parts.resource.split('/').collect();
    let path = |inner: &[&str]| {
        if inner.is_empty() {
            None
        } else {
            Some(format!("/{}/", inner.join("/")))
        }
    };
    match (parts.service, pieces.as_slice()) {
        ("iam", ["role", inner @ .., name]) if !name.is_empty() => {
            Ok((Query::Role(name.to_string()), path(inner)))
        }
        ("iam", ["user", inner @ .., name]) if !name.is_empty() => {
            Ok((Query::User(name.to_string()), path(inner)))
        }
        // A session ARN names its role (lint says it never matches as written).
        ("sts", ["assumed-role", role, _session]) => Ok((Query::Role(role.to_string()), None)),
        _ => Err(Skip::NotAPrincipal),
    }
}

/// A role or user as IAM describes it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Principal {
    pub arn: String,
    pub path: String,
    /// The unique ID (`AROA…`/`AIDA…`): a recreated principal gets a new one.
    pub id: String,
    /// When IAM created it, if it says.
    pub created: Option<jiff::Timestamp>,
    /// The role's trust policy (decoded JSON), if any.
    #[serde(skip)]
    pub trust_policy: Option<String>,
}

/// IAM's answer for one principal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    Found(Principal),
    Missing,
    /// Could not be asked (no permission, throttled past the retries, network): the reason.
    Failed(String),
}

/// Whether a role is service-linked (only an AWS service can assume it).
pub fn service_linked(p: &Principal) -> bool {
    p.path.starts_with("/aws-service-role/")
}

/// The path problem of an entry, if its ARN cannot match the principal IAM has.
/// Role entries are matched path-less (the caller's ARN loses its path), so a path-less role entry is
/// right whatever the role's path; a role entry with a path never matches (IM016) and is wrong if the
/// path is not even the role's. User ARNs keep their path, so a user entry must have the user's.
pub fn path_mismatch(q: &Query, written: Option<&str>, p: &Principal) -> Option<String> {
    let written = written.unwrap_or("/");
    match q {
        Query::Role(_) if written != "/" && written != p.path => Some(format!(
            "the entry's ARN has the path `{written}` but the role's path is `{}`",
            p.path
        )),
        Query::User(_) if written != p.path => Some(format!(
            "the entry's ARN has the path `{written}` but the user's path is `{}`: user ARNs keep their path, so the entry never matches `{}`",
            p.path, p.arn
        )),
        _ => None,
    }
}

/// Whether the username lets the caller choose (part of) it: `{{SessionName}}`/`{{SessionNameRaw}}`.
pub fn session_name_in_username(username: &str) -> bool {
    username.contains("{{SessionName}}") || username.contains("{{SessionNameRaw}}")
}

/// The principals in a trust policy that are IAM users or whole accounts (or anyone), allowed to call
/// `sts:AssumeRole` without a condition on `sts:RoleSessionName`: each of them picks its own session name.
pub fn self_naming_principals(policy: &str) -> Vec<String> {
    let Ok(doc) = serde_json::from_str::<Value>(policy) else {
        return vec![];
    };
    let statements = match doc.get("Statement") {
        Some(Value::Array(a)) => a.clone(),
        Some(v @ Value::Object(_)) => vec![v.clone()],
        _ => return vec![],
    };
    let as_list = |v: Option<&Value>| -> Vec<String> {
        match v {
            Some(Value::String(s)) => vec![s.clone()],
            Some(Value::Array(a)) => a
                .iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect(),
            _ => vec![],
        }
    };
    let mut out = vec![];
    for st in statements {
        if st.get("Effect").and_then(Value::as_str) != Some("Allow") {
            continue;
        }
        let actions = as_list(st.get("Action"));
        let assumes = actions.iter().any(|a| {
            let a = a.to_ascii_lowercase();
            a == "*" || a == "sts:*" || a == "sts:assumerole"
        });
        if !assumes {
            continue;
        }
        let restricted = st
            .get("Condition")
            .and_then(Value::as_object)
            .is_some_and(|ops| {
                ops.values().any(|keys| {
                    keys.as_object().is_some_and(|k| {
                        k.keys()
                            .any(|key| key.eq_ignore_ascii_case("sts:RoleSessionName"))
                    })
                })
            });
        if restricted {
            continue;
        }
        let principals = match st.get("Principal") {
            Some(Value::String(s)) if s == "*" => vec!["*".to_string()],
            Some(Value::Object(p)) => as_list(p.get("AWS")),
            _ => vec![],
        };
        for p in principals {
            let self_naming = p == "*"
                || arn::is_account_id(&p)
                || p.ends_with(":root")
                || matches!(arn::principal_type(&p), Some(PrincipalType::User));
            if self_naming && !out.contains(&p) {
                out.push(p);
            }
        }
    }
    out
}
