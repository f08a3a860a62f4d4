//! The semantic diff of two aws-auth documents: principals added, removed or changed, judged by what the
//! authenticator would resolve for each (last entry wins, invalid entries dropped), and accounts.

use crate::core::document::AuthDocument;
use crate::core::mapping::{Entry, ListKind};
use serde::Serialize;
use std::collections::BTreeMap;

/// What one principal gets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Grant {
    /// `role` or `user` (the list it is in).
    pub kind: &'static str,
    /// The ARN as written (or the SSO pattern).
    pub arn: String,
    pub username: String,
    pub groups: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Change {
    pub arn: String,
    pub username_from: String,
    pub username_to: String,
    pub groups_gained: Vec<String>,
    pub groups_lost: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SemanticDiff {
    pub added: Vec<Grant>,
    pub removed: Vec<Grant>,
    pub changed: Vec<Change>,
    pub accounts_added: Vec<String>,
    pub accounts_removed: Vec<String>,
}

impl SemanticDiff {
    pub fn is_empty(&self) -> bool {
        self.added.is_empty()
            && self.removed.is_empty()
            && self.changed.is_empty()
            && self.accounts_added.is_empty()
            && self.accounts_removed.is_empty()
    }
}

fn grant(e: &Entry) -> Grant {
    Grant {
        kind: if e.list == ListKind::Roles {
            "role"
        } else {
            "user"
        },
        arn: if e.arn.is_empty() {
            e.key()
        } else {
            e.arn.clone()
        },
        username: e.username.clone(),
        groups: e.groups.clone(),
    }
}

/// Surviving entries keyed the way the authenticator stores them (roles: lower-cased; users: as written).
fn grants(doc: &AuthDocument) -> BTreeMap<(ListKind, String), Grant> {
    let m = doc.effective();
    m.roles
        .iter()
        .chain(m.users.iter())
        .map(|e| ((e.list, e.key()), grant(e)))
        .collect()
}

pub fn semantic_diff(from: &AuthDocument, to: &AuthDocument) -> SemanticDiff {
    let (a, b) = (grants(from), grants(to));
    let mut diff = SemanticDiff::default();
    for (k, g) in &b {
        match a.get(k) {
            None => diff.added.push(g.clone()),
            Some(old) if old.username != g.username || old.groups != g.groups => {
                diff.changed.push(Change {
                    arn: g.arn.clone(),
                    username_from: old.username.clone(),
                    username_to: g.username.clone(),
                    groups_gained: g
                        .groups
                        .iter()
                        .filter(|x| !old.groups.contains(x))
                        .cloned()
                        .collect(),
                    groups_lost: old
                        .groups
                        .iter()
                        .filter(|x| !g.groups.contains(x))
                        .cloned()
                        .collect(),
                })
            }
            Some(_) => {}
        }
    }
    diff.removed = a
        .iter()
        .filter(|(k, _)| !b.contains_key(*k))
        .map(|(_, g)| g.clone())
        .collect();
    let accounts = |d: &AuthDocument| -> Vec<String> {
        d.accounts.accounts.iter().map(|x| x.0.clone()).collect()
    };
    let (aa, ba) = (accounts(from), accounts(to));
    diff.accounts_added = ba.iter().filter(|x| !aa.contains(x)).cloned().collect();
    diff.accounts_removed = aa.iter().filter(|x| !ba.contains(x)).cloned().collect();
    diff
}

/// The semantic diff for people: one line per principal.
pub fn render_text(diff: &SemanticDiff) -> String {
    if diff.is_empty() {
        return "no change to who is mapped: every principal resolves as before\n".into();
    }
    let mut out = String::new();
    let groups = |g: &[String]| {
        if g.is_empty() {
            "no groups".to_string()
        } else {
            g.join(", ")
        }
    };
    for g in &diff.added {
        out.push_str(&format!(
            "+ {} `{}` -> username `{}`, groups [{}]\n",
            g.kind,
            g.arn,
            g.username,
            groups(&g.groups)
        ));
    }
    for g in &diff.removed {
        out.push_str(&format!(
            "- {} `{}` (was username `{}`, groups [{}]): no longer mapped\n",
            g.kind,
            g.arn,
            g.username,
            groups(&g.groups)
        ));
    }
    for c in &diff.changed {
        let mut parts = vec![];
        if c.username_from != c.username_to {
            parts.push(format!(
                "username `{}` -> `{}`",
                c.username_from, c.username_to
            ));
        }
        if !c.groups_gained.is_empty() {
            parts.push(format!("gains [{}]", c.groups_gained.join(", ")));
        }
        if !c.groups_lost.is_empty() {
            parts.push(format!("loses [{}]", c.groups_lost.join(", ")));
        }
        out.push_str(&format!("~ `{}`: {}\n", c.arn, parts.join("; ")));
    }
    for a in &diff.accounts_added {
        out.push_str(&format!(
            "+ account `{a}`: every principal of it may authenticate\n"
        ));
    }
    for a in &diff.accounts_removed {
        out.push_str(&format!("- account `{a}`\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(roles: &str) -> AuthDocument {
        AuthDocument::parse(
            "t",
            format!("data:\n  mapRoles: |\n{roles}  mapAccounts: |\n    - \"111122223333\"\n"),
        )
        .unwrap()
    }

    #[test]
    fn added_removed_changed_as_the_authenticator_resolves() {
        let a = doc(
            "    - rolearn: arn:aws:iam::1:role/A\n      username: a\n      groups: [dev, ops]\n    - rolearn: arn:aws:iam::1:role/B\n      username: b\n",
        );
        // B gets shadowed by a later duplicate with other groups; A loses ops; C is new.
        let b = doc(
            "    - rolearn: arn:aws:iam::1:role/A\n      username: a\n      groups: [dev]\n    - rolearn: arn:aws:iam::1:role/B\n      username: b\n    - rolearn: arn:aws:iam::1:role/b\n      username: b2\n      groups: [z]\n    - rolearn: arn:aws:iam::1:role/C\n      username: c\n",
        );
        let d = semantic_diff(&a, &b);
        assert_eq!(d.added.len(), 1);
        assert_eq!(d.added[0].arn, "arn:aws:iam::1:role/C");
        assert!(d.removed.is_empty());
        assert_eq!(d.changed.len(), 2);
        assert_eq!(d.changed[0].groups_lost, vec!["ops"]);
        assert_eq!(d.changed[1].username_to, "b2");
        assert_eq!(d.changed[1].groups_gained, vec!["z"]);
        assert!(semantic_diff(&a, &a).is_empty());
        let text = render_text(&d);
        assert!(
            text.contains("+ role `arn:aws:iam::1:role/C` -> username `c`, groups [no groups]"),
            "{text}"
        );
        assert!(
            text.contains("~ `arn:aws:iam::1:role/A`: loses [ops]"),
            "{text}"
        );
    }
}
