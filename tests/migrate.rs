//! `migrate` end to end: the test EKS API (its wire format refereed by the real `aws eks` CLI, which also
//! runs the exported plan), the test API server (aws-auth, and the authenticator that consults the access
//! entries first), moto's IAM for the principals' real ARNs.

use crate::support::apiserver::{ApiServer, AwsAuthenticator};
use crate::support::eks::EksApi;
use crate::support::{self, LocalSts};
use iamidmap::core::access::Access;
use iamidmap::core::migrate::BRIDGE_GROUP;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// An IAM Identity Center role: aws-auth maps it without the path IAM gives it.
const SSO: &str = "AWSReservedSSO_Dev_0a1b2c3d4e5f6789";

/// moto's account: IAM, the cluster and its node entries are all in it.
const ACCOUNT: &str = "123456789012";

struct Cluster {
    sts: LocalSts,
    aws: PathBuf,
    server: ApiServer,
    eks: EksApi,
    backups: tempfile::TempDir,
    key: (String, String),
}

fn arn(kind: &str, path: &str, name: &str) -> String {
    format!("arn:aws:iam::{ACCOUNT}:{kind}{path}{name}")
}

/// aws-auth of a typical cluster: the caller (user ops-admin) and a platform role are admins (the
/// role with a path in IAM, as SSO roles have), developers, a node role, a Fargate role, a user, and
/// `extra` (mappings that cannot be migrated).
fn roles(extra: &str) -> String {
    format!(
        "- rolearn: {}\n  username: admin:{{{{SessionName}}}}\n  groups: [system:masters, platform]\n- rolearn: {}\n  username: dev\n  groups: [devs]\n- rolearn: {}\n  username: system:node:{{{{EC2PrivateDNSName}}}}\n  groups: [system:bootstrappers, system:nodes]\n- rolearn: {}\n  username: system:node:{{{{SessionName}}}}\n  groups: [system:bootstrappers, system:nodes, system:node-proxier]\n{extra}",
        arn("role/", "", "Platform"),
        arn("role/", "", "Dev"),
        arn("role/", "", "eks-node"),
        arn("role/", "", "fargate-pods"),
    )
}

const USERS: &str = "- userarn: arn:aws:iam::123456789012:user/ops-admin\n  username: ops-admin\n  groups: [system:masters]\n- userarn: arn:aws:iam::123456789012:user/devs/alice\n  username: alice\n  groups: [devs]\n";

fn cluster(mode: &str, extra_roles: &str) -> Option<Cluster> {
    let sts = support::local_sts()?;
    let aws = support::aws_cli()?;
    let iam = |args: &[&str]| support::aws_json(&aws, Some(&sts.url), args, None);
    for (name, path) in [
        ("Platform", "/teams/"),
        ("Dev", "/"),
        ("eks-node", "/"),
        ("fargate-pods", "/"),
        ("Boot", "/"),
        (SSO, "/aws-reserved/sso.amazonaws.com/"),
    ] {
        iam(&[
            "iam",
            "create-role",
            "--role-name",
            name,
            "--path",
            path,
            "--assume-role-policy-document",
            "{}",
        ]);
    }
    iam(&["iam", "create-user", "--user-name", "ops-admin"]);
    // The caller: ops-admin's keys (STS then names it as AWS does, `arn:aws:iam::…:user/ops-admin`).
    let k = iam(&["iam", "create-access-key", "--user-name", "ops-admin"]);
    let key = (
        k["AccessKey"]["AccessKeyId"].as_str().unwrap().to_string(),
        k["AccessKey"]["SecretAccessKey"]
            .as_str()
            .unwrap()
            .to_string(),
    );
    iam(&[
        "iam",
        "create-user",
        "--user-name",
        "alice",
        "--path",
        "/devs/",
    ]);
    let server = ApiServer::start_tls();
    // As every cluster has it (the API server reconciles it at start).
    server.seed(
        "/apis/rbac.authorization.k8s.io/v1/clusterroles/cluster-admin",
        json!({"metadata": {"name": "cluster-admin"}, "rules": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}, {"nonResourceURLs": ["*"], "verbs": ["*"]}]}),
    );
    server.seed_aws_auth(&BTreeMap::from([
        ("mapRoles".to_string(), roles(extra_roles)),
        ("mapUsers".to_string(), USERS.to_string()),
    ]));
    server.authenticate_with(AwsAuthenticator {
        cluster_id: "prod".into(),
        sts_url: sts.url.clone(),
    });
    // The caller's token as the cluster maps it: an admin.
    server.set_whoami(
        json!({"username": "ops-admin", "groups": ["system:masters", "system:authenticated"]}),
    );
    use base64::Engine;
    let ca = base64::engine::general_purpose::STANDARD.encode(server.ca_pem().unwrap());
    let eks = EksApi::start("us-east-1");
    eks.set_account(ACCOUNT);
    eks.add_cluster("prod", &server.url(), &ca, mode);
    server.consult_access_entries(eks.access_source("prod"));
    Some(Cluster {
        sts,
        aws,
        server,
        eks,
        backups: tempfile::tempdir().unwrap(),
        key,
    })
}

impl Cluster {
    fn run(&self, args: &[&str]) -> (i32, String, String) {
        let mut cmd = support::bin();
        support::aws_endpoint(&mut cmd, &self.sts.url);
        cmd.env("AWS_ENDPOINT_URL_EKS", self.eks.url())
            .env("AWS_ACCESS_KEY_ID", &self.key.0)
            .env("AWS_SECRET_ACCESS_KEY", &self.key.1)
            .args(args)
            .args(["--cluster", "prod", "--region", "us-east-1"])
            .args([
                "--backup-dir",
                self.backups.path().join("b").to_str().unwrap(),
            ]);
        let out = cmd.output().unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    fn access(&self) -> Access {
        (self.eks.access_source("prod"))().unwrap()
    }

    fn entry(&self, principal: &str) -> Option<iamidmap::core::access::Entry> {
        self.access()
            .entries
            .into_iter()
            .find(|e| e.principal_arn == principal)
    }

    fn aws_auth(&self) -> BTreeMap<String, String> {
        serde_json::from_value(
            self.server
                .object("configmaps/kube-system/aws-auth")
                .unwrap()["data"]
                .clone(),
        )
        .unwrap()
    }

    /// Every principal aws-auth maps, as the cluster resolves it now (access entries first), against
    /// what aws-auth alone gives: the same, or (for `system:masters`) admin through the admin policy or
    /// the migration's bridge group while its binding exists. The lines that fail.
    fn who_lost_access(&self, original: &BTreeMap<String, String>) -> Vec<String> {
        use iamidmap::core::review;
        let doc = iamidmap::core::document::live::document(
            "aws-auth",
            "kube-system",
            "aws-auth",
            original,
            None,
        )
        .unwrap();
        let effective = doc.effective();
        let access = self.access();
        let bridge = self
            .server
            .object("clusterrolebindings//iamidmap-migration-admins")
            .is_some();
        let mut lost = vec![];
        for e in doc.valid_entries() {
            let (sts_arn, canonical) = match e.arn.split_once(":role/") {
                Some((pre, name)) => (
                    format!(
                        "{}:assumed-role/{name}/i-0abc",
                        pre.replace(":iam:", ":sts:")
                    ),
                    e.arn.clone(),
                ),
                None => (e.arn.clone(), e.arn.clone()),
            };
            let id = iamidmap::core::token::Identity {
                arn: sts_arn,
                canonical_arn: canonical.clone(),
                account_id: ACCOUNT.into(),
                user_id: "AROAEXAMPLE:i-0abc".into(),
                session_name: "i-0abc".into(),
                access_key_id: "ASIAEXAMPLE".into(),
                sts_endpoint: String::new(),
            };
            let before = review::review(&id, &effective, Some("ip-10-0-0-1.ec2.internal"), &[]);
            let now = review::eks(
                &id,
                &access,
                before.clone(),
                Some("ip-10-0-0-1.ec2.internal"),
            );
            let user = |r: &review::Review| r.user.clone().map(|u| (u.username, u.groups));
            if user(&now) == user(&before) {
                continue;
            }
            let masters = e.groups.iter().any(|g| g == "system:masters");
            let entry = access.entry_for(&canonical);
            // A node or Fargate entry stands for the node mapping it replaces (EKS grants the nodes'
            // permissions to its type).
            let node_kind = match e.username.as_str() {
                "system:node:{{EC2PrivateDNSName}}" => Some("EC2_LINUX"),
                "system:node:{{SessionName}}" => Some("FARGATE_LINUX"),
                _ => None,
            };
            if node_kind.is_some() && entry.map(|x| x.kind.as_str()) == node_kind {
                continue;
            }
            let admin_now = entry.is_some_and(|x| {
                x.is_admin() || (bridge && x.kubernetes_groups.iter().any(|g| g == BRIDGE_GROUP))
            });
            let rest: Vec<&String> = e.groups.iter().filter(|g| *g != "system:masters").collect();
            let same_otherwise = entry.is_some_and(|x| {
                let mut groups: Vec<&String> = x
                    .kubernetes_groups
                    .iter()
                    .filter(|g| *g != BRIDGE_GROUP)
                    .collect();
                groups.sort();
                let mut want = rest.clone();
                want.sort();
                groups == want
                    && now.user.as_ref().map(|u| &u.username)
                        == before.user.as_ref().map(|u| &u.username)
            });
            if !(masters && admin_now && same_otherwise) {
                lost.push(format!(
                    "{}: before {:?}, now {:?}",
                    e.arn,
                    user(&before),
                    user(&now)
                ));
            }
        }
        lost
    }
}

/// The plan classifies every mapping (none silently skipped), and its `aws eks` export, run by the real
/// AWS CLI against the test EKS API, creates exactly the planned entries.
#[test]
fn the_plan_classifies_every_mapping_and_its_export_runs() {
    let boot = format!(
        "- rolearn: {}\n  username: boot\n  groups: [system:bootstrappers]\n- rolearn: {}\n  username: gone\n",
        arn("role/", "", "Boot"),
        arn("role/", "", "Gone")
    );
    let Some(c) = cluster("API_AND_CONFIG_MAP", &boot) else {
        return;
    };
    // An account mapping; and Dev has an access entry older than the role IAM has now (the role was
    // deleted and created again since): it looks migrated, and lets the new Dev in nowhere.
    let mut data = c.aws_auth();
    data.insert("mapAccounts".into(), "- \"444455556666\"\n".into());
    c.server.seed_aws_auth(&data);
    c.eks.add_entry(
        "prod",
        json!({"principalArn": arn("role/", "", "Dev"), "username": "dev", "kubernetesGroups": ["devs"]}),
        &[],
    );
    c.eks
        .set_created_at("prod", &arn("role/", "", "Dev"), 1_500_000_000.0);
    let (code, stdout, stderr) = c.run(&["migrate", "-o", "json"]);
    assert_eq!(code, 0, "{stderr}");
    let plan: Value = serde_json::from_str(&stdout).unwrap();
    let items = plan["items"].as_array().unwrap();
    assert_eq!(items.len(), 9, "{stdout}");
    let action = |tail: &str| {
        let i = items
            .iter()
            .find(|i| i["arn"].as_str().unwrap().ends_with(tail))
            .unwrap_or_else(|| panic!("{tail}: {stdout}"));
        (
            i["action"].as_str().unwrap().to_string(),
            i["reason"].as_str().unwrap_or_default().to_string(),
        )
    };
    assert_eq!(action("role/Boot"), ("skip".into(), "system-group".into()));
    assert_eq!(action("role/Gone"), ("skip".into(), "missing".into()));
    assert_eq!(action("role/Dev"), ("skip".into(), "recreated".into()));
    assert_eq!(action("444455556666"), ("skip".into(), "account".into()));
    for tail in [
        "role/Platform",
        "role/eks-node",
        "role/fargate-pods",
        "user/ops-admin",
        "user/devs/alice",
    ] {
        assert_eq!(action(tail).0, "create", "{tail}");
    }
    let platform = items
        .iter()
        .find(|i| i["arn"].as_str().unwrap().ends_with("role/Platform"))
        .unwrap();
    assert_eq!(
        platform["entry"]["principalArn"],
        arn("role/", "teams/", "Platform")
    );
    // The table says the same, and counts.
    let (_, table, _) = c.run(&["migrate", "plan"]);
    assert!(
        table.contains(": 5 to create, 0 already present, 4 stay in aws-auth"),
        "{table}"
    );
    // eksctl's ClusterConfig: the entries to create.
    let (_, yaml, _) = c.run(&["migrate", "plan", "--export", "eksctl"]);
    assert_eq!(yaml.matches("principalARN: ").count(), 5, "{yaml}");
    assert!(
        yaml.contains("principalARN: arn:aws:iam::123456789012:role/teams/Platform"),
        "{yaml}"
    );
    // The export, run line by line by the real AWS CLI.
    let (code, script, stderr) = c.run(&["migrate", "plan", "--export", "aws-cli"]);
    assert_eq!(code, 0, "{stderr}");
    for line in script.lines().filter(|l| l.starts_with("aws ")) {
        let words = shell_words(line);
        let args: Vec<&str> = words[1..].iter().map(String::as_str).collect();
        support::aws_json(&c.aws, Some(&c.eks.url()), &args, None);
    }
    let (_, stdout, _) = c.run(&["migrate", "-o", "json"]);
    let again: Value = serde_json::from_str(&stdout).unwrap();
    let present = again["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["action"] == "present")
        .count();
    assert_eq!(present, 5, "{stdout}");
}

/// Split a line of the export the way a POSIX shell does (single quotes only, as the export writes).
fn shell_words(line: &str) -> Vec<String> {
    let mut words = vec![];
    let mut word = String::new();
    let mut quoted = false;
    let mut any = false;
    for ch in line.chars() {
        match (ch, quoted) {
            ('\'', _) => {
                quoted = !quoted;
                any = true;
            }
            (' ', false) => {
                if any || !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
                any = false;
            }
            _ => word.push(ch),
        }
    }
    if any || !word.is_empty() {
        words.push(word);
    }
    words
}

/// `apply`: refused on CONFIG_MAP without `--set-mode`; then the mode, the entries (paths from IAM, the
/// admin policy, node types), the proof per principal, the cleanup of aws-auth, and the switch to API
/// (refused while a mapping still needs aws-auth).
#[test]
fn apply_migrates_verifies_cleans_up_and_switches() {
    let sso = format!(
        "- rolearn: {}\n  username: sso-dev:{{{{SessionName}}}}\n  groups: [devs]\n",
        arn("role/", "", SSO)
    );
    let extra = format!(
        "- rolearn: {}\n  username: boot\n  groups: [system:bootstrappers]\n{sso}",
        arn("role/", "", "Boot"),
    );
    let Some(c) = cluster("CONFIG_MAP", &extra) else {
        return;
    };
    let mut data = c.aws_auth();
    data.insert("mapAccounts".into(), "- \"444455556666\"\n".into());
    c.server.seed_aws_auth(&data);
    let original = c.aws_auth();
    let (code, _, stderr) = c.run(&["migrate", "apply", "--yes"]);
    assert_eq!(code, 3, "{stderr}");
    assert!(
        stderr.contains("pass --set-mode API_AND_CONFIG_MAP"),
        "{stderr}"
    );
    assert_eq!(c.eks.mode("prod"), "CONFIG_MAP");
    let (code, _, stderr) = c.run(&[
        "migrate",
        "apply",
        "--yes",
        "--set-mode",
        "API_AND_CONFIG_MAP",
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(c.eks.mode("prod"), "API_AND_CONFIG_MAP");
    assert!(
        stderr.contains("verified: 7 principals resolve through their access entries to exactly the access aws-auth gives them"),
        "{stderr}"
    );
    let entry = c
        .entry(&arn("role/", "aws-reserved/sso.amazonaws.com/", SSO))
        .expect("the SSO role's entry, with its path");
    assert_eq!(entry.username, "sso-dev:{{SessionName}}");
    let platform = c
        .entry(&arn("role/", "teams/", "Platform"))
        .expect("the admin role's entry, with its path");
    assert_eq!(platform.kubernetes_groups, ["platform"]);
    assert!(platform.is_admin());
    assert_eq!(platform.username, "admin:{{SessionName}}");
    assert_eq!(
        c.entry(&arn("role/", "", "eks-node")).unwrap().kind,
        "EC2_LINUX"
    );
    assert_eq!(
        c.entry(&arn("role/", "", "fargate-pods")).unwrap().kind,
        "FARGATE_LINUX"
    );
    assert!(
        c.server
            .object("clusterrolebindings//iamidmap-migration-admins")
            .is_none()
    );
    let lost = c.who_lost_access(&original);
    assert!(lost.is_empty(), "{lost:#?}");
    // Nothing left to do: a second run changes nothing, except that a bridge binding an earlier run left
    // behind (stopped after the entries were finished) goes.
    c.server.seed(
        "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/iamidmap-migration-admins",
        json!({"metadata": {"name": "iamidmap-migration-admins"}, "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"}, "subjects": [{"kind": "Group", "name": BRIDGE_GROUP}]}),
    );
    assert!(
        c.server
            .object("clusterrolebindings//iamidmap-migration-admins")
            .is_some()
    );
    let before = c.access();
    let (code, _, stderr) = c.run(&["migrate", "apply", "--yes"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(c.access().entries.len(), before.entries.len());
    assert!(
        c.server
            .object("clusterrolebindings//iamidmap-migration-admins")
            .is_none()
    );
    // API is refused while Boot needs aws-auth; nothing is switched.
    let (code, _, stderr) = c.run(&["migrate", "apply", "--yes", "--set-mode", "API"]);
    assert_eq!(code, 3, "{stderr}");
    assert!(
        stderr.contains("not switching to API: 2 mappings are not migrated"),
        "{stderr}"
    );
    assert!(stderr.contains("`444455556666`"), "{stderr}");
    assert_eq!(c.eks.mode("prod"), "API_AND_CONFIG_MAP");
    // Boot and the account go (by hand); the migrated entries leave aws-auth, then the mode switches.
    let mut data = c.aws_auth();
    data.insert("mapRoles".into(), roles(&sso));
    data.remove("mapAccounts");
    c.server.seed_aws_auth(&data);
    let (code, _, stderr) = c.run(&[
        "migrate",
        "apply",
        "--yes",
        "--remove-aws-auth-entries",
        "--set-mode",
        "API",
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("after the switch you are `ops-admin`, groups [], cluster admin"),
        "{stderr}"
    );
    assert_eq!(c.eks.mode("prod"), "API");
    let left = c.aws_auth();
    // Emptied lists go, with their keys (nothing else was in them).
    assert!(!left.values().any(|v| v.contains("arn:")), "{left:?}");
    // Too late to roll back.
    let (code, _, stderr) = c.run(&["migrate", "rollback", "--yes"]);
    assert_eq!(code, 3, "{stderr}");
    assert!(stderr.contains("is in mode API"), "{stderr}");
}

/// The write fails after each number of EKS writes in turn (an outage, or a kill): after every failed
/// run, no principal has lost its access (admins keep it through the bridge group), and the next run
/// finishes the migration.
#[test]
fn an_interrupted_apply_never_locks_anyone_out_and_resumes() {
    for n in 0..9 {
        let Some(c) = cluster("API_AND_CONFIG_MAP", "") else {
            return;
        };
        let original = c.aws_auth();
        c.eks.fail_writes_after(Some(n));
        let (code, _, stderr) = c.run(&["migrate", "apply", "--yes"]);
        let lost = c.who_lost_access(&original);
        assert!(lost.is_empty(), "after {n} writes: {lost:#?}\n{stderr}");
        c.eks.fail_writes_after(None);
        if code == 0 {
            assert!(
                n >= 8,
                "all 8 writes were needed, yet it finished after {n}: {stderr}"
            );
            break;
        }
        assert!(stderr.contains("it resumes where it stopped"), "{stderr}");
        let (code, _, stderr) = c.run(&["migrate", "apply", "--yes"]);
        assert_eq!(code, 0, "resuming after {n} writes: {stderr}");
        let lost = c.who_lost_access(&original);
        assert!(lost.is_empty(), "{lost:#?}");
        let platform = c.entry(&arn("role/", "teams/", "Platform")).unwrap();
        assert_eq!(platform.kubernetes_groups, ["platform"], "after {n}");
        assert!(platform.is_admin());
        assert!(
            c.server
                .object("clusterrolebindings//iamidmap-migration-admins")
                .is_none()
        );
    }
}

/// `rollback` puts aws-auth back and deletes the entries the migration created, not the ones that were
/// there before.
#[test]
fn rollback_undoes_a_recorded_migration() {
    let Some(c) = cluster("API_AND_CONFIG_MAP", "") else {
        return;
    };
    // An entry somebody made before the migration (the node group's, as EKS makes it).
    c.eks.add_entry(
        "prod",
        json!({"principalArn": arn("role/", "", "eks-node"), "type": "EC2_LINUX"}),
        &[],
    );
    let original = c.aws_auth();
    let (code, _, stderr) = c.run(&["migrate", "apply", "--yes", "--remove-aws-auth-entries"]);
    assert_eq!(code, 0, "{stderr}");
    assert_ne!(c.aws_auth(), original);
    assert_eq!(c.access().entries.len(), 6);
    let (code, _, stderr) = c.run(&["migrate", "rollback", "--yes"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(c.aws_auth(), original);
    let left: Vec<String> = c
        .access()
        .entries
        .iter()
        .map(|e| e.principal_arn.clone())
        .collect();
    assert_eq!(left, [arn("role/", "", "eks-node")]);
    let lost = c.who_lost_access(&original);
    assert!(lost.is_empty(), "{lost:#?}");
    let (code, _, stderr) = c.run(&["migrate", "rollback", "--yes"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("no migration of"), "{stderr}");
}

/// The plan of a file, with IAM answering for every principal (path `/`, or `/teams/` for names with
/// `Admin`): every entry of every list gets a line, every line that is not migrated says why, and every
/// planned entry resolves to exactly what its mapping gives.
fn plan_every_entry(path: &std::path::Path) -> Result<usize, String> {
    use iamidmap::core::check::iam::{Account, Lookup, Principal, Query};
    use iamidmap::core::migrate::{self, Outcome};
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let Ok(doc) = iamidmap::core::document::AuthDocument::parse("f.yaml", text) else {
        return Ok(0);
    };
    if doc.facts.carrier.kind != iamidmap::core::document::CarrierKind::AwsAuth {
        return Ok(0);
    }
    let account = doc
        .valid_entries()
        .find_map(|e| {
            iamidmap::core::arn::parse(&e.arn)
                .ok()
                .map(|p| p.account.to_string())
        })
        .unwrap_or_else(|| "111122223333".into());
    let account = Account {
        partition: "aws".into(),
        id: account,
    };
    let iam: BTreeMap<Query, Lookup> = migrate::queries(&doc, &account)
        .into_iter()
        .map(|q| {
            let (kind, path) = match &q {
                Query::Role(n) if n.contains("Admin") => ("role", "/teams/"),
                Query::Role(_) => ("role", "/"),
                Query::User(_) => ("user", "/"),
            };
            let p = Principal {
                arn: format!("arn:aws:iam::{}:{kind}{path}{}", account.id, q.name()),
                path: path.into(),
                id: "AIDAEXAMPLE".into(),
                created: None,
                trust_policy: None,
            };
            (q, Lookup::Found(p))
        })
        .collect();
    let access = Access {
        cluster_arn: format!("arn:aws:eks:us-east-1:{}:cluster/prod", account.id),
        mode: iamidmap::core::access::AuthMode::ApiAndConfigMap,
        bootstrap_creator_admin: None,
        entries: vec![],
    };
    let plan = migrate::plan(&migrate::Inputs {
        doc: &doc,
        access: &access,
        account: &account,
        iam: Some(&iam),
    });
    let listed = [
        iamidmap::core::mapping::ListKind::Roles,
        iamidmap::core::mapping::ListKind::Users,
    ]
    .iter()
    .map(|k| doc.list(*k).entries.len())
    .sum::<usize>()
        + doc.accounts.accounts.len();
    if plan.items.len() != listed {
        return Err(format!("{} items for {listed} entries", plan.items.len()));
    }
    for i in &plan.items {
        match &i.outcome {
            Outcome::Skip { message, .. } if message.is_empty() => {
                return Err(format!("line {}: skipped without a reason", i.line));
            }
            Outcome::Create { entry } => {
                let source = i
                    .source(&doc)
                    .ok_or(format!("line {}: no source entry", i.line))?;
                let d = migrate::differences(source, &entry.as_created());
                if !d.is_empty() {
                    return Err(format!("line {}: {d:?}", i.line));
                }
            }
            _ => {}
        }
    }
    Ok(plan.items.len())
}

#[test]
fn the_plan_classifies_every_entry_of_every_fixture() {
    let dir = support::fixtures_dir();
    let mut planned = 0;
    for name in support::files_in(&dir) {
        planned += plan_every_entry(&dir.join(&name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    assert!(planned > 40, "{planned} entries planned");
}

#[test]
#[cfg_attr(
    iamidmap_no_corpus,
    ignore = "../shared/corpus is not beside the project; the fixtures cover the same shapes"
)]
fn the_plan_classifies_every_entry_of_every_corpus_file() {
    let Some(dir) = support::corpus_dir() else {
        return;
    };
    let mut planned = 0;
    for name in support::files_in(&dir) {
        planned += plan_every_entry(&dir.join(&name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    assert!(planned > 200, "{planned} entries planned");
}

/// In mode API aws-auth grants nothing: the plan says so, and `apply` refuses to turn it into access.
#[test]
fn apply_refuses_a_cluster_in_api_mode() {
    let Some(c) = cluster("API", "") else {
        return;
    };
    let (code, _, stderr) = c.run(&["migrate", "plan"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains(
            "is in mode API: EKS does not read aws-auth, so these mappings grant nothing now"
        ),
        "{stderr}"
    );
    let (code, _, stderr) = c.run(&["migrate", "apply", "--yes"]);
    assert_eq!(code, 3, "{stderr}");
    assert!(stderr.contains("there is nothing to migrate"), "{stderr}");
    assert!(c.access().entries.is_empty());
}

/// The bridge that keeps admins admin needs `cluster-admin` to allow everything: a narrowed one stops
/// `apply` before anything changes, the mode included.
#[test]
fn apply_refuses_when_cluster_admin_would_not_bridge() {
    let Some(c) = cluster("CONFIG_MAP", "") else {
        return;
    };
    c.server.seed(
        "/apis/rbac.authorization.k8s.io/v1/clusterroles/cluster-admin",
        json!({"metadata": {"name": "cluster-admin"}, "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}]}),
    );
    let (code, _, stderr) = c.run(&[
        "migrate",
        "apply",
        "--yes",
        "--set-mode",
        "API_AND_CONFIG_MAP",
    ]);
    assert_eq!(code, 3, "{stderr}");
    assert!(
        stderr.contains("ClusterRole cluster-admin does not allow every verb on every resource"),
        "{stderr}"
    );
    assert_eq!(c.eks.mode("prod"), "CONFIG_MAP");
    assert!(
        c.server
            .object("clusterrolebindings//iamidmap-migration-admins")
            .is_none()
    );
}

/// Putting aws-auth back can make another account's principal an admin again (removed by hand after
/// the cleanup): like any write with `--yes`, rollback then needs `--allow-cross-account-admin`.
#[test]
fn rollback_acknowledges_a_cross_account_admin_it_puts_back() {
    let partner = "- rolearn: arn:aws:iam::444455556666:role/Partner\n  username: partner\n  groups: [system:masters]\n";
    let Some(c) = cluster("API_AND_CONFIG_MAP", partner) else {
        return;
    };
    let (code, _, stderr) = c.run(&["migrate", "apply", "--yes", "--remove-aws-auth-entries"]);
    assert_eq!(code, 0, "{stderr}");
    let cleaned = c.aws_auth();
    assert!(
        cleaned["mapRoles"].contains("role/Partner"),
        "not migrated, so kept: {cleaned:?}"
    );
    let mut data = cleaned.clone();
    data.insert("mapRoles".into(), "[]\n".into());
    c.server.seed_aws_auth(&data);
    let (code, _, stderr) = c.run(&["migrate", "rollback", "--yes"]);
    assert_eq!(code, 3, "{stderr}");
    assert!(stderr.contains("--allow-cross-account-admin"), "{stderr}");
    assert!(!c.aws_auth()["mapRoles"].contains("Partner"));
    let (code, _, stderr) = c.run(&[
        "migrate",
        "rollback",
        "--yes",
        "--allow-cross-account-admin",
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(c.aws_auth()["mapRoles"].contains("role/Partner"));
}
