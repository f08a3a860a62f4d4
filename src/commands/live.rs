//! The live write pipeline (README.md, "Safe live writes"): read with its resourceVersion, plan, edit losslessly, verify,
//! show and confirm, back up, replace with the remembered resourceVersion. A 409 re-reads and re-plans the
//! same edit; a write whose outcome is unknown (dropped connection, 5xx) is checked by re-reading.

use super::session::Session;
use super::write::confirm;
use crate::adapters::backup::{self, BackupInfo, ClusterIdentity};
use crate::adapters::kube::{Cluster, ClusterOptions, KubeError};
use crate::cli::diagnostics::{EXIT_OK, Failure, Reporter};
use crate::cli::{ClusterArgs, WriteOptions, render};
use crate::core::document::{AuthDocument, EditPlan, live};
use crate::core::guard::Intent;
use anyhow::Result;
use k8s_openapi::api::core::v1::ConfigMap;
use std::collections::BTreeMap;
use std::time::Duration;

/// Attempts before giving up on a ConfigMap that keeps changing under us.
const MAX_ATTEMPTS: u32 = 8;

pub fn options(args: &ClusterArgs) -> ClusterOptions {
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

/// A connected cluster on a runtime (see [`super::session::Session::connect`]).
pub fn connect_on(rt: &tokio::runtime::Runtime, args: &ClusterArgs) -> Result<Cluster> {
    refuse_awsiamconfig(args)?;
    rt.block_on(Cluster::connect(&options(args)))
        .map_err(|e| failure(e, args))
}

/// A Kubernetes error as a failure that says what to do next.
pub fn failure(err: KubeError, cluster: &ClusterArgs) -> anyhow::Error {
    let object = format!("configmap/{} -n {}", cluster.name, cluster.namespace);
    let hint = match &err {
        KubeError::Config(_) => "pass --kubeconfig FILE or set KUBECONFIG (for EKS: `aws eks update-kubeconfig --name CLUSTER`), or work on a file with -f".to_string(),
        KubeError::ContextNotFound { .. } => "`kubectl config get-contexts` lists the contexts of the kubeconfig; pass one with --context (or --kubeconfig FILE for another kubeconfig)".to_string(),
        KubeError::ExecPlugin(_) => "run the plugin's command from the kubeconfig yourself to see why (`kubectl config view --minify`; for `aws eks get-token`, check `aws sts get-caller-identity` and the profile); `iamidmap doctor` walks through the setup".to_string(),
        KubeError::Forbidden { verb, .. } => format!("check your rights with `kubectl auth can-i {verb} {object}`; editing aws-auth needs get and update on it"),
        KubeError::Unauthorized(_) => "the kubeconfig user's credentials were refused: check `aws sts get-caller-identity` and the context's user (`kubectl config view --minify`)".to_string(),
        KubeError::Timeout(_) | KubeError::Transport(_) => "check the server address of the context (`kubectl cluster-info`) and the network".to_string(),
        KubeError::NamespaceNotFound(ns) => format!("aws-auth lives in `kube-system`; check --namespace (`{ns}` was given; eksctl's --namespace is an EMR setting, not where the mappings are), or create the namespace first with `kubectl create namespace {ns}`"),
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
pub fn refuse_awsiamconfig(args: &ClusterArgs) -> Result<()> {
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
pub fn read(s: &Session<'_>) -> Result<AuthDocument> {
    Ok(read_connected(s)?.0)
}

/// The EKS access entries beside a live aws-auth (`None` for other carriers, or when they could not be
/// read: then a note says why and how to include them).
pub fn access_for(
    s: &Session<'_>,
    cluster: &Cluster,
    doc: &AuthDocument,
) -> Result<Option<crate::core::access::Access>> {
    if doc.facts.carrier.kind != crate::core::document::CarrierKind::AwsAuth {
        return Ok(None);
    }
    Ok(match s.access(cluster)? {
        Ok(a) => Some(a.clone()),
        Err(why) => {
            s.out.note(why);
            None
        }
    })
}

/// [`read`], and the connection it read through.
pub fn read_connected(s: &Session<'_>) -> Result<(AuthDocument, Cluster)> {
    let (args, out) = (s.args, s.out);
    let mut cluster = s.connect()?;
    let (cm, doc) = fetch(args, s.rt()?, &mut cluster, out)?;
    if cm.is_none() {
        out.warn(&format!(
            "{} does not exist in context `{}`: it maps no IAM identity, so nodes cannot join and nobody but the cluster's creator can get in, unless EKS access entries grant access (`aws eks list-access-entries`); `iamidmap create --node-role --arn …` creates it",
            doc.source_name, cluster.context
        ));
    }
    Ok((doc, cluster))
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

/// What a change writes: the map values to merge into the object's data (`None`: remove the key), or its
/// whole data.
pub enum NewData {
    Merge(BTreeMap<String, Option<String>>),
    Replace(BTreeMap<String, String>),
}

/// A planned change: what to write, and whose access it means to change (for the lockout guard).
pub struct Planned {
    pub data: NewData,
    pub intent: Intent,
}

/// Apply an edit to the live ConfigMap. `plan` is called on every version read and returns the edits to
/// make (none: nothing to do). Returns the exit code.
pub fn edit(
    s: &Session<'_>,
    write: &WriteOptions,
    precheck: Option<Precheck<'_>>,
    mut plan: impl FnMut(&AuthDocument) -> Result<Vec<EditPlan>>,
) -> Result<i32> {
    let out = s.out;
    change_with(s, write, precheck, |doc| {
        let plans = plan(doc)?;
        if plans.is_empty() {
            return Ok(None);
        }
        let new_doc = super::apply_all(doc.clone(), &plans, out)?;
        let (old_values, new_values) = (live::map_values(doc), live::map_values(&new_doc));
        // Changed values, and the keys the edit removed (an emptied list whose key held nothing else).
        let mut merge: BTreeMap<String, Option<String>> = old_values
            .keys()
            .filter(|k| !new_values.contains_key(*k))
            .map(|k| (k.clone(), None))
            .collect();
        merge.extend(
            new_values
                .into_iter()
                .filter(|(k, v)| old_values.get(k) != Some(v))
                .map(|(k, v)| (k, Some(v))),
        );
        Ok(Some(Planned {
            data: NewData::Merge(merge),
            intent: crate::core::guard::intent_of(doc, &plans),
        }))
    })
}

/// A check to run on the connected cluster before anything is read or written (create's RBAC check),
/// on the same client: a kubeconfig exec plugin runs once per command, not once per check.
pub type Precheck<'a> = &'a mut dyn FnMut(&tokio::runtime::Runtime, &Cluster) -> Result<()>;

/// The write pipeline for any change of the data: `compute` is called on every version read.
pub fn change(
    s: &Session<'_>,
    write: &WriteOptions,
    compute: impl FnMut(&AuthDocument) -> Result<Option<Planned>>,
) -> Result<i32> {
    change_with(s, write, None, compute)
}

/// Which cluster this is, for backups: the server URL and the `kube-system` namespace UID (when the
/// caller may read it).
pub fn cluster_identity(rt: &tokio::runtime::Runtime, cluster: &Cluster) -> ClusterIdentity {
    ClusterIdentity {
        server: cluster.server.clone(),
        uid: rt.block_on(cluster.namespace_uid("kube-system")),
    }
}

/// The backup directory to use, refused (exit 3) when another user owns it or others may write to it.
pub fn safe_backup_dir(args: &ClusterArgs, context: &str) -> Result<std::path::PathBuf> {
    let dir = args
        .backup_dir
        .clone()
        .unwrap_or_else(|| backup::default_dir(context));
    backup::check_dir(&dir).map_err(|e| Failure::refused(e.to_string(), Some(e.hint())))?;
    Ok(dir)
}

/// A write whose outcome is unknown (the connection dropped, a 5xx): what it was to leave behind.
struct Pending {
    planned: BTreeMap<String, String>,
    resource_version: Option<String>,
    backup: Option<std::path::PathBuf>,
    forced: bool,
}

fn change_with(
    s: &Session<'_>,
    write: &WriteOptions,
    precheck: Option<Precheck<'_>>,
    compute: impl FnMut(&AuthDocument) -> Result<Option<Planned>>,
) -> Result<i32> {
    let mut cluster = s.connect()?;
    if let Some(check) = precheck {
        check(s.rt()?, &cluster)?;
    }
    change_on(s, &mut cluster, write, compute)
}

/// The write pipeline on a connected cluster.
pub fn change_on(
    s: &Session<'_>,
    cluster: &mut Cluster,
    write: &WriteOptions,
    mut compute: impl FnMut(&AuthDocument) -> Result<Option<Planned>>,
) -> Result<i32> {
    let (rt, args, out) = (s.rt()?, s.args, s.out);
    not_read_warning(args, out);
    let mut switched: Option<ClusterArgs> = None;
    let mut name = source_name(args);
    let record = Recorder {
        dir: safe_backup_dir(args, &cluster.context)?,
        command: command_line(),
        context: cluster.context.clone(),
        identity: std::cell::OnceCell::new(),
    };
    // Who you are, which cluster this is and its access entries are asked only when there is something
    // to write.
    let mut me: Option<crate::core::guard::CallerCheck> = None;
    let mut access: Option<Option<crate::core::access::Access>> = None;
    let mut confirmed = write.yes;
    let mut last_error: Option<KubeError> = None;
    let mut pending: Option<Pending> = None;
    for attempt in 1..=MAX_ATTEMPTS {
        let args = switched.as_ref().unwrap_or(args);
        let cm = match read_attempt(s, cluster, args, attempt, &name)? {
            Read::Got(cm) => cm,
            Read::Switched(a) => {
                name = source_name(&a);
                switched = Some(a);
                continue;
            }
            Read::Failed(e) => {
                last_error = Some(e);
                std::thread::sleep(backoff(attempt));
                continue;
            }
        };
        // Settle a write whose answer was lost: it landed when the object holds exactly what was
        // planned; it did not when the object is the version it was written over.
        if let Some(p) = pending.take()
            && let Some((written, forced)) = settle(p, cm.as_ref(), &name, out)
        {
            after_write(written, &record, forced, out);
            return Ok(EXIT_OK);
        }
        // A later attempt that finds nothing to do: another writer made the same change meanwhile.
        let retried = attempt > 1 + u32::from(switched.is_some());
        let Some(Plan {
            doc,
            new_doc,
            new_data,
            intent,
        }) = plan_on(args, cm.as_ref(), &name, retried, &mut compute, out)?
        else {
            return Ok(EXIT_OK);
        };
        let diff = render::unified_diff(&name, &doc.text, &new_doc.text);
        let me = match &me {
            Some(c) => c,
            None => me.insert(super::identity::for_cluster(s, cluster)?),
        };
        if record.identity.get().is_none() {
            let _ = record.identity.set(cluster_identity(rt, cluster));
        }
        let access = match &access {
            Some(a) => a.as_ref(),
            None => access.insert(access_for(s, cluster, &doc)?).as_ref(),
        };
        let change = crate::core::guard::Change {
            before: &doc,
            after: &new_doc,
            caller: me,
            intent,
            binary_bytes: super::binary_bytes(cm.as_ref()),
            access,
        };
        let question = format!(
            "Write these changes to {name} in context `{}`?",
            cluster.context
        );
        let Some(forced) = judged(&change, write, &diff, &question, &mut confirmed, out)? else {
            return Ok(EXIT_OK);
        };
        let this_write = WriteAttempt {
            cm: cm.as_ref(),
            new_data,
            new_doc: &new_doc,
            name: &name,
            attempt,
            forced,
        };
        match this_write.run(s, cluster, &record)? {
            Attempted::Done => return Ok(EXIT_OK),
            Attempted::Again { error, unsettled } => {
                last_error = Some(error);
                pending = unsettled;
            }
        }
        std::thread::sleep(backoff(attempt));
    }
    Err(gave_up(&name, last_error, pending.is_some()))
}

/// The write pipeline's last word after every attempt failed: whether the last write landed is unknown
/// when its answer was lost.
fn gave_up(name: &str, last_error: Option<KubeError>, unknown: bool) -> anyhow::Error {
    Failure::error(
        format!(
            "gave up after {MAX_ATTEMPTS} attempts: {name} kept changing or the API server kept failing ({}); {}",
            last_error.map(|e| e.to_string()).unwrap_or_default(),
            if unknown {
                "whether the last write was applied is unknown (its backup is kept)"
            } else {
                "the edit was not applied"
            }
        ),
        Some(if unknown {
            "`iamidmap get` shows what the cluster holds now; `iamidmap diff --from latest --to live` compares it with the backup".to_string()
        } else {
            "run the command again when the other writer is done".to_string()
        }),
    )
    .into()
}

/// A write to a ConfigMap no authenticator reads is allowed (a staging copy), but never silent: EKS reads
/// `kube-system/aws-auth`, kops and self-managed servers `kube-system/aws-iam-authenticator`. eksctl's
/// `--namespace` means something else (the EMR namespace of `--service-name emr-containers`).
fn not_read_warning(args: &ClusterArgs, out: Reporter) {
    let read = args.namespace == "kube-system"
        && (args.name == "aws-auth" || args.name == crate::core::document::AUTHENTICATOR_CONFIGMAP);
    if !read {
        out.warn(&format!(
            "configmap {}/{} is not read by the authenticator (EKS reads kube-system/aws-auth; kops and self-managed clusters kube-system/{}): this change grants or removes no access; drop --namespace/--name to change the real mappings",
            args.namespace,
            args.name,
            crate::core::document::AUTHENTICATOR_CONFIGMAP
        ));
    }
}

/// What the change makes of the version read: the document before and after, the new data, and what
/// the change means to do.
struct Plan {
    doc: AuthDocument,
    new_doc: AuthDocument,
    new_data: BTreeMap<String, String>,
    intent: Intent,
}

/// Plan the change on the version read; `None` when there is nothing to do (said once: "nothing to
/// change", or on a later attempt that another writer made the same change).
fn plan_on(
    args: &ClusterArgs,
    cm: Option<&ConfigMap>,
    name: &str,
    retried: bool,
    compute: &mut impl FnMut(&AuthDocument) -> Result<Option<Planned>>,
    out: Reporter,
) -> Result<Option<Plan>> {
    let doc = live_document(args, cm)?;
    let old_data = data_of(cm);
    let nothing_to_do = |quiet_first: bool| {
        if retried {
            out.note(&format!(
                "{name} already has the change; nothing more to do"
            ));
        } else if !quiet_first {
            out.note("nothing to change");
        }
        Ok(None)
    };
    let Some(planned) = compute(&doc)? else {
        return nothing_to_do(true);
    };
    let new_data = planned.data.over(&old_data);
    if new_data == old_data {
        return nothing_to_do(false);
    }
    let new_doc = live::document(
        name,
        &args.namespace,
        &args.name,
        &new_data,
        Some(doc.facts.carrier.kind),
    )
    .map_err(|e| Failure::error(format!("the new data cannot be read: {e}"), None))?;
    Ok(Some(Plan {
        doc,
        new_doc,
        new_data,
        intent: planned.intent,
    }))
}

/// Writes the backups of one change: the directory, the command line, the context, and which cluster
/// this is (asked once, before the first write).
struct Recorder {
    dir: std::path::PathBuf,
    command: String,
    context: String,
    identity: std::cell::OnceCell<ClusterIdentity>,
}

impl Recorder {
    fn write(
        &self,
        cm: &ConfigMap,
        state: backup::State,
        forced: bool,
    ) -> Result<std::path::PathBuf> {
        let identity = self
            .identity
            .get()
            .expect("known before anything is written");
        backup::write(
            &self.dir,
            cm,
            &BackupInfo {
                command: &self.command,
                context: &self.context,
                cluster: identity,
                forced,
                state,
            },
        )
    }
}

/// What one read of the pipeline found.
enum Read {
    Got(Option<ConfigMap>),
    /// aws-auth does not exist, the aws-iam-authenticator ConfigMap does: work on that one.
    Switched(ClusterArgs),
    /// A transient failure, to be retried.
    Failed(KubeError),
}

fn read_attempt(
    s: &Session<'_>,
    cluster: &mut Cluster,
    args: &ClusterArgs,
    attempt: u32,
    name: &str,
) -> Result<Read> {
    let (rt, out) = (s.rt()?, s.out);
    match rt.block_on(cluster.get()) {
        Ok(None) if attempt == 1 => Ok(match authenticator_instead(args, rt, cluster, out)? {
            Some((a, _)) => Read::Switched(a),
            None => Read::Got(None),
        }),
        Ok(cm) => Ok(Read::Got(cm)),
        Err(e) if e.is_transient() => {
            out.warn(&format!("reading {name} failed ({e}); retrying"));
            Ok(Read::Failed(e))
        }
        Err(e) => Err(failure(e, args)),
    }
}

/// The lockout guard on a planned change, then the confirmation (asked once per command): whether the
/// write is forced, or `None` after a dry run (the diff shown, nothing written).
fn judged(
    change: &crate::core::guard::Change<'_>,
    write: &WriteOptions,
    diff: &str,
    question: &str,
    confirmed: &mut bool,
    out: Reporter,
) -> Result<Option<bool>> {
    if write.dry_run {
        print!("{}", render::terminal_safe(diff));
        super::guard(change, write, out)?;
        out.note("dry run: nothing was written");
        return Ok(None);
    }
    let forced = super::guard(change, write, out)?;
    if !*confirmed {
        confirm(diff, question)?;
        *confirmed = true;
    }
    Ok(Some(forced))
}

/// One write of the pipeline, after the guard and the confirmation.
struct WriteAttempt<'w> {
    cm: Option<&'w ConfigMap>,
    new_data: BTreeMap<String, String>,
    new_doc: &'w AuthDocument,
    name: &'w str,
    attempt: u32,
    forced: bool,
}

/// How a write went: done, or to be tried again (after a conflict; or after a lost answer, to be
/// settled by the next read).
enum Attempted {
    Done,
    Again {
        error: KubeError,
        unsettled: Option<Pending>,
    },
}

impl WriteAttempt<'_> {
    /// Back up the version read (no backup, no write), write, and record what the write left.
    fn run(self, s: &Session<'_>, cluster: &mut Cluster, record: &Recorder) -> Result<Attempted> {
        let (rt, args, out) = (s.rt()?, s.args, s.out);
        let WriteAttempt {
            cm,
            new_data,
            new_doc,
            name,
            attempt,
            forced,
        } = self;
        let new_cm = updated(cm, args, new_data.clone());
        let backup_path = match cm {
            Some(old) => Some(backup_before(old, record, forced, out)?),
            None => None,
        };
        let result = match cm {
            Some(_) => rt.block_on(cluster.replace(&new_cm)),
            None => rt.block_on(cluster.create(&new_cm)),
        };
        match result {
            Ok(written) => {
                out.note(&format!(
                    "{} {name} in context `{}` (resourceVersion {})",
                    if cm.is_some() { "updated" } else { "created" },
                    cluster.context,
                    written
                        .metadata
                        .resource_version
                        .as_deref()
                        .unwrap_or_default()
                ));
                after_write(&written, record, forced, out);
                if let Some(next) = super::rollout_hint(new_doc, None) {
                    out.note(&next);
                }
                Ok(Attempted::Done)
            }
            Err(e @ (KubeError::Conflict(_) | KubeError::AlreadyExists(_))) => {
                // Nothing was written: the backup of this attempt belongs to no write.
                if let Some(path) = &backup_path {
                    backup::discard(path);
                }
                if attempt < MAX_ATTEMPTS {
                    out.warn(&format!("{name} changed since it was read; reading it again to re-apply the edit (attempt {} of {MAX_ATTEMPTS})", attempt + 1));
                }
                Ok(Attempted::Again {
                    error: e,
                    unsettled: None,
                })
            }
            Err(e) if e.is_transient() => {
                // The write may or may not have happened: the next read settles it against the plan.
                out.warn(&format!(
                    "the write of {name} failed ({e}); checking whether it was applied"
                ));
                Ok(Attempted::Again {
                    error: e,
                    unsettled: Some(Pending {
                        planned: new_data,
                        resource_version: cm.and_then(|c| c.metadata.resource_version.clone()),
                        backup: backup_path,
                        forced,
                    }),
                })
            }
            Err(e) => {
                if let Some(path) = &backup_path {
                    backup::discard(path);
                }
                Err(failure(e, args))
            }
        }
    }
}

/// The backup taken before a write: no backup, no write.
fn backup_before(
    old: &ConfigMap,
    record: &Recorder,
    forced: bool,
    out: Reporter,
) -> Result<std::path::PathBuf> {
    let path = record
        .write(old, backup::State::Before, forced)
        .map_err(|e| {
            Failure::error(
                format!("no backup could be written, so nothing was changed: {e:#}"),
                Some("pass --backup-dir DIR with a writable directory".to_string()),
            )
        })?;
    out.note(&format!("backup: {}", path.display()));
    Ok(path)
}

/// A write whose answer was lost, settled by the object read now: it landed when the object holds exactly
/// what was planned (the object and whether the write was forced); it did not when the object is the
/// version it was written over (its backup is discarded and the edit is planned again).
fn settle<'c>(
    p: Pending,
    cm: Option<&'c ConfigMap>,
    name: &str,
    out: Reporter,
) -> Option<(&'c ConfigMap, bool)> {
    if let Some(written) = cm.filter(|c| data_of(Some(c)) == p.planned) {
        out.note(&format!(
            "the write of {name} was applied (read back: resourceVersion {})",
            written
                .metadata
                .resource_version
                .as_deref()
                .unwrap_or_default()
        ));
        return Some((written, p.forced));
    }
    if let Some(path) = &p.backup {
        backup::discard(path);
    }
    let same = cm.and_then(|c| c.metadata.resource_version.clone()) == p.resource_version;
    out.note(&format!(
        "the write of {name} was not applied{}; planning it again",
        if same {
            ""
        } else {
            ", and the object changed meanwhile"
        }
    ));
    None
}

impl NewData {
    /// The data to write, given the data read.
    fn over(self, old: &BTreeMap<String, String>) -> BTreeMap<String, String> {
        match self {
            NewData::Replace(data) => data,
            NewData::Merge(values) => {
                let mut data = old.clone();
                for (k, v) in values {
                    match v {
                        Some(v) => data.insert(k, v),
                        None => data.remove(&k),
                    };
                }
                data
            }
        }
    }
}

/// This command's line, for backup headers, with secret-like values redacted.
pub fn command_line() -> String {
    crate::core::doctor::redact_args(&std::env::args().collect::<Vec<_>>()).join(" ")
}

/// Record the state a write left (known good: what `restore --latest` puts back); a failure only warns.
fn after_write(written: &ConfigMap, record: &Recorder, forced: bool, out: Reporter) {
    match record.write(written, backup::State::After, forced) {
        Ok(path) => out.debug(&format!("recorded the new state: {}", path.display())),
        Err(e) => out.warn(&format!(
            "the new state could not be recorded ({e:#}); `restore --latest` falls back to older records"
        )),
    }
}

/// The backups of the connected cluster in its backup directory, oldest first by recorded time. Files
/// iamidmap did not write are named and skipped; backups of other clusters are counted and left out.
pub fn cluster_backups(
    s: &Session<'_>,
    cluster: &Cluster,
) -> Result<(std::path::PathBuf, ClusterIdentity, Vec<backup::Found>)> {
    let (args, rt, out) = (s.args, s.rt()?, s.out);
    let dir = safe_backup_dir(args, &cluster.context)?;
    let identity = cluster_identity(rt, cluster);
    let listing = backup::list(&dir)?;
    for (path, why) in &listing.skipped {
        out.warn(&format!("skipped `{}`: {why}", path.display()));
    }
    let (mine, others) = listing.of_cluster(&identity);
    if others > 0 {
        out.note(&format!(
            "{others} backup{} in `{}` {} of another cluster (not {}) and {} not used",
            if others == 1 { "" } else { "s" },
            dir.display(),
            if others == 1 { "is" } else { "are" },
            identity.describe(),
            if others == 1 { "is" } else { "are" },
        ));
    }
    let mine = mine.into_iter().cloned().collect();
    Ok((dir, identity, mine))
}
