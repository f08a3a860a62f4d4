//! The STS call of `verify`: a GET of the presigned URL with `x-k8s-aws-id` set to the cluster ID and
//! `accept: application/json`, a 10 s timeout, redirects not followed. `--sts-endpoint` sends the request to
//! another base URL (a VPC endpoint, a local STS) while the token's own host stays in the `Host` header.

use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use std::time::Duration;

/// The status and body STS answered, or a transport error's text.
pub async fn get(
    url: &str,
    host: &str,
    cluster_id: &str,
    sts_endpoint: Option<&str>,
) -> Result<(u16, String), String> {
    let target = match sts_endpoint {
        Some(base) => {
            let path = url
                .find("://")
                .and_then(|i| url[i + 3..].find('/').map(|j| &url[i + 3 + j..]))
                .unwrap_or("/");
            format!("{}{path}", base.trim_end_matches('/'))
        }
        None => url.to_string(),
    };
    let connector = hyper_rustls::HttpsConnectorBuilder::new()
        .with_native_roots()
        .map_err(|e| e.to_string())?
        .https_or_http()
        .enable_http1()
        .build();
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build(connector);
    let request = http::Request::get(&target)
        .header("host", host)
        .header("x-k8s-aws-id", cluster_id)
        .header("accept", "application/json")
        .body(Empty::<Bytes>::new())
        .map_err(|e| e.to_string())?;
    let exchange = async {
        let response = client.request(request).await.map_err(|e| {
            let mut text = e.to_string();
            let mut source = std::error::Error::source(&e);
            while let Some(s) = source {
                text = format!("{text}: {s}");
                source = s.source();
            }
            text
        })?;
        let status = response.status().as_u16();
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| format!("error reading HTTP result: {e}"))?
            .to_bytes();
        Ok((status, String::from_utf8_lossy(&body).into_owned()))
    };
    tokio::time::timeout(Duration::from_secs(10), exchange)
        .await
        .map_err(|_| "timeout awaiting response headers (10s)".to_string())?
}

/// Where STS requests go instead of the token's own host, as the AWS SDKs configure it:
/// `AWS_ENDPOINT_URL_STS`, else `AWS_ENDPOINT_URL`, unless `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true`.
pub fn endpoint_from_env() -> Option<String> {
    endpoint_from(|k| std::env::var(k).ok())
}

/// [`endpoint_from_env`] over any source of variables.
fn endpoint_from(var: impl Fn(&str) -> Option<String>) -> Option<String> {
    let set = |k: &str| var(k).filter(|v| !v.trim().is_empty());
    if set("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS").is_some_and(|v| v.eq_ignore_ascii_case("true")) {
        return None;
    }
    set("AWS_ENDPOINT_URL_STS").or_else(|| set("AWS_ENDPOINT_URL"))
}

/// Check a token the authenticator's way and ask STS whose it is (`now`: Unix seconds).
pub async fn identity(
    token_text: &str,
    verifier: &crate::core::token::Verifier,
    now: i64,
    sts_endpoint: Option<&str>,
) -> Result<crate::core::token::Identity, crate::core::token::TokenError> {
    use crate::core::token::{self, TokenError};
    let presigned = verifier.check(token_text, now)?;
    let (status, body) = get(
        &presigned.url,
        &presigned.host,
        &verifier.cluster_id,
        sts_endpoint,
    )
    .await
    .map_err(|e| {
        TokenError::Sts(format!(
            "error during GET: {e} on {} endpoint",
            presigned.sts_region
        ))
    })?;
    if status != 200 {
        return Err(token::sts_status_error(
            status,
            &body,
            &presigned.sts_region,
        ));
    }
    token::identity_from_sts_response(&body, &presigned)
}

#[cfg(test)]
mod endpoint_tests {
    use super::endpoint_from;

    fn from(vars: &[(&str, &str)]) -> Option<String> {
        endpoint_from(|k| {
            vars.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        })
    }

    #[test]
    fn the_sts_endpoint_is_configured_as_the_aws_sdks_read_it() {
        assert_eq!(from(&[]), None);
        assert_eq!(
            from(&[("AWS_ENDPOINT_URL", "http://127.0.0.1:1")]).as_deref(),
            Some("http://127.0.0.1:1")
        );
        // The service's own variable wins over the general one; empty values do not count.
        assert_eq!(
            from(&[
                ("AWS_ENDPOINT_URL", "http://127.0.0.1:1"),
                ("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:2")
            ])
            .as_deref(),
            Some("http://127.0.0.1:2")
        );
        assert_eq!(
            from(&[
                ("AWS_ENDPOINT_URL", "http://127.0.0.1:1"),
                ("AWS_ENDPOINT_URL_STS", " ")
            ])
            .as_deref(),
            Some("http://127.0.0.1:1")
        );
        // Ignored when told so (`true`, any case), not otherwise.
        let both = |ignore: &str| {
            from(&[
                ("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:2"),
                ("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", ignore),
            ])
        };
        assert_eq!(both("TRUE"), None);
        assert_eq!(both("false").as_deref(), Some("http://127.0.0.1:2"));
    }
}
