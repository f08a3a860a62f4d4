//! `iamidmap repair` (live) and the fixing half of `validate --fix` (files): apply every mechanical fix of
//! core::repair one at a time, each announced, each re-read and verified.

use super::live;
use super::session::Session;
use crate::cli::RepairArgs;
use crate::cli::diagnostics::{Failure, Reporter};
use crate::core::document::AuthDocument;
use crate::core::guard::{self, CallerCheck, Intent};
use crate::core::repair;
use anyhow::Result;

/// The document with every fix applied, and how many fixes there were. A fix that would change what any
/// principal resolves to (a stripped role path that then shadows a working `mapUsers` entry, say) or
/// that the guard refuses for another reason is not applied, and says why.
pub fn fix_document(mut doc: AuthDocument, out: Reporter) -> Result<(AuthDocument, usize)> {
    let mut applied = 0;
    let mut declined: Vec<(String, String)> = vec![];
    while let Some(fix) = repair::plan_fixes(&doc)
        .into_iter()
        .find(|f| !declined.contains(&(f.rule.to_string(), f.description.clone())))
    {
        let outcome = doc.apply(&fix.plan).map_err(|e| {
            Failure::error(
                format!(
                    "cannot apply the fix for {} ({}): {e}",
                    fix.rule, fix.description
                ),
                None,
            )
        })?;
        let next = doc
            .reparse(outcome.text)
            .map_err(|e| Failure::error(e.to_string(), None))?;
        let verdict = guard::judge(&guard::Change {
            before: &doc,
            after: &next,
            caller: &CallerCheck::Waived,
            intent: Intent::Nothing,
            binary_bytes: 0,
            access: None,
        });
        if !verdict.violations.is_empty() {
            out.warn(&format!(
                "not fixing {} ({}): {}; change it by hand if that is intended",
                fix.rule,
                fix.description,
                verdict
                    .violations
                    .iter()
                    .map(|v| format!("{} {}", v.subject, v.consequence))
                    .collect::<Vec<_>>()
                    .join("; ")
            ));
            declined.push((fix.rule.to_string(), fix.description.clone()));
            continue;
        }
        out.note(&format!("fix {}: {}", fix.rule, fix.description));
        doc = next;
        applied += 1;
        if applied > 100 {
            return Err(Failure::error(
                "the fixes do not converge; please report this with the file",
                None,
            )
            .into());
        }
    }
    Ok((doc, applied))
}

pub fn repair(args: RepairArgs, s: &Session<'_>) -> Result<i32> {
    let out = s.out;
    let RepairArgs { write } = args;
    live::change(s, &write, |doc| {
        let (fixed, n) = fix_document(doc.clone(), out)?;
        if n == 0 {
            out.note("nothing to repair");
            return Ok(None);
        }
        Ok(Some(live::Planned {
            data: live::NewData::Replace(fixed.facts.data_strings.iter().cloned().collect()),
            intent: Intent::Nothing,
        }))
    })
}
