//! Rules of the other carriers: the aws-iam-authenticator config and EKS Anywhere's AWSIamConfig.

use super::*;

// ---------------------------------------------------------------------------------------------
// The authenticator config and EKS Anywhere's AWSIamConfig

pub(super) fn config_unreadable(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
    if let Some((why, offset)) = &ctx.doc.facts.carrier.inner_error {
        out.push(ctx.at(
            rule("IM050"),
            ctx.file(*offset),
            why.clone(),
            "fix `config.yaml` (it is the authenticator's whole config: `clusterID` and `server:` with the lists); `iamidmap validate` reads it like the authenticator".into(),
        ));
    }
}

pub(super) fn cluster_id(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
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

pub(super) fn identity_provider_ref(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
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

pub(super) fn backend_modes(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
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

pub(super) fn maps_missing(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
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

pub(super) fn partition(ctx: &Ctx<'_>, out: &mut Vec<Finding>) {
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
