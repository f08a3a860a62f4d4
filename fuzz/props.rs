#![allow(dead_code)] // each fuzz target uses one property; the regression test uses them all
//! The properties the fuzz targets check, in one place: `fuzz/fuzz_targets/*.rs` call them on libFuzzer's
//! inputs, and `tests/fuzz_regressions.rs` calls the very same functions on every input that once failed
//! (tests/fuzz-regressions/, named `<target>-<what>`). Each panics when its property does not hold.

use iamidmap::core::document::{AuthDocument, EditPlan, NewEntry};
use iamidmap::core::lint;
use iamidmap::core::mapping::{Entry, ListKind, parse_accounts, parse_list};

/// Whole manifests: reading and linting never panic, and every finding is located inside the file.
pub fn document(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (_, findings) = lint::lint_text("fuzz.yaml", text);
    let lines = text.split('\n').count().max(1);
    for f in &findings {
        assert!(
            f.line >= 1 && f.line <= lines,
            "{f:?} outside {lines} lines"
        );
    }
}

/// The values inside mapRoles/mapUsers/mapAccounts: never panic, and every entry span lies in the value.
pub fn inner_list(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for kind in [ListKind::Roles, ListKind::Users] {
        let list = parse_list(text, kind);
        for e in &list.entries {
            assert!(
                e.span.start <= e.span.end && e.span.end <= text.len(),
                "{e:?}"
            );
        }
    }
    let _ = parse_accounts(text);
}

fn other(l: ListKind) -> ListKind {
    match l {
        ListKind::Roles => ListKind::Users,
        ListKind::Users => ListKind::Roles,
    }
}

/// What the authenticator uses of an entry.
fn meaning(e: &Entry) -> (String, String, Vec<String>) {
    (e.arn.clone(), e.username.clone(), e.groups.clone())
}

/// The edit the first byte picks: add a role or a user, remove an entry, or add an account.
fn plan_for(choice: u8, doc: &AuthDocument) -> Option<EditPlan> {
    let list = if choice & 1 == 0 {
        ListKind::Roles
    } else {
        ListKind::Users
    };
    Some(match choice % 4 {
        0 | 1 => EditPlan::AddEntry(NewEntry {
            list,
            arn: if list == ListKind::Roles {
                "arn:aws:iam::111122223333:role/fuzz".into()
            } else {
                "arn:aws:iam::111122223333:user/fuzz".into()
            },
            username: Some("fuzz:{{SessionName}}".into()),
            groups: vec!["fuzzers".into(), "yes".into()],
        }),
        2 => {
            let n = doc.list(list).entries.len();
            if n == 0 {
                return None;
            }
            EditPlan::RemoveEntry {
                list,
                index: (choice as usize / 4) % n,
            }
        }
        _ => EditPlan::AddAccount("111122223333".into()),
    })
}

/// The lossless editor on arbitrary manifests (first byte: the edit; the rest: the manifest). An edit
/// either fails cleanly, or gives a document that reads back as exactly the planned mappings (the list
/// with the entry added or removed, nothing else different), in which every byte outside the edited value
/// is the same as before.
pub fn edit(data: &[u8]) {
    let Some((&choice, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let Ok(doc) = AuthDocument::parse("fuzz.yaml", text.to_string()) else {
        return;
    };
    let Some(plan) = plan_for(choice, &doc) else {
        return;
    };
    let Ok(outcome) = doc.apply(&plan) else {
        return;
    };
    let after = doc
        .reparse(outcome.text.clone())
        .expect("an applied edit re-reads");
    // Exactly the planned mappings, list by list.
    let valid = |d: &AuthDocument, l: ListKind| -> Vec<(String, String, Vec<String>)> {
        d.list(l).valid_entries().map(meaning).collect()
    };
    let all = |d: &AuthDocument, l: ListKind| -> Vec<(String, String, Vec<String>)> {
        d.list(l).entries.iter().map(meaning).collect()
    };
    let (edited, other) = match &plan {
        EditPlan::AddEntry(e) => (Some(e.list), Some(other(e.list))),
        EditPlan::RemoveEntry { list, .. } => (Some(*list), Some(other(*list))),
        _ => (None, None),
    };
    match &plan {
        EditPlan::AddEntry(e) => {
            let mut planned = valid(&doc, e.list);
            planned.push((
                e.arn.clone(),
                e.username.clone().unwrap_or_default(),
                e.groups.clone(),
            ));
            assert_eq!(valid(&after, e.list), planned, "the added entry");
        }
        EditPlan::RemoveEntry { list, index } => {
            let mut planned = all(&doc, *list);
            planned.remove(*index);
            assert_eq!(all(&after, *list), planned, "the removed entry");
        }
        EditPlan::AddAccount(a) => {
            let mut planned: Vec<String> =
                doc.accounts.accounts.iter().map(|x| x.0.clone()).collect();
            planned.push(a.clone());
            let got: Vec<String> = after
                .accounts
                .accounts
                .iter()
                .map(|x| x.0.clone())
                .collect();
            assert_eq!(got, planned, "the added account");
        }
        _ => {}
    }
    if let (Some(_), Some(unedited)) = (edited, other) {
        assert_eq!(all(&after, unedited), all(&doc, unedited), "the other list");
    }
    assert_eq!(
        after.accounts.accounts.len() - usize::from(matches!(plan, EditPlan::AddAccount(_))),
        doc.accounts.accounts.len(),
        "mapAccounts"
    );
    // Untouched bytes: the edited value (from the end of its key, so that its indicator and the comments
    // above its first item count as part of it) is the only region that may differ. When the value was
    // already there, everything before and after it is byte for byte the same.
    let key = match &plan {
        EditPlan::AddEntry(e) => e.list.data_key(),
        EditPlan::RemoveEntry { list, .. } => list.data_key(),
        _ => iamidmap::core::mapping::DataKey::MapAccounts,
    };
    if let Some(slot) = doc.slot(key)
        && after.slot(key).is_none()
    {
        // The key was removed (an emptied list that held nothing else): one contiguous deletion that
        // covers the key and its value and at most the line break around them.
        let (a, b) = (text, outcome.text.as_str());
        assert!(b.len() < a.len(), "the removal removed nothing");
        let removed = a.len() - b.len();
        let line_start = a[..slot.key_span.start].rfind('\n').map_or(0, |i| i + 1);
        let ok = (line_start.saturating_sub(2)..=slot.key_span.start).any(|s| {
            s + removed <= (slot.value_span.end + 2).min(a.len())
                && a.as_bytes()[..s] == b.as_bytes()[..s]
                && a.as_bytes()[s + removed..] == b.as_bytes()[s..]
        });
        assert!(
            ok,
            "the removal touched bytes outside the key and its value"
        );
        return;
    }
    if outcome.notes.is_empty()
        && let Some(slot) = doc.slot(key)
    {
        let (start, end) = (slot.key_span.end, slot.value_span.end);
        let (a, b) = (text, outcome.text.as_str());
        assert_eq!(
            &b[..start.min(b.len())],
            &a[..start],
            "bytes before the edited value"
        );
        assert!(
            b.ends_with(&a[end..]),
            "bytes after the edited value changed"
        );
    }
}
