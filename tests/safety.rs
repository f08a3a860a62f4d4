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
            "clusters": [{"name": "prod", "cluster": {"server": live.server.url()}}],
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
        cmd.env("AWS_ACCESS_KEY_ID", &self.ops.0)
            .env("AWS_SECRET_ACCESS_KEY", &self.ops.1)
            .env("AWS_ENDPOINT_URL", &self.sts.url)
            .env("AWS_ENDPOINT_URL_STS", &self.sts.url);
        cmd
    }
}

/// Item 1: the guard protects the identity the cluster sees (the kubeconfig's role), not the shell's.
#[test]
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
        let out = std::process::Command::new(kubectl)
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
