//! `iamidmap diff`: compare two versions of aws-auth (the live ConfigMap, a file, a backup): the semantic
//! diff (who gains or loses what, as the authenticator resolves it) and a unified diff of the values.

use super::session::Session;
use super::{live, load};
use crate::adapters::backup;
use crate::cli::diagnostics::{EXIT_FINDINGS, EXIT_OK, Failure};
use crate::cli::{DiffArgs, DiffFormat, render};
use crate::core::document::AuthDocument;
use crate::core::mapping::DataKey;
use crate::core::plan;
use anyhow::Result;

/// Read `live`, `latest` (the newest known-good backup of this cluster), `before` (the state before
/// the last write) or a path.
pub fn read_source(source: &str, s: &Session<'_>) -> Result<AuthDocument> {
    let (cluster, out) = (s.args, s.out);
    match source {
        "live" => live::read(s),
        "latest" | "before" => {
            let conn = s.connect()?;
            let (dir, identity, backups) = live::cluster_backups(s, &conn)?;
            let newest = backups
                .iter()
                .rev()
                .find(|b| {
                    if source == "latest" {
                        b.state.known_good()
                    } else {
                        b.state == backup::State::Before
                    }
                })
                .or_else(|| backups.last())
                .ok_or_else(|| {
                    Failure::error(
                        format!(
                            "there is no backup of this cluster ({}) in `{}`",
                            identity.describe(),
                            dir.display()
                        ),
                        Some(
                            "`iamidmap backup` takes one; --backup-dir points elsewhere"
                                .to_string(),
                        ),
                    )
                })?;
            out.note(&format!(
                "{source} backup ({}, {}): {}",
                newest.state.as_str(),
                newest.time,
                newest.path.display()
            ));
            Ok(load(&newest.path, cluster.kind)?.1)
        }
        path => Ok(load(std::path::Path::new(path), cluster.kind)?.1),
    }
}

/// The unified diff of each data value that differs.
pub fn values_diff(from: &AuthDocument, to: &AuthDocument) -> String {
    let mut out = String::new();
    for key in DataKey::ALL {
        let a = from.slot(key).map_or("", |s| s.content.as_str());
        let b = to.slot(key).map_or("", |s| s.content.as_str());
        if a != b {
            out.push_str(
                &similar::TextDiff::from_lines(a, b)
                    .unified_diff()
                    .context_radius(3)
                    .header(
                        &format!("{} ({})", key.as_str(), "from"),
                        &format!("{} ({})", key.as_str(), "to"),
                    )
                    .to_string(),
            );
        }
    }
    out
}

pub fn diff(args: DiffArgs, s: &Session<'_>, no_color: bool) -> Result<i32> {
    let _out = s.out;
    let DiffArgs {
        from,
        to,
        file,
        output,
        exit_code,
    } = args;
    let to = to.unwrap_or_else(|| file.map(|f| f.display().to_string()).unwrap_or_default());
    let a = read_source(&from, s)?;
    let b = read_source(&to, s)?;
    let semantic = plan::semantic_diff(&a, &b);
    let text_differs = a
        .slots
        .iter()
        .map(|s| (s.key, &s.content))
        .ne(b.slots.iter().map(|s| (s.key, &s.content)));
    match output {
        DiffFormat::Json => {
            let v = serde_json::json!({"from": from, "to": to, "semantic": semantic, "valuesDiffer": text_differs});
            println!("{}", serde_json::to_string_pretty(&v)?);
        }
        DiffFormat::Text => {
            let on = !no_color && crate::cli::style::on(false);
            print!("{}", render::terminal_safe(&plan::render_text(&semantic)));
            let values = render::terminal_safe(&values_diff(&a, &b)).into_owned();
            print!(
                "{}",
                if on {
                    crate::cli::style::diff(&values)
                } else {
                    values
                }
            );
        }
    }
    Ok(if exit_code && (text_differs || !semantic.is_empty()) {
        EXIT_FINDINGS
    } else {
        EXIT_OK
    })
}
