//! How `check` shows its report: a table per mapping, the findings, who holds system:masters and who can
//! edit aws-auth; JSON for scripts; the `--arn` explanation.

use super::render::{findings_text, summary_text};
use crate::core::check::{Explanation, Facts, IamStatus, Reached, Report};
use crate::core::lint;

fn iam_line(facts: &Facts) -> String {
    match (&facts.iam, &facts.account) {
        (Some(_), Some(a)) => format!("IAM: read in account {} ({})", a.id, a.partition),
        (None, Some(a)) => format!(
            "IAM: not read ({}); cluster account {}",
            facts.iam_unavailable.as_deref().unwrap_or("not asked"),
            a.id
        ),
        _ => format!(
            "IAM: not read ({})",
            facts.iam_unavailable.as_deref().unwrap_or("not asked")
        ),
    }
}

fn rbac_line(facts: &Facts) -> String {
    match &facts.rbac {
        Some(r) => format!(
            "RBAC: {} roles, {} bindings",
            r.roles.len(),
            r.bindings.len()
        ),
        None => format!(
            "RBAC: not read ({})",
            facts.rbac_unavailable.as_deref().unwrap_or("not asked")
        ),
    }
}

/// The table, the findings, the two who-lists and the summary.
pub fn check_text(source: &str, report: &Report, facts: &Facts) -> String {
    use comfy_table::{Table, presets};
    let mut out = format!("{}\n{}\n\n", iam_line(facts), rbac_line(facts));
    let mut table = Table::new();
    table.load_preset(presets::NOTHING);
    table.set_header(["LINE", "ARN", "USERNAME", "GROUPS", "IAM", "RBAC"]);
    for m in &report.mappings {
        table.add_row([
            m.line.to_string(),
            m.arn.clone(),
            m.username.clone(),
            m.groups.join(","),
            m.iam.label(),
            m.rbac
                .as_ref()
                .map_or("not checked".to_string(), |r| r.label()),
        ]);
    }
    if report.mappings.is_empty() {
        out.push_str("no role or user mappings\n");
    } else {
        out.push_str(&trim(&table.to_string()));
    }
    if !report.system_masters.is_empty() {
        out.push_str("\nsystem:masters (unrestricted, RBAC cannot limit it):\n");
        for arn in &report.system_masters {
            out.push_str(&format!("  {arn}\n"));
        }
    }
    if facts.rbac.is_some() {
        out.push_str(&format!(
            "\ncan update or patch {}/{} (and so make anyone admin), besides system:masters:\n",
            facts.namespace, facts.name
        ));
        if report.aws_auth_editors.is_empty() {
            out.push_str("  nobody\n");
        }
        for e in &report.aws_auth_editors {
            out.push_str(&format!(
                "  {} ({}) through {}\n",
                e.subject,
                e.verbs.join(", "),
                e.binding
            ));
        }
    }
    out.push('\n');
    out.push_str(&findings_text(source, &report.findings));
    out.push_str(&summary_text(1, lint::summarize(&report.findings)));
    out
}

fn trim(s: &str) -> String {
    let mut out: String = s.lines().map(str::trim_end).collect::<Vec<_>>().join("\n");
    out.push('\n');
    out
}

/// The whole report as JSON (docs/output.md).
pub fn check_json(source: &str, report: &Report, facts: &Facts) -> String {
    let doc = serde_json::json!({
        "source": source,
        "iam": {
            "checked": facts.iam.is_some(),
            "account": facts.account,
            "reason": facts.iam_unavailable,
        },
        "rbac": {
            "checked": facts.rbac.is_some(),
            "reason": facts.rbac_unavailable,
        },
        "mappings": report.mappings,
        "system_masters": report.system_masters,
        "aws_auth_editors": report.aws_auth_editors,
        "findings": report.findings,
        "summary": lint::summarize(&report.findings),
    });
    let mut s = serde_json::to_string_pretty(&doc).expect("json");
    s.push('\n');
    s
}

fn reached_lines(out: &mut String, r: &Reached, via: &str) {
    let scope = match &r.namespace {
        Some(ns) => format!("in namespace {ns}"),
        None => "cluster-wide".to_string(),
    };
    if !r.role_exists {
        out.push_str(&format!(
            "  {via} -> {} {scope} through {}: the role does not exist, so it grants nothing\n",
            r.role, r.binding
        ));
        return;
    }
    out.push_str(&format!(
        "  {via} -> {} {scope} through {}\n",
        r.role, r.binding
    ));
    for rule in &r.rules {
        out.push_str(&format!("      {rule}\n"));
    }
}

/// `check --arn`: the path from the ARN to what it may do.
pub fn explanation_text(source: &str, e: &Explanation, facts: &Facts) -> String {
    let mut out = format!("principal:  {}\n", e.arn);
    if e.canonical != e.arn {
        out.push_str(&format!("matched as: {}\n", e.canonical));
    }
    if let Some(d) = &e.eks {
        out.push_str(&match &d.access_entry {
            Some(a) => {
                let policies: Vec<String> = a.access_policies.iter().map(|p| p.label()).collect();
                format!(
                    "EKS:        the access entry of `{}` decides (mode {}): type {}, username `{}`, groups {}, policies {}; aws-auth below is not used\n",
                    a.principal_arn,
                    d.mode,
                    a.kind,
                    a.username,
                    if a.kubernetes_groups.is_empty() { "(none)".to_string() } else { a.kubernetes_groups.join(", ") },
                    if policies.is_empty() { "(none)".to_string() } else { policies.join(", ") },
                )
            }
            None if d.decided_by == "nobody" => format!(
                "EKS:        no access entry, and mode {} does not read aws-auth: EKS answers 401 Unauthorized\n",
                d.mode
            ),
            None => format!("EKS:        no access entry (mode {}): aws-auth decides\n", d.mode),
        });
    }
    let Some(m) = &e.mapping else {
        if e.account_wide {
            out.push_str(&format!(
                "mapping:    its account is in mapAccounts: username `{}`, no groups\n",
                e.canonical
            ));
        } else {
            out.push_str(&format!(
                "mapping:    none in {source}: the authenticator answers 401 Unauthorized\n"
            ));
        }
        if !e.near_misses.is_empty() {
            out.push_str("close, but not matching (the ARN must be the path-less role or the exact user ARN):\n");
            for n in &e.near_misses {
                out.push_str(&format!("  {n}\n"));
            }
        }
        return out;
    };
    out.push_str(&format!(
        "mapping:    {} entry at line {} of {source}\nusername:   {}\ngroups:     {}\n",
        m.list,
        m.line,
        if m.username.is_empty() {
            "(empty)"
        } else {
            &m.username
        },
        if m.groups.is_empty() {
            "(none)".to_string()
        } else {
            m.groups.join(", ")
        }
    ));
    let iam = match &m.iam {
        IamStatus::Exists { arn, id, created } => format!(
            "exists: {arn} (ID {id}{})",
            created
                .map(|c| format!(", created {c}"))
                .unwrap_or_default()
        ),
        IamStatus::NotChecked { reason } => format!("not checked ({reason})"),
        other => other.label(),
    };
    out.push_str(&format!("IAM:        {iam}\n"));
    match &m.rbac {
        None => out.push_str(&format!(
            "RBAC:       not checked ({})\n",
            facts.rbac_unavailable.as_deref().unwrap_or("not read")
        )),
        Some(r) => {
            out.push_str("RBAC:\n");
            if r.superuser {
                out.push_str(
                    "  group system:masters -> everything (the API server's superuser group; RBAC is not consulted)\n",
                );
            }
            for x in &r.roles {
                reached_lines(&mut out, x, &x.via.to_string());
            }
            for g in &r.unbound_groups {
                out.push_str(&format!("  group {g} -> nothing (no binding names it)\n"));
            }
            for x in &e.everyone {
                reached_lines(&mut out, x, "every authenticated caller");
            }
            if r.roles.is_empty() && !r.superuser && e.everyone.is_empty() {
                out.push_str("  nothing: callers get 403 Forbidden for every request\n");
            }
            if r.can_edit_aws_auth {
                out.push_str(&format!(
                    "  can update or patch {}/{}: it can make itself system:masters\n",
                    facts.namespace, facts.name
                ));
            }
        }
    }
    if !e.findings.is_empty() {
        out.push('\n');
        out.push_str(&findings_text(source, &e.findings));
    }
    out
}
