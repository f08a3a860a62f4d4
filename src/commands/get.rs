//! `iamidmap get`: list the mappings the authenticator reads, filtered, as a table, JSON or YAML.

use super::session::Session;
use super::{arn_matches, file_of, live, load, mapped_entries, note_arn_lookup, warn_dropped};
use crate::cli::diagnostics::EXIT_OK;
use crate::cli::render::{self, MappingRow};
use crate::cli::{GetArgs, OutputFormat};
use crate::core::document::AuthDocument;
use crate::core::mapping::ListKind;
use anyhow::Result;

pub struct Filter {
    pub arn: Option<String>,
    pub username: Option<String>,
    pub group: Option<String>,
}

/// The rows of a document in `get`'s order: roles, users, accounts, each in document order.
pub fn rows(doc: &AuthDocument, filter: &Filter) -> Vec<MappingRow> {
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
                line,
            },
            ListKind::Users => MappingRow::User {
                userarn: e.arn.clone(),
                username: e.username.clone(),
                groups: e.groups.clone(),
                shadowed,
                line,
            },
        });
    }
    if filter.arn.is_none() && filter.username.is_none() && filter.group.is_none() {
        for (account, span, _) in &doc.accounts.accounts {
            rows.push(MappingRow::Account {
                account: account.clone(),
                line: doc
                    .inner_location(crate::core::mapping::DataKey::MapAccounts, *span)
                    .line,
            });
        }
    }
    rows
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
    let doc = match &path {
        Some(path) => load(path, cluster.kind)?.1,
        None => live::read(s)?,
    };
    warn_dropped(&doc, out);
    if let Some(arn) = &filter.arn {
        note_arn_lookup(arn, out);
    }
    let rows = rows(&doc, &filter);
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
