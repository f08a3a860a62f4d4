//! The lockout guard: compares what the authenticator would make of the document before and after a
//! change, principal by principal, and names every way the change would lock someone out — the caller, the
//! last working admin, a node or Fargate role, anyone the command did not mean to change — or make the
//! authenticator drop or randomise anything. It also lists who gains access, for the confirmation. Pure:
//! the caller's identity and the command's intent are inputs.

use crate::core::arn::{self, PrincipalType};
use crate::core::document::AuthDocument;
use crate::core::gostr;
use crate::core::lint;
use crate::core::mapping::{EffectiveMapping, ListKind, Resolution};
use std::collections::{BTreeMap, BTreeSet};

/// The API server's limit for a ConfigMap's data (`data` + `binaryData` values; keys do not count).
pub const SIZE_LIMIT: usize = 1024 * 1024;

/// The groups that make an entry a node's (EC2, Fargate, Windows, kops), and that it must keep.
pub const NODE_GROUPS: [&str; 5] = [
    "system:bootstrappers",
    "system:nodes",
    "system:node-proxier",
    "eks:kube-proxy-windows",
    "aws:instances",
];

/// Who is making the change, as far as the guard knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallerCheck {
    /// The caller's ARN, canonical (as the authenticator canonicalizes the token's identity).
    Known(String),
    /// Nobody could tell: a change that takes access away from anyone is refused.
    Unknown,
    /// The cluster authenticates the caller without aws-auth (a client certificate, OIDC): no change of
    /// the mappings can lock them out. The username the cluster reported.
    External(String),
    /// The user said no caller check is wanted (`--no-caller-check`).
    Waived,
}

/// What the command means to change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Intent {
    /// These principals (canonical ARNs); anybody else must keep exactly what they had.
    Principals(Vec<String>),
    /// Nothing about anyone's access (fixes, repairs): every principal keeps what it had.
    Nothing,
    /// Whatever the new document says (a restore): losses are judged by the other rules.
    Everything,
}

/// One change to judge.
#[derive(Debug, Clone)]
pub struct Change<'a> {
    pub before: &'a AuthDocument,
    pub after: &'a AuthDocument,
    pub caller: &'a CallerCheck,
    pub intent: Intent,
    /// Bytes of the object's `binaryData` (the API server counts them against the same limit).
    pub binary_bytes: usize,
    /// The EKS cluster's authentication mode and access entries, when they were read: an access entry
    /// wins over aws-auth for its principal, and the `API` mode ignores aws-auth.
    pub access: Option<&'a crate::core::access::Access>,
}

/// One reason to refuse a change.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Violation {
    /// A stable name for the rule (`drops-entries`, `caller-unknown`, `caller-loses-access`,
    /// `random-answer`, `last-system-masters`, `node-role-loses-access`, `collateral-change`,
    /// `size-limit`).
    pub rule: &'static str,
    /// The principal or part concerned.
    pub subject: String,
    /// What the authenticator (or the API server) would do.
    pub consequence: String,
    /// The principals concerned (canonical ARNs; `account <id>` for a whole account), to tell whether
    /// another source of access (an EKS access entry) makes the loss harmless.
    #[serde(skip)]
    pub principals: Vec<String>,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "[{}] {}: {}", self.rule, self.subject, self.consequence)
    }
}

/// Someone who gains access or groups with the change.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Gain {
    pub principal: String,
    /// Groups before (`None`: not mapped before).
    pub before: Option<Vec<String>>,
    pub after: Vec<String>,
    pub username: String,
    /// A `system:masters` grant to a principal outside the cluster's own accounts.
    pub cross_account_admin: bool,
    /// A whole account (`mapAccounts`): `principal` is `account <id>`.
    pub whole_account: bool,
}

impl std::fmt::Display for Gain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.whole_account {
            return write!(
                f,
                "every role and user of {} gains access (username: its ARN, no groups)",
                self.principal
            );
        }
        match &self.before {
            None => write!(
                f,
                "`{}` gains access as `{}` with groups [{}]",
                self.principal,
                self.username,
                self.after.join(", ")
            ),
            Some(before) => {
                let new: Vec<&String> = self.after.iter().filter(|g| !before.contains(g)).collect();
                write!(
                    f,
                    "`{}` gains the group{} {}",
                    self.principal,
                    if new.len() == 1 { "" } else { "s" },
                    new.iter()
                        .map(|g| format!("`{g}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }
        }?;
        if self.cross_account_admin {
            write!(f, " (cluster admin for another AWS account)")?;
        }
        Ok(())
    }
}

/// The guard's answer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Verdict {
    pub violations: Vec<Violation>,
    pub gains: Vec<Gain>,
    /// What the access entries made of the change: losses that do not matter (and why), gains that
    /// grant nothing.
    pub notes: Vec<String>,
    /// The cluster does not read aws-auth at all (`API` mode): the write changes nobody's access.
    pub pointless: bool,
}

impl Verdict {
    pub fn cross_account_admins(&self) -> impl Iterator<Item = &Gain> {
        self.gains.iter().filter(|g| g.cross_account_admin)
    }
}

/// What a principal resolves to in one document.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Access {
    username: String,
    groups: Vec<String>,
}

/// What a principal resolves to. A group folded from several lines (IM015: `- a` with `- b` indented one
/// step too far reads as the one group `a - b`) grants nothing anybody binds, so it does not count as
/// held: the fix that splits it takes nothing away.
fn access(doc: &AuthDocument, r: &Resolution<'_>) -> Access {
    match r {
        Resolution::Entry(e) => Access {
            username: e.username.clone(),
            groups: {
                let content = doc
                    .slot(e.list.data_key())
                    .map_or("", |s| s.content.as_str());
                e.groups
                    .iter()
                    .zip(
                        e.group_spans
                            .iter()
                            .map(Some)
                            .chain(std::iter::repeat(None)),
                    )
                    .filter(|(_, span)| {
                        span.is_none_or(|s| {
                            !content.get(s.start..s.end).unwrap_or("").contains('\n')
                        })
                    })
                    .map(|(g, _)| g.clone())
                    .collect()
            },
        },
        Resolution::Account(arn) => Access {
            username: arn.clone(),
            groups: vec![],
        },
    }
}

/// Whether a caller can ever present this ARN: the authenticator matches canonical ARNs, so a role ARN
/// with a path (or an assumed-role ARN in aws-auth, or anything that does not canonicalize to itself)
/// is dead. `canonicalized`: the backend canonicalizes entries (MountedFile).
fn callable(arn_text: &str, canonicalized: bool) -> Option<String> {
    let (kind, canonical) = arn::canonicalize(arn_text).ok()?;
    if !canonicalized && canonical != arn_text {
        return None;
    }
    if kind == PrincipalType::Role {
        let parts = arn::parse(&canonical).ok()?;
        if parts.resource.matches('/').count() > 1 {
            return None;
        }
    }
    Some(canonical)
}

/// Every principal a document maps, by the ARN a caller presents (case as written first).
fn principals(doc: &AuthDocument, into: &mut BTreeMap<String, String>) {
    let canonicalized = doc.facts.carrier.kind.structured();
    for e in doc.valid_entries() {
        if e.arn.is_empty() {
            continue;
        }
        if let Some(c) = callable(e.matched_arn(), canonicalized) {
            into.entry(gostr::fold_key(&c)).or_insert(c);
        }
    }
}

/// The data the authenticator (or kubectl) ignores or loses, one item per thing lost, so that a change
/// which fixes one list and breaks another is still seen.
fn dropped(doc: &AuthDocument) -> BTreeMap<String, usize> {
    let mut out: BTreeMap<String, usize> = BTreeMap::new();
    let mut add = |k: String| *out.entry(k).or_default() += 1;
    for (list, parse) in [("mapRoles", &doc.roles), ("mapUsers", &doc.users)] {
        if parse.dropped_whole() {
            add(format!(
                "`{list}` cannot be read: every entry of it is dropped"
            ));
        }
        for e in parse.entries.iter().filter(|e| !e.is_valid()) {
            add(format!(
                "an entry of `{list}` ({}) is dropped: {}",
                if e.arn.is_empty() {
                    "without an ARN".to_string()
                } else {
                    format!("`{}`", e.arn)
                },
                e.invalid.as_deref().unwrap_or_default()
            ));
        }
    }
    for e in &doc.accounts.errors {
        add(format!(
            "`mapAccounts` cannot be read in full: {}",
            e.detail
        ));
    }
    for s in doc.slots.iter().filter(|s| s.wrong_type.is_some()) {
        add(format!(
            "`{}` is not a string, so the API server refuses the object",
            s.key.as_str()
        ));
    }
    for (k, _) in &doc.facts.wrong_case_keys {
        add(format!(
            "data key `{k}` is ignored (keys are case-sensitive)"
        ));
    }
    for (k, _) in &doc.facts.duplicate_keys {
        add(format!(
            "key `{k}` is written twice; kubectl refuses the file"
        ));
    }
    if let Some((why, _)) = &doc.facts.carrier.inner_error {
        add(why.clone());
    }
    // A field of the wrong type (IM014) is emptied, folded groups (IM015) survive as a group nobody has.
    for f in lint::lint_only(doc, &["IM014", "IM015"]) {
        add(strip_numbers(&f.message));
    }
    out
}

/// A message without line numbers and positions, so that moving text does not make it new.
fn strip_numbers(message: &str) -> String {
    crate::core::lint::suppress::strip_numbers(message)
}

fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        one.to_string()
    } else {
        many.to_string()
    }
}

fn quoted(groups: &[&String]) -> String {
    groups
        .iter()
        .map(|g| format!("`{g}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// How a principal's access changes: `None` when it keeps everything it had.
fn loss(before: Option<&Access>, after: Option<&Access>) -> Option<String> {
    let before = before?;
    let Some(after) = after else {
        return Some(
            "would no longer be mapped: the authenticator answers \"identity is not mapped\""
                .into(),
        );
    };
    let lost: Vec<&String> = before
        .groups
        .iter()
        .filter(|g| !after.groups.contains(g))
        .collect();
    let mut parts = vec![];
    if !lost.is_empty() {
        parts.push(format!(
            "would lose the {} {}",
            plural(lost.len(), "group", "groups"),
            quoted(&lost)
        ));
    }
    if before.username != after.username {
        parts.push(format!(
            "would become `{}` instead of `{}`, losing what RBAC grants that username",
            after.username, before.username
        ));
    }
    (!parts.is_empty()).then(|| parts.join("; "))
}

fn is_node(a: &Access) -> bool {
    a.username.starts_with("system:node:")
        || a.groups.iter().any(|g| NODE_GROUPS.contains(&g.as_str()))
}

/// The accounts the cluster's own principals live in: those of its node roles, else of every mapping.
fn home_accounts(
    doc: &AuthDocument,
    m: &EffectiveMapping<'_>,
    principals: &BTreeMap<String, String>,
) -> BTreeSet<String> {
    let of = |arn_text: &str| arn::parse(arn_text).map(|p| p.account.to_string()).ok();
    let nodes: BTreeSet<String> = principals
        .values()
        .filter(|p| m.resolve(p).is_some_and(|r| is_node(&access(doc, &r))))
        .filter_map(|p| of(p))
        .collect();
    if !nodes.is_empty() {
        return nodes;
    }
    principals.values().filter_map(|p| of(p)).collect()
}

/// What a list of edits means to change: the principals of every entry it adds, removes or updates
/// (positions refer to `doc`, the version the edits were planned on). Repairs of whole values and keys
/// mean to change nobody's access.
pub fn intent_of(doc: &AuthDocument, plans: &[crate::core::document::EditPlan]) -> Intent {
    use crate::core::document::EditPlan;
    let mut principals = vec![];
    for plan in plans {
        match plan {
            EditPlan::AddEntry(e) => {
                principals.push(arn::caller_arn(&e.arn).unwrap_or_else(|_| e.arn.clone()))
            }
            EditPlan::RemoveEntry { list, index } | EditPlan::UpdateEntry { list, index, .. } => {
                if let Some(e) = doc.list(*list).entries.get(*index) {
                    principals.push(e.matched_arn().to_string());
                }
            }
            EditPlan::AddAccount(a) => principals.push(format!("account {a}")),
            EditPlan::RemoveAccount { index } => {
                if let Some((a, _, _)) = doc.accounts.accounts.get(*index) {
                    principals.push(format!("account {a}"));
                }
            }
            EditPlan::SetValue { .. } | EditPlan::RenameKey { .. } => {}
        }
    }
    Intent::Principals(principals)
}

/// One side of a change: the document and what the authenticator builds from it.
struct Side<'d, 'm> {
    doc: &'d AuthDocument,
    map: &'m EffectiveMapping<'d>,
}

/// Judge a change./// Judge a change.
pub fn judge(change: &Change<'_>) -> Verdict {
    let (before, after) = (change.before, change.after);
    let (old, new) = (before.effective(), after.effective());
    let mut verdict = Verdict::default();
    let out = &mut verdict.violations;

    // Everyone either document maps, and the caller.
    let mut all: BTreeMap<String, String> = BTreeMap::new();
    principals(before, &mut all);
    let before_principals = all.clone();
    principals(after, &mut all);
    if let CallerCheck::Known(c) = change.caller {
        all.entry(gostr::fold_key(c)).or_insert(c.clone());
    }
    let (old_side, new_side) = (
        Side {
            doc: before,
            map: &old,
        },
        Side {
            doc: after,
            map: &new,
        },
    );
    let resolve = |side: &Side<'_, '_>, p: &str| side.map.resolve(p).map(|r| access(side.doc, &r));

    // 1. Anything the authenticator would drop that it did not drop before, item by item.
    let (old_drops, new_drops) = (dropped(before), dropped(after));
    for (what, n) in &new_drops {
        if *n > old_drops.get(what).copied().unwrap_or(0) {
            out.push(Violation {
                rule: "drops-entries",
                subject: "the authenticator".into(),
                consequence: what.clone(),
                principals: vec![],
            });
        }
    }

    // 2. The caller keeps its mapping, username and groups, and a certain answer.
    let mut reductions = vec![];
    for p in all.values() {
        if let Some(l) = loss(
            resolve(&old_side, p).as_ref(),
            resolve(&new_side, p).as_ref(),
        ) {
            reductions.push((p.clone(), l));
        }
    }
    let removed_accounts: Vec<&String> = old
        .accounts
        .iter()
        .filter(|a| !a.is_empty() && !new.accounts.contains(a))
        .collect();
    match change.caller {
        CallerCheck::Known(c) => {
            if let Some(l) = loss(
                resolve(&old_side, c).as_ref(),
                resolve(&new_side, c).as_ref(),
            ) {
                out.push(Violation {
                    rule: "caller-loses-access",
                    subject: format!("`{c}` (you)"),
                    consequence: format!("{l}; you would be locked out"),
                    principals: vec![c.clone()],
                });
            }
        }
        CallerCheck::Unknown if !reductions.is_empty() || !removed_accounts.is_empty() => {
            let mut who: Vec<String> = reductions.iter().map(|(p, _)| format!("`{p}`")).collect();
            let mut principals: Vec<String> = reductions.iter().map(|(p, _)| p.clone()).collect();
            principals.extend(removed_accounts.iter().map(|a| format!("account {a}")));
            who.extend(removed_accounts.iter().map(|a| format!("account `{a}`")));
            out.push(Violation {
                rule: "caller-unknown",
                subject: "you".into(),
                consequence: format!(
                    "iamidmap could not tell who you are, and this change takes access away from {}; if one of them is you, you would be locked out. Name yourself with --as-arn ARN, or pass --no-caller-check",
                    who.join(", ")
                ),
                principals,
            });
        }
        _ => {}
    }

    // A lookup that becomes random (case variants in mapUsers, folded spellings): whoever it is, the
    // authenticator would answer differently from one request to the next.
    let caller_key = match change.caller {
        CallerCheck::Known(c) => Some(gostr::fold_key(c)),
        _ => None,
    };
    let mut seen_random = BTreeSet::new();
    for p in all.values() {
        if new.nondeterministic(p) && !old.nondeterministic(p) {
            let key = new
                .candidates(p)
                .iter()
                .map(|e| e.key())
                .collect::<Vec<_>>()
                .join("\n");
            if !seen_random.insert(key) {
                continue;
            }
            let you = caller_key.as_ref() == Some(&gostr::fold_key(p));
            out.push(Violation {
                rule: "random-answer",
                subject: format!("`{p}`{}", if you { " (you)" } else { "" }),
                consequence: random_consequence(&new, p),
                principals: vec![p.clone()],
            });
        }
    }

    // 3. At least one admin the authenticator can match, with a certain answer, in mapRoles or mapUsers.
    let admins = |m: &Side<'_, '_>| -> Vec<String> {
        all.values()
            .filter(|p| {
                !m.map.nondeterministic(p)
                    && resolve(m, p).is_some_and(|a| a.groups.iter().any(|g| g == "system:masters"))
            })
            .cloned()
            .collect()
    };
    let (old_admins, new_admins) = (admins(&old_side), admins(&new_side));
    if !old_admins.is_empty() && new_admins.is_empty() {
        out.push(Violation {
            rule: "last-system-masters",
            subject: "system:masters".into(),
            consequence: format!(
                "no mapping the authenticator can match would grant `system:masters` any more (today: {}); nobody could repair RBAC or this ConfigMap through it",
                old_admins.iter().map(|a| format!("`{a}`")).collect::<Vec<_>>().join(", ")
            ),
            principals: vec![],
        });
    }

    // 4. Node and Fargate roles keep their username, every node group, and a certain answer.
    for p in before_principals.values() {
        let Some(had) = resolve(&old_side, p).filter(is_node) else {
            continue;
        };
        let has = resolve(&new_side, p);
        let mut problems = vec![];
        match &has {
            None => problems.push("would no longer be mapped".to_string()),
            Some(has) => {
                let lost: Vec<&String> = had
                    .groups
                    .iter()
                    .filter(|g| NODE_GROUPS.contains(&g.as_str()) && !has.groups.contains(g))
                    .collect();
                if !lost.is_empty() {
                    problems.push(format!("would lose {}", quoted(&lost)));
                }
                if had.username != has.username {
                    problems.push(format!(
                        "would authenticate as `{}` instead of `{}`, which the Node authorizer refuses",
                        has.username, had.username
                    ));
                }
            }
        }
        if !problems.is_empty() {
            out.push(Violation {
                rule: "node-role-loses-access",
                subject: format!("`{p}`"),
                consequence: format!(
                    "{}: its nodes could no longer join or report (they go NotReady and their pods are evicted)",
                    problems.join("; ")
                ),
                principals: vec![p.clone()],
            });
        }
    }

    // 5. Nobody the command did not name loses anything (a fix that demotes, an edit that shadows).
    let intended: Option<BTreeSet<String>> = match &change.intent {
        Intent::Principals(ps) => Some(ps.iter().map(|p| gostr::fold_key(p)).collect()),
        Intent::Nothing => Some(BTreeSet::new()),
        Intent::Everything => None,
    };
    if let Some(intended) = intended {
        for (p, l) in &reductions {
            let k = gostr::fold_key(p);
            if intended.contains(&k) || caller_key.as_ref() == Some(&k) {
                continue;
            }
            out.push(Violation {
                rule: "collateral-change",
                subject: format!("`{p}`"),
                consequence: format!("{l}, although this command is not about it"),
                principals: vec![p.clone()],
            });
        }
    }

    // 6. The API server's size limit: every value of `data` and `binaryData`.
    let bytes = after.facts.data_bytes + change.binary_bytes;
    if bytes > SIZE_LIMIT {
        out.push(Violation {
            rule: "size-limit",
            subject: "the ConfigMap".into(),
            consequence: format!(
                "would hold {bytes} bytes of data, over the API server's 1 MiB limit ({SIZE_LIMIT} bytes of `data` and `binaryData` values): the write would be refused"
            ),
            principals: vec![],
        });
    }

    // Who gains access or groups: shown before asking, and a cross-account admin needs saying so.
    let mut home = home_accounts(before, &old, &before_principals);
    // On EKS the cluster's own account is known, even when aws-auth names nobody (emptied, or new).
    if let Some(account) = change
        .access
        .and_then(|a| arn::parse(&a.cluster_arn).ok())
        .map(|p| p.account.to_string())
        .filter(|a| !a.is_empty())
    {
        home.insert(account);
    }
    for p in all.values() {
        let (had, has) = (resolve(&old_side, p), resolve(&new_side, p));
        let Some(has) = has else { continue };
        let gained = match &had {
            None => true,
            Some(had) => has.groups.iter().any(|g| !had.groups.contains(g)),
        };
        if !gained {
            continue;
        }
        let account = arn::parse(p)
            .map(|x| x.account.to_string())
            .unwrap_or_default();
        let admin_now = has.groups.iter().any(|g| g == "system:masters")
            && !had
                .as_ref()
                .is_some_and(|a| a.groups.iter().any(|g| g == "system:masters"));
        verdict.gains.push(Gain {
            principal: p.clone(),
            before: had.map(|a| a.groups),
            after: has.groups,
            username: has.username,
            cross_account_admin: admin_now && !home.is_empty() && !home.contains(&account),
            whole_account: false,
        });
    }
    for a in new.accounts.iter().filter(|a| !old.accounts.contains(a)) {
        verdict.gains.push(Gain {
            principal: format!("account {a}"),
            before: None,
            after: vec![],
            username: String::new(),
            cross_account_admin: false,
            whole_account: true,
        });
    }
    if let Some(access) = change.access {
        with_access(&mut verdict, access);
    }
    verdict
}

/// The verdict on aws-auth alone, judged again with the cluster's access entries: in `API` mode aws-auth
/// grants nothing, so only the API server's own limits remain; in `API_AND_CONFIG_MAP` a principal with an
/// access entry keeps its access whatever aws-auth says, and an access entry with the cluster admin
/// policy keeps a cluster admin.
fn with_access(verdict: &mut Verdict, access: &crate::core::access::Access) {
    if !access.mode.reads_aws_auth() {
        let before = verdict.violations.len();
        verdict.violations.retain(|v| v.rule == "size-limit");
        verdict.notes.push(format!(
            "the authentication mode of `{}` is API: EKS does not read aws-auth, so this change grants and removes no access{}",
            access.cluster_arn,
            if before > verdict.violations.len() {
                " (the lockout guard's objections to it do not apply)"
            } else {
                ""
            }
        ));
        verdict.gains.clear();
        verdict.pointless = true;
        return;
    }
    if !access.mode.reads_access_entries() {
        return;
    }
    let mut notes = vec![];
    verdict.violations.retain(|v| {
        let harmless = match v.rule {
            "last-system-masters" => access.has_admin(),
            "caller-loses-access" | "caller-unknown" | "node-role-loses-access"
            | "collateral-change" | "random-answer" => {
                !v.principals.is_empty() && v.principals.iter().all(|p| access.grants(p))
            }
            _ => false,
        };
        if harmless {
            notes.push(match v.rule {
                "last-system-masters" => "no aws-auth entry would grant `system:masters` any more, but an EKS access entry with AmazonEKSClusterAdminPolicy keeps a cluster admin".to_string(),
                _ => format!(
                    "{} keep{} access through {} EKS access {}, which EKS uses instead of aws-auth: {} ({})",
                    v.principals.iter().map(|p| format!("`{p}`")).collect::<Vec<_>>().join(", "),
                    if v.principals.len() == 1 { "s" } else { "" },
                    if v.principals.len() == 1 { "its" } else { "their" },
                    if v.principals.len() == 1 { "entry" } else { "entries" },
                    "the aws-auth change does not affect them",
                    v.rule
                ),
            });
        }
        !harmless
    });
    verdict.notes.extend(notes);
    verdict.gains.retain(|g| {
        let shadowed = !g.whole_account && access.grants(&g.principal);
        if shadowed {
            verdict.notes.push(format!(
                "`{}` has an EKS access entry, which wins over aws-auth: the aws-auth entry this writes grants it nothing",
                g.principal
            ));
        }
        !shadowed
    });
}

fn random_consequence(m: &EffectiveMapping<'_>, p: &str) -> String {
    let answers: Vec<String> = m
        .candidates(p)
        .iter()
        .map(|e| {
            format!(
                "`{}` as `{}` [{}] ({})",
                e.arn,
                e.username,
                e.groups.join(", "),
                if e.list == ListKind::Roles {
                    "mapRoles"
                } else {
                    "mapUsers"
                }
            )
        })
        .collect();
    format!(
        "the authenticator would pick one of several entries at random on each request: {}",
        answers.join("; ")
    )
}

#[cfg(test)]
#[path = "guard_tests.rs"]
mod tests;
