//! Colour on a terminal: off with `--no-color`, with `NO_COLOR` (https://no-color.org), and when the stream
//! is not a terminal; `CLICOLOR_FORCE=1` turns it on for a pipe (and for tests). Colour is added after the
//! text was made terminal-safe, so it never lets a ConfigMap's own escape sequences through.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};

static DISABLED: AtomicBool = AtomicBool::new(false);

/// `--no-color` was given.
pub fn disable() {
    DISABLED.store(true, Ordering::Relaxed);
}

/// Whether to colour standard error (`stderr`) or standard output.
pub fn on(stderr: bool) -> bool {
    if DISABLED.load(Ordering::Relaxed)
        || std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
    {
        return false;
    }
    if std::env::var("CLICOLOR_FORCE").is_ok_and(|v| v != "0" && !v.is_empty()) {
        return true;
    }
    if stderr {
        std::io::stderr().is_terminal()
    } else {
        std::io::stdout().is_terminal()
    }
}

pub const RED: &str = "31";
pub const GREEN: &str = "32";
pub const YELLOW: &str = "33";
pub const CYAN: &str = "36";
pub const BOLD: &str = "1";

/// `text` in an SGR colour.
pub fn paint(text: &str, code: &str) -> String {
    format!("\x1b[{code}m{text}\x1b[0m")
}

/// Colour the severity of each finding line (`file:1:2: error[IM016 …]: …`).
pub fn findings(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 64);
    for line in text.split_inclusive('\n') {
        let mut done = false;
        for (word, code) in [("error", RED), ("warning", YELLOW), ("info", CYAN)] {
            let needle = format!(": {word}[");
            if !done && let Some(i) = line.find(&needle) {
                out.push_str(&line[..i + 2]);
                out.push_str(&paint(word, code));
                out.push_str(&line[i + 2 + word.len()..]);
                done = true;
            }
        }
        if !done {
            out.push_str(line);
        }
    }
    out
}

/// Colour the label at the start of a diagnostic line (`error:`, `warning:`, `note:`, `hint:`).
pub fn label(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 32);
    for line in text.split_inclusive('\n') {
        let painted = [
            ("error:", RED),
            ("warning:", YELLOW),
            ("note:", CYAN),
            ("hint:", GREEN),
        ]
        .iter()
        .find(|(l, _)| line.starts_with(l))
        .map(|(l, code)| format!("{}{}", paint(l, code), &line[l.len()..]));
        out.push_str(painted.as_deref().unwrap_or(line));
    }
    out
}

/// Colour a unified diff: added lines green, removed lines red, hunk headers cyan.
pub fn diff(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 256);
    for line in text.split_inclusive('\n') {
        let (body, end) = line.strip_suffix('\n').map_or((line, ""), |b| (b, "\n"));
        let code = match body.as_bytes().first() {
            Some(b'+') if !body.starts_with("+++") => Some(GREEN),
            Some(b'-') if !body.starts_with("---") => Some(RED),
            Some(b'@') => Some(CYAN),
            _ => None,
        };
        match code {
            Some(code) => {
                out.push_str(&paint(body, code));
                out.push_str(end);
            }
            None => out.push_str(line),
        }
    }
    out
}

/// The theme of confirmation prompts on standard error: coloured when [`on`], plain otherwise.
pub fn prompt_theme() -> Box<dyn dialoguer::theme::Theme> {
    if on(true) {
        Box::new(dialoguer::theme::ColorfulTheme::default())
    } else {
        Box::new(dialoguer::theme::SimpleTheme)
    }
}

/// Colour doctor's marks at the start of its step lines (✓ ✗ ! -).
pub fn marks(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 64);
    for line in text.split_inclusive('\n') {
        let painted = [("✓ ", GREEN), ("✗ ", RED), ("! ", YELLOW)]
            .iter()
            .find(|(m, _)| line.starts_with(m))
            .map(|(m, code)| format!("{} {}", paint(m.trim_end(), code), &line[m.len()..]));
        out.push_str(painted.as_deref().unwrap_or(line));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_labels_are_painted() {
        assert_eq!(
            findings("a.yaml:1:2: error[IM016 role-path]: x error[\nsummary\n"),
            "a.yaml:1:2: \x1b[31merror\x1b[0m[IM016 role-path]: x error[\nsummary\n"
        );
        assert_eq!(
            label("error: no\nhint: run x\nplain\n"),
            "\x1b[31merror:\x1b[0m no\n\x1b[32mhint:\x1b[0m run x\nplain\n"
        );
        assert_eq!(
            marks("✓ kubeconfig: ok\n✗ mapping: no\n"),
            "\x1b[32m✓\x1b[0m kubeconfig: ok\n\x1b[31m✗\x1b[0m mapping: no\n"
        );
        assert_eq!(
            diff("--- a\n+++ b\n@@ -1 +1 @@\n-x\n+y\n z"),
            "--- a\n+++ b\n\x1b[36m@@ -1 +1 @@\x1b[0m\n\x1b[31m-x\x1b[0m\n\x1b[32m+y\x1b[0m\n z"
        );
    }
}
