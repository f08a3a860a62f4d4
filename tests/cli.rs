//! CLI contracts through the real binary: exit codes, dry runs, confirmation, idempotency, output shapes.

use crate::support::{self, bin};
use predicates::prelude::*;
use std::path::{Path, PathBuf};

const ADMIN: &str = "arn:aws:iam::111122223333:role/Admin";

/// The start of an aws-auth manifest, up to `data:`.
const HEAD: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: aws-auth\n  namespace: kube-system\ndata:\n";

fn copy_fixture(name: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::copy(support::fixtures_dir().join(name), &path).unwrap();
    (dir, path)
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap()
}

#[test]
fn validate_exit_codes_follow_fail_on() {
    let f = support::fixtures_dir();
    bin()
        .arg("validate")
        .arg("-f")
        .arg(f.join("commented.yaml"))
        .assert()
        .code(0);
    bin()
        .arg("validate")
        .arg("-f")
        .arg(f.join("dead-arns.yaml"))
        .assert()
        .code(1);
    // Warnings only: passes by default, fails with --fail-on warning.
    bin()
        .arg("validate")
        .arg("-f")
        .arg(f.join("bare-keys.yaml"))
        .assert()
        .code(0);
    bin()
        .args(["validate", "--fail-on", "warning", "-f"])
        .arg(f.join("bare-keys.yaml"))
        .assert()
        .code(1);
}

#[test]
fn usage_errors_exit_2() {
    bin()
        .args(["frobnicate"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "unrecognized subcommand 'frobnicate'",
        ));
    // A file that exists, so that only the flags can be what is refused.
    let (_d, path) = copy_fixture("commented.yaml");
    let before = read(&path);
    bin()
        .args([
            "create",
            "--arn",
            ADMIN,
            "--node-role",
            "--username",
            "u",
            "-f",
        ])
        .arg(&path)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cannot be used with"));
    bin()
        .args([
            "--as-arn",
            ADMIN,
            "--no-caller-check",
            "delete",
            "--arn",
            ADMIN,
            "-f",
        ])
        .arg(&path)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cannot be used with"));
    assert_eq!(read(&path), before);
}

#[test]
fn validate_reads_stdin_and_reports_json() {
    let text = read(&support::fixtures_dir().join("dead-arns.yaml"));
    let out = bin()
        .args(["validate", "-f", "-", "--format", "json"])
        .write_stdin(text)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let findings = v["findings"].as_array().unwrap();
    assert!(
        findings
            .iter()
            .any(|f| f["rule"] == "IM016" && f["file"] == "<stdin>" && f["line"] == 8)
    );
    for f in findings {
        for key in [
            "rule", "severity", "message", "hint", "file", "line", "column",
        ] {
            assert!(!f[key].is_null(), "{key} missing in {f}");
        }
    }
    assert!(v["summary"]["errors"].as_u64().unwrap() >= 3);
}

#[test]
fn validate_many_files_in_github_and_sarif() {
    let f = support::fixtures_dir();
    let out = bin()
        .args(["validate", "--format", "github", "-f"])
        .arg(f.join("dead-arns.yaml"))
        .arg("-f")
        .arg(f.join("commented.yaml"))
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.lines().all(|l| l.starts_with("::")), "{text}");
    assert!(text.contains("title=IM016 role-path::"));
    let out = bin()
        .args(["validate", "--format", "sarif", "-f"])
        .arg(f.join("dead-arns.yaml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "errors were found");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["version"], "2.1.0");
    assert!(v["$schema"].as_str().unwrap().contains("sarif"));
    let run = &v["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "iamidmap");
    let rules: Vec<&str> = run["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            assert!(r["shortDescription"]["text"].is_string(), "{r}");
            r["id"].as_str().unwrap()
        })
        .collect();
    let results = run["results"].as_array().unwrap();
    assert!(results.iter().any(|r| r["ruleId"] == "IM016"));
    for r in results {
        assert!(rules.contains(&r["ruleId"].as_str().unwrap()), "{r}");
        assert!(
            ["error", "warning", "note"].contains(&r["level"].as_str().unwrap()),
            "{r}"
        );
        assert!(
            r["message"]["text"].as_str().is_some_and(|t| !t.is_empty()),
            "{r}"
        );
        let loc = &r["locations"][0]["physicalLocation"];
        assert!(
            loc["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
                .ends_with("dead-arns.yaml"),
            "{r}"
        );
        assert!(loc["region"]["startLine"].as_u64().unwrap() >= 1, "{r}");
        assert!(loc["region"]["startColumn"].as_u64().unwrap() >= 1, "{r}");
    }
}

#[test]
fn get_json_is_eksctls_shape_in_document_order() {
    let out = bin()
        .args(["get", "-o", "json", "-f"])
        .arg(support::fixtures_dir().join("accounts.yaml"))
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v,
        serde_json::json!([{"account": "111122223333"}, {"account": "444455556666"}, {"account": "123"}])
    );
    let out = bin()
        .args(["get", "-o", "json", "-f"])
        .arg(support::fixtures_dir().join("commented.yaml"))
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v[0]["rolearn"], "arn:aws:iam::111122223333:role/eks-node");
    assert_eq!(v[1]["username"], "admin:{{SessionName}}");
    assert_eq!(v[2]["userarn"], "arn:aws:iam::111122223333:user/alice");
    assert_eq!(v[2]["groups"], serde_json::json!(["developers"]));
}

#[test]
fn get_filters_match_like_the_authenticator() {
    let f = support::fixtures_dir().join("commented.yaml");
    // An assumed-role ARN finds its role's entry; case does not matter.
    let out = bin()
        .args([
            "get",
            "-o",
            "json",
            "--arn",
            "arn:aws:sts::111122223333:assumed-role/ADMIN/alice",
            "-f",
        ])
        .arg(&f)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 1);
    assert_eq!(v[0]["rolearn"], ADMIN);
    let out = bin()
        .args(["get", "-o", "json", "--group", "developers", "-f"])
        .arg(&f)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v[0]["userarn"], "arn:aws:iam::111122223333:user/alice");
}

#[test]
fn dry_run_prints_a_diff_and_writes_nothing() {
    let (_d, path) = copy_fixture("commented.yaml");
    let before = read(&path);
    bin()
        .args(["create", "--dry-run", "--arn", "arn:aws:iam::111122223333:role/teams/Dev", "--username", "dev", "--group", "developers", "-f"])
        .arg(&path)
        .assert()
        .code(0)
        .stdout(predicate::str::contains("+    - rolearn: \"arn:aws:iam::111122223333:role/Dev\"\n+      username: dev\n+      groups: [developers]\n"))
        .stderr(predicate::str::contains("removed the role path `/teams/`"));
    assert_eq!(read(&path), before);
}

#[test]
fn without_a_terminal_and_without_yes_nothing_is_written() {
    let (_d, path) = copy_fixture("commented.yaml");
    let before = read(&path);
    bin()
        .args([
            "create",
            "--arn",
            "arn:aws:iam::111122223333:role/Dev",
            "--group",
            "developers",
            "-f",
        ])
        .arg(&path)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("hint: pass --yes"));
    assert_eq!(read(&path), before);
}

#[test]
fn create_with_yes_writes_and_keeps_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let (_d, path) = copy_fixture("commented.yaml");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
    bin()
        .args([
            "create",
            "iamidentitymapping",
            "--yes",
            "--arn",
            "arn:aws:iam::111122223333:user/bob",
            "--username",
            "bob",
            "--group",
            "developers,viewers",
            "-f",
        ])
        .arg(&path)
        .assert()
        .code(0);
    let text = read(&path);
    assert!(text.contains("    - userarn: arn:aws:iam::111122223333:user/bob\n      username: bob\n      groups:\n        - developers\n        - viewers\n# trailing comment"));
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o640
    );
}

#[test]
fn duplicate_arns_are_idempotent_or_refused() {
    let (_d, path) = copy_fixture("commented.yaml");
    let before = read(&path);
    // Identical mapping: a no-op, exit 0, nothing written.
    bin()
        .args([
            "create",
            "--yes",
            "--no-duplicate-arns",
            "--arn",
            ADMIN,
            "--username",
            "admin:{{SessionName}}",
            "--group",
            "platform-admins",
            "-f",
        ])
        .arg(&path)
        .assert()
        .code(0)
        .stderr(predicate::str::contains("already mapped identically"));
    assert_eq!(read(&path), before);
    // Same ARN, different mapping: refused (exit 3) with --no-duplicate-arns.
    bin()
        .args([
            "create",
            "--yes",
            "--no-duplicate-arns",
            "--arn",
            ADMIN,
            "--username",
            "other",
            "--group",
            "x",
            "-f",
        ])
        .arg(&path)
        .assert()
        .code(3);
    assert_eq!(read(&path), before);
    // Without the flag it is added, with a warning that it shadows the old one.
    bin()
        .args([
            "create",
            "--yes",
            "--no-caller-check",
            "--arn",
            ADMIN,
            "--username",
            "other",
            "--group",
            "x",
            "-f",
        ])
        .arg(&path)
        .assert()
        .code(0)
        .stderr(predicate::str::contains("stops applying"));
}

#[test]
fn delete_first_match_all_and_not_found() {
    let (_d, path) = copy_fixture("duplicates.yaml");
    bin()
        .args(["delete", "--yes", "--no-caller-check", "--arn", ADMIN, "-f"])
        .arg(&path)
        .assert()
        .code(0)
        .stderr(predicate::str::contains("1 more mapping"));
    let text = read(&path);
    assert!(!text.contains("username: admin\n") && text.contains("username: viewer"));
    bin()
        .args([
            "delete",
            "--yes",
            "--no-caller-check",
            "--all",
            "--arn",
            ADMIN,
            "-f",
        ])
        .arg(&path)
        .assert()
        .code(0);
    assert!(!read(&path).contains("role/"));
    let before = read(&path);
    bin()
        .args(["delete", "--yes", "--no-caller-check", "--arn", ADMIN, "-f"])
        .arg(&path)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no mapping with ARN"));
    bin()
        .args([
            "delete",
            "--yes",
            "--no-caller-check",
            "--ignore-not-found",
            "--arn",
            ADMIN,
            "-f",
        ])
        .arg(&path)
        .assert()
        .code(0);
    assert_eq!(read(&path), before);
}

#[test]
fn delete_by_username_and_account() {
    let (_d, path) = copy_fixture("accounts.yaml");
    bin()
        .args([
            "delete",
            "--yes",
            "--no-caller-check",
            "--account",
            "444455556666",
            "-f",
        ])
        .arg(&path)
        .assert()
        .code(0);
    assert_eq!(
        read(&path),
        read(&support::fixtures_dir().join("accounts.yaml"))
            .replace("    - \"444455556666\"\n", "")
    );
    let (_d, path) = copy_fixture("commented.yaml");
    bin()
        .args([
            "delete",
            "--yes",
            "--no-caller-check",
            "--username",
            "alice",
            "-f",
        ])
        .arg(&path)
        .assert()
        .code(0);
    assert!(!read(&path).contains("alice"));
}

#[test]
fn presets_and_accounts() {
    let (_d, path) = copy_fixture("kubectl-dump.yaml");
    bin()
        .args([
            "create",
            "--yes",
            "--fargate-role",
            "--arn",
            "arn:aws:iam::111122223333:role/fargate-pods",
            "-f",
        ])
        .arg(&path)
        .assert()
        .code(0);
    let out = bin()
        .args([
            "get",
            "-o",
            "json",
            "--arn",
            "arn:aws:iam::111122223333:role/fargate-pods",
            "-f",
        ])
        .arg(&path)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v[0]["username"], "system:node:{{SessionName}}");
    assert_eq!(
        v[0]["groups"],
        serde_json::json!([
            "system:bootstrappers",
            "system:nodes",
            "system:node-proxier"
        ])
    );
    bin()
        .args(["create", "--yes", "--account", "123", "-f"])
        .arg(&path)
        .assert()
        .code(2);
    bin()
        .args(["create", "--yes", "--account", "111122223333", "-f"])
        .arg(&path)
        .assert()
        .code(0);
    assert!(read(&path).contains("  mapAccounts: |\n    - \"111122223333\"\n"));
}

#[test]
fn bad_arns_are_refused_with_a_reason() {
    let (_d, path) = copy_fixture("commented.yaml");
    for (arn, needle) in [
        ("arn:aws:iam::111122223333:group/devs", "IAM group"),
        ("arn:aws:iam::1111:role/x", "12 digits"),
        ("not-an-arn", "is not an ARN"),
    ] {
        bin()
            .args(["create", "--yes", "--group", "g", "--arn", arn, "-f"])
            .arg(&path)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(needle));
    }
}

#[test]
fn errors_name_the_file_and_line() {
    let f = support::fixtures_dir().join("syntax-error.yaml");
    bin()
        .args(["get", "-f"])
        .arg(&f)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("syntax-error.yaml:8:14:"))
        .stderr(predicate::str::contains("hint: `iamidmap validate -f"));
    let (_d, path) = copy_fixture("list-dropped.yaml");
    bin()
        .args(["create", "--yes", "--arn", ADMIN, "--group", "g", "-f"])
        .arg(&path)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "list-dropped.yaml:14: `mapRoles` cannot be read",
        ));
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("latin1.yaml");
    std::fs::write(&bad, b"data:\n  mapRoles: \xe9\n").unwrap();
    bin()
        .args(["validate", "-f"])
        .arg(&bad)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not UTF-8"));
    bin()
        .args(["get", "-f", "/nonexistent/aws-auth.yaml"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cannot read"));
}

#[test]
fn without_a_kubeconfig_live_mode_says_what_to_do() {
    let home = tempfile::tempdir().unwrap();
    bin()
        .env("HOME", home.path())
        .env_remove("KUBECONFIG")
        .env_remove("KUBERNETES_SERVICE_HOST")
        .args(["get"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no kubeconfig found"))
        .stderr(predicate::str::contains(
            "hint: pass --kubeconfig FILE or set KUBECONFIG",
        ));
}

#[test]
fn completions_and_help() {
    for (shell, marker) in [
        ("bash", "complete -F _iamidmap"),
        ("zsh", "#compdef iamidmap"),
        ("fish", "complete -c iamidmap"),
        ("powershell", "Register-ArgumentCompleter"),
        ("elvish", "edit:completion:arg-completer[iamidmap]"),
    ] {
        let out = bin().args(["completions", shell]).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{shell}");
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(text.contains(marker), "{shell}: {marker} not in the script");
        // Every subcommand is completed.
        for sub in [
            "get", "create", "delete", "validate", "restore", "doctor", "verify",
        ] {
            assert!(text.contains(sub), "{shell}: `{sub}` not completed");
        }
    }
    bin()
        .arg("--help")
        .assert()
        .code(0)
        .stdout(predicate::str::contains("Exit codes"));
}

#[test]
fn transcripts_of_common_runs() {
    let f = support::fixtures_dir();
    let mut report = String::new();
    for args in [
        vec!["get", "-f", "commented.yaml", "-o", "yaml"],
        vec!["validate", "-f", "dead-arns.yaml", "--format", "github"],
        vec![
            "create",
            "-f",
            "kubectl-dump.yaml",
            "--dry-run",
            "--node-role",
            "--arn",
            "arn:aws:iam::111122223333:role/eks-node-2",
        ],
        vec![
            "create",
            "-f",
            "double-quoted.yaml",
            "--dry-run",
            "--arn",
            "arn:aws:sts::111122223333:assumed-role/Ops/jane",
            "--username",
            "ops:{{SessionName}}",
            "--group",
            "ops",
        ],
        vec![
            "delete",
            "-f",
            "json-manifest.json",
            "--dry-run",
            "--username",
            "alice",
        ],
    ] {
        report.push_str(&support::transcript(
            &args.join(" "),
            &support::run_in(&f, &args),
        ));
    }
    support::described("The commands of the README's tour on the project's fixtures: each command's exit code, stdout and stderr as a user sees them. Check that every refusal names the reason and the next command, and that dry runs write nothing.").bind(|| {
        insta::assert_snapshot!(report);
    });
}

#[test]
fn update_changes_the_effective_entry_in_place() {
    let (_d, path) = copy_fixture("commented.yaml");
    let before = read(&path);
    bin()
        .args([
            "create",
            "--yes",
            "--update",
            "--arn",
            ADMIN,
            "--group",
            "platform-admins,auditors",
            "-f",
        ])
        .arg(&path)
        .assert()
        .code(0)
        .stderr(predicate::str::contains(
            "updating `arn:aws:iam::111122223333:role/Admin` at line 18 in place",
        ));
    assert_eq!(
        read(&path),
        before.replace(
            "groups: [platform-admins]   #",
            "groups: [platform-admins, auditors]   #"
        )
    );
    // An ARN that is not mapped yet is added.
    bin()
        .args([
            "create",
            "--yes",
            "--update",
            "--arn",
            "arn:aws:iam::111122223333:role/New",
            "--username",
            "new",
            "-f",
        ])
        .arg(&path)
        .assert()
        .code(0);
    assert!(read(&path).contains("role/New"));
}

#[test]
fn validate_fix_repairs_files_losslessly() {
    for (name, rule) in [
        ("folded-groups.yaml", "IM015"),
        ("unquoted-template.yaml", "IM011"),
        ("wrong-case-keys.yaml", "IM009"),
        ("dead-arns.yaml", "IM016"),
    ] {
        let (_d, path) = copy_fixture(name);
        let before = read(&path);
        // A dry run shows the diff and writes nothing.
        // (Exit 1: the report is of the file as it is, which still has the problems.)
        bin()
            .args(["validate", "--fix", "--dry-run", "--as-arn", ADMIN, "-f"])
            .arg(&path)
            .assert()
            .code(1)
            .stdout(predicate::str::contains("(after)"))
            .stderr(predicate::str::contains(format!("fix {rule}")))
            .stderr(predicate::str::contains("dry run: nothing was written"));
        assert_eq!(read(&path), before, "{name}: dry run wrote");
        let out = bin()
            .args(["validate", "--fix", "--yes", "--as-arn", ADMIN, "-f"])
            .arg(&path)
            .output()
            .unwrap();
        let after = read(&path);
        assert_ne!(after, before, "{name}: nothing fixed");
        let report = String::from_utf8_lossy(&out.stdout);
        assert!(
            !report.contains(&format!("[{rule} ")),
            "{name}: {rule} still reported:\n{report}"
        );
        // Lossless: every line of the original that the fixes did not concern is still there, in order.
        let kept = before
            .lines()
            .filter(|l| after.lines().any(|a| a == *l))
            .count();
        assert!(
            kept + 6 >= before.lines().count(),
            "{name}: too many lines changed:\n{after}"
        );
    }
    // What cannot be fixed mechanically stays reported (a placeholder ARN), and the exit code says so.
    let (_d, path) = copy_fixture("dead-arns.yaml");
    bin()
        .args(["validate", "--fix", "--yes", "--as-arn", ADMIN, "-f"])
        .arg(&path)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("IM018 invalid-arn"));
    assert!(read(&path).contains("arn:aws:iam::111122223333:role/codebuild-deploy\n"));
}

#[test]
fn validate_takes_files_as_pre_commit_passes_them() {
    let f = support::fixtures_dir();
    bin()
        .arg("validate")
        .arg(f.join("dead-arns.yaml"))
        .arg(f.join("commented.yaml"))
        .assert()
        .code(1)
        .stdout(predicate::str::contains("dead-arns.yaml:8:16"))
        .stdout(predicate::str::contains("in 2 files"));
    let hooks =
        std::fs::read_to_string(support::manifest_dir().join(".pre-commit-hooks.yaml")).unwrap();
    assert!(hooks.contains("entry: iamidmap validate"));
}

/// The pre-commit hooks: one that builds with cargo and one that uses an installed binary, each plain
/// and strict, all matching the file names aws-auth manifests have in real repositories.
#[test]
fn pre_commit_hooks_match_real_aws_auth_file_names() {
    let hooks =
        std::fs::read_to_string(support::manifest_dir().join(".pre-commit-hooks.yaml")).unwrap();
    let mut languages = vec![];
    let mut patterns = vec![];
    for line in hooks.lines() {
        if let Some(l) = line.trim().strip_prefix("language: ") {
            languages.push(l.to_string());
        }
        if let Some(p) = line.trim().strip_prefix("files: ") {
            patterns.push(regex::Regex::new(p).unwrap());
        }
    }
    assert_eq!(languages, ["rust", "rust", "system", "system"]);
    assert_eq!(patterns.len(), 4);
    for re in &patterns {
        for name in [
            "aws-auth.yaml",
            "k8s/aws-auth.yml",
            "aws-auth-prod.json",
            "clusters/prod/aws_auth.yaml",
            "k8s/aws-auth/configmap.yaml",
            "aws-auth/kustomization.yml",
        ] {
            assert!(re.is_match(name), "{re} misses {name}");
        }
        for name in [
            "README.md",
            "aws-auth/notes.txt",
            "not-aws-auth-at-all/x.sh",
            "k8s/deploy.yaml",
        ] {
            assert!(!re.is_match(name), "{re} matches {name}");
        }
    }
}

/// Installed as `kubectl-iamidmap`, the binary is found by the real kubectl's plugin discovery.
#[test]
#[cfg_attr(
    iamidmap_skip_kubectl,
    ignore = "kubectl is not on PATH (IAMIDMAP_ALLOW_SKIP=1)"
)]
fn works_as_a_kubectl_plugin() {
    let Some(kubectl) = support::kubectl() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let plugin = dir.path().join("kubectl-iamidmap");
    std::os::unix::fs::symlink(assert_cmd::cargo::cargo_bin("iamidmap"), &plugin).unwrap();
    let path = format!(
        "{}:{}",
        dir.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let list = support::command(&kubectl)
        .env("PATH", &path)
        .args(["plugin", "list"])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&list.stdout).contains("kubectl-iamidmap"),
        "{}",
        String::from_utf8_lossy(&list.stderr)
    );
    let out = support::command(&kubectl)
        .env("PATH", &path)
        .args(["iamidmap", "get", "-o", "json", "-f"])
        .arg(support::fixtures_dir().join("commented.yaml"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v[1]["rolearn"], ADMIN);
}

/// Hostile manifests are refused quickly, with a clear error, by every reading command.
#[test]
fn hostile_manifests_are_refused_quickly() {
    let dir = tempfile::tempdir().unwrap();
    let mut bomb = String::from(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: aws-auth\n  namespace: kube-system\na: &a [x, x, x, x, x, x, x, x, x, x]\n",
    );
    let mut prev = 'a';
    for c in 'b'..='z' {
        bomb.push_str(&format!("{c}: &{c} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"));
        prev = c;
    }
    let cases = [
        ("alias-bomb.yaml", bomb),
        (
            "deep.yaml",
            format!("data:\n  mapRoles: {}\n", "[".repeat(100_000)),
        ),
        (
            "deep-inner.yaml",
            format!("data:\n  mapRoles: \"{}\"\n", "[".repeat(100_000)),
        ),
        (
            "huge.yaml",
            format!(
                "data:\n  mapRoles: \"- rolearn: {}\"\n",
                "a".repeat(8 * 1024 * 1024)
            ),
        ),
    ];
    for (name, text) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        let started = std::time::Instant::now();
        let out = bin().args(["validate", "-f"]).arg(&path).output().unwrap();
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "{name} took {:?}",
            started.elapsed()
        );
        assert!(
            matches!(out.status.code(), Some(1) | Some(2)),
            "{name}: {:?}",
            out.status
        );
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!all.contains("panicked"), "{name}: {all}");
        assert!(
            all.contains(name),
            "{name}: the report names the file: {all}"
        );
    }
}

#[test]
fn get_and_delete_match_an_arn_as_create_writes_it() {
    let (_d, path) = copy_fixture("commented.yaml");
    let original = read(&path);
    let console = "arn:aws:iam::111122223333:role/teams/platform/Deployer";
    let sso = "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-1/Deployer";
    bin()
        .args(["create", "--yes", "--skip-iam-check", "--no-caller-check"])
        .args([
            "--arn",
            console,
            "--username",
            "deployer",
            "--group",
            "deployers",
            "-f",
        ])
        .arg(&path)
        .assert()
        .code(0);
    // The console form finds the entry create wrote (without the path), and says why.
    let out = bin()
        .args(["get", "-o", "json", "--arn", console, "-f"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(
        rows[0]["rolearn"],
        "arn:aws:iam::111122223333:role/Deployer"
    );
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("is also matched as `arn:aws:iam::111122223333:role/Deployer`"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The IAM Identity Center form deletes it, and the file is as it was.
    bin()
        .args(["delete", "--yes", "--no-caller-check", "--arn", sso, "-f"])
        .arg(&path)
        .assert()
        .code(0)
        .stderr(predicate::str::contains(
            "removed the IAM Identity Center path",
        ));
    assert_eq!(read(&path), original);
    // An ARN that is neither there nor normalizes to an entry is still not found.
    bin()
        .args([
            "delete",
            "--yes",
            "--no-caller-check",
            "--arn",
            console,
            "-f",
        ])
        .arg(&path)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no mapping with ARN"));
}

#[test]
fn every_command_takes_dash_o_and_dash_n() {
    let f = support::fixtures_dir().join("commented.yaml");
    // validate: -o and --format are the same flag.
    let a = bin()
        .args(["validate", "-o", "json", "-f"])
        .arg(&f)
        .output()
        .unwrap();
    let b = bin()
        .args(["validate", "--format", "json", "-f"])
        .arg(&f)
        .output()
        .unwrap();
    assert_eq!(a.status.code(), Some(0));
    assert_eq!(a.stdout, b.stdout);
    serde_json::from_slice::<serde_json::Value>(&a.stdout).expect("JSON");
    // -n is --namespace, on every command, as with kubectl.
    for cmd in [&["get"][..], &["validate"], &["check"]] {
        bin()
            .args(cmd)
            .args(["-n", "kube-system", "-f"])
            .arg(&f)
            .assert()
            .code(0);
    }
}

#[test]
fn delete_says_how_many_remain_in_words_that_agree() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("three.yaml");
    let node = "arn:aws:iam::111122223333:role/eks-node-extra";
    let entry =
        format!("    - rolearn: {node}\n      username: extra\n      groups:\n        - extra\n");
    std::fs::write(&path, format!("{HEAD}  mapRoles: |\n{}", entry.repeat(3))).unwrap();
    bin()
        .args(["delete", "--yes", "--no-caller-check", "--arn", node, "-f"])
        .arg(&path)
        .assert()
        .code(0)
        .stderr(predicate::str::contains(format!(
            "2 more mappings with ARN `{node}` remain"
        )));
    bin()
        .args(["delete", "--yes", "--no-caller-check", "--arn", node, "-f"])
        .arg(&path)
        .assert()
        .code(0)
        .stderr(predicate::str::contains(format!(
            "1 more mapping with ARN `{node}` remains"
        )));
    // The last one: nothing remains, and nothing is said about what remains.
    bin()
        .args(["delete", "--yes", "--no-caller-check", "--arn", node, "-f"])
        .arg(&path)
        .assert()
        .code(0)
        .stderr(predicate::str::contains("more mapping").not());
}

#[test]
fn cluster_errors_name_the_server_the_cause_and_the_next_step() {
    let dir = tempfile::tempdir().unwrap();
    let kc = dir.path().join("kubeconfig");
    // Nothing listens on 127.0.0.1:9 (discard) here; the exec user's plugin fails without a word.
    std::fs::write(
        &kc,
        "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: https://127.0.0.1:9\n    insecure-skip-tls-verify: true\nusers:\n- name: u\n  user:\n    token: abc\n- name: e\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n      command: /bin/false\ncontexts:\n- name: c\n  context: {cluster: c, user: u}\n- name: e\n  context: {cluster: c, user: e}\ncurrent-context: c\n",
    )
    .unwrap();
    let run = |context: &str| {
        let out = bin()
            .args(["get", "--kubeconfig"])
            .arg(&kc)
            .args(["--context", context])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{context}");
        String::from_utf8(out.stderr).unwrap()
    };
    let unreachable = run("c");
    assert!(
        unreachable.contains("cannot reach the API server: https://127.0.0.1:9/")
            && unreachable.to_lowercase().contains("connection refused"),
        "{unreachable}"
    );
    let unknown = run("nope");
    assert!(
        unknown.contains("the kubeconfig has no context `nope`")
            && unknown.contains("kubectl config get-contexts")
            && !unknown.contains("set KUBECONFIG"),
        "{unknown}"
    );
    let plugin = run("e");
    assert!(
        plugin.contains("exec plugin `/bin/false` failed (exit 1) and printed nothing")
            && plugin.contains("run the plugin's command")
            && !plugin.contains("set KUBECONFIG"),
        "{plugin}"
    );
}

#[test]
fn templates_and_non_iam_arns_are_called_what_they_are() {
    let dir = tempfile::tempdir().unwrap();
    let inline = dir.path().join("inline.yaml");
    std::fs::write(
        &inline,
        format!("{HEAD}  mapRoles: {{{{ toYaml .Values.mapRoles }}}}\n"),
    )
    .unwrap();
    let block = dir.path().join("block.yaml");
    std::fs::write(
        &block,
        format!("{HEAD}  mapRoles: |\n    {{{{ toYaml .Values.mapRoles | indent 4 }}}}\n"),
    )
    .unwrap();
    for f in [&inline, &block] {
        bin()
            .args(["validate", "-f"])
            .arg(f)
            .assert()
            .code(1)
            .stdout(predicate::str::contains("template"))
            .stdout(predicate::str::contains("helm template"))
            .stdout(predicate::str::contains("JSON object").not());
    }
    let (_d, path) = copy_fixture("commented.yaml");
    bin()
        .args([
            "create",
            "--arn",
            "arn:aws:s3:::bucket",
            "--group",
            "g",
            "-f",
        ])
        .arg(&path)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "is an ARN of service `s3`, not an IAM role or user",
        ))
        .stderr(predicate::str::contains("has account").not());
}

#[test]
fn get_marks_what_the_authenticator_ignores() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shadow.yaml");
    std::fs::write(
        &path,
        format!("{HEAD}  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups:\n        - system:masters\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups:\n        - viewers\n  maproles: |\n    - rolearn: arn:aws:iam::111122223333:role/X\n"),
    )
    .unwrap();
    let out = bin()
        .args(["get", "-o", "json", "-f"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rows[0]["shadowed"], true);
    assert_eq!(rows[1].get("shadowed"), None, "the winner is not marked");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("1 entry is shadowed by a later entry"),
        "{stderr}"
    );
    assert!(
        stderr.contains("data key `maproles` is ignored"),
        "{stderr}"
    );
    bin()
        .args(["get", "-f"])
        .arg(&path)
        .assert()
        .code(0)
        .stdout(predicate::str::contains("role (shadowed)   8"));
    // validate: the shadowed system:masters entry grants nothing, so IM033 does not report it.
    bin()
        .args(["validate", "-f"])
        .arg(&path)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("IM023"))
        .stdout(predicate::str::contains("IM033").not());
}

/// Every subcommand's help ends with examples, and every example parses with the real flags.
#[test]
fn every_subcommand_has_examples_that_parse() {
    fn words(line: &str) -> Vec<String> {
        let mut out = vec![];
        let (mut cur, mut quote, mut any) = (String::new(), None, false);
        for c in line.chars() {
            match (quote, c) {
                (None, '#') => break,
                (None, '>') => break,
                (None, '\'' | '"') => {
                    quote = Some(c);
                    any = true;
                }
                (Some(q), c) if c == q => quote = None,
                (None, c) if c.is_whitespace() => {
                    if any {
                        out.push(std::mem::take(&mut cur));
                        any = false;
                    }
                }
                (_, c) => {
                    cur.push(c);
                    any = true;
                }
            }
        }
        if any {
            out.push(cur);
        }
        out
    }
    let root = iamidmap::cli::command();
    let mut checked = 0;
    for sub in root
        .get_subcommands()
        .filter(|s| !s.is_hide_set() && s.get_name() != "help")
    {
        let help = sub
            .get_after_help()
            .map(|h| h.to_string())
            .unwrap_or_default();
        let examples: Vec<&str> = help
            .lines()
            .map(str::trim)
            .filter(|l| l.starts_with("iamidmap "))
            .collect();
        assert!(
            (2..=3).contains(&examples.len()),
            "`{}` has {} examples",
            sub.get_name(),
            examples.len()
        );
        for ex in examples {
            if let Err(e) = iamidmap::cli::parse(words(ex)) {
                panic!("example `{ex}` does not parse: {e}");
            }
            checked += 1;
        }
    }
    assert!(checked >= 26, "{checked}");
}

#[test]
fn delete_all_removes_every_match_in_every_list() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("many.yaml");
    let node = "arn:aws:iam::111122223333:role/eks-node-extra";
    let entry =
        format!("    - rolearn: {node}\n      username: extra\n      groups:\n        - extra\n");
    let keep = "    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups:\n        - system:masters\n";
    std::fs::write(
        &path,
        format!("{HEAD}  mapRoles: |\n{entry}{keep}{entry}{entry}"),
    )
    .unwrap();
    bin()
        .args([
            "delete",
            "--yes",
            "--no-caller-check",
            "--all",
            "--arn",
            node,
            "-f",
        ])
        .arg(&path)
        .assert()
        .code(0);
    assert_eq!(read(&path), format!("{HEAD}  mapRoles: |\n{keep}"));
}

/// Suppression: `--ignore RULE` and `# iamidmap:ignore RULE reason` comments; not reported, not failing,
/// listed apart in JSON and carried as suppressed results in SARIF.
#[test]
fn findings_can_be_suppressed_by_flag_and_by_comment() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sup.yaml");
    std::fs::write(
        &path,
        format!("{HEAD}  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      # iamidmap:ignore IM033 break-glass, reviewed 2026-11\n      groups: [system:masters]\n    - rolearn: arn:aws:iam::111122223333:role/teams/Dev  # iamidmap:ignore IM016\n      username: dev\n      groups: [dev]\n    - rolearn: arn:aws:iam::111122223333:role/teams/Ops\n      username: ops\n"),
    )
    .unwrap();
    // Unsuppressed: the Ops path (IM016, an error) and Ops without groups (IM025).
    let out = bin()
        .args(["validate", "-o", "json", "-f"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let reported: Vec<(String, u64)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert!(reported.contains(&("IM016".into(), 15)), "{reported:?}");
    assert!(
        !reported.iter().any(|(r, l)| r == "IM016" && *l == 12),
        "{reported:?}"
    );
    assert!(!reported.iter().any(|(r, _)| r == "IM033"), "{reported:?}");
    let waived = v["suppressed"].as_array().unwrap();
    assert_eq!(waived.len(), 2, "{waived:?}");
    assert_eq!(
        waived[0]["suppression"]["justification"],
        "break-glass, reviewed 2026-11"
    );
    // --ignore for the rest: exit 0, and SARIF still carries every result, the waived ones suppressed.
    bin()
        .args(["validate", "--ignore", "IM016", "--ignore", "IM025", "-f"])
        .arg(&path)
        .assert()
        .code(0)
        .stdout(predicate::str::contains("more suppressed"));
    let out = bin()
        .args(["validate", "--ignore", "IM025", "-o", "sarif", "-f"])
        .arg(&path)
        .output()
        .unwrap();
    let sarif: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let kinds: Vec<(String, Option<String>)> = results
        .iter()
        .map(|r| {
            (
                r["ruleId"].as_str().unwrap().to_string(),
                r["suppressions"][0]["kind"].as_str().map(String::from),
            )
        })
        .collect();
    assert!(
        kinds.contains(&("IM033".into(), Some("inSource".into()))),
        "{kinds:?}"
    );
    assert!(
        kinds.contains(&("IM025".into(), Some("external".into()))),
        "{kinds:?}"
    );
    assert!(kinds.contains(&("IM016".into(), None)), "{kinds:?}");
    // An unknown rule is a usage mistake, said so.
    bin()
        .args(["validate", "--ignore", "IM999", "-f"])
        .arg(&path)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--ignore IM999: no such rule"));
}

#[test]
fn delete_by_username_and_account_counts_what_remains() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("both.yaml");
    let admin = "    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups:\n        - system:masters\n";
    let role_ci = "    - rolearn: arn:aws:iam::111122223333:role/CI\n      username: ci\n      groups:\n        - ci\n";
    let user_ci = "    - userarn: arn:aws:iam::111122223333:user/ci\n      username: ci\n      groups:\n        - ci\n";
    let accounts = "  mapAccounts: |\n    - \"444455556666\"\n    - \"777788889999\"\n    - \"444455556666\"\n";
    std::fs::write(
        &path,
        format!("{HEAD}  mapRoles: |\n{admin}{role_ci}  mapUsers: |\n{user_ci}{accounts}"),
    )
    .unwrap();
    // --all removes the username from both lists.
    bin()
        .args([
            "delete",
            "--yes",
            "--no-caller-check",
            "--all",
            "--username",
            "ci",
            "-f",
        ])
        .arg(&path)
        .assert()
        .code(0);
    let after = read(&path);
    assert!(!after.contains("username: ci"), "{after}");
    assert!(
        after.contains("role/Admin") && after.contains("777788889999"),
        "{after}"
    );
    // An account listed twice: one goes, and the other is counted.
    bin()
        .args([
            "delete",
            "--yes",
            "--no-caller-check",
            "--account",
            "444455556666",
            "-f",
        ])
        .arg(&path)
        .assert()
        .code(0)
        .stderr(predicate::str::contains(
            "1 more mapping with account `444455556666` remains",
        ));
    assert_eq!(read(&path).matches("444455556666").count(), 1);
}

/// Colour: on for a terminal (forced here with CLICOLOR_FORCE=1), off with --no-color, NO_COLOR and pipes;
/// a ConfigMap's own escape sequences stay escaped either way.
#[test]
fn colour_follows_the_terminal_and_the_switches() {
    let f = support::fixtures_dir().join("dead-arns.yaml");
    let run = |env: &[(&str, &str)], extra: &[&str]| {
        let mut cmd = bin();
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.args(extra)
            .args(["validate", "-f"])
            .arg(&f)
            .output()
            .unwrap()
    };
    // bin() sets NO_COLOR=1 for stable snapshots; these runs say what they want.
    let forced = run(&[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "")], &[]);
    assert!(
        String::from_utf8_lossy(&forced.stdout).contains("\x1b[31merror\x1b[0m[IM016"),
        "{}",
        String::from_utf8_lossy(&forced.stdout)
    );
    for (env, extra) in [
        (&[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")][..], &[][..]),
        (
            &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "")][..],
            &["--no-color"][..],
        ),
        (&[("NO_COLOR", "")][..], &[][..]),
    ] {
        let out = run(env, extra);
        assert!(!out.stdout.contains(&0x1b), "{env:?} {extra:?}");
    }
    // Errors on stderr too, and hostile text is still escaped under colour.
    let dir = tempfile::tempdir().unwrap();
    let evil = dir.path().join("evil.yaml");
    std::fs::write(
        &evil,
        format!("{HEAD}  mapRoles: |\n    - rolearn: \"arn:aws:iam::111122223333:role/teams/x\\e[2J\"\n      username: x\n"),
    )
    .unwrap();
    let out = bin()
        .env("CLICOLOR_FORCE", "1")
        .env("NO_COLOR", "")
        .args(["validate", "-f"])
        .arg(&evil)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!stdout.contains("\x1b[2J"), "{stdout:?}");
    assert!(stdout.contains("\x1b[31merror\x1b[0m["), "{stdout:?}");
    let out = bin()
        .env("CLICOLOR_FORCE", "1")
        .env("NO_COLOR", "")
        .args(["get", "-f", "/nonexistent/aws-auth.yaml"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("\x1b[31merror:\x1b[0m"));
}

/// A baseline: written once, then only new findings are reported (and fail), even after lines move.
#[test]
fn a_baseline_reports_only_new_findings() {
    let (d, path) = copy_fixture("dead-arns.yaml");
    let baseline = d.path().join("baseline.json");
    bin()
        .args(["validate", "--write-baseline"])
        .arg(&baseline)
        .arg("-f")
        .arg(&path)
        .assert()
        .code(0)
        .stderr(predicate::str::contains("to the baseline"));
    bin()
        .args(["validate", "--baseline"])
        .arg(&baseline)
        .arg("-f")
        .arg(&path)
        .assert()
        .code(0)
        .stdout(predicate::str::contains("0 errors, 0 warnings, 0 infos"));
    // Lines move (a comment at the top) and a new dead role arrives: only it is reported.
    let text = read(&path).replacen("data:\n", "data:\n  # moved\n", 1);
    let text = text.replacen(
        "  mapRoles: |\n",
        "  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/teams/New\n      username: new\n      groups: [new]\n",
        1,
    );
    std::fs::write(&path, text).unwrap();
    let out = bin()
        .args(["validate", "-o", "json", "--baseline"])
        .arg(&baseline)
        .arg("-f")
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let new: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert_eq!(new.len(), 1, "{new:?}");
    assert!(new[0].contains("role/teams/New"), "{new:?}");
    assert!(
        v["suppressed"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["suppression"]["by"] == "--baseline")
    );
    // Not a baseline: said so.
    std::fs::write(&baseline, "{}").unwrap();
    bin()
        .args(["validate", "--baseline"])
        .arg(&baseline)
        .arg("-f")
        .arg(&path)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("is not an iamidmap baseline"));
}

/// Each subcommand's help shows the cluster flags it uses and no other; a flag a command does not use
/// (before or after the subcommand) gets a warning, not silence and not an error (a shell alias with
/// common flags works for every command).
#[test]
fn each_subcommand_shows_only_the_cluster_flags_it_uses() {
    let all = [
        "--cluster",
        "--kubeconfig",
        "--context",
        "--as-arn",
        "--no-caller-check",
        "--profile",
        "--region",
        "--backup-dir",
        "--request-timeout",
    ];
    for (sub, shown) in [
        (
            "get",
            &[
                "--cluster",
                "--kubeconfig",
                "--context",
                "--profile",
                "--region",
                "--request-timeout",
            ][..],
        ),
        ("create", &all[..]),
        ("delete", &all[..]),
        ("restore", &all[..]),
        (
            "diff",
            &[
                "--cluster",
                "--kubeconfig",
                "--context",
                "--profile",
                "--region",
                "--backup-dir",
                "--request-timeout",
            ][..],
        ),
        (
            "check",
            &[
                "--cluster",
                "--kubeconfig",
                "--context",
                "--profile",
                "--region",
                "--backup-dir",
                "--request-timeout",
            ][..],
        ),
        (
            "verify",
            &[
                "--cluster",
                "--kubeconfig",
                "--context",
                "--profile",
                "--region",
                "--request-timeout",
            ][..],
        ),
        ("token", &["--profile", "--region"][..]),
        ("completions", &[][..]),
    ] {
        let out = bin().args([sub, "--help"]).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{sub}");
        let help = String::from_utf8(out.stdout).unwrap();
        for flag in all {
            let listed = help
                .lines()
                .any(|l| l.trim_start().split([' ', ',']).any(|w| w == flag));
            assert_eq!(
                listed,
                shown.contains(&flag),
                "`{sub} --help` and {flag}:\n{help}"
            );
        }
    }
    let f = support::fixtures_dir().join("commented.yaml");
    let f = f.to_str().unwrap();
    for args in [
        vec!["get", "-f", f, "--backup-dir", "/tmp"],
        vec![
            "--as-arn",
            "arn:aws:iam::111122223333:role/Admin",
            "get",
            "-f",
            f,
        ],
        vec!["token", "-i", "prod", "--context", "prod"],
    ] {
        let out = bin().args(&args).output().unwrap();
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(err.contains("is not used by `iamidmap"), "{args:?}: {err}");
        assert!(
            err.contains("--help` lists the flags it takes"),
            "{args:?}: {err}"
        );
    }
    // The command still runs, and -q silences the warning.
    let out = bin()
        .args(["-q", "get", "-f", f, "--backup-dir", "/tmp"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!out.stdout.is_empty());
    // The same flags where they are used, in either position, and an environment default, are fine.
    bin()
        .args(["--context", "nowhere", "get", "-f", f])
        .assert()
        .code(0);
    bin()
        .env("AWS_PROFILE", "x")
        .args(["get", "-f", f])
        .assert()
        .code(0);
}

/// The confirmation prompt on a real terminal (a pseudo-terminal from util-linux `script`): `n` writes
/// nothing, `y` writes; the diff and the prompt are coloured on a terminal and plain with NO_COLOR.
#[test]
fn the_confirmation_prompt_on_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("aws-auth.yaml");
    let original = std::fs::read_to_string(support::fixtures_dir().join("commented.yaml")).unwrap();
    let bin = assert_cmd::cargo::cargo_bin("iamidmap");
    let run = |answer: &str, colour: bool| {
        std::fs::write(&path, &original).unwrap();
        let line = format!(
            "'{}' create -f '{}' --arn arn:aws:iam::111122223333:role/Prompted --group prompted",
            bin.display(),
            path.display()
        );
        let mut cmd = support::command(support::script());
        cmd.args(["-qec", &line, "/dev/null"]).env("TERM", "xterm");
        if colour {
            cmd.env_remove("NO_COLOR");
        }
        let mut child = cmd
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(answer.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let written = std::fs::read_to_string(&path).unwrap();
        (out.status.code(), text, written)
    };

    let (code, text, written) = run("n", true);
    assert_eq!(code, Some(3), "{text}");
    assert!(text.contains("Write these changes to"), "{text}");
    assert!(text.contains("aborted; nothing was written"), "{text}");
    assert_eq!(written, original);
    // Coloured: the added lines green, the prompt's question bold.
    assert!(
        text.contains("\x1b[32m+    - rolearn: \"arn:aws:iam::111122223333:role/Prompted\"\x1b[0m"),
        "{text:?}"
    );
    assert!(text.contains("\x1b[1mWrite these changes to"), "{text:?}");
    assert!(text.contains("\x1b[31merror:\x1b[0m aborted"), "{text:?}");

    let (code, text, written) = run("y", false);
    assert_eq!(code, Some(0), "{text}");
    assert!(written.contains("role/Prompted"), "{written}");
    assert!(written.starts_with(&original[..original.find("mapRoles").unwrap()]));
    // Plain text: no colour or bold (the prompt still moves the cursor).
    let sgr = regex::Regex::new(r"\x1b\[[0-9;]*m").unwrap();
    assert!(!sgr.is_match(&text), "NO_COLOR, and yet: {text:?}");
    assert!(text.contains("Write these changes to"), "{text}");
}

/// `.iamidmap.yaml`: ignored rules (suppressed, listed with the file that waived them), severity overrides
/// per path, `failOn`; found from a subdirectory, never above the Git work tree; `--config`, `--no-config`;
/// a mistake in it is an error naming the file and line.
#[test]
fn repository_lint_settings() {
    let top = tempfile::tempdir().unwrap();
    let repo = top.path().join("repo");
    let manifest = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: aws-auth\n  namespace: kube-system\ndata:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/teams/Dev\n      username: dev\n      groups:\n        - developers\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups:\n        - system:masters\n";
    for env in ["dev", "prod"] {
        std::fs::create_dir_all(repo.join("clusters").join(env)).unwrap();
        std::fs::write(
            repo.join("clusters").join(env).join("aws-auth.yaml"),
            manifest,
        )
        .unwrap();
    }
    std::fs::create_dir_all(repo.join(".git")).unwrap();
    let settings = "lint:\n  ignore: [IM033]\n  paths:\n    - path: \"clusters/dev/**\"\n      severity: {IM016: info}\n";
    std::fs::write(repo.join(".iamidmap.yaml"), settings).unwrap();
    let validate = |cwd: &Path, args: &[&str]| {
        let out = bin()
            .current_dir(cwd)
            .arg("validate")
            .args(args)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    };

    // dev: IM016 lowered to info, IM033 ignored -> exit 0; prod keeps IM016 as an error.
    let (code, text, err) = validate(&repo, &["clusters/dev/aws-auth.yaml"]);
    assert_eq!(code, Some(0), "{text}{err}");
    assert!(text.contains("info[IM016"), "{text}");
    assert!(!text.contains("IM033"), "{text}");
    assert!(text.contains("1 more suppressed"), "{text}");
    assert!(
        err.contains("lint settings from") && err.contains(".iamidmap.yaml"),
        "{err}"
    );
    let (code, text, _) = validate(&repo, &["clusters/prod/aws-auth.yaml"]);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("error[IM016"), "{text}");
    // From a subdirectory, with a path relative to it: the same settings, the same per-path match.
    let (code, text, _) = validate(&repo.join("clusters"), &["dev/aws-auth.yaml", "-o", "json"]);
    assert_eq!(code, Some(0), "{text}");
    let report: serde_json::Value = serde_json::from_str(&text).unwrap();
    let waived = &report["suppressed"][0];
    assert_eq!(waived["rule"], "IM033", "{report:#}");
    assert!(
        waived["suppression"]["by"]
            .as_str()
            .unwrap()
            .ends_with("repo/.iamidmap.yaml"),
        "{report:#}"
    );
    // SARIF: an external suppression.
    let (_, sarif, _) = validate(&repo, &["clusters/dev/aws-auth.yaml", "-o", "sarif"]);
    let sarif: serde_json::Value = serde_json::from_str(&sarif).unwrap();
    let suppressed: Vec<&serde_json::Value> = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r.get("suppressions").is_some())
        .collect();
    assert_eq!(suppressed.len(), 1, "{sarif:#}");
    assert_eq!(suppressed[0]["suppressions"][0]["kind"], "external");
    // --no-config: everything back, at the built-in severities.
    let (code, text, _) = validate(&repo, &["--no-config", "clusters/dev/aws-auth.yaml"]);
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("error[IM016") && text.contains("IM033"),
        "{text}"
    );
    // failOn in the file, and --fail-on over it.
    std::fs::write(
        repo.join(".iamidmap.yaml"),
        format!("{settings}  failOn: info\n"),
    )
    .unwrap();
    let (code, _, _) = validate(&repo, &["clusters/dev/aws-auth.yaml"]);
    assert_eq!(code, Some(1));
    let (code, _, _) = validate(&repo, &["clusters/dev/aws-auth.yaml", "--fail-on", "error"]);
    assert_eq!(code, Some(0));
    // --config names another file.
    std::fs::write(
        top.path().join("strict.yaml"),
        "lint:\n  severity: {IM033: error}\n",
    )
    .unwrap();
    let strict = top.path().join("strict.yaml");
    let (code, text, _) = validate(
        &repo,
        &[
            "--config",
            strict.to_str().unwrap(),
            "clusters/dev/aws-auth.yaml",
        ],
    );
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("error[IM033") && text.contains("error[IM016"),
        "{text}"
    );
    // `check` reads the same settings: severities, ignored rules and failOn apply to its findings.
    std::fs::write(top.path().join("no-rbac.yaml"), "").unwrap();
    let no_rbac = top.path().join("no-rbac.yaml");
    let check = |settings: &str| {
        std::fs::write(repo.join(".iamidmap.yaml"), settings).unwrap();
        let out = bin()
            .current_dir(&repo)
            .args([
                "check",
                "-f",
                "clusters/dev/aws-auth.yaml",
                "--skip-iam",
                "-o",
                "json",
            ])
            .arg("--rbac-from")
            .arg(&no_rbac)
            .output()
            .unwrap();
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let found: Vec<String> = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                format!(
                    "{} {}",
                    f["rule"].as_str().unwrap(),
                    f["severity"].as_str().unwrap()
                )
            })
            .collect();
        (out.status.code(), found)
    };
    assert_eq!(
        check(""),
        (
            Some(0),
            vec!["IM046 warning".into(), "IM047 warning".into()]
        )
    );
    assert_eq!(
        check("lint:\n  ignore: [IM047]\n  severity: {IM046: error}\n"),
        (Some(1), vec!["IM046 error".to_string()])
    );
    assert_eq!(check("lint:\n  failOn: warning\n").0, Some(1));
    // A mistake: exit 2, the file, the line, what to do; nothing linted.
    std::fs::write(
        repo.join(".iamidmap.yaml"),
        "lint:\n  ignore:\n    - IM033\n    - IM999\n",
    )
    .unwrap();
    let (code, text, err) = validate(&repo, &["clusters/dev/aws-auth.yaml"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(text.is_empty(), "{text}");
    assert!(
        err.contains(".iamidmap.yaml: line 4: `IM999` is not a rule"),
        "{err}"
    );
    assert!(err.contains("--no-config"), "{err}");
    // A settings file above the Git work tree does not apply inside it.
    std::fs::write(repo.join(".iamidmap.yaml"), "").unwrap();
    std::fs::remove_file(repo.join(".iamidmap.yaml")).unwrap();
    std::fs::write(
        top.path().join(".iamidmap.yaml"),
        "lint:\n  ignore: [IM016, IM033]\n",
    )
    .unwrap();
    let (code, text, err) = validate(&repo, &["clusters/dev/aws-auth.yaml"]);
    assert_eq!(code, Some(1), "{text}");
    assert!(!err.contains("lint settings from"), "{err}");
}

/// One session per command: `create` on a file asks STS who you are once, for both the IAM check and the
/// lockout guard (the AWS configuration is loaded once and shared), and asks IAM about the principal.
/// Judged by a local endpoint that counts what it is asked.
#[test]
fn create_asks_sts_once_for_the_iam_check_and_the_guard() {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::sync::{Arc, Mutex};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let asked: Arc<Mutex<Vec<String>>> = Arc::default();
    let log = asked.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(conn) = conn else { return };
            let log = log.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(conn.try_clone().unwrap());
                let mut writer = conn;
                loop {
                    let mut length = 0usize;
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    loop {
                        let mut header = String::new();
                        reader.read_line(&mut header).unwrap();
                        if header.trim().is_empty() {
                            break;
                        }
                        if let Some(v) = header.to_ascii_lowercase().strip_prefix("content-length:")
                        {
                            length = v.trim().parse().unwrap();
                        }
                    }
                    let mut body = vec![0; length];
                    reader.read_exact(&mut body).unwrap();
                    let body = String::from_utf8_lossy(&body).into_owned();
                    let action = body
                        .split('&')
                        .find_map(|p| p.strip_prefix("Action="))
                        .unwrap_or("?")
                        .to_string();
                    log.lock().unwrap().push(action.clone());
                    let xml = match action.as_str() {
                        "GetCallerIdentity" => "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><GetCallerIdentityResult><Arn>arn:aws:iam::111122223333:user/alice</Arn><UserId>AIDAEXAMPLE</UserId><Account>111122223333</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></GetCallerIdentityResponse>".to_string(),
                        "GetRole" => "<GetRoleResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><GetRoleResult><Role><Path>/</Path><RoleName>Dev</RoleName><RoleId>AROAEXAMPLE</RoleId><Arn>arn:aws:iam::111122223333:role/Dev</Arn><CreateDate>2024-01-01T00:00:00Z</CreateDate><AssumeRolePolicyDocument>%7B%7D</AssumeRolePolicyDocument></Role></GetRoleResult><ResponseMetadata><RequestId>2</RequestId></ResponseMetadata></GetRoleResponse>".to_string(),
                        _ => "<ErrorResponse><Error><Code>InvalidAction</Code><Message>no</Message></Error></ErrorResponse>".to_string(),
                    };
                    let status = if action == "?" {
                        "400 Bad Request"
                    } else {
                        "200 OK"
                    };
                    write!(
                        writer,
                        "HTTP/1.1 {status}\r\ncontent-type: text/xml\r\ncontent-length: {}\r\n\r\n{xml}",
                        xml.len()
                    )
                    .unwrap();
                }
            });
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("aws-auth.yaml");
    std::fs::copy(support::fixtures_dir().join("commented.yaml"), &path).unwrap();
    let mut cmd = bin();
    support::aws_endpoint(&mut cmd, &url);
    let out = cmd
        .args(["-v", "create", "-f"])
        .arg(&path)
        .args([
            "--arn",
            "arn:aws:iam::111122223333:role/Dev",
            "--group",
            "dev",
            "--yes",
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(std::fs::read_to_string(&path).unwrap().contains("role/Dev"));
    // The guard used the same answer as the IAM check.
    assert!(
        err.contains("caller: `arn:aws:iam::111122223333:user/alice`"),
        "{err}"
    );
    assert_eq!(
        *asked.lock().unwrap(),
        ["GetCallerIdentity", "GetRole"],
        "{err}"
    );
}
