//! `iamidmap restore`: put a backup (or a manifest file) back into the cluster through the same pipeline as
//! every write: diff, lockout guard (who would lose access, and who gains it), confirmation, a backup of
//! what it replaces, replace with the resourceVersion read. Works when the live ConfigMap is unparseable or
//! missing. Only the identity mappings are put back unless `--all-keys`; a backup of another cluster is
//! refused unless `--allow-other-cluster`.

use super::session::Session;
use super::{live, load};
use crate::adapters::backup::{self, State};
use crate::cli::RestoreArgs;
use crate::cli::diagnostics::Failure;
use crate::core::document::live as live_doc;
use crate::core::guard::Intent;
use anyhow::Result;
use std::collections::BTreeMap;

pub fn restore(args: RestoreArgs, s: &Session<'_>) -> Result<i32> {
    let (cluster, out) = (s.args, s.out);
    let RestoreArgs {
        source,
        latest: _,
        before,
        all_keys,
        allow_other_cluster,
        write,
    } = args;
    let mut conn = s.connect()?;
    let path = match source {
        Some(p) => p,
        None => pick_backup(s, &conn, before)?,
    };
    let (input, doc) = load(&path, cluster.kind)?;
    // A backup names its cluster: putting another cluster's mappings here is refused unless asked for.
    if let Some(found) = backup::read_header(&path, &input.text) {
        let identity = live::cluster_identity(s.rt()?, &conn);
        if !found.cluster.same_as(&identity) {
            let what = format!(
                "`{}` is a backup of another cluster ({}, context `{}`), not of context `{}` ({})",
                input.name,
                found.cluster.describe(),
                found.context,
                conn.context,
                identity.describe()
            );
            if !allow_other_cluster {
                return Err(Failure::refused(
                    what,
                    Some("pick a backup of this cluster (`iamidmap backup list`), or pass --allow-other-cluster if this cluster really is to get that one's mappings".to_string()),
                )
                .into());
            }
            out.warn(&format!(
                "{what}; restoring it as --allow-other-cluster says"
            ));
        }
    }
    if !doc.facts.duplicate_keys.is_empty() {
        return Err(Failure::refused(
            format!(
                "`{}` has duplicate keys; it is ambiguous what to restore",
                input.name
            ),
            Some(format!("`iamidmap validate -f {}` shows them", input.name)),
        )
        .into());
    }
    // A value that is not a string cannot be put into a ConfigMap; leaving it out would drop it silently.
    if let Some(slot) = doc.slots.iter().find(|s| s.wrong_type.is_some()) {
        return Err(Failure::refused(
            format!(
                "`{}`: `{}` is not a string, so it cannot be restored into a ConfigMap (the API server refuses such a value) and leaving it out would drop it",
                input.name,
                slot.key.as_str()
            ),
            Some(format!(
                "write it as a block string (`{}: |` followed by the list), then restore again; `iamidmap validate -f {}` shows where",
                slot.key.as_str(),
                input.name
            )),
        )
        .into());
    }
    let backup_data: BTreeMap<String, String> = doc.facts.data_strings.iter().cloned().collect();
    let backup_kind = doc.facts.carrier.kind;
    let mut announced = false;
    live::change_on(s, &mut conn, &write, |current| {
        let data = if all_keys {
            backup_data.clone()
        } else {
            mappings_only(current, &backup_data, backup_kind, &mut announced, out)
        };
        Ok(Some(live::Planned {
            data: live::NewData::Replace(data),
            intent: Intent::Everything,
        }))
    })
}

/// `--latest` (the newest state a write left, else the newest before a write) or `--before`: the backup
/// of this cluster to restore.
fn pick_backup(
    s: &Session<'_>,
    conn: &crate::adapters::kube::Cluster,
    before: bool,
) -> Result<std::path::PathBuf> {
    let out = s.out;
    let (dir, identity, backups) = live::cluster_backups(s, conn)?;
    let newest_before = backups.iter().rev().find(|b| b.state == State::Before);
    let pick = if before {
        newest_before
    } else {
        backups
            .iter()
            .rev()
            .find(|b| b.state.known_good())
            .or_else(|| {
                if newest_before.is_some() {
                    out.note("no state after a write is recorded for this cluster; using the newest state recorded before a write");
                }
                newest_before
            })
    };
    let Some(pick) = pick else {
        return Err(Failure::error(
            format!(
                "there is no {}backup of this cluster ({}) in `{}`",
                if before { "before-write " } else { "" },
                identity.describe(),
                dir.display()
            ),
            Some(
                "`iamidmap backup list` shows what there is; --backup-dir points elsewhere"
                    .to_string(),
            ),
        )
        .into());
    };
    out.note(&format!(
        "restoring the {} recorded at {} by `{}`: {}",
        match pick.state {
            State::Before => "state before a write",
            State::After => "state a write left",
            State::Snapshot => "snapshot",
        },
        pick.time,
        pick.command,
        pick.path.display()
    ));
    Ok(pick.path.clone())
}

/// The identity mappings of the backup over the live data: the live ConfigMap's other keys stay (said once).
fn mappings_only(
    current: &crate::core::document::AuthDocument,
    backup_data: &BTreeMap<String, String>,
    backup_kind: crate::core::document::CarrierKind,
    announced: &mut bool,
    out: crate::cli::diagnostics::Reporter,
) -> BTreeMap<String, String> {
    let mut keys = live_doc::mapping_keys(current.facts.carrier.kind);
    keys.extend(live_doc::mapping_keys(backup_kind));
    // Keys that differ from a mapping key only in case are mappings too (written wrongly):
    // they are replaced, never kept beside the right ones.
    let mapping = |k: &str| keys.iter().any(|m| m.eq_ignore_ascii_case(k));
    let mut data: BTreeMap<String, String> = current
        .facts
        .data_strings
        .iter()
        .filter(|(k, _)| !mapping(k))
        .cloned()
        .collect();
    let kept: Vec<String> = data.keys().map(|k| format!("`{k}`")).collect();
    let left: Vec<String> = backup_data
        .keys()
        .filter(|k| !mapping(k) && !data.contains_key(*k))
        .map(|k| format!("`{k}`"))
        .collect();
    data.extend(
        backup_data
            .iter()
            .filter(|(k, _)| mapping(k))
            .map(|(k, v)| (k.clone(), v.clone())),
    );
    if !*announced {
        *announced = true;
        let mut said = vec![];
        if !kept.is_empty() {
            said.push(format!(
                "the live data keys {} stay as they are",
                kept.join(", ")
            ));
        }
        if !left.is_empty() {
            said.push(format!(
                "the backup's other keys {} are not put back",
                left.join(", ")
            ));
        }
        if !said.is_empty() {
            out.note(&format!(
                "restoring the identity mappings only: {} (--all-keys restores the whole data)",
                said.join("; ")
            ));
        }
    }
    data
}
