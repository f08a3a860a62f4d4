//! Spec §2–§3 vectors: validation, keys and matching, ParseMap, the yaml fixtures, last-wins lookups.

use super::*;

fn roles(text: &str) -> ListParse {
    parse_list(text, ListKind::Roles)
}
fn users(text: &str) -> ListParse {
    parse_list(text, ListKind::Users)
}

fn role(arn: &str) -> Entry {
    let p = roles(&format!("- rolearn: {arn}\n"));
    p.entries[0].clone()
}

#[test]
fn sso_key_matching_and_validation() {
    let p = roles(
        "- sso:\n    permissionSetName: ViewOnlyAccess\n    accountID: \"012345678912\"\n  username: admin\n  groups: [system:masters]\n",
    );
    let e = &p.entries[0];
    assert!(e.is_valid());
    assert_eq!(
        e.key(),
        "arn:aws:iam::012345678912:role/awsreservedsso_viewonlyaccess_*"
    );
    let list = [e.clone()];
    let mut m = EffectiveMapping::new(&list, &[], &[]);
    m.sso_role_match = true;
    assert!(
        m.lookup_entry("arn:aws:iam::012345678912:role/awsreservedsso_viewonlyaccess_abcdefg")
            .is_some()
    );
    assert!(
        m.lookup_entry("arn:aws:iam::012345678912:role/awsreservedsso_billing_hijklmn")
            .is_none()
    );
    // EKS does not enable the SSORoleMatch gate: the entry is dead there.
    m.sso_role_match = false;
    assert!(
        m.lookup_entry("arn:aws:iam::012345678912:role/awsreservedsso_viewonlyaccess_abcdefg")
            .is_none()
    );
    for bad in [
        "    partition: aws-nk\n    accountID: \"012345678912\"\n    permissionSetName: ViewOnlyAccess\n",
        "    partition: aws\n    accountID: \"0123456789\"\n    permissionSetName: ViewOnlyAccess\n",
        "    partition: aws\n    accountID: \"012345678912\"\n    permissionSetName: ViewOnlyAccess*\n",
    ] {
        let p = roles(&format!("- sso:\n{bad}  username: x\n"));
        assert!(!p.entries[0].is_valid(), "{bad}");
    }
}

#[test]
fn sso_partition_is_honoured_deliberately() {
    let p = roles(
        "- sso:\n    permissionSetName: ViewOnlyAccess\n    accountID: \"012345678912\"\n    partition: aws-cn\n  username: u\n",
    );
    let e = &p.entries[0];
    // Upstream would give `arn::iam::…` and never match; iamidmap uses the partition (aws-iam-authenticator pkg/arn/arn.go).
    assert_eq!(
        e.key(),
        "arn:aws-cn:iam::012345678912:role/awsreservedsso_viewonlyaccess_*"
    );
    let list = [e.clone()];
    let mut m = EffectiveMapping::new(&list, &[], &[]);
    m.sso_role_match = true;
    assert!(
        m.lookup_entry("arn:aws-cn:iam::012345678912:role/awsreservedsso_viewonlyaccess_x")
            .is_some()
    );
}

#[test]
fn role_and_user_keys_and_matches() {
    let r = role("arn:aws:iam::012345678912:role/KubeAdmin");
    assert_eq!(r.key(), "arn:aws:iam::012345678912:role/kubeadmin");
    let list = [r];
    let m = EffectiveMapping::new(&list, &[], &[]);
    assert!(
        m.lookup_entry("arn:aws:iam::012345678912:role/KubeAdmin")
            .is_some()
    );
    assert!(
        m.lookup_entry("arn:aws:iam::012345678912:role/notKubeAdmin")
            .is_none()
    );
    assert_eq!(
        roles("- rolearn: \"\"\n").entries[0].invalid.as_deref(),
        Some("one of rolearn or SSO must be supplied")
    );
    let u = users("- userarn: arn:aws:iam::012345678912:user/Shanice\n");
    assert_eq!(u.entries[0].key(), "arn:aws:iam::012345678912:user/Shanice");
    let m = EffectiveMapping::new(&[], &u.entries, &[]);
    assert!(
        m.lookup_entry("arn:aws:iam::012345678912:user/shanice")
            .is_some()
    );
    assert!(
        m.lookup_entry("arn:aws:iam::012345678912:user/notShanice")
            .is_none()
    );
    assert_eq!(
        users("- username: x\n").entries[0].invalid.as_deref(),
        Some("value for userarn must be supplied")
    );
}

#[test]
fn rolearn_and_sso_together_is_invalid() {
    let p = roles(
        "- rolearn: arn:aws:iam::1:role/x\n  sso:\n    permissionSetName: A\n    accountID: \"012345678912\"\n",
    );
    assert_eq!(
        p.entries[0].invalid.as_deref(),
        Some("only one of rolearn or SSO can be supplied")
    );
}

/// `TestLoadConfigMap`: initial and modified data, as the watch would see them.
#[test]
fn load_configmap_vectors() {
    let initial_users = "-\n  userarn: \"arn:iam:matlan\"\n  username: matlan\n  groups:\n    - loadedfromconfigmap\n    - \"system:master\"\n-\n  groups:\n    - \"system:master\"\n  userarn: \"arn:aws:iam::012345678912:user/NIC\"\n  username: nic\n";
    let initial_roles = "- rolearn: \"arn:iam:123:role/me\"\n  username: \"{{Session}}\"\n  groups:\n    - system:nodes\n";
    let accounts = parse_accounts("- 123\n- 345\n");
    let acc: Vec<String> = accounts.accounts.iter().map(|a| a.0.clone()).collect();
    assert_eq!(acc, vec!["123", "345"]);
    let u = users(initial_users);
    let r = roles(initial_roles);
    assert!(u.errors.is_empty() && r.errors.is_empty());
    let m = EffectiveMapping::new(&r.entries, &u.entries, &acc);
    let nic = m
        .lookup_entry("arn:aws:iam::012345678912:user/NIC")
        .unwrap();
    assert_eq!(nic.username, "nic");
    assert_eq!(nic.groups, vec!["system:master"]);

    let modified_users = "-\n  groups:\n    - \"system:master\"\n    - \"test\"\n  userarn: \"arn:aws:iam::012345678912:user/NIC\"\n  username: nic\n- userarn: \"arn:iam:beswar\"\n  username: beswar\n  groups:\n    - \"system:master\"\n- userarn: \"arn:iam:nogroups\"\n  username: nogroups\n";
    let accounts = parse_accounts("- 567\n");
    let acc: Vec<String> = accounts.accounts.iter().map(|a| a.0.clone()).collect();
    let u = users(modified_users);
    let m = EffectiveMapping::new(&r.entries, &u.entries, &acc);
    assert_eq!(
        m.lookup_entry("arn:aws:iam::012345678912:user/NIC")
            .unwrap()
            .groups,
        vec!["system:master", "test"]
    );
    let beswar = m.lookup_entry("arn:iam:beswar").unwrap();
    assert_eq!(
        (beswar.username.as_str(), beswar.groups.clone()),
        ("beswar", vec!["system:master".to_string()])
    );
    assert!(m.lookup_entry("arn:iam:matlan").is_none());
    assert!(!m.accounts.contains(&"345".to_string()));
    assert!(m.accounts.contains(&"567".to_string()));
}

/// `TestParseMap` (the values parse without error; SSO entry kept).
#[test]
fn parse_map_vector() {
    let r = roles(
        "- rolearn: arn:aws:iam::123456789101:role/test-NodeInstanceRole-1VWRHZ3GKZ1T4\n  username: system:node:{{EC2PrivateDNSName}}\n  groups:\n  - system:bootstrappers\n  - system:nodes\n- sso:\n    permissionSetName: ViewOnlyAccess\n    accountID: \"012345678912\"\n    partition: aws-cn\n  username: user1\n  groups:\n  - system:basic-users\n",
    );
    assert!(r.errors.is_empty());
    assert_eq!(r.entries.len(), 2);
    assert!(r.entries.iter().all(|e| e.is_valid()));
    assert_eq!(r.entries[0].username, "system:node:{{EC2PrivateDNSName}}");
    assert_eq!(
        r.entries[0].groups,
        vec!["system:bootstrappers", "system:nodes"]
    );
    assert_eq!(
        r.entries[1].sso,
        Some(SsoMatcher {
            permission_set_name: "ViewOnlyAccess".into(),
            account_id: "012345678912".into(),
            partition: "aws-cn".into()
        })
    );
    let u = users(
        "- userarn: arn:aws:iam::123456789101:user/Hello\n  username: Hello\n  groups:\n  - system:masters\n- userarn: arn:aws:iam::123456789101:user/World\n  username: World\n  groups:\n  - system:masters\n",
    );
    assert_eq!(
        u.entries
            .iter()
            .map(|e| e.username.as_str())
            .collect::<Vec<_>>(),
        vec!["Hello", "World"]
    );
}

/// `TestBadParseMap` and `TestBadParseMapSingleQuote`.
#[test]
fn skippable_values() {
    for v in ["", "\"\"", "``", "''", "   ", " '' \n"] {
        assert_eq!(roles(v).shape, ListShape::Skippable, "{v:?}");
        assert!(roles(v).errors.is_empty());
        assert_eq!(parse_accounts(v).shape, ListShape::Skippable);
    }
}

/// The `yaml/*.yaml` fixtures of `yaml_test.go`, inner values only (top-level keys are in document tests).
#[test]
fn yaml_fixture_vectors() {
    let base_roles = "- rolearn: arn:aws:iam::555555555555:role/devel-worker-nodes-NodeInstanceRole-74RF4UBDUKL6\n  username: system:node:{{EC2PrivateDNSName}}\n  groups:\n    - system:bootstrappers\n    - system:nodes\n";
    let r = roles(base_roles);
    assert_eq!(
        r.entries[0].groups,
        vec!["system:bootstrappers", "system:nodes"]
    );
    let crazy = "- rOlEaRn: arn:aws:iam::555555555555:role/devel-worker-nodes-NodeInstanceRole-74RF4UBDUKL6\n  UsErNaMe: system:node:{{EC2PrivateDNSName}}\n  gRoUpS:\n    - system:bootstrappers\n    - system:nodes\n";
    let c = roles(crazy);
    assert_eq!(c.entries[0].arn, r.entries[0].arn);
    assert_eq!(c.entries[0].username, r.entries[0].username);
    assert_eq!(c.entries[0].groups, r.entries[0].groups);
    let open_source = users(
        "- userARN: arn:aws:iam::555555555555:user/admin\n  username: admin\n  groups:\n    - system:masters\n",
    );
    assert_eq!(
        open_source.entries[0].arn,
        "arn:aws:iam::555555555555:user/admin"
    );
    // space-out-of-place: the second group line folds into the first.
    let folded = roles(
        "- rolearn: arn:aws:iam::555555555555:role/devel-worker-nodes-NodeInstanceRole-74RF4UBDUKL6\n  username: system:node:{{EC2PrivateDNSName}}\n  groups:\n    - system:bootstrappers\n     - system:nodes\n",
    );
    assert_eq!(
        folded.entries[0].groups,
        vec!["system:bootstrappers - system:nodes"]
    );
    assert!(
        folded.entries[0]
            .fields
            .iter()
            .all(|f| !f.value_multiline_plain)
    );
    let acc = parse_accounts("- 555555555555\n");
    assert_eq!(acc.accounts[0].0, "555555555555");
}

#[test]
fn go_json_type_errors_keep_the_entry() {
    let p = roles("- rolearn: arn:aws:iam::1:role/a\n  username: 1234\n  groups: system:masters\n");
    let e = &p.entries[0];
    assert!(e.is_valid());
    assert_eq!(e.username, "");
    assert!(e.groups.is_empty());
    assert_eq!(e.type_errors.len(), 2);
    assert_eq!(
        e.type_errors[0].message,
        "json: cannot unmarshal string into Go struct field RoleMapping.groups of type []string"
    );
    // YAML 1.1 booleans are not strings either.
    let p = roles("- rolearn: arn:aws:iam::1:role/a\n  username: on\n  groups: [yes, dev]\n");
    let e = &p.entries[0];
    assert_eq!(e.username, "");
    assert_eq!(e.groups, vec!["", "dev"]);
    assert_eq!(e.type_errors.len(), 2);
}

#[test]
fn scalar_items_and_null_items_are_dropped() {
    let p = roles("- foo\n- ~\n- rolearn: arn:aws:iam::1:role/a\n");
    assert_eq!(p.entries.len(), 3);
    assert!(!p.entries[0].is_valid());
    assert!(!p.entries[1].is_valid());
    assert!(p.entries[2].is_valid());
    assert_eq!(p.errors.len(), 1);
    assert_eq!(p.errors[0].kind, ListErrorKind::ItemNotMapping);
}

#[test]
fn whole_list_errors() {
    let p = roles("- rolearn: a\n  username: {{SessionName}}\n");
    assert!(p.dropped_whole());
    assert_eq!(p.errors[0].kind, ListErrorKind::ComplexKey);
    let p = roles("rolearn: a\n");
    assert!(p.dropped_whole());
    assert_eq!(
        p.errors[0].message,
        "json: cannot unmarshal object into Go value of type []config.RoleMapping"
    );
    let p = roles("- rolearn: a\n  groups:\n  - x\n - y\n");
    assert!(p.dropped_whole());
    assert_eq!(p.errors[0].kind, ListErrorKind::Syntax);
    let p = roles("{\"rolearn\": \"a\"}");
    assert!(p.dropped_whole());
    assert_eq!(roles("# only a comment\n").shape, ListShape::Null);
    assert!(roles("null").errors.is_empty());
}

#[test]
fn case_variant_keys_decode_in_go_order() {
    // Both decode into RoleMapping.RoleARN; Go processes `roleARN` before `rolearn` (bytewise order).
    let p = roles("- rolearn: arn:aws:iam::1:role/lower\n  roleARN: arn:aws:iam::1:role/upper\n");
    assert_eq!(p.entries[0].arn, "arn:aws:iam::1:role/lower");
}

#[test]
fn last_entry_wins_per_role_key() {
    let p = roles(
        "- rolearn: arn:aws:iam::1:role/Admin\n  username: first\n  groups: [system:masters]\n- rolearn: arn:aws:iam::1:role/admin\n  username: second\n",
    );
    let m = EffectiveMapping::new(&p.entries, &[], &[]);
    let e = m.lookup_entry("arn:aws:iam::1:role/ADMIN").unwrap();
    assert_eq!(e.username, "second");
    assert!(e.groups.is_empty());
}

#[test]
fn users_differing_in_case_resolve_to_the_first_deterministically() {
    let p = users(
        "- userarn: arn:aws:iam::1:user/Bob\n  username: a\n- userarn: arn:aws:iam::1:user/bob\n  username: b\n",
    );
    let m = EffectiveMapping::new(&[], &p.entries, &[]);
    assert_eq!(m.users.len(), 2);
    assert_eq!(
        m.lookup_entry("arn:aws:iam::1:user/bob").unwrap().username,
        "a"
    );
}

#[test]
fn accounts_map_to_the_canonical_arn() {
    let acc = parse_accounts("- \"123456789012\"\n- 012345678901\n");
    let list: Vec<String> = acc.accounts.iter().map(|a| a.0.clone()).collect();
    assert_eq!(list, vec!["123456789012", "012345678901"]);
    let m = EffectiveMapping::new(&[], &[], &list);
    assert_eq!(
        m.resolve("arn:aws:iam::012345678901:role/Anything"),
        Some(Resolution::Account(
            "arn:aws:iam::012345678901:role/Anything".into()
        ))
    );
    assert_eq!(m.resolve("arn:aws:iam::999999999999:role/x"), None);
    let bad = parse_accounts("a: b\n");
    assert_eq!(bad.shape, ListShape::Broken);
}

#[test]
fn a_path_or_assumed_role_arn_never_matches() {
    let p = roles(
        "- rolearn: arn:aws:iam::1:role/teams/Admin\n- rolearn: arn:aws:sts::1:assumed-role/Dev/s\n",
    );
    let m = EffectiveMapping::new(&p.entries, &[], &[]);
    let (_, admin) = crate::core::arn::canonicalize("arn:aws:sts::1:assumed-role/Admin/x").unwrap();
    assert!(m.lookup_entry(&admin).is_none());
    let (_, dev) = crate::core::arn::canonicalize("arn:aws:sts::1:assumed-role/Dev/s").unwrap();
    assert!(m.lookup_entry(&dev).is_none());
}
