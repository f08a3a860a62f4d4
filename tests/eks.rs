//! EKS as it is today: the test EKS API refereed by the real `aws eks` CLI, `--cluster NAME` end to end
//! (DescribeCluster -> the test API server over TLS with the CA EKS gave, a token iamidmap presigned and
//! the server verified through the local STS), and access entries beside aws-auth.

use crate::support::{self, apiserver::ApiServer, apiserver::AwsAuthenticator, eks::EksApi};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::Path;

/// Run the real AWS CLI against the test EKS API: exit code, JSON stdout, stderr.
fn aws(exe: &Path, eks: &EksApi, args: &[&str]) -> (i32, Value, String) {
    let out = support::command(exe)
        .args(args)
        .args([
            "--endpoint-url",
            &eks.url(),
            "--region",
            "us-east-1",
            "--output",
            "json",
        ])
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        serde_json::from_slice(&out.stdout).unwrap_or(Value::Null),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const ADMIN: &str = "arn:aws:iam::111122223333:role/teams/Admin";
const NODE: &str = "arn:aws:iam::111122223333:role/eks-node";

#[test]
fn the_aws_cli_accepts_the_test_eks_api() {
    let Some(exe) = support::aws_cli() else {
        return;
    };
    let eks = EksApi::start("us-east-1");
    eks.add_cluster("prod", "https://127.0.0.1:1", "Q0EK", "API_AND_CONFIG_MAP");
    eks.add_cluster("legacy", "https://127.0.0.1:2", "Q0EK", "CONFIG_MAP");

    let (code, v, err) = aws(&exe, &eks, &["eks", "describe-cluster", "--name", "prod"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        v["cluster"]["arn"],
        "arn:aws:eks:us-east-1:111122223333:cluster/prod"
    );
    assert_eq!(
        v["cluster"]["accessConfig"]["authenticationMode"],
        "API_AND_CONFIG_MAP"
    );
    assert_eq!(v["cluster"]["certificateAuthority"]["data"], "Q0EK");
    let (code, v, _) = aws(&exe, &eks, &["eks", "list-clusters"]);
    assert_eq!(
        (code, v["clusters"].clone()),
        (0, json!(["legacy", "prod"]))
    );

    // Create, describe (defaults filled in), associate a policy, list what is associated.
    let (code, v, err) = aws(
        &exe,
        &eks,
        &[
            "eks",
            "create-access-entry",
            "--cluster-name",
            "prod",
            "--principal-arn",
            ADMIN,
            "--kubernetes-groups",
            "devs",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        v["accessEntry"]["username"],
        "arn:aws:sts::111122223333:assumed-role/Admin/{{SessionName}}"
    );
    let (code, _, err) = aws(
        &exe,
        &eks,
        &[
            "eks",
            "associate-access-policy",
            "--cluster-name",
            "prod",
            "--principal-arn",
            ADMIN,
            "--policy-arn",
            "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
            "--access-scope",
            "type=cluster",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let (code, v, err) = aws(
        &exe,
        &eks,
        &[
            "eks",
            "list-associated-access-policies",
            "--cluster-name",
            "prod",
            "--principal-arn",
            ADMIN,
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(v["principalArn"], ADMIN);
    assert_eq!(
        v["associatedAccessPolicies"][0]["policyArn"],
        "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
    );
    // UpdateAccessEntry (what `migrate apply` uses to drop its bridge group): the groups are replaced.
    let (code, v, err) = aws(
        &exe,
        &eks,
        &[
            "eks",
            "update-access-entry",
            "--cluster-name",
            "prod",
            "--principal-arn",
            ADMIN,
            "--kubernetes-groups",
            "devs",
            "platform",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        v["accessEntry"]["kubernetesGroups"],
        json!(["devs", "platform"])
    );
    let (code, _, err) = aws(
        &exe,
        &eks,
        &[
            "eks",
            "update-access-entry",
            "--cluster-name",
            "prod",
            "--principal-arn",
            ADMIN,
            "--kubernetes-groups",
            "system:masters",
        ],
    );
    assert_ne!(code, 0, "{err}");
    assert!(
        err.contains("(InvalidParameterException) when calling the UpdateAccessEntry operation: The kubernetes group name system:masters is invalid"),
        "{err}"
    );
    let (code, v, err) = aws(
        &exe,
        &eks,
        &[
            "eks",
            "update-access-entry",
            "--cluster-name",
            "prod",
            "--principal-arn",
            ADMIN,
            "--kubernetes-groups",
            "devs",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(v["accessEntry"]["kubernetesGroups"], json!(["devs"]));
    let (code, v, err) = aws(
        &exe,
        &eks,
        &[
            "eks",
            "create-access-entry",
            "--cluster-name",
            "prod",
            "--principal-arn",
            NODE,
            "--type",
            "EC2_LINUX",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        v["accessEntry"]["username"],
        "system:node:{{EC2PrivateDNSName}}"
    );
    let (code, v, err) = aws(
        &exe,
        &eks,
        &[
            "eks",
            "describe-access-entry",
            "--cluster-name",
            "prod",
            "--principal-arn",
            ADMIN,
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(v["accessEntry"]["kubernetesGroups"], json!(["devs"]));
    assert_eq!(v["accessEntry"]["type"], "STANDARD");

    // EKS's refusals, as the CLI reports them.
    for (args, expected) in [
        (
            vec![
                "eks",
                "create-access-entry",
                "--cluster-name",
                "prod",
                "--principal-arn",
                "arn:aws:iam::111122223333:role/Ops",
                "--kubernetes-groups",
                "system:masters",
            ],
            "(InvalidParameterException) when calling the CreateAccessEntry operation: The kubernetes group name system:masters is invalid, it cannot start with system:",
        ),
        (
            vec![
                "eks",
                "create-access-entry",
                "--cluster-name",
                "prod",
                "--principal-arn",
                ADMIN,
            ],
            "(ResourceInUseException) when calling the CreateAccessEntry operation",
        ),
        (
            vec![
                "eks",
                "describe-access-entry",
                "--cluster-name",
                "prod",
                "--principal-arn",
                "arn:aws:iam::111122223333:role/Nobody",
            ],
            "(ResourceNotFoundException) when calling the DescribeAccessEntry operation",
        ),
        (
            vec!["eks", "describe-cluster", "--name", "nope"],
            "(ResourceNotFoundException) when calling the DescribeCluster operation: No cluster found for name: nope.",
        ),
        (
            vec!["eks", "list-access-entries", "--cluster-name", "legacy"],
            "(InvalidRequestException) when calling the ListAccessEntries operation: The cluster's authentication mode must be set to one of [API, API_AND_CONFIG_MAP]",
        ),
        (
            vec![
                "eks",
                "update-cluster-config",
                "--name",
                "prod",
                "--access-config",
                "authenticationMode=CONFIG_MAP",
            ],
            "(InvalidParameterException) when calling the UpdateClusterConfig operation: Unsupported authentication mode update from API_AND_CONFIG_MAP to CONFIG_MAP",
        ),
    ] {
        let (code, _, err) = aws(&exe, &eks, &args);
        assert_ne!(code, 0, "{args:?} must fail");
        assert!(err.contains(expected), "{args:?}: {err}");
    }

    // Pagination: the CLI follows nextToken page by page, and hands out its own token with --max-items.
    for i in 0..120 {
        let arn = format!("arn:aws:iam::111122223333:role/r{i:03}");
        eks.add_entry("prod", json!({"principalArn": arn}), &[]);
    }
    let (code, v, err) = aws(
        &exe,
        &eks,
        &[
            "eks",
            "list-access-entries",
            "--cluster-name",
            "prod",
            "--page-size",
            "50",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(v["accessEntries"].as_array().unwrap().len(), 122);
    let pages = eks
        .log()
        .iter()
        .filter(|l| l.path == "/clusters/prod/access-entries" && l.query.contains("maxResults=50"))
        .count();
    assert_eq!(pages, 3, "122 entries in pages of 50");
    let (code, v, err) = aws(
        &exe,
        &eks,
        &[
            "eks",
            "list-access-entries",
            "--cluster-name",
            "prod",
            "--max-items",
            "30",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(v["accessEntries"].as_array().unwrap().len(), 30);
    assert!(v["NextToken"].is_string(), "{v}");

    // The mode moves one way only, and DescribeUpdate reports the change.
    let (code, v, err) = aws(
        &exe,
        &eks,
        &[
            "eks",
            "update-cluster-config",
            "--name",
            "legacy",
            "--access-config",
            "authenticationMode=API_AND_CONFIG_MAP",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let id = v["update"]["id"].as_str().unwrap().to_string();
    let (code, v, err) = aws(
        &exe,
        &eks,
        &[
            "eks",
            "describe-update",
            "--name",
            "legacy",
            "--update-id",
            &id,
        ],
    );
    assert_eq!(
        (code, v["update"]["status"].as_str()),
        (0, Some("Successful")),
        "{err}"
    );
    assert_eq!(eks.mode("legacy"), "API_AND_CONFIG_MAP");

    // A request signed for another service or region is refused, as EKS refuses it.
    let out = support::command(&exe)
        .args([
            "eks",
            "describe-cluster",
            "--name",
            "prod",
            "--endpoint-url",
            &eks.url(),
            "--region",
            "eu-west-1",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("InvalidSignatureException"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A cluster as EKS would run it: the test API server over TLS that authenticates IAM tokens through the
/// local STS, the aws-auth it reads, and the test EKS API that names it.
struct EksCluster {
    server: ApiServer,
    eks: EksApi,
    sts: support::LocalSts,
}

fn aws_auth_roles() -> String {
    format!(
        "- rolearn: arn:aws:iam::111122223333:role/Admin\n  username: admin\n  groups:\n  - system:masters\n- rolearn: {NODE}\n  username: system:node:{{{{EC2PrivateDNSName}}}}\n  groups:\n  - system:bootstrappers\n  - system:nodes\n- rolearn: arn:aws:iam::111122223333:role/Dev\n  username: dev\n  groups:\n  - devs\n"
    )
}

fn eks_cluster(mode: &str) -> Option<EksCluster> {
    let sts = support::local_sts()?;
    let server = ApiServer::start_tls();
    server.seed_aws_auth(&BTreeMap::from([(
        "mapRoles".to_string(),
        aws_auth_roles(),
    )]));
    server.authenticate_with(AwsAuthenticator {
        cluster_id: "prod".into(),
        sts_url: sts.url.clone(),
    });
    // Whom the token of the test's credentials maps to (an access entry of the caller, as EKS answers).
    server.set_whoami(
        json!({"username": "admin", "groups": ["system:masters", "system:authenticated"]}),
    );
    use base64::Engine;
    let ca = base64::engine::general_purpose::STANDARD.encode(server.ca_pem().unwrap());
    let eks = EksApi::start("us-east-1");
    eks.add_cluster("prod", &server.url(), &ca, mode);
    Some(EksCluster { server, eks, sts })
}

impl EksCluster {
    fn cmd(&self, args: &[&str]) -> assert_cmd::Command {
        let mut cmd = support::bin();
        support::aws_endpoint(&mut cmd, &self.sts.url);
        cmd.env("AWS_ENDPOINT_URL_EKS", self.eks.url());
        cmd.args(args);
        cmd
    }
}

fn run(cmd: &mut assert_cmd::Command) -> (i32, String, String) {
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn get_by_cluster_name_needs_no_kubeconfig() {
    let Some(c) = eks_cluster("CONFIG_MAP") else {
        return;
    };
    let (code, stdout, stderr) = run(&mut c.cmd(&[
        "get",
        "--cluster",
        "prod",
        "--region",
        "us-east-1",
        "-o",
        "json",
    ]));
    assert_eq!(code, 0, "{stderr}");
    let rows: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(rows.as_array().unwrap().len(), 3, "{stdout}");
    assert_eq!(rows[0]["rolearn"], "arn:aws:iam::111122223333:role/Admin");
    // The API server saw iamidmap's own presigned token, verified through STS for cluster `prod`.
    let log = c.server.log();
    let auth = log
        .iter()
        .find(|l| l.path.ends_with("/configmaps/aws-auth"))
        .and_then(|l| l.authorization.clone())
        .unwrap();
    assert!(auth.starts_with("Bearer k8s-aws-v1."), "{auth}");
    assert_eq!(log.last().unwrap().status, 200);
    // DescribeCluster only: a CONFIG_MAP cluster has no access entries to list.
    let calls: Vec<String> = c
        .eks
        .log()
        .iter()
        .map(|l| format!("{} {}", l.method, l.path))
        .collect();
    assert_eq!(calls, ["GET /clusters/prod"]);

    // -c and -r, as eksctl spells them; a wrong name is an error that says where to look.
    let (code, _, stderr) = run(&mut c.cmd(&["get", "-c", "nope", "-r", "us-east-1"]));
    assert_eq!(code, 2);
    assert!(
        stderr.contains("EKS has no cluster `nope` in region us-east-1"),
        "{stderr}"
    );
    assert!(
        stderr.contains("aws eks list-clusters --region us-east-1"),
        "{stderr}"
    );
    // --cluster and --context name the cluster twice.
    let (code, _, stderr) = run(&mut c.cmd(&["get", "--cluster", "prod", "--context", "x"]));
    assert_eq!(code, 2);
    assert!(stderr.contains("cannot be used with"), "{stderr}");
}

fn with_entries(c: &EksCluster) {
    c.eks.add_entry(
        "prod",
        json!({"principalArn": ADMIN, "kubernetesGroups": ["platform"]}),
        &[("AmazonEKSClusterAdminPolicy", &[])],
    );
    c.eks.add_entry(
        "prod",
        json!({"principalArn": "arn:aws:iam::111122223333:user/jane", "username": "jane"}),
        &[("AmazonEKSViewPolicy", &["dev", "staging"])],
    );
    c.eks.add_entry(
        "prod",
        json!({"principalArn": NODE, "type": "EC2_LINUX"}),
        &[],
    );
}

#[test]
fn get_shows_access_entries_beside_aws_auth() {
    let Some(c) = eks_cluster("API_AND_CONFIG_MAP") else {
        return;
    };
    with_entries(&c);
    let (code, stdout, stderr) = run(&mut c.cmd(&["get", "--cluster", "prod"]));
    assert_eq!(code, 0, "{stderr}");
    let _guard = support::described("`get --cluster` on an API_AND_CONFIG_MAP cluster: aws-auth rows and access entries in one table with SOURCE and POLICIES; an aws-auth entry whose principal has an access entry (the Admin role, whose entry carries a path; the node role) is marked as unused because the access entry wins, and a warning says so. Dev has only aws-auth and stays live.").bind_to_scope();
    insta::assert_snapshot!("get_with_access_entries", format!("{stdout}---\n{stderr}"));
    let (code, stdout, stderr) = run(&mut c.cmd(&["get", "--cluster", "prod", "-o", "json"]));
    assert_eq!(code, 0, "{stderr}");
    let rows: Value = serde_json::from_str(&stdout).unwrap();
    // aws-auth rows keep eksctl's shape, with where they stand.
    assert_eq!(rows[0]["rolearn"], "arn:aws:iam::111122223333:role/Admin");
    assert_eq!(rows[0]["source"], "aws-auth");
    assert_eq!(
        rows[0]["unusedBecause"],
        format!("shadowed by the access entry of `{ADMIN}`")
    );
    assert_eq!(rows[2]["rolearn"], "arn:aws:iam::111122223333:role/Dev");
    assert!(rows[2].get("unusedBecause").is_none(), "{}", rows[2]);
    // Access entries as EKS describes them, with their policies.
    assert_eq!(
        rows[3]["principalArn"],
        "arn:aws:iam::111122223333:role/eks-node"
    );
    assert_eq!(rows[3]["type"], "EC2_LINUX");
    assert_eq!(rows[4]["principalArn"], ADMIN);
    assert_eq!(rows[4]["source"], "access-entry");
    assert_eq!(
        rows[4]["accessPolicies"],
        json!([{"policyArn": "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy", "accessScope": {"type": "cluster"}}])
    );
    assert_eq!(
        rows[5]["accessPolicies"][0]["accessScope"],
        json!({"type": "namespace", "namespaces": ["dev", "staging"]})
    );
    assert_eq!(rows.as_array().unwrap().len(), 6);
    // --arn finds the access entry by the caller's ARN (no path) as well.
    let (code, stdout, stderr) = run(&mut c.cmd(&[
        "get",
        "--cluster",
        "prod",
        "-o",
        "json",
        "--arn",
        "arn:aws:sts::111122223333:assumed-role/Admin/jane",
    ]));
    assert_eq!(code, 0, "{stderr}");
    let rows: Value = serde_json::from_str(&stdout).unwrap();
    let sources: Vec<&str> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["source"].as_str().unwrap())
        .collect();
    assert_eq!(sources, ["aws-auth", "access-entry"], "{stdout}");
}

#[test]
fn get_says_when_eks_ignores_aws_auth() {
    let Some(c) = eks_cluster("API") else {
        return;
    };
    with_entries(&c);
    let (code, stdout, stderr) = run(&mut c.cmd(&["get", "--cluster", "prod", "-o", "json"]));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("the authentication mode of `arn:aws:eks:us-east-1:111122223333:cluster/prod` is API: EKS ignores aws-auth"),
        "{stderr}"
    );
    let rows: Value = serde_json::from_str(&stdout).unwrap();
    for r in rows
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["source"] == "aws-auth")
    {
        assert_eq!(
            r["unusedBecause"], "ignored: the cluster's authentication mode is API",
            "{r}"
        );
    }
}

#[test]
fn without_a_cluster_name_get_says_access_entries_were_not_read() {
    let server = ApiServer::start_tls();
    server.seed_aws_auth(&BTreeMap::from([(
        "mapRoles".to_string(),
        aws_auth_roles(),
    )]));
    let dir = tempfile::tempdir().unwrap();
    let kc = server.kubeconfig(dir.path());
    let (code, stdout, stderr) =
        run(support::bin().args(["get", "--kubeconfig", kc.to_str().unwrap()]));
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("role/Dev"), "{stdout}");
    assert!(!stdout.contains("SOURCE"), "{stdout}");
    assert!(
        stderr.contains("EKS access entries were not read: the kubeconfig does not say which EKS cluster this is; pass --cluster NAME --region REGION to include them"),
        "{stderr}"
    );
}

/// The caller, as EKS reports it in a SelfSubjectReview: the Admin role (through its access entry).
fn as_admin(c: &EksCluster) {
    c.server.set_whoami(json!({
        "username": "admin", "groups": ["system:masters", "system:authenticated"],
        "extra": {"arn": ["arn:aws:sts::111122223333:assumed-role/Admin/jane"],
                  "canonicalArn": ["arn:aws:iam::111122223333:role/Admin"]}
    }));
}

fn roles_now(c: &EksCluster) -> String {
    c.server.aws_auth().unwrap()["data"]["mapRoles"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn the_guard_counts_access_entries() {
    // CONFIG_MAP: aws-auth is the only way in, so deleting your own entry is a lockout.
    let Some(c) = eks_cluster("CONFIG_MAP") else {
        return;
    };
    as_admin(&c);
    let admin = "arn:aws:iam::111122223333:role/Admin";
    let (code, _, stderr) = run(&mut c.cmd(&["delete", "--cluster", "prod", "--arn", admin, "-y"]));
    assert_eq!(code, 3, "{stderr}");
    assert!(stderr.contains("[caller-loses-access]"), "{stderr}");
    assert!(roles_now(&c).contains("role/Admin"));
    drop(c);

    // API_AND_CONFIG_MAP with an access entry for you (with a path) and the node role: the same delete,
    // and the node role's, change nobody's access, and the guard says why.
    let Some(c) = eks_cluster("API_AND_CONFIG_MAP") else {
        return;
    };
    as_admin(&c);
    with_entries(&c);
    let (code, _, stderr) = run(&mut c.cmd(&["delete", "--cluster", "prod", "--arn", admin, "-y"]));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains(
            "`arn:aws:iam::111122223333:role/Admin` keeps access through its EKS access entry"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("AmazonEKSClusterAdminPolicy keeps a cluster admin"),
        "{stderr}"
    );
    assert!(!roles_now(&c).contains("role/Admin"));
    let (code, _, stderr) = run(&mut c.cmd(&["delete", "--cluster", "prod", "--arn", NODE, "-y"]));
    assert_eq!(code, 0, "{stderr}");
    assert!(!roles_now(&c).contains("eks-node"));
    // A grant in aws-auth to a principal with an access entry grants nothing: said before writing.
    let (code, _, stderr) = run(&mut c.cmd(&[
        "create",
        "--cluster",
        "prod",
        "--arn",
        "arn:aws:iam::111122223333:user/jane",
        "--username",
        "jane",
        "--group",
        "devs",
        "-y",
    ]));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("`arn:aws:iam::111122223333:user/jane` has an EKS access entry, which wins over aws-auth"),
        "{stderr}"
    );
    drop(c);

    // API: aws-auth is not read; a write is pointless and says so before writing.
    let Some(c) = eks_cluster("API") else {
        return;
    };
    as_admin(&c);
    let (code, _, stderr) =
        run(&mut c.cmd(&["delete", "--cluster", "prod", "--arn", admin, "--dry-run"]));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("warning: the authentication mode of `arn:aws:eks:us-east-1:111122223333:cluster/prod` is API: EKS does not read aws-auth, so this change grants and removes no access"),
        "{stderr}"
    );
}

/// eksctl's EMR preset: `create --cluster prod --service-name emr-containers --namespace spark` maps the
/// service-linked role of the cluster's account and applies eksctl's Role and RoleBinding in `spark`.
#[test]
fn the_emr_preset_works_as_in_eksctl() {
    let Some(c) = eks_cluster("CONFIG_MAP") else {
        return;
    };
    as_admin(&c);
    c.server
        .seed("/api/v1/namespaces/spark", json!({"metadata": {}}));
    let args = [
        "create",
        "iamidentitymapping",
        "--cluster",
        "prod",
        "--region",
        "us-east-1",
        "--service-name",
        "emr-containers",
        "--namespace",
        "spark",
        "--yes",
    ];
    let (code, _, stderr) = run(&mut c.cmd(&args));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("applied role `spark/emr-containers`"),
        "{stderr}"
    );
    let role = c
        .server
        .object("roles/spark/emr-containers")
        .expect("the Role");
    assert_eq!(role["rules"].as_array().unwrap().len(), 8, "{role}");
    let binding = c
        .server
        .object("rolebindings/spark/emr-containers")
        .expect("the RoleBinding");
    assert_eq!(binding["subjects"][0]["name"], "emr-containers");
    let roles = roles_now(&c);
    assert!(
        roles.contains(
            "- rolearn: arn:aws:iam::111122223333:role/AWSServiceRoleForAmazonEMRContainers\n  username: emr-containers\n"
        ),
        "{roles}"
    );
    // The ConfigMap stayed in kube-system: nothing was written to spark.
    assert!(c.server.object("configmaps/spark/aws-auth").is_none());
    // Again: the mapping is there, so nothing is added, and the RBAC objects are left alone.
    c.server.clear_log();
    let (code, _, stderr) = run(&mut c.cmd(&args));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        roles_now(&c)
            .matches("AWSServiceRoleForAmazonEMRContainers")
            .count(),
        1
    );
    assert!(
        stderr.contains("role and rolebinding `spark/emr-containers` already grant what EMR on EKS needs: left as they are"),
        "{stderr}"
    );
    assert!(
        !c.server.log().iter().any(|l| l.method == "PATCH"),
        "{:?}",
        c.server.log()
    );
    // Someone narrowed the Role: it is backed up (as `kubectl apply -f` takes it back) before the apply.
    let mut narrowed = role.clone();
    narrowed["rules"] = json!([{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}]);
    c.server.seed(
        "/apis/rbac.authorization.k8s.io/v1/namespaces/spark/roles/emr-containers",
        narrowed,
    );
    let backups = tempfile::tempdir().unwrap();
    let dir = backups.path().join("b");
    let (code, _, stderr) = run(c.cmd(&args).args(["--backup-dir", dir.to_str().unwrap()]));
    assert_eq!(code, 0, "{stderr}");
    let saved: Vec<_> = std::fs::read_dir(dir.join("objects"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(saved.len(), 1, "{saved:?}");
    assert!(
        stderr.contains(&format!(
            "backed up the objects it changes to {}",
            saved[0].display()
        )),
        "{stderr}"
    );
    let text = std::fs::read_to_string(&saved[0]).unwrap();
    // A comment line, then JSON (which is YAML).
    assert!(
        text.starts_with("# iamidmap: role and rolebinding spark/emr-containers as they were at "),
        "{text}"
    );
    let list: Value = serde_json::from_str(text.split_once('\n').unwrap().1).unwrap();
    assert_eq!(list["kind"], "List");
    assert_eq!(list["items"][0]["kind"], "Role");
    assert_eq!(
        list["items"][0]["rules"][0]["verbs"],
        json!(["get"]),
        "{text}"
    );
    assert_eq!(list["items"][1]["kind"], "RoleBinding");
    assert!(list["items"][0]["metadata"]["resourceVersion"].is_null());
    assert_eq!(
        c.server.object("roles/spark/emr-containers").unwrap()["rules"]
            .as_array()
            .unwrap()
            .len(),
        8
    );
    // A dry run and a declined confirmation apply nothing in a new namespace.
    c.server
        .seed("/api/v1/namespaces/etl", json!({"metadata": {}}));
    let etl: Vec<&str> = args
        .iter()
        .map(|a| if *a == "spark" { "etl" } else { a })
        .filter(|a| *a != "--yes")
        .collect();
    let (code, _, stderr) = run(c.cmd(&etl).arg("--dry-run"));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains(
            "dry run: would make sure role and rolebinding `emr-containers` in namespace `etl`"
        ),
        "{stderr}"
    );
    let (code, _, stderr) = run(c.cmd(&etl).write_stdin("n\n"));
    assert_ne!(code, 0, "{stderr}");
    assert!(
        stderr.contains("not writing without confirmation: standard input is not a terminal"),
        "{stderr}"
    );
    assert!(
        c.server.object("roles/etl/emr-containers").is_none(),
        "{stderr}"
    );
    assert!(c.server.object("rolebindings/etl/emr-containers").is_none());
    // eksctl's rules: a namespace is required, and ARN, username and groups do not go with it.
    let (code, _, stderr) = run(&mut c.cmd(&[
        "create",
        "--cluster",
        "prod",
        "--service-name",
        "emr-containers",
        "-y",
    ]));
    assert_eq!(code, 2);
    assert!(
        stderr.contains("--namespace is required with --service-name"),
        "{stderr}"
    );
    let (code, _, stderr) = run(&mut c.cmd(&[
        "create",
        "--cluster",
        "prod",
        "--service-name",
        "emr-containers",
        "--namespace",
        "spark",
        "--arn",
        "arn:aws:iam::111122223333:role/Dev",
        "-y",
    ]));
    assert_eq!(code, 2);
    assert!(stderr.contains("cannot be used with"), "{stderr}");
    let (code, _, stderr) = run(&mut c.cmd(&[
        "create",
        "--cluster",
        "prod",
        "--service-name",
        "spark-operator",
        "--namespace",
        "spark",
        "-y",
    ]));
    assert_eq!(code, 2);
    assert!(
        stderr.contains("invalid value 'spark-operator'"),
        "{stderr}"
    );
}

/// docs/eks.md's table: eksctl's identity-mapping commands, word for word with `iamidmap` in front.
#[test]
fn eksctl_commands_work_with_iamidmap_in_front() {
    let Some(c) = eks_cluster("CONFIG_MAP") else {
        return;
    };
    as_admin(&c);
    c.server
        .seed("/api/v1/namespaces/emr", json!({"metadata": {}}));
    let ops = "arn:aws:iam::111122223333:role/Ops";
    for line in [
        "get iamidentitymapping --cluster prod --region us-east-1",
        "get iamidentitymapping -c prod -r us-east-1 -o json",
        "get iamidentitymapping -c prod -r us-east-1 -o yaml",
        "get iamidentitymapping --cluster prod --arn arn:aws:iam::111122223333:role/Dev",
        "create iamidentitymapping --cluster prod --region us-east-1 --arn arn:aws:iam::111122223333:role/Ops --username ops --group a,b --yes",
        "create iamidentitymapping --cluster prod --region us-east-1 --arn arn:aws:iam::111122223333:role/Ops --username ops --group a --group b --no-duplicate-arns --yes",
        "create iamidentitymapping --cluster prod --account 111122223333 --yes",
        "create iamidentitymapping --cluster prod --service-name emr-containers --namespace emr --yes",
        "delete iamidentitymapping --cluster prod --account 111122223333 --yes",
        "delete iamidentitymapping --cluster prod --arn arn:aws:iam::111122223333:role/Ops --all --yes",
    ] {
        let args: Vec<&str> = line.split(' ').collect();
        let (code, _, stderr) = run(&mut c.cmd(&args));
        assert_eq!(code, 0, "iamidmap {line}\n{stderr}");
    }
    let roles = roles_now(&c);
    assert!(!roles.contains(ops), "{roles}");
    assert!(
        roles.contains("AWSServiceRoleForAmazonEMRContainers"),
        "{roles}"
    );
    assert!(c.server.object("roles/emr/emr-containers").is_some());
}

/// `verify --arn` resolves as EKS does: the access entry first, then aws-auth in the modes that read it.
#[test]
fn verify_resolves_through_access_entries_first() {
    let Some(c) = eks_cluster("API_AND_CONFIG_MAP") else {
        return;
    };
    with_entries(&c);
    let verify = |arn: &str| run(&mut c.cmd(&["verify", "--cluster", "prod", "--arn", arn]));
    let (code, stdout, stderr) = verify("arn:aws:sts::111122223333:assumed-role/Admin/jane");
    assert_eq!(code, 0, "{stderr}");
    let _guard = support::described("`verify --arn` on an API_AND_CONFIG_MAP cluster for a role with an access entry (with a path) and an aws-auth entry: the access entry answers (its default username template rendered with the session name, its groups, its policies by name), and the aws-auth entry is said to be shadowed.").bind_to_scope();
    insta::assert_snapshot!("verify_access_entry", stdout);
    // Dev has only aws-auth: it decides, and the note says why.
    let (code, stdout, _) = verify("arn:aws:sts::111122223333:assumed-role/Dev/sam");
    assert_eq!(code, 0);
    assert!(stdout.contains("username: dev\n"), "{stdout}");
    assert!(
        stdout.contains("has no EKS access entry (mode API_AND_CONFIG_MAP): aws-auth decides"),
        "{stdout}"
    );
    drop(c);
    // In API mode the same Dev is refused: aws-auth is not read.
    let Some(c) = eks_cluster("API") else {
        return;
    };
    with_entries(&c);
    let (code, stdout, _) = run(&mut c.cmd(&[
        "verify",
        "--cluster",
        "prod",
        "--arn",
        "arn:aws:sts::111122223333:assumed-role/Dev/sam",
    ]));
    assert_eq!(code, 1);
    assert!(
        stdout.contains("error: no EKS access entry for `arn:aws:iam::111122223333:role/Dev`, and the cluster's authentication mode API does not read aws-auth"),
        "{stdout}"
    );
}

/// `check` on a live cluster reports what the access entries make of aws-auth (IM061-IM063).
#[test]
fn check_reports_aws_auth_entries_the_access_entries_make_dead_or_fragile() {
    let Some(c) = eks_cluster("API_AND_CONFIG_MAP") else {
        return;
    };
    // Only the Admin role has an access entry; the node role joins through aws-auth alone.
    c.eks.add_entry(
        "prod",
        json!({"principalArn": ADMIN}),
        &[("AmazonEKSClusterAdminPolicy", &[])],
    );
    let check = |c: &EksCluster| {
        let (_, stdout, stderr) = run(&mut c.cmd(&[
            "check",
            "--cluster",
            "prod",
            "-o",
            "json",
            "--skip-iam",
            "--skip-rbac",
        ]));
        let v: Value =
            serde_json::from_str(&stdout).unwrap_or_else(|_| panic!("{stdout}\n{stderr}"));
        let mut rules: Vec<(String, String)> = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["rule"].as_str().unwrap().starts_with("IM06"))
            .map(|f| {
                (
                    f["rule"].as_str().unwrap().to_string(),
                    f["message"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        rules.sort();
        rules
    };
    let found = check(&c);
    let ids: Vec<&str> = found.iter().map(|(r, _)| r.as_str()).collect();
    assert_eq!(ids, ["IM061", "IM063"], "{found:?}");
    assert!(
        found[0]
            .1
            .contains("`arn:aws:iam::111122223333:role/Admin` has an EKS access entry"),
        "{found:?}"
    );
    assert!(
        found[1].1.contains(
            "node role `arn:aws:iam::111122223333:role/eks-node` joins through aws-auth alone"
        ),
        "{found:?}"
    );
    drop(c);
    let Some(c) = eks_cluster("API") else {
        return;
    };
    let found = check(&c);
    let ids: Vec<&str> = found.iter().map(|(r, _)| r.as_str()).collect();
    assert_eq!(ids, ["IM062"], "{found:?}");
    assert!(
        found[0].1.contains("its 3 entries grant nothing"),
        "{found:?}"
    );
}

/// `check --arn` says which source decides for the principal on an EKS cluster.
#[test]
fn check_arn_says_which_source_decides() {
    let Some(c) = eks_cluster("API_AND_CONFIG_MAP") else {
        return;
    };
    with_entries(&c);
    let explain = |c: &EksCluster, arn: &str| {
        run(&mut c.cmd(&[
            "check",
            "--cluster",
            "prod",
            "--arn",
            arn,
            "--skip-iam",
            "--skip-rbac",
        ]))
    };
    let (code, stdout, stderr) = explain(&c, "arn:aws:sts::111122223333:assumed-role/Admin/jane");
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stdout.contains("EKS:        the access entry of `arn:aws:iam::111122223333:role/teams/Admin` decides (mode API_AND_CONFIG_MAP): type STANDARD, username `arn:aws:sts::111122223333:assumed-role/Admin/{{SessionName}}`, groups platform, policies AmazonEKSClusterAdminPolicy; aws-auth below is not used"),
        "{stdout}"
    );
    let (code, stdout, _) = explain(&c, "arn:aws:sts::111122223333:assumed-role/Dev/sam");
    assert_eq!(code, 0, "{stdout}");
    assert!(
        stdout.contains("EKS:        no access entry (mode API_AND_CONFIG_MAP): aws-auth decides"),
        "{stdout}"
    );
    drop(c);
    let Some(c) = eks_cluster("API") else {
        return;
    };
    let (code, stdout, _) = explain(&c, "arn:aws:sts::111122223333:assumed-role/Dev/sam");
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.contains("mode API does not read aws-auth: EKS answers 401 Unauthorized"),
        "{stdout}"
    );
    let (_, json_out, _) = run(&mut c.cmd(&[
        "check",
        "--cluster",
        "prod",
        "--arn",
        "arn:aws:iam::111122223333:role/Dev",
        "--skip-iam",
        "--skip-rbac",
        "-o",
        "json",
    ]));
    let v: Value = serde_json::from_str(&json_out).unwrap();
    assert_eq!(v["eks"]["decidedBy"], "nobody", "{v}");
    assert_eq!(v["eks"]["mode"], "API");
}

/// Without --cluster, the access entries of the cluster an `aws eks get-token --cluster-name` plugin names
/// are read, but only when EKS's endpoint for that name is the kubeconfig's server: another cluster's
/// entries must never vouch for this one (the guard would let a lockout through on their word).
#[test]
fn access_entries_found_through_the_exec_plugin_must_belong_to_the_server() {
    let server = ApiServer::start_tls();
    server.seed_aws_auth(&BTreeMap::from([(
        "mapRoles".to_string(),
        aws_auth_roles(),
    )]));
    let dir = tempfile::tempdir().unwrap();
    // A stand-in for `aws eks get-token` (named `aws`, with its arguments): a token the server accepts.
    let plugin = dir.path().join("aws");
    std::fs::write(
        &plugin,
        "#!/bin/sh\necho '{\"apiVersion\":\"client.authentication.k8s.io/v1beta1\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\"test-token\"}}'\n",
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&plugin, std::fs::Permissions::from_mode(0o755)).unwrap();
    let kc = server.kubeconfig_with_user(
        &dir.path().join("kubeconfig"),
        "prod",
        json!({"exec": {"apiVersion": "client.authentication.k8s.io/v1beta1", "command": plugin.to_str().unwrap(),
            "args": ["eks", "get-token", "--cluster-name", "prod", "--region", "us-east-1"],
            "interactiveMode": "Never"}}),
    );
    for (endpoint, read) in [
        (server.url(), true),
        ("https://127.0.0.1:1".to_string(), false),
    ] {
        let eks = EksApi::start("us-east-1");
        eks.add_cluster("prod", &endpoint, "", "API_AND_CONFIG_MAP");
        eks.add_entry(
            "prod",
            json!({"principalArn": NODE, "type": "EC2_LINUX"}),
            &[],
        );
        let (code, stdout, stderr) = run(support::bin()
            .env("AWS_ENDPOINT_URL_EKS", eks.url())
            .args(["get", "--kubeconfig", kc.to_str().unwrap()]));
        assert_eq!(code, 0, "{stderr}");
        assert_eq!(
            stdout.contains("access-entry"),
            read,
            "{endpoint}: {stdout}\n{stderr}"
        );
        assert_eq!(
            stderr.contains("the exec plugin names cluster `prod`, whose API server is https://127.0.0.1:1, but this connection's server is"),
            !read,
            "{stderr}"
        );
    }
}

/// IM064: access entries bind the principal's unique ID. Against moto's IAM: an entry whose role was
/// deleted, and one whose role was created after the entry (recreated), are reported; an entry newer than
/// its role is not.
#[test]
fn check_reports_access_entries_whose_principal_is_gone_or_recreated() {
    let Some(c) = eks_cluster("API_AND_CONFIG_MAP") else {
        return;
    };
    let Some(aws) = support::aws_cli() else {
        return;
    };
    let role = |name: &str| {
        support::aws_json(
            &aws,
            Some(&c.sts.url),
            &[
                "iam",
                "create-role",
                "--role-name",
                name,
                "--path",
                "/teams/",
                "--assume-role-policy-document",
                "{}",
            ],
            None,
        )["Role"]["CreateDate"]
            .as_str()
            .unwrap()
            .parse::<jiff::Timestamp>()
            .unwrap()
    };
    // moto's account: the IAM the check reads.
    let arn = |name: &str| format!("arn:aws:iam::123456789012:role/teams/{name}");
    let recreated = role("Im064Recreated");
    let kept = role("Im064Kept");
    for name in ["Im064Recreated", "Im064Kept", "Im064Gone"] {
        c.eks
            .add_entry("prod", json!({"principalArn": arn(name)}), &[]);
    }
    // The entry of Im064Recreated is older than its role; Im064Kept's is newer; Im064Gone has no role.
    c.eks.set_created_at(
        "prod",
        &arn("Im064Recreated"),
        (recreated.as_second() - 3600) as f64,
    );
    c.eks
        .set_created_at("prod", &arn("Im064Kept"), (kept.as_second() + 3600) as f64);
    let (_, stdout, stderr) =
        run(&mut c.cmd(&["check", "--cluster", "prod", "-o", "json", "--skip-rbac"]));
    let v: Value = serde_json::from_str(&stdout).unwrap_or_else(|_| panic!("{stdout}\n{stderr}"));
    let mut found: Vec<String> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "IM064")
        .map(|f| f["message"].as_str().unwrap().to_string())
        .collect();
    found.sort();
    assert_eq!(found.len(), 2, "{found:#?}\n{stderr}");
    assert!(
        found[0].starts_with(&format!("role `{}` (ID ", arn("Im064Recreated"))),
        "{found:#?}"
    );
    assert!(
        found[0].contains("after its EKS access entry"),
        "{found:#?}"
    );
    assert_eq!(
        found[1],
        format!(
            "the EKS access entry of `{}` names a role that does not exist in IAM: it grants nobody, and a role created later with that name does not get its access",
            arn("Im064Gone")
        )
    );
}

/// Without `--cluster` or an exec plugin that names it, an EKS API server URL says the region, and the
/// cluster is the one of that region whose endpoint it is (ListClusters, then DescribeCluster of each).
/// The adapter is run directly: a test cannot make an `*.eks.amazonaws.com` name reach 127.0.0.1, so the
/// kubeconfig path up to it is covered by `core::access` tests of `endpoint_region`.
#[test]
fn the_cluster_is_found_from_its_api_server_url() {
    use iamidmap::adapters::eks;
    let api = EksApi::start("eu-west-1");
    let endpoint = |id: &str| format!("https://{id}.gr7.eu-west-1.eks.amazonaws.com");
    // More clusters than one page of ListClusters (100): the paginator follows `nextToken`.
    for i in 0..120 {
        api.add_cluster(
            &format!("c{i:02}"),
            &endpoint(&format!("{i:032X}")),
            "",
            "CONFIG_MAP",
        );
    }
    api.add_cluster(
        "prod",
        &endpoint("ABCDEF0123456789ABCDEF0123456789"),
        "",
        "API_AND_CONFIG_MAP",
    );
    let conf = aws_sdk_eks::Config::builder()
        .behavior_version(aws_sdk_eks::config::BehaviorVersion::latest())
        .region(aws_sdk_eks::config::Region::new("eu-west-1"))
        .endpoint_url(api.url())
        .credentials_provider(aws_sdk_eks::config::Credentials::new(
            "AKIAIOSFODNN7EXAMPLE",
            "secret",
            None,
            None,
            "test",
        ))
        .http_client(iamidmap::adapters::aws::ring_http_client())
        .build();
    let client = aws_sdk_eks::Client::from_conf(conf);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    // The kubeconfig's form of the URL (upper-case ID, :443) is the same server.
    let found = rt
        .block_on(eks::find_by_endpoint(
            &client,
            "https://abcdef0123456789abcdef0123456789.gr7.eu-west-1.eks.amazonaws.com:443",
        ))
        .unwrap()
        .expect("the cluster of that endpoint");
    assert_eq!(found.name, "prod");
    assert_eq!(found.mode.as_deref(), Some("API_AND_CONFIG_MAP"));
    assert_eq!(
        rt.block_on(eks::find_by_endpoint(&client, &endpoint("FFFF")))
            .unwrap(),
        None
    );
    // Two pages per search; the search that finds nothing describes every cluster (the one that finds
    // `prod` may stop before all its describes are sent).
    let log = api.log();
    assert_eq!(log.iter().filter(|l| l.path == "/clusters").count(), 4);
    let described = log
        .iter()
        .filter(|l| l.path.starts_with("/clusters/"))
        .count();
    assert!((121..=2 * 121).contains(&described), "{described}");
}
