//! The test API server judged by the real kubectl: the same objects, RBAC, refusals a real server makes, `auth can-i`.

use super::*;

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
