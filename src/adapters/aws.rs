//! The AWS adapter: who the caller is (STS GetCallerIdentity), through the standard credential chain
//! (environment, profiles, SSO, process credentials, IMDS). `AWS_ENDPOINT_URL`/`AWS_ENDPOINT_URL_STS` are
//! honoured by aws-config, which is how tests point it at a local STS.

use aws_config::{BehaviorVersion, Region};
use aws_smithy_runtime_api::client::http::SharedHttpClient;
use std::time::Duration;

/// One rustls client with ring, shared by the SDK and its credential providers.
pub fn ring_http_client() -> SharedHttpClient {
    use aws_smithy_http_client::tls;
    aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::Ring,
        ))
        .build_https()
}

/// The timeouts of the IAM and EKS clients: a quick connect, and a bound on each attempt (the retry
/// strategy decides how many).
pub(crate) fn attempt_timeouts() -> aws_config::timeout::TimeoutConfig {
    aws_config::timeout::TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(3))
        .operation_attempt_timeout(Duration::from_secs(15))
        .build()
}

/// Where the AWS credentials come from.
#[derive(Debug, Clone, Default)]
pub struct AwsOptions {
    pub profile: Option<String>,
    pub region: Option<String>,
}

pub(crate) fn loader(options: &AwsOptions) -> aws_config::ConfigLoader {
    let mut loader =
        aws_config::defaults(BehaviorVersion::latest()).http_client(ring_http_client());
    if let Some(profile) = &options.profile {
        loader = loader.profile_name(profile);
    }
    if let Some(region) = &options.region {
        loader = loader.region(Region::new(region.clone()));
    }
    loader
}

/// An STS client from a loaded config, with `us-east-1` when no region is configured.
fn sts_client(sdk: &aws_config::SdkConfig, retries: bool) -> aws_sdk_sts::Client {
    let mut conf = aws_sdk_sts::config::Builder::from(sdk);
    if !retries {
        conf = conf.retry_config(aws_config::retry::RetryConfig::disabled());
    }
    if sdk.region().is_none() {
        conf = conf.region(Region::new("us-east-1"));
    }
    aws_sdk_sts::Client::from_conf(conf.build())
}

/// An SDK error as one short sentence: the service's code and message, or what went wrong on the way.
pub fn short<E, R>(e: &aws_smithy_runtime_api::client::result::SdkError<E, R>) -> String
where
    E: aws_sdk_sts::error::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    use aws_smithy_runtime_api::client::result::SdkError;
    match e {
        SdkError::ServiceError(s) => {
            let err = s.err();
            match (err.code(), err.message()) {
                (Some(c), Some(m)) => format!("{c}: {m}"),
                (Some(c), None) => c.to_string(),
                _ => aws_sdk_sts::error::DisplayErrorContext(e).to_string(),
            }
        }
        SdkError::TimeoutError(_) => "the request timed out".into(),
        SdkError::DispatchFailure(d) => {
            // The innermost cause says it best (`Connection refused`, a DNS failure, a TLS error).
            let mut cause: &dyn std::error::Error = e;
            while let Some(next) = cause.source() {
                cause = next;
            }
            let what = if d.is_io() {
                "cannot connect"
            } else if d.is_timeout() {
                "timed out connecting"
            } else {
                "the request failed"
            };
            format!("{what}: {cause}")
        }
        _ => {
            let mut cause: &dyn std::error::Error = e;
            while let Some(next) = cause.source() {
                cause = next;
            }
            format!("{e}: {cause}")
        }
    }
}

/// The AWS configuration of a command (credential chain, region, the shared HTTP client), loaded once and
/// shared by every AWS client the command makes.
pub async fn load(options: &AwsOptions) -> aws_config::SdkConfig {
    loader(options).load().await
}

/// Who the credentials of a loaded configuration belong to (STS GetCallerIdentity): the ARN (an
/// assumed-role ARN for roles) and the account. A few quick attempts: the answer serves the lockout
/// guard and the IAM checks, and must never slow a write down much; when it fails, the guard says it does
/// not know the caller and the user can pass --as-arn.
pub async fn caller_identity(
    sdk: &aws_config::SdkConfig,
    timeout: Duration,
) -> Result<(String, String), String> {
    let mut conf = aws_sdk_sts::config::Builder::from(sdk)
        .retry_config(aws_config::retry::RetryConfig::standard().with_max_attempts(2))
        .timeout_config(
            aws_config::timeout::TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(2))
                .operation_timeout(timeout)
                .build(),
        );
    if sdk.region().is_none() {
        conf = conf.region(Region::new("us-east-1"));
    }
    let lookup = async {
        let out = aws_sdk_sts::Client::from_conf(conf.build())
            .get_caller_identity()
            .send()
            .await
            .map_err(|e| short(&e))?;
        let arn = out.arn().ok_or("STS returned no ARN")?.to_string();
        let account = out.account().unwrap_or_default().to_string();
        Ok((arn, account))
    };
    tokio::time::timeout(timeout, lookup)
        .await
        .map_err(|_| format!("STS did not answer within {}s", timeout.as_secs()))?
}

/// Credentials from the standard chain, optionally after assuming a role (for `token`).
pub async fn credentials(
    options: &AwsOptions,
    role: Option<(&str, &str)>,
) -> Result<(crate::core::presign::Credentials, String), String> {
    credentials_of(&loader(options).load().await, role).await
}

/// The credentials of a loaded configuration (optionally after assuming a role), and its region
/// (`us-east-1` when none is configured).
pub async fn credentials_of(
    sdk: &aws_config::SdkConfig,
    role: Option<(&str, &str)>,
) -> Result<(crate::core::presign::Credentials, String), String> {
    use aws_credential_types::provider::ProvideCredentials;
    let region = sdk
        .region()
        .map_or("us-east-1".to_string(), |r| r.to_string());
    if let Some((role_arn, session)) = role {
        let out = sts_client(sdk, true)
            .assume_role()
            .role_arn(role_arn)
            .role_session_name(session)
            .send()
            .await
            .map_err(|e| short(&e))?;
        let c = out
            .credentials()
            .ok_or("AssumeRole returned no credentials")?;
        return Ok((
            crate::core::presign::Credentials {
                access_key_id: c.access_key_id().to_string(),
                secret_access_key: c.secret_access_key().to_string(),
                session_token: Some(c.session_token().to_string()),
            },
            region,
        ));
    }
    let provider = sdk
        .credentials_provider()
        .ok_or("no AWS credentials provider")?;
    let c = provider
        .provide_credentials()
        .await
        .map_err(|e| e.to_string())?;
    Ok((
        crate::core::presign::Credentials {
            access_key_id: c.access_key_id().to_string(),
            secret_access_key: c.secret_access_key().to_string(),
            session_token: c.session_token().map(str::to_string),
        },
        region,
    ))
}
