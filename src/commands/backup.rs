//! `iamidmap backup`: write a backup of the live ConfigMap now (optionally keeping only the newest N of
//! this cluster), or list the backups in the context's backup directory.

use super::live;
use super::session::Session;
use crate::adapters::backup::{self, BackupInfo, ClusterIdentity, State};
use crate::cli::diagnostics::{EXIT_OK, Failure};
use crate::cli::{BackupAction, BackupArgs, OutputFormat, render};
use crate::core::document::AuthDocument;
use anyhow::{Context, Result};

pub fn backup(args: BackupArgs, s: &Session<'_>) -> Result<i32> {
    let (cluster, out) = (s.args, s.out);
    let BackupArgs { action, keep } = args;
    if let Some(BackupAction::List(list)) = action {
        return list_backups(s, list.output);
    }
    let mut conn = s.connect()?;
    let rt = s.rt()?;
    let dir = live::safe_backup_dir(cluster, &conn.context)?;
    let (cm, _) = live::fetch(cluster, rt, &mut conn, out)?;
    let Some(cm) = cm else {
        return Err(Failure::error(
            format!(
                "configmap {}/{} does not exist in context `{}`: there is nothing to back up",
                cluster.namespace, cluster.name, conn.context
            ),
            None,
        )
        .into());
    };
    let identity = live::cluster_identity(rt, &conn);
    let command = live::command_line();
    let path = backup::write(
        &dir,
        &cm,
        &BackupInfo {
            command: &command,
            context: &conn.context,
            cluster: &identity,
            forced: false,
            state: State::Snapshot,
        },
    )?;
    println!("{}", path.display());
    if let Some(keep) = keep {
        let listing = backup::list(&dir)?;
        let (mine, _) = listing.of_cluster(&identity);
        let excess = mine.len().saturating_sub(keep.max(1));
        for old in &mine[..excess] {
            std::fs::remove_file(&old.path)
                .with_context(|| format!("cannot remove `{}`", old.path.display()))?;
            out.note(&format!(
                "removed old backup {} (--keep {keep})",
                old.path.display()
            ));
        }
    }
    Ok(EXIT_OK)
}

/// The backups in the directory, each marked as this cluster's or another's. Works without the
/// cluster too (a broken kubeconfig in an emergency): with `--backup-dir`, or when the connection fails,
/// the cluster column says what each backup names.
fn list_backups(s: &Session<'_>, output: OutputFormat) -> Result<i32> {
    let (cluster, out) = (s.args, s.out);
    let connected = s.connect();
    let (dir, identity): (std::path::PathBuf, Option<ClusterIdentity>) = match &connected {
        Ok(conn) => (
            live::safe_backup_dir(cluster, &conn.context)?,
            Some(live::cluster_identity(s.rt()?, conn)),
        ),
        Err(e) => match &cluster.backup_dir {
            Some(d) => {
                out.note(&format!(
                    "the cluster cannot be reached ({e}); listing every backup in `{}`",
                    d.display()
                ));
                backup::check_dir(d)
                    .map_err(|e| Failure::refused(e.to_string(), Some(e.hint())))?;
                (d.clone(), None)
            }
            None => {
                return Err(Failure::error(
                    format!("the cluster cannot be reached, so its backup directory is not known: {e}"),
                    Some("pass --backup-dir DIR (default: $XDG_STATE_HOME/iamidmap/backups/<context>)".to_string()),
                )
                .into());
            }
        },
    };
    let listing = backup::list(&dir)?;
    for (path, why) in &listing.skipped {
        out.warn(&format!("skipped `{}`: {why}", path.display()));
    }
    let rows: Vec<serde_json::Value> = listing
        .backups
        .iter()
        .map(|b| {
            let entries = std::fs::read_to_string(&b.path)
                .ok()
                .and_then(|t| AuthDocument::parse("backup", t).ok())
                .map_or(0, |d| {
                    d.roles.valid_entries().count()
                        + d.users.valid_entries().count()
                        + d.accounts.accounts.len()
                });
            let this = identity.as_ref().map(|i| i.same_as(&b.cluster));
            serde_json::json!({
                "time": b.time.to_string(), "state": b.state, "resourceVersion": b.resource_version,
                "entries": entries, "forced": b.forced, "server": b.cluster.server,
                "clusterUid": b.cluster.uid, "thisCluster": this, "command": b.command,
                "file": b.path.display().to_string()
            })
        })
        .collect();
    match output {
        OutputFormat::Json => println!("{}", serde_json::to_string_pretty(&rows)?),
        OutputFormat::Yaml => print!("{}", serde_saphyr::to_string(&rows).unwrap_or_default()),
        OutputFormat::Table => println!("{}", backups_table(&rows)),
    }
    Ok(EXIT_OK)
}

/// `backup list` as a table: one row per backup, the cluster as `this` or `other: SERVER`.
fn backups_table(rows: &[serde_json::Value]) -> String {
    let mut table = comfy_table::Table::new();
    table.load_preset(comfy_table::presets::NOTHING);
    table.set_header(vec![
        "TIME",
        "STATE",
        "RESOURCEVERSION",
        "ENTRIES",
        "FORCED",
        "CLUSTER",
        "COMMAND",
        "FILE",
    ]);
    let text =
        |v: &serde_json::Value| render::one_line(v.as_str().unwrap_or_default()).into_owned();
    for r in rows {
        let cluster = match r["thisCluster"].as_bool() {
            Some(true) => "this".to_string(),
            Some(false) => format!("other: {}", text(&r["server"])),
            None => text(&r["server"]),
        };
        table.add_row(vec![
            text(&r["time"]),
            text(&r["state"]),
            text(&r["resourceVersion"]),
            r["entries"].to_string(),
            r["forced"].to_string(),
            cluster,
            text(&r["command"]),
            text(&r["file"]),
        ]);
    }
    for col in table.column_iter_mut() {
        col.set_padding((0, 3));
    }
    table
        .to_string()
        .lines()
        .map(str::trim_end)
        .collect::<Vec<_>>()
        .join("\n")
}
