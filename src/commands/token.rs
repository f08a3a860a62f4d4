//! `iamidmap token`: a token for a cluster, as ExecCredential JSON like aws-iam-authenticator and
//! `aws eks get-token`, usable as a kubeconfig exec plugin.

use super::session::Session;
use crate::adapters::aws;
use crate::cli::TokenArgs;
use crate::cli::diagnostics::{EXIT_OK, Failure};
use crate::core::presign;
use anyhow::Result;

pub fn token(args: TokenArgs, s: &Session<'_>) -> Result<i32> {
    let TokenArgs {
        cluster_id,
        role,
        session_name,
        token_only,
    } = args;
    let options = s.aws_options();
    let now = std::time::SystemTime::now();
    let session = session_name.unwrap_or_else(|| {
        format!(
            "iamidmap-{}",
            now.duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs())
        )
    });
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let (creds, region) = rt
        .block_on(aws::credentials(
            &options,
            role.as_deref().map(|r| (r, session.as_str())),
        ))
        .map_err(|e| {
            Failure::error(
                format!("cannot get AWS credentials: {e}"),
                Some("check `aws sts get-caller-identity` (and --profile, --region)".to_string()),
            )
        })?;
    let token =
        presign::token(&creds, &region, &cluster_id, now).map_err(|e| Failure::error(e, None))?;
    if token_only {
        println!("{token}");
        return Ok(EXIT_OK);
    }
    // Presigned STS URLs live 15 minutes; kubectl is told 14, to renew in time.
    let expires = jiff::Timestamp::try_from(now + std::time::Duration::from_secs(14 * 60))
        .map_err(|e| Failure::error(e.to_string(), None))?;
    let exec_info = std::env::var("KUBERNETES_EXEC_INFO").ok();
    println!(
        "{}",
        presign::exec_credential(
            &token,
            &expires.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
            exec_info.as_deref()
        )
    );
    Ok(EXIT_OK)
}
