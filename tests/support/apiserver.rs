//! A faithful-enough Kubernetes API server for tests, on 127.0.0.1:0: HTTP/1.1 with keep-alive and chunked
//! bodies, plain or HTTPS with a CA made per server (`start_tls`; the kubeconfig carries the CA), written
//! on std::net so that faults (latency, 5xx, dropped connections, conflict storms) are easy to inject.
//!
//! Serves discovery (`/version`, `/api`, `/apis`, `/api/v1`, the RBAC group), a small OpenAPI v3 document
//! (enough for kubectl's default validation, spec/testinfra.md §4.4), core/v1 ConfigMaps and Namespaces and
//! rbac.authorization.k8s.io/v1 Roles, ClusterRoles, RoleBindings and ClusterRoleBindings: get, list,
//! create, replace, merge/strategic/JSON patch, apply patch, delete. As a real server it refuses: requests
//! without a known bearer token (401; static tokens, or IAM tokens verified through STS and mapped through
//! its own aws-auth, as EKS does), writes into a namespace that does not exist (404), a body naming another
//! object or namespace than the URL (400), a resourceVersion on create, changes to an immutable ConfigMap,
//! more than 1 MiB of `data` + `binaryData`, unknown fields under `fieldValidation=Strict`, stale delete
//! preconditions, protobuf bodies (415: it speaks JSON), and impersonated users without a grant (403).
//! Every write bumps `resourceVersion`; a stale one gets 409. Errors are Kubernetes `Status` bodies. Every
//! request is logged with its impersonation headers. Known gaps (as in testinfra.md §4.5): server-side apply
//! is a plain merge, strategic merge is a JSON merge patch, no watch, and authenticated users other than
//! impersonated ones are admins (RBAC is stored, not enforced).

#![allow(dead_code)]

use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Logged {
    pub method: String,
    pub path: String,
    pub query: String,
    pub content_type: Option<String>,
    pub impersonate_user: Option<String>,
    pub impersonate_groups: Vec<String>,
    pub authorization: Option<String>,
    pub user_agent: Option<String>,
    pub status: u16,
}

/// Faults to inject; each counter is used up one request at a time.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    pub latency: Duration,
    /// The next N requests answer 500.
    pub fail_next: usize,
    /// The next N requests are read and then the connection is closed without an answer.
    pub drop_next: usize,
    /// The next N writes (PUT/POST/PATCH/DELETE) are applied, then the connection is closed unanswered.
    pub drop_after_write: usize,
    /// The next N writes of a ConfigMap answer 500 without being applied (everything else is served).
    pub fail_next_write: usize,
    /// After every GET of a ConfigMap, the object is changed (a concurrent writer between read and write).
    pub conflict_storm: bool,
    /// The same for the next N GETs of a ConfigMap only (a burst of conflicts that ends).
    pub conflict_next: usize,
    /// `verb resource` pairs answered 403 (e.g. `update configmaps`).
    pub forbidden: Vec<String>,
    /// When a GET finds no aws-auth, another writer creates it right after answering 404 (a create race).
    pub create_race: bool,
    /// Every request answers 401 (the credentials are refused).
    pub unauthorized: bool,
    /// SelfSubjectReview is not served (404), as on clusters before Kubernetes 1.27.
    pub no_self_subject_review: bool,
}

/// How the server authenticates `k8s-aws-v1.` bearer tokens, as EKS does: the token checked and resolved
/// through STS (the project's own token core and STS call, against the local STS), then mapped through the
/// server's own `kube-system/aws-auth`. A token that does not authenticate gets 401 on every request; a
/// SelfSubjectReview answers the mapped user with `extra.arn` and `extra.canonicalArn`, as EKS does.
#[derive(Debug, Clone)]
pub struct AwsAuthenticator {
    pub cluster_id: String,
    pub sts_url: String,
}

/// The key of an authenticated user's JSON under which the authorizer keeps the access policies of its
/// EKS access entry (as `name` for cluster scope, `name (ns,…)` otherwise); never answered to a client.
const ACCESS_POLICIES: &str = "_accessPolicies";
/// The one access policy the test authorizer knows: every request allowed, as EKS's authorizer does
/// before RBAC (the namespaced Admin/Edit/View policies are not modelled).
const CLUSTER_ADMIN: &str = "AmazonEKSClusterAdminPolicy";

/// Where the authenticator finds the cluster's access entries (`None`: it has none, as in CONFIG_MAP).
pub type AccessSource =
    Arc<dyn Fn() -> Option<iamidmap::core::access::Access> + Send + Sync + 'static>;

#[derive(Default)]
struct State {
    /// Static bearer tokens the server accepts (`test-token`, the kubeconfig's), each an admin.
    tokens: std::collections::BTreeSet<String>,
    /// What impersonated users may do (`verb resource`, e.g. `get configmaps`); `system:masters` may do
    /// anything. Anyone else impersonated gets 403.
    grants: BTreeMap<String, Vec<String>>,
    authenticator: Option<AwsAuthenticator>,
    /// The cluster's EKS authentication mode and access entries, read at each authentication (the test
    /// EKS API's, see [`ApiServer::consult_access_entries`]).
    access_entries: Option<AccessSource>,
    /// Tokens already resolved through STS (a token names one identity for its whole life).
    identities: BTreeMap<String, Option<iamidmap::core::token::Identity>>,
    /// Makes this server's object UIDs its own (two test clusters never share a `kube-system` UID).
    salt: u32,
    /// The user a SelfSubjectReview reports (what the authenticator mapped the caller to); `None`: the
    /// kubeconfig's admin, or the impersonated user.
    whoami: Option<Value>,
    objects: BTreeMap<String, Value>,
    rv: u64,
    uid: u64,
    log: Vec<Logged>,
    faults: Faults,
}

pub struct ApiServer {
    pub port: u16,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
    /// With TLS: the PEM of the CA that signed the server's certificate (for the kubeconfig).
    ca_pem: Option<String>,
}

/// A CA made for one server, and a certificate for 127.0.0.1 and localhost signed by it.
fn tls_config() -> (Arc<rustls::ServerConfig>, String) {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair, KeyUsagePurpose};
    let ca_key = KeyPair::generate().expect("a CA key");
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "iamidmap test cluster CA");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca = ca_params.self_signed(&ca_key).expect("a CA certificate");
    let issuer = rcgen::Issuer::from_params(&ca_params, &ca_key);
    let key = KeyPair::generate().expect("a server key");
    let mut params = CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()])
        .expect("server params");
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "kube-apiserver");
    let cert = params
        .signed_by(&key, &issuer)
        .expect("a server certificate");
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.der().clone(), ca.der().clone()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
        )
        .expect("a TLS server config");
    (Arc::new(config), ca.pem())
}

/// What a path names: the resource (plural), its API prefix, namespace and name.
#[derive(Debug, Clone)]
struct Target {
    prefix: &'static str,
    api_version: &'static str,
    kind: &'static str,
    resource: String,
    namespace: Option<String>,
    name: Option<String>,
}

const RESOURCES: &[(&str, &str, &str, &str, bool)] = &[
    // (plural, kind, prefix, apiVersion, namespaced)
    ("configmaps", "ConfigMap", "/api/v1", "v1", true),
    ("namespaces", "Namespace", "/api/v1", "v1", false),
    (
        "roles",
        "Role",
        "/apis/rbac.authorization.k8s.io/v1",
        "rbac.authorization.k8s.io/v1",
        true,
    ),
    (
        "rolebindings",
        "RoleBinding",
        "/apis/rbac.authorization.k8s.io/v1",
        "rbac.authorization.k8s.io/v1",
        true,
    ),
    (
        "clusterroles",
        "ClusterRole",
        "/apis/rbac.authorization.k8s.io/v1",
        "rbac.authorization.k8s.io/v1",
        false,
    ),
    (
        "clusterrolebindings",
        "ClusterRoleBinding",
        "/apis/rbac.authorization.k8s.io/v1",
        "rbac.authorization.k8s.io/v1",
        false,
    ),
];

fn parse_target(path: &str) -> Option<Target> {
    for (plural, kind, prefix, api_version, namespaced) in RESOURCES {
        let Some(rest) = path.strip_prefix(prefix) else {
            continue;
        };
        let parts: Vec<&str> = rest
            .trim_start_matches('/')
            .split('/')
            .filter(|p| !p.is_empty())
            .collect();
        let t = |namespace: Option<&str>, name: Option<&str>| Target {
            prefix,
            api_version,
            kind,
            resource: plural.to_string(),
            namespace: namespace.map(str::to_string),
            name: name.map(str::to_string),
        };
        match (parts.as_slice(), namespaced) {
            (["namespaces", ns, r], true) if r == plural => return Some(t(Some(ns), None)),
            (["namespaces", ns, r, name], true) if r == plural => {
                return Some(t(Some(ns), Some(name)));
            }
            ([r], _) if r == plural => return Some(t(None, None)),
            ([r, name], false) if r == plural => return Some(t(None, Some(name))),
            _ => {}
        }
    }
    None
}

/// The length-delimited fields of a protobuf message, by field number (wire types 0, 2 and 5 only).
fn protobuf_fields(mut b: &[u8]) -> Option<Vec<(u64, &[u8])>> {
    fn varint(b: &mut &[u8]) -> Option<u64> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let (&byte, rest) = b.split_first()?;
            *b = rest;
            v |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Some(v);
            }
        }
        None
    }
    let mut out = vec![];
    while !b.is_empty() {
        let tag = varint(&mut b)?;
        match tag & 7 {
            0 => {
                varint(&mut b)?;
            }
            2 => {
                let n = usize::try_from(varint(&mut b)?).ok()?;
                if n > b.len() {
                    return None;
                }
                out.push((tag >> 3, &b[..n]));
                b = &b[n..];
            }
            5 => b = b.get(4..)?,
            _ => return None,
        }
    }
    Some(out)
}

/// A SelfSubjectAccessReview sent as protobuf (`k8s\0` + runtime.Unknown{raw: 2}; spec = 2,
/// resourceAttributes = 1: namespace 1, verb 2, group 3, version 4, resource 5, subresource 6, name 7),
/// as the JSON the handler reads.
fn ssar_from_protobuf(body: &[u8]) -> Option<Value> {
    let unknown = protobuf_fields(body.strip_prefix(b"k8s\0")?)?;
    let raw = unknown.iter().find(|(n, _)| *n == 2)?.1;
    let spec = protobuf_fields(raw)?.into_iter().find(|(n, _)| *n == 2)?.1;
    let attrs = protobuf_fields(spec)?.into_iter().find(|(n, _)| *n == 1)?.1;
    let mut out = serde_json::Map::new();
    for (n, v) in protobuf_fields(attrs)? {
        let name = match n {
            1 => "namespace",
            2 => "verb",
            3 => "group",
            4 => "version",
            5 => "resource",
            6 => "subresource",
            7 => "name",
            _ => continue,
        };
        out.insert(name.into(), json!(String::from_utf8_lossy(v)));
    }
    Some(json!({"spec": {"resourceAttributes": out}}))
}

fn key(t: &Target, name: &str) -> String {
    format!(
        "{}/{}/{}",
        t.resource,
        t.namespace.as_deref().unwrap_or(""),
        name
    )
}

fn status(code: u16, reason: &str, message: String, t: Option<&Target>) -> (u16, Value) {
    let mut details = json!({});
    if let Some(t) = t {
        details = json!({"name": t.name.clone().unwrap_or_default(), "kind": t.resource});
    }
    (
        code,
        json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
               "message": message, "reason": reason, "details": details, "code": code}),
    )
}

/// A 422 Invalid as the real server words it: the message, and one cause per field (kubectl prints them).
fn invalid(t: &Target, name: &str, field: &str, detail: &str) -> (u16, Value) {
    (
        422,
        json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
               "message": format!("{} \"{name}\" is invalid: {field}: {detail}", t.kind),
               "reason": "Invalid", "code": 422,
               "details": {"name": name, "kind": t.kind,
                           "causes": [{"reason": "FieldValueForbidden", "message": detail, "field": field}]}}),
    )
}

fn merge_patch(target: &mut Value, patch: &Value) {
    match (target, patch) {
        (Value::Object(t), Value::Object(p)) => {
            for (k, v) in p {
                if v.is_null() {
                    t.remove(k);
                } else {
                    merge_patch(t.entry(k.clone()).or_insert(Value::Null), v);
                }
            }
        }
        (t, p) => *t = p.clone(),
    }
}

fn json_patch(target: &mut Value, ops: &Value) -> Result<(), String> {
    for op in ops.as_array().ok_or("a JSON patch is a list")? {
        let path = op["path"].as_str().ok_or("op without path")?;
        let pointer_parent = &path[..path.rfind('/').unwrap_or(0)];
        let last = path
            .rsplit('/')
            .next()
            .unwrap_or("")
            .replace("~1", "/")
            .replace("~0", "~");
        match op["op"].as_str() {
            Some("remove") => {
                let parent = target.pointer_mut(pointer_parent).ok_or("no such path")?;
                parent
                    .as_object_mut()
                    .ok_or("not an object")?
                    .remove(&last)
                    .ok_or("no such key")?;
            }
            Some("add") | Some("replace") => {
                let parent = target.pointer_mut(pointer_parent).ok_or("no such path")?;
                parent
                    .as_object_mut()
                    .ok_or("not an object")?
                    .insert(last, op["value"].clone());
            }
            Some("test") => {
                if target.pointer(path) != Some(&op["value"]) {
                    return Err("test failed".into());
                }
            }
            other => return Err(format!("unsupported op {other:?}")),
        }
    }
    Ok(())
}

impl State {
    fn next_rv(&mut self) -> String {
        self.rv += 1;
        self.rv.to_string()
    }

    fn stamp(&mut self, obj: &mut Value, t: &Target, name: &str, existing: Option<&Value>) {
        let rv = self.next_rv();
        obj["apiVersion"] = json!(t.api_version);
        obj["kind"] = json!(t.kind);
        let meta = obj["metadata"].as_object_mut().expect("metadata");
        meta.insert("name".into(), json!(name));
        if let Some(ns) = &t.namespace {
            meta.insert("namespace".into(), json!(ns));
        }
        meta.insert("resourceVersion".into(), json!(rv));
        // As field management does: the time of the last write (seconds, UTC).
        meta.insert(
            "managedFields".into(),
            json!([{"manager": "test-writer", "operation": "Update", "apiVersion": t.api_version,
                    "time": jiff::Timestamp::now().strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
                    "fieldsType": "FieldsV1", "fieldsV1": {}}]),
        );
        match existing {
            Some(e) => {
                meta.insert("uid".into(), e["metadata"]["uid"].clone());
                meta.insert(
                    "creationTimestamp".into(),
                    e["metadata"]["creationTimestamp"].clone(),
                );
            }
            None => {
                self.uid += 1;
                meta.insert(
                    "uid".into(),
                    json!(format!("{:08x}-0000-4000-8000-{:012}", self.salt, self.uid)),
                );
                meta.insert("creationTimestamp".into(), json!("2026-01-01T00:00:00Z"));
            }
        }
    }

    /// RBAC as kube-apiserver's authorizer decides it, over the stored Roles, ClusterRoles and their
    /// bindings (an independent reading, not iamidmap's): the binding that allows, as the real server's
    /// reason names it.
    fn rbac_allows(
        &self,
        user: &str,
        groups: &[String],
        verb: &str,
        api_group: &str,
        resource: &str,
        ns: &str,
    ) -> Option<String> {
        let names = |v: &Value, field: &str| -> Vec<String> {
            v[field]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|x| x.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default()
        };
        let matches = |list: &[String], want: &str| list.iter().any(|x| x == "*" || x == want);
        let subject_is_me = |b: &Value| {
            b["subjects"].as_array().is_some_and(|subs| {
                subs.iter().any(|s| match s["kind"].as_str() {
                    Some("User") => s["name"] == user,
                    Some("Group") => groups.iter().any(|g| s["name"] == g.as_str()),
                    _ => false,
                })
            })
        };
        let role_allows = |role: &Value| {
            role["rules"].as_array().is_some_and(|rules| {
                rules.iter().any(|r| {
                    matches(&names(r, "verbs"), verb)
                        && matches(&names(r, "apiGroups"), api_group)
                        && matches(&names(r, "resources"), resource)
                        && names(r, "resourceNames").is_empty()
                })
            })
        };
        for (key, b) in &self.objects {
            let (kind, binding_ns) = match key.split('/').collect::<Vec<_>>()[..] {
                ["clusterrolebindings", _, _] => ("ClusterRoleBinding", None),
                ["rolebindings", n, _] => ("RoleBinding", Some(n)),
                _ => continue,
            };
            if binding_ns.is_some_and(|n| n != ns) || !subject_is_me(b) {
                continue;
            }
            let role_name = b["roleRef"]["name"].as_str().unwrap_or_default();
            let role = match (b["roleRef"]["kind"].as_str(), binding_ns) {
                (Some("ClusterRole"), _) => self.objects.get(&format!("clusterroles//{role_name}")),
                (Some("Role"), Some(n)) => self.objects.get(&format!("roles/{n}/{role_name}")),
                _ => None,
            };
            if role.is_some_and(role_allows) {
                let name = b["metadata"]["name"].as_str().unwrap_or_default();
                return Some(format!(
                    "RBAC: allowed by {kind} \"{name}\" of {} \"{role_name}\"",
                    b["roleRef"]["kind"].as_str().unwrap_or_default()
                ));
            }
        }
        None
    }

    fn handle(
        &mut self,
        method: &str,
        path: &str,
        query: &str,
        ctype: Option<&str>,
        body: &[u8],
        who: Who,
    ) -> (u16, Value) {
        let Who {
            impersonated,
            authenticated,
            bearer,
        } = who;
        let test_path = path.starts_with("/_test/");
        if self.faults.unauthorized && !test_path {
            return status(401, "Unauthorized", "Unauthorized".into(), None);
        }
        // Authentication, as EKS: no anonymous access; a static token the server knows, an IAM token the
        // authenticator maps (or, for tests that simulate another backend such as access entries, a
        // whoami set by the test), anything else 401.
        let iam = bearer
            .as_deref()
            .is_some_and(|t| t.starts_with(iamidmap::core::token::PREFIX));
        let user: Option<Value> = match (&bearer, &authenticated) {
            (Some(t), _) if self.tokens.contains(t) => Some(
                json!({"username": "kubernetes-admin", "groups": ["system:masters", "system:authenticated"]}),
            ),
            (Some(_), Some(Some(u))) => Some(u.clone()),
            (Some(_), _) if iam && self.whoami.is_some() => self.whoami.clone(),
            _ => None,
        };
        if user.is_none() && !test_path {
            return status(401, "Unauthorized", "Unauthorized".into(), None);
        }
        let user = user.unwrap_or_default();
        let is_admin = |u: &Value| {
            u["groups"]
                .as_array()
                .is_some_and(|g| g.iter().any(|g| g == "system:masters"))
        };
        // Impersonation: only an admin may impersonate, and the request is then authorized as the
        // impersonated user.
        if let Some((name, groups)) = &impersonated
            && !test_path
        {
            if !is_admin(&user) {
                return status(
                    403,
                    "Forbidden",
                    format!(
                        "users \"{name}\" is forbidden: User \"{}\" cannot impersonate resource \"users\" in API group \"\" at the cluster scope",
                        user["username"].as_str().unwrap_or_default()
                    ),
                    None,
                );
            }
            if !groups.iter().any(|g| g == "system:masters")
                && path != "/apis/authentication.k8s.io/v1/selfsubjectreviews"
                && path != "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"
                && !is_discovery(path)
            {
                let verb_resource = parse_target(path).map(|t| {
                    let verb = match (method, t.name.is_some()) {
                        ("GET", true) => "get",
                        ("GET", false) => "list",
                        ("POST", _) => "create",
                        ("PUT", _) => "update",
                        ("PATCH", _) => "patch",
                        ("DELETE", _) => "delete",
                        _ => "unknown",
                    };
                    format!("{verb} {}", t.resource)
                });
                let granted = verb_resource
                    .as_ref()
                    .is_some_and(|vr| self.grants.get(name).is_some_and(|g| g.contains(vr)));
                if !granted {
                    return status(
                        403,
                        "Forbidden",
                        format!(
                            "{} is forbidden: User \"{name}\" cannot {}",
                            path,
                            verb_resource.unwrap_or_default()
                        ),
                        None,
                    );
                }
            }
        }
        match (method, path) {
            // Test-only endpoints (not logged): the request log as JSON, and clearing it.
            ("GET", "/_test/log") => {
                let log: Vec<Value> = self
                    .log
                    .iter()
                    .map(|l| json!({"method": l.method, "path": l.path, "status": l.status}))
                    .collect();
                return (200, json!(log));
            }
            ("POST", "/_test/reset-log") => {
                self.log.clear();
                return (200, json!({}));
            }
            // `kubectl auth whoami`: who the authenticator made of the caller.
            ("POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews") => {
                if self.faults.no_self_subject_review {
                    return status(
                        404,
                        "NotFound",
                        "the server could not find the requested resource".into(),
                        None,
                    );
                }
                let user = match (&impersonated, &self.whoami) {
                    (Some((name, groups)), _) => {
                        let mut groups = groups.clone();
                        groups.push("system:authenticated".into());
                        json!({"username": name, "groups": groups})
                    }
                    (None, _) => {
                        // What only the authorizer sees stays out of the answer.
                        let mut u = user.clone();
                        if let Some(o) = u.as_object_mut() {
                            o.remove(ACCESS_POLICIES);
                        }
                        u
                    }
                };
                return (
                    201,
                    json!({"kind": "SelfSubjectReview", "apiVersion": "authentication.k8s.io/v1",
                           "metadata": {"creationTimestamp": null}, "status": {"userInfo": user}}),
                );
            }
            // `kubectl auth can-i`: any authenticated user may ask about itself. Allowed for
            // system:masters and for what the test granted the user (the same model impersonated
            // requests are authorized by).
            ("POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews") => {
                // kubectl sends this one as protobuf (the k8s envelope around the typed message).
                let review: Value = if ctype.is_some_and(|c| c.contains("protobuf")) {
                    match ssar_from_protobuf(body) {
                        Some(v) => v,
                        None => {
                            return status(
                                400,
                                "BadRequest",
                                "cannot decode the protobuf body".into(),
                                None,
                            );
                        }
                    }
                } else if ctype.is_some_and(|c| c.contains("cbor")) {
                    return status(
                        415,
                        "UnsupportedMediaType",
                        "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf".into(),
                        None,
                    );
                } else {
                    serde_json::from_slice(body).unwrap_or_default()
                };
                let attrs = &review["spec"]["resourceAttributes"];
                let (Some(verb), Some(resource)) =
                    (attrs["verb"].as_str(), attrs["resource"].as_str())
                else {
                    return status(
                        400,
                        "BadRequest",
                        "spec.resourceAttributes.verb and .resource are required".into(),
                        None,
                    );
                };
                let (name, groups): (String, Vec<String>) = match &impersonated {
                    Some((name, groups)) => (name.clone(), groups.clone()),
                    None => (
                        user["username"].as_str().unwrap_or_default().to_string(),
                        user["groups"]
                            .as_array()
                            .map(|g| {
                                g.iter()
                                    .filter_map(|x| x.as_str().map(String::from))
                                    .collect()
                            })
                            .unwrap_or_default(),
                    ),
                };
                let api_group = attrs["group"].as_str().unwrap_or_default();
                let ns = attrs["namespace"].as_str().unwrap_or_default();
                let cluster_admin = impersonated.is_none()
                    && user[ACCESS_POLICIES]
                        .as_array()
                        .is_some_and(|p| p.iter().any(|p| p == CLUSTER_ADMIN));
                let reason = if groups.iter().any(|g| g == "system:masters") {
                    Some("system:masters".to_string())
                } else if cluster_admin {
                    Some(format!("{CLUSTER_ADMIN} (EKS access policy)"))
                } else if self
                    .grants
                    .get(&name)
                    .is_some_and(|g| g.contains(&format!("{verb} {resource}")))
                {
                    Some(format!("granted to {name} by the test"))
                } else {
                    self.rbac_allows(&name, &groups, verb, api_group, resource, ns)
                };
                let mut status_body = json!({"allowed": reason.is_some()});
                if let Some(r) = reason {
                    status_body["reason"] = json!(r);
                }
                return (
                    201,
                    json!({"kind": "SelfSubjectAccessReview", "apiVersion": "authorization.k8s.io/v1",
                           "metadata": {"creationTimestamp": null}, "spec": review["spec"], "status": status_body}),
                );
            }
            ("GET", "/version") => {
                return (
                    200,
                    json!({"major": "1", "minor": "33", "gitVersion": "v1.33.0-iamidmap-test", "platform": "linux/amd64"}),
                );
            }
            ("GET", "/api") => {
                return (
                    200,
                    json!({"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}]}),
                );
            }
            ("GET", "/apis") => {
                return (
                    200,
                    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": [
                {"name": "rbac.authorization.k8s.io", "versions": [{"groupVersion": "rbac.authorization.k8s.io/v1", "version": "v1"}],
                 "preferredVersion": {"groupVersion": "rbac.authorization.k8s.io/v1", "version": "v1"}}]}),
                );
            }
            ("GET", "/api/v1") | ("GET", "/apis/rbac.authorization.k8s.io/v1") => {
                let group = if path == "/api/v1" {
                    "v1"
                } else {
                    "rbac.authorization.k8s.io/v1"
                };
                let resources: Vec<Value> = RESOURCES.iter().filter(|r| r.3 == group).map(|(plural, kind, _, _, namespaced)| json!({
                    "name": plural, "singularName": kind.to_lowercase(), "namespaced": namespaced, "kind": kind,
                    "shortNames": if *plural == "configmaps" { json!(["cm"]) } else { json!([]) },
                    "verbs": ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]})).collect();
                return (
                    200,
                    json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group, "resources": resources}),
                );
            }
            ("GET", "/openapi/v3") => {
                return (
                    200,
                    json!({"paths": {
                "api/v1": {"serverRelativeURL": "/openapi/v3/api/v1?hash=iamidmap"},
                "apis/rbac.authorization.k8s.io/v1": {"serverRelativeURL": "/openapi/v3/apis/rbac.authorization.k8s.io/v1?hash=iamidmap"}}}),
                );
            }
            ("GET", "/openapi/v3/api/v1")
            | ("GET", "/openapi/v3/apis/rbac.authorization.k8s.io/v1") => {
                let mut paths = serde_json::Map::new();
                for (plural, kind, prefix, api_version, namespaced) in RESOURCES {
                    if !path.ends_with(prefix.trim_start_matches('/')) {
                        continue;
                    }
                    let (group, version) = match api_version.split_once('/') {
                        Some((g, v)) => (g, v),
                        None => ("", *api_version),
                    };
                    let p = if *namespaced {
                        format!("{prefix}/namespaces/{{namespace}}/{plural}/{{name}}")
                    } else {
                        format!("{prefix}/{plural}/{{name}}")
                    };
                    paths.insert(p, json!({"patch": {"x-kubernetes-group-version-kind": {"group": group, "version": version, "kind": kind},
                        "parameters": [{"name": "fieldValidation", "in": "query", "schema": {"type": "string"}}]}}));
                }
                return (
                    200,
                    json!({"openapi": "3.0.0", "info": {"title": "iamidmap test API server", "version": "v1.33.0"}, "paths": paths}),
                );
            }
            _ => {}
        }
        let Some(t) = parse_target(path) else {
            return status(
                404,
                "NotFound",
                "the server could not find the requested resource".into(),
                None,
            );
        };
        let verb = match (method, t.name.is_some()) {
            ("GET", true) => "get",
            ("GET", false) => "list",
            ("POST", _) => "create",
            ("PUT", _) => "update",
            ("PATCH", _) => "patch",
            ("DELETE", _) => "delete",
            _ => "unknown",
        };
        if self
            .faults
            .forbidden
            .iter()
            .any(|f| *f == format!("{verb} {}", t.resource))
        {
            let msg = format!(
                "{} \"{}\" is forbidden: User \"test-user\" cannot {verb} resource \"{}\" in API group \"\" in the namespace \"{}\"",
                t.resource,
                t.name.clone().unwrap_or_default(),
                t.resource,
                t.namespace.clone().unwrap_or_default()
            );
            return status(403, "Forbidden", msg, Some(&t));
        }
        let parse_body = || serde_json::from_slice::<Value>(body).map_err(|e| e.to_string());
        // As the real server: a fieldValidation directive must be known; Strict refuses unknown fields.
        let directive = query
            .split('&')
            .find_map(|kv| kv.strip_prefix("fieldValidation="))
            .map(str::to_string);
        if let Some(d) = &directive
            && !matches!(d.as_str(), "Ignore" | "Warn" | "Strict" | "")
        {
            return status(
                400,
                "BadRequest",
                format!("invalid fieldValidation directive: {d}"),
                Some(&t),
            );
        }
        if matches!(method, "POST" | "PUT" | "PATCH")
            && ctype.is_some_and(|c| c.contains("protobuf") || c.contains("cbor"))
        {
            return status(
                415,
                "UnsupportedMediaType",
                format!(
                    "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml ({})",
                    ctype.unwrap_or_default()
                ),
                Some(&t),
            );
        }
        if matches!(method, "POST" | "PUT" | "PATCH") {
            let body_value = parse_body();
            if let Ok(obj) = &body_value
                && let Err(e) = check_write(self, &t, obj, directive.as_deref())
            {
                return e;
            }
        }
        match (method, t.name.clone()) {
            ("GET", None) => {
                let prefix = format!("{}/{}/", t.resource, t.namespace.as_deref().unwrap_or(""));
                let items: Vec<Value> = self
                    .objects
                    .iter()
                    .filter(|(k, _)| {
                        if t.namespace.is_some() {
                            k.starts_with(&prefix)
                        } else {
                            k.starts_with(&format!("{}/", t.resource))
                        }
                    })
                    .map(|(_, v)| v.clone())
                    .collect();
                (
                    200,
                    json!({"kind": format!("{}List", t.kind), "apiVersion": t.api_version, "metadata": {"resourceVersion": self.rv.to_string()}, "items": items}),
                )
            }
            ("GET", Some(name)) => match self.objects.get(&key(&t, &name)).cloned() {
                Some(obj) => {
                    let burst = self.faults.conflict_next > 0 && t.resource == "configmaps";
                    if burst {
                        self.faults.conflict_next -= 1;
                    }
                    if (self.faults.conflict_storm || burst) && t.resource == "configmaps" {
                        let k = key(&t, &name);
                        let rv = self.next_rv();
                        let o = self.objects.get_mut(&k).unwrap();
                        o["metadata"]["resourceVersion"] = json!(rv);
                        let n = o["metadata"]["annotations"]["test/storm"]
                            .as_str()
                            .unwrap_or("0")
                            .parse::<u64>()
                            .unwrap_or(0)
                            + 1;
                        o["metadata"]["annotations"]["test/storm"] = json!(n.to_string());
                    }
                    (200, obj)
                }
                None if t.resource == "namespaces"
                    && (name == "kube-system" || name == "default") =>
                {
                    (
                        200,
                        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "resourceVersion": "1"}}),
                    )
                }
                None => {
                    if self.faults.create_race && t.resource == "configmaps" && name == "aws-auth" {
                        // Another writer creates the object right after this 404 was decided.
                        self.faults.create_race = false;
                        let mut obj = json!({"metadata": {}, "data": {"mapUsers": "- userarn: arn:aws:iam::111122223333:user/racer\n  username: racer\n"}});
                        self.stamp(&mut obj, &t, &name, None);
                        self.objects.insert(key(&t, &name), obj);
                    }
                    status(
                        404,
                        "NotFound",
                        format!("{} \"{name}\" not found", t.resource),
                        Some(&t),
                    )
                }
            },
            ("POST", None) => {
                let mut obj = match parse_body() {
                    Ok(v) => v,
                    Err(e) => return status(400, "BadRequest", e, Some(&t)),
                };
                let Some(name) = obj["metadata"]["name"].as_str().map(str::to_string) else {
                    return status(
                        422,
                        "Invalid",
                        format!(
                            "{} \"\" is invalid: metadata.name: Required value: name or generateName is required",
                            t.kind
                        ),
                        Some(&t),
                    );
                };
                let k = key(&t, &name);
                if self.objects.contains_key(&k) {
                    let tn = Target {
                        name: Some(name.clone()),
                        ..t.clone()
                    };
                    return status(
                        409,
                        "AlreadyExists",
                        format!("{} \"{name}\" already exists", t.resource),
                        Some(&tn),
                    );
                }
                if let Err(e) = check_data(&obj) {
                    return status(422, "Invalid", e, Some(&t));
                }
                self.stamp(&mut obj, &t, &name, None);
                self.objects.insert(k, obj.clone());
                (201, obj)
            }
            ("PUT", Some(name)) => {
                let mut obj = match parse_body() {
                    Ok(v) => v,
                    Err(e) => return status(400, "BadRequest", e, Some(&t)),
                };
                let k = key(&t, &name);
                let Some(existing) = self.objects.get(&k).cloned() else {
                    return status(
                        404,
                        "NotFound",
                        format!("{} \"{name}\" not found", t.resource),
                        Some(&t),
                    );
                };
                if let Some(rv) = obj["metadata"]["resourceVersion"].as_str()
                    && rv
                        != existing["metadata"]["resourceVersion"]
                            .as_str()
                            .unwrap_or("")
                {
                    return conflict(&t, &name);
                }
                if let Err(e) = check_data(&obj) {
                    return status(422, "Invalid", e, Some(&t));
                }
                if let Err(field) = check_immutable(&existing, &obj) {
                    return invalid(
                        &t,
                        &name,
                        field,
                        "Forbidden: field is immutable when `immutable` is set",
                    );
                }
                self.stamp(&mut obj, &t, &name, Some(&existing));
                self.objects.insert(k, obj.clone());
                (200, obj)
            }
            ("PATCH", Some(name)) => {
                let patch = match parse_body() {
                    Ok(v) => v,
                    Err(e) => return status(400, "BadRequest", e, Some(&t)),
                };
                let k = key(&t, &name);
                let apply = ctype.is_some_and(|c| c.starts_with("application/apply-patch"));
                let existing = match self.objects.get(&k).cloned() {
                    Some(e) => e,
                    None if apply => json!({"metadata": {}}),
                    None => {
                        return status(
                            404,
                            "NotFound",
                            format!("{} \"{name}\" not found", t.resource),
                            Some(&t),
                        );
                    }
                };
                if let Some(rv) = patch["metadata"]["resourceVersion"].as_str()
                    && rv
                        != existing["metadata"]["resourceVersion"]
                            .as_str()
                            .unwrap_or("")
                {
                    return conflict(&t, &name);
                }
                let mut obj = existing.clone();
                if ctype.is_some_and(|c| c.starts_with("application/json-patch")) {
                    if let Err(e) = json_patch(&mut obj, &patch) {
                        return status(422, "Invalid", e, Some(&t));
                    }
                } else {
                    merge_patch(&mut obj, &patch);
                }
                if let Err(e) = check_data(&obj) {
                    return status(422, "Invalid", e, Some(&t));
                }
                if let Err(field) = check_immutable(&existing, &obj) {
                    return invalid(
                        &t,
                        &name,
                        field,
                        "Forbidden: field is immutable when `immutable` is set",
                    );
                }
                let had = self.objects.get(&k).cloned();
                self.stamp(&mut obj, &t, &name, had.as_ref());
                self.objects.insert(k, obj.clone());
                (200, obj)
            }
            ("DELETE", Some(name)) => {
                // DeleteOptions preconditions: the object must still be the one the caller saw.
                if let (Ok(opts), Some(existing)) =
                    (parse_body(), self.objects.get(&key(&t, &name)))
                {
                    let pre = &opts["preconditions"];
                    let meta = &existing["metadata"];
                    if let Some(uid) = pre["uid"].as_str()
                        && Some(uid) != meta["uid"].as_str()
                    {
                        return status(
                            409,
                            "Conflict",
                            format!(
                                "Precondition failed: UID in precondition: {uid}, UID in object meta: {}",
                                meta["uid"].as_str().unwrap_or_default()
                            ),
                            Some(&t),
                        );
                    }
                    if let Some(rv) = pre["resourceVersion"].as_str()
                        && Some(rv) != meta["resourceVersion"].as_str()
                    {
                        return status(
                            409,
                            "Conflict",
                            format!(
                                "Operation cannot be fulfilled on {} \"{name}\": the ResourceVersion in the precondition ({rv}) does not match the ResourceVersion in record ({}). The object might have been modified",
                                t.resource,
                                meta["resourceVersion"].as_str().unwrap_or_default()
                            ),
                            Some(&t),
                        );
                    }
                }
                match self.objects.remove(&key(&t, &name)) {
                    Some(_) => (
                        200,
                        json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "details": {"name": name, "kind": t.resource}}),
                    ),
                    None => status(
                        404,
                        "NotFound",
                        format!("{} \"{name}\" not found", t.resource),
                        Some(&t),
                    ),
                }
            }
            _ => status(
                405,
                "MethodNotAllowed",
                format!("{method} is not supported on {path}"),
                Some(&t),
            ),
        }
    }
}

/// Discovery and OpenAPI paths (every authenticated user may read them, as with RBAC's
/// `system:discovery`).
fn is_discovery(path: &str) -> bool {
    path == "/version"
        || path == "/api"
        || path == "/apis"
        || path == "/api/v1"
        || path == "/apis/rbac.authorization.k8s.io/v1"
        || path.starts_with("/openapi/")
}

fn conflict(t: &Target, name: &str) -> (u16, Value) {
    let tn = Target {
        name: Some(name.to_string()),
        ..t.clone()
    };
    status(
        409,
        "Conflict",
        format!(
            "Operation cannot be fulfilled on {} \"{name}\": the object has been modified; please apply your changes to the latest version and try again",
            t.resource
        ),
        Some(&tn),
    )
}

/// What the real API server checks of every object written: the namespace exists, the body names the
/// object and namespace of the URL, no resourceVersion on create, and (fieldValidation=Strict) no unknown
/// fields of a ConfigMap.
fn check_write(
    state: &State,
    t: &Target,
    obj: &Value,
    directive: Option<&str>,
) -> Result<(), (u16, Value)> {
    let meta = &obj["metadata"];
    if let Some(ns) = &t.namespace
        && !state.objects.contains_key(&format!("namespaces//{ns}"))
    {
        return Err(status(
            404,
            "NotFound",
            format!("namespaces \"{ns}\" not found"),
            None,
        ));
    }
    if let (Some(url_ns), Some(body_ns)) = (&t.namespace, meta["namespace"].as_str())
        && url_ns != body_ns
    {
        return Err(status(
            400,
            "BadRequest",
            "the namespace of the provided object does not match the namespace sent on the request"
                .into(),
            Some(t),
        ));
    }
    if let (Some(url_name), Some(body_name)) = (&t.name, meta["name"].as_str())
        && url_name != body_name
    {
        return Err(status(
            400,
            "BadRequest",
            format!(
                "the name of the object ({body_name}) does not match the name on the URL ({url_name})"
            ),
            Some(t),
        ));
    }
    if t.name.is_none()
        && meta["resourceVersion"]
            .as_str()
            .is_some_and(|rv| !rv.is_empty())
    {
        return Err(status(
            500,
            "InternalError",
            "Internal error occurred: resourceVersion should not be set on objects to be created"
                .into(),
            Some(t),
        ));
    }
    if directive == Some("Strict") && t.resource == "configmaps" {
        let known = [
            "apiVersion",
            "kind",
            "metadata",
            "data",
            "binaryData",
            "immutable",
        ];
        if let Some(unknown) = obj
            .as_object()
            .and_then(|o| o.keys().find(|k| !known.contains(&k.as_str())))
        {
            return Err(status(
                400,
                "BadRequest",
                format!("strict decoding error: unknown field \"{unknown}\""),
                Some(t),
            ));
        }
    }
    Ok(())
}

/// An immutable ConfigMap keeps its data, and stays immutable: the field that would change, if any.
fn check_immutable(existing: &Value, new: &Value) -> Result<(), &'static str> {
    if existing["immutable"] != json!(true) {
        return Ok(());
    }
    if new["immutable"] != json!(true) {
        return Err("immutable");
    }
    if existing["data"] != new["data"] {
        return Err("data");
    }
    if existing["binaryData"] != new["binaryData"] {
        return Err("binaryData");
    }
    Ok(())
}

/// ConfigMap data values must be strings, as the real API server validates.
fn check_data(obj: &Value) -> Result<(), String> {
    if obj["kind"] != "ConfigMap" && !obj.get("data").is_some_and(Value::is_object) {
        return Ok(());
    }
    let mut total = 0;
    if let Some(data) = obj.get("data").and_then(Value::as_object) {
        for (k, v) in data {
            let Some(v) = v.as_str() else {
                return Err(format!(
                    "ConfigMap \"{}\" is invalid: data[{k}]: Invalid value: must be a string",
                    obj["metadata"]["name"].as_str().unwrap_or("")
                ));
            };
            total += v.len();
        }
    }
    // As the API server counts its limit: the bytes of every `data` and `binaryData` value.
    if let Some(binary) = obj.get("binaryData").and_then(Value::as_object) {
        use base64::Engine;
        for v in binary.values() {
            total += base64::engine::general_purpose::STANDARD
                .decode(v.as_str().unwrap_or_default())
                .map_or(0, |b| b.len());
        }
    }
    if total > 1024 * 1024 {
        return Err(format!(
            "ConfigMap \"{}\" is invalid: []: Too long: may not be more than 1048576 bytes",
            obj["metadata"]["name"].as_str().unwrap_or("")
        ));
    }
    Ok(())
}

fn reason_phrase(code: u16) -> &'static str {
    match code {
        200 => "OK",
        201 => "Created",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        415 => "Unsupported Media Type",
        409 => "Conflict",
        422 => "Unprocessable Entity",
        _ => "Internal Server Error",
    }
}

/// Who a request comes from: the impersonation headers, and what an IAM token authenticated as (`None`:
/// not an IAM token or no authenticator; `Some(None)`: refused).
struct Who {
    impersonated: Option<(String, Vec<String>)>,
    authenticated: Option<Option<Value>>,
    /// The bearer token sent, if any.
    bearer: Option<String>,
}

/// Authenticate an IAM token as EKS does (`None`: no authenticator configured; `Some(None)`: 401).
fn authenticate(state: &Arc<Mutex<State>>, token: &str) -> Option<Option<Value>> {
    let (authenticator, cached, data, answer, access) = {
        let s = state.lock().unwrap();
        let data: BTreeMap<String, String> = s
            .objects
            .get("configmaps/kube-system/aws-auth")
            .and_then(|cm| serde_json::from_value(cm["data"].clone()).ok())
            .unwrap_or_default();
        (
            s.authenticator.clone()?,
            s.identities.get(token).cloned(),
            data,
            s.whoami.clone(),
            s.access_entries.clone(),
        )
    };
    let identity = match cached {
        Some(id) => id,
        None => {
            // Outside the lock: the STS call takes a while, and other requests go on meanwhile.
            let verifier = iamidmap::core::token::Verifier {
                cluster_id: authenticator.cluster_id.clone(),
                partition: "aws".into(),
                region: "us-east-1".into(),
            };
            let now = jiff::Timestamp::now().as_second();
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            let id = rt
                .block_on(iamidmap::adapters::sts::identity(
                    token,
                    &verifier,
                    now,
                    Some(&authenticator.sts_url),
                ))
                .ok();
            state
                .lock()
                .unwrap()
                .identities
                .insert(token.to_string(), id.clone());
            id
        }
    };
    let Some(identity) = identity else {
        return Some(None);
    };
    // A test that simulates another backend (an EKS access entry) says whom the token maps to.
    if let Some(answer) = answer {
        return Some(Some(answer));
    }
    let doc = iamidmap::core::document::live::document(
        "configmap kube-system/aws-auth",
        "kube-system",
        "aws-auth",
        &data,
        None,
    )
    .ok()?;
    let mapping = doc.effective();
    let review = iamidmap::core::review::chain(
        &identity,
        &[iamidmap::core::review::Backend {
            mode: iamidmap::core::mapping::backend::BackendMode::EksConfigMap,
            mapping: Ok(&mapping),
        }],
        None,
        &[],
    );
    // EKS: the caller's access entry first (in the modes that read them), aws-auth next.
    let (review, policies) = match access.and_then(|f| f()) {
        Some(a) => {
            let policies: Vec<String> = a
                .entry_for(&identity.canonical_arn)
                .map(|e| e.access_policies.iter().map(|p| p.label()).collect())
                .unwrap_or_default();
            (
                iamidmap::core::review::eks(&identity, &a, review, None),
                policies,
            )
        }
        None => (review, vec![]),
    };
    if !review.authenticated {
        return Some(None);
    }
    let mut user = review.token_review()["status"]["user"].clone();
    if !policies.is_empty() {
        user[ACCESS_POLICIES] = json!(policies);
    }
    if let Some(groups) = user["groups"].as_array_mut() {
        groups.push(json!("system:authenticated"));
    }
    Some(Some(user))
}

/// A client connection: plain TCP or TLS over it.
trait Conn: Read + Write {
    fn close(&mut self);
}

impl Conn for TcpStream {
    fn close(&mut self) {
        let _ = self.shutdown(std::net::Shutdown::Both);
    }
}

impl Conn for rustls::StreamOwned<rustls::ServerConnection, TcpStream> {
    fn close(&mut self) {
        let _ = self.sock.shutdown(std::net::Shutdown::Both);
    }
}

fn serve_connection(stream: impl Conn, state: Arc<Mutex<State>>) {
    let mut reader = BufReader::new(stream);
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
            return;
        }
        let mut parts = request_line.split_whitespace();
        let (method, target) = (
            parts.next().unwrap_or("").to_string(),
            parts.next().unwrap_or("").to_string(),
        );
        let mut headers: Vec<(String, String)> = vec![];
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((k, v)) = line.split_once(':') {
                headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
            }
        }
        let header = |name: &str| {
            headers
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        };
        // A body with Content-Length, or chunked (what client-go sends for `--raw` and streamed bodies).
        let chunked =
            header("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked"));
        let body = if chunked {
            let mut body = vec![];
            loop {
                let mut size_line = String::new();
                if reader.read_line(&mut size_line).unwrap_or(0) == 0 {
                    return;
                }
                let size =
                    usize::from_str_radix(size_line.trim().split(';').next().unwrap_or(""), 16)
                        .unwrap_or(0);
                if size == 0 {
                    // Trailers (if any) end with an empty line.
                    loop {
                        let mut l = String::new();
                        if reader.read_line(&mut l).unwrap_or(0) == 0 || l.trim().is_empty() {
                            break;
                        }
                    }
                    break;
                }
                let mut chunk = vec![0u8; size + 2];
                if reader.read_exact(&mut chunk).is_err() {
                    return;
                }
                body.extend_from_slice(&chunk[..size]);
            }
            body
        } else {
            let len: usize = header("content-length")
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            let mut body = vec![0u8; len];
            if reader.read_exact(&mut body).is_err() {
                return;
            }
            body
        };
        let (path, query) = target.split_once('?').unwrap_or((&target, ""));
        let (path, query) = (path.to_string(), query.to_string());
        let ctype = header("content-type");
        let is_write = matches!(method.as_str(), "PUT" | "POST" | "PATCH" | "DELETE");
        let (latency, drop_before, fail, drop_after) = {
            let mut s = state.lock().unwrap();
            let f = &mut s.faults;
            let drop_before = f.drop_next > 0;
            if drop_before {
                f.drop_next -= 1;
            }
            let fail_any = !drop_before && f.fail_next > 0;
            if fail_any {
                f.fail_next -= 1;
            }
            let fail_write = !drop_before
                && !fail_any
                && is_write
                && path.contains("/configmaps")
                && f.fail_next_write > 0;
            if fail_write {
                f.fail_next_write -= 1;
            }
            let fail = fail_any || fail_write;
            let drop_after = !drop_before && !fail && is_write && f.drop_after_write > 0;
            if drop_after {
                f.drop_after_write -= 1;
            }
            (f.latency, drop_before, fail, drop_after)
        };
        if !latency.is_zero() {
            std::thread::sleep(latency);
        }
        let (code, value) = if drop_before {
            (0, Value::Null)
        } else if fail {
            status(
                500,
                "InternalError",
                "Internal error occurred: injected by the test".into(),
                None,
            )
        } else {
            let impersonated = header("impersonate-user").map(|u| {
                let groups = headers
                    .iter()
                    .filter(|(k, _)| k == "impersonate-group")
                    .map(|(_, v)| v.clone())
                    .collect();
                (u, groups)
            });
            let authenticated = header("authorization")
                .and_then(|a| a.strip_prefix("Bearer ").map(str::to_string))
                .filter(|t| t.starts_with(iamidmap::core::token::PREFIX))
                .and_then(|token| authenticate(&state, &token));
            state.lock().unwrap().handle(
                &method,
                &path,
                &query,
                ctype.as_deref(),
                &body,
                Who {
                    impersonated,
                    authenticated,
                    bearer: header("authorization")
                        .and_then(|a| a.strip_prefix("Bearer ").map(str::to_string)),
                },
            )
        };
        if path.starts_with("/_test/") {
            // not logged
        } else {
            state.lock().unwrap().log.push(Logged {
                method: method.clone(),
                path: path.clone(),
                query: query.clone(),
                content_type: ctype,
                impersonate_user: header("impersonate-user"),
                impersonate_groups: headers
                    .iter()
                    .filter(|(k, _)| k == "impersonate-group")
                    .map(|(_, v)| v.clone())
                    .collect(),
                authorization: header("authorization"),
                user_agent: header("user-agent"),
                status: code,
            });
        }
        if drop_before || drop_after {
            reader.get_mut().close();
            return;
        }
        let body = serde_json::to_vec(&value).unwrap();
        let head = format!(
            "HTTP/1.1 {code} {}\r\nContent-Type: application/json\r\nDate: {}\r\nContent-Length: {}\r\n\r\n",
            reason_phrase(code),
            // As Go's net/http writes it (RFC 7231 IMF-fixdate).
            jiff::Timestamp::now().strftime("%a, %d %b %Y %H:%M:%S GMT"),
            body.len()
        );
        // One write per answer: a head and a body in two segments (two TLS records) meet the client's
        // delayed ACK and cost a round trip each time.
        let mut answer = head.into_bytes();
        answer.extend_from_slice(&body);
        let writer = reader.get_mut();
        if writer
            .write_all(&answer)
            .and_then(|_| writer.flush())
            .is_err()
        {
            return;
        }
    }
}

impl ApiServer {
    /// A plain-HTTP server (for the standalone server of benches/compare.sh and hand-made kubeconfigs).
    pub fn start() -> ApiServer {
        Self::launch(None)
    }

    /// An HTTPS server with a CA of its own, as a real API server: the kubeconfig it writes carries the CA.
    pub fn start_tls() -> ApiServer {
        Self::launch(Some(tls_config()))
    }

    fn launch(tls: Option<(Arc<rustls::ServerConfig>, String)>) -> ApiServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let port = listener.local_addr().unwrap().port();
        listener.set_nonblocking(true).unwrap();
        // Like a real cluster: the namespaces exist from the start, each with its own UID.
        let mut initial = State {
            salt: port as u32 ^ std::process::id().rotate_left(16),
            tokens: ["test-token".to_string()].into_iter().collect(),
            ..State::default()
        };
        for ns in ["default", "kube-system", "kube-public"] {
            let t = parse_target(&format!("/api/v1/namespaces/{ns}")).unwrap();
            let mut obj = json!({"metadata": {}});
            initial.stamp(&mut obj, &t, ns, None);
            initial.objects.insert(key(&t, ns), obj);
        }
        let state = Arc::new(Mutex::new(initial));
        let stop = Arc::new(AtomicBool::new(false));
        let (st, sp) = (state.clone(), stop.clone());
        let config = tls.as_ref().map(|(c, _)| c.clone());
        std::thread::spawn(move || {
            while !sp.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let _ = stream.set_nonblocking(false);
                        let _ = stream.set_nodelay(true);
                        let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
                        let st = st.clone();
                        let config = config.clone();
                        std::thread::spawn(move || match config {
                            None => serve_connection(stream, st),
                            Some(config) => {
                                let Ok(conn) = rustls::ServerConnection::new(config) else {
                                    return;
                                };
                                serve_connection(rustls::StreamOwned::new(conn, stream), st)
                            }
                        });
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(2)),
                }
            }
        });
        ApiServer {
            port,
            state,
            stop,
            ca_pem: tls.map(|(_, pem)| pem),
        }
    }

    pub fn url(&self) -> String {
        let scheme = if self.ca_pem.is_some() {
            "https"
        } else {
            "http"
        };
        format!("{scheme}://127.0.0.1:{}", self.port)
    }

    /// The kubeconfig `cluster` entry for this server: its URL, and its CA when it speaks TLS.
    pub fn cluster_entry(&self) -> Value {
        use base64::Engine;
        match &self.ca_pem {
            Some(pem) => json!({"server": self.url(),
                "certificate-authority-data": base64::engine::general_purpose::STANDARD.encode(pem)}),
            None => json!({"server": self.url()}),
        }
    }

    /// The CA's PEM (with TLS).
    pub fn ca_pem(&self) -> Option<&str> {
        self.ca_pem.as_deref()
    }

    /// A kubeconfig for this server (context `test`, a static token).
    pub fn kubeconfig(&self, dir: &std::path::Path) -> std::path::PathBuf {
        let path = dir.join("kubeconfig");
        let kc = json!({
            "apiVersion": "v1", "kind": "Config", "current-context": "test",
            "clusters": [{"name": "test", "cluster": self.cluster_entry()}],
            "contexts": [{"name": "test", "context": {"cluster": "test", "user": "test"}}],
            "users": [{"name": "test", "user": {"token": "test-token"}}],
        });
        std::fs::write(&path, serde_json::to_string_pretty(&kc).unwrap()).unwrap();
        path
    }

    /// A kubeconfig for this server whose user is `user` (a kubeconfig `user` object: an exec plugin, a
    /// token), context `name`.
    pub fn kubeconfig_with_user(
        &self,
        path: &std::path::Path,
        name: &str,
        user: Value,
    ) -> std::path::PathBuf {
        let kc = json!({
            "apiVersion": "v1", "kind": "Config", "current-context": name,
            "clusters": [{"name": name, "cluster": self.cluster_entry()}],
            "contexts": [{"name": name, "context": {"cluster": name, "user": name}}],
            "users": [{"name": name, "user": user}],
        });
        std::fs::write(path, serde_json::to_string_pretty(&kc).unwrap()).unwrap();
        path.to_path_buf()
    }

    /// Put the aws-auth ConfigMap in place with these data values.
    pub fn seed_aws_auth(&self, data: &BTreeMap<String, String>) {
        let mut s = self.state.lock().unwrap();
        let t = parse_target("/api/v1/namespaces/kube-system/configmaps/aws-auth").unwrap();
        let mut obj = json!({"metadata": {"labels": {"app.kubernetes.io/managed-by": "platform"}, "annotations": {"team": "platform"}}, "data": data});
        s.stamp(&mut obj, &t, "aws-auth", None);
        s.objects.insert(key(&t, "aws-auth"), obj);
    }

    /// Put any object in place (RBAC objects for later tests).
    pub fn seed(&self, path: &str, mut obj: Value) {
        let mut s = self.state.lock().unwrap();
        let t = parse_target(path).expect("known path");
        let name = t.name.clone().expect("a named path");
        if obj.get("metadata").is_none() {
            obj["metadata"] = json!({});
        }
        s.stamp(&mut obj, &t, &name, None);
        s.objects.insert(key(&t, &name), obj);
    }

    pub fn aws_auth(&self) -> Option<Value> {
        self.state
            .lock()
            .unwrap()
            .objects
            .get("configmaps/kube-system/aws-auth")
            .cloned()
    }

    /// Whom an IAM token that passes STS maps to from now on (`{"username", "groups", "extra"}`), as EKS
    /// would answer through another backend (an access entry); without an authenticator, any IAM token.
    pub fn set_whoami(&self, user: Value) {
        self.state.lock().unwrap().whoami = Some(user);
    }

    /// Accept another static bearer token (an admin).
    pub fn accept_token(&self, token: &str) {
        self.state.lock().unwrap().tokens.insert(token.to_string());
    }

    /// Let an impersonated user do `verb resource` (e.g. `get configmaps`).
    pub fn grant(&self, user: &str, verb_resource: &str) {
        self.state
            .lock()
            .unwrap()
            .grants
            .entry(user.to_string())
            .or_default()
            .push(verb_resource.to_string());
    }

    /// Let the authenticator consult EKS access entries before aws-auth, as EKS does (the test EKS
    /// API's, through [`super::eks::EksApi::access_source`]).
    #[allow(dead_code)] // not used by examples/test-apiserver.rs
    pub fn consult_access_entries(&self, source: AccessSource) {
        self.state.lock().unwrap().access_entries = Some(source);
    }

    /// Authenticate `k8s-aws-v1.` tokens from now on, as EKS does (see [`AwsAuthenticator`]).
    pub fn authenticate_with(&self, authenticator: AwsAuthenticator) {
        self.state.lock().unwrap().authenticator = Some(authenticator);
    }

    /// Any stored object by its key (`configmaps/<namespace>/<name>`).
    pub fn object(&self, key: &str) -> Option<Value> {
        self.state.lock().unwrap().objects.get(key).cloned()
    }

    pub fn log(&self) -> Vec<Logged> {
        self.state.lock().unwrap().log.clone()
    }

    pub fn clear_log(&self) {
        self.state.lock().unwrap().log.clear();
    }

    pub fn set_faults(&self, faults: Faults) {
        self.state.lock().unwrap().faults = faults;
    }
}

impl Drop for ApiServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}
