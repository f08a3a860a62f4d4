//! `iamidmap get`: list the mappings the authenticator reads, filtered, as a table, JSON or YAML.

use super::{arn_matches, file_of, live, load, mapped_entries, warn_dropped};
use crate::cli::diagnostics::{EXIT_OK, Reporter};
use crate::cli::render::{self, MappingRow};
use crate::cli::{ClusterArgs, GetArgs, OutputFormat};
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
    for e in mapped_entries(doc) {
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
                line,
            },
            ListKind::Users => MappingRow::User {
                userarn: e.arn.clone(),
                username: e.username.clone(),
                groups: e.groups.clone(),
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

pub fn get(args: GetArgs, cluster: &ClusterArgs, out: Reporter) -> Result<i32> {
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
        None => live::read(cluster, out)?,
    };
    warn_dropped(&doc, out);
    let rows = rows(&doc, &filter);
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
