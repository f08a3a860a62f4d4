//! `iamidmap validate`: lint manifests and report in text, JSON, SARIF or GitHub annotations.

use super::session::Session;
use crate::adapters::fs;
use crate::cli::diagnostics::{EXIT_FINDINGS, EXIT_OK};
use crate::cli::render;
use crate::cli::{ReportFormat, ValidateArgs};
use crate::core::lint::{self, Finding};
use anyhow::Result;
use std::path::Path;

pub fn validate(args: ValidateArgs, s: &Session<'_>) -> Result<i32> {
    let (cluster, out) = (s.args, s.out);
    let ValidateArgs {
        mut files,
        paths,
        format,
        fail_on,
        config,
        no_config,
        ignore,
        baseline,
        write_baseline,
        fix,
        write,
    } = args;
    files.extend(paths);
    for rule in &ignore {
        if !lint::registry().iter().any(|r| r.id == rule.as_str()) {
            return Err(crate::cli::diagnostics::Failure::error(
                format!("--ignore {rule}: no such rule"),
                Some("the rules are listed in docs/lint-rules.md (IM001 …)".to_string()),
            )
            .into());
        }
    }
    let settings = super::lint_settings::load(config.as_deref(), no_config, out)?;
    let threshold = settings.threshold(fail_on);
    let mut known = match &baseline {
        Some(path) => read_baseline(path)?,
        None => Default::default(),
    };
    let mut results: Vec<(String, Vec<Finding>)> = vec![];
    let mut suppressed: Vec<render::Suppressed> = vec![];
    let mut keep = |name: String, path: Option<&Path>, mut findings: Vec<Finding>, text: &str| {
        let effective = settings.for_input(path);
        effective.apply_severity(&mut findings);
        let ignored = settings.ignored(&effective, &ignore);
        let (kept, mut waived) = lint::suppress::split(findings, &ignored, text);
        let kept = lint::suppress::apply_baseline(&name, kept, &mut known, &mut waived);
        if !waived.is_empty() {
            suppressed.push((name.clone(), waived));
        }
        results.push((name, kept));
    };
    if files.is_empty() {
        // The live ConfigMap, as the authenticator reads it (lines are those of its data as iamidmap shows it).
        let doc = super::live::read(s)?;
        keep(doc.source_name.clone(), None, lint::lint(&doc), &doc.text);
    }
    if fix && files.is_empty() {
        return Err(crate::cli::diagnostics::Failure::error(
            "--fix works on files",
            Some("for the live ConfigMap, run `iamidmap repair`".to_string()),
        )
        .into());
    }
    for path in &files {
        let input = fs::read_input(path)?;
        let text = if fix {
            fix_file(&input, &write, s)?
        } else {
            input.text.clone()
        };
        let (_, findings) = lint::lint_text_as(
            &input.name,
            &text,
            cluster.kind.map(crate::cli::Kind::carrier),
        );
        keep(input.name.clone(), input.path.as_deref(), findings, &text);
    }
    if let Some(path) = &write_baseline {
        return write_baseline_file(path, &results, out);
    }
    let text = report(format, &results, &suppressed);
    print!("{text}");
    let failed = results
        .iter()
        .flat_map(|(_, f)| f)
        .any(|f| f.severity >= threshold);
    Ok(if failed { EXIT_FINDINGS } else { EXIT_OK })
}

/// `--write-baseline FILE`: the fingerprints of the findings reported now, written atomically.
fn write_baseline_file(
    path: &Path,
    results: &[(String, Vec<Finding>)],
    out: crate::cli::diagnostics::Reporter,
) -> Result<i32> {
    let fingerprints: Vec<String> = results
        .iter()
        .flat_map(|(file, fs)| fs.iter().map(move |f| lint::suppress::fingerprint(file, f)))
        .collect();
    let n = fingerprints.len();
    let body = serde_json::json!({"iamidmapBaseline": 1, "findings": fingerprints});
    let mut text = serde_json::to_string_pretty(&body).expect("json");
    text.push('\n');
    fs::write_atomic(path, &text)?;
    out.note(&format!(
        "wrote {n} finding{} to the baseline {}; `iamidmap validate --baseline {}` reports only new ones",
        if n == 1 { "" } else { "s" },
        path.display(),
        path.display()
    ));
    Ok(EXIT_OK)
}

/// The report in the chosen format (text coloured on a terminal).
fn report(
    format: ReportFormat,
    results: &[(String, Vec<Finding>)],
    suppressed: &[render::Suppressed],
) -> String {
    match format {
        ReportFormat::Text => {
            let mut s = String::new();
            for (file, findings) in results {
                s.push_str(&render::findings_text(file, findings));
            }
            let all: Vec<Finding> = results.iter().flat_map(|(_, f)| f.clone()).collect();
            s.push_str(&render::summary_text(results.len(), lint::summarize(&all)));
            let n: usize = suppressed.iter().map(|(_, f)| f.len()).sum();
            if n > 0 {
                s.push_str(&format!(
                "{n} more suppressed (--ignore, .iamidmap.yaml, `# iamidmap:ignore` comments, --baseline; -o json lists them)\n"
            ));
            }
            let safe = render::terminal_safe(&s).into_owned();
            if crate::cli::style::on(false) {
                crate::cli::style::findings(&safe)
            } else {
                safe
            }
        }
        ReportFormat::Json => render::findings_json_with(results, suppressed),
        ReportFormat::Sarif => render::findings_sarif_with(results, suppressed),
        ReportFormat::Github => render::findings_github(results),
    }
}

/// Apply every mechanical fix to a file (through the guard), and return the text to report on.
fn fix_file(
    input: &fs::Input,
    write: &crate::cli::WriteOptions,
    s: &Session<'_>,
) -> Result<String> {
    let (cluster, out) = (s.args, s.out);
    let Ok(doc) = crate::core::document::AuthDocument::parse_as(
        &input.name,
        input.text.clone(),
        cluster.kind.map(crate::cli::Kind::carrier),
    ) else {
        return Ok(input.text.clone());
    };
    let (fixed, n) = super::repair::fix_document(doc.clone(), out)?;
    if n == 0 {
        out.note(&format!("{}: nothing to fix", input.name));
        return Ok(input.text.clone());
    }
    let me = super::identity::for_file(s)?;
    let change = crate::core::guard::Change {
        before: &doc,
        after: &fixed,
        caller: &me,
        intent: crate::core::guard::Intent::Nothing,
        binary_bytes: 0,
        access: None,
    };
    if write.dry_run {
        super::write::write_file(input, &fixed.text, write, out)?;
        super::guard(&change, write, out)?;
        return Ok(input.text.clone());
    }
    super::guard(&change, write, out)?;
    super::write::write_file(input, &fixed.text, write, out)?;
    Ok(fixed.text)
}

/// A baseline file: each fingerprint with how many times it is listed.
fn read_baseline(path: &std::path::Path) -> Result<std::collections::BTreeMap<String, usize>> {
    let input = fs::read_input(path)?;
    let bad = || {
        crate::cli::diagnostics::Failure::error(
            format!("{} is not an iamidmap baseline", input.name),
            Some(format!(
                "write one with `iamidmap validate --write-baseline {}`",
                input.name
            )),
        )
    };
    let v: serde_json::Value = serde_json::from_str(&input.text).map_err(|_| bad())?;
    let list = v
        .get("findings")
        .and_then(|f| f.as_array())
        .filter(|_| v.get("iamidmapBaseline").is_some())
        .ok_or_else(bad)?;
    let mut known = std::collections::BTreeMap::new();
    for f in list {
        *known
            .entry(f.as_str().ok_or_else(bad)?.to_string())
            .or_insert(0) += 1;
    }
    Ok(known)
}
