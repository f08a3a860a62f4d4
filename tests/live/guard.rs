//! The lockout guard on a live cluster: the scenarios, the caller found by STS on files, the prompt, repair through the same pipeline.

use super::*;

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
