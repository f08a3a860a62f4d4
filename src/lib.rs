//! iamidmap manages the AWS IAM identity mappings of Kubernetes clusters (the EKS `aws-auth` ConfigMap).
//!
//! Layers: `core` is pure (ARNs, the mapping model, the lossless document, lint rules); `adapters` do
//! I/O (files now; Kubernetes and AWS later); `commands` hold one file per subcommand; `cli` holds the
//! clap definitions, renderers and diagnostics. `main.rs` only calls [`run`].

pub mod core;
