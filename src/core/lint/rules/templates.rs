//! Rules about usernames, groups and username templates.

use super::*;

// ---------------------------------------------------------------------------------------------
// Usernames, groups, templates

pub(super) fn no_groups(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    for (e, key) in valid_entries(ctx) {
        let typed_wrong = e.type_errors.iter().any(|t| t.field == Some("groups"));
        if typed_wrong || e.groups.iter().any(|g| !g.is_empty()) {
            continue;
        }
        out.push(ctx.at(
            rule("IM025"),
            field_location(ctx, e, key, "groups"),
            format!("`{}` authenticates with no groups; it can do only what RBAC grants the username `{}` itself", e.key_display(), e.username),
            "add `groups:`, or make sure a RoleBinding or ClusterRoleBinding names this username".into(),
        ));
    }
}

pub(super) fn no_username(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    for (e, key) in valid_entries(ctx) {
        let typed_wrong = e.type_errors.iter().any(|t| t.field == Some("username"));
        if typed_wrong || !e.username.is_empty() {
            continue;
        }
        out.push(ctx.at(
            rule("IM026"),
            ctx.inner(key, e.span),
            format!("`{}` has no `username`; it authenticates with an empty username and most requests then fail", e.key_display()),
            "add `username:` (for example `admin:{{SessionName}}` for a role people assume)".into(),
        ));
    }
}

pub(super) fn reserved_username(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    for (e, key) in valid_entries(ctx) {
        let u = e.username.as_str();
        if NODE_USERNAMES.contains(&u) {
            continue;
        }
        if let Some(prefix) = backend::reserved_prefix(u, &backend::RESERVED_PREFIXES) {
            out.push(ctx.at(
                rule("IM027"),
                field_location(ctx, e, key, "username"),
                format!("username `{u}` starts with the reserved prefix `{prefix}`; it impersonates a system identity (EKS access entries refuse such names)"),
                "use a username of your own (for example `admin:{{SessionName}}`); give powers through groups".into(),
            ));
        }
    }
}

pub(super) fn node_role_groups(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    for (e, key) in valid_entries(ctx) {
        if !e.username.starts_with("system:node:") {
            continue;
        }
        let missing: Vec<&str> = ["system:bootstrappers", "system:nodes"]
            .into_iter()
            .filter(|g| !e.groups.iter().any(|x| x == g))
            .collect();
        if missing.is_empty() {
            continue;
        }
        out.push(ctx.at(
            rule("IM028"),
            field_location(ctx, e, key, "groups"),
            format!(
                    "node mapping `{}` lacks {}; nodes using it cannot join or stay registered",
                    e.key_display(),
                    missing
                        .iter()
                        .map(|g| format!("`{g}`"))
                        .collect::<Vec<_>>()
                        .join(" and ")
                ),
            "give node roles the groups `system:bootstrappers` and `system:nodes`".into(),
        ));
    }
}

pub(super) fn is_user_arn(arn: &str) -> bool {
    matches!(
        arn::canonicalize(arn),
        Ok((
            PrincipalType::User | PrincipalType::Root | PrincipalType::FederatedUser,
            _
        ))
    )
}

pub(super) fn templates(e: &Entry) -> impl Iterator<Item = (&'static str, &str)> {
    std::iter::once(("username", e.username.as_str()))
        .chain(e.groups.iter().map(|g| ("groups", g.as_str())))
}

pub(super) fn ec2_template_on_user(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    for (e, key) in valid_entries(ctx) {
        if !is_user_arn(&e.arn) {
            continue;
        }
        if let Some((field, _)) = templates(e).find(|(_, t)| t.contains("{{EC2PrivateDNSName}}")) {
            out.push(ctx.at(
                rule("IM029"),
                field_location(ctx, e, key, field),
                format!("`{{{{EC2PrivateDNSName}}}}` on `{}`: an IAM user has no session name, so rendering fails (\"SessionName did not contain an instance id\") and the caller is denied", e.arn),
                "use a fixed username for users; `{{EC2PrivateDNSName}}` is for EC2 node roles only".into(),
            ));
        }
    }
}

pub(super) fn session_template_on_user(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    for (e, key) in valid_entries(ctx) {
        if !is_user_arn(&e.arn) {
            continue;
        }
        if let Some((field, _)) = templates(e)
            .find(|(_, t)| t.contains("{{SessionName}}") || t.contains("{{SessionNameRaw}}"))
        {
            out.push(ctx.at(
                rule("IM030"),
                field_location(ctx, e, key, field),
                format!("`{{{{SessionName}}}}` on `{}`: IAM users have no session name, so it renders empty", e.arn),
                "use a fixed username for IAM users".into(),
            ));
        }
    }
}

pub(super) fn caller_chosen_username(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    for (e, key) in valid_entries(ctx) {
        if e.list != ListKind::Roles
            || is_user_arn(&e.arn)
            || NODE_USERNAMES.contains(&e.username.as_str())
        {
            continue;
        }
        let u = &e.username;
        if u.contains("{{SessionName}}")
            || u.contains("{{SessionNameRaw}}")
            || u.contains("{{AccessKeyID}}")
        {
            out.push(ctx.at(
                rule("IM031"),
                field_location(ctx, e, key, "username"),
                format!("username `{u}` is partly chosen by the caller: whoever can call sts:AssumeRole on `{}` picks the session name", e.key_display()),
                "make sure only your identity provider (or EC2) can assume this role; `iamidmap check` will verify the trust policy".into(),
            ));
        }
    }
}

pub(super) fn unknown_template(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    for (e, key) in valid_entries(ctx) {
        for (field, t) in templates(e) {
            for p in template::unknown_placeholders(t) {
                out.push(ctx.at(
                    rule("IM032"),
                    field_location(ctx, e, key, field),
                    format!("placeholder `{p}` is not one the authenticator knows; it is left in the {field} verbatim"),
                    "use one of `{{EC2PrivateDNSName}}`, `{{AccountID}}`, `{{SessionName}}`, `{{SessionNameRaw}}`, `{{AccessKeyID}}` (case-sensitive)".into(),
                ));
            }
        }
    }
}

pub(super) fn system_masters(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    // Only entries the authenticator uses: a shadowed duplicate grants nothing (IM023 says so).
    let effective = ctx.doc.effective();
    let used = |e: &crate::core::mapping::Entry| {
        effective
            .roles
            .iter()
            .chain(&effective.users)
            .any(|w| std::ptr::eq(*w, e))
    };
    for (e, key) in valid_entries(ctx) {
        if e.groups.iter().any(|g| g == "system:masters") && used(e) {
            out.push(ctx.at(
                rule("IM033"),
                field_location(ctx, e, key, "groups"),
                format!("`{}` gets `system:masters`: full, unrestricted cluster admin that no RBAC rule can limit", e.key_display()),
                "prefer a ClusterRole bound to a group of your own; keep `system:masters` for break-glass".into(),
            ));
        }
    }
}
