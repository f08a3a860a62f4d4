//! Every input a fuzz target once crashed on (tests/fuzz-regressions/, named `<target>-<what>`), run
//! through the same properties as the target (fuzz/fuzz_targets/).

use iamidmap::core::lint;

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
        } else {
            panic!("{name}: unknown target prefix");
        }
    }
}
