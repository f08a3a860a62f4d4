//! Live mode end to end: the real binary, a generated kubeconfig, the test API server, and the real kubectl
//! as referee. Covers get/create/delete on an empty cluster and on every corpus file, backups, conflicts,
//! faults, impersonation and 16 concurrent writers.

mod backups;
mod edits;
mod faults;
mod guard;
mod test_server;

use crate::support::apiserver::{ApiServer, Faults};
use crate::support::{self, bin};
use predicates::prelude::*;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub(crate) struct Live {
    pub(crate) server: ApiServer,
    pub(crate) dir: tempfile::TempDir,
    pub(crate) kubeconfig: PathBuf,
}

impl Live {
    /// A cluster behind HTTPS with a CA of its own (the kubeconfig carries it), and a static token.
    pub(crate) fn new() -> Live {
        let server = ApiServer::start_tls();
        let dir = tempfile::tempdir().unwrap();
        let kubeconfig = server.kubeconfig(dir.path());
        Live {
            server,
            dir,
            kubeconfig,
        }
    }
    pub(crate) fn backups(&self) -> PathBuf {
        self.dir.path().join("backups")
    }
    /// The binary, pointed at this cluster, with backups in the test's directory.
    pub(crate) fn cmd(&self) -> assert_cmd::Command {
        let mut cmd = bin();
        cmd.env("KUBECONFIG", &self.kubeconfig)
            .env("XDG_STATE_HOME", self.dir.path().join("state"))
            .arg("--backup-dir")
            .arg(self.backups());
        cmd
    }
    pub(crate) fn run(&self, args: &[&str]) -> assert_cmd::assert::Assert {
        self.cmd().args(args).assert()
    }
    fn data(&self) -> BTreeMap<String, String> {
        let cm = self.server.aws_auth().expect("aws-auth exists");
        serde_json::from_value(cm["data"].clone()).unwrap_or_default()
    }
    /// The backups taken before writes (one per successful write).
    pub(crate) fn backup_files(&self) -> Vec<PathBuf> {
        self.records("before")
    }
    /// The files in the backup directory whose header says this state (`before`, `after`, `snapshot`).
    pub(crate) fn records(&self, state: &str) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = match std::fs::read_dir(self.backups()) {
            Ok(rd) => rd.map(|e| e.unwrap().path()).collect(),
            Err(_) => vec![],
        };
        files.retain(|p| {
            std::fs::read_to_string(p).is_ok_and(|t| t.contains(&format!("\n# state: {state}\n")))
        });
        files.sort();
        files
    }
}

const ADMIN: &str = "arn:aws:iam::111122223333:role/Admin";

fn check_backup(path: &Path, state: &str) {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "{}", path.display());
    let text = std::fs::read_to_string(path).unwrap();
    assert!(
        text.starts_with(&format!(
            "# iamidmap backup of configmap kube-system/aws-auth\n# format: 2\n# state: {state}\n# command: "
        )),
        "{text}"
    );
    assert!(text.contains("# context: test\n"));
    // The command that wrote it, as run (the binary and its subcommand).
    let command = text
        .lines()
        .find_map(|l| l.strip_prefix("# command: "))
        .unwrap_or_default();
    assert!(
        command
            .split_whitespace()
            .next()
            .is_some_and(|b| b.ends_with("iamidmap"))
            && command.split_whitespace().count() > 1,
        "{text}"
    );
    // The cluster is named by its API server (never with credentials) and its kube-system UID.
    assert!(text.contains("\n# server: https://127.0.0.1:"), "{text}");
    assert!(text.contains("\n# cluster-uid: "), "{text}");
    let body: String = text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .collect::<Vec<_>>()
        .join("\n");
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["metadata"]["name"], "aws-auth");
    let name = path.file_name().unwrap().to_string_lossy();
    assert!(name.contains("-rv") && name.ends_with(".yaml"), "{name}");
}

const GUARDED: &str = "- rolearn: arn:aws:iam::111122223333:role/eks-node\n  username: system:node:{{EC2PrivateDNSName}}\n  groups:\n    - system:bootstrappers\n    - system:nodes\n- rolearn: arn:aws:iam::111122223333:role/fargate\n  username: system:node:{{SessionName}}\n  groups:\n    - system:bootstrappers\n    - system:nodes\n    - system:node-proxier\n- rolearn: arn:aws:iam::111122223333:role/Admin\n  username: admin:{{SessionName}}\n  groups:\n    - system:masters\n- rolearn: arn:aws:iam::111122223333:role/Dev\n  username: dev\n  groups:\n    - developers\n";

/// What a command (`--force`d, with its caller flags) makes of GUARDED in a file: the file and the live
/// pipelines share the editor but not the I/O, so the live result must be exactly this.
fn file_result(args: &[&str]) -> BTreeMap<String, String> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("aws-auth.yaml");
    let indented: String = GUARDED.lines().map(|l| format!("    {l}\n")).collect();
    std::fs::write(
        &path,
        format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: aws-auth\n  namespace: kube-system\ndata:\n  mapRoles: |\n{indented}"),
    )
    .unwrap();
    bin().args(args).arg("-f").arg(&path).assert().code(0);
    let text = std::fs::read_to_string(&path).unwrap();
    iamidmap::core::document::AuthDocument::parse("aws-auth.yaml", text)
        .unwrap()
        .facts
        .data_strings
        .into_iter()
        .collect()
}
