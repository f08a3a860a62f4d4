//! The repository's lint settings, `.iamidmap.yaml`: rules never reported, severity overrides, a default
//! for `--fail-on`, and the same per path (gitignore-style globs, relative to the file's directory; later
//! entries win). Pure: the adapter finds and reads the file, this parses and answers per manifest.
//!
//! ```yaml
//! lint:
//!   ignore: [IM023]
//!   severity: {IM030: error}
//!   failOn: warning
//!   paths:
//!     - path: "clusters/dev/**"
//!       ignore: [IM033]
//!       severity: {IM016: warning}
//! ```

use super::Severity;
use serde::Deserialize;
use serde_saphyr::Spanned;
use std::collections::{BTreeMap, HashMap};

/// The configuration file's name, looked for in the working directory and its parents.
pub const FILE_NAME: &str = ".iamidmap.yaml";

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("{0}")]
    Syntax(String),
    #[error("line {line}: `{id}` is not a rule (the rules are IM001 … in docs/lint-rules.md)")]
    UnknownRule { line: u64, id: String },
    #[error("line {line}: `{glob}` is not a valid glob: {why}")]
    BadGlob {
        line: u64,
        glob: String,
        why: String,
    },
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct FileShape {
    #[serde(default)]
    lint: Settings,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Settings {
    #[serde(default)]
    ignore: Vec<Spanned<String>>,
    #[serde(default)]
    severity: HashMap<Spanned<String>, Severity>,
    fail_on: Option<Severity>,
    #[serde(default)]
    paths: Vec<PathSettings>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PathSettings {
    path: Spanned<String>,
    #[serde(default)]
    ignore: Vec<Spanned<String>>,
    #[serde(default)]
    severity: HashMap<Spanned<String>, Severity>,
}

/// What applies to one manifest.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Effective {
    pub ignore: Vec<String>,
    pub severity: BTreeMap<String, Severity>,
}

impl Effective {
    /// Give each finding the severity the configuration sets for its rule.
    pub fn apply_severity(&self, findings: &mut [super::Finding]) {
        for f in findings {
            if let Some(s) = self.severity.get(f.rule) {
                f.severity = *s;
            }
        }
    }
}

/// A parsed `.iamidmap.yaml`.
#[derive(Debug, Clone, Default)]
pub struct Config {
    global: Effective,
    fail_on: Option<Severity>,
    paths: Vec<(globset::GlobMatcher, Effective)>,
}

fn rules(
    ignore: Vec<Spanned<String>>,
    severity: HashMap<Spanned<String>, Severity>,
) -> Result<Effective, ConfigError> {
    let known = |s: &Spanned<String>| {
        if super::registry().iter().any(|r| r.id == s.value) {
            Ok(s.value.clone())
        } else {
            Err(ConfigError::UnknownRule {
                line: s.referenced.line(),
                id: s.value.clone(),
            })
        }
    };
    Ok(Effective {
        ignore: ignore.iter().map(known).collect::<Result<_, _>>()?,
        severity: severity
            .iter()
            .map(|(k, v)| known(k).map(|k| (k, *v)))
            .collect::<Result<_, _>>()?,
    })
}

impl Config {
    pub fn parse(text: &str) -> Result<Config, ConfigError> {
        let shape: FileShape = if text.trim().is_empty() {
            FileShape::default()
        } else {
            serde_saphyr::from_str(text).map_err(|e| ConfigError::Syntax(e.to_string()))?
        };
        let Settings {
            ignore,
            severity,
            fail_on,
            paths,
        } = shape.lint;
        let global = rules(ignore, severity)?;
        let mut compiled = vec![];
        for p in paths {
            let glob = globset::GlobBuilder::new(&p.path.value)
                .literal_separator(true)
                .build()
                .map_err(|e| ConfigError::BadGlob {
                    line: p.path.referenced.line(),
                    glob: p.path.value.clone(),
                    why: e.kind().to_string(),
                })?;
            compiled.push((glob.compile_matcher(), rules(p.ignore, p.severity)?));
        }
        Ok(Config {
            global,
            fail_on,
            paths: compiled,
        })
    }

    /// The default of `--fail-on`, when the file sets one.
    pub fn fail_on(&self) -> Option<Severity> {
        self.fail_on
    }

    /// The settings for a manifest at `path`, relative to the configuration file's directory with `/`
    /// separators (`None`: standard input or the live ConfigMap, which only the global settings cover).
    pub fn for_path(&self, path: Option<&str>) -> Effective {
        let mut eff = self.global.clone();
        let Some(path) = path else { return eff };
        let path = path.strip_prefix("./").unwrap_or(path);
        for (glob, more) in &self.paths {
            if glob.is_match(path) {
                for r in &more.ignore {
                    if !eff.ignore.contains(r) {
                        eff.ignore.push(r.clone());
                    }
                }
                eff.severity
                    .extend(more.severity.iter().map(|(k, v)| (k.clone(), *v)));
            }
        }
        eff
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "# lint settings\nlint:\n  ignore: [IM023]\n  severity:\n    IM030: error\n  failOn: warning\n  paths:\n    - path: \"clusters/dev/**\"\n      ignore: [IM033]\n      severity: {IM030: info}\n    - path: \"clusters/*/aws-auth.yaml\"\n      severity: {IM016: warning}\n";

    #[test]
    fn global_then_each_matching_path_in_order() {
        let c = Config::parse(TEXT).unwrap();
        assert_eq!(c.fail_on(), Some(Severity::Warning));
        let live = c.for_path(None);
        assert_eq!(live.ignore, ["IM023"]);
        assert_eq!(live.severity["IM030"], Severity::Error);
        let dev = c.for_path(Some("./clusters/dev/aws-auth.yaml"));
        assert_eq!(dev.ignore, ["IM023", "IM033"]);
        assert_eq!(dev.severity["IM030"], Severity::Info);
        assert_eq!(dev.severity["IM016"], Severity::Warning);
        let prod = c.for_path(Some("clusters/prod/aws-auth.yaml"));
        assert_eq!(prod.ignore, ["IM023"]);
        assert_eq!(prod.severity["IM030"], Severity::Error);
        assert_eq!(prod.severity["IM016"], Severity::Warning);
        // `*` does not cross directories.
        let deep = c.for_path(Some("clusters/prod/old/aws-auth.yaml"));
        assert!(!deep.severity.contains_key("IM016"));
    }

    /// The example in docs/ci.md is a valid settings file that means what the comments there say.
    #[test]
    fn the_documented_example_parses() {
        let doc = include_str!("../../../docs/ci.md");
        let start = doc
            .find("```yaml\nlint:")
            .expect("the example in docs/ci.md")
            + "```yaml\n".len();
        let example = &doc[start..start + doc[start..].find("```").unwrap()];
        let c = Config::parse(example).unwrap();
        assert_eq!(c.fail_on(), Some(Severity::Warning));
        let dev = c.for_path(Some("clusters/dev/a/aws-auth.yaml"));
        assert_eq!(dev.ignore, ["IM025", "IM046"]);
        assert_eq!(dev.severity["IM016"], Severity::Info);
        assert_eq!(dev.severity["IM033"], Severity::Warning);
    }

    #[test]
    fn mistakes_are_named_with_their_line() {
        assert_eq!(
            Config::parse("lint:\n  ignore:\n    - IM023\n    - IM999\n").unwrap_err(),
            ConfigError::UnknownRule {
                line: 4,
                id: "IM999".into()
            }
        );
        assert!(matches!(
            Config::parse("lint:\n  paths:\n    - path: \"a/[b\"\n").unwrap_err(),
            ConfigError::BadGlob { line: 3, .. }
        ));
        let typo = Config::parse("lint:\n  ignroe: [IM023]\n").unwrap_err();
        assert!(
            typo.to_string().contains("ignroe") && typo.to_string().contains("line 2"),
            "{typo}"
        );
        let level = Config::parse("lint:\n  severity: {IM023: fatal}\n").unwrap_err();
        assert!(level.to_string().contains("fatal"), "{level}");
        assert!(Config::parse("").is_ok());
    }
}
