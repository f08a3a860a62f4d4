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
