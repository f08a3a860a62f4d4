//! Who is making a change, for the lockout guard: the identity the *cluster* sees, found the way the
//! cluster finds it. On a cluster: `--as-arn`, else the cluster's own SelfSubjectReview (EKS and
//! aws-iam-authenticator put the caller's `arn` and `canonicalArn` in `extra`), else the kubeconfig's token
//! (an exec plugin's `k8s-aws-v1.` token) checked and resolved through STS like the authenticator does.
//! On a file: `--as-arn`, else the shell's AWS credentials (STS GetCallerIdentity). `-v` says which.

use super::session::Session;
use crate::adapters::kube::Cluster;
use crate::adapters::sts;
use crate::cli::ClusterArgs;
use crate::cli::diagnostics::{Failure, Reporter};
use crate::core::arn;
use crate::core::guard::CallerCheck;
use crate::core::token::Verifier;
use anyhow::Result;

/// `--no-caller-check` or `--as-arn`, when given.
fn explicit(args: &ClusterArgs, out: Reporter) -> Result<Option<CallerCheck>> {
    if args.no_caller_check {
        out.debug("caller: not checked (--no-caller-check)");
        return Ok(Some(CallerCheck::Waived));
    }
    let Some(given) = &args.as_arn else {
        return Ok(None);
    };
    let canonical = arn::caller_arn(given).map_err(|e| {
        Failure::error(
            format!("--as-arn: {e}"),
            Some("pass the ARN `aws sts get-caller-identity` shows".to_string()),
        )
    })?;
    if canonical != given.trim() {
        out.debug(&format!(
            "caller: `{canonical}` (--as-arn `{}`, as the authenticator matches it)",
            given.trim()
        ));
    } else {
        out.debug(&format!("caller: `{canonical}` (--as-arn)"));
    }
    Ok(Some(CallerCheck::Known(canonical)))
}

/// The caller for a change to a file: `--as-arn`, else the shell's AWS identity, else unknown.
pub fn for_file(s: &Session<'_>) -> Result<CallerCheck> {
    let out = s.out;
    if let Some(c) = explicit(s.args, out)? {
        return Ok(c);
    }
    // The session's STS answer: the IAM check of `create` asked the same question already.
    let found = s.sts_caller()?.map_err(str::to_string).and_then(|(a, _)| {
        arn::caller_arn(a)
            .map(|c| (a.to_string(), c))
            .map_err(|e| e.to_string())
    });
    Ok(match found {
        Ok((a, canonical)) => {
            out.debug(&format!(
                "caller: `{canonical}` (your shell's AWS credentials: STS GetCallerIdentity says `{a}`)"
            ));
            CallerCheck::Known(canonical)
        }
        Err(reason) => {
            out.debug(&format!(
                "caller: unknown (STS GetCallerIdentity with your shell's AWS credentials failed: {reason})"
            ));
            CallerCheck::Unknown
        }
    })
}

/// The caller for a change on a cluster, found as the cluster finds it.
pub fn for_cluster(s: &Session<'_>, cluster: &Cluster) -> Result<CallerCheck> {
    let (args, rt, out) = (s.args, s.rt()?, s.out);
    if let Some(c) = explicit(args, out)? {
        return Ok(c);
    }
    let iam_token = cluster
        .token
        .as_deref()
        .filter(|t| t.starts_with(crate::core::token::PREFIX));
    // 1. Ask the cluster (`kubectl auth whoami`). Impersonated requests would report the impersonated
    //    user, not the one aws-auth must keep mapping.
    let mut reported: Option<String> = None;
    if cluster.impersonating {
        out.debug(
            "caller: requests impersonate another user, so the cluster is not asked who you are",
        );
    } else {
        // A transient failure (a 5xx, a dropped connection) is asked again, not taken for "unknown".
        let mut answer = rt.block_on(cluster.whoami());
        for _ in 0..2 {
            match &answer {
                Err(e) if e.is_transient() => answer = rt.block_on(cluster.whoami()),
                _ => break,
            }
        }
        match answer {
            Ok(Some(who)) => {
                if let Some(a) = who.canonical_arn.as_deref().or(who.arn.as_deref())
                    && let Ok(canonical) = arn::caller_arn(a)
                {
                    out.debug(&format!(
                        "caller: `{canonical}` (the cluster's SelfSubjectReview: you are `{}`, ARN `{}`)",
                        who.username,
                        who.arn.as_deref().unwrap_or(a)
                    ));
                    return Ok(CallerCheck::Known(canonical));
                }
                if iam_token.is_none() {
                    out.debug(&format!(
                        "caller: `{}`, authenticated without IAM (the cluster's SelfSubjectReview names no ARN and the kubeconfig sends no IAM token), so no change of the mappings can lock you out",
                        who.username
                    ));
                    return Ok(CallerCheck::External(who.username));
                }
                reported = Some(who.username);
            }
            Ok(None) => out.debug("caller: the cluster does not serve SelfSubjectReview"),
            Err(e) => out.debug(&format!("caller: SelfSubjectReview failed ({e})")),
        }
    }
    // 2. The kubeconfig's IAM token, resolved like the authenticator resolves it.
    if let Some(token) = iam_token {
        match token_identity(token, cluster, args, rt) {
            Ok((a, canonical, how)) => {
                out.debug(&format!(
                    "caller: `{canonical}` (the kubeconfig's token{how}: STS says `{a}`)"
                ));
                return Ok(CallerCheck::Known(canonical));
            }
            Err(reason) => out.debug(&format!(
                "caller: the kubeconfig's IAM token could not be resolved ({reason})"
            )),
        }
    }
    out.debug(&format!(
        "caller: unknown{}",
        reported
            .map(|u| format!(" (the cluster says `{u}` but names no ARN)"))
            .unwrap_or_default()
    ));
    Ok(CallerCheck::Unknown)
}

/// Check a `k8s-aws-v1.` token and ask STS whose it is: (ARN, canonical caller ARN, how it was found).
fn token_identity(
    token: &str,
    cluster: &Cluster,
    args: &ClusterArgs,
    rt: &tokio::runtime::Runtime,
) -> Result<(String, String, String), String> {
    let exec = cluster.exec.as_ref();
    let cluster_id = exec.and_then(|e| e.cluster.clone()).ok_or(
        "the kubeconfig does not name the cluster the token is bound to (`--cluster-name`)",
    )?;
    let region = args
        .region
        .clone()
        .or_else(|| exec.and_then(|e| e.region.clone()))
        .unwrap_or_else(|| "us-east-1".into());
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    // The partition whose STS hosts the token was signed for.
    let verifier = std::iter::once(crate::core::token::partition_name(&region))
        .chain(arn::PARTITIONS)
        .map(|partition| Verifier {
            cluster_id: cluster_id.clone(),
            partition: partition.to_string(),
            region: region.clone(),
        })
        .find(|v| v.check(token, now).is_ok())
        .ok_or("the token does not pass the authenticator's checks")?;
    let id = rt
        .block_on(sts::identity(
            token,
            &verifier,
            now,
            sts::endpoint_from_env().as_deref(),
        ))
        .map_err(|e| e.to_string())?;
    let canonical = arn::caller_arn(&id.canonical_arn).map_err(|e| e.to_string())?;
    let how = exec
        .map(|e| {
            let base = e
                .command
                .rsplit('/')
                .next()
                .unwrap_or(&e.command)
                .to_string();
            match &e.role_arn {
                Some(r) => format!(" from `{base}` with role `{r}`"),
                None => format!(" from `{base}`"),
            }
        })
        .unwrap_or_default();
    Ok((id.arn, canonical, how))
}
