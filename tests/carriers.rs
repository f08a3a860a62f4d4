//! The three carriers of identity mappings: detection and `--kind`, the MountedFile rules of the
//! authenticator config and AWSIamConfig against the EKSConfigMap rules of aws-auth (the assumed-role
//! case), the backend chain, surgical and guarded edits, and a kops-style cluster without aws-auth.

use crate::live::Live;
use crate::support::{self, bin};
use iamidmap::core::document::{AuthDocument, CarrierKind};
use predicates::prelude::*;
use std::path::Path;

fn fixture(name: &str) -> String {
    std::fs::read_to_string(support::fixtures_dir().join(name)).unwrap()
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

const ASSUMED: &str = "arn:aws:sts::111122223333:assumed-role/Deployer/ci-session";

/// The same entry, mapping an assumed-role session ARN, in each carrier.
fn same_entry_in_each_carrier(dir: &Path) {
    write(
        dir,
        "aws-auth.yaml",
        &format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: aws-auth\n  namespace: kube-system\ndata:\n  mapRoles: |\n    - rolearn: {ASSUMED}\n      username: deployer\n      groups:\n        - deployers\n"
        ),
    );
    write(
        dir,
        "config.yaml",
        &format!(
            "clusterID: prod.example.com\nserver:\n  mapRoles:\n  - roleARN: {ASSUMED}\n    username: deployer\n    groups:\n    - deployers\n"
        ),
    );
    write(
        dir,
        "cluster.yaml",
        &format!(
            "apiVersion: anywhere.eks.amazonaws.com/v1alpha1\nkind: Cluster\nmetadata:\n  name: prod\nspec:\n  identityProviderRefs:\n    - kind: AWSIamConfig\n      name: iam\n---\napiVersion: anywhere.eks.amazonaws.com/v1alpha1\nkind: AWSIamConfig\nmetadata:\n  name: iam\nspec:\n  awsRegion: us-west-2\n  backendMode:\n    - EKSConfigMap\n  mapRoles:\n    - roleARN: {ASSUMED}\n      username: deployer\n      groups:\n        - deployers\n"
        ),
    );
}

#[test]
fn each_carrier_is_detected_and_kind_forces_one() {
    let expect = [
        (
            "authenticator-configmap.yaml",
            CarrierKind::AuthenticatorConfig,
            true,
        ),
        (
            "authenticator-config.yaml",
            CarrierKind::AuthenticatorConfig,
            false,
        ),
        ("eksa-cluster.yaml", CarrierKind::AwsIamConfig, false),
        ("multi-document.yaml", CarrierKind::AwsAuth, false),
        ("kubectl-dump.yaml", CarrierKind::AwsAuth, false),
    ];
    for (name, kind, in_configmap) in expect {
        let doc = AuthDocument::parse(name, fixture(name)).unwrap();
        assert_eq!(doc.facts.carrier.kind, kind, "{name}");
        assert_eq!(doc.facts.carrier.in_configmap, in_configmap, "{name}");
    }
    // The EKS Anywhere spec's other documents are not the carrier: only the AWSIamConfig's lists count.
    let eksa = AuthDocument::parse("eksa", fixture("eksa-cluster.yaml")).unwrap();
    assert_eq!(eksa.facts.name.as_deref(), Some("aws-iam-auth-config"));
    assert_eq!(eksa.facts.carrier.clusters.len(), 1);
    assert_eq!((eksa.roles.entries.len(), eksa.users.entries.len()), (1, 1));

    let dir = support::fixtures_dir();
    bin()
        .current_dir(&dir)
        .args(["get", "-f", "eksa-cluster.yaml", "--kind", "aws-auth"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "eksa-cluster.yaml: no aws-auth ConfigMap found",
        ));
    bin()
        .current_dir(&dir)
        .args(["get", "-f", "list.yaml", "--kind", "awsiamconfig"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "list.yaml: no EKS Anywhere AWSIamConfig found (no document of kind `AWSIamConfig`)",
        ));
    bin()
        .current_dir(&dir)
        .args([
            "get",
            "-f",
            "authenticator-configmap.yaml",
            "--kind",
            "authenticator-config",
            "-o",
            "json",
        ])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("\"account\": \"012345678912\""));
    // An AWSIamConfig is edited in the cluster spec, not on a cluster.
    bin()
        .args([
            "get",
            "--kind",
            "awsiamconfig",
            "--kubeconfig",
            "/nonexistent",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "eksctl anywhere upgrade cluster -f CLUSTER-SPEC.yaml",
        ));
}

#[test]
fn assumed_role_entries_map_only_where_the_backend_canonicalizes_them() {
    let tmp = tempfile::tempdir().unwrap();
    same_entry_in_each_carrier(tmp.path());
    let caller = "arn:aws:sts::111122223333:assumed-role/Deployer/another-session";
    // aws-auth (EKSConfigMap): the session ARN is compared as written, so nobody ever matches it.
    bin()
        .current_dir(tmp.path())
        .args(["verify", "-f", "aws-auth.yaml", "--arn", caller])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("error: identity is not mapped"));
    bin()
        .current_dir(tmp.path())
        .args(["validate", "-f", "aws-auth.yaml"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("error[IM017 assumed-role-arn]"));
    // The authenticator config and AWSIamConfig (MountedFile): the entry is canonicalized to role/Deployer.
    for file in ["config.yaml", "cluster.yaml"] {
        let out = bin()
            .current_dir(tmp.path())
            .args(["verify", "-f", file, "--arn", caller])
            .assert()
            .code(0)
            .get_output()
            .stdout
            .clone();
        let out = String::from_utf8(out).unwrap();
        assert!(out.contains("backend: MountedFile"), "{file}: {out}");
        assert!(out.contains("username: deployer"), "{file}: {out}");
        assert!(out.contains("groups: deployers"), "{file}: {out}");
        let validate = bin()
            .current_dir(tmp.path())
            .args(["validate", "-f", file, "--format", "json"])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&validate.stdout);
        assert!(!text.contains("IM017"), "{file}: {text}");
        assert!(
            !text.contains("IM021"),
            "{file}: roleARN is the documented spelling: {text}"
        );
    }
    // A role path still never matches, in every carrier (callers carry no path).
    bin()
        .current_dir(support::fixtures_dir())
        .args([
            "verify",
            "-f",
            "authenticator-config.yaml",
            "--arn",
            "arn:aws:sts::111122223333:assumed-role/Deployer/s",
        ])
        .assert()
        .code(1);
}

#[test]
fn the_backend_chain_is_searched_in_the_configs_order() {
    let tmp = tempfile::tempdir().unwrap();
    write(
        tmp.path(),
        "aws-auth.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: aws-auth\n  namespace: kube-system\ndata:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Ops\n      username: ops\n      groups: [ops]\n",
    );
    let config = |modes: &str| {
        format!(
            "clusterID: c1\nserver:\n  backendMode: [{modes}]\n  mapRoles:\n  - roleARN: arn:aws:iam::111122223333:role/Admin\n    username: admin\n    groups: [admins]\n  mapAccounts:\n  - \"111122223333\"\n"
        )
    };
    let ops = "arn:aws:sts::111122223333:assumed-role/Ops/s";
    let verify = |file: &str, with_aws_auth: bool| {
        let mut cmd = bin();
        cmd.current_dir(tmp.path())
            .args(["verify", "-f", file, "--arn", ops]);
        if with_aws_auth {
            cmd.args(["--aws-auth", "aws-auth.yaml"]);
        }
        let out = cmd.output().unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    // MountedFile first: its mapAccounts answers before EKSConfigMap's entry is reached (aws-iam-authenticator pkg/server/server.go, doMapping).
    write(tmp.path(), "a.yaml", &config("MountedFile, EKSConfigMap"));
    let (code, out) = verify("a.yaml", true);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("backend: MountedFile"), "{out}");
    assert!(
        out.contains("username: arn:aws:iam::111122223333:role/Ops\ngroups: (none)"),
        "{out}"
    );
    // EKSConfigMap first: the aws-auth entry answers.
    write(tmp.path(), "b.yaml", &config("EKSConfigMap, MountedFile"));
    let (code, out) = verify("b.yaml", true);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("backend: EKSConfigMap"), "{out}");
    assert!(out.contains("username: ops\ngroups: ops"), "{out}");
    assert!(out.contains("line 8 of aws-auth.yaml"), "{out}");
    // Without the aws-auth file, that backend is skipped and says so.
    let (_, out) = verify("b.yaml", false);
    assert!(
        out.contains("note: backend EKSConfigMap was not consulted"),
        "{out}"
    );
    // An invalid list of modes: the server does not start, so nobody is authenticated.
    write(tmp.path(), "c.yaml", &config("MountedFile, MountedFile"));
    let (code, out) = verify("c.yaml", true);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("has duplicates"), "{out}");
}

#[test]
fn structured_edits_are_surgical_and_guarded() {
    let tmp = tempfile::tempdir().unwrap();
    let original = fixture("authenticator-configmap.yaml");
    write(tmp.path(), "cm.yaml", &original);
    let admin = "arn:aws:sts::111122223333:assumed-role/KubernetesAdmin/me";
    let run = |args: &[&str]| {
        let mut cmd = bin();
        cmd.current_dir(tmp.path())
            .args(args)
            .args(["--yes", "--as-arn", admin]);
        if args[0] == "create" {
            cmd.arg("--skip-iam-check");
        }
        cmd.output().unwrap()
    };
    // A user lands under mapUsers, in the neighbours' style and the block's indentation; nothing else moves.
    let out = run(&[
        "create",
        "-f",
        "cm.yaml",
        "--arn",
        "arn:aws:iam::111122223333:user/Bob",
        "--username",
        "bob",
        "--group",
        "viewers",
    ]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let after = std::fs::read_to_string(tmp.path().join("cm.yaml")).unwrap();
    let alice = "      - userARN: arn:aws:iam::111122223333:user/Alice\n        username: alice\n        groups:\n        - system:masters\n";
    let expected = original.replacen(
        alice,
        &format!("{alice}      - userARN: arn:aws:iam::111122223333:user/Bob\n        username: bob\n        groups:\n        - viewers\n"),
        1,
    );
    assert_eq!(after, expected);
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("rollout restart daemonset/aws-iam-authenticator")
    );
    // The assumed-role entry is found by the role's ARN, as the MountedFile backend matches it.
    let out = run(&[
        "delete",
        "-f",
        "cm.yaml",
        "--arn",
        "arn:aws:iam::111122223333:role/Deployer",
        "--dry-run",
    ]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("ci-session"));
    // The guard works on this carrier too: the node role and the caller's own mapping are protected.
    for arn in [
        "arn:aws:iam::111122223333:role/KubernetesNode",
        "arn:aws:iam::111122223333:role/KubernetesAdmin",
    ] {
        let out = run(&["delete", "-f", "cm.yaml", "--arn", arn]);
        assert_eq!(out.status.code(), Some(3), "{arn}: {out:?}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("refused by the lockout guard"));
    }
    assert_eq!(
        std::fs::read_to_string(tmp.path().join("cm.yaml")).unwrap(),
        expected
    );

    // EKS Anywhere: only the AWSIamConfig document changes; the rollout command is printed.
    let spec = fixture("eksa-cluster.yaml");
    write(tmp.path(), "eksa.yaml", &spec);
    let out = run(&[
        "create",
        "-f",
        "eksa.yaml",
        "--arn",
        "arn:aws:iam::111122223333:role/Ops",
        "--username",
        "ops",
        "--group",
        "ops",
    ]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("eksctl anywhere upgrade cluster -f eksa.yaml")
    );
    let after = std::fs::read_to_string(tmp.path().join("eksa.yaml")).unwrap();
    let docs_before: Vec<&str> = spec.split("\n---\n").collect();
    let docs_after: Vec<&str> = after.split("\n---\n").collect();
    assert_eq!(docs_before.len(), docs_after.len());
    for (i, (a, b)) in docs_before.iter().zip(&docs_after).enumerate() {
        if a.contains("\nkind: AWSIamConfig") {
            assert!(b.contains("    - roleARN: arn:aws:iam::111122223333:role/Ops\n      username: ops\n      groups:\n        - ops\n"), "{b}");
        } else {
            assert_eq!(a, b, "document {i} changed");
        }
    }
    // A config that cannot be read is not edited, and the refusal names the file and line.
    write(
        tmp.path(),
        "bad.yaml",
        &fixture("authenticator-configmap-bad-yaml.yaml"),
    );
    let out = run(&[
        "create",
        "-f",
        "bad.yaml",
        "--arn",
        "arn:aws:iam::111122223333:role/x",
        "--username",
        "x",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("bad.yaml:13: `config.yaml` is not valid YAML")
    );
}

#[test]
#[cfg_attr(
    iamidmap_skip_kubectl,
    ignore = "kubectl is not on PATH (IAMIDMAP_ALLOW_SKIP=1)"
)]
fn a_kops_cluster_without_aws_auth_is_managed_through_the_authenticator_configmap() {
    let live = Live::new();
    let manifest = support::fixtures_dir().join("authenticator-configmap.yaml");
    let kubectl = support::kubectl();
    let kc = |args: &[&str]| {
        let out = support::command(kubectl.as_ref().unwrap())
            .env("KUBECONFIG", &live.kubeconfig)
            .arg("--cache-dir")
            .arg(live.dir.path().join("kube-cache"))
            .args(args)
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        assert!(out.status.success(), "kubectl {args:?}: {out:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    let key = "configmaps/kube-system/aws-iam-authenticator";
    let original_config = AuthDocument::parse("f", fixture("authenticator-configmap.yaml"))
        .unwrap()
        .facts
        .data_strings[0]
        .1
        .clone();
    if kubectl.is_some() {
        // As an operator (or kops) put it there.
        kc(&["apply", "-f", manifest.to_str().unwrap()]);
    } else {
        live.server.seed(
            "/api/v1/namespaces/kube-system/configmaps/aws-iam-authenticator",
            serde_json::json!({"metadata": {"labels": {"k8s-app": "aws-iam-authenticator"}}, "data": {"config.yaml": original_config}}),
        );
    }
    assert_eq!(
        live.server.object(key).unwrap()["data"]["config.yaml"],
        original_config.as_str()
    );
    // Detected: aws-auth does not exist, the authenticator's ConfigMap does.
    let out = live.cmd().args(["get"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("arn:aws:iam::111122223333:role/KubernetesAdmin"),
        "{stdout}"
    );
    assert!(stdout.contains("012345678912"), "{stdout}");
    assert!(String::from_utf8_lossy(&out.stderr).contains(
        "configmap kube-system/aws-auth does not exist; using kube-system/aws-iam-authenticator"
    ));
    // An explicit `--kind aws-auth` (or another --name) is taken at its word: no switch.
    let out = live
        .cmd()
        .args(["--kind", "aws-auth", "get"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!stdout.contains("KubernetesAdmin"), "{stdout}");
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("using kube-system/aws-iam-authenticator"),
        "{out:?}"
    );
    // An AWSIamConfig is never a live object: refused before any request, with what to do instead.
    let requests = live.server.log().len();
    let out = live
        .cmd()
        .args(["--kind", "awsiamconfig", "get"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("an AWSIamConfig is part of the EKS Anywhere cluster spec"),
        "{out:?}"
    );
    assert_eq!(live.server.log().len(), requests);
    // A create edits config.yaml in place, backs up first, and says how to roll it out.
    let create_ops = || {
        live.cmd()
            .args([
                "create",
                "--arn",
                "arn:aws:iam::111122223333:role/Ops",
                "--username",
                "ops",
                "--group",
                "ops",
                "--yes",
                "--skip-iam-check",
                "--skip-rbac-check",
                "--as-arn",
                "arn:aws:iam::111122223333:user/Alice",
            ])
            .output()
            .unwrap()
    };
    let out = create_ops();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("kubectl -n kube-system rollout restart daemonset/aws-iam-authenticator"),
        "{stderr}"
    );
    // The same create again: nothing to do, said as for aws-auth (the switch to the authenticator's
    // ConfigMap is not a retry after another writer).
    let again = create_ops();
    assert_eq!(again.status.code(), Some(0), "{again:?}");
    let again = String::from_utf8_lossy(&again.stderr);
    assert!(again.contains("already mapped identically"), "{again}");
    // kube-system/aws-iam-authenticator is read by the authenticator: no "not read" warning.
    assert!(
        !stderr.contains("is not read by the authenticator"),
        "{stderr}"
    );
    assert!(!again.contains("already has the change"), "{again}");
    // In config.yaml the list sits at column 2: the new entry follows the last role, in its style.
    let stored = live.server.object(key).unwrap();
    let got = stored["data"]["config.yaml"].as_str().unwrap().to_string();
    let node_then_ops = "  - roleARN: arn:aws:iam::111122223333:role/KubernetesNode\n    username: system:node:{{EC2PrivateDNSName}}\n    groups:\n    - system:bootstrappers\n    - system:nodes\n  - roleARN: arn:aws:iam::111122223333:role/Ops\n    username: ops\n    groups:\n    - ops\n";
    assert!(got.contains(node_then_ops), "{got}");
    assert_eq!(
        got.replacen(
            "  - roleARN: arn:aws:iam::111122223333:role/Ops\n    username: ops\n    groups:\n    - ops\n",
            "",
            1
        ),
        original_config,
        "nothing but the new entry changed"
    );
    assert_eq!(
        stored["metadata"]["labels"]["k8s-app"],
        "aws-iam-authenticator"
    );
    assert!(
        live.server.aws_auth().is_none(),
        "aws-auth must not be created"
    );
    assert_eq!(live.backup_files().len(), 1);
    // Read back with the AWS semantics: the new role maps, and so does the assumed-role entry's role.
    live.run(&[
        "verify",
        "--arn",
        "arn:aws:sts::111122223333:assumed-role/Deployer/x",
    ])
    .code(0)
    .stdout(predicate::str::contains("username: deployer"));
    if kubectl.is_some() {
        let via_kubectl = kc(&[
            "get",
            "configmap",
            "aws-iam-authenticator",
            "-n",
            "kube-system",
            "-o",
            "jsonpath={.data.config\\.yaml}",
        ]);
        assert_eq!(via_kubectl, got);
    }
}

#[test]
fn fixes_follow_the_carriers_rules() {
    let tmp = tempfile::tempdir().unwrap();
    write(
        tmp.path(),
        "config.yaml",
        &fixture("authenticator-config.yaml"),
    );
    write(
        tmp.path(),
        "cm.yaml",
        &fixture("authenticator-configmap.yaml"),
    );
    let fix = |file: &str| {
        bin()
            .current_dir(tmp.path())
            .args(["validate", "--fix", "-f", file, "--yes", "--as-arn"])
            .arg("arn:aws:iam::111122223333:user/Alice")
            .output()
            .unwrap()
    };
    // The role path is stripped (it never matches, in any carrier)…
    assert!(fix("config.yaml").status.success());
    assert_eq!(
        std::fs::read_to_string(tmp.path().join("config.yaml")).unwrap(),
        fixture("authenticator-config.yaml").replace("role/platform/Deployer", "role/Deployer")
    );
    // …but an assumed-role ARN is left alone where the MountedFile backend canonicalizes it.
    let out = fix("cm.yaml");
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing to fix"));
    assert_eq!(
        std::fs::read_to_string(tmp.path().join("cm.yaml")).unwrap(),
        fixture("authenticator-configmap.yaml")
    );
}

#[test]
fn a_gitops_managed_spec_is_rolled_out_by_flux() {
    let tmp = tempfile::tempdir().unwrap();
    let spec = fixture("eksa-cluster.yaml").replacen(
        "  kubernetesVersion: \"1.31\"\n",
        "  gitOpsRef:\n    kind: FluxConfig\n    name: flux-config\n  kubernetesVersion: \"1.31\"\n",
        1,
    );
    write(tmp.path(), "spec.yaml", &spec);
    bin()
        .current_dir(tmp.path())
        .args([
            "create",
            "-f",
            "spec.yaml",
            "--arn",
            "arn:aws:iam::111122223333:role/Ops",
            "--group",
            "ops",
            "--yes",
            "--skip-iam-check",
            "--as-arn",
            "arn:aws:iam::111122223333:role/EksaAdmin",
        ])
        .assert()
        .code(0)
        .stderr(predicate::str::contains(
            "the cluster is managed with GitOps (gitOpsRef `flux-config`): commit and push spec.yaml, and Flux rolls the AWSIamConfig out",
        ));
}
