//! Generated reference material: man pages from the clap definitions, the lint rule reference from the
//! registry, and shell completions. A test compares the committed files with these.

use crate::cli::diagnostics::EXIT_OK;
use crate::cli::{CompletionsArgs, GenerateDocsArgs};
use anyhow::{Context, Result};
use std::path::PathBuf;

/// Man pages: `iamidmap.1` and one `iamidmap-<command>[-<subcommand>].1` per visible (sub)command, so
/// that every page a SEE ALSO or SUBCOMMANDS list names is shipped. clap's `help` subcommand has no page
/// (`--help` and these pages say the same).
pub fn man_pages() -> Vec<(String, String)> {
    fn without_help(cmd: clap::Command) -> clap::Command {
        let names: Vec<String> = cmd
            .get_subcommands()
            .map(|s| s.get_name().to_string())
            .collect();
        let mut cmd = cmd.disable_help_subcommand(true);
        for n in names {
            cmd = cmd.mut_subcommand(n, without_help);
        }
        cmd
    }
    fn render(cmd: clap::Command) -> String {
        let mut buf = vec![];
        clap_mangen::Man::new(cmd)
            .render(&mut buf)
            .expect("man page renders");
        String::from_utf8(buf).expect("man page is UTF-8")
    }
    fn pages_of(cmd: &clap::Command, prefix: &str, pages: &mut Vec<(String, String)>) {
        for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
            let name = format!("{prefix}-{}", sub.get_name());
            let page = sub.clone().name(name.clone()).bin_name(name.clone());
            pages.push((format!("{name}.1"), render(page)));
            pages_of(sub, &name, pages);
        }
    }
    let mut root = without_help(crate::cli::command());
    // Propagate the global flags, so that each page lists the cluster flags its command uses.
    root.build();
    let mut pages = vec![("iamidmap.1".to_string(), render(root.clone()))];
    pages_of(&root, "iamidmap", &mut pages);
    pages
}

/// Every generated file, relative to the project root.
pub fn render_docs() -> Vec<(PathBuf, String)> {
    let mut files: Vec<(PathBuf, String)> = man_pages()
        .into_iter()
        .map(|(name, text)| (PathBuf::from("man").join(name), text))
        .collect();
    files.push((
        PathBuf::from("docs/lint-rules.md"),
        crate::core::lint::rules_markdown(),
    ));
    files
}

pub fn generate_docs(args: GenerateDocsArgs) -> Result<i32> {
    for (rel, text) in render_docs() {
        let path = args.out.join(&rel);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create `{}`", dir.display()))?;
        }
        crate::adapters::fs::write_atomic(&path, &text)?;
        eprintln!("wrote {}", path.display());
    }
    Ok(EXIT_OK)
}

pub fn completions(args: CompletionsArgs) -> Result<i32> {
    let mut cmd = crate::cli::command();
    clap_complete::generate(args.shell, &mut cmd, "iamidmap", &mut std::io::stdout());
    Ok(EXIT_OK)
}
