//! The referee: aws-iam-authenticator's own code (`../shared/oracle-go`, upstream's ParseMap, saveMap,
//! lookups, Canonicalize and doMapping on go-yaml v2) against iamidmap's reader, on generated documents,
//! the fixtures and the corpus. Every stored entry, every list error and every caller's answer (all the
//! answers upstream may give, when it answers at random) must agree.

use crate::support::docgen;
use iamidmap::core::arn;
use iamidmap::core::mapping::{
    EffectiveMapping, Entry, ListKind, ListParse, parse_accounts, parse_list,
};
use iamidmap::core::review;
use iamidmap::core::token::Identity;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

const NODE_NAME: &str = "ip-10-0-0-1.ec2.internal";

/// Build (or find) the oracle; `None` when ../shared is not beside the project.
pub fn oracle_bin() -> Option<String> {
    let build = crate::support::manifest_dir().join("../shared/oracle-go/build.sh");
    if !build.is_file() {
        crate::support::missing("oracle-go", "../shared/oracle-go is not beside the project");
        return None;
    }
    let out = Command::new("bash")
        .arg(&build)
        .output()
        .expect("runs build.sh");
    assert!(
        out.status.success(),
        "oracle-go build failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let path = String::from_utf8_lossy(&out.stdout)
        .lines()
        .last()
        .unwrap_or_default()
        .to_string();
    Some(path)
}

/// Our answer for the data of one ConfigMap.
struct Ours {
    roles: ListParse,
    users: ListParse,
    accounts: Vec<String>,
    accounts_error: bool,
}

fn ours(data: &serde_json::Map<String, Value>) -> Ours {
    let get = |k: &str| data.get(k).and_then(Value::as_str);
    let roles = get("mapRoles").map_or_else(
        || parse_list("", ListKind::Roles),
        |t| parse_list(t, ListKind::Roles),
    );
    let users = get("mapUsers").map_or_else(
        || parse_list("", ListKind::Users),
        |t| parse_list(t, ListKind::Users),
    );
    let acc = parse_accounts(get("mapAccounts").unwrap_or(""));
    Ours {
        accounts: acc.accounts.iter().map(|a| a.0.clone()).collect(),
        accounts_error: !acc.errors.is_empty(),
        roles,
        users,
    }
}

fn list_has_error(l: &ListParse) -> bool {
    !l.errors.is_empty()
        || l.entries
            .iter()
            .any(|e| !e.is_valid() || !e.type_errors.is_empty())
}

fn entry_view(e: &Entry) -> Value {
    json!({
        "key": e.key(),
        "arn": e.arn,
        "sso": e.sso.as_ref().map(|s| json!([s.permission_set_name, s.account_id, s.partition])),
        "username": e.username,
        "groups": e.groups,
    })
}

fn oracle_entry_view(o: &Value, arn_field: &str) -> Value {
    let groups = o["groups"].as_array().cloned().unwrap_or_default();
    json!({
        "key": o["key"],
        "arn": o[arn_field].as_str().unwrap_or(""),
        "sso": o.get("sso").filter(|s| !s.is_null()).map(|s| json!([
            s["permissionSetName"].as_str().unwrap_or(""),
            s["accountID"].as_str().unwrap_or(""),
            s["partition"].as_str().unwrap_or(""),
        ])),
        "username": o["username"],
        "groups": groups,
    })
}

fn sorted(mut v: Vec<Value>) -> Vec<Value> {
    v.sort_by_key(|x| x.to_string());
    v
}

fn identity(arn_text: &str) -> Option<Identity> {
    let (_, canonical) = arn::canonicalize(arn_text).ok()?;
    let parts = arn::parse(arn_text).ok();
    let account = parts
        .as_ref()
        .map(|p| p.account.to_string())
        .unwrap_or_default();
    let assumed = parts
        .as_ref()
        .is_some_and(|p| p.service == "sts" && p.resource.starts_with("assumed-role/"));
    let session = if assumed {
        arn_text.rsplit('/').next().unwrap_or("").to_string()
    } else {
        String::new()
    };
    Some(Identity {
        arn: arn_text.to_string(),
        canonical_arn: canonical,
        account_id: account,
        user_id: "AROAORACLEEXAMPLE".into(),
        session_name: session,
        access_key_id: String::new(),
        sts_endpoint: "sts.amazonaws.com".into(),
    })
}

fn outcome(r: &review::Review) -> Value {
    match (&r.user, r.authenticated) {
        (Some(u), true) => json!([true, u.username, u.groups]),
        _ => json!([false]),
    }
}

/// Every answer iamidmap says upstream may give for this caller.
fn our_outcomes(o: &Ours, arn_text: &str) -> (Option<Value>, BTreeSet<String>) {
    let Some(id) = identity(arn_text) else {
        return (None, BTreeSet::new());
    };
    let m = EffectiveMapping::new(&o.roles.entries, &o.users.entries, &o.accounts);
    let picked = outcome(&review::review(&id, &m, Some(NODE_NAME), &[]));
    let mut all = BTreeSet::new();
    let candidates = m.candidates(&id.canonical_arn);
    if candidates.is_empty() {
        all.insert(picked.to_string());
    }
    for c in candidates {
        let one = [c.clone()];
        let single = match c.list {
            ListKind::Roles => EffectiveMapping::new(&one, &[], &o.accounts),
            ListKind::Users => EffectiveMapping::new(&[], &one, &o.accounts),
        };
        all.insert(outcome(&review::review(&id, &single, Some(NODE_NAME), &[])).to_string());
    }
    (Some(picked), all)
}

/// Compare one oracle answer with ours; a description of each disagreement.
pub(crate) fn compare(resp: &Value, data: &serde_json::Map<String, Value>) -> Vec<String> {
    let mut out = vec![];
    let o = ours(data);
    let parse = &resp["parse"];
    let m = EffectiveMapping::new(&o.roles.entries, &o.users.entries, &o.accounts);
    let our_roles = sorted(m.roles.iter().map(|e| entry_view(e)).collect());
    let their_roles = sorted(
        parse["roles"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| oracle_entry_view(r, "rolearn"))
            .collect(),
    );
    if our_roles != their_roles {
        out.push(format!(
            "roles: ours {our_roles:?}\n  oracle {their_roles:?}"
        ));
    }
    let our_users = sorted(m.users.iter().map(|e| entry_view(e)).collect());
    let their_users = sorted(
        parse["users"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| oracle_entry_view(r, "userarn"))
            .collect(),
    );
    if our_users != their_users {
        out.push(format!(
            "users: ours {our_users:?}\n  oracle {their_users:?}"
        ));
    }
    let mut ours_acc: Vec<String> = o.accounts.clone();
    ours_acc.sort();
    ours_acc.dedup();
    let mut theirs_acc: Vec<String> = parse["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a.as_str())
        .map(str::to_string)
        .collect();
    theirs_acc.sort();
    if ours_acc != theirs_acc {
        out.push(format!("accounts: ours {ours_acc:?} oracle {theirs_acc:?}"));
    }
    let errors: Vec<String> = parse["errors"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e.as_str().map(str::to_string))
        .collect();
    for (key, ours_err) in [
        ("mapRoles", list_has_error(&o.roles)),
        ("mapUsers", list_has_error(&o.users)),
        ("mapAccounts", o.accounts_error),
    ] {
        let theirs = errors.iter().any(|e| e.starts_with(&format!("{key}: ")));
        if ours_err != theirs {
            out.push(format!(
                "{key} error: ours {ours_err} ({:?}), oracle {theirs} ({errors:?})",
                match key {
                    "mapRoles" => format!("{:?}", o.roles.errors),
                    "mapUsers" => format!("{:?}", o.users.errors),
                    _ => String::new(),
                }
            ));
        }
    }
    for res in resp["results"].as_array().unwrap() {
        let arn_text = res["arn"].as_str().unwrap();
        let (picked, ours_all) = our_outcomes(&o, arn_text);
        let canon_err = !res["error"].as_str().unwrap_or("").is_empty();
        if canon_err != picked.is_none() {
            out.push(format!(
                "{arn_text}: canonicalization error oracle {canon_err}"
            ));
            continue;
        }
        let Some(picked) = picked else { continue };
        let theirs: BTreeSet<String> = res["outcomes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| {
                if o["authenticated"].as_bool() == Some(true) {
                    let groups = o["groups"].as_array().cloned().unwrap_or_default();
                    json!([true, o["username"], groups]).to_string()
                } else {
                    json!([false]).to_string()
                }
            })
            .collect();
        if !theirs.contains(&picked.to_string()) || ours_all != theirs {
            out.push(format!(
                "{arn_text}: ours {picked} (all {ours_all:?}), oracle {theirs:?}"
            ));
        }
    }
    out
}

pub(crate) struct Oracle {
    child: std::process::Child,
    /// Lines oracle-go answers, read by a thread so that a hung oracle fails the test instead of hanging it.
    answers: std::sync::mpsc::Receiver<String>,
}

impl Oracle {
    pub(crate) fn start(bin: &str) -> Oracle {
        let mut child = crate::support::command(bin)
            .arg("batch")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("oracle-go starts");
        let reader = BufReader::new(child.stdout.take().unwrap());
        let (tx, answers) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in reader.lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Oracle { child, answers }
    }

    pub(crate) fn ask(&mut self, req: &Value) -> Value {
        let stdin = self.child.stdin.as_mut().unwrap();
        writeln!(stdin, "{req}").unwrap();
        stdin.flush().unwrap();
        let line = self
            .answers
            .recv_timeout(std::time::Duration::from_secs(60))
            .expect("oracle-go answers within 60 s");
        serde_json::from_str(&line).expect("oracle answers JSON")
    }
}

impl Drop for Oracle {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn cases() -> u64 {
    std::env::var("IAMIDMAP_ORACLE_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000)
}

#[test]
#[cfg_attr(
    iamidmap_skip_oracle,
    ignore = "../shared/oracle-go is not beside the project"
)]
fn generated_documents_agree_with_upstream() {
    let Some(bin) = oracle_bin() else { return };
    let _heavy = crate::support::heavy();
    let mut oracle = Oracle::start(&bin);
    let base: u64 = std::env::var("IAMIDMAP_ORACLE_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    let mut failures = vec![];
    let (mut answers, mut nondeterministic) = (0usize, 0usize);
    for seed in base..base + cases() {
        let doc = docgen::document(seed);
        let mut data = serde_json::Map::new();
        for (k, v) in [
            ("mapRoles", &doc.roles),
            ("mapUsers", &doc.users),
            ("mapAccounts", &doc.accounts),
        ] {
            if let Some(v) = v {
                data.insert(k.into(), Value::String(v.clone()));
            }
        }
        let callers: Vec<Value> = doc
            .callers
            .iter()
            .map(|a| json!({"arn": a, "node_name": NODE_NAME}))
            .collect();
        let resp = oracle.ask(&json!({"id": seed.to_string(), "data": data, "callers": callers}));
        assert!(
            resp["panic"].is_null(),
            "oracle panicked on seed {seed}: {}",
            resp["panic"]
        );
        answers += doc.callers.len();
        nondeterministic += resp["results"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["deterministic"] == false)
            .count();
        let diffs = std::panic::catch_unwind(|| compare(&resp, &data))
            .unwrap_or_else(|_| vec!["iamidmap panicked on this document".to_string()]);
        if !diffs.is_empty() {
            failures.push(format!(
                "seed {seed}: data {}\n{}",
                Value::Object(data),
                diffs.join("\n")
            ));
        }
    }
    eprintln!(
        "oracle: {} documents, {answers} caller answers ({nondeterministic} where upstream answers at random), {} disagreements",
        cases(),
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {} documents disagree with upstream; first ones:\n{}",
        failures.len(),
        cases(),
        failures
            .iter()
            .take(5)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n\n")
    );
}

fn last_wins_view(entries: &[Value], roles: bool) -> Vec<Value> {
    let mut by_key: Vec<(String, Value)> = vec![];
    for e in entries {
        let arn = e[if roles { "rolearn" } else { "userarn" }]
            .as_str()
            .unwrap_or("")
            .to_string();
        if arn.is_empty() {
            continue; // an `sso` entry: compared by the generated documents
        }
        let key = if roles {
            iamidmap::core::gostr::to_lower(&arn)
        } else {
            arn.clone()
        };
        let view = json!({
            "key": key,
            "arn": arn,
            "username": e["username"].as_str().unwrap_or(""),
            "groups": e["groups"].as_array().cloned().unwrap_or_default(),
        });
        match by_key.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = view,
            None => by_key.push((key, view)),
        }
    }
    sorted(by_key.into_iter().map(|(_, v)| v).collect())
}

fn oracle_stored(parse: &Value, list: &str, arn_field: &str) -> Vec<Value> {
    sorted(
        parse[list]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e.get("sso").is_none_or(Value::is_null))
            .map(|e| {
                json!({
                    "key": e["key"],
                    "arn": e[arn_field].as_str().unwrap_or(""),
                    "username": e["username"],
                    "groups": e["groups"].as_array().cloned().unwrap_or_default(),
                })
            })
            .collect(),
    )
}

/// ARNs to ask about: every mapped ARN, its case variants, and the caller forms of roles.
fn probe_arns(parse: &Value) -> Vec<String> {
    let mut out = vec!["arn:aws:iam::999999999999:user/stranger".to_string()];
    for (list, field) in [("parsed_roles", "rolearn"), ("parsed_users", "userarn")] {
        for e in parse[list].as_array().into_iter().flatten() {
            let Some(a) = e[field].as_str().filter(|a| a.starts_with("arn:")) else {
                continue;
            };
            out.push(a.to_string());
            out.push(a.to_lowercase());
            out.push(
                a.to_uppercase()
                    .replacen("ARN:AWS", "arn:aws", 1)
                    .replacen(":IAM:", ":iam:", 1),
            );
            if let Some((head, name)) = a.split_once(":role/") {
                let base = name.rsplit('/').next().unwrap_or(name);
                let account = head.rsplit(':').next().unwrap_or("");
                out.push(format!("{head}:role/{base}"));
                out.push(format!(
                    "arn:aws:sts::{account}:assumed-role/{base}/i-0123456789abcdef0"
                ));
                out.push(format!(
                    "arn:aws:sts::{account}:assumed-role/{base}/jane@example.com"
                ));
            }
        }
    }
    for a in parse["accounts"].as_array().into_iter().flatten() {
        if let Some(a) = a.as_str() {
            out.push(format!("arn:aws:iam::{a}:user/someone"));
        }
    }
    // An ARN without an account: what an empty string left in mapAccounts would map.
    out.push("arn:aws:iam:::user/no-account".to_string());
    out.sort();
    out.dedup();
    out
}

/// The fixtures and the corpus through the binary: `get -o json` against `oracle-go parse`, and
/// `verify --arn` against `oracle-go map` for every mapped ARN and its variants.
#[test]
#[cfg_attr(
    iamidmap_skip_oracle,
    ignore = "../shared/oracle-go is not beside the project"
)]
fn files_agree_with_upstream_through_the_binary() {
    let Some(bin) = oracle_bin() else { return };
    let mut files: Vec<std::path::PathBuf> =
        crate::support::files_in(&crate::support::fixtures_dir())
            .into_iter()
            .map(|n| crate::support::fixtures_dir().join(n))
            .collect();
    if let Some(dir) = crate::support::corpus_dir() {
        files.extend(
            crate::support::files_in(&dir)
                .into_iter()
                .map(|n| dir.join(n)),
        );
    }
    let (mut checked, mut answers) = (0, 0);
    let mut failures = vec![];
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let Ok(doc) = iamidmap::core::document::AuthDocument::parse("f", text) else {
            continue;
        };
        if doc.facts.carrier.kind != iamidmap::core::document::CarrierKind::AwsAuth {
            continue;
        }
        let name = path.display().to_string();
        let parse: Value = serde_json::from_slice(
            &crate::support::command(&bin)
                .args(["parse", &name])
                .output()
                .unwrap()
                .stdout,
        )
        .unwrap();
        let got = crate::support::bin()
            .args(["get", "-f", &name, "-o", "json"])
            .output()
            .unwrap();
        let listed: Vec<Value> = serde_json::from_slice(&got.stdout).unwrap_or_default();
        let roles: Vec<Value> = listed
            .iter()
            .filter(|e| e.get("rolearn").is_some())
            .cloned()
            .collect();
        let users: Vec<Value> = listed
            .iter()
            .filter(|e| e.get("userarn").is_some())
            .cloned()
            .collect();
        checked += 1;
        for (ours, theirs, what) in [
            (
                last_wins_view(&roles, true),
                oracle_stored(&parse, "roles", "rolearn"),
                "roles",
            ),
            (
                last_wins_view(&users, false),
                oracle_stored(&parse, "users", "userarn"),
                "users",
            ),
        ] {
            if ours != theirs {
                failures.push(format!("{name}: {what}: get {ours:?}\n  oracle {theirs:?}"));
            }
        }
        let arns = probe_arns(&parse);
        let mapped = crate::support::command(&bin)
            .args(["map", "--node-name", NODE_NAME, &name])
            .args(&arns)
            .output()
            .unwrap();
        for line in String::from_utf8_lossy(&mapped.stdout).lines() {
            let res: Value = serde_json::from_str(line).unwrap();
            let arn_text = res["arn"].as_str().unwrap();
            let out = crate::support::bin()
                .args([
                    "verify",
                    "-f",
                    &name,
                    "--arn",
                    arn_text,
                    "--node-name",
                    NODE_NAME,
                    "-o",
                    "json",
                ])
                .output()
                .unwrap();
            answers += 1;
            let review: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
            let status = &review["status"];
            let ours = if status["authenticated"] == true {
                json!([
                    true,
                    status["user"]["username"].as_str().unwrap_or(""),
                    status["user"]["groups"]
                        .as_array()
                        .cloned()
                        .unwrap_or_default()
                ])
            } else {
                json!([false])
            };
            let theirs: Vec<Value> = res["outcomes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|o| {
                    if o["authenticated"] == true {
                        json!([
                            true,
                            o["username"],
                            o["groups"].as_array().cloned().unwrap_or_default()
                        ])
                    } else {
                        json!([false])
                    }
                })
                .collect();
            if !theirs.contains(&ours) {
                failures.push(format!(
                    "{name}: verify --arn {arn_text}: ours {ours}, oracle {theirs:?}"
                ));
            }
        }
    }
    eprintln!(
        "oracle (files): {checked} files, {answers} verify --arn answers, {} disagreements",
        failures.len()
    );
    assert!(checked > 30, "only {checked} files were compared");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
