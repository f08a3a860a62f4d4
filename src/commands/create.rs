//! `iamidmap create`: add a role, user or account mapping, losslessly, in the neighbours' style.

use super::session::Session;
use super::{arn_matches, mapped_entries, place};
use crate::cli::CreateArgs;
use crate::cli::diagnostics::{Failure, Reporter};
use crate::core::arn::{self, PrincipalType};
use crate::core::document::{AuthDocument, EditPlan, NewEntry};
use crate::core::mapping::ListKind;
use anyhow::Result;

const NODE_USERNAME: &str = "system:node:{{EC2PrivateDNSName}}";
const FARGATE_USERNAME: &str = "system:node:{{SessionName}}";

/// What to add, validated before any I/O.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Target {
    Entry(NewEntry),
    Account(String),
}

fn resolve(args: &CreateArgs, out: Reporter) -> Result<Target> {
    if let Some(account) = &args.account {
        let account = account.trim().trim_matches('"').to_string();
        if !arn::is_account_id(&account) {
            return Err(Failure::error(
                format!("`{account}` is not an AWS account ID"),
                Some(
                    "an account ID is exactly 12 digits, e.g. `--account 111122223333`".to_string(),
                ),
            )
            .into());
        }
        return Ok(Target::Account(account));
    }
    let raw = args.arn.as_deref().unwrap_or_default();
    arn::check_writable(raw).map_err(|e| {
        Failure::error(
            e.to_string(),
            Some("copy the ARN from `aws sts get-caller-identity` or the IAM console".to_string()),
        )
    })?;
    if let Some(u) = &args.username {
        check_name("--username", u)?;
    }
    for g in &args.groups {
        if g.trim().is_empty() {
            return Err(Failure::error(
                "--group is empty; an empty group grants nothing and RBAC cannot bind it",
                Some("name the group (`--group system:masters`), or leave --group out".to_string()),
            )
            .into());
        }
        check_name("--group", g)?;
    }
    let normalized = arn::normalize_for_write(raw).map_err(|e| {
        Failure::error(
            e.to_string(),
            Some("copy the ARN from `aws sts get-caller-identity` or the IAM console".to_string()),
        )
    })?;
    for change in &normalized.changes {
        out.note(&format!("`{raw}` -> `{}`: {change}", normalized.arn));
    }
    let preset = args.node_role || args.windows_node_role || args.fargate_role;
    if preset && normalized.kind != PrincipalType::Role {
        return Err(Failure::error(
            format!(
                "`{}` is not a role; node and Fargate presets map roles",
                normalized.arn
            ),
            None,
        )
        .into());
    }
    let (username, groups) = identity_of(args);
    if username.is_none() && groups.is_empty() {
        return Err(Failure::error(
            "neither --username nor --group is set; the mapping would grant nothing",
            Some(
                "add `--username NAME` and `--group GROUP`, or use --node-role for a node role"
                    .to_string(),
            ),
        )
        .into());
    }
    let list = if normalized.kind == PrincipalType::User {
        ListKind::Users
    } else {
        ListKind::Roles
    };
    Ok(Target::Entry(NewEntry {
        list,
        arn: normalized.arn,
        username,
        groups,
    }))
}

/// The username and groups to map: a preset's (node, Windows node, Fargate), or `--username` and the
/// `--group`s (trimmed, each once, in order).
fn identity_of(args: &CreateArgs) -> (Option<String>, Vec<String>) {
    if args.fargate_role {
        (
            Some(FARGATE_USERNAME.into()),
            vec![
                "system:bootstrappers".into(),
                "system:nodes".into(),
                "system:node-proxier".into(),
            ],
        )
    } else if args.windows_node_role {
        (
            Some(NODE_USERNAME.into()),
            vec![
                "eks:kube-proxy-windows".into(),
                "system:bootstrappers".into(),
                "system:nodes".into(),
            ],
        )
    } else if args.node_role {
        (
            Some(NODE_USERNAME.into()),
            vec!["system:bootstrappers".into(), "system:nodes".into()],
        )
    } else {
        let mut groups: Vec<String> = vec![];
        for g in args
            .groups
            .iter()
            .map(|g| g.trim())
            .filter(|g| !g.is_empty())
        {
            if !groups.iter().any(|x| x == g) {
                groups.push(g.to_string());
            }
        }
        (args.username.clone().filter(|u| !u.is_empty()), groups)
    }
}

/// A username or group must be text a person can read and RBAC can bind: no control characters (they
/// would reach terminals raw), no invisible or bidi characters (they make two names look alike).
fn check_name(flag: &str, value: &str) -> Result<()> {
    let shown = crate::cli::render::one_line(value);
    if shown != value || value.chars().any(char::is_control) {
        return Err(Failure::error(
            format!("{flag} `{shown}` contains control or invisible characters"),
            Some("write the name in plain text".to_string()),
        )
        .into());
    }
    Ok(())
}

/// `--service-name emr-containers --namespace NS`, as eksctl: the service-linked role of the cluster's
/// account, mapped as `emr-containers` with no groups, and the Role and RoleBinding it needs in NS.
struct ServiceGrant {
    entry: NewEntry,
    namespace: String,
}

fn service_grant(args: &CreateArgs, s: &Session<'_>) -> Result<ServiceGrant> {
    use crate::core::service;
    let namespace = args.service_namespace.clone().unwrap_or_default();
    check_name("--namespace", &namespace)?;
    // The cluster's account: from its ARN (--cluster), else the account of your AWS credentials.
    let owner = match &s.args.cluster {
        Some(name) => s.eks_cluster(name)?.arn.clone(),
        None => match s.sts_caller()? {
            Ok((arn, _)) => arn.to_string(),
            Err(e) => {
                return Err(Failure::error(
                    format!("cannot tell the cluster's AWS account for the {} role: STS GetCallerIdentity failed: {e}", service::EMR_ROLE),
                    Some("pass --cluster NAME --region REGION, or check `aws sts get-caller-identity`".to_string()),
                )
                .into());
            }
        },
    };
    let parts = arn::parse(&owner).map_err(|e| Failure::error(format!("`{owner}`: {e}"), None))?;
    Ok(ServiceGrant {
        entry: NewEntry {
            list: ListKind::Roles,
            arn: service::emr_role_arn(parts.partition, parts.account),
            username: Some(service::EMR_CONTAINERS.to_string()),
            groups: vec![],
        },
        namespace,
    })
}

/// After the mapping is in place (written now, or there already): make sure the service's Role and
/// RoleBinding are too. Nothing is applied when they already grant what eksctl's preset grants; otherwise
/// the objects as they are go to a backup first, and the apply is server-side and not forced (a field
/// another manager holds with another value is a conflict, not overwritten).
fn ensure_service_rbac(
    rt: &tokio::runtime::Runtime,
    conn: &crate::adapters::kube::Cluster,
    namespace: &str,
    yes: bool,
    s: &Session<'_>,
) -> Result<()> {
    use crate::core::service::{self, EMR_CONTAINERS};
    let want = service::emr_rbac(namespace);
    let failure = |e| super::live::failure(e, s.args);
    let (role, binding) = rt
        .block_on(conn.role_and_binding(namespace, EMR_CONTAINERS))
        .map_err(failure)?;
    if service::in_place(&want, role.as_ref(), binding.as_ref()) {
        s.out.note(&format!(
            "role and rolebinding `{namespace}/{EMR_CONTAINERS}` already grant what EMR on EKS needs: left as they are"
        ));
        return Ok(());
    }
    if !yes {
        // What decides access: the role's rules, the binding's role and subjects.
        let shown = |role: Option<&serde_json::Value>, binding: Option<&serde_json::Value>| {
            let v = serde_json::json!({
                "role": role.map(|r| &r["rules"]),
                "rolebinding": binding.map(|b| serde_json::json!({"roleRef": b["roleRef"], "subjects": b["subjects"]})),
            });
            serde_json::to_string_pretty(&v).unwrap_or_default() + "\n"
        };
        let diff = crate::cli::render::unified_diff(
            &format!("role and rolebinding {namespace}/{EMR_CONTAINERS}"),
            &shown(role.as_ref(), binding.as_ref()),
            &shown(Some(&want.0), Some(&want.1)),
        );
        super::write::confirm_or(
            &diff,
            &format!("Apply role and rolebinding `{EMR_CONTAINERS}` in namespace `{namespace}`?"),
            "aborted: the mapping is in place, the role and rolebinding were not applied",
        )?;
    }
    let before: Vec<serde_json::Value> = role.into_iter().chain(binding).collect();
    if !before.is_empty() {
        let dir = super::live::safe_backup_dir(s.args, &conn.context)?;
        let path = crate::adapters::backup::write_objects(
            &dir,
            &format!("role and rolebinding {namespace}/{EMR_CONTAINERS}"),
            &before,
        )
        .map_err(|e| e.context("the Role and RoleBinding were not changed: their backup failed"))?;
        s.out.note(&format!(
            "backed up the objects it changes to {}",
            path.display()
        ));
    }
    let (r, b) = rt
        .block_on(conn.apply_role(namespace, &want.0, &want.1))
        .map_err(|e| {
            let e = failure(e);
            e.context(format!(
                "the mapping is in place, but EMR on EKS cannot work until role and rolebinding `{namespace}/{EMR_CONTAINERS}` are: if another tool manages them, give them eksctl's rules (docs/eks.md) and run this again"
            ))
        })?;
    s.out.note(&format!(
        "applied role `{namespace}/{EMR_CONTAINERS}` (resourceVersion {r}) and rolebinding `{namespace}/{EMR_CONTAINERS}` (resourceVersion {b}), server-side, field manager iamidmap"
    ));
    Ok(())
}

pub fn create(args: CreateArgs, s: &Session<'_>) -> Result<i32> {
    let out = s.out;
    let service = match args.service_name {
        Some(_) => Some(service_grant(&args, s)?),
        None => None,
    };
    let target = match &service {
        Some(g) => Target::Entry(g.entry.clone()),
        None => resolve(&args, out)?,
    };
    let live = args.source.file.is_none();
    if let (Some(g), false) = (&service, live) {
        out.warn(&format!(
            "the file gets the mapping only; EMR on EKS also needs its Role and RoleBinding in `{}` (`iamidmap create --service-name emr-containers --namespace {}` on the cluster applies them)",
            g.namespace, g.namespace
        ));
    }
    let mut found = match &target {
        // The service-linked role lives under a path AWS manages; it is not looked up.
        Target::Entry(_) if service.is_some() => None,
        Target::Entry(entry) => Some(super::check::create_iam_check(
            entry,
            args.skip_iam_check,
            s,
        )?),
        Target::Account(_) => None,
    };
    let (strict, rbac_check) = (args.strict, live && !args.skip_rbac_check);
    if !live && let Some(f) = &found {
        super::check::create_verdict(f, strict, out)?;
    }
    let CreateArgs {
        noun: _,
        source,
        no_duplicate_arns,
        update,
        write: write_opts,
        ..
    } = args;
    // A service's mapping is added once (eksctl: only when no entry has its ARN and username).
    let no_duplicate_arns = no_duplicate_arns || service.is_some();
    let planner = |doc: &AuthDocument| plan(doc, &target, no_duplicate_arns, update, out);
    let (dry_run, yes) = (write_opts.dry_run, write_opts.yes);
    // On a cluster, the RBAC check and the verdict run on the write pipeline's own connection (kept for
    // the service's RBAC objects, applied once the mapping is in place).
    let mut connected: Option<crate::adapters::kube::Cluster> = None;
    let mut precheck = |rt: &tokio::runtime::Runtime, conn: &crate::adapters::kube::Cluster| {
        if service.is_some() {
            connected = Some(conn.clone());
        }
        if let (Some(f), Target::Entry(entry)) = (found.as_mut(), &target) {
            if rbac_check {
                super::check::create_rbac_check(rt, conn, entry, f);
            }
            super::check::create_verdict(f, strict, out)?;
        }
        Ok(())
    };
    let precheck: Option<super::live::Precheck<'_>> = live.then_some(&mut precheck);
    let code = super::edit(source, s, &write_opts, precheck, planner)?;
    // A declined confirmation or a refusal returned an error above: nothing of the service is applied.
    if let (Some(g), Some(conn)) = (&service, &connected) {
        if dry_run {
            s.out.note(&format!(
                "dry run: would make sure role and rolebinding `emr-containers` in namespace `{}` grant what EMR on EKS needs (server-side apply, after a backup)",
                g.namespace
            ));
        } else {
            ensure_service_rbac(s.rt()?, conn, &g.namespace, yes, s)?;
        }
    }
    Ok(code)
}

/// The edits that add (or update) the mapping in this version of the document; none when it is there.
fn plan(
    doc: &AuthDocument,
    target: &Target,
    no_duplicate_arns: bool,
    update: bool,
    out: Reporter,
) -> Result<Vec<EditPlan>> {
    let entry = match target {
        Target::Account(account) => {
            if doc.accounts.accounts.iter().any(|a| a.0 == *account) {
                out.note(&format!(
                    "account `{account}` is already in mapAccounts; nothing to do"
                ));
                return Ok(vec![]);
            }
            return Ok(vec![EditPlan::AddAccount(account.clone())]);
        }
        Target::Entry(entry) => entry,
    };
    let planned = crate::core::mapping::parse_list(&render_probe(entry), entry.list);
    let new_entry = &planned.entries[0];
    let existing: Vec<_> = mapped_entries(doc)
        .filter(|e| arn_matches(e, &entry.arn))
        .collect();
    if let Some(same) = existing.iter().find(|e| e.same_mapping(new_entry)) {
        out.note(&format!(
            "`{}` is already mapped identically at {}; nothing to do",
            entry.arn,
            place(doc, same)
        ));
        return Ok(vec![]);
    }
    if let (true, Some(current)) = (update, existing.last()) {
        // The last entry for the ARN is the one the authenticator uses.
        out.note(&format!(
            "updating `{}` at {} in place",
            current.arn,
            place(doc, current)
        ));
        return Ok(vec![EditPlan::UpdateEntry {
            list: current.list,
            index: current.index,
            username: entry.username.clone(),
            groups: (!entry.groups.is_empty()).then(|| entry.groups.clone()),
        }]);
    }
    if let Some(other) = existing.last() {
        let what = format!(
            "`{}` is already mapped at {} (username `{}`, groups [{}])",
            entry.arn,
            place(doc, other),
            other.username,
            other.groups.join(", ")
        );
        if no_duplicate_arns {
            return Err(Failure::refused(
                format!("{what}; --no-duplicate-arns forbids shadowing it"),
                Some(format!(
                    "remove it first (`iamidmap delete --arn {}`), change it with --update, or drop --no-duplicate-arns",
                    entry.arn
                )),
            )
            .into());
        }
        let probe_key = new_entry.key();
        if other.list == entry.list && other.key() == probe_key {
            out.warn(&format!(
                "{what}; the new entry comes last, so the authenticator uses it and the old mapping stops applying"
            ));
        } else if other.list == entry.list {
            out.warn(&format!(
                "{what}; the authenticator keeps both (their ARNs are spelled differently) and picks one of them at random on each request"
            ));
        } else {
            out.warn(&format!(
                "{what}; the authenticator looks roles up before users, so the `mapRoles` entry keeps winning"
            ));
        }
    }
    Ok(vec![EditPlan::AddEntry(entry.clone())])
}

/// The new entry as the authenticator would read it, for comparing with existing entries.
fn render_probe(entry: &NewEntry) -> String {
    let mut s = format!(
        "- {}: {}\n",
        entry.list.arn_field(),
        serde_json::to_string(&entry.arn).unwrap_or_default()
    );
    if let Some(u) = &entry.username {
        s.push_str(&format!(
            "  username: {}\n",
            serde_json::to_string(u).unwrap_or_default()
        ));
    }
    s.push_str(&format!(
        "  groups: {}\n",
        serde_json::to_string(&entry.groups).unwrap_or_default()
    ));
    s
}
