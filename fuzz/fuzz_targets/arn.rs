//! ARN parsing, canonicalization, path stripping, ArnLike and normalization for writing: never a panic,
//! and canonicalization is idempotent.
#![no_main]
use iamidmap::core::arn;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    let _ = arn::parse(s);
    if let Ok((_, c)) = arn::canonicalize(s) {
        let (_, again) = arn::canonicalize(&c).expect("a canonical ARN canonicalizes");
        assert_eq!(again, c);
    }
    let _ = arn::strip_path(s);
    let _ = arn::normalize_for_write(s);
    if let Some((a, b)) = s.split_once('\n') {
        let _ = arn::arn_like(a, b);
    }
});
