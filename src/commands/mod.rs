//! One file per subcommand: fetch -> core -> adapters -> render. Each returns the exit code.

mod backup;
mod check;
mod create;
mod delete;
mod diff;
mod docs;
mod doctor;
mod get;
mod identity;
mod lint_settings;
mod live;
mod migrate;
mod repair;
mod restore;
mod session;
mod token;
mod validate;
mod verify;
mod write;

use crate::adapters::fs;
use crate::cli::diagnostics::{Failure, Reporter};
use crate::cli::{Cli, Command, Source};
use crate::core::document::AuthDocument;
use crate::core::mapping::{DataKey, Entry};
use anyhow::Result;
use std::path::PathBuf;

pub use docs::{man_pages, render_docs};

pub fn dispatch(cli: Cli) -> Result<i32> {
    let Cli {
        command,
        quiet,
        verbose,
        no_color,
        mut cluster,
        unused_flags,
    } = cli;
    cluster.verbose = verbose;
    if no_color {
        crate::cli::style::disable();
    }
    if cluster.kind == Some(crate::cli::Kind::AuthenticatorConfig) && cluster.name == "aws-auth" {
        cluster.name = crate::core::document::AUTHENTICATOR_CONFIGMAP.to_string();
    }
    let out = Reporter { quiet, verbose };
    let s = &session::Session::new(&cluster, out);
    if let Some(warning) = &unused_flags {
        out.warn(warning);
    }
    match command {
        Command::Get(args) => get::get(args, s),
        Command::Create(args) => create::create(args, s),
        Command::Delete(args) => delete::delete(args, s),
        Command::Validate(args) => validate::validate(args, s),
        Command::Diff(args) => diff::diff(args, s, no_color),
        Command::Backup(args) => backup::backup(args, s),
        Command::Repair(args) => repair::repair(args, s),
        Command::Restore(args) => restore::restore(args, s),
        Command::Check(args) => check::check(args, s),
        Command::Doctor(args) => doctor::doctor(args, s),
        Command::Verify(args) => verify::verify(args, s),
        Command::Token(args) => token::token(args, s),
        Command::Migrate(args) => migrate::migrate(args, s),
        Command::Completions(args) => docs::completions(args),
        Command::GenerateDocs(args) => docs::generate_docs(args),
    }
}

/// Apply edits one after the other, re-reading in between (positions stay valid: plans that remove
/// several entries come last first).
fn apply_all(
    mut doc: AuthDocument,
    plans: &[crate::core::document::EditPlan],
    out: Reporter,
) -> Result<AuthDocument> {
    for plan in plans {
        let outcome = doc
            .apply(plan)
            .map_err(|e| Failure::error(e.to_string(), None))?;
        for note in &outcome.notes {
            out.note(note);
        }
        doc = doc
            .reparse(outcome.text)
            .map_err(|e| Failure::error(e.to_string(), None))?;
    }
    Ok(doc)
}

/// Where an entry is, for messages: its line in a file, its position in a live ConfigMap.
fn place(doc: &AuthDocument, e: &Entry) -> String {
    if doc.source_name.starts_with("configmap ") {
        format!("entry #{} of `{}`", e.index + 1, e.list.data_key().as_str())
    } else {
        format!("line {}", doc.entry_location(e).line)
    }
}

/// Run the lockout guard on a change: refuses (exit 3) what would lock anyone out unless `--force`, shows
/// who gains access, and asks for `--allow-cross-account-admin` before making a principal of another
/// AWS account a cluster admin without a prompt. Returns whether the guard was overruled (`--force`).
fn guard(
    change: &crate::core::guard::Change<'_>,
    write: &crate::cli::WriteOptions,
    out: Reporter,
) -> Result<bool> {
    use crate::core::guard::{self, Intent};
    let verdict = guard::judge(change);
    for note in &verdict.notes {
        if verdict.pointless {
            out.warn(note);
        } else {
            out.note(note);
        }
    }
    let intended = |p: &str| match &change.intent {
        Intent::Principals(ps) => ps
            .iter()
            .any(|i| crate::core::gostr::fold_key(i) == crate::core::gostr::fold_key(p)),
        Intent::Nothing | Intent::Everything => false,
    };
    let shown: Vec<String> = verdict
        .gains
        .iter()
        .filter(|g| !intended(&g.principal) || g.cross_account_admin)
        .map(|g| format!("  {g}"))
        .collect();
    if !shown.is_empty() {
        out.note(&format!(
            "with this change, {} gain{} access:\n{}",
            if shown.len() == 1 {
                "one principal"
            } else {
                "these principals"
            },
            if shown.len() == 1 { "s" } else { "" },
            shown.join("\n")
        ));
    }
    let mut forced = false;
    if !verdict.violations.is_empty() {
        let list: Vec<String> = verdict
            .violations
            .iter()
            .map(|v| format!("  {v}"))
            .collect();
        if !write.force {
            return Err(Failure::refused(
                format!(
                    "refused by the lockout guard ({} problem{}):\n{}",
                    verdict.violations.len(),
                    if verdict.violations.len() == 1 {
                        ""
                    } else {
                        "s"
                    },
                    list.join("\n")
                ),
                Some(refusal_hint(&verdict.violations)),
            )
            .into());
        }
        out.warn(&format!(
            "--force: writing although the lockout guard refuses:\n{}",
            list.join("\n")
        ));
        forced = true;
    }
    let foreign: Vec<&guard::Gain> = verdict.cross_account_admins().collect();
    if !foreign.is_empty() {
        let who: Vec<String> = foreign
            .iter()
            .map(|g| format!("`{}`", g.principal))
            .collect();
        let what = format!(
            "this change makes {} cluster admin{} (`system:masters`) from another AWS account than the cluster's own",
            who.join(", "),
            if who.len() == 1 { "" } else { "s" }
        );
        if write.yes && !write.allow_cross_account_admin {
            return Err(Failure::refused(
                format!("{what}; nobody is asked with --yes, so it needs an explicit acknowledgement"),
                Some("check the ARN and the account; if it is intended, add --allow-cross-account-admin".to_string()),
            )
            .into());
        }
        out.warn(&what);
    }
    Ok(forced)
}

/// What to do about a refusal: name yourself when the guard does not know who you are; otherwise
/// `--force`, which is recorded.
fn refusal_hint(violations: &[crate::core::guard::Violation]) -> String {
    let mut hint = "nothing was written.".to_string();
    if violations.iter().any(|v| v.rule == "caller-unknown") {
        hint.push_str(" Name yourself with --as-arn ARN (the identity the cluster sees: `kubectl auth whoami`), or pass --no-caller-check if your access does not depend on these mappings.");
    }
    if violations.iter().any(|v| v.rule != "caller-unknown") {
        hint.push_str(" If this really is intended, run the command again with --force (it is recorded in the backup).");
    }
    hint
}

/// The `binaryData` bytes of an object (the API server counts them against the same 1 MiB).
fn binary_bytes(cm: Option<&k8s_openapi::api::core::v1::ConfigMap>) -> usize {
    cm.and_then(|c| c.binary_data.as_ref())
        .map_or(0, |b| b.values().map(|v| v.0.len()).sum())
}

/// Apply the edits `plan` returns to a file (`-f`) or to the live ConfigMap, through the lockout guard.
fn edit(
    source: Source,
    s: &session::Session<'_>,
    write_opts: &crate::cli::WriteOptions,
    precheck: Option<live::Precheck<'_>>,
    mut plan: impl FnMut(&AuthDocument) -> Result<Vec<crate::core::document::EditPlan>>,
) -> Result<i32> {
    let (cluster, out) = (s.args, s.out);
    let Some(path) = file_of(source) else {
        return live::edit(s, write_opts, precheck, plan);
    };
    let (input, doc) = load(&path, cluster.kind)?;
    // An AWSIamConfig the Cluster does not reference is ignored by EKS Anywhere: editing it changes nothing.
    if let Some(f) = crate::core::lint::lint_only(&doc, &["IM052"]).first() {
        return Err(Failure::error(
            format!("{}:{}: {}", input.name, f.line, f.message),
            Some(format!("{}; then run the command again", f.hint)),
        )
        .into());
    }
    let plans = plan(&doc)?;
    if plans.is_empty() {
        return Ok(crate::cli::diagnostics::EXIT_OK);
    }
    let new = apply_all(doc.clone(), &plans, out)?;
    let me = identity::for_file(s)?;
    let change = crate::core::guard::Change {
        before: &doc,
        after: &new,
        caller: &me,
        intent: crate::core::guard::intent_of(&doc, &plans),
        binary_bytes: 0,
        access: None,
    };
    if write_opts.dry_run {
        // Show the change, then what the guard thinks of it.
        let code = write::write_file(&input, &new.text, write_opts, out)?;
        guard(&change, write_opts, out)?;
        return Ok(code);
    }
    guard(&change, write_opts, out)?;
    let code = write::write_file(&input, &new.text, write_opts, out)?;
    if code == crate::cli::diagnostics::EXIT_OK
        && let Some(next) = rollout_hint(&new, Some(&input.name))
    {
        out.note(&next);
    }
    Ok(code)
}

/// What makes a written change take effect, for the carriers where writing is not enough: EKS Anywhere
/// rolls out the cluster spec, and aws-iam-authenticator reads its mounted config only when it starts.
fn rollout_hint(doc: &AuthDocument, file: Option<&str>) -> Option<String> {
    use crate::core::document::CarrierKind;
    let c = &doc.facts.carrier;
    let restart = "kubectl -n kube-system rollout restart daemonset/aws-iam-authenticator";
    match (c.kind, file) {
        (CarrierKind::AwsAuth, _) => None,
        (CarrierKind::AwsIamConfig, Some(f)) => Some(
            match c.clusters.iter().find_map(|cl| cl.gitops.as_ref()) {
                Some(flux) => format!(
                    "the cluster is managed with GitOps (gitOpsRef `{flux}`): commit and push {f}, and Flux rolls the AWSIamConfig out"
                ),
                None => format!(
                    "EKS Anywhere applies the AWSIamConfig when the cluster spec is rolled out: run `eksctl anywhere upgrade cluster -f {f}` (or commit and push it if GitOps/Flux manages the cluster)"
                ),
            },
        ),
        (CarrierKind::AwsIamConfig, None) => None,
        (CarrierKind::AuthenticatorConfig, Some(f)) if c.in_configmap => Some(format!(
            "apply it with `kubectl apply -f {f}`, then restart the authenticator, which reads config.yaml only when it starts: `{restart}` (kops: `kops update cluster --yes` if the config comes from the cluster spec)"
        )),
        (CarrierKind::AuthenticatorConfig, Some(_)) => Some(
            "aws-iam-authenticator reads this config only when it starts: restart the server (its pod or service) to apply the change".to_string(),
        ),
        (CarrierKind::AuthenticatorConfig, None) => Some(format!(
            "aws-iam-authenticator reads config.yaml only when it starts: `{restart}` applies the change"
        )),
    }
}

/// The file to work on, if any (`None`: the live cluster).
fn file_of(source: Source) -> Option<PathBuf> {
    source.file
}

/// Read and parse a manifest (as `--kind` says, else detected); errors name the file, the line and the fix.
fn load(
    path: &std::path::Path,
    kind: Option<crate::cli::Kind>,
) -> Result<(fs::Input, AuthDocument)> {
    let input = fs::read_input(path)?;
    let doc = AuthDocument::parse_as(
        &input.name,
        input.text.clone(),
        kind.map(crate::cli::Kind::carrier),
    )
    .map_err(|e| {
        Failure::error(
            e.to_string(),
            Some(format!(
                "`iamidmap validate -f {}` lists every problem",
                input.name
            )),
        )
    })?;
    Ok((input, doc))
}

/// Whether an entry is the one an ARN names, matched like the authenticator (canonical form, any case),
/// or exactly as written.
/// Whether `--arn` selects an entry: as typed, as `create` writes it (role path or SSO path removed,
/// assumed-role session turned into its role), or as the authenticator canonicalizes a caller.
fn arn_matches(entry: &Entry, arn: &str) -> bool {
    if entry.arn.is_empty() {
        return false;
    }
    if entry.arn.eq_ignore_ascii_case(arn.trim()) {
        return true;
    }
    if let Ok(written) = crate::core::arn::normalize_for_write(arn)
        && entry.arn.eq_ignore_ascii_case(&written.arn)
    {
        return true;
    }
    crate::core::arn::canonicalize(arn.trim())
        .map(|(_, canonical)| entry.matched_arn().eq_ignore_ascii_case(&canonical))
        .unwrap_or(false)
}

/// Say how a `--arn` given to `get` or `delete` is also matched, when `create` would have written it
/// otherwise, so that create-then-delete with the same ARN works and the user sees why.
fn note_arn_lookup(arn: &str, out: Reporter) {
    if let Ok(written) = crate::core::arn::normalize_for_write(arn)
        && !written.changes.is_empty()
    {
        let why: Vec<String> = written.changes.iter().map(|c| c.to_string()).collect();
        out.note(&format!(
            "`{}` is also matched as `{}`, as `create` writes it ({})",
            arn.trim(),
            written.arn,
            why.join("; ")
        ));
    }
}

/// Entries of both lists in the order `get` shows them (roles, then users), valid ones only.
fn mapped_entries(doc: &AuthDocument) -> impl Iterator<Item = &Entry> {
    doc.valid_entries()
}

/// Tell the user, once, that the document has entries the authenticator drops.
fn warn_dropped(doc: &AuthDocument, out: Reporter) {
    let kind = doc.facts.carrier.kind;
    if !doc.facts.duplicate_keys.is_empty() {
        let mut keys: Vec<String> = doc
            .facts
            .duplicate_keys
            .iter()
            .map(|(k, _)| format!("`{k}`"))
            .collect();
        keys.dedup();
        out.warn(&format!(
            "{} {} written twice in {}: kubectl and the API server refuse this file (\"key already set in map\"), and tools that accept it keep only the last one, which is what is shown (`iamidmap validate -f {}` shows where)",
            keys.join(", "),
            if keys.len() == 1 { "is" } else { "are" },
            doc.source_name,
            doc.source_name
        ));
    }
    if let Some((why, _)) = &doc.facts.carrier.inner_error {
        out.warn(&format!(
            "{why} (`iamidmap validate -f {}` shows where)",
            doc.source_name
        ));
    }
    // Keys in the wrong case (`maproles`): ignored by the authenticator, so not shown either.
    for f in crate::core::lint::lint(doc)
        .iter()
        .filter(|f| f.rule == "IM009")
    {
        out.warn(&format!("{} ({})", f.message, f.hint));
    }
    if kind.structured() {
        let bad = doc
            .roles
            .entries
            .iter()
            .chain(&doc.users.entries)
            .filter(|e| !e.is_valid())
            .count();
        let wrong = doc.slots.iter().filter(|s| s.wrong_type.is_some()).count();
        if bad + wrong > 0 {
            out.warn(&format!(
                "the {} has {} the authenticator cannot load, so its server refuses to start: nobody can log in through it, and none of the mappings shown take effect until it is fixed (`iamidmap validate -f {}` shows what to fix)",
                kind.label(),
                if bad + wrong == 1 { "a value".to_string() } else { format!("{} values", bad + wrong) },
                doc.source_name
            ));
        }
        return;
    }
    let mut dropped = 0;
    for key in [DataKey::MapRoles, DataKey::MapUsers] {
        let list = if key == DataKey::MapRoles {
            &doc.roles
        } else {
            &doc.users
        };
        if list.dropped_whole() {
            out.warn(&format!(
                "`{}` cannot be read; the authenticator drops all of it (`iamidmap validate -f {}` shows why)",
                key.as_str(),
                doc.source_name
            ));
        }
        dropped += list.entries.iter().filter(|e| !e.is_valid()).count();
    }
    if dropped > 0 {
        out.warn(&format!(
            "{dropped} entr{} dropped by the authenticator {} not shown (`iamidmap validate -f {}`)",
            if dropped == 1 { "y" } else { "ies" },
            if dropped == 1 { "is" } else { "are" },
            doc.source_name
        ));
    }
}
