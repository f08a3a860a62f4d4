//! `iamidmap backup`: write a backup of the live ConfigMap now (optionally keeping only the newest N), or
//! list the backups of the context.

use super::live;
use crate::adapters::backup::{self, BackupInfo};
use crate::cli::diagnostics::{EXIT_OK, Failure, Reporter};
use crate::cli::{BackupAction, BackupArgs, ClusterArgs, OutputFormat};
use crate::core::document::AuthDocument;
use anyhow::{Context, Result};

pub fn backup(args: BackupArgs, cluster: &ClusterArgs, out: Reporter) -> Result<i32> {
    let BackupArgs { action, keep } = args;
    let dir = live::backup_dir(cluster)?;
    if let Some(BackupAction::List(list)) = action {
        return list_backups(&dir, list.output);
    }
    let (cm, context, server) = live::read_object(cluster, out)?;
    let Some(cm) = cm else {
        return Err(Failure::error(
            format!("configmap {}/{} does not exist in context `{context}`: there is nothing to back up", cluster.namespace, cluster.name),
            None,
        )
        .into());
    };
    let command: String = std::env::args().collect::<Vec<_>>().join(" ");
    let path = backup::write(
        &dir,
        &cm,
        &BackupInfo {
            command: &command,
            context: &context,
            server: &server,
            forced: false,
        },
    )?;
    println!("{}", path.display());
    if let Some(keep) = keep {
        let all = backup::list(&dir)?;
        let excess = all.len().saturating_sub(keep.max(1));
        for old in &all[..excess] {
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

fn list_backups(dir: &std::path::Path, output: OutputFormat) -> Result<i32> {
    let rows: Vec<serde_json::Value> = backup::list(dir)?
        .into_iter()
        .map(|b| {
            let entries = std::fs::read_to_string(&b.path)
                .ok()
                .and_then(|t| AuthDocument::parse("backup", t).ok())
                .map_or(0, |d| {
                    d.roles.valid_entries().count()
                        + d.users.valid_entries().count()
                        + d.accounts.accounts.len()
                });
            serde_json::json!({
                "time": b.time, "resourceVersion": b.resource_version, "entries": entries,
                "forced": b.forced, "command": b.command, "file": b.path.display().to_string()
            })
        })
        .collect();
    match output {
        OutputFormat::Json => println!("{}", serde_json::to_string_pretty(&rows)?),
        OutputFormat::Yaml => print!("{}", serde_saphyr::to_string(&rows).unwrap_or_default()),
        OutputFormat::Table => {
            let mut table = comfy_table::Table::new();
            table.load_preset(comfy_table::presets::NOTHING);
            table.set_header(vec![
                "TIME",
                "RESOURCEVERSION",
                "ENTRIES",
                "FORCED",
                "COMMAND",
                "FILE",
            ]);
            for r in &rows {
                table.add_row(vec![
                    r["time"].as_str().unwrap_or_default().to_string(),
                    r["resourceVersion"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string(),
                    r["entries"].to_string(),
                    r["forced"].to_string(),
                    r["command"].as_str().unwrap_or_default().to_string(),
                    r["file"].as_str().unwrap_or_default().to_string(),
                ]);
            }
            for col in table.column_iter_mut() {
                col.set_padding((0, 3));
            }
            println!(
                "{}",
                table
                    .to_string()
                    .lines()
                    .map(str::trim_end)
                    .collect::<Vec<_>>()
                    .join("\n")
            );
        }
    }
    Ok(EXIT_OK)
}
