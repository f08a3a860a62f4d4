//! The lossless editor on arbitrary manifests: an edit either fails cleanly or gives a document that reads
//! back as exactly the planned mappings, and everything before the first changed byte stays as it was.
#![no_main]
use iamidmap::core::document::{AuthDocument, EditPlan, NewEntry};
use iamidmap::core::mapping::ListKind;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&choice, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let Ok(doc) = AuthDocument::parse("fuzz.yaml", text.to_string()) else {
        return;
    };
    let list = if choice & 1 == 0 {
        ListKind::Roles
    } else {
        ListKind::Users
    };
    let plan = match choice % 4 {
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
                return;
            }
            EditPlan::RemoveEntry {
                list,
                index: (choice as usize / 4) % n,
            }
        }
        _ => EditPlan::AddAccount("111122223333".into()),
    };
    let before = (
        doc.roles.valid_entries().count(),
        doc.users.valid_entries().count(),
    );
    let Ok(outcome) = doc.apply(&plan) else {
        return;
    };
    // The editor verified the result by re-reading it; check that claim independently.
    let after =
        doc.reparse(outcome.text.clone()).expect("an applied edit re-reads");
    let counts = (
        after.roles.valid_entries().count(),
        after.users.valid_entries().count(),
    );
    match &plan {
        EditPlan::AddEntry(e) if e.list == ListKind::Roles => {
            assert_eq!(counts, (before.0 + 1, before.1))
        }
        EditPlan::AddEntry(_) => assert_eq!(counts, (before.0, before.1 + 1)),
        _ => {}
    }
    // Untouched bytes: the common prefix and suffix cover everything but one changed region.
    let (a, b) = (text.as_bytes(), outcome.text.as_bytes());
    let prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let suffix = a[prefix..]
        .iter()
        .rev()
        .zip(b[prefix..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    assert!(prefix + suffix <= a.len());
});
