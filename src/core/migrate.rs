//! `migrate`: the access entry that gives each aws-auth mapping the same access, or the exact reason it
//! cannot; and the proof, per principal, that an access entry resolves to what aws-auth gave. Pure: the
//! document, IAM's answers and the cluster's access entries are read by the adapters.
//!
//! The rules (EKS "Migrating existing aws-auth ConfigMap entries to access entries", and
//! `../shared/spec/peers.md` §1.5 and §4):
//! - access entries name the principal's real ARN, role path included (aws-auth strips it): IAM says it;
//! - node roles (`system:node:{{EC2PrivateDNSName}}`) become `EC2_LINUX` (`EC2_WINDOWS` with
//!   `eks:kube-proxy-windows`), Fargate roles (`system:node:{{SessionName}}`) `FARGATE_LINUX`: no groups,
//!   no username, in the cluster's account;
//! - `system:masters` becomes `AmazonEKSClusterAdminPolicy` at cluster scope; no other `system:` group can
//!   be carried (access entries refuse them); usernames may not start with a reserved prefix;
//! - `mapAccounts`, SSO matchers, service-linked roles, principals IAM does not have, duplicates and pairs
//!   whose winner depends on case have no access entry.
//!
//! Unlike eksctl's migrator, nothing is skipped silently: every entry of the document gets a line.

use crate::core::access::{
    self, Access, CLUSTER_ADMIN_POLICY, Entry as AccessEntry, Policy, Scope,
};
use crate::core::check::iam::{self, Account, Lookup, Query};
use crate::core::document::AuthDocument;
use crate::core::mapping::{Entry, ListKind};
use crate::core::review;
use crate::core::token::Identity;
use std::collections::BTreeMap;

/// The managed policy that stands for `system:masters`.
pub fn admin_policy_arn(partition: &str) -> String {
    format!("arn:{partition}:eks::aws:cluster-access-policy/{CLUSTER_ADMIN_POLICY}")
}

/// The group a `system:masters` principal's new access entry holds until its admin policy is associated
/// (`apply` binds it to `cluster-admin` for that time), so that the principal is an admin at every moment.
pub const BRIDGE_GROUP: &str = "iamidmap:migration-admins";

/// An entry a migration left half-made (created with [`BRIDGE_GROUP`], the admin policy perhaps not yet
/// associated) as it will be once finished.
fn finished(existing: &AccessEntry) -> Option<AccessEntry> {
    if !existing.kubernetes_groups.iter().any(|g| g == BRIDGE_GROUP) {
        return None;
    }
    let mut done = existing.clone();
    done.kubernetes_groups.retain(|g| g != BRIDGE_GROUP);
    if !done.is_admin() {
        let partition = crate::core::arn::parse(&done.principal_arn).map_or("aws", |p| p.partition);
        done.access_policies.push(Policy {
            policy_arn: admin_policy_arn(partition),
            access_scope: Scope::Cluster,
        });
    }
    Some(done)
}

/// Usernames access entries refuse (EKS "Creating access entries").
pub const RESERVED_USERNAME_PREFIXES: [&str; 5] = ["system:", "amazon:", "aws:", "eks:", "iam:"];

/// The template variables an access entry's username may use (the others exist only in aws-auth).
pub const ENTRY_TEMPLATES: [&str; 3] = ["{{SessionName}}", "{{SessionNameRaw}}", "{{AccountID}}"];

/// The access entry to create for a mapping (or the one that exists).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Target {
    pub principal_arn: String,
    #[serde(rename = "type")]
    pub kind: String,
    /// `None`: EKS's default (node types always; never for a STANDARD entry made from aws-auth).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    pub kubernetes_groups: Vec<String>,
    pub access_policies: Vec<Policy>,
}

impl Target {
    pub fn is_admin(&self) -> bool {
        self.access_policies
            .iter()
            .any(|p| p.name() == CLUSTER_ADMIN_POLICY && p.access_scope == Scope::Cluster)
    }

    /// The entry as EKS would hold it once created (default usernames filled in, as EKS does).
    pub fn as_created(&self) -> AccessEntry {
        let username = self
            .username
            .clone()
            .unwrap_or_else(|| match self.kind.as_str() {
                "FARGATE_LINUX" => "system:node:{{SessionName}}".into(),
                k if access::NODE_TYPES.contains(&k) => "system:node:{{EC2PrivateDNSName}}".into(),
                _ => default_username(&self.principal_arn),
            });
        AccessEntry {
            principal_arn: self.principal_arn.clone(),
            kind: self.kind.clone(),
            username,
            kubernetes_groups: self.kubernetes_groups.clone(),
            access_policies: self.access_policies.clone(),
            created_at: None,
        }
    }
}

/// EKS's default username of a STANDARD entry: the user's ARN, or the role's session ARN template.
fn default_username(principal: &str) -> String {
    match crate::core::arn::parse(principal) {
        Ok(p) if p.resource.starts_with("role/") => format!(
            "arn:{}:sts::{}:assumed-role/{}/{{{{SessionName}}}}",
            p.partition,
            p.account,
            p.resource.rsplit('/').next().unwrap_or_default()
        ),
        _ => principal.to_string(),
    }
}

/// Why a mapping gets no access entry. The `code` is stable (JSON, tests); the message says what to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reason {
    /// `mapAccounts`: every principal of an account; access entries name one principal each.
    Account,
    /// An `sso` matcher (authenticator config): a family of roles, not one principal.
    Sso,
    /// The authenticator drops the entry (invalid): it grants nothing today.
    Invalid,
    /// A later entry for the same ARN wins (last wins): this one grants nothing today.
    Duplicate,
    /// Two surviving entries whose ARNs differ only in case: which one the authenticator uses depends
    /// on the order of a map, so "the same access" is not defined.
    Nondeterministic,
    /// Service-linked roles cannot have access entries.
    ServiceLinked,
    /// IAM has no such principal: there is no ARN (and no unique ID) to give an entry.
    Missing,
    /// IAM was not read (or could not answer): the real ARN, path included, is unknown.
    IamUnknown,
    /// Not an IAM role or user ARN (a session ARN, another service).
    NotAPrincipal,
    /// Node and Fargate entries must be in the cluster's account.
    NodeOtherAccount,
    /// A node role with groups a node entry cannot carry.
    NodeGroups,
    /// A `system:` group other than `system:masters` (access entries refuse them).
    SystemGroup,
    /// A username access entries refuse (a reserved prefix).
    ReservedUsername,
    /// A template access entries do not render (`{{EC2PrivateDNSName}}` outside a node entry,
    /// `{{AccessKeyID}}`), or a template in a group.
    Template,
    /// The access entry would resolve to other access than the mapping gives (an empty username, which
    /// EKS fills with its default, for one): the differences are listed.
    WouldDiffer,
    /// The principal has an access entry already, and it gives other access.
    Differs,
    /// The principal has an access entry, made for an earlier principal of that name (deleted and
    /// recreated since): it grants the current one nothing.
    Recreated,
}

/// What the plan does with one aws-auth mapping.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "action", rename_all = "kebab-case")]
pub enum Outcome {
    /// Create this access entry (and associate its policies).
    Create { entry: Target },
    /// The principal has an access entry that gives the same access (EKS made it for a node group or a
    /// Fargate profile, or an earlier run did).
    Present { entry: Target },
    /// No access entry: why, and what to do.
    Skip {
        reason: Reason,
        message: String,
        /// The access entry that exists for the principal, when that is the reason.
        #[serde(skip_serializing_if = "Option::is_none")]
        existing: Option<AccessEntry>,
    },
}

/// One line of the plan: an aws-auth mapping and what becomes of it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Item {
    pub line: usize,
    pub list: &'static str,
    /// The entry's position in its list (several entries can share a line: a JSON list).
    #[serde(skip)]
    pub index: usize,
    /// The ARN as aws-auth has it (the account ID for `mapAccounts`).
    pub arn: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub username: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<String>,
    #[serde(flatten)]
    pub outcome: Outcome,
}

impl Item {
    pub fn target(&self) -> Option<&Target> {
        match &self.outcome {
            Outcome::Create { entry } | Outcome::Present { entry } => Some(entry),
            Outcome::Skip { .. } => None,
        }
    }

    /// The aws-auth entry the item is about (none for `mapAccounts`).
    pub fn source<'d>(&self, doc: &'d AuthDocument) -> Option<&'d Entry> {
        let kind = match self.list {
            "mapRoles" => ListKind::Roles,
            "mapUsers" => ListKind::Users,
            _ => return None,
        };
        doc.list(kind).entries.get(self.index)
    }

    /// Whether the mapping's access is (or will be) carried by an access entry.
    pub fn migrates(&self) -> bool {
        self.target().is_some()
    }
}

/// The plan for a whole document.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Plan {
    pub cluster_arn: String,
    pub mode: access::AuthMode,
    pub items: Vec<Item>,
    /// Problems of the document as a whole (a list the authenticator cannot read).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

impl Plan {
    pub fn creates(&self) -> impl Iterator<Item = (&Item, &Target)> {
        self.items.iter().filter_map(|i| match &i.outcome {
            Outcome::Create { entry } => Some((i, entry)),
            _ => None,
        })
    }

    /// Items that keep access only through aws-auth after the migration.
    pub fn unmigrated(&self) -> impl Iterator<Item = &Item> {
        self.items.iter().filter(|i| {
            matches!(&i.outcome, Outcome::Skip { reason, .. } if !matches!(reason, Reason::Invalid | Reason::Duplicate))
        })
    }

    /// The counts of each action, for the summary line.
    pub fn counts(&self) -> (usize, usize, usize) {
        let mut c = (0, 0, 0);
        for i in &self.items {
            match i.outcome {
                Outcome::Create { .. } => c.0 += 1,
                Outcome::Present { .. } => c.1 += 1,
                Outcome::Skip { .. } => c.2 += 1,
            }
        }
        c
    }
}

/// Everything the plan is made from.
pub struct Inputs<'a> {
    pub doc: &'a AuthDocument,
    pub access: &'a Access,
    /// The cluster's account (node entries must be in it; IAM is read there).
    pub account: &'a Account,
    /// IAM's answers by query (see [`queries`]); `None`: IAM was not read.
    pub iam: Option<&'a BTreeMap<Query, Lookup>>,
}

/// The IAM principals the plan needs (each once).
pub fn queries(doc: &AuthDocument, account: &Account) -> Vec<Query> {
    crate::core::check::queries(doc, account)
}

/// The plan: every entry of the document, in document order, with its outcome.
pub fn plan(inputs: &Inputs<'_>) -> Plan {
    let doc = inputs.doc;
    let effective = doc.effective();
    let survivors: Vec<&Entry> = effective
        .roles
        .iter()
        .chain(&effective.users)
        .copied()
        .collect();
    let surviving = |e: &Entry| survivors.iter().any(|s| std::ptr::eq(*s, e));
    let mut notes = vec![];
    if inputs.access.mode == access::AuthMode::Api {
        notes.push(format!(
            "{} is in mode API: EKS does not read aws-auth, so these mappings grant nothing now; creating their access entries would grant access anew (`migrate apply` refuses)",
            inputs.access.cluster_arn
        ));
    }
    let mut items = vec![];
    for kind in [ListKind::Roles, ListKind::Users] {
        let list = doc.list(kind);
        if !list.errors.is_empty() {
            notes.push(format!(
                "{} cannot be read as the authenticator reads it ({}): `iamidmap validate` shows why",
                kind.data_key().as_str(),
                list.errors.iter().map(|e| e.detail.as_str()).collect::<Vec<_>>().join("; ")
            ));
        }
        for e in &list.entries {
            let outcome = if list.dropped_whole() {
                skip(
                    Reason::Invalid,
                    "the authenticator drops this whole list: the entry grants nothing, so there is nothing to migrate".into(),
                )
            } else if surviving(e) {
                classify(e, &effective, inputs)
            } else {
                dead(e, doc, &survivors)
            };
            items.push(Item {
                line: doc.entry_location(e).line,
                list: kind.data_key().as_str(),
                index: e.index,
                arn: e.shown_arn(),
                username: e.username.clone(),
                groups: e.groups.clone(),
                outcome,
            });
        }
    }
    for (index, (id, span, _)) in doc.accounts.accounts.iter().enumerate() {
        items.push(Item {
            line: doc.inner_location(crate::core::mapping::DataKey::MapAccounts, *span).line,
            list: "mapAccounts",
            index,
            arn: id.clone(),
            username: String::new(),
            groups: vec![],
            outcome: skip(
                Reason::Account,
                format!("every principal of account {id} is mapped; an access entry names one principal: create one per principal that needs access, then remove the account"),
            ),
        });
    }
    items.sort_by_key(|i| (i.line, i.list != "mapRoles", i.index));
    Plan {
        cluster_arn: inputs.access.cluster_arn.clone(),
        mode: inputs.access.mode,
        items,
        notes,
    }
}

/// An entry the authenticator does not use: dropped (invalid), or replaced by a later one (last wins).
fn dead(e: &Entry, doc: &AuthDocument, survivors: &[&Entry]) -> Outcome {
    if let Some(why) = &e.invalid {
        return skip(
            Reason::Invalid,
            format!(
                "the authenticator drops this entry ({why}): it grants nothing, so there is nothing to migrate"
            ),
        );
    }
    let winner = survivors
        .iter()
        .filter(|s| s.list == e.list && s.arn.eq_ignore_ascii_case(&e.arn))
        .map(|s| doc.entry_location(s).line)
        .next_back();
    skip(
        Reason::Duplicate,
        match winner {
            Some(line) => format!(
                "a later entry for the same ARN (line {line}) wins: this one grants nothing and is not migrated"
            ),
            None => {
                "another entry for the same ARN wins: this one grants nothing and is not migrated"
                    .into()
            }
        },
    )
}

fn skip(reason: Reason, message: String) -> Outcome {
    Outcome::Skip {
        reason,
        message,
        existing: None,
    }
}

/// The outcome of one surviving entry.
fn classify(
    e: &Entry,
    effective: &crate::core::mapping::EffectiveMapping<'_>,
    inputs: &Inputs<'_>,
) -> Outcome {
    if e.sso.is_some() {
        return skip(Reason::Sso, "an `sso` matcher maps every role of a permission set: create an access entry for each `AWSReservedSSO_…` role it should cover (`aws iam list-roles --path-prefix /aws-reserved/sso.amazonaws.com/`)".into());
    }
    if effective.nondeterministic(&e.arn) {
        return skip(Reason::Nondeterministic, "another entry's ARN differs from this one only in case and gives other access: which one the authenticator uses is not fixed, so the access to keep is not defined; delete one of them first".into());
    }
    let target = match target_of(e, inputs) {
        Ok(t) => t,
        Err((reason, message)) => return skip(reason, message),
    };
    // The access entry EKS would hold, and what it resolves to, against what aws-auth gives.
    let matched = access::Entry::matched_arn(&target.as_created());
    if let Some(existing) = inputs
        .access
        .entries
        .iter()
        .find(|x| x.matched_arn().eq_ignore_ascii_case(&matched))
    {
        if let Some(message) = stale(existing, e, inputs) {
            return Outcome::Skip {
                reason: Reason::Recreated,
                message,
                existing: Some(existing.clone()),
            };
        }
        let diff = differences(e, existing);
        if diff.is_empty() {
            return Outcome::Present { entry: target };
        }
        // Half-made by an interrupted `apply`: finishing it is part of the plan.
        if finished(existing).is_some_and(|done| differences(e, &done).is_empty()) {
            return Outcome::Create { entry: target };
        }
        return Outcome::Skip {
            reason: Reason::Differs,
            message: format!(
                "`{}` has an access entry already, which EKS uses instead of this mapping, and it gives other access: {}",
                existing.principal_arn,
                diff.join("; ")
            ),
            existing: Some(existing.clone()),
        };
    }
    let differences = differences(e, &target.as_created());
    if !differences.is_empty() {
        return skip(
            Reason::WouldDiffer,
            format!(
                "the access entry would give other access: {}",
                differences.join("; ")
            ),
        );
    }
    Outcome::Create { entry: target }
}

/// An existing access entry older than its principal: it is bound to the unique ID of an earlier
/// principal of that name, and lets the one IAM has now in nowhere (it looks migrated, and is not).
fn stale(existing: &AccessEntry, e: &Entry, inputs: &Inputs<'_>) -> Option<String> {
    let (q, _) = iam::query(e, inputs.account).ok()?;
    let Some(Lookup::Found(p)) = inputs.iam?.get(&q) else {
        return None;
    };
    let (created, entry_at) = (p.created?, existing.created_at?);
    (created > entry_at).then(|| {
        format!(
            "the access entry of `{}` (created {entry_at}) is older than the {} IAM has now (created {created}): it is bound to an earlier principal's ID and lets this one in nowhere; delete it (`aws eks delete-access-entry --principal-arn {}`) and plan again",
            existing.principal_arn,
            q.kind(),
            existing.principal_arn
        )
    })
}

/// The access entry for a surviving, valid, non-SSO entry, or why there is none.
fn target_of(e: &Entry, inputs: &Inputs<'_>) -> Result<Target, (Reason, String)> {
    let principal = real_arn(e, inputs)?;
    if is_node(e) {
        node_target(e, principal)
    } else {
        standard_target(e, principal)
    }
}

/// The principal's ARN as IAM has it (role path included), or why it is not known or not usable.
fn real_arn(e: &Entry, inputs: &Inputs<'_>) -> Result<String, (Reason, String)> {
    let account = inputs.account;
    let (q, _) = match iam::query(e, account) {
        Ok(found) => found,
        Err(iam::Skip::OtherAccount { account: other, .. }) if is_node(e) => {
            return Err((
                Reason::NodeOtherAccount,
                format!(
                    "a node entry must be in the cluster's account ({}); this role is in {other}",
                    account.id
                ),
            ));
        }
        Err(iam::Skip::OtherAccount { account: other, .. }) => {
            return Err((
                Reason::IamUnknown,
                format!(
                    "`{}` is in account {other}, whose IAM is not read here: its real ARN (with its path) is unknown; create its access entry with the ARN that account's IAM shows",
                    e.arn
                ),
            ));
        }
        Err(_) => {
            return Err((
                Reason::NotAPrincipal,
                format!(
                    "`{}` is not an IAM role or user ARN: an access entry needs one",
                    e.arn
                ),
            ));
        }
    };
    match inputs.iam.and_then(|m| m.get(&q)) {
        Some(Lookup::Found(p)) => {
            if matches!(q, Query::Role(_)) && iam::service_linked(p) {
                return Err((
                    Reason::ServiceLinked,
                    format!(
                        "`{}` is a service-linked role: access entries cannot name one; keep it in aws-auth while aws-auth is read (an AWS service uses it)",
                        p.arn
                    ),
                ));
            }
            Ok(p.arn.clone())
        }
        Some(Lookup::Missing) => Err((
            Reason::Missing,
            format!(
                "IAM has no {} `{}`: nothing to give an access entry; delete the mapping (`iamidmap delete --arn {}`) or create the principal first",
                q.kind(),
                q.name(),
                e.arn
            ),
        )),
        Some(Lookup::Failed(why)) => Err((
            Reason::IamUnknown,
            format!(
                "IAM could not say what `{}` is ({why}): its real ARN (with its path) is unknown; run again with credentials that may call iam:GetRole/GetUser",
                e.arn
            ),
        )),
        None => Err((
            Reason::IamUnknown,
            format!(
                "IAM was not read for `{}`: its real ARN (with its path) is unknown; run with credentials of the cluster's account (or without --skip-iam)",
                e.arn
            ),
        )),
    }
}

/// A STANDARD entry: the username kept, `system:masters` as the admin policy, the other groups kept;
/// or why access entries cannot carry the mapping.
fn standard_target(e: &Entry, principal: String) -> Result<Target, (Reason, String)> {
    if let Some(g) = e
        .groups
        .iter()
        .find(|g| g.starts_with("system:") && *g != "system:masters")
    {
        return Err((
            Reason::SystemGroup,
            format!(
                "group `{g}` cannot be given by an access entry (EKS refuses `system:` groups) and no access policy stands for it; keep this mapping in aws-auth, or bind its permissions to another group first"
            ),
        ));
    }
    if let Some(g) = e.groups.iter().find(|g| g.contains("{{")) {
        return Err((
            Reason::Template,
            format!("group `{g}` is a template: access entries do not render templates in groups"),
        ));
    }
    if let Some(p) = RESERVED_USERNAME_PREFIXES
        .iter()
        .find(|p| e.username.starts_with(**p))
    {
        return Err((
            Reason::ReservedUsername,
            format!(
                "username `{}` begins with `{p}`, which access entries refuse; RBAC bindings of this username would have to move to a new one first",
                e.username
            ),
        ));
    }
    if let Some(t) = templates(&e.username).find(|t| !ENTRY_TEMPLATES.contains(t)) {
        return Err((
            Reason::Template,
            format!(
                "username `{}` uses `{t}`, which access entries do not render (they render {})",
                e.username,
                ENTRY_TEMPLATES.join(", ")
            ),
        ));
    }
    let partition = crate::core::arn::parse(&principal)
        .map(|p| p.partition.to_string())
        .unwrap_or_else(|_| "aws".into());
    Ok(Target {
        principal_arn: principal,
        kind: "STANDARD".into(),
        username: Some(e.username.clone()).filter(|u| !u.is_empty()),
        kubernetes_groups: e
            .groups
            .iter()
            .filter(|g| *g != "system:masters")
            .cloned()
            .collect(),
        access_policies: if e.groups.iter().any(|g| g == "system:masters") {
            vec![Policy {
                policy_arn: admin_policy_arn(&partition),
                access_scope: Scope::Cluster,
            }]
        } else {
            vec![]
        },
    })
}

fn templates(s: &str) -> impl Iterator<Item = &str> {
    s.match_indices("{{")
        .filter_map(move |(i, _)| s[i..].find("}}").map(|j| &s[i..i + j + 2]))
}

/// A node's or Fargate pod's entry (by its username, as eksctl and EKS write them).
fn is_node(e: &Entry) -> bool {
    e.list == ListKind::Roles && e.username.starts_with("system:node:")
}

fn node_target(e: &Entry, principal: String) -> Result<Target, (Reason, String)> {
    let kind = match e.username.as_str() {
        "system:node:{{EC2PrivateDNSName}}"
            if e.groups.iter().any(|g| g == "eks:kube-proxy-windows") =>
        {
            "EC2_WINDOWS"
        }
        "system:node:{{EC2PrivateDNSName}}" => "EC2_LINUX",
        "system:node:{{SessionName}}" => "FARGATE_LINUX",
        other => {
            return Err((
                Reason::ReservedUsername,
                format!(
                    "username `{other}` is a node's, but not one EKS gives a node entry (`system:node:{{{{EC2PrivateDNSName}}}}`, or `system:node:{{{{SessionName}}}}` for Fargate)"
                ),
            ));
        }
    };
    const NODE: [&str; 4] = [
        "system:bootstrappers",
        "system:nodes",
        "system:node-proxier",
        "eks:kube-proxy-windows",
    ];
    let extra: Vec<&String> = e
        .groups
        .iter()
        .filter(|g| !NODE.contains(&g.as_str()))
        .collect();
    if !extra.is_empty() {
        return Err((
            Reason::NodeGroups,
            format!(
                "a {kind} entry carries no groups, so {} would be lost; bind their permissions to `system:nodes` first, or keep this mapping in aws-auth",
                extra
                    .iter()
                    .map(|g| format!("`{g}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    Ok(Target {
        principal_arn: principal,
        kind: kind.into(),
        username: None,
        kubernetes_groups: vec![],
        access_policies: vec![],
    })
}

/// What a caller of this principal is, resolved through aws-auth and through `entry`, compared: the
/// username (rendered for a sample session), the groups (`system:masters` stands for the admin policy at
/// cluster scope), node-ness. Empty: the same access.
pub fn differences(e: &Entry, entry: &AccessEntry) -> Vec<String> {
    if entry.is_node() || is_node(e) {
        return node_differences(e, entry).into_iter().collect();
    }
    let Some(identity) = sample_identity(&entry.principal_arn) else {
        return vec![format!(
            "`{}` is not an IAM role or user ARN",
            entry.principal_arn
        )];
    };
    let one = std::slice::from_ref(e);
    let (roles, users) = match e.list {
        ListKind::Roles => (one, &[][..]),
        ListKind::Users => (&[][..], one),
    };
    let effective = crate::core::mapping::EffectiveMapping::new(roles, users, &[]);
    let before = review::review(&identity, &effective, None, &[]);
    let after = review::eks(
        &identity,
        &Access {
            cluster_arn: String::new(),
            mode: access::AuthMode::Api,
            bootstrap_creator_admin: None,
            entries: vec![entry.clone()],
        },
        review::Review::denied(String::new()),
        None,
    );
    match (&before.user, &after.user) {
        (Some(b), Some(a)) => user_differences(b, a, entry),
        (Some(_), None) => vec![format!(
            "the access entry does not let `{}` in ({})",
            identity.arn,
            after.error.unwrap_or_default()
        )],
        (None, Some(_)) => vec![format!(
            "aws-auth does not let `{}` in ({}), the access entry would",
            identity.arn,
            before.error.unwrap_or_default()
        )],
        (None, None) => vec![],
    }
}

/// Node entries stand for node mappings of their kind (EKS grants a node type the nodes' permissions).
fn node_differences(e: &Entry, entry: &AccessEntry) -> Option<String> {
    let fargate_mapping = e.username == "system:node:{{SessionName}}";
    if entry.is_node() != is_node(e) {
        Some(format!(
            "the access entry is of type {}, the mapping is {}a node's",
            entry.kind,
            if is_node(e) { "" } else { "not " }
        ))
    } else if entry.kind == "FARGATE_LINUX" && !fargate_mapping {
        Some("a FARGATE_LINUX entry stands for a Fargate mapping only".into())
    } else if entry.kind != "FARGATE_LINUX" && fargate_mapping {
        Some(format!(
            "a Fargate mapping needs a FARGATE_LINUX entry, not {}",
            entry.kind
        ))
    } else {
        None
    }
}

/// The same caller through aws-auth (`b`) and through the access entry (`a`): username, admin (the
/// policy stands for `system:masters`), groups, and policies aws-auth cannot give.
fn user_differences(b: &review::User, a: &review::User, entry: &AccessEntry) -> Vec<String> {
    let mut out = vec![];
    if a.username != b.username {
        out.push(format!(
            "username `{}` instead of `{}`",
            a.username, b.username
        ));
    }
    let admin_before = b.groups.iter().any(|g| g == "system:masters");
    if admin_before != entry.is_admin() {
        out.push(if admin_before {
            format!("no {CLUSTER_ADMIN_POLICY} at cluster scope for a `system:masters` mapping")
        } else {
            format!("{CLUSTER_ADMIN_POLICY} at cluster scope, which the mapping does not give")
        });
    }
    let set = |groups: &[String]| -> std::collections::BTreeSet<String> {
        groups
            .iter()
            .filter(|g| *g != "system:masters")
            .cloned()
            .collect()
    };
    let (gb, ga) = (set(&b.groups), set(&a.groups));
    if ga != gb {
        let list = |s: &std::collections::BTreeSet<String>| {
            s.iter().cloned().collect::<Vec<_>>().join(", ")
        };
        out.push(format!("groups [{}] instead of [{}]", list(&ga), list(&gb)));
    }
    let others: Vec<String> = entry
        .access_policies
        .iter()
        .filter(|p| !(p.name() == CLUSTER_ADMIN_POLICY && p.access_scope == Scope::Cluster))
        .map(|p| p.label())
        .collect();
    if !others.is_empty() {
        out.push(format!(
            "access policies {} that aws-auth does not give",
            others.join(", ")
        ));
    }
    out
}

/// What a caller is to the cluster: its username and groups (or nothing: refused), and whether it is a
/// cluster admin (`system:masters`, or the admin policy at cluster scope).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Standing {
    pub user: Option<(String, Vec<String>)>,
    pub admin: bool,
}

impl Standing {
    pub fn describe(&self) -> String {
        match &self.user {
            None => "refused (401 Unauthorized)".into(),
            Some((name, groups)) => format!(
                "`{name}`, groups [{}]{}",
                groups.join(", "),
                if self.admin {
                    format!(", cluster admin ({CLUSTER_ADMIN_POLICY} or system:masters)")
                } else {
                    String::new()
                }
            ),
        }
    }
}

/// The caller now and once the cluster is in mode API (access entries only).
pub struct Switch {
    pub now: Standing,
    pub after: Standing,
}

/// What switching to API does to `identity`: resolved as EKS does now (its access entry, else aws-auth)
/// and in mode API (its access entry, or nothing).
pub fn caller_in_api(identity: &Identity, doc: &AuthDocument, now: &Access) -> Switch {
    let entry_admin = |a: &Access| {
        a.entry_for(&identity.canonical_arn)
            .is_some_and(|e| e.is_admin())
    };
    let today = review::eks(
        identity,
        now,
        review::review(identity, &doc.effective(), None, &[]),
        None,
    );
    let api = Access {
        mode: access::AuthMode::Api,
        ..now.clone()
    };
    let after = review::eks(identity, &api, review::Review::denied(String::new()), None);
    let user = |r: &review::Review| {
        r.user
            .as_ref()
            .map(|u| (u.username.clone(), u.groups.clone()))
    };
    Switch {
        now: Standing {
            user: user(&today),
            admin: entry_admin(now)
                || today
                    .user
                    .as_ref()
                    .is_some_and(|u| u.groups.iter().any(|g| g == "system:masters")),
        },
        after: Standing {
            user: user(&after),
            admin: entry_admin(&api),
        },
    }
}

/// A caller of the principal as STS would name it: a session of the role (session `iamidmap-verify`),
/// or the user.
fn sample_identity(principal: &str) -> Option<Identity> {
    let p = crate::core::arn::parse(principal).ok()?;
    let name = p.resource.rsplit('/').next()?.to_string();
    let (arn, canonical, user_id, session) = if p.resource.starts_with("role/") {
        (
            format!(
                "arn:{}:sts::{}:assumed-role/{name}/iamidmap-verify",
                p.partition, p.account
            ),
            format!("arn:{}:iam::{}:role/{name}", p.partition, p.account),
            "AROAIAMIDMAPVERIFY:iamidmap-verify".to_string(),
            "iamidmap-verify".to_string(),
        )
    } else if p.resource.starts_with("user/") {
        (
            principal.to_string(),
            principal.to_string(),
            "AIDAIAMIDMAPVERIFY".to_string(),
            String::new(),
        )
    } else {
        return None;
    };
    Some(Identity {
        arn,
        canonical_arn: canonical,
        account_id: p.account.to_string(),
        user_id,
        session_name: session,
        access_key_id: "ASIAIAMIDMAPVERIFY".into(),
        sts_endpoint: String::new(),
    })
}

/// The plan as `aws eks` commands (create-access-entry, then associate-access-policy), for another tool
/// or a reviewer to run.
pub fn aws_cli(plan: &Plan, cluster: &str, region: &str) -> String {
    let mut out = String::new();
    for (item, t) in plan.creates() {
        out.push_str(&format!("# line {}: {}\n", item.line, item.arn));
        let mut cmd = format!(
            "aws eks create-access-entry --region {} --cluster-name {} --principal-arn {} --type {}",
            quote(region),
            quote(cluster),
            quote(&t.principal_arn),
            t.kind
        );
        if let Some(u) = &t.username {
            cmd.push_str(&format!(" --username {}", quote(u)));
        }
        if !t.kubernetes_groups.is_empty() {
            cmd.push_str(" --kubernetes-groups");
            for g in &t.kubernetes_groups {
                cmd.push_str(&format!(" {}", quote(g)));
            }
        }
        out.push_str(&cmd);
        out.push('\n');
        for p in &t.access_policies {
            let scope = match &p.access_scope {
                Scope::Cluster => "type=cluster".to_string(),
                Scope::Namespaces(ns) => format!("type=namespace,namespaces={}", ns.join(",")),
            };
            out.push_str(&format!(
                "aws eks associate-access-policy --region {} --cluster-name {} --principal-arn {} --policy-arn {} --access-scope {}\n",
                quote(region),
                quote(cluster),
                quote(&t.principal_arn),
                quote(&p.policy_arn),
                quote(&scope)
            ));
        }
    }
    out
}

/// The plan as eksctl's ClusterConfig `accessConfig.accessEntries` (JSON, which is YAML).
pub fn eksctl(plan: &Plan, cluster: &str, region: &str) -> serde_json::Value {
    let entries: Vec<serde_json::Value> = plan
        .creates()
        .map(|(_, t)| {
            let mut e = serde_json::json!({"principalARN": t.principal_arn});
            if t.kind != "STANDARD" {
                e["type"] = t.kind.clone().into();
            }
            if let Some(u) = &t.username {
                e["kubernetesUsername"] = u.clone().into();
            }
            if !t.kubernetes_groups.is_empty() {
                e["kubernetesGroups"] = t.kubernetes_groups.clone().into();
            }
            if !t.access_policies.is_empty() {
                e["accessPolicies"] = t
                    .access_policies
                    .iter()
                    .map(|p| match &p.access_scope {
                        Scope::Cluster => serde_json::json!({"policyARN": p.policy_arn, "accessScope": {"type": "cluster"}}),
                        Scope::Namespaces(ns) => serde_json::json!({"policyARN": p.policy_arn, "accessScope": {"type": "namespace", "namespaces": ns}}),
                    })
                    .collect();
            }
            e
        })
        .collect();
    serde_json::json!({
        "apiVersion": "eksctl.io/v1alpha5",
        "kind": "ClusterConfig",
        "metadata": {"name": cluster, "region": region},
        "accessConfig": {"authenticationMode": "API_AND_CONFIG_MAP", "accessEntries": entries},
    })
}

/// A word for a POSIX shell: as is when it is safe, else in single quotes.
fn quote(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=,@+".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
#[path = "migrate_tests.rs"]
mod tests;
