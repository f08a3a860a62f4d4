//! Document reading and lossless edits on hand-written shapes (the corpus tests are in tests/).

use super::*;
use crate::core::mapping::{DataKey, Entry, ListKind};

fn doc(text: &str) -> AuthDocument {
    AuthDocument::parse("t.yaml", text.to_string()).unwrap()
}

fn remove(list: ListKind, index: usize) -> EditPlan {
    EditPlan::RemoveEntry { list, index }
}

fn role(arn: &str, user: &str, groups: &[&str]) -> EditPlan {
    EditPlan::AddEntry(NewEntry {
        list: ListKind::Roles,
        arn: arn.into(),
        username: Some(user.into()),
        groups: groups.iter().map(|g| g.to_string()).collect(),
    })
}

const COMMENTED: &str = "# managed by the platform team\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: aws-auth\n  namespace: kube-system   # must stay\ndata:\n  # nodes first\n  mapRoles: |\n    # worker nodes\n    - rolearn: arn:aws:iam::111122223333:role/eks-node\n      username: system:node:{{EC2PrivateDNSName}}\n      groups:\n        - system:bootstrappers\n        - system:nodes\n\n    # admins\n    - rolearn: \"arn:aws:iam::111122223333:role/Admin\"\n      username: admin:{{SessionName}}\n      groups: [system:masters]   # flow style\n  mapUsers: |\n    - userarn: arn:aws:iam::111122223333:user/alice\n      username: alice\n      groups:\n        - system:masters\n# trailing comment\n";

#[test]
fn reads_entries_with_file_lines() {
    let d = doc(COMMENTED);
    assert_eq!(d.roles.entries.len(), 2);
    assert_eq!(d.entry_location(&d.roles.entries[0]).line, 11);
    assert_eq!(d.entry_location(&d.roles.entries[1]).line, 18);
    assert_eq!(d.entry_location(&d.users.entries[0]).line, 22);
    assert_eq!(d.facts.name.as_deref(), Some("aws-auth"));
}

#[test]
fn add_copies_the_neighbour_and_delete_restores_bytes() {
    let d = doc(COMMENTED);
    let out = d
        .apply(&role(
            "arn:aws:iam::111122223333:role/dev",
            "dev:{{SessionName}}",
            &["dev-readers"],
        ))
        .unwrap();
    assert!(out.notes.is_empty(), "{:?}", out.notes);
    let expected = COMMENTED.replace(
        "      groups: [system:masters]   # flow style\n",
        "      groups: [system:masters]   # flow style\n    - rolearn: \"arn:aws:iam::111122223333:role/dev\"\n      username: dev:{{SessionName}}\n      groups: [dev-readers]\n",
    );
    assert_eq!(out.text, expected);
    let d2 = doc(&out.text);
    let back = d2.apply(&remove(ListKind::Roles, 2)).unwrap();
    assert_eq!(back.text, COMMENTED);
}

#[test]
fn templates_at_the_start_are_quoted() {
    let d = doc(COMMENTED);
    let out = d
        .apply(&role(
            "arn:aws:iam::111122223333:role/x",
            "{{SessionName}}",
            &["g"],
        ))
        .unwrap();
    assert!(out.text.contains("username: \"{{SessionName}}\""));
}

#[test]
fn crlf_and_no_final_newline_are_kept() {
    let text = "apiVersion: v1\r\nkind: ConfigMap\r\nmetadata:\r\n  name: aws-auth\r\n  namespace: kube-system\r\ndata:\r\n  mapRoles: |\r\n    - rolearn: arn:aws:iam::111122223333:role/a\r\n      username: a\r\n      groups:\r\n        - g";
    let d = doc(text);
    let out = d
        .apply(&role("arn:aws:iam::111122223333:role/b", "b", &["h"]))
        .unwrap();
    assert!(
        out.text.ends_with("      groups:\r\n        - h"),
        "{:?}",
        out.text
    );
    assert!(!out.text.replace("\r\n", "").contains('\n'));
    let back = doc(&out.text).apply(&remove(ListKind::Roles, 1)).unwrap();
    assert_eq!(back.text, text);
}

#[test]
fn json_manifest_is_edited_inside_the_string() {
    let text = "{\n  \"apiVersion\": \"v1\",\n  \"kind\": \"ConfigMap\",\n  \"metadata\": {\"name\": \"aws-auth\", \"namespace\": \"kube-system\"},\n  \"data\": {\n    \"mapRoles\": \"- rolearn: arn:aws:iam::1:role/a\\n  username: a\\n  groups:\\n    - g\\n\"\n  }\n}\n";
    let d = doc(text);
    let out = d
        .apply(&role("arn:aws:iam::111122223333:role/b", "b", &["h"]))
        .unwrap();
    assert!(out.notes.is_empty());
    assert!(out.text.contains(
        "\\n- rolearn: arn:aws:iam::111122223333:role/b\\n  username: b\\n  groups:\\n    - h\\n\""
    ));
    let back = doc(&out.text).apply(&remove(ListKind::Roles, 1)).unwrap();
    assert_eq!(back.text, text);
}

#[test]
fn empty_flow_list_in_a_block_becomes_a_block_and_back() {
    let text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: aws-auth\n  namespace: kube-system\ndata:\n  mapUsers: |\n    []\n";
    let d = doc(text);
    let out = d
        .apply(&EditPlan::AddEntry(NewEntry {
            list: ListKind::Users,
            arn: "arn:aws:iam::111122223333:user/alice".into(),
            username: Some("alice".into()),
            groups: vec!["system:masters".into()],
        }))
        .unwrap();
    assert_eq!(
        out.text,
        text.replace("    []\n", "    - userarn: arn:aws:iam::111122223333:user/alice\n      username: alice\n      groups:\n        - system:masters\n")
    );
    let back = doc(&out.text).apply(&remove(ListKind::Users, 0)).unwrap();
    assert_eq!(back.text, text);
}

#[test]
fn missing_key_is_added_with_the_data_indent() {
    let text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: aws-auth\n  namespace: kube-system\ndata:\n  mapRoles: |\n    - rolearn: arn:aws:iam::1:role/a\n      username: a\n";
    let out = doc(text)
        .apply(&EditPlan::AddAccount("111122223333".into()))
        .unwrap();
    assert_eq!(
        out.text,
        format!("{text}  mapAccounts: |\n    - \"111122223333\"\n")
    );
}

#[test]
fn accounts_flow_in_single_quotes() {
    let text = "data:\n  mapAccounts: '[]'\n  mapRoles: |\n    - rolearn: x\n";
    let out = doc(text)
        .apply(&EditPlan::AddAccount("111122223333".into()))
        .unwrap();
    assert!(
        out.text.contains("mapAccounts: '[\"111122223333\"]'"),
        "{}",
        out.text
    );
    let back = doc(&out.text)
        .apply(&EditPlan::RemoveAccount { index: 0 })
        .unwrap();
    // Emptied again, the key held nothing else: it is removed, and nothing else changes.
    assert_eq!(back.text, "data:\n  mapRoles: |\n    - rolearn: x\n");
    assert!(
        back.notes
            .iter()
            .any(|n| n.contains("removed the key `mapAccounts`"))
    );
}

#[test]
fn an_emptied_key_that_holds_something_else_stays() {
    // A comment on the key's line, or the only data key: emptied, not removed.
    for text in [
        "data:\n  mapAccounts: '[\"111122223333\"]' # ours\n  mapRoles: |\n    - rolearn: x\n",
        "data:\n  mapAccounts: '[\"111122223333\"]'\n",
    ] {
        let back = doc(text)
            .apply(&EditPlan::RemoveAccount { index: 0 })
            .unwrap();
        assert!(back.text.contains("mapAccounts: '[]'"), "{}", back.text);
    }
}

#[test]
fn the_first_role_after_a_block_at_the_end_of_the_file_keeps_its_bytes() {
    // mapUsers ends the file without a line break: the new key goes before it, the delete removes it.
    let text = "data:\r\n  mapUsers: |\r\n    - userarn: arn:aws:iam::111122223333:user/a\r\n      groups:\r\n        - system:masters";
    let out = doc(text)
        .apply(&EditPlan::AddEntry(NewEntry {
            list: ListKind::Roles,
            arn: "arn:aws:iam::111122223333:role/R".into(),
            username: Some("r".into()),
            groups: vec!["g".into()],
        }))
        .unwrap();
    assert!(
        out.text
            .ends_with("      groups:\r\n        - system:masters"),
        "{}",
        out.text
    );
    assert!(out.text.contains("  mapRoles: |\r\n"), "{}", out.text);
    let back = doc(&out.text)
        .apply(&EditPlan::RemoveEntry {
            list: ListKind::Roles,
            index: 0,
        })
        .unwrap();
    assert_eq!(back.text, text);
}

#[test]
fn broken_list_is_not_edited() {
    let text = "data:\n  mapRoles: |\n    - rolearn: a\n      groups:\n      - x\n     - y\n";
    let err = doc(text)
        .apply(&role("arn:aws:iam::1:role/b", "b", &["g"]))
        .unwrap_err();
    assert!(matches!(err, EditError::BrokenList { .. }), "{err}");
}

#[test]
fn double_quoted_kubectl_value_is_edited_in_place() {
    let text = "apiVersion: v1\ndata:\n  mapRoles: \"- groups:\\n  - system:bootstrappers\\n  rolearn: arn:aws:iam::1:role/n\\n\n    \\ username: system:node:{{EC2PrivateDNSName}}\\n\"\nkind: ConfigMap\nmetadata:\n  name: aws-auth\n  namespace: kube-system\n";
    let d = doc(text);
    assert_eq!(d.roles.entries.len(), 1);
    let out = d
        .apply(&role("arn:aws:iam::111122223333:role/b", "b", &["h"]))
        .unwrap();
    assert!(out.notes.is_empty(), "{:?}", out.notes);
    let back = doc(&out.text).apply(&remove(ListKind::Roles, 1)).unwrap();
    assert_eq!(back.text, text);
}

/// `yaml_test.go` fixtures of aws-iam-authenticator, as whole ConfigMaps (aws-iam-authenticator pkg/mapper/configmap).
mod upstream_yaml_fixtures {
    use super::*;

    fn base(roles_key: &str, users_key: &str, accounts_key: &str) -> String {
        format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: aws-auth\n  namespace: kube-system\ndata:\n  {roles_key}: |\n    - rolearn: arn:aws:iam::555555555555:role/devel-worker-nodes-NodeInstanceRole-74RF4UBDUKL6\n      username: system:node:{{{{EC2PrivateDNSName}}}}\n      groups:\n        - system:bootstrappers\n        - system:nodes\n  {users_key}: |\n    - userarn: arn:aws:iam::555555555555:user/admin\n      username: admin\n      groups:\n        - system:masters\n  {accounts_key}: |\n    - 555555555555\n"
        )
    }

    fn store(d: &AuthDocument) -> (usize, usize, Vec<String>) {
        let m = d.effective();
        (m.roles.len(), m.users.len(), m.accounts.clone())
    }

    #[test]
    fn base_fixture() {
        let d = doc(&base("mapRoles", "mapUsers", "mapAccounts"));
        assert_eq!(store(&d), (1, 1, vec!["555555555555".to_string()]));
        // Lookups are case-insensitive (the test looks up the lower-cased ARN).
        let m = d.effective();
        let node = m
            .lookup_entry(
                "arn:aws:iam::555555555555:role/devel-worker-nodes-nodeinstancerole-74rf4ubdukl6",
            )
            .unwrap();
        assert_eq!(node.username, "system:node:{{EC2PrivateDNSName}}");
        assert_eq!(node.groups, vec!["system:bootstrappers", "system:nodes"]);
        let admin = m
            .lookup_entry("arn:aws:iam::555555555555:user/admin")
            .unwrap();
        assert_eq!(
            (admin.username.as_str(), admin.groups.clone()),
            ("admin", vec!["system:masters".to_string()])
        );
    }

    #[test]
    fn crazy_and_open_source_case_entry_keys_read_the_same() {
        let crazy = base("mapRoles", "mapUsers", "mapAccounts")
            .replace("- rolearn:", "- rOlEaRn:")
            .replace("- userarn:", "- uSeRaRn:")
            .replace("username:", "UsErNaMe:")
            .replace("groups:", "gRoUpS:");
        let open = base("mapRoles", "mapUsers", "mapAccounts")
            .replace("- rolearn:", "- roleARN:")
            .replace("- userarn:", "- userARN:");
        let expected = doc(&base("mapRoles", "mapUsers", "mapAccounts"));
        for text in [crazy, open] {
            let d = doc(&text);
            assert_eq!(store(&d), store(&expected));
            let (a, b) = (&d.roles.entries[0], &expected.roles.entries[0]);
            assert_eq!(
                (&a.arn, &a.username, &a.groups),
                (&b.arn, &b.username, &b.groups)
            );
        }
    }

    #[test]
    fn top_level_keys_in_another_case_are_ignored() {
        for keys in [
            ("maproles", "mapusers", "mapaccounts"),
            ("MaPrOlEs", "mApUsErS", "MaPrCcOuNtS"),
        ] {
            let d = doc(&base(keys.0, keys.1, keys.2));
            assert_eq!(store(&d), (0, 0, vec![]));
            assert!(!d.facts.wrong_case_keys.is_empty());
        }
    }

    #[test]
    fn space_out_of_place_folds_the_groups() {
        let d = doc(&base("mapRoles", "mapUsers", "mapAccounts")
            .replace("        - system:nodes\n", "         - system:nodes\n"));
        assert_eq!(
            d.roles.entries[0].groups,
            vec!["system:bootstrappers - system:nodes"]
        );
        assert_eq!(store(&d).1, 1);
    }

    #[test]
    fn missing_bar_is_not_a_string() {
        let d =
            doc(&base("mapRoles", "mapUsers", "mapAccounts").replace("mapRoles: |", "mapRoles:"));
        assert_eq!(
            d.slot(DataKey::MapRoles).unwrap().wrong_type,
            Some("sequence")
        );
        assert_eq!(store(&d).0, 0);
    }
}

fn update(
    list: ListKind,
    index: usize,
    username: Option<&str>,
    groups: Option<&[&str]>,
) -> EditPlan {
    EditPlan::UpdateEntry {
        list,
        index,
        username: username.map(str::to_string),
        groups: groups.map(|g| g.iter().map(|x| x.to_string()).collect()),
    }
}

#[test]
fn update_replaces_only_the_values() {
    let d = doc(COMMENTED);
    let out = d
        .apply(&update(
            ListKind::Roles,
            1,
            Some("root-admin"),
            Some(&["platform-admins", "auditors"]),
        ))
        .unwrap();
    assert_eq!(
        out.text,
        COMMENTED
            .replace(
                "      username: admin:{{SessionName}}\n",
                "      username: root-admin\n"
            )
            .replace(
                "groups: [system:masters]   # flow style",
                "groups: [platform-admins, auditors]   # flow style"
            )
    );
    // Block groups keep their indentation; the rest of the entry keeps its bytes.
    let out = d
        .apply(&update(
            ListKind::Users,
            0,
            None,
            Some(&["viewers", "auditors"]),
        ))
        .unwrap();
    assert_eq!(
        out.text,
        COMMENTED.replace(
            "        - system:masters\n# trailing",
            "        - viewers\n        - auditors\n# trailing"
        )
    );
}

#[test]
fn update_adds_missing_fields() {
    let text = "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::1:role/ci\n  mapUsers: |\n    - userarn: arn:aws:iam::111122223333:user/bob\n      username: bob\n";
    let out = doc(text)
        .apply(&update(
            ListKind::Roles,
            0,
            Some("ci"),
            Some(&["deployers"]),
        ))
        .unwrap();
    assert!(out.text.contains("    - rolearn: arn:aws:iam::1:role/ci\n      username: ci\n      groups:\n        - deployers\n  mapUsers"), "{}", out.text);
    let out = doc(text)
        .apply(&update(ListKind::Users, 0, None, Some(&["a"])))
        .unwrap();
    assert!(
        out.text
            .ends_with("      username: bob\n      groups:\n        - a\n"),
        "{}",
        out.text
    );
}

#[test]
fn update_flow_entries_and_kubectl_layout() {
    let text = "data:\n  mapRoles: '[{\"rolearn\":\"arn:aws:iam::1:role/a\",\"username\":\"a\",\"groups\":[\"g\"]}]'\n";
    let out = doc(text)
        .apply(&update(ListKind::Roles, 0, None, Some(&["h", "i"])))
        .unwrap();
    assert!(out.text.contains("'[{\"rolearn\":\"arn:aws:iam::1:role/a\",\"username\":\"a\",\"groups\":[\"h\",\"i\"]}]'"), "{}", out.text);
    let kubectl = "data:\n  mapRoles: |\n    - groups:\n      - system:masters\n      rolearn: arn:aws:iam::1:role/a\n      username: a\n";
    let out = doc(kubectl)
        .apply(&update(ListKind::Roles, 0, Some("b"), Some(&["x", "y"])))
        .unwrap();
    // `y` is a YAML 1.1 boolean: it must be quoted to stay a group name.
    assert_eq!(
        out.text,
        "data:\n  mapRoles: |\n    - groups:\n      - x\n      - \"y\"\n      rolearn: arn:aws:iam::1:role/a\n      username: b\n"
    );
}

// ---------------------------------------------------------------------------------------------
// Structured carriers: the authenticator config and EKS Anywhere's AWSIamConfig

/// aws-iam-authenticator's MountedFile vectors (`file/mapper_test.go`), as a config file.
#[test]
fn mounted_file_vectors() {
    let text = "clusterID: test\nserver:\n  mapRoles:\n  - roleARN: arn:aws:iam::012345678910:role/test-role\n    username: shreyas\n    groups:\n    - system:masters\n  - sso:\n      permissionSetName: CookieCutterPermissions\n      accountID: \"012345678910\"\n    username: cookie-cutter\n    groups:\n    - system:masters\n  - roleARN: arn:aws:sts::012345678910:assumed-role/test-assumed-role/session-name\n    username: test\n    groups:\n    - system:masters\n  mapUsers:\n  - userARN: arn:aws:iam::012345678910:user/donald\n    username: donald\n    groups:\n    - system:masters\n  mapAccounts:\n  - \"000000000000\"\n";
    let d = doc(text);
    assert_eq!(d.facts.carrier.kind, CarrierKind::AuthenticatorConfig);
    let keys: Vec<String> = d.roles.entries.iter().map(Entry::key).collect();
    assert_eq!(
        keys,
        [
            "arn:aws:iam::012345678910:role/test-role",
            "arn:aws:iam::012345678910:role/awsreservedsso_cookiecutterpermissions_*",
            "arn:aws:iam::012345678910:role/test-assumed-role",
        ]
    );
    assert_eq!(
        d.roles.entries[2].matched_arn(),
        "arn:aws:iam::012345678910:role/test-assumed-role"
    );
    assert_eq!(
        d.users.entries[0].key(),
        "arn:aws:iam::012345678910:user/donald"
    );
    assert_eq!(d.accounts.accounts[0].0, "000000000000");
    let mut m = d.effective();
    m.sso_role_match = true;
    let name = |arn: &str| m.lookup_entry(arn).map(|e| e.username.clone());
    assert_eq!(
        name("arn:aws:iam::012345678910:role/test-role").as_deref(),
        Some("shreyas")
    );
    assert_eq!(
        name("arn:aws:iam::012345678910:role/awsreservedsso_cookiecutterpermissions_123123123")
            .as_deref(),
        Some("cookie-cutter")
    );
    assert_eq!(
        name("arn:aws:iam::012345678910:role/test-assumed-role").as_deref(),
        Some("test")
    );
    assert_eq!(
        name("arn:aws:iam::012345678910:user/donald").as_deref(),
        Some("donald")
    );
    // The same entries in aws-auth (EKSConfigMap): the assumed-role ARN is kept as written.
    let cm = doc(
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:sts::012345678910:assumed-role/test-assumed-role/session-name\n      username: test\n",
    );
    assert!(
        cm.effective()
            .lookup_entry("arn:aws:iam::012345678910:role/test-assumed-role")
            .is_none()
    );
}

#[test]
fn mounted_file_refuses_what_it_cannot_canonicalize() {
    let d = doc(
        "clusterID: c\nserver:\n  mapRoles:\n  - roleARN: not-an-arn\n    username: a\n  mapUsers:\n  - userARN: arn:aws:s3:::bucket\n    username: b\n",
    );
    assert!(
        d.roles.entries[0]
            .invalid
            .as_deref()
            .unwrap()
            .starts_with("error canonicalizing ARN: arn 'not-an-arn' is invalid")
    );
    assert!(
        d.users.entries[0].invalid.as_deref().unwrap().contains(
            "service s3 in arn arn:aws:s3:::bucket is not a valid service for identities"
        )
    );
}

#[test]
fn structured_lists_in_every_layout() {
    // Indented and compact lists, a flow list, an empty key, CRLF line ends, comments between items.
    let text = "clusterID: c\r\nserver:\r\n  mapRoles:\r\n    # admins\r\n    - roleARN: arn:aws:iam::1:role/a\r\n      username: a\r\n\r\n    # more\r\n    - roleARN: arn:aws:iam::1:role/b\r\n      username: b\r\n  mapUsers: [{userARN: \"arn:aws:iam::1:user/u\", username: u}]\r\n  mapAccounts:\r\n";
    let d = doc(text);
    assert_eq!(d.roles.entries.len(), 2);
    assert_eq!(d.users.entries.len(), 1);
    assert!(d.accounts.accounts.is_empty());
    assert!(matches!(
        d.slot(DataKey::MapRoles).unwrap().codec,
        codec::Codec::Literal { indent: 4, .. }
    ));
    assert_eq!(d.entry_location(&d.roles.entries[1]).line, 9);
    let out = d
        .apply(&role("arn:aws:iam::1:role/c", "c", &["g"]))
        .unwrap();
    assert!(out.text.contains("      username: b\r\n    - roleARN: arn:aws:iam::1:role/c\r\n      username: c\r\n      groups:\r\n        - g\r\n  mapUsers:"), "{:?}", out.text);
    // Adding to the flow list keeps it a flow list; adding an account fills the empty key.
    let out = d
        .apply(&EditPlan::AddEntry(NewEntry {
            list: ListKind::Users,
            arn: "arn:aws:iam::1:user/v".into(),
            username: Some("v".into()),
            groups: vec![],
        }))
        .unwrap();
    assert!(
        out.text
            .contains("mapUsers: [{userARN: \"arn:aws:iam::1:user/u\", username: u},{userARN: "),
        "{:?}",
        out.text
    );
    let out = d
        .apply(&EditPlan::AddAccount("111122223333".into()))
        .unwrap();
    assert!(
        out.text
            .ends_with("  mapAccounts:\r\n    - \"111122223333\"\r\n"),
        "{:?}",
        out.text
    );
    // Removing the last entry of a list leaves `key: []`.
    let one = doc(
        "clusterID: c\nserver:\n  mapRoles:\n  - roleARN: arn:aws:iam::1:role/a\n    username: a\n  port: 21362\n",
    );
    let out = one.apply(&remove(ListKind::Roles, 0)).unwrap();
    assert_eq!(
        out.text,
        "clusterID: c\nserver:\n  mapRoles: []\n  port: 21362\n"
    );
}

#[test]
fn awsiamconfig_keys_are_case_sensitive_the_authenticator_configs_are_not() {
    let eksa = doc(
        "apiVersion: anywhere.eks.amazonaws.com/v1alpha1\nkind: AWSIamConfig\nmetadata:\n  name: x\nspec:\n  backendMode: [EKSConfigMap]\n  maproles:\n    - roleARN: arn:aws:iam::1:role/a\n      username: a\n",
    );
    assert_eq!(eksa.facts.carrier.kind, CarrierKind::AwsIamConfig);
    assert!(eksa.roles.entries.is_empty());
    assert_eq!(eksa.facts.wrong_case_keys[0].0, "maproles");
    let config = doc(
        "clusterID: c\nserver:\n  MapRoles:\n  - roleARN: arn:aws:iam::1:role/a\n    username: a\n",
    );
    assert_eq!(config.roles.entries.len(), 1);
    assert!(config.facts.wrong_case_keys.is_empty());
    // Forcing a kind that is not there is an error naming it; aws-auth wins detection over the others.
    assert!(matches!(
        AuthDocument::parse_as(
            "x.yaml",
            "clusterID: c\n".into(),
            Some(CarrierKind::AwsIamConfig)
        ),
        Err(DocumentError::KindNotFound { .. })
    ));
    let both = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: aws-auth\n  namespace: kube-system\ndata:\n  mapRoles: |\n    - rolearn: arn:aws:iam::1:role/a\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: aws-iam-authenticator\n  namespace: kube-system\ndata:\n  config.yaml: |\n    clusterID: c\n";
    assert_eq!(doc(both).facts.carrier.kind, CarrierKind::AwsAuth);
    let forced =
        AuthDocument::parse_as("b", both.into(), Some(CarrierKind::AuthenticatorConfig)).unwrap();
    assert_eq!(forced.facts.carrier.kind, CarrierKind::AuthenticatorConfig);
    assert_eq!(forced.facts.carrier.cluster_id.as_ref().unwrap().0, "c");
}

#[test]
fn duplicate_keys_are_located_in_the_file_at_both_levels() {
    // A duplicate in the ConfigMap's metadata and one inside config.yaml's `server:`.
    let text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: aws-iam-authenticator\n  name: aws-iam-authenticator\n  namespace: kube-system\ndata:\n  config.yaml: |\n    clusterID: c\n    server:\n      mapRoles: []\n      mapRoles:\n      - roleARN: arn:aws:iam::1:role/a\n        username: a\n";
    let d = doc(text);
    let lines: Vec<(String, usize)> = d
        .facts
        .duplicate_keys
        .iter()
        .map(|(k, span)| (k.clone(), d.location(span.start).line))
        .collect();
    assert_eq!(
        lines,
        [("name".to_string(), 5), ("mapRoles".to_string(), 12)]
    );
    assert_eq!(d.roles.entries.len(), 1, "the last `mapRoles` is read");
}

#[test]
fn a_json_authenticator_config_keeps_its_layout() {
    let text = "{\n  \"clusterID\": \"c1\",\n  \"server\": {\n    \"mapRoles\": [\n      {\"roleARN\": \"arn:aws:iam::1:role/a\", \"username\": \"a\", \"groups\": [\"g\"]}\n    ]\n  }\n}\n";
    let d = doc(text);
    assert_eq!(d.facts.carrier.kind, CarrierKind::AuthenticatorConfig);
    let out = d
        .apply(&role("arn:aws:iam::1:role/b", "b", &["g"]))
        .unwrap();
    assert!(
        out.text
            .contains("\"groups\": [\"g\"]}, {\"roleARN\": \"arn:aws:iam::1:role/b\""),
        "{}",
        out.text
    );
    assert!(out.text.ends_with("\n    ]\n  }\n}\n"), "{}", out.text);
    let back = d
        .reparse(out.text)
        .unwrap()
        .apply(&remove(ListKind::Roles, 1))
        .unwrap();
    assert_eq!(back.text, text);
}

#[test]
fn a_quoted_config_yaml_is_edited_inside_the_string() {
    let text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: aws-iam-authenticator\n  namespace: kube-system\ndata:\n  config.yaml: \"clusterID: c1\\nserver:\\n  mapRoles:\\n  - roleARN: arn:aws:iam::1:role/a\\n    username: a\\n\"\n";
    let d = doc(text);
    assert!(d.facts.carrier.in_configmap);
    assert_eq!(d.entry_location(&d.roles.entries[0]).line, 7);
    let out = d.apply(&role("arn:aws:iam::1:role/b", "b", &[])).unwrap();
    assert!(
        out.text
            .contains("username: a\\n  - roleARN: arn:aws:iam::1:role/b\\n    username: b\\n\"\n"),
        "{}",
        out.text
    );
    let back = d
        .reparse(out.text)
        .unwrap()
        .apply(&remove(ListKind::Roles, 1))
        .unwrap();
    assert_eq!(back.text, text);
}

#[test]
fn entries_shared_through_anchors_or_merges_are_not_edited_in_place() {
    let text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: aws-auth\n  namespace: kube-system\ndata:\n  mapRoles: |\n    - &admin\n      rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [system:masters]\n    - <<: *admin\n      rolearn: arn:aws:iam::111122223333:role/Ops\n    - rolearn: arn:aws:iam::111122223333:role/Dev\n      username: dev\n      groups: [developers]\n";
    let doc = AuthDocument::parse("merge.yaml", text.to_string()).unwrap();
    assert_eq!(
        doc.roles.entries[1].groups,
        ["system:masters"],
        "the merge is applied"
    );
    let err = doc
        .apply(&EditPlan::RemoveEntry {
            list: ListKind::Roles,
            index: 0,
        })
        .unwrap_err()
        .to_string();
    assert!(err.contains("anchor `&admin`"), "{err}");
    let err = doc
        .apply(&EditPlan::UpdateEntry {
            list: ListKind::Roles,
            index: 1,
            username: Some("ops".into()),
            groups: None,
        })
        .unwrap_err()
        .to_string();
    assert!(err.contains("takes fields from elsewhere"), "{err}");
    // The entry that merges can be removed, and so can an unrelated one.
    for index in [1, 2] {
        let out = doc
            .apply(&EditPlan::RemoveEntry {
                list: ListKind::Roles,
                index,
            })
            .unwrap();
        assert!(!out.text.is_empty());
    }
}

#[test]
fn chart_templates_are_told_from_the_authenticators_placeholders() {
    assert!(chart_template("  mapRoles: {{ toYaml .Values.mapRoles }}"));
    assert!(chart_template("    {{- range .Values.roles }}"));
    assert!(!chart_template(
        "      username: system:node:{{EC2PrivateDNSName}}"
    ));
    assert!(!chart_template("  username: {{SessionName}}-{{AccountID}}"));
    assert!(!chart_template("  mapRoles: |"));
}
