//! Lint: a registry of small rules over an [`AuthDocument`], each with a stable ID, a severity, a
//! message, a hint and a location. Findings are all collected; nothing stops at the first.

pub mod config;
mod rules;
pub mod suppress;

use crate::core::document::{AuthDocument, DocumentError, Location};
use crate::core::mapping::DataKey;
use crate::core::yaml::Span;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// One problem found, located in the file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Finding {
    pub rule: &'static str,
    pub severity: Severity,
    pub message: String,
    pub hint: String,
    pub line: usize,
    pub column: usize,
}

/// A lint rule: identity, documentation and the check itself.
pub struct Rule {
    pub id: &'static str,
    pub name: &'static str,
    pub severity: Severity,
    /// One line: what the rule finds and why it matters.
    pub summary: &'static str,
    /// A manifest (or just its `data:` part) that the rule flags, and a corrected one it does not.
    pub fail_example: &'static str,
    pub pass_example: &'static str,
    pub(crate) check: fn(&Ctx<'_>, &mut Vec<Finding>),
    /// What else the rule needs beyond the file: `None` for lint rules, `Some("IAM")` or `Some("RBAC")`
    /// for the rules `iamidmap check` applies (their examples describe that state in a comment).
    pub needs: Option<&'static str>,
}

/// What a rule sees: the document, and a way to make findings at its locations.
pub struct Ctx<'a> {
    pub doc: &'a AuthDocument,
}

impl Finding {
    /// A finding of `rule` at `loc`, with the rule's ID and severity.
    pub fn at(rule: &Rule, loc: Location, message: String, hint: String) -> Finding {
        Finding {
            rule: rule.id,
            severity: rule.severity,
            message,
            hint,
            line: loc.line,
            column: loc.column,
        }
    }
}

impl Ctx<'_> {
    fn at(&self, rule: &Rule, loc: Location, message: String, hint: String) -> Finding {
        Finding::at(rule, loc, message, hint)
    }

    fn inner(&self, key: DataKey, span: Span) -> Location {
        self.doc.inner_location(key, span)
    }

    fn file(&self, offset: usize) -> Location {
        self.doc.location(offset)
    }
}

/// All rules, in ID order. The table is the single source of `docs/lint-rules.md`.
pub fn registry() -> &'static [Rule] {
    rules::RULES
}

pub fn rule(id: &str) -> Option<&'static Rule> {
    registry().iter().find(|r| r.id == id)
}

/// Documents with more entries than this are linted on two threads.
const PARALLEL_ENTRIES: usize = 1000;

/// Lint a document that was read.
pub fn lint(doc: &AuthDocument) -> Vec<Finding> {
    let ctx = Ctx { doc };
    let run = |rules: &mut dyn Iterator<Item = &Rule>| {
        let mut out = vec![];
        for rule in rules {
            (rule.check)(&ctx, &mut out);
        }
        out
    };
    // Rules are independent: on large documents half of them run on a second thread.
    let mut out = if doc.roles.entries.len() + doc.users.entries.len() > PARALLEL_ENTRIES {
        std::thread::scope(|s| {
            let odd = s.spawn(|| run(&mut registry().iter().skip(1).step_by(2)));
            let mut even = run(&mut registry().iter().step_by(2));
            even.extend(odd.join().expect("lint rules panicked"));
            even
        })
    } else {
        run(&mut registry().iter())
    };
    // Some checks serve two rules (IM003-IM005, IM010/IM011, IM023/IM024…) and run once per rule:
    // sorting on everything makes their repeats adjacent, and dedup drops them.
    out.sort_by(|a, b| {
        (a.line, a.column, a.rule, &a.message).cmp(&(b.line, b.column, b.rule, &b.message))
    });
    out.dedup();
    out
}

/// Only the findings of the given rules (the guard needs just the drop rules): the other rules do not run.
pub fn lint_only(doc: &AuthDocument, ids: &[&str]) -> Vec<Finding> {
    let ctx = Ctx { doc };
    let mut out = vec![];
    for rule in registry().iter().filter(|r| ids.contains(&r.id)) {
        (rule.check)(&ctx, &mut out);
    }
    out.retain(|f| ids.contains(&f.rule));
    out.sort_by(|a, b| {
        (a.line, a.column, a.rule, &a.message).cmp(&(b.line, b.column, b.rule, &b.message))
    });
    out.dedup();
    out
}

/// Read and lint a file's text; a file that cannot be read at all gives a single finding.
pub fn lint_text(source_name: &str, text: &str) -> (Option<AuthDocument>, Vec<Finding>) {
    lint_text_as(source_name, text, None)
}

/// Lint a file's text as the given carrier (`None`: detected).
pub fn lint_text_as(
    source_name: &str,
    text: &str,
    kind: Option<crate::core::document::CarrierKind>,
) -> (Option<AuthDocument>, Vec<Finding>) {
    match AuthDocument::parse_as(source_name, text.to_string(), kind) {
        Ok(doc) => {
            let findings = lint(&doc);
            (Some(doc), findings)
        }
        Err(err) => (None, vec![unreadable(&err)]),
    }
}

fn unreadable(err: &DocumentError) -> Finding {
    match err {
        DocumentError::Syntax {
            line, col, message, ..
        } => Finding {
            rule: "IM001",
            severity: Severity::Error,
            message: format!("the file is not valid YAML or JSON: {message}"),
            hint: "kubectl refuses to apply it; fix the syntax at this line".into(),
            line: *line,
            column: *col,
        },
        DocumentError::NotFound { .. } => Finding {
            rule: "IM002",
            severity: Severity::Error,
            message: "no aws-auth ConfigMap found: no document has `mapRoles`, `mapUsers` or `mapAccounts`".into(),
            hint: "point -f at the aws-auth manifest; an empty or comment-only file applies nothing".into(),
            line: 1,
            column: 1,
        },
        DocumentError::KindNotFound {
            what, looked_for, next, ..
        } => Finding {
            rule: "IM002",
            severity: Severity::Error,
            message: format!("no {what} found: {looked_for}"),
            hint: next.to_string(),
            line: 1,
            column: 1,
        },
    }
}

/// Counts by severity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
}

pub fn summarize(findings: &[Finding]) -> Summary {
    let mut s = Summary::default();
    for f in findings {
        match f.severity {
            Severity::Error => s.errors += 1,
            Severity::Warning => s.warnings += 1,
            Severity::Info => s.infos += 1,
        }
    }
    s
}

/// The standard header the examples that are only a `data:` part are placed under.
pub const EXAMPLE_HEADER: &str =
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: aws-auth\n  namespace: kube-system\n";

/// An example as a whole manifest. The size examples name their padding instead of holding it.
pub fn example_manifest(example: &str) -> String {
    let example = example
        .replace("(more than 1 MiB)", &"x".repeat(rules::SIZE_LIMIT + 1))
        .replace("(about 1,000,000 bytes)", &"x".repeat(1_000_000));
    if example.starts_with("data:") {
        format!("{EXAMPLE_HEADER}{example}")
    } else {
        example
    }
}

/// `docs/lint-rules.md`, generated from the registry.
pub fn rules_markdown() -> String {
    let mut out = String::from(
        "# Lint rules\n\n<!-- Generated by `iamidmap generate-docs` from the rule registry (src/core/lint/rules/mod.rs). Do not edit. -->\n\n\
`iamidmap validate` reads an aws-auth manifest exactly as aws-iam-authenticator does and reports every\n\
finding with its rule ID, severity, message, hint, line and column. Severities: `error` (the authenticator\n\
or kubectl will not do what the file says), `warning` (it works, but is risky or surprising), `info`\n\
(worth knowing). Examples that start with `data:` sit under the standard header\n\
(`apiVersion: v1`, `kind: ConfigMap`, `metadata: {name: aws-auth, namespace: kube-system}`).\n\n\
Rules marked IAM or RBAC need more than the file: `iamidmap check` applies them with what IAM and the\n\
cluster's RBAC objects say (their examples describe that state in a comment); `validate` does not.\n\n\
The same registry lints all three carriers: the aws-auth ConfigMap (`aws-auth`), aws-iam-authenticator's\n\
config file or ConfigMap (`authenticator-config`) and EKS Anywhere's AWSIamConfig (`awsiamconfig`). The\n\
carriers column says where a rule applies; where a rule reads differently per carrier, its section says how.\n\
The last two are read with the MountedFile backend's rules (aws-iam-authenticator pkg/mapper/file/mapper.go): role ARNs are canonicalized (an\n\
assumed-role ARN maps its role), and an entry it cannot load stops the server instead of being dropped.\n\n\
| ID | name | severity | needs | carriers | what it finds |\n|---|---|---|---|---|---|\n",
    );
    for r in registry() {
        out.push_str(&format!(
            "| [{id}](#{anchor}) | `{name}` | {sev} | {needs} | {carriers} | {summary} |\n",
            id = r.id,
            anchor = r.id.to_lowercase(),
            name = r.name,
            sev = r.severity.as_str(),
            needs = r.needs.unwrap_or("file"),
            carriers = rules::carriers(r.id).0,
            summary = r.summary
        ));
    }
    for r in registry() {
        out.push_str(&format!(
            "\n## {id}\n\n`{name}` · {sev}{needs} · carriers: {carriers}\n\n{summary}{differs}\n\nFlagged:\n\n```yaml\n{fail}```\n\nNot flagged:\n\n```yaml\n{pass}```\n",
            id = r.id,
            name = r.name,
            sev = r.severity.as_str(),
            needs = r.needs.map(|n| format!(" · needs {n} (`iamidmap check`)")).unwrap_or_default(),
            carriers = rules::carriers(r.id).0,
            differs = rules::carriers(r.id)
                .1
                .map(|d| format!("\n\nBy carrier: {d}."))
                .unwrap_or_default(),
            summary = r.summary,
            fail = ensure_newline(r.fail_example),
            pass = ensure_newline(r.pass_example),
        ));
    }
    out
}

fn ensure_newline(s: &str) -> String {
    if s.ends_with('\n') {
        s.to_string()
    } else {
        format!("{s}\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_flags_its_failing_example_and_not_its_passing_one() {
        let mut ids = std::collections::HashSet::new();
        for r in registry() {
            assert!(ids.insert(r.id), "duplicate rule id {}", r.id);
            if r.needs.is_some() {
                // IAM and RBAC rules are exercised by core::check's tests, which build that state.
                continue;
            }
            let (_, fail) = lint_text("fail.yaml", &example_manifest(r.fail_example));
            assert!(
                fail.iter().any(|f| f.rule == r.id),
                "{} does not flag its failing example: {fail:#?}",
                r.id
            );
            let (_, pass) = lint_text("pass.yaml", &example_manifest(r.pass_example));
            assert!(
                !pass.iter().any(|f| f.rule == r.id),
                "{} flags its passing example: {pass:#?}",
                r.id
            );
            for f in fail.iter().filter(|f| f.rule == r.id) {
                assert_eq!(f.severity, r.severity);
                assert!(f.line >= 1 && f.column >= 1);
                assert!(!f.message.is_empty() && !f.hint.is_empty());
            }
        }
    }

    #[test]
    fn registry_is_in_id_order() {
        let ids: Vec<&str> = registry().iter().map(|r| r.id).collect();
        let mut sorted = ids.clone();
        sorted.sort();
        assert_eq!(ids, sorted);
    }
}
