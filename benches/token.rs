//! The pure token checks (aws-iam-authenticator pkg/token/token.go, steps 1–18 of Verify) on a production-shaped token.
//! Target (docs/performance.md): at least 500,000 tokens per second per core.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use iamidmap::core::presign::{Credentials, token};
use iamidmap::core::token::Verifier;
use std::hint::black_box;
use std::time::{Duration, SystemTime};

fn bench(c: &mut Criterion) {
    let creds = Credentials {
        access_key_id: "ASIAR2TG44V6AS3ZZE7C".into(),
        secret_access_key: "4KD5cntGcVmLWRdF5wvNRuzNL5Qxmp6OKVY6Fz/Q".into(),
        session_token: Some("IQoJb3JpZ2luX2VjEEXAMPLESESSIONTOKEN".repeat(8)),
    };
    let signed = SystemTime::UNIX_EPOCH + Duration::from_secs(1_782_000_000);
    let t = token(&creds, "us-west-2", "prod", signed).unwrap();
    let verifier = Verifier {
        cluster_id: "prod".into(),
        partition: "aws".into(),
        region: String::new(),
    };
    let user = Credentials {
        session_token: None,
        ..creds.clone()
    };
    let t_user = token(&user, "us-west-2", "prod", signed).unwrap();
    let mut group = c.benchmark_group("token");
    group.throughput(Throughput::Elements(1));
    group.bench_function("checks, IAM user token (no session token)", |b| {
        b.iter(|| black_box(verifier.check(black_box(&t_user), 1_782_000_060).unwrap()))
    });
    group.bench_function("checks, assumed-role token (with session token)", |b| {
        b.iter(|| black_box(verifier.check(black_box(&t), 1_782_000_060).unwrap()))
    });
    group.bench_function("make a token (SigV4 presign)", |b| {
        b.iter(|| black_box(token(&creds, "us-west-2", "prod", signed).unwrap()))
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).measurement_time(Duration::from_secs(3));
    targets = bench
}
criterion_main!(benches, probe);

/// Host verification alone (step 6), for the profile of the checks.
fn parts(c: &mut Criterion) {
    let verifier = Verifier {
        cluster_id: "prod".into(),
        partition: "aws".into(),
        region: String::new(),
    };
    c.bench_function("token/verify_host", |b| {
        b.iter(|| {
            verifier
                .verify_host(black_box("sts.us-west-2.amazonaws.com"))
                .is_ok()
        })
    });
}
criterion_group!(probe, parts);
