//! The EKS adapter: a cluster by name (DescribeCluster: its API server, CA, ARN and authentication mode),
//! and its access entries (ListAccessEntries, then DescribeAccessEntry and ListAssociatedAccessPolicies
//! for each, a bounded number at a time). Same credential chain, HTTP client and retry strategy as the
//! STS and IAM clients; `AWS_ENDPOINT_URL_EKS` points it elsewhere (tests use a local EKS API).

use crate::adapters::aws::short;
use crate::core::access::{Access, AuthMode, Entry, Policy, Scope};
use aws_sdk_eks::error::ProvideErrorMetadata;
use futures::StreamExt;
use std::time::Duration;

/// Access-entry requests in flight at once (EKS throttles beyond a few tens per second; the SDK retries).
pub const CONCURRENCY: usize = 16;

/// A cluster as DescribeCluster gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EksCluster {
    pub name: String,
    pub arn: String,
    pub region: String,
    /// The API server's URL.
    pub endpoint: String,
    /// The cluster CA, base64 of PEM (as kubeconfig's `certificate-authority-data`).
    pub ca_data: String,
    pub status: String,
    /// `None`: DescribeCluster gave no accessConfig (EKS before access entries: `CONFIG_MAP`).
    pub mode: Option<String>,
    pub bootstrap_creator_admin: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EksError {
    #[error("EKS has no cluster `{name}` in region {region}")]
    NotFound { name: String, region: String },
    #[error("EKS refused the request ({0})")]
    Denied(String),
    #[error("EKS: {0}")]
    Other(String),
}

/// An EKS client on the command's AWS configuration, in `region`.
pub fn client(sdk: &aws_config::SdkConfig, region: &str) -> aws_sdk_eks::Client {
    let retry = aws_config::retry::RetryConfig::standard()
        .with_max_attempts(5)
        .with_initial_backoff(Duration::from_millis(100));
    aws_sdk_eks::Client::from_conf(
        aws_sdk_eks::config::Builder::from(sdk)
            .region(aws_config::Region::new(region.to_string()))
            .retry_config(retry)
            .timeout_config(crate::adapters::aws::attempt_timeouts())
            .build(),
    )
}

fn classify<E, R>(
    e: &aws_smithy_runtime_api::client::result::SdkError<E, R>,
    name: &str,
    region: &str,
) -> EksError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match e.code() {
        Some("ResourceNotFoundException") => EksError::NotFound {
            name: name.to_string(),
            region: region.to_string(),
        },
        Some(
            "AccessDeniedException"
            | "UnrecognizedClientException"
            | "InvalidSignatureException"
            | "ExpiredTokenException",
        ) => EksError::Denied(short(e)),
        _ => EksError::Other(short(e)),
    }
}

/// DescribeCluster.
pub async fn describe(client: &aws_sdk_eks::Client, name: &str) -> Result<EksCluster, EksError> {
    let region = client
        .config()
        .region()
        .map_or(String::new(), |r| r.to_string());
    let out = client
        .describe_cluster()
        .name(name)
        .send()
        .await
        .map_err(|e| classify(&e, name, &region))?;
    let c = out
        .cluster()
        .ok_or_else(|| EksError::Other("DescribeCluster answered without a cluster".into()))?;
    let access = c.access_config();
    Ok(EksCluster {
        name: c.name().unwrap_or(name).to_string(),
        arn: c.arn().unwrap_or_default().to_string(),
        region,
        endpoint: c.endpoint().unwrap_or_default().to_string(),
        ca_data: c
            .certificate_authority()
            .and_then(|a| a.data())
            .unwrap_or_default()
            .to_string(),
        status: c.status().map_or(String::new(), |s| s.as_str().to_string()),
        mode: access
            .and_then(|a| a.authentication_mode())
            .map(|m| m.as_str().to_string()),
        bootstrap_creator_admin: access
            .and_then(|a| a.bootstrap_cluster_creator_admin_permissions()),
    })
}

/// The cluster whose API server is `server`, among the clusters of the client's region that the
/// credentials can list (ListClusters, then DescribeCluster of each, a bounded number at a time).
pub async fn find_by_endpoint(
    client: &aws_sdk_eks::Client,
    server: &str,
) -> Result<Option<EksCluster>, EksError> {
    let region = client
        .config()
        .region()
        .map_or(String::new(), |r| r.to_string());
    let mut names = vec![];
    let mut pages = client.list_clusters().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| classify(&e, "", &region))?;
        names.extend(page.clusters().iter().cloned());
    }
    let mut described = futures::stream::iter(names.iter().map(|n| describe(client, n)))
        .buffer_unordered(CONCURRENCY);
    while let Some(c) = described.next().await {
        match c {
            Ok(c) if crate::core::access::same_endpoint(&c.endpoint, server) => return Ok(Some(c)),
            // Deleted between the list and the describe.
            Ok(_) | Err(EksError::NotFound { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(None)
}

/// One access entry and its policies.
async fn entry(
    client: &aws_sdk_eks::Client,
    cluster: &str,
    principal: &str,
    region: &str,
) -> Result<Entry, EksError> {
    let (described, policies) = futures::join!(
        client
            .describe_access_entry()
            .cluster_name(cluster)
            .principal_arn(principal)
            .send(),
        async {
            client
                .list_associated_access_policies()
                .cluster_name(cluster)
                .principal_arn(principal)
                .into_paginator()
                .items()
                .send()
                .collect::<Vec<_>>()
                .await
        }
    );
    let described = described.map_err(|e| classify(&e, cluster, region))?;
    let e = described.access_entry();
    let mut access_policies = vec![];
    for p in policies {
        let p = p.map_err(|e| classify(&e, cluster, region))?;
        let scope = p.access_scope();
        access_policies.push(Policy {
            policy_arn: p.policy_arn().unwrap_or_default().to_string(),
            access_scope: match scope.and_then(|s| s.r#type()).map(|t| t.as_str()) {
                Some("namespace") => {
                    Scope::Namespaces(scope.map(|s| s.namespaces().to_vec()).unwrap_or_default())
                }
                _ => Scope::Cluster,
            },
        });
    }
    Ok(Entry {
        principal_arn: e
            .and_then(|e| e.principal_arn())
            .unwrap_or(principal)
            .to_string(),
        kind: e.and_then(|e| e.r#type()).unwrap_or("STANDARD").to_string(),
        username: e.and_then(|e| e.username()).unwrap_or_default().to_string(),
        kubernetes_groups: e
            .map(|e| e.kubernetes_groups().to_vec())
            .unwrap_or_default(),
        access_policies,
        created_at: e
            .and_then(|e| e.created_at())
            .and_then(|t| jiff::Timestamp::new(t.secs(), t.subsec_nanos() as i32).ok()),
    })
}

/// The cluster's access: its mode and, when the mode has them, every access entry with its policies
/// (ListAccessEntries page by page, then the entries `CONCURRENCY` at a time), in principal order.
pub async fn access(
    client: &aws_sdk_eks::Client,
    cluster: &EksCluster,
    progress: &indicatif::ProgressBar,
) -> Result<Access, EksError> {
    let mode = cluster
        .mode
        .as_deref()
        .and_then(AuthMode::parse)
        .unwrap_or(AuthMode::ConfigMap);
    let mut entries = vec![];
    if mode.reads_access_entries() {
        let mut principals = vec![];
        let mut pages = client
            .list_access_entries()
            .cluster_name(&cluster.name)
            .into_paginator()
            .items()
            .send();
        while let Some(p) = pages.next().await {
            principals.push(p.map_err(|e| classify(&e, &cluster.name, &cluster.region))?);
        }
        progress.set_length(principals.len() as u64);
        let results: Vec<Result<Entry, EksError>> = futures::stream::iter(principals.iter())
            .map(|p| async move {
                let e = entry(client, &cluster.name, p, &cluster.region).await;
                progress.inc(1);
                e
            })
            .buffered(CONCURRENCY)
            .collect()
            .await;
        entries = results.into_iter().collect::<Result<Vec<_>, _>>()?;
        entries.sort_by(|a, b| a.principal_arn.cmp(&b.principal_arn));
    }
    progress.finish_and_clear();
    Ok(Access {
        cluster_arn: cluster.arn.clone(),
        mode,
        bootstrap_creator_admin: cluster.bootstrap_creator_admin,
        entries,
    })
}

/// One principal's access entry now (DescribeAccessEntry and its policies); `None`: it has none.
pub async fn entry_of(
    client: &aws_sdk_eks::Client,
    cluster: &EksCluster,
    principal: &str,
) -> Result<Option<Entry>, EksError> {
    match entry(client, &cluster.name, principal, &cluster.region).await {
        Ok(e) => Ok(Some(e)),
        Err(EksError::NotFound { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// CreateAccessEntry (`username` `None`: EKS's default).
pub async fn create_entry(
    client: &aws_sdk_eks::Client,
    cluster: &EksCluster,
    principal: &str,
    kind: &str,
    username: Option<&str>,
    groups: &[String],
) -> Result<(), EksError> {
    let mut req = client
        .create_access_entry()
        .cluster_name(&cluster.name)
        .principal_arn(principal)
        .r#type(kind);
    if let Some(u) = username {
        req = req.username(u);
    }
    if kind == "STANDARD" {
        req = req.set_kubernetes_groups(Some(groups.to_vec()));
    }
    req.send()
        .await
        .map(|_| ())
        .map_err(|e| classify(&e, &cluster.name, &cluster.region))
}

/// UpdateAccessEntry: the entry's groups become `groups`.
pub async fn set_groups(
    client: &aws_sdk_eks::Client,
    cluster: &EksCluster,
    principal: &str,
    groups: &[String],
) -> Result<(), EksError> {
    client
        .update_access_entry()
        .cluster_name(&cluster.name)
        .principal_arn(principal)
        .set_kubernetes_groups(Some(groups.to_vec()))
        .send()
        .await
        .map(|_| ())
        .map_err(|e| classify(&e, &cluster.name, &cluster.region))
}

/// AssociateAccessPolicy.
pub async fn associate(
    client: &aws_sdk_eks::Client,
    cluster: &EksCluster,
    principal: &str,
    policy: &Policy,
) -> Result<(), EksError> {
    use aws_sdk_eks::types::{AccessScope, AccessScopeType};
    let scope = match &policy.access_scope {
        Scope::Cluster => AccessScope::builder()
            .r#type(AccessScopeType::Cluster)
            .build(),
        Scope::Namespaces(ns) => AccessScope::builder()
            .r#type(AccessScopeType::Namespace)
            .set_namespaces(Some(ns.clone()))
            .build(),
    };
    client
        .associate_access_policy()
        .cluster_name(&cluster.name)
        .principal_arn(principal)
        .policy_arn(&policy.policy_arn)
        .access_scope(scope)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| classify(&e, &cluster.name, &cluster.region))
}

/// DeleteAccessEntry (its policy associations go with it); an entry already gone is fine.
pub async fn delete_entry(
    client: &aws_sdk_eks::Client,
    cluster: &EksCluster,
    principal: &str,
) -> Result<(), EksError> {
    match client
        .delete_access_entry()
        .cluster_name(&cluster.name)
        .principal_arn(principal)
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(e) => match classify(&e, &cluster.name, &cluster.region) {
            EksError::NotFound { .. } => Ok(()),
            other => Err(other),
        },
    }
}

/// UpdateClusterConfig to another authentication mode, then DescribeUpdate until it is done (EKS takes a
/// few minutes; `poll` is the wait between looks).
pub async fn set_mode(
    client: &aws_sdk_eks::Client,
    cluster: &EksCluster,
    mode: AuthMode,
    poll: Duration,
) -> Result<(), EksError> {
    use aws_sdk_eks::types::{AuthenticationMode, UpdateAccessConfigRequest, UpdateStatus};
    let out = client
        .update_cluster_config()
        .name(&cluster.name)
        .access_config(
            UpdateAccessConfigRequest::builder()
                .authentication_mode(AuthenticationMode::from(mode.as_str()))
                .build(),
        )
        .send()
        .await
        .map_err(|e| classify(&e, &cluster.name, &cluster.region))?;
    let id = out
        .update()
        .and_then(|u| u.id())
        .unwrap_or_default()
        .to_string();
    loop {
        let u = client
            .describe_update()
            .name(&cluster.name)
            .update_id(&id)
            .send()
            .await
            .map_err(|e| classify(&e, &cluster.name, &cluster.region))?;
        match u.update().and_then(|u| u.status()) {
            Some(UpdateStatus::Successful) => return Ok(()),
            Some(UpdateStatus::Failed | UpdateStatus::Cancelled) => {
                let why: Vec<String> = u
                    .update()
                    .map(|u| {
                        u.errors()
                            .iter()
                            .map(|e| e.error_message().unwrap_or_default().to_string())
                            .collect()
                    })
                    .unwrap_or_default();
                return Err(EksError::Other(format!(
                    "the update of the authentication mode to {mode} failed: {}",
                    why.join("; ")
                )));
            }
            _ => tokio::time::sleep(poll).await,
        }
    }
}
