//! `doctor` end to end: a kubeconfig whose user runs the real `aws eks get-token`, the local STS (moto),
//! the test API server with aws-auth and RBAC. Five cases: healthy, unmapped (the ConfigMap has the role
//! with a path), mapped without RBAC, an expired token, a missing exec binary.

use crate::support::apiserver::{ApiServer, AwsAuthenticator, Faults};
use crate::support::eks::EksApi;
use crate::support::{self, LocalSts, bin};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

struct World {
    sts: LocalSts,
    aws: PathBuf,
    server: ApiServer,
    /// EKS's view of cluster `prod` (the kubeconfig's plugin names it): mode CONFIG_MAP unless a test
    /// says otherwise; the test API server consults its access entries before aws-auth.
    eks: EksApi,
    dir: tempfile::TempDir,
    key: (String, String),
}

impl World {
    fn start() -> Option<World> {
        let sts = support::local_sts()?;
        let aws = support::aws_cli()?;
        let server = ApiServer::start_tls();
        // The cluster authenticates tokens as EKS does: STS (the local one), then aws-auth.
        server.authenticate_with(AwsAuthenticator {
            cluster_id: "prod".into(),
            sts_url: sts.url.clone(),
        });
        let dir = tempfile::tempdir().unwrap();
        let iam = |args: &[&str]| support::aws_json(&aws, Some(&sts.url), args, None);
        iam(&[
            "iam",
            "create-user",
            "--user-name",
            "alice",
            "--path",
            "/devs/",
        ]);
        let k = iam(&["iam", "create-access-key", "--user-name", "alice"]);
        let key = (
            k["AccessKey"]["AccessKeyId"].as_str().unwrap().to_string(),
            k["AccessKey"]["SecretAccessKey"]
                .as_str()
                .unwrap()
                .to_string(),
        );
        support::create_assumable_role(&aws, &sts.url, "Dev");
        // RBAC: developers may edit pods in team-a.
        server.seed(
            "/apis/rbac.authorization.k8s.io/v1/clusterroles/edit",
            json!({"metadata": {"name": "edit"}, "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list", "create", "delete"]}]}),
        );
        server.seed(
            "/apis/rbac.authorization.k8s.io/v1/namespaces/team-a/rolebindings/developers",
            json!({"metadata": {"name": "developers", "namespace": "team-a"}, "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "edit"}, "subjects": [{"kind": "Group", "name": "developers"}]}),
        );
        Some(World {
            sts,
            aws,
            eks: Self::eks(&server, "CONFIG_MAP"),
            server,
            dir,
            key,
        })
    }

    /// The test EKS API with cluster `prod` in `mode`, whose endpoint is the test API server.
    fn eks(server: &ApiServer, mode: &str) -> EksApi {
        use base64::Engine;
        let ca = base64::engine::general_purpose::STANDARD.encode(server.ca_pem().unwrap());
        let eks = EksApi::start("us-east-1");
        eks.add_cluster("prod", &server.url(), &ca, mode);
        server.consult_access_entries(eks.access_source("prod"));
        eks
    }

    /// The same world with cluster `prod` in another authentication mode.
    fn in_mode(mut self, mode: &str) -> World {
        self.eks = Self::eks(&self.server, mode);
        self
    }

    fn map(&self, map_roles: &str, map_users: &str) {
        let mut data = BTreeMap::new();
        data.insert("mapRoles".to_string(), map_roles.to_string());
        data.insert("mapUsers".to_string(), map_users.to_string());
        self.server.seed_aws_auth(&data);
    }

    /// A kubeconfig whose user runs `command args` with alice's keys.
    fn kubeconfig(&self, command: &str, args: &[&str]) -> PathBuf {
        self.kubeconfig_with(command, args, (&self.key.0, &self.key.1, None))
    }

    /// The same with other credentials (key, secret, session token). No endpoint is set: `aws eks
    /// get-token` presigns offline for the production STS host, and the doctor's STS call goes to the
    /// local STS through --sts-endpoint.
    fn kubeconfig_with(
        &self,
        command: &str,
        args: &[&str],
        creds: (&str, &str, Option<&str>),
    ) -> PathBuf {
        let mut env = vec![
            json!({"name": "AWS_ACCESS_KEY_ID", "value": creds.0}),
            json!({"name": "AWS_SECRET_ACCESS_KEY", "value": creds.1}),
            json!({"name": "AWS_CONFIG_FILE", "value": "/dev/null"}),
            json!({"name": "AWS_SHARED_CREDENTIALS_FILE", "value": "/dev/null"}),
        ];
        if let Some(t) = creds.2 {
            env.push(json!({"name": "AWS_SESSION_TOKEN", "value": t}));
        }
        let kc = json!({
            "apiVersion": "v1", "kind": "Config", "current-context": "prod",
            "clusters": [{"name": "prod", "cluster": self.server.cluster_entry()}],
            "contexts": [{"name": "prod", "context": {"cluster": "prod", "user": "alice"}}],
            "users": [{"name": "alice", "user": {"exec": {
                "apiVersion": "client.authentication.k8s.io/v1beta1", "command": command, "args": args,
                "env": env, "interactiveMode": "Never"}}}],
        });
        let path = self.dir.path().join(format!("kubeconfig-{}", args.len()));
        std::fs::write(&path, serde_json::to_string(&kc).unwrap()).unwrap();
        path
    }

    fn aws_get_token(&self) -> PathBuf {
        self.kubeconfig(self.aws.to_str().unwrap(), &GET_TOKEN)
    }

    fn doctor(&self, kubeconfig: &Path, extra: &[&str]) -> (i32, String, Value) {
        let run = |output: &str| {
            self.doctor_cmd(output)
                .env("KUBECONFIG", kubeconfig)
                .args(extra)
                .output()
                .unwrap()
        };
        let text = run("text");
        let json: Value = serde_json::from_slice(&run("json").stdout).unwrap();
        (
            text.status.code().unwrap(),
            String::from_utf8(text.stdout).unwrap(),
            json,
        )
    }
}

impl World {
    /// `iamidmap doctor --sts-endpoint … -o OUTPUT`. The plugin inherits the environment, as under
    /// kubectl: without this, the isolation's unreachable AWS endpoints would become the host of the
    /// presigned URL. Nothing here calls AWS: `aws eks get-token` presigns offline, doctor's STS call goes
    /// to --sts-endpoint, and EKS (the access entries) is the test EKS API.
    fn doctor_cmd(&self, output: &str) -> assert_cmd::Command {
        let mut cmd = bin();
        support::no_aws_endpoints(&mut cmd);
        cmd.env("AWS_ENDPOINT_URL_EKS", self.eks.url())
            .current_dir(self.dir.path())
            .args(["doctor", "--sts-endpoint", &self.sts.url, "-o", output]);
        cmd
    }

    /// `doctor --cluster NAME --region us-east-1 -o json` with alice's keys in the environment and no
    /// kubeconfig at all.
    fn doctor_by_name(&self, name: &str) -> (i32, Value) {
        let out = self
            .doctor_cmd("json")
            .env("AWS_ACCESS_KEY_ID", &self.key.0)
            .env("AWS_SECRET_ACCESS_KEY", &self.key.1)
            .env("KUBECONFIG", self.dir.path().join("no-such-kubeconfig"))
            .args(["--cluster", name, "--region", "us-east-1"])
            .output()
            .unwrap();
        (
            out.status.code().unwrap(),
            serde_json::from_slice(&out.stdout)
                .unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&out.stderr))),
        )
    }
}

/// `name: status` for every step of a `doctor -o json`.
fn verdicts(report: &Value) -> Vec<String> {
    report["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            format!(
                "{}: {}",
                s["name"].as_str().unwrap(),
                s["status"].as_str().unwrap()
            )
        })
        .collect()
}

fn step<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("no step {name}: {report:#}"))
}

const GET_TOKEN: [&str; 6] = [
    "eks",
    "get-token",
    "--cluster-name",
    "prod",
    "--region",
    "us-east-1",
];

const ALICE: &str = "    - userarn: arn:aws:iam::123456789012:user/devs/alice\n      username: alice\n      groups: [developers]\n";

#[test]
#[cfg_attr(
    iamidmap_skip_aws,
    ignore = "the AWS CLI or moto is not installed (IAMIDMAP_ALLOW_SKIP=1)"
)]
fn doctor_healthy_user() {
    let Some(w) = World::start() else { return };
    w.map("", ALICE);
    // What EKS's SelfSubjectReview answers for alice's token with this mapping.
    w.server
        .set_whoami(json!({"username": "alice", "groups": ["developers", "system:authenticated"]}));
    let kc = w.aws_get_token();
    let (code, text, report) = w.doctor(&kc, &["--can-i", "get", "pods", "--in", "team-a"]);
    assert_eq!(code, 0, "{text}");
    assert_eq!(
        verdicts(&report),
        [
            "kubeconfig: pass",
            "exec plugin: pass",
            "credentials and token: pass",
            "token checks: pass",
            "token lifetime: pass",
            "STS identity: pass",
            "cluster: pass",
            "clock skew: pass",
            "cluster identity: pass",
            "access entry: pass",
            "mapping: pass",
            "mapping (cluster): pass",
            "RBAC: pass",
            "can-i: pass"
        ]
    );
    assert!(text.contains("✓ cluster identity: the cluster authenticates you as `alice`, groups [developers, system:authenticated] (SelfSubjectReview)"), "{text}");
    assert_eq!(
        report["identity"],
        "arn:aws:iam::123456789012:user/devs/alice"
    );
    assert!(text.contains("✓ mapping: mapUsers entry at line 8 of configmap kube-system/aws-auth: username `alice`, groups [developers]"), "{text}");
    assert!(text.contains("✓ can-i: yes: get pods in namespace team-a (ClusterRole edit via RoleBinding team-a/developers)"), "{text}");
    assert!(text.contains("all checks passed"));
    // The token is shown only as a prefix.
    assert!(
        text.contains("(Bearer") || text.contains("k8s-… (redacted"),
        "{text}"
    );
    assert!(!text.contains(&w.key.1));
}

#[test]
#[cfg_attr(
    iamidmap_skip_aws,
    ignore = "the AWS CLI or moto is not installed (IAMIDMAP_ALLOW_SKIP=1)"
)]
fn doctor_unmapped_role_with_a_path_in_the_configmap() {
    let Some(w) = World::start() else { return };
    // The ConfigMap has the role with a path: it never matches the assumed role.
    let roles = "    - rolearn: arn:aws:iam::123456789012:role/teams/Dev\n      username: dev\n      groups: [developers]\n";
    std::fs::write(
        w.dir.path().join("aws-auth.yaml"),
        format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: aws-auth\n  namespace: kube-system\ndata:\n  mapRoles: |\n{roles}"),
    )
    .unwrap();
    // Alice assumes the role; the plugin runs with the session's credentials.
    let session = support::aws_json(
        &w.aws,
        Some(&w.sts.url),
        &[
            "sts",
            "assume-role",
            "--role-arn",
            "arn:aws:iam::123456789012:role/Dev",
            "--role-session-name",
            "alice",
        ],
        Some((&w.key.0, &w.key.1, None)),
    );
    let c = &session["Credentials"];
    let kc = w.kubeconfig_with(
        w.aws.to_str().unwrap(),
        &GET_TOKEN,
        (
            c["AccessKeyId"].as_str().unwrap(),
            c["SecretAccessKey"].as_str().unwrap(),
            c["SessionToken"].as_str(),
        ),
    );
    // As EKS does for an unmapped identity: every request is 401.
    w.server.set_faults(Faults {
        unauthorized: true,
        ..Faults::default()
    });
    let (code, text, report) = w.doctor(&kc, &["-f", "aws-auth.yaml"]);
    assert_eq!(code, 1, "{text}");
    assert_eq!(step(&report, "STS identity")["status"], "pass");
    assert_eq!(step(&report, "cluster")["status"], "fail");
    let mapping = step(&report, "mapping");
    assert_eq!(mapping["status"], "fail");
    let detail = mapping["detail"].as_str().unwrap();
    assert!(detail.starts_with("`arn:aws:iam::123456789012:role/Dev` is not mapped in aws-auth.yaml: the authenticator answers 401 Unauthorized"), "{detail}");
    assert!(
        detail.contains("line 8: `arn:aws:iam::123456789012:role/teams/Dev`"),
        "{detail}"
    );
    assert_eq!(
        mapping["next"],
        "iamidmap create --arn arn:aws:iam::123456789012:role/Dev --username USER --group GROUP (role paths are stripped for you)"
    );
    assert!(text.contains("✗ mapping: "), "{text}");
}

#[test]
#[cfg_attr(
    iamidmap_skip_aws,
    ignore = "the AWS CLI or moto is not installed (IAMIDMAP_ALLOW_SKIP=1)"
)]
fn doctor_mapped_user_without_rbac() {
    let Some(w) = World::start() else { return };
    w.map(
        "",
        "    - userarn: arn:aws:iam::123456789012:user/devs/alice\n      username: alice\n      groups: [nobody-binds-this]\n",
    );
    w.server.set_whoami(
        json!({"username": "alice", "groups": ["nobody-binds-this", "system:authenticated"]}),
    );
    let kc = w.aws_get_token();
    let (code, text, report) = w.doctor(&kc, &["--can-i", "get", "pods"]);
    assert_eq!(code, 1, "{text}");
    assert_eq!(step(&report, "mapping")["status"], "pass");
    let rbac = step(&report, "RBAC");
    assert_eq!(rbac["status"], "fail");
    assert!(
        rbac["detail"]
            .as_str()
            .unwrap()
            .contains("every request beyond discovery is 403 Forbidden")
    );
    assert_eq!(
        rbac["next"],
        "kubectl create clusterrolebinding NAME --clusterrole=view --group=nobody-binds-this"
    );
    let can = step(&report, "can-i");
    assert_eq!(can["status"], "fail");
    assert!(
        can["detail"]
            .as_str()
            .unwrap()
            .starts_with("no: nothing allows get pods in namespace default (403 Forbidden)"),
        "{can:#}"
    );
}

#[test]
#[cfg_attr(
    iamidmap_skip_aws,
    ignore = "the AWS CLI or moto is not installed (IAMIDMAP_ALLOW_SKIP=1)"
)]
#[cfg_attr(
    iamidmap_skip_kubectl,
    ignore = "kubectl is not on PATH (IAMIDMAP_ALLOW_SKIP=1)"
)]
fn doctor_compares_the_mapping_with_the_clusters_answer() {
    let Some(w) = World::start() else { return };
    w.map("", ALICE);
    let kc = w.aws_get_token();
    // The cluster maps alice otherwise (say, an EKS access entry wins): the file is not the whole story.
    w.server.set_whoami(
        json!({"username": "alice-admin", "groups": ["platform-admins", "system:authenticated"]}),
    );
    let (code, text, report) = w.doctor(&kc, &[]);
    assert_eq!(code, 0, "warnings do not fail: {text}");
    let cmp = step(&report, "mapping (cluster)");
    assert_eq!(cmp["status"], "warn");
    assert!(
        cmp["detail"].as_str().unwrap().starts_with("the cluster authenticates you as `alice-admin` (groups [platform-admins, system:authenticated]), but configmap kube-system/aws-auth maps you to `alice` (groups [developers])"),
        "{cmp:#}"
    );
    // Not in the file at all, yet the cluster lets the token in.
    std::fs::write(
        w.dir.path().join("empty.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: aws-auth\n  namespace: kube-system\ndata:\n  mapRoles: |\n    []\n",
    )
    .unwrap();
    let (_, text, report) = w.doctor(&kc, &["-f", "empty.yaml"]);
    let mapping = step(&report, "mapping");
    assert_eq!(mapping["status"], "warn", "{text}");
    assert!(
        mapping["detail"]
            .as_str()
            .unwrap()
            .contains("but the cluster authenticates you as `alice-admin`"),
        "{mapping:#}"
    );
    // The test API server answers SelfSubjectReview as a real one: kubectl agrees.
    if let Some(kubectl) = support::kubectl() {
        // With the same kubeconfig (kubectl runs the same exec plugin, offline).
        let mut cmd = support::command(kubectl);
        for k in [
            "AWS_ENDPOINT_URL",
            "AWS_ENDPOINT_URL_STS",
            "AWS_ENDPOINT_URL_IAM",
            "AWS_ENDPOINT_URL_EKS",
        ] {
            cmd.env_remove(k);
        }
        let out = cmd
            .env("KUBECONFIG", &kc)
            .args(["auth", "whoami", "-o", "json"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        let who: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(who["status"]["userInfo"]["username"], "alice-admin");
    }
}

#[test]
#[cfg_attr(
    iamidmap_skip_aws,
    ignore = "the AWS CLI or moto is not installed (IAMIDMAP_ALLOW_SKIP=1)"
)]
fn doctor_expired_token() {
    let Some(w) = World::start() else { return };
    w.map("", ALICE);
    // A plugin that hands out a token botocore signed 20 minutes ago.
    let script = format!(
        "import base64, datetime, json\nfrom unittest import mock\nimport botocore.auth, botocore.credentials\nfrom botocore.awsrequest import AWSRequest\nold = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None) - datetime.timedelta(minutes=20)\nreq = AWSRequest(method='GET', url='https://sts.us-east-1.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15', headers={{'x-k8s-aws-id': 'prod'}})\nwith mock.patch('botocore.auth.get_current_datetime', return_value=old):\n    botocore.auth.SigV4QueryAuth(botocore.credentials.Credentials('{}', '{}'), 'sts', 'us-east-1', expires=60).add_auth(req)\ntoken = 'k8s-aws-v1.' + base64.urlsafe_b64encode(req.url.encode()).decode().rstrip('=')\nprint(json.dumps({{'kind': 'ExecCredential', 'apiVersion': 'client.authentication.k8s.io/v1beta1', 'spec': {{}}, 'status': {{'token': token}}}}))\n",
        w.key.0, w.key.1
    );
    let plugin = w.dir.path().join("stale-token-plugin.py");
    std::fs::write(&plugin, script).unwrap();
    let kc = w.kubeconfig(
        w.sts.python.to_str().unwrap(),
        &[
            plugin.to_str().unwrap(),
            "--cluster-name",
            "prod",
            "--region",
            "us-east-1",
        ],
    );
    let (code, text, report) = w.doctor(&kc, &[]);
    assert_eq!(code, 1, "{text}");
    assert_eq!(step(&report, "credentials and token")["status"], "pass");
    let checks = step(&report, "token checks");
    assert_eq!(checks["status"], "fail");
    assert!(
        checks["detail"]
            .as_str()
            .unwrap()
            .contains("X-Amz-Date parameter is expired (15 minute expiration)"),
        "{checks:#}"
    );
    let life = step(&report, "token lifetime");
    assert_eq!(life["status"], "fail");
    assert!(
        life["detail"]
            .as_str()
            .unwrap()
            .starts_with("the token expired 5 min ago"),
        "{life:#}"
    );
}

#[test]
#[cfg_attr(
    iamidmap_skip_aws,
    ignore = "the AWS CLI or moto is not installed (IAMIDMAP_ALLOW_SKIP=1)"
)]
fn doctor_missing_exec_binary() {
    let Some(w) = World::start() else { return };
    let kc = w.kubeconfig("aws-iam-authenticator", &["token", "-i", "prod"]);
    let (code, text, report) = w.doctor(&kc, &[]);
    assert_eq!(code, 1);
    assert_eq!(verdicts(&report), ["kubeconfig: pass", "exec plugin: fail"]);
    assert!(
        text.contains(
            "✗ exec plugin: `aws-iam-authenticator` is not on PATH, so kubectl cannot get a token"
        ),
        "{text}"
    );
    assert!(text.contains("    next: install aws-iam-authenticator (https://github.com/kubernetes-sigs/aws-iam-authenticator/releases) on PATH"), "{text}");
    assert!(text.contains("1 check failed: start with the first ✗"));
}

#[test]
#[cfg_attr(
    iamidmap_skip_aws,
    ignore = "the AWS CLI or moto is not installed (IAMIDMAP_ALLOW_SKIP=1)"
)]
fn doctor_follows_the_authenticator_configs_backend_chain() {
    let Some(w) = World::start() else { return };
    // A self-managed cluster: the authenticator's config searches MountedFile, then EKSConfigMap.
    let config = "clusterID: prod\nserver:\n  backendMode: [MountedFile, EKSConfigMap]\n  mapRoles:\n  - roleARN: arn:aws:iam::123456789012:role/Admin\n    username: admin\n    groups: [system:masters]\n";
    w.server.seed(
        "/api/v1/namespaces/kube-system/configmaps/aws-iam-authenticator",
        json!({"data": {"config.yaml": config}}),
    );
    let kc = w.aws_get_token();
    // alice is only in aws-auth: the second backend maps her.
    w.map("", ALICE);
    w.server
        .set_whoami(json!({"username": "alice", "groups": ["developers", "system:authenticated"]}));
    let (code, text, report) = w.doctor(&kc, &["--kind", "authenticator-config"]);
    assert_eq!(code, 0, "{text}");
    let mapping = step(&report, "mapping");
    assert_eq!(mapping["status"], "pass", "{text}");
    assert_eq!(
        mapping["detail"],
        "mapUsers entry at line 8 of configmap kube-system/aws-auth: username `alice`, groups [developers]"
    );
    assert_eq!(step(&report, "mapping (cluster)")["status"], "pass");
    // With a config whose backend modes are invalid, nobody is authenticated.
    w.server.seed(
        "/api/v1/namespaces/kube-system/configmaps/aws-iam-authenticator",
        json!({"data": {"config.yaml": config.replace("[MountedFile, EKSConfigMap]", "[MountedFile, Mounted]")}}),
    );
    let (code, text, report) = w.doctor(&kc, &["--kind", "authenticator-config"]);
    assert_eq!(code, 1, "{text}");
    let mapping = step(&report, "mapping");
    assert_eq!(mapping["status"], "fail");
    assert!(
        mapping["detail"].as_str().unwrap().starts_with(
            "backend-mode \"Mounted\" is not a valid mode: the authenticator refuses to start"
        ),
        "{mapping:#}"
    );
}

/// A user who may not read aws-auth or RBAC (403) still gets an answer to `--can-i`: the cluster's own
/// (SelfSubjectAccessReview), and the summary never calls a skipped step a pass.
#[test]
#[cfg_attr(
    iamidmap_skip_aws,
    ignore = "the AWS CLI or moto is not installed (IAMIDMAP_ALLOW_SKIP=1)"
)]
fn doctor_asks_the_cluster_when_aws_auth_is_forbidden() {
    let Some(w) = World::start() else { return };
    w.map(
        "",
        "    - userarn: arn:aws:iam::123456789012:user/devs/alice\n      username: alice\n      groups: [devs]\n",
    );
    w.server
        .set_whoami(json!({"username": "alice", "groups": ["devs", "system:authenticated"]}));
    w.server.set_faults(Faults {
        forbidden: [
            "get configmaps",
            "list configmaps",
            "list clusterrolebindings",
            "list rolebindings",
            "list clusterroles",
            "list roles",
        ]
        .map(String::from)
        .to_vec(),
        ..Faults::default()
    });
    w.server.grant("alice", "get pods");
    let kc = w.aws_get_token();
    let (code, text, report) = w.doctor(&kc, &["--can-i", "get", "pods"]);
    assert_eq!(step(&report, "mapping")["status"], "skip", "{text}");
    let can = step(&report, "can-i");
    assert_eq!(can["status"], "pass", "{text}");
    assert!(
        can["detail"].as_str().unwrap().starts_with(
            "yes: get pods in namespace default (the cluster's answer, SelfSubjectAccessReview: granted to alice by the test)"
        ),
        "{can:#}"
    );
    assert_eq!(code, 0, "{text}");
    assert!(!text.contains("all checks passed"), "{text}");
    assert!(
        text.contains("no check failed, but 1 step could not be run (mapping)"),
        "{text}"
    );
    // Refused by the cluster: a failed check, exit 1.
    let (code, text, report) = w.doctor(&kc, &["--can-i", "delete", "pods", "--in", "team-a"]);
    assert_eq!(code, 1, "{text}");
    let can = step(&report, "can-i");
    assert_eq!(can["status"], "fail");
    assert!(
        can["detail"]
            .as_str()
            .unwrap()
            .starts_with("no: the cluster refuses delete pods in namespace team-a (403 Forbidden"),
        "{can:#}"
    );
}

#[test]
fn doctor_says_when_can_i_could_not_be_asked() {
    let Some(w) = World::start() else { return };
    let kc = w.kubeconfig("aws-iam-authenticator", &["token", "-i", "prod"]);
    let (code, text, report) = w.doctor(&kc, &["--can-i", "get", "pods"]);
    assert_eq!(code, 1);
    let can = step(&report, "can-i");
    assert_eq!(can["status"], "skip", "{text}");
    assert!(
        can["detail"]
            .as_str()
            .unwrap()
            .starts_with("not answered: get pods in namespace default could not be asked"),
        "{can:#}"
    );
}

/// On EKS the access entry decides before aws-auth: doctor says which entry answers (username rendered,
/// groups, policies), that the cluster agrees, and that the caller's aws-auth entry is dead.
#[test]
#[cfg_attr(
    iamidmap_skip_aws,
    ignore = "the AWS CLI or moto is not installed (IAMIDMAP_ALLOW_SKIP=1)"
)]
fn doctor_resolves_through_the_access_entry_first() {
    let Some(w) = World::start() else { return };
    let w = w.in_mode("API_AND_CONFIG_MAP");
    w.map("", ALICE);
    w.eks.add_entry(
        "prod",
        json!({"clusterName": "prod", "principalArn": "arn:aws:iam::123456789012:user/devs/alice", "username": "alice-eks", "kubernetesGroups": ["platform"]}),
        &[("AmazonEKSViewPolicy", &["team-a"])],
    );
    let kc = w.aws_get_token();
    let (code, text, report) = w.doctor(&kc, &[]);
    assert_eq!(
        verdicts(&report)[9..],
        [
            "access entry: pass",
            "mapping (cluster): pass",
            "mapping: warn",
            "RBAC: pass"
        ],
        "{text}"
    );
    assert!(text.contains("✓ access entry: EKS access entry of `arn:aws:iam::123456789012:user/devs/alice` (type STANDARD, mode API_AND_CONFIG_MAP), used before aws-auth: username `alice-eks`, groups [platform], access policies [AmazonEKSViewPolicy (team-a)]"), "{text}");
    // The test API server authenticated the token through the same access entry.
    assert!(
        text.contains("the cluster authenticates you as `alice-eks`"),
        "{text}"
    );
    assert!(text.contains("! mapping: the mapUsers entry at line 8 of configmap kube-system/aws-auth maps you too (username `alice`, groups [developers]), but EKS uses the access entry"), "{text}");
    let rbac = step(&report, "RBAC");
    assert!(
        rbac["detail"]
            .as_str()
            .unwrap()
            .ends_with("access policies grant what they grant (EKS authorizes them before RBAC): AmazonEKSViewPolicy (team-a)"),
        "{rbac:#}"
    );
    assert_eq!(code, 0, "{text}");
}

/// In mode API aws-auth is not read: a caller mapped only there is refused (by doctor and by the cluster);
/// an access entry with the cluster admin policy lets it in with every request allowed.
#[test]
#[cfg_attr(
    iamidmap_skip_aws,
    ignore = "the AWS CLI or moto is not installed (IAMIDMAP_ALLOW_SKIP=1)"
)]
fn doctor_in_api_mode_needs_an_access_entry() {
    let Some(w) = World::start() else { return };
    let w = w.in_mode("API");
    w.map("", ALICE);
    let kc = w.aws_get_token();
    let (code, text, report) = w.doctor(&kc, &[]);
    assert_eq!(code, 1, "{text}");
    assert_eq!(step(&report, "cluster")["status"], "fail", "{text}");
    let entry = step(&report, "access entry");
    assert_eq!(entry["status"], "fail");
    assert_eq!(
        entry["detail"],
        "`arn:aws:iam::123456789012:user/devs/alice` has no EKS access entry, and the cluster's authentication mode API does not read aws-auth: the cluster answers 401 Unauthorized"
    );
    assert_eq!(
        entry["next"],
        "aws eks create-access-entry --cluster-name prod --principal-arn ARN (the IAM ARN with its path)"
    );
    assert!(
        !text.contains("mapping:"),
        "aws-auth is not consulted in mode API: {text}"
    );
    w.eks.add_entry(
        "prod",
        json!({"clusterName": "prod", "principalArn": "arn:aws:iam::123456789012:user/devs/alice"}),
        &[("AmazonEKSClusterAdminPolicy", &[])],
    );
    let (code, text, report) = w.doctor(&kc, &["--can-i", "delete", "nodes"]);
    assert_eq!(step(&report, "cluster")["status"], "pass", "{text}");
    assert_eq!(step(&report, "access entry")["status"], "pass", "{text}");
    // EKS's default username of a user entry is its ARN.
    assert!(
        text.contains("username `arn:aws:iam::123456789012:user/devs/alice`, groups [], access policies [AmazonEKSClusterAdminPolicy]"),
        "{text}"
    );
    assert_eq!(
        step(&report, "RBAC")["detail"],
        "AmazonEKSClusterAdminPolicy at cluster scope: EKS allows every request before RBAC is asked"
    );
    assert!(text.contains("! mapping: the mapUsers entry at line 8 of configmap kube-system/aws-auth maps you too (username `alice`, groups [developers]), but the cluster's authentication mode API does not read aws-auth"), "{text}");
    assert!(
        step(&report, "can-i")["detail"]
            .as_str()
            .unwrap()
            .starts_with("yes: delete nodes in namespace default"),
        "{text}"
    );
    assert_eq!(code, 0, "{text}");
}

/// `doctor --cluster NAME` walks what `aws eks update-kubeconfig --name NAME` writes (DescribeCluster's
/// server and CA, an `aws eks get-token` user), whatever the current context is: no kubeconfig is needed.
#[test]
#[cfg_attr(
    iamidmap_skip_aws,
    ignore = "the AWS CLI or moto is not installed (IAMIDMAP_ALLOW_SKIP=1)"
)]
fn doctor_by_cluster_name_walks_the_eks_kubeconfig() {
    let Some(w) = World::start() else { return };
    let w = w.in_mode("API_AND_CONFIG_MAP");
    w.map("", ALICE);
    let (code, report) = w.doctor_by_name("prod");
    assert_eq!(
        report["context"], "arn:aws:eks:us-east-1:111122223333:cluster/prod",
        "{report:#}"
    );
    assert_eq!(
        verdicts(&report),
        [
            "kubeconfig: pass",
            "exec plugin: pass",
            "credentials and token: pass",
            "token checks: pass",
            "token lifetime: pass",
            "STS identity: pass",
            "cluster: pass",
            "clock skew: pass",
            "cluster identity: pass",
            "access entry: pass",
            "mapping: pass",
            "mapping (cluster): pass",
            "RBAC: pass"
        ],
        "{report:#}"
    );
    assert_eq!(code, 0, "{report:#}");
    assert!(
        step(&report, "exec plugin")["detail"]
            .as_str()
            .unwrap()
            .contains("eks get-token --cluster-name prod --region us-east-1"),
        "{report:#}"
    );
    assert_eq!(
        step(&report, "access entry")["detail"],
        "no EKS access entry for `arn:aws:iam::123456789012:user/devs/alice` (mode API_AND_CONFIG_MAP): aws-auth decides"
    );
    // A cluster EKS does not have: the first step says so.
    let (code, report) = w.doctor_by_name("nope");
    assert_eq!(code, 1);
    let first = step(&report, "kubeconfig");
    assert_eq!(first["status"], "fail");
    assert!(
        first["detail"]
            .as_str()
            .unwrap()
            .contains("EKS has no cluster `nope` in region us-east-1"),
        "{first:#}"
    );
}
