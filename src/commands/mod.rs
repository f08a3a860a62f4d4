//! One file per subcommand: fetch -> core -> adapters -> render. Each returns the exit code.

mod create;
mod delete;
mod docs;
mod get;
mod validate;
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
        no_color: _,
    } = cli;
    let out = Reporter { quiet, verbose };
    match command {
        Command::Get(args) => get::get(args, out),
        Command::Create(args) => create::create(args, out),
        Command::Delete(args) => delete::delete(args, out),
        Command::Validate(args) => validate::validate(args),
        Command::Completions(args) => docs::completions(args),
        Command::GenerateDocs(args) => docs::generate_docs(args),
    }
}

/// The file a command works on. Live clusters come with the Kubernetes adapter.
fn require_file(source: Source, verb: &str) -> Result<PathBuf> {
    source.file.ok_or_else(|| {
        Failure::error(
            format!("`iamidmap {verb}` needs a manifest file in this version: live cluster access is not built yet"),
            Some(format!("pass `-f aws-auth.yaml` (for a cluster: `kubectl get configmap aws-auth -n kube-system -o yaml > aws-auth.yaml`, then `iamidmap {verb} -f aws-auth.yaml`)")),
        )
        .into()
    })
}

/// Read and parse a manifest; errors name the file, the line and the fix.
fn load(path: &std::path::Path) -> Result<(fs::Input, AuthDocument)> {
    let input = fs::read_input(path)?;
    let doc = AuthDocument::parse(&input.name, input.text.clone()).map_err(|e| {
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
fn arn_matches(entry: &Entry, arn: &str) -> bool {
    if entry.arn.is_empty() {
        return false;
    }
    if entry.arn.eq_ignore_ascii_case(arn.trim()) {
        return true;
    }
    crate::core::arn::canonicalize(arn.trim())
        .map(|(_, canonical)| entry.arn.eq_ignore_ascii_case(&canonical))
        .unwrap_or(false)
}

/// Entries of both lists in the order `get` shows them (roles, then users), valid ones only.
fn mapped_entries(doc: &AuthDocument) -> impl Iterator<Item = &Entry> {
    doc.roles
        .entries
        .iter()
        .chain(doc.users.entries.iter())
        .filter(|e| e.is_valid())
}

/// Tell the user, once, that the document has entries the authenticator drops.
fn warn_dropped(doc: &AuthDocument, out: Reporter) {
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
