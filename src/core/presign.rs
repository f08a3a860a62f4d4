//! Making a token like aws-iam-authenticator and `aws eks get-token` (aws-iam-authenticator pkg/token/token.go, and the AWS CLI's `eks get-token`): SigV4 query-presign of STS
//! GetCallerIdentity with `x-k8s-aws-id` signed, `X-Amz-Expires=60`, the empty-payload hash; then
//! `k8s-aws-v1.` + base64url without padding. Pure: credentials and the time are arguments.

use base64::Engine;
use std::time::{Duration, SystemTime};

/// Credentials to sign with.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
}

/// The token for a cluster, signed at `time` for the STS endpoint of `region`.
pub fn token(
    creds: &Credentials,
    region: &str,
    cluster_id: &str,
    time: SystemTime,
) -> Result<String, String> {
    use aws_sigv4::http_request::{
        SignableBody, SignableRequest, SignatureLocation, SigningSettings, sign,
    };
    use aws_sigv4::sign::v4;
    let identity = aws_credential_types::Credentials::new(
        &creds.access_key_id,
        &creds.secret_access_key,
        creds.session_token.clone(),
        None,
        "iamidmap",
    )
    .into();
    let mut settings = SigningSettings::default();
    settings.signature_location = SignatureLocation::QueryParams;
    settings.expires_in = Some(Duration::from_secs(60));
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name("sts")
        .time(time)
        .settings(settings)
        .build()
        .map_err(|e| e.to_string())?
        .into();
    // The partition's own STS host: the authenticator accepts only hosts of its partition.
    let host = crate::core::token::sts_host(region);
    let url = format!("https://{host}/?Action=GetCallerIdentity&Version=2011-06-15");
    let signable = SignableRequest::new(
        "GET",
        &url,
        std::iter::once(("x-k8s-aws-id", cluster_id)),
        SignableBody::Bytes(&[]),
    )
    .map_err(|e| e.to_string())?;
    let (instructions, _) = sign(signable, &params)
        .map_err(|e| e.to_string())?
        .into_parts();
    let mut request = http::Request::builder()
        .uri(&url)
        .body(())
        .map_err(|e| e.to_string())?;
    instructions.apply_to_request_http1x(&mut request);
    let presigned = request.uri().to_string();
    Ok(format!(
        "{}{}",
        crate::core::token::PREFIX,
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(presigned)
    ))
}

/// The ExecCredential a kubeconfig exec plugin prints. `exec_info` is `KUBERNETES_EXEC_INFO` when set:
/// its `apiVersion` is echoed; otherwise (or when it is not JSON) `client.authentication.k8s.io/v1beta1`.
pub fn exec_credential(token: &str, expiration_rfc3339: &str, exec_info: Option<&str>) -> String {
    let api_version = exec_info
        .filter(|s| !s.is_empty())
        .and_then(|s| serde_json::from_str::<serde_json::Value>(s).ok())
        .map(|v| v["apiVersion"].as_str().unwrap_or("").to_string())
        .unwrap_or_else(|| "client.authentication.k8s.io/v1beta1".to_string());
    serde_json::json!({
        "kind": "ExecCredential",
        "apiVersion": api_version,
        "spec": {},
        "status": {"expirationTimestamp": expiration_rfc3339, "token": token}
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `TestGetWithSTS`, byte for byte.
    #[test]
    fn upstream_token_vector() {
        let creds = Credentials {
            access_key_id: "ASIAR2TG44V6AS3ZZE7C".into(),
            secret_access_key: "4KD5cntGcVmLWRdF5wvNRuzNL5Qxmp6OKVY6Fz/Q".into(),
            session_token: None,
        };
        let time = SystemTime::UNIX_EPOCH + Duration::from_secs(1_682_640_000);
        assert_eq!(
            token(&creds, "us-west-2", "test-cluster", time).unwrap(),
            "k8s-aws-v1.aHR0cHM6Ly9zdHMudXMtd2VzdC0yLmFtYXpvbmF3cy5jb20vP0FjdGlvbj1HZXRDYWxsZXJJZGVudGl0eSZWZXJzaW9uPTIwMTEtMDYtMTUmWC1BbXotQWxnb3JpdGhtPUFXUzQtSE1BQy1TSEEyNTYmWC1BbXotQ3JlZGVudGlhbD1BU0lBUjJURzQ0VjZBUzNaWkU3QyUyRjIwMjMwNDI4JTJGdXMtd2VzdC0yJTJGc3RzJTJGYXdzNF9yZXF1ZXN0JlgtQW16LURhdGU9MjAyMzA0MjhUMDAwMDAwWiZYLUFtei1FeHBpcmVzPTYwJlgtQW16LVNpZ25lZEhlYWRlcnM9aG9zdCUzQngtazhzLWF3cy1pZCZYLUFtei1TaWduYXR1cmU9ZTIxMWRiYTc3YWJhOWRjNDRiMGI2YmUzOGI4ZWFhZDA5MjU5OWM1MTU3ZjYzMTQ0NDRjNWI5ZDg1NzQ3ZjVjZQ"
        );
    }

    /// `TestFormatJson`.
    #[test]
    fn exec_credential_api_versions() {
        let v = |info: Option<&str>| -> serde_json::Value {
            serde_json::from_str(&exec_credential("token", "2012-11-01T22:08:41+00:00", info))
                .unwrap()
        };
        let d = v(None);
        assert_eq!(
            (d["kind"].as_str(), d["status"]["token"].as_str()),
            (Some("ExecCredential"), Some("token"))
        );
        assert_eq!(
            d["status"]["expirationTimestamp"],
            "2012-11-01T22:08:41+00:00"
        );
        assert_eq!(d["apiVersion"], "client.authentication.k8s.io/v1beta1");
        assert_eq!(
            v(Some(""))["apiVersion"],
            "client.authentication.k8s.io/v1beta1"
        );
        assert_eq!(
            v(Some(
                r#"{"apiVersion":"client.authentication.k8s.io/v1beta1"}"#
            ))["apiVersion"],
            "client.authentication.k8s.io/v1beta1"
        );
        assert_eq!(
            v(Some(
                r#"{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential"}"#
            ))["apiVersion"],
            "client.authentication.k8s.io/v1"
        );
    }

    #[test]
    fn made_tokens_pass_the_checks() {
        let creds = Credentials {
            access_key_id: "AKIAIOSFODNN7EXAMPLE".into(),
            secret_access_key: "s".into(),
            session_token: Some("tok".into()),
        };
        let time = SystemTime::UNIX_EPOCH + Duration::from_secs(1_782_000_000);
        let t = token(&creds, "eu-west-1", "prod", time).unwrap();
        let v = crate::core::token::Verifier {
            cluster_id: "prod".into(),
            partition: "aws".into(),
            region: String::new(),
        };
        let p = v.check(&t, 1_782_000_100).unwrap();
        assert_eq!(p.access_key_id, "AKIAIOSFODNN7EXAMPLE");
        assert_eq!(p.param("x-amz-security-token"), Some("tok"));
        // Every partition: the token names its own partition's STS host, and a verifier of that
        // partition (the authenticator's) accepts it.
        for (region, partition, host) in [
            ("us-east-1", "aws", "sts.us-east-1.amazonaws.com"),
            ("cn-north-1", "aws-cn", "sts.cn-north-1.amazonaws.com.cn"),
            (
                "us-gov-west-1",
                "aws-us-gov",
                "sts.us-gov-west-1.amazonaws.com",
            ),
            ("us-iso-east-1", "aws-iso", "sts.us-iso-east-1.c2s.ic.gov"),
            (
                "us-isob-east-1",
                "aws-iso-b",
                "sts.us-isob-east-1.sc2s.sgov.gov",
            ),
            (
                "eu-isoe-west-1",
                "aws-iso-e",
                "sts.eu-isoe-west-1.cloud.adc-e.uk",
            ),
            (
                "us-isof-south-1",
                "aws-iso-f",
                "sts.us-isof-south-1.csp.hci.ic.gov",
            ),
            (
                "eusc-de-east-1",
                "aws-eusc",
                "sts.eusc-de-east-1.amazonaws.eu",
            ),
        ] {
            assert_eq!(crate::core::token::partition_name(region), partition);
            let t = token(&creds, region, "prod", time).unwrap();
            let v = crate::core::token::Verifier {
                cluster_id: "prod".into(),
                partition: partition.into(),
                region: region.into(),
            };
            let p = v
                .check(&t, 1_782_000_100)
                .unwrap_or_else(|e| panic!("{region}: {e}"));
            assert_eq!(p.host, host, "{region}");
        }
    }
}
