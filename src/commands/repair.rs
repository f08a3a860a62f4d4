//! `iamidmap repair` (live) and the fixing half of `validate --fix` (files): apply every mechanical fix of
//! core::repair one at a time, each announced, each re-read and verified.

use super::live;
use crate::cli::diagnostics::{Failure, Reporter};
use crate::cli::{ClusterArgs, RepairArgs};
use crate::core::document::AuthDocument;
use crate::core::repair;
use anyhow::Result;

/// The document with every fix applied, and how many fixes there were.
pub fn fix_document(mut doc: AuthDocument, out: Reporter) -> Result<(AuthDocument, usize)> {
    let mut applied = 0;
    while let Some(fix) = repair::plan_fixes(&doc).into_iter().next() {
        let outcome = doc.apply(&fix.plan).map_err(|e| {
            Failure::error(
                format!(
                    "cannot apply the fix for {} ({}): {e}",
                    fix.rule, fix.description
                ),
                None,
            )
        })?;
        out.note(&format!("fix {}: {}", fix.rule, fix.description));
        doc = doc
            .reparse(outcome.text)
            .map_err(|e| Failure::error(e.to_string(), None))?;
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

pub fn repair(args: RepairArgs, cluster: &ClusterArgs, out: Reporter) -> Result<i32> {
    let RepairArgs { write } = args;
    live::change(cluster, &write, out, |doc| {
        let (fixed, n) = fix_document(doc.clone(), out)?;
        if n == 0 {
            out.note("nothing to repair");
            return Ok(None);
        }
        Ok(Some(live::NewData::Replace(
            fixed.facts.data_strings.iter().cloned().collect(),
        )))
    })
}
