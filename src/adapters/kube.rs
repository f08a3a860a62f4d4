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

/// A connected cluster and the ConfigMap it holds the mappings in.
pub struct Cluster {
    api: Api<ConfigMap>,
    pub context: String,
    pub server: String,
    pub namespace: String,
    pub name: String,
}

fn map_error(err: kube::Error, verb: &'static str, object: &str) -> KubeError {
    match err {
        kube::Error::Api(status) => match status.code {
            401 => KubeError::Unauthorized(status.message),
            403 => KubeError::Forbidden {
                verb,
                object: object.to_string(),
                message: status.message,
            },
            409 if status.reason == "AlreadyExists" => KubeError::AlreadyExists(status.message),
            409 => KubeError::Conflict(status.message),
            code => KubeError::Server {
                code,
                message: status.message,
            },
        },
        other => {
            let text = other.to_string();
            let chain = format!("{text} {:?}", std::error::Error::source(&other));
            if chain.to_lowercase().contains("timed out")
                || chain.to_lowercase().contains("timeout")
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
        let (mut config, context) = match loaded {
            Some(kc) => {
                let context = options
                    .context
                    .clone()
                    .or_else(|| kc.current_context.clone())
                    .unwrap_or_else(|| "default".into());
                let config = kube::Config::from_custom_kubeconfig(kc, &kube_options)
                    .await
                    .map_err(|e| KubeError::Config(e.to_string()))?;
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
        // kube-rs runs an exec plugin three times while building one client (TLS identity, expiry, auth
        // layer); `aws eks get-token` takes about half a second a run. Run it once here and hand the
        // client the token (a CLI run is far shorter than a token's 15 minutes). Plugins that return
        // client certificates are left to kube.
        if let Some(exec) = config.auth_info.exec.clone() {
            match run_exec_plugin(&exec) {
                Ok(ExecOutput::Token(token, _)) => {
                    config.auth_info.exec = None;
                    config.auth_info.token = Some(token.into());
                }
                Ok(ExecOutput::Other) => {}
                Err(e) => return Err(KubeError::Config(e)),
            }
        }
        if let Some(user) = &options.as_user {
            config.auth_info.impersonate = Some(user.clone());
        }
        if !options.as_groups.is_empty() {
            config.auth_info.impersonate_groups = Some(options.as_groups.clone());
        }
        config.connect_timeout = Some(Duration::from_secs(10));
        config.read_timeout = Some(options.request_timeout);
        let server = config.cluster_url.to_string();
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
        })
    }

    fn object(&self) -> String {
        format!("configmap `{}/{}`", self.namespace, self.name)
    }

    /// The ConfigMap, or `None` when it does not exist.
    pub async fn get(&self) -> Result<Option<ConfigMap>, KubeError> {
        self.api
            .get_opt(&self.name)
            .await
            .map_err(|e| map_error(e, "get", &self.object()))
    }

    /// Replace the ConfigMap; its `metadata.resourceVersion` makes this fail with a conflict when the
    /// object changed since it was read.
    pub async fn replace(&self, cm: &ConfigMap) -> Result<ConfigMap, KubeError> {
        self.api
            .replace(&self.name, &PostParams::default(), cm)
            .await
            .map_err(|e| map_error(e, "update", &self.object()))
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
                .map_err(|e| map_error(e, "list", what))?;
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
        let mut out = all::<ClusterRoleBinding>(client.clone(), "clusterrolebindings").await?;
        out.extend(all::<RoleBinding>(client.clone(), "rolebindings").await?);
        if !bindings_only {
            out.extend(all::<ClusterRole>(client.clone(), "clusterroles").await?);
            out.extend(all::<Role>(client, "roles").await?);
        }
        Ok(out)
    }

    pub async fn create(&self, cm: &ConfigMap) -> Result<ConfigMap, KubeError> {
        self.api
            .create(&PostParams::default(), cm)
            .await
            .map_err(|e| map_error(e, "create", &self.object()))
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
    let out = cmd.output().map_err(|e| {
        format!("the kubeconfig's exec plugin `{command}` cannot run: {e}{hint}; `iamidmap doctor` walks through the setup")
    })?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        let last = err
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("")
            .trim();
        return Err(format!(
            "the kubeconfig's exec plugin `{command}` failed (exit {}): {last}; `iamidmap doctor` walks through the setup",
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
