//! `check`: each mapping joined with what IAM and RBAC say about it. Pure: the adapters gather the
//! [`Facts`] (IAM answers, RBAC objects, write times), this module turns them into a [`Report`] whose
//! findings use the lint registry's IDs (IM039-IM049; IM061-IM064 with EKS access entries).

pub mod iam;
pub mod rbac;

use crate::core::document::{AuthDocument, Location};
use crate::core::lint::{self, Finding};
use crate::core::mapping::{Entry, Resolution};
use iam::{Account, Lookup, Query, Skip};
use rbac::{Grant, Rbac};
use std::collections::BTreeMap;

/// What the adapters found out, for one aws-auth document.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// The cluster's account and partition (IAM is read there; other accounts are reported).
    pub account: Option<Account>,
    /// IAM's answers, when IAM was asked.
    pub iam: Option<BTreeMap<Query, Lookup>>,
    /// Why IAM was not asked, when it was not.
    pub iam_unavailable: Option<String>,
    /// The RBAC objects, when they were read.
    pub rbac: Option<Rbac>,
    /// Why RBAC was not read, when it was not.
    pub rbac_unavailable: Option<String>,
    /// Where aws-auth lives (for "who can edit it").
    pub namespace: String,
    pub name: String,
    /// A time by which an entry (by lowercased ARN) is known to have been written: the ConfigMap's last
    /// write, or the oldest backup that holds the entry.
    pub written_by: BTreeMap<String, jiff::Timestamp>,
    /// The EKS cluster's authentication mode and access entries, when they were read.
    pub access: Option<crate::core::access::Access>,
}

/// What IAM said about one mapping, for the table and JSON.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum IamStatus {
    Exists {
        arn: String,
        id: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        created: Option<jiff::Timestamp>,
    },
    Missing,
    OtherAccount {
        partition: String,
        account: String,
    },
    NotAPrincipal,
    InvalidArn,
    NotChecked {
        reason: String,
    },
}

impl IamStatus {
    pub fn label(&self) -> String {
        match self {
            IamStatus::Exists { .. } => "exists".into(),
            IamStatus::Missing => "MISSING".into(),
            IamStatus::OtherAccount { account, .. } => format!("other account {account}"),
            IamStatus::NotAPrincipal => "-".into(),
            IamStatus::InvalidArn => "invalid ARN".into(),
            IamStatus::NotChecked { .. } => "not checked".into(),
        }
    }
}

/// One role a mapping reaches, for the table and JSON.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Reached {
    pub via: rbac::Via,
    pub binding: String,
    pub role: String,
    /// `None`: cluster-wide.
    pub namespace: Option<String>,
    pub role_exists: bool,
    /// The role's rules, as `verbs on resources`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<String>,
}

/// What RBAC gives one mapping.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RbacReach {
    /// Holds `system:masters`: everything, whatever RBAC says.
    pub superuser: bool,
    pub roles: Vec<Reached>,
    /// Groups of the mapping that no binding names.
    pub unbound_groups: Vec<String>,
    /// Can update or patch aws-auth itself (and so make itself admin).
    pub can_edit_aws_auth: bool,
}

impl RbacReach {
    pub fn label(&self) -> String {
        if self.superuser {
            return "system:masters (everything)".into();
        }
        let live: Vec<&Reached> = self.roles.iter().filter(|r| r.role_exists).collect();
        if live.is_empty() {
            return "NOTHING".into();
        }
        let mut names: Vec<String> = live
            .iter()
            .map(|r| match &r.namespace {
                Some(ns) => format!("{ns}/{}", r.role.split(' ').next_back().unwrap_or("")),
                None => r.role.split(' ').next_back().unwrap_or("").to_string(),
            })
            .collect();
        names.dedup();
        let mut s = names.join(", ");
        if self.can_edit_aws_auth {
            s.push_str(" (can edit aws-auth)");
        }
        s
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MappingReport {
    pub list: &'static str,
    pub arn: String,
    pub username: String,
    pub groups: Vec<String>,
    pub line: usize,
    pub iam: IamStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rbac: Option<RbacReach>,
}

/// A subject that can edit aws-auth.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct EditorReport {
    pub subject: rbac::Subject,
    pub binding: String,
    pub verbs: Vec<&'static str>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Report {
    pub mappings: Vec<MappingReport>,
    /// ARNs of the mappings that hold `system:masters`.
    pub system_masters: Vec<String>,
    /// Everyone RBAC lets update or patch aws-auth (empty when RBAC was not read).
    pub aws_auth_editors: Vec<EditorReport>,
    pub findings: Vec<Finding>,
}

/// The IAM principals to look up for a document (each once).
pub fn queries(doc: &AuthDocument, account: &Account) -> Vec<Query> {
    let mut out: Vec<Query> = entries(doc)
        .filter_map(|e| iam::query(e, account).ok().map(|(q, _)| q))
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The principals of EKS access entries to look up (IM064: deleted or recreated since the entry).
pub fn access_queries(access: &crate::core::access::Access, account: &Account) -> Vec<Query> {
    let mut out: Vec<Query> = access
        .entries
        .iter()
        .filter_map(|e| {
            iam::query_arn(&e.principal_arn, account)
                .ok()
                .map(|(q, _)| q)
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Access entries whose principal is gone from IAM, or was created after the entry (IM064): EKS binds an
/// entry to the unique ID its principal had when the entry was created, so either way it grants nobody.
fn access_entry_findings(
    doc: &AuthDocument,
    access: &crate::core::access::Access,
    facts: &Facts,
    findings: &mut Vec<Finding>,
) {
    let (Some(account), Some(iam)) = (&facts.account, &facts.iam) else {
        return;
    };
    let at = doc.location(doc.facts.object_span.start);
    let cluster = access.cluster_arn.rsplit('/').next().unwrap_or_default();
    for e in &access.entries {
        let Ok((q, _)) = iam::query_arn(&e.principal_arn, account) else {
            continue;
        };
        let recreate = format!(
            "delete the entry (`aws eks delete-access-entry --cluster-name {cluster} --principal-arn {}`) and, if the principal should have access, create it again with the same username, groups and policies",
            e.principal_arn
        );
        match iam.get(&q) {
            Some(Lookup::Missing) => findings.push(finding(
                "IM064",
                at,
                format!(
                    "the EKS access entry of `{}` names a {} that does not exist in IAM: it grants nobody, and a {} created later with that name does not get its access",
                    e.principal_arn,
                    q.kind(),
                    q.kind()
                ),
                recreate,
            )),
            Some(Lookup::Found(p)) => {
                if let (Some(created), Some(entry_at)) = (p.created, e.created_at)
                    && created > entry_at
                {
                    findings.push(finding(
                        "IM064",
                        at,
                        format!(
                            "{} `{}` (ID {}) was created at {created}, after its EKS access entry (created at {entry_at}): the entry is bound to the earlier principal's ID and grants this one nothing",
                            q.kind(),
                            p.arn,
                            p.id
                        ),
                        recreate,
                    ));
                }
            }
            _ => {}
        }
    }
}

fn entries(doc: &AuthDocument) -> impl Iterator<Item = &Entry> {
    doc.valid_entries()
}

fn arn_location(doc: &AuthDocument, e: &Entry) -> Location {
    let span = e.field(e.list.arn_field()).map_or(e.span, |f| f.value_span);
    doc.inner_location(e.list.data_key(), span)
}

fn finding(id: &str, loc: Location, message: String, hint: String) -> Finding {
    Finding::at(
        lint::rule(id).expect("check rule in the registry"),
        loc,
        message,
        hint,
    )
}

fn shown(e: &Entry) -> String {
    if e.arn.is_empty() {
        "the sso entry".into()
    } else {
        format!("`{}`", e.arn)
    }
}

/// Check every mapping of a document against the facts.
/// What the access entries say about aws-auth (IM061-IM063): entries an access entry shadows, aws-auth in
/// `API` mode, and node roles that join through aws-auth alone where the next mode would drop them.
fn eks_findings(
    doc: &AuthDocument,
    access: &crate::core::access::Access,
    survives: &dyn Fn(&Entry) -> bool,
    findings: &mut Vec<Finding>,
) {
    use crate::core::access::{AuthMode, Dead};
    let live: Vec<&Entry> = entries(doc)
        .filter(|e| !e.arn.is_empty() && survives(e))
        .collect();
    if access.mode == AuthMode::Api {
        if let Some(first) = live.first() {
            findings.push(finding(
                "IM062",
                arn_location(doc, first),
                format!(
                    "the authentication mode of `{}` is API: EKS does not read aws-auth, so its {} {} nothing",
                    access.cluster_arn,
                    live.len(),
                    if live.len() == 1 { "entry grants" } else { "entries grant" }
                ),
                "move what is still needed to access entries (`aws eks create-access-entry`), then delete aws-auth after `iamidmap backup`".into(),
            ));
        }
        return;
    }
    for e in &live {
        if let Some(Dead::Shadowed(principal)) = access.aws_auth_dead(&e.arn) {
            findings.push(finding(
                "IM061",
                arn_location(doc, e),
                format!(
                    "`{}` has an EKS access entry (`{principal}`), which EKS uses instead of this entry: the entry grants nothing",
                    e.arn
                ),
                format!(
                    "when the access entry gives what it should, delete this entry (`iamidmap delete --arn {}`); if aws-auth should decide, delete the access entry",
                    e.arn
                ),
            ));
            continue;
        }
        let node = e.username.starts_with("system:node:")
            || e.groups
                .iter()
                .any(|g| crate::core::guard::NODE_GROUPS.contains(&g.as_str()));
        if access.mode == AuthMode::ApiAndConfigMap
            && node
            && e.list == crate::core::mapping::ListKind::Roles
        {
            let kind = if e.username.contains("{{SessionName}}") {
                "FARGATE_LINUX"
            } else if e.groups.iter().any(|g| g == "eks:kube-proxy-windows") {
                "EC2_WINDOWS"
            } else {
                "EC2_LINUX"
            };
            findings.push(finding(
                "IM063",
                arn_location(doc, e),
                format!(
                    "node role `{}` joins through aws-auth alone: switching `{}` to API would take its nodes out",
                    e.arn, access.cluster_arn
                ),
                format!(
                    "create its access entry first: `aws eks create-access-entry --cluster-name CLUSTER --principal-arn {} --type {kind}`",
                    e.arn
                ),
            ));
        }
    }
}

pub fn check(doc: &AuthDocument, facts: &Facts) -> Report {
    let mut findings = vec![];
    let mut mappings = vec![];
    let mut system_masters = vec![];
    // What the authenticator keeps after last-wins: a shadowed entry holds nothing.
    let effective = doc.effective();
    let kept: std::collections::HashSet<*const Entry> = effective
        .roles
        .iter()
        .chain(effective.users.iter())
        .map(|e| *e as *const Entry)
        .collect();
    let survives = |e: &Entry| kept.contains(&(e as *const Entry));
    for e in entries(doc) {
        let loc = arn_location(doc, e);
        let iam = iam_status(e, facts, loc, &mut findings);
        let rbac = facts
            .rbac
            .as_ref()
            .map(|r| rbac_reach(e, r, facts, loc, &mut findings));
        if survives(e) && e.groups.iter().any(|g| g == "system:masters") {
            system_masters.push(e.arn.clone());
        }
        mappings.push(MappingReport {
            list: e.list.data_key().as_str(),
            arn: e.shown_arn(),
            username: e.username.clone(),
            groups: e.groups.clone(),
            line: doc.entry_location(e).line,
            iam,
            rbac,
        });
    }
    if let Some(access) = &facts.access {
        eks_findings(doc, access, &survives, &mut findings);
        access_entry_findings(doc, access, facts, &mut findings);
    }
    let mut aws_auth_editors = vec![];
    if let Some(r) = &facts.rbac {
        let start = doc.location(doc.facts.object_span.start);
        for ed in r.configmap_editors(&facts.namespace, &facts.name) {
            aws_auth_editors.push(EditorReport {
                subject: ed.subject.clone(),
                binding: ed.binding.describe(),
                verbs: ed.verbs.clone(),
            });
            let from_mapping = entries(doc).any(|e| match ed.subject.kind {
                rbac::SubjectKind::User => {
                    rbac::UsernamePattern::new(&e.username).matches(&ed.subject.name)
                }
                rbac::SubjectKind::Group => e.groups.contains(&ed.subject.name),
                rbac::SubjectKind::ServiceAccount => false,
            });
            if !from_mapping && !ed.subject.name.starts_with("system:") {
                findings.push(finding(
                    "IM049",
                    start,
                    format!(
                        "{} can {} the {}/{} ConfigMap through {} ({}), and so can map any IAM principal to system:masters",
                        ed.subject,
                        ed.verbs.join(" and "),
                        facts.namespace,
                        facts.name,
                        ed.binding.describe(),
                        ed.binding.role_kind.as_str().to_string() + " " + &ed.binding.role_name
                    ),
                    format!("limit the role with `resourceNames` that exclude {name}, or move {name} edits to a pipeline that runs `iamidmap`", name = facts.name),
                ));
            }
        }
    }
    findings.sort_by(|a, b| {
        (a.line, a.column, a.rule, &a.message).cmp(&(b.line, b.column, b.rule, &b.message))
    });
    findings.dedup();
    Report {
        mappings,
        system_masters,
        aws_auth_editors,
        findings,
    }
}

fn iam_status(e: &Entry, facts: &Facts, loc: Location, out: &mut Vec<Finding>) -> IamStatus {
    let Some(account) = &facts.account else {
        return IamStatus::NotChecked {
            reason: facts
                .iam_unavailable
                .clone()
                .unwrap_or_else(|| "the cluster's account is not known".into()),
        };
    };
    let (q, written_path) = match iam::query(e, account) {
        Ok(q) => q,
        Err(Skip::OtherAccount {
            partition,
            account: other,
        }) => {
            let what = if partition != account.partition {
                format!("partition `{partition}`")
            } else {
                format!("account {other}")
            };
            out.push(finding(
                "IM041",
                loc,
                format!(
                    "{} is in {what}, not the cluster's account {} (`{}`): whoever controls that account controls this access, and its IAM cannot be checked from here",
                    shown(e), account.id, account.partition
                ),
                "if the cross-account access is intended, check the principal with credentials of that account; otherwise fix the account ID".into(),
            ));
            return IamStatus::OtherAccount {
                partition,
                account: other,
            };
        }
        Err(Skip::NotAPrincipal) => return IamStatus::NotAPrincipal,
        Err(Skip::InvalidArn) => return IamStatus::InvalidArn,
    };
    let Some(answers) = &facts.iam else {
        return IamStatus::NotChecked {
            reason: facts
                .iam_unavailable
                .clone()
                .unwrap_or_else(|| "IAM was not asked".into()),
        };
    };
    match answers.get(&q) {
        None => IamStatus::NotChecked {
            reason: "IAM was not asked about it".into(),
        },
        Some(Lookup::Failed(reason)) => {
            out.push(finding(
                "IM045",
                loc,
                format!(
                    "could not look up {} `{}` in IAM: {reason}",
                    q.kind(),
                    q.name()
                ),
                format!(
                    "the check needs iam:Get{} on it; run again with credentials that have it",
                    if matches!(q, Query::Role(_)) {
                        "Role"
                    } else {
                        "User"
                    }
                ),
            ));
            IamStatus::NotChecked {
                reason: reason.clone(),
            }
        }
        Some(Lookup::Missing) => {
            out.push(finding(
                "IM039",
                loc,
                format!(
                    "{} `{}` does not exist in account {}: the entry is dead, and anyone who creates a {} with that name later gets its access ({}{})",
                    q.kind(),
                    q.name(),
                    account.id,
                    q.kind(),
                    if e.username.is_empty() { "no username".to_string() } else { format!("username `{}`", e.username) },
                    if e.groups.is_empty() { String::new() } else { format!(", groups {}", e.groups.join(", ")) },
                ),
                format!("delete it: `iamidmap delete --arn {}`", e.arn),
            ));
            IamStatus::Missing
        }
        Some(Lookup::Found(p)) => {
            principal_findings(e, &q, written_path.as_deref(), p, facts, loc, out);
            IamStatus::Exists {
                arn: p.arn.clone(),
                id: p.id.clone(),
                created: p.created,
            }
        }
    }
}

fn principal_findings(
    e: &Entry,
    q: &Query,
    written_path: Option<&str>,
    p: &iam::Principal,
    facts: &Facts,
    loc: Location,
    out: &mut Vec<Finding>,
) {
    if let Some(problem) = iam::path_mismatch(q, written_path, p) {
        let fixed = match q {
            Query::Role(name) => format!("{}role/{name}", prefix(&e.arn)),
            Query::User(_) => p.arn.clone(),
        };
        out.push(finding(
            "IM040",
            loc,
            problem,
            format!("write the ARN as `{fixed}`"),
        ));
    }
    if matches!(q, Query::Role(_)) && iam::service_linked(p) {
        out.push(finding(
            "IM042",
            loc,
            format!(
                "`{}` is a service-linked role (path `{}`): only an AWS service can assume it, so this entry gives that service cluster access",
                p.arn, p.path
            ),
            "keep it only if the service needs it (EMR on EKS maps AWSServiceRoleForAmazonEMRContainers); otherwise delete the entry".into(),
        ));
    }
    if matches!(q, Query::Role(_)) && iam::session_name_in_username(&e.username) {
        let who = p
            .trust_policy
            .as_deref()
            .map(iam::self_naming_principals)
            .unwrap_or_default();
        if !who.is_empty() {
            out.push(finding(
                "IM043",
                loc,
                format!(
                    "the username `{}` takes the session name, and the role's trust policy lets {} assume it with a session name of their choosing: the caller picks its Kubernetes username",
                    e.username,
                    who.iter().map(|w| format!("`{w}`")).collect::<Vec<_>>().join(", ")
                ),
                "add a condition on `sts:RoleSessionName` (for example `${aws:username}`) to the trust policy, or map a fixed username".into(),
            ));
        }
    }
    if let (Some(created), Some(written)) = (p.created, facts.written_by.get(&e.arn.to_lowercase()))
        && created > *written
    {
        out.push(finding(
            "IM044",
            loc,
            format!(
                "{} `{}` was created at {created}, after the entry was written (by {written}): the mapping was written for an earlier principal of that name, or before this one existed",
                q.kind(),
                q.name()
            ),
            format!(
                "make sure `{}` (ID {}) should have this access; if not, delete the entry",
                p.arn, p.id
            ),
        ));
    }
}

fn prefix(arn: &str) -> String {
    // `arn:aws:iam::111122223333:` of an ARN.
    arn.splitn(6, ':').take(5).collect::<Vec<_>>().join(":") + ":"
}

fn rbac_reach(
    e: &Entry,
    r: &Rbac,
    facts: &Facts,
    loc: Location,
    out: &mut Vec<Finding>,
) -> RbacReach {
    let RbacReach {
        superuser,
        roles,
        unbound_groups,
        can_edit_aws_auth,
    } = reach(&e.username, &e.groups, r, facts);
    let grants = r.reach(&e.username, &e.groups, false);
    for g in &unbound_groups {
        out.push(finding(
            "IM046",
            loc,
            format!("group `{g}` of {} is not named by any RoleBinding or ClusterRoleBinding: it grants nothing", shown(e)),
            format!("bind it (`kubectl create clusterrolebinding {g} --clusterrole=view --group={g}`) or check its spelling against `kubectl get rolebindings,clusterrolebindings -A -o wide`"),
        ));
    }
    let authorized_elsewhere = e
        .groups
        .iter()
        .any(|g| rbac::AUTHORIZER_GROUPS.contains(&g.as_str()));
    if !authorized_elsewhere && !roles.iter().any(|x| x.role_exists) {
        out.push(finding(
            "IM047",
            loc,
            format!(
                "{} reaches no Role or ClusterRole through its username{}: a caller it maps is authenticated but Forbidden everywhere beyond what all authenticated users get",
                shown(e),
                if e.groups.is_empty() { "" } else { " or groups" }
            ),
            "bind the username or a group to a role, or delete the entry if it is no longer needed".into(),
        ));
    }
    // Whoever already holds a cluster-wide `*` on `*` is an admin anyway; the warning is for the others.
    let cluster_admin = grants.iter().any(|g| {
        g.binding.scope().is_none()
            && g.role.is_some_and(|r| {
                r.rules.iter().any(|p| {
                    p.verbs.iter().any(|v| v == "*")
                        && p.api_groups.iter().any(|v| v == "*")
                        && p.resources.iter().any(|v| v == "*")
                        && p.resource_names.is_empty()
                })
            })
    });
    if can_edit_aws_auth && !superuser && !cluster_admin {
        out.push(finding(
            "IM048",
            loc,
            format!(
                "{} can update or patch {}/{} through {}: it can map itself to system:masters",
                shown(e),
                facts.namespace,
                facts.name,
                grants
                    .iter()
                    .filter(|g| g.allows("update", "", "configmaps", &facts.namespace, &facts.name) || g.allows("patch", "", "configmaps", &facts.namespace, &facts.name))
                    .map(|g| format!("{} ({})", g.binding.describe(), g.role_label()))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            format!("treat it as a cluster admin, or narrow the role with `resourceNames` that leave out {}", facts.name),
        ));
    }
    RbacReach {
        superuser,
        roles,
        unbound_groups,
        can_edit_aws_auth,
    }
}

/// What RBAC gives a username and groups (of an aws-auth entry, or of an EKS access entry).
pub fn reach(username: &str, groups: &[String], r: &Rbac, facts: &Facts) -> RbacReach {
    let grants = r.reach(username, groups, false);
    RbacReach {
        superuser: groups.iter().any(|g| g == "system:masters"),
        roles: grants.iter().map(reached).collect(),
        unbound_groups: groups
            .iter()
            .filter(|g| !rbac::AUTHORIZER_GROUPS.contains(&g.as_str()) && !r.group_bound(g))
            .cloned()
            .collect(),
        can_edit_aws_auth: grants.iter().any(|g| {
            g.allows("update", "", "configmaps", &facts.namespace, &facts.name)
                || g.allows("patch", "", "configmaps", &facts.namespace, &facts.name)
        }),
    }
}

fn reached(g: &Grant<'_>) -> Reached {
    Reached {
        via: g.via.clone(),
        binding: g.binding.describe(),
        role: g.role_label(),
        namespace: g.binding.scope().map(str::to_string),
        role_exists: g.role.is_some(),
        rules: g
            .role
            .map(|r| r.rules.iter().map(|p| p.describe()).collect())
            .unwrap_or_default(),
    }
}

/// `check --arn`: one principal end to end.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Explanation {
    pub arn: String,
    /// The ARN the authenticator matches (paths stripped, sessions to roles).
    pub canonical: String,
    /// The mapping that matches, if any (with IAM status and RBAC reach).
    pub mapping: Option<MappingReport>,
    /// Matched through `mapAccounts` (username = the ARN, no groups).
    pub account_wide: bool,
    /// Roles reached through `system:authenticated`, which every caller has.
    pub everyone: Vec<Reached>,
    /// Entries that look like the ARN but do not match it (a path, a session, another case).
    pub near_misses: Vec<String>,
    pub findings: Vec<Finding>,
    /// Who decides for the principal on an EKS cluster whose access entries were read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub eks: Option<EksDecision>,
}

/// Which source EKS uses for a principal: its access entry (in the modes that read them), else aws-auth
/// (unless the mode is `API`: then nobody).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EksDecision {
    pub mode: crate::core::access::AuthMode,
    /// `access-entry`, `aws-auth` or `nobody`.
    pub decided_by: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_entry: Option<crate::core::access::Entry>,
}

impl Explanation {
    /// Whether the principal gets in at all.
    pub fn authenticates(&self) -> bool {
        let aws_auth = self.mapping.is_some() || self.account_wide;
        match &self.eks {
            Some(d) => d.decided_by == "access-entry" || (d.decided_by == "aws-auth" && aws_auth),
            None => aws_auth,
        }
    }
}

/// Explain one principal: which entry matches its canonical ARN and what that gives it.
pub fn explain(doc: &AuthDocument, facts: &Facts, arn_text: &str) -> Result<Explanation, String> {
    let (_, canonical) =
        crate::core::arn::canonicalize(arn_text.trim()).map_err(|e| e.to_string())?;
    let effective = doc.effective();
    let report = check(doc, facts);
    let (mapping, account_wide, findings) = match effective.resolve(&canonical) {
        Some(Resolution::Entry(e)) => {
            let line = doc.entry_location(e).line;
            let m = report
                .mappings
                .iter()
                .find(|m| m.line == line && m.list == e.list.data_key().as_str())
                .cloned();
            let loc = arn_location(doc, e);
            let f = report
                .findings
                .iter()
                .filter(|f| f.line == loc.line)
                .cloned()
                .collect();
            (m, false, f)
        }
        Some(Resolution::Account(_)) => (None, true, vec![]),
        None => (None, false, vec![]),
    };
    let everyone = facts
        .rbac
        .as_ref()
        .map(|r| {
            r.reach("", &[], true)
                .iter()
                .filter(|g| matches!(&g.via, rbac::Via::Group(n) if n == rbac::AUTHENTICATED))
                .map(reached)
                .collect()
        })
        .unwrap_or_default();
    let name = canonical.rsplit('/').next().unwrap_or("").to_lowercase();
    let near_misses = entries(doc)
        .filter(|e| {
            !e.arn.is_empty()
                && !e.arn.eq_ignore_ascii_case(&canonical)
                && e.arn.rsplit('/').next().unwrap_or("").to_lowercase() == name
                && e.arn.to_lowercase().contains(&account_of(&canonical))
        })
        .map(|e| format!("line {}: `{}`", doc.entry_location(e).line, e.arn))
        .collect();
    let eks = facts.access.as_ref().map(|a| {
        let entry = a.entry_for(&canonical).cloned();
        EksDecision {
            mode: a.mode,
            decided_by: match (&entry, a.mode.reads_aws_auth()) {
                (Some(_), _) => "access-entry",
                (None, true) => "aws-auth",
                (None, false) => "nobody",
            },
            access_entry: entry,
        }
    });
    Ok(Explanation {
        arn: arn_text.trim().to_string(),
        canonical,
        mapping,
        account_wide,
        everyone,
        near_misses,
        findings,
        eks,
    })
}

fn account_of(arn: &str) -> String {
    crate::core::arn::parse(arn)
        .map(|p| format!(":{}:", p.account))
        .unwrap_or_default()
}

#[cfg(test)]
#[path = "check_tests.rs"]
mod tests;
