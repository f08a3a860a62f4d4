//! Rules about single entries: validity and decoding, ARNs, duplicates, accounts and SSO.

use super::*;

// ---------------------------------------------------------------------------------------------
// Entries: validity and decoding

pub(super) fn entry_dropped(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    for (list, key) in lists(ctx) {
        for e in &list.errors {
            if e.kind == ListErrorKind::ItemNotMapping {
                out.push(ctx.at(
                    rule("IM013"),
                    ctx.inner(key, e.span),
                    format!("{} in `{}`; {}", e.detail, path(ctx, key), drops(ctx, "it")),
                    format!(
                        "write the entry as a mapping: `- {}: arn:…`",
                        list_kind(key).arn_field()
                    ),
                ));
            }
        }
        for e in list.entries.iter() {
            let Some(why) = &e.invalid else { continue };
            if e.fields.is_empty() {
                continue; // scalar or null item: reported above or is an empty `-`
            }
            let arn_key = if kind(ctx).structured() {
                match e.list {
                    ListKind::Roles => "roleARN",
                    ListKind::Users => "userARN",
                }
            } else {
                e.list.arn_field()
            };
            let hint = match e.list {
                _ if why.starts_with("error canonicalizing ARN") => format!(
                    "write the principal's full ARN (`arn:aws:iam::<account>:{}/<name>`)",
                    if e.list == ListKind::Roles { "role" } else { "user" }
                ),
                ListKind::Roles if e.sso.is_some() && !e.arn.is_empty() => "keep either `rolearn` or `sso`, not both".to_string(),
                ListKind::Roles if e.sso.is_some() => "fix the `sso` fields: a 12-digit quoted `accountID`, a valid permission set name and partition".to_string(),
                _ => format!("add `{arn_key}:` with the principal's ARN (check the key's spelling)"),
            };
            out.push(ctx.at(
                rule("IM013"),
                ctx.inner(key, e.span),
                if kind(ctx).structured() {
                    format!(
                        "entry #{} of `{}` cannot be loaded ({why}); {}",
                        e.index + 1,
                        path(ctx, key),
                        drops(ctx, "it")
                    )
                } else {
                    format!(
                        "entry #{} of `{}` is dropped by the authenticator: {why}",
                        e.index + 1,
                        key.as_str()
                    )
                },
                hint,
            ));
        }
    }
}

pub(super) fn list_kind(key: DataKey) -> ListKind {
    if key == DataKey::MapUsers {
        ListKind::Users
    } else {
        ListKind::Roles
    }
}

pub(super) fn field_type(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    for (e, key) in entries(ctx) {
        for t in &e.type_errors {
            let (what, hint) = match t.field {
                Some("groups") => (
                    "`groups` is not a list of strings",
                    "write groups as a list (`groups:` then `- system:masters`, with a space after each dash), and quote values such as `yes`, `on` or numbers",
                ),
                _ => (
                    "a value has the wrong type",
                    "quote the value: YAML 1.1 reads unquoted `yes`, `no`, `on`, `off` and numbers as booleans and numbers",
                ),
            };
            out.push(ctx.at(
                rule("IM014"),
                ctx.inner(key, t.span),
                format!("{what} in entry #{} of `{}`; the authenticator keeps the entry with that field empty ({})", e.index + 1, key.as_str(), t.message),
                hint.into(),
            ));
        }
    }
}

pub(super) fn folded_scalar(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    for (e, key) in entries(ctx) {
        let content = ctx.doc.slot(key).map_or("", |s| s.content.as_str());
        for f in &e.fields {
            if f.value_multiline_plain && f.field == Some("username") {
                out.push(ctx.at(
                    rule("IM015"),
                    ctx.inner(key, f.value_span),
                    format!("`username` continues on the next lines and is read as one string `{}`", e.username),
                    "a line is missing above the continuation (often `groups:`), or it is indented too far".into(),
                ));
            }
        }
        for (g, span) in e.groups.iter().zip(&e.group_spans) {
            let raw = content.get(span.start..span.end).unwrap_or("");
            if raw.contains('\n') {
                out.push(ctx.at(
                    rule("IM015"),
                    ctx.inner(key, *span),
                    format!("group `{g}` is one string folded from several lines: the line below is indented one step too far, so neither group is granted"),
                    "line up every `- group` item at the same indentation".into(),
                ));
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// ARNs

pub(super) fn role_path(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    for (e, key) in valid_entries(ctx) {
        let Ok(parts) = arn::parse(&e.arn) else {
            continue;
        };
        let pieces: Vec<&str> = parts.resource.split('/').collect();
        if parts.service != "iam" || pieces[0] != "role" || pieces.len() <= 2 {
            continue;
        }
        let fixed = arn::normalize_for_write(&e.arn)
            .map(|n| n.arn)
            .unwrap_or_default();
        let path = format!("/{}/", pieces[1..pieces.len() - 1].join("/"));
        let message = if path.starts_with("/aws-reserved/sso.amazonaws.com/") {
            format!(
                "IAM Identity Center role ARN `{}` has the path `{path}`; the caller's ARN never carries it, so this entry never matches",
                e.arn
            )
        } else {
            format!(
                "role ARN `{}` has the path `{path}`; aws-iam-authenticator compares with the caller's role ARN, which has no path, so this entry never matches",
                e.arn
            )
        };
        out.push(ctx.at(
            rule("IM016"),
            arn_location(ctx, e, key),
            message,
            format!("use `{fixed}`"),
        ));
    }
}

pub(super) fn assumed_role(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    if kind(ctx).structured() {
        return; // MountedFile canonicalizes role ARNs: an assumed-role ARN maps its role there.
    }
    for (e, key) in valid_entries(ctx) {
        let Ok(parts) = arn::parse(&e.arn) else {
            continue;
        };
        if parts.service != "sts" || !parts.resource.starts_with("assumed-role/") {
            continue;
        }
        let hint = match arn::normalize_for_write(&e.arn) {
            Ok(n) => format!("map the role instead: `{}` under `mapRoles`", n.arn),
            Err(_) => "map the IAM role ARN (`arn:aws:iam::<account>:role/<name>`) instead".into(),
        };
        out.push(ctx.at(
            rule("IM017"),
            arn_location(ctx, e, key),
            format!("`{}` is an assumed-role session ARN; callers are matched by their canonical role ARN, so this entry never matches", e.arn),
            hint,
        ));
    }
}

pub(super) fn looks_like_placeholder(s: &str) -> bool {
    s.contains('<')
        || s.contains("${")
        || s.contains("{{ ")
        || s.to_uppercase().contains("PLACEHOLDER")
        || (!s.starts_with("arn:")
            && s.len() > 3
            && s.bytes()
                .all(|b| b.is_ascii_uppercase() || b == b'_' || b.is_ascii_digit()))
}

/// The first character an IAM role or user name (or path) cannot contain: names allow letters,
/// digits and `+=,.@_-`, paths add `/`.
pub(super) fn bad_name_char(resource: &str) -> Option<char> {
    let name = resource
        .strip_prefix("role/")
        .or_else(|| resource.strip_prefix("user/"))?;
    name.chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "+=,.@_-/".contains(*c)))
}

pub(super) fn invalid_arn(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    for (e, key) in valid_entries(ctx) {
        if e.arn.is_empty() {
            continue;
        }
        let problem = match arn::principal_type(&e.arn) {
            None => arn::canonicalize(&e.arn).err().map(|err| err.to_string()),
            Some(_) => {
                let parts = arn::parse(&e.arn).expect("canonicalized");
                if !arn::is_account_id(parts.account) {
                    Some(format!(
                        "account `{}` is not a 12-digit AWS account ID",
                        parts.account
                    ))
                } else {
                    bad_name_char(parts.resource)
                        .map(|c| format!("`{c}` cannot appear in an IAM name or path"))
                }
            }
        };
        let Some(problem) = problem else { continue };
        // A character Go's case-insensitive match folds to ASCII (`ſ`, the Kelvin sign) makes the ARN
        // match the ASCII one: it is not dead, it is a disguise.
        let folded = crate::core::gostr::fold_key(&e.arn);
        if !e.arn.is_ascii() && folded.is_ascii() {
            out.push(ctx.at(
                rule("IM018"),
                arn_location(ctx, e, key),
                format!(
                    "`{}` is not a real IAM ARN ({problem}), but the authenticator's case-insensitive match folds it to `{folded}` and maps that principal with this entry",
                    e.arn
                ),
                "write the ARN in plain ASCII".to_string(),
            ));
            continue;
        }
        let hint = if looks_like_placeholder(&e.arn) {
            "this looks like an unreplaced placeholder; substitute the real ARN".to_string()
        } else if e.arn.contains(":group/") {
            "IAM groups cannot be mapped; map each role or user".to_string()
        } else {
            "write `arn:aws:iam::<12-digit-account>:role/<name>` (or `…:user/<name>`)".to_string()
        };
        out.push(ctx.at(
            rule("IM018"),
            arn_location(ctx, e, key),
            format!(
                "`{}` is not an ARN the authenticator can ever match: {problem}",
                e.arn
            ),
            hint,
        ));
    }
}

pub(super) fn root_or_federated(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    for (e, key) in valid_entries(ctx) {
        let what = match arn::canonicalize(&e.arn) {
            Ok((PrincipalType::Root, _)) => "the account's root user",
            Ok((PrincipalType::FederatedUser, _)) => {
                "a federated-user session (matched verbatim, by session name)"
            }
            _ => continue,
        };
        out.push(ctx.at(
            rule("IM019"),
            arn_location(ctx, e, key),
            format!("`{}` maps {what}", e.arn),
            "map an IAM role that people assume instead; the root user should not be used day to day".into(),
        ));
    }
}

pub(super) fn wrong_list(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    for (e, key) in valid_entries(ctx) {
        let Ok((kind, _)) = arn::canonicalize(&e.arn) else {
            continue;
        };
        let message = match (e.list, kind) {
            (ListKind::Roles, PrincipalType::User) => format!(
                "IAM user ARN `{}` is under `mapRoles`; it still matches the user, but templates that need a session fail and readers are misled",
                e.arn
            ),
            (ListKind::Users, PrincipalType::Role) => format!(
                "role ARN `{}` is under `mapUsers`; it works (users are matched against the canonical ARN too), but belongs in `mapRoles`",
                e.arn
            ),
            _ => continue,
        };
        let target = if e.list == ListKind::Roles {
            "mapUsers"
        } else {
            "mapRoles"
        };
        out.push(ctx.at(
            rule("IM020"),
            arn_location(ctx, e, key),
            message,
            format!(
                "move the entry to `{target}` (as `{}`)",
                if target == "mapUsers" {
                    "userarn"
                } else {
                    "rolearn"
                }
            ),
        ));
    }
}

pub(super) fn entry_key_case(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    if kind(ctx).structured() {
        return; // `roleARN`/`userARN` is these carriers' documented spelling.
    }
    for (e, key) in entries(ctx) {
        for f in &e.fields {
            if let Some(field) = f.field
                && f.written != field
            {
                out.push(ctx.at(
                    rule("IM021"),
                    ctx.inner(key, f.key_span),
                    format!("key `{}` works (the authenticator matches entry keys case-insensitively) but other tools expect `{field}`", f.written),
                    format!("write `{field}`"),
                ));
            }
        }
    }
}

pub(super) fn unknown_key(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    for (e, key) in entries(ctx) {
        for f in &e.fields {
            if f.field.is_some() {
                continue;
            }
            let guess = ["rolearn", "userarn", "username", "groups", "sso", "userid"]
                .into_iter()
                .find(|k| {
                    let w = f.written.trim().to_lowercase().replace(['_', '-'], "");
                    w == *k || w.starts_with(&k[..4.min(k.len())])
                });
            out.push(ctx.at(
                rule("IM022"),
                ctx.inner(key, f.key_span),
                format!(
                    "key `{}` is not a field of a {} entry; the authenticator ignores it",
                    f.written,
                    if e.list == ListKind::Roles {
                        "mapRoles"
                    } else {
                        "mapUsers"
                    }
                ),
                match guess {
                    Some(g) => format!("did you mean `{g}`?"),
                    None => "remove it".into(),
                },
            ));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Duplicates

pub(super) fn entry_duplicate_key(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    if kind(ctx).structured() {
        return;
    }
    for (e, key) in entries(ctx) {
        for (written, span) in &e.shadowed_keys {
            let winner = e.fields.iter().find(|f| f.written == *written);
            let (line, how) = match winner {
                Some(f) if f.inherited => (
                    ctx.inner(key, f.key_span).line,
                    "by a merge key (`<<`)".to_string(),
                ),
                Some(f) => (
                    ctx.inner(key, f.key_span).line,
                    "later in the entry".to_string(),
                ),
                None => (ctx.inner(key, *span).line, "later".to_string()),
            };
            out.push(ctx.at(
                rule("IM056"),
                ctx.inner(key, *span),
                format!("key `{written}` is set again {how} (line {line}); the authenticator keeps only the last value, so this one is ignored (a strict YAML reader would refuse the whole list)"),
                format!("write `{written}` once per entry"),
            ));
        }
    }
}

pub(super) fn merged_fields(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    if kind(ctx).structured() {
        return;
    }
    for (e, key) in entries(ctx) {
        if !e.has_inherited_fields() {
            continue;
        }
        let inherited: Vec<String> = e
            .fields
            .iter()
            .filter(|f| f.inherited)
            .filter_map(|f| f.field)
            .map(|f| match f {
                "groups" => format!("groups [{}]", e.groups.join(", ")),
                "username" => format!("username `{}`", e.username),
                "rolearn" | "userarn" => format!("{f} `{}`", e.arn),
                other => other.to_string(),
            })
            .collect();
        let source = if e.alias {
            "is an alias (`*…`) of an entry written elsewhere"
        } else {
            "takes fields from a merge key (`<<: *…`)"
        };
        let _ = key;
        out.push(ctx.at(
            rule("IM057"),
            ctx.doc.entry_location(e),
            format!(
                "this entry {source}: {} {} not written here, and reviewers and most tools do not see {}",
                if inherited.is_empty() { "its fields".to_string() } else { inherited.join(", ") },
                if inherited.len() == 1 { "is" } else { "are" },
                if inherited.len() == 1 { "it" } else { "them" },
            ),
            "write the entry out in full, without anchors, aliases or `<<`".into(),
        ));
    }
}

pub(super) fn key_spelling_folds(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    for (e, key) in entries(ctx) {
        for f in &e.fields {
            let Some(field) = f.field else { continue };
            if f.written.is_ascii() {
                continue;
            }
            out.push(ctx.at(
                rule("IM058"),
                ctx.inner(key, f.key_span),
                format!("key `{}` looks unknown but the authenticator reads it as `{field}` (Go's case-insensitive match folds `\u{17F}` to `s` and the Kelvin sign to `k`){}", f.written, match field {
                    "groups" => format!(": it grants [{}]", e.groups.join(", ")),
                    "username" => format!(": the username is `{}`", e.username),
                    _ => String::new(),
                }),
                format!("write `{field}` in plain ASCII"),
            ));
        }
    }
}

pub(super) fn hidden_characters(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    use crate::core::text;
    for (e, key) in entries(ctx) {
        let mut values: Vec<(&str, &str, crate::core::yaml::Span)> = vec![];
        if let Some(f) = e.field(e.list.arn_field()) {
            values.push(("the ARN", e.arn.as_str(), f.value_span));
        }
        if let Some(f) = e.field("username") {
            values.push(("the username", e.username.as_str(), f.value_span));
        }
        for (g, span) in e.groups.iter().zip(&e.group_spans) {
            values.push(("a group", g.as_str(), *span));
        }
        for (what, value, span) in values {
            if !value.chars().any(text::is_hidden) {
                continue;
            }
            let shown: String = value.chars().filter(|c| !text::is_hidden(*c)).collect();
            out.push(ctx.at(
                rule("IM060"),
                ctx.inner(key, span),
                format!(
                    "{what} `{}` holds control, bidi or invisible characters: a terminal or browser shows something like `{shown}`, while the authenticator uses the characters as they are",
                    text::one_line(value)
                ),
                "write it in plain text; if you did not write this entry, find out who did, since hidden characters can disguise a grant".into(),
            ));
        }
    }
}

pub(super) fn encoded_value(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    for (e, key) in entries(ctx) {
        for (span, tag, shown) in &e.tagged {
            if tag == "!!str" {
                continue;
            }
            out.push(ctx.at(
                rule("IM059"),
                ctx.inner(key, *span),
                format!("a value written with the tag `{tag}` reads as `{shown}`; reviewers see something else than the authenticator uses"),
                format!("write the value itself: `{shown}`"),
            ));
        }
    }
}

pub(super) fn duplicates(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    use std::collections::HashMap;
    for (list, key) in lists(ctx) {
        let valid: Vec<&Entry> = list.valid_entries().collect();
        // The last entry with a key wins; every earlier one is reported against it. O(n) with an index.
        let mut last_by_key: HashMap<String, usize> = HashMap::new();
        let mut by_folded_arn: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, e) in valid.iter().enumerate() {
            last_by_key.insert(e.key(), i);
            if !e.arn.is_empty() {
                by_folded_arn
                    .entry(crate::core::gostr::fold_key(e.matched_arn()))
                    .or_default()
                    .push(i);
            }
        }
        for (i, e) in valid.iter().enumerate() {
            let winner = last_by_key[&e.key()];
            if winner == i {
                // Stored under different keys yet matched by the same callers (user ARNs that differ
                // only in case; Unicode that Go folds): upstream picks one at random per request.
                let other = by_folded_arn
                    .get(&crate::core::gostr::fold_key(e.matched_arn()))
                    .and_then(|ix| {
                        ix.iter().find(|&&j| {
                            j > i && last_by_key[&valid[j].key()] == j && valid[j].key() != e.key()
                        })
                    });
                if let Some(&j) = other {
                    let other = valid[j];
                    let same = e.username == other.username && e.groups == other.groups;
                    out.push(ctx.at(
                        rule(if same { "IM024" } else { "IM023" }),
                        arn_location(ctx, e, key),
                        format!("ARNs `{}` and `{}` (line {}) are the same to the authenticator's case-insensitive match but stored apart, so it picks either one at random on each request{}", e.arn, other.arn, ctx.doc.entry_location(other).line, if same { " (they map identically)" } else { "" }),
                        "keep one entry per principal".into(),
                    ));
                }
                continue;
            }
            let winner = valid[winner];
            let line = ctx.doc.entry_location(winner).line;
            if e.same_mapping(winner) {
                out.push(ctx.at(
                    rule("IM024"),
                    arn_location(ctx, e, key),
                    format!("`{}` is mapped again, identically, at line {line}", e.arn),
                    "remove one of the two entries".into(),
                ));
            } else {
                out.push(ctx.at(
                    rule("IM023"),
                    arn_location(ctx, e, key),
                    format!("`{}` is mapped again at line {line}; the last entry wins, so this entry's username `{}` and groups [{}] are never used", e.key_display(), e.username, e.groups.join(", ")),
                    "merge the two entries into one with the groups it needs".into(),
                ));
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Accounts and SSO

pub(super) fn map_accounts(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    for (account, span, _) in &ctx.doc.accounts.accounts {
        let loc = ctx.inner(DataKey::MapAccounts, *span);
        if arn::is_account_id(account) {
            out.push(ctx.at(
                rule("IM034"),
                loc,
                format!("account `{account}` in `mapAccounts` lets every IAM role and user of that account authenticate (username = its ARN, no groups)"),
                "map the specific roles and users instead".into(),
            ));
        } else if account.is_empty() {
            out.push(ctx.at(
                rule("IM035"),
                loc,
                "go-yaml stops reading `mapAccounts` here and leaves an empty account in its place; no real caller has an empty account, but the list is not what it looks like".into(),
                "fix the value go-yaml cannot decode; write each account as a quoted 12-digit string".into(),
            ));
        } else {
            out.push(ctx.at(
                rule("IM035"),
                loc,
                format!("`{account}` in `mapAccounts` is not a 12-digit AWS account ID; it never matches"),
                "write the account ID as a quoted 12-digit string, e.g. `- \"111122223333\"`".into(),
            ));
        }
    }
}

pub(super) fn sso_entry(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    for (e, key) in valid_entries(ctx) {
        if e.sso.is_some() {
            out.push(ctx.at(
                rule("IM036"),
                ctx.inner(key, e.span),
                if kind(ctx) == CarrierKind::AwsAuth {
                    "`sso` entries need the authenticator's alpha `SSORoleMatch` feature gate, which EKS does not enable; on EKS this entry never matches".into()
                } else {
                    "`sso` entries need the authenticator's alpha `SSORoleMatch` feature gate (`--feature-gates=SSORoleMatch=true` on the server); without it this entry never matches".into()
                },
                "map the IAM Identity Center role by its ARN without the `aws-reserved/…` path: `arn:aws:iam::<account>:role/AWSReservedSSO_<PermissionSet>_<suffix>`".into(),
            ));
        }
    }
}
