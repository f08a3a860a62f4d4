//! Mechanical repairs (`validate --fix`, `repair`): strip role paths, turn assumed-role ARNs into role ARNs,
//! quote values starting with `{{` and account IDs, re-indent the folded-groups trap, restore the case of
//! data keys, drop exact duplicate entries. Each fix changes only the text it is about; the editor writes it
//! back through the value's codec and verifies the result, so everything else keeps its bytes.

use crate::core::arn;
use crate::core::document::{AuthDocument, EditPlan};
use crate::core::mapping::{DataKey, ListKind, parse_list};
use std::sync::LazyLock;

/// One repair: what it fixes (a lint rule), what it does, and the edit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fix {
    pub rule: &'static str,
    pub description: String,
    pub plan: EditPlan,
}

static UNQUOTED_TEMPLATE: LazyLock<regex::Regex> = LazyLock::new(|| {
    regex::Regex::new(r#"(?m)^(\s*(?:-\s+)?[A-Za-z_"']+\s*:[ \t]+)(\{\{[^#\n]*?)([ \t]*(?:#.*)?)$"#)
        .expect("regex")
});
static UNQUOTED_ACCOUNT: LazyLock<regex::Regex> = LazyLock::new(|| {
    regex::Regex::new(r"(?m)^(\s*-[ \t]+)(\d{12})([ \t]*(?:#.*)?)$").expect("regex")
});

fn quote(value: &str) -> String {
    format!(
        "\"{}\"",
        value.trim_end().replace('\\', "\\\\").replace('"', "\\\"")
    )
}

/// Quote values that start with `{{` (unquoted, YAML reads a mapping and the whole list is dropped).
fn quote_templates(content: &str) -> Option<String> {
    let out = UNQUOTED_TEMPLATE.replace_all(content, |c: &regex::Captures<'_>| {
        format!("{}{}{}", &c[1], quote(&c[2]), &c[3])
    });
    (out != content).then(|| out.into_owned())
}

/// Replace byte ranges (in order, not overlapping), from the end so earlier offsets stay valid.
fn apply_edits(content: &str, edits: Vec<(usize, usize, String)>) -> Option<String> {
    if edits.is_empty() {
        return None;
    }
    let mut out = content.to_string();
    for (a, b, t) in edits.into_iter().rev() {
        out.replace_range(a..b, &t);
    }
    Some(out)
}

/// Put each folded group back on its own line, at the indentation of the first item.
fn unfold_groups(content: &str, list: ListKind) -> Option<String> {
    let parsed = parse_list(content, list);
    let mut edits: Vec<(usize, usize, String)> = vec![];
    for e in &parsed.entries {
        for span in &e.group_spans {
            let raw = &content[span.start..span.end];
            if !raw.contains('\n') {
                continue;
            }
            let dash = content[..span.start].rfind('-')?;
            let line_start = content[..dash].rfind('\n').map_or(0, |i| i + 1);
            let pad = " ".repeat(dash - line_start);
            let mut lines = raw.lines();
            let mut fixed = lines.next()?.trim_end().to_string();
            for l in lines {
                let item = l.trim_start().strip_prefix("- ")?;
                fixed.push_str(&format!("\n{pad}- {}", item.trim_end()));
            }
            edits.push((span.start, span.end, fixed));
        }
    }
    apply_edits(content, edits)
}

/// Role ARNs with a path and (where the backend does not canonicalize them: aws-auth) assumed-role ARNs,
/// replaced by the role ARN the authenticator matches.
fn normalize_arns(
    content: &str,
    list: ListKind,
    assumed_roles: bool,
    described: &mut Vec<String>,
) -> Option<String> {
    let parsed = parse_list(content, list);
    let mut edits: Vec<(usize, usize, String)> = vec![];
    for e in parsed.entries.iter().filter(|e| e.is_valid()) {
        let Ok(parts) = arn::parse(&e.arn) else {
            continue;
        };
        let fixable = (parts.service == "iam"
            && parts.resource.starts_with("role/")
            && parts.resource.matches('/').count() > 1)
            || (assumed_roles
                && parts.service == "sts"
                && parts.resource.starts_with("assumed-role/"));
        if !fixable {
            continue;
        }
        let Ok(n) = arn::normalize_for_write(&e.arn) else {
            continue;
        };
        let Some(f) = e.field(list.arn_field()) else {
            continue;
        };
        let raw = &content[f.value_span.start..f.value_span.end];
        let replacement = match raw.as_bytes().first() {
            Some(b'"') => format!("\"{}\"", n.arn),
            Some(b'\'') => format!("'{}'", n.arn),
            _ => n.arn.clone(),
        };
        described.push(format!("`{}` -> `{}`", e.arn, n.arn));
        edits.push((f.value_span.start, f.value_span.end, replacement));
    }
    apply_edits(content, edits)
}

/// Every fix that applies to the document, in an order where each one builds on the previous.
pub fn plan_fixes(doc: &AuthDocument) -> Vec<Fix> {
    let mut fixes = vec![];
    for (written, _) in &doc.facts.wrong_case_keys {
        if let Some(to) = DataKey::ALL
            .into_iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(written.trim()))
            && doc.slot(to).is_none()
        {
            fixes.push(Fix {
                rule: "IM009",
                description: format!("rename the data key `{written}` to `{}`", to.as_str()),
                plan: EditPlan::RenameKey {
                    written: written.clone(),
                    to,
                },
            });
        }
    }
    for (key, list) in [
        (DataKey::MapRoles, ListKind::Roles),
        (DataKey::MapUsers, ListKind::Users),
    ] {
        let Some(slot) = doc.slot(key).filter(|s| s.wrong_type.is_none()) else {
            continue;
        };
        let mut content = slot.content.clone();
        if let Some(fixed) = quote_templates(&content) {
            fixes.push(Fix {
                rule: "IM011",
                description: format!(
                    "quote the values of `{}` that start with `{{{{`",
                    key.as_str()
                ),
                plan: EditPlan::SetValue {
                    key,
                    content: fixed.clone(),
                },
            });
            content = fixed;
        }
        if let Some(fixed) = unfold_groups(&content, list) {
            fixes.push(Fix {
                rule: "IM015",
                description: format!(
                    "put each folded group of `{}` back on its own line",
                    key.as_str()
                ),
                plan: EditPlan::SetValue {
                    key,
                    content: fixed.clone(),
                },
            });
            content = fixed;
        }
        let mut changed = vec![];
        let assumed_roles = !doc.facts.carrier.kind.structured();
        if let Some(fixed) = normalize_arns(&content, list, assumed_roles, &mut changed) {
            fixes.push(Fix {
                rule: "IM016",
                description: format!(
                    "map the ARNs the authenticator can match: {}",
                    changed.join(", ")
                ),
                plan: EditPlan::SetValue {
                    key,
                    content: fixed.clone(),
                },
            });
            content = fixed;
        }
        // Exact duplicates: the earlier copies go (the last one is what the authenticator uses).
        let parsed = parse_list(&content, list);
        let valid: Vec<_> = parsed.entries.iter().filter(|e| e.is_valid()).collect();
        let mut drop: Vec<usize> = valid
            .iter()
            .enumerate()
            .filter(|(i, e)| {
                valid[i + 1..]
                    .iter()
                    .any(|o| o.key() == e.key() && o.same_mapping(e))
            })
            .map(|(_, e)| e.index)
            .collect();
        drop.reverse();
        for index in drop {
            let arn = parsed.entries[index].arn.clone();
            fixes.push(Fix {
                rule: "IM024",
                description: format!(
                    "remove the duplicate of `{arn}` (entry #{} of `{}`)",
                    index + 1,
                    key.as_str()
                ),
                plan: EditPlan::RemoveEntry { list, index },
            });
        }
    }
    if let Some(slot) = doc
        .slot(DataKey::MapAccounts)
        .filter(|s| s.wrong_type.is_none())
    {
        let fixed = UNQUOTED_ACCOUNT.replace_all(&slot.content, |c: &regex::Captures<'_>| {
            format!("{}\"{}\"{}", &c[1], &c[2], &c[3])
        });
        if fixed != slot.content {
            fixes.push(Fix {
                rule: "IM034",
                description: "quote the account IDs of `mapAccounts`".into(),
                plan: EditPlan::SetValue {
                    key: DataKey::MapAccounts,
                    content: fixed.into_owned(),
                },
            });
        }
    }
    fixes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fix_all(text: &str) -> (String, Vec<&'static str>) {
        let mut doc = AuthDocument::parse("t", text.to_string()).unwrap();
        let mut rules = vec![];
        loop {
            let fixes = plan_fixes(&doc);
            let Some(fix) = fixes.into_iter().next() else {
                break;
            };
            rules.push(fix.rule);
            let out = doc.apply(&fix.plan).unwrap();
            doc = AuthDocument::parse("t", out.text).unwrap();
            assert!(rules.len() < 20, "fixes do not converge: {rules:?}");
        }
        (doc.text, rules)
    }

    #[test]
    fn each_fix_changes_only_its_text() {
        let text = "# keep me\ndata:\n  maproles: |\n    - rolearn: arn:aws:iam::1:role/x\n  mapRoles: |\n    # nodes\n    - rolearn: arn:aws:iam::111122223333:role/teams/eks-node   # path\n      username: system:node:{{EC2PrivateDNSName}}\n      groups:\n        - system:bootstrappers\n         - system:nodes\n    - rolearn: arn:aws:iam::111122223333:role/Dev\n      username: {{SessionName}}\n      groups: [dev]\n    - rolearn: arn:aws:iam::111122223333:role/Dev\n      username: \"{{SessionName}}\"\n      groups: [dev]\n  mapUsers: |\n    - userarn: arn:aws:sts::111122223333:assumed-role/Ops/jane\n      username: ops\n  mapAccounts: |\n    - 111122223333\n";
        let (fixed, rules) = fix_all(text);
        assert_eq!(
            fixed,
            "# keep me\ndata:\n  maproles: |\n    - rolearn: arn:aws:iam::1:role/x\n  mapRoles: |\n    # nodes\n    - rolearn: arn:aws:iam::111122223333:role/eks-node   # path\n      username: system:node:{{EC2PrivateDNSName}}\n      groups:\n        - system:bootstrappers\n        - system:nodes\n    - rolearn: arn:aws:iam::111122223333:role/Dev\n      username: \"{{SessionName}}\"\n      groups: [dev]\n  mapUsers: |\n    - userarn: arn:aws:iam::111122223333:role/Ops\n      username: ops\n  mapAccounts: |\n    - \"111122223333\"\n"
        );
        assert!(
            rules.contains(&"IM011")
                && rules.contains(&"IM015")
                && rules.contains(&"IM016")
                && rules.contains(&"IM024")
                && rules.contains(&"IM034"),
            "{rules:?}"
        );
        // `maproles` cannot be renamed while `mapRoles` exists; it stays for a human.
        assert!(!rules.contains(&"IM009"));
        let doc = AuthDocument::parse("t", fixed).unwrap();
        let findings = crate::core::lint::lint(&doc);
        assert!(
            !findings
                .iter()
                .any(|f| ["IM010", "IM011", "IM015", "IM016", "IM017", "IM024"].contains(&f.rule)),
            "{findings:#?}"
        );
    }

    #[test]
    fn a_wrong_case_key_is_renamed() {
        let (fixed, rules) =
            fix_all("data:\n  MapRoles: |\n    - rolearn: arn:aws:iam::1:role/x\n");
        assert_eq!(
            fixed,
            "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::1:role/x\n"
        );
        assert_eq!(rules, vec!["IM009"]);
    }

    #[test]
    fn role_paths_are_fixed_in_the_quotes_they_were_written_in() {
        let (fixed, rules) = fix_all(
            "data:\n  mapRoles: |\n    - rolearn: \"arn:aws:iam::111122223333:role/teams/A\"\n      username: a\n    - rolearn: 'arn:aws:iam::111122223333:role/teams/B'\n      username: b\n",
        );
        assert_eq!(
            fixed,
            "data:\n  mapRoles: |\n    - rolearn: \"arn:aws:iam::111122223333:role/A\"\n      username: a\n    - rolearn: 'arn:aws:iam::111122223333:role/B'\n      username: b\n"
        );
        assert!(
            rules.iter().all(|r| *r == "IM016" || *r == "IM017"),
            "{rules:?}"
        );
    }

    #[test]
    fn users_with_paths_and_different_principals_are_left_alone() {
        // A user's path is part of its ARN (GetCallerIdentity shows it): nothing to fix.
        let user = "data:\n  mapUsers: |\n    - userarn: arn:aws:iam::111122223333:user/ops/alice\n      username: alice\n";
        let (fixed, rules) = fix_all(user);
        assert_eq!((fixed.as_str(), rules.len()), (user, 0));
        // Two principals with the same username and groups are not duplicates of each other.
        let two = "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/A\n      username: ops\n      groups: [ops]\n    - rolearn: arn:aws:iam::111122223333:role/B\n      username: ops\n      groups: [ops]\n";
        let (fixed, rules) = fix_all(two);
        assert_eq!((fixed.as_str(), rules.len()), (two, 0));
        // The same ARN with other groups is a shadowing duplicate (IM023, for a human to merge), not an
        // exact one: no fix removes either.
        let shadow = "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/A\n      username: ops\n      groups: [ops]\n    - rolearn: arn:aws:iam::111122223333:role/A\n      username: ops\n      groups: [admins]\n";
        let (fixed, rules) = fix_all(shadow);
        assert_eq!((fixed.as_str(), rules.len()), (shadow, 0));
    }
}
