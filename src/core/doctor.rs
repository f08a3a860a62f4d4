//! `doctor`'s pure parts: what a kubeconfig exec plugin is and which cluster and role it asks for, the
//! steps and their verdicts, token lifetime and clock skew. The command (commands/doctor.rs) runs the
//! plugin, STS and the cluster, and hands the answers here.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    Warn,
    Fail,
    Skip,
}

impl Status {
    pub fn mark(self) -> &'static str {
        match self {
            Status::Pass => "✓",
            Status::Warn => "!",
            Status::Fail => "✗",
            Status::Skip => "-",
        }
    }
}

/// One step of the walk, with what to run next when it is not a pass.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    pub name: &'static str,
    pub status: Status,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

impl Step {
    pub fn pass(name: &'static str, detail: impl Into<String>) -> Step {
        Step {
            name,
            status: Status::Pass,
            detail: detail.into(),
            next: None,
        }
    }
    pub fn fail(name: &'static str, detail: impl Into<String>, next: impl Into<String>) -> Step {
        Step {
            name,
            status: Status::Fail,
            detail: detail.into(),
            next: Some(next.into()),
        }
    }
    pub fn warn(name: &'static str, detail: impl Into<String>, next: impl Into<String>) -> Step {
        Step {
            name,
            status: Status::Warn,
            detail: detail.into(),
            next: Some(next.into()),
        }
    }
    pub fn skip(name: &'static str, detail: impl Into<String>) -> Step {
        Step {
            name,
            status: Status::Skip,
            detail: detail.into(),
            next: None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PluginKind {
    /// `aws eks get-token`
    AwsCli,
    /// `aws-iam-authenticator token`
    Authenticator,
    /// `iamidmap token` (the same presigned STS token, built in)
    Iamidmap,
    Other,
}

/// What a kubeconfig user's exec plugin asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExecPlugin {
    pub kind: PluginKind,
    pub command: String,
    pub cluster: Option<String>,
    pub role_arn: Option<String>,
    pub region: Option<String>,
    pub profile: Option<String>,
}

fn flag(args: &[String], names: &[&str]) -> Option<String> {
    let mut it = args.iter();
    while let Some(a) = it.next() {
        for n in names {
            if a == n {
                return it.next().cloned();
            }
            if let Some(v) = a.strip_prefix(&format!("{n}=")) {
                return Some(v.to_string());
            }
        }
    }
    None
}

/// Read an exec plugin's command, arguments and environment.
pub fn exec_plugin(command: &str, args: &[String], env: &[(String, String)]) -> ExecPlugin {
    let base = command.rsplit('/').next().unwrap_or(command);
    let kind = if base == "aws" && args.iter().any(|a| a == "get-token") {
        PluginKind::AwsCli
    } else if base.starts_with("aws-iam-authenticator") && args.iter().any(|a| a == "token") {
        PluginKind::Authenticator
    } else if matches!(base, "iamidmap" | "kubectl-iamidmap") && args.iter().any(|a| a == "token") {
        PluginKind::Iamidmap
    } else {
        PluginKind::Other
    };
    let env_of = |k: &str| env.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    ExecPlugin {
        kind,
        command: command.to_string(),
        cluster: flag(args, &["--cluster-name", "--cluster-id", "-i"]),
        role_arn: flag(args, &["--role-arn", "--role", "-r"]),
        region: flag(args, &["--region"])
            .or_else(|| env_of("AWS_REGION"))
            .or_else(|| env_of("AWS_DEFAULT_REGION")),
        profile: flag(args, &["--profile"]).or_else(|| env_of("AWS_PROFILE")),
    }
}

/// Whether a flag names a secret (`--token`, `--client-secret`, `--password`, `--api-key`…).
fn secret_flag(flag: &str) -> bool {
    let name = flag.trim_start_matches('-').to_ascii_lowercase();
    flag.starts_with('-')
        && [
            "token",
            "secret",
            "password",
            "passwd",
            "credential",
            "apikey",
            "api-key",
            "api_key",
            "private-key",
        ]
        .iter()
        .any(|s| name.contains(s))
}

/// Command-line arguments for showing or storing: the values of secret-like flags (`--token X`,
/// `--client-secret=X`) and anything that is itself a bearer token become `REDACTED`.
pub fn redact_args(args: &[String]) -> Vec<String> {
    let mut out = Vec::with_capacity(args.len());
    let mut hide_next = false;
    for a in args {
        if hide_next {
            out.push("REDACTED".to_string());
            hide_next = false;
            continue;
        }
        if let Some((flag, _)) = a.split_once('=')
            && secret_flag(flag)
        {
            out.push(format!("{flag}=REDACTED"));
        } else if secret_flag(a) {
            out.push(a.clone());
            hide_next = true;
        } else if a.starts_with("k8s-aws-v1.") {
            out.push("REDACTED".to_string());
        } else {
            out.push(a.clone());
        }
    }
    out
}

/// A text (a plugin's error message) with the values of the secret-like arguments in `args` replaced by
/// `REDACTED`.
pub fn redact_secrets_in(text: &str, args: &[String]) -> String {
    let mut out = text.to_string();
    for (given, shown) in args.iter().zip(redact_args(args)) {
        if *given != shown {
            let secret = given.split_once('=').map_or(given.as_str(), |(_, v)| v);
            if secret.len() >= 4 {
                out = out.replace(secret, "REDACTED");
            }
        }
    }
    out
}

/// Tokens are valid 15 minutes from their signing time (aws-iam-authenticator pkg/token/token.go); the authenticator allows no skew.
pub const TOKEN_LIFETIME: i64 = 15 * 60;

/// The token's remaining life, as a step.
pub fn token_lifetime(signed_at: i64, now: i64) -> Step {
    let left = signed_at + TOKEN_LIFETIME - now;
    if left <= 0 {
        return Step::fail(
            "token lifetime",
            format!(
                "the token expired {} ago (signed {} s before now; tokens live 15 minutes)",
                minutes(-left),
                now - signed_at
            ),
            "a fresh token is made for every kubectl call; if the plugin caches tokens, clear its cache, and check this machine's clock (`date -u`)",
        );
    }
    if signed_at > now + 60 {
        return Step::warn(
            "token lifetime",
            format!(
                "the token is signed {} in the future: this machine's clock is ahead",
                minutes(signed_at - now)
            ),
            "sync the clock (`timedatectl set-ntp true`)",
        );
    }
    Step::pass(
        "token lifetime",
        format!("valid for {} more", minutes(left)),
    )
}

/// The difference between this machine's clock and the API server's `Date`.
pub fn clock_skew(local: i64, server: i64) -> Step {
    let skew = local - server;
    if skew.abs() > 5 * 60 {
        Step::fail(
            "clock skew",
            format!(
                "this machine's clock is {} {} the API server's: tokens look expired or not yet valid to STS",
                minutes(skew.abs()),
                if skew > 0 { "ahead of" } else { "behind" }
            ),
            "sync the clock (`timedatectl set-ntp true` or `sudo chronyc makestep`)",
        )
    } else {
        Step::pass(
            "clock skew",
            format!("{} s against the API server's clock", skew.abs()),
        )
    }
}

fn minutes(secs: i64) -> String {
    if secs < 120 {
        format!("{secs} s")
    } else {
        format!("{} min", secs / 60)
    }
}

/// `--can-i VERB RESOURCE`: the resource as (API group, resource); `deployments.apps` -> (`apps`, `deployments`).
pub fn split_resource(resource: &str) -> (String, String) {
    match resource.split_once('.') {
        Some((r, g)) => (g.to_string(), r.to_string()),
        None => (String::new(), resource.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn secret_arguments_are_redacted() {
        let args = s(&[
            "eks",
            "get-token",
            "--cluster-name",
            "prod",
            "--token",
            "abcd1234",
            "--client-secret=xyz98765",
            "--role-arn",
            "arn:aws:iam::1:role/R",
            "k8s-aws-v1.aHR0cHM",
        ]);
        assert_eq!(
            redact_args(&args),
            s(&[
                "eks",
                "get-token",
                "--cluster-name",
                "prod",
                "--token",
                "REDACTED",
                "--client-secret=REDACTED",
                "--role-arn",
                "arn:aws:iam::1:role/R",
                "REDACTED",
            ])
        );
        assert_eq!(
            redact_secrets_in(
                "Unknown options: --token,abcd1234,--client-secret=xyz98765",
                &args
            ),
            "Unknown options: --token,REDACTED,--client-secret=REDACTED"
        );
    }

    #[test]
    fn exec_plugins_are_recognised() {
        let p = exec_plugin(
            "aws",
            &s(&[
                "--region",
                "eu-west-1",
                "eks",
                "get-token",
                "--cluster-name",
                "prod",
                "--role-arn",
                "arn:aws:iam::1:role/A",
            ]),
            &[("AWS_PROFILE".into(), "ops".into())],
        );
        assert_eq!(p.kind, PluginKind::AwsCli);
        assert_eq!(p.cluster.as_deref(), Some("prod"));
        assert_eq!(p.role_arn.as_deref(), Some("arn:aws:iam::1:role/A"));
        assert_eq!(p.region.as_deref(), Some("eu-west-1"));
        assert_eq!(p.profile.as_deref(), Some("ops"));
        let p = exec_plugin(
            "/usr/local/bin/aws-iam-authenticator",
            &s(&["token", "-i", "kops-1", "-r", "arn:aws:iam::1:role/B"]),
            &[],
        );
        assert_eq!(p.kind, PluginKind::Authenticator);
        assert_eq!(p.cluster.as_deref(), Some("kops-1"));
        assert_eq!(p.role_arn.as_deref(), Some("arn:aws:iam::1:role/B"));
        let p = exec_plugin(
            "/home/me/.cargo/bin/iamidmap",
            &s(&[
                "token",
                "-i",
                "prod",
                "--role",
                "arn:aws:iam::1:role/C",
                "--region",
                "us-east-1",
            ]),
            &[],
        );
        assert_eq!(p.kind, PluginKind::Iamidmap);
        assert_eq!(p.cluster.as_deref(), Some("prod"));
        assert_eq!(p.role_arn.as_deref(), Some("arn:aws:iam::1:role/C"));
        assert_eq!(p.region.as_deref(), Some("us-east-1"));
        assert_eq!(
            exec_plugin("iamidmap", &s(&["get"]), &[]).kind,
            PluginKind::Other
        );
        assert_eq!(
            exec_plugin("gke-gcloud-auth-plugin", &[], &[]).kind,
            PluginKind::Other
        );
        assert_eq!(
            exec_plugin("aws", &s(&["--cluster-name=x", "eks", "get-token"]), &[])
                .cluster
                .as_deref(),
            Some("x")
        );
    }

    #[test]
    fn lifetime_and_skew() {
        assert_eq!(token_lifetime(1000, 1000 + 900).status, Status::Fail);
        assert_eq!(token_lifetime(1000, 1000 + 899).status, Status::Pass);
        assert!(
            token_lifetime(1000, 2000)
                .detail
                .starts_with("the token expired 100 s ago")
        );
        assert_eq!(token_lifetime(2000, 1000).status, Status::Warn);
        assert_eq!(clock_skew(1000, 1000 + 301).status, Status::Fail);
        assert!(
            clock_skew(1000 + 400, 1000)
                .detail
                .contains("6 min ahead of")
        );
        assert_eq!(clock_skew(1000, 1200).status, Status::Pass);
        assert_eq!(crate::core::token::partition_name("cn-north-1"), "aws-cn");
        assert_eq!(
            crate::core::token::partition_name("us-gov-west-1"),
            "aws-us-gov"
        );
        assert_eq!(
            split_resource("deployments.apps"),
            ("apps".into(), "deployments".into())
        );
        assert_eq!(split_resource("pods"), (String::new(), "pods".into()));
    }
}
