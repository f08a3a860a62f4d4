use super::*;
use crate::core::access::AuthMode;
use crate::core::check::iam::Principal;

const A: &str = "111122223333";

fn account() -> Account {
    Account {
        partition: "aws".into(),
        id: A.into(),
    }
}

fn found(kind: &str, path: &str, name: &str) -> Lookup {
    Lookup::Found(Principal {
        arn: format!("arn:aws:iam::{A}:{kind}{path}{name}"),
        path: path.into(),
        id: format!("AROA{}", name.to_uppercase()),
        created: None,
        trust_policy: None,
    })
}

fn iam() -> BTreeMap<Query, Lookup> {
    let mut m = BTreeMap::new();
    for (name, path) in [
        ("Admin", "/teams/"),
        ("Dev", "/"),
        ("eks-node", "/"),
        ("win-node", "/"),
        ("fargate", "/"),
        ("odd-node", "/"),
        ("Boot", "/"),
        ("Reserved", "/"),
        ("Tpl", "/"),
        ("Dup", "/"),
        ("Case", "/"),
        ("ManagedNode", "/"),
        ("Ops", "/"),
    ] {
        m.insert(Query::Role(name.into()), found("role", path, name));
    }
    m.insert(
        Query::Role("AWSServiceRoleForAmazonEMRContainers".into()),
        found(
            "role",
            "/aws-service-role/emr-containers.amazonaws.com/",
            "AWSServiceRoleForAmazonEMRContainers",
        ),
    );
    m.insert(Query::Role("Gone".into()), Lookup::Missing);
    m.insert(Query::Role("case".into()), found("role", "/", "case"));
    m.insert(
        Query::User("alice".into()),
        found("user", "/devs/", "alice"),
    );
    m
}

const ROLES: &str = r#"    - rolearn: arn:aws:iam::111122223333:role/Admin
      username: admin:{{SessionName}}
      groups: [system:masters, platform]
    - rolearn: arn:aws:iam::111122223333:role/Dev
      username: dev
      groups: [devs]
    - rolearn: arn:aws:iam::111122223333:role/eks-node
      username: system:node:{{EC2PrivateDNSName}}
      groups: [system:bootstrappers, system:nodes]
    - rolearn: arn:aws:iam::111122223333:role/win-node
      username: system:node:{{EC2PrivateDNSName}}
      groups: [system:bootstrappers, system:nodes, eks:kube-proxy-windows]
    - rolearn: arn:aws:iam::111122223333:role/fargate
      username: system:node:{{SessionName}}
      groups: [system:bootstrappers, system:nodes, system:node-proxier]
    - rolearn: arn:aws:iam::111122223333:role/odd-node
      username: system:node:{{EC2PrivateDNSName}}
      groups: [system:bootstrappers, system:nodes, gpu-admins]
    - rolearn: arn:aws:iam::111122223333:role/Boot
      username: boot
      groups: [system:bootstrappers]
    - rolearn: arn:aws:iam::111122223333:role/Reserved
      username: eks:operator
      groups: [ops]
    - rolearn: arn:aws:iam::111122223333:role/Tpl
      username: node-{{EC2PrivateDNSName}}
      groups: [ops]
    - rolearn: arn:aws:iam::111122223333:role/Gone
      username: gone
      groups: [ops]
    - rolearn: arn:aws:iam::111122223333:role/AWSServiceRoleForAmazonEMRContainers
      username: emr-containers
    - rolearn: arn:aws:iam::111122223333:role/Dup
      username: first
      groups: [ops]
    - rolearn: arn:aws:iam::111122223333:role/Dup
      username: second
      groups: [ops]
    - rolearn: arn:aws:iam::111122223333:role/Case
      username: lower
    - rolearn: arn:aws:iam::111122223333:role/case
      username: upper
    - rolearn: arn:aws:iam::444455556666:role/Partner
      username: partner
      groups: [partners]
    - rolearn: arn:aws:iam::111122223333:role/ManagedNode
      username: system:node:{{EC2PrivateDNSName}}
      groups: [system:bootstrappers, system:nodes]
    - rolearn: arn:aws:iam::111122223333:role/Ops
      username: ops
      groups: [ops]
    - rolearn: arn:aws:iam::111122223333:role/NoUser
      groups: [ops]
"#;

fn doc() -> AuthDocument {
    AuthDocument::parse(
        "aws-auth.yaml",
        format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: aws-auth\n  namespace: kube-system\ndata:\n  mapRoles: |\n{ROLES}  mapUsers: |\n    - userarn: arn:aws:iam::111122223333:user/devs/alice\n      username: alice\n      groups: [devs]\n    - userarn: arn:aws:iam::111122223333:user/Bob\n      username: bob\n    - userarn: arn:aws:iam::111122223333:user/BOB\n      username: bobby\n  mapAccounts: |\n    - \"444455556666\"\n"
        ),
    )
    .unwrap()
}

fn access(entries: Vec<AccessEntry>) -> Access {
    Access {
        cluster_arn: format!("arn:aws:eks:us-east-1:{A}:cluster/prod"),
        mode: AuthMode::ApiAndConfigMap,
        bootstrap_creator_admin: Some(false),
        entries,
    }
}

fn existing() -> Vec<AccessEntry> {
    // EKS made the managed node group's entry; someone made Ops's with another username.
    let mut node = access::test_entry(
        &format!("arn:aws:iam::{A}:role/ManagedNode"),
        "EC2_LINUX",
        &[],
    );
    node.username = "system:node:{{EC2PrivateDNSName}}".into();
    let mut ops = access::test_entry(&format!("arn:aws:iam::{A}:role/Ops"), "STANDARD", &[]);
    ops.username = "operator".into();
    ops.kubernetes_groups = vec!["ops".into()];
    vec![node, ops]
}

fn planned() -> Plan {
    let (doc, iam, account) = (doc(), iam(), account());
    plan(&Inputs {
        doc: &doc,
        access: &access(existing()),
        account: &account,
        iam: Some(&iam),
    })
}

fn outcome<'p>(p: &'p Plan, arn_tail: &str, username: &str) -> &'p Outcome {
    &p.items
        .iter()
        .find(|i| i.arn.ends_with(arn_tail) && i.username == username)
        .unwrap_or_else(|| panic!("no item {arn_tail} {username}: {p:#?}"))
        .outcome
}

fn reason(o: &Outcome) -> Reason {
    match o {
        Outcome::Skip { reason, .. } => *reason,
        other => panic!("not skipped: {other:?}"),
    }
}

fn created(o: &Outcome) -> &Target {
    match o {
        Outcome::Create { entry } => entry,
        other => panic!("not created: {other:?}"),
    }
}

#[test]
fn every_entry_is_classified_in_document_order() {
    let p = planned();
    // 19 roles, 3 users, 1 account: nothing left out.
    assert_eq!(p.items.len(), 23, "{p:#?}");
    let lines: Vec<usize> = p.items.iter().map(|i| i.line).collect();
    let mut sorted = lines.clone();
    sorted.sort();
    assert_eq!(lines, sorted);
    assert_eq!(p.counts(), (8, 1, 14));
}

#[test]
fn admins_keep_their_path_username_and_groups_and_get_the_admin_policy() {
    let p = planned();
    let t = created(outcome(&p, "role/Admin", "admin:{{SessionName}}"));
    assert_eq!(
        t.principal_arn,
        format!("arn:aws:iam::{A}:role/teams/Admin")
    );
    assert_eq!(t.kind, "STANDARD");
    assert_eq!(t.username.as_deref(), Some("admin:{{SessionName}}"));
    assert_eq!(t.kubernetes_groups, ["platform"]);
    assert!(t.is_admin());
    let t = created(outcome(&p, "user/devs/alice", "alice"));
    assert_eq!(t.principal_arn, format!("arn:aws:iam::{A}:user/devs/alice"));
    assert!(!t.is_admin());
    // No username in aws-auth: EKS's default would differ from what the authenticator gives.
    let t = created(outcome(&p, "role/Dev", "dev"));
    assert_eq!(t.kubernetes_groups, ["devs"]);
}

#[test]
fn nodes_become_node_entries_without_groups() {
    let p = planned();
    for (tail, kind) in [
        ("role/eks-node", "EC2_LINUX"),
        ("role/win-node", "EC2_WINDOWS"),
        ("role/fargate", "FARGATE_LINUX"),
    ] {
        let user = if kind == "FARGATE_LINUX" {
            "system:node:{{SessionName}}"
        } else {
            "system:node:{{EC2PrivateDNSName}}"
        };
        let t = created(outcome(&p, tail, user));
        assert_eq!(t.kind, kind);
        assert_eq!(t.username, None);
        assert!(t.kubernetes_groups.is_empty());
    }
    assert_eq!(
        reason(outcome(
            &p,
            "role/odd-node",
            "system:node:{{EC2PrivateDNSName}}"
        )),
        Reason::NodeGroups
    );
    // The entry EKS made for the managed node group is recognised.
    assert!(matches!(
        outcome(&p, "role/ManagedNode", "system:node:{{EC2PrivateDNSName}}"),
        Outcome::Present { .. }
    ));
}

#[test]
fn what_access_entries_cannot_carry_has_a_named_reason() {
    let p = planned();
    for (tail, user, why) in [
        ("role/Boot", "boot", Reason::SystemGroup),
        ("role/Reserved", "eks:operator", Reason::ReservedUsername),
        ("role/Tpl", "node-{{EC2PrivateDNSName}}", Reason::Template),
        ("role/Gone", "gone", Reason::Missing),
        (
            "role/AWSServiceRoleForAmazonEMRContainers",
            "emr-containers",
            Reason::ServiceLinked,
        ),
        ("role/Dup", "first", Reason::Duplicate),
        // Role ARNs fold: the last wins. User ARNs do not: both stay, and which answers is random.
        ("role/Case", "lower", Reason::Duplicate),
        ("user/Bob", "bob", Reason::Nondeterministic),
        ("user/BOB", "bobby", Reason::Nondeterministic),
        ("role/Partner", "partner", Reason::IamUnknown),
        ("role/Ops", "ops", Reason::Differs),
        ("role/NoUser", "", Reason::IamUnknown),
        ("444455556666", "", Reason::Account),
    ] {
        assert_eq!(reason(outcome(&p, tail, user)), why, "{tail}");
    }
    assert!(matches!(
        outcome(&p, "role/Dup", "second"),
        Outcome::Create { .. }
    ));
    let Outcome::Skip {
        message, existing, ..
    } = outcome(&p, "role/Ops", "ops")
    else {
        unreachable!()
    };
    assert_eq!(
        message,
        "`arn:aws:iam::111122223333:role/Ops` has an access entry already, which EKS uses instead of this mapping, and it gives other access: username `operator` instead of `ops`"
    );
    assert!(existing.is_some());
    // Duplicates and invalid entries grant nothing today: they do not hold the API switch back.
    let held: Vec<&str> = p.unmigrated().map(|i| i.arn.as_str()).collect();
    assert!(!held.iter().any(|a| a.ends_with("role/Dup")), "{held:?}");
    assert!(held.iter().any(|a| a.ends_with("role/Boot")), "{held:?}");
}

#[test]
fn without_iam_no_real_arn_is_known() {
    let (doc, account) = (doc(), account());
    let p = plan(&Inputs {
        doc: &doc,
        access: &access(vec![]),
        account: &account,
        iam: None,
    });
    assert_eq!(reason(outcome(&p, "role/Dev", "dev")), Reason::IamUnknown);
    assert_eq!(p.counts().0, 0);
}

#[test]
fn a_created_entry_resolves_to_what_aws_auth_gave_and_a_changed_one_does_not() {
    let (doc, p) = (doc(), planned());
    let entry_of = |tail: &str, user: &str| {
        doc.valid_entries()
            .find(|e| e.arn.ends_with(tail) && e.username == user)
            .unwrap()
            .clone()
    };
    let admin = entry_of("role/Admin", "admin:{{SessionName}}");
    let t = created(outcome(&p, "role/Admin", "admin:{{SessionName}}")).as_created();
    assert!(differences(&admin, &t).is_empty());
    let mut no_policy = t.clone();
    no_policy.access_policies.clear();
    assert_eq!(
        differences(&admin, &no_policy),
        ["no AmazonEKSClusterAdminPolicy at cluster scope for a `system:masters` mapping"]
    );
    let mut more = t.clone();
    more.kubernetes_groups.push("extra".into());
    more.access_policies.push(Policy {
        policy_arn: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy".into(),
        access_scope: Scope::Namespaces(vec!["dev".into()]),
    });
    assert_eq!(
        differences(&admin, &more),
        [
            "groups [extra, platform] instead of [platform]",
            "access policies AmazonEKSViewPolicy (dev) that aws-auth does not give"
        ]
    );
    let node = entry_of("role/eks-node", "system:node:{{EC2PrivateDNSName}}");
    let mut fargate = created(outcome(
        &p,
        "role/eks-node",
        "system:node:{{EC2PrivateDNSName}}",
    ))
    .as_created();
    assert!(differences(&node, &fargate).is_empty());
    fargate.kind = "FARGATE_LINUX".into();
    assert_eq!(differences(&node, &fargate).len(), 1);
}

#[test]
fn the_exports_create_exactly_the_planned_entries() {
    let p = planned();
    let cli = aws_cli(&p, "prod", "us-east-1");
    assert_eq!(
        cli.matches("aws eks create-access-entry").count(),
        8,
        "{cli}"
    );
    assert_eq!(
        cli.matches("aws eks associate-access-policy").count(),
        1,
        "{cli}"
    );
    assert!(cli.contains("aws eks create-access-entry --region us-east-1 --cluster-name prod --principal-arn arn:aws:iam::111122223333:role/teams/Admin --type STANDARD --username 'admin:{{SessionName}}' --kubernetes-groups platform\n"), "{cli}");
    assert!(cli.contains("--policy-arn arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy --access-scope type=cluster\n"), "{cli}");
    assert!(
        cli.contains("--principal-arn arn:aws:iam::111122223333:role/eks-node --type EC2_LINUX\n"),
        "{cli}"
    );
    let e = eksctl(&p, "prod", "us-east-1");
    let entries = e["accessConfig"]["accessEntries"].as_array().unwrap();
    assert_eq!(entries.len(), 8);
    assert_eq!(
        entries[0]["principalARN"],
        "arn:aws:iam::111122223333:role/teams/Admin"
    );
    assert_eq!(entries[0]["kubernetesUsername"], "admin:{{SessionName}}");
    assert_eq!(
        entries[0]["accessPolicies"][0]["accessScope"]["type"],
        "cluster"
    );
    assert_eq!(quote("it's"), r"'it'\''s'");
}

#[test]
fn an_entry_an_interrupted_apply_left_half_made_is_planned_to_be_finished() {
    let (doc, iam, account) = (doc(), iam(), account());
    let mut half = access::test_entry(
        &format!("arn:aws:iam::{A}:role/teams/Admin"),
        "STANDARD",
        &[],
    );
    half.username = "admin:{{SessionName}}".into();
    half.kubernetes_groups = vec!["platform".into(), BRIDGE_GROUP.into()];
    let p = plan(&Inputs {
        doc: &doc,
        access: &access(vec![half.clone()]),
        account: &account,
        iam: Some(&iam),
    });
    assert!(created(outcome(&p, "role/Admin", "admin:{{SessionName}}")).is_admin());
    // Without the bridge group the same entry is somebody else's, and differs.
    half.kubernetes_groups.pop();
    let p = plan(&Inputs {
        doc: &doc,
        access: &access(vec![half]),
        account: &account,
        iam: Some(&iam),
    });
    assert_eq!(
        reason(outcome(&p, "role/Admin", "admin:{{SessionName}}")),
        Reason::Differs
    );
}

#[test]
fn an_access_entry_older_than_its_principal_is_not_taken_for_a_migration() {
    let (doc, account) = (doc(), account());
    let mut iam = iam();
    if let Some(Lookup::Found(p)) = iam.get_mut(&Query::Role("ManagedNode".into())) {
        p.created = Some("2025-06-01T00:00:00Z".parse().unwrap());
    }
    let mut entries = existing();
    entries[0].created_at = Some("2024-01-01T00:00:00Z".parse().unwrap());
    let p = plan(&Inputs {
        doc: &doc,
        access: &access(entries.clone()),
        account: &account,
        iam: Some(&iam),
    });
    let o = outcome(&p, "role/ManagedNode", "system:node:{{EC2PrivateDNSName}}");
    assert_eq!(reason(o), Reason::Recreated);
    assert!(p.unmigrated().any(|i| i.arn.ends_with("role/ManagedNode")));
    // Newer than its principal: the entry is the principal's.
    entries[0].created_at = Some("2025-07-01T00:00:00Z".parse().unwrap());
    let p = plan(&Inputs {
        doc: &doc,
        access: &access(entries),
        account: &account,
        iam: Some(&iam),
    });
    assert!(matches!(
        outcome(&p, "role/ManagedNode", "system:node:{{EC2PrivateDNSName}}"),
        Outcome::Present { .. }
    ));
}

#[test]
fn in_api_mode_the_plan_says_aws_auth_grants_nothing() {
    let (doc, iam, account) = (doc(), iam(), account());
    let mut a = access(vec![]);
    a.mode = AuthMode::Api;
    let p = plan(&Inputs {
        doc: &doc,
        access: &a,
        account: &account,
        iam: Some(&iam),
    });
    assert!(
        p.notes[0].ends_with(
            "creating their access entries would grant access anew (`migrate apply` refuses)"
        ),
        "{:?}",
        p.notes
    );
}

#[test]
fn a_mapping_without_username_would_differ_from_the_default_of_access_entries() {
    let doc = AuthDocument::parse(
        "aws-auth.yaml",
        "data:\n  mapUsers: |\n    - userarn: arn:aws:iam::111122223333:user/devs/alice\n      groups: [devs]\n".into(),
    )
    .unwrap();
    let (iam, account) = (iam(), account());
    let p = plan(&Inputs {
        doc: &doc,
        access: &access(vec![]),
        account: &account,
        iam: Some(&iam),
    });
    let o = &p.items[0].outcome;
    assert_eq!(reason(o), Reason::WouldDiffer, "{o:?}");
    let Outcome::Skip { message, .. } = o else {
        unreachable!()
    };
    assert!(message.starts_with("the access entry would give other access: username `arn:aws:iam::111122223333:user/devs/alice` instead of"), "{message}");
}

#[test]
fn the_switch_to_api_keeps_a_caller_with_an_equal_entry_and_drops_one_without() {
    let doc = doc();
    let identity = |arn: &str, canonical: &str| Identity {
        arn: arn.into(),
        canonical_arn: canonical.into(),
        account_id: A.into(),
        user_id: "AIDAEXAMPLE".into(),
        session_name: String::new(),
        access_key_id: "AKIAEXAMPLE".into(),
        sts_endpoint: String::new(),
    };
    let alice = identity(
        "arn:aws:iam::111122223333:user/devs/alice",
        "arn:aws:iam::111122223333:user/devs/alice",
    );
    // No entry: alice is aws-auth's `alice` now, and refused in API.
    let s = caller_in_api(&alice, &doc, &access(vec![]));
    assert_eq!(s.now.user, Some(("alice".into(), vec!["devs".into()])));
    assert_eq!(s.after.user, None);
    assert_eq!(s.after.describe(), "refused (401 Unauthorized)");
    // An entry with the same access: the same before and after.
    let mut e = access::test_entry("arn:aws:iam::111122223333:user/devs/alice", "STANDARD", &[]);
    e.username = "alice".into();
    e.kubernetes_groups = vec!["devs".into()];
    let s = caller_in_api(&alice, &doc, &access(vec![e]));
    assert_eq!(s.now, s.after);
    // An admin through aws-auth whose entry lacks the admin policy loses admin.
    let admin = identity(
        "arn:aws:sts::111122223333:assumed-role/Admin/jane",
        "arn:aws:iam::111122223333:role/Admin",
    );
    let mut e = access::test_entry(
        "arn:aws:iam::111122223333:role/teams/Admin",
        "STANDARD",
        &[],
    );
    e.username = "admin:{{SessionName}}".into();
    e.kubernetes_groups = vec!["platform".into()];
    let s = caller_in_api(&admin, &doc, &access(vec![e.clone()]));
    // The entry already decides (API_AND_CONFIG_MAP): not an admin now either, and nothing changes.
    assert_eq!(s.now, s.after);
    assert!(!s.after.admin);
    let s = caller_in_api(
        &admin,
        &doc,
        &Access {
            mode: AuthMode::ConfigMap,
            ..access(vec![e])
        },
    );
    assert!(s.now.admin);
    assert!(!s.after.admin);
    assert_ne!(s.now, s.after);
}

/// A dead mapping (a role ARN written with its path, which the authenticator never matches) grants
/// nothing today: migrating it would let the role in for the first time, so it is not planned.
#[test]
fn a_dead_mapping_is_not_brought_to_life() {
    let doc = AuthDocument::parse(
        "aws-auth.yaml",
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/teams/Admin\n      username: admin\n      groups: [system:masters]\n".into(),
    )
    .unwrap();
    let (iam, account) = (iam(), account());
    let p = plan(&Inputs {
        doc: &doc,
        access: &access(vec![]),
        account: &account,
        iam: Some(&iam),
    });
    let o = &p.items[0].outcome;
    assert_eq!(reason(o), Reason::WouldDiffer, "{o:?}");
    let Outcome::Skip { message, .. } = o else {
        unreachable!()
    };
    assert!(message.contains("aws-auth does not let"), "{message}");
}
