//! Live mode end to end: the real binary, a generated kubeconfig, the test API server, and the real kubectl
//! as referee. Covers get/create/delete on an empty cluster and on every corpus file, backups, conflicts,
//! faults, impersonation and 16 concurrent writers.

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

#[test]
fn empty_cluster_get_create_delete() {
    let live = Live::new();
    // A cluster without aws-auth: said so, with what it means, by every reader.
    for cmd in [&["get", "-o", "json"][..], &["validate"]] {
        live.run(cmd)
            .code(0)
            .stderr(predicate::str::contains(
                "configmap kube-system/aws-auth does not exist in context",
            ))
            .stderr(predicate::str::contains("nodes cannot join"))
            .stderr(predicate::str::contains("access entries"));
    }
    live.run(&["get", "-o", "json"]).stdout("[]\n");
    live.run(&[
        "create",
        "--yes",
        "--arn",
        ADMIN,
        "--username",
        "admin",
        "--group",
        "system:masters",
    ])
    .code(0)
    .stderr(predicate::str::contains(
        "created configmap kube-system/aws-auth",
    ));
    let cm = live.server.aws_auth().unwrap();
    assert_eq!(cm["metadata"]["namespace"], "kube-system");
    assert_eq!(
        cm["data"]["mapRoles"],
        "- rolearn: arn:aws:iam::111122223333:role/Admin\n  username: admin\n  groups:\n    - system:masters\n"
    );
    let out = bin()
        .env("KUBECONFIG", &live.kubeconfig)
        .args(["get", "-o", "json"])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v[0]["rolearn"], ADMIN);
    // Deleting the only `system:masters` mapping is refused by the lockout guard (exit 3, no write)…
    live.run(&["delete", "--yes", "--arn", ADMIN])
        .code(3)
        .stderr(predicate::str::contains("[last-system-masters]"))
        .stderr(predicate::str::contains("--force"));
    assert!(live.data()["mapRoles"].contains("role/Admin"));
    assert!(live.backup_files().is_empty());
    // …and allowed with --force, which the backup header records.
    live.run(&["delete", "--yes", "--force", "--arn", ADMIN])
        .code(0);
    assert_eq!(live.data()["mapRoles"], "[]\n");
    // Every write to an existing object was preceded by a backup of it.
    let backups = live.backup_files();
    assert_eq!(backups.len(), 1, "{backups:?}");
    check_backup(&backups[0], "before");
    assert!(
        std::fs::read_to_string(&backups[0])
            .unwrap()
            .contains("# forced: true\n")
    );
}

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

/// Every corpus file (and fixture) seeded as the live ConfigMap: create then delete gives the data values
/// back byte for byte; labels, annotations and other keys are never touched.
#[test]
fn seeded_corpus_round_trips_live() {
    let mut dirs = vec![support::fixtures_dir()];
    dirs.extend(support::corpus_dir());
    let mut checked = 0;
    for dir in dirs {
        for name in support::files_in(&dir) {
            let text = std::fs::read_to_string(dir.join(&name)).unwrap();
            let Some(seed) = support::manifest_data(&text) else {
                continue;
            };
            let live = Live::new();
            live.server.seed_aws_auth(&seed);
            let before = live.server.aws_auth().unwrap();
            let mut done = 0;
            // A new role (a new key when there was none), then a mapping of a kind the ConfigMap already
            // has, as the file round trip does.
            for add in support::round_trip_args(&text, &name) {
                let current = live.server.aws_auth().unwrap();
                let created = live
                    .cmd()
                    .args(["create", "--yes"])
                    .args(&add)
                    .output()
                    .unwrap();
                if created.status.code() != Some(0) {
                    // A list iamidmap cannot read is refused, and nothing is written.
                    assert_eq!(live.server.aws_auth().unwrap(), current, "{name}");
                    continue;
                }
                let target = if add[0] == "--account" {
                    "--account"
                } else {
                    "--arn"
                };
                live.run(&["delete", "--yes", "--no-caller-check", target, &add[1]])
                    .code(0);
                let mut after = live.server.aws_auth().unwrap();
                // A list that was an empty string comes back as `[]` (eksctl's form): between two commands
                // the live object keeps no memory of how its empty list was written (docs/output.md).
                // A key that held an empty list and nothing else is removed when a delete empties it again.
                for (k, v) in before["data"].as_object().unwrap() {
                    let empty = matches!(v.as_str().map(str::trim), Some("" | "[]"));
                    if empty && (after["data"][k] == "[]\n" || after["data"].get(k).is_none()) {
                        after["data"][k] = v.clone();
                    }
                }
                let had_data = before["data"].as_object().is_some_and(|d| !d.is_empty());
                if had_data {
                    assert_eq!(
                        after["data"], before["data"],
                        "{name} ({}): data values changed: {:?} -> {:?}",
                        add[1], before["data"], after["data"]
                    );
                } else {
                    // No data before: the added key stays, as an empty list.
                    assert_eq!(
                        after["data"].as_object().map(|d| d.len()),
                        Some(1),
                        "{name}"
                    );
                }
                assert_eq!(after["metadata"]["labels"], before["metadata"]["labels"]);
                assert_eq!(
                    after["metadata"]["annotations"],
                    before["metadata"]["annotations"]
                );
                checked += 1;
                done += 1;
            }
            assert_eq!(
                live.backup_files().len(),
                2 * done,
                "{name}: one backup per write"
            );
        }
    }
    assert!(checked >= 20, "only {checked} files round-tripped");
}

#[test]
fn comments_in_the_live_configmap_survive_an_edit() {
    let live = Live::new();
    let text = std::fs::read_to_string(support::fixtures_dir().join("commented.yaml")).unwrap();
    live.server
        .seed_aws_auth(&support::manifest_data(&text).unwrap());
    let before = live.data()["mapRoles"].clone();
    live.run(&[
        "create",
        "--yes",
        "--node-role",
        "--arn",
        "arn:aws:iam::111122223333:role/eks-node-2",
    ])
    .code(0);
    let after = live.data()["mapRoles"].clone();
    assert!(
        after.starts_with(&before),
        "only an insertion at the end:\n{after}"
    );
    assert!(after.contains("# break-glass admins"));
}

#[test]
fn dry_run_and_no_terminal_write_nothing() {
    let live = Live::new();
    live.server.seed_aws_auth(&BTreeMap::from([(
        "mapRoles".to_string(),
        "- rolearn: arn:aws:iam::1:role/a\n  username: a\n".to_string(),
    )]));
    let before = live.server.aws_auth().unwrap();
    live.run(&["create", "--dry-run", "--arn", ADMIN, "--group", "g"])
        .code(0)
        .stdout(predicate::str::contains(
            "+    - rolearn: arn:aws:iam::111122223333:role/Admin",
        ));
    live.run(&["create", "--arn", ADMIN, "--group", "g"])
        .code(2)
        .stderr(predicate::str::contains("pass --yes"));
    assert_eq!(live.server.aws_auth().unwrap(), before);
    assert!(live.backup_files().is_empty());
}

#[test]
fn idempotent_create_makes_no_write() {
    let live = Live::new();
    live.run(&["create", "--yes", "--arn", ADMIN, "--group", "g"])
        .code(0);
    live.server.clear_log();
    live.run(&[
        "create",
        "--yes",
        "--no-duplicate-arns",
        "--arn",
        ADMIN,
        "--group",
        "g",
    ])
    .code(0)
    .stderr(predicate::str::contains(
        "already mapped identically at entry #1 of `mapRoles`",
    ));
    let writes: Vec<_> = live
        .server
        .log()
        .into_iter()
        .filter(|l| l.method != "GET")
        .collect();
    assert!(writes.is_empty(), "{writes:?}");
}

#[test]
fn get_is_one_request_and_create_is_six() {
    let live = Live::new();
    live.run(&["create", "--yes", "--arn", ADMIN, "--group", "g"])
        .code(0);
    live.server.clear_log();
    live.run(&["get"]).code(0);
    let log = live.server.log();
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!(
        log[0].path,
        "/api/v1/namespaces/kube-system/configmaps/aws-auth"
    );
    live.server.clear_log();
    live.run(&[
        "create",
        "--yes",
        "--arn",
        "arn:aws:iam::111122223333:role/Dev",
        "--group",
        "g",
    ])
    .code(0)
    .stderr(predicate::str::contains(
        "warning: no RoleBinding or ClusterRoleBinding names any of its groups (g)",
    ));
    // Both binding lists (is any group bound?), the read, who you are (asked of the cluster, as
    // `kubectl auth whoami` does) and which cluster this is (for the backup), then the write.
    let requests: Vec<String> = live
        .server
        .log()
        .iter()
        .map(|l| format!("{} {}", l.method, l.path))
        .collect();
    assert_eq!(
        requests,
        vec![
            "GET /apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
            "GET /apis/rbac.authorization.k8s.io/v1/rolebindings",
            "GET /api/v1/namespaces/kube-system/configmaps/aws-auth",
            "POST /apis/authentication.k8s.io/v1/selfsubjectreviews",
            "GET /api/v1/namespaces/kube-system",
            "PUT /api/v1/namespaces/kube-system/configmaps/aws-auth",
        ]
    );
    // A node role's groups are authorized without RBAC: no lists.
    live.server.clear_log();
    live.run(&[
        "create",
        "--yes",
        "--arn",
        "arn:aws:iam::111122223333:role/node",
        "--node-role",
    ])
    .code(0);
    // The read, who you are, which cluster, the write.
    assert_eq!(live.server.log().len(), 4, "{:?}", live.server.log());
}

#[test]
fn impersonation_headers_are_sent() {
    let live = Live::new();
    // Impersonation changes what is authorized: alice may not read the ConfigMap until she is granted it.
    live.run(&[
        "get",
        "--as",
        "alice",
        "--as-group",
        "platform",
        "--as-group",
        "oncall",
    ])
    .code(2)
    .stderr(predicate::str::contains("forbidden"));
    live.server.grant("alice", "get configmaps");
    live.server.clear_log();
    live.run(&[
        "get",
        "--as",
        "alice",
        "--as-group",
        "platform",
        "--as-group",
        "oncall",
    ])
    .code(0);
    let log = live.server.log();
    assert_eq!(log[0].impersonate_user.as_deref(), Some("alice"));
    assert_eq!(log[0].impersonate_groups, vec!["platform", "oncall"]);
    assert_eq!(log[0].authorization.as_deref(), Some("Bearer test-token"));
    // Every request says who is asking, for the API server's audit log.
    let agent = format!("iamidmap/{}", env!("CARGO_PKG_VERSION"));
    assert!(
        log.iter()
            .all(|l| l.user_agent.as_deref() == Some(agent.as_str())),
        "{log:?}"
    );
}

#[test]
fn forbidden_and_unreachable_are_explained() {
    let live = Live::new();
    live.run(&["create", "--yes", "--arn", ADMIN, "--group", "g"])
        .code(0);
    let before = live.server.aws_auth().unwrap();
    live.server.set_faults(Faults {
        forbidden: vec!["update configmaps".into()],
        ..Faults::default()
    });
    live.run(&[
        "create",
        "--yes",
        "--arn",
        "arn:aws:iam::111122223333:role/Dev",
        "--group",
        "g",
    ])
    .code(2)
    .stderr(predicate::str::contains(
        "update configmap `kube-system/aws-auth` is forbidden",
    ))
    .stderr(predicate::str::contains(
        "kubectl auth can-i update configmap/aws-auth -n kube-system",
    ));
    assert_eq!(live.server.aws_auth().unwrap(), before);
    let dir = tempfile::tempdir().unwrap();
    let kc = dir.path().join("kc");
    std::fs::write(&kc, "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: http://127.0.0.1:9\ncontexts:\n- name: c\n  context:\n    cluster: c\n    user: u\ncurrent-context: c\nusers:\n- name: u\n  user: {}\n").unwrap();
    bin()
        .args(["get", "--kubeconfig"])
        .arg(&kc)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("kubectl cluster-info"));
}

#[test]
fn conflicts_are_re_planned_and_a_storm_gives_up_cleanly() {
    let live = Live::new();
    live.run(&["create", "--yes", "--arn", ADMIN, "--group", "g"])
        .code(0);
    let before = live.data();
    live.server.set_faults(Faults {
        conflict_storm: true,
        ..Faults::default()
    });
    live.run(&[
        "create",
        "--yes",
        "--arn",
        "arn:aws:iam::111122223333:role/Dev",
        "--group",
        "g",
    ])
    .code(2)
    .stderr(predicate::str::contains("gave up after 8 attempts"))
    // Attempts are counted up to the last one, never past it.
    .stderr(predicate::str::contains("(attempt 8 of 8)"))
    .stderr(predicate::str::contains("(attempt 9").not());
    assert_eq!(live.data(), before, "a storm must leave the data as it was");
}

#[test]
fn faults_leave_the_object_old_or_new_with_a_backup() {
    for (label, faults) in [
        (
            "500 twice",
            Faults {
                fail_next: 2,
                ..Faults::default()
            },
        ),
        (
            "500 five times in a row",
            Faults {
                fail_next: 5,
                ..Faults::default()
            },
        ),
        (
            "300 ms latency on every request",
            Faults {
                latency: std::time::Duration::from_millis(300),
                ..Faults::default()
            },
        ),
        (
            "dropped before answering",
            Faults {
                drop_next: 1,
                ..Faults::default()
            },
        ),
        (
            "dropped after the write",
            Faults {
                drop_after_write: 1,
                ..Faults::default()
            },
        ),
    ] {
        let live = Live::new();
        live.run(&["create", "--yes", "--arn", ADMIN, "--group", "g"])
            .code(0);
        let old = live.data();
        live.server.set_faults(faults);
        let start = std::time::Instant::now();
        let out = live
            .cmd()
            .args([
                "create",
                "--yes",
                "--arn",
                "arn:aws:iam::111122223333:role/Dev",
                "--group",
                "g",
            ])
            .output()
            .unwrap();
        let new = live.data();
        let added = new["mapRoles"]
            .ends_with("- rolearn: arn:aws:iam::111122223333:role/Dev\n  groups:\n    - g\n");
        assert!(new == old || added, "{label}: neither old nor new: {new:?}");
        assert_eq!(
            out.status.code(),
            Some(0),
            "{label}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(added, "{label}: the retry did not land the change");
        assert_eq!(
            new["mapRoles"].matches("role/Dev").count(),
            1,
            "{label}: applied twice"
        );
        assert!(!live.backup_files().is_empty(), "{label}: no backup");
        eprintln!("fault {label}: create landed in {:?}", start.elapsed());
    }
}

/// `n` writers at once, each adding its own role. Returns (writers that landed, writers that gave up,
/// wall time, requests, 409 answers), after checking the invariants: every writer either landed (its entry
/// there exactly once) or gave up with a clear error (its entry absent); nothing else was lost; every write
/// had a backup.
fn concurrent_writers(n: usize) -> (usize, usize, std::time::Duration, usize, usize) {
    let _heavy = support::heavy();
    let live = Live::new();
    live.run(&["create", "--yes", "--arn", ADMIN, "--group", "g"])
        .code(0);
    live.server.clear_log();
    let backups_before = live.backup_files().len();
    let exe = assert_cmd::cargo::cargo_bin("iamidmap");
    let start = std::time::Instant::now();
    let children: Vec<_> = (0..n)
        .map(|i| {
            let mut cmd = support::command(&exe);
            support::hermetic(&mut cmd);
            cmd.env("KUBECONFIG", &live.kubeconfig)
                .env_remove("RUST_BACKTRACE")
                .arg("--backup-dir")
                .arg(live.backups())
                .args([
                    "-q",
                    "--as-arn",
                    "arn:aws:iam::111122223333:role/writer",
                    "create",
                    "--yes",
                    "--skip-iam-check",
                    "--skip-rbac-check",
                    "--arn",
                    &format!("arn:aws:iam::111122223333:role/writer-{i:02}"),
                    "--group",
                    "g",
                ])
                .stdin(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let outcomes: Vec<_> = children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect();
    let elapsed = start.elapsed();
    let roles = &live.data()["mapRoles"];
    let (mut landed, mut gave_up) = (0, 0);
    for (i, out) in outcomes.iter().enumerate() {
        let there = roles.matches(&format!("role/writer-{i:02}\n")).count();
        match out.status.code() {
            Some(0) => {
                assert_eq!(there, 1, "writer {i} landed once:\n{roles}");
                landed += 1;
            }
            Some(2) => {
                let err = String::from_utf8_lossy(&out.stderr);
                assert!(
                    err.contains("gave up after 8 attempts"),
                    "writer {i}: {err}"
                );
                assert_eq!(there, 0, "writer {i} gave up but its entry is there");
                gave_up += 1;
            }
            other => panic!(
                "writer {i}: exit {other:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            ),
        }
    }
    assert!(roles.contains("role/Admin"), "an entry was lost");
    let log = live.server.log();
    let writes = log
        .iter()
        .filter(|l| l.method == "PUT" && l.status == 200)
        .count();
    assert_eq!(writes, landed, "one successful PUT per writer that landed");
    assert!(
        live.backup_files().len() - backups_before >= landed,
        "a backup for every write"
    );
    let conflicts = log.iter().filter(|l| l.status == 409).count();
    (landed, gave_up, elapsed, log.len(), conflicts)
}

#[test]
fn sixteen_concurrent_writers_all_land() {
    let (landed, gave_up, elapsed, requests, conflicts) = concurrent_writers(16);
    eprintln!(
        "16 writers: {landed} landed, {gave_up} gave up, {elapsed:?}, {requests} requests, {conflicts} conflicts"
    );
    assert_eq!((landed, gave_up), (16, 0));
}

#[test]
fn sixty_four_concurrent_writers_lose_nothing() {
    let (landed, gave_up, elapsed, requests, conflicts) = concurrent_writers(64);
    eprintln!(
        "64 writers: {landed} landed, {gave_up} gave up, {elapsed:?}, {requests} requests, {conflicts} conflicts"
    );
    assert_eq!(landed + gave_up, 64);
    assert!(landed >= 32, "most writers land: {landed}");
    assert!(
        elapsed < std::time::Duration::from_secs(120),
        "bounded time: {elapsed:?}"
    );
}

/// A ConfigMap near the 1 MiB limit is edited like a small one; an edit past the limit is refused by the
/// guard before anything is sent.
#[test]
fn a_one_mib_configmap_is_edited_and_the_limit_is_kept() {
    let _heavy = support::heavy();
    let live = Live::new();
    let mut roles = String::new();
    let mut i = 0;
    while roles.len() < 1024 * 1024 - 600 {
        roles.push_str(&format!(
            "- rolearn: arn:aws:iam::111122223333:role/team-{i:05}\n  username: team-{i:05}:{{{{SessionName}}}}\n  groups:\n    - team-{i:05}\n"
        ));
        i += 1;
    }
    let mut data = BTreeMap::new();
    data.insert("mapRoles".to_string(), roles.clone());
    live.server.seed_aws_auth(&data);
    let start = std::time::Instant::now();
    live.run(&[
        "--as-arn",
        ADMIN,
        "create",
        "--yes",
        "--skip-iam-check",
        "--skip-rbac-check",
        "--arn",
        ADMIN,
        "--group",
        "g",
    ])
    .code(0);
    eprintln!(
        "1 MiB ConfigMap ({i} entries): create in {:?}",
        start.elapsed()
    );
    let after = live.data();
    assert!(after["mapRoles"].starts_with(&roles), "every old byte kept");
    assert!(
        after["mapRoles"]
            .ends_with("- rolearn: arn:aws:iam::111122223333:role/Admin\n  groups:\n    - g\n")
    );
    live.server.clear_log();
    live.run(&[
        "--as-arn",
        ADMIN,
        "create",
        "--yes",
        "--skip-iam-check",
        "--skip-rbac-check",
        "--arn",
        "arn:aws:iam::111122223333:role/one-too-many-with-a-long-name-to-pass-the-limit",
        "--username",
        &"u".repeat(600),
        "--group",
        "g",
    ])
    .code(3)
    .stderr(predicate::str::contains(
        "over the API server's 1 MiB limit",
    ));
    assert!(
        !live.server.log().iter().any(|l| l.method == "PUT"),
        "nothing sent"
    );
}

/// kubectl as the referee: it must read what iamidmap writes, and iamidmap must read what kubectl writes.
#[test]
#[cfg_attr(
    iamidmap_skip_kubectl,
    ignore = "kubectl is not on PATH (IAMIDMAP_ALLOW_SKIP=1)"
)]
fn kubectl_and_iamidmap_agree() {
    let Some(kubectl) = support::kubectl() else {
        return;
    };
    let live = Live::new();
    let cache = live.dir.path().join("kube-cache");
    let kc = |args: &[&str]| {
        let out = support::command(&kubectl)
            .env("KUBECONFIG", &live.kubeconfig)
            .arg("--cache-dir")
            .arg(&cache)
            .args(args)
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "kubectl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    // kubectl apply (default validation) of a commented manifest; iamidmap reads it.
    kc(&[
        "apply",
        "-f",
        support::fixtures_dir()
            .join("commented.yaml")
            .to_str()
            .unwrap(),
    ]);
    let out = bin()
        .env("KUBECONFIG", &live.kubeconfig)
        .args(["get", "-o", "json"])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v[1]["rolearn"], ADMIN);
    // iamidmap writes; kubectl reads the same bytes back.
    live.run(&[
        "create",
        "--yes",
        "--arn",
        "arn:aws:iam::111122223333:role/Dev",
        "--username",
        "dev",
        "--group",
        "developers",
    ])
    .code(0);
    let got: Value = serde_json::from_str(&kc(&[
        "get",
        "configmap",
        "aws-auth",
        "-n",
        "kube-system",
        "-o",
        "json",
    ]))
    .unwrap();
    assert_eq!(
        got["data"]["mapRoles"].as_str().unwrap(),
        live.data()["mapRoles"]
    );
    assert!(
        got["data"]["mapRoles"]
            .as_str()
            .unwrap()
            .contains("# break-glass admins")
    );
    // kubectl replace and edit work against the server, and iamidmap reads the result.
    let mut obj = got.clone();
    obj["data"]["mapAccounts"] = Value::String("- \"111122223333\"\n".into());
    let file = live.dir.path().join("replace.json");
    std::fs::write(&file, serde_json::to_string(&obj).unwrap()).unwrap();
    kc(&["replace", "-f", file.to_str().unwrap()]);
    let editor = live.dir.path().join("editor.sh");
    std::fs::write(&editor, "#!/bin/sh\nif grep -q '^# \\* ' \"$1\"; then : > \"$1\"; exit 0; fi\nsed -i 's/username: dev/username: developer/' \"$1\"\n").unwrap();
    std::fs::set_permissions(&editor, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let out = support::command(&kubectl)
        .env("KUBECONFIG", &live.kubeconfig)
        .env("KUBE_EDITOR", &editor)
        .arg("--cache-dir")
        .arg(&cache)
        .args(["edit", "configmap", "aws-auth", "-n", "kube-system"])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "kubectl edit: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = bin()
        .env("KUBECONFIG", &live.kubeconfig)
        .args([
            "get",
            "-o",
            "json",
            "--arn",
            "arn:aws:iam::111122223333:role/Dev",
        ])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v[0]["username"], "developer");
    let out = bin()
        .env("KUBECONFIG", &live.kubeconfig)
        .args(["get", "-o", "json"])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v.as_array().unwrap().last().unwrap()["account"],
        "111122223333"
    );
}

#[test]
fn a_concurrent_create_falls_back_to_an_update() {
    let live = Live::new();
    live.server.set_faults(Faults {
        create_race: true,
        ..Faults::default()
    });
    live.run(&["create", "--yes", "--arn", ADMIN, "--group", "g"])
        .code(0)
        .stderr(predicate::str::contains("changed since it was read"));
    let data = live.data();
    assert!(
        data["mapUsers"].contains("user/racer"),
        "the other writer's entry is kept"
    );
    assert!(data["mapRoles"].contains("role/Admin"));
}

#[test]
fn no_backup_no_write() {
    let live = Live::new();
    live.run(&["create", "--yes", "--arn", ADMIN, "--group", "g"])
        .code(0);
    let before = live.server.aws_auth().unwrap();
    let not_a_dir = live.dir.path().join("file");
    std::fs::write(&not_a_dir, "x").unwrap();
    bin()
        .env("KUBECONFIG", &live.kubeconfig)
        .arg("--backup-dir")
        .arg(&not_a_dir)
        .args([
            "create",
            "--yes",
            "--arn",
            "arn:aws:iam::111122223333:role/Dev",
            "--group",
            "g",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "no backup could be written, so nothing was changed",
        ));
    assert_eq!(live.server.aws_auth().unwrap(), before);
}

#[test]
fn default_backup_dir_is_per_context_under_xdg_state_home() {
    let live = Live::new();
    live.run(&["create", "--yes", "--arn", ADMIN, "--group", "g"])
        .code(0);
    let state = live.dir.path().join("state");
    bin()
        .env("KUBECONFIG", &live.kubeconfig)
        .env("XDG_STATE_HOME", &state)
        .args([
            "create",
            "--yes",
            "--arn",
            "arn:aws:iam::111122223333:role/Dev",
            "--group",
            "g",
        ])
        .assert()
        .code(0);
    let dir = state.join("iamidmap/backups/test");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    // The state the write replaced, and the state it left.
    assert_eq!(files.len(), 2, "{}: {files:?}", dir.display());
    assert!(
        files[0].ends_with("-before.yaml") && files[1].ends_with("-after.yaml"),
        "{files:?}"
    );
}

/// The kubeconfig user gets its token from an exec plugin: the real `aws eks get-token`, offline, with
/// dummy credentials (no request leaves 127.0.0.1).
#[test]
#[cfg_attr(
    iamidmap_skip_aws,
    ignore = "the AWS CLI or moto is not installed (IAMIDMAP_ALLOW_SKIP=1)"
)]
fn exec_credential_plugin_aws_eks_get_token() {
    let Some(aws) = support::aws_cli() else {
        return;
    };
    let live = Live::new();
    let home = live.dir.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let kc = live.server.kubeconfig_with_user(
        &live.dir.path().join("kubeconfig-exec"),
        "eks",
        serde_json::json!({"exec": {
        "apiVersion": "client.authentication.k8s.io/v1beta1", "command": aws.display().to_string(),
        "args": ["eks", "get-token", "--cluster-name", "prod", "--region", "us-east-1"],
        "interactiveMode": "Never",
        "env": [
            {"name": "AWS_ACCESS_KEY_ID", "value": "AKIAIOSFODNN7EXAMPLE"},
            {"name": "AWS_SECRET_ACCESS_KEY", "value": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"},
            {"name": "AWS_CONFIG_FILE", "value": "/dev/null"},
            {"name": "AWS_SHARED_CREDENTIALS_FILE", "value": "/dev/null"},
            {"name": "AWS_EC2_METADATA_DISABLED", "value": "true"},
        ]}}),
    );
    // The dummy key is nobody's, so no STS could resolve the token: the server is told whom EKS would
    // say it is (tests/safety.rs resolves real tokens through the local STS).
    live.server
        .set_whoami(serde_json::json!({"username": "eks-user", "groups": ["system:masters", "system:authenticated"]}));
    bin()
        .env("HOME", &home)
        .args(["get", "--kubeconfig"])
        .arg(&kc)
        .assert()
        .code(0);
    let auth = live.server.log()[0]
        .authorization
        .clone()
        .unwrap_or_default();
    assert!(auth.starts_with("Bearer k8s-aws-v1."), "{auth}");
}

/// On a terminal, the diff is shown and the answer is asked for; `n` writes nothing.
#[test]
fn the_prompt_shows_the_diff_and_respects_no() {
    let live = Live::new();
    live.run(&["create", "--yes", "--arn", ADMIN, "--group", "g"])
        .code(0);
    let before = live.server.aws_auth().unwrap();
    let exe = assert_cmd::cargo::cargo_bin("iamidmap");
    let cmd = format!(
        "{} --backup-dir {} create --arn arn:aws:iam::111122223333:role/Dev --group g",
        exe.display(),
        live.backups().display()
    );
    let mut script = support::command("script");
    let mut child = script
        .args(["-qec", &cmd, "/dev/null"])
        .env("KUBECONFIG", &live.kubeconfig)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Read the terminal until the question is asked (not a fixed wait), then answer `n`.
    let mut stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<Vec<u8>>();
    std::thread::spawn(move || {
        use std::io::Read;
        let mut buf = [0u8; 4096];
        while let Ok(n) = stdout.read(&mut buf) {
            if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    let mut screen = String::new();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !screen.contains("Write these changes") {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match rx.recv_timeout(left) {
            Ok(bytes) => screen.push_str(&String::from_utf8_lossy(&bytes)),
            Err(_) => panic!("no prompt within 60 s:\n{screen}"),
        }
    }
    {
        use std::io::Write;
        child.stdin.take().unwrap().write_all(b"n\n").unwrap();
    }
    let status = child.wait().unwrap();
    while let Ok(bytes) = rx.recv_timeout(std::time::Duration::from_secs(5)) {
        screen.push_str(&String::from_utf8_lossy(&bytes));
    }
    // A declined confirmation is a refusal: exit 3, and it says nothing was written.
    assert_eq!(status.code(), Some(3), "{screen}");
    assert!(screen.contains("aborted; nothing was written"), "{screen}");
    assert!(
        screen.contains("+    - rolearn: arn:aws:iam::111122223333:role/Dev"),
        "{screen}"
    );
    assert!(
        screen.contains("Write these changes to configmap kube-system/aws-auth"),
        "{screen}"
    );
    assert_eq!(live.server.aws_auth().unwrap(), before);
}

#[test]
fn unauthorized_and_timeouts_are_explained() {
    let live = Live::new();
    live.server.set_faults(Faults {
        unauthorized: true,
        ..Faults::default()
    });
    live.run(&["get"])
        .code(2)
        .stderr(predicate::str::contains(
            "refused the credentials of the kubeconfig user (401 Unauthorized)",
        ))
        .stderr(predicate::str::contains("aws sts get-caller-identity"));
    live.server.set_faults(Faults {
        latency: std::time::Duration::from_millis(2500),
        ..Faults::default()
    });
    let started = std::time::Instant::now();
    live.run(&["get", "--request-timeout", "1"]).code(2).stderr(
        predicate::str::contains("did not answer in time")
            .or(predicate::str::contains("cannot reach")),
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(20),
        "bounded by the request timeout and retries"
    );
}

#[test]
fn another_namespace_and_name() {
    let live = Live::new();
    // A namespace that does not exist is said so, and nothing is created (as the real server refuses).
    live.run(&[
        "--namespace",
        "spark",
        "create",
        "--yes",
        "--arn",
        ADMIN,
        "--group",
        "g",
    ])
    .code(2)
    .stderr(predicate::str::contains(
        "the namespace `spark` does not exist",
    ))
    .stderr(predicate::str::contains("kube-system"));
    live.server.seed(
        "/api/v1/namespaces/auth",
        serde_json::json!({"metadata": {}}),
    );
    live.run(&[
        "--namespace",
        "auth",
        "--name",
        "aws-auth-staging",
        "create",
        "--yes",
        "--arn",
        ADMIN,
        "--group",
        "g",
    ])
    .code(0)
    .stderr(predicate::str::contains(
        "created configmap auth/aws-auth-staging",
    ));
    assert!(live.server.aws_auth().is_none());
    let out = bin()
        .env("KUBECONFIG", &live.kubeconfig)
        .args([
            "get",
            "-o",
            "json",
            "--namespace",
            "auth",
            "--name",
            "aws-auth-staging",
        ])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v[0]["rolearn"], ADMIN);
}

/// The RBAC endpoints the IAM/RBAC checks will use answer kubectl like a real server.
#[test]
#[cfg_attr(
    iamidmap_skip_kubectl,
    ignore = "kubectl is not on PATH (IAMIDMAP_ALLOW_SKIP=1)"
)]
fn kubectl_manages_rbac_objects_on_the_test_server() {
    let Some(kubectl) = support::kubectl() else {
        return;
    };
    let live = Live::new();
    let manifest = live.dir.path().join("rbac.yaml");
    std::fs::write(&manifest, "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: aws-auth-editor\nrules:\n- apiGroups: [\"\"]\n  resources: [configmaps]\n  resourceNames: [aws-auth]\n  verbs: [get, update, patch]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: platform-aws-auth-editor\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: aws-auth-editor\nsubjects:\n- kind: Group\n  name: platform-admins\n  apiGroup: rbac.authorization.k8s.io\n").unwrap();
    let kc = |args: &[&str]| {
        support::command(&kubectl)
            .env("KUBECONFIG", &live.kubeconfig)
            .arg("--cache-dir")
            .arg(live.dir.path().join("cache"))
            .args(args)
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap()
    };
    let out = kc(&["apply", "-f", manifest.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = kc(&[
        "get",
        "clusterrolebinding",
        "platform-aws-auth-editor",
        "-o",
        "json",
    ]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["subjects"][0]["name"], "platform-admins");
    let out = kc(&["delete", "clusterrole", "aws-auth-editor"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The test API server refuses what a real one refuses, judged by the real kubectl (and the kube client for
/// delete preconditions): no token or a wrong one (401), a namespace that does not exist (404), a body that
/// names another object (400), a resourceVersion on create, an immutable ConfigMap changed, an unknown
/// field under fieldValidation=Strict, an impersonated user without rights (403), a stale precondition.
#[test]
#[cfg_attr(
    iamidmap_skip_kubectl,
    ignore = "kubectl is not on PATH (IAMIDMAP_ALLOW_SKIP=1)"
)]
fn the_test_server_refuses_what_a_real_one_refuses() {
    let Some(kubectl) = support::kubectl() else {
        return;
    };
    let live = Live::new();
    let file = |name: &str, text: &str| {
        let p = live.dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p.display().to_string()
    };
    let kc = |args: &[&str]| {
        let out = support::command(&kubectl)
            .env("KUBECONFIG", &live.kubeconfig)
            .arg("--cache-dir")
            .arg(live.dir.path().join("cache"))
            .args(args)
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let refused = |args: &[&str], says: &str| {
        let (ok, err) = kc(args);
        assert!(!ok && err.contains(says), "{args:?}: {err}");
    };
    refused(
        &["get", "configmaps", "-n", "kube-system", "--token", "wrong"],
        "You must be logged in to the server",
    );
    let cm = |name: &str, ns: &str| {
        file(
            &format!("{name}.json"),
            &format!(
                r#"{{"apiVersion":"v1","kind":"ConfigMap","metadata":{{"name":"{name}","namespace":"{ns}"}},"data":{{"a":"b"}}}}"#
            ),
        )
    };
    refused(
        &[
            "create",
            "--raw",
            "/api/v1/namespaces/nowhere/configmaps",
            "-f",
            &cm("x", "nowhere"),
        ],
        "namespaces \"nowhere\" not found",
    );
    // The server speaks JSON; protobuf (what `kubectl create configmap` sends) is refused as unsupported.
    refused(
        &[
            "create",
            "configmap",
            "p",
            "-n",
            "kube-system",
            "--from-literal=a=b",
        ],
        "the body of the request was in an unknown format",
    );
    let other = file(
        "other-name.json",
        r#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"b","namespace":"kube-system"},"data":{"a":"b"}}"#,
    );
    assert!(
        kc(&[
            "create",
            "--raw",
            "/api/v1/namespaces/kube-system/configmaps",
            "-f",
            &cm("a", "kube-system")
        ])
        .0
    );
    refused(
        &[
            "replace",
            "--raw",
            "/api/v1/namespaces/kube-system/configmaps/a",
            "-f",
            &other,
        ],
        "does not match the name on the URL",
    );
    let with_rv = file(
        "with-rv.json",
        r#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c","namespace":"kube-system","resourceVersion":"7"},"data":{"a":"b"}}"#,
    );
    refused(
        &[
            "create",
            "--raw",
            "/api/v1/namespaces/kube-system/configmaps",
            "-f",
            &with_rv,
        ],
        "resourceVersion should not be set",
    );
    let unknown = file(
        "unknown-field.json",
        r#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"d","namespace":"kube-system"},"data":{"a":"b"},"dta":{}}"#,
    );
    refused(
        &[
            "create",
            "--raw",
            "/api/v1/namespaces/kube-system/configmaps?fieldValidation=Strict",
            "-f",
            &unknown,
        ],
        "unknown field \"dta\"",
    );
    assert!(
        kc(&[
            "patch",
            "configmap",
            "a",
            "-n",
            "kube-system",
            "-p",
            r#"{"immutable":true}"#
        ])
        .0
    );
    refused(
        &[
            "patch",
            "configmap",
            "a",
            "-n",
            "kube-system",
            "-p",
            r#"{"data":{"a":"changed"}}"#,
        ],
        "field is immutable",
    );
    refused(
        &["get", "configmaps", "-n", "kube-system", "--as", "bob"],
        "Forbidden",
    );
    // A delete whose precondition names another version is refused (the kube client sends it).
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let config = kube::Config::from_custom_kubeconfig(
            kube::config::Kubeconfig::read_from(&live.kubeconfig).unwrap(),
            &kube::config::KubeConfigOptions::default(),
        )
        .await
        .unwrap();
        let client = kube::Client::try_from(config).unwrap();
        let api: kube::Api<k8s_openapi::api::core::v1::ConfigMap> =
            kube::Api::namespaced(client, "kube-system");
        let params = kube::api::DeleteParams {
            preconditions: Some(kube::api::Preconditions {
                resource_version: Some("1".into()),
                uid: None,
            }),
            ..Default::default()
        };
        let err = api.delete("a", &params).await.unwrap_err();
        assert!(
            err.to_string()
                .contains("does not match the ResourceVersion in record"),
            "{err}"
        );
    });
}

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

const GUARDED: &str = "- rolearn: arn:aws:iam::111122223333:role/eks-node\n  username: system:node:{{EC2PrivateDNSName}}\n  groups:\n    - system:bootstrappers\n    - system:nodes\n- rolearn: arn:aws:iam::111122223333:role/fargate\n  username: system:node:{{SessionName}}\n  groups:\n    - system:bootstrappers\n    - system:nodes\n    - system:node-proxier\n- rolearn: arn:aws:iam::111122223333:role/Admin\n  username: admin:{{SessionName}}\n  groups:\n    - system:masters\n- rolearn: arn:aws:iam::111122223333:role/Dev\n  username: dev\n  groups:\n    - developers\n";

/// The lockout scenarios through the binary: refused with exit 3 and the object unchanged, allowed with
/// --force; harmless changes pass. (Breaking the YAML, wrong key case and folded groups cannot be produced
/// by create/delete, whose edits are verified; the guard's unit tests cover them.)
#[test]
fn lockout_scenarios() {
    let me = [
        "--as-arn",
        "arn:aws:sts::111122223333:assumed-role/Admin/jane",
    ];
    let scenarios: Vec<(&str, Vec<&str>, &str)> = vec![
        (
            "self-removal",
            vec!["delete", "--arn", ADMIN],
            "[caller-loses-access]",
        ),
        (
            "losing system:masters",
            vec!["create", "--update", "--arn", ADMIN, "--group", "viewers"],
            "[caller-loses-access]",
        ),
        (
            "deleting the last admin (caller unknown)",
            vec!["delete", "--arn", ADMIN],
            "[last-system-masters]",
        ),
        (
            "removing a node role",
            vec!["delete", "--arn", "arn:aws:iam::111122223333:role/eks-node"],
            "[node-role-loses-access]",
        ),
        (
            "re-grouping a node role",
            vec![
                "create",
                "--update",
                "--arn",
                "arn:aws:iam::111122223333:role/eks-node",
                "--group",
                "system:nodes",
            ],
            "[node-role-loses-access]",
        ),
        (
            "removing a Fargate role",
            vec!["delete", "--arn", "arn:aws:iam::111122223333:role/fargate"],
            "[node-role-loses-access]",
        ),
        (
            "a duplicate that shadows the caller",
            vec![
                "create",
                "--arn",
                "arn:aws:iam::111122223333:role/admin",
                "--username",
                "admin:{{SessionName}}",
                "--group",
                "viewers",
            ],
            "[caller-loses-access]",
        ),
    ];
    for (i, (label, args, rule)) in scenarios.iter().enumerate() {
        let live = Live::new();
        live.server.seed_aws_auth(&BTreeMap::from([(
            "mapRoles".to_string(),
            GUARDED.to_string(),
        )]));
        let before = live.server.aws_auth().unwrap();
        let mut refused: Vec<&str> = args.clone();
        refused.push("--yes");
        if i != 2 {
            refused.extend(me);
        }
        live.run(&refused)
            .code(3)
            .stderr(predicate::str::contains(*rule));
        assert_eq!(
            live.server.aws_auth().unwrap(),
            before,
            "{label}: the object changed"
        );
        let mut forced = refused.clone();
        forced.push("--force");
        live.run(&forced).code(0);
        // Exactly what the same command makes of the same mappings in a file.
        assert_eq!(live.data(), file_result(&forced), "{label}: --force");
    }
    // 1 MiB overflow.
    let live = Live::new();
    let padding = "x".repeat(1024 * 1024 - 200);
    live.server.seed_aws_auth(&BTreeMap::from([
        ("mapRoles".to_string(), GUARDED.to_string()),
        ("padding".to_string(), padding),
    ]));
    live.run(&[
        "create",
        "--yes",
        "--arn",
        "arn:aws:iam::111122223333:role/Ops",
        "--username",
        "ops",
        "--group",
        "ops",
    ])
    .code(3)
    .stderr(predicate::str::contains("[size-limit]"));
    // Harmless changes pass.
    let live = Live::new();
    live.server.seed_aws_auth(&BTreeMap::from([(
        "mapRoles".to_string(),
        GUARDED.to_string(),
    )]));
    live.run(&[
        "--as-arn",
        ADMIN,
        "create",
        "--yes",
        "--arn",
        "arn:aws:iam::111122223333:role/Ops",
        "--group",
        "ops",
    ])
    .code(0);
    live.run(&[
        "--as-arn",
        ADMIN,
        "delete",
        "--yes",
        "--arn",
        "arn:aws:iam::111122223333:role/Dev",
    ])
    .code(0);
    live.run(&[
        "--as-arn",
        ADMIN,
        "create",
        "--yes",
        "--update",
        "--arn",
        ADMIN,
        "--group",
        "system:masters,auditors",
    ])
    .code(0);
}

#[test]
fn backup_now_list_and_keep() {
    let live = Live::new();
    live.server.seed_aws_auth(&BTreeMap::from([(
        "mapRoles".to_string(),
        GUARDED.to_string(),
    )]));
    for _ in 0..3 {
        live.run(&["backup"])
            .code(0)
            .stdout(predicate::str::contains(".yaml"));
    }
    assert_eq!(live.records("snapshot").len(), 3);
    for b in live.records("snapshot") {
        check_backup(&b, "snapshot");
    }
    live.run(&["backup", "--keep", "2"])
        .code(0)
        .stderr(predicate::str::contains("removed old backup"));
    assert_eq!(live.records("snapshot").len(), 2);
    let out = live
        .cmd()
        .args(["backup", "list", "-o", "json"])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 2);
    assert_eq!(v[0]["entries"], 4);
    assert_eq!(
        v[0]["resourceVersion"],
        live.server.aws_auth().unwrap()["metadata"]["resourceVersion"]
    );
    assert_eq!(v[0]["state"], "snapshot");
    assert_eq!(v[0]["thisCluster"], true);
    live.run(&["backup", "list"])
        .code(0)
        .stdout(predicate::str::contains("RESOURCEVERSION"))
        .stdout(predicate::str::contains("STATE"));
}

/// Someone broke the live ConfigMap (a typo drops every role); restore brings back the exact bytes, and the
/// broken version is backed up too.
#[test]
fn restore_onto_a_corrupted_configmap_brings_back_the_exact_bytes() {
    let live = Live::new();
    let good = BTreeMap::from([
        ("mapRoles".to_string(), GUARDED.to_string()),
        ("mapUsers".to_string(), "- userarn: arn:aws:iam::111122223333:user/alice\n  username: alice\n  groups: [developers]   # keep\n".to_string()),
        ("other".to_string(), "untouched \r\n".to_string()),
    ]);
    live.server.seed_aws_auth(&good);
    live.run(&["backup"]).code(0);
    let broken = BTreeMap::from([(
        "mapRoles".to_string(),
        GUARDED.replace("  username: dev\n", " username: dev\n"),
    )]);
    live.server.seed_aws_auth(&broken);
    live.run(&[
        "--as-arn",
        ADMIN,
        "restore",
        "--latest",
        "--yes",
        "--all-keys",
    ])
    .code(0);
    assert_eq!(live.data(), good);
    assert_eq!(
        live.backup_files().len(),
        1,
        "the broken version was backed up before the restore"
    );
    // A missing ConfigMap is created from the backup: on another cluster only when asked for.
    let empty = Live::new();
    let backup = live.records("snapshot").into_iter().next().unwrap();
    empty
        .run(&[
            "--as-arn",
            ADMIN,
            "restore",
            "--yes",
            "--all-keys",
            backup.to_str().unwrap(),
        ])
        .code(3)
        .stderr(predicate::str::contains("is a backup of another cluster"));
    assert!(empty.server.aws_auth().is_none());
    empty
        .run(&[
            "--as-arn",
            ADMIN,
            "restore",
            "--yes",
            "--all-keys",
            "--allow-other-cluster",
            backup.to_str().unwrap(),
        ])
        .code(0);
    assert_eq!(empty.data(), good);
}

#[test]
fn restore_goes_through_the_guard() {
    let live = Live::new();
    live.server.seed_aws_auth(&BTreeMap::from([(
        "mapRoles".to_string(),
        GUARDED.to_string(),
    )]));
    let file = live.dir.path().join("no-admin.yaml");
    std::fs::write(&file, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: aws-auth\n  namespace: kube-system\ndata:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/eks-node\n      username: system:node:{{EC2PrivateDNSName}}\n      groups:\n        - system:bootstrappers\n        - system:nodes\n    - rolearn: arn:aws:iam::111122223333:role/fargate\n      username: system:node:{{SessionName}}\n      groups:\n        - system:bootstrappers\n        - system:nodes\n        - system:node-proxier\n").unwrap();
    let before = live.server.aws_auth().unwrap();
    live.run(&[
        "--as-arn",
        ADMIN,
        "restore",
        "--yes",
        file.to_str().unwrap(),
    ])
    .code(3)
    .stderr(predicate::str::contains("[caller-loses-access]"))
    .stderr(predicate::str::contains("[last-system-masters]"));
    assert_eq!(live.server.aws_auth().unwrap(), before);
    live.run(&[
        "--as-arn",
        ADMIN,
        "restore",
        "--yes",
        "--force",
        file.to_str().unwrap(),
    ])
    .code(0);
    let doc = iamidmap::core::document::AuthDocument::parse(
        "no-admin.yaml",
        std::fs::read_to_string(&file).unwrap(),
    )
    .unwrap();
    let expected: BTreeMap<String, String> = doc.facts.data_strings.into_iter().collect();
    assert_eq!(live.data(), expected);
}

#[test]
fn diff_outputs() {
    let live = Live::new();
    live.server.seed_aws_auth(&BTreeMap::from([
        ("mapRoles".to_string(), GUARDED.to_string()),
        (
            "mapAccounts".to_string(),
            "- \"111122223333\"\n".to_string(),
        ),
    ]));
    let file = live.dir.path().join("wanted.yaml");
    std::fs::write(&file, format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: aws-auth\n  namespace: kube-system\ndata:\n  mapRoles: |\n{}  mapUsers: |\n    - userarn: arn:aws:iam::111122223333:user/alice\n      username: alice\n      groups: [developers]\n",
        GUARDED
            .replace("    - developers\n", "    - developers\n    - viewers\n")
            .replace("- rolearn: arn:aws:iam::111122223333:role/fargate\n  username: system:node:{{SessionName}}\n  groups:\n    - system:bootstrappers\n    - system:nodes\n    - system:node-proxier\n", "")
            .lines()
            .map(|l| format!("    {l}\n"))
            .collect::<String>()
    )).unwrap();
    let run = |args: &[&str]| {
        let out = bin()
            .env("KUBECONFIG", &live.kubeconfig)
            .current_dir(live.dir.path())
            .args(args)
            .output()
            .unwrap();
        support::transcript(&args.join(" "), &out)
    };
    let mut report = String::new();
    report.push_str(&run(&["diff", "-f", "wanted.yaml"]));
    report.push_str(&run(&[
        "diff",
        "--from",
        "live",
        "--to",
        "wanted.yaml",
        "-o",
        "json",
        "--exit-code",
    ]));
    report.push_str(&run(&[
        "diff",
        "--from",
        "wanted.yaml",
        "--to",
        "wanted.yaml",
        "--exit-code",
    ]));
    support::described("`diff` between the live ConfigMap, files and backups: the semantic change (who gains or loses what) and the unified diff of the values; `--exit-code` exits 1 when they differ.").bind(|| {
        insta::assert_snapshot!(report);
    });
}

/// docs/break-glass.md, step by step: a typo drops every role; validate shows it, diff against the last
/// backup shows who lost access, restore --latest brings it back, get --arn shows the admin mapped again.
#[test]
fn break_glass_runbook() {
    let live = Live::new();
    live.server.seed_aws_auth(&BTreeMap::from([(
        "mapRoles".to_string(),
        GUARDED.to_string(),
    )]));
    // An earlier iamidmap write left a backup of the good version.
    live.run(&["backup"]).code(0);
    // Someone edits with another tool and breaks the indentation: every role is dropped.
    let broken = BTreeMap::from([(
        "mapRoles".to_string(),
        GUARDED.replace("  username: dev\n", " username: dev\n"),
    )]);
    live.server.seed_aws_auth(&broken);
    // Step 2: validate the live ConfigMap.
    live.run(&["validate"])
        .code(1)
        .stdout(predicate::str::contains("IM010 list-dropped"));
    // Step 3: what changed since the last backup.
    live.run(&["backup", "list"])
        .code(0)
        .stdout(predicate::str::contains("backup"));
    live.run(&["diff", "--from", "latest", "--to", "live"])
        .code(0)
        .stdout(predicate::str::contains(
            "- role `arn:aws:iam::111122223333:role/Admin`",
        ))
        .stdout(predicate::str::contains("no longer mapped"));
    // Step 4: restore.
    live.run(&[
        "restore",
        "--latest",
        "--yes",
        "--as-arn",
        "arn:aws:sts::111122223333:assumed-role/Admin/jane",
    ])
    .code(0);
    assert_eq!(live.data()["mapRoles"], GUARDED);
    // Step 5: the admin is mapped again, as the authenticator would answer.
    live.run(&[
        "verify",
        "--arn",
        "arn:aws:sts::111122223333:assumed-role/Admin/jane",
    ])
    .code(0)
    .stdout(predicate::str::contains("username: admin:jane"))
    .stdout(predicate::str::contains("groups: system:masters"));
    let out = bin()
        .env("KUBECONFIG", &live.kubeconfig)
        .args([
            "get",
            "-o",
            "json",
            "--arn",
            "arn:aws:sts::111122223333:assumed-role/Admin/jane",
        ])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v[0]["groups"], serde_json::json!(["system:masters"]));
}

/// On a file (no cluster to ask), without --as-arn the guard asks STS (moto, on 127.0.0.1) who the shell's
/// credentials are, and protects that access. The role and the session are made with the real AWS CLI, as an
/// operator would. (On a cluster, the cluster is asked: tests/safety.rs.)
#[test]
#[cfg_attr(
    iamidmap_skip_aws,
    ignore = "the AWS CLI or moto is not installed (IAMIDMAP_ALLOW_SKIP=1)"
)]
fn on_files_the_guard_finds_the_caller_with_the_shells_sts_identity() {
    let (Some(moto), Some(aws)) = (support::moto(), support::aws_cli()) else {
        return;
    };
    support::create_assumable_role(&aws, &moto.url, "eks-admins");
    let assumed = support::aws_json(
        &aws,
        Some(&moto.url),
        &[
            "sts",
            "assume-role",
            "--role-arn",
            "arn:aws:iam::123456789012:role/eks-admins",
            "--role-session-name",
            "jane",
        ],
        None,
    );
    let c = &assumed["Credentials"];
    let (key, secret, token) = (
        c["AccessKeyId"].as_str().unwrap(),
        c["SecretAccessKey"].as_str().unwrap(),
        c["SessionToken"].as_str().unwrap(),
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("aws-auth.yaml");
    let me = "arn:aws:iam::123456789012:role/eks-admins";
    let indented: String = GUARDED.lines().map(|l| format!("    {l}\n")).collect();
    std::fs::write(
        &file,
        format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: aws-auth\n  namespace: kube-system\ndata:\n  mapRoles: |\n{indented}    - rolearn: {me}\n      username: admin:{{{{SessionName}}}}\n      groups:\n        - system:masters\n"
        ),
    )
    .unwrap();
    let before = std::fs::read_to_string(&file).unwrap();
    let as_jane = |args: &[&str]| {
        let mut cmd = bin();
        support::aws_endpoint(&mut cmd, &moto.url);
        cmd.env("AWS_ACCESS_KEY_ID", key)
            .env("AWS_SECRET_ACCESS_KEY", secret)
            .env("AWS_SESSION_TOKEN", token)
            .args(args)
            .arg("-f")
            .arg(&file)
            .assert()
    };
    as_jane(&["-v", "delete", "--yes", "--arn", me])
        .code(3)
        .stderr(predicate::str::contains(format!(
            "caller: `{me}` (your shell's AWS credentials: STS GetCallerIdentity says `arn:aws:sts::123456789012:assumed-role/eks-admins/jane`)"
        )))
        .stderr(predicate::str::contains(format!(
            "[caller-loses-access] `{me}` (you)"
        )));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), before);
    // Someone else's entry can go: the caller is known and keeps access.
    as_jane(&[
        "delete",
        "--yes",
        "--arn",
        "arn:aws:iam::111122223333:role/Dev",
    ])
    .code(0)
    .stderr(predicate::str::contains("caller-unknown").not());
}

/// The scenarios only a restore (of a file edited by other tools) can produce: each refused with exit 3
/// and the object unchanged, each allowed with --force.
#[test]
fn restoring_a_file_the_authenticator_would_drop_is_refused() {
    let header = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: aws-auth\n  namespace: kube-system\ndata:\n";
    let indented: String = GUARDED.lines().map(|l| format!("    {l}\n")).collect();
    let cases = [
        (
            "broken YAML",
            format!(
                "{header}  mapRoles: |\n{}",
                indented.replace("      username: dev\n", "     username: dev\n")
            ),
        ),
        (
            "wrong key case",
            format!("{header}  maproles: |\n{indented}"),
        ),
        (
            "folded groups",
            format!(
                "{header}  mapRoles: |\n{}",
                indented.replacen("        - system:nodes\n", "         - system:nodes\n", 1)
            ),
        ),
        (
            "unquoted template",
            format!(
                "{header}  mapRoles: |\n{}",
                indented.replace("username: dev", "username: {{SessionName}}")
            ),
        ),
    ];
    for (label, text) in cases {
        let live = Live::new();
        live.server.seed_aws_auth(&BTreeMap::from([(
            "mapRoles".to_string(),
            GUARDED.to_string(),
        )]));
        let before = live.server.aws_auth().unwrap();
        let file = live.dir.path().join("bad.yaml");
        std::fs::write(&file, &text).unwrap();
        live.run(&[
            "--as-arn",
            ADMIN,
            "restore",
            "--yes",
            file.to_str().unwrap(),
        ])
        .code(3)
        .stderr(predicate::str::contains("[drops-entries]"));
        assert_eq!(
            live.server.aws_auth().unwrap(),
            before,
            "{label}: the object changed"
        );
        live.run(&[
            "--as-arn",
            ADMIN,
            "restore",
            "--yes",
            "--force",
            file.to_str().unwrap(),
        ])
        .code(0);
        // The mappings of the file, exactly (the live object had no other data keys).
        let doc = iamidmap::core::document::AuthDocument::parse("bad.yaml", text.clone()).unwrap();
        let expected: BTreeMap<String, String> = doc.facts.data_strings.into_iter().collect();
        assert_eq!(live.data(), expected, "{label}");
    }
}

#[test]
fn repair_fixes_the_live_configmap_through_the_pipeline() {
    let live = Live::new();
    let broken = GUARDED.replace("username: dev", "username: {{SessionName}}");
    live.server
        .seed_aws_auth(&BTreeMap::from([("mapRoles".to_string(), broken)]));
    live.run(&["validate"])
        .code(1)
        .stdout(predicate::str::contains("IM011"));
    live.run(&["repair", "--dry-run", "--as-arn", ADMIN])
        .code(0)
        .stdout(predicate::str::contains("username: \"{{SessionName}}\""));
    live.run(&["repair", "--yes", "--as-arn", ADMIN])
        .code(0)
        .stderr(predicate::str::contains("fix IM011"));
    assert_eq!(
        live.data()["mapRoles"],
        GUARDED.replace("username: dev", "username: \"{{SessionName}}\"")
    );
    assert_eq!(live.backup_files().len(), 1);
    live.run(&["validate"]).code(0);
    live.run(&["repair", "--yes", "--as-arn", ADMIN])
        .code(0)
        .stderr(predicate::str::contains("nothing to repair"));
}

#[test]
fn verbose_logs_requests_without_credentials() {
    let live = Live::new();
    let out = live
        .cmd()
        .args(["-v", "create", "--yes", "--arn", ADMIN, "--group", "g"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    for line in [
        "debug: > GET /apis/rbac.authorization.k8s.io/v1/clusterrolebindings?",
        "debug: > GET /api/v1/namespaces/kube-system/configmaps/aws-auth",
        "debug: < 404 Not Found for GET /api/v1/namespaces/kube-system/configmaps/aws-auth in ",
        "debug: > POST /api/v1/namespaces/kube-system/configmaps?",
        "debug: >   content-type: application/json",
        "debug: < 201 Created for POST",
        "debug: caller: `kubernetes-admin`, authenticated without IAM",
    ] {
        assert!(err.contains(line), "{line:?} not in:\n{err}");
    }
    // The kubeconfig's bearer token and the AWS secret key never appear, in full or in part.
    for secret in ["test-token", "wJalrXUtnFEMI"] {
        assert!(!err.contains(secret), "{secret} leaked:\n{err}");
    }
}

/// The exec plugin (`aws eks get-token` on EKS, ~0.5 s a run) runs once per command: create's RBAC
/// check uses the write pipeline's own connection.
#[test]
fn create_runs_the_exec_plugin_once() {
    let live = Live::new();
    let count = live.dir.path().join("plugin-runs");
    let plugin = live.dir.path().join("plugin.sh");
    std::fs::write(
        &plugin,
        format!(
            "#!/bin/sh\necho run >> '{}'\necho '{{\"apiVersion\":\"client.authentication.k8s.io/v1beta1\",\"kind\":\"ExecCredential\",\"status\":{{\"token\":\"exec-token\",\"expirationTimestamp\":\"2999-01-01T00:00:00Z\"}}}}'\n",
            count.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&plugin, std::fs::Permissions::from_mode(0o755)).unwrap();
    live.server.accept_token("exec-token");
    let kubeconfig = live.server.kubeconfig_with_user(
        &live.dir.path().join("kubeconfig-exec"),
        "t",
        serde_json::json!({"exec": {"apiVersion": "client.authentication.k8s.io/v1beta1",
            "command": plugin.display().to_string(), "interactiveMode": "Never"}}),
    );
    live.cmd()
        .env("KUBECONFIG", &kubeconfig)
        .args([
            "--as-arn",
            ADMIN,
            "create",
            "--yes",
            "--skip-iam-check",
            "--arn",
            ADMIN,
            "--group",
            "g",
        ])
        .assert()
        .code(0);
    assert!(
        live.server
            .log()
            .iter()
            .any(|l| l.method == "GET" && l.path.contains("rolebindings"))
    );
    assert_eq!(std::fs::read_to_string(&count).unwrap().lines().count(), 1);
}

/// `kubectl auth can-i` against the test server: SelfSubjectAccessReview as doctor asks it, answered by
/// the server's authorization (an admin token, an impersonated user before and after a grant).
#[test]
#[cfg_attr(
    iamidmap_skip_kubectl,
    ignore = "kubectl is not installed (IAMIDMAP_ALLOW_SKIP=1)"
)]
fn kubectl_auth_can_i_on_the_test_server() {
    let Some(kubectl) = support::kubectl() else {
        return;
    };
    let live = Live::new();
    let can_i = |args: &[&str]| {
        let out = support::command(&kubectl)
            .env("KUBECONFIG", &live.kubeconfig)
            .arg("--cache-dir")
            .arg(live.dir.path().join("cache"))
            .args(["auth", "can-i"])
            .args(args)
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout).trim(),
            String::from_utf8_lossy(&out.stderr).trim()
        )
    };
    assert_eq!(can_i(&["delete", "configmaps", "-n", "default"]), "yes");
    assert!(can_i(&["get", "configmaps", "--as", "alice"]).starts_with("no"));
    live.server.grant("alice", "get configmaps");
    assert_eq!(can_i(&["get", "configmaps", "--as", "alice"]), "yes");
    assert!(can_i(&["delete", "configmaps", "--as", "alice"]).starts_with("no"));
    // Through RBAC objects: a RoleBinding in team-a of a ClusterRole to a group of alice's.
    live.server.seed(
        "/apis/rbac.authorization.k8s.io/v1/clusterroles/cm-editor",
        serde_json::json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
            "metadata": {"name": "cm-editor"},
            "rules": [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["delete"]}]}),
    );
    live.server.seed(
        "/apis/rbac.authorization.k8s.io/v1/namespaces/team-a/rolebindings/cm-editors",
        serde_json::json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
            "metadata": {"name": "cm-editors", "namespace": "team-a"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cm-editor"},
            "subjects": [{"kind": "Group", "name": "editors", "apiGroup": "rbac.authorization.k8s.io"}]}),
    );
    let editor = |verb: &str, ns: &str| {
        can_i(&[
            verb,
            "configmaps",
            "-n",
            ns,
            "--as",
            "bob",
            "--as-group",
            "editors",
        ])
    };
    assert_eq!(editor("delete", "team-a"), "yes");
    assert!(editor("delete", "default").starts_with("no"));
    assert!(editor("get", "team-a").starts_with("no"));
}
