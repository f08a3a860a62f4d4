//! Parse + validate and one edit on generated aws-auth documents from 10 to 5,000 entries (about 1 MiB).
//! Targets (docs/performance.md): parse + validate of 1 MiB under 30 ms; one edit under 50 ms.

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use iamidmap::core::document::{AuthDocument, EditPlan, NewEntry};
use iamidmap::core::lint;
use iamidmap::core::mapping::ListKind;
use std::hint::black_box;

/// A realistic aws-auth: node roles, people through SSO roles with session templates, IAM users with
/// comments every so often. About 210 bytes per entry.
pub fn generate(entries: usize) -> String {
    let mut roles = String::new();
    let mut users = String::new();
    for i in 0..entries {
        if i % 50 == 0 {
            roles.push_str(&format!("    # team {}\n", i / 50));
        }
        match i % 3 {
            0 => roles.push_str(&format!(
                "    - rolearn: arn:aws:iam::111122223333:role/eks-nodegroup-{i:05}-NodeInstanceRole\n      username: system:node:{{{{EC2PrivateDNSName}}}}\n      groups:\n        - system:bootstrappers\n        - system:nodes\n"
            )),
            1 => roles.push_str(&format!(
                "    - rolearn: arn:aws:iam::111122223333:role/AWSReservedSSO_Team{i:05}_0123456789abcdef\n      username: \"team-{i:05}:{{{{SessionName}}}}\"\n      groups: [team-{i:05}-developers, viewers]\n"
            )),
            _ => users.push_str(&format!(
                "    - userarn: arn:aws:iam::111122223333:user/ci/deployer-{i:05}\n      username: deployer-{i:05}\n      groups:\n        - deployers\n        - team-{i:05}\n"
            )),
        }
    }
    format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: aws-auth\n  namespace: kube-system\ndata:\n  mapRoles: |\n{roles}  mapUsers: |\n{users}"
    )
}

/// The shape of the fidelity issue's measurement: 1 MiB of roles, each with a comment and a
/// `{{SessionName}}` template (about 6,000 entries).
pub fn generate_templated_mib() -> String {
    let mut body = String::new();
    let mut i = 0;
    while body.len() < 1024 * 1024 - 400 {
        body.push_str(&format!(
            "    # team {i} owns this role\n    - rolearn: arn:aws:iam::111122223333:role/team-{i:05}-role\n      username: \"team-{i:05}:{{{{SessionName}}}}\"\n      groups:\n        - team-{i:05}\n"
        ));
        i += 1;
    }
    format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: aws-auth\n  namespace: kube-system\ndata:\n  mapRoles: |\n{body}"
    )
}

fn bench(c: &mut Criterion) {
    let mib = generate_templated_mib();
    let mut group = c.benchmark_group("1MiB templated");
    group.throughput(criterion::Throughput::Bytes(mib.len() as u64));
    group.bench_function("parse", |b| {
        b.iter(|| black_box(AuthDocument::parse("aws-auth.yaml", black_box(mib.clone())).unwrap()))
    });
    group.bench_function("parse+validate", |b| {
        b.iter(|| black_box(lint::lint_text("aws-auth.yaml", black_box(&mib)).1))
    });
    group.finish();
    let mut group = c.benchmark_group("parse+validate");
    for n in [10, 100, 1000, 5000] {
        let text = generate(n);
        group.throughput(criterion::Throughput::Bytes(text.len() as u64));
        group.bench_with_input(BenchmarkId::from_parameter(n), &text, |b, text| {
            b.iter(|| {
                let (_, findings) = lint::lint_text("aws-auth.yaml", black_box(text));
                black_box(findings)
            })
        });
    }
    group.finish();
    // The three steps apart: reading, linting a read document, and the lockout guard on a change.
    let mut group = c.benchmark_group("parse");
    for n in [10, 100, 1000, 5000] {
        let text = generate(n);
        group.throughput(criterion::Throughput::Bytes(text.len() as u64));
        group.bench_with_input(BenchmarkId::from_parameter(n), &text, |b, text| {
            b.iter(|| {
                black_box(AuthDocument::parse("aws-auth.yaml", black_box(text.clone())).unwrap())
            })
        });
    }
    group.finish();
    let mut group = c.benchmark_group("lint");
    for n in [10, 100, 1000, 5000] {
        let doc = AuthDocument::parse("aws-auth.yaml", generate(n)).unwrap();
        group.bench_with_input(BenchmarkId::from_parameter(n), &doc, |b, doc| {
            b.iter(|| black_box(lint::lint(black_box(doc))))
        });
    }
    group.finish();
    let mut group = c.benchmark_group("guard");
    for n in [10, 100, 1000, 5000] {
        let before = AuthDocument::parse("aws-auth.yaml", generate(n)).unwrap();
        let outcome = before
            .apply(&EditPlan::RemoveEntry {
                list: ListKind::Roles,
                index: 1,
            })
            .unwrap();
        let after = AuthDocument::parse("aws-auth.yaml", outcome.text).unwrap();
        let caller = iamidmap::core::guard::CallerCheck::Known(
            "arn:aws:iam::111122223333:role/AWSReservedSSO_Team00004_0123456789abcdef".into(),
        );
        group.bench_with_input(
            BenchmarkId::from_parameter(n),
            &(before, after),
            |b, (x, y)| {
                b.iter(|| {
                    black_box(iamidmap::core::guard::judge(
                        &iamidmap::core::guard::Change {
                            before: black_box(x),
                            after: black_box(y),
                            caller: &caller,
                            intent: iamidmap::core::guard::intent_of(
                                x,
                                &[EditPlan::RemoveEntry {
                                    list: ListKind::Roles,
                                    index: 1,
                                }],
                            ),
                            binary_bytes: 0,
                            access: None,
                        },
                    ))
                })
            },
        );
    }
    group.finish();
    let mut group = c.benchmark_group("edit");
    for n in [10, 100, 1000, 5000] {
        let doc = AuthDocument::parse("aws-auth.yaml", generate(n)).unwrap();
        let plan = EditPlan::AddEntry(NewEntry {
            list: ListKind::Roles,
            arn: "arn:aws:iam::111122223333:role/new-admin".into(),
            username: Some("admin:{{SessionName}}".into()),
            groups: vec!["platform-admins".into()],
        });
        group.bench_with_input(
            BenchmarkId::new("add (parse, edit, verify)", n),
            &doc,
            |b, doc| b.iter(|| black_box(doc.apply(black_box(&plan)).unwrap())),
        );
        group.bench_with_input(
            BenchmarkId::new("remove first (edit, verify)", n),
            &doc,
            |b, doc| {
                b.iter(|| {
                    black_box(
                        doc.apply(&EditPlan::RemoveEntry {
                            list: ListKind::Roles,
                            index: 0,
                        })
                        .unwrap(),
                    )
                })
            },
        );
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(std::time::Duration::from_secs(3));
    targets = bench
}
criterion_main!(benches);
