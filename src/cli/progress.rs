//! Progress bars for long operations: on stderr, only on a terminal, never with `-q`.

use crate::cli::diagnostics::Reporter;
use std::io::IsTerminal;

/// A bar for `len` steps; hidden (every call a no-op) when it would not be seen or is not worth it.
pub fn bar(len: u64, what: &str, out: Reporter) -> indicatif::ProgressBar {
    if out.quiet || len < 20 || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(len);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{msg} {bar:30} {pos}/{len} ({eta})")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar.set_message(what.to_string());
    bar
}
