//! `iamidmap migrate`: aws-auth to EKS access entries. `plan` (read-only) says what becomes of every
//! mapping; `apply` creates the entries in an order that never leaves a principal without its access,
//! records what it created (resumable), proves per principal that the access entries resolve to what
//! aws-auth gave, and then, each behind its own flag, removes the migrated aws-auth entries and switches
//! the authentication mode; `rollback` undoes a recorded migration while aws-auth is still read.

use super::live;
use super::session::Session;
use crate::adapters::eks::{self, EksCluster};
use crate::adapters::kube::Cluster;
use crate::cli::diagnostics::{EXIT_OK, Failure};
use crate::cli::{
    MigrateAction, MigrateApplyArgs, MigrateArgs, MigrateExport, MigratePlanArgs,
    MigrateRollbackArgs, OutputFormat, TargetMode, WriteOptions,
};
use crate::core::access::{Access, AuthMode};
use crate::core::check::iam::Account;
use crate::core::document::AuthDocument;
use crate::core::migrate::{self, Item, Outcome, Plan, Target};
use anyhow::Result;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use crate::core::migrate::BRIDGE_GROUP;
/// The ClusterRoleBinding that binds [`BRIDGE_GROUP`] to `cluster-admin` while a migration runs.
pub const BRIDGE_BINDING: &str = "iamidmap-migration-admins";

pub fn migrate(args: MigrateArgs, s: &Session<'_>) -> Result<i32> {
    match args.action {
        None => plan(&args.plan, s),
        Some(MigrateAction::Plan(a)) => plan(&a, s),
        Some(MigrateAction::Apply(a)) => apply(&a, s),
        Some(MigrateAction::Rollback(a)) => rollback(&a, s),
    }
}

/// What every action starts from: the live aws-auth, the EKS cluster and its access entries, and the
/// plan made of them.
struct World {
    doc: AuthDocument,
    conn: Cluster,
    access: Access,
    eks: EksCluster,
    client: aws_sdk_eks::Client,
    plan: Plan,
}

fn gather(s: &Session<'_>, skip_iam: bool) -> Result<World> {
    let (rt, out) = (s.rt()?, s.out);
    let mut conn = s.connect()?;
    let (_, doc) = live::fetch(s.args, rt, &mut conn, out)?;
    if doc.facts.carrier.kind != crate::core::document::CarrierKind::AwsAuth {
        return Err(Failure::error(
            format!(
                "{} is not aws-auth: only EKS's aws-auth moves to access entries",
                doc.source_name
            ),
            None,
        )
        .into());
    }
    let access = match s.access(&conn)? {
        Ok(a) => a.clone(),
        Err(why) => {
            return Err(Failure::error(
                format!("migrate needs the cluster's EKS access entries: {why}"),
                Some("pass --cluster NAME --region REGION".into()),
            )
            .into());
        }
    };
    let Some((eks, client)) = s.access_cluster()?.map(|(c, cl)| (c.clone(), cl)) else {
        return Err(Failure::error("the EKS cluster is not known", None).into());
    };
    let account = account_of(&eks.arn);
    let iam = if skip_iam {
        None
    } else {
        iam_answers(s, &doc, &account)?
    };
    let plan = migrate::plan(&migrate::Inputs {
        doc: &doc,
        access: &access,
        account: &account,
        iam: iam.as_ref(),
    });
    Ok(World {
        doc,
        conn,
        access,
        eks,
        client,
        plan,
    })
}

/// `arn:aws:eks:REGION:ACCOUNT:cluster/NAME`: the cluster's account and partition.
fn account_of(cluster_arn: &str) -> Account {
    let p = crate::core::arn::parse(cluster_arn).ok();
    Account {
        partition: p.as_ref().map_or("aws", |p| p.partition).to_string(),
        id: p.as_ref().map_or("", |p| p.account).to_string(),
    }
}

/// IAM's answers for the document's principals, when IAM can be read in the cluster's account.
fn iam_answers(
    s: &Session<'_>,
    doc: &AuthDocument,
    account: &Account,
) -> Result<Option<BTreeMap<crate::core::check::iam::Query, crate::core::check::iam::Lookup>>> {
    let out = s.out;
    let iam = match s.iam(crate::adapters::iam::IamOptions::default())? {
        Ok(iam) => iam,
        Err(reason) => {
            out.warn(&format!("IAM not read ({reason}): no principal's real ARN is known, so nothing can be planned"));
            return Ok(None);
        }
    };
    if &iam.account != account {
        out.warn(&format!(
            "the AWS credentials are in account {}, the cluster's is {}: IAM can only be read with credentials of the cluster's account",
            iam.account.id, account.id
        ));
        return Ok(None);
    }
    let queries = migrate::queries(doc, account);
    let bar = crate::cli::progress::bar(queries.len() as u64, "IAM lookups", out);
    let answers = s.rt()?.block_on(iam.lookup_all(&queries, &bar));
    bar.finish_and_clear();
    Ok(Some(answers))
}

fn plan(args: &MigratePlanArgs, s: &Session<'_>) -> Result<i32> {
    let w = gather(s, args.skip_iam)?;
    let name = w.eks.name.as_str();
    match (args.export, args.output) {
        (Some(MigrateExport::AwsCli), _) => {
            print!("{}", migrate::aws_cli(&w.plan, name, &w.eks.region))
        }
        (Some(MigrateExport::Eksctl), _) => {
            print!("{}", yaml(&migrate::eksctl(&w.plan, name, &w.eks.region)))
        }
        (None, OutputFormat::Json) => println!(
            "{}",
            serde_json::to_string_pretty(&w.plan).expect("the plan serializes")
        ),
        (None, OutputFormat::Yaml) => print!("{}", yaml(&w.plan)),
        (None, OutputFormat::Table) => print!("{}", table(&w.plan)),
    }
    for n in &w.plan.notes {
        s.out.warn(n);
    }
    Ok(EXIT_OK)
}

fn yaml<T: serde::Serialize>(v: &T) -> String {
    let options = serde_saphyr::ser_options! { prefer_block_scalars: false };
    serde_saphyr::to_string_with_options(v, options).expect("the plan serializes")
}

/// The plan for a reader: one line per mapping, then what it adds up to.
fn table(plan: &Plan) -> String {
    use comfy_table::{Table, presets};
    let mut t = Table::new();
    t.load_preset(presets::NOTHING);
    t.set_header(["LINE", "LIST", "ARN", "ACTION", "ACCESS ENTRY / REASON"]);
    for i in &plan.items {
        let (action, what) = match &i.outcome {
            Outcome::Create { entry } => ("create", describe(entry)),
            Outcome::Present { entry } => ("present", describe(entry)),
            Outcome::Skip {
                reason, message, ..
            } => (
                "keep",
                format!(
                    "{}: {message}",
                    serde_json::to_value(reason)
                        .ok()
                        .and_then(|v| v.as_str().map(String::from))
                        .unwrap_or_default()
                ),
            ),
        };
        t.add_row([
            i.line.to_string(),
            i.list.to_string(),
            i.arn.clone(),
            action.into(),
            what,
        ]);
    }
    for col in t.column_iter_mut() {
        col.set_padding((0, 3));
    }
    let (create, present, keep) = plan.counts();
    let mut out = crate::cli::render::terminal_safe(&t.to_string()).into_owned();
    out = out
        .lines()
        .map(str::trim_end)
        .collect::<Vec<_>>()
        .join("\n");
    out.push_str(&format!(
        "\n\n{} (mode {}): {create} to create, {present} already present, {keep} stay in aws-auth\n",
        plan.cluster_arn, plan.mode
    ));
    if plan.mode == AuthMode::ConfigMap {
        out.push_str("the cluster reads aws-auth only: `iamidmap migrate apply --set-mode API_AND_CONFIG_MAP` switches it first (one way; aws-auth is still read)\n");
    }
    out
}

/// `STANDARD arn username u groups [..] policies [..]`.
fn describe(t: &Target) -> String {
    let mut s = format!("{} {}", t.kind, t.principal_arn);
    if let Some(u) = &t.username {
        s.push_str(&format!(" username `{u}`"));
    }
    if !t.kubernetes_groups.is_empty() {
        s.push_str(&format!(" groups [{}]", t.kubernetes_groups.join(", ")));
    }
    if !t.access_policies.is_empty() {
        let p: Vec<String> = t.access_policies.iter().map(|p| p.label()).collect();
        s.push_str(&format!(" policies [{}]", p.join(", ")));
    }
    s
}

/// What `apply` did to a cluster, kept beside the backups so that a later run resumes and `rollback`
/// knows what to undo.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Record {
    pub cluster_arn: String,
    /// Principal ARNs of the access entries this migration created.
    pub created: BTreeSet<String>,
    /// aws-auth's mapping keys before `--remove-aws-auth-entries` changed them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aws_auth_before: Option<BTreeMap<String, String>>,
}

fn record_path(s: &Session<'_>, w: &World) -> Result<PathBuf> {
    let dir = live::safe_backup_dir(s.args, &w.conn.context)?;
    let safe = crate::adapters::backup::file_safe(&w.eks.arn);
    Ok(dir.join("migrations").join(format!("{safe}.json")))
}

fn load_record(path: &std::path::Path, cluster_arn: &str) -> Result<Record> {
    match std::fs::read_to_string(path) {
        Ok(text) => serde_json::from_str(&text).map_err(|e| {
            Failure::error(
                format!(
                    "`{}` is not a migration record iamidmap can read: {e}",
                    path.display()
                ),
                Some("move it away to start over (the access entries it lists stay)".into()),
            )
            .into()
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Record {
            cluster_arn: cluster_arn.to_string(),
            ..Record::default()
        }),
        Err(e) => Err(anyhow::Error::from(e).context(format!("cannot read `{}`", path.display()))),
    }
}

fn save_record(path: &std::path::Path, r: &Record) -> Result<()> {
    if let Some(dir) = path.parent() {
        crate::adapters::backup::check_dir(dir.parent().unwrap_or(dir))
            .map_err(|e| Failure::refused(e.to_string(), Some(e.hint())))?;
        std::fs::create_dir_all(dir)?;
    }
    crate::adapters::fs::write_atomic(path, &serde_json::to_string_pretty(r)?)?;
    Ok(())
}

fn eks_error(e: eks::EksError, what: &str) -> anyhow::Error {
    Failure::error(
        format!("{what}: {e}"),
        Some("run `iamidmap migrate apply` again: it resumes where it stopped".into()),
    )
    .into()
}

/// `migrate apply`.
fn apply(args: &MigrateApplyArgs, s: &Session<'_>) -> Result<i32> {
    let out = s.out;
    let mut w = gather(s, args.skip_iam)?;
    let path = record_path(s, &w)?;
    let mut record = load_record(&path, &w.eks.arn)?;
    eprint!("{}", table(&w.plan));
    for n in &w.plan.notes {
        out.warn(n);
    }
    // 0. In API mode aws-auth grants nothing: its entries would be new access, not a migration.
    if w.access.mode == AuthMode::Api {
        return Err(Failure::refused(
            format!("{} is in mode API: aws-auth grants nothing there, so there is nothing to migrate; creating its entries would grant access nobody has now", w.eks.arn),
            Some("create the access entries that should exist deliberately (`aws eks create-access-entry`)".into()),
        )
        .into());
    }
    let creates: Vec<(Item, Target)> = w
        .plan
        .creates()
        .map(|(i, t)| (i.clone(), t.clone()))
        .collect();
    // Before anything changes: the bridge for admins must be able to bridge.
    if creates.iter().any(|(_, t)| t.is_admin()) {
        bridge_grants_everything(s, &w)?;
    }
    // 1. Access entries exist only in the modes that read them.
    if w.access.mode == AuthMode::ConfigMap {
        if args.set_mode.is_none() {
            return Err(Failure::refused(
                format!("{} reads aws-auth only (mode CONFIG_MAP): access entries cannot be created", w.eks.arn),
                Some("pass --set-mode API_AND_CONFIG_MAP: EKS then reads both, aws-auth still grants what it grants, and access entries win for their principals (one way: EKS cannot switch back)".into()),
            )
            .into());
        }
        ask(
            args.yes,
            &format!(
                "Switch {} to API_AND_CONFIG_MAP (one way; aws-auth is still read)?",
                w.eks.arn
            ),
        )?;
        set_mode(s, &w, AuthMode::ApiAndConfigMap)?;
        w.access.mode = AuthMode::ApiAndConfigMap;
        w.eks.mode = Some(AuthMode::ApiAndConfigMap.as_str().to_string());
    }
    // 2. The entries, each in an order that keeps its principal's access at every step.
    if !creates.is_empty() {
        ask(
            args.yes,
            &format!("Create {} access entries in {}?", creates.len(), w.eks.arn),
        )?;
        create_all(s, &w, &creates, &mut record, &path)?;
    }
    // 3. The proof: what each principal resolves to through its access entry now.
    let now = prove(s, &w)?;
    let unmigrated: Vec<&Item> = w.plan.unmigrated().collect();
    if args.remove_aws_auth_entries {
        remove_migrated(s, args, &w, &mut record, &path)?;
    }
    if args.set_mode == Some(TargetMode::Api) {
        switch_to_api(s, args, &w, &now, &unmigrated)?;
    } else if !unmigrated.is_empty() {
        out.note(&format!(
            "{} mappings stay in aws-auth (see the plan): the cluster cannot switch to API while they are needed",
            unmigrated.len()
        ));
    }
    Ok(EXIT_OK)
}

/// Read the access entries back, drop the bridge binding once no entry holds its group (also when an
/// earlier run stopped after finishing the entries), and compare each migrated principal's access with
/// what aws-auth gives it: an error listing the differences, or the entries as they are.
fn prove(s: &Session<'_>, w: &World) -> Result<Access> {
    let (rt, out) = (s.rt()?, s.out);
    let bar = crate::cli::progress::bar(0, "reading access entries", out);
    let now = rt
        .block_on(eks::access(&w.client, &w.eks, &bar))
        .map_err(|e| eks_error(e, "reading the access entries back"))?;
    if !now
        .entries
        .iter()
        .any(|e| e.kubernetes_groups.iter().any(|g| g == BRIDGE_GROUP))
    {
        rt.block_on(w.conn.delete_cluster_role_binding(BRIDGE_BINDING))
            .map_err(|e| live::failure(e, s.args))?;
    }
    let failures = verify(&w.doc, &w.plan, &now);
    let migrated = w.plan.items.iter().filter(|i| i.migrates()).count();
    if !failures.is_empty() {
        for f in &failures {
            out.warn(f);
        }
        return Err(Failure::error(
            format!("{} of {migrated} principals do not resolve to the access aws-auth gives them: nothing more is done (aws-auth still grants what it granted, except where an access entry above differs)", failures.len()),
            Some("fix or delete those access entries (`aws eks describe-access-entry`), then run `iamidmap migrate apply` again; `iamidmap migrate rollback` undoes the migration".into()),
        )
        .into());
    }
    out.note(&format!(
        "verified: {migrated} principals resolve through their access entries to exactly the access aws-auth gives them (username, groups, cluster admin)"
    ));
    Ok(now)
}

/// Ask before a step (unless --yes).
fn ask(yes: bool, question: &str) -> Result<()> {
    if yes {
        return Ok(());
    }
    super::write::confirm_or(
        "",
        question,
        "aborted before this step; what was done before it stays (`iamidmap migrate rollback` undoes it)",
    )
}

fn set_mode(s: &Session<'_>, w: &World, mode: AuthMode) -> Result<()> {
    s.out.note(&format!(
        "switching {} to {mode} (EKS takes a few minutes)",
        w.eks.arn
    ));
    s.rt()?
        .block_on(eks::set_mode(
            &w.client,
            &w.eks,
            mode,
            std::time::Duration::from_secs(5),
        ))
        .map_err(|e| eks_error(e, "switching the authentication mode"))?;
    s.out.note(&format!("{} is in mode {mode}", w.eks.arn));
    Ok(())
}

/// The bridge binding: members of [`BRIDGE_GROUP`] are cluster admins.
fn bridge_binding() -> serde_json::Value {
    serde_json::json!({
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRoleBinding",
        "metadata": {"name": BRIDGE_BINDING, "labels": {"app.kubernetes.io/managed-by": "iamidmap"}},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": BRIDGE_GROUP}],
    })
}

fn create_all(
    s: &Session<'_>,
    w: &World,
    creates: &[(Item, Target)],
    record: &mut Record,
    path: &std::path::Path,
) -> Result<()> {
    let rt = s.rt()?;
    let bridged = creates.iter().any(|(_, t)| t.is_admin());
    if bridged {
        rt.block_on(w.conn.apply_cluster_role_binding(&bridge_binding()))
            .map_err(|e| live::failure(e, s.args))?;
    }
    for (item, t) in creates {
        ensure_entry(s, w, t, record, path)?;
        s.out.note(&format!(
            "line {}: the access entry of `{}` is in place ({})",
            item.line,
            t.principal_arn,
            describe(t)
        ));
    }
    Ok(())
}

/// The bridge keeps `system:masters` principals admin only if `cluster-admin` allows every verb on every
/// resource (the API server reconciles it so, unless someone turned that off): checked before anything is
/// created.
fn bridge_grants_everything(s: &Session<'_>, w: &World) -> Result<()> {
    let role = s
        .rt()?
        .block_on(w.conn.cluster_role("cluster-admin"))
        .map_err(|e| live::failure(e, s.args))?;
    let all = |v: &serde_json::Value| v.as_array().is_some_and(|a| a.iter().any(|x| x == "*"));
    let everything = role.as_ref().is_some_and(|r| {
        r["rules"].as_array().is_some_and(|rules| {
            rules.iter().any(|p| {
                all(&p["apiGroups"])
                    && all(&p["resources"])
                    && all(&p["verbs"])
                    && p["resourceNames"].as_array().is_none_or(|n| n.is_empty())
            })
        })
    });
    if everything {
        return Ok(());
    }
    Err(Failure::refused(
        format!(
            "ClusterRole cluster-admin {}: the system:masters principals would not stay admins while their access entries are made, so nothing was created",
            if role.is_some() { "does not allow every verb on every resource" } else { "does not exist" }
        ),
        Some("restore it (`kubectl auth reconcile`, or the bootstrap ClusterRole: `*` on `*` in every API group), then run `iamidmap migrate apply` again".into()),
    )
    .into())
}

/// One entry, each step checked first (a run resumes where another stopped): created (an admin's with
/// the bridge group), its policies associated, the bridge group removed. Recorded before it is created.
fn ensure_entry(
    s: &Session<'_>,
    w: &World,
    t: &Target,
    record: &mut Record,
    path: &std::path::Path,
) -> Result<()> {
    let rt = s.rt()?;
    let p = t.principal_arn.as_str();
    let read = || {
        rt.block_on(eks::entry_of(&w.client, &w.eks, p))
            .map_err(|e| eks_error(e, &format!("reading the access entry of `{p}`")))
    };
    let mut now = read()?;
    if now.is_none() {
        if record.created.insert(p.to_string()) {
            save_record(path, record)?;
        }
        let mut groups = t.kubernetes_groups.clone();
        if t.is_admin() {
            groups.push(BRIDGE_GROUP.to_string());
        }
        rt.block_on(eks::create_entry(
            &w.client,
            &w.eks,
            p,
            &t.kind,
            t.username.as_deref(),
            &groups,
        ))
        .map_err(|e| eks_error(e, &format!("creating the access entry of `{p}`")))?;
        now = read()?;
    }
    let Some(entry) = now else {
        return Err(eks_error(
            eks::EksError::Other("it is not there after its creation".into()),
            &format!("the access entry of `{p}`"),
        ));
    };
    for policy in &t.access_policies {
        if !entry.access_policies.contains(policy) {
            rt.block_on(eks::associate(&w.client, &w.eks, p, policy))
                .map_err(|e| eks_error(e, &format!("associating {} with `{p}`", policy.name())))?;
        }
    }
    if entry.kubernetes_groups.iter().any(|g| g == BRIDGE_GROUP) {
        rt.block_on(eks::set_groups(&w.client, &w.eks, p, &t.kubernetes_groups))
            .map_err(|e| eks_error(e, &format!("removing the bridge group from `{p}`")))?;
    }
    Ok(())
}

/// Per migrated principal: what its access entry resolves to now against what its aws-auth mapping gives.
fn verify(doc: &AuthDocument, plan: &Plan, now: &Access) -> Vec<String> {
    let mut out = vec![];
    for item in plan.items.iter().filter(|i| i.migrates()) {
        let Some(t) = item.target() else { continue };
        let Some(source) = doc
            .valid_entries()
            .find(|e| doc.entry_location(e).line == item.line)
        else {
            continue;
        };
        match now
            .entries
            .iter()
            .find(|e| e.principal_arn.eq_ignore_ascii_case(&t.principal_arn))
        {
            None => out.push(format!(
                "line {}: `{}` has no access entry",
                item.line, t.principal_arn
            )),
            Some(actual) => {
                let d = migrate::differences(source, actual);
                if !d.is_empty() {
                    out.push(format!(
                        "line {}: the access entry of `{}` gives other access: {}",
                        item.line,
                        t.principal_arn,
                        d.join("; ")
                    ));
                }
            }
        }
    }
    out
}

/// `--remove-aws-auth-entries`: the verified mappings leave aws-auth through the guarded, backed-up
/// write (a fresh session: the guard judges with the access entries as they are now).
fn remove_migrated(
    s: &Session<'_>,
    args: &MigrateApplyArgs,
    w: &World,
    record: &mut Record,
    path: &std::path::Path,
) -> Result<()> {
    use crate::core::document::EditPlan;
    let key = |list: &str, arn: &str, user: &str, groups: &[String]| {
        (
            list.to_string(),
            arn.to_ascii_lowercase(),
            user.to_string(),
            groups.to_vec(),
        )
    };
    let migrated: BTreeSet<_> = w
        .plan
        .items
        .iter()
        .filter(|i| i.migrates())
        .map(|i| key(i.list, &i.arn, &i.username, &i.groups))
        .collect();
    if record.aws_auth_before.is_none() {
        record.aws_auth_before = Some(mapping_keys(&w.doc));
        save_record(path, record)?;
    }
    let fresh = Session::new(s.args, s.out);
    let write = WriteOptions {
        dry_run: false,
        yes: args.yes,
        force: false,
        allow_cross_account_admin: false,
    };
    let code = live::edit(&fresh, &write, None, |doc| {
        let mut plans = vec![];
        for list in [
            crate::core::mapping::ListKind::Roles,
            crate::core::mapping::ListKind::Users,
        ] {
            for e in doc.list(list).entries.iter().filter(|e| e.is_valid()) {
                if migrated.contains(&key(
                    list.data_key().as_str(),
                    &e.arn,
                    &e.username,
                    &e.groups,
                )) {
                    plans.push(EditPlan::RemoveEntry {
                        list,
                        index: e.index,
                    });
                }
            }
        }
        plans.reverse();
        Ok(plans)
    })?;
    if code != EXIT_OK {
        return Err(Failure::error("the migrated aws-auth entries were not removed", None).into());
    }
    Ok(())
}

/// aws-auth's mapping keys as they are (what rollback puts back).
fn mapping_keys(doc: &AuthDocument) -> BTreeMap<String, String> {
    doc.facts
        .data_strings
        .iter()
        .filter(|(k, _)| crate::core::mapping::DataKey::from_exact(k).is_some())
        .cloned()
        .collect()
}

/// `--set-mode API`: only when nothing still needs aws-auth and the caller's own access stays the same.
fn switch_to_api(
    s: &Session<'_>,
    args: &MigrateApplyArgs,
    w: &World,
    now: &Access,
    unmigrated: &[&Item],
) -> Result<()> {
    if !unmigrated.is_empty() {
        let list: Vec<String> = unmigrated
            .iter()
            .map(|i| format!("line {} `{}`", i.line, i.arn))
            .collect();
        return Err(Failure::refused(
            format!(
                "not switching to API: {} mappings are not migrated and would stop working: {}",
                list.len(),
                list.join(", ")
            ),
            Some("`iamidmap migrate plan` says why for each; migrate or delete them first".into()),
        )
        .into());
    }
    let caller = match s.sts_caller()? {
        Ok((arn, _)) => arn.to_string(),
        Err(e) => {
            return Err(Failure::refused(
                format!("not switching to API: who you are is not known (STS: {e}), so iamidmap cannot show that you keep your access"),
                None,
            )
            .into());
        }
    };
    let identity = super::verify::simulated(&caller, None, None).map_err(|e| {
        Failure::refused(
            format!("not switching to API: STS names you `{caller}`, which cannot be read as an IAM principal ({e:#}), so iamidmap cannot show that you keep your access"),
            None,
        )
    })?;
    let switch = migrate::caller_in_api(&identity, &w.doc, now);
    if switch.now != switch.after {
        return Err(Failure::refused(
            format!(
                "not switching to API: your own access (`{}`) would change: now {}, after {}",
                identity.canonical_arn,
                switch.now.describe(),
                switch.after.describe()
            ),
            Some("give your principal an access entry with the same access first".into()),
        )
        .into());
    }
    s.out.note(&format!(
        "after the switch you are {}",
        switch.after.describe()
    ));
    ask(
        args.yes,
        &format!(
            "Switch {} to API? aws-auth will no longer be read, and EKS cannot switch back",
            w.eks.arn
        ),
    )?;
    set_mode(s, w, AuthMode::Api)
}

/// `migrate rollback`: aws-auth first (so that every principal has its aws-auth path again), then the
/// entries the migration created. Refused once the mode is API (aws-auth is no longer read).
fn rollback(args: &MigrateRollbackArgs, s: &Session<'_>) -> Result<i32> {
    let rt = s.rt()?;
    let w = gather(s, true)?;
    let path = record_path(s, &w)?;
    if !path.exists() {
        return Err(Failure::error(
            format!(
                "no migration of {} is recorded (`{}`)",
                w.eks.arn,
                path.display()
            ),
            None,
        )
        .into());
    }
    let record = load_record(&path, &w.eks.arn)?;
    if !w.access.mode.reads_aws_auth() {
        return Err(Failure::refused(
            format!("{} is in mode API: aws-auth is not read and EKS cannot switch back, so the migration cannot be undone", w.eks.arn),
            Some("manage access with access entries (`aws eks create-access-entry`)".into()),
        )
        .into());
    }
    ask(
        args.yes,
        &format!(
            "Undo the migration of {}: put aws-auth back{} and delete {} access entries?",
            w.eks.arn,
            if record.aws_auth_before.is_some() {
                ""
            } else {
                " (unchanged)"
            },
            record.created.len()
        ),
    )?;
    if let Some(before) = &record.aws_auth_before {
        let write = WriteOptions {
            dry_run: false,
            yes: true,
            force: false,
            allow_cross_account_admin: args.allow_cross_account_admin,
        };
        let code = live::change(s, &write, |current| {
            let mut data: BTreeMap<String, String> = current
                .facts
                .data_strings
                .iter()
                .filter(|(k, _)| crate::core::mapping::DataKey::from_exact(k).is_none())
                .cloned()
                .collect();
            data.extend(before.clone());
            Ok(Some(live::Planned {
                data: live::NewData::Replace(data),
                intent: crate::core::guard::Intent::Everything,
            }))
        })?;
        if code != EXIT_OK {
            return Ok(code);
        }
    }
    for p in &record.created {
        rt.block_on(eks::delete_entry(&w.client, &w.eks, p))
            .map_err(|e| eks_error(e, &format!("deleting the access entry of `{p}`")))?;
        s.out.note(&format!("deleted the access entry of `{p}`"));
    }
    rt.block_on(w.conn.delete_cluster_role_binding(BRIDGE_BINDING))
        .map_err(|e| live::failure(e, s.args))?;
    let done = path.with_extension(format!(
        "rolled-back-{}.json",
        jiff::Timestamp::now().as_second()
    ));
    std::fs::rename(&path, &done)?;
    s.out.note(&format!(
        "rolled back; the record is kept as {}",
        done.display()
    ));
    Ok(EXIT_OK)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cluster_account_comes_from_its_arn() {
        let a = account_of("arn:aws-cn:eks:cn-north-1:111122223333:cluster/prod");
        assert_eq!(
            (a.partition.as_str(), a.id.as_str()),
            ("aws-cn", "111122223333")
        );
    }
}
