//! `check` and create's checks end to end: IAM principals made in moto with the real AWS CLI, RBAC from
//! manifest files or seeded into the test API server, IAM faults injected by a proxy in front of moto.

use crate::support::apiserver::{ApiServer, Faults};
use crate::support::iam_proxy::{IamFaults, IamProxy};
use crate::support::{self, Moto, bin};
use predicates::prelude::*;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::path::PathBuf;

const ACCOUNT: &str = "123456789012";

/// moto with its request authentication on (as IAM: a call signed with a key moto did not issue, or with
/// the wrong secret, fails), and the credentials of `checker`, a user allowed everything, for every call.
struct Iam {
    moto: Moto,
    exe: PathBuf,
    key: (String, String),
}

impl Iam {
    fn start() -> Option<Iam> {
        let moto = support::moto()?;
        let exe = support::aws_cli()?;
        let open = |args: &[&str]| support::aws_json(&exe, Some(&moto.url), args, None);
        open(&["iam", "create-user", "--user-name", "checker"]);
        open(&[
            "iam",
            "put-user-policy",
            "--user-name",
            "checker",
            "--policy-name",
            "all",
            "--policy-document",
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
        ]);
        let k = open(&["iam", "create-access-key", "--user-name", "checker"]);
        let key = (
            k["AccessKey"]["AccessKeyId"].as_str().unwrap().to_string(),
            k["AccessKey"]["SecretAccessKey"]
                .as_str()
                .unwrap()
                .to_string(),
        );
        support::moto_require_auth(&moto.url);
        Some(Iam { moto, exe, key })
    }
    fn aws(&self, args: &[&str]) -> Value {
        support::aws_json(
            &self.exe,
            Some(&self.moto.url),
            args,
            Some((&self.key.0, &self.key.1, None)),
        )
    }
    fn role(&self, name: &str, path: &str, trust: &str) {
        self.aws(&[
            "iam",
            "create-role",
            "--role-name",
            name,
            "--path",
            path,
            "--assume-role-policy-document",
            trust,
        ]);
    }
    fn delete_role(&self, name: &str) {
        self.aws(&["iam", "delete-role", "--role-name", name]);
    }
    fn user(&self, name: &str, path: &str) {
        self.aws(&["iam", "create-user", "--user-name", name, "--path", path]);
    }
    /// The binary, with AWS pointed at `url` (moto or a proxy in front of it).
    fn cmd(&self, url: &str) -> assert_cmd::Command {
        let mut cmd = bin();
        support::aws_endpoint(&mut cmd, url);
        cmd.env("AWS_ACCESS_KEY_ID", &self.key.0)
            .env("AWS_SECRET_ACCESS_KEY", &self.key.1);
        cmd
    }
}

const TRUST_ACCOUNT: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}"#;
const TRUST_NAMED: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole","Condition":{"StringLike":{"sts:RoleSessionName":"${aws:username}"}}}]}"#;
const TRUST_EC2: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

const MANIFEST: &str = r#"apiVersion: v1
kind: ConfigMap
metadata:
  name: aws-auth
  namespace: kube-system
data:
  mapRoles: |
    - rolearn: arn:aws:iam::123456789012:role/eks-node
      username: system:node:{{EC2PrivateDNSName}}
      groups: [system:bootstrappers, system:nodes]
    - rolearn: arn:aws:iam::123456789012:role/Admin
      username: "{{SessionName}}"
      groups: [platform-admins]
    - rolearn: arn:aws:iam::123456789012:role/Named
      username: "dev:{{SessionName}}"
      groups: [developers]
    - rolearn: arn:aws:iam::123456789012:role/PathRole
      username: path-role
      groups: [viewers]
    - rolearn: arn:aws:iam::123456789012:role/wrong/PathRole
      username: wrong-path
      groups: [viewers]
    - rolearn: arn:aws:iam::123456789012:role/Ghost
      username: ghost
      groups: [ghosts]
    - rolearn: arn:aws:iam::444455556666:role/Partner
      username: partner
      groups: [viewers]
    - rolearn: arn:aws:iam::123456789012:role/SERVICE_LINKED
      username: emr-containers
  mapUsers: |
    - userarn: arn:aws:iam::123456789012:user/alice
      username: alice
      groups: [developers]
    - userarn: arn:aws:iam::123456789012:user/engineering/alice
      username: alice-ok
      groups: [viewers]
    - userarn: arn:aws:iam::123456789012:user/bob
      username: bob
      groups: [system:masters]
"#;

fn rbac_objects() -> Vec<(String, Value)> {
    let crb = |name: &str, role: &str, subject: Value| {
        (
            format!("/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/{name}"),
            json!({"metadata": {"name": name}, "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role}, "subjects": [subject]}),
        )
    };
    let cr = |name: &str, rules: Value| {
        (
            format!("/apis/rbac.authorization.k8s.io/v1/clusterroles/{name}"),
            json!({"metadata": {"name": name}, "rules": rules}),
        )
    };
    vec![
        cr(
            "cluster-admin",
            json!([{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}]),
        ),
        cr(
            "view",
            json!([{"apiGroups": [""], "resources": ["pods", "services"], "verbs": ["get", "list", "watch"]}]),
        ),
        cr(
            "edit",
            json!([{"apiGroups": ["", "apps"], "resources": ["pods", "deployments"], "verbs": ["get", "list", "create", "update", "delete"]}]),
        ),
        cr(
            "configmap-writer",
            json!([{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "update"]}]),
        ),
        cr(
            "system:node-bootstrapper",
            json!([{"apiGroups": ["certificates.k8s.io"], "resources": ["certificatesigningrequests"], "verbs": ["create", "get", "list", "watch"]}]),
        ),
        crb(
            "eks:node-bootstrapper",
            "system:node-bootstrapper",
            json!({"kind": "Group", "name": "system:bootstrappers"}),
        ),
        crb(
            "platform-admins",
            "cluster-admin",
            json!({"kind": "Group", "name": "platform-admins"}),
        ),
        crb(
            "viewers",
            "view",
            json!({"kind": "Group", "name": "viewers"}),
        ),
        crb(
            "deployer",
            "configmap-writer",
            json!({"kind": "ServiceAccount", "name": "deployer", "namespace": "ci"}),
        ),
        (
            "/apis/rbac.authorization.k8s.io/v1/namespaces/team-a/rolebindings/developers".into(),
            json!({"metadata": {"name": "developers", "namespace": "team-a"}, "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "edit"}, "subjects": [{"kind": "Group", "name": "developers"}]}),
        ),
        (
            "/apis/rbac.authorization.k8s.io/v1/namespaces/kube-system/roles/cm-editor".into(),
            json!({"metadata": {"name": "cm-editor", "namespace": "kube-system"}, "rules": [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["patch"]}]}),
        ),
        (
            "/apis/rbac.authorization.k8s.io/v1/namespaces/kube-system/rolebindings/dev-cm".into(),
            json!({"metadata": {"name": "dev-cm", "namespace": "kube-system"}, "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "cm-editor"}, "subjects": [{"kind": "Group", "name": "developers"}]}),
        ),
    ]
}

/// The same objects as a multi-document manifest, as `--rbac-from` reads it (kinds from the paths).
fn rbac_manifest() -> String {
    rbac_objects()
        .into_iter()
        .map(|(path, mut obj)| {
            let kind = match path.split('/').rev().nth(1).unwrap() {
                "clusterroles" => "ClusterRole",
                "clusterrolebindings" => "ClusterRoleBinding",
                "roles" => "Role",
                _ => "RoleBinding",
            };
            obj["apiVersion"] = json!("rbac.authorization.k8s.io/v1");
            obj["kind"] = json!(kind);
            serde_json::to_string(&obj).unwrap()
        })
        .collect::<Vec<_>>()
        .join("\n---\n")
}

/// Make the principals of MANIFEST; returns the manifest with the name moto gave the service-linked role.
fn principals(iam: &Iam) -> String {
    iam.role("eks-node", "/", TRUST_EC2);
    iam.role("Admin", "/", TRUST_ACCOUNT);
    iam.role("Named", "/", TRUST_NAMED);
    iam.role("PathRole", "/teams/", TRUST_EC2);
    iam.user("alice", "/engineering/");
    iam.user("bob", "/");
    let slr = iam.aws(&[
        "iam",
        "create-service-linked-role",
        "--aws-service-name",
        "emr-containers.amazonaws.com",
    ]);
    MANIFEST.replace("SERVICE_LINKED", slr["Role"]["RoleName"].as_str().unwrap())
}

/// (rule, ARN of the line) for every finding of a `check -o json`.
fn found(report: &Value) -> BTreeSet<(String, String)> {
    let by_line: std::collections::BTreeMap<u64, String> = report["mappings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["line"].as_u64().unwrap(),
                m["arn"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let line = f["line"].as_u64().unwrap();
            (
                f["rule"].as_str().unwrap().to_string(),
                by_line
                    .get(&line)
                    .cloned()
                    .unwrap_or(format!("line {line}")),
            )
        })
        .collect()
}

fn expect(pairs: &[(&str, &str)]) -> BTreeSet<(String, String)> {
    pairs
        .iter()
        .map(|(r, a)| {
            let arn = if a.starts_with("line") || a.starts_with("arn:") {
                a.to_string()
            } else {
                format!("arn:aws:iam::{ACCOUNT}:{a}")
            };
            (r.to_string(), arn)
        })
        .collect()
}

fn scrub(text: &str) -> String {
    let ids = regex::Regex::new(r"ID [^,)\s]+").unwrap();
    let times = regex::Regex::new(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ").unwrap();
    times
        .replace_all(&ids.replace_all(text, "ID [ID]"), "[TIME]")
        .into_owned()
}

#[test]
#[cfg_attr(
    iamidmap_skip_aws,
    ignore = "the AWS CLI or moto is not installed (IAMIDMAP_ALLOW_SKIP=1)"
)]
fn check_a_file_against_iam_and_rbac_manifests() {
    let Some(iam) = Iam::start() else { return };
    let manifest = principals(&iam);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("aws-auth.yaml");
    std::fs::write(&file, &manifest).unwrap();
    let rbac = dir.path().join("rbac.yaml");
    std::fs::write(&rbac, rbac_manifest()).unwrap();
    let run = |extra: &[&str]| {
        iam.cmd(&iam.moto.url)
            .current_dir(dir.path())
            .args(["check", "-f", "aws-auth.yaml", "--rbac-from", "rbac.yaml"])
            .args(extra)
            .output()
            .unwrap()
    };
    let out = run(&["-o", "json"]);
    assert_eq!(out.status.code(), Some(1), "errors found: exit 1");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let expected = expect(&[
        ("IM039", "role/Ghost"),
        ("IM046", "role/Ghost"),
        ("IM047", "role/Ghost"),
        ("IM040", "role/wrong/PathRole"),
        ("IM040", "user/alice"),
        ("IM041", "arn:aws:iam::444455556666:role/Partner"),
        ("IM042", "role/AWSServiceRoleForemr-containers"),
        ("IM047", "role/AWSServiceRoleForemr-containers"),
        ("IM043", "role/Admin"),
        ("IM048", "role/Named"),
        ("IM048", "user/alice"),
        ("IM049", "line 1"),
    ]);
    assert_eq!(found(&report), expected, "{:#}", report["findings"]);
    // Not produced: the path-less entry of a role with a path, the user entry with the right path,
    // the role whose trust policy pins the session name, the node role (Node authorizer), bob
    // (system:masters needs no binding).
    assert_eq!(report["iam"]["account"]["id"], ACCOUNT);
    let status = |arn: &str| {
        report["mappings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["arn"] == arn)
            .unwrap()["iam"]["status"]
            .clone()
    };
    assert_eq!(status("arn:aws:iam::123456789012:role/PathRole"), "exists");
    assert_eq!(status("arn:aws:iam::123456789012:role/Ghost"), "missing");
    assert_eq!(
        status("arn:aws:iam::444455556666:role/Partner"),
        "other-account"
    );
    assert_eq!(
        report["system_masters"],
        json!(["arn:aws:iam::123456789012:user/bob"])
    );
    let table = run(&[]);
    let _guard = support::described("`check` of a file against IAM (moto) and RBAC manifests, as a table: every finding names the principal, what IAM or RBAC says, and the fix.").bind_to_scope();
    insta::assert_snapshot!(
        "check_table",
        scrub(&support::transcript(
            "check -f aws-auth.yaml --rbac-from rbac.yaml",
            &table
        ))
    );
    // SARIF and GitHub annotations carry the same findings.
    let sarif: Value = serde_json::from_slice(&run(&["--format", "sarif"]).stdout).unwrap();
    assert_eq!(
        sarif["runs"][0]["results"].as_array().unwrap().len(),
        expected.len()
    );
    let github = String::from_utf8(run(&["-o", "github"]).stdout).unwrap();
    assert!(
        github.contains("::error file=aws-auth.yaml,line="),
        "{github}"
    );
    assert_eq!(github.matches("IM040").count(), 2, "{github}");
    // --fail-on: errors are there either way; with IAM and RBAC skipped only IM041 (a warning) is left.
    let offline_args = ["--skip-iam", "--skip-rbac", "--cluster-account", ACCOUNT];
    let offline = run(&[&offline_args[..], &["-o", "json"]].concat());
    assert_eq!(offline.status.code(), Some(0));
    let offline: Value = serde_json::from_slice(&offline.stdout).unwrap();
    assert_eq!(
        found(&offline),
        expect(&[("IM041", "arn:aws:iam::444455556666:role/Partner")])
    );
    let strict = run(&[&offline_args[..], &["--fail-on", "warning"]].concat());
    assert_eq!(strict.status.code(), Some(1));
}

#[test]
#[cfg_attr(
    iamidmap_skip_aws,
    ignore = "the AWS CLI or moto is not installed (IAMIDMAP_ALLOW_SKIP=1)"
)]
fn check_arn_explains_one_principal() {
    let Some(iam) = Iam::start() else { return };
    let manifest = principals(&iam);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("aws-auth.yaml"), manifest).unwrap();
    std::fs::write(dir.path().join("rbac.yaml"), rbac_manifest()).unwrap();
    let explain = |arn: &str| {
        let out = iam
            .cmd(&iam.moto.url)
            .current_dir(dir.path())
            .args([
                "check",
                "-f",
                "aws-auth.yaml",
                "--rbac-from",
                "rbac.yaml",
                "--arn",
                arn,
            ])
            .output()
            .unwrap();
        scrub(&support::transcript(&format!("check --arn {arn}"), &out))
    };
    let mut all = String::new();
    for arn in [
        // A session of a mapped role: through its canonical ARN to cluster-admin.
        "arn:aws:sts::123456789012:assumed-role/Named/alice",
        // Mapped, but the role path in the entry never matches: Unauthorized, with the near miss.
        "arn:aws:iam::123456789012:user/engineering/alice",
        "arn:aws:sts::123456789012:assumed-role/Unmapped/carol",
        // Users keep their path: this is not the `user/bob` entry, which is shown as the near miss.
        "arn:aws:iam::123456789012:user/ops/bob",
        "arn:aws:iam::123456789012:user/bob",
    ] {
        all.push_str(&explain(arn));
    }
    support::described("`check --arn` for mapped, unmapped, path-mismatched and variant principals: what the authenticator answers, which entry, what IAM and RBAC say. An unmapped principal exits 1.").bind(|| {
        insta::assert_snapshot!("check_explain", all);
    });
    assert!(all.contains("exit: 1\n"), "an unmapped principal exits 1");
}

struct Cluster {
    server: ApiServer,
    dir: tempfile::TempDir,
    kubeconfig: PathBuf,
}

impl Cluster {
    fn new() -> Cluster {
        let server = ApiServer::start();
        let dir = tempfile::tempdir().unwrap();
        let kubeconfig = server.kubeconfig(dir.path());
        Cluster {
            server,
            dir,
            kubeconfig,
        }
    }
    fn cmd(&self, iam: &Iam, url: &str) -> assert_cmd::Command {
        let mut cmd = iam.cmd(url);
        cmd.env("KUBECONFIG", &self.kubeconfig)
            .arg("--backup-dir")
            .arg(self.dir.path().join("backups"));
        cmd
    }
}

/// The double is as strict as IAM: a call signed with the wrong secret is refused, and `check` says IAM
/// was not checked (instead of reporting every principal missing).
#[test]
#[cfg_attr(
    iamidmap_skip_aws,
    ignore = "the AWS CLI or moto is not installed (IAMIDMAP_ALLOW_SKIP=1)"
)]
fn a_wrong_secret_is_refused_by_the_iam_double() {
    let Some(iam) = Iam::start() else { return };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("aws-auth.yaml");
    std::fs::write(&file, MANIFEST).unwrap();
    iam.cmd(&iam.moto.url)
        .env("AWS_SECRET_ACCESS_KEY", "not-the-secret")
        .args(["check", "-f"])
        .arg(&file)
        .assert()
        .stderr(predicate::str::contains("IAM not checked"))
        .stderr(predicate::str::contains("signature").or(predicate::str::contains("Signature")));
}

/// Safety item 10: two clusters whose contexts have the same name share a backup directory. A backup of
/// cluster A that already held a role's ARN must not make `check` on cluster B say that the role was
/// recreated after B's mapping was written.
#[test]
#[cfg_attr(
    iamidmap_skip_aws,
    ignore = "the AWS CLI or moto is not installed (IAMIDMAP_ALLOW_SKIP=1)"
)]
fn check_ignores_backups_of_other_clusters() {
    let Some(iam) = Iam::start() else { return };
    let (a, b) = (Cluster::new(), Cluster::new());
    let fresh = "arn:aws:iam::123456789012:role/Fresh";
    // A maps the role before it exists (its backups hold the ARN from then on).
    a.cmd(&iam, &iam.moto.url)
        .args([
            "create",
            "--yes",
            "--skip-iam-check",
            "--arn",
            fresh,
            "--group",
            "viewers",
        ])
        .assert()
        .code(0);
    support::next_second();
    iam.role("Fresh", "/", TRUST_EC2);
    support::next_second();
    // B maps it after it was made.
    b.server.seed_aws_auth(&std::collections::BTreeMap::from([(
        "mapRoles".to_string(),
        format!("- rolearn: {fresh}\n  username: fresh\n  groups:\n    - viewers\n"),
    )]));
    let out = iam
        .cmd(&iam.moto.url)
        .env("KUBECONFIG", &b.kubeconfig)
        .arg("--backup-dir")
        .arg(a.dir.path().join("backups"))
        .args(["check", "-o", "json"])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        !found(&report).iter().any(|(rule, _)| rule == "IM044"),
        "{:#}",
        report["findings"]
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("of another cluster"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
#[cfg_attr(
    iamidmap_skip_aws,
    ignore = "the AWS CLI or moto is not installed (IAMIDMAP_ALLOW_SKIP=1)"
)]
fn check_live_reads_rbac_and_finds_recreated_principals() {
    let Some(iam) = Iam::start() else { return };
    let cluster = Cluster::new();
    for (path, obj) in rbac_objects() {
        cluster.server.seed(&path, obj);
    }
    iam.role("Stable", "/", TRUST_EC2);
    iam.role("Reborn", "/", TRUST_EC2);
    let create = |arn: &str, group: &str| {
        cluster
            .cmd(&iam, &iam.moto.url)
            .args([
                "create",
                "--yes",
                "--arn",
                arn,
                "--group",
                group,
                "--username",
                "u",
            ])
            .assert()
            .code(0)
            .stderr(predicate::str::contains("does not exist").not());
    };
    create("arn:aws:iam::123456789012:role/Stable", "viewers");
    create("arn:aws:iam::123456789012:role/Reborn", "platform-admins");
    // The role is deleted and made again under the same name, after the mapping was written.
    support::next_second();
    iam.delete_role("Reborn");
    iam.role("Reborn", "/", TRUST_EC2);
    let out = cluster
        .cmd(&iam, &iam.moto.url)
        .args(["check", "-o", "json"])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        found(&report),
        expect(&[("IM044", "role/Reborn"), ("IM049", "line 1")]),
        "{:#}",
        report["findings"]
    );
    assert_eq!(out.status.code(), Some(0), "warnings only");
    let reach = &report["mappings"][0]["rbac"]["roles"][0];
    assert_eq!(reach["binding"], "ClusterRoleBinding viewers");
    assert_eq!(reach["role"], "ClusterRole view");
    let editors: Vec<String> = report["aws_auth_editors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["binding"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        editors,
        vec![
            "ClusterRoleBinding deployer",
            "ClusterRoleBinding platform-admins",
            "RoleBinding kube-system/dev-cm"
        ]
    );
    // Four list requests for RBAC, one read of the ConfigMap.
    cluster.server.clear_log();
    cluster
        .cmd(&iam, &iam.moto.url)
        .args(["check"])
        .assert()
        .code(0);
    let lists = cluster
        .server
        .log()
        .iter()
        .filter(|l| l.path.starts_with("/apis/rbac"))
        .count();
    assert_eq!(lists, 4);
    // No right to list bindings: said, and IAM is still checked.
    cluster.server.set_faults(Faults {
        forbidden: vec!["list clusterrolebindings".into()],
        ..Faults::default()
    });
    cluster
        .cmd(&iam, &iam.moto.url)
        .args(["check"])
        .assert()
        .code(0)
        .stderr(predicate::str::contains("warning: RBAC not checked: list"))
        .stdout(predicate::str::contains("IM044"));
}

#[test]
#[cfg_attr(
    iamidmap_skip_aws,
    ignore = "the AWS CLI or moto is not installed (IAMIDMAP_ALLOW_SKIP=1)"
)]
fn create_warns_about_missing_principals_and_unbound_groups() {
    let Some(iam) = Iam::start() else { return };
    let manifest = principals(&iam);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("aws-auth.yaml");
    std::fs::write(&file, &manifest).unwrap();
    let create = |extra: &[&str]| {
        iam.cmd(&iam.moto.url)
            .args(["create", "-f"])
            .arg(&file)
            .args(["--yes", "--username", "n", "--group", "g"])
            .args(extra)
            .assert()
    };
    create(&["--arn", "arn:aws:iam::123456789012:role/Nobody", "--strict"])
        .code(3)
        .stderr(predicate::str::contains(
            "refused by --strict:\n  role `Nobody` does not exist in IAM (account 123456789012)",
        ));
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        manifest,
        "nothing written"
    );
    create(&["--arn", "arn:aws:iam::123456789012:role/Nobody"])
        .code(0)
        .stderr(predicate::str::contains(
            "warning: role `Nobody` does not exist in IAM",
        ));
    // (It shadows alice's own entry: the caller check, which moto's default identity cannot answer, is
    // waived for the test of the IAM lookup.)
    create(&[
        "--arn",
        "arn:aws:iam::123456789012:user/engineering/alice",
        "--strict",
        "--no-caller-check",
    ])
    .code(0)
    .stderr(predicate::str::contains("IAM").not());
    // --skip-iam-check never asks: a proxy that counts lookups sees none.
    let proxy = IamProxy::start(&iam.moto.url, IamFaults::default());
    iam.cmd(&proxy.url)
        .args(["create", "-f"])
        .arg(&file)
        .args([
            "--yes",
            "--arn",
            "arn:aws:iam::123456789012:role/Other",
            "--group",
            "g",
            "--skip-iam-check",
            "--strict",
        ])
        .assert()
        .code(0);
    assert_eq!(proxy.lookups.load(std::sync::atomic::Ordering::SeqCst), 0);
    // Live: no binding names the group -> warning, or a refusal with --strict (no write at all).
    let cluster = Cluster::new();
    for (path, obj) in rbac_objects() {
        cluster.server.seed(&path, obj);
    }
    cluster
        .cmd(&iam, &iam.moto.url)
        .args([
            "create",
            "--yes",
            "--arn",
            "arn:aws:iam::123456789012:role/Admin",
            "--group",
            "typo-admins",
            "--strict",
        ])
        .assert()
        .code(3)
        .stderr(predicate::str::contains(
            "no RoleBinding or ClusterRoleBinding names any of its groups (typo-admins)",
        ));
    assert!(cluster.server.aws_auth().is_none(), "nothing created");
    assert!(
        !cluster
            .server
            .log()
            .iter()
            .any(|l| l.method == "PUT" || l.method == "POST")
    );
    cluster
        .cmd(&iam, &iam.moto.url)
        .args([
            "create",
            "--yes",
            "--arn",
            "arn:aws:iam::123456789012:role/Admin",
            "--group",
            "platform-admins",
            "--strict",
        ])
        .assert()
        .code(0);
    assert!(cluster.server.aws_auth().is_some());
}

#[test]
#[cfg_attr(
    iamidmap_skip_aws,
    ignore = "the AWS CLI or moto is not installed (IAMIDMAP_ALLOW_SKIP=1)"
)]
fn iam_throttling_is_retried_and_errors_are_reported_per_principal() {
    let Some(iam) = Iam::start() else { return };
    principals(&iam);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("aws-auth.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: aws-auth, namespace: kube-system}\ndata:\n  mapRoles: |\n    - rolearn: arn:aws:iam::123456789012:role/Admin\n      username: admin\n      groups: [g]\n    - rolearn: arn:aws:iam::123456789012:role/Named\n      username: named\n      groups: [g]\n",
    )
    .unwrap();
    let proxy = IamProxy::start(
        &iam.moto.url,
        IamFaults {
            throttle_first: 3,
            ..IamFaults::default()
        },
    );
    let run = |extra: &[&str]| {
        iam.cmd(&proxy.url)
            .current_dir(dir.path())
            .args([
                "check",
                "-f",
                "aws-auth.yaml",
                "--skip-rbac",
                "-o",
                "json",
                "--concurrency",
                "1",
            ])
            .args(extra)
            .output()
            .unwrap()
    };
    // Three throttled answers, then both lookups succeed: retried, nothing reported.
    let out = run(&[]);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        report["findings"].as_array().unwrap().is_empty(),
        "{report:#}"
    );
    assert_eq!(report["mappings"][0]["iam"]["status"], "exists");
    assert_eq!(proxy.lookups.load(std::sync::atomic::Ordering::SeqCst), 5);
    // Throttled for good, and one role IAM will not describe: each is reported, nothing crashes.
    proxy.set(IamFaults {
        throttle_first: usize::MAX,
        deny: vec![],
    });
    let out = run(&["--fail-on", "info"]);
    assert_eq!(out.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let messages: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert_eq!(
        messages,
        vec![
            "could not look up role `Admin` in IAM: Throttling: Rate exceeded",
            "could not look up role `Named` in IAM: Throttling: Rate exceeded"
        ]
    );
    proxy.set(IamFaults {
        throttle_first: 0,
        deny: vec!["Named".into()],
    });
    let out = run(&[]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "an info finding does not fail by default"
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["findings"].as_array().unwrap().len(), 1);
    assert!(
        report["findings"][0]["message"]
            .as_str()
            .unwrap()
            .contains("role `Named` in IAM: AccessDenied: User: arn:aws:iam::123456789012:user/test is not authorized"),
        "{report:#}"
    );
    assert_eq!(report["mappings"][1]["iam"]["status"], "not-checked");
    // IAM unreachable altogether: one warning, the check goes on without IAM.
    bin()
        .current_dir(dir.path())
        .args(["check", "-f", "aws-auth.yaml", "--skip-rbac"])
        .assert()
        .code(0)
        .stderr(predicate::str::contains(
            "warning: IAM not checked: STS GetCallerIdentity failed: cannot connect",
        ))
        .stdout(predicate::str::contains("IAM: not read"));
}
