//! The rule table and one small function per rule. Messages say what the authenticator (or kubectl)
//! will do; hints say what to change.

use super::{Ctx, Finding, Rule, Severity};
use crate::core::arn::{self, PrincipalType};
use crate::core::document::{CarrierKind, Shape};
use crate::core::mapping::{DataKey, Entry, ListErrorKind, ListKind, ListParse, ListShape};
use crate::core::mapping::{backend, template};

/// The ConfigMap data size limit of the API server (1 MiB).
pub const SIZE_LIMIT: usize = 1024 * 1024;

const NODE_USERNAMES: [&str; 2] = [
    "system:node:{{EC2PrivateDNSName}}",
    "system:node:{{SessionName}}",
];

fn rule(id: &str) -> &'static Rule {
    super::rule(id).expect("rule id in table")
}

fn kind(ctx: &Ctx<'_>) -> CarrierKind {
    ctx.doc.facts.carrier.kind
}

/// A list key as the carrier names it: `mapRoles`, `server.mapRoles`, `spec.mapRoles`.
fn path(ctx: &Ctx<'_>, key: DataKey) -> String {
    kind(ctx).key_path(key)
}

/// What the authenticator does with an entry it cannot load: the EKSConfigMap backend drops the entry,
/// the MountedFile backend refuses to start (aws-iam-authenticator pkg/mapper/file/mapper.go).
fn drops(ctx: &Ctx<'_>, what: &str) -> String {
    if kind(ctx).structured() {
        format!(
            "the authenticator server refuses to start with {what}, so nobody can log in until it is fixed"
        )
    } else {
        format!("the authenticator drops {what}")
    }
}

/// Which carriers a rule applies to, and how it differs between them (docs/lint-rules.md).
pub fn carriers(id: &str) -> (&'static str, Option<&'static str>) {
    match id {
        "IM003" | "IM004" | "IM005" => (
            "aws-auth, authenticator-config",
            Some(
                "for the authenticator config this is about the ConfigMap `kube-system/aws-iam-authenticator` (not the config file on disk)",
            ),
        ),
        "IM006" => ("aws-auth", None),
        "IM008" => (
            "all",
            Some(
                "aws-auth values must be strings (`|` blocks); the authenticator config and AWSIamConfig want YAML lists, and a `|` string there (copied from aws-auth) stops the server",
            ),
        ),
        "IM009" => (
            "aws-auth, awsiamconfig",
            Some(
                "the authenticator config is read case-insensitively (viper), so `maproles` works there",
            ),
        ),
        "IM010" | "IM011" | "IM013" => (
            "all",
            Some(
                "aws-auth drops the list or entry; the authenticator config and AWSIamConfig (MountedFile backend) refuse to start, so nobody can log in",
            ),
        ),
        "IM017" => (
            "aws-auth",
            Some(
                "the MountedFile backend canonicalizes role ARNs, so an assumed-role ARN works in the authenticator config and AWSIamConfig",
            ),
        ),
        "IM021" => (
            "aws-auth",
            Some(
                "`roleARN`/`userARN` is the documented spelling of the authenticator config and AWSIamConfig",
            ),
        ),
        "IM034" | "IM035" | "IM037" | "IM038" => ("aws-auth, authenticator-config", None),
        "IM050" | "IM051" => ("authenticator-config", None),
        "IM056" | "IM057" | "IM058" | "IM059" => (
            "aws-auth",
            Some(
                "the authenticator config and AWSIamConfig are read by viper, not by the ConfigMap path these rules describe",
            ),
        ),
        "IM052" | "IM054" | "IM055" => ("awsiamconfig", None),
        "IM053" => ("authenticator-config, awsiamconfig", None),
        _ => ("all", None),
    }
}

fn lists<'a>(ctx: &'a Ctx<'_>) -> [(&'a ListParse, DataKey); 2] {
    [
        (&ctx.doc.roles, DataKey::MapRoles),
        (&ctx.doc.users, DataKey::MapUsers),
    ]
}

fn entries<'a>(ctx: &'a Ctx<'_>) -> impl Iterator<Item = (&'a Entry, DataKey)> {
    lists(ctx)
        .into_iter()
        .flat_map(|(l, k)| l.entries.iter().map(move |e| (e, k)))
}

fn valid_entries<'a>(ctx: &'a Ctx<'_>) -> impl Iterator<Item = (&'a Entry, DataKey)> {
    entries(ctx).filter(|(e, _)| e.is_valid())
}

fn arn_location(ctx: &Ctx<'_>, e: &Entry, key: DataKey) -> crate::core::document::Location {
    let span = e.field(e.list.arn_field()).map_or(e.span, |f| f.value_span);
    ctx.inner(key, span)
}

fn field_location(
    ctx: &Ctx<'_>,
    e: &Entry,
    key: DataKey,
    field: &str,
) -> crate::core::document::Location {
    let span = e.field(field).map_or(e.span, |f| f.value_span);
    ctx.inner(key, span)
}

// ---------------------------------------------------------------------------------------------
// The object and its data keys

fn object_identity(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let f = &ctx.doc.facts;
    match kind(ctx) {
        CarrierKind::AwsAuth if ctx.doc.shape == Shape::Object => {}
        CarrierKind::AuthenticatorConfig if f.carrier.in_configmap => {
            return authenticator_configmap_identity(ctx, out);
        }
        _ => return,
    }
    let loc = ctx.file(f.object_span.start);
    if !f.has_metadata || f.name.is_none() {
        out.push(ctx.at(
            rule("IM003"),
            loc,
            "the object has no `metadata.name`; kubectl refuses it (\"resource name may not be empty\")".into(),
            "add `metadata: {name: aws-auth, namespace: kube-system}`".into(),
        ));
    }
    if f.kind.as_deref() != Some("ConfigMap") || f.api_version.as_deref() != Some("v1") {
        out.push(ctx.at(
            rule("IM003"),
            loc,
            format!(
                "the object is `apiVersion: {}`, `kind: {}`; the authenticator reads only a v1 ConfigMap",
                f.api_version.as_deref().unwrap_or("(missing)"),
                f.kind.as_deref().unwrap_or("(missing)")
            ),
            "set `apiVersion: v1` and `kind: ConfigMap`".into(),
        ));
    }
    if let Some(name) = f.name.as_deref().filter(|n| *n != "aws-auth") {
        out.push(ctx.at(
            rule("IM004"),
            ctx.file(f.metadata_span.map_or(f.object_span.start, |s| s.start)),
            format!("the ConfigMap is named `{name}`; the authenticator reads only `kube-system/aws-auth`, so none of these mappings apply"),
            "name it `aws-auth`".into(),
        ));
    }
    if let Some(ns) = f.namespace.as_deref().filter(|n| *n != "kube-system") {
        out.push(ctx.at(
            rule("IM004"),
            ctx.file(f.metadata_span.map_or(f.object_span.start, |s| s.start)),
            format!("the ConfigMap is in namespace `{ns}`; the authenticator reads only `kube-system/aws-auth`"),
            "set `namespace: kube-system`".into(),
        ));
    }
    if f.has_metadata && f.namespace.is_none() {
        out.push(ctx.at(
            rule("IM005"),
            ctx.file(f.metadata_span.map_or(f.object_span.start, |s| s.start)),
            "no `metadata.namespace`: `kubectl apply` puts the ConfigMap in the current namespace, which the authenticator does not read unless it is kube-system".into(),
            "add `namespace: kube-system`".into(),
        ));
    }
}

/// IM003-IM005 for the ConfigMap that carries the authenticator's config.
fn authenticator_configmap_identity(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let f = &ctx.doc.facts;
    let meta = ctx.file(f.metadata_span.map_or(f.object_span.start, |s| s.start));
    const NAME: &str = crate::core::document::AUTHENTICATOR_CONFIGMAP;
    if !f.has_metadata || f.name.is_none() {
        out.push(ctx.at(
            rule("IM003"),
            ctx.file(f.object_span.start),
            "the ConfigMap has no `metadata.name`; kubectl refuses it (\"resource name may not be empty\")".into(),
            format!("add `metadata: {{name: {NAME}, namespace: kube-system}}`"),
        ));
    }
    if f.api_version.as_deref() != Some("v1") {
        out.push(ctx.at(
            rule("IM003"),
            ctx.file(f.object_span.start),
            format!(
                "the ConfigMap is `apiVersion: {}`; kubectl accepts only `v1`",
                f.api_version.as_deref().unwrap_or("(missing)")
            ),
            "set `apiVersion: v1`".into(),
        ));
    }
    if let Some(name) = f.name.as_deref().filter(|n| *n != NAME) {
        out.push(ctx.at(
            rule("IM004"),
            meta,
            format!("the authenticator's ConfigMap is named `{name}`; the authenticator's DaemonSet mounts `kube-system/{NAME}` (kops and the upstream manifests), so this config is not the one it loads"),
            format!("name it `{NAME}`, or check the `configMap:` volume of the authenticator's DaemonSet"),
        ));
    }
    if let Some(ns) = f.namespace.as_deref().filter(|n| *n != "kube-system") {
        out.push(ctx.at(
            rule("IM004"),
            meta,
            format!("the ConfigMap is in namespace `{ns}`; the authenticator runs in kube-system and mounts its config from there"),
            "set `namespace: kube-system`".into(),
        ));
    }
    if f.has_metadata && f.namespace.is_none() {
        out.push(ctx.at(
            rule("IM005"),
            meta,
            "no `metadata.namespace`: `kubectl apply` puts the ConfigMap in the current namespace, which the authenticator does not mount unless it is kube-system".into(),
            "add `namespace: kube-system`".into(),
        ));
    }
}

fn patch_fragment(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    if kind(ctx) != CarrierKind::AwsAuth {
        return;
    }
    let what = match ctx.doc.shape {
        Shape::Object => return,
        Shape::DataFragment => "a `data:` fragment without apiVersion, kind or metadata",
        Shape::BareKeys => "bare mapping keys without a ConfigMap around them",
    };
    out.push(ctx.at(
        rule("IM006"),
        ctx.file(ctx.doc.facts.object_span.start),
        format!("this is {what}; it works only as `kubectl patch configmap aws-auth -n kube-system --patch-file …`, and a merge patch replaces each key it names whole"),
        "keep a complete ConfigMap manifest, or make sure the patch lists every entry of each key it sets".into(),
    ));
}

fn duplicate_keys(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    for (key, span) in &ctx.doc.facts.duplicate_keys {
        out.push(ctx.at(
            rule("IM007"),
            ctx.file(span.start),
            format!("key `{key}` is written a second time here; kubectl refuses the file (\"key already set in map\"), and lenient tools silently keep only the last one"),
            "merge the two into one key".into(),
        ));
    }
}

fn data_wrong_type(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    for slot in &ctx.doc.slots {
        if let Some(what) = slot.wrong_type.filter(|_| kind(ctx).structured()) {
            let key = path(ctx, slot.key);
            let copied = if what == "string" {
                " (the aws-auth format, where lists are strings)"
            } else {
                ""
            };
            out.push(ctx.at(
                rule("IM008"),
                ctx.file(slot.key_span.start),
                format!("`{key}` is a YAML {what}{copied}, not a list; {}", drops(ctx, "it")),
                format!("write `{}:` followed by the entries as a YAML list (`- roleARN: …`), without `|`", slot.key.as_str()),
            ));
            continue;
        }
        if let Some(what) = slot.wrong_type {
            out.push(ctx.at(
                rule("IM008"),
                ctx.file(slot.key_span.start),
                format!("`{}` is a YAML {what}, not a string; ConfigMap data values must be strings, so kubectl and the API server refuse the object", slot.key.as_str()),
                format!("write it as a block string: `{}: |` followed by the list, indented", slot.key.as_str()),
            ));
        }
    }
}

fn data_key_case(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    for (written, span) in &ctx.doc.facts.wrong_case_keys {
        let right = DataKey::ALL
            .iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(written.trim()))
            .map_or("mapRoles", |k| k.as_str());
        if kind(ctx) == CarrierKind::AwsIamConfig {
            out.push(ctx.at(
                rule("IM009"),
                ctx.file(span.start),
                format!("`spec.{written}` is not a field of AWSIamConfig (field names are case-sensitive); the API server drops it, so none of its entries apply"),
                format!("rename it to `{right}`"),
            ));
            continue;
        }
        out.push(ctx.at(
            rule("IM009"),
            ctx.file(span.start),
            format!("data key `{written}` is ignored: the authenticator reads exactly `mapRoles`, `mapUsers` and `mapAccounts` (case-sensitive), so none of its entries apply"),
            format!("rename it to `{right}`"),
        ));
    }
}

// ---------------------------------------------------------------------------------------------
// Whole lists

fn list_dropped(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let mut check = |key: DataKey, errors: &[crate::core::mapping::ListError]| {
        for e in errors {
            if e.kind == ListErrorKind::ItemNotMapping {
                continue;
            }
            let complex_template = e.kind == ListErrorKind::ComplexKey
                && ctx.doc.slot(key).is_some_and(|s| {
                    // The key that fails is the inner `{…}` of `{{…}}`: look one byte back too.
                    let at = |i: usize| s.content.get(i..).is_some_and(|t| t.starts_with("{{"));
                    at(e.span.start) || at(e.span.start.saturating_sub(1))
                });
            let loc = ctx.inner(key, e.span);
            if complex_template {
                out.push(ctx.at(
                    rule("IM011"),
                    loc,
                    if kind(ctx).structured() {
                        format!("an unquoted value starting with `{{{{` in `{}`: YAML reads it as a mapping where a string belongs; {}", path(ctx, key), drops(ctx, "it"))
                    } else {
                        format!("an unquoted value starting with `{{{{` in `{}`: YAML reads it as a mapping, the YAML->JSON step fails and the authenticator drops every entry of `{}`", key.as_str(), key.as_str())
                    },
                    "quote the value: `username: \"{{SessionName}}\"`".into(),
                ));
            } else if key == DataKey::MapAccounts && e.kind == ListErrorKind::Decode {
                out.push(ctx.at(
                    rule("IM010"),
                    loc,
                    format!("`mapAccounts` cannot be read past this value ({}); the authenticator keeps the accounts listed before it and loses the ones after it", e.detail.split(';').next().unwrap_or_default()),
                    "write each account as a quoted 12-digit string: `- \"111122223333\"`".into(),
                ));
            } else {
                out.push(ctx.at(
                    rule("IM010"),
                    loc,
                    if kind(ctx).structured() {
                        format!("`{}` cannot be read ({}); {}", path(ctx, key), e.detail, drops(ctx, "it"))
                    } else {
                        format!("`{}` cannot be read ({}); the authenticator drops every entry of it, node roles included (it logs: {})", key.as_str(), e.detail, e.message.replace('\n', " "))
                    },
                    if e.kind == ListErrorKind::Decode {
                        "write the entries out without what this names (an alias or merge that fails, `.inf`/`.nan`, a null or huge number as a key, an invalid `!!binary` or tag)".into()
                    } else {
                        "fix the indentation or syntax at this line; each entry starts with `- ` and its keys line up under the first one".into()
                    },
                ));
            }
        }
    };
    check(DataKey::MapRoles, &ctx.doc.roles.errors);
    check(DataKey::MapUsers, &ctx.doc.users.errors);
    check(DataKey::MapAccounts, &ctx.doc.accounts.errors);
}

fn comment_only(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let shapes = [
        (DataKey::MapRoles, ctx.doc.roles.shape),
        (DataKey::MapUsers, ctx.doc.users.shape),
        (DataKey::MapAccounts, ctx.doc.accounts.shape),
    ];
    for (key, shape) in shapes {
        let Some(slot) = ctx.doc.slot(key) else {
            continue;
        };
        if shape == ListShape::Null
            && slot
                .content
                .lines()
                .any(|l| l.trim_start().starts_with('#'))
        {
            out.push(ctx.at(
                rule("IM012"),
                ctx.file(slot.key_span.start),
                format!("`{}` holds only comments, so it maps nothing; applying this file removes every `{}` entry the cluster has (node roles included)", key.as_str(), key.as_str()),
                "uncomment the entries, or remove the key if the list is meant to be empty".into(),
            ));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Entries: validity and decoding

fn entry_dropped(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
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

fn list_kind(key: DataKey) -> ListKind {
    if key == DataKey::MapUsers {
        ListKind::Users
    } else {
        ListKind::Roles
    }
}

fn field_type(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
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

fn folded_scalar(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
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

fn role_path(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
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

fn assumed_role(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
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

fn looks_like_placeholder(s: &str) -> bool {
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
fn bad_name_char(resource: &str) -> Option<char> {
    let name = resource
        .strip_prefix("role/")
        .or_else(|| resource.strip_prefix("user/"))?;
    name.chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "+=,.@_-/".contains(*c)))
}

fn invalid_arn(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
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

fn root_or_federated(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
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

fn wrong_list(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
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

fn entry_key_case(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
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

fn unknown_key(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
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

fn entry_duplicate_key(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
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

fn merged_fields(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
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

fn key_spelling_folds(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
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

fn hidden_characters(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
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

fn encoded_value(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
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

fn duplicates(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
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

impl Entry {
    fn key_display(&self) -> String {
        if self.arn.is_empty() {
            self.key()
        } else {
            self.arn.clone()
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Usernames, groups, templates

fn no_groups(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
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

fn no_username(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
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

fn reserved_username(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
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

fn node_role_groups(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
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

fn is_user_arn(arn: &str) -> bool {
    matches!(
        arn::canonicalize(arn),
        Ok((
            PrincipalType::User | PrincipalType::Root | PrincipalType::FederatedUser,
            _
        ))
    )
}

fn templates(e: &Entry) -> impl Iterator<Item = (&'static str, &str)> {
    std::iter::once(("username", e.username.as_str()))
        .chain(e.groups.iter().map(|g| ("groups", g.as_str())))
}

fn ec2_template_on_user(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
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

fn session_template_on_user(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
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

fn caller_chosen_username(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
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

fn unknown_template(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
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

fn system_masters(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
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

// ---------------------------------------------------------------------------------------------
// Accounts, SSO, size

fn map_accounts(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
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

fn sso_entry(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
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

fn size(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let bytes = ctx.doc.facts.data_bytes;
    let loc = ctx.file(ctx.doc.facts.object_span.start);
    if bytes > SIZE_LIMIT {
        out.push(ctx.at(
            rule("IM037"),
            loc,
            format!("the ConfigMap data is {bytes} bytes, over the API server's 1 MiB limit ({SIZE_LIMIT}); the write is refused"),
            "remove duplicate or dead entries, or move principals to EKS access entries".into(),
        ));
    } else if bytes * 10 > SIZE_LIMIT * 9 {
        out.push(ctx.at(
            rule("IM038"),
            loc,
            format!("the ConfigMap data is {bytes} bytes, within 10% of the 1 MiB limit"),
            "clean up duplicate or dead entries before the limit is reached".into(),
        ));
    }
}

// ---------------------------------------------------------------------------------------------
// The authenticator config and EKS Anywhere's AWSIamConfig

fn config_unreadable(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    if let Some((why, offset)) = &ctx.doc.facts.carrier.inner_error {
        out.push(ctx.at(
            rule("IM050"),
            ctx.file(*offset),
            why.clone(),
            "fix `config.yaml` (it is the authenticator's whole config: `clusterID` and `server:` with the lists); `iamidmap validate` reads it like the authenticator".into(),
        ));
    }
}

fn cluster_id(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let c = &ctx.doc.facts.carrier;
    if kind(ctx) != CarrierKind::AuthenticatorConfig || c.inner_error.is_some() {
        return;
    }
    let missing = c
        .cluster_id
        .as_ref()
        .is_none_or(|(id, _)| id.trim().is_empty());
    if missing {
        let at = c.cluster_id.as_ref().map_or(
            c.container_offset
                .unwrap_or(ctx.doc.facts.object_span.start),
            |(_, o)| *o,
        );
        out.push(ctx.at(
            rule("IM051"),
            ctx.file(at),
            "the config has no `clusterID`; the authenticator server refuses to start (\"cluster ID cannot be empty\"), and tokens are bound to that ID".into(),
            "add `clusterID: <the cluster's name>` at the top level; it must equal what `aws-iam-authenticator token -i` and the kubeconfig use".into(),
        ));
    }
}

fn identity_provider_ref(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let f = &ctx.doc.facts;
    if kind(ctx) != CarrierKind::AwsIamConfig || f.carrier.clusters.is_empty() {
        return;
    }
    let name = f.name.as_deref().unwrap_or("");
    let referenced = f
        .carrier
        .clusters
        .iter()
        .any(|c| c.refs.iter().any(|(k, n)| k == "AWSIamConfig" && n == name));
    if referenced {
        return;
    }
    let cluster = &f.carrier.clusters[0];
    let others: Vec<String> = cluster
        .refs
        .iter()
        .filter(|(k, _)| k == "AWSIamConfig")
        .map(|(_, n)| format!("`{n}`"))
        .collect();
    let refers = if others.is_empty() {
        "has no `AWSIamConfig` in `spec.identityProviderRefs`".to_string()
    } else {
        format!("refers to AWSIamConfig {}", others.join(", "))
    };
    out.push(ctx.at(
        rule("IM052"),
        ctx.file(cluster.offset),
        format!(
            "the Cluster `{}` {refers}, not to this AWSIamConfig `{name}`; EKS Anywhere does not use these mappings",
            cluster.name.as_deref().unwrap_or("")
        ),
        format!("add `- kind: AWSIamConfig` / `name: {name}` under the Cluster's `spec.identityProviderRefs`"),
    ));
}

fn backend_modes(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let c = &ctx.doc.facts.carrier;
    let (modes, at) = match (&c.backend_modes, kind(ctx)) {
        (Some((m, at)), k) if k.structured() => (m.clone(), *at),
        (None, CarrierKind::AwsIamConfig) => (
            vec![],
            c.container_offset
                .unwrap_or(ctx.doc.facts.object_span.start),
        ),
        _ => return,
    };
    let refs: Vec<&str> = modes.iter().map(String::as_str).collect();
    if let Err(e) = backend::validate_backend_modes(&refs) {
        out.push(ctx.at(
            rule("IM053"),
            ctx.file(at),
            format!("{e}; the authenticator refuses to start"),
            "list one or more of `MountedFile`, `EKSConfigMap`, `CRD`, `DynamicFile`, each once, in the order they are searched".into(),
        ));
    }
}

fn maps_missing(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let c = &ctx.doc.facts.carrier;
    if kind(ctx) != CarrierKind::AwsIamConfig {
        return;
    }
    let crd_only = c
        .backend_modes
        .as_ref()
        .is_some_and(|(m, _)| !m.is_empty() && m.iter().all(|m| m == "CRD"));
    let has = |k: DataKey| ctx.doc.slot(k).is_some();
    if crd_only || has(DataKey::MapRoles) || has(DataKey::MapUsers) {
        return;
    }
    out.push(ctx.at(
        rule("IM054"),
        ctx.file(c.container_offset.unwrap_or(ctx.doc.facts.object_span.start)),
        "the AWSIamConfig has neither `spec.mapRoles` nor `spec.mapUsers`, and its backend is not CRD: no IAM identity is mapped, so nobody can log in through it".into(),
        "add `mapRoles:` (and/or `mapUsers:`) under `spec`, or set `backendMode: [CRD]` and manage IAMIdentityMapping objects".into(),
    ));
}

fn partition(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    let Some((p, at)) = &ctx.doc.facts.carrier.partition else {
        return;
    };
    if p.is_empty() || arn::is_known_partition(p) {
        return;
    }
    out.push(ctx.at(
        rule("IM055"),
        ctx.file(*at),
        format!("`spec.partition: {p}` is not an AWS partition; the authenticator's STS endpoint and ARNs for it do not exist, so no token verifies"),
        "use `aws`, `aws-cn`, `aws-us-gov` (or another AWS partition), or leave it empty for `aws`".into(),
    ));
}

macro_rules! r {
    ($id:literal, $name:literal, $sev:ident, $check:ident, $summary:literal, $fail:literal, $pass:literal) => {
        Rule {
            id: $id,
            name: $name,
            severity: Severity::$sev,
            summary: $summary,
            fail_example: $fail,
            pass_example: $pass,
            check: $check,
            needs: None,
        }
    };
}

/// A rule `iamidmap check` applies with IAM's or RBAC's answers (core::check makes its findings).
macro_rules! c {
    ($id:literal, $name:literal, $sev:ident, $needs:literal, $summary:literal, $fail:literal, $pass:literal) => {
        Rule {
            id: $id,
            name: $name,
            severity: Severity::$sev,
            summary: $summary,
            fail_example: $fail,
            pass_example: $pass,
            check: none,
            needs: Some($needs),
        }
    };
}

fn none(_: &Ctx<'_>, _: &mut Vec<Finding>) {}

pub static RULES: &[Rule] = &[
    r!(
        "IM001",
        "manifest-syntax",
        Error,
        none,
        "The file is not valid YAML or JSON, so kubectl cannot apply it.",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: aws-auth\n  namespace: kube-system\ndata:\n  mapRoles:|\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n",
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups:\n        - platform-admins\n"
    ),
    r!(
        "IM002",
        "no-aws-auth",
        Error,
        none,
        "Nothing in the file looks like aws-auth (no `mapRoles`, `mapUsers` or `mapAccounts` anywhere).",
        "# apiVersion: v1\n# kind: ConfigMap\n# data:\n#   mapRoles: |\n",
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups:\n        - platform-admins\n"
    ),
    r!(
        "IM003",
        "not-a-configmap",
        Error,
        object_identity,
        "The object is not a complete v1 ConfigMap (wrong apiVersion or kind, or no metadata.name), so kubectl or the authenticator will not use it.",
        "apiVersion: v1\nkind: ConfigMap\ndata:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [platform-admins]\n",
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [platform-admins]\n"
    ),
    r!(
        "IM004",
        "not-kube-system-aws-auth",
        Error,
        object_identity,
        "The ConfigMap has another name or namespace; the authenticator reads only kube-system/aws-auth.",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: aws-auth-staging\n  namespace: kube-system\ndata:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [platform-admins]\n",
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [platform-admins]\n"
    ),
    r!(
        "IM005",
        "namespace-missing",
        Warning,
        object_identity,
        "No metadata.namespace: kubectl apply uses the current namespace, which is usually not kube-system.",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: aws-auth\ndata:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [platform-admins]\n",
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [platform-admins]\n"
    ),
    r!(
        "IM006",
        "patch-fragment",
        Warning,
        patch_fragment,
        "A data-only fragment works only with kubectl patch, and a merge patch replaces each key it names whole.",
        "mapRoles: |\n  - rolearn: arn:aws:iam::111122223333:role/Admin\n    username: admin\n    groups: [platform-admins]\n",
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [platform-admins]\n"
    ),
    r!(
        "IM007",
        "duplicate-key",
        Error,
        duplicate_keys,
        "A key is written twice in the object, its metadata or its data; kubectl refuses the file and lenient tools keep only the last.",
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [platform-admins]\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Dev\n      username: dev\n      groups: [developers]\n",
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [platform-admins]\n    - rolearn: arn:aws:iam::111122223333:role/Dev\n      username: dev\n      groups: [developers]\n"
    ),
    r!(
        "IM008",
        "data-value-not-string",
        Error,
        data_wrong_type,
        "A data value is a YAML list or mapping instead of a string (the `|` is missing); the API server refuses the ConfigMap.",
        "data:\n  mapRoles:\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [platform-admins]\n",
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [platform-admins]\n"
    ),
    r!(
        "IM009",
        "data-key-case",
        Error,
        data_key_case,
        "A data key such as `maproles` or `MapRoles` is in the wrong case; the authenticator silently ignores it.",
        "data:\n  maproles: |\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [platform-admins]\n",
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [platform-admins]\n"
    ),
    r!(
        "IM010",
        "list-dropped",
        Error,
        list_dropped,
        "The YAML inside mapRoles, mapUsers or mapAccounts is invalid (or not a list); the authenticator drops every entry of that key, node roles included.",
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/eks-node\n      username: system:node:{{EC2PrivateDNSName}}\n      groups:\n        - system:bootstrappers\n        - system:nodes\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n     username: admin\n",
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/eks-node\n      username: system:node:{{EC2PrivateDNSName}}\n      groups:\n        - system:bootstrappers\n        - system:nodes\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [platform-admins]\n"
    ),
    r!(
        "IM011",
        "unquoted-template",
        Error,
        list_dropped,
        "A value starts with an unquoted `{{`: YAML reads a mapping, the YAML->JSON step fails and the whole list is dropped.",
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: {{SessionName}}\n      groups: [platform-admins]\n",
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: \"{{SessionName}}\"\n      groups: [platform-admins]\n"
    ),
    r!(
        "IM012",
        "comment-only-list",
        Error,
        comment_only,
        "A map key holds only comments: it maps nothing, and applying the file removes all of that key's entries from the cluster.",
        "data:\n  mapRoles: |\n    # - rolearn: arn:aws:iam::111122223333:role/eks-node\n    #   username: system:node:{{EC2PrivateDNSName}}\n",
        "data:\n  mapRoles: |\n    # node role\n    - rolearn: arn:aws:iam::111122223333:role/eks-node\n      username: system:node:{{EC2PrivateDNSName}}\n      groups:\n        - system:bootstrappers\n        - system:nodes\n"
    ),
    r!(
        "IM013",
        "entry-dropped",
        Error,
        entry_dropped,
        "An entry fails the authenticator's validation (no rolearn/userarn, both rolearn and sso, a bad sso block, not a mapping) and is dropped.",
        "data:\n  mapUsers: |\n    - user_arn: arn:aws:iam::111122223333:user/alice\n      username: alice\n      groups: [developers]\n",
        "data:\n  mapUsers: |\n    - userarn: arn:aws:iam::111122223333:user/alice\n      username: alice\n      groups: [developers]\n"
    ),
    r!(
        "IM014",
        "field-type",
        Error,
        field_type,
        "A field has the wrong type (groups given as a string, an unquoted `yes` or number); the entry is kept with that field empty.",
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups:\n        -system:masters\n",
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups:\n        - system:masters\n"
    ),
    r!(
        "IM015",
        "folded-scalar",
        Error,
        folded_scalar,
        "A group or username continues on the next line (the indentation trap), so two values become one string and nothing is granted.",
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/eks-node\n      username: system:node:{{EC2PrivateDNSName}}\n      groups:\n        - system:bootstrappers\n         - system:nodes\n",
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/eks-node\n      username: system:node:{{EC2PrivateDNSName}}\n      groups:\n        - system:bootstrappers\n        - system:nodes\n"
    ),
    r!(
        "IM016",
        "role-path",
        Error,
        role_path,
        "A role ARN with a path (IAM Identity Center's aws-reserved path included) never matches: callers are matched by the path-less role ARN.",
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/teams/platform/Admin\n      username: admin\n      groups: [platform-admins]\n",
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [platform-admins]\n"
    ),
    r!(
        "IM017",
        "assumed-role-arn",
        Error,
        assumed_role,
        "An sts assumed-role session ARN never matches: callers are matched by their canonical role ARN.",
        "data:\n  mapUsers: |\n    - userarn: arn:aws:sts::111122223333:assumed-role/Admin/alice\n      username: alice\n      groups: [platform-admins]\n",
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin:{{SessionName}}\n      groups: [platform-admins]\n"
    ),
    r!(
        "IM018",
        "invalid-arn",
        Error,
        invalid_arn,
        "The ARN is malformed, has an unknown partition or service, a non-12-digit account, or is an unreplaced placeholder; it never matches.",
        "data:\n  mapRoles: |\n    - rolearn: <ARN of the node instance role>\n      username: system:node:{{EC2PrivateDNSName}}\n      groups:\n        - system:bootstrappers\n        - system:nodes\n",
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/eks-node\n      username: system:node:{{EC2PrivateDNSName}}\n      groups:\n        - system:bootstrappers\n        - system:nodes\n"
    ),
    r!(
        "IM019",
        "root-or-federated",
        Warning,
        root_or_federated,
        "The account root user or a federated-user session is mapped.",
        "data:\n  mapUsers: |\n    - userarn: arn:aws:iam::111122223333:root\n      username: root\n      groups: [platform-admins]\n",
        "data:\n  mapUsers: |\n    - userarn: arn:aws:iam::111122223333:user/alice\n      username: alice\n      groups: [platform-admins]\n"
    ),
    r!(
        "IM020",
        "arn-in-wrong-list",
        Warning,
        wrong_list,
        "A user ARN under mapRoles or a role ARN under mapUsers: it matches, but misleads readers and breaks session templates.",
        "data:\n  mapUsers: |\n    - userarn: arn:aws:iam::111122223333:role/Deployer\n      username: deployer\n      groups: [deployers]\n",
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Deployer\n      username: deployer\n      groups: [deployers]\n"
    ),
    r!(
        "IM021",
        "entry-key-case",
        Info,
        entry_key_case,
        "An entry key in another case (`roleARN`, `UserName`) works, since entry keys are case-insensitive, but is not portable.",
        "data:\n  mapRoles: |\n    - roleARN: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [platform-admins]\n",
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [platform-admins]\n"
    ),
    r!(
        "IM022",
        "unknown-entry-key",
        Warning,
        unknown_key,
        "An entry key the authenticator does not know (`role_arn`, ` username`) is silently ignored.",
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      user_name: admin\n      groups: [platform-admins]\n",
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [platform-admins]\n"
    ),
    r!(
        "IM023",
        "duplicate-arn",
        Error,
        duplicates,
        "The same ARN is mapped twice with different mappings: the last entry silently wins (user ARNs differing only in case resolve at random).",
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [system:masters]\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: viewer\n      groups: [viewers]\n",
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [system:masters, viewers]\n"
    ),
    r!(
        "IM024",
        "duplicate-entry",
        Warning,
        duplicates,
        "The same mapping is written twice.",
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [platform-admins]\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [platform-admins]\n",
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [platform-admins]\n"
    ),
    r!(
        "IM025",
        "no-groups",
        Warning,
        no_groups,
        "An entry has no groups: the caller gets only what RBAC grants its username.",
        "data:\n  mapUsers: |\n    - userarn: arn:aws:iam::111122223333:user/alice\n      username: alice\n",
        "data:\n  mapUsers: |\n    - userarn: arn:aws:iam::111122223333:user/alice\n      username: alice\n      groups: [developers]\n"
    ),
    r!(
        "IM026",
        "no-username",
        Warning,
        no_username,
        "An entry has no username: the caller authenticates with an empty username.",
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      groups: [platform-admins]\n",
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [platform-admins]\n"
    ),
    r!(
        "IM027",
        "reserved-username",
        Warning,
        reserved_username,
        "A username with a reserved prefix (`system:`, `eks:`, `aws:`, `amazon:`, `iam:`) other than the node forms impersonates a system identity.",
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: system:admin\n      groups: [platform-admins]\n",
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [platform-admins]\n"
    ),
    r!(
        "IM028",
        "node-role-groups",
        Error,
        node_role_groups,
        "A node mapping (`system:node:…` username) lacks `system:bootstrappers` or `system:nodes`, so nodes cannot join.",
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/eks-node\n      username: system:node:{{EC2PrivateDNSName}}\n      groups:\n        - system:nodes\n",
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/eks-node\n      username: system:node:{{EC2PrivateDNSName}}\n      groups:\n        - system:bootstrappers\n        - system:nodes\n"
    ),
    r!(
        "IM029",
        "ec2-template-on-user",
        Error,
        ec2_template_on_user,
        "`{{EC2PrivateDNSName}}` on an IAM user (or root) cannot render: there is no instance session, so authentication fails.",
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:user/builder\n      username: system:node:{{EC2PrivateDNSName}}\n      groups:\n        - system:bootstrappers\n        - system:nodes\n",
        "data:\n  mapUsers: |\n    - userarn: arn:aws:iam::111122223333:user/builder\n      username: builder\n      groups: [builders]\n"
    ),
    r!(
        "IM030",
        "session-template-on-user",
        Warning,
        session_template_on_user,
        "`{{SessionName}}` on an IAM user renders empty: users have no session name.",
        "data:\n  mapUsers: |\n    - userarn: arn:aws:iam::111122223333:user/alice\n      username: alice-{{SessionName}}\n      groups: [developers]\n",
        "data:\n  mapUsers: |\n    - userarn: arn:aws:iam::111122223333:user/alice\n      username: alice\n      groups: [developers]\n"
    ),
    r!(
        "IM031",
        "caller-chosen-username",
        Info,
        caller_chosen_username,
        "`{{SessionName}}`/`{{AccessKeyID}}` in a role's username is chosen by whoever assumes the role; safe only when just the IdP or EC2 can assume it.",
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Developer\n      username: dev:{{SessionName}}\n      groups: [developers]\n",
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Developer\n      username: developer\n      groups: [developers]\n"
    ),
    r!(
        "IM032",
        "unknown-template",
        Warning,
        unknown_template,
        "A `{{…}}` placeholder the authenticator does not know is left verbatim (names are case-sensitive).",
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Developer\n      username: \"dev:{{Session}}\"\n      groups: [developers]\n",
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Developer\n      username: \"dev:{{SessionName}}\"\n      groups: [developers]\n"
    ),
    r!(
        "IM033",
        "system-masters",
        Info,
        system_masters,
        "An entry grants `system:masters`, unrestricted admin that RBAC cannot limit.",
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [system:masters]\n",
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [platform-admins]\n"
    ),
    r!(
        "IM034",
        "map-accounts",
        Warning,
        map_accounts,
        "`mapAccounts` lets every role and user of an account authenticate (username = ARN, no groups).",
        "data:\n  mapAccounts: |\n    - \"111122223333\"\n",
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [platform-admins]\n"
    ),
    r!(
        "IM035",
        "invalid-account",
        Error,
        map_accounts,
        "A `mapAccounts` item is not a 12-digit account ID and never matches.",
        "data:\n  mapAccounts: |\n    - \"1111-2222-3333\"\n",
        "data:\n  mapAccounts: |\n    - \"111122223333\"\n"
    ),
    r!(
        "IM036",
        "sso-entry",
        Warning,
        sso_entry,
        "An `sso:` entry needs the alpha SSORoleMatch gate, which EKS does not enable; on EKS it never matches.",
        "data:\n  mapRoles: |\n    - sso:\n        permissionSetName: AdministratorAccess\n        accountID: \"111122223333\"\n      username: admin\n      groups: [platform-admins]\n",
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/AWSReservedSSO_AdministratorAccess_0123456789abcdef\n      username: admin\n      groups: [platform-admins]\n"
    ),
    r!(
        "IM037",
        "size-limit",
        Error,
        size,
        "The data is over the API server's 1 MiB ConfigMap limit; the write is refused.",
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [platform-admins]\n  padding: \"(more than 1 MiB)\"\n",
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [platform-admins]\n"
    ),
    r!(
        "IM038",
        "size-near-limit",
        Warning,
        size,
        "The data is within 10% of the 1 MiB ConfigMap limit.",
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [platform-admins]\n  padding: \"(about 1,000,000 bytes)\"\n",
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [platform-admins]\n"
    ),
    c!(
        "IM039",
        "iam-principal-missing",
        Error,
        "IAM",
        "The mapped role or user does not exist in IAM: the entry is dead, and whoever creates a principal with that name later silently gets its access.",
        "# IAM: there is no role named Admin in 111122223333\ndata:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [platform-admins]\n",
        "# IAM: role Admin exists in 111122223333\ndata:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [platform-admins]\n"
    ),
    c!(
        "IM040",
        "iam-path-mismatch",
        Error,
        "IAM",
        "The entry's ARN has a path the principal does not have (a role entry with a path that is not the role's, a user entry whose path differs from the user's): it never matches. A path-less role entry is right whatever the role's path.",
        "# IAM: user alice has the path /engineering/\ndata:\n  mapUsers: |\n    - userarn: arn:aws:iam::111122223333:user/alice\n      username: alice\n      groups: [developers]\n",
        "# IAM: user alice has the path /engineering/\ndata:\n  mapUsers: |\n    - userarn: arn:aws:iam::111122223333:user/engineering/alice\n      username: alice\n      groups: [developers]\n"
    ),
    c!(
        "IM041",
        "iam-other-account",
        Warning,
        "IAM",
        "The principal is in another account (or partition) than the cluster's: that account controls this access, and its IAM cannot be checked with the cluster account's credentials.",
        "# IAM: the cluster's account is 111122223333\ndata:\n  mapRoles: |\n    - rolearn: arn:aws:iam::444455556666:role/Admin\n      username: admin\n      groups: [platform-admins]\n",
        "# IAM: the cluster's account is 111122223333\ndata:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [platform-admins]\n"
    ),
    c!(
        "IM042",
        "iam-service-linked-role",
        Warning,
        "IAM",
        "The mapped role is service-linked (path `/aws-service-role/`): only an AWS service can assume it, so the entry gives that service cluster access.",
        "# IAM: role AWSServiceRoleForExample has the path /aws-service-role/example.amazonaws.com/\ndata:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/AWSServiceRoleForExample\n      username: example\n      groups: [platform-admins]\n",
        "# IAM: role Admin has the path /\ndata:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [platform-admins]\n"
    ),
    c!(
        "IM043",
        "iam-caller-named-session",
        Warning,
        "IAM",
        "The username takes `{{SessionName}}` and the role's trust policy lets IAM users or whole accounts assume it with no condition on `sts:RoleSessionName`: the caller chooses its own Kubernetes username.",
        "# IAM: role Dev trusts arn:aws:iam::111122223333:root for sts:AssumeRole\ndata:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Dev\n      username: \"{{SessionName}}\"\n      groups: [developers]\n",
        "# IAM: role Dev trusts arn:aws:iam::111122223333:root with sts:RoleSessionName = ${aws:username}\ndata:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Dev\n      username: \"{{SessionName}}\"\n      groups: [developers]\n"
    ),
    c!(
        "IM044",
        "iam-principal-recreated",
        Warning,
        "IAM",
        "IAM created the principal after the entry was last written (the ConfigMap's last write, or the oldest backup that holds the entry): the mapping was written for an earlier principal of that name.",
        "# IAM: role Admin created 2026-06-01; the ConfigMap was last written 2026-03-01\ndata:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [platform-admins]\n",
        "# IAM: role Admin created 2025-06-01; the ConfigMap was last written 2026-03-01\ndata:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [platform-admins]\n"
    ),
    c!(
        "IM045",
        "iam-not-checked",
        Info,
        "IAM",
        "IAM could not be asked about the principal (access denied, throttled past the retries, unreachable).",
        "# IAM: GetRole answers AccessDenied\ndata:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [platform-admins]\n",
        "# IAM: GetRole answers\ndata:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [platform-admins]\n"
    ),
    c!(
        "IM046",
        "rbac-group-unbound",
        Warning,
        "RBAC",
        "A group of the entry is named by no RoleBinding or ClusterRoleBinding, so it grants nothing (`system:masters` and `system:nodes` are authorized without RBAC and never flagged).",
        "# RBAC: no binding names the group platform-admins\ndata:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [platform-admins]\n",
        "# RBAC: ClusterRoleBinding platform-admins binds group platform-admins to cluster-admin\ndata:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [platform-admins]\n"
    ),
    c!(
        "IM047",
        "rbac-grants-nothing",
        Warning,
        "RBAC",
        "Neither the username nor any group of the entry reaches an existing Role or ClusterRole: callers authenticate and are then Forbidden.",
        "# RBAC: nothing binds user dev or group developers\ndata:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Dev\n      username: dev\n      groups: [developers]\n",
        "# RBAC: RoleBinding team-a/developers binds group developers to ClusterRole edit\ndata:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Dev\n      username: dev\n      groups: [developers]\n"
    ),
    c!(
        "IM048",
        "rbac-can-edit-aws-auth",
        Warning,
        "RBAC",
        "The entry's username or groups may update or patch the aws-auth ConfigMap (without holding system:masters): it can map itself to system:masters.",
        "# RBAC: Role kube-system/cm-editor allows update on configmaps; bound to group ops\ndata:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Ops\n      username: ops\n      groups: [ops]\n",
        "# RBAC: Role kube-system/cm-editor allows update on configmaps named coredns; bound to group ops\ndata:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Ops\n      username: ops\n      groups: [ops]\n"
    ),
    c!(
        "IM049",
        "rbac-aws-auth-editor",
        Warning,
        "RBAC",
        "A subject outside aws-auth (a service account, an OIDC user or group; `system:` subjects excepted) may update or patch the aws-auth ConfigMap, and so can make any IAM principal cluster admin.",
        "# RBAC: ClusterRole configmap-writer (update configmaps) bound to ServiceAccount ci/deployer\ndata:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [system:masters]\n",
        "# RBAC: ClusterRole configmap-writer (update configmaps) bound to group system:masters only\ndata:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [system:masters]\n"
    ),
    r!(
        "IM050",
        "authenticator-config-unreadable",
        Error,
        config_unreadable,
        "The `config.yaml` of the aws-iam-authenticator ConfigMap is missing or not valid YAML: the authenticator cannot load its config and does not start.",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: aws-iam-authenticator\n  namespace: kube-system\ndata:\n  config.yaml: |\n    clusterID: prod.example.com\n    server:\n      mapRoles:\n      - roleARN: arn:aws:iam::111122223333:role/Admin\n        username: admin\n       groups: [platform-admins]\n",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: aws-iam-authenticator\n  namespace: kube-system\ndata:\n  config.yaml: |\n    clusterID: prod.example.com\n    server:\n      mapRoles:\n      - roleARN: arn:aws:iam::111122223333:role/Admin\n        username: admin\n        groups: [platform-admins]\n"
    ),
    r!(
        "IM051",
        "cluster-id-missing",
        Error,
        cluster_id,
        "The authenticator config has no `clusterID`: the server refuses to start, and tokens are bound to that ID.",
        "server:\n  mapRoles:\n  - roleARN: arn:aws:iam::111122223333:role/Admin\n    username: admin\n    groups: [platform-admins]\n",
        "clusterID: prod.example.com\nserver:\n  mapRoles:\n  - roleARN: arn:aws:iam::111122223333:role/Admin\n    username: admin\n    groups: [platform-admins]\n"
    ),
    r!(
        "IM052",
        "identity-provider-ref",
        Error,
        identity_provider_ref,
        "No Cluster in the EKS Anywhere spec lists this AWSIamConfig in `spec.identityProviderRefs`, so EKS Anywhere does not use its mappings.",
        "apiVersion: anywhere.eks.amazonaws.com/v1alpha1\nkind: Cluster\nmetadata:\n  name: prod\nspec:\n  identityProviderRefs:\n    - kind: AWSIamConfig\n      name: aws-iam-auth\n---\napiVersion: anywhere.eks.amazonaws.com/v1alpha1\nkind: AWSIamConfig\nmetadata:\n  name: iam-auth\nspec:\n  backendMode: [EKSConfigMap]\n  mapRoles:\n    - roleARN: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [platform-admins]\n",
        "apiVersion: anywhere.eks.amazonaws.com/v1alpha1\nkind: Cluster\nmetadata:\n  name: prod\nspec:\n  identityProviderRefs:\n    - kind: AWSIamConfig\n      name: iam-auth\n---\napiVersion: anywhere.eks.amazonaws.com/v1alpha1\nkind: AWSIamConfig\nmetadata:\n  name: iam-auth\nspec:\n  backendMode: [EKSConfigMap]\n  mapRoles:\n    - roleARN: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [platform-admins]\n"
    ),
    r!(
        "IM053",
        "backend-mode",
        Error,
        backend_modes,
        "The backend modes are empty, unknown or listed twice (aws-iam-authenticator pkg/mapper/mapper.go): the authenticator refuses to start.",
        "apiVersion: anywhere.eks.amazonaws.com/v1alpha1\nkind: Cluster\nmetadata:\n  name: prod\nspec:\n  identityProviderRefs:\n    - kind: AWSIamConfig\n      name: iam-auth\n---\napiVersion: anywhere.eks.amazonaws.com/v1alpha1\nkind: AWSIamConfig\nmetadata:\n  name: iam-auth\nspec:\n  backendMode: [EKSConfigMap, ConfigMapz]\n  mapRoles:\n    - roleARN: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [platform-admins]\n",
        "apiVersion: anywhere.eks.amazonaws.com/v1alpha1\nkind: Cluster\nmetadata:\n  name: prod\nspec:\n  identityProviderRefs:\n    - kind: AWSIamConfig\n      name: iam-auth\n---\napiVersion: anywhere.eks.amazonaws.com/v1alpha1\nkind: AWSIamConfig\nmetadata:\n  name: iam-auth\nspec:\n  backendMode: [EKSConfigMap, CRD]\n  mapRoles:\n    - roleARN: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [platform-admins]\n"
    ),
    r!(
        "IM054",
        "no-mappings",
        Error,
        maps_missing,
        "An AWSIamConfig without `mapRoles` or `mapUsers` whose backend is not CRD maps nobody.",
        "apiVersion: anywhere.eks.amazonaws.com/v1alpha1\nkind: Cluster\nmetadata:\n  name: prod\nspec:\n  identityProviderRefs:\n    - kind: AWSIamConfig\n      name: iam-auth\n---\napiVersion: anywhere.eks.amazonaws.com/v1alpha1\nkind: AWSIamConfig\nmetadata:\n  name: iam-auth\nspec:\n  backendMode: [EKSConfigMap]\n  awsRegion: us-west-2\n",
        "apiVersion: anywhere.eks.amazonaws.com/v1alpha1\nkind: Cluster\nmetadata:\n  name: prod\nspec:\n  identityProviderRefs:\n    - kind: AWSIamConfig\n      name: iam-auth\n---\napiVersion: anywhere.eks.amazonaws.com/v1alpha1\nkind: AWSIamConfig\nmetadata:\n  name: iam-auth\nspec:\n  backendMode: [CRD]\n  awsRegion: us-west-2\n"
    ),
    r!(
        "IM055",
        "unknown-partition",
        Error,
        partition,
        "The AWSIamConfig's `partition` is not an AWS partition, so no token can be verified.",
        "apiVersion: anywhere.eks.amazonaws.com/v1alpha1\nkind: Cluster\nmetadata:\n  name: prod\nspec:\n  identityProviderRefs:\n    - kind: AWSIamConfig\n      name: iam-auth\n---\napiVersion: anywhere.eks.amazonaws.com/v1alpha1\nkind: AWSIamConfig\nmetadata:\n  name: iam-auth\nspec:\n  backendMode: [EKSConfigMap]\n  partition: aws-moon\n  mapRoles:\n    - roleARN: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [platform-admins]\n",
        "apiVersion: anywhere.eks.amazonaws.com/v1alpha1\nkind: Cluster\nmetadata:\n  name: prod\nspec:\n  identityProviderRefs:\n    - kind: AWSIamConfig\n      name: iam-auth\n---\napiVersion: anywhere.eks.amazonaws.com/v1alpha1\nkind: AWSIamConfig\nmetadata:\n  name: iam-auth\nspec:\n  backendMode: [EKSConfigMap]\n  partition: aws-us-gov\n  mapRoles:\n    - roleARN: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [platform-admins]\n"
    ),
    r!(
        "IM056",
        "entry-duplicate-key",
        Warning,
        entry_duplicate_key,
        "A key written twice in one entry: the authenticator keeps the last value (go-yaml is not strict), so the first is silently ignored; strict YAML tools refuse the list instead.",
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [system:masters]\n      groups: [viewers]\n",
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [viewers]\n"
    ),
    r!(
        "IM057",
        "merged-fields",
        Warning,
        merged_fields,
        "An entry that takes fields from a merge key (`<<: *anchor`) or is an alias: the authenticator applies them, but a reviewer reading the entry does not see them.",
        "data:\n  mapRoles: |\n    - &base\n      rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [system:masters]\n    - <<: *base\n      rolearn: arn:aws:iam::111122223333:role/Dev\n      username: dev\n",
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [system:masters]\n    - rolearn: arn:aws:iam::111122223333:role/Dev\n      username: dev\n      groups: [system:masters]\n"
    ),
    r!(
        "IM058",
        "key-spelling-folds",
        Error,
        key_spelling_folds,
        "An entry key spelled with a character Go's case-insensitive match folds to ASCII (`groupſ`, `uſerarn`): it looks like an unknown key but fills the field.",
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Dev\n      username: dev\n      groupſ: [system:masters]\n",
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Dev\n      username: dev\n      groups: [developers]\n"
    ),
    r!(
        "IM059",
        "encoded-value",
        Warning,
        encoded_value,
        "A value written with an explicit tag that changes what it reads as (`!!binary`, a custom tag): the authenticator uses the decoded value, which a reviewer does not see.",
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Dev\n      username: dev\n      groups: [!!binary c3lzdGVtOm1hc3RlcnM=]\n",
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Dev\n      username: dev\n      groups: [system:masters]\n"
    ),
    r!(
        "IM060",
        "hidden-characters",
        Error,
        hidden_characters,
        "An ARN, username or group with control, escape, bidi or zero-width characters: what a terminal or a review shows is not what the authenticator uses (a `system:masters` grant can be made to look like something else).",
        "data:\n  mapUsers: |\n    - userarn: arn:aws:iam::999988887777:user/x\n      username: \"\\r\\e[2Kviewer\\e[8m\"\n      groups: [system:masters]\n",
        "data:\n  mapUsers: |\n    - userarn: arn:aws:iam::111122223333:user/x\n      username: viewer\n      groups: [viewers]\n"
    ),
];
