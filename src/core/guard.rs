//! The lockout guard: compares what the authenticator would make of the document before and after a
//! change, and names every way the change would lock someone out. Pure: the caller's identity is an input.

use crate::core::document::AuthDocument;
use crate::core::lint::{self, Finding};
use crate::core::mapping::{EffectiveMapping, Entry, Resolution};

/// The API server's limit for a ConfigMap's data.
pub const SIZE_LIMIT: usize = 1024 * 1024;

const NODE_GROUPS: [&str; 2] = ["system:bootstrappers", "system:nodes"];

/// Lint rules whose findings mean the authenticator (or kubectl) drops or ignores part of the document.
const DROP_RULES: [&str; 7] = [
    "IM007", "IM008", "IM009", "IM010", "IM011", "IM013", "IM015",
];

/// One reason to refuse a change.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Violation {
    /// A stable name for the rule (`drops-entries`, `caller-loses-access`, `last-system-masters`,
    /// `node-role-loses-access`, `size-limit`).
    pub rule: &'static str,
    /// The entry concerned (an ARN, a key).
    pub subject: String,
    /// What the authenticator (or the API server) would do.
    pub consequence: String,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "[{}] {}: {}", self.rule, self.subject, self.consequence)
    }
}

/// Groups an identity gets: an entry's groups, or none for an account-wide mapping.
fn groups_of(r: &Resolution<'_>) -> Vec<String> {
    match r {
        Resolution::Entry(e) => e.groups.clone(),
        Resolution::Account(_) => vec![],
    }
}

fn username_of(r: &Resolution<'_>) -> String {
    match r {
        Resolution::Entry(e) => e.username.clone(),
        Resolution::Account(arn) => arn.clone(),
    }
}

fn is_node(e: &Entry) -> bool {
    e.username.starts_with("system:node:") || e.groups.iter().any(|g| g == "system:nodes")
}

fn masters(m: &EffectiveMapping<'_>) -> usize {
    m.roles
        .iter()
        .chain(m.users.iter())
        .filter(|e| e.groups.iter().any(|g| g == "system:masters"))
        .count()
}

fn drop_findings(doc: &AuthDocument) -> Vec<Finding> {
    lint::lint_only(doc, &DROP_RULES)
}

/// Every way `after` would lock someone out compared with `before`. `caller` is the caller's canonical
/// ARN when it is known.
pub fn check(before: &AuthDocument, after: &AuthDocument, caller: Option<&str>) -> Vec<Violation> {
    let mut out = vec![];
    let (old, new) = (before.effective(), after.effective());

    // 1. Anything the authenticator would drop that it did not drop before.
    let old_drops = drop_findings(before);
    let new_drops = drop_findings(after);
    for rule in DROP_RULES {
        let n_old = old_drops.iter().filter(|f| f.rule == rule).count();
        let fresh: Vec<&Finding> = new_drops.iter().filter(|f| f.rule == rule).collect();
        if fresh.len() > n_old {
            for f in fresh
                .iter()
                .filter(|f| !old_drops.iter().any(|o| o.message == f.message))
            {
                out.push(Violation {
                    rule: "drops-entries",
                    subject: format!("{} at line {}", f.rule, f.line),
                    consequence: f.message.clone(),
                });
            }
        }
    }

    // 2. The caller keeps its mapping, its username and every group it had.
    if let Some(arn) = caller
        && let Some(had) = old.resolve(arn)
    {
        match new.resolve(arn) {
            None => out.push(Violation {
                rule: "caller-loses-access",
                subject: format!("`{arn}` (you)"),
                consequence: "would no longer be mapped: the authenticator answers \"identity is not mapped\" and you are locked out".into(),
            }),
            Some(has) => {
                let lost: Vec<String> = groups_of(&had)
                    .into_iter()
                    .filter(|g| !groups_of(&has).contains(g))
                    .collect();
                if !lost.is_empty() {
                    out.push(Violation {
                        rule: "caller-loses-access",
                        subject: format!("`{arn}` (you)"),
                        consequence: format!("would lose the group{} {}", if lost.len() == 1 { "" } else { "s" }, lost.iter().map(|g| format!("`{g}`")).collect::<Vec<_>>().join(", ")),
                    });
                }
                if username_of(&had) != username_of(&has) {
                    out.push(Violation {
                        rule: "caller-loses-access",
                        subject: format!("`{arn}` (you)"),
                        consequence: format!(
                            "would become `{}` instead of `{}`, losing what RBAC grants that username",
                            username_of(&has),
                            username_of(&had)
                        ),
                    });
                }
            }
        }
    }

    // 3. The last entry granting system:masters.
    if masters(&old) > 0 && masters(&new) == 0 {
        out.push(Violation {
            rule: "last-system-masters",
            subject: "system:masters".into(),
            consequence: "no mapping would grant `system:masters` any more: nobody could repair RBAC or this ConfigMap through aws-auth".into(),
        });
    }

    // 4. Node and Fargate roles keep their mapping and their node groups.
    for e in old
        .roles
        .iter()
        .chain(old.users.iter())
        .filter(|e| is_node(e) && !e.arn.is_empty())
    {
        match new.lookup_entry(&e.arn) {
            None => out.push(Violation {
                rule: "node-role-loses-access",
                subject: format!("`{}`", e.arn),
                consequence: "nodes using this role could no longer authenticate: they go NotReady and their pods are evicted".into(),
            }),
            Some(n) => {
                let lost: Vec<&str> = NODE_GROUPS
                    .into_iter()
                    .filter(|g| e.groups.iter().any(|x| x == g) && !n.groups.iter().any(|x| x == g))
                    .collect();
                if !lost.is_empty() {
                    out.push(Violation {
                        rule: "node-role-loses-access",
                        subject: format!("`{}`", e.arn),
                        consequence: format!("would lose {}; its nodes could no longer join or report", lost.iter().map(|g| format!("`{g}`")).collect::<Vec<_>>().join(" and ")),
                    });
                }
            }
        }
    }

    // 5. The API server's size limit.
    if after.facts.data_bytes > SIZE_LIMIT {
        out.push(Violation {
            rule: "size-limit",
            subject: "the ConfigMap".into(),
            consequence: format!("would hold {} bytes of data, over the API server's 1 MiB limit: the write would be refused", after.facts.data_bytes),
        });
    }
    out
}

#[cfg(test)]
#[path = "guard_tests.rs"]
mod tests;
