//! Reading manifests (files or standard input) and writing them back atomically, keeping permissions.

use anyhow::{Context, Result};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// A manifest read from a file or from standard input.
#[derive(Debug, Clone)]
pub struct Input {
    /// The name shown in messages (`<stdin>` for `-`).
    pub name: String,
    pub path: Option<PathBuf>,
    pub text: String,
}

pub fn is_stdin(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// The most iamidmap reads from a file or standard input. A ConfigMap holds at most 1 MiB of data (the
/// API server's limit); a manifest adds metadata, a `last-applied-configuration` copy and other
/// documents, and a List several objects, so 8 MiB leaves a wide margin, while `-f /dev/zero` or an
/// endless pipe stops here instead of filling memory.
pub const MAX_INPUT: u64 = 8 * 1024 * 1024;

/// Read a file, or standard input for `-`, up to [`MAX_INPUT`]. Bytes that are not UTF-8 are an error
/// naming the file.
pub fn read_input(path: &Path) -> Result<Input> {
    let (name, real) = if is_stdin(path) {
        ("<stdin>".to_string(), None)
    } else {
        (path.display().to_string(), Some(path.to_path_buf()))
    };
    let mut buf = vec![];
    let read = match &real {
        None => std::io::stdin()
            .lock()
            .take(MAX_INPUT + 1)
            .read_to_end(&mut buf)
            .context("cannot read standard input")?,
        Some(p) => std::fs::File::open(p)
            .and_then(|f| f.take(MAX_INPUT + 1).read_to_end(&mut buf))
            .with_context(|| format!("cannot read `{}`", p.display()))?,
    };
    if read as u64 > MAX_INPUT {
        anyhow::bail!(crate::adapters::InputTooLarge {
            name,
            limit: MAX_INPUT
        });
    }
    let text = String::from_utf8(buf).map_err(|e| {
        anyhow::anyhow!(
            "`{name}` is not UTF-8 text (invalid byte at offset {}); Kubernetes manifests are UTF-8",
            e.utf8_error().valid_up_to()
        )
    })?;
    Ok(Input {
        name,
        path: real,
        text,
    })
}

/// Where a write to `path` lands: the file itself, or the file a symbolic link points to (the link stays).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    /// The file whose content was replaced.
    pub target: PathBuf,
    /// Whether `path` was a symbolic link (to `target`).
    pub through_link: bool,
    /// Other hard links of the file before the write: they keep the old content, since the file is
    /// replaced (a new inode), not rewritten in place.
    pub other_hard_links: u64,
}

/// Replace a file's content atomically: a temporary file in the same directory, with the original's
/// permissions, flushed to disk, then renamed over it. A failure leaves the original untouched. A symbolic
/// link is followed: the file it points to is replaced and the link stays a link.
pub fn write_atomic(path: &Path, text: &str) -> Result<Written> {
    let through_link = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
    let target = if through_link {
        std::fs::canonicalize(path).with_context(|| {
            format!(
                "`{}` is a symbolic link to a file that cannot be reached",
                path.display()
            )
        })?
    } else {
        path.to_path_buf()
    };
    let dir = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".iamidmap-")
        .tempfile_in(&dir)
        .with_context(|| format!("cannot create a temporary file in `{}`", dir.display()))?;
    tmp.write_all(text.as_bytes())
        .and_then(|_| tmp.as_file().sync_all())
        .with_context(|| format!("cannot write a temporary file in `{}`", dir.display()))?;
    let mut other_hard_links = 0;
    if let Ok(meta) = std::fs::metadata(&target) {
        std::fs::set_permissions(tmp.path(), meta.permissions())
            .with_context(|| format!("cannot copy the permissions of `{}`", target.display()))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            other_hard_links = meta.nlink().saturating_sub(1);
        }
    }
    tmp.persist(&target)
        .map_err(|e| e.error)
        .with_context(|| format!("cannot replace `{}`", target.display()))?;
    Ok(Written {
        target,
        through_link,
        other_hard_links,
    })
}

/// The repository settings file (`.iamidmap.yaml`) that covers `start`: in it or the nearest parent
/// directory that has one, not above the top of the Git work tree (a directory holding `.git`) the search
/// started in, so that a file in a home directory never applies to a checkout below it.
pub fn find_settings(start: &Path) -> Option<PathBuf> {
    let mut dir = Some(start);
    while let Some(d) = dir {
        let candidate = d.join(crate::core::lint::config::FILE_NAME);
        if candidate.is_file() {
            return Some(candidate);
        }
        if d.join(".git").exists() {
            return None;
        }
        dir = d.parent();
    }
    None
}
