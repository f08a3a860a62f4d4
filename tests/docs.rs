//! Generated files are fresh: man pages and docs/lint-rules.md match the clap definitions and the rule
//! registry, and .ci/run runs exactly the test command README.md gives.

use crate::support;

#[test]
fn generated_docs_are_fresh() {
    let root = support::manifest_dir();
    let mut stale = vec![];
    for (rel, text) in iamidmap::commands::render_docs() {
        let committed = std::fs::read_to_string(root.join(&rel)).unwrap_or_default();
        if committed != text {
            stale.push(rel.display().to_string());
        }
    }
    assert!(
        stale.is_empty(),
        "stale generated files: {stale:?}; run `cargo run -- generate-docs` and commit"
    );
}

#[test]
fn ci_runs_the_readme_test_command() {
    let root = support::manifest_dir();
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let ci = std::fs::read_to_string(root.join(".ci/run")).unwrap();
    // The second command of the first code block.
    let command = readme
        .split("```sh\n")
        .nth(1)
        .and_then(|block| block.lines().nth(1))
        .expect("README.md gives the test command")
        .trim();
    assert!(
        ci.lines().any(|l| l.trim() == command),
        ".ci/run does not run `{command}`"
    );
    // And that command runs the suite.
    let script = std::fs::read_to_string(root.join(command)).unwrap();
    assert!(
        script
            .lines()
            .any(|l| l.trim() == "exec cargo test --locked \"$@\""),
        "{command} does not run cargo test"
    );
    // CI skips nothing: it unsets the variable that allows skipping and requires ../shared.
    assert!(
        ci.lines()
            .any(|l| l.trim() == "export IAMIDMAP_REQUIRE_SHARED=1"),
        ".ci/run must require ../shared"
    );
    assert!(
        ci.lines()
            .any(|l| l.starts_with("unset ") && l.contains("IAMIDMAP_ALLOW_SKIP")),
        ".ci/run must unset IAMIDMAP_ALLOW_SKIP"
    );
    assert!(
        !ci.contains("IAMIDMAP_ALLOW_SKIP=1"),
        ".ci/run must not allow skipping"
    );
    // The contributor guide the README points at is there and names the same command.
    let contributing = std::fs::read_to_string(root.join("CONTRIBUTING.md")).unwrap();
    assert!(
        contributing.contains(command),
        "CONTRIBUTING.md does not mention {command}"
    );
}

#[test]
fn readme_example_command_works() {
    let root = support::manifest_dir();
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let line = readme
        .lines()
        .find(|l| l.trim_start().starts_with("cargo run") && l.contains("examples/aws-auth.yaml"))
        .expect("README.md gives the example command");
    let args: Vec<&str> = line
        .split(" -- ")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .collect();
    support::bin()
        .current_dir(&root)
        .args(&args)
        .assert()
        .success();
}

#[test]
fn every_man_page_a_page_names_is_shipped() {
    let man = support::manifest_dir().join("man");
    let mut missing = vec![];
    for name in support::files_in(&man) {
        let text = std::fs::read_to_string(man.join(&name)).unwrap();
        for word in text.split(|c: char| c.is_whitespace()) {
            let word = word.replace("\\-", "-");
            if let Some(page) = word.strip_suffix("(1)")
                && page.starts_with("iamidmap")
                && !man.join(format!("{page}.1")).is_file()
            {
                missing.push(format!("{name} names {page}(1)"));
            }
        }
    }
    assert!(missing.is_empty(), "{missing:?}");
}

#[test]
fn the_repository_carries_its_license_and_policies() {
    let root = support::manifest_dir();
    let cargo = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    assert!(cargo.contains("license = \"Apache-2.0\""));
    let license = std::fs::read_to_string(root.join("LICENSE")).unwrap();
    assert!(license.contains("Apache License") && license.contains("Version 2.0, January 2004"));
    for file in ["SECURITY.md", "CONTRIBUTING.md", "CHANGELOG.md"] {
        let text = std::fs::read_to_string(root.join(file)).unwrap_or_default();
        assert!(text.len() > 200, "{file} is missing or empty");
    }
}

/// The README's "From the clone" block runs as written (with its /tmp files in a temporary directory).
#[test]
fn the_readme_tour_runs_from_the_clone() {
    let root = support::manifest_dir();
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let block = readme
        .split("### From the clone, no cluster needed")
        .nth(1)
        .and_then(|rest| rest.split("```sh\n").nth(1))
        .and_then(|b| b.split("```").next())
        .expect("the README has the tour block");
    let tmp = tempfile::tempdir().unwrap();
    let bin_dir = tmp.path().join("bin");
    std::fs::create_dir(&bin_dir).unwrap();
    std::os::unix::fs::symlink(
        assert_cmd::cargo::cargo_bin("iamidmap"),
        bin_dir.join("iamidmap"),
    )
    .unwrap();
    let script = format!(
        "set -euo pipefail\n{}",
        block.replace("/tmp/", &format!("{}/", tmp.path().display()))
    );
    let out = support::command("bash")
        .current_dir(&root)
        .env(
            "PATH",
            format!(
                "{}:{}",
                bin_dir.display(),
                std::env::var("PATH").unwrap_or_default()
            ),
        )
        .args(["-c", &script])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the tour failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("byte for byte as before"), "{stdout}");
    assert!(
        stdout.contains("platform-admin:{{SessionName}}"),
        "{stdout}"
    );
    // The refused delete was refused by the guard, not for another reason.
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("last-system-masters"), "{stderr}");
}

/// The release workflow, the krew manifest template and the Homebrew formula agree: the same four
/// targets, a placeholder for each archive's checksum that the workflow fills, the tag checked against
/// Cargo.toml's version; filled in as the workflow fills them, the manifests name this version and the
/// archives the workflow builds, and nothing is left unfilled.
#[test]
fn release_packaging_agrees_with_the_version_and_the_workflow() {
    let root = support::manifest_dir();
    let read =
        |p: &str| std::fs::read_to_string(root.join(p)).unwrap_or_else(|e| panic!("{p}: {e}"));
    let workflow = read(".github/workflows/release.yml");
    let krew = read(".krew.yaml");
    let brew = read("packaging/homebrew/iamidmap.rb");
    let targets: Vec<String> = regex::Regex::new(r"target: ([a-z0-9_]+-[a-z0-9_-]+), os:")
        .unwrap()
        .captures_iter(&workflow)
        .map(|c| c[1].to_string())
        .collect();
    assert_eq!(
        targets,
        [
            "x86_64-unknown-linux-musl",
            "aarch64-unknown-linux-musl",
            "x86_64-apple-darwin",
            "aarch64-apple-darwin"
        ]
    );
    assert!(workflow.contains(r#"test "v$version" = "$GITHUB_REF_NAME""#));
    // The publish step's loop names the same targets.
    assert!(workflow.contains(&format!("for target in {}; do", targets.join(" "))));
    // Fill in as the workflow does.
    let version = env!("CARGO_PKG_VERSION");
    let fill = |text: &str| {
        let mut out = text
            .replace("@VERSION@", version)
            .replace("@REPOSITORY@", "example/iamidmap");
        for t in &targets {
            let key = t.to_uppercase().replace('-', "_");
            let placeholder = format!("@SHA256_{key}@");
            assert!(out.contains(&placeholder), "no checksum for {t}");
            out = out.replace(&placeholder, &"ab".repeat(32));
        }
        assert!(!out.contains('@'), "left unfilled:\n{out}");
        out
    };
    let krew = fill(&krew);
    let brew = fill(&brew);
    for t in &targets {
        let archive = format!(
            "https://github.com/example/iamidmap/releases/download/v{version}/iamidmap-v{version}-{t}.tar.gz"
        );
        assert!(krew.contains(&archive), "krew: {archive}");
        assert!(brew.contains(&archive), "brew: {archive}");
        // The archive's top directory, as the Package step makes it.
        assert!(krew.contains(&format!("iamidmap-v{version}-{t}/iamidmap")));
    }
    assert!(workflow.contains(r#"name="iamidmap-${GITHUB_REF_NAME}-${{ matrix.target }}""#));
    // The krew manifest is valid YAML with the plugin's fields (read with the project's own YAML reader).
    let doc = iamidmap::core::yaml::parse_stream(&krew).expect("the krew manifest is YAML");
    let spec = doc[0].get("spec").expect("spec");
    assert_eq!(
        spec.get("version").and_then(|v| v.as_str()),
        Some(format!("v{version}").as_str())
    );
    assert_eq!(doc[0].get("kind").and_then(|v| v.as_str()), Some("Plugin"));
    assert!(brew.contains(&format!("version \"{version}\"")));
    // The binary the plugin installs is called as kubectl calls plugins.
    assert_eq!(krew.matches("bin: kubectl-iamidmap").count(), targets.len());
}
