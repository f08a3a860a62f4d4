//! Whole manifests: reading and linting never panic, and every finding is located inside the file.
#![no_main]
use iamidmap::core::lint;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
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
});
