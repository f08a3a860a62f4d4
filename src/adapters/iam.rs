//! The IAM adapter: who the credentials belong to (the account IAM is read in), then GetRole/GetUser
//! for each principal, a bounded number at a time. Throttling and transient errors are retried by the
//! SDK's standard strategy; what still fails is reported per principal, never as a crash.

use crate::adapters::aws::short;
use crate::core::check::iam::{Account, Lookup, Principal, Query};
use aws_sdk_iam::error::ProvideErrorMetadata;
use futures::StreamExt;
use std::collections::BTreeMap;
use std::time::Duration;

/// How hard to try.
#[derive(Debug, Clone)]
pub struct IamOptions {
    /// Attempts per request (the standard strategy retries throttling and 5xx with backoff).
    pub attempts: u32,
    pub initial_backoff: Duration,
    /// Requests in flight at once.
    pub concurrency: usize,
    pub timeout: Duration,
}

impl Default for IamOptions {
    fn default() -> Self {
        IamOptions {
            attempts: 5,
            initial_backoff: Duration::from_millis(200),
            concurrency: 8,
            timeout: Duration::from_secs(60),
        }
    }
}

/// A session with IAM in the credentials' account.
pub struct Iam {
    client: aws_sdk_iam::Client,
    /// The credentials' account and partition (from STS GetCallerIdentity).
    pub account: Account,
    options: IamOptions,
}

impl Iam {
    /// IAM with the command's AWS configuration, in the account of the caller STS named (`caller`: its
    /// ARN and account).
    pub fn connect(
        sdk: &aws_config::SdkConfig,
        caller: (&str, &str),
        options: IamOptions,
    ) -> Result<Iam, String> {
        let (arn, account_id) = caller;
        let parts = crate::core::arn::parse(arn)
            .map_err(|e| format!("STS returned `{arn}`, which is not an ARN: {e}"))?;
        let account = Account {
            partition: parts.partition.to_string(),
            id: if account_id.is_empty() {
                parts.account.to_string()
            } else {
                account_id.to_string()
            },
        };
        let retry = aws_config::retry::RetryConfig::standard()
            .with_max_attempts(options.attempts.max(1))
            .with_initial_backoff(options.initial_backoff);
        let region = sdk
            .region()
            .cloned()
            .unwrap_or(aws_config::Region::new("us-east-1"));
        let client = aws_sdk_iam::Client::from_conf(
            aws_sdk_iam::config::Builder::from(sdk)
                .region(region)
                .retry_config(retry)
                .timeout_config(crate::adapters::aws::attempt_timeouts())
                .build(),
        );
        Ok(Iam {
            client,
            account,
            options,
        })
    }

    /// Look up one principal.
    pub async fn lookup(&self, q: &Query) -> Lookup {
        let answer = match q {
            Query::Role(name) => self
                .client
                .get_role()
                .role_name(name)
                .send()
                .await
                .map(|o| {
                    o.role.map(|r| Principal {
                        arn: r.arn,
                        path: r.path,
                        id: r.role_id,
                        created: jiff::Timestamp::from_second(r.create_date.secs()).ok(),
                        trust_policy: r.assume_role_policy_document.map(|d| decode_policy(&d)),
                    })
                })
                .map_err(|e| (e.code().map(str::to_string), short(&e))),
            Query::User(name) => self
                .client
                .get_user()
                .user_name(name)
                .send()
                .await
                .map(|o| {
                    o.user.map(|u| Principal {
                        arn: u.arn,
                        path: u.path,
                        id: u.user_id,
                        created: jiff::Timestamp::from_second(u.create_date.secs()).ok(),
                        trust_policy: None,
                    })
                })
                .map_err(|e| (e.code().map(str::to_string), short(&e))),
        };
        match answer {
            Ok(Some(p)) => Lookup::Found(p),
            Ok(None) => Lookup::Failed("IAM answered without the principal".into()),
            Err((Some(code), _)) if code == "NoSuchEntity" => Lookup::Missing,
            Err((_, message)) => Lookup::Failed(message),
        }
    }

    /// Look up every principal, `concurrency` at a time, ticking `progress` after each.
    pub async fn lookup_all(
        &self,
        queries: &[Query],
        progress: &indicatif::ProgressBar,
    ) -> BTreeMap<Query, Lookup> {
        let results: Vec<(Query, Lookup)> = futures::stream::iter(queries.iter().cloned())
            .map(|q| async move {
                let answer = match tokio::time::timeout(self.options.timeout, self.lookup(&q)).await
                {
                    Ok(a) => a,
                    Err(_) => Lookup::Failed(format!(
                        "IAM did not answer within {}s",
                        self.options.timeout.as_secs()
                    )),
                };
                progress.inc(1);
                (q, answer)
            })
            .buffer_unordered(self.options.concurrency.max(1))
            .collect()
            .await;
        results.into_iter().collect()
    }
}

/// IAM returns policy documents URL-encoded (RFC 3986); some endpoints return them plain.
fn decode_policy(doc: &str) -> String {
    if doc.trim_start().starts_with('{') {
        return doc.to_string();
    }
    percent_encoding::percent_decode_str(doc)
        .decode_utf8_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests {
    #[test]
    fn policies_are_decoded_when_encoded() {
        assert_eq!(super::decode_policy("%7B%22a%22%3A1%7D"), "{\"a\":1}");
        assert_eq!(super::decode_policy("{\"a\":1}"), "{\"a\":1}");
    }
}
