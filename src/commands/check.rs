//! `iamidmap check`: every mapping against IAM (does the principal exist, is it what the entry says) and
//! RBAC (what do its username and groups reach); `--arn` explains one principal end to end. Also the
//! checks `create` makes before it writes.

use super::live;
use super::session::Session;
use crate::adapters::iam::IamOptions;
use crate::cli::diagnostics::{EXIT_FINDINGS, EXIT_OK, Failure, Reporter};
use crate::cli::{CheckArgs, CheckFormat, check_render, render};
use crate::core::check::iam::Account;
use crate::core::check::rbac::{self, Rbac};
use crate::core::check::{self, Facts};
use crate::core::document::AuthDocument;
use crate::core::lint::Severity;
use anyhow::Result;
use k8s_openapi::api::core::v1::ConfigMap;
use std::collections::BTreeMap;

pub fn check(args: CheckArgs, s: &Session<'_>) -> Result<i32> {
    let (cluster, out) = (s.args, s.out);
    if let Some(id) = &args.cluster_account
        && !crate::core::arn::is_account_id(id)
    {
        return Err(Failure::error(
            format!("--cluster-account `{id}` is not an AWS account ID"),
            Some("an account ID is exactly 12 digits".to_string()),
        )
        .into());
    }
    let settings = super::lint_settings::load(args.config.as_deref(), args.no_config, out)?;
    let mut facts = Facts {
        namespace: cluster.namespace.clone(),
        name: cluster.name.clone(),
        ..Facts::default()
    };
    // The document, and in live mode the cluster (for RBAC) and the object (for write times).
    // One runtime for the cluster and IAM.
    let rt = s.rt()?;
    let (doc, connected) = match &args.source.file {
        Some(path) => (super::load(path, cluster.kind)?.1, None),
        None => {
            let mut cluster_conn = s.connect()?;
            let (cm, doc) = live::fetch(cluster, rt, &mut cluster_conn, out)?;
            facts.access = live::access_for(s, &cluster_conn, &doc)?;
            (doc, Some((cluster_conn, cm)))
        }
    };
    // The object the mappings are in (aws-auth, or the authenticator's ConfigMap): who may edit it.
    if let Some(name) = doc
        .facts
        .name
        .as_ref()
        .filter(|_| doc.facts.kind.as_deref() == Some("ConfigMap"))
    {
        facts.name = name.clone();
    }
    rbac_facts(&args, s, connected.as_ref().map(|(c, _)| c), &mut facts)?;
    iam_facts(&args, s, &doc, &mut facts)?;
    // When were the entries written, at the latest?
    if let Some((conn, cm)) = &connected {
        // Only this cluster's backups count (another cluster's context may have the same name).
        let backups = live::cluster_backups(s, conn)
            .map(|(_, _, b)| b)
            .unwrap_or_else(|e| {
                out.warn(&format!("backups not consulted: {e:#}"));
                vec![]
            });
        facts.written_by = written_by(&doc, cm.as_ref(), &backups);
    }
    let threshold = settings.threshold(args.fail_on);
    let effective = settings.for_input(args.source.file.as_deref());
    let ignored = settings.ignored(&effective, &[]);
    // The settings' severities and ignored rules (comments in the manifest do not apply: these findings
    // are about IAM and RBAC, not a line of the file).
    let settle = |findings: &mut Vec<crate::core::lint::Finding>| {
        effective.apply_severity(findings);
        let before = findings.len();
        findings.retain(|f| !ignored.iter().any(|(r, _)| r == f.rule));
        if findings.len() < before {
            out.note(&format!(
                "{} finding{} of rules the lint settings ignore not shown",
                before - findings.len(),
                if before - findings.len() == 1 {
                    ""
                } else {
                    "s"
                }
            ));
        }
    };
    if let Some(arn) = &args.arn {
        return explain(&doc, &facts, arn, &args, threshold, settle);
    }
    let mut report = check::check(&doc, &facts);
    settle(&mut report.findings);
    let results = vec![(doc.source_name.clone(), report.findings.clone())];
    let text = match args.output {
        CheckFormat::Table => {
            render::terminal_safe(&check_render::check_text(&doc.source_name, &report, &facts))
                .into_owned()
        }
        CheckFormat::Json => check_render::check_json(&doc.source_name, &report, &facts),
        CheckFormat::Sarif => render::findings_sarif(&results),
        CheckFormat::Github => render::findings_github(&results),
    };
    print!("{text}");
    let failed = report.findings.iter().any(|f| f.severity >= threshold);
    Ok(if failed { EXIT_FINDINGS } else { EXIT_OK })
}

/// What RBAC grants: from `--rbac-from` manifests (over the built-in roles), else from the cluster, else
/// not known (and why).
fn rbac_facts(
    args: &CheckArgs,
    s: &Session<'_>,
    connected: Option<&crate::adapters::kube::Cluster>,
    facts: &mut Facts,
) -> Result<()> {
    let (rt, out) = (s.rt()?, s.out);
    if args.skip_rbac {
        facts.rbac_unavailable = Some("--skip-rbac".into());
    } else if !args.rbac_from.is_empty() {
        // What every cluster has (cluster-admin, view, edit, admin, the system: roles and the bindings
        // for nodes), then the manifests, which may replace any of it.
        let mut r = Rbac::builtin();
        for path in &args.rbac_from {
            let input = crate::adapters::fs::read_input(path)?;
            r.add_manifests(&input.name, &input.text).map_err(|e| {
                Failure::error(
                    format!("cannot read RBAC manifests: {e}"),
                    Some("give files of Roles, ClusterRoles and bindings, as `kubectl get roles,clusterroles,rolebindings,clusterrolebindings -A -o yaml` writes them".to_string()),
                )
            })?;
        }
        facts.rbac = Some(r);
    } else if let Some(conn) = connected {
        match rt.block_on(conn.rbac_objects(false)) {
            Ok(objects) => {
                let mut r = Rbac::default();
                for o in &objects {
                    r.add_object(o).map_err(|e| {
                        Failure::error(
                            format!(
                                "the cluster returned an RBAC object iamidmap cannot read: {e}"
                            ),
                            None,
                        )
                    })?;
                }
                out.debug(&format!(
                    "read {} roles and {} bindings",
                    r.roles.len(),
                    r.bindings.len()
                ));
                facts.rbac = Some(r);
            }
            Err(e) => {
                out.warn(&format!("RBAC not checked: {e}; `kubectl auth can-i list clusterrolebindings` tells whether you may read it, or pass --skip-rbac"));
                facts.rbac_unavailable = Some(e.to_string());
            }
        }
    } else {
        facts.rbac_unavailable = Some(
            "a file was given without --rbac-from (RBAC needs the cluster or its manifests)".into(),
        );
        out.note("RBAC not checked: pass --rbac-from FILE (RBAC manifests) to check it offline");
    }
    Ok(())
}

/// Which principals exist in IAM, in the cluster's account (`--cluster-account`, else the credentials').
fn iam_facts(
    args: &CheckArgs,
    s: &Session<'_>,
    doc: &AuthDocument,
    facts: &mut Facts,
) -> Result<()> {
    let (rt, out) = (s.rt()?, s.out);
    facts.account = args.cluster_account.as_ref().map(|id| Account {
        partition: partition_of(doc),
        id: id.clone(),
    });
    if args.skip_iam {
        facts.iam_unavailable = Some("--skip-iam".into());
    } else {
        let options = IamOptions {
            concurrency: args.concurrency.max(1),
            ..IamOptions::default()
        };
        match s.iam(options)? {
            Ok(iam) => {
                out.debug(&format!(
                    "IAM is read in account {} ({})",
                    iam.account.id, iam.account.partition
                ));
                let account = facts.account.clone().unwrap_or_else(|| iam.account.clone());
                if account != iam.account {
                    out.warn(&format!(
                        "the AWS credentials are in account {}, the cluster's is {}: IAM can only be read with credentials of the cluster's account",
                        iam.account.id, account.id
                    ));
                }
                let mut queries = check::queries(doc, &account);
                // The principals of the access entries too (IM064: gone, or recreated since).
                if let Some(access) = &facts.access {
                    queries.extend(check::access_queries(access, &account));
                    queries.sort();
                    queries.dedup();
                }
                let bar = crate::cli::progress::bar(queries.len() as u64, "IAM lookups", out);
                let answers = rt.block_on(iam.lookup_all(&queries, &bar));
                bar.finish_and_clear();
                facts.account = Some(account);
                facts.iam = Some(answers);
            }
            Err(reason) => {
                out.warn(&format!(
                    "IAM not checked: {reason}; set AWS credentials of the cluster's account (--profile, --region), or pass --skip-iam"
                ));
                facts.iam_unavailable = Some(reason);
            }
        }
    }
    Ok(())
}

fn explain(
    doc: &AuthDocument,
    facts: &Facts,
    arn: &str,
    args: &CheckArgs,
    threshold: Severity,
    settle: impl Fn(&mut Vec<crate::core::lint::Finding>),
) -> Result<i32> {
    let mut e = check::explain(doc, facts, arn).map_err(|e| {
        Failure::error(
            format!("--arn: {e}"),
            Some("pass the ARN `aws sts get-caller-identity` shows".to_string()),
        )
    })?;
    settle(&mut e.findings);
    match args.output {
        CheckFormat::Json => println!("{}", serde_json::to_string_pretty(&e).unwrap_or_default()),
        _ => print!(
            "{}",
            render::terminal_safe(&check_render::explanation_text(&doc.source_name, &e, facts))
        ),
    }
    let mapped = e.authenticates();
    let failed = e.findings.iter().any(|f| f.severity >= threshold);
    Ok(if mapped && !failed {
        EXIT_OK
    } else {
        EXIT_FINDINGS
    })
}

/// The partition most entries are in (for `--cluster-account`), `aws` when none says.
fn partition_of(doc: &AuthDocument) -> String {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for e in doc.roles.entries.iter().chain(&doc.users.entries) {
        if let Ok(p) = crate::core::arn::parse(&e.arn) {
            *counts.entry(p.partition.to_string()).or_default() += 1;
        }
    }
    counts
        .into_iter()
        .max_by_key(|(_, n)| *n)
        .map_or("aws".into(), |(p, _)| p)
}

/// For each entry, a time by which it had certainly been written: the ConfigMap's last write (its newest
/// `managedFields` time), or earlier, the oldest backup that already holds its ARN.
fn written_by(
    doc: &AuthDocument,
    cm: Option<&ConfigMap>,
    backups: &[crate::adapters::backup::Found],
) -> BTreeMap<String, jiff::Timestamp> {
    let mut out = BTreeMap::new();
    let arns: Vec<String> = doc
        .roles
        .entries
        .iter()
        .chain(&doc.users.entries)
        .filter(|e| !e.arn.is_empty())
        .map(|e| e.arn.to_lowercase())
        .collect();
    let last_write = cm
        .and_then(|c| c.metadata.managed_fields.as_ref())
        .into_iter()
        .flatten()
        .filter_map(|m| m.time.as_ref())
        .filter_map(|t| t.0.to_string().parse::<jiff::Timestamp>().ok())
        .max();
    if let Some(t) = last_write {
        for a in &arns {
            out.insert(a.clone(), t);
        }
    }
    for found in backups {
        let time = found.time;
        let Ok(text) = std::fs::read_to_string(&found.path) else {
            continue;
        };
        let text = text.to_lowercase();
        for a in &arns {
            if text.contains(a.as_str()) {
                out.entry(a.clone())
                    .and_modify(|t: &mut jiff::Timestamp| *t = (*t).min(time))
                    .or_insert(time);
            }
        }
    }
    out
}

/// What `create`'s checks found: problems (warnings, refusals with `--strict`) and checks that could
/// not run (notes, refusals with `--strict`).
#[derive(Debug, Default)]
pub struct CreateFindings {
    problems: Vec<String>,
    unknown: Vec<String>,
}

/// `create`'s IAM check: does the principal exist? (Before anything is written; nothing without
/// credentials of the principal's account, or with `--skip-iam-check`.)
pub fn create_iam_check(
    entry: &crate::core::document::NewEntry,
    skip_iam: bool,
    s: &Session<'_>,
) -> Result<CreateFindings> {
    let out = s.out;
    let mut found = CreateFindings::default();
    if skip_iam {
        out.debug("IAM not checked: --skip-iam-check");
        return Ok(found);
    }
    let rt = s.rt()?;
    let quick = IamOptions {
        attempts: 2,
        concurrency: 1,
        timeout: std::time::Duration::from_secs(15),
        ..IamOptions::default()
    };
    let iam = match s.iam(quick)? {
        Ok(iam) => iam,
        Err(reason) => {
            found.unknown.push(format!("IAM not checked: {reason}"));
            return Ok(found);
        }
    };
    let probe = format!(
        "- rolearn: {}\n",
        serde_json::to_string(&entry.arn).unwrap_or_default()
    );
    let parsed = crate::core::mapping::parse_list(&probe, crate::core::mapping::ListKind::Roles);
    match parsed
        .entries
        .first()
        .map(|e| check::iam::query(e, &iam.account))
    {
        Some(Ok((q, _))) => match rt.block_on(iam.lookup(&q)) {
            check::iam::Lookup::Missing => found.problems.push(format!(
                "{} `{}` does not exist in IAM (account {}): nobody can use this mapping until it is created, and whoever creates it gets this access",
                q.kind(),
                q.name(),
                iam.account.id
            )),
            check::iam::Lookup::Failed(reason) => {
                found.unknown.push(format!("IAM lookup failed: {reason}"))
            }
            check::iam::Lookup::Found(p) => {
                out.debug(&format!("IAM: `{}` exists (ID {})", p.arn, p.id))
            }
        },
        Some(Err(check::iam::Skip::OtherAccount { account, .. })) => out.note(&format!(
            "`{}` is in account {account}, not {} of your AWS credentials; IAM not checked",
            entry.arn, iam.account.id
        )),
        _ => {}
    }
    Ok(found)
}

/// `create`'s RBAC check on the connected cluster: does any binding name the username or a group?
/// Groups the API server authorizes without RBAC (`system:masters`, `system:nodes`) need none.
pub fn create_rbac_check(
    rt: &tokio::runtime::Runtime,
    conn: &crate::adapters::kube::Cluster,
    entry: &crate::core::document::NewEntry,
    found: &mut CreateFindings,
) {
    let groups = &entry.groups;
    if groups
        .iter()
        .any(|g| rbac::AUTHORIZER_GROUPS.contains(&g.as_str()))
    {
        return;
    }
    match rt.block_on(conn.rbac_objects(true)) {
        Ok(objects) => {
            let mut r = Rbac::default();
            for o in &objects {
                let _ = r.add_object(o);
            }
            let username = entry.username.as_deref();
            let user_bound = username.is_some_and(|u| !r.reach(u, &[], false).is_empty());
            if !user_bound && !groups.iter().any(|g| r.group_bound(g)) {
                found.problems.push(format!(
                    "no RoleBinding or ClusterRoleBinding names {}: the mapping authenticates but grants nothing",
                    if groups.is_empty() {
                        format!("the username `{}`", username.unwrap_or(""))
                    } else {
                        format!("any of its groups ({})", groups.join(", "))
                    }
                ));
            }
        }
        Err(e) => found.unknown.push(format!("RBAC not checked: {e}")),
    }
}

/// Warnings and notes, or with `--strict` a refusal (exit 3) when anything was found or not checked.
pub fn create_verdict(found: &CreateFindings, strict: bool, out: Reporter) -> Result<()> {
    if strict && !(found.problems.is_empty() && found.unknown.is_empty()) {
        let all: Vec<String> = found
            .problems
            .iter()
            .chain(&found.unknown)
            .map(|p| format!("  {p}"))
            .collect();
        return Err(Failure::refused(
            format!("refused by --strict:\n{}", all.join("\n")),
            Some("nothing was written. Create the principal or the binding first, or drop --strict (--skip-iam-check skips the IAM lookup)".to_string()),
        )
        .into());
    }
    for p in &found.problems {
        out.warn(p);
    }
    for u in &found.unknown {
        out.note(&format!("{u} (--skip-iam-check skips the lookup)"));
    }
    Ok(())
}
