//! How failures reach the user: `error:`, `caused by:` and `hint:` lines on stderr, and the exit code.

use std::fmt;

/// Exit codes (README.md, docs/output.md).
pub const EXIT_OK: i32 = 0;
pub const EXIT_FINDINGS: i32 = 1;
pub const EXIT_ERROR: i32 = 2;
pub const EXIT_REFUSED: i32 = 3;

/// An error that carries its exit code and a hint saying what to run next.
#[derive(Debug)]
pub struct Failure {
    pub code: i32,
    pub message: String,
    pub hint: Option<String>,
}

impl Failure {
    pub fn error(message: impl Into<String>, hint: impl Into<Option<String>>) -> Self {
        Failure {
            code: EXIT_ERROR,
            message: message.into(),
            hint: hint.into(),
        }
    }
    pub fn refused(message: impl Into<String>, hint: impl Into<Option<String>>) -> Self {
        Failure {
            code: EXIT_REFUSED,
            message: message.into(),
            hint: hint.into(),
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}

/// Render an error chain; returns the text and the exit code.
pub fn render_error(err: &anyhow::Error) -> (String, i32) {
    let mut out = format!("error: {err}\n");
    for cause in err.chain().skip(1) {
        out.push_str(&format!("caused by: {cause}\n"));
    }
    let failure = err.chain().find_map(|e| e.downcast_ref::<Failure>());
    if let Some(hint) = failure.and_then(|f| f.hint.as_ref()) {
        out.push_str(&format!("hint: {hint}\n"));
    }
    (
        super::render::terminal_safe(&out).into_owned(),
        failure.map_or(EXIT_ERROR, |f| f.code),
    )
}

/// A diagnostic line for standard error, its label coloured on a terminal.
fn styled(line: &str) -> String {
    if super::style::on(true) {
        super::style::label(line)
    } else {
        line.to_string()
    }
}

/// Notes and warnings for stderr, silenced by `-q`.
#[derive(Debug, Clone, Copy)]
pub struct Reporter {
    pub quiet: bool,
    pub verbose: bool,
}

impl Reporter {
    pub fn note(&self, text: &str) {
        if !self.quiet {
            let line = format!("note: {}", super::render::terminal_safe(text));
            eprintln!("{}", styled(&line));
        }
    }
    pub fn warn(&self, text: &str) {
        if !self.quiet {
            let line = format!("warning: {}", super::render::terminal_safe(text));
            eprintln!("{}", styled(&line));
        }
    }
    pub fn debug(&self, text: &str) {
        if self.verbose {
            eprintln!("debug: {}", super::render::terminal_safe(text));
        }
    }
}
