//! Backups on disk: the whole object before every write and after it, with a metadata header naming the
//! cluster (API server URL without credentials, `kube-system` namespace UID), written atomically with mode
//! 0600 under `$XDG_STATE_HOME/iamidmap/backups/<context>/` (or `--backup-dir`). A directory another user
//! owns, or that others may write to, is refused (as ssh refuses such a `~/.ssh`); files iamidmap did not
//! write, or whose recorded time is in the future, are skipped and named.

use anyhow::{Context, Result};
use k8s_openapi::api::core::v1::ConfigMap;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The first line of every backup iamidmap writes.
const MAGIC: &str = "# iamidmap backup of configmap ";

/// Which state of the object a backup holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    /// The object as it was before a write (what `restore --before` puts back).
    Before,
    /// The object as a write left it (known good: what iamidmap itself wrote).
    After,
    /// The object as `iamidmap backup` saw it.
    Snapshot,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Before => "before",
            State::After => "after",
            State::Snapshot => "snapshot",
        }
    }
    fn parse(s: &str) -> Option<State> {
        match s {
            "before" => Some(State::Before),
            "after" => Some(State::After),
            "snapshot" => Some(State::Snapshot),
            _ => None,
        }
    }
    /// Whether the state is one iamidmap wrote or saw as it is (not the one a write replaced).
    pub fn known_good(self) -> bool {
        matches!(self, State::After | State::Snapshot)
    }
}

/// Which cluster an object belongs to: the API server's URL (never with `user:password@`) and the UID
/// of its `kube-system` namespace, which is stable for a cluster's life and differs between clusters
/// (also between a cluster and its replacement at the same URL).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClusterIdentity {
    pub server: String,
    pub uid: Option<String>,
}

impl ClusterIdentity {
    /// Whether two identities name the same cluster: by UID when both are known, else by URL.
    pub fn same_as(&self, other: &ClusterIdentity) -> bool {
        match (&self.uid, &other.uid) {
            (Some(a), Some(b)) => a == b,
            _ => {
                crate::adapters::kube::strip_userinfo(&self.server)
                    == crate::adapters::kube::strip_userinfo(&other.server)
            }
        }
    }
    pub fn describe(&self) -> String {
        match &self.uid {
            Some(uid) => format!("{} (kube-system UID {uid})", self.server),
            None => self.server.clone(),
        }
    }
}

/// What the header of a backup says about it.
pub struct BackupInfo<'a> {
    pub command: &'a str,
    pub context: &'a str,
    pub cluster: &'a ClusterIdentity,
    pub forced: bool,
    pub state: State,
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

/// Why a backup directory is not used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnsafeDir {
    #[error(
        "the backup directory `{dir}` belongs to another user (uid {owner}, you are {me}); whoever owns it can plant the state a restore puts back, so it is not used"
    )]
    Owner { dir: String, owner: u32, me: u32 },
    #[error(
        "the backup directory `{dir}` is writable by {who} (mode {mode:o}); anyone who can write there can plant the state a restore puts back, so it is not used"
    )]
    Writable {
        dir: String,
        who: &'static str,
        mode: u32,
    },
}

impl UnsafeDir {
    /// What to do about it.
    pub fn hint(&self) -> String {
        match self {
            UnsafeDir::Owner { .. } => {
                "pass --backup-dir DIR with a directory of your own (mode 700)".to_string()
            }
            UnsafeDir::Writable { dir, .. } => {
                format!("`chmod 700 {dir}`, or pass --backup-dir DIR")
            }
        }
    }
}

/// Refuse a backup directory that another user owns or that others may write to: anyone who can write
/// there can plant the state a `restore --latest` puts back. A directory that does not exist is fine.
pub fn check_dir(dir: &Path) -> Result<(), UnsafeDir> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let Ok(meta) = std::fs::metadata(dir) else {
            return Ok(()); // missing or unreadable: creating or reading it says why
        };
        let me = rustix::process::geteuid().as_raw();
        if meta.uid() != me {
            return Err(UnsafeDir::Owner {
                dir: dir.display().to_string(),
                owner: meta.uid(),
                me,
            });
        }
        if meta.mode() & 0o022 != 0 {
            return Err(UnsafeDir::Writable {
                dir: dir.display().to_string(),
                who: if meta.mode() & 0o002 != 0 {
                    "everyone"
                } else {
                    "its group"
                },
                mode: meta.mode() & 0o777,
            });
        }
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// One header line's value: a single line, whatever the text holds.
fn header_value(s: &str) -> String {
    s.replace(['\n', '\r'], " ")
}

/// `text` in a hidden file of `dir`, on disk (synced), to be renamed into place: a backup is whole or
/// absent. tempfile creates the file with mode 0600; the rename keeps it.
fn written_aside(dir: &Path, text: &str) -> Result<tempfile::NamedTempFile> {
    let mut tmp = tempfile::Builder::new()
        .prefix(".iamidmap-backup-")
        .tempfile_in(dir)
        .with_context(|| format!("cannot create a file in `{}`", dir.display()))?;
    tmp.write_all(text.as_bytes())
        .and_then(|_| tmp.as_file().sync_all())
        .with_context(|| format!("cannot write a backup in `{}`", dir.display()))?;
    Ok(tmp)
}

/// Write a backup of `cm`; returns its path. The caller must not write to the cluster if this fails.
pub fn write(dir: &Path, cm: &ConfigMap, info: &BackupInfo<'_>) -> Result<PathBuf> {
    check_dir(dir)?;
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create the backup directory `{}`", dir.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
    }
    check_dir(dir)?;
    let now = jiff::Timestamp::now();
    let rv = cm.metadata.resource_version.as_deref().unwrap_or("none");
    let safe_rv: String = rv
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(40)
        .collect();
    let stamp = now.strftime("%Y%m%dT%H%M%S%.3fZ").to_string();
    // JSON is YAML: the object comes back byte for byte, whatever its data values hold.
    let body = serde_json::to_string_pretty(cm).context("cannot serialize the ConfigMap")?;
    let text = format!(
        "{MAGIC}{}/{}\n# format: 2\n# state: {}\n# command: {}\n# context: {}\n# server: {}\n# cluster-uid: {}\n# time: {}\n# resourceVersion: {}\n# forced: {}\n{body}\n",
        header_value(cm.metadata.namespace.as_deref().unwrap_or("")),
        header_value(cm.metadata.name.as_deref().unwrap_or("")),
        info.state.as_str(),
        header_value(info.command),
        header_value(info.context),
        header_value(&crate::adapters::kube::strip_userinfo(&info.cluster.server)),
        info.cluster
            .uid
            .as_deref()
            .map_or("unknown".to_string(), header_value),
        now,
        header_value(rv),
        info.forced
    );
    let mut tmp = written_aside(dir, &text)?;
    // Several writers may back up the same version in the same millisecond: the name that is free wins,
    // atomically (no clobbering), and the others take the next suffix.
    let state = info.state.as_str();
    let mut n = 1;
    loop {
        let path = match n {
            1 => dir.join(format!("{stamp}-rv{safe_rv}-{state}.yaml")),
            _ => dir.join(format!("{stamp}-rv{safe_rv}-{state}-{n}.yaml")),
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

/// A label as a file name: ASCII letters, digits and `-` kept, anything else `_`.
pub fn file_safe(label: &str) -> String {
    label
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Back up Kubernetes objects other than the ConfigMap (what `create --service-name` is about to apply
/// over) as a `List` that `kubectl apply -f` restores, in the `objects/` folder of the backup directory
/// (where `backup list` does not look). Written atomically, mode 0600; returns its path.
pub fn write_objects(dir: &Path, label: &str, objects: &[serde_json::Value]) -> Result<PathBuf> {
    let dir = dir.join("objects");
    check_dir(dir.parent().unwrap_or(&dir))?;
    std::fs::create_dir_all(&dir)
        .with_context(|| format!("cannot create the backup directory `{}`", dir.display()))?;
    check_dir(&dir)?;
    // What would make `kubectl apply` refuse or fight the object as it is now.
    let items: Vec<serde_json::Value> = objects
        .iter()
        .cloned()
        .map(|mut o| {
            if let Some(m) = o["metadata"].as_object_mut() {
                for k in [
                    "resourceVersion",
                    "uid",
                    "creationTimestamp",
                    "managedFields",
                ] {
                    m.remove(k);
                }
            }
            o
        })
        .collect();
    let list = serde_json::json!({"apiVersion": "v1", "kind": "List", "items": items});
    let text = format!(
        "# iamidmap: {} as they were at {} (restore: kubectl apply -f THIS_FILE)\n{}\n",
        header_value(label),
        jiff::Timestamp::now(),
        serde_json::to_string_pretty(&list).context("cannot serialize the objects")?
    );
    let stamp = jiff::Timestamp::now().strftime("%Y%m%dT%H%M%S%.3fZ");
    let safe: String = file_safe(label).chars().take(80).collect();
    let tmp = written_aside(&dir, &text)?;
    let path = dir.join(format!("{stamp}-{safe}.yaml"));
    tmp.persist_noclobber(&path)
        .map_err(|e| e.error)
        .with_context(|| format!("cannot write the backup `{}`", path.display()))?;
    Ok(path)
}

/// A backup found on disk, with what its header says.
#[derive(Debug, Clone)]
pub struct Found {
    pub path: PathBuf,
    pub time: jiff::Timestamp,
    pub state: State,
    pub resource_version: String,
    pub command: String,
    pub context: String,
    pub cluster: ClusterIdentity,
    pub forced: bool,
}

/// The backups in a directory, oldest first by the time recorded in them, and the files skipped (with
/// why): files without iamidmap's header, and files whose recorded time is in the future.
#[derive(Debug, Clone, Default)]
pub struct Listing {
    pub backups: Vec<Found>,
    pub skipped: Vec<(PathBuf, String)>,
}

impl Listing {
    /// The backups of one cluster, and how many belong to others.
    pub fn of_cluster(&self, cluster: &ClusterIdentity) -> (Vec<&Found>, usize) {
        let mine: Vec<&Found> = self
            .backups
            .iter()
            .filter(|b| b.cluster.same_as(cluster))
            .collect();
        let others = self.backups.len() - mine.len();
        (mine, others)
    }
}

/// Read a backup's header: `None` when the file is not one iamidmap wrote.
pub fn read_header(path: &Path, text: &str) -> Option<Found> {
    if !text.starts_with(MAGIC) {
        return None;
    }
    let header = |key: &str| {
        text.lines()
            .take_while(|l| l.starts_with('#'))
            .find_map(|l| l.strip_prefix(&format!("# {key}: ")).map(str::to_string))
    };
    let time: jiff::Timestamp = header("time")?.parse().ok()?;
    // Backups written before the header named the state were all taken before a write.
    let state = match header("state") {
        Some(s) => State::parse(&s)?,
        None => State::Before,
    };
    Some(Found {
        path: path.to_path_buf(),
        time,
        state,
        resource_version: header("resourceVersion").unwrap_or_default(),
        command: header("command").unwrap_or_default(),
        context: header("context").unwrap_or_default(),
        cluster: ClusterIdentity {
            server: crate::adapters::kube::strip_userinfo(&header("server").unwrap_or_default()),
            uid: header("cluster-uid").filter(|u| u != "unknown" && !u.is_empty()),
        },
        forced: header("forced").is_some_and(|f| f == "true"),
    })
}

/// The backups in a directory (see [`Listing`]). Refuses a directory others own or may write to.
pub fn list(dir: &Path) -> Result<Listing> {
    let mut out = Listing::default();
    check_dir(dir)?;
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(e).with_context(|| format!("cannot read `{}`", dir.display())),
    };
    // A little slack for clocks that disagree by a second or two.
    let now = jiff::Timestamp::now() + jiff::SignedDuration::from_secs(300);
    for entry in entries {
        let path = entry?.path();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if name.starts_with('.') || !name.ends_with(".yaml") {
            continue;
        }
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) => {
                out.skipped.push((path, format!("cannot be read: {e}")));
                continue;
            }
        };
        match read_header(&path, &text) {
            None => out.skipped.push((
                path,
                "not a backup iamidmap wrote (no backup header)".into(),
            )),
            Some(found) if found.time > now => out.skipped.push((
                path,
                format!("its recorded time {} is in the future", found.time),
            )),
            Some(found) => out.backups.push(found),
        }
    }
    out.backups
        .sort_by(|a, b| a.time.cmp(&b.time).then_with(|| a.path.cmp(&b.path)));
    out.skipped.sort();
    Ok(out)
}

/// Remove a backup that turned out not to belong to a write (the write did not happen).
pub fn discard(path: &Path) {
    let _ = std::fs::remove_file(path);
}
