//! The live write pipeline (PRODUCT.md §3): read with its resourceVersion, plan, edit losslessly, verify,
//! show and confirm, back up, replace with the remembered resourceVersion. A 409 re-reads and re-plans the
//! same edit; a write whose outcome is unknown (dropped connection, 5xx) is checked by re-reading.

use super::write::confirm;
use super::{caller, guard};
use crate::adapters::backup::{self, BackupInfo};
use crate::adapters::kube::{Cluster, ClusterOptions, KubeError};
use crate::cli::diagnostics::{EXIT_OK, Failure, Reporter};
use crate::cli::{ClusterArgs, WriteOptions, render};
use crate::core::document::{AuthDocument, EditPlan, live};
use anyhow::Result;
use k8s_openapi::api::core::v1::ConfigMap;
use std::collections::BTreeMap;
use std::time::Duration;

/// Attempts before giving up on a ConfigMap that keeps changing under us.
const MAX_ATTEMPTS: u32 = 8;

fn options(args: &ClusterArgs) -> ClusterOptions {
    ClusterOptions {
        kubeconfig: args.kubeconfig.clone(),
        context: args.context.clone(),
        as_user: args.as_user.clone(),
        as_groups: args.as_groups.clone(),
        namespace: args.namespace.clone(),
        name: args.name.clone(),
        request_timeout: Duration::from_secs(args.request_timeout.max(1)),
        log_requests: args.verbose,
    }
}

/// A runtime and a connected cluster, for commands that make several requests.
pub fn connect(args: &ClusterArgs) -> Result<(tokio::runtime::Runtime, Cluster)> {
    refuse_awsiamconfig(args)?;
    let rt = runtime()?;
    let cluster = rt
        .block_on(Cluster::connect(&options(args)))
        .map_err(|e| failure(e, args))?;
    Ok((rt, cluster))
}

pub fn runtime() -> Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}

/// A Kubernetes error as a failure that says what to do next.
pub fn failure(err: KubeError, cluster: &ClusterArgs) -> anyhow::Error {
    let object = format!("configmap/{} -n {}", cluster.name, cluster.namespace);
    let hint = match &err {
        KubeError::Config(_) => "pass --kubeconfig FILE or set KUBECONFIG (for EKS: `aws eks update-kubeconfig --name CLUSTER`), or work on a file with -f".to_string(),
        KubeError::Forbidden { verb, .. } => format!("check your rights with `kubectl auth can-i {verb} {object}`; editing aws-auth needs get and update on it"),
        KubeError::Unauthorized(_) => "the kubeconfig user's credentials were refused: check `aws sts get-caller-identity` and the context's user (`kubectl config view --minify`)".to_string(),
        KubeError::Timeout(_) | KubeError::Transport(_) => "check the server address of the context (`kubectl cluster-info`) and the network".to_string(),
        _ => "run the command again; if it keeps failing, check the API server (`kubectl get --raw /readyz`)".to_string(),
    };
    Failure::error(err.to_string(), Some(hint)).into()
}

fn data_of(cm: Option<&ConfigMap>) -> BTreeMap<String, String> {
    cm.and_then(|c| c.data.clone())
        .unwrap_or_default()
        .into_iter()
        .collect()
}

fn source_name(args: &ClusterArgs) -> String {
    format!("configmap {}/{}", args.namespace, args.name)
}

/// An AWSIamConfig is not a live object iamidmap edits: EKS Anywhere renders it from the cluster spec.
fn refuse_awsiamconfig(args: &ClusterArgs) -> Result<()> {
    if args.kind == Some(crate::cli::Kind::Awsiamconfig) {
        return Err(Failure::error(
            "an AWSIamConfig is part of the EKS Anywhere cluster spec; iamidmap edits it in the spec file".to_string(),
            Some("pass -f CLUSTER-SPEC.yaml, then roll it out with `eksctl anywhere upgrade cluster -f CLUSTER-SPEC.yaml` (or let GitOps do it)".to_string()),
        )
        .into());
    }
    Ok(())
}

/// A cluster without aws-auth but with the aws-iam-authenticator ConfigMap (kops, self-managed): when
/// neither `--kind` nor `--name` chose, that ConfigMap is the one to work on. Costs a request only when
/// aws-auth does not exist.
fn authenticator_instead(
    args: &ClusterArgs,
    rt: &tokio::runtime::Runtime,
    cluster: &mut Cluster,
    out: Reporter,
) -> Result<Option<(ClusterArgs, Option<ConfigMap>)>> {
    if args.kind.is_some() || args.name != "aws-auth" {
        return Ok(None);
    }
    let name = crate::core::document::AUTHENTICATOR_CONFIGMAP;
    let previous = std::mem::replace(&mut cluster.name, name.to_string());
    match rt.block_on(cluster.get()) {
        Ok(Some(cm)) => {
            out.note(&format!(
                "configmap {ns}/aws-auth does not exist; using {ns}/{name}, the aws-iam-authenticator config (kops, self-managed); pass --kind to choose",
                ns = args.namespace
            ));
            let mut switched = args.clone();
            switched.name = name.to_string();
            switched.kind = Some(crate::cli::Kind::AuthenticatorConfig);
            Ok(Some((switched, Some(cm))))
        }
        _ => {
            cluster.name = previous;
            Ok(None)
        }
    }
}

/// The live ConfigMap and its document on a connected cluster, with the same fallback to the
/// aws-iam-authenticator ConfigMap as every command (for commands that keep the connection).
pub fn fetch(
    args: &ClusterArgs,
    rt: &tokio::runtime::Runtime,
    cluster: &mut Cluster,
    out: Reporter,
) -> Result<(Option<ConfigMap>, AuthDocument)> {
    let cm = rt.block_on(cluster.get()).map_err(|e| failure(e, args))?;
    if cm.is_none()
        && let Some((switched, found)) = authenticator_instead(args, rt, cluster, out)?
    {
        let doc = live_document(&switched, found.as_ref())?;
        return Ok((found, doc));
    }
    let doc = live_document(args, cm.as_ref())?;
    Ok((cm, doc))
}

/// Read the live ConfigMap as a document (an absent ConfigMap reads as an empty one).
pub fn read(args: &ClusterArgs, out: Reporter) -> Result<AuthDocument> {
    let (rt, mut cluster) = connect(args)?;
    let (cm, doc) = fetch(args, &rt, &mut cluster, out)?;
    if cm.is_none() {
        out.note(&format!(
            "{} does not exist in context `{}`; it maps nothing",
            doc.source_name, cluster.context
        ));
    }
    Ok(doc)
}

pub fn live_document(args: &ClusterArgs, cm: Option<&ConfigMap>) -> Result<AuthDocument> {
    live::document(
        &source_name(args),
        &args.namespace,
        &args.name,
        &data_of(cm),
        args.kind.map(crate::cli::Kind::carrier),
    )
    .map_err(|e| {
        Failure::error(
            format!("cannot read the live {}: {e}", source_name(args)),
            None,
        )
        .into()
    })
}

fn backoff(attempt: u32) -> Duration {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let base = 25u64 << attempt.min(5);
    Duration::from_millis(base + u64::from(nanos) % base)
}

/// The object to write: the one read (labels, annotations, other keys untouched) with new map values.
fn updated(
    cm: Option<&ConfigMap>,
    args: &ClusterArgs,
    data: BTreeMap<String, String>,
) -> ConfigMap {
    let mut new = cm.cloned().unwrap_or_else(|| ConfigMap {
        metadata: kube::api::ObjectMeta {
            name: Some(args.name.clone()),
            namespace: Some(args.namespace.clone()),
            ..Default::default()
        },
        ..Default::default()
    });
    new.data = Some(data.into_iter().collect());
    new
}

/// What a change writes: the map values to merge into the object's data, or its whole data.
pub enum NewData {
    Merge(BTreeMap<String, String>),
    Replace(BTreeMap<String, String>),
}

/// Apply an edit to the live ConfigMap. `plan` is called on every version read and returns the edits to
/// make (none: nothing to do). Returns the exit code.
pub fn edit(
    args: &ClusterArgs,
    write: &WriteOptions,
    out: Reporter,
    precheck: Option<Precheck<'_>>,
    mut plan: impl FnMut(&AuthDocument) -> Result<Vec<EditPlan>>,
) -> Result<i32> {
    change_with(args, write, out, precheck, |doc| {
        let plans = plan(doc)?;
        if plans.is_empty() {
            return Ok(None);
        }
        let new_doc = super::apply_all(doc.clone(), &plans, out)?;
        let (old_values, new_values) = (live::map_values(doc), live::map_values(&new_doc));
        Ok(Some(NewData::Merge(
            new_values
                .into_iter()
                .filter(|(k, v)| old_values.get(k) != Some(v))
                .collect(),
        )))
    })
}

/// A check to run on the connected cluster before anything is read or written (create's RBAC check),
/// on the same client: a kubeconfig exec plugin runs once per command, not once per check.
pub type Precheck<'a> = &'a mut dyn FnMut(&tokio::runtime::Runtime, &Cluster) -> Result<()>;

/// The write pipeline for any change of the data: `compute` is called on every version read.
pub fn change(
    args: &ClusterArgs,
    write: &WriteOptions,
    out: Reporter,
    compute: impl FnMut(&AuthDocument) -> Result<Option<NewData>>,
) -> Result<i32> {
    change_with(args, write, out, None, compute)
}

fn change_with(
    args: &ClusterArgs,
    write: &WriteOptions,
    out: Reporter,
    precheck: Option<Precheck<'_>>,
    mut compute: impl FnMut(&AuthDocument) -> Result<Option<NewData>>,
) -> Result<i32> {
    refuse_awsiamconfig(args)?;
    let rt = runtime()?;
    let mut cluster = rt
        .block_on(Cluster::connect(&options(args)))
        .map_err(|e| failure(e, args))?;
    if let Some(check) = precheck {
        check(&rt, &cluster)?;
    }
    let mut switched: Option<ClusterArgs> = None;
    let mut name = source_name(args);
    let backup_dir = args
        .backup_dir
        .clone()
        .unwrap_or_else(|| backup::default_dir(&cluster.context));
    let command: String = std::env::args().collect::<Vec<_>>().join(" ");
    let me = caller(args, out)?;
    let mut confirmed = write.yes;
    let mut last_error: Option<KubeError> = None;
    for attempt in 1..=MAX_ATTEMPTS {
        let args = switched.as_ref().unwrap_or(args);
        let cm = match rt.block_on(cluster.get()) {
            Ok(None) if attempt == 1 => {
                if let Some((a, _)) = authenticator_instead(args, &rt, &mut cluster, out)? {
                    name = source_name(&a);
                    switched = Some(a);
                    continue;
                }
                None
            }
            Ok(cm) => cm,
            Err(e) if e.is_transient() => {
                out.warn(&format!("reading {name} failed ({e}); retrying"));
                last_error = Some(e);
                std::thread::sleep(backoff(attempt));
                continue;
            }
            Err(e) => return Err(failure(e, args)),
        };
        let doc = live_document(args, cm.as_ref())?;
        let old_data = data_of(cm.as_ref());
        let new_data: BTreeMap<String, String> = match compute(&doc)? {
            None => {
                if attempt > 1 + u32::from(switched.is_some()) {
                    out.note(&format!(
                        "{name} already has the change; nothing more to do"
                    ));
                }
                return Ok(EXIT_OK);
            }
            Some(NewData::Replace(data)) => data,
            Some(NewData::Merge(values)) => {
                let mut data = old_data.clone();
                for (k, v) in values {
                    data.insert(k, v);
                }
                data
            }
        };
        if new_data == old_data {
            if attempt > 1 + u32::from(switched.is_some()) {
                out.note(&format!(
                    "{name} already has the change; nothing more to do"
                ));
            } else {
                out.note("nothing to change");
            }
            return Ok(EXIT_OK);
        }
        let new_doc = live::document(
            &name,
            &args.namespace,
            &args.name,
            &new_data,
            Some(doc.facts.carrier.kind),
        )
        .map_err(|e| Failure::error(format!("the new data cannot be read: {e}"), None))?;
        let diff = render::unified_diff(&name, &doc.text, &new_doc.text);
        if write.dry_run {
            print!("{diff}");
            guard(&doc, &new_doc, me.as_deref(), write.force, out)?;
            out.note("dry run: nothing was written");
            return Ok(EXIT_OK);
        }
        let forced = guard(&doc, &new_doc, me.as_deref(), write.force, out)?;
        if write.dry_run {
            print!("{diff}");
            out.note("dry run: nothing was written");
            return Ok(EXIT_OK);
        }
        if !confirmed {
            confirm(
                &diff,
                &format!(
                    "Write these changes to {name} in context `{}`?",
                    cluster.context
                ),
            )?;
            confirmed = true;
        }
        let new_cm = updated(cm.as_ref(), args, new_data);
        let result = match &cm {
            Some(old) => {
                let path = backup::write(
                    &backup_dir,
                    old,
                    &BackupInfo {
                        command: &command,
                        context: &cluster.context,
                        server: &cluster.server,
                        forced,
                    },
                )
                .map_err(|e| {
                    Failure::error(
                        format!("no backup could be written, so nothing was changed: {e:#}"),
                        Some("pass --backup-dir DIR with a writable directory".to_string()),
                    )
                })?;
                out.note(&format!("backup: {}", path.display()));
                rt.block_on(cluster.replace(&new_cm))
            }
            None => rt.block_on(cluster.create(&new_cm)),
        };
        match result {
            Ok(written) => {
                out.note(&format!(
                    "{} {name} in context `{}` (resourceVersion {})",
                    if cm.is_some() { "updated" } else { "created" },
                    cluster.context,
                    written.metadata.resource_version.unwrap_or_default()
                ));
                if let Some(next) = super::rollout_hint(&new_doc, None) {
                    out.note(&next);
                }
                return Ok(EXIT_OK);
            }
            Err(e @ (KubeError::Conflict(_) | KubeError::AlreadyExists(_))) => {
                out.warn(&format!("{name} changed since it was read; reading it again to re-apply the edit (attempt {})", attempt + 1));
                last_error = Some(e);
            }
            Err(e) if e.is_transient() => {
                // The write may or may not have happened: the next read tells (an applied edit plans to nothing).
                out.warn(&format!(
                    "the write of {name} failed ({e}); checking whether it was applied"
                ));
                last_error = Some(e);
            }
            Err(e) => return Err(failure(e, args)),
        }
        std::thread::sleep(backoff(attempt));
    }
    Err(Failure::error(
        format!(
            "gave up after {MAX_ATTEMPTS} attempts: {name} kept changing or the API server kept failing ({}); the edit was not applied",
            last_error.map(|e| e.to_string()).unwrap_or_default()
        ),
        Some("run the command again when the other writer is done".to_string()),
    )
    .into())
}

/// The backup directory for the context (`--backup-dir`, else the default for the kubeconfig context).
pub fn backup_dir(args: &ClusterArgs) -> Result<std::path::PathBuf> {
    if let Some(dir) = &args.backup_dir {
        return Ok(dir.clone());
    }
    let rt = runtime()?;
    let cluster = rt
        .block_on(Cluster::connect(&options(args)))
        .map_err(|e| failure(e, args))?;
    Ok(backup::default_dir(&cluster.context))
}

/// Read the live ConfigMap object itself (for backups): aws-auth, or on a cluster without it the
/// aws-iam-authenticator ConfigMap (as for every other command).
pub fn read_object(
    args: &ClusterArgs,
    out: Reporter,
) -> Result<(Option<ConfigMap>, String, String)> {
    let (rt, mut cluster) = connect(args)?;
    let (cm, _) = fetch(args, &rt, &mut cluster, out)?;
    Ok((cm, cluster.context, cluster.server))
}
