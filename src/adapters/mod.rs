//! Thin I/O adapters: files, the Kubernetes API, AWS (STS), and backups on disk.

pub mod aws;
pub mod backup;
pub mod fs;
pub mod iam;
pub mod kube;
pub mod sts;
