//! iamidmap manages the AWS IAM identity mappings of Kubernetes clusters (the EKS `aws-auth` ConfigMap).
//!
//! Layers: `core` is pure (ARNs, the mapping model, the lossless document, lint rules); `adapters` do
//! I/O (files now; Kubernetes and AWS later); `commands` hold one file per subcommand; `cli` holds the
//! clap definitions, renderers and diagnostics. `main.rs` only calls [`run`].

pub mod adapters;
pub mod cli;
pub mod commands;
pub mod core;

/// Run the command line and return the process exit code.
pub fn run<I, T>(args: I) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let cli = match cli::parse(args) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                cli::diagnostics::EXIT_ERROR
            } else {
                0
            };
        }
    };
    match commands::dispatch(cli) {
        Ok(code) => code,
        Err(err) => {
            let (text, code) = cli::diagnostics::render_error(&err);
            if cli::style::on(true) {
                eprint!("{}", cli::style::label(&text));
            } else {
                eprint!("{text}");
            }
            code
        }
    }
}
