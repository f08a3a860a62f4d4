//! Thin I/O adapters. Files now; the Kubernetes API and AWS come with the live-cluster and verify issues.

pub mod fs;
