//! Live mode under faults: refusals and unreachable servers explained, conflicts re-planned, injected faults, concurrent writers, the 1 MiB limit, timeouts.

use super::*;

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

/// A read the cluster refuses for good (403) is not retried: one GET, then the error and what to do.
#[test]
fn a_refused_read_is_not_retried() {
    let live = Live::new();
    live.run(&["create", "--yes", "--arn", ADMIN, "--group", "g"])
        .code(0);
    live.server.clear_log();
    live.run(&["delete", "--yes", "--arn", ADMIN, "--as", "alice"])
        .code(2)
        .stderr(predicate::str::contains(
            "get configmap `kube-system/aws-auth` is forbidden",
        ))
        .stderr(predicate::str::contains("retrying").not());
    let gets = live
        .server
        .log()
        .iter()
        .filter(|l| l.method == "GET" && l.path.ends_with("/configmaps/aws-auth"))
        .count();
    assert_eq!(gets, 1, "{:?}", live.server.log());
}

/// A write answered 500 may or may not have landed: the next read settles it. Here it did not land and
/// nobody else wrote meanwhile (the same resourceVersion), so it is planned again and lands.
#[test]
fn a_failed_write_is_settled_by_the_next_read() {
    let live = Live::new();
    live.run(&["create", "--yes", "--arn", ADMIN, "--group", "g"])
        .code(0);
    live.server.set_faults(Faults {
        fail_next_write: 1,
        ..Faults::default()
    });
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
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("was not applied; planning it again"),
        "{stderr}"
    );
    assert!(!stderr.contains("the object changed meanwhile"), "{stderr}");
    assert!(live.data()["mapRoles"].contains("role/Dev"));
}
