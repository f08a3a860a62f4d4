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

/// Read a file, or standard input for `-`. Bytes that are not UTF-8 are an error naming the file.
pub fn read_input(path: &Path) -> Result<Input> {
    let (name, bytes, real) = if is_stdin(path) {
        let mut buf = vec![];
        std::io::stdin()
            .read_to_end(&mut buf)
            .context("cannot read standard input")?;
        ("<stdin>".to_string(), buf, None)
    } else {
        let bytes =
            std::fs::read(path).with_context(|| format!("cannot read `{}`", path.display()))?;
        (path.display().to_string(), bytes, Some(path.to_path_buf()))
    };
    let text = String::from_utf8(bytes).map_err(|e| {
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

/// Replace a file's content atomically: a temporary file in the same directory, with the original's
/// permissions, flushed to disk, then renamed over it. A failure leaves the original untouched.
pub fn write_atomic(path: &Path, text: &str) -> Result<()> {
    let dir = match path.parent() {
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
    if let Ok(meta) = std::fs::metadata(path) {
        std::fs::set_permissions(tmp.path(), meta.permissions())
            .with_context(|| format!("cannot copy the permissions of `{}`", path.display()))?;
    }
    tmp.persist(path)
        .map_err(|e| e.error)
        .with_context(|| format!("cannot replace `{}`", path.display()))?;
    Ok(())
}
