//! The token checks (aws-iam-authenticator pkg/token/token.go) on arbitrary strings: an error or a presigned URL, never a panic.
#![no_main]
use iamidmap::core::token::Verifier;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(token) = std::str::from_utf8(data) else {
        return;
    };
    let v = Verifier {
        cluster_id: "test-cluster".into(),
        partition: "aws".into(),
        region: "us-west-2".into(),
    };
    if let Ok(p) = v.check(token, 1_700_000_000) {
        assert!(p.url.starts_with("https://"));
    }
    let _ = v.verify_host(token);
});
