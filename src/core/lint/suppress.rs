//! Suppressing findings: by rule (`validate --ignore IM023`) or in the manifest, with a comment on the
//! finding's line or the line before it: `# iamidmap:ignore IM023 IM033 the reason`. A suppressed finding
//! A comment alone on its line covers the next line; a comment after text covers its own line. It
//! is not reported and does not fail the run, but SARIF carries it with its suppression, so code scanning
//! shows what was waived and why.

use super::Finding;
use std::collections::BTreeMap;

/// How a finding was suppressed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Suppression {
    /// `--ignore RULE` on the command line.
    Flag,
    /// `ignore:` in the repository's settings file (`.iamidmap.yaml`), named as found.
    Config { file: String },
    /// A `# iamidmap:ignore` comment covering this line, with the text after the rule IDs.
    Comment { line: usize, justification: String },
    /// Already in the baseline file given with `--baseline`.
    Baseline,
}

/// What identifies a finding across edits of its file: the file, the rule and the message without its
/// numbers (line numbers and positions inside messages move when text is added above).
pub fn fingerprint(file: &str, f: &Finding) -> String {
    format!("{file}\u{1f}{}\u{1f}{}", f.rule, strip_numbers(&f.message))
}

/// A message with each run of digits replaced by `#`, so that moving text does not make it new.
pub fn strip_numbers(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut last_digit = false;
    for c in message.chars() {
        if c.is_ascii_digit() {
            if !last_digit {
                out.push('#');
            }
            last_digit = true;
        } else {
            out.push(c);
            last_digit = false;
        }
    }
    out
}

/// Move the findings a baseline already holds (each fingerprint as many times as it is listed) from
/// `kept` to `suppressed`.
pub fn apply_baseline(
    file: &str,
    kept: Vec<Finding>,
    baseline: &mut BTreeMap<String, usize>,
    suppressed: &mut Vec<(Finding, Suppression)>,
) -> Vec<Finding> {
    let mut out = vec![];
    for f in kept {
        match baseline.get_mut(&fingerprint(file, &f)) {
            Some(n) if *n > 0 => {
                *n -= 1;
                suppressed.push((f, Suppression::Baseline));
            }
            _ => out.push(f),
        }
    }
    out
}

const MARKER: &str = "iamidmap:ignore";

/// The rules each comment suppresses and its justification, by the line it covers (1-based): the next line
/// for a comment alone on its line, its own line for a comment after text.
pub fn comments(text: &str) -> BTreeMap<usize, Vec<(Vec<String>, String)>> {
    let mut out = BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        let Some(hash) = line.find('#') else { continue };
        let comment = line[hash + 1..].trim_start();
        let Some(rest) = comment.strip_prefix(MARKER) else {
            continue;
        };
        let mut rules = vec![];
        let mut words = rest.split_whitespace().peekable();
        while let Some(w) = words.peek() {
            let id = w.trim_end_matches(',');
            if is_rule_id(id) {
                rules.push(id.to_string());
                words.next();
            } else {
                break;
            }
        }
        if !rules.is_empty() {
            let alone = line[..hash].trim().is_empty();
            let covers = if alone { i + 2 } else { i + 1 };
            out.entry(covers)
                .or_insert_with(Vec::new)
                .push((rules, words.collect::<Vec<_>>().join(" ")));
        }
    }
    out
}

/// `IM` and three digits.
pub fn is_rule_id(s: &str) -> bool {
    s.len() == 5 && s.starts_with("IM") && s[2..].bytes().all(|b| b.is_ascii_digit())
}

/// Split findings into those to report and those suppressed, by ignored rules (`--ignore`, the settings
/// file: each with how) and by the comments of `text` (the manifest the findings are about).
pub fn split(
    findings: Vec<Finding>,
    ignored: &[(String, Suppression)],
    text: &str,
) -> (Vec<Finding>, Vec<(Finding, Suppression)>) {
    let comments = comments(text);
    let mut kept = vec![];
    let mut suppressed = vec![];
    for f in findings {
        if let Some((_, how)) = ignored.iter().find(|(r, _)| r == f.rule) {
            suppressed.push((f, how.clone()));
            continue;
        }
        let by_comment = comments.get(&f.line).and_then(|all| {
            all.iter()
                .find(|(rules, _)| rules.iter().any(|r| r == f.rule))
                .map(|(_, why)| (f.line, why.clone()))
        });
        match by_comment {
            Some((line, justification)) => suppressed.push((
                f,
                Suppression::Comment {
                    line,
                    justification,
                },
            )),
            None => kept.push(f),
        }
    }
    (kept, suppressed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::lint::Severity;

    fn finding(rule: &'static str, line: usize) -> Finding {
        Finding {
            rule,
            severity: Severity::Error,
            message: String::new(),
            hint: String::new(),
            line,
            column: 1,
        }
    }

    #[test]
    fn comments_on_the_line_or_the_line_before_suppress_their_rules_only() {
        let text = "a: 1\n# iamidmap:ignore IM023, IM033 merged next quarter (JIRA-1)\nb: 2 # iamidmap:ignore IM016\nc: 3\n";
        let (kept, suppressed) = split(
            vec![
                finding("IM023", 3),
                finding("IM033", 2),
                finding("IM016", 3),
                finding("IM016", 4),
                finding("IM025", 3),
                finding("IM023", 4),
            ],
            &[],
            text,
        );
        let kept: Vec<(&str, usize)> = kept.iter().map(|f| (f.rule, f.line)).collect();
        // Line 2's comment covers line 3; line 3's trailing comment covers line 3 only.
        assert_eq!(
            kept,
            [("IM033", 2), ("IM016", 4), ("IM025", 3), ("IM023", 4)]
        );
        assert_eq!(suppressed.len(), 2);
        assert_eq!(
            suppressed[0].1,
            Suppression::Comment {
                line: 3,
                justification: "merged next quarter (JIRA-1)".into()
            }
        );
    }

    #[test]
    fn a_baseline_holds_findings_by_fingerprint_and_count() {
        let mut moved = finding("IM023", 7);
        moved.message = "`x` is mapped again at line 12".into();
        let mut base: BTreeMap<String, usize> = BTreeMap::new();
        let mut old = moved.clone();
        old.line = 3;
        old.message = "`x` is mapped again at line 8".into();
        *base.entry(fingerprint("a.yaml", &old)).or_default() += 1;
        let mut suppressed = vec![];
        // The same finding, moved down by an edit, is known; a second one like it and any other are new.
        let kept = apply_baseline(
            "a.yaml",
            vec![moved.clone(), moved.clone(), finding("IM016", 1)],
            &mut base,
            &mut suppressed,
        );
        assert_eq!(suppressed.len(), 1);
        assert_eq!(suppressed[0].1, Suppression::Baseline);
        assert_eq!(kept.len(), 2);
        // Another file's baseline entry does not count.
        let mut base: BTreeMap<String, usize> = [(fingerprint("b.yaml", &old), 1)].into();
        let kept = apply_baseline("a.yaml", vec![moved], &mut base, &mut suppressed);
        assert_eq!(kept.len(), 1);
    }

    #[test]
    fn ignored_rules_are_suppressed_everywhere() {
        let (kept, suppressed) = split(
            vec![finding("IM033", 1), finding("IM025", 9)],
            &[("IM033".to_string(), Suppression::Flag)],
            "",
        );
        assert_eq!(kept.len(), 1);
        assert_eq!(suppressed[0].1, Suppression::Flag);
        assert!(is_rule_id("IM060") && !is_rule_id("IM6") && !is_rule_id("XX123"));
    }
}
