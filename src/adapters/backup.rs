//! Backups on disk: the whole object before every write, with a metadata header, written atomically with
//! mode 0600 under `$XDG_STATE_HOME/iamidmap/backups/<context>/` (or `--backup-dir`).

use anyhow::{Context, Result};
use k8s_openapi::api::core::v1::ConfigMap;
use std::io::Write;
use std::path::{Path, PathBuf};

/// What the header of a backup says about it.
pub struct BackupInfo<'a> {
    pub command: &'a str,
    pub context: &'a str,
    pub server: &'a str,
    pub forced: bool,
}

/// The default backup directory for a context.
pub fn default_dir(context: &str) -> PathBuf {
    let state = std::env::var_os("XDG_STATE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/state")))
        .unwrap_or_else(|| PathBuf::from("."));
    let safe: String = context
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.@".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    state.join("iamidmap/backups").join(safe)
}

/// Write a backup of `cm`; returns its path. The caller must not write to the cluster if this fails.
pub fn write(dir: &Path, cm: &ConfigMap, info: &BackupInfo<'_>) -> Result<PathBuf> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create the backup directory `{}`", dir.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
    }
    let now = jiff::Timestamp::now();
    let rv = cm.metadata.resource_version.as_deref().unwrap_or("none");
    let stamp = now.strftime("%Y%m%dT%H%M%S%.3fZ").to_string();
    // JSON is YAML: the object comes back byte for byte, whatever its data values hold.
    let body = serde_json::to_string_pretty(cm).context("cannot serialize the ConfigMap")?;
    let text = format!(
        "# iamidmap backup of configmap {}/{}\n# command: {}\n# context: {}\n# server: {}\n# time: {}\n# resourceVersion: {rv}\n# forced: {}\n{body}\n",
        cm.metadata.namespace.as_deref().unwrap_or(""),
        cm.metadata.name.as_deref().unwrap_or(""),
        info.command,
        info.context,
        info.server,
        now,
        info.forced
    );
    // tempfile creates the file with mode 0600; the rename keeps it.
    let mut tmp = tempfile::Builder::new()
        .prefix(".iamidmap-backup-")
        .tempfile_in(dir)
        .with_context(|| format!("cannot create a file in `{}`", dir.display()))?;
    tmp.write_all(text.as_bytes())
        .and_then(|_| tmp.as_file().sync_all())
        .with_context(|| format!("cannot write a backup in `{}`", dir.display()))?;
    // Several writers may back up the same version in the same millisecond: the name that is free wins,
    // atomically (no clobbering), and the others take the next suffix.
    let mut n = 1;
    loop {
        let path = match n {
            1 => dir.join(format!("{stamp}-rv{rv}.yaml")),
            _ => dir.join(format!("{stamp}-rv{rv}-{n}.yaml")),
        };
        match tmp.persist_noclobber(&path) {
            Ok(_) => return Ok(path),
            Err(e) if e.error.kind() == std::io::ErrorKind::AlreadyExists && n < 1000 => {
                tmp = e.file;
                n += 1;
            }
            Err(e) => {
                return Err(e.error)
                    .with_context(|| format!("cannot write the backup `{}`", path.display()));
            }
        }
    }
}

/// A backup found on disk, with what its header says.
#[derive(Debug, Clone)]
pub struct Found {
    pub path: PathBuf,
    pub time: String,
    pub resource_version: String,
    pub command: String,
    pub forced: bool,
}

/// The backups in a directory, oldest first (names start with a sortable UTC timestamp).
pub fn list(dir: &Path) -> Result<Vec<Found>> {
    let mut out = vec![];
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(e).with_context(|| format!("cannot read `{}`", dir.display())),
    };
    for entry in entries {
        let path = entry?.path();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if name.starts_with('.') || !name.ends_with(".yaml") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let header = |key: &str| {
            text.lines()
                .take_while(|l| l.starts_with('#'))
                .find_map(|l| l.strip_prefix(&format!("# {key}: ")).map(str::to_string))
                .unwrap_or_default()
        };
        out.push(Found {
            time: header("time"),
            resource_version: header("resourceVersion"),
            command: header("command"),
            forced: header("forced") == "true",
            path,
        });
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}
