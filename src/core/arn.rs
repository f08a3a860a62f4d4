//! ARNs exactly as aws-iam-authenticator reads them (`Canonicalize`, `StripPath`, `ArnLike`), plus the
//! normalization iamidmap applies before it writes an ARN into a mapping.

use thiserror::Error;

/// The partitions aws-iam-authenticator recognizes (`pkg/endpoints/partitions.go`), case-sensitive.
pub const PARTITIONS: [&str; 8] = [
    "aws",
    "aws-cn",
    "aws-us-gov",
    "aws-iso",
    "aws-iso-b",
    "aws-iso-e",
    "aws-iso-f",
    "aws-eusc",
];

/// The kind of principal a canonical ARN names (upstream `PrincipalType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrincipalType {
    Role,
    User,
    Root,
    FederatedUser,
    AssumedRole,
}

/// The six sections of an ARN, as the AWS SDK's `arn.Parse` splits them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArnParts<'a> {
    pub partition: &'a str,
    pub service: &'a str,
    pub region: &'a str,
    pub account: &'a str,
    pub resource: &'a str,
}

/// Errors of the AWS SDK parser; the texts are the SDK's own.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ArnParseError {
    #[error("arn: invalid prefix")]
    InvalidPrefix,
    #[error("arn: not enough sections")]
    NotEnoughSections,
}

/// `Canonicalize` errors, with upstream's exact texts (users search for them).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CanonicalizeError {
    #[error("arn '{arn}' is invalid: '{source}'")]
    Invalid { arn: String, source: ArnParseError },
    #[error("arn '{0}' does not have a recognized partition")]
    Partition(String),
    #[error("assumed-role arn '{0}' does not have a role")]
    AssumedRoleWithoutRole(String),
    #[error("unrecognized resource {resource} for service {service}")]
    UnrecognizedResource { resource: String, service: String },
    #[error("service {service} in arn {arn} is not a valid service for identities")]
    Service { service: String, arn: String },
}

/// Parse like aws-sdk-go-v2 `arn.Parse`: prefix `arn:`, at most six `:`-separated sections.
pub fn parse(arn: &str) -> Result<ArnParts<'_>, ArnParseError> {
    if !arn.starts_with("arn:") {
        return Err(ArnParseError::InvalidPrefix);
    }
    // Go's SplitN(s, ":", 6): the four colons after `arn:`; the resource keeps any further ones.
    let bytes = arn.as_bytes();
    let mut cut = [0usize; 4];
    let mut n = 0;
    for (i, &b) in bytes.iter().enumerate().skip(4) {
        if b == b':' {
            cut[n] = i;
            n += 1;
            if n == 4 {
                break;
            }
        }
    }
    if n < 4 {
        return Err(ArnParseError::NotEnoughSections);
    }
    Ok(ArnParts {
        partition: &arn[4..cut[0]],
        service: &arn[cut[0] + 1..cut[1]],
        region: &arn[cut[1] + 1..cut[2]],
        account: &arn[cut[2] + 1..cut[3]],
        resource: &arn[cut[3] + 1..],
    })
}

/// The kind of principal an ARN names, without building the canonical ARN (`None` when
/// `canonicalize` would fail). Cheap: lint asks this for every entry several times.
pub fn principal_type(arn: &str) -> Option<PrincipalType> {
    let parts = parse(arn).ok()?;
    if !is_known_partition(parts.partition) {
        return None;
    }
    let mut pieces = parts.resource.split('/');
    let resource_type = pieces.next().unwrap_or_default();
    match (parts.service, resource_type) {
        ("sts", "federated-user") => Some(PrincipalType::FederatedUser),
        ("sts", "assumed-role") => {
            (parts.resource.matches('/').count() >= 2).then_some(PrincipalType::AssumedRole)
        }
        ("iam", "role") => Some(PrincipalType::Role),
        ("iam", "user") => Some(PrincipalType::User),
        ("iam", "root") => Some(PrincipalType::Root),
        _ => None,
    }
}

pub fn is_known_partition(partition: &str) -> bool {
    PARTITIONS.contains(&partition)
}

/// The first two steps of `Canonicalize` and `StripPath`: parse, then require a known partition.
fn parse_known_partition(arn: &str) -> Result<ArnParts<'_>, CanonicalizeError> {
    let parts = parse(arn).map_err(|source| CanonicalizeError::Invalid {
        arn: arn.to_string(),
        source,
    })?;
    if !is_known_partition(parts.partition) {
        return Err(CanonicalizeError::Partition(arn.to_string()));
    }
    Ok(parts)
}

/// `arn.Canonicalize`: the ARN a caller is matched by. Assumed-role ARNs become IAM role ARNs (without
/// the session name and without any path); everything else is returned unchanged, paths included.
pub fn canonicalize(arn: &str) -> Result<(PrincipalType, String), CanonicalizeError> {
    let parts = parse_known_partition(arn)?;
    let resource_type = parts.resource.split('/').next().unwrap_or_default();
    let unrecognized = || CanonicalizeError::UnrecognizedResource {
        resource: parts.resource.to_string(),
        service: parts.service.to_string(),
    };
    match parts.service {
        "sts" => match resource_type {
            "federated-user" => Ok((PrincipalType::FederatedUser, arn.to_string())),
            "assumed-role" => {
                let pieces: Vec<&str> = parts.resource.split('/').collect();
                if pieces.len() < 3 {
                    return Err(CanonicalizeError::AssumedRoleWithoutRole(arn.to_string()));
                }
                let role = pieces[1..pieces.len() - 1].join("/");
                Ok((
                    PrincipalType::AssumedRole,
                    format!(
                        "arn:{}:iam::{}:role/{}",
                        parts.partition, parts.account, role
                    ),
                ))
            }
            _ => Err(unrecognized()),
        },
        "iam" => match resource_type {
            "role" => Ok((PrincipalType::Role, arn.to_string())),
            "user" => Ok((PrincipalType::User, arn.to_string())),
            "root" => Ok((PrincipalType::Root, arn.to_string())),
            _ => Err(unrecognized()),
        },
        service => Err(CanonicalizeError::Service {
            service: service.to_string(),
            arn: arn.to_string(),
        }),
    }
}

/// `arn.StripPath` (DynamicFile backend): a role ARN with a path becomes `role/<last part>`.
pub fn strip_path(arn: &str) -> Result<String, CanonicalizeError> {
    let parts = parse_known_partition(arn)?;
    let pieces: Vec<&str> = parts.resource.split('/').collect();
    if pieces[0] != "role" || pieces.len() <= 2 {
        return Ok(arn.to_string());
    }
    Ok(format!(
        "arn:{}:iam::{}:role/{}",
        parts.partition,
        parts.account,
        pieces[pieces.len() - 1]
    ))
}

/// `ArnLike` errors with upstream's texts.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ArnLikeError {
    #[error("could not parse input arn: {0}")]
    Input(&'static str),
    #[error("could not parse ArnLike string: {0}")]
    Pattern(&'static str),
}

fn arn_like_sections(s: &str) -> Result<Vec<&str>, &'static str> {
    if !s.starts_with("arn:") {
        return Err("invalid prefix");
    }
    let sections: Vec<&str> = s.splitn(6, ':').collect();
    if sections.len() != 6 {
        return Err("not enough sections");
    }
    Ok(sections)
}

/// Upstream `quoteMeta`: escape regex metacharacters, `*` becomes `.*` and `?` becomes `.?`.
pub fn quote_meta(section: &str) -> String {
    let mut out = String::with_capacity(section.len() * 2);
    for c in section.chars() {
        match c {
            '\\' | '.' | '+' | '(' | ')' | '|' | '[' | ']' | '{' | '}' | '^' | '$' => {
                out.push('\\');
                out.push(c);
            }
            '*' => out.push_str(".*"),
            '?' => out.push_str(".?"),
            _ => out.push(c),
        }
    }
    out
}

/// IAM-policy-style `ArnLike` as aws-iam-authenticator implements it (case-sensitive, section by section).
pub fn arn_like(arn: &str, pattern: &str) -> Result<bool, ArnLikeError> {
    let input = arn_like_sections(arn).map_err(ArnLikeError::Input)?;
    let pat = arn_like_sections(pattern).map_err(ArnLikeError::Pattern)?;
    for (value, pat) in input.iter().zip(pat.iter()) {
        let re = regex::Regex::new(&format!("^{}$", quote_meta(pat)))
            .map_err(|_| ArnLikeError::Pattern("invalid pattern"))?;
        if !re.is_match(value) {
            return Ok(false);
        }
    }
    Ok(true)
}

/// What [`normalize_for_write`] changed, so the CLI can say it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Normalization {
    /// A role path was removed (`role/a/b/R` -> `role/R`); `sso` when it was the IAM Identity Center path.
    StrippedRolePath { path: String, sso: bool },
    /// An `sts … assumed-role/R/S` ARN became the role ARN; the session name was dropped.
    AssumedRoleToRole { session: String },
}

impl std::fmt::Display for Normalization {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Normalization::StrippedRolePath { path, sso: true } => write!(
                f,
                "removed the IAM Identity Center path `{path}`: the authenticator matches SSO roles without it"
            ),
            Normalization::StrippedRolePath { path, sso: false } => write!(
                f,
                "removed the role path `{path}`: the authenticator never matches a role ARN with a path"
            ),
            Normalization::AssumedRoleToRole { session } => write!(
                f,
                "turned the assumed-role session ARN (session `{session}`) into its IAM role ARN"
            ),
        }
    }
}

/// Why an ARN cannot be written into a mapping.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum NormalizeError {
    #[error(
        "`{arn}` is not an ARN ({reason}); expected `arn:aws:iam::<account-id>:role/<name>` or `…:user/<name>`"
    )]
    NotAnArn { arn: String, reason: ArnParseError },
    #[error(
        "`{arn}` has partition `{partition}`, which is not an AWS partition ({})",
        PARTITIONS.join(", ")
    )]
    Partition { arn: String, partition: String },
    #[error("`{arn}` has account `{account}`; an AWS account ID is exactly 12 digits")]
    Account { arn: String, account: String },
    #[error("`{arn}` is {what}; only IAM roles and IAM users can be mapped")]
    Unsupported { arn: String, what: String },
    #[error("`{arn}` has no role or user name")]
    NoName { arn: String },
    #[error("`{shown}` contains {what}; IAM ARNs are printable ASCII without spaces")]
    Characters { shown: String, what: String },
    #[error(
        "`{arn}` has region `{region}`; IAM ARNs have an empty region (`arn:aws:iam::<account-id>:…`)"
    )]
    Region { arn: String, region: String },
    #[error("`{arn}`: the {what} `{name}` is not valid in IAM ({rule})")]
    Name {
        arn: String,
        what: &'static str,
        name: String,
        rule: String,
    },
}

/// The longest role or user name IAM accepts, and the longest path.
pub const MAX_NAME: usize = 64;
pub const MAX_PATH: usize = 512;

/// A string for an error message with every character that is not printable ASCII shown as an escape.
fn visible(s: &str) -> String {
    s.chars()
        .flat_map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                vec![c]
            } else {
                c.escape_unicode().collect()
            }
        })
        .collect()
}

/// Check an ARN given for a new mapping against IAM's rules before anything is read or written: printable
/// ASCII without spaces, no region for IAM, role and user names of `[A-Za-z0-9+=,.@_-]` up to 64
/// characters, paths of printable ASCII up to 512. (The authenticator would store anything; IAM can never
/// issue such an ARN, so a mapping of it only misleads.)
pub fn check_writable(arn: &str) -> Result<(), NormalizeError> {
    let arn = arn.trim();
    if let Some(c) = arn.chars().find(|c| !c.is_ascii_graphic()) {
        let what = match c {
            ' ' => "a space".to_string(),
            c if c.is_control() => format!("the control character {}", c.escape_unicode()),
            c => format!("the non-ASCII character `{c}` ({})", c.escape_unicode()),
        };
        return Err(NormalizeError::Characters {
            shown: visible(arn),
            what,
        });
    }
    let Ok(parts) = parse(arn) else {
        return Ok(()); // normalize_for_write names the problem
    };
    let pieces: Vec<&str> = parts.resource.split('/').collect();
    let name_rule = |what: &'static str, name: &str| -> Result<(), NormalizeError> {
        let bad = |rule: String| NormalizeError::Name {
            arn: arn.to_string(),
            what,
            name: name.to_string(),
            rule,
        };
        if name.len() > MAX_NAME {
            return Err(bad(format!(
                "{} characters; at most {MAX_NAME}",
                name.len()
            )));
        }
        if let Some(c) = name
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || "+=,.@_-".contains(*c)))
        {
            return Err(bad(format!(
                "`{c}` is not allowed; names use letters, digits and `+=,.@_-`"
            )));
        }
        Ok(())
    };
    match (parts.service, pieces[0]) {
        ("iam", kind @ ("role" | "user")) if pieces.len() >= 2 => {
            if !parts.region.is_empty() {
                return Err(NormalizeError::Region {
                    arn: arn.to_string(),
                    region: parts.region.to_string(),
                });
            }
            let what = if kind == "role" {
                "role name"
            } else {
                "user name"
            };
            name_rule(what, pieces[pieces.len() - 1])?;
            let path =
                &parts.resource[kind.len()..parts.resource.len() - pieces[pieces.len() - 1].len()];
            if path.len() > MAX_PATH {
                return Err(NormalizeError::Name {
                    arn: arn.to_string(),
                    what: "path",
                    name: path.to_string(),
                    rule: format!("{} characters; at most {MAX_PATH}", path.len()),
                });
            }
            if pieces[1..pieces.len() - 1].iter().any(|p| p.is_empty()) {
                return Err(NormalizeError::Name {
                    arn: arn.to_string(),
                    what: "path",
                    name: path.to_string(),
                    rule: "a path has no empty parts (`//`)".to_string(),
                });
            }
        }
        ("sts", "assumed-role") if pieces.len() >= 3 => {
            name_rule("role name", pieces[pieces.len() - 2])?;
        }
        _ => {}
    }
    Ok(())
}

/// The ARN the authenticator matches for a caller known by this ARN: canonical (an assumed-role session
/// becomes its role) and, for roles, without a path, since STS never shows a role's path in the session
/// ARN the authenticator canonicalizes (`role/teams/platform/Admin` and the IAM Identity Center form
/// `role/aws-reserved/sso.amazonaws.com/REGION/AWSReservedSSO_…` are matched as `role/<name>`). IAM
/// users keep their path, as GetCallerIdentity shows it.
pub fn caller_arn(arn: &str) -> Result<String, CanonicalizeError> {
    let (kind, canonical) = canonicalize(arn.trim())?;
    match kind {
        PrincipalType::Role | PrincipalType::AssumedRole => strip_path(&canonical),
        _ => Ok(canonical),
    }
}

/// An ARN ready to be written into a mapping, with what was changed on the way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NormalizedArn {
    pub arn: String,
    pub kind: PrincipalType,
    pub changes: Vec<Normalization>,
}

pub fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// Normalize an ARN before writing it: strip role paths (SSO's `aws-reserved/sso.amazonaws.com/<region>/`
/// included), turn an assumed-role ARN into its role ARN, and refuse groups, federated users, the root
/// user and non-IAM ARNs with a reason. The partition must be known and the account 12 digits.
pub fn normalize_for_write(arn: &str) -> Result<NormalizedArn, NormalizeError> {
    let arn = arn.trim();
    let parts = parse(arn).map_err(|reason| NormalizeError::NotAnArn {
        arn: arn.to_string(),
        reason,
    })?;
    if !is_known_partition(parts.partition) {
        return Err(NormalizeError::Partition {
            arn: arn.to_string(),
            partition: parts.partition.to_string(),
        });
    }
    let unsupported = |what: &str| NormalizeError::Unsupported {
        arn: arn.to_string(),
        what: what.to_string(),
    };
    // The service first: an S3 or EC2 ARN is the wrong kind of thing, whatever its account says.
    if !matches!(parts.service, "iam" | "sts") {
        return Err(unsupported(&format!(
            "an ARN of service `{}`, not an IAM role or user",
            parts.service
        )));
    }
    if !is_account_id(parts.account) {
        return Err(NormalizeError::Account {
            arn: arn.to_string(),
            account: parts.account.to_string(),
        });
    }
    let pieces: Vec<&str> = parts.resource.split('/').collect();
    match (parts.service, pieces[0]) {
        ("iam", "role") | ("iam", "user") => {
            let name = pieces[pieces.len() - 1];
            if pieces.len() < 2 || name.is_empty() {
                return Err(NormalizeError::NoName {
                    arn: arn.to_string(),
                });
            }
            if pieces[0] == "user" {
                // IAM user ARNs keep their path in GetCallerIdentity, so the path must stay.
                return Ok(NormalizedArn {
                    arn: format!(
                        "arn:{}:iam::{}:{}",
                        parts.partition, parts.account, parts.resource
                    ),
                    kind: PrincipalType::User,
                    changes: vec![],
                });
            }
            let mut changes = vec![];
            if pieces.len() > 2 {
                let path = format!("/{}/", pieces[1..pieces.len() - 1].join("/"));
                let sso = path.starts_with("/aws-reserved/sso.amazonaws.com/");
                changes.push(Normalization::StrippedRolePath { path, sso });
            }
            Ok(NormalizedArn {
                arn: format!(
                    "arn:{}:iam::{}:role/{}",
                    parts.partition, parts.account, name
                ),
                kind: PrincipalType::Role,
                changes,
            })
        }
        ("sts", "assumed-role") => {
            if pieces.len() < 3 || pieces[1].is_empty() {
                return Err(NormalizeError::NoName {
                    arn: arn.to_string(),
                });
            }
            // STS never shows a path in an assumed-role ARN; the role name is the second-to-last piece.
            let role = pieces[pieces.len() - 2];
            Ok(NormalizedArn {
                arn: format!(
                    "arn:{}:iam::{}:role/{}",
                    parts.partition, parts.account, role
                ),
                kind: PrincipalType::Role,
                changes: vec![Normalization::AssumedRoleToRole {
                    session: pieces[pieces.len() - 1].to_string(),
                }],
            })
        }
        ("iam", "group") => Err(unsupported(
            "an IAM group (groups never authenticate; map each role or user, or use an access entry)",
        )),
        ("iam", "root") => Err(unsupported(
            "the account root user (never use the root user for cluster access)",
        )),
        ("sts", "federated-user") => Err(unsupported(
            "a federated-user session (map the IAM user or role behind it)",
        )),
        ("iam", other) | ("sts", other) => Err(unsupported(&format!(
            "a `{other}` resource, not an IAM role or user"
        ))),
        (service, _) => Err(unsupported(&format!(
            "an ARN of service `{service}`, not an IAM role or user"
        ))),
    }
}

#[cfg(test)]
#[path = "arn_tests.rs"]
mod tests;
