//! The repository's lint settings (`.iamidmap.yaml`) for `validate` and `check`: found from the working
//! directory (or given with `--config`), parsed by the core, and asked per manifest.

use crate::cli::FailOn;
use crate::cli::diagnostics::{Failure, Reporter};
use crate::core::lint::Severity;
use crate::core::lint::config::{Config, Effective};
use crate::core::lint::suppress::Suppression;
use anyhow::Result;
use std::path::{Component, Path, PathBuf};

/// The settings in force, and the file they came from.
#[derive(Debug, Default)]
pub struct LintSettings {
    config: Config,
    file: Option<PathBuf>,
}

/// `--config FILE`, else the nearest `.iamidmap.yaml` (none with `--no-config`).
pub fn load(config: Option<&Path>, no_config: bool, out: Reporter) -> Result<LintSettings> {
    if no_config {
        return Ok(LintSettings::default());
    }
    let file = match config {
        Some(f) => Some(f.to_path_buf()),
        None => std::env::current_dir()
            .ok()
            .and_then(|cwd| crate::adapters::fs::find_settings(&cwd)),
    };
    let Some(file) = file else {
        return Ok(LintSettings::default());
    };
    let input = crate::adapters::fs::read_input(&file)?;
    let config = Config::parse(&input.text).map_err(|e| {
        Failure::error(
            format!("{}: {e}", input.name),
            Some(format!(
                "fix the settings file (its format is in docs/ci.md, \"Settings\"), or pass --no-config to lint without it{}",
                if config.is_some() { "" } else { " (it was found in a parent directory)" }
            )),
        )
    })?;
    out.note(&format!("lint settings from {}", file.display()));
    Ok(LintSettings {
        config,
        file: Some(absolute(&file)),
    })
}

impl LintSettings {
    /// The settings for a manifest (`None`: standard input or the live ConfigMap).
    pub fn for_input(&self, path: Option<&Path>) -> Effective {
        let relative = match (&self.file, path) {
            (Some(file), Some(path)) => file.parent().and_then(|base| {
                absolute(path).strip_prefix(base).ok().map(|rel| {
                    rel.components()
                        .map(|c| c.as_os_str().to_string_lossy())
                        .collect::<Vec<_>>()
                        .join("/")
                })
            }),
            _ => None,
        };
        self.config.for_path(relative.as_deref())
    }

    /// The rules to suppress for a manifest: the settings' `ignore` and then `--ignore`.
    pub fn ignored(&self, effective: &Effective, flags: &[String]) -> Vec<(String, Suppression)> {
        let by_file = self.file.as_ref().map(|f| f.display().to_string());
        let mut out: Vec<(String, Suppression)> = flags
            .iter()
            .map(|r| (r.clone(), Suppression::Flag))
            .collect();
        if let Some(file) = by_file {
            out.extend(
                effective
                    .ignore
                    .iter()
                    .map(|r| (r.clone(), Suppression::Config { file: file.clone() })),
            );
        }
        out
    }

    /// `--fail-on`, else the settings' `failOn`, else error.
    pub fn threshold(&self, flag: Option<FailOn>) -> Severity {
        match flag {
            Some(FailOn::Error) => Severity::Error,
            Some(FailOn::Warning) => Severity::Warning,
            Some(FailOn::Info) => Severity::Info,
            None => self.config.fail_on().unwrap_or(Severity::Error),
        }
    }
}

/// `path` made absolute against the working directory, with `.` and `..` resolved lexically (no symbolic
/// links followed, so that the relative path is the one the user sees).
fn absolute(path: &Path) -> PathBuf {
    let full = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut out = PathBuf::new();
    for c in full.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}
