//! Helpers: running the binary, locating the shared corpus, and formatting whole transcripts.

use std::path::{Path, PathBuf};
use std::process::Output;

/// The binary, in the hermetic environment (see [`hermetic_env`]).
pub fn bin() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("iamidmap").expect("binary built");
    cmd.env_clear().envs(hermetic_env());
    cmd
}

/// What may pass from the developer's (or CI's) environment to a process a test starts: where programs are,
/// the temporary directory, the locale, and the project's own switches. Everything else (a kubeconfig,
/// `KUBERNETES_SERVICE_HOST`, AWS profiles and keys, proxies, `RUST_BACKTRACE`) is cleared.
const ALLOWED_ENV: [&str; 7] = [
    "PATH",
    "TMPDIR",
    "LANG",
    "LC_ALL",
    "CI",
    "IAMIDMAP_ALLOW_SKIP",
    "IAMIDMAP_REQUIRE_SHARED",
];

/// No test may reach a real AWS account: dummy credentials, no profiles, no instance metadata, and every
/// AWS endpoint on a local port where nothing listens (tests that want STS start moto and override it with
/// [`aws_endpoint`]).
const AWS_ISOLATION: [(&str, &str); 12] = [
    ("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE"),
    (
        "AWS_SECRET_ACCESS_KEY",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    ),
    ("AWS_REGION", "us-east-1"),
    ("AWS_DEFAULT_REGION", "us-east-1"),
    ("AWS_CONFIG_FILE", "/dev/null"),
    ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null"),
    ("AWS_EC2_METADATA_DISABLED", "true"),
    ("AWS_ENDPOINT_URL", "http://127.0.0.1:9"),
    ("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:9"),
    ("AWS_ENDPOINT_URL_IAM", "http://127.0.0.1:9"),
    ("AWS_ENDPOINT_URL_EKS", "http://127.0.0.1:9"),
    ("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "false"),
];

/// A home of the test run's own (HOME, XDG directories), made once per test process and kept until it ends.
pub fn test_home() -> &'static Path {
    static HOME: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    HOME.get_or_init(|| {
        let dir = tempfile::Builder::new()
            .prefix("iamidmap-test-home-")
            .tempdir()
            .expect("a temporary home")
            .keep();
        for sub in ["state", "config", "cache"] {
            std::fs::create_dir_all(dir.join(sub)).unwrap();
        }
        dir
    })
}

/// The environment of every process a test starts (as ripgrep's test harness builds its commands): the
/// allowlist above, a temporary HOME and XDG_STATE_HOME/CONFIG/CACHE, `KUBECONFIG` pointing at a file that
/// does not exist (a test that forgets `-f` fails instead of reaching the developer's cluster), the AWS
/// isolation, and no colour.
pub fn hermetic_env() -> Vec<(String, std::ffi::OsString)> {
    let mut env: Vec<(String, std::ffi::OsString)> = ALLOWED_ENV
        .iter()
        .filter_map(|k| std::env::var_os(k).map(|v| (k.to_string(), v)))
        .collect();
    let home = test_home();
    env.push(("HOME".into(), home.into()));
    env.push(("XDG_STATE_HOME".into(), home.join("state").into()));
    env.push(("XDG_CONFIG_HOME".into(), home.join("config").into()));
    env.push(("XDG_CACHE_HOME".into(), home.join("cache").into()));
    env.push((
        "KUBECONFIG".into(),
        home.join("no-kubeconfig-given-by-the-test").into(),
    ));
    env.push(("NO_COLOR".into(), "1".into()));
    env.push(("RUST_LIB_BACKTRACE".into(), "0".into()));
    for (k, v) in AWS_ISOLATION {
        env.push((k.into(), v.into()));
    }
    env
}

/// The same environment for a plain `std::process::Command` (kubectl, the AWS CLI, helpers).
pub fn hermetic(cmd: &mut std::process::Command) -> &mut std::process::Command {
    cmd.env_clear().envs(hermetic_env())
}

/// A plain `std::process::Command` in the hermetic environment.
pub fn command(program: impl AsRef<std::ffi::OsStr>) -> std::process::Command {
    let mut cmd = std::process::Command::new(program);
    hermetic(&mut cmd);
    cmd
}

/// Point every AWS service of a command at `url` (a local STS or moto).
pub fn aws_endpoint(cmd: &mut assert_cmd::Command, url: &str) {
    for k in [
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_STS",
        "AWS_ENDPOINT_URL_IAM",
        "AWS_ENDPOINT_URL_EKS",
    ] {
        cmd.env(k, url);
    }
}

/// No AWS endpoint at all: what an exec plugin such as `aws eks get-token` sees on a real machine, so that it
/// presigns for the production STS host (which nothing here calls).
pub fn no_aws_endpoints(cmd: &mut assert_cmd::Command) {
    for k in [
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_STS",
        "AWS_ENDPOINT_URL_IAM",
        "AWS_ENDPOINT_URL_EKS",
    ] {
        cmd.env_remove(k);
    }
}

pub fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixtures_dir() -> PathBuf {
    manifest_dir().join("tests/fixtures")
}

/// `../shared/corpus/aws-auth` when it is there. With `IAMIDMAP_REQUIRE_SHARED=1` (set by `.ci/run`) it must
/// be: a missing corpus fails loudly; elsewhere the caller says so and passes (tests that read only the
/// corpus are `ignore`d by build.rs).
pub fn corpus_dir() -> Option<PathBuf> {
    let dir = manifest_dir().join("../shared/corpus/aws-auth");
    if dir.is_dir() {
        return Some(dir);
    }
    if std::env::var("IAMIDMAP_REQUIRE_SHARED").is_ok_and(|v| v == "1") {
        panic!(
            "IAMIDMAP_REQUIRE_SHARED=1 but the shared corpus is missing at {}",
            dir.display()
        );
    }
    eprintln!(
        "note: {} is not here; corpus tests skipped (the project's own fixtures still ran)",
        dir.display()
    );
    None
}

pub fn traits_md() -> Option<String> {
    let path = manifest_dir().join("../shared/corpus/TRAITS.md");
    std::fs::read_to_string(path).ok()
}

pub fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('.'))
        .collect();
    names.sort();
    names
}

/// Exit code, stdout and stderr of a run, as one text for snapshots.
pub fn transcript(title: &str, out: &Output) -> String {
    format!(
        "$ {title}\nexit: {}\n--- stdout\n{}--- stderr\n{}",
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

pub fn run_in(dir: &Path, args: &[&str]) -> Output {
    bin().current_dir(dir).args(args).output().expect("runs")
}

/// Which mapping the round trip adds: one of a kind the file already has, so that deleting it
/// again must give the original bytes back.
pub fn round_trip_args(text: &str, name: &str) -> Vec<Vec<String>> {
    use iamidmap::core::document::AuthDocument;
    use iamidmap::core::mapping::DataKey;
    let doc = AuthDocument::parse(name, text.to_string()).ok();
    let has = |k: DataKey| doc.as_ref().is_some_and(|d| d.slot(k).is_some());
    let mapping = |arn: &str| -> Vec<String> {
        vec![
            "--arn".into(),
            arn.into(),
            "--username".into(),
            "roundtrip".into(),
            "--group".into(),
            "roundtrip-group".into(),
        ]
    };
    // A role always (the first role of a file that has none adds the key, and deleting it removes it),
    // then a mapping of the kind the file already has, when it has no roles.
    let mut runs = vec![mapping("arn:aws:iam::999988887777:role/iamidmap-roundtrip")];
    if !has(DataKey::MapRoles) && has(DataKey::MapUsers) {
        runs.push(mapping("arn:aws:iam::999988887777:user/iamidmap-roundtrip"));
    } else if !has(DataKey::MapRoles) && has(DataKey::MapAccounts) {
        runs.push(vec!["--account".into(), "999988887777".into()]);
    }
    runs
}

/// Create a new mapping in a copy of the file, then delete it: the bytes must come back exactly.
/// A file iamidmap refuses to edit must stay untouched and the refusal must name the file.
pub fn round_trip(dir: &Path, name: &str) -> String {
    let original = std::fs::read(dir.join(name)).unwrap();
    let text = String::from_utf8_lossy(&original).into_owned();
    round_trip_args(&text, name)
        .iter()
        .map(|add| round_trip_one(dir, name, add))
        .collect()
}

fn round_trip_one(dir: &Path, name: &str, add: &[String]) -> String {
    let original = std::fs::read(dir.join(name)).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join(name), &original).unwrap();
    let text = String::from_utf8_lossy(&original).into_owned();
    let mut create: Vec<&str> = vec!["create", "-f", name, "--yes"];
    create.extend(add.iter().map(String::as_str));
    let created = run_in(tmp.path(), &create);
    let after_create = std::fs::read(tmp.path().join(name)).unwrap();
    let mut report = transcript(&create.join(" "), &created);
    if created.status.code() != Some(0) {
        assert_eq!(
            after_create, original,
            "{name}: a refused create changed the file"
        );
        let stderr = String::from_utf8_lossy(&created.stderr);
        assert!(
            stderr.contains(name),
            "{name}: the refusal does not name the file: {stderr}"
        );
        report.push_str("round trip: create refused, file unchanged\n");
        return report;
    }
    assert_ne!(
        after_create, original,
        "{name}: create reported success but wrote nothing"
    );
    let target: Vec<&str> = if add[0] == "--account" {
        vec!["--account", add[1].as_str()]
    } else {
        vec!["--arn", add[1].as_str()]
    };
    // Whoever runs the corpus is not in it: the caller check is waived, every other rule applies.
    let mut delete: Vec<&str> = vec!["delete", "-f", name, "--yes", "--no-caller-check"];
    delete.extend(target);
    let deleted = run_in(tmp.path(), &delete);
    report.push_str(&transcript(&delete.join(" "), &deleted));
    let after_delete = std::fs::read(tmp.path().join(name)).unwrap();
    assert_eq!(deleted.status.code(), Some(0), "{name}: delete failed");
    let had_data_keys = iamidmap::core::document::AuthDocument::parse(name, text.clone())
        .is_ok_and(|d| !d.slots.is_empty() || !d.facts.other_data_keys.is_empty());
    if !had_data_keys && after_delete != original {
        // The create had to add `data` itself; deleting its only entry leaves the key, now an empty
        // list (a `data:` with nothing under it could not be edited again), and nothing else changed.
        let after = String::from_utf8_lossy(&after_delete).into_owned();
        let diff = similar::TextDiff::from_lines(text.as_str(), after.as_str());
        let changes: Vec<String> = diff
            .iter_all_changes()
            .filter(|c| c.tag() != similar::ChangeTag::Equal)
            .map(|c| format!("{}{}", c.tag(), c.value().trim_end()))
            .collect();
        assert!(
            changes.iter().all(|c| c.starts_with('+'))
                && changes.iter().any(|c| c.ends_with(": []")),
            "{name}: create then delete changed more than the added (now empty) list: {changes:?}"
        );
        report.push_str("round trip: identical but for the added data, now an empty list\n");
        return report;
    }
    if after_delete != original {
        // A key that held an empty list and nothing else is removed by the delete that empties it
        // again: that one line, and nothing else, may differ.
        let after = String::from_utf8_lossy(&after_delete).into_owned();
        let diff = similar::TextDiff::from_lines(text.as_str(), after.as_str());
        let changes: Vec<String> = diff
            .iter_all_changes()
            .filter(|c| c.tag() != similar::ChangeTag::Equal)
            .map(|c| format!("{}{}", c.tag(), c.value().trim()))
            .collect();
        let doc = iamidmap::core::document::AuthDocument::parse(name, text.clone()).unwrap();
        let emptied = doc.slots.iter().find(|s| {
            s.content.trim().is_empty()
                && changes
                    == [format!(
                        "-{}",
                        &text[s.key_span.start..].lines().next().unwrap().trim()
                    )]
        });
        if let Some(slot) = emptied {
            report.push_str(&format!(
                "round trip: identical but for `{}`, which held an empty list and was removed\n",
                slot.key.as_str()
            ));
            return report;
        }
    }
    assert!(
        after_delete == original,
        "{name}: create then delete did not give back the original bytes:\n{}",
        similar::TextDiff::from_lines(text.as_str(), &*String::from_utf8_lossy(&after_delete))
            .unified_diff()
    );
    report.push_str("round trip: byte-identical\n");
    report
}

/// insta settings for a transcript: where it is kept, what it is meant to show (the snapshot's
/// `description`, so a reviewer knows what to check), and filters for what differs from machine to
/// machine (OS error texts and numbers, ports, temporary paths).
pub fn snapshot_settings(snapshot_path: &str, description: &str) -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(manifest_dir().join("tests").join(snapshot_path));
    settings.set_prepend_module_to_snapshot(false);
    settings.set_description(description);
    settings.add_filter(r"\(os error \d+\)", "(os error [N])");
    settings.add_filter(
        r"Connection refused|connection refused",
        "[connection refused]",
    );
    settings.add_filter(r"127\.0\.0\.1:\d+", "127.0.0.1:[PORT]");
    settings.add_filter(r"/tmp/\.tmp[A-Za-z0-9]+", "[TEMP]");
    settings.add_filter(r"/tmp/iamidmap-test-home-[A-Za-z0-9]+", "[HOME]");
    settings
}

/// The same filters and a description, keeping the snapshot's usual name and place.
pub fn described(description: &str) -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.set_description(description);
    settings.add_filter(r"\(os error \d+\)", "(os error [N])");
    settings.add_filter(
        r"Connection refused|connection refused",
        "[connection refused]",
    );
    settings.add_filter(r"127\.0\.0\.1:\d+", "127.0.0.1:[PORT]");
    settings.add_filter(r"/tmp/\.tmp[A-Za-z0-9]+", "[TEMP]");
    settings.add_filter(r"/tmp/iamidmap-test-home-[A-Za-z0-9]+", "[HOME]");
    settings
}

/// Everything a user sees for one file: get (table and JSON), validate, and the round trip.
pub fn file_report(dir: &Path, name: &str) -> String {
    let mut report = String::new();
    for args in [
        vec!["get", "-f", name],
        vec!["get", "-f", name, "-o", "json"],
        vec!["validate", "-f", name],
    ] {
        report.push_str(&transcript(&args.join(" "), &run_in(dir, &args)));
    }
    report.push_str(&round_trip(dir, name));
    report
}

pub mod apiserver;
pub mod iam_proxy;

/// Heavy tests (many processes, big documents, thousands of oracle calls) take this lock, so that on a
/// loaded 2-core machine they do not run at the same time and starve each other's timeouts.
pub fn heavy() -> std::sync::MutexGuard<'static, ()> {
    static HEAVY: std::sync::Mutex<()> = std::sync::Mutex::new(());
    HEAVY.lock().unwrap_or_else(|e| e.into_inner())
}

/// Wait until the wall clock has moved on to a new second (times with second precision, such as IAM's
/// CreateDate and managedFields, then differ), instead of sleeping a fixed time.
pub fn next_second() {
    let now = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
    };
    let start = now();
    while now() == start {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// The first line a helper process prints, or a panic after `timeout` (a helper that hangs must not
/// hang the suite).
pub fn first_line(
    child: &mut std::process::Child,
    timeout: std::time::Duration,
) -> (String, std::io::BufReader<std::process::ChildStdout>) {
    let stdout = child.stdout.take().expect("piped stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut reader = std::io::BufReader::new(stdout);
        let mut line = String::new();
        let _ = std::io::BufRead::read_line(&mut reader, &mut line);
        let _ = tx.send((line, reader));
    });
    rx.recv_timeout(timeout)
        .unwrap_or_else(|_| panic!("the helper printed nothing within {timeout:?}"))
}

/// The real kubectl: the pinned one `scripts/test` puts on PATH, or the machine's.
pub fn kubectl() -> Option<PathBuf> {
    let found = which("kubectl");
    if found.is_none() {
        missing("kubectl", "it is not on PATH");
    }
    found
}

/// util-linux `script`, which gives a command a pseudo-terminal (for prompts). It is part of every Debian
/// and most Linux installs (bsdutils), so it is required, never skipped.
pub fn script() -> PathBuf {
    which("script")
        .expect("util-linux `script` is not on PATH: install bsdutils (Debian) or util-linux")
}

/// The data values of the aws-auth ConfigMap in a manifest, when it has them as strings.
pub fn manifest_data(text: &str) -> Option<std::collections::BTreeMap<String, String>> {
    let doc = iamidmap::core::document::AuthDocument::parse("seed", text.to_string()).ok()?;
    if doc.slots.iter().any(|s| s.wrong_type.is_some())
        || !doc.facts.duplicate_keys.is_empty()
        || doc.facts.carrier.kind.structured()
    {
        return None;
    }
    Some(doc.facts.data_strings.iter().cloned().collect())
}

/// The real AWS CLI (the pinned one `scripts/test` puts on PATH).
pub fn aws_cli() -> Option<PathBuf> {
    let found = which("aws");
    if found.is_none() {
        missing("the AWS CLI", "`aws` is not on PATH");
    }
    found
}

/// A moto server (IAM and STS) on 127.0.0.1, started for one test and killed when dropped.
pub struct Moto {
    child: std::process::Child,
    pub url: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Start moto_server (from PATH: `.ci/run` installs a pinned one). Missing in CI is a failure.
pub fn moto() -> Option<Moto> {
    let Some(exe) = which("moto_server") else {
        missing("moto", "`moto_server` is not on PATH");
        return None;
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = command(exe)
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("moto_server starts");
    let moto = Moto {
        child,
        url: format!("http://127.0.0.1:{port}"),
    };
    // Wait for it to listen (a loaded machine may take several seconds to start Python).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while std::time::Instant::now() < deadline {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Some(moto);
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("moto_server did not start on port {port} within 60 s");
}

/// The local STS of tests/support/sts_wrapper.py (moto + presigned GetCallerIdentity), on 127.0.0.1.
pub struct LocalSts {
    child: std::process::Child,
    pub url: String,
    pub python: PathBuf,
    /// An HTTPS proxy (`http://127.0.0.1:PORT`) that serves the production STS host names from this STS,
    /// for tools that call STS themselves (`aws eks get-token --role-arn`), and the CA file its
    /// certificates are signed with (AWS_CA_BUNDLE).
    pub proxy: String,
    pub ca: PathBuf,
}

impl Drop for LocalSts {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Turn moto's request authentication on from now on (`POST /moto-api/reset-auth 0`): every call must be
/// signed with a key moto issued, with its secret, and be allowed by IAM policies.
pub fn moto_require_auth(url: &str) {
    let addr = url.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(addr).expect("moto answers");
    use std::io::{Read, Write};
    write!(
        stream,
        "POST /moto-api/reset-auth HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 1\r\nConnection: close\r\n\r\n0"
    )
    .unwrap();
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    assert!(
        answer.starts_with("HTTP/1.1 200") || answer.starts_with("HTTP/1.0 200"),
        "{answer}"
    );
}

/// Start the local STS with the Python that has moto (the one beside `moto_server` on PATH).
pub fn local_sts() -> Option<LocalSts> {
    let Some(moto_server) = which("moto_server") else {
        missing("moto", "`moto_server` is not on PATH");
        return None;
    };
    let python = moto_server.parent().unwrap().join("python3");
    let mut child = command(&python)
        .arg(manifest_dir().join("tests/support/sts_wrapper.py"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("the local STS starts");
    let (line, mut reader) = first_line(&mut child, std::time::Duration::from_secs(60));
    let port: u16 = line.trim().parse().expect("the local STS prints its port");
    let mut line = String::new();
    std::io::BufRead::read_line(&mut reader, &mut line).unwrap();
    let parts: Vec<&str> = line.split_whitespace().collect();
    assert!(
        parts.len() == 3 && parts[0] == "proxy",
        "the local STS prints its proxy: {line:?}"
    );
    Some(LocalSts {
        child,
        url: format!("http://127.0.0.1:{port}"),
        python,
        proxy: format!("http://127.0.0.1:{}", parts[1]),
        ca: PathBuf::from(parts[2]),
    })
}

/// Run the real AWS CLI, isolated (see AWS_ISOLATION), against `endpoint` (none: no endpoint, as for the
/// offline `aws eks get-token`), with optional credentials (key, secret, session token); parse its JSON.
pub fn aws_json(
    exe: &Path,
    endpoint: Option<&str>,
    args: &[&str],
    creds: Option<(&str, &str, Option<&str>)>,
) -> serde_json::Value {
    let mut cmd = std::process::Command::new(exe);
    hermetic(&mut cmd);
    for k in [
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_STS",
        "AWS_ENDPOINT_URL_IAM",
        "AWS_ENDPOINT_URL_EKS",
    ] {
        match endpoint {
            Some(url) => cmd.env(k, url),
            None => cmd.env_remove(k),
        };
    }
    if let Some((k, s, t)) = creds {
        cmd.env("AWS_ACCESS_KEY_ID", k)
            .env("AWS_SECRET_ACCESS_KEY", s);
        if let Some(t) = t {
            cmd.env("AWS_SESSION_TOKEN", t);
        }
    }
    let out = cmd.args(args).args(["--output", "json"]).output().unwrap();
    assert!(
        out.status.success(),
        "aws {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null)
}

/// Create a role in moto that the account (and so the default caller) may assume.
pub fn create_assumable_role(exe: &Path, endpoint: &str, name: &str) {
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}"#;
    aws_json(
        exe,
        Some(endpoint),
        &[
            "iam",
            "create-role",
            "--role-name",
            name,
            "--assume-role-policy-document",
            trust,
        ],
        None,
    );
}

pub mod docgen;
pub mod eks;

/// A real component a test needs is missing. That fails the test, loudly, unless the developer set
/// `IAMIDMAP_ALLOW_SKIP=1` (never in CI): then build.rs has marked the tests that need it `ignore`d with the
/// reason, so they show in cargo's counts, and a helper reached anyway returns `None`.
pub fn missing(component: &str, install: &str) {
    let allowed = std::env::var("IAMIDMAP_ALLOW_SKIP").is_ok_and(|v| v == "1")
        && !std::env::var("CI").is_ok_and(|v| v == "true");
    if !allowed {
        panic!(
            "{component} is missing: {install}. `scripts/test` installs everything (see CONTRIBUTING.md); IAMIDMAP_ALLOW_SKIP=1 skips the tests that need it"
        );
    }
    eprintln!("note: {component} is missing ({install}); IAMIDMAP_ALLOW_SKIP=1 skips this test");
}

/// Where a program is on PATH.
fn which(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join(program))
            .find(|p| p.is_file())
    })
}
