//! `iamidmap get`: list the mappings the authenticator reads, filtered, as a table, JSON or YAML.

use super::session::Session;
use super::{arn_matches, file_of, live, load, mapped_entries, note_arn_lookup, warn_dropped};
use crate::cli::diagnostics::EXIT_OK;
use crate::cli::render::{self, EksFacts, MappingRow};
use crate::cli::{GetArgs, OutputFormat};
use crate::core::access::{Access, Dead};
use crate::core::document::AuthDocument;
use crate::core::mapping::ListKind;
use anyhow::Result;

pub struct Filter {
    pub arn: Option<String>,
    pub username: Option<String>,
    pub group: Option<String>,
}

/// Where an aws-auth row stands beside the access entries (nothing to say without them).
fn eks_facts(access: Option<&Access>, arn: Option<&str>) -> EksFacts {
    let Some(access) = access else {
        return EksFacts::default();
    };
    let dead = match arn {
        Some(a) if !a.is_empty() => access.aws_auth_dead(a),
        _ => (!access.mode.reads_aws_auth()).then_some(Dead::ApiMode),
    };
    EksFacts {
        source: Some("aws-auth"),
        unused: dead.as_ref().map(|d| d.to_string()),
        unused_short: dead.map(|d| match d {
            Dead::ApiMode => "ignored: API mode",
            Dead::Shadowed(_) => "the access entry wins",
        }),
    }
}

/// The rows of a document in `get`'s order: roles, users, accounts, each in document order; then the
/// EKS access entries, when they were read.
pub fn rows(doc: &AuthDocument, filter: &Filter, access: Option<&Access>) -> Vec<MappingRow> {
    let mut rows = vec![];
    let effective = doc.effective();
    for e in mapped_entries(doc) {
        let shadowed = !effective
            .roles
            .iter()
            .chain(&effective.users)
            .any(|w| std::ptr::eq(*w, e));
        if filter.arn.as_deref().is_some_and(|a| !arn_matches(e, a))
            || filter.username.as_deref().is_some_and(|u| e.username != u)
            || filter
                .group
                .as_deref()
                .is_some_and(|g| !e.groups.iter().any(|x| x == g))
        {
            continue;
        }
        let line = doc.entry_location(e).line;
        rows.push(match e.list {
            ListKind::Roles => MappingRow::Role {
                rolearn: e.arn.clone(),
                sso: e.sso.as_ref().map(|m| render::SsoRow {
                    permission_set_name: m.permission_set_name.clone(),
                    account_id: m.account_id.clone(),
                    partition: m.partition.clone(),
                    arn_like: format!(
                        "arn:{}:iam::{}:role/AWSReservedSSO_{}_*",
                        if m.partition.is_empty() {
                            "aws"
                        } else {
                            &m.partition
                        },
                        m.account_id,
                        m.permission_set_name
                    ),
                }),
                username: e.username.clone(),
                groups: e.groups.clone(),
                shadowed,
                eks: eks_facts(access, Some(&e.arn)),
                line,
            },
            ListKind::Users => MappingRow::User {
                userarn: e.arn.clone(),
                username: e.username.clone(),
                groups: e.groups.clone(),
                shadowed,
                eks: eks_facts(access, Some(&e.arn)),
                line,
            },
        });
    }
    if filter.arn.is_none() && filter.username.is_none() && filter.group.is_none() {
        for (account, span, _) in &doc.accounts.accounts {
            rows.push(MappingRow::Account {
                account: account.clone(),
                eks: eks_facts(access, None),
                line: doc
                    .inner_location(crate::core::mapping::DataKey::MapAccounts, *span)
                    .line,
            });
        }
    }
    for entry in access.map(|a| a.entries.as_slice()).unwrap_or_default() {
        let canonical = crate::core::arn::canonicalize(filter.arn.as_deref().unwrap_or("").trim())
            .map(|(_, c)| c)
            .ok();
        if filter.arn.as_deref().is_some_and(|a| {
            !entry.principal_arn.eq_ignore_ascii_case(a.trim())
                && canonical
                    .as_ref()
                    .is_none_or(|c| !entry.matched_arn().eq_ignore_ascii_case(c))
        }) || filter
            .username
            .as_deref()
            .is_some_and(|u| entry.username != u)
            || filter
                .group
                .as_deref()
                .is_some_and(|g| !entry.kubernetes_groups.iter().any(|x| x == g))
        {
            continue;
        }
        rows.push(MappingRow::AccessEntry {
            entry: entry.clone(),
            source: "access-entry",
        });
    }
    rows
}

/// Say what the access entries change about the aws-auth listing.
fn note_access(
    rows: &[MappingRow],
    access: Option<&Access>,
    out: crate::cli::diagnostics::Reporter,
) {
    let Some(access) = access else {
        return;
    };
    if !access.mode.reads_aws_auth() {
        out.warn(&format!(
            "the authentication mode of `{}` is API: EKS ignores aws-auth, and only the access entries grant access",
            access.cluster_arn
        ));
        return;
    }
    let shadowed = rows
        .iter()
        .filter(|r| {
            matches!(r, MappingRow::Role { eks, .. } | MappingRow::User { eks, .. } if eks.unused.is_some())
        })
        .count();
    if shadowed > 0 {
        out.warn(&format!(
            "{shadowed} aws-auth {} shadowed by an access entry of the same principal: EKS uses the access entry, so the aws-auth {} nothing",
            if shadowed == 1 { "entry is" } else { "entries are" },
            if shadowed == 1 { "entry grants" } else { "entries grant" },
        ));
    }
}

pub fn get(args: GetArgs, s: &Session<'_>) -> Result<i32> {
    let (cluster, out) = (s.args, s.out);
    let GetArgs {
        noun: _,
        source,
        output,
        arn,
        username,
        group,
    } = args;
    let filter = Filter {
        arn,
        username,
        group,
    };
    let path = file_of(source);
    let (doc, access) = match &path {
        Some(path) => (load(path, cluster.kind)?.1, None),
        None => {
            let (doc, connected) = live::read_connected(s)?;
            let access = live::access_for(s, &connected, &doc)?;
            (doc, access)
        }
    };
    warn_dropped(&doc, out);
    if let Some(arn) = &filter.arn {
        note_arn_lookup(arn, out);
    }
    let rows = rows(&doc, &filter, access.as_ref());
    note_access(&rows, access.as_ref(), out);
    let shadowed = rows
        .iter()
        .filter(|r| {
            matches!(
                r,
                MappingRow::Role { shadowed: true, .. } | MappingRow::User { shadowed: true, .. }
            )
        })
        .count();
    if shadowed > 0 {
        out.warn(&format!(
            "{shadowed} {} shadowed by a later entry for the same ARN: the authenticator uses only the last one, so the {} marked `(shadowed)` never {} (`iamidmap validate` shows where)",
            if shadowed == 1 { "entry is" } else { "entries are" },
            if shadowed == 1 { "one" } else { "ones" },
            if shadowed == 1 { "applies" } else { "apply" },
        ));
    }
    if rows.is_empty() && filter.arn.is_some() {
        out.note(&format!(
            "no mapping matches `{}`",
            filter.arn.as_deref().unwrap_or_default()
        ));
    }
    let text = match output {
        OutputFormat::Table => {
            render::terminal_safe(&render::mappings_table(&rows, path.is_some())).into_owned()
        }
        OutputFormat::Json => render::mappings_json(&rows),
        OutputFormat::Yaml => render::mappings_yaml(&rows),
    };
    print!("{text}");
    Ok(EXIT_OK)
}
