//! What one run of a command works with, built once and handed down (as kube-rs controllers hand their
//! `Context`): the cluster arguments, the reporter, one async runtime, and, made on first use and then
//! reused, the AWS configuration and who STS says the caller is. The IAM checks and the lockout guard's
//! caller lookup share one credential load and one GetCallerIdentity; cluster connections run on the one
//! runtime.

use crate::adapters::aws::{self, AwsOptions};
use crate::adapters::eks::{self, EksCluster, EksError};
use crate::adapters::iam::{Iam, IamOptions};
use crate::adapters::kube::Cluster;
use crate::cli::ClusterArgs;
use crate::cli::diagnostics::{Failure, Reporter};
use crate::core::access::Access;
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
    /// The cluster `--cluster NAME` names, as DescribeCluster gave it.
    eks: OnceCell<EksCluster>,
    /// The cluster's access entries and mode (`Err`: why they were not read, and how to read them).
    access: OnceCell<Result<Access, String>>,
    /// The EKS cluster the access entries were read from (by `--cluster`, the exec plugin or the URL).
    access_cluster: OnceCell<EksCluster>,
}

impl<'a> Session<'a> {
    pub fn new(args: &'a ClusterArgs, out: Reporter) -> Session<'a> {
        Session {
            args,
            out,
            rt: OnceCell::new(),
            aws: OnceCell::new(),
            caller: OnceCell::new(),
            eks: OnceCell::new(),
            access: OnceCell::new(),
            access_cluster: OnceCell::new(),
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
        if let Some(eks) = self.eks.get() {
            let _ = derived.eks.set(eks.clone());
        }
        if let Some(access) = self.access.get() {
            let _ = derived.access.set(access.clone());
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

    /// A connection to the cluster on the session's runtime: by EKS name (`--cluster`), or through the
    /// kubeconfig (`--kubeconfig`, `--context`, …).
    pub fn connect(&self) -> Result<Cluster> {
        let Some(name) = &self.args.cluster else {
            return super::live::connect_on(self.rt()?, self.args);
        };
        super::live::refuse_awsiamconfig(self.args)?;
        let cluster = self.eks_cluster(name)?.clone();
        let (creds, _) = self
            .rt()?
            .block_on(aws::credentials_of(self.aws()?, None))
            .map_err(|e| {
                Failure::error(
                    format!(
                        "cannot get AWS credentials to sign in to `{}`: {e}",
                        cluster.arn
                    ),
                    Some("check `aws sts get-caller-identity` (and --profile)".into()),
                )
            })?;
        let token = crate::core::presign::token(
            &creds,
            &cluster.region,
            &cluster.name,
            std::time::SystemTime::now(),
        )
        .map_err(|e| Failure::error(e, None))?;
        self.rt()?
            .block_on(Cluster::connect_eks(
                &cluster.endpoint,
                &cluster.ca_data,
                token,
                &cluster.arn,
                &super::live::options(self.args),
            ))
            .map_err(|e| super::live::failure(e, self.args))
    }

    /// The region of the cluster `--cluster` names: `--region`, else the AWS configuration's.
    fn eks_region(&self) -> Result<String> {
        if let Some(r) = &self.args.region {
            return Ok(r.clone());
        }
        match self.aws()?.region() {
            Some(r) => Ok(r.to_string()),
            None => Err(Failure::error(
                "EKS clusters are regional and no region is configured",
                Some("pass --region REGION (as with eksctl), or set AWS_REGION or the profile's region".into()),
            )
            .into()),
        }
    }

    /// DescribeCluster of the cluster `--cluster` names, once per run.
    pub fn eks_cluster(&self, name: &str) -> Result<&EksCluster> {
        if let Some(c) = self.eks.get() {
            return Ok(c);
        }
        let region = self.eks_region()?;
        let client = eks::client(self.aws()?, &region);
        let cluster = self
            .rt()?
            .block_on(eks::describe(&client, name))
            .map_err(|e| eks_failure(&e, name, &region))?;
        if matches!(cluster.status.as_str(), "CREATING" | "DELETING" | "FAILED") {
            return Err(Failure::error(
                format!("EKS cluster `{}` is {}: its API server cannot be used", cluster.arn, cluster.status),
                Some(format!("wait until `aws eks describe-cluster --name {name} --region {region}` says ACTIVE")),
            )
            .into());
        }
        Ok(self.eks.get_or_init(|| cluster))
    }

    /// The cluster's authentication mode and access entries: with `--cluster`, when the kubeconfig's
    /// exec plugin (`aws eks get-token --cluster-name NAME`) names the EKS cluster, or when the server URL
    /// is an EKS endpoint (its region's clusters are listed to find the one it belongs to). `Err`: why they were
    /// not read and how to include them; never fatal, the caller says what it could not take into account.
    pub fn access(&self, cluster: &Cluster) -> Result<&Result<Access, String>> {
        if let Some(a) = self.access.get() {
            return Ok(a);
        }
        let answer = self.read_access(cluster)?;
        Ok(self.access.get_or_init(|| answer))
    }

    /// The EKS cluster [`Session::access`] read the access entries of, and a client for its region.
    pub fn access_cluster(&self) -> Result<Option<(&EksCluster, aws_sdk_eks::Client)>> {
        match self.access_cluster.get() {
            Some(c) => Ok(Some((c, eks::client(self.aws()?, &c.region)))),
            None => Ok(None),
        }
    }

    fn read_access(&self, cluster: &Cluster) -> Result<Result<Access, String>> {
        use crate::core::doctor::PluginKind;
        let (eks_cluster, region) = match (&self.args.cluster, &cluster.exec) {
            (Some(name), _) => (self.eks_cluster(name)?.clone(), self.eks_region()?),
            (None, Some(exec)) if exec.kind == PluginKind::AwsCli && exec.cluster.is_some() => {
                let name = exec.cluster.clone().unwrap_or_default();
                let region = exec
                    .region
                    .clone()
                    .or_else(|| self.args.region.clone())
                    .or_else(|| self.aws().ok()?.region().map(|r| r.to_string()));
                let Some(region) = region else {
                    return Ok(Err(format!(
                        "EKS access entries were not read: the region of cluster `{name}` is not known; pass --cluster {name} --region REGION to include them"
                    )));
                };
                let client = eks::client(self.aws()?, &region);
                match self.rt()?.block_on(eks::describe(&client, &name)) {
                    // The plugin names a cluster, but the kubeconfig may point elsewhere: another
                    // cluster's access entries must never vouch for this one's.
                    Ok(c) if !crate::core::access::same_endpoint(&c.endpoint, &cluster.server) => {
                        return Ok(Err(format!(
                            "EKS access entries were not read: the exec plugin names cluster `{name}`, whose API server is {}, but this connection's server is {}; pass --cluster NAME --region REGION to name the cluster",
                            c.endpoint, cluster.server
                        )));
                    }
                    Ok(c) => (c, region),
                    Err(e) => {
                        return Ok(Err(format!(
                            "EKS access entries were not read ({e}); pass --cluster {name} --region {region} with credentials that may call eks:DescribeCluster and eks:ListAccessEntries to include them"
                        )));
                    }
                }
            }
            // An EKS API server URL names the region: the cluster is the one whose endpoint it is.
            (None, _)
                if let Some(region) = crate::core::access::endpoint_region(&cluster.server) =>
            {
                let client = eks::client(self.aws()?, &region);
                match self
                    .rt()?
                    .block_on(eks::find_by_endpoint(&client, &cluster.server))
                {
                    Ok(Some(c)) => (c, region),
                    Ok(None) => {
                        return Ok(Err(format!(
                            "EKS access entries were not read: no EKS cluster in {region} that these AWS credentials can list has the API server {}; pass --cluster NAME --region REGION (with credentials of the cluster's account) to include them",
                            cluster.server
                        )));
                    }
                    Err(e) => {
                        return Ok(Err(format!(
                            "EKS access entries were not read: finding the cluster of {} failed ({e}); pass --cluster NAME --region {region} with credentials that may call eks:DescribeCluster and eks:ListAccessEntries to include them",
                            cluster.server
                        )));
                    }
                }
            }
            _ => {
                return Ok(Err(
                    "EKS access entries were not read: the kubeconfig does not say which EKS cluster this is; pass --cluster NAME --region REGION to include them".into(),
                ));
            }
        };
        let client = eks::client(self.aws()?, &region);
        let _ = self.access_cluster.set(eks_cluster.clone());
        let bar = crate::cli::progress::bar(0, "reading access entries", self.out);
        Ok(self
            .rt()?
            .block_on(eks::access(&client, &eks_cluster, &bar))
            .map_err(|e| {
                format!(
                    "EKS access entries of `{}` were not read ({e}); they need eks:ListAccessEntries, eks:DescribeAccessEntry and eks:ListAssociatedAccessPolicies",
                    eks_cluster.arn
                )
            }))
    }
}

/// An EKS error while finding the cluster, with the next thing to try.
fn eks_failure(e: &EksError, name: &str, region: &str) -> anyhow::Error {
    let hint = match e {
        EksError::NotFound { .. } => format!(
            "check the name and the region: `aws eks list-clusters --region {region}` lists the clusters there"
        ),
        EksError::Denied(_) => format!(
            "check `aws sts get-caller-identity` (and --profile): the credentials need eks:DescribeCluster on `{name}`"
        ),
        EksError::Other(_) => "run the command again; `-v` shows more".into(),
    };
    Failure::error(e.to_string(), Some(hint)).into()
}
