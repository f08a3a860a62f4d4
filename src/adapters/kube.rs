//! The Kubernetes adapter: a client from the kubeconfig (`--kubeconfig`, `KUBECONFIG`, the default path,
//! `--context`, exec plugins, in-cluster), impersonation, and get/create/replace of one ConfigMap.
//! Errors become sentences about the user's cluster.

use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, PostParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use std::path::PathBuf;
use std::time::Duration;
use thiserror::Error;

/// Where the ConfigMap is and how to reach the cluster.
#[derive(Debug, Clone)]
pub struct ClusterOptions {
    pub kubeconfig: Option<PathBuf>,
    pub context: Option<String>,
    pub as_user: Option<String>,
    pub as_groups: Vec<String>,
    pub namespace: String,
    pub name: String,
    pub request_timeout: Duration,
    /// Log every request and response on stderr (`-v`), credentials redacted.
    pub log_requests: bool,
}

#[derive(Debug, Clone, Error)]
pub enum KubeError {
    #[error("cannot load the Kubernetes configuration: {0}")]
    Config(String),
    #[error("the kubeconfig has no context `{context}`")]
    ContextNotFound { context: String },
    #[error("{0}")]
    ExecPlugin(String),
    #[error("{verb} {object} is forbidden: {message}")]
    Forbidden {
        verb: &'static str,
        object: String,
        message: String,
    },
    #[error("the cluster refused the credentials of the kubeconfig user (401 Unauthorized): {0}")]
    Unauthorized(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    AlreadyExists(String),
    #[error("the API server did not answer in time: {0}")]
    Timeout(String),
    #[error("the API server answered {code}: {message}")]
    Server { code: u16, message: String },
    #[error("cannot reach the API server: {0}")]
    Transport(String),
    #[error("the namespace `{0}` does not exist in this cluster")]
    NamespaceNotFound(String),
}

impl KubeError {
    /// Errors after which the outcome of a write is unknown or a retry may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            KubeError::Timeout(_) | KubeError::Transport(_) | KubeError::Server { code: 500.., .. }
        )
    }
}

/// A connected cluster and the ConfigMap it holds the mappings in (a clone shares the client).
#[derive(Clone)]
pub struct Cluster {
    api: Api<ConfigMap>,
    pub context: String,
    /// The API server's URL, without any user or password it may carry.
    pub server: String,
    pub namespace: String,
    pub name: String,
    /// The bearer token the client sends (from an exec plugin or the kubeconfig), to find who the
    /// cluster sees when it does not say.
    pub token: Option<String>,
    /// What the exec plugin asks for (`--cluster-name prod`, the region), which names the cluster a
    /// token is bound to.
    pub exec: Option<crate::core::doctor::ExecPlugin>,
    /// Whether requests impersonate someone (`--as`): the cluster then reports that user.
    pub impersonating: bool,
}

/// Who the cluster says the caller is (a SelfSubjectReview): EKS and aws-iam-authenticator add the
/// caller's IAM ARN and canonical ARN to `extra`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WhoAmI {
    pub username: String,
    pub groups: Vec<String>,
    pub arn: Option<String>,
    pub canonical_arn: Option<String>,
}

/// A URL without its `user:password@` part, for anything shown or stored.
pub fn strip_userinfo(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_string();
    };
    let rest = &url[scheme_end + 3..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{}{}", &url[..scheme_end + 3], &rest[at + 1..]),
        None => url.to_string(),
    }
}

/// An error and its causes, each once: "client error (Connect): tcp connect error: Connection refused".
fn with_causes(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let c = cause.to_string();
        if !text.contains(&c) {
            text.push_str(": ");
            text.push_str(&c);
        }
        source = cause.source();
    }
    text
}

fn map_error(err: kube::Error, verb: &'static str, object: &str, server: &str) -> KubeError {
    match err {
        kube::Error::Api(status) => match status.code {
            401 => KubeError::Unauthorized(status.message),
            403 => KubeError::Forbidden {
                verb,
                object: object.to_string(),
                message: status.message,
            },
            404 if status.message.starts_with("namespaces \"") => KubeError::NamespaceNotFound(
                status
                    .message
                    .split('"')
                    .nth(1)
                    .unwrap_or_default()
                    .to_string(),
            ),
            409 if status.reason == "AlreadyExists" => KubeError::AlreadyExists(status.message),
            409 => KubeError::Conflict(status.message),
            code => KubeError::Server {
                code,
                message: status.message,
            },
        },
        other => {
            // Name the server and the root cause ("Connection refused", "certificate unknown"), not
            // only kube's "client error (Connect)".
            let text = format!("{server}: {}", with_causes(&other));
            if text.to_lowercase().contains("timed out") || text.to_lowercase().contains("timeout")
            {
                KubeError::Timeout(text)
            } else {
                KubeError::Transport(text)
            }
        }
    }
}

impl Cluster {
    pub async fn connect(options: &ClusterOptions) -> Result<Cluster, KubeError> {
        let kube_options = KubeConfigOptions {
            context: options.context.clone(),
            cluster: None,
            user: None,
        };
        let loaded = match &options.kubeconfig {
            Some(path) => Some(
                Kubeconfig::read_from(path)
                    .map_err(|e| KubeError::Config(format!("`{}`: {e}", path.display())))?,
            ),
            None => Kubeconfig::read().ok(),
        };
        let (config, context) = match loaded {
            Some(kc) => {
                let context = options
                    .context
                    .clone()
                    .or_else(|| kc.current_context.clone())
                    .unwrap_or_else(|| "default".into());
                if let Some(wanted) = &options.context
                    && !kc.contexts.iter().any(|c| &c.name == wanted)
                {
                    return Err(KubeError::ContextNotFound {
                        context: wanted.clone(),
                    });
                }
                let config = kube::Config::from_custom_kubeconfig(kc, &kube_options)
                    .await
                    .map_err(|e| KubeError::Config(with_causes(&e)))?;
                (config, context)
            }
            None => {
                let config = kube::Config::incluster().map_err(|e| {
                    KubeError::Config(format!(
                        "no kubeconfig found (KUBECONFIG, ~/.kube/config) and not running in a cluster ({e})"
                    ))
                })?;
                (config, "in-cluster".to_string())
            }
        };
        Self::with_config(config, context, options)
    }

    /// A client for an EKS cluster found by name: its endpoint and CA from DescribeCluster, and a token
    /// iamidmap presigned itself (no kubeconfig, no exec plugin). `label`: how messages name the
    /// cluster (its ARN).
    pub async fn connect_eks(
        endpoint: &str,
        ca_data: &str,
        token: String,
        label: &str,
        options: &ClusterOptions,
    ) -> Result<Cluster, KubeError> {
        let mut cluster = serde_json::json!({"server": endpoint});
        if !ca_data.is_empty() {
            cluster["certificate-authority-data"] = ca_data.into();
        }
        let kc: Kubeconfig = serde_json::from_value(serde_json::json!({
            "apiVersion": "v1", "kind": "Config", "current-context": label,
            "clusters": [{"name": label, "cluster": cluster}],
            "contexts": [{"name": label, "context": {"cluster": label, "user": label}}],
            "users": [{"name": label, "user": {"token": token}}],
        }))
        .map_err(|e| KubeError::Config(e.to_string()))?;
        let config = kube::Config::from_custom_kubeconfig(kc, &KubeConfigOptions::default())
            .await
            .map_err(|e| KubeError::Config(with_causes(&e)))?;
        Self::with_config(config, label.to_string(), options)
    }

    fn with_config(
        mut config: kube::Config,
        context: String,
        options: &ClusterOptions,
    ) -> Result<Cluster, KubeError> {
        // kube-rs runs an exec plugin three times while building one client (TLS identity, expiry, auth
        // layer); `aws eks get-token` takes about half a second a run. Run it once here and hand the
        // client the token (a CLI run is far shorter than a token's 15 minutes). Plugins that return
        // client certificates are left to kube.
        let mut token: Option<String> = None;
        let exec = config.auth_info.exec.as_ref().map(|e| {
            let env: Vec<(String, String)> = e
                .env
                .iter()
                .flatten()
                .filter_map(|m| Some((m.get("name")?.clone(), m.get("value")?.clone())))
                .collect();
            crate::core::doctor::exec_plugin(
                e.command.as_deref().unwrap_or_default(),
                e.args.as_deref().unwrap_or_default(),
                &env,
            )
        });
        if let Some(exec) = config.auth_info.exec.clone() {
            match run_exec_plugin(&exec) {
                Ok(ExecOutput::Token(t, _)) => {
                    token = Some(t.clone());
                    config.auth_info.exec = None;
                    config.auth_info.token = Some(t.into());
                }
                Ok(ExecOutput::Other) => {}
                Err(e) => return Err(KubeError::ExecPlugin(e)),
            }
        } else if let Some(t) = &config.auth_info.token {
            use secrecy::ExposeSecret;
            token = Some(t.expose_secret().to_string());
        }
        if let Some(user) = &options.as_user {
            config.auth_info.impersonate = Some(user.clone());
        }
        if !options.as_groups.is_empty() {
            config.auth_info.impersonate_groups = Some(options.as_groups.clone());
        }
        // Who is asking, in the API server's audit log: iamidmap and its version.
        config.headers.push((
            http::header::USER_AGENT,
            http::HeaderValue::from_static(concat!("iamidmap/", env!("CARGO_PKG_VERSION"))),
        ));
        config.connect_timeout = Some(Duration::from_secs(10));
        config.read_timeout = Some(options.request_timeout);
        let server = strip_userinfo(&config.cluster_url.to_string());
        let impersonating = options.as_user.is_some() || !options.as_groups.is_empty();
        let builder = kube::client::ClientBuilder::try_from(config)
            .map_err(|e| KubeError::Config(e.to_string()))?;
        let client = if options.log_requests {
            builder.with_layer(&RequestLog).build()
        } else {
            builder.build()
        };
        Ok(Cluster {
            api: Api::namespaced(client, &options.namespace),
            context,
            server,
            namespace: options.namespace.clone(),
            name: options.name.clone(),
            token,
            exec,
            impersonating,
        })
    }

    /// A SelfSubjectReview (what `kubectl auth whoami` asks): `Ok(None)` when the API is not served.
    pub async fn whoami(&self) -> Result<Option<WhoAmI>, KubeError> {
        let body = serde_json::json!({"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"});
        let req = http::Request::post("/apis/authentication.k8s.io/v1/selfsubjectreviews")
            .header("content-type", "application/json")
            .body(serde_json::to_vec(&body).unwrap_or_default())
            .map_err(|e| KubeError::Transport(e.to_string()))?;
        let client = self.api.clone().into_client();
        let answer: serde_json::Value = match client.request(req).await {
            Ok(v) => v,
            Err(kube::Error::Api(s)) if s.code == 404 => return Ok(None),
            Err(e) => return Err(map_error(e, "create", "selfsubjectreviews", &self.server)),
        };
        let info = &answer["status"]["userInfo"];
        let strings = |v: &serde_json::Value| -> Vec<String> {
            v.as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|x| x.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default()
        };
        let first = |key: &str| strings(&info["extra"][key]).into_iter().next();
        Ok(Some(WhoAmI {
            username: info["username"].as_str().unwrap_or_default().to_string(),
            groups: strings(&info["groups"]),
            arn: first("arn"),
            canonical_arn: first("canonicalArn"),
        }))
    }

    /// The UID of a namespace (`kube-system`'s is stable for a cluster's whole life), `None` when it
    /// cannot be read.
    pub async fn namespace_uid(&self, namespace: &str) -> Option<String> {
        let api: Api<k8s_openapi::api::core::v1::Namespace> =
            Api::all(self.api.clone().into_client());
        api.get_opt(namespace).await.ok().flatten()?.metadata.uid
    }

    fn object(&self) -> String {
        format!("configmap `{}/{}`", self.namespace, self.name)
    }

    /// The ConfigMap, or `None` when it does not exist.
    pub async fn get(&self) -> Result<Option<ConfigMap>, KubeError> {
        self.api
            .get_opt(&self.name)
            .await
            .map_err(|e| map_error(e, "get", &self.object(), &self.server))
    }

    /// Replace the ConfigMap; its `metadata.resourceVersion` makes this fail with a conflict when the
    /// object changed since it was read.
    pub async fn replace(&self, cm: &ConfigMap) -> Result<ConfigMap, KubeError> {
        self.api
            .replace(&self.name, &PostParams::default(), cm)
            .await
            .map_err(|e| map_error(e, "update", &self.object(), &self.server))
    }

    /// All Roles, ClusterRoles, RoleBindings and ClusterRoleBindings (four list requests; only the
    /// two binding lists when `bindings_only`), as JSON objects for core::check::rbac.
    pub async fn rbac_objects(
        &self,
        bindings_only: bool,
    ) -> Result<Vec<serde_json::Value>, KubeError> {
        use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, Role, RoleBinding};
        async fn all<K>(
            client: kube::Client,
            what: &str,
            server: &str,
        ) -> Result<Vec<serde_json::Value>, KubeError>
        where
            K: kube::Resource<DynamicType = ()>
                + Clone
                + serde::de::DeserializeOwned
                + serde::Serialize
                + std::fmt::Debug,
        {
            let list = Api::<K>::all(client)
                .list(&Default::default())
                .await
                .map_err(|e| map_error(e, "list", what, server))?;
            Ok(list
                .items
                .iter()
                .map(|item| {
                    let mut v = serde_json::to_value(item).unwrap_or_default();
                    v["kind"] = serde_json::Value::String(K::kind(&()).to_string());
                    v
                })
                .collect())
        }
        let client = self.api.clone().into_client();
        let server = &self.server;
        let mut out =
            all::<ClusterRoleBinding>(client.clone(), "clusterrolebindings", server).await?;
        out.extend(all::<RoleBinding>(client.clone(), "rolebindings", server).await?);
        if !bindings_only {
            out.extend(all::<ClusterRole>(client.clone(), "clusterroles", server).await?);
            out.extend(all::<Role>(client, "roles", server).await?);
        }
        Ok(out)
    }

    pub async fn create(&self, cm: &ConfigMap) -> Result<ConfigMap, KubeError> {
        self.api
            .create(&PostParams::default(), cm)
            .await
            .map_err(|e| map_error(e, "create", &self.object(), &self.server))
    }

    /// Server-side apply of a Role and a RoleBinding in `namespace`, as field manager `iamidmap`: only the
    /// fields given are owned and set; whatever else the objects carry (labels, other managers' rules)
    /// stays. Returns the resourceVersions written.
    pub async fn apply_role(
        &self,
        namespace: &str,
        role: &serde_json::Value,
        binding: &serde_json::Value,
    ) -> Result<(String, String), KubeError> {
        use k8s_openapi::api::rbac::v1::{Role, RoleBinding};
        use kube::api::{Patch, PatchParams};
        let client = self.api.clone().into_client();
        // Not forced: a field another manager set to something else is a conflict (409), never
        // silently taken over.
        let params = PatchParams::apply("iamidmap");
        let name = |v: &serde_json::Value| {
            v["metadata"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        };
        let roles: Api<Role> = Api::namespaced(client.clone(), namespace);
        let r = roles
            .patch(&name(role), &params, &Patch::Apply(role))
            .await
            .map_err(|e| {
                map_error(
                    e,
                    "patch",
                    &format!("role `{namespace}/{}`", name(role)),
                    &self.server,
                )
            })?;
        let bindings: Api<RoleBinding> = Api::namespaced(client, namespace);
        let b = bindings
            .patch(&name(binding), &params, &Patch::Apply(binding))
            .await
            .map_err(|e| {
                map_error(
                    e,
                    "patch",
                    &format!("rolebinding `{namespace}/{}`", name(binding)),
                    &self.server,
                )
            })?;
        Ok((
            r.metadata.resource_version.unwrap_or_default(),
            b.metadata.resource_version.unwrap_or_default(),
        ))
    }
}

impl Cluster {
    /// Server-side apply of a ClusterRoleBinding (field manager iamidmap, not forced).
    pub async fn apply_cluster_role_binding(
        &self,
        binding: &serde_json::Value,
    ) -> Result<(), KubeError> {
        use k8s_openapi::api::rbac::v1::ClusterRoleBinding;
        use kube::api::{Patch, PatchParams};
        let name = binding["metadata"]["name"].as_str().unwrap_or_default();
        Api::<ClusterRoleBinding>::all(self.api.clone().into_client())
            .patch(
                name,
                &PatchParams::apply("iamidmap"),
                &Patch::Apply(binding),
            )
            .await
            .map(|_| ())
            .map_err(|e| {
                map_error(
                    e,
                    "patch",
                    &format!("clusterrolebinding `{name}`"),
                    &self.server,
                )
            })
    }

    /// A ClusterRole as JSON (`None`: there is none).
    pub async fn cluster_role(&self, name: &str) -> Result<Option<serde_json::Value>, KubeError> {
        use k8s_openapi::api::rbac::v1::ClusterRole;
        Api::<ClusterRole>::all(self.api.clone().into_client())
            .get_opt(name)
            .await
            .map(|r| r.and_then(|r| serde_json::to_value(r).ok()))
            .map_err(|e| map_error(e, "get", &format!("clusterrole `{name}`"), &self.server))
    }

    /// Delete a ClusterRoleBinding; one already gone is fine.
    pub async fn delete_cluster_role_binding(&self, name: &str) -> Result<(), KubeError> {
        use k8s_openapi::api::rbac::v1::ClusterRoleBinding;
        match Api::<ClusterRoleBinding>::all(self.api.clone().into_client())
            .delete(name, &Default::default())
            .await
        {
            Ok(_) => Ok(()),
            Err(kube::Error::Api(e)) if e.code == 404 => Ok(()),
            Err(e) => Err(map_error(
                e,
                "delete",
                &format!("clusterrolebinding `{name}`"),
                &self.server,
            )),
        }
    }

    /// The Role and the RoleBinding `name` in `namespace` as they are now (`None`: absent), as JSON
    /// without their managed fields.
    pub async fn role_and_binding(
        &self,
        namespace: &str,
        name: &str,
    ) -> Result<(Option<serde_json::Value>, Option<serde_json::Value>), KubeError> {
        use k8s_openapi::api::rbac::v1::{Role, RoleBinding};
        let client = self.api.clone().into_client();
        let json = |v: serde_json::Result<serde_json::Value>| {
            v.ok().map(|mut v| {
                if let Some(m) = v["metadata"].as_object_mut() {
                    m.remove("managedFields");
                }
                v
            })
        };
        let what = |kind: &str| format!("{kind} `{namespace}/{name}`");
        let role = Api::<Role>::namespaced(client.clone(), namespace)
            .get_opt(name)
            .await
            .map_err(|e| map_error(e, "get", &what("role"), &self.server))?;
        let binding = Api::<RoleBinding>::namespaced(client, namespace)
            .get_opt(name)
            .await
            .map_err(|e| map_error(e, "get", &what("rolebinding"), &self.server))?;
        Ok((
            role.and_then(|r| json(serde_json::to_value(r))),
            binding.and_then(|b| json(serde_json::to_value(b))),
        ))
    }
}

/// What an exec plugin gave.
pub enum ExecOutput {
    /// A bearer token and, when the plugin says, when it expires.
    Token(String, Option<String>),
    /// Client certificates or something else kube handles itself.
    Other,
}

/// Run a kubeconfig exec plugin as kubectl does (its args and env, `KUBERNETES_EXEC_INFO`, stdin only
/// when it may be interactive), and read its ExecCredential.
pub fn run_exec_plugin(exec: &kube::config::ExecConfig) -> Result<ExecOutput, String> {
    let command = exec.command.clone().unwrap_or_default();
    let mut cmd = std::process::Command::new(&command);
    cmd.args(exec.args.clone().unwrap_or_default());
    for pair in exec.env.clone().unwrap_or_default() {
        if let (Some(k), Some(v)) = (pair.get("name"), pair.get("value")) {
            cmd.env(k, v);
        }
    }
    for d in exec.drop_env.clone().unwrap_or_default() {
        cmd.env_remove(d);
    }
    let api = exec
        .api_version
        .clone()
        .unwrap_or_else(|| "client.authentication.k8s.io/v1beta1".into());
    cmd.env(
        "KUBERNETES_EXEC_INFO",
        format!(
            r#"{{"apiVersion":"{api}","kind":"ExecCredential","spec":{{"interactive":false}}}}"#
        ),
    )
    .stdin(std::process::Stdio::null())
    .stderr(std::process::Stdio::piped());
    let hint = exec
        .install_hint
        .clone()
        .map(|h| format!(" ({})", h.trim()))
        .unwrap_or_default();
    let out = cmd
        .output()
        .map_err(|e| format!("the kubeconfig's exec plugin `{command}` cannot run: {e}{hint}"))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        let last = err
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("")
            .trim();
        // The plugin may echo its arguments: secrets given on its command line are not repeated.
        let args = exec.args.clone().unwrap_or_default();
        let last = crate::core::doctor::redact_secrets_in(last, &args);
        let said = if last.is_empty() {
            " and printed nothing on standard error".to_string()
        } else {
            format!(": {last}")
        };
        return Err(format!(
            "the kubeconfig's exec plugin `{command}` failed (exit {}){said}",
            out.status.code().unwrap_or(-1)
        ));
    }
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).map_err(|e| {
        format!("the kubeconfig's exec plugin `{command}` printed no ExecCredential JSON: {e}")
    })?;
    Ok(match v["status"]["token"].as_str() {
        Some(t) if !t.is_empty() => ExecOutput::Token(
            t.to_string(),
            v["status"]["expirationTimestamp"]
                .as_str()
                .map(str::to_string),
        ),
        _ => ExecOutput::Other,
    })
}

/// Logs each request (method, URL, the headers it carries, credentials cut to a prefix) and its answer
/// (status, time) on stderr, for `-v`. It sits outside kube's auth layer, so the kubeconfig's token or
/// exec-plugin credentials are added after it and never reach the log; a credential header that does
/// pass through it is shown only as a prefix.
#[derive(Debug, Clone, Copy)]
pub struct RequestLog;

impl<S> tower::Layer<S> for RequestLog {
    type Service = Logged<S>;
    fn layer(&self, inner: S) -> Logged<S> {
        Logged(inner)
    }
}

#[derive(Debug, Clone)]
pub struct Logged<S>(S);

/// A header value as it may be logged: credentials keep their scheme and 4 characters.
pub fn redact(name: &str, value: &str) -> String {
    let secret = matches!(
        name.to_ascii_lowercase().as_str(),
        "authorization" | "proxy-authorization" | "cookie" | "x-amz-security-token"
    );
    if !secret {
        return value.to_string();
    }
    let (scheme, cred) = match value.split_once(' ') {
        Some((s, c)) => (format!("{s} "), c),
        None => (String::new(), value),
    };
    let prefix: String = cred.chars().take(4).collect();
    format!(
        "{scheme}{prefix}… (redacted, {} characters)",
        cred.chars().count()
    )
}

impl<S, B, R> tower::Service<http::Request<B>> for Logged<S>
where
    S: tower::Service<http::Request<B>, Response = http::Response<R>>,
    S::Future: Send + 'static,
    S::Error: std::fmt::Display,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<Self::Response, Self::Error>> + Send>,
    >;

    fn poll_ready(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, req: http::Request<B>) -> Self::Future {
        let line = format!("{} {}", req.method(), req.uri());
        eprintln!("debug: > {line}");
        for (name, value) in req.headers() {
            let value = String::from_utf8_lossy(value.as_bytes());
            eprintln!("debug: >   {name}: {}", redact(name.as_str(), &value));
        }
        let start = std::time::Instant::now();
        let answer = self.0.call(req);
        Box::pin(async move {
            let out = answer.await;
            let ms = start.elapsed().as_millis();
            match &out {
                Ok(resp) => eprintln!("debug: < {} for {line} in {ms} ms", resp.status()),
                Err(e) => eprintln!("debug: < failed: {e} for {line} after {ms} ms"),
            }
            out
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn credentials_are_cut_to_a_prefix() {
        assert_eq!(
            super::redact("Authorization", "Bearer k8s-aws-v1.aHR0cHM6Ly9zdHM"),
            "Bearer k8s-… (redacted, 26 characters)"
        );
        assert_eq!(
            super::redact("authorization", "secret"),
            "secr… (redacted, 6 characters)"
        );
        assert_eq!(super::redact("Impersonate-User", "alice"), "alice");
    }
}
