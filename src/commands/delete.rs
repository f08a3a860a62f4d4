//! `iamidmap delete`: remove mappings by ARN (first match, or `--all`), by username or by account.

use super::session::Session;
use super::{arn_matches, note_arn_lookup, place};
use crate::cli::DeleteArgs;
use crate::cli::diagnostics::{Failure, Reporter};
use crate::core::document::{AuthDocument, EditPlan};
use crate::core::mapping::{Entry, ListKind};
use anyhow::Result;

enum Selector {
    Arn(String),
    Username(String),
    Account(String),
}

impl Selector {
    fn describe(&self) -> String {
        match self {
            Selector::Arn(a) => format!("ARN `{a}`"),
            Selector::Username(u) => format!("username `{u}`"),
            Selector::Account(a) => format!("account `{a}`"),
        }
    }
    fn matches(&self, e: &Entry) -> bool {
        match self {
            Selector::Arn(a) => arn_matches(e, a),
            Selector::Username(u) => e.username == *u,
            Selector::Account(_) => false,
        }
    }
}

/// The edits that remove the selection, last first so that earlier positions stay valid.
fn plans(doc: &AuthDocument, selector: &Selector, all: bool, out: Reporter) -> Vec<EditPlan> {
    let mut plans = vec![];
    if let Selector::Account(id) = selector {
        for (i, (account, span, _)) in doc.accounts.accounts.iter().enumerate() {
            if account == id {
                let line = doc
                    .inner_location(crate::core::mapping::DataKey::MapAccounts, *span)
                    .line;
                out.note(&format!("removing account `{account}` (line {line})"));
                plans.push(EditPlan::RemoveAccount { index: i });
            }
        }
    } else {
        for list in [ListKind::Roles, ListKind::Users] {
            for e in doc.list(list).entries.iter().filter(|e| e.is_valid()) {
                if selector.matches(e) {
                    out.note(&format!(
                        "removing `{}` (username `{}`, groups [{}]) at {}",
                        e.arn,
                        e.username,
                        e.groups.join(", "),
                        place(doc, e)
                    ));
                    plans.push(EditPlan::RemoveEntry {
                        list,
                        index: e.index,
                    });
                }
                if !all && !plans.is_empty() {
                    break;
                }
            }
            if !all && !plans.is_empty() {
                break;
            }
        }
    }
    if !all {
        plans.truncate(1);
    }
    plans.reverse();
    plans
}

fn count_matches(doc: &AuthDocument, selector: &Selector) -> usize {
    match selector {
        Selector::Account(id) => doc.accounts.accounts.iter().filter(|a| a.0 == *id).count(),
        _ => doc
            .roles
            .entries
            .iter()
            .chain(&doc.users.entries)
            .filter(|e| e.is_valid() && selector.matches(e))
            .count(),
    }
}

pub fn delete(args: DeleteArgs, s: &Session<'_>) -> Result<i32> {
    let (_cluster, out) = (s.args, s.out);
    let DeleteArgs {
        noun: _,
        source,
        arn,
        account,
        username,
        all,
        ignore_not_found,
        write: write_opts,
    } = args;
    let selector = match (arn, account, username) {
        (Some(a), _, _) => {
            note_arn_lookup(&a, out);
            Selector::Arn(a)
        }
        (_, Some(a), _) => Selector::Account(a.trim().trim_matches('"').to_string()),
        (_, _, Some(u)) => Selector::Username(u),
        _ => unreachable!("clap requires one selector"),
    };
    let planner = |doc: &AuthDocument| -> Result<Vec<EditPlan>> {
        let total = count_matches(doc, &selector);
        let plans = plans(doc, &selector, all, out);
        if plans.is_empty() {
            if ignore_not_found {
                out.note(&format!(
                    "no mapping with {}; nothing to do",
                    selector.describe()
                ));
                return Ok(vec![]);
            }
            return Err(Failure::error(
                format!(
                    "no mapping with {} in {}",
                    selector.describe(),
                    doc.source_name
                ),
                Some(
                    "`iamidmap get` lists the mappings; --ignore-not-found makes this a no-op"
                        .to_string(),
                ),
            )
            .into());
        }
        if total > plans.len() {
            let more = total - plans.len();
            out.warn(&format!(
                "{more} more {} with {} {} (use --all to remove them at once)",
                if more == 1 { "mapping" } else { "mappings" },
                selector.describe(),
                if more == 1 { "remains" } else { "remain" },
            ));
        }
        Ok(plans)
    };
    super::edit(source, s, &write_opts, None, planner)
}
