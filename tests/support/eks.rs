//! A test EKS API on 127.0.0.1 (as the test API server stands in for kube-apiserver): the operations
//! iamidmap and its tests use, on the wire as EKS speaks them (REST-JSON, botocore's `eks` service model as
//! the reference): DescribeCluster, ListClusters, UpdateClusterConfig and DescribeUpdate, and the access
//! entries (List/Describe/Create/DeleteAccessEntry, List/Associate/DisassociateAccessPolicy,
//! ListAccessPolicies), with pagination (`maxResults` 1–100, opaque `nextToken`) and EKS's errors
//! (`x-amzn-ErrorType` and a JSON `message`, the HTTP status of the model). The real `aws eks` CLI
//! (`--endpoint-url`) referees it (tests/eks.rs).
//!
//! Requests must carry a SigV4 Authorization scoped to service `eks` and the server's region (the secret
//! is not checked: the server knows no keys). EKS's rules for access entries are enforced as its
//! documentation states them: the mode must read access entries, `system:` and the other reserved prefixes
//! are refused in groups and usernames, node types carry no groups, usernames or policies, and default
//! usernames are filled in.

use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The access policies EKS offers (a subset of ListAccessPolicies).
pub const POLICIES: [&str; 4] = [
    "AmazonEKSClusterAdminPolicy",
    "AmazonEKSAdminPolicy",
    "AmazonEKSEditPolicy",
    "AmazonEKSViewPolicy",
];

const RESERVED: [&str; 5] = ["system:", "amazon:", "aws:", "eks:", "iam:"];

#[derive(Debug, Clone)]
struct Cluster {
    endpoint: String,
    ca_data: String,
    mode: String,
    bootstrap_admin: bool,
    /// principal ARN -> the entry as DescribeAccessEntry answers it.
    entries: BTreeMap<String, Value>,
    /// principal ARN -> associated policies (policyArn -> the association).
    policies: BTreeMap<String, BTreeMap<String, Value>>,
    updates: BTreeMap<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logged {
    pub method: String,
    pub path: String,
    pub query: String,
}

struct State {
    region: String,
    account: String,
    clusters: BTreeMap<String, Cluster>,
    log: Vec<Logged>,
    seq: u64,
    /// Each request waits this long first (a network round trip).
    latency: Duration,
    /// After this many more writes (POST, DELETE) succeed, every write answers 500 (an outage, or the
    /// process killed mid-way, as the caller sees it).
    writes_left: Option<usize>,
}

pub struct EksApi {
    pub port: u16,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
}

type Answer = (u16, Value);

fn error(code: u16, kind: &str, message: impl Into<String>) -> Answer {
    (code, json!({"__type": kind, "message": message.into()}))
}

fn not_found_cluster(name: &str) -> Answer {
    let (c, mut v) = error(
        404,
        "ResourceNotFoundException",
        format!("No cluster found for name: {name}."),
    );
    v["clusterName"] = json!(name);
    (c, v)
}

fn now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64().floor())
}

/// `?a=b&c=d`, percent-decoded.
fn query_map(query: &str) -> BTreeMap<String, String> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}

fn decode(s: &str) -> String {
    percent_encoding::percent_decode_str(&s.replace('+', " "))
        .decode_utf8_lossy()
        .into_owned()
}

/// One page of `items` (`maxResults` 1–100, default 100; `nextToken` is the offset, base64).
fn page(items: Vec<Value>, key: &str, q: &BTreeMap<String, String>) -> Answer {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD;
    let max = match q.get("maxResults").map(|m| m.parse::<usize>()) {
        None => 100,
        Some(Ok(m)) if (1..=100).contains(&m) => m,
        Some(_) => {
            return error(
                400,
                "InvalidParameterException",
                "maxResults must be between 1 and 100",
            );
        }
    };
    let start = match q.get("nextToken") {
        None => 0,
        Some(t) => match b64
            .decode(t)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .and_then(|s| {
                s.strip_prefix("offset:")
                    .and_then(|n| n.parse::<usize>().ok())
            }) {
            Some(n) if n <= items.len() => n,
            _ => {
                return error(
                    400,
                    "InvalidParameterException",
                    "The nextToken is invalid.",
                );
            }
        },
    };
    let end = (start + max).min(items.len());
    let mut out = json!({ key: items[start..end].to_vec() });
    if end < items.len() {
        out["nextToken"] = json!(b64.encode(format!("offset:{end}")));
    }
    (200, out)
}

fn reserved(s: &str) -> Option<&'static str> {
    RESERVED.iter().copied().find(|p| s.starts_with(p))
}

impl State {
    fn arn(&self, what: &str) -> String {
        format!("arn:aws:eks:{}:{}:{what}", self.region, self.account)
    }

    fn cluster_json(&self, name: &str, c: &Cluster) -> Value {
        json!({
            "name": name,
            "arn": self.arn(&format!("cluster/{name}")),
            "createdAt": 1_700_000_000.0,
            "version": "1.33",
            "endpoint": c.endpoint,
            "roleArn": format!("arn:aws:iam::{}:role/eks-cluster", self.account),
            "status": "ACTIVE",
            "certificateAuthority": {"data": c.ca_data},
            "platformVersion": "eks.10",
            "accessConfig": {
                "bootstrapClusterCreatorAdminPermissions": c.bootstrap_admin,
                "authenticationMode": c.mode,
            },
            "tags": {},
        })
    }

    fn handle(&mut self, method: &str, path: &str, query: &str, body: &[u8]) -> Answer {
        if method != "GET" {
            match self.writes_left {
                Some(0) => {
                    return error(500, "ServerException", "injected: the write did not happen");
                }
                Some(n) => self.writes_left = Some(n - 1),
                None => {}
            }
        }
        let segments: Vec<String> = path.split('/').skip(1).map(decode).collect();
        let seg: Vec<&str> = segments.iter().map(String::as_str).collect();
        let q = query_map(query);
        let body: Value = if body.is_empty() {
            json!({})
        } else {
            match serde_json::from_slice(body) {
                Ok(v) => v,
                Err(_) => return error(400, "SerializationException", "the body is not JSON"),
            }
        };
        match (method, seg.as_slice()) {
            ("GET", ["clusters"]) => {
                let names = self.clusters.keys().map(|n| json!(n)).collect();
                page(names, "clusters", &q)
            }
            ("GET", ["access-policies"]) => {
                let all = POLICIES
                    .iter()
                    .map(|p| json!({"name": p, "arn": format!("arn:aws:eks::aws:cluster-access-policy/{p}")}))
                    .collect();
                page(all, "accessPolicies", &q)
            }
            (_, ["clusters", name, rest @ ..]) => {
                let name = name.to_string();
                // Taken out while it is worked on (no copy of every entry per request), then put back.
                let Some(mut cluster) = self.clusters.remove(&name) else {
                    return not_found_cluster(&name);
                };
                let rest: Vec<&str> = rest.to_vec();
                let answer = self.on_cluster(method, &name, &mut cluster, &rest, &q, &body);
                self.clusters.insert(name, cluster);
                answer
            }
            _ => error(404, "UnknownOperationException", "Unknown operation"),
        }
    }

    fn on_cluster(
        &mut self,
        method: &str,
        name: &str,
        c: &mut Cluster,
        rest: &[&str],
        q: &BTreeMap<String, String>,
        body: &Value,
    ) -> Answer {
        let needs_api = || {
            error(
                400,
                "InvalidRequestException",
                "The cluster's authentication mode must be set to one of [API, API_AND_CONFIG_MAP] to perform this operation.",
            )
        };
        match (method, rest) {
            ("GET", []) => (200, json!({"cluster": self.cluster_json(name, c)})),
            ("POST", ["update-config"]) => {
                let Some(mode) = body["accessConfig"]["authenticationMode"].as_str() else {
                    return error(
                        400,
                        "InvalidParameterException",
                        "No changes needed for the logging config provided",
                    );
                };
                let order = ["CONFIG_MAP", "API_AND_CONFIG_MAP", "API"];
                let (Some(from), Some(to)) = (
                    order.iter().position(|m| *m == c.mode),
                    order.iter().position(|m| *m == mode),
                ) else {
                    return error(
                        400,
                        "InvalidParameterException",
                        format!("Unsupported authentication mode: {mode}"),
                    );
                };
                if to == from {
                    return error(
                        400,
                        "InvalidParameterException",
                        format!(
                            "Unsupported authentication mode update from {} to {mode}",
                            c.mode
                        ),
                    );
                }
                if to < from {
                    return error(
                        400,
                        "InvalidParameterException",
                        format!(
                            "Unsupported authentication mode update from {} to {mode}",
                            c.mode
                        ),
                    );
                }
                c.mode = mode.to_string();
                self.seq += 1;
                let id = format!("00000000-0000-4000-8000-{:012}", self.seq);
                let update = json!({"id": id, "status": "Successful", "type": "AccessConfigUpdate",
                    "params": [{"type": "AuthenticationMode", "value": mode}], "createdAt": now(), "errors": []});
                c.updates.insert(id, update.clone());
                (200, json!({"update": update}))
            }
            ("GET", ["updates", id]) => match c.updates.get(*id) {
                Some(u) => (200, json!({"update": u})),
                None => error(
                    404,
                    "ResourceNotFoundException",
                    format!("No update found for ID: {id}"),
                ),
            },
            (_, ["access-entries", ..]) if c.mode == "CONFIG_MAP" => needs_api(),
            ("GET", ["access-entries"]) => {
                let filter = q.get("associatedPolicyArn");
                let arns = c
                    .entries
                    .keys()
                    .filter(|p| {
                        filter.is_none_or(|f| c.policies.get(*p).is_some_and(|m| m.contains_key(f)))
                    })
                    .map(|p| json!(p))
                    .collect();
                page(arns, "accessEntries", q)
            }
            ("POST", ["access-entries"]) => match self.create_entry(name, c, body) {
                Ok((principal, entry)) => {
                    c.entries.insert(principal, entry.clone());
                    (200, json!({"accessEntry": entry}))
                }
                Err(e) => e,
            },
            (_, ["access-entries", principal, more @ ..]) => {
                let principal = principal.to_string();
                let Some(entry) = c.entries.get(&principal).cloned() else {
                    return error(
                        404,
                        "ResourceNotFoundException",
                        format!(
                            "The specified access entry resource is not found on this cluster. Principal: {principal}"
                        ),
                    );
                };
                match (method, more) {
                    ("GET", []) => (200, json!({"accessEntry": entry})),
                    // UpdateAccessEntry: the groups and the username are replaced as given.
                    ("POST", []) => {
                        let kind = entry["type"].as_str().unwrap_or("STANDARD");
                        let groups = body.get("kubernetesGroups");
                        let username = body.get("username").and_then(Value::as_str);
                        if kind != "STANDARD" && (groups.is_some() || username.is_some()) {
                            return error(
                                400,
                                "InvalidParameterException",
                                format!(
                                    "The kubernetesGroups and username parameters can't be specified for an access entry of type {kind}."
                                ),
                            );
                        }
                        let mut updated = entry.clone();
                        if let Some(g) = groups {
                            if let Some(bad) = g
                                .as_array()
                                .into_iter()
                                .flatten()
                                .filter_map(Value::as_str)
                                .find(|g| RESERVED.iter().any(|p| g.starts_with(p)))
                            {
                                return error(
                                    400,
                                    "InvalidParameterException",
                                    format!(
                                        "The kubernetes group name {bad} is invalid, it cannot start with system:"
                                    ),
                                );
                            }
                            updated["kubernetesGroups"] = g.clone();
                        }
                        if let Some(u) = username {
                            updated["username"] = json!(u);
                        }
                        updated["modifiedAt"] = json!(now());
                        c.entries.insert(principal.clone(), updated.clone());
                        (200, json!({"accessEntry": updated}))
                    }
                    ("DELETE", []) => {
                        c.entries.remove(&principal);
                        c.policies.remove(&principal);
                        (200, json!({}))
                    }
                    ("GET", ["access-policies"]) => {
                        let list = c
                            .policies
                            .get(&principal)
                            .map(|m| m.values().cloned().collect())
                            .unwrap_or_default();
                        let (code, mut v) = page(list, "associatedAccessPolicies", q);
                        if code == 200 {
                            v["clusterName"] = json!(name);
                            v["principalArn"] = json!(principal);
                        }
                        (code, v)
                    }
                    ("POST", ["access-policies"]) => match associate(&entry, body) {
                        Ok(assoc) => {
                            c.policies.entry(principal.clone()).or_default().insert(
                                assoc["policyArn"].as_str().unwrap_or_default().to_string(),
                                assoc.clone(),
                            );
                            (
                                200,
                                json!({"clusterName": name, "principalArn": principal, "associatedAccessPolicy": assoc}),
                            )
                        }
                        Err(e) => e,
                    },
                    ("DELETE", ["access-policies", policy]) => {
                        match c
                            .policies
                            .get_mut(&principal)
                            .and_then(|m| m.remove(*policy))
                        {
                            Some(_) => (200, json!({})),
                            None => error(
                                404,
                                "ResourceNotFoundException",
                                format!(
                                    "The specified policy {policy} is not associated with the access entry"
                                ),
                            ),
                        }
                    }
                    _ => error(404, "UnknownOperationException", "Unknown operation"),
                }
            }
            _ => error(404, "UnknownOperationException", "Unknown operation"),
        }
    }

    fn create_entry(
        &self,
        name: &str,
        c: &Cluster,
        body: &Value,
    ) -> Result<(String, Value), Answer> {
        let invalid = |m: String| error(400, "InvalidParameterException", m);
        let principal = body["principalArn"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let parts: Vec<&str> = principal.splitn(6, ':').collect();
        if parts.len() != 6 || parts[0] != "arn" || parts[2] != "iam" {
            return Err(invalid(format!(
                "The specified principalArn is invalid: invalid ARN: {principal}"
            )));
        }
        let (account, resource) = (parts[4], parts[5]);
        let (kind_of, principal_name) = match resource.split_once('/') {
            Some(("role", rest)) => ("role", rest.rsplit('/').next().unwrap_or(rest)),
            Some(("user", rest)) => ("user", rest.rsplit('/').next().unwrap_or(rest)),
            _ => {
                return Err(invalid(format!(
                    "The specified principalArn is invalid: {principal} is not an IAM role or user"
                )));
            }
        };
        if resource.starts_with("role/aws-service-role/") {
            return Err(invalid(
                "Service-linked roles cannot be used as access entry principals".into(),
            ));
        }
        if c.entries.contains_key(&principal) {
            return Err(error(
                409,
                "ResourceInUseException",
                "The specified access entry resource is already in use on this cluster.",
            ));
        }
        let kind = body["type"].as_str().unwrap_or("STANDARD").to_string();
        let groups: Vec<String> = body["kubernetesGroups"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|g| g.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        let username = body["username"].as_str().map(str::to_string);
        match kind.as_str() {
            "STANDARD" => {}
            "EC2_LINUX" | "EC2_WINDOWS" | "FARGATE_LINUX" | "HYBRID_LINUX" => {
                if !groups.is_empty() || username.is_some() {
                    return Err(invalid(format!(
                        "The kubernetesGroups and username parameters can't be specified for an access entry of type {kind}."
                    )));
                }
                if account != self.account {
                    return Err(invalid(format!(
                        "The principal of an access entry of type {kind} must be in the cluster's account."
                    )));
                }
                if kind_of != "role" {
                    return Err(invalid(format!(
                        "The principal of an access entry of type {kind} must be an IAM role."
                    )));
                }
            }
            other => return Err(invalid(format!("The type {other} is not supported."))),
        }
        for g in &groups {
            if let Some(p) = reserved(g) {
                return Err(invalid(format!(
                    "The kubernetes group name {g} is invalid, it cannot start with {p}"
                )));
            }
        }
        if let Some(u) = &username
            && let Some(p) = reserved(u)
        {
            return Err(invalid(format!("The username must not begin with {p}")));
        }
        let (username, groups) = match kind.as_str() {
            "EC2_LINUX" | "EC2_WINDOWS" | "HYBRID_LINUX" => (
                "system:node:{{EC2PrivateDNSName}}".to_string(),
                vec!["system:nodes".to_string()],
            ),
            "FARGATE_LINUX" => (
                "system:node:{{SessionName}}".to_string(),
                vec!["system:nodes".to_string()],
            ),
            _ => (
                username.unwrap_or_else(|| match kind_of {
                    "role" => format!(
                        "arn:aws:sts::{account}:assumed-role/{principal_name}/{{{{SessionName}}}}"
                    ),
                    _ => principal.clone(),
                }),
                groups,
            ),
        };
        let entry = json!({
            "clusterName": name,
            "principalArn": principal,
            "kubernetesGroups": groups,
            "accessEntryArn": self.arn(&format!("access-entry/{name}/{kind_of}/{account}/{principal_name}/{:08x}", principal.len())),
            "createdAt": now(),
            "modifiedAt": now(),
            "tags": body.get("tags").cloned().unwrap_or(json!({})),
            "username": username,
            "type": kind,
        });
        Ok((principal, entry))
    }
}

fn associate(entry: &Value, body: &Value) -> Result<Value, Answer> {
    let kind = entry["type"].as_str().unwrap_or("STANDARD");
    if kind != "STANDARD" {
        return Err(error(
            400,
            "InvalidRequestException",
            format!("Access policies can't be associated with an access entry of type {kind}."),
        ));
    }
    let policy = body["policyArn"].as_str().unwrap_or_default();
    let known = POLICIES
        .iter()
        .any(|p| policy == format!("arn:aws:eks::aws:cluster-access-policy/{p}"));
    if !known {
        return Err(error(
            404,
            "ResourceNotFoundException",
            format!("The specified policy {policy} was not found."),
        ));
    }
    let scope = &body["accessScope"];
    match scope["type"].as_str() {
        Some("cluster") => {}
        Some("namespace")
            if scope["namespaces"]
                .as_array()
                .is_some_and(|n| !n.is_empty()) => {}
        Some("namespace") => {
            return Err(error(
                400,
                "InvalidParameterException",
                "The namespaces field must be set for an access scope of type namespace.",
            ));
        }
        _ => {
            return Err(error(
                400,
                "InvalidParameterException",
                "The access scope type must be cluster or namespace.",
            ));
        }
    }
    Ok(
        json!({"policyArn": policy, "accessScope": scope, "associatedAt": now(), "modifiedAt": now()}),
    )
}

/// The SigV4 scope (`AKID/DATE/REGION/SERVICE/aws4_request`) of a request, checked as EKS checks it.
fn check_signature(auth: Option<&str>, region: &str) -> Option<Answer> {
    let Some(auth) = auth else {
        return Some(error(
            403,
            "MissingAuthenticationTokenException",
            "Missing Authentication Token",
        ));
    };
    let scope = auth
        .split("Credential=")
        .nth(1)
        .and_then(|s| s.split(',').next())
        .unwrap_or_default();
    let parts: Vec<&str> = scope.split('/').collect();
    if !auth.starts_with("AWS4-HMAC-SHA256 ") || parts.len() != 5 {
        return Some(error(
            403,
            "IncompleteSignatureException",
            "Authorization header requires a Credential parameter.",
        ));
    }
    if parts[3] != "eks" {
        return Some(error(
            403,
            "InvalidSignatureException",
            format!(
                "Credential should be scoped to correct service: 'eks'. (got '{}')",
                parts[3]
            ),
        ));
    }
    if parts[2] != region {
        return Some(error(
            403,
            "InvalidSignatureException",
            format!(
                "Credential should be scoped to a valid region, not '{}'.",
                parts[2]
            ),
        ));
    }
    None
}

fn serve(stream: TcpStream, state: Arc<Mutex<State>>) {
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
        let mut headers: BTreeMap<String, String> = BTreeMap::new();
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
                headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
            }
        }
        let len: usize = headers
            .get("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let mut body = vec![0u8; len];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let (path, query) = target.split_once('?').unwrap_or((&target, ""));
        let latency = state.lock().unwrap().latency;
        if !latency.is_zero() {
            std::thread::sleep(latency);
        }
        let (code, value) = {
            let mut s = state.lock().unwrap();
            s.log.push(Logged {
                method: method.clone(),
                path: path.to_string(),
                query: query.to_string(),
            });
            let region = s.region.clone();
            match check_signature(headers.get("authorization").map(String::as_str), &region) {
                Some(refused) => refused,
                None => s.handle(&method, path, query, &body),
            }
        };
        let kind = value["__type"].as_str().map(str::to_string);
        let mut value = value;
        if let Some(o) = value.as_object_mut() {
            o.remove("__type");
        }
        let body = serde_json::to_vec(&value).unwrap();
        let mut head = format!(
            "HTTP/1.1 {code} {}\r\nContent-Type: application/json\r\nx-amzn-RequestId: 11111111-2222-4333-8444-555555555555\r\nContent-Length: {}\r\n",
            if code == 200 { "OK" } else { "Error" },
            body.len()
        );
        if let Some(kind) = kind {
            head.push_str(&format!("x-amzn-ErrorType: {kind}\r\n"));
        }
        head.push_str("\r\n");
        // One write per answer: a head and a body in two segments meet the client's delayed ACK.
        let mut answer = head.into_bytes();
        answer.extend_from_slice(&body);
        let w = reader.get_mut();
        if w.write_all(&answer).and_then(|_| w.flush()).is_err() {
            return;
        }
    }
}

impl EksApi {
    /// A server for account 111122223333 in `region`.
    pub fn start(region: &str) -> EksApi {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let port = listener.local_addr().unwrap().port();
        listener.set_nonblocking(true).unwrap();
        let state = Arc::new(Mutex::new(State {
            region: region.to_string(),
            account: "111122223333".into(),
            clusters: BTreeMap::new(),
            log: vec![],
            seq: 0,
            latency: Duration::ZERO,
            writes_left: None,
        }));
        let stop = Arc::new(AtomicBool::new(false));
        let (st, sp) = (state.clone(), stop.clone());
        std::thread::spawn(move || {
            while !sp.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let _ = stream.set_nonblocking(false);
                        let _ = stream.set_nodelay(true);
                        let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
                        let st = st.clone();
                        std::thread::spawn(move || serve(stream, st));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(2)),
                }
            }
        });
        EksApi { port, state, stop }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Add a cluster whose API server is at `endpoint` (CA: base64 of PEM, as EKS gives it), in `mode`.
    pub fn add_cluster(&self, name: &str, endpoint: &str, ca_data: &str, mode: &str) {
        self.state.lock().unwrap().clusters.insert(
            name.to_string(),
            Cluster {
                endpoint: endpoint.to_string(),
                ca_data: ca_data.to_string(),
                mode: mode.to_string(),
                bootstrap_admin: false,
                entries: BTreeMap::new(),
                policies: BTreeMap::new(),
                updates: BTreeMap::new(),
            },
        );
    }

    /// Create an access entry as CreateAccessEntry would (`body`: its request), and associate `policies`
    /// (`(name, namespaces)`: cluster scope when there are none). Panics on what EKS would refuse.
    pub fn add_entry(&self, cluster: &str, body: Value, policies: &[(&str, &[&str])]) {
        let principal = body["principalArn"].as_str().unwrap().to_string();
        let mut s = self.state.lock().unwrap();
        let path = format!("/clusters/{cluster}/access-entries");
        let (code, v) = s.handle("POST", &path, "", body.to_string().as_bytes());
        assert_eq!(code, 200, "{v}");
        for (policy, namespaces) in policies {
            let scope = if namespaces.is_empty() {
                json!({"type": "cluster"})
            } else {
                json!({"type": "namespace", "namespaces": namespaces})
            };
            let body = json!({"policyArn": format!("arn:aws:eks::aws:cluster-access-policy/{policy}"), "accessScope": scope});
            let encoded = percent_encoding::utf8_percent_encode(
                &principal,
                percent_encoding::NON_ALPHANUMERIC,
            )
            .to_string();
            let (code, v) = s.handle(
                "POST",
                &format!("{path}/{encoded}/access-policies"),
                "",
                body.to_string().as_bytes(),
            );
            assert_eq!(code, 200, "{v}");
        }
    }

    /// The cluster's mode and access entries as iamidmap's core models them, read afresh at each call:
    /// what the test API server's authenticator consults before aws-auth.
    #[allow(dead_code)] // not used by examples/test-apiserver.rs
    pub fn access_source(&self, cluster: &str) -> super::apiserver::AccessSource {
        let (state, name) = (self.state.clone(), cluster.to_string());
        Arc::new(move || {
            use iamidmap::core::access::{Access, AuthMode, Entry, Policy, Scope};
            let s = state.lock().unwrap();
            let c = s.clusters.get(&name)?;
            let strings = |v: &Value| -> Vec<String> {
                v.as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|x| x.as_str().map(String::from))
                            .collect()
                    })
                    .unwrap_or_default()
            };
            let entries = c
                .entries
                .iter()
                .map(|(arn, e)| Entry {
                    principal_arn: arn.clone(),
                    kind: e["type"].as_str().unwrap_or("STANDARD").to_string(),
                    username: e["username"].as_str().unwrap_or_default().to_string(),
                    kubernetes_groups: strings(&e["kubernetesGroups"]),
                    access_policies: c
                        .policies
                        .get(arn)
                        .map(|p| {
                            p.values()
                                .map(|a| Policy {
                                    policy_arn: a["policyArn"].as_str().unwrap_or_default().into(),
                                    access_scope: match a["accessScope"]["type"].as_str() {
                                        Some("namespace") => Scope::Namespaces(strings(
                                            &a["accessScope"]["namespaces"],
                                        )),
                                        _ => Scope::Cluster,
                                    },
                                })
                                .collect()
                        })
                        .unwrap_or_default(),
                    created_at: None,
                })
                .collect();
            Some(Access {
                cluster_arn: format!("arn:aws:eks:{}:{}:cluster/{name}", s.region, s.account),
                mode: AuthMode::parse(&c.mode).unwrap_or(AuthMode::ConfigMap),
                bootstrap_creator_admin: Some(c.bootstrap_admin),
                entries,
            })
        })
    }

    /// The account the clusters (and their node entries' principals) are in; 111122223333 by default.
    #[allow(dead_code)] // not used by examples/test-apiserver.rs
    pub fn set_account(&self, account: &str) {
        self.state.lock().unwrap().account = account.to_string();
    }

    /// Let `n` more writes succeed, then answer every write 500 (`None`: no fault).
    #[allow(dead_code)] // not used by examples/test-apiserver.rs
    pub fn fail_writes_after(&self, n: Option<usize>) {
        self.state.lock().unwrap().writes_left = n;
    }

    /// Backdate (or postdate) an access entry's `createdAt` (seconds since the epoch), as if it had been
    /// created then.
    #[allow(dead_code)] // not used by examples/test-apiserver.rs
    pub fn set_created_at(&self, cluster: &str, principal: &str, secs: f64) {
        let mut s = self.state.lock().unwrap();
        let entry = s
            .clusters
            .get_mut(cluster)
            .and_then(|c| c.entries.get_mut(principal))
            .expect("the access entry");
        entry["createdAt"] = json!(secs);
    }

    /// The cluster's authentication mode now.
    pub fn mode(&self, cluster: &str) -> String {
        self.state.lock().unwrap().clusters[cluster].mode.clone()
    }

    #[allow(dead_code)] // benches/eks.sh, through examples/test-apiserver.rs
    pub fn set_latency(&self, latency: Duration) {
        self.state.lock().unwrap().latency = latency;
    }

    pub fn log(&self) -> Vec<Logged> {
        self.state.lock().unwrap().log.clone()
    }
}

impl Drop for EksApi {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}
