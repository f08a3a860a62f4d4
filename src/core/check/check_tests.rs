use super::iam::{Account, Lookup, Principal, Query};
use super::rbac::Rbac;
use super::*;
use crate::core::lint::{example_manifest, registry};

fn account() -> Account {
    Account {
        partition: "aws".into(),
        id: "111122223333".into(),
    }
}

fn ts(s: &str) -> jiff::Timestamp {
    s.parse().unwrap()
}

fn role(name: &str, path: &str, trust: Option<&str>, created: &str) -> Lookup {
    Lookup::Found(Principal {
        arn: format!("arn:aws:iam::111122223333:role{path}{name}"),
        path: path.into(),
        id: format!("AROA{}", name.to_uppercase()),
        created: Some(ts(created)),
        trust_policy: trust.map(str::to_string),
    })
}

fn user(name: &str, path: &str) -> Lookup {
    Lookup::Found(Principal {
        arn: format!("arn:aws:iam::111122223333:user{path}{name}"),
        path: path.into(),
        id: format!("AIDA{}", name.to_uppercase()),
        created: Some(ts("2025-01-01T00:00:00Z")),
        trust_policy: None,
    })
}

fn rbac(yaml: &str) -> Rbac {
    let mut r = Rbac::default();
    r.add_manifests("rbac.yaml", yaml).unwrap();
    r
}

const CLUSTER_ADMIN: &str = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: cluster-admin}\nrules:\n- {apiGroups: ['*'], resources: ['*'], verbs: ['*']}\n- {nonResourceURLs: ['*'], verbs: ['*']}\n";
const EDIT: &str = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: edit}\nrules:\n- {apiGroups: [''], resources: [pods, services], verbs: [get, list, create, update]}\n";

fn facts() -> Facts {
    Facts {
        account: Some(account()),
        iam: Some(BTreeMap::new()),
        namespace: "kube-system".into(),
        name: "aws-auth".into(),
        ..Facts::default()
    }
}

fn with_iam(mut f: Facts, q: Query, l: Lookup) -> Facts {
    f.iam.as_mut().unwrap().insert(q, l);
    f
}

fn r(name: &str) -> Query {
    Query::Role(name.into())
}

/// The state each IAM/RBAC rule's registry example describes in its comment, failing and passing.
fn world(id: &str, failing: bool) -> Facts {
    let f = facts();
    let trust_root = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole"}]}"#;
    let trust_named = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:RoleSessionName":"${aws:username}"}}}]}"#;
    match (id, failing) {
        ("IM039", true) => with_iam(f, r("Admin"), Lookup::Missing),
        ("IM039", false) | ("IM041", _) | ("IM042", false) => with_iam(
            f,
            r("Admin"),
            role("Admin", "/", None, "2025-01-01T00:00:00Z"),
        ),
        ("IM040", _) => with_iam(
            f,
            Query::User("alice".into()),
            user("alice", "/engineering/"),
        ),
        ("IM042", true) => with_iam(
            f,
            r("AWSServiceRoleForExample"),
            role(
                "AWSServiceRoleForExample",
                "/aws-service-role/example.amazonaws.com/",
                None,
                "2025-01-01T00:00:00Z",
            ),
        ),
        ("IM043", fail) => with_iam(
            f,
            r("Dev"),
            role(
                "Dev",
                "/",
                Some(if fail { trust_root } else { trust_named }),
                "2025-01-01T00:00:00Z",
            ),
        ),
        ("IM044", fail) => {
            let mut f = with_iam(
                f,
                r("Admin"),
                role(
                    "Admin",
                    "/",
                    None,
                    if fail {
                        "2026-06-01T00:00:00Z"
                    } else {
                        "2025-06-01T00:00:00Z"
                    },
                ),
            );
            f.written_by.insert(
                "arn:aws:iam::111122223333:role/admin".into(),
                ts("2026-03-01T00:00:00Z"),
            );
            f
        }
        ("IM045", true) => with_iam(
            f,
            r("Admin"),
            Lookup::Failed("AccessDenied: not authorized to perform iam:GetRole".into()),
        ),
        ("IM045", false) => with_iam(
            f,
            r("Admin"),
            role("Admin", "/", None, "2025-01-01T00:00:00Z"),
        ),
        ("IM046", fail) => Facts {
            rbac: Some(rbac(&if fail {
                CLUSTER_ADMIN.to_string()
            } else {
                format!(
                    "{CLUSTER_ADMIN}---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {{name: platform-admins}}\nroleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}}\nsubjects:\n- {{kind: Group, name: platform-admins}}\n"
                )
            })),
            ..f
        },
        ("IM047", fail) => Facts {
            rbac: Some(rbac(&if fail {
                EDIT.to_string()
            } else {
                format!(
                    "{EDIT}---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {{name: developers, namespace: team-a}}\nroleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit}}\nsubjects:\n- {{kind: Group, name: developers}}\n"
                )
            })),
            ..f
        },
        ("IM048", fail) => Facts {
            rbac: Some(rbac(&format!(
                "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {{name: cm-editor, namespace: kube-system}}\nrules:\n- apiGroups: ['']\n  resources: [configmaps]\n  verbs: [get, update]\n{}---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {{name: ops, namespace: kube-system}}\nroleRef: {{apiGroup: rbac.authorization.k8s.io, kind: Role, name: cm-editor}}\nsubjects:\n- {{kind: Group, name: ops}}\n",
                if fail {
                    ""
                } else {
                    "  resourceNames: [coredns]\n"
                }
            ))),
            ..f
        },
        ("IM049", fail) => Facts {
            rbac: Some(rbac(&format!(
                "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {{name: configmap-writer}}\nrules:\n- {{apiGroups: [''], resources: [configmaps], verbs: [update]}}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {{name: configmap-writer}}\nroleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: configmap-writer}}\nsubjects:\n- {}\n",
                if fail {
                    "{kind: ServiceAccount, name: deployer, namespace: ci}"
                } else {
                    "{kind: Group, name: system:masters}"
                }
            ))),
            ..f
        },
        ("IM061", fail) => with_access(
            f,
            "API_AND_CONFIG_MAP",
            if fail {
                vec![eks_entry(
                    "arn:aws:iam::111122223333:role/teams/Admin",
                    "STANDARD",
                )]
            } else {
                vec![eks_entry(
                    "arn:aws:iam::111122223333:role/Other",
                    "STANDARD",
                )]
            },
        ),
        ("IM062", fail) => with_access(f, if fail { "API" } else { "API_AND_CONFIG_MAP" }, vec![]),
        ("IM063", fail) => with_access(
            f,
            "API_AND_CONFIG_MAP",
            if fail {
                vec![]
            } else {
                vec![eks_entry(
                    "arn:aws:iam::111122223333:role/eks-node",
                    "EC2_LINUX",
                )]
            },
        ),
        ("IM064", fail) => {
            let mut entry = eks_entry("arn:aws:iam::111122223333:role/teams/Deploy", "STANDARD");
            entry.created_at = Some(ts(if fail {
                "2024-01-01T00:00:00Z"
            } else {
                "2025-07-01T00:00:00Z"
            }));
            with_access(
                with_iam(
                    f,
                    r("Deploy"),
                    role("Deploy", "/teams/", None, "2025-06-01T00:00:00Z"),
                ),
                "API_AND_CONFIG_MAP",
                vec![entry],
            )
        }
        _ => panic!("no world for {id}"),
    }
}

fn eks_entry(arn: &str, kind: &str) -> crate::core::access::Entry {
    crate::core::access::test_entry(arn, kind, &[])
}

fn with_access(f: Facts, mode: &str, entries: Vec<crate::core::access::Entry>) -> Facts {
    Facts {
        access: Some(crate::core::access::Access {
            cluster_arn: "arn:aws:eks:us-east-1:111122223333:cluster/prod".into(),
            mode: crate::core::access::AuthMode::parse(mode).unwrap(),
            bootstrap_creator_admin: Some(false),
            entries,
        }),
        ..f
    }
}

#[test]
fn every_check_rule_flags_its_failing_example_and_not_its_passing_one() {
    let mut seen = 0;
    for rule in registry().iter().filter(|r| r.needs.is_some()) {
        seen += 1;
        for (failing, example) in [(true, rule.fail_example), (false, rule.pass_example)] {
            let doc = AuthDocument::parse("example.yaml", example_manifest(example)).unwrap();
            let report = check(&doc, &world(rule.id, failing));
            let hits: Vec<&Finding> = report
                .findings
                .iter()
                .filter(|f| f.rule == rule.id)
                .collect();
            assert_eq!(
                !hits.is_empty(),
                failing,
                "{} ({}): {:#?}",
                rule.id,
                if failing {
                    "failing example"
                } else {
                    "passing example"
                },
                report.findings
            );
            for f in hits {
                assert_eq!(f.severity, rule.severity);
                assert!(
                    f.line > 1,
                    "{}: located on the entry, not the file start",
                    rule.id
                );
                assert!(!f.hint.is_empty());
            }
        }
    }
    assert_eq!(seen, 15);
}

/// IM064 beyond the registry's example: a principal gone from IAM, the message of each case, and what
/// cannot be judged (no creation time, another account, IAM not read) is not reported.
#[test]
fn access_entries_of_principals_gone_or_recreated_are_reported() {
    let entry = |arn: &str, created: Option<&str>| {
        let mut e = eks_entry(arn, "STANDARD");
        e.created_at = created.map(ts);
        e
    };
    let f = with_iam(
        with_iam(facts(), r("Gone"), Lookup::Missing),
        r("Deploy"),
        role("Deploy", "/teams/", None, "2025-06-01T00:00:00Z"),
    );
    let f = with_access(
        f,
        "API",
        vec![
            entry(
                "arn:aws:iam::111122223333:role/Gone",
                Some("2024-01-01T00:00:00Z"),
            ),
            entry(
                "arn:aws:iam::111122223333:role/teams/Deploy",
                Some("2025-01-01T00:00:00Z"),
            ),
            // Not judged: no creation time, another account.
            entry("arn:aws:iam::111122223333:role/teams/Deploy", None),
            entry(
                "arn:aws:iam::444455556666:role/Gone",
                Some("2024-01-01T00:00:00Z"),
            ),
        ],
    );
    let report = check(&doc("data:\n  mapRoles: \"\"\n"), &f);
    let messages: Vec<&str> = report
        .findings
        .iter()
        .filter(|f| f.rule == "IM064")
        .map(|f| f.message.as_str())
        .collect();
    assert_eq!(
        messages,
        [
            "role `arn:aws:iam::111122223333:role/teams/Deploy` (ID AROADEPLOY) was created at 2025-06-01T00:00:00Z, after its EKS access entry (created at 2025-01-01T00:00:00Z): the entry is bound to the earlier principal's ID and grants this one nothing",
            "the EKS access entry of `arn:aws:iam::111122223333:role/Gone` names a role that does not exist in IAM: it grants nobody, and a role created later with that name does not get its access",
        ]
    );
    // Without IAM's answers nothing is said.
    let no_iam = Facts { iam: None, ..f };
    assert!(
        !check(&doc("data:\n  mapRoles: \"\"\n"), &no_iam)
            .findings
            .iter()
            .any(|f| f.rule == "IM064")
    );
}

fn doc(data: &str) -> AuthDocument {
    AuthDocument::parse("t.yaml", example_manifest(data)).unwrap()
}

#[test]
fn queries_skip_other_accounts_roots_and_sso_and_strip_role_paths() {
    let d = doc(
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/teams/Admin\n      username: a\n    - rolearn: arn:aws:iam::444455556666:role/Other\n      username: b\n    - rolearn: arn:aws:sts::111122223333:assumed-role/Dev/s\n      username: c\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: d\n  mapUsers: |\n    - userarn: arn:aws:iam::111122223333:root\n      username: root\n    - userarn: arn:aws:iam::111122223333:user/ops/alice\n      username: alice\n",
    );
    assert_eq!(
        queries(&d, &account()),
        vec![r("Admin"), r("Dev"), Query::User("alice".into())]
    );
}

#[test]
fn a_pathless_role_entry_matches_a_role_with_a_path() {
    let d = doc(
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [x]\n",
    );
    let f = with_iam(
        facts(),
        r("Admin"),
        role("Admin", "/teams/", None, "2025-01-01T00:00:00Z"),
    );
    let report = check(&d, &f);
    assert!(report.findings.is_empty(), "{:#?}", report.findings);
    assert_eq!(report.mappings[0].iam.label(), "exists");
    // A role entry with the wrong path is flagged, with the path-less ARN as the fix.
    let d = doc(
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/other/Admin\n      username: admin\n      groups: [x]\n",
    );
    let report = check(&d, &f);
    let f40: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.rule == "IM040")
        .collect();
    assert_eq!(f40.len(), 1);
    assert!(
        f40[0].hint.contains("arn:aws:iam::111122223333:role/Admin"),
        "{}",
        f40[0].hint
    );
}

#[test]
fn trust_policies_that_let_callers_name_themselves() {
    use super::iam::self_naming_principals as who;
    let p = |principal: &str, extra: &str| {
        format!(
            r#"{{"Statement":[{{"Effect":"Allow","Principal":{principal},"Action":["sts:AssumeRole","sts:TagSession"]{extra}}}]}}"#
        )
    };
    assert_eq!(
        who(&p(r#"{"AWS":"111122223333"}"#, "")),
        vec!["111122223333"]
    );
    assert_eq!(who(&p(r#""*""#, "")), vec!["*"]);
    assert_eq!(
        who(&p(
            r#"{"AWS":["arn:aws:iam::111122223333:user/bob","arn:aws:iam::111122223333:role/ci"]}"#,
            ""
        )),
        vec!["arn:aws:iam::111122223333:user/bob"]
    );
    assert!(who(&p(r#"{"Service":"ec2.amazonaws.com"}"#, "")).is_empty());
    assert!(
        who(&p(
            r#"{"Federated":"arn:aws:iam::111122223333:saml-provider/okta"}"#,
            ""
        ))
        .is_empty()
    );
    assert!(
        who(&p(
            r#"{"AWS":"111122223333"}"#,
            r#","Condition":{"StringLike":{"sts:RoleSessionName":"${aws:username}"}}"#
        ))
        .is_empty()
    );
    // A Deny statement, another action, or garbage grants nothing.
    assert!(
        who(r#"{"Statement":{"Effect":"Deny","Principal":"*","Action":"sts:AssumeRole"}}"#)
            .is_empty()
    );
    assert!(
        who(r#"{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:GetObject"}}"#)
            .is_empty()
    );
    assert!(who("not json").is_empty());
}

#[test]
fn rbac_reach_follows_templates_namespaces_and_missing_roles() {
    let r = rbac(&format!(
        "{EDIT}---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {{name: people, namespace: team-a}}\nroleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit}}\nsubjects:\n- {{kind: User, name: 'admin:alice'}}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {{name: gone}}\nroleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: does-not-exist}}\nsubjects:\n- {{kind: Group, name: ghosts}}\n"
    ));
    let grants = r.reach("admin:{{SessionName}}", &[], false);
    assert_eq!(grants.len(), 1);
    assert_eq!(grants[0].binding.describe(), "RoleBinding team-a/people");
    assert!(grants[0].allows("update", "", "pods", "team-a", "x"));
    assert!(!grants[0].allows("update", "", "pods", "team-b", "x"));
    assert!(!grants[0].allows("delete", "", "pods", "team-a", "x"));
    assert!(r.reach("admin", &[], false).is_empty());
    assert!(
        r.reach("", &[], false).is_empty(),
        "an empty username matches nothing"
    );
    // A group bound only to a missing role is bound, but the mapping still reaches nothing.
    let d = doc(
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/G\n      username: g\n      groups: [ghosts]\n",
    );
    let report = check(
        &d,
        &Facts {
            rbac: Some(r),
            ..facts()
        },
    );
    let rules: Vec<&str> = report.findings.iter().map(|f| f.rule).collect();
    assert!(
        rules.contains(&"IM047") && !rules.contains(&"IM046"),
        "{rules:?}"
    );
    assert_eq!(report.mappings[0].rbac.as_ref().unwrap().label(), "NOTHING");
}

#[test]
fn system_masters_and_nodes_need_no_binding() {
    let d = doc(
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [system:masters]\n    - rolearn: arn:aws:iam::111122223333:role/node\n      username: system:node:{{EC2PrivateDNSName}}\n      groups: [system:bootstrappers, system:nodes]\n",
    );
    let boot = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: system:node-bootstrapper}\nrules:\n- {apiGroups: [certificates.k8s.io], resources: [certificatesigningrequests], verbs: [create, get, list, watch]}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: eks:node-bootstrapper}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: system:node-bootstrapper}\nsubjects:\n- {kind: Group, name: system:bootstrappers}\n";
    let report = check(
        &d,
        &Facts {
            rbac: Some(rbac(boot)),
            ..facts()
        },
    );
    assert!(report.findings.is_empty(), "{:#?}", report.findings);
    assert_eq!(
        report.system_masters,
        vec!["arn:aws:iam::111122223333:role/Admin"]
    );
    assert_eq!(
        report.mappings[0].rbac.as_ref().unwrap().label(),
        "system:masters (everything)"
    );
}

#[test]
fn aws_auth_editors_cover_wildcards_names_and_namespaces() {
    let yaml = |rules: &str, binding_ns: Option<&str>| {
        let (kind, ns) = match binding_ns {
            Some(ns) => ("RoleBinding", format!(", namespace: {ns}")),
            None => ("ClusterRoleBinding", String::new()),
        };
        rbac(&format!(
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {{name: w}}\nrules:\n{rules}---\napiVersion: rbac.authorization.k8s.io/v1\nkind: {kind}\nmetadata: {{name: b{ns}}}\nroleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: w}}\nsubjects:\n- {{kind: ServiceAccount, name: sa, namespace: ci}}\n"
        ))
    };
    let editors = |r: &Rbac| r.configmap_editors("kube-system", "aws-auth").len();
    assert_eq!(
        editors(&yaml(
            "- {apiGroups: ['*'], resources: ['*'], verbs: ['*']}\n",
            None
        )),
        1
    );
    assert_eq!(
        editors(&yaml(
            "- {apiGroups: [''], resources: [configmaps], verbs: [patch], resourceNames: [aws-auth]}\n",
            None
        )),
        1
    );
    assert_eq!(
        editors(&yaml(
            "- {apiGroups: [''], resources: [configmaps], verbs: [get, list, watch]}\n",
            None
        )),
        0
    );
    assert_eq!(
        editors(&yaml(
            "- {apiGroups: [apps], resources: [configmaps], verbs: [update]}\n",
            None
        )),
        0
    );
    assert_eq!(
        editors(&yaml(
            "- {apiGroups: [''], resources: [configmaps], verbs: [update]}\n",
            Some("kube-system")
        )),
        1
    );
    assert_eq!(
        editors(&yaml(
            "- {apiGroups: [''], resources: [configmaps], verbs: [update]}\n",
            Some("default")
        )),
        0
    );
}

#[test]
fn explain_names_the_entry_and_near_misses() {
    let d = doc(
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/teams/Admin\n      username: wrong\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [ops]\n",
    );
    let r = rbac(&format!(
        "{EDIT}---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {{name: ops}}\nroleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit}}\nsubjects:\n- {{kind: Group, name: ops}}\n"
    ));
    let f = Facts {
        rbac: Some(r),
        ..facts()
    };
    let e = explain(&d, &f, "arn:aws:sts::111122223333:assumed-role/Admin/alice").unwrap();
    assert_eq!(e.canonical, "arn:aws:iam::111122223333:role/Admin");
    let m = e.mapping.unwrap();
    assert_eq!(m.username, "admin");
    assert_eq!(m.rbac.unwrap().roles[0].role, "ClusterRole edit");
    assert_eq!(
        e.near_misses,
        vec!["line 8: `arn:aws:iam::111122223333:role/teams/Admin`"]
    );
    let none = explain(&d, &f, "arn:aws:iam::111122223333:role/Nobody").unwrap();
    assert!(none.mapping.is_none() && !none.account_wide);
    assert!(explain(&d, &f, "not-an-arn").is_err());
}

#[test]
fn rbac_manifests_errors_name_the_file_and_line() {
    let mut r = Rbac::default();
    let err = r
        .add_manifests("rbac.yaml", "kind: ClusterRole\nmetadata: {name: a}\n---\nkind: RoleBinding\nmetadata: {name: b}\nroleRef: {kind: Deployment, name: x}\n")
        .unwrap_err();
    assert_eq!(err.line, 4);
    assert!(
        err.to_string()
            .starts_with("rbac.yaml:4: RoleBinding b: roleRef.kind"),
        "{err}"
    );
    let err = r.add_manifests("rbac.yaml", "a: [\n").unwrap_err();
    assert!(err.to_string().starts_with("rbac.yaml:"), "{err}");
    // A List of items, as `kubectl get -o yaml` writes them.
    let mut r = Rbac::default();
    r.add_manifests("list.yaml", "apiVersion: v1\nkind: List\nitems:\n- apiVersion: rbac.authorization.k8s.io/v1\n  kind: ClusterRole\n  metadata: {name: a}\n  rules: []\n").unwrap();
    assert_eq!(r.roles.len(), 1);
}

#[test]
fn the_built_in_roles_and_bindings_are_known_offline() {
    let r = Rbac::builtin();
    for role in [
        "cluster-admin",
        "admin",
        "edit",
        "view",
        "system:node-bootstrapper",
        "system:node-proxier",
    ] {
        assert!(r.roles.iter().any(|x| x.name == role), "{role}");
    }
    // A binding to `view` from a manifest reaches the built-in role instead of nothing.
    let mut r = Rbac::builtin();
    r.add_manifests(
        "b.yaml",
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: viewers}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}\nsubjects:\n- {kind: Group, name: viewers}\n",
    )
    .unwrap();
    let d = doc(
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Viewer\n      username: viewer\n      groups: [viewers]\n    - rolearn: arn:aws:iam::111122223333:role/node\n      username: system:node:{{EC2PrivateDNSName}}\n      groups: [system:bootstrappers, system:nodes]\n",
    );
    let report = check(
        &d,
        &Facts {
            rbac: Some(r.clone()),
            ..facts()
        },
    );
    assert_eq!(report.mappings[0].rbac.as_ref().unwrap().label(), "view");
    // Nodes' groups are bound by the built-in bindings: nothing to report about them.
    assert!(
        !report
            .findings
            .iter()
            .any(|f| f.message.contains("system:bootstrappers")),
        "{:#?}",
        report.findings
    );
    // A manifest's own `view` replaces the built-in one.
    r.add_manifests(
        "v.yaml",
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: view}\nrules: []\n",
    )
    .unwrap();
    assert_eq!(r.roles.iter().filter(|x| x.name == "view").count(), 1);
    assert!(
        r.roles
            .iter()
            .find(|x| x.name == "view")
            .unwrap()
            .rules
            .is_empty()
    );
}
