//! The file write pipeline shared by `create` and `delete`: show the change, ask (or not), write
//! atomically. `--dry-run` prints the unified diff and writes nothing.

use crate::adapters::fs::{self, Input};
use crate::cli::WriteOptions;
use crate::cli::diagnostics::{EXIT_OK, Failure, Reporter};
use crate::cli::render;
use anyhow::Result;
use std::io::IsTerminal;

pub fn write_file(
    input: &Input,
    new_text: &str,
    opts: &WriteOptions,
    out: Reporter,
) -> Result<i32> {
    if new_text == input.text {
        out.note("nothing to change; the file is left as it is");
        return Ok(EXIT_OK);
    }
    let diff = render::unified_diff(&input.name, &input.text, new_text);
    if opts.dry_run {
        print!("{}", painted(&diff, false));
        out.note("dry run: nothing was written");
        return Ok(EXIT_OK);
    }
    let Some(path) = input.path.as_deref() else {
        return Err(Failure::error(
            "cannot write the change back to standard input",
            Some("pass the file with -f FILE, or use --dry-run to see the change".to_string()),
        )
        .into());
    };
    if !opts.yes {
        confirm(&diff, &format!("Write these changes to {}?", input.name))?;
    }
    let written = fs::write_atomic(path, new_text)?;
    if written.through_link {
        out.note(&format!(
            "wrote {} (through the symbolic link: `{}` was replaced, the link stays)",
            input.name,
            written.target.display()
        ));
    } else {
        out.note(&format!("wrote {}", input.name));
    }
    if written.other_hard_links > 0 {
        out.warn(&format!(
            "`{}` had {} other hard link{}: the file was replaced (a new file, written atomically), so {} still {} the old content",
            written.target.display(),
            written.other_hard_links,
            if written.other_hard_links == 1 { "" } else { "s" },
            if written.other_hard_links == 1 { "that name" } else { "those names" },
            if written.other_hard_links == 1 { "shows" } else { "show" },
        ));
    }
    Ok(EXIT_OK)
}

/// A diff made terminal-safe, and coloured when the stream (`stderr` or standard output) takes colour.
fn painted(diff: &str, stderr: bool) -> String {
    let safe = render::terminal_safe(diff);
    if crate::cli::style::on(stderr) {
        crate::cli::style::diff(&safe)
    } else {
        safe.into_owned()
    }
}

/// Show the diff on stderr and ask; without a terminal, refuse with a hint.
pub fn confirm(diff: &str, question: &str) -> Result<()> {
    confirm_or(diff, question, "aborted; nothing was written")
}

/// [`confirm`], saying `aborted` when the answer is no (what was and was not written by then).
pub fn confirm_or(diff: &str, question: &str, aborted: &str) -> Result<()> {
    if !(std::io::stdin().is_terminal() && std::io::stderr().is_terminal()) {
        return Err(Failure::error(
            "not writing without confirmation: standard input is not a terminal",
            Some("pass --yes to write, or --dry-run to see the change first".to_string()),
        )
        .into());
    }
    eprint!("{}", painted(diff, true));
    let go = dialoguer::Confirm::with_theme(&*crate::cli::style::prompt_theme())
        .with_prompt(question)
        .default(false)
        .interact()?;
    if !go {
        return Err(Failure::refused(aborted, None).into());
    }
    Ok(())
}
