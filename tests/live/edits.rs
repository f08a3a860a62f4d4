//! Live edits end to end: get/create/delete on an empty cluster and on every corpus file, comments kept, dry runs, idempotence, request counts, impersonation, other names, exec plugins.

use super::*;

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

#[test]
fn another_namespace_and_name() {
    let live = Live::new();
    // eksctl's --namespace (the EMR namespace) on create, without --service-name: refused before any
    // request, with both ways out.
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
        "--namespace spark would write a ConfigMap `spark/aws-auth` that no authenticator reads",
    ))
    .stderr(predicate::str::contains("--service-name emr-containers"))
    .stderr(predicate::str::contains("--configmap-namespace spark"));
    live.run(&["delete", "--yes", "--arn", ADMIN, "-n", "spark"])
        .code(2)
        .stderr(predicate::str::contains(
            "--namespace spark would edit a ConfigMap",
        ));
    assert!(live.server.log().is_empty(), "{:?}", live.server.log());
    // A namespace that does not exist is said so, and nothing is created (as the real server refuses).
    live.run(&[
        "--configmap-namespace",
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
    // The hint: where aws-auth lives, and that eksctl's --namespace means something else.
    .stderr(predicate::str::contains(
        "hint: aws-auth lives in `kube-system`; check --namespace (`spark` was given; eksctl's --namespace is an EMR setting",
    ));
    live.server.seed(
        "/api/v1/namespaces/auth",
        serde_json::json!({"metadata": {}}),
    );
    live.run(&[
        "--configmap-namespace",
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
    ))
    // Allowed (a staging copy), never silent: nothing reads it.
    .stderr(predicate::str::contains(
        "configmap auth/aws-auth-staging is not read by the authenticator",
    ));
    assert!(live.server.aws_auth().is_none());
    // The same in kube-system under another name: still not read, still said; the real one is not.
    for (name, warned) in [("aws-auth-staging", true), ("aws-auth", false)] {
        let out = live
            .cmd()
            .args([
                "--name", name, "create", "--yes", "--arn", ADMIN, "--group", "g",
            ])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{out:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            err.contains(&format!(
                "configmap kube-system/{name} is not read by the authenticator"
            )),
            warned,
            "{err}"
        );
        assert_eq!(
            err.contains("is not read by the authenticator"),
            warned,
            "{err}"
        );
    }
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
