//! The lockout paths of the second safety review, one test each (each fails on the code before the fix):
//! the identity the cluster sees, unknown callers, callers given with a path, random answers, node
//! identities, dead admins, fixes that demote, drops compared entry by entry, restores that add power,
//! backups keyed by cluster, after-states, planted backups, credentials in URLs, one backup per write,
//! terminal escapes, unbounded reads, create's input checks, binaryData, symlinks, unknown write outcomes
//! and other data keys.

use crate::live::Live;
use crate::support::apiserver::{AwsAuthenticator, Faults};
use crate::support::{self, bin};
use predicates::prelude::*;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const ADMIN: &str = "arn:aws:iam::123456789012:role/Admin";

/// aws-auth of the account moto serves (123456789012): a node role, the only admin (role Admin), a
/// developer role.
fn cluster_roles() -> String {
    "- rolearn: arn:aws:iam::123456789012:role/eks-node\n  username: system:node:{{EC2PrivateDNSName}}\n  groups:\n    - system:bootstrappers\n    - system:nodes\n- rolearn: arn:aws:iam::123456789012:role/Admin\n  username: admin:{{SessionName}}\n  groups:\n    - system:masters\n- rolearn: arn:aws:iam::123456789012:role/Dev\n  username: dev\n  groups:\n    - developers\n".to_string()
}

/// A cluster whose kubeconfig user is the real `aws eks get-token --role-arn …/Admin` (the AWS CLI assumes
/// the role through the local STS, via its HTTPS proxy, and presigns for the production STS host), while
/// the shell's own credentials are those of `ops`, an IAM user nobody mapped. The test API server
/// authenticates the token as EKS does and answers SelfSubjectReview from it.
struct IamCluster {
    live: Live,
    sts: support::LocalSts,
    ops: (String, String),
}

impl IamCluster {
    fn start() -> Option<IamCluster> {
        let sts = support::local_sts()?;
        let aws = support::aws_cli()?;
        let iam = |args: &[&str]| support::aws_json(&aws, Some(&sts.url), args, None);
        iam(&["iam", "create-user", "--user-name", "ops"]);
        let k = iam(&["iam", "create-access-key", "--user-name", "ops"]);
        let ops = (
            k["AccessKey"]["AccessKeyId"].as_str().unwrap().to_string(),
            k["AccessKey"]["SecretAccessKey"]
                .as_str()
                .unwrap()
                .to_string(),
        );
        support::create_assumable_role(&aws, &sts.url, "Admin");
        let live = Live::new();
        live.server
            .seed_aws_auth(&BTreeMap::from([("mapRoles".to_string(), cluster_roles())]));
        live.server.authenticate_with(AwsAuthenticator {
            cluster_id: "prod".into(),
            sts_url: sts.url.clone(),
        });
        let kc = json!({
            "apiVersion": "v1", "kind": "Config", "current-context": "prod",
            "clusters": [{"name": "prod", "cluster": live.server.cluster_entry()}],
            "contexts": [{"name": "prod", "context": {"cluster": "prod", "user": "admin"}}],
            "users": [{"name": "admin", "user": {"exec": {
                "apiVersion": "client.authentication.k8s.io/v1beta1", "command": aws.to_str().unwrap(),
                "args": ["eks", "get-token", "--cluster-name", "prod", "--region", "us-east-1", "--role-arn", ADMIN],
                "interactiveMode": "Never",
                "env": [
                    {"name": "AWS_ACCESS_KEY_ID", "value": ops.0},
                    {"name": "AWS_SECRET_ACCESS_KEY", "value": ops.1},
                    {"name": "AWS_CONFIG_FILE", "value": "/dev/null"},
                    {"name": "AWS_SHARED_CREDENTIALS_FILE", "value": "/dev/null"},
                    // The plugin talks to the production STS host names, which the local STS's proxy
                    // serves; configured endpoints (the shell's) are ignored, so the token is signed for
                    // sts.us-east-1.amazonaws.com as on a real machine.
                    {"name": "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "value": "true"},
                    {"name": "HTTPS_PROXY", "value": sts.proxy},
                    {"name": "AWS_CA_BUNDLE", "value": sts.ca.to_str().unwrap()},
                ]}}}],
        });
        std::fs::write(&live.kubeconfig, serde_json::to_string(&kc).unwrap()).unwrap();
        Some(IamCluster { live, sts, ops })
    }

    /// The binary as `ops` in the shell, against this cluster; STS calls go to the local STS.
    fn cmd(&self) -> assert_cmd::Command {
        let mut cmd = self.live.cmd();
        support::aws_endpoint(&mut cmd, &self.sts.url);
        cmd.env("AWS_ACCESS_KEY_ID", &self.ops.0)
            .env("AWS_SECRET_ACCESS_KEY", &self.ops.1);
        cmd
    }
}

/// Item 1: the guard protects the identity the cluster sees (the kubeconfig's role), not the shell's.
#[test]
#[cfg_attr(
    iamidmap_skip_aws,
    ignore = "the AWS CLI or moto is not installed (IAMIDMAP_ALLOW_SKIP=1)"
)]
#[cfg_attr(
    iamidmap_skip_kubectl,
    ignore = "kubectl is not on PATH (IAMIDMAP_ALLOW_SKIP=1)"
)]
fn the_guard_protects_the_identity_the_cluster_sees() {
    let Some(c) = IamCluster::start() else { return };
    let before = c.live.server.aws_auth().unwrap();
    // The shell is `ops`, unmapped: before the fix the guard protected ops and let this through.
    c.cmd()
        .args(["-v", "delete", "--yes", "--arn", ADMIN])
        .assert()
        .code(3)
        .stderr(predicate::str::contains(format!(
            "caller: `{ADMIN}` (the cluster's SelfSubjectReview: you are `admin:EKSGetTokenAuth`, ARN `arn:aws:sts::123456789012:assumed-role/Admin/EKSGetTokenAuth`)"
        )))
        .stderr(predicate::str::contains(format!(
            "[caller-loses-access] `{ADMIN}` (you)"
        )));
    assert_eq!(c.live.server.aws_auth().unwrap(), before);
    // The real kubectl, with the same kubeconfig, still gets in.
    if let Some(kubectl) = support::kubectl() {
        let out = support::command(kubectl)
            .env("KUBECONFIG", &c.live.kubeconfig)
            .args([
                "get",
                "configmap",
                "aws-auth",
                "-n",
                "kube-system",
                "-o",
                "name",
            ])
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
    }
    // Without SelfSubjectReview (clusters before 1.27) the kubeconfig's token is resolved through STS.
    c.live.server.set_faults(Faults {
        no_self_subject_review: true,
        ..Faults::default()
    });
    c.cmd()
        .args(["-v", "delete", "--yes", "--arn", ADMIN])
        .assert()
        .code(3)
        .stderr(predicate::str::contains(format!(
            "caller: `{ADMIN}` (the kubeconfig's token from `aws` with role `{ADMIN}`: STS says `arn:aws:sts::123456789012:assumed-role/Admin/EKSGetTokenAuth`)"
        )))
        .stderr(predicate::str::contains("[caller-loses-access]"));
    c.live.server.set_faults(Faults::default());
    // Someone else's entry goes; the cluster is still reachable afterwards.
    c.cmd()
        .args([
            "delete",
            "--yes",
            "--arn",
            "arn:aws:iam::123456789012:role/Dev",
        ])
        .assert()
        .code(0);
    // And the test server is a real judge: with --force the role is gone and the kubeconfig locked out.
    c.cmd()
        .args(["delete", "--yes", "--force", "--arn", ADMIN])
        .assert()
        .code(0);
    c.cmd()
        .args(["get"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("Unauthorized").or(predicate::str::contains("401")));
}

// ---------------------------------------------------------------------------------------------------
// Files: helpers

const HEADER: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: aws-auth\n  namespace: kube-system\ndata:\n";
const NODE: &str = "    - rolearn: arn:aws:iam::111122223333:role/eks-node\n      username: system:node:{{EC2PrivateDNSName}}\n      groups:\n        - system:bootstrappers\n        - system:nodes\n";

/// A manifest with these (indented) `mapRoles` and `mapUsers` values, in a temporary directory.
fn manifest(roles: &str, users: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("aws-auth.yaml");
    let mut text = HEADER.to_string();
    if !roles.is_empty() {
        text.push_str(&format!("  mapRoles: |\n{roles}"));
    }
    if !users.is_empty() {
        text.push_str(&format!("  mapUsers: |\n{users}"));
    }
    std::fs::write(&path, text).unwrap();
    (dir, path)
}

fn on_file(path: &Path, args: &[&str]) -> assert_cmd::assert::Assert {
    bin().args(args).arg("-f").arg(path).assert()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap()
}

fn entry(kind: &str, arn: &str, username: &str, groups: &[&str]) -> String {
    let field = if kind == "role" { "rolearn" } else { "userarn" };
    let mut s = format!("    - {field}: {arn}\n      username: {username}\n      groups:\n");
    for g in groups {
        s.push_str(&format!("        - {g}\n"));
    }
    s
}

const R_ADMIN: &str = "arn:aws:iam::111122223333:role/Admin";
const R_DEV: &str = "arn:aws:iam::111122223333:role/Dev";
const U_BREAK_GLASS: &str = "arn:aws:iam::111122223333:user/break-glass";

/// Item 2: a change that takes access away is refused when nobody can tell who the caller is, unless the
/// caller is named or the check is waived explicitly; additions stay allowed.
#[test]
fn an_unknown_caller_cannot_take_access_away() {
    let roles = format!(
        "{NODE}{}{}",
        entry("role", R_ADMIN, "admin", &["system:masters"]),
        entry("role", R_DEV, "dev", &["developers"])
    );
    let (_d, path) = manifest(&roles, "");
    let before = read(&path);
    // The shell's STS is unreachable (the test isolation): nobody knows who runs this.
    on_file(&path, &["delete", "--yes", "--arn", R_DEV])
        .code(3)
        .stderr(predicate::str::contains("[caller-unknown]"))
        .stderr(predicate::str::contains("--as-arn"))
        .stderr(predicate::str::contains("--no-caller-check"));
    on_file(
        &path,
        &[
            "create", "--yes", "--update", "--arn", R_DEV, "--group", "viewers",
        ],
    )
    .code(3);
    assert_eq!(read(&path), before);
    // Additions pass.
    on_file(
        &path,
        &[
            "create",
            "--yes",
            "--skip-iam-check",
            "--arn",
            "arn:aws:iam::111122223333:role/Ops",
            "--group",
            "ops",
        ],
    )
    .code(0);
    // Named, or waived explicitly, the removal goes through.
    on_file(
        &path,
        &[
            "delete",
            "--yes",
            "--as-arn",
            R_ADMIN,
            "--arn",
            "arn:aws:iam::111122223333:role/Ops",
        ],
    )
    .code(0);
    on_file(
        &path,
        &["delete", "--yes", "--no-caller-check", "--arn", R_DEV],
    )
    .code(0);
    assert!(!read(&path).contains("role/Dev"));
}

/// Item 2 on a cluster: when the cluster does not say who you are and the kubeconfig's credentials are not
/// an IAM token, the caller is unknown; when the cluster names a user that is not an IAM identity (a client
/// certificate, a static token), no change of the mappings can lock that user out.
#[test]
fn an_unknown_caller_on_a_cluster_is_refused_and_a_non_iam_one_is_not() {
    let live = Live::new();
    let roles = "- rolearn: arn:aws:iam::111122223333:role/eks-node\n  username: system:node:{{EC2PrivateDNSName}}\n  groups:\n    - system:bootstrappers\n    - system:nodes\n- rolearn: arn:aws:iam::111122223333:role/Admin\n  username: admin\n  groups:\n    - system:masters\n- rolearn: arn:aws:iam::111122223333:role/Dev\n  username: dev\n  groups:\n    - developers\n";
    live.server.seed_aws_auth(&BTreeMap::from([(
        "mapRoles".to_string(),
        roles.to_string(),
    )]));
    live.server.set_faults(Faults {
        no_self_subject_review: true,
        ..Faults::default()
    });
    live.run(&["-v", "delete", "--yes", "--arn", R_DEV])
        .code(3)
        .stderr(predicate::str::contains("caller: unknown"))
        .stderr(predicate::str::contains("[caller-unknown]"));
    assert!(
        live.server.aws_auth().unwrap()["data"]["mapRoles"]
            .as_str()
            .unwrap()
            .contains("role/Dev")
    );
    assert!(live.backup_files().is_empty());
    live.server.set_faults(Faults::default());
    live.run(&["-v", "delete", "--yes", "--arn", R_DEV])
        .code(0)
        .stderr(predicate::str::contains(
            "caller: `kubernetes-admin`, authenticated without IAM",
        ));
}

/// Item 3: the caller given in the IAM console's form (a role path) or the IAM Identity Center form is
/// matched as the authenticator matches it.
#[test]
fn a_caller_given_with_a_path_is_recognised() {
    let sso = "arn:aws:iam::111122223333:role/AWSReservedSSO_Admin_0123456789abcdef";
    let roles = format!(
        "{NODE}{}{}",
        entry("role", R_ADMIN, "admin", &["system:masters"]),
        entry("role", sso, "sso-admin", &["system:masters"])
    );
    // Another admin stays, so only the caller rule can refuse.
    let users = entry("user", U_BREAK_GLASS, "break-glass", &["system:masters"]);
    let (_d, path) = manifest(&roles, &users);
    let before = read(&path);
    for (me, target) in [
        (
            "arn:aws:iam::111122223333:role/teams/platform/Admin",
            R_ADMIN,
        ),
        (
            "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Admin_0123456789abcdef",
            sso,
        ),
    ] {
        on_file(
            &path,
            &["-v", "delete", "--yes", "--as-arn", me, "--arn", target],
        )
        .code(3)
        .stderr(predicate::str::contains(format!(
            "caller: `{target}` (--as-arn `{me}`"
        )))
        .stderr(predicate::str::contains(format!(
            "[caller-loses-access] `{target}` (you)"
        )));
    }
    assert_eq!(read(&path), before);
}

/// Item 4: ARNs that differ only in case are both kept in mapUsers and matched at random; a change that
/// makes the last admin's (or the caller's) answer random is refused, and create says what really happens.
#[test]
fn a_change_that_makes_an_answer_random_is_refused() {
    let users = entry(
        "user",
        "arn:aws:iam::111122223333:user/ops/alice",
        "alice",
        &["system:masters"],
    );
    let (_d, path) = manifest(NODE, &users);
    let before = read(&path);
    on_file(
        &path,
        &[
            "create",
            "--yes",
            "--skip-iam-check",
            "--as-arn",
            "arn:aws:iam::111122223333:user/ops/alice",
            "--arn",
            "arn:aws:iam::111122223333:user/ops/Alice",
            "--group",
            "viewers",
        ],
    )
    .code(3)
    .stderr(predicate::str::contains("picks one of them at random"))
    .stderr(predicate::str::contains("so the authenticator uses it").not())
    .stderr(predicate::str::contains(
        "[random-answer] `arn:aws:iam::111122223333:user/ops/alice` (you)",
    ))
    .stderr(predicate::str::contains("[last-system-masters]"));
    assert_eq!(read(&path), before);
}

/// Item 5: node identities keep their username (the Node authorizer refuses any other) and every node
/// group: EC2, Fargate, Windows, kops, bootstrap-only roles.
#[test]
fn node_identities_keep_their_username_and_groups() {
    let fargate = "    - rolearn: arn:aws:iam::111122223333:role/fargate\n      username: system:node:{{SessionName}}\n      groups:\n        - system:bootstrappers\n        - system:nodes\n        - system:node-proxier\n";
    let windows = "    - rolearn: arn:aws:iam::111122223333:role/win\n      username: system:node:{{EC2PrivateDNSName}}\n      groups:\n        - eks:kube-proxy-windows\n        - system:bootstrappers\n        - system:nodes\n";
    let joiner = entry(
        "role",
        "arn:aws:iam::111122223333:role/joiner",
        "joiner",
        &["system:bootstrappers"],
    );
    let admin = entry("role", R_ADMIN, "admin", &["system:masters"]);
    let (_d, path) = manifest(&format!("{NODE}{fargate}{windows}{joiner}{admin}"), "");
    let before = read(&path);
    let refuse = |args: &[&str]| {
        let mut all = vec!["--as-arn", R_ADMIN];
        all.extend(args);
        on_file(&path, &all)
            .code(3)
            .stderr(predicate::str::contains("[node-role-loses-access]"))
    };
    refuse(&[
        "create",
        "--yes",
        "--skip-iam-check",
        "--update",
        "--arn",
        "arn:aws:iam::111122223333:role/eks-node",
        "--username",
        "node",
    ])
    .stderr(predicate::str::contains("the Node authorizer refuses"));
    refuse(&[
        "create",
        "--yes",
        "--skip-iam-check",
        "--update",
        "--arn",
        "arn:aws:iam::111122223333:role/fargate",
        "--username",
        "system:node:{{EC2PrivateDNSName}}",
    ]);
    refuse(&[
        "create",
        "--yes",
        "--skip-iam-check",
        "--update",
        "--arn",
        "arn:aws:iam::111122223333:role/fargate",
        "--group",
        "system:bootstrappers",
        "--group",
        "system:nodes",
    ])
    .stderr(predicate::str::contains("`system:node-proxier`"));
    refuse(&[
        "create",
        "--yes",
        "--skip-iam-check",
        "--update",
        "--arn",
        "arn:aws:iam::111122223333:role/win",
        "--group",
        "system:bootstrappers",
        "--group",
        "system:nodes",
    ])
    .stderr(predicate::str::contains("`eks:kube-proxy-windows`"));
    refuse(&[
        "delete",
        "--yes",
        "--arn",
        "arn:aws:iam::111122223333:role/joiner",
    ]);
    assert_eq!(read(&path), before);
    // kops: the authenticator config's node role (groups system:bootstrappers and aws:instances).
    let dir = tempfile::tempdir().unwrap();
    let kops = dir.path().join("config.yaml");
    std::fs::write(&kops, "clusterID: k8s.example.com\nserver:\n  mapRoles:\n  - roleARN: arn:aws:iam::111122223333:role/nodes.k8s.example.com\n    username: aws:{{AccountID}}:instance:{{SessionName}}\n    groups:\n    - system:bootstrappers\n    - aws:instances\n  - roleARN: arn:aws:iam::111122223333:role/KubernetesAdmin\n    username: kubernetes-admin\n    groups:\n    - system:masters\n").unwrap();
    let before = read(&kops);
    on_file(
        &kops,
        &[
            "--as-arn",
            "arn:aws:iam::111122223333:role/KubernetesAdmin",
            "create",
            "--yes",
            "--skip-iam-check",
            "--update",
            "--arn",
            "arn:aws:iam::111122223333:role/nodes.k8s.example.com",
            "--group",
            "system:bootstrappers",
        ],
    )
    .code(3)
    .stderr(predicate::str::contains("`aws:instances`"));
    assert_eq!(read(&kops), before);
}

/// Item 6: entries the authenticator can never match (a role path, an assumed-role ARN) are not admins:
/// deleting the only admin that works is refused although a dead one is left (corpus 012, 029, 031).
#[test]
fn dead_admin_entries_do_not_count() {
    let roles = format!(
        "{NODE}{}{}",
        entry(
            "role",
            "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0123",
            "sso-admin",
            &["system:masters"]
        ),
        entry(
            "role",
            "arn:aws:sts::111122223333:assumed-role/Admin/jane",
            "jane",
            &["system:masters"]
        )
    );
    let users = entry("user", U_BREAK_GLASS, "break-glass", &["system:masters"]);
    let (_d, path) = manifest(&roles, &users);
    let before = read(&path);
    on_file(
        &path,
        &[
            "delete",
            "--yes",
            "--no-caller-check",
            "--arn",
            U_BREAK_GLASS,
        ],
    )
    .code(3)
    .stderr(predicate::str::contains("[last-system-masters]"));
    assert_eq!(read(&path), before);
}

/// Corpus 012's shape: the SSO role is mapped in mapUsers (working, admin) and, with its path, in mapRoles
/// (dead, a developer). Stripping the path would make the mapRoles entry win (roles are looked up first).
fn demoting_fix() -> (String, String) {
    let roles = format!(
        "{NODE}{}",
        entry(
            "role",
            "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0123",
            "dev-user",
            &["developers"]
        )
    );
    let users = "    - \"groups\":\n      - \"system:masters\"\n      \"userarn\": \"arn:aws:iam::111122223333:role/AWSReservedSSO_Admin_0123\"\n      \"username\": \"admin\"\n".to_string();
    (roles, users)
}

/// Item 7: `validate --fix` and `repair` do not apply a fix that would demote anyone; they say why.
#[test]
fn fixes_never_demote() {
    let sso = "arn:aws:iam::111122223333:role/AWSReservedSSO_Admin_0123";
    let (roles, users) = demoting_fix();
    let (_d, path) = manifest(&roles, &users);
    on_file(&path, &["validate", "--fix", "--yes", "--no-caller-check"])
        .stderr(predicate::str::contains("not fixing IM016"))
        .stderr(predicate::str::contains(
            "would lose the group `system:masters`",
        ));
    assert!(read(&path).contains("role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0123"));
    bin()
        .args(["verify", "--arn", sso, "-f"])
        .arg(&path)
        .assert()
        .code(0)
        .stdout(predicate::str::contains("groups: system:masters"));
    // The same on a cluster.
    let live = Live::new();
    let unindent = |s: &str| {
        s.lines()
            .map(|l| format!("{}\n", &l[4..]))
            .collect::<String>()
    };
    let data = BTreeMap::from([
        ("mapRoles".to_string(), unindent(&roles)),
        ("mapUsers".to_string(), unindent(&users)),
    ]);
    live.server.seed_aws_auth(&data);
    live.run(&["repair", "--yes", "--no-caller-check"])
        .stderr(predicate::str::contains("not fixing IM016"));
    let got: BTreeMap<String, String> =
        serde_json::from_value(live.server.aws_auth().unwrap()["data"].clone()).unwrap();
    assert_eq!(got, data);
}

/// Item 8: a restore that fixes mapUsers but breaks mapRoles drops an entry, and is refused for it.
#[test]
fn drops_are_compared_entry_by_entry() {
    let live = Live::new();
    let roles = "- rolearn: arn:aws:iam::111122223333:role/eks-node\n  username: system:node:{{EC2PrivateDNSName}}\n  groups:\n    - system:bootstrappers\n    - system:nodes\n- rolearn: arn:aws:iam::111122223333:role/Admin\n  username: admin\n  groups:\n    - system:masters\n- rolearn: arn:aws:iam::111122223333:role/Dev\n  username: dev\n  groups:\n    - developers\n";
    let users_broken = "- user_arn: arn:aws:iam::111122223333:user/bob\n  username: bob\n";
    live.server.seed_aws_auth(&BTreeMap::from([
        ("mapRoles".to_string(), roles.to_string()),
        ("mapUsers".to_string(), users_broken.to_string()),
    ]));
    let before = live.server.aws_auth().unwrap();
    let indent = |s: &str| s.lines().map(|l| format!("    {l}\n")).collect::<String>();
    let file = live.dir.path().join("swap.yaml");
    std::fs::write(
        &file,
        format!(
            "{HEADER}  mapRoles: |\n{}  mapUsers: |\n{}",
            indent(&roles.replace(
                "- rolearn: arn:aws:iam::111122223333:role/Dev",
                "- role_arn: arn:aws:iam::111122223333:role/Dev"
            )),
            indent("- userarn: arn:aws:iam::111122223333:user/bob\n  username: bob\n")
        ),
    )
    .unwrap();
    live.run(&[
        "--as-arn",
        R_ADMIN,
        "restore",
        "--yes",
        file.to_str().unwrap(),
    ])
    .code(3)
    .stderr(predicate::str::contains("[drops-entries]"))
    .stderr(predicate::str::contains("an entry of `mapRoles`"));
    assert_eq!(live.server.aws_auth().unwrap(), before);
}

/// Item 9: a restore that grants `system:masters` to a principal of another account shows who gains
/// access and needs an explicit acknowledgement with --yes.
#[test]
fn restores_that_add_power_are_shown_and_foreign_admins_acknowledged() {
    let live = Live::new();
    let roles = "- rolearn: arn:aws:iam::111122223333:role/eks-node\n  username: system:node:{{EC2PrivateDNSName}}\n  groups:\n    - system:bootstrappers\n    - system:nodes\n- rolearn: arn:aws:iam::111122223333:role/Admin\n  username: admin\n  groups:\n    - system:masters\n";
    live.server.seed_aws_auth(&BTreeMap::from([(
        "mapRoles".to_string(),
        roles.to_string(),
    )]));
    let before = live.server.aws_auth().unwrap();
    let indent = |s: &str| s.lines().map(|l| format!("    {l}\n")).collect::<String>();
    let file = live.dir.path().join("tampered.yaml");
    std::fs::write(
        &file,
        format!(
            "{HEADER}  mapRoles: |\n{}    - rolearn: arn:aws:iam::999988887777:role/Intruder\n      username: \"ops\"\n      groups:\n        - system:masters\n",
            indent(roles)
        ),
    )
    .unwrap();
    live.run(&["--as-arn", R_ADMIN, "restore", "--yes", file.to_str().unwrap()])
        .code(3)
        .stderr(predicate::str::contains(
            "`arn:aws:iam::999988887777:role/Intruder` gains access as `ops` with groups [system:masters] (cluster admin for another AWS account)",
        ))
        .stderr(predicate::str::contains("--allow-cross-account-admin"));
    assert_eq!(live.server.aws_auth().unwrap(), before);
    live.run(&[
        "--as-arn",
        R_ADMIN,
        "restore",
        "--yes",
        "--allow-cross-account-admin",
        file.to_str().unwrap(),
    ])
    .code(0)
    .stderr(predicate::str::contains(
        "warning: this change makes `arn:aws:iam::999988887777:role/Intruder` cluster admin",
    ));
}

// ---------------------------------------------------------------------------------------------------
// Backups

const LIVE_ROLES: &str = "- rolearn: arn:aws:iam::111122223333:role/eks-node\n  username: system:node:{{EC2PrivateDNSName}}\n  groups:\n    - system:bootstrappers\n    - system:nodes\n- rolearn: arn:aws:iam::111122223333:role/Admin\n  username: admin\n  groups:\n    - system:masters\n";

fn roles_of(live: &Live) -> String {
    live.server.aws_auth().unwrap()["data"]["mapRoles"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Item 10: two clusters whose contexts have the same name share a backup directory; neither is offered
/// the other's backups, and a backup of one is refused on the other unless forced.
#[test]
fn backups_belong_to_their_cluster() {
    let (a, b) = (Live::new(), Live::new());
    for l in [&a, &b] {
        l.server.seed_aws_auth(&BTreeMap::from([(
            "mapRoles".to_string(),
            LIVE_ROLES.to_string(),
        )]));
    }
    // Both kubeconfigs name their context `test`; both use A's backup directory.
    let on_b = |args: &[&str]| {
        bin()
            .env("KUBECONFIG", &b.kubeconfig)
            .arg("--backup-dir")
            .arg(a.backups())
            .args(args)
            .assert()
    };
    a.run(&[
        "--as-arn",
        R_ADMIN,
        "create",
        "--yes",
        "--skip-iam-check",
        "--skip-rbac-check",
        "--arn",
        R_DEV,
        "--group",
        "g",
    ])
    .code(0);
    on_b(&["--as-arn", R_ADMIN, "restore", "--latest", "--yes"])
        .code(2)
        .stderr(predicate::str::contains(
            "there is no backup of this cluster",
        ))
        .stderr(predicate::str::contains("2 backups in"))
        .stderr(predicate::str::contains("of another cluster"));
    assert!(!roles_of(&b).contains("role/Dev"));
    let listed: Value = serde_json::from_slice(
        &on_b(&["backup", "list", "-o", "json"])
            .code(0)
            .get_output()
            .stdout,
    )
    .unwrap();
    assert!(
        listed
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["thisCluster"] == false),
        "{listed:#}"
    );
    // Naming the file does not help either, unless asked for.
    let a_after = a.records("after").pop().unwrap();
    on_b(&[
        "--as-arn",
        R_ADMIN,
        "restore",
        "--yes",
        a_after.to_str().unwrap(),
    ])
    .code(3)
    .stderr(predicate::str::contains("is a backup of another cluster"));
    on_b(&[
        "--as-arn",
        R_ADMIN,
        "restore",
        "--yes",
        "--allow-other-cluster",
        a_after.to_str().unwrap(),
    ])
    .code(0);
    assert!(roles_of(&b).contains("role/Dev"));
}

/// Item 11: `restore --latest` puts back the newest state known good (what iamidmap last wrote), not the
/// state before its last write; `--before` undoes the last write; `backup list` tells them apart.
#[test]
fn latest_is_the_newest_known_good_state() {
    let live = Live::new();
    live.server.seed_aws_auth(&BTreeMap::from([(
        "mapRoles".to_string(),
        LIVE_ROLES.to_string(),
    )]));
    live.run(&[
        "--as-arn",
        R_ADMIN,
        "create",
        "--yes",
        "--skip-iam-check",
        "--skip-rbac-check",
        "--arn",
        R_DEV,
        "--group",
        "g",
    ])
    .code(0);
    let written = roles_of(&live);
    // Another tool drops the new entry.
    live.server.seed_aws_auth(&BTreeMap::from([(
        "mapRoles".to_string(),
        LIVE_ROLES.to_string(),
    )]));
    live.run(&["--as-arn", R_ADMIN, "restore", "--latest", "--yes"])
        .code(0)
        .stderr(predicate::str::contains("restoring the state a write left"));
    assert_eq!(
        roles_of(&live),
        written,
        "the last legitimate change is back"
    );
    // --before: the state before the last write (the restore): without the entry again.
    live.run(&[
        "--as-arn",
        R_ADMIN,
        "--no-caller-check",
        "restore",
        "--before",
        "--yes",
    ])
    .code(2)
    .stderr(predicate::str::contains("cannot be used with"));
    live.run(&["--as-arn", R_ADMIN, "restore", "--before", "--yes"])
        .code(0)
        .stderr(predicate::str::contains(
            "restoring the state before a write",
        ));
    assert_eq!(roles_of(&live), LIVE_ROLES);
    let listed: Value = serde_json::from_slice(
        &live
            .cmd()
            .args(["backup", "list", "-o", "json"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let states: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["state"].as_str().unwrap())
        .collect();
    assert_eq!(
        states,
        ["before", "after", "before", "after", "before", "after"]
    );
}

/// Item 12: a backup directory others may write to (or that another user owns) is refused; files iamidmap
/// did not write, or dated in the future, are skipped and named; "latest" is chosen by the recorded time.
#[test]
fn planted_backups_and_unsafe_directories_are_refused() {
    use std::os::unix::fs::PermissionsExt;
    let live = Live::new();
    live.server.seed_aws_auth(&BTreeMap::from([(
        "mapRoles".to_string(),
        LIVE_ROLES.to_string(),
    )]));
    live.run(&[
        "--as-arn",
        R_ADMIN,
        "create",
        "--yes",
        "--skip-iam-check",
        "--skip-rbac-check",
        "--arn",
        R_DEV,
        "--group",
        "g",
    ])
    .code(0);
    let dir = live.backups();
    let genuine = std::fs::read_to_string(live.records("after").pop().unwrap()).unwrap();
    // A file with no header, named to sort last; a forged header dated in the future; a genuine-looking
    // header dated long ago with a name that sorts last.
    std::fs::write(
        dir.join("99991231T235959.999Z-rv9-after.yaml"),
        "apiVersion: v1\nkind: ConfigMap\ndata: {}\n",
    )
    .unwrap();
    let future = genuine
        .lines()
        .map(|l| {
            if l.starts_with("# time: ") {
                "# time: 2999-01-01T00:00:00Z"
            } else {
                l
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        .replace("role/Dev", "role/Planted");
    std::fs::write(dir.join("29990101T000000.000Z-rv9-after.yaml"), &future).unwrap();
    let old = future.replace(
        "# time: 2999-01-01T00:00:00Z",
        "# time: 2001-01-01T00:00:00Z",
    );
    std::fs::write(dir.join("zzzz-after.yaml"), &old).unwrap();
    live.run(&["--as-arn", R_ADMIN, "restore", "--latest", "--yes"])
        .code(0)
        .stderr(predicate::str::contains("99991231T235959.999Z-rv9-after.yaml`: not a backup iamidmap wrote"))
        .stderr(predicate::str::contains("29990101T000000.000Z-rv9-after.yaml`: its recorded time 2999-01-01T00:00:00Z is in the future"))
        .stderr(predicate::str::contains("nothing to change"));
    assert!(!roles_of(&live).contains("Planted"));
    // A directory others may write to is not used, for reading or writing.
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
    live.run(&["--as-arn", R_ADMIN, "restore", "--latest", "--yes"])
        .code(3)
        .stderr(predicate::str::contains("is writable by everyone"));
    live.run(&["--as-arn", R_ADMIN, "delete", "--yes", "--arn", R_DEV])
        .code(3)
        .stderr(predicate::str::contains("chmod 700"));
    assert!(roles_of(&live).contains("role/Dev"));
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o770)).unwrap();
    live.run(&["backup"])
        .code(3)
        .stderr(predicate::str::contains("is writable by its group"));
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    // Owned by another user: only root can make one here.
    if rustix_euid_is_root() {
        std::os::unix::fs::chown(&dir, Some(65534), None).unwrap();
        live.run(&["backup"])
            .code(3)
            .stderr(predicate::str::contains("belongs to another user"));
    } else {
        eprintln!(
            "note: not root, so a directory of another user cannot be made; the owner check is not exercised here"
        );
    }
}

fn rustix_euid_is_root() -> bool {
    std::fs::metadata("/proc/self").is_ok_and(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0)
}

/// Item 13: a password in the server URL never reaches a backup or the output; doctor redacts the
/// values of token-like plugin arguments.
#[test]
#[cfg_attr(
    iamidmap_skip_aws,
    ignore = "the AWS CLI or moto is not installed (IAMIDMAP_ALLOW_SKIP=1)"
)]
fn credentials_never_reach_backups_or_hints() {
    let live = Live::new();
    live.server.seed_aws_auth(&BTreeMap::from([(
        "mapRoles".to_string(),
        LIVE_ROLES.to_string(),
    )]));
    let url = live.server.url().replace("://", "://ops:s3cr3t-pw@");
    let kc = std::fs::read_to_string(&live.kubeconfig)
        .unwrap()
        .replace(&live.server.url(), &url);
    std::fs::write(&live.kubeconfig, kc).unwrap();
    let out = live
        .cmd()
        .args([
            "-v",
            "--as-arn",
            R_ADMIN,
            "create",
            "--yes",
            "--skip-iam-check",
            "--skip-rbac-check",
            "--arn",
            R_DEV,
            "--group",
            "g",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(!String::from_utf8_lossy(&out.stderr).contains("s3cr3t-pw"));
    let listed = live.cmd().args(["backup", "list"]).output().unwrap();
    assert!(!String::from_utf8_lossy(&listed.stdout).contains("s3cr3t-pw"));
    for f in std::fs::read_dir(live.backups()).unwrap() {
        let text = std::fs::read_to_string(f.unwrap().path()).unwrap();
        assert!(!text.contains("s3cr3t-pw"), "{text}");
        assert!(
            text.contains(&format!("# server: {}", live.server.url())),
            "{text}"
        );
    }
    // doctor with a plugin given a secret on its command line.
    let Some(aws) = support::aws_cli() else {
        return;
    };
    let kc = json!({
        "apiVersion": "v1", "kind": "Config", "current-context": "c",
        "clusters": [{"name": "c", "cluster": live.server.cluster_entry()}],
        "contexts": [{"name": "c", "context": {"cluster": "c", "user": "u"}}],
        "users": [{"name": "u", "user": {"exec": {
            "apiVersion": "client.authentication.k8s.io/v1beta1", "command": aws.to_str().unwrap(),
            "args": ["eks", "get-token", "--cluster-name", "prod", "--token", "tok-SECRET-1", "--client-secret=tok-SECRET-2"],
            "interactiveMode": "Never"}}}],
    });
    let path = live.dir.path().join("kc-secret");
    std::fs::write(&path, serde_json::to_string(&kc).unwrap()).unwrap();
    let out = bin()
        .env("KUBECONFIG", &path)
        .args(["doctor"])
        .output()
        .unwrap();
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(all.contains("--token REDACTED"), "{all}");
    assert!(!all.contains("tok-SECRET"), "{all}");
}

/// Item 14: a burst of conflicts re-plans the write; only the write that lands leaves a backup.
#[test]
fn one_backup_per_successful_write() {
    let live = Live::new();
    live.server.seed_aws_auth(&BTreeMap::from([(
        "mapRoles".to_string(),
        LIVE_ROLES.to_string(),
    )]));
    live.server.set_faults(Faults {
        conflict_next: 3,
        ..Faults::default()
    });
    live.run(&[
        "--as-arn",
        R_ADMIN,
        "create",
        "--yes",
        "--skip-iam-check",
        "--skip-rbac-check",
        "--arn",
        R_DEV,
        "--group",
        "g",
    ])
    .code(0)
    .stderr(predicate::str::contains("changed since it was read"));
    assert_eq!(live.backup_files().len(), 1, "{:?}", live.backup_files());
    assert_eq!(live.records("after").len(), 1);
}

// ---------------------------------------------------------------------------------------------------
// Hostile input

/// Item 15: control, escape and bidi characters from a ConfigMap never reach the terminal raw: `get`,
/// `validate`, `diff`, `check` and error messages show them escaped. JSON output escapes them its own way.
#[test]
fn hostile_characters_never_reach_the_terminal() {
    let hostile = "\r\x1b[2Kok\x1b[8m\u{202e}nimda\u{7}\u{9b}";
    // The same characters as YAML escapes, as a hostile ConfigMap would carry them.
    let users = "    - userarn: arn:aws:iam::999988887777:user/x\n      username: \"\\r\\e[2Kok\\e[8m\\u202enimda\\a\\x9b\"\n      groups:\n        - system:masters\n";
    let (_d, path) = manifest(NODE, users);
    let raw = |s: &str| {
        s.chars()
            .any(|c| c.is_control() && c != '\n' || ('\u{202a}'..='\u{202e}').contains(&c))
    };
    for args in [
        vec!["get"],
        vec!["validate", "--fail-on", "error"],
        vec!["check", "--skip-iam"],
    ] {
        let out = bin().args(&args).arg("-f").arg(&path).output().unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            !raw(&text),
            "{args:?} printed control characters raw: {text:?}"
        );
        assert!(
            text.contains("\\u{1b}[2Kok\\u{1b}[8m\\u{202e}nimda"),
            "{args:?}: {text}"
        );
    }
    let json = bin()
        .args(["get", "-o", "json", "-f"])
        .arg(&path)
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(v[1]["username"], hostile);
    // A diff of the value and an error message naming it.
    let (_d2, clean) = manifest(NODE, "");
    let out = bin()
        .args(["diff", "--from"])
        .arg(&clean)
        .arg("--to")
        .arg(&path)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!raw(&text) && text.contains("\\u{1b}"), "{text:?}");
    let out = bin()
        .args([
            "delete",
            "--yes",
            "--no-caller-check",
            "--username",
            hostile,
            "-f",
        ])
        .arg(&clean)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(
        !raw(&text) && text.contains("no mapping with username"),
        "{text:?}"
    );
}

/// Item 16: `-f /dev/zero` or an endless standard input stops at the read limit with a clear error.
#[test]
fn reads_are_bounded() {
    bin()
        .args(["get", "-f", "/dev/zero"])
        .timeout(std::time::Duration::from_secs(20))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("`/dev/zero` is larger than 8 MiB"))
        .stderr(predicate::str::contains("kubectl get configmap aws-auth"));
    let zero = std::fs::File::open("/dev/zero").unwrap();
    let out = support::command(assert_cmd::cargo::cargo_bin("iamidmap"))
        .args(["validate", "-f", "-"])
        .stdin(zero)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("`<stdin>` is larger than 8 MiB"));
}

/// Item 17: create refuses what IAM could never issue, and control characters or empty groups, before any
/// request (exit 2, nothing sent).
#[test]
fn create_validates_its_input_before_any_io() {
    let live = Live::new();
    let long = format!("arn:aws:iam::111122223333:role/{}", "r".repeat(65));
    let deep = format!("arn:aws:iam::111122223333:user/{}/bob", "p".repeat(520));
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec![
                "--arn".into(),
                "arn:aws:iam::111122223333:role/Ad min".into(),
                "--group".into(),
                "g".into(),
            ],
            "a space",
        ),
        (
            vec![
                "--arn".into(),
                "arn:aws:iam::111122223333:role/Ad\u{1b}min".into(),
                "--group".into(),
                "g".into(),
            ],
            "control character",
        ),
        (
            vec![
                "--arn".into(),
                "arn:aws:iam::111122223333:role/Admín".into(),
                "--group".into(),
                "g".into(),
            ],
            "non-ASCII",
        ),
        (
            vec![
                "--arn".into(),
                "arn:aws:iam:us-east-1:111122223333:role/Admin".into(),
                "--group".into(),
                "g".into(),
            ],
            "has region `us-east-1`",
        ),
        (
            vec!["--arn".into(), long, "--group".into(), "g".into()],
            "at most 64",
        ),
        (
            vec!["--arn".into(), deep, "--group".into(), "g".into()],
            "at most 512",
        ),
        (
            vec![
                "--arn".into(),
                "arn:aws:iam::111122223333:role/Ad#min".into(),
                "--group".into(),
                "g".into(),
            ],
            "`#` is not allowed",
        ),
        (
            vec![
                "--arn".into(),
                R_DEV.into(),
                "--username".into(),
                "dev\r\x1b[8m".into(),
            ],
            "control or invisible",
        ),
        (
            vec![
                "--arn".into(),
                R_DEV.into(),
                "--group".into(),
                "dev\u{202e}".into(),
            ],
            "control or invisible",
        ),
        (
            vec!["--arn".into(), R_DEV.into(), "--group".into(), "".into()],
            "--group is empty",
        ),
    ];
    for (args, why) in cases {
        live.server.clear_log();
        live.cmd()
            .arg("create")
            .arg("--yes")
            .args(&args)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(why));
        assert!(live.server.log().is_empty(), "{args:?}: requests were made");
    }
    assert!(live.server.aws_auth().is_none());
}

/// Item 18: the 1 MiB limit counts `data` and `binaryData` values, as the API server does.
#[test]
fn the_size_limit_counts_binary_data() {
    use base64::Engine;
    let live = Live::new();
    let blob = base64::engine::general_purpose::STANDARD.encode(vec![7u8; 1024 * 1024 - 600]);
    live.server.seed(
        "/api/v1/namespaces/kube-system/configmaps/aws-auth",
        json!({"metadata": {}, "data": {"mapRoles": LIVE_ROLES}, "binaryData": {"blob": blob}}),
    );
    live.run(&[
        "--as-arn",
        R_ADMIN,
        "create",
        "--yes",
        "--skip-iam-check",
        "--skip-rbac-check",
        "--arn",
        "arn:aws:iam::111122223333:role/a-role-with-a-name-long-enough-to-cross-the-limit",
        "--username",
        &"u".repeat(300),
        "--group",
        "g",
    ])
    .code(3)
    .stderr(predicate::str::contains("[size-limit]"));
    assert!(!live.server.log().iter().any(|l| l.method == "PUT"));
}

/// Item 19: `-f LINK` edits the file the link points to and keeps the link; a hard-linked file is
/// replaced, and the user is told its other names keep the old content.
#[test]
fn symlinks_are_followed_and_hard_links_named() {
    let (dir, real) = manifest(NODE, "");
    let link = dir.path().join("link.yaml");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    on_file(
        &link,
        &[
            "create",
            "--yes",
            "--skip-iam-check",
            "--arn",
            R_DEV,
            "--group",
            "g",
        ],
    )
    .code(0)
    .stderr(predicate::str::contains("through the symbolic link"));
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert!(read(&real).contains("role/Dev"));
    let hard = dir.path().join("hard.yaml");
    std::fs::hard_link(&real, &hard).unwrap();
    on_file(
        &real,
        &[
            "create",
            "--yes",
            "--skip-iam-check",
            "--arn",
            "arn:aws:iam::111122223333:role/Ops",
            "--group",
            "g",
        ],
    )
    .code(0)
    .stderr(predicate::str::contains("had 1 other hard link"));
    assert!(read(&real).contains("role/Ops") && !read(&hard).contains("role/Ops"));
}

/// Item 21: `restore FILE` puts back the identity mappings and keeps the live ConfigMap's other data keys,
/// unless `--all-keys`.
#[test]
fn restore_keeps_other_data_keys() {
    let live = Live::new();
    live.server.seed_aws_auth(&BTreeMap::from([
        ("mapRoles".to_string(), LIVE_ROLES.to_string()),
        ("featureFlags".to_string(), "on\n".to_string()),
    ]));
    let indent = |s: &str| s.lines().map(|l| format!("    {l}\n")).collect::<String>();
    let file = live.dir.path().join("backup.yaml");
    std::fs::write(
        &file,
        format!(
            "{HEADER}  mapRoles: |\n{}{}",
            indent(LIVE_ROLES),
            entry("role", R_DEV, "dev", &["developers"])
        ),
    )
    .unwrap();
    live.run(&[
        "--as-arn",
        R_ADMIN,
        "restore",
        "--yes",
        file.to_str().unwrap(),
    ])
    .code(0)
    .stderr(predicate::str::contains(
        "the live data keys `featureFlags` stay as they are",
    ));
    let data = live.server.aws_auth().unwrap()["data"].clone();
    assert_eq!(data["featureFlags"], "on\n");
    assert!(data["mapRoles"].as_str().unwrap().contains("role/Dev"));
    live.run(&[
        "--as-arn",
        R_ADMIN,
        "restore",
        "--yes",
        "--all-keys",
        file.to_str().unwrap(),
    ])
    .code(0);
    assert!(
        live.server.aws_auth().unwrap()["data"]
            .get("featureFlags")
            .is_none()
    );
}

// ---------------------------------------------------------------------------------------------------
// Unknown write outcomes

const DUPLICATES: &str = "- rolearn: arn:aws:iam::111122223333:role/eks-node\n  username: system:node:{{EC2PrivateDNSName}}\n  groups:\n    - system:bootstrappers\n    - system:nodes\n- rolearn: arn:aws:iam::111122223333:role/Admin\n  username: admin\n  groups:\n    - system:masters\n- rolearn: arn:aws:iam::111122223333:role/Dev\n  username: dev-old\n  groups:\n    - old\n- rolearn: arn:aws:iam::111122223333:role/Dev\n  username: dev\n  groups:\n    - developers\n- rolearn: arn:aws:iam::111122223333:role/teams/Ops\n  username: ops\n  groups:\n    - ops\n";

/// Item 20: every writer (create, delete, restore, repair) under every fault (the answer to the write
/// lost, 5xx, a dropped connection, a burst of conflicts), with duplicate ARNs present: the outcome is
/// settled by reading back, the result is exactly what the same command does without faults (a delete
/// without --all removes one entry, never two), and the one write that landed has its one backup.
#[test]
fn every_writer_settles_unknown_outcomes() {
    let restore_file = tempfile::tempdir().unwrap();
    let restored = restore_file.path().join("restore.yaml");
    let indent = |s: &str| s.lines().map(|l| format!("    {l}\n")).collect::<String>();
    std::fs::write(
        &restored,
        format!(
            "{HEADER}  mapRoles: |\n{}{}",
            indent(DUPLICATES),
            entry(
                "role",
                "arn:aws:iam::111122223333:role/Restored",
                "restored",
                &["viewers"]
            )
        ),
    )
    .unwrap();
    let writers: Vec<(&str, Vec<String>)> = vec![
        (
            "create",
            [
                "create",
                "--yes",
                "--skip-iam-check",
                "--skip-rbac-check",
                "--arn",
                "arn:aws:iam::111122223333:role/New",
                "--group",
                "g",
            ]
            .map(String::from)
            .to_vec(),
        ),
        (
            "delete",
            ["delete", "--yes", "--arn", R_DEV]
                .map(String::from)
                .to_vec(),
        ),
        (
            "restore",
            vec![
                "restore".into(),
                "--yes".into(),
                restored.display().to_string(),
            ],
        ),
        ("repair", ["repair", "--yes"].map(String::from).to_vec()),
    ];
    let faults = [
        (
            "the answer to the write is lost",
            Faults {
                drop_after_write: 1,
                ..Faults::default()
            },
        ),
        (
            "two 500s",
            Faults {
                fail_next: 2,
                ..Faults::default()
            },
        ),
        (
            "a dropped connection",
            Faults {
                drop_next: 1,
                ..Faults::default()
            },
        ),
        (
            "three conflicts",
            Faults {
                conflict_next: 3,
                ..Faults::default()
            },
        ),
    ];
    let seed = BTreeMap::from([("mapRoles".to_string(), DUPLICATES.to_string())]);
    for (writer, args) in &writers {
        // What the command does without faults.
        let twin = Live::new();
        twin.server.seed_aws_auth(&seed);
        twin.cmd()
            .arg("--as-arn")
            .arg(R_ADMIN)
            .args(args)
            .assert()
            .code(0);
        let expected = twin.server.aws_auth().unwrap()["data"].clone();
        assert_ne!(
            expected["mapRoles"], DUPLICATES,
            "{writer} changes something"
        );
        if *writer == "delete" {
            assert_eq!(
                expected["mapRoles"]
                    .as_str()
                    .unwrap()
                    .matches("role/Dev")
                    .count(),
                1
            );
        }
        for (label, fault) in &faults {
            let live = Live::new();
            live.server.seed_aws_auth(&seed);
            live.server.set_faults(fault.clone());
            let out = live
                .cmd()
                .arg("--as-arn")
                .arg(R_ADMIN)
                .args(args)
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(0), "{writer} / {label}: {stderr}");
            let got = live.server.aws_auth().unwrap()["data"].clone();
            assert_eq!(got, expected, "{writer} / {label}: {stderr}");
            assert_eq!(
                live.backup_files().len(),
                1,
                "{writer} / {label}: {:?}",
                live.backup_files()
            );
            assert_eq!(live.records("after").len(), 1, "{writer} / {label}");
            if label.contains("lost") {
                assert!(
                    stderr.contains("was applied (read back"),
                    "{writer} / {label}: {stderr}"
                );
            }
        }
    }
}
