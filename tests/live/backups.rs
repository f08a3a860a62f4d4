//! Backups, diff and restore on a live cluster: no backup no write, where backups go, backup/list/keep, restore through the guard, the break-glass runbook.

use super::*;

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
    // Only this cluster's backups in the directory: nothing said about other clusters.
    live.run(&["diff", "--from", "latest", "--to", "live"])
        .code(0)
        .stderr(predicate::str::contains("another cluster").not());
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
