//! Document reading and lossless edits on hand-written shapes (the corpus tests are in tests/).

use super::*;
use crate::core::mapping::ListKind;

fn doc(text: &str) -> AuthDocument {
    AuthDocument::parse("t.yaml", text.to_string()).unwrap()
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
    let back = d2
        .apply(&EditPlan::RemoveEntry {
            list: ListKind::Roles,
            index: 2,
        })
        .unwrap();
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
    let back = doc(&out.text)
        .apply(&EditPlan::RemoveEntry {
            list: ListKind::Roles,
            index: 1,
        })
        .unwrap();
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
    let back = doc(&out.text)
        .apply(&EditPlan::RemoveEntry {
            list: ListKind::Roles,
            index: 1,
        })
        .unwrap();
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
    let back = doc(&out.text)
        .apply(&EditPlan::RemoveEntry {
            list: ListKind::Users,
            index: 0,
        })
        .unwrap();
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
    let back = doc(&out.text)
        .apply(&EditPlan::RemoveEntry {
            list: ListKind::Roles,
            index: 1,
        })
        .unwrap();
    assert_eq!(back.text, text);
}
