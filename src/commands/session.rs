//! What one run of a command works with, built once and handed down (as kube-rs controllers hand their
//! `Context`): the cluster arguments, the reporter, one async runtime, and, made on first use and then
//! reused, the AWS configuration and who STS says the caller is. The IAM checks and the lockout guard's
//! caller lookup share one credential load and one GetCallerIdentity; cluster connections run on the one
//! runtime.

use crate::adapters::aws::{self, AwsOptions};
use crate::adapters::iam::{Iam, IamOptions};
use crate::adapters::kube::Cluster;
use crate::cli::ClusterArgs;
use crate::cli::diagnostics::Reporter;
use anyhow::Result;
use std::cell::OnceCell;
use std::rc::Rc;
use std::time::Duration;

/// How long the shared STS GetCallerIdentity may take.
const STS_TIMEOUT: Duration = Duration::from_secs(10);

pub struct Session<'a> {
    pub args: &'a ClusterArgs,
    pub out: Reporter,
    rt: OnceCell<Rc<tokio::runtime::Runtime>>,
    aws: OnceCell<aws_config::SdkConfig>,
    caller: OnceCell<Result<(String, String), String>>,
}

impl<'a> Session<'a> {
    pub fn new(args: &'a ClusterArgs, out: Reporter) -> Session<'a> {
        Session {
            args,
            out,
            rt: OnceCell::new(),
            aws: OnceCell::new(),
            caller: OnceCell::new(),
        }
    }

    /// The command's runtime (one current-thread runtime: all a CLI needs).
    pub fn rt(&self) -> Result<&tokio::runtime::Runtime> {
        if let Some(rt) = self.rt.get() {
            return Ok(rt);
        }
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        Ok(self.rt.get_or_init(|| Rc::new(rt)))
    }

    /// The same session for other cluster arguments (another ConfigMap of the same cluster) or another
    /// reporter: the runtime, the AWS configuration and the caller are shared, not made again.
    pub fn with<'b>(&'b self, args: &'b ClusterArgs, out: Reporter) -> Result<Session<'b>> {
        self.rt()?;
        let derived = Session::new(args, out);
        let _ = derived.rt.set(self.rt.get().expect("made above").clone());
        if let Some(sdk) = self.aws.get() {
            let _ = derived.aws.set(sdk.clone());
        }
        if let Some(caller) = self.caller.get() {
            let _ = derived.caller.set(caller.clone());
        }
        Ok(derived)
    }

    /// `--profile` and `--region`, for the AWS configuration.
    pub fn aws_options(&self) -> AwsOptions {
        AwsOptions {
            profile: self.args.profile.clone(),
            region: self.args.region.clone(),
        }
    }

    /// The AWS configuration, loaded on first use.
    pub fn aws(&self) -> Result<&aws_config::SdkConfig> {
        if let Some(sdk) = self.aws.get() {
            return Ok(sdk);
        }
        let sdk = self.rt()?.block_on(aws::load(&self.aws_options()));
        Ok(self.aws.get_or_init(|| sdk))
    }

    /// Who the shell's AWS credentials belong to (ARN, account), asked of STS once per run.
    pub fn sts_caller(&self) -> Result<Result<(&str, &str), &str>> {
        if self.caller.get().is_none() {
            let sdk = self.aws()?;
            let answer = self.rt()?.block_on(aws::caller_identity(sdk, STS_TIMEOUT));
            let _ = self.caller.set(answer);
        }
        Ok(match self.caller.get().expect("set above") {
            Ok((arn, account)) => Ok((arn.as_str(), account.as_str())),
            Err(e) => Err(e.as_str()),
        })
    }

    /// IAM in the account of the caller's credentials (`Err`: why IAM cannot be read).
    pub fn iam(&self, options: IamOptions) -> Result<Result<Iam, String>> {
        Ok(match self.sts_caller()? {
            Ok(caller) => Iam::connect(self.aws()?, caller, options),
            Err(e) => Err(format!("STS GetCallerIdentity failed: {e}")),
        })
    }

    /// A connection to the cluster (`--kubeconfig`, `--context`, …) on the session's runtime.
    pub fn connect(&self) -> Result<Cluster> {
        super::live::connect_on(self.rt()?, self.args)
    }
}
