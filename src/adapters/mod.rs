//! Thin I/O adapters: files, the Kubernetes API and backups on disk. AWS comes with the verify issue.

pub mod backup;
pub mod fs;
pub mod kube;
