//! The lockout guard's decision table through the binary: each rule, on each carrier (aws-auth, the
//! aws-iam-authenticator config, an EKS Anywhere AWSIamConfig), on files and on a live cluster. Rows cover
//! admins only in mapUsers, callers resolved through mapUsers and mapAccounts, restores of what the
//! authenticator would drop (IM007/IM008/IM013), refusals under --dry-run, and fixes from `repair` and
//! `validate --fix` that are declined. The unit table (src/core/guard_tests.rs) covers the same rules on
//! documents; this one proves every command reaches them.

use crate::live::Live;
use crate::support::apiserver::Faults;
use crate::support::bin;
use std::collections::BTreeMap;
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Carrier {
    AwsAuthFile,
    AwsAuthLive,
    AuthenticatorFile,
    AuthenticatorLive,
    AwsIamConfigFile,
}

const ALL: [Carrier; 5] = [
    Carrier::AwsAuthFile,
    Carrier::AwsAuthLive,
    Carrier::AuthenticatorFile,
    Carrier::AuthenticatorLive,
    Carrier::AwsIamConfigFile,
];
const LIVE: [Carrier; 2] = [Carrier::AwsAuthLive, Carrier::AuthenticatorLive];
const AWS_AUTH: [Carrier; 2] = [Carrier::AwsAuthFile, Carrier::AwsAuthLive];

impl Carrier {
    fn live(self) -> bool {
        matches!(self, Carrier::AwsAuthLive | Carrier::AuthenticatorLive)
    }
}

/// One mapping: (role or user, ARN, username, groups).
type Mapping = (
    &'static str,
    &'static str,
    &'static str,
    &'static [&'static str],
);

const NODE: Mapping = (
    "role",
    "arn:aws:iam::111122223333:role/eks-node",
    "system:node:{{EC2PrivateDNSName}}",
    &["system:bootstrappers", "system:nodes"],
);
const ADMIN: Mapping = (
    "role",
    "arn:aws:iam::111122223333:role/Admin",
    "admin",
    &["system:masters"],
);
const DEV: Mapping = (
    "role",
    "arn:aws:iam::111122223333:role/Dev",
    "dev",
    &["developers"],
);
const ALICE_ADMIN: Mapping = (
    "user",
    "arn:aws:iam::111122223333:user/alice",
    "alice",
    &["system:masters"],
);

/// The same mappings in each carrier's own syntax.
fn render(carrier: Carrier, maps: &[Mapping], accounts: &[&str]) -> String {
    let structured = !matches!(carrier, Carrier::AwsAuthFile | Carrier::AwsAuthLive);
    let mut roles = String::new();
    let mut users = String::new();
    for (kind, arn, username, groups) in maps {
        let key = match (kind, structured) {
            (&"role", false) => "rolearn",
            (&"role", true) => "roleARN",
            (_, false) => "userarn",
            (_, true) => "userARN",
        };
        let mut e = format!("- {key}: {arn}\n  username: \"{username}\"\n  groups:\n");
        for g in *groups {
            e.push_str(&format!("  - {g}\n"));
        }
        if *kind == "role" {
            roles.push_str(&e);
        } else {
            users.push_str(&e);
        }
    }
    let indent = |s: &str, n: usize| {
        s.lines()
            .map(|l| format!("{}{l}\n", " ".repeat(n)))
            .collect::<String>()
    };
    let list = |name: &str, body: &str, n: usize| {
        if body.is_empty() {
            String::new()
        } else {
            format!("{}{name}:\n{}", " ".repeat(n), indent(body, n))
        }
    };
    let accounts_list: String = accounts.iter().map(|a| format!("- \"{a}\"\n")).collect();
    match carrier {
        Carrier::AwsAuthFile | Carrier::AwsAuthLive => {
            let mut s = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: aws-auth\n  namespace: kube-system\ndata:\n".to_string();
            for (name, body) in [
                ("mapRoles", &roles),
                ("mapUsers", &users),
                ("mapAccounts", &accounts_list),
            ] {
                if !body.is_empty() {
                    s.push_str(&format!("  {name}: |\n{}", indent(body, 4)));
                }
            }
            s
        }
        Carrier::AuthenticatorFile => format!(
            "clusterID: prod.example.com\nserver:\n{}{}{}",
            list("mapRoles", &roles, 2),
            list("mapUsers", &users, 2),
            list("mapAccounts", &accounts_list, 2)
        ),
        Carrier::AuthenticatorLive => {
            let config = format!(
                "clusterID: prod.example.com\nserver:\n{}{}{}",
                list("mapRoles", &roles, 2),
                list("mapUsers", &users, 2),
                list("mapAccounts", &accounts_list, 2)
            );
            format!(
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: aws-iam-authenticator\n  namespace: kube-system\ndata:\n  config.yaml: |\n{}",
                indent(&config, 4)
            )
        }
        Carrier::AwsIamConfigFile => format!(
            "apiVersion: anywhere.eks.amazonaws.com/v1alpha1\nkind: Cluster\nmetadata:\n  name: prod\nspec:\n  identityProviderRefs:\n    - kind: AWSIamConfig\n      name: iam\n---\napiVersion: anywhere.eks.amazonaws.com/v1alpha1\nkind: AWSIamConfig\nmetadata:\n  name: iam\nspec:\n  backendMode: [EKSConfigMap]\n  partition: aws\n{}{}{}",
            list("mapRoles", &roles, 2),
            list("mapUsers", &users, 2),
            list("mapAccounts", &accounts_list, 2)
        ),
    }
}

#[derive(Debug, Clone, Copy)]
enum Caller {
    /// `--as-arn`.
    Named(&'static str),
    /// Nobody can tell (no STS for files; on a cluster, no SelfSubjectReview and no IAM token).
    Unknown,
    /// `--no-caller-check`.
    Waived,
}

#[derive(Debug, Clone, Copy)]
enum Expect {
    /// Exit 3 naming this rule; nothing written.
    Refused(&'static str),
    /// Exit 0, and stderr says this.
    Passes(&'static str),
}

struct Row {
    name: &'static str,
    carriers: &'static [Carrier],
    maps: &'static [Mapping],
    accounts: &'static [&'static str],
    caller: Caller,
    /// The command; `{restore}` is replaced by the path of a file holding `restore` (rendered for the
    /// carrier).
    args: &'static [&'static str],
    restore: Option<&'static str>,
    expect: Expect,
}

/// A manifest to restore, as raw aws-auth data values (`mapRoles`, …) for the live aws-auth carrier.
fn restore_file(carrier: Carrier, which: &str, dir: &std::path::Path) -> PathBuf {
    let aws_auth = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: aws-auth\n  namespace: kube-system\ndata:\n";
    let roles = "    - rolearn: arn:aws:iam::111122223333:role/eks-node\n      username: system:node:{{EC2PrivateDNSName}}\n      groups:\n        - system:bootstrappers\n        - system:nodes\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups:\n        - system:masters\n";
    let text = match (carrier, which) {
        (Carrier::AwsAuthLive, "IM007") => {
            format!("{aws_auth}  mapRoles: |\n{roles}  mapRoles: |\n    []\n")
        }
        (Carrier::AwsAuthLive, "IM008") => format!(
            "{aws_auth}  mapRoles: |\n{roles}  mapUsers:\n    - userarn: arn:aws:iam::111122223333:user/bob\n"
        ),
        (Carrier::AwsAuthLive, "IM013") => format!(
            "{aws_auth}  mapRoles: |\n{roles}    - role_arn: arn:aws:iam::111122223333:role/Dev\n      username: dev\n"
        ),
        (Carrier::AuthenticatorLive, "IM013") => "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: aws-iam-authenticator\n  namespace: kube-system\ndata:\n  config.yaml: |\n    clusterID: prod.example.com\n    server:\n      mapRoles:\n      - roleARN: arn:aws:iam::111122223333:role/eks-node\n        username: system:node:{{EC2PrivateDNSName}}\n        groups:\n        - system:bootstrappers\n        - system:nodes\n      - roleARN: arn:aws:iam::111122223333:role/Admin\n        username: admin\n        groups:\n        - system:masters\n      - roleARN: arn:aws:iam::111122223333:role/Dev\n        username: dev\n        groups: developers\n".to_string(),
        _ => panic!("no restore file {which} for {carrier:?}"),
    };
    let path = dir.join(format!("restore-{which}.yaml"));
    std::fs::write(&path, text).unwrap();
    path
}

fn rows() -> Vec<Row> {
    vec![
        Row {
            name: "deleting yourself",
            carriers: &ALL,
            maps: &[NODE, ADMIN, DEV],
            accounts: &[],
            caller: Caller::Named("arn:aws:iam::111122223333:role/Admin"),
            args: &[
                "delete",
                "--yes",
                "--arn",
                "arn:aws:iam::111122223333:role/Admin",
            ],
            restore: None,
            expect: Expect::Refused("caller-loses-access"),
        },
        Row {
            name: "deleting yourself, under --dry-run",
            carriers: &ALL,
            maps: &[NODE, ADMIN, DEV],
            accounts: &[],
            caller: Caller::Named("arn:aws:iam::111122223333:role/Admin"),
            args: &[
                "delete",
                "--dry-run",
                "--arn",
                "arn:aws:iam::111122223333:role/Admin",
            ],
            restore: None,
            expect: Expect::Refused("caller-loses-access"),
        },
        Row {
            name: "taking access away, caller unknown",
            carriers: &ALL,
            maps: &[NODE, ADMIN, DEV],
            accounts: &[],
            caller: Caller::Unknown,
            args: &[
                "delete",
                "--yes",
                "--arn",
                "arn:aws:iam::111122223333:role/Dev",
            ],
            restore: None,
            expect: Expect::Refused("caller-unknown"),
        },
        Row {
            name: "the same, caller check waived",
            carriers: &ALL,
            maps: &[NODE, ADMIN, DEV],
            accounts: &[],
            caller: Caller::Waived,
            args: &[
                "delete",
                "--yes",
                "--arn",
                "arn:aws:iam::111122223333:role/Dev",
            ],
            restore: None,
            expect: Expect::Passes(""),
        },
        Row {
            name: "the only admin is in mapUsers",
            carriers: &ALL,
            maps: &[NODE, DEV, ALICE_ADMIN],
            accounts: &[],
            caller: Caller::Waived,
            args: &[
                "delete",
                "--yes",
                "--arn",
                "arn:aws:iam::111122223333:user/alice",
            ],
            restore: None,
            expect: Expect::Refused("last-system-masters"),
        },
        Row {
            name: "the caller resolved through mapUsers",
            carriers: &ALL,
            maps: &[NODE, ADMIN, ALICE_ADMIN],
            accounts: &[],
            caller: Caller::Named("arn:aws:iam::111122223333:user/alice"),
            args: &[
                "create",
                "--yes",
                "--skip-iam-check",
                "--skip-rbac-check",
                "--update",
                "--arn",
                "arn:aws:iam::111122223333:user/alice",
                "--group",
                "viewers",
            ],
            restore: None,
            expect: Expect::Refused("caller-loses-access"),
        },
        Row {
            name: "the caller resolved through mapAccounts",
            carriers: &ALL,
            maps: &[NODE, ADMIN],
            accounts: &["444455556666"],
            caller: Caller::Named("arn:aws:sts::444455556666:assumed-role/Anyone/me"),
            args: &["delete", "--yes", "--account", "444455556666"],
            restore: None,
            expect: Expect::Refused("caller-loses-access"),
        },
        Row {
            name: "a node role",
            carriers: &ALL,
            maps: &[NODE, ADMIN],
            accounts: &[],
            caller: Caller::Named("arn:aws:iam::111122223333:role/Admin"),
            args: &[
                "delete",
                "--yes",
                "--arn",
                "arn:aws:iam::111122223333:role/eks-node",
            ],
            restore: None,
            expect: Expect::Refused("node-role-loses-access"),
        },
        Row {
            name: "a restore the authenticator would partly drop (IM013)",
            carriers: &LIVE,
            maps: &[NODE, ADMIN, DEV],
            accounts: &[],
            caller: Caller::Named("arn:aws:iam::111122223333:role/Admin"),
            args: &["restore", "--yes", "{restore}"],
            restore: Some("IM013"),
            expect: Expect::Refused("drops-entries"),
        },
        Row {
            name: "a restore with a key written twice (IM007)",
            carriers: &[Carrier::AwsAuthLive],
            maps: &[NODE, ADMIN, DEV],
            accounts: &[],
            caller: Caller::Named("arn:aws:iam::111122223333:role/Admin"),
            args: &["restore", "--yes", "{restore}"],
            restore: Some("IM007"),
            expect: Expect::Refused("duplicate keys"),
        },
        Row {
            name: "a restore with a value that is not a string (IM008)",
            carriers: &[Carrier::AwsAuthLive],
            maps: &[NODE, ADMIN, DEV],
            accounts: &[],
            caller: Caller::Named("arn:aws:iam::111122223333:role/Admin"),
            args: &["restore", "--yes", "{restore}"],
            restore: Some("IM008"),
            expect: Expect::Refused("is not a string"),
        },
    ]
}

/// Corpus 012's shape, where stripping the SSO role's path would demote the admins: `repair` and
/// `validate --fix` decline that fix and say why.
fn fix_rows() -> Vec<(Carrier, &'static [&'static str])> {
    vec![
        (
            Carrier::AwsAuthFile,
            &["validate", "--fix", "--yes", "--no-caller-check"],
        ),
        (
            Carrier::AwsAuthLive,
            &["repair", "--yes", "--no-caller-check"],
        ),
    ]
}

/// Run one row on one carrier; returns (exit code, stderr, whether the data changed).
fn run(row: &Row, carrier: Carrier) -> (i32, String, bool) {
    let dir = tempfile::tempdir().unwrap();
    let text = render(carrier, row.maps, row.accounts);
    let restore = row.restore.map(|w| restore_file(carrier, w, dir.path()));
    let args: Vec<String> = row
        .args
        .iter()
        .map(|a| match (*a, &restore) {
            ("{restore}", Some(p)) => p.display().to_string(),
            _ => a.to_string(),
        })
        .collect();
    let caller: Vec<String> = match row.caller {
        Caller::Named(a) => vec!["--as-arn".into(), a.into()],
        Caller::Waived => vec!["--no-caller-check".into()],
        Caller::Unknown => vec![],
    };
    if carrier.live() {
        let live = Live::new();
        let data: BTreeMap<String, String> =
            iamidmap::core::document::AuthDocument::parse("seed", text.clone())
                .unwrap()
                .facts
                .data_strings
                .into_iter()
                .collect();
        let name = if carrier == Carrier::AwsAuthLive {
            "aws-auth"
        } else {
            "aws-iam-authenticator"
        };
        live.server.seed(
            &format!("/api/v1/namespaces/kube-system/configmaps/{name}"),
            serde_json::json!({"metadata": {}, "data": data}),
        );
        if matches!(row.caller, Caller::Unknown) {
            live.server.set_faults(Faults {
                no_self_subject_review: true,
                ..Faults::default()
            });
        }
        let key = format!("configmaps/kube-system/{name}");
        let before = live.server.object(&key);
        let out = live.cmd().args(&caller).args(&args).output().unwrap();
        let changed = live.server.object(&key) != before;
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stderr).into_owned(),
            changed,
        )
    } else {
        let path = dir.path().join("mappings.yaml");
        std::fs::write(&path, &text).unwrap();
        let out = bin()
            .args(&caller)
            .args(&args)
            .arg("-f")
            .arg(&path)
            .output()
            .unwrap();
        let changed = std::fs::read_to_string(&path).unwrap() != text;
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stderr).into_owned(),
            changed,
        )
    }
}

#[test]
fn the_guard_decides_the_same_on_every_carrier_file_and_live() {
    let mut failures = vec![];
    let mut checked = 0;
    for row in rows() {
        for &carrier in row.carriers {
            let (code, stderr, changed) = run(&row, carrier);
            checked += 1;
            let ok = match row.expect {
                Expect::Refused(rule) => {
                    code == 3
                        && !changed
                        && (stderr.contains(&format!("[{rule}]")) || stderr.contains(rule))
                }
                Expect::Passes(text) => code == 0 && changed && stderr.contains(text),
            };
            if !ok {
                failures.push(format!(
                    "{} on {carrier:?}: expected {:?}, got exit {code} (changed: {changed})\n{stderr}",
                    row.name, row.expect
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n---\n"));
    assert!(checked >= 40, "{checked}");
}

#[test]
fn fixes_that_would_demote_are_declined_on_files_and_live() {
    let roles: &[Mapping] = &[
        NODE,
        (
            "role",
            "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0123",
            "dev-user",
            &["developers"],
        ),
        (
            "user",
            "arn:aws:iam::111122223333:role/AWSReservedSSO_Admin_0123",
            "admin",
            &["system:masters"],
        ),
    ];
    for (carrier, args) in fix_rows() {
        let row = Row {
            name: "a fix that would demote",
            carriers: &AWS_AUTH,
            maps: Box::leak(roles.to_vec().into_boxed_slice()),
            accounts: &[],
            caller: Caller::Waived,
            args: Box::leak(args.to_vec().into_boxed_slice()),
            restore: None,
            expect: Expect::Passes("not fixing IM016"),
        };
        let (_, stderr, changed) = run(&row, carrier);
        assert!(stderr.contains("not fixing IM016"), "{carrier:?}: {stderr}");
        assert!(
            stderr.contains("would lose the group `system:masters`"),
            "{carrier:?}: {stderr}"
        );
        assert!(!changed, "{carrier:?}: {stderr}");
    }
}
