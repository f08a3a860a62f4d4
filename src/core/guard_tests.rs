//! The lockout scenarios of the safety issue, each refused for the right reason, and harmless changes passing.

use super::*;

const BASE: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: aws-auth\n  namespace: kube-system\ndata:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/eks-node\n      username: system:node:{{EC2PrivateDNSName}}\n      groups:\n        - system:bootstrappers\n        - system:nodes\n    - rolearn: arn:aws:iam::111122223333:role/fargate\n      username: system:node:{{SessionName}}\n      groups:\n        - system:bootstrappers\n        - system:nodes\n        - system:node-proxier\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin:{{SessionName}}\n      groups:\n        - system:masters\n    - rolearn: arn:aws:iam::111122223333:role/Dev\n      username: dev\n      groups:\n        - developers\n";

const ME: &str = "arn:aws:iam::111122223333:role/Admin";

fn doc(text: &str) -> AuthDocument {
    AuthDocument::parse("t.yaml", text.to_string()).unwrap()
}

fn rules(after: &str, caller: Option<&str>) -> Vec<&'static str> {
    check(&doc(BASE), &doc(after), caller)
        .iter()
        .map(|v| v.rule)
        .collect()
}

fn without(entry_start: &str, lines: usize) -> String {
    let mut out = vec![];
    let mut skip = 0;
    for l in BASE.lines() {
        if l.contains(entry_start) {
            skip = lines;
        }
        if skip > 0 {
            skip -= 1;
            continue;
        }
        out.push(l);
    }
    out.join("\n") + "\n"
}

#[test]
fn removing_yourself_is_refused() {
    let r = rules(&without("role/Admin", 4), Some(ME));
    assert!(r.contains(&"caller-loses-access"), "{r:?}");
    assert!(r.contains(&"last-system-masters"), "{r:?}");
}

#[test]
fn losing_system_masters_or_being_renamed_is_refused() {
    let after = BASE.replace("        - system:masters\n", "        - viewers\n");
    let r = rules(&after, Some(ME));
    assert_eq!(r, vec!["caller-loses-access", "last-system-masters"]);
    let after = BASE.replace("username: admin:{{SessionName}}", "username: someone-else");
    assert_eq!(rules(&after, Some(ME)), vec!["caller-loses-access"]);
}

#[test]
fn deleting_the_last_admin_is_refused_even_when_the_caller_is_unknown() {
    assert_eq!(
        rules(&without("role/Admin", 4), None),
        vec!["last-system-masters"]
    );
}

#[test]
fn node_and_fargate_roles_keep_access() {
    assert_eq!(
        rules(&without("role/eks-node", 5), Some(ME)),
        vec!["node-role-loses-access"]
    );
    assert_eq!(
        rules(&without("role/fargate", 6), Some(ME)),
        vec!["node-role-loses-access"]
    );
    let regrouped = BASE.replacen(
        "        - system:bootstrappers\n        - system:nodes\n",
        "        - system:nodes\n",
        1,
    );
    assert_eq!(rules(&regrouped, Some(ME)), vec!["node-role-loses-access"]);
}

#[test]
fn documents_the_authenticator_would_drop_are_refused() {
    let broken = BASE.replace("      username: dev\n", "     username: dev\n");
    let r = rules(&broken, Some(ME));
    assert!(
        r.contains(&"drops-entries") && r.contains(&"node-role-loses-access"),
        "{r:?}"
    );
    let wrong_case = BASE.replace("mapRoles: |", "maproles: |");
    assert!(rules(&wrong_case, Some(ME)).contains(&"drops-entries"));
    let folded = BASE.replacen("        - system:nodes\n", "         - system:nodes\n", 1);
    let r = rules(&folded, Some(ME));
    assert!(
        r.contains(&"drops-entries") && r.contains(&"node-role-loses-access"),
        "{r:?}"
    );
    let unquoted = BASE.replace("username: dev", "username: {{SessionName}}");
    assert!(rules(&unquoted, Some(ME)).contains(&"drops-entries"));
}

#[test]
fn a_later_duplicate_that_shadows_the_caller_is_refused() {
    let shadow = format!(
        "{BASE}    - rolearn: arn:aws:iam::111122223333:role/admin\n      username: admin:{{{{SessionName}}}}\n      groups:\n        - viewers\n"
    );
    let r = rules(&shadow, Some(ME));
    assert!(
        r.contains(&"caller-loses-access") && r.contains(&"last-system-masters"),
        "{r:?}"
    );
}

#[test]
fn the_size_limit_is_enforced() {
    let big = format!("{BASE}  padding: \"{}\"\n", "x".repeat(SIZE_LIMIT));
    assert_eq!(rules(&big, Some(ME)), vec!["size-limit"]);
}

#[test]
fn harmless_changes_pass() {
    let added = format!(
        "{BASE}    - rolearn: arn:aws:iam::111122223333:role/Ops\n      username: ops\n      groups:\n        - ops\n"
    );
    assert!(rules(&added, Some(ME)).is_empty());
    assert!(rules(&without("role/Dev", 4), Some(ME)).is_empty());
    let more_groups = BASE.replace(
        "        - system:masters\n",
        "        - system:masters\n        - auditors\n",
    );
    assert!(rules(&more_groups, Some(ME)).is_empty());
    // Pre-existing problems do not block unrelated changes.
    let pre = BASE.replace(
        "    - rolearn: arn:aws:iam::111122223333:role/Dev\n",
        "    - role_arn: arn:aws:iam::111122223333:role/Dev\n",
    );
    let pre_plus =
        format!("{pre}    - rolearn: arn:aws:iam::111122223333:role/Ops\n      username: ops\n");
    assert!(check(&doc(&pre), &doc(&pre_plus), Some(ME)).is_empty());
}
