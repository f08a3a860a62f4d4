//! Rules about the object and its data keys, whole lists, and the size limit.

use super::*;

// ---------------------------------------------------------------------------------------------
// The object and its data keys

pub(super) fn object_identity(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
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
pub(super) fn authenticator_configmap_identity(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
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

pub(super) fn patch_fragment(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
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

pub(super) fn duplicate_keys(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    for (key, span) in &ctx.doc.facts.duplicate_keys {
        out.push(ctx.at(
            rule("IM007"),
            ctx.file(span.start),
            format!("key `{key}` is written a second time here; kubectl refuses the file (\"key already set in map\"), and lenient tools silently keep only the last one"),
            "merge the two into one key".into(),
        ));
    }
}

pub(super) fn data_wrong_type(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
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

pub(super) fn data_key_case(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
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

pub(super) fn list_dropped(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
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

pub(super) fn comment_only(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
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
// Size

pub(super) fn size(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
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
