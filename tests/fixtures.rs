//! The project's own fixtures (tests/fixtures/), covering the corpus shapes so that `cargo test` means
//! something without `../shared`: snapshot reports, round trips and the rules each must trigger.

use crate::support;

#[test]
fn every_fixture_reports_and_round_trips() {
    let dir = support::fixtures_dir();
    // One assertion per fixture (insta's glob: every file is checked and every failure reported).
    insta::glob!("fixtures", "*.*", |path| {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let report = support::file_report(&dir, &name);
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let purpose: Vec<&str> = text
            .lines()
            .take_while(|l| l.starts_with('#'))
            .map(|l| l.trim_start_matches('#').trim())
            .collect();
        let rules = EXPECTED
            .iter()
            .find(|(n, _)| *n == name)
            .map_or(String::new(), |(_, r)| r.join(", "));
        let description = format!(
            "What a user sees for fixture {name}: `get` (table and JSON), `validate`, then create and delete of a new role giving the original bytes back. {} Expected findings (warning or error): [{rules}]. Check that the output says what the authenticator (and kubectl) would do with it.",
            purpose.join(" ")
        );
        support::snapshot_settings("snapshots/fixtures", &description).bind(|| {
            insta::assert_snapshot!(report);
        });
    });
}

/// Each fixture and the rules it must trigger; `[]` means no finding of warning or error.
const EXPECTED: &[(&str, &[&str])] = &[
    ("accounts.yaml", &["IM034", "IM035"]),
    ("authenticator-config-broken.yaml", &["IM008", "IM013"]),
    ("authenticator-config.yaml", &["IM016"]),
    ("authenticator-configmap-bad-yaml.yaml", &["IM050"]),
    ("authenticator-configmap.yaml", &["IM034"]),
    ("bare-keys.yaml", &["IM006"]),
    ("comment-only.yaml", &["IM012"]),
    ("commented.yaml", &[]),
    ("crazy-case-entry-keys.yaml", &[]),
    ("crlf-no-final-newline.yaml", &[]),
    ("data-fragment.yaml", &["IM006"]),
    ("dead-arns.yaml", &["IM016", "IM017", "IM018"]),
    ("double-quoted.yaml", &[]),
    ("duplicate-data-key.yaml", &["IM007"]),
    ("duplicate-key-in-entry.yaml", &["IM013", "IM056"]),
    ("duplicates.yaml", &["IM023"]),
    ("eksa-broken.yaml", &["IM052", "IM053", "IM054", "IM055"]),
    ("eksa-cluster.yaml", &[]),
    ("empty-strings.yaml", &[]),
    ("folded-groups.yaml", &["IM015", "IM028"]),
    ("groups-as-string.yaml", &["IM014"]),
    ("hidden-spellings.yaml", &["IM058", "IM059"]),
    ("json-manifest.json", &[]),
    ("kubectl-dump.yaml", &[]),
    ("list-dropped.yaml", &["IM010"]),
    ("list.yaml", &[]),
    ("merge-keys.yaml", &["IM024", "IM057"]),
    ("multi-document.yaml", &[]),
    ("no-groups-no-username.yaml", &["IM025", "IM026"]),
    ("no-metadata.yaml", &["IM003"]),
    ("not-a-string.yaml", &["IM008"]),
    ("random-lookup.yaml", &["IM018", "IM023"]),
    ("single-quoted-json-array.yaml", &[]),
    ("sso-entry.yaml", &["IM036"]),
    ("syntax-error.yaml", &["IM001"]),
    ("trailing-whitespace.yaml", &[]),
    ("unquoted-template.yaml", &["IM011"]),
    ("user-in-maproles.yaml", &["IM020", "IM029", "IM019"]),
    ("users-only-no-final-newline.yaml", &[]),
    ("wrong-case-keys.yaml", &["IM009"]),
    ("yaml11-scalars.yaml", &["IM014"]),
    ("yaml-step-fails.yaml", &["IM010", "IM034", "IM035"]),
];

#[test]
fn fixtures_trigger_their_rules() {
    let dir = support::fixtures_dir();
    let names = support::files_in(&dir);
    assert_eq!(
        names.len(),
        EXPECTED.len(),
        "every fixture has an expectation"
    );
    for (name, rules) in EXPECTED {
        let text = std::fs::read_to_string(dir.join(name)).unwrap();
        let (_, findings) = iamidmap::core::lint::lint_text(name, &text);
        let serious: Vec<&str> = findings
            .iter()
            .filter(|f| f.severity >= iamidmap::core::lint::Severity::Warning)
            .map(|f| f.rule)
            .collect();
        if rules.is_empty() {
            assert!(serious.is_empty(), "{name} should be clean: {findings:#?}");
        }
        let unexpected: Vec<&&str> = serious.iter().filter(|r| !rules.contains(r)).collect();
        assert!(
            unexpected.is_empty(),
            "{name} triggers rules it should not: {unexpected:?}"
        );
        for r in *rules {
            assert!(
                serious.contains(r),
                "{name} should trigger {r}: {serious:?}"
            );
        }
    }
}
