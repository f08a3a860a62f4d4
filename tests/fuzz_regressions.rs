//! Every input a fuzz target once crashed on (tests/fuzz-regressions/, named `<target>-<what>`), run
//! through the same properties as the target (fuzz/fuzz_targets/).

use iamidmap::core::document::{AuthDocument, EditPlan, NewEntry};
use iamidmap::core::lint;
use iamidmap::core::mapping::ListKind;

#[test]
fn fuzz_crashes_stay_fixed() {
    let dir = crate::support::manifest_dir().join("tests/fuzz-regressions");
    let names = crate::support::files_in(&dir);
    assert!(!names.is_empty());
    for name in names {
        let bytes = std::fs::read(dir.join(&name)).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        if name.starts_with("document-") {
            let (_, findings) = lint::lint_text(&name, &text);
            let lines = text.split('\n').count();
            for f in &findings {
                assert!(
                    f.line >= 1 && f.line <= lines,
                    "{name}: {f:?} outside {lines} lines"
                );
            }
        } else if name.starts_with("edit-") {
            // As fuzz_targets/edit.rs: the first byte picks the edit, the rest is the manifest.
            let Some((&choice, rest)) = bytes.split_first() else {
                continue;
            };
            let text = String::from_utf8_lossy(rest).into_owned();
            let Ok(doc) = AuthDocument::parse(&name, text) else {
                continue;
            };
            let list = if choice & 1 == 0 {
                ListKind::Roles
            } else {
                ListKind::Users
            };
            let plan = EditPlan::AddEntry(NewEntry {
                list,
                arn: "arn:aws:iam::111122223333:role/fuzz".into(),
                username: Some("fuzz".into()),
                groups: vec!["fuzzers".into()],
            });
            if let Ok(outcome) = doc.apply(&plan) {
                AuthDocument::parse(&name, outcome.text).expect("an applied edit re-reads");
            }
            let _ = doc.apply(&EditPlan::AddAccount("111122223333".into()));
        } else {
            panic!("{name}: unknown target prefix");
        }
    }
}
