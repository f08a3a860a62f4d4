//! `iamidmap restore`: put a backup (or a manifest file) back into the cluster through the same pipeline as
//! every write: diff, lockout guard, confirmation, a backup of what it replaces, replace with the
//! resourceVersion read. Works when the live ConfigMap is unparseable or missing.

use super::{live, load};
use crate::adapters::backup;
use crate::cli::diagnostics::{Failure, Reporter};
use crate::cli::{ClusterArgs, RestoreArgs};
use anyhow::Result;

pub fn restore(args: RestoreArgs, cluster: &ClusterArgs, out: Reporter) -> Result<i32> {
    let RestoreArgs {
        source,
        latest,
        write,
    } = args;
    let path = match (source, latest) {
        (Some(p), _) => p,
        (None, _) => {
            let dir = live::backup_dir(cluster)?;
            backup::list(&dir)?.pop().map(|b| b.path).ok_or_else(|| {
                Failure::error(format!("there is no backup in `{}`", dir.display()), None)
            })?
        }
    };
    let (input, doc) = load(&path, cluster.kind)?;
    if !doc.facts.duplicate_keys.is_empty() {
        return Err(Failure::error(
            format!(
                "`{}` has duplicate keys; it is ambiguous what to restore",
                input.name
            ),
            Some(format!("`iamidmap validate -f {}` shows them", input.name)),
        )
        .into());
    }
    let data: std::collections::BTreeMap<String, String> =
        doc.facts.data_strings.iter().cloned().collect();
    out.note(&format!(
        "restoring the data of {} ({} key{})",
        input.name,
        data.len(),
        if data.len() == 1 { "" } else { "s" }
    ));
    live::change(cluster, &write, out, |_| {
        Ok(Some(live::NewData::Replace(data.clone())))
    })
}
