//! The guard's decision table: each row a change (before, after, caller, intent) and exactly the rules it
//! must break, for every lockout path the safety reviews found, and harmless changes passing.

use super::*;

const BASE: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: aws-auth\n  namespace: kube-system\ndata:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/eks-node\n      username: system:node:{{EC2PrivateDNSName}}\n      groups:\n        - system:bootstrappers\n        - system:nodes\n    - rolearn: arn:aws:iam::111122223333:role/fargate\n      username: system:node:{{SessionName}}\n      groups:\n        - system:bootstrappers\n        - system:nodes\n        - system:node-proxier\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin:{{SessionName}}\n      groups:\n        - system:masters\n    - rolearn: arn:aws:iam::111122223333:role/Dev\n      username: dev\n      groups:\n        - developers\n";

const ME: &str = "arn:aws:iam::111122223333:role/Admin";
const DEV: &str = "arn:aws:iam::111122223333:role/Dev";

fn doc(text: &str) -> AuthDocument {
    AuthDocument::parse("t.yaml", text.to_string()).unwrap()
}

fn judged(
    before: &str,
    after: &str,
    caller: CallerCheck,
    intent: Intent,
    binary: usize,
) -> Verdict {
    let (b, a) = (doc(before), doc(after));
    judge(&Change {
        before: &b,
        after: &a,
        caller: &caller,
        intent,
        binary_bytes: binary,
        access: None,
    })
}

fn rules_of(v: &Verdict) -> Vec<&'static str> {
    let mut r: Vec<&'static str> = v.violations.iter().map(|v| v.rule).collect();
    r.sort_unstable();
    r.dedup();
    r
}

fn without(text: &str, entry_start: &str, lines: usize) -> String {
    let mut out = vec![];
    let mut skip = 0;
    for l in text.lines() {
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

fn known(arn: &str) -> CallerCheck {
    CallerCheck::Known(arn.to_string())
}

fn only(arn: &str) -> Intent {
    Intent::Principals(vec![arn.to_string()])
}

/// A document with these `mapRoles` and `mapUsers` values (indented already).
fn with_lists(roles: &str, users: &str) -> String {
    format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: aws-auth\n  namespace: kube-system\ndata:\n  mapRoles: |\n{roles}  mapUsers: |\n{users}"
    )
}

const NODE: &str = "    - rolearn: arn:aws:iam::111122223333:role/eks-node\n      username: system:node:{{EC2PrivateDNSName}}\n      groups:\n        - system:bootstrappers\n        - system:nodes\n";

struct Row {
    name: &'static str,
    before: String,
    after: String,
    caller: CallerCheck,
    intent: Intent,
    expect: Vec<&'static str>,
}

fn row(
    name: &'static str,
    before: impl Into<String>,
    after: impl Into<String>,
    caller: CallerCheck,
    intent: Intent,
    expect: &[&'static str],
) -> Row {
    let mut expect = expect.to_vec();
    expect.sort_unstable();
    Row {
        name,
        before: before.into(),
        after: after.into(),
        caller,
        intent,
        expect,
    }
}

fn table() -> Vec<Row> {
    let admin_removed = without(BASE, "role/Admin", 4);
    let dev_removed = without(BASE, "role/Dev", 4);
    let ops_added = format!(
        "{BASE}    - rolearn: arn:aws:iam::111122223333:role/Ops\n      username: ops\n      groups:\n        - ops\n"
    );
    // Admins only in mapUsers; a dead SSO admin (role path) left in mapRoles.
    let users_admin = with_lists(
        &format!(
            "{NODE}    - rolearn: arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0123\n      username: sso-admin\n      groups:\n        - system:masters\n"
        ),
        "    - userarn: arn:aws:iam::111122223333:user/ops/alice\n      username: alice\n      groups:\n        - system:masters\n",
    );
    let users_admin_gone = users_admin.replace(
        "    - userarn: arn:aws:iam::111122223333:user/ops/alice\n      username: alice\n      groups:\n        - system:masters\n",
        "    []\n",
    );
    let alice = "arn:aws:iam::111122223333:user/ops/alice";
    // Two mapUsers entries that differ only in case are both kept and matched at random.
    let random = users_admin.clone()
        + "    - userarn: arn:aws:iam::111122223333:user/ops/Alice\n      username: alice\n      groups:\n        - viewers\n";
    // Corpus 012: the SSO role is mapped in mapUsers (working) and, with its path, in mapRoles (dead).
    let sso = "arn:aws:iam::111122223333:role/AWSReservedSSO_Admin_0123";
    let demote_before = with_lists(
        &format!(
            "{NODE}    - rolearn: arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0123\n      username: dev-user\n      groups:\n        - developers\n"
        ),
        &format!(
            "    - userarn: {sso}\n      username: admin\n      groups:\n        - system:masters\n"
        ),
    );
    let demote_after = demote_before.replace(
        "role/aws-reserved/sso.amazonaws.com/AWSReservedSSO",
        "role/AWSReservedSSO",
    );
    // One list fixed, the other broken.
    let half = |bad_users: bool| {
        with_lists(
            &if bad_users {
                NODE.to_string()
            } else {
                NODE.replace("      username: system:node", "     username: system:node")
            },
            &if bad_users {
                "    - userarn: arn:aws:iam::111122223333:user/bob\n     username: bob\n"
                    .to_string()
            } else {
                "    - userarn: arn:aws:iam::111122223333:user/bob\n      username: bob\n"
                    .to_string()
            },
        )
    };
    let accounts = |list: &str| format!("{BASE}  mapAccounts: |\n{list}");
    let windows = with_lists(
        "    - rolearn: arn:aws:iam::111122223333:role/win\n      username: system:node:{{EC2PrivateDNSName}}\n      groups:\n        - eks:kube-proxy-windows\n        - system:bootstrappers\n        - system:nodes\n",
        "    []\n",
    );
    let kops = with_lists(
        "    - rolearn: arn:aws:iam::111122223333:role/nodes.k8s.local\n      username: aws:{{AccountID}}:instance:{{SessionName}}\n      groups:\n        - system:bootstrappers\n        - aws:instances\n",
        "    []\n",
    );
    let bootstrap_only = with_lists(
        "    - rolearn: arn:aws:iam::111122223333:role/joiner\n      username: joiner\n      groups:\n        - system:bootstrappers\n",
        "    []\n",
    );
    vec![
        row("deleting yourself", BASE, admin_removed.clone(), known(ME), only(ME), &["caller-loses-access", "last-system-masters"]),
        row("demoting yourself", BASE, BASE.replace("        - system:masters\n", "        - viewers\n"), known(ME), only(ME), &["caller-loses-access", "last-system-masters"]),
        row("renaming yourself", BASE, BASE.replace("username: admin:{{SessionName}}", "username: someone-else"), known(ME), only(ME), &["caller-loses-access"]),
        row("a shadowing duplicate of yourself", BASE, format!("{BASE}    - rolearn: arn:aws:iam::111122223333:role/admin\n      username: admin:{{{{SessionName}}}}\n      groups:\n        - viewers\n"), known(ME), only(ME), &["caller-loses-access", "last-system-masters"]),
        row("removing someone, caller unknown", BASE, dev_removed.clone(), CallerCheck::Unknown, only(DEV), &["caller-unknown"]),
        row("removing someone, caller waived", BASE, dev_removed.clone(), CallerCheck::Waived, only(DEV), &[]),
        row("removing someone, caller outside aws-auth", BASE, dev_removed.clone(), CallerCheck::External("kubernetes-admin".into()), only(DEV), &[]),
        row("removing someone else, caller known", BASE, dev_removed.clone(), known(ME), only(DEV), &[]),
        row("adding, caller unknown", BASE, ops_added.clone(), CallerCheck::Unknown, only("arn:aws:iam::111122223333:role/Ops"), &[]),
        row("the last admin, caller unknown", BASE, admin_removed.clone(), CallerCheck::Unknown, only(ME), &["caller-unknown", "last-system-masters"]),
        row("the only working admin is in mapUsers; the dead SSO one does not count", users_admin.clone(), users_admin_gone, known(ME), only(alice), &["last-system-masters"]),
        row("removing yourself when mapUsers maps you", users_admin.clone(), users_admin.replace("        - system:masters\n", "        - viewers\n").replacen("        - viewers\n", "        - system:masters\n", 1), known(alice), only(alice), &["caller-loses-access", "last-system-masters"]),
        row("a case variant makes the only admin random", users_admin.clone(), random.clone(), known(ME), only("arn:aws:iam::111122223333:user/ops/Alice"), &["last-system-masters", "random-answer"]),
        row("a case variant makes your own lookup random", users_admin.clone(), random, known(alice), only("arn:aws:iam::111122223333:user/ops/Alice"), &["last-system-masters", "random-answer"]),
        row("a fix that lets a dead mapRoles entry shadow the working mapUsers admin", demote_before.clone(), demote_after.clone(), CallerCheck::Waived, Intent::Nothing, &["collateral-change", "last-system-masters"]),
        row("the same change named by the command", demote_before, demote_after, CallerCheck::Waived, only(sso), &["last-system-masters"]),
        row("one list fixed, the other broken", half(true), half(false), known(ME), Intent::Everything, &["drops-entries", "node-role-loses-access"]),
        row("removing the node role", BASE, without(BASE, "role/eks-node", 5), known(ME), only("arn:aws:iam::111122223333:role/eks-node"), &["node-role-loses-access"]),
        row("removing the Fargate role", BASE, without(BASE, "role/fargate", 6), known(ME), only("arn:aws:iam::111122223333:role/fargate"), &["node-role-loses-access"]),
        row("a node role losing system:bootstrappers", BASE, BASE.replacen("        - system:bootstrappers\n        - system:nodes\n", "        - system:nodes\n", 1), known(ME), Intent::Everything, &["node-role-loses-access"]),
        row("a node role's username changed", BASE, BASE.replacen("system:node:{{EC2PrivateDNSName}}", "node", 1), known(ME), Intent::Everything, &["node-role-loses-access"]),
        row("a Fargate role's username changed", BASE, BASE.replace("system:node:{{SessionName}}", "system:node:{{EC2PrivateDNSName}}"), known(ME), Intent::Everything, &["node-role-loses-access"]),
        row("Fargate losing system:node-proxier", BASE, BASE.replace("        - system:node-proxier\n", ""), known(ME), Intent::Everything, &["node-role-loses-access"]),
        row("Windows nodes losing eks:kube-proxy-windows", windows.clone(), windows.replace("        - eks:kube-proxy-windows\n", ""), known(ME), Intent::Everything, &["node-role-loses-access"]),
        row("kops nodes losing aws:instances", kops.clone(), kops.replace("        - aws:instances\n", ""), known(ME), Intent::Everything, &["node-role-loses-access"]),
        row("a bootstrap-only role removed", bootstrap_only.clone(), bootstrap_only.replace("    - rolearn: arn:aws:iam::111122223333:role/joiner\n      username: joiner\n      groups:\n        - system:bootstrappers\n", "    []\n"), known(ME), Intent::Everything, &["node-role-loses-access"]),
        row("a YAML error drops the whole list (IM010)", BASE, BASE.replace("      username: dev\n", "     username: dev\n"), known(ME), Intent::Everything, &["caller-loses-access", "drops-entries", "last-system-masters", "node-role-loses-access"]),
        row("a wrong-case key", BASE, BASE.replace("mapRoles: |", "maproles: |"), known(ME), Intent::Everything, &["caller-loses-access", "drops-entries", "last-system-masters", "node-role-loses-access"]),
        row("a duplicate key (IM007)", BASE, format!("{BASE}  mapRoles: |\n    []\n"), CallerCheck::Waived, Intent::Everything, &["drops-entries", "last-system-masters", "node-role-loses-access"]),
        row("an entry the authenticator drops (IM013)", BASE, BASE.replace("    - rolearn: arn:aws:iam::111122223333:role/Dev\n", "    - role_arn: arn:aws:iam::111122223333:role/Dev\n"), known(ME), only(DEV), &["drops-entries"]),
        row("a field the authenticator empties (IM014)", BASE, BASE.replace("      username: dev\n      groups:\n        - developers\n", "      username: dev\n      groups: developers\n"), known(ME), only(DEV), &["drops-entries"]),
        row("a value that is not a string (IM008)", BASE, format!("{BASE}  mapUsers:\n    - userarn: arn:aws:iam::111122223333:user/bob\n"), known(ME), Intent::Everything, &["drops-entries"]),
        row("an unquoted template", BASE, BASE.replace("username: dev", "username: {{SessionName}}"), known(ME), Intent::Everything, &["caller-loses-access", "drops-entries", "last-system-masters", "node-role-loses-access"]),
        row("your account removed from mapAccounts", accounts("    - \"444455556666\"\n"), accounts("    []\n"), known("arn:aws:iam::444455556666:role/Anyone"), Intent::Principals(vec![]), &["caller-loses-access"]),
        row("an account removed, caller unknown", accounts("    - \"444455556666\"\n"), accounts("    []\n"), CallerCheck::Unknown, Intent::Principals(vec![]), &["caller-unknown"]),
        row("an edit that also changes someone not named", BASE, BASE.replace("        - developers\n", "        - viewers\n"), known(ME), only("arn:aws:iam::111122223333:role/Ops"), &["collateral-change"]),
        row("a fix that grants more (listed as a gain)", BASE, BASE.replace("        - developers\n", "        - developers\n        - auditors\n"), known(ME), Intent::Nothing, &[]),
        row("harmless: adding a role", BASE, ops_added, known(ME), only("arn:aws:iam::111122223333:role/Ops"), &[]),
        row("harmless: more groups for yourself", BASE, BASE.replace("        - system:masters\n", "        - system:masters\n        - auditors\n"), known(ME), only(ME), &[]),
    ]
}

#[test]
fn decision_table() {
    let mut failures = vec![];
    for r in table() {
        let v = judged(&r.before, &r.after, r.caller.clone(), r.intent.clone(), 0);
        let got = rules_of(&v);
        if got != r.expect {
            failures.push(format!(
                "{}: expected {:?}, got {:?}\n  {}",
                r.name,
                r.expect,
                got,
                v.violations
                    .iter()
                    .map(|v| v.to_string())
                    .collect::<Vec<_>>()
                    .join("\n  ")
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_size_limit_counts_values_and_binary_data() {
    let big = format!("{BASE}  padding: \"{}\"\n", "x".repeat(SIZE_LIMIT));
    let v = judged(BASE, &big, known(ME), Intent::Everything, 0);
    assert_eq!(rules_of(&v), vec!["size-limit"]);
    // Under the limit by data alone, over it with binaryData.
    let data = doc(BASE).facts.data_bytes;
    let v = judged(
        BASE,
        BASE,
        known(ME),
        Intent::Everything,
        SIZE_LIMIT - data + 1,
    );
    assert_eq!(rules_of(&v), vec!["size-limit"]);
    let v = judged(BASE, BASE, known(ME), Intent::Everything, SIZE_LIMIT - data);
    assert!(rules_of(&v).is_empty());
}

#[test]
fn the_size_limit_is_the_api_servers_mebibyte() {
    // As kube-apiserver counts it (ValidateConfigMap: the values of data and binaryData, against
    // 1,048,576 bytes): written out, so that the constant itself is checked.
    assert_eq!(SIZE_LIMIT, 1_048_576);
    let data = doc(BASE).facts.data_bytes;
    let at = |total: usize| {
        rules_of(&judged(
            BASE,
            BASE,
            known(ME),
            Intent::Everything,
            total - data,
        ))
    };
    assert!(at(1_048_576).is_empty());
    assert_eq!(at(1_048_577), vec!["size-limit"]);
}

#[test]
fn pre_existing_problems_do_not_block_unrelated_changes() {
    let pre = BASE.replace(
        "    - rolearn: arn:aws:iam::111122223333:role/Dev\n",
        "    - role_arn: arn:aws:iam::111122223333:role/Dev\n",
    );
    let pre_plus =
        format!("{pre}    - rolearn: arn:aws:iam::111122223333:role/Ops\n      username: ops\n");
    let v = judged(
        &pre,
        &pre_plus,
        known(ME),
        only("arn:aws:iam::111122223333:role/Ops"),
        0,
    );
    assert!(v.violations.is_empty(), "{:?}", v.violations);
}

#[test]
fn gains_are_listed_and_foreign_admins_flagged() {
    let foreign = format!(
        "{BASE}    - rolearn: arn:aws:iam::999988887777:role/Intruder\n      username: x\n      groups:\n        - system:masters\n"
    );
    let v = judged(BASE, &foreign, known(ME), Intent::Everything, 0);
    assert!(v.violations.is_empty());
    assert_eq!(v.gains.len(), 1);
    let g = &v.gains[0];
    assert_eq!(g.principal, "arn:aws:iam::999988887777:role/Intruder");
    assert!(g.cross_account_admin);
    assert_eq!(g.before, None);
    // The same account as the node roles is not foreign; more groups for a mapped principal is a gain.
    let home = BASE.replace(
        "        - developers\n",
        "        - developers\n        - system:masters\n",
    );
    let v = judged(BASE, &home, known(ME), Intent::Everything, 0);
    assert_eq!(v.gains.len(), 1);
    assert!(!v.gains[0].cross_account_admin);
    assert_eq!(v.gains[0].before, Some(vec!["developers".to_string()]));
    assert!(v.gains[0].to_string().contains("`system:masters`"));
}

#[test]
fn intent_of_edits_names_the_principals_touched() {
    use crate::core::document::{EditPlan, NewEntry};
    use crate::core::mapping::ListKind;
    let d = doc(BASE);
    let plans = vec![
        EditPlan::RemoveEntry {
            list: ListKind::Roles,
            index: 3,
        },
        EditPlan::AddEntry(NewEntry {
            list: ListKind::Roles,
            arn: "arn:aws:iam::111122223333:role/teams/Ops".into(),
            username: None,
            groups: vec!["ops".into()],
        }),
    ];
    assert_eq!(
        intent_of(&d, &plans),
        Intent::Principals(vec![
            DEV.to_string(),
            "arn:aws:iam::111122223333:role/Ops".to_string()
        ])
    );
}

#[test]
fn violations_and_cross_account_admins_read_as_shown_to_the_user() {
    let v = Violation {
        rule: "size-limit",
        subject: "the ConfigMap".into(),
        consequence: "too big".into(),
        principals: vec![],
    };
    assert_eq!(v.to_string(), "[size-limit] the ConfigMap: too big");
    let foreign = format!(
        "{BASE}    - rolearn: arn:aws:iam::999988887777:role/Intruder\n      username: x\n      groups:\n        - system:masters\n"
    );
    let v = judged(BASE, &foreign, known(ME), Intent::Everything, 0);
    let admins: Vec<&str> = v
        .cross_account_admins()
        .map(|g| g.principal.as_str())
        .collect();
    assert_eq!(admins, ["arn:aws:iam::999988887777:role/Intruder"]);
    let v = judged(BASE, BASE, known(ME), Intent::Everything, 0);
    assert_eq!(v.cross_account_admins().count(), 0);
}

#[test]
fn a_dead_admin_does_not_count_as_a_way_in() {
    // The only other system:masters entry is one the authenticator never matches: a role ARN with a path,
    // or an assumed-role session ARN written into mapRoles (aws-auth matches canonical ARNs).
    for dead_arn in [
        "arn:aws:iam::111122223333:role/teams/Dev",
        "arn:aws:sts::111122223333:assumed-role/Dev/jane",
    ] {
        let dead = BASE
            .replace(
                "    - rolearn: arn:aws:iam::111122223333:role/Dev\n",
                &format!("    - rolearn: {dead_arn}\n"),
            )
            .replace("        - developers\n", "        - system:masters\n");
        let gone = without(&dead, "role/Admin", 4);
        let v = judged(&dead, &gone, CallerCheck::Waived, only(ME), 0);
        assert_eq!(
            rules_of(&v),
            vec!["last-system-masters"],
            "{dead_arn}: {:?}",
            v.violations
        );
    }
}

#[test]
fn the_authenticators_own_config_canonicalizes_its_entries_so_they_count() {
    // MountedFile canonicalizes each entry's ARN: an admin written as an assumed-role session is the role
    // and still gets in, so removing the other admin is not the last one.
    let config = |admins: &str| {
        format!(
            "clusterID: c\nserver:\n  backendMode:\n    - MountedFile\n  mapRoles:\n{admins}    - roleARN: arn:aws:iam::111122223333:role/eks-node\n      username: system:node:{{{{EC2PrivateDNSName}}}}\n      groups:\n        - system:bootstrappers\n        - system:nodes\n"
        )
    };
    let session = "    - roleARN: arn:aws:sts::111122223333:assumed-role/Dev/jane\n      username: dev\n      groups:\n        - system:masters\n";
    let admin = "    - roleARN: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups:\n        - system:masters\n";
    let before = config(&format!("{session}{admin}"));
    let after = config(session);
    let v = judged(&before, &after, CallerCheck::Waived, only(ME), 0);
    assert!(
        !rules_of(&v).contains(&"last-system-masters"),
        "{:?}",
        v.violations
    );
}

#[test]
fn the_home_account_is_the_node_roles_account_when_there_are_nodes() {
    // A principal of another account is already mapped (viewers); making it admin is a foreign admin,
    // although its account appears in the file, because the nodes say which account is home.
    let guest = "    - rolearn: arn:aws:iam::999988887777:role/Guest\n      username: guest\n      groups:\n        - viewers\n";
    let before = format!("{BASE}{guest}");
    let after = format!("{BASE}{}", guest.replace("viewers", "system:masters"));
    let v = judged(&before, &after, known(ME), Intent::Everything, 0);
    assert_eq!(v.gains.len(), 1);
    assert!(v.gains[0].cross_account_admin, "{:?}", v.gains);
    // A foreign principal that gains an ordinary group, or more groups while already admin, is a gain
    // but not a new foreign admin.
    let v = judged(BASE, &before, known(ME), Intent::Everything, 0);
    assert_eq!(v.gains.len(), 1);
    assert!(!v.gains[0].cross_account_admin, "{:?}", v.gains);
    let more = format!("{after}        - ops\n");
    let v = judged(&after, &more, known(ME), Intent::Everything, 0);
    assert_eq!(v.gains.len(), 1, "{:?}", v.gains);
    assert!(!v.gains[0].cross_account_admin, "{:?}", v.gains);
    // Without node roles, every account the file maps is home.
    let no_nodes = |t: &str| without(&without(t, "role/eks-node", 5), "role/fargate", 6);
    let v = judged(
        &no_nodes(&before),
        &no_nodes(&after),
        known(ME),
        Intent::Everything,
        0,
    );
    assert_eq!(v.gains.len(), 1);
    assert!(!v.gains[0].cross_account_admin, "{:?}", v.gains);
}

#[test]
fn problems_that_only_moved_are_not_new() {
    // A broken entry already there, moved down by an added entry: its line number changes, it is not new.
    let broken = "    - rolearn: arn:aws:iam::111122223333:role/Broken\n      groups: not-a-list\n";
    let before = format!("{BASE}{broken}");
    let ops = "    - rolearn: arn:aws:iam::111122223333:role/Ops\n      username: ops\n      groups:\n        - ops\n";
    let after = format!("{}{ops}{broken}", BASE);
    let v = judged(
        &before,
        &after,
        known(ME),
        only("arn:aws:iam::111122223333:role/Ops"),
        0,
    );
    assert!(v.violations.is_empty(), "{:?}", v.violations);
    // A second broken entry is new, although its message differs only in a number.
    let broken2 = broken.replace("Broken", "Broken2");
    let after = format!("{before}{broken2}");
    let v = judged(&before, &after, known(ME), Intent::Everything, 0);
    assert_eq!(rules_of(&v), vec!["drops-entries"], "{:?}", v.violations);
    assert_eq!(strip_numbers("line 12, column 3"), "line #, column #");
    assert_eq!(strip_numbers("no digits"), "no digits");
}

#[test]
fn words_in_messages_agree_with_their_numbers() {
    assert_eq!(plural(1, "entry", "entries"), "entry");
    assert_eq!(plural(2, "entry", "entries"), "entries");
    assert_eq!(plural(0, "entry", "entries"), "entries");
    let (a, b) = ("a".to_string(), "system:masters".to_string());
    assert_eq!(quoted(&[&a, &b]), "`a`, `system:masters`");
}

#[test]
fn an_unknown_caller_may_add_when_mapaccounts_stays() {
    let accounts = format!("{BASE}  mapAccounts: |\n    - \"444455556666\"\n");
    let added = format!(
        "{}  mapAccounts: |\n    - \"444455556666\"\n",
        BASE.replace(
            "        - developers\n",
            "        - developers\n    - rolearn: arn:aws:iam::111122223333:role/Ops\n      username: ops\n      groups:\n        - ops\n"
        )
    );
    let v = judged(
        &accounts,
        &added,
        CallerCheck::Unknown,
        only("arn:aws:iam::111122223333:role/Ops"),
        0,
    );
    assert!(v.violations.is_empty(), "{:?}", v.violations);
}

#[test]
fn a_random_answer_says_whether_it_is_you() {
    let alice = "arn:aws:iam::111122223333:user/ops/alice";
    let users = "    - userarn: arn:aws:iam::111122223333:user/ops/alice\n      username: alice\n      groups:\n        - viewers\n";
    let before = with_lists(NODE, users);
    let after = with_lists(
        NODE,
        &format!(
            "{users}    - userarn: arn:aws:iam::111122223333:user/ops/Alice\n      username: alice2\n      groups:\n        - viewers\n"
        ),
    );
    let v = judged(&before, &after, known(alice), Intent::Everything, 0);
    let random = v
        .violations
        .iter()
        .find(|v| v.rule == "random-answer")
        .unwrap();
    assert!(random.subject.ends_with("(you)"), "{random:?}");
    let v = judged(&before, &after, known(ME), Intent::Everything, 0);
    let random = v
        .violations
        .iter()
        .find(|v| v.rule == "random-answer")
        .unwrap();
    assert!(!random.subject.contains("(you)"), "{random:?}");
}

#[test]
fn an_account_added_to_mapaccounts_is_a_gain_and_one_kept_is_not() {
    let accounts = |list: &str| format!("{BASE}  mapAccounts: |\n{list}");
    let before = accounts("    - \"444455556666\"\n");
    let after = accounts("    - \"444455556666\"\n    - \"777788889999\"\n");
    let v = judged(&before, &after, known(ME), Intent::Everything, 0);
    let wholes: Vec<&str> = v
        .gains
        .iter()
        .filter(|g| g.whole_account)
        .map(|g| g.principal.as_str())
        .collect();
    assert_eq!(wholes, ["account 777788889999"]);
    assert!(
        v.gains
            .iter()
            .find(|g| g.whole_account)
            .unwrap()
            .to_string()
            .starts_with("every role and user of account 777788889999 gains access")
    );
}

#[test]
fn a_random_answer_names_every_entry_it_could_pick() {
    let users = "    - userarn: arn:aws:iam::111122223333:user/ops/alice\n      username: alice\n      groups:\n        - viewers\n";
    let before = with_lists(NODE, users);
    let after = with_lists(
        NODE,
        &format!(
            "{users}    - userarn: arn:aws:iam::111122223333:user/ops/Alice\n      username: alice2\n      groups:\n        - admins\n"
        ),
    );
    let v = judged(&before, &after, known(ME), Intent::Everything, 0);
    let random = v
        .violations
        .iter()
        .find(|v| v.rule == "random-answer")
        .unwrap();
    assert!(
        random.consequence.starts_with(
            "the authenticator would pick one of several entries at random on each request: "
        ),
        "{random:?}"
    );
    assert!(
        random
            .consequence
            .contains("`arn:aws:iam::111122223333:user/ops/alice` as `alice` [viewers] (mapUsers)"),
        "{random:?}"
    );
    assert!(
        random
            .consequence
            .contains("`arn:aws:iam::111122223333:user/ops/Alice` as `alice2` [admins] (mapUsers)"),
        "{random:?}"
    );
}

/// The guard with the cluster's EKS access entries: who has an entry keeps access whatever aws-auth says.
mod access_entries {
    use super::*;
    use crate::core::access::{Access, AuthMode, CLUSTER_ADMIN_POLICY, Entry, Scope};

    fn entry(arn: &str, kind: &str, admin: bool) -> Entry {
        let admin_policy: &[(&str, Scope)] = &[(CLUSTER_ADMIN_POLICY, Scope::Cluster)];
        crate::core::access::test_entry(arn, kind, if admin { admin_policy } else { &[] })
    }

    fn access(mode: AuthMode, entries: Vec<Entry>) -> Access {
        Access {
            cluster_arn: "arn:aws:eks:us-east-1:111122223333:cluster/prod".into(),
            mode,
            bootstrap_creator_admin: Some(false),
            entries,
        }
    }

    fn with(after: &str, caller: CallerCheck, intent: Intent, a: &Access) -> Verdict {
        let (b, n) = (doc(BASE), doc(after));
        judge(&Change {
            before: &b,
            after: &n,
            caller: &caller,
            intent,
            binary_bytes: 0,
            access: Some(a),
        })
    }

    /// An emptied (or new) aws-auth names no account of its own; on EKS the cluster's ARN does, so a
    /// foreign admin written into it is still called one.
    #[test]
    fn the_clusters_account_is_home_even_when_aws_auth_names_nobody() {
        let (b, n) = (
            doc("data:\n  mapRoles: \"[]\"\n"),
            doc(
                "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::444455556666:role/Partner\n      username: partner\n      groups: [system:masters]\n",
            ),
        );
        let judged = |a: Option<&Access>| {
            judge(&Change {
                before: &b,
                after: &n,
                caller: &known(ME),
                intent: Intent::Everything,
                binary_bytes: 0,
                access: a,
            })
        };
        assert_eq!(judged(None).cross_account_admins().count(), 0);
        let eks = access(AuthMode::ApiAndConfigMap, vec![]);
        let v = judged(Some(&eks));
        let foreign: Vec<&str> = v
            .cross_account_admins()
            .map(|g| g.principal.as_str())
            .collect();
        assert_eq!(foreign, ["arn:aws:iam::444455556666:role/Partner"]);
    }

    #[test]
    fn removing_your_aws_auth_entry_is_harmless_only_when_an_access_entry_lets_you_in() {
        let after = without(BASE, "role/Admin", 4);
        // Your entry carries a path: EKS matches it by the role, as the caller presents it.
        let yours = access(
            AuthMode::ApiAndConfigMap,
            vec![entry(
                "arn:aws:iam::111122223333:role/ops/Admin",
                "STANDARD",
                true,
            )],
        );
        let v = with(&after, known(ME), only(ME), &yours);
        assert_eq!(rules_of(&v), Vec::<&str>::new(), "{v:?}");
        assert!(
            v.notes.iter().any(|n| n.starts_with(
                "`arn:aws:iam::111122223333:role/Admin` keeps access through its EKS access entry"
            )),
            "{:?}",
            v.notes
        );
        assert!(
            v.notes
                .iter()
                .any(|n| n.contains("AmazonEKSClusterAdminPolicy keeps a cluster admin"))
        );
        // Someone else's entry does not help you; nor does yours where EKS does not read entries.
        let others = access(
            AuthMode::ApiAndConfigMap,
            vec![entry(
                "arn:aws:iam::111122223333:role/Dev",
                "STANDARD",
                false,
            )],
        );
        assert_eq!(
            rules_of(&with(&after, known(ME), only(ME), &others)),
            ["caller-loses-access", "last-system-masters"]
        );
        let config_map = access(AuthMode::ConfigMap, yours.entries.clone());
        assert_eq!(
            rules_of(&with(&after, known(ME), only(ME), &config_map)),
            ["caller-loses-access", "last-system-masters"]
        );
        // An entry without the admin policy keeps you in, but not a cluster admin.
        let plain = access(
            AuthMode::ApiAndConfigMap,
            vec![entry(
                "arn:aws:iam::111122223333:role/Admin",
                "STANDARD",
                false,
            )],
        );
        assert_eq!(
            rules_of(&with(&after, known(ME), only(ME), &plain)),
            ["last-system-masters"]
        );
    }

    #[test]
    fn a_node_role_with_an_access_entry_survives_its_aws_auth_entry() {
        let after = without(BASE, "role/eks-node", 5);
        let node = "arn:aws:iam::111122223333:role/eks-node";
        let none = access(AuthMode::ApiAndConfigMap, vec![]);
        assert_eq!(
            rules_of(&with(&after, known(ME), only(node), &none)),
            ["node-role-loses-access"]
        );
        let entries = access(
            AuthMode::ApiAndConfigMap,
            vec![entry(node, "EC2_LINUX", false)],
        );
        let v = with(&after, known(ME), only(node), &entries);
        assert_eq!(rules_of(&v), Vec::<&str>::new(), "{v:?}");
        // Unknown caller: the loss is harmless when everyone who loses has an entry.
        let v = with(&after, CallerCheck::Unknown, only(node), &entries);
        assert_eq!(rules_of(&v), Vec::<&str>::new(), "{v:?}");
        let v = with(&after, CallerCheck::Unknown, only(node), &none);
        assert_eq!(rules_of(&v), ["caller-unknown", "node-role-loses-access"]);
    }

    #[test]
    fn in_api_mode_aws_auth_grants_nothing_so_only_the_size_limit_stands() {
        let after = without(BASE, "role/Admin", 4);
        let api = access(AuthMode::Api, vec![]);
        let v = with(&after, known(ME), only(ME), &api);
        assert_eq!(rules_of(&v), Vec::<&str>::new());
        assert!(v.pointless);
        assert!(
            v.notes[0].contains("is API: EKS does not read aws-auth"),
            "{:?}",
            v.notes
        );
        assert!(v.notes[0].contains("objections to it do not apply"));
        let huge = format!("{BASE}  big: \"{}\"\n", "x".repeat(SIZE_LIMIT));
        assert_eq!(
            rules_of(&with(&huge, known(ME), Intent::Nothing, &api)),
            ["size-limit"]
        );
    }

    #[test]
    fn an_aws_auth_grant_to_a_principal_with_an_access_entry_grants_nothing() {
        let added = format!(
            "{BASE}    - rolearn: arn:aws:iam::111122223333:role/Ops\n      username: ops\n      groups:\n        - ops\n"
        );
        let ops = "arn:aws:iam::111122223333:role/Ops";
        let a = access(
            AuthMode::ApiAndConfigMap,
            vec![entry(ops, "STANDARD", false)],
        );
        let v = with(&added, known(ME), only(ops), &a);
        assert!(v.gains.is_empty(), "{:?}", v.gains);
        assert!(v.notes.iter().any(|n| {
            n.contains("`arn:aws:iam::111122223333:role/Ops` has an EKS access entry, which wins")
        }));
        let none = access(AuthMode::ApiAndConfigMap, vec![]);
        assert_eq!(with(&added, known(ME), only(ops), &none).gains.len(), 1);
    }
}
