//! Renderers: mappings as a table, JSON or YAML; findings as text, JSON, SARIF or GitHub annotations;
//! unified diffs. Each returns the bytes to print, so they are tested in memory.

use crate::core::lint::{self, Finding, Severity, Summary};
use serde::Serialize;

/// One row of `get`, in eksctl's JSON shape (`rolearn`|`userarn`, `username`, `groups`, or `account`);
/// when EKS access entries were read, the access entries too, and `source` on every row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum MappingRow {
    Role {
        /// Absent for an `sso` entry, which matches by permission set instead of by ARN.
        #[serde(skip_serializing_if = "String::is_empty")]
        rolearn: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        sso: Option<SsoRow>,
        username: String,
        groups: Vec<String>,
        /// A later entry for the same ARN wins: the authenticator never uses this one.
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        shadowed: bool,
        #[serde(flatten)]
        eks: EksFacts,
        #[serde(skip)]
        line: usize,
    },
    User {
        userarn: String,
        username: String,
        groups: Vec<String>,
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        shadowed: bool,
        #[serde(flatten)]
        eks: EksFacts,
        #[serde(skip)]
        line: usize,
    },
    Account {
        account: String,
        #[serde(flatten)]
        eks: EksFacts,
        #[serde(skip)]
        line: usize,
    },
    /// An EKS access entry (DescribeAccessEntry's fields, with its associated access policies).
    AccessEntry {
        #[serde(flatten)]
        entry: crate::core::access::Entry,
        source: &'static str,
    },
}

/// Where an aws-auth row stands when EKS access entries were read: `source: aws-auth`, and why EKS does
/// not use it (`unusedBecause`), if it does not.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct EksFacts {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<&'static str>,
    #[serde(rename = "unusedBecause", skip_serializing_if = "Option::is_none")]
    pub unused: Option<String>,
    /// The same in a few words, for the table's KIND column.
    #[serde(skip)]
    pub unused_short: Option<&'static str>,
}

impl MappingRow {
    fn eks(&self) -> Option<&EksFacts> {
        match self {
            MappingRow::Role { eks, .. }
            | MappingRow::User { eks, .. }
            | MappingRow::Account { eks, .. } => Some(eks),
            MappingRow::AccessEntry { .. } => None,
        }
    }
}

/// An `sso` entry's matcher, as written (`permissionSetName`, `accountID`, `partition`), with the ArnLike
/// pattern the authenticator matches it by.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SsoRow {
    pub permission_set_name: String,
    #[serde(rename = "accountID")]
    pub account_id: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub partition: String,
    pub arn_like: String,
}

fn trim_lines(s: &str) -> String {
    let mut out: String = s
        .lines()
        .map(|l| l.trim_end())
        .collect::<Vec<_>>()
        .join("\n");
    out.push('\n');
    out
}

/// The table eksctl prints (ARN, USERNAME, GROUPS, ACCOUNT), plus KIND, and LINE for files; with EKS
/// access entries, SOURCE and the entries' POLICIES too.
pub fn mappings_table(rows: &[MappingRow], with_lines: bool) -> String {
    use comfy_table::{Table, presets};
    let mut table = Table::new();
    table.load_preset(presets::NOTHING);
    let with_eks = rows
        .iter()
        .any(|r| r.eks().is_none_or(|e| e.source.is_some()));
    let mut header = vec!["ARN", "USERNAME", "GROUPS", "ACCOUNT", "KIND"];
    if with_eks {
        header.extend(["SOURCE", "POLICIES"]);
    }
    if with_lines {
        header.push("LINE");
    }
    table.set_header(header);
    for row in rows {
        let (arn, user, groups, account, mut kind, line) = match row {
            MappingRow::Role {
                rolearn,
                sso,
                username,
                groups,
                shadowed,
                line,
                ..
            } => (
                match sso {
                    Some(s) if rolearn.is_empty() => s.arn_like.as_str(),
                    _ => rolearn.as_str(),
                },
                username.as_str(),
                groups.join(","),
                "",
                match (sso.is_some(), shadowed) {
                    (true, true) => "role (sso, shadowed)",
                    (true, false) => "role (sso)",
                    (false, true) => "role (shadowed)",
                    (false, false) => "role",
                }
                .to_string(),
                line.to_string(),
            ),
            MappingRow::User {
                userarn,
                username,
                groups,
                shadowed,
                line,
                ..
            } => (
                userarn.as_str(),
                username.as_str(),
                groups.join(","),
                "",
                if *shadowed { "user (shadowed)" } else { "user" }.to_string(),
                line.to_string(),
            ),
            MappingRow::Account { account, line, .. } => (
                "",
                "",
                String::new(),
                account.as_str(),
                "account".to_string(),
                line.to_string(),
            ),
            MappingRow::AccessEntry { entry, .. } => (
                entry.principal_arn.as_str(),
                entry.username.as_str(),
                entry.kubernetes_groups.join(","),
                "",
                entry.kind.to_ascii_lowercase().replace('_', "-"),
                String::new(),
            ),
        };
        if let Some(why) = row.eks().and_then(|e| e.unused_short) {
            kind = format!("{kind} ({why})");
        }
        let mut cells = vec![
            one_line(arn).into_owned(),
            one_line(user).into_owned(),
            one_line(&groups).into_owned(),
            one_line(account).into_owned(),
            one_line(&kind).into_owned(),
        ];
        if with_eks {
            match row {
                MappingRow::AccessEntry { entry, source } => {
                    cells.push(source.to_string());
                    let policies: Vec<String> =
                        entry.access_policies.iter().map(|p| p.label()).collect();
                    cells.push(one_line(&policies.join(",")).into_owned());
                }
                _ => {
                    cells.push("aws-auth".into());
                    cells.push(String::new());
                }
            }
        }
        if with_lines {
            cells.push(line);
        }
        table.add_row(cells);
    }
    for col in table.column_iter_mut() {
        col.set_padding((0, 3));
    }
    trim_lines(&table.to_string())
}

pub fn mappings_json(rows: &[MappingRow]) -> String {
    let mut s = serde_json::to_string_pretty(rows).expect("rows serialize");
    s.push('\n');
    s
}

pub fn mappings_yaml(rows: &[MappingRow]) -> String {
    if rows.is_empty() {
        return "[]\n".into();
    }
    // One ARN per line: no folded (`>`) block scalars for long strings.
    let options = serde_saphyr::ser_options! { prefer_block_scalars: false };
    serde_saphyr::to_string_with_options(&rows, options).expect("rows serialize")
}

/// `FILE:LINE:COL: severity[ID name]: message` and the hint below it, then a summary line.
pub fn findings_text(file: &str, findings: &[Finding]) -> String {
    let mut out = String::new();
    for f in findings {
        let name = lint::rule(f.rule).map_or("", |r| r.name);
        out.push_str(&format!(
            "{file}:{}:{}: {}[{} {name}]: {}\n  hint: {}\n",
            f.line,
            f.column,
            f.severity.as_str(),
            f.rule,
            f.message,
            f.hint
        ));
    }
    out
}

pub fn summary_text(files: usize, s: Summary) -> String {
    format!(
        "{} error{}, {} warning{}, {} info{} in {files} file{}\n",
        s.errors,
        if s.errors == 1 { "" } else { "s" },
        s.warnings,
        if s.warnings == 1 { "" } else { "s" },
        s.infos,
        if s.infos == 1 { "" } else { "s" },
        if files == 1 { "" } else { "s" }
    )
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    rule: &'a str,
    severity: Severity,
    message: &'a str,
    hint: &'a str,
    file: &'a str,
    line: usize,
    column: usize,
}

/// `{"findings":[…],"summary":{"errors","warnings","infos"}}` (docs/output.md).
pub fn findings_json(results: &[(String, Vec<Finding>)]) -> String {
    findings_json_with(results, &[])
}

/// Findings suppressed in one file, with how.
pub type Suppressed = (String, Vec<(Finding, lint::suppress::Suppression)>);

fn suppression_json(s: &lint::suppress::Suppression) -> serde_json::Value {
    match s {
        lint::suppress::Suppression::Flag => {
            serde_json::json!({"kind": "external", "by": "--ignore"})
        }
        lint::suppress::Suppression::Config { file } => {
            serde_json::json!({"kind": "external", "by": file})
        }
        lint::suppress::Suppression::Comment {
            line,
            justification,
        } => {
            serde_json::json!({"kind": "inSource", "by": format!("comment covering line {line}"), "justification": justification})
        }
        lint::suppress::Suppression::Baseline => {
            serde_json::json!({"kind": "external", "by": "--baseline"})
        }
    }
}

/// The JSON report, with the suppressed findings listed apart (`suppressed`, each with how).
pub fn findings_json_with(results: &[(String, Vec<Finding>)], suppressed: &[Suppressed]) -> String {
    let findings: Vec<JsonFinding<'_>> = results
        .iter()
        .flat_map(|(file, fs)| {
            fs.iter().map(move |f| JsonFinding {
                rule: f.rule,
                severity: f.severity,
                message: &f.message,
                hint: &f.hint,
                file,
                line: f.line,
                column: f.column,
            })
        })
        .collect();
    let all: Vec<Finding> = results.iter().flat_map(|(_, f)| f.clone()).collect();
    let mut doc = serde_json::json!({ "findings": findings, "summary": lint::summarize(&all) });
    let waived: Vec<serde_json::Value> = suppressed
        .iter()
        .flat_map(|(file, fs)| {
            fs.iter().map(move |(f, how)| {
                serde_json::json!({"rule": f.rule, "severity": f.severity, "message": f.message,
                    "file": file, "line": f.line, "column": f.column, "suppression": suppression_json(how)})
            })
        })
        .collect();
    if !waived.is_empty() {
        doc["suppressed"] = serde_json::Value::Array(waived);
    }
    let mut s = serde_json::to_string_pretty(&doc).expect("json");
    s.push('\n');
    s
}

fn sarif_level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// SARIF 2.1.0, with every rule of the registry described, for code-scanning uploads.
pub fn findings_sarif(results: &[(String, Vec<Finding>)]) -> String {
    findings_sarif_with(results, &[])
}

/// SARIF with the suppressed findings as results that carry `suppressions` (SARIF 2.1.0 §3.27.23), so
/// code scanning shows them as dismissed, with the justification.
pub fn findings_sarif_with(
    results: &[(String, Vec<Finding>)],
    suppressed: &[Suppressed],
) -> String {
    let rules: Vec<serde_json::Value> = lint::registry()
        .iter()
        .map(|r| {
            serde_json::json!({
                "id": r.id,
                "name": r.name,
                "shortDescription": { "text": r.summary },
                "helpUri": format!("https://github.com/iamidmap/iamidmap/blob/main/docs/lint-rules.md#{}", r.id.to_lowercase()),
                "defaultConfiguration": { "level": sarif_level(r.severity) }
            })
        })
        .collect();
    let result = |file: &str, f: &Finding| {
        serde_json::json!({
            "ruleId": f.rule,
            "level": sarif_level(f.severity),
            "message": { "text": format!("{} Hint: {}", f.message, f.hint) },
            "locations": [{
                "physicalLocation": {
                    "artifactLocation": { "uri": file },
                    "region": { "startLine": f.line, "startColumn": f.column }
                }
            }]
        })
    };
    let mut waived: Vec<serde_json::Value> = vec![];
    for (file, fs) in suppressed {
        for (f, how) in fs {
            let mut r = result(file, f);
            let mut s = serde_json::json!({"kind": match how {
                lint::suppress::Suppression::Flag
                | lint::suppress::Suppression::Config { .. }
                | lint::suppress::Suppression::Baseline => "external",
                lint::suppress::Suppression::Comment { .. } => "inSource",
            }});
            if let lint::suppress::Suppression::Comment { justification, .. } = how
                && !justification.is_empty()
            {
                s["justification"] = serde_json::Value::String(justification.clone());
            }
            r["suppressions"] = serde_json::json!([s]);
            waived.push(r);
        }
    }
    let mut results: Vec<serde_json::Value> = results
        .iter()
        .flat_map(|(file, fs)| fs.iter().map(|f| result(file, f)))
        .collect();
    results.extend(waived);
    let doc = serde_json::json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "iamidmap",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://github.com/iamidmap/iamidmap",
                "rules": rules
            }},
            "results": results
        }]
    });
    let mut s = serde_json::to_string_pretty(&doc).expect("json");
    s.push('\n');
    s
}

fn gh_escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn gh_escape_property(s: &str) -> String {
    gh_escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// GitHub Actions workflow commands: one `::error`/`::warning`/`::notice` line per finding.
pub fn findings_github(results: &[(String, Vec<Finding>)]) -> String {
    let mut out = String::new();
    for (file, findings) in results {
        for f in findings {
            let level = match f.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
                Severity::Info => "notice",
            };
            let name = lint::rule(f.rule).map_or("", |r| r.name);
            out.push_str(&format!(
                "::{level} file={},line={},col={},title={}::{}\n",
                gh_escape_property(file),
                f.line,
                f.column,
                gh_escape_property(&format!("{} {name}", f.rule)),
                gh_escape_data(&format!("{} Hint: {}", f.message, f.hint))
            ));
        }
    }
    out
}

/// A unified diff of a file before and after an edit.
pub fn unified_diff(name: &str, old: &str, new: &str) -> String {
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(&format!("{name} (before)"), &format!("{name} (after)"))
        .to_string()
}

/// Untrusted text made safe for a terminal: every character a ConfigMap could use to move the cursor,
/// recolour, hide or reorder output is shown as an escape (`\u{1b}`), so what is printed is what is there.
/// JSON, SARIF and GitHub output escape on their own and do not go through this.
pub fn terminal_safe(text: &str) -> std::borrow::Cow<'_, str> {
    crate::core::text::escape_hidden(text)
}

/// One untrusted value on one line (a table cell): [`terminal_safe`], and line breaks shown as `\n` so
/// that a value cannot fake a line of its own.
pub fn one_line(text: &str) -> std::borrow::Cow<'_, str> {
    crate::core::text::one_line(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding() -> Finding {
        Finding {
            rule: "IM016",
            severity: Severity::Error,
            message: "role ARN `a` has a path".into(),
            hint: "use `b`".into(),
            line: 3,
            column: 7,
        }
    }

    #[test]
    fn github_annotations_escape_properties_and_data() {
        let out = findings_github(&[("dir/a,b.yaml".into(), vec![finding()])]);
        assert_eq!(
            out,
            "::error file=dir/a%2Cb.yaml,line=3,col=7,title=IM016 role-path::role ARN `a` has a path Hint: use `b`\n"
        );
    }

    #[test]
    fn json_report_has_the_documented_shape() {
        let v: serde_json::Value =
            serde_json::from_str(&findings_json(&[("a.yaml".into(), vec![finding()])])).unwrap();
        assert_eq!(v["findings"][0]["rule"], "IM016");
        assert_eq!(v["findings"][0]["severity"], "error");
        assert_eq!(v["findings"][0]["file"], "a.yaml");
        assert_eq!(v["findings"][0]["line"], 3);
        assert_eq!(v["findings"][0]["column"], 7);
        assert_eq!(v["summary"]["errors"], 1);
        assert_eq!(v["summary"]["warnings"], 0);
        assert_eq!(v["summary"]["infos"], 0);
    }

    #[test]
    fn sarif_lists_rules_and_results() {
        let v: serde_json::Value =
            serde_json::from_str(&findings_sarif(&[("a.yaml".into(), vec![finding()])])).unwrap();
        assert_eq!(v["version"], "2.1.0");
        let run = &v["runs"][0];
        assert_eq!(
            run["tool"]["driver"]["rules"].as_array().unwrap().len(),
            lint::registry().len()
        );
        assert_eq!(run["results"][0]["ruleId"], "IM016");
        assert_eq!(
            run["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"],
            3
        );
    }

    #[test]
    fn yaml_output_quotes_yaml11_ambiguous_strings() {
        let rows = vec![MappingRow::Role {
            sso: None,
            rolearn: "arn:aws:iam::1:role/a".into(),
            username: "on".into(),
            groups: vec!["yes".into(), "0755".into()],
            shadowed: false,
            eks: EksFacts::default(),
            line: 1,
        }];
        let y = mappings_yaml(&rows);
        assert!(y.contains("\"on\"") || y.contains("'on'"), "{y}");
        assert!(y.contains("\"yes\"") || y.contains("'yes'"), "{y}");
    }
}
