//! Every file of `../shared/corpus/aws-auth/`: read without a panic, `get` and `validate` snapshot-tested,
//! create-then-delete byte-identical, and lint verdicts that agree with `TRAITS.md`.

use crate::support;
use std::collections::BTreeMap;

#[test]
#[cfg_attr(
    iamidmap_no_corpus,
    ignore = "../shared/corpus is not beside the project; the fixtures cover the same shapes"
)]
fn every_corpus_file_reports_and_round_trips() {
    let Some(dir) = support::corpus_dir() else {
        return;
    };
    let names = support::files_in(&dir);
    assert!(names.len() >= 90, "the corpus has {} files", names.len());
    let traits = support::traits_md().unwrap_or_default();
    let verdicts = verdicts(&traits);
    // One assertion per file (insta's glob: every file is checked and every failure reported).
    insta::glob!("../../shared/corpus/aws-auth", "*.yaml", |path| {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let report = support::file_report(&dir, &name);
        let about = traits
            .lines()
            .find(|l| l.starts_with(&format!("- **{name}**")))
            .map(|l| l.trim_start_matches("- ").to_string())
            .unwrap_or_default();
        let description = format!(
            "What a user sees for corpus file {name}: `get` (table and JSON), `validate`, then create and delete of a new role giving the original bytes back. Category in the corpus's own TRAITS.md (../shared/corpus/TRAITS.md, beside the repository): {}. {about} Check that `get` and `validate` say what the authenticator (and kubectl) would do with it, and that the round trip is byte-identical or refused with the reason.",
            verdicts.get(&name).map_or("(none)", String::as_str)
        );
        support::snapshot_settings("snapshots/corpus", &description).bind(|| {
            insta::assert_snapshot!(report);
        });
    });
}

/// The rule IDs that express each TRAITS.md category (any one of them, at warning or above).
fn expected_rules(category: &str) -> &'static [&'static str] {
    match category {
        "REJECT" => &["IM001", "IM002", "IM003", "IM004", "IM007", "IM008"],
        "LISTDROP" => &["IM010", "IM011"],
        "WIPE" => &["IM012"],
        "IGNORED" => &["IM009"],
        "DEAD" | "DEAD+MISMAP" => &["IM016", "IM017", "IM018", "IM036"],
        "MISMAP" => &[
            "IM014", "IM015", "IM023", "IM025", "IM026", "IM028", "IM029",
        ],
        "PATCH" => &["IM006"],
        "OK-ODD" => &["IM020"],
        _ => &[],
    }
}

/// Where iamidmap deliberately judges differently from TRAITS.md, and why (docs/corpus-verdicts.md).
const DISAGREEMENTS: &[(&str, &str)] = &[
    (
        "017.yaml",
        "TRAITS says MISMAP (last wins); the repeated userarn entries are identical, so nothing is lost: \
         iamidmap reports IM024 duplicate-entry (warning), not IM023",
    ),
    (
        "069.yaml",
        "TRAITS lists it under LISTDROP, but its own note (and upstream's code) says only the entry with \
         the duplicated `rolearn` is dropped: iamidmap reports IM013 entry-dropped and IM056",
    ),
];

/// Category of each file, read from TRAITS.md §3.
fn verdicts(traits: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut category = String::new();
    let section = traits
        .split("\n## 3.")
        .nth(1)
        .and_then(|s| s.split("\n## 4.").next())
        .unwrap_or_default();
    for line in section.lines() {
        if let Some(rest) = line.strip_prefix("### ") {
            category = rest.split(" (").next().unwrap_or("").trim().to_string();
            if rest.starts_with("Parse and map as intended") {
                category = "OK".into();
            }
            continue;
        }
        if let Some(rest) = line.strip_prefix("- **") {
            if let Some(file) = rest.split("**").next() {
                out.insert(file.to_string(), category.clone());
            }
        } else if category == "OK" && line.starts_with("001,") {
            let list = line.split(". ").next().unwrap_or_default();
            for n in list.split(", ") {
                out.insert(format!("{}.yaml", n.trim()), "OK".into());
            }
        }
    }
    out
}

#[test]
#[cfg_attr(
    iamidmap_no_corpus,
    ignore = "../shared/corpus is not beside the project; the fixtures cover the same shapes"
)]
fn lint_verdicts_agree_with_traits() {
    let (Some(dir), Some(traits)) = (support::corpus_dir(), support::traits_md()) else {
        return;
    };
    let verdicts = verdicts(&traits);
    assert_eq!(
        verdicts.len(),
        90,
        "TRAITS.md parsed into {} verdicts",
        verdicts.len()
    );
    let mut problems = vec![];
    for (file, category) in &verdicts {
        let text = std::fs::read_to_string(dir.join(file)).unwrap();
        let (_, findings) = iamidmap::core::lint::lint_text(file, &text);
        let ids: Vec<&str> = findings
            .iter()
            .filter(|f| f.severity >= iamidmap::core::lint::Severity::Warning)
            .map(|f| f.rule)
            .collect();
        let has_error = findings
            .iter()
            .any(|f| f.severity == iamidmap::core::lint::Severity::Error);
        let agrees = match category.as_str() {
            "OK" | "OK-ODD" => {
                !has_error
                    && (category == "OK"
                        || ids.iter().any(|i| expected_rules("OK-ODD").contains(i)))
            }
            c => ids.iter().any(|i| expected_rules(c).contains(i)),
        };
        let documented = DISAGREEMENTS.iter().any(|(f, _)| f == file);
        if agrees == documented {
            problems.push(format!("{file}: TRAITS {category}, iamidmap {ids:?} (documented disagreement: {documented})"));
        }
    }
    assert!(
        problems.is_empty(),
        "lint verdicts disagree with TRAITS.md:\n{}",
        problems.join("\n")
    );
}

#[test]
fn disagreements_are_written_down() {
    let doc =
        std::fs::read_to_string(support::manifest_dir().join("docs/corpus-verdicts.md")).unwrap();
    for (file, _) in DISAGREEMENTS {
        assert!(
            doc.contains(file),
            "docs/corpus-verdicts.md does not explain {file}"
        );
    }
}
