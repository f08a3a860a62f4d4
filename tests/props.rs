//! Property tests of the lossless editor: generated documents in many styles, random edits. Untouched
//! bytes must stay (an add is a pure insertion, a remove a pure deletion), the re-read model must be
//! the planned one, and adding then removing an entry gives back the original bytes. The referee of every
//! edited aws-auth document is upstream's own code (oracle-go, when ../shared is beside the project): it
//! must read the result as iamidmap does, and map the added principal to the planned username and groups.

use iamidmap::core::document::{AuthDocument, EditPlan, NewEntry};
use iamidmap::core::mapping::ListKind;
use proptest::prelude::*;

#[derive(Debug, Clone)]
struct GenEntry {
    user: bool,
    name: String,
    username: Option<String>,
    groups: Vec<String>,
}

#[derive(Debug, Clone)]
struct Style {
    indent: usize,
    dash_extra: usize,
    groups_flow: bool,
    groups_indented: bool,
    groups_first: bool,
    quote_arn: bool,
    comments: bool,
    crlf: bool,
    final_newline: bool,
    strip: bool,
    /// 0: aws-auth; 1: the authenticator config file; 2: its ConfigMap; 3: an EKS Anywhere AWSIamConfig.
    carrier: u8,
}

fn entry() -> impl Strategy<Value = GenEntry> {
    (
        any::<bool>(),
        "[A-Za-z][A-Za-z0-9_-]{0,7}",
        proptest::option::of("[a-z][a-z0-9:-]{0,9}"),
        proptest::collection::vec("[a-z][a-z0-9:-]{0,9}", 0..3),
    )
        .prop_map(|(user, name, username, groups)| GenEntry {
            user,
            name,
            username,
            groups,
        })
}

fn style() -> impl Strategy<Value = Style> {
    (
        prop_oneof![Just(2usize), Just(4usize)],
        prop_oneof![Just(0usize), Just(2usize)],
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        0u8..4,
    )
        .prop_map(
            |(
                indent,
                dash_extra,
                groups_flow,
                groups_indented,
                groups_first,
                quote_arn,
                comments,
                crlf,
                final_newline,
                strip,
                carrier,
            )| Style {
                indent,
                dash_extra,
                groups_flow,
                groups_indented,
                groups_first,
                quote_arn,
                comments,
                crlf,
                final_newline,
                strip,
                carrier,
            },
        )
}

fn arn(e: &GenEntry) -> String {
    format!(
        "arn:aws:iam::111122223333:{}/{}",
        if e.user { "user" } else { "role" },
        e.name
    )
}

fn render_list(entries: &[&GenEntry], s: &Style) -> String {
    let structured = s.carrier > 0;
    let pad = if structured {
        " ".repeat(2 + s.dash_extra)
    } else {
        " ".repeat(s.indent + 2 + s.dash_extra)
    };
    let mut out = String::new();
    for (i, e) in entries.iter().enumerate() {
        if s.comments && i % 2 == 1 {
            out.push_str(&format!("{pad}# entry {i}\n"));
        }
        let key = match (e.user, structured) {
            (true, false) => "userarn",
            (false, false) => "rolearn",
            (true, true) => "userARN",
            (false, true) => "roleARN",
        };
        let value = if s.quote_arn {
            format!("\"{}\"", arn(e))
        } else {
            arn(e)
        };
        let mut lines = vec![format!("{key}: {value}")];
        if let Some(u) = &e.username {
            lines.push(format!("username: \"{u}\""));
        }
        if !e.groups.is_empty() {
            if s.groups_flow {
                let quoted: Vec<String> = e.groups.iter().map(|g| format!("\"{g}\"")).collect();
                lines.push(format!("groups: [{}]", quoted.join(", ")));
            } else {
                let mut g = "groups:".to_string();
                for grp in &e.groups {
                    g.push_str(&format!(
                        "\n{}- \"{grp}\"",
                        if s.groups_indented { "  " } else { "" }
                    ));
                }
                lines.push(g);
            }
        }
        if s.groups_first {
            let n = lines.len();
            lines.rotate_right(1.min(n));
        }
        for (j, chunk) in lines.iter().enumerate() {
            for (k, line) in chunk.split('\n').enumerate() {
                let lead = if j == 0 && k == 0 {
                    format!("{pad}- ")
                } else {
                    format!("{pad}  ")
                };
                out.push_str(&format!("{lead}{line}\n"));
            }
        }
    }
    out
}

/// The lists as an authenticator config (`server:`) or AWSIamConfig (`spec:`), in a file or in the
/// `config.yaml` block of the authenticator's ConfigMap.
fn structured_document(roles: &[&GenEntry], users: &[&GenEntry], s: &Style) -> String {
    let list = |key: &str, items: &[&GenEntry]| {
        if items.is_empty() {
            format!("  {key}: []\n")
        } else {
            format!("  {key}:\n{}", render_list(items, s))
        }
    };
    let lists = format!("{}{}", list("mapRoles", roles), list("mapUsers", users));
    let mut text = match s.carrier {
        1 => format!("# generated\nclusterID: prod\nserver:\n  port: 21362\n{lists}"),
        2 => {
            let config = format!("clusterID: prod\nserver:\n{lists}");
            let pad = " ".repeat(s.indent + 2);
            let block: String = config.lines().map(|l| format!("{pad}{l}\n")).collect();
            format!(
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: aws-iam-authenticator\n  namespace: kube-system\ndata:\n  config.yaml: {}\n{block}",
                if s.strip { "|-" } else { "|" }
            )
        }
        _ => format!(
            "apiVersion: anywhere.eks.amazonaws.com/v1alpha1\nkind: Cluster\nmetadata:\n  name: c\nspec:\n  identityProviderRefs:\n  - kind: AWSIamConfig\n    name: iam\n---\napiVersion: anywhere.eks.amazonaws.com/v1alpha1\nkind: AWSIamConfig\nmetadata:\n  name: iam\nspec:\n  backendMode: [EKSConfigMap]\n{lists}  partition: aws\n"
        ),
    };
    if !s.final_newline {
        text.pop();
    }
    if s.crlf {
        text = text.replace('\n', "\r\n");
    }
    text
}

fn document(entries: &[GenEntry], s: &Style) -> String {
    let roles: Vec<&GenEntry> = entries.iter().filter(|e| !e.user).collect();
    let users: Vec<&GenEntry> = entries.iter().filter(|e| e.user).collect();
    if s.carrier > 0 {
        return structured_document(&roles, &users, s);
    }
    let header = if s.strip { "|-" } else { "|" };
    let mut text = String::from(
        "# generated\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: aws-auth\n  namespace: kube-system\ndata:\n",
    );
    let roles_text = if roles.is_empty() {
        format!("{}[]\n", " ".repeat(4))
    } else {
        render_list(&roles, s)
    };
    text.push_str(&format!("  mapRoles: {header}\n{roles_text}"));
    let users_text = if users.is_empty() {
        format!("{}[]\n", " ".repeat(4))
    } else {
        render_list(&users, s)
    };
    text.push_str(&format!("  mapUsers: {header}\n{users_text}"));
    if !s.final_newline {
        text.pop();
    }
    if s.crlf {
        text = text.replace('\n', "\r\n");
    }
    text
}

/// `new` is `old` with one contiguous piece inserted.
/// upstream's reading of an edited aws-auth document, compared with iamidmap's; and, when `added` is the
/// only entry of its key, upstream's answer for it. Nothing to do without oracle-go or on other carriers.
fn upstream_agrees(doc: &AuthDocument, added: Option<(&str, &GenEntry)>) -> Result<(), String> {
    use serde_json::{Value, json};
    use std::sync::{Mutex, OnceLock};
    if cfg!(iamidmap_skip_oracle)
        || doc.facts.carrier.kind != iamidmap::core::document::CarrierKind::AwsAuth
    {
        return Ok(());
    }
    static ORACLE: OnceLock<Option<Mutex<crate::oracle::Oracle>>> = OnceLock::new();
    let Some(oracle) = ORACLE.get_or_init(|| {
        crate::oracle::oracle_bin().map(|b| Mutex::new(crate::oracle::Oracle::start(&b)))
    }) else {
        return Ok(());
    };
    let mut data = serde_json::Map::new();
    for (k, v) in &doc.facts.data_strings {
        if ["mapRoles", "mapUsers", "mapAccounts"].contains(&k.as_str()) {
            data.insert(k.clone(), Value::String(v.clone()));
        }
    }
    let mut callers: Vec<Value> = vec![];
    for l in [ListKind::Roles, ListKind::Users] {
        for e in doc
            .list(l)
            .entries
            .iter()
            .filter(|e| e.arn.starts_with("arn:"))
        {
            callers.push(json!({"arn": e.arn, "node_name": "ip-10-0-0-1.ec2.internal"}));
        }
    }
    let resp = oracle
        .lock()
        .unwrap()
        .ask(&json!({"id": "props", "data": data, "callers": callers}));
    let diffs = crate::oracle::compare(&resp, &data);
    if !diffs.is_empty() {
        return Err(diffs.join("\n"));
    }
    if let Some((arn_text, e)) = added {
        let same_key = |x: &str| {
            if e.user {
                x == arn_text
            } else {
                x.eq_ignore_ascii_case(arn_text)
            }
        };
        let list = if e.user {
            ListKind::Users
        } else {
            ListKind::Roles
        };
        let alone = doc
            .list(list)
            .entries
            .iter()
            .filter(|x| same_key(&x.arn))
            .count()
            == 1;
        let r = resp["results"]
            .as_array()
            .and_then(|rs| rs.iter().find(|r| r["arn"] == arn_text));
        if alone && let Some(r) = r {
            let m = &r["matches"][0];
            let want =
                json!({"username": e.username.clone().unwrap_or_default(), "groups": e.groups});
            let got = json!({"username": m["username"], "groups": m["groups"].as_array().cloned().unwrap_or_default()});
            if r["matches"].as_array().map_or(0, Vec::len) != 1 || got != want {
                return Err(format!(
                    "upstream maps the added {arn_text} to {:#}, planned {want}",
                    r["matches"]
                ));
            }
        }
    }
    Ok(())
}

fn is_pure_insertion(old: &str, new: &str) -> bool {
    let p = old
        .bytes()
        .zip(new.bytes())
        .take_while(|(a, b)| a == b)
        .count();
    let rest_old = &old.as_bytes()[p..];
    new.len() >= old.len() && new.as_bytes().ends_with(rest_old)
}

proptest! {
    // 2,000 cases each; the aws-auth quarter of them (about 1,000 edited documents a run) judged by
    // upstream's own code as well.
    // A fixed seed, so that a run is repeatable (PROPTEST_RNG_SEED=N explores other cases); cases that
    // failed once are replayed first from proptest-regressions/props.txt.
    #![proptest_config(ProptestConfig {
        cases: 2000,
        rng_seed: proptest::test_runner::RngSeed::Fixed(
            std::env::var("PROPTEST_RNG_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(20_261_202),
        ),
        .. ProptestConfig::default()
    })]

    #[test]
    fn add_is_a_pure_insertion_that_reads_back_and_reverts(
        entries in proptest::collection::vec(entry(), 0..6),
        s in style(),
        new in entry(),
    ) {
        let text = document(&entries, &s);
        let doc = AuthDocument::parse("p.yaml", text.clone()).unwrap();
        let list = if new.user { ListKind::Users } else { ListKind::Roles };
        let before = doc.list(list).entries.len();
        let out = doc.apply(&EditPlan::AddEntry(NewEntry {
            list,
            arn: arn(&new),
            username: new.username.clone(),
            groups: new.groups.clone(),
        })).unwrap();
        let had_entries = before > 0;
        if had_entries {
            prop_assert!(is_pure_insertion(&text, &out.text), "not a pure insertion:\n{}\n---\n{}", text, out.text);
        }
        let after = doc.reparse(out.text.clone()).unwrap();
        prop_assert_eq!(after.facts.carrier.kind, doc.facts.carrier.kind);
        let got = &after.list(list).entries;
        prop_assert_eq!(got.len(), before + 1);
        let last = got.last().unwrap();
        prop_assert_eq!(&last.arn, &arn(&new));
        prop_assert_eq!(&last.username, &new.username.clone().unwrap_or_default());
        prop_assert_eq!(&last.groups, &new.groups);
        for (a, b) in doc.list(list).entries.iter().zip(got.iter()) {
            prop_assert_eq!((&a.arn, &a.username, &a.groups), (&b.arn, &b.username, &b.groups));
        }
        let added = arn(&new);
        // Two users whose ARNs differ only in case are both kept upstream and matched at random (Go map
        // order; the guard refuses such an edit): only the whole reading is compared then, not the answer.
        let random = new.user
            && doc.list(list).entries.iter().any(|e| e.arn != added && e.arn.eq_ignore_ascii_case(&added));
        let check = (!random).then_some((added.as_str(), &new));
        if let Err(e) = upstream_agrees(&after, check) {
            prop_assert!(false, "upstream reads the edited document otherwise:\n{}\n{}", out.text, e);
        }
        let back = after.apply(&EditPlan::RemoveEntry { list, index: before }).unwrap();
        if before == 0 && back.text != text {
            // The list was empty and its key held nothing else: the delete that empties it again
            // removes the key, and only that.
            prop_assert!(is_pure_insertion(&back.text, &text), "not a pure deletion:\n{}\n---\n{}", text, back.text);
            let p = back.text.bytes().zip(text.bytes()).take_while(|(a, b)| a == b).count();
            let removed = &text[p..p + text.len() - back.text.len()];
            prop_assert!(!removed.contains("arn"), "removed more than the empty key: {:?}", removed);
            let reread = doc.reparse(back.text.clone()).unwrap();
            prop_assert!(reread.slot(list.data_key()).is_none());
            prop_assert_eq!(reread.slots.len() + 1, doc.slots.len());
        } else {
            prop_assert_eq!(back.text, text);
        }
    }

    #[test]
    fn remove_is_a_pure_deletion_that_reads_back(
        entries in proptest::collection::vec(entry(), 1..7),
        s in style(),
        pick in any::<prop::sample::Index>(),
    ) {
        let text = document(&entries, &s);
        let doc = AuthDocument::parse("p.yaml", text.clone()).unwrap();
        let list = if entries[0].user { ListKind::Users } else { ListKind::Roles };
        let n = doc.list(list).entries.len();
        let index = pick.index(n);
        let out = doc.apply(&EditPlan::RemoveEntry { list, index }).unwrap();
        if n > 1 {
            prop_assert!(is_pure_insertion(&out.text, &text), "not a pure deletion:\n{}\n---\n{}", text, out.text);
        }
        let after = doc.reparse(out.text.clone()).unwrap();
        let mut expected: Vec<_> = doc.list(list).entries.iter().map(|e| (e.arn.clone(), e.username.clone(), e.groups.clone())).collect();
        expected.remove(index);
        let got: Vec<_> = after.list(list).entries.iter().map(|e| (e.arn.clone(), e.username.clone(), e.groups.clone())).collect();
        prop_assert_eq!(got, expected);
        let other = if list == ListKind::Roles { ListKind::Users } else { ListKind::Roles };
        prop_assert_eq!(doc.list(other).entries.len(), after.list(other).entries.len());
        if let Err(e) = upstream_agrees(&after, None) {
            prop_assert!(false, "upstream reads the edited document otherwise:\n{}\n{}", out.text, e);
        }
    }
}
