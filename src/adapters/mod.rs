//! Thin I/O adapters: files, the Kubernetes API, AWS (STS), and backups on disk.

pub mod aws;
pub mod backup;
pub mod eks;
pub mod fs;
pub mod iam;
pub mod kube;
pub mod sts;

/// A file or standard input larger than iamidmap reads.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{name}` is larger than {} MiB; iamidmap stopped reading there. A ConfigMap holds at most 1 MiB of data, so this is not an aws-auth manifest: pass the manifest itself (`kubectl get configmap aws-auth -n kube-system -o yaml > aws-auth.yaml`)",
    limit / (1024 * 1024)
)]
pub struct InputTooLarge {
    pub name: String,
    pub limit: u64,
}
