//! `iamidmap doctor`: walk the path from the kubeconfig context to what RBAC allows, the way seed-level
//! troubleshooting does, and print each step with ✓/✗ and the next command to run.

use super::session::Session;
use super::{live, load};
use crate::cli::diagnostics::{EXIT_FINDINGS, EXIT_OK, Reporter};
use crate::cli::render;
use crate::cli::{ClusterArgs, DoctorArgs, DoctorFormat};
use crate::core::check::{self, Facts, rbac::Rbac};
use crate::core::doctor::{self, ExecPlugin, PluginKind, Status, Step};
use crate::core::document::AuthDocument;
use crate::core::token::{Identity, Verifier};
use anyhow::Result;
use kube::config::{KubeConfigOptions, Kubeconfig};

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Everything the walk found, for the JSON output.
#[derive(Debug, serde::Serialize)]
struct Report {
    context: String,
    plugin: Option<ExecPlugin>,
    identity: Option<String>,
    steps: Vec<Step>,
    ok: bool,
    /// The reachable cluster and the caller's token, to ask it `--can-i` (SelfSubjectAccessReview).
    #[serde(skip)]
    access: Option<(Kubeconfig, String, String)>,
    /// The answer of the RBAC read (bindings and roles), when it could be read.
    #[serde(skip)]
    model_can_i: Option<Step>,
}

pub fn doctor(args: DoctorArgs, s: &Session<'_>) -> Result<i32> {
    let _cluster = s.args;
    let mut steps: Vec<Step> = vec![];
    let mut report = Report {
        context: String::new(),
        plugin: None,
        identity: None,
        steps: vec![],
        ok: false,
        access: None,
        model_can_i: None,
    };
    let rt = s.rt()?;
    walk(&args, s, &mut steps, &mut report);
    if let Some(can_i) = &args.can_i {
        steps.push(can_i_step(rt, &args.in_namespace, can_i, &mut report));
    }
    // A question asked and not answered is not a pass.
    report.ok = !steps
        .iter()
        .any(|s| s.status == Status::Fail || (s.name == "can-i" && s.status == Status::Skip));
    report.steps = steps;
    match args.output {
        DoctorFormat::Json => println!(
            "{}",
            serde_json::to_string_pretty(&report).unwrap_or_default()
        ),
        DoctorFormat::Text => {
            let safe = render::terminal_safe(&text(&report)).into_owned();
            if crate::cli::style::on(false) {
                print!("{}", crate::cli::style::marks(&safe));
            } else {
                print!("{safe}");
            }
        }
    }
    Ok(if report.ok { EXIT_OK } else { EXIT_FINDINGS })
}

fn text(r: &Report) -> String {
    let mut out = format!("context: {}\n", r.context);
    if let Some(id) = &r.identity {
        out.push_str(&format!("identity: {id}\n"));
    }
    out.push('\n');
    for s in &r.steps {
        out.push_str(&format!("{} {}: {}\n", s.status.mark(), s.name, s.detail));
        if let Some(n) = &s.next {
            out.push_str(&format!("    next: {n}\n"));
        }
    }
    let failed = r.steps.iter().filter(|s| s.status == Status::Fail).count();
    let skipped: Vec<&str> = r
        .steps
        .iter()
        .filter(|s| s.status == Status::Skip)
        .map(|s| s.name)
        .collect();
    out.push_str(&if failed == 0 && skipped.is_empty() {
        "\nall checks passed\n".to_string()
    } else if failed == 0 {
        format!(
            "\nno check failed, but {} could not be run ({}): see its `next`\n",
            if skipped.len() == 1 {
                "1 step"
            } else {
                "some steps"
            },
            skipped.join(", ")
        )
    } else {
        format!(
            "\n{failed} check{} failed: start with the first ✗\n",
            if failed == 1 { "" } else { "s" }
        )
    });
    out
}

/// What the walk has learned so far: each step reads what the steps before it found and adds its own.
struct Walk<'a> {
    args: &'a DoctorArgs,
    session: &'a Session<'a>,
    cluster: &'a ClusterArgs,
    steps: Vec<Step>,
    report: &'a mut Report,
    kc: Option<Kubeconfig>,
    user: Option<kube::config::AuthInfo>,
    user_name: String,
    exec: Option<kube::config::ExecConfig>,
    plugin: Option<ExecPlugin>,
    token: String,
    verifier: Option<Verifier>,
    identity: Option<Identity>,
    cluster_ok: bool,
    cluster_user: Option<ClusterUser>,
    rbac: Option<Result<Rbac, String>>,
    mapping: Option<check::MappingReport>,
    /// The EKS access entry that decides for the caller (EKS reads it before aws-auth), and the mode.
    entry: Option<crate::core::access::Entry>,
    mode: Option<crate::core::access::AuthMode>,
}

/// Whether the walk goes on after a step: a failure stops what depends on it.
#[derive(Debug, PartialEq, Eq)]
enum Flow {
    Next,
    Stop,
}

/// A step of the walk: it pushes its result (✓/✗/!/-, with the next command) and says whether to go on.
type StepFn = fn(&mut Walk<'_>) -> Flow;

/// The walk, in order. A new check is one function and one line here.
const STEPS: &[StepFn] = &[
    kubeconfig_step,
    exec_plugin_step,
    credentials_step,
    token_step,
    sts_step,
    cluster_step,
    access_entry_step,
    mapping_step,
    rbac_step,
    can_i_model_step,
];

fn walk<'a>(
    args: &'a DoctorArgs,
    session: &'a Session<'a>,
    steps: &mut Vec<Step>,
    report: &'a mut Report,
) {
    let mut w = Walk {
        args,
        session,
        cluster: session.args,
        steps: std::mem::take(steps),
        report,
        kc: None,
        user: None,
        user_name: String::new(),
        exec: None,
        plugin: None,
        token: String::new(),
        verifier: None,
        identity: None,
        cluster_ok: false,
        cluster_user: None,
        rbac: None,
        mapping: None,
        entry: None,
        mode: None,
    };
    for step in STEPS {
        if step(&mut w) == Flow::Stop {
            break;
        }
    }
    *steps = w.steps;
}

impl Walk<'_> {
    fn fail(
        &mut self,
        name: &'static str,
        detail: impl Into<String>,
        next: impl Into<String>,
    ) -> Flow {
        self.steps.push(Step::fail(name, detail, next));
        Flow::Stop
    }

    fn kc(&self) -> &Kubeconfig {
        self.kc.as_ref().expect("the kubeconfig step ran")
    }

    fn plugin(&self) -> &ExecPlugin {
        self.plugin.as_ref().expect("the exec plugin step ran")
    }
}

/// 1. The kubeconfig context and its user.
fn kubeconfig_step(w: &mut Walk<'_>) -> Flow {
    const NEXT: &str = "aws eks update-kubeconfig --name CLUSTER --region REGION";
    let loaded = match (&w.cluster.cluster, &w.cluster.kubeconfig) {
        (Some(name), _) => eks_kubeconfig(w.session, name),
        (None, Some(p)) => Kubeconfig::read_from(p).map_err(|e| format!("`{}`: {e}", p.display())),
        (None, None) => Kubeconfig::read().map_err(|e| e.to_string()),
    };
    let kc = match loaded {
        Ok(kc) => kc,
        Err(e) => {
            return w.fail(
                "kubeconfig",
                format!("cannot read the kubeconfig: {e}"),
                NEXT,
            );
        }
    };
    let context_name = w
        .cluster
        .context
        .clone()
        .or_else(|| kc.current_context.clone())
        .unwrap_or_default();
    w.report.context = context_name.clone();
    let Some(ctx) = kc
        .contexts
        .iter()
        .find(|c| c.name == context_name)
        .and_then(|c| c.context.clone())
    else {
        return w.fail(
            "kubeconfig",
            format!("no context `{context_name}` in the kubeconfig"),
            "kubectl config get-contexts; then `kubectl config use-context NAME`",
        );
    };
    let user_name = ctx.user.clone().unwrap_or_default();
    let Some(user) = kc
        .auth_infos
        .iter()
        .find(|a| a.name == user_name)
        .and_then(|a| a.auth_info.clone())
    else {
        return w.fail(
            "kubeconfig",
            format!("context `{context_name}` names user `{user_name}`, which the kubeconfig does not define"),
            NEXT,
        );
    };
    w.steps.push(Step::pass(
        "kubeconfig",
        format!(
            "context `{context_name}`, cluster `{}`, user `{user_name}`",
            ctx.cluster
        ),
    ));
    w.kc = Some(kc);
    w.user = Some(user);
    w.user_name = user_name;
    Flow::Next
}

/// With `--cluster NAME`: the kubeconfig `aws eks update-kubeconfig --name NAME` writes (the API server
/// and CA from DescribeCluster, a user that runs `aws eks get-token`), so that the walk diagnoses the way
/// in that everyone uses, not whatever the current context is.
fn eks_kubeconfig(s: &Session<'_>, name: &str) -> Result<Kubeconfig, String> {
    let c = s.eks_cluster(name).map_err(|e| {
        crate::cli::diagnostics::render_error(&e)
            .0
            .lines()
            .next()
            .unwrap_or("")
            .to_string()
    })?;
    let mut args = vec![
        "eks".to_string(),
        "get-token".into(),
        "--cluster-name".into(),
        c.name.clone(),
        "--region".into(),
        c.region.clone(),
    ];
    if let Some(p) = &s.args.profile {
        args.extend(["--profile".to_string(), p.clone()]);
    }
    serde_json::from_value(serde_json::json!({
        "apiVersion": "v1", "kind": "Config", "current-context": c.arn,
        "clusters": [{"name": c.arn, "cluster": {"server": c.endpoint, "certificate-authority-data": c.ca_data}}],
        "contexts": [{"name": c.arn, "context": {"cluster": c.arn, "user": c.arn}}],
        "users": [{"name": c.arn, "user": {"exec": {
            "apiVersion": "client.authentication.k8s.io/v1beta1", "command": "aws", "args": args,
            "interactiveMode": "IfAvailable"}}}],
    }))
    .map_err(|e| format!("the kubeconfig of `{}`: {e}", c.arn))
}

/// 2. The exec plugin and its binary.
fn exec_plugin_step(w: &mut Walk<'_>) -> Flow {
    let Some(exec) = w.user.as_ref().and_then(|u| u.exec.clone()) else {
        return w.fail(
            "exec plugin",
            format!("user `{}` has no exec plugin: it does not authenticate with AWS IAM", w.user_name),
            "aws eks update-kubeconfig --name CLUSTER --region REGION (writes an `aws eks get-token` user)",
        );
    };
    let command = exec.command.clone().unwrap_or_default();
    let plugin_args = exec.args.clone().unwrap_or_default();
    let env: Vec<(String, String)> = exec
        .env
        .clone()
        .unwrap_or_default()
        .into_iter()
        .filter_map(|m| Some((m.get("name")?.clone(), m.get("value")?.clone())))
        .collect();
    let plugin = doctor::exec_plugin(&command, &plugin_args, &env);
    w.report.plugin = Some(plugin.clone());
    let install = match plugin.kind {
        PluginKind::AwsCli => "install the AWS CLI (`pip install awscli`, or https://aws.amazon.com/cli/) and make sure `aws` is on PATH".to_string(),
        PluginKind::Authenticator => "install aws-iam-authenticator (https://github.com/kubernetes-sigs/aws-iam-authenticator/releases) on PATH".to_string(),
        PluginKind::Iamidmap => "install iamidmap on PATH (`cargo install --locked --path .` from its repository)".to_string(),
        PluginKind::Other => format!("install `{command}` or fix the kubeconfig user's exec command"),
    };
    let Some(binary) = which(&command) else {
        return w.fail(
            "exec plugin",
            format!(
                "`{command}` is not on PATH, so kubectl cannot get a token ({})",
                exec.install_hint
                    .clone()
                    .unwrap_or_else(|| "no install hint in the kubeconfig".into())
            ),
            install,
        );
    };
    if plugin.kind == PluginKind::Other {
        w.steps.push(Step::warn(
            "exec plugin",
            format!("`{command}` is not `aws eks get-token`, `aws-iam-authenticator token` or `iamidmap token`"),
            "doctor checks AWS IAM authentication; for other plugins see their own documentation",
        ));
    } else {
        let extra = |label: &str, v: &Option<String>| {
            v.as_deref()
                .map(|v| format!(", {label} {v}"))
                .unwrap_or_default()
        };
        w.steps.push(Step::pass(
            "exec plugin",
            format!(
                "`{}` {} (cluster `{}`{}{})",
                binary.display(),
                doctor::redact_args(&plugin_args).join(" "),
                plugin.cluster.as_deref().unwrap_or("?"),
                extra("role", &plugin.role_arn),
                extra("profile", &plugin.profile),
            ),
        ));
    }
    w.exec = Some(exec);
    w.plugin = Some(plugin);
    Flow::Next
}

/// 3. Credentials: the plugin makes a token with them.
fn credentials_step(w: &mut Walk<'_>) -> Flow {
    use crate::adapters::kube::ExecOutput;
    let exec = w.exec.as_ref().expect("the exec plugin step ran");
    match crate::adapters::kube::run_exec_plugin(exec) {
        Ok(ExecOutput::Token(token, expiry)) => {
            w.steps.push(Step::pass(
                "credentials and token",
                format!(
                    "the plugin made a token ({}){}",
                    crate::adapters::kube::redact("authorization", &token),
                    expiry
                        .map(|e| format!(", expiring {e}"))
                        .unwrap_or_default()
                ),
            ));
            w.token = token;
            Flow::Next
        }
        Ok(ExecOutput::Other) => {
            w.steps.push(Step::warn(
                "credentials and token",
                "the plugin returned no token (client certificates?)",
                "doctor follows token authentication only",
            ));
            Flow::Stop
        }
        Err(e) => {
            let profile = w
                .plugin()
                .profile
                .clone()
                .unwrap_or_else(|| "default".into());
            let next = if e.contains("credentials")
                || e.contains("token has expired")
                || e.contains("SSO")
            {
                format!(
                    "aws sso login --profile {profile} (or `aws configure --profile {profile}`), then `aws sts get-caller-identity --profile {profile}`"
                )
            } else {
                format!(
                    "run the plugin by hand: {} {}",
                    exec.command.as_deref().unwrap_or_default(),
                    doctor::redact_args(exec.args.as_deref().unwrap_or_default()).join(" ")
                )
            };
            w.fail(
                "credentials and token",
                format!("the plugin failed: {e}"),
                next,
            )
        }
    }
}

/// 4. The token, checked the authenticator's way, and its lifetime.
fn token_step(w: &mut Walk<'_>) -> Flow {
    let plugin = w.plugin();
    let region = w
        .cluster
        .region
        .clone()
        .or(plugin.region.clone())
        .unwrap_or_else(|| "us-east-1".into());
    let verifier = Verifier {
        cluster_id: w
            .args
            .cluster_name
            .clone()
            .or(plugin.cluster.clone())
            .unwrap_or_default(),
        partition: crate::core::token::partition_name(&region).to_string(),
        region,
    };
    let flow = match verifier.check(&w.token, now()) {
        Ok(p) => {
            w.steps.push(Step::pass(
                "token checks",
                format!(
                    "well-formed, bound to cluster `{}`, signed for {}",
                    verifier.cluster_id, p.host
                ),
            ));
            w.steps.push(doctor::token_lifetime(p.signed_at, now()));
            Flow::Next
        }
        Err(e) => {
            let expired = token_signed_at(&w.token)
                .map(|at| doctor::token_lifetime(at, now()))
                .filter(|life| life.status == Status::Fail);
            match expired {
                Some(life) => {
                    let next = life.next.clone().unwrap_or_default();
                    w.fail("token checks", e.to_string(), next);
                    w.steps.push(life);
                    Flow::Stop
                }
                None => w.fail(
                    "token checks",
                    e.to_string(),
                    format!(
                        "iamidmap verify --token TOKEN --cluster-id {} shows every check",
                        verifier.cluster_id
                    ),
                ),
            }
        }
    };
    w.verifier = Some(verifier);
    flow
}

/// 5. STS: whose token is it? A failure here does not stop the cluster's own answer.
fn sts_step(w: &mut Walk<'_>) -> Flow {
    let verifier = w.verifier.as_ref().expect("the token step ran");
    match super::verify::identity_of(&w.token, verifier, w.args.sts_endpoint.as_deref()) {
        Ok(id) => {
            w.steps.push(Step::pass(
                "STS identity",
                format!(
                    "{} (account {}, mapped as {})",
                    id.arn, id.account_id, id.canonical_arn
                ),
            ));
            w.report.identity = Some(id.arn.clone());
            w.identity = Some(id);
        }
        Err(e) => {
            let next = format!(
                "aws sts get-caller-identity{}",
                w.plugin()
                    .profile
                    .as_deref()
                    .map(|p| format!(" --profile {p}"))
                    .unwrap_or_default()
            );
            w.steps
                .push(Step::fail("STS identity", e.to_string(), next));
        }
    }
    Flow::Next
}

/// 6. The cluster's own answer, and the clock.
fn cluster_step(w: &mut Walk<'_>) -> Flow {
    let context = w.report.context.clone();
    let kc = w.kc.as_ref().expect("the kubeconfig step ran");
    let (ok, user) = match w.session.rt() {
        Ok(rt) => cluster_answer(rt, kc, &context, &w.token, &mut w.steps),
        Err(e) => {
            w.steps
                .push(Step::fail("cluster", e.to_string(), "report this"));
            (false, None)
        }
    };
    if ok {
        w.report.access = Some((w.kc().clone(), context, w.token.clone()));
    }
    w.cluster_ok = ok;
    w.cluster_user = user;
    Flow::Next
}

/// 7. On EKS, the access entries, which EKS reads before aws-auth (and instead of it in mode `API`).
///
/// Only for an EKS cluster (`--cluster`, an `aws eks get-token --cluster-name` plugin, or an EKS API
/// server URL): elsewhere there are none and the step is left out.
fn access_entry_step(w: &mut Walk<'_>) -> Flow {
    let Some(identity) = w.identity.clone() else {
        return Flow::Next;
    };
    let Some(access) = eks_access(w, &identity) else {
        return Flow::Next;
    };
    match access.entry_for(&identity.canonical_arn).cloned() {
        Some(entry) => entry_decides(w, &identity, &access, entry),
        None => no_entry(w, &identity, &access),
    }
}

/// The caller has no access entry: aws-auth decides, unless the mode is API.
fn no_entry(w: &mut Walk<'_>, identity: &Identity, access: &crate::core::access::Access) -> Flow {
    use crate::core::access::AuthMode;
    match access.mode {
            AuthMode::Api => w.fail(
                "access entry",
                format!(
                    "`{}` has no EKS access entry, and the cluster's authentication mode API does not read aws-auth: the cluster answers 401 Unauthorized",
                    identity.canonical_arn
                ),
                format!(
                    "aws eks create-access-entry --cluster-name {} --principal-arn ARN (the IAM ARN with its path)",
                    cluster_name(&access.cluster_arn)
                ),
            ),
            AuthMode::ConfigMap => {
                w.steps.push(Step::pass(
                    "access entry",
                    "the cluster's authentication mode is CONFIG_MAP: EKS does not read access entries, aws-auth decides",
                ));
                Flow::Next
            }
            mode => {
                w.steps.push(Step::pass(
                    "access entry",
                    format!(
                        "no EKS access entry for `{}` (mode {mode}): aws-auth decides",
                        identity.canonical_arn
                    ),
                ));
                Flow::Next
            }
    }
}

/// The caller's access entry decides: what it makes of the caller, and what RBAC gives that.
fn entry_decides(
    w: &mut Walk<'_>,
    identity: &Identity,
    access: &crate::core::access::Access,
    entry: crate::core::access::Entry,
) -> Flow {
    // The username as EKS renders it for this caller (the same resolution `verify --arn` runs).
    let review = crate::core::review::eks(
        identity,
        access,
        crate::core::review::Review::denied(String::new()),
        None,
    );
    let Some(user) = review.user.filter(|_| review.authenticated) else {
        return w.fail(
            "access entry",
            review.error.unwrap_or_default(),
            format!(
                "fix the username of the access entry of `{}` (aws eks update-access-entry)",
                entry.principal_arn
            ),
        );
    };
    let policies: Vec<String> = entry.access_policies.iter().map(|p| p.label()).collect();
    w.steps.push(Step::pass(
        "access entry",
        format!(
            "EKS access entry of `{}` (type {}, mode {}), used before aws-auth: username `{}`, groups [{}], access policies [{}]",
            entry.principal_arn,
            entry.kind,
            access.mode,
            user.username,
            user.groups.join(", "),
            policies.join(", ")
        ),
    ));
    let rbac = read_rbac(w.args, w.session, w.cluster_ok);
    let facts = Facts {
        namespace: w.cluster.namespace.clone(),
        name: w.cluster.name.clone(),
        ..Facts::default()
    };
    let m = check::MappingReport {
        list: "access entry",
        arn: entry.principal_arn.clone(),
        rbac: rbac
            .as_ref()
            .ok()
            .map(|r| check::reach(&user.username, &user.groups, r, &facts)),
        username: user.username,
        groups: user.groups,
        line: 0,
        iam: check::IamStatus::NotChecked {
            reason: "doctor does not ask IAM".into(),
        },
    };
    if let Some(step) = compare_with_cluster(&m, w.cluster_user.as_ref(), "the access entry") {
        w.steps.push(step);
    }
    w.rbac = Some(rbac);
    w.mapping = Some(m);
    w.entry = Some(entry);
    w.mode = Some(access.mode);
    Flow::Next
}

/// The EKS cluster's mode and access entries, on an EKS cluster; `None` elsewhere, or (with a skipped
/// step saying why) when they cannot be read.
fn eks_access(w: &mut Walk<'_>, identity: &Identity) -> Option<crate::core::access::Access> {
    let conn = w.session.connect();
    let eks = w.session.args.cluster.is_some()
        || w.plugin
            .as_ref()
            .is_some_and(|p| p.kind == PluginKind::AwsCli && p.cluster.is_some())
        || conn
            .as_ref()
            .is_ok_and(|c| crate::core::access::endpoint_region(&c.server).is_some());
    if !eks {
        return None;
    }
    match conn.and_then(|c| w.session.access(&c).cloned()) {
        Ok(Ok(a)) => Some(a),
        Ok(Err(why)) => {
            let mut step = Step::skip("access entry", why);
            step.next = Some(format!(
                "an admin runs `iamidmap check --arn {} --cluster NAME` to see which source decides",
                identity.canonical_arn
            ));
            w.steps.push(step);
            None
        }
        Err(e) => {
            w.steps.push(Step::skip(
                "access entry",
                format!("EKS was not asked ({e:#})"),
            ));
            None
        }
    }
}

/// `prod` of `arn:aws:eks:us-east-1:111122223333:cluster/prod`.
fn cluster_name(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

/// 8. The mapping: which entry (if any) maps the caller, read the authenticator's way.
fn mapping_step(w: &mut Walk<'_>) -> Flow {
    let Some(identity) = w.identity.clone() else {
        return Flow::Stop;
    };
    if w.entry.is_some() {
        shadowed(w, &identity);
        return Flow::Next;
    }
    let doc = match aws_auth(w.args, w.session, w.cluster) {
        Ok(d) => d,
        Err(e) => {
            let mut step = Step::skip(
                "mapping",
                format!(
                    "cannot read the mappings (aws-auth, or the authenticator config) with these credentials ({e})"
                ),
            );
            step.next = Some(format!(
                "iamidmap doctor -f aws-auth.yaml (from Git), or an admin runs `iamidmap check --arn {}`",
                identity.arn
            ));
            w.steps.push(step);
            return Flow::Stop;
        }
    };
    let rbac = read_rbac(w.args, w.session, w.cluster_ok);
    let facts = Facts {
        namespace: w.cluster.namespace.clone(),
        name: w.cluster.name.clone(),
        rbac: rbac.as_ref().ok().cloned(),
        iam_unavailable: Some("doctor does not ask IAM".into()),
        ..Facts::default()
    };
    w.rbac = Some(rbac);
    let explained = match check::explain(&doc, &facts, &identity.arn) {
        Ok(e) => e,
        Err(e) => {
            return w.fail(
                "mapping",
                e,
                "report this: STS returned an ARN iamidmap cannot read",
            );
        }
    };
    // An authenticator config can list several backends (aws-iam-authenticator pkg/server/server.go,
    // doMapping): the first that maps the caller answers. On a cluster, the EKSConfigMap backend's
    // aws-auth is read too.
    let (doc, explained) = match chained(doc, explained, w.args, w.session, &facts, &identity.arn) {
        Ok(found) => found,
        Err(e) => {
            return w.fail(
                "mapping",
                e,
                "fix `backendMode` in the authenticator's config (`iamidmap validate` shows how)",
            );
        }
    };
    let Some(m) = explained.mapping.clone() else {
        return unmapped(w, &identity, &doc, &explained);
    };
    w.steps.push(Step::pass(
        "mapping",
        format!(
            "{} entry at line {} of {}: username `{}`, groups [{}]",
            m.list,
            m.line,
            doc.source_name,
            m.username,
            m.groups.join(", ")
        ),
    ));
    if let Some(step) = compare_with_cluster(&m, w.cluster_user.as_ref(), &doc.source_name) {
        w.steps.push(step);
    }
    w.mapping = Some(m);
    Flow::Next
}

/// An access entry decides for the caller: an aws-auth entry for it too is dead, and editing it changes
/// nothing (said as a warning, since that is the trap).
fn shadowed(w: &mut Walk<'_>, identity: &Identity) {
    let Ok(doc) = aws_auth(w.args, w.session, w.cluster) else {
        return;
    };
    let facts = Facts {
        namespace: w.cluster.namespace.clone(),
        name: w.cluster.name.clone(),
        ..Facts::default()
    };
    let why = if w.mode.is_some_and(|m| !m.reads_aws_auth()) {
        "the cluster's authentication mode API does not read aws-auth"
    } else {
        "EKS uses the access entry"
    };
    if let Ok(e) = check::explain(&doc, &facts, &identity.arn)
        && let Some(m) = e.mapping
    {
        w.steps.push(Step::warn(
            "mapping",
            format!(
                "the {} entry at line {} of {} maps you too (username `{}`, groups [{}]), but {why}: that aws-auth entry grants nothing, and editing it changes nothing",
                m.list,
                m.line,
                doc.source_name,
                m.username,
                m.groups.join(", ")
            ),
            format!(
                "change the access entry (aws eks update-access-entry), or delete the dead aws-auth entry: iamidmap delete --arn {}",
                m.arn
            ),
        ));
    }
}

/// The caller is not mapped (or only account-wide): why, and whether something else lets it in.
fn unmapped(
    w: &mut Walk<'_>,
    identity: &Identity,
    doc: &AuthDocument,
    explained: &check::Explanation,
) -> Flow {
    if explained.account_wide {
        w.steps.push(Step::pass(
            "mapping",
            format!(
                "the account is in mapAccounts: username `{}`, no groups",
                identity.canonical_arn
            ),
        ));
        return Flow::Stop;
    }
    let mut detail = format!(
        "`{}` is not mapped in {}: the authenticator answers 401 Unauthorized (\"identity is not mapped\")",
        identity.canonical_arn, doc.source_name
    );
    if !explained.near_misses.is_empty() {
        detail.push_str(&format!(
            "; close but not matching (role entries must be path-less, user entries exact): {}",
            explained.near_misses.join(", ")
        ));
    }
    if let Some(cu) = &w.cluster_user {
        // The cluster let the token in: something else maps it (EKS access entries, another backend,
        // or a newer version of the mappings than this one).
        w.steps.push(Step::warn(
            "mapping",
            format!(
                "{detail}; but the cluster authenticates you as `{}` (groups [{}]), so something else maps you: EKS access entries, another backend of the authenticator, or mappings newer than {}",
                cu.username,
                cu.groups.join(", "),
                doc.source_name
            ),
            "aws eks list-access-entries --cluster-name CLUSTER; iamidmap diff --from FILE --to live",
        ));
        return Flow::Stop;
    }
    w.fail(
        "mapping",
        detail,
        format!(
            "iamidmap create --arn {} --username USER --group GROUP (role paths are stripped for you)",
            identity.canonical_arn
        ),
    )
}

/// 9. RBAC: what the username and groups reach.
fn rbac_step(w: &mut Walk<'_>) -> Flow {
    let m = w.mapping.as_ref().expect("the mapping step ran");
    let reach = match (
        w.rbac.as_ref().expect("the mapping step read RBAC"),
        &m.rbac,
    ) {
        (Err(e), _) => {
            let mut step = Step::skip("RBAC", format!("cannot read RBAC ({e})"));
            step.next = Some(
                "pass --rbac-from FILE, or run `kubectl auth can-i --list` as this user".into(),
            );
            w.steps.push(step);
            return Flow::Stop;
        }
        (Ok(_), Some(r)) => r.clone(),
        (Ok(_), None) => return Flow::Stop,
    };
    let policies: Vec<String> = w
        .entry
        .iter()
        .flat_map(|e| e.access_policies.iter().map(|p| p.label()))
        .collect();
    let step = if reach.superuser {
        Step::pass("RBAC", "system:masters: every request is allowed")
    } else if w.entry.as_ref().is_some_and(|e| e.is_admin()) {
        Step::pass(
            "RBAC",
            format!(
                "{} at cluster scope: EKS allows every request before RBAC is asked",
                crate::core::access::CLUSTER_ADMIN_POLICY
            ),
        )
    } else if !reach.roles.iter().any(|r| r.role_exists) && !policies.is_empty() {
        Step::pass(
            "RBAC",
            format!(
                "no binding names the username or groups; the access policies grant what they grant (EKS authorizes them before RBAC): {}",
                policies.join(", ")
            ),
        )
    } else if !reach.roles.iter().any(|r| r.role_exists) {
        Step::fail(
            "RBAC",
            format!(
                "authenticated, but no binding names the username or groups ({}): every request beyond discovery is 403 Forbidden",
                if m.groups.is_empty() {
                    "none".into()
                } else {
                    m.groups.join(", ")
                }
            ),
            format!(
                "kubectl create clusterrolebinding NAME --clusterrole=view --group={}",
                m.groups.first().cloned().unwrap_or_else(|| "GROUP".into())
            ),
        )
    } else {
        let mut roles: Vec<String> = reach
            .roles
            .iter()
            .filter(|r| r.role_exists)
            .map(|r| format!("{} via {}", r.role, r.binding))
            .collect();
        if !policies.is_empty() {
            roles.push(format!("access policies {}", policies.join(", ")));
        }
        Step::pass("RBAC", roles.join("; "))
    };
    w.steps.push(step);
    Flow::Next
}

/// 10. `--can-i` by the RBAC read (the cluster's own answer is asked after the walk, in [`can_i_step`]).
fn can_i_model_step(w: &mut Walk<'_>) -> Flow {
    let (Some(can_i), Some(Ok(r)), Some(m)) = (&w.args.can_i, &w.rbac, &w.mapping) else {
        return Flow::Next;
    };
    let superuser = if m.rbac.as_ref().is_some_and(|r| r.superuser) {
        Some("system:masters")
    } else if w.entry.as_ref().is_some_and(|e| e.is_admin()) {
        Some(crate::core::access::CLUSTER_ADMIN_POLICY)
    } else {
        None
    };
    let policies: Vec<String> = w
        .entry
        .iter()
        .flat_map(|e| e.access_policies.iter().map(|p| p.label()))
        .collect();
    let (verb, resource) = (&can_i[0], &can_i[1]);
    let (group, res) = doctor::split_resource(resource);
    let ns = w.args.in_namespace.as_str();
    let grants = r.reach(&m.username, &m.groups, true);
    let by: Vec<String> = grants
        .iter()
        .filter(|g| g.allows(verb, &group, &res, ns, ""))
        .map(|g| format!("{} via {}", g.role_label(), g.binding.describe()))
        .collect();
    let step = if superuser.is_some() || !by.is_empty() {
        Step::pass(
            "can-i",
            format!(
                "yes: {verb} {resource} in namespace {ns} ({})",
                superuser.map_or_else(|| by.join("; "), str::to_string)
            ),
        )
    } else if !policies.is_empty() {
        // Access policies are authorized by EKS, outside the RBAC objects read here.
        Step::warn(
            "can-i",
            format!(
                "no RBAC binding allows {verb} {resource} in namespace {ns}; the access policies [{}] may (EKS authorizes them before RBAC)",
                policies.join(", ")
            ),
            format!(
                "kubectl auth can-i {verb} {resource} -n {ns} (the cluster's own answer), or see what each policy allows: aws eks list-access-policies"
            ),
        )
    } else {
        let can: Vec<String> = grants
            .iter()
            .filter_map(|g| g.role.map(|role| (g, role)))
            .flat_map(|(g, role)| {
                let scope = g
                    .binding
                    .scope()
                    .map_or("cluster-wide".to_string(), |s| format!("in {s}"));
                role.rules
                    .iter()
                    .map(move |p| format!("{} ({scope})", p.describe()))
                    .collect::<Vec<_>>()
            })
            .collect();
        Step::fail(
            "can-i",
            format!(
                "no: nothing allows {verb} {resource} in namespace {ns} (403 Forbidden); what it can do: {}",
                if can.is_empty() {
                    "nothing".into()
                } else {
                    can.join("; ")
                }
            ),
            format!(
                "bind a role that allows it: kubectl create rolebinding NAME -n {ns} --clusterrole=edit --group={}",
                m.groups.first().cloned().unwrap_or_else(|| "GROUP".into())
            ),
        )
    };
    w.report.model_can_i = Some(step);
    Flow::Next
}

/// `--can-i VERB RESOURCE`: the cluster's own answer for the caller (SelfSubjectAccessReview, which every
/// authenticated user may ask), explained by the RBAC read when there is one; the RBAC read alone, with a
/// note, when the cluster cannot be asked; never silently dropped.
fn can_i_step(
    rt: &tokio::runtime::Runtime,
    ns: &str,
    can_i: &[String],
    report: &mut Report,
) -> Step {
    let (verb, resource) = (&can_i[0], &can_i[1]);
    let model = report.model_can_i.take();
    let Some((kc, context, token)) = &report.access else {
        return match model {
            Some(mut m) => {
                m.detail
                    .push_str(" (from the RBAC objects read; the cluster was not asked)");
                m
            }
            None => {
                let mut step = Step::skip(
                    "can-i",
                    format!(
                        "not answered: {verb} {resource} in namespace {ns} could not be asked, because an earlier step stopped the walk before the cluster was reached"
                    ),
                );
                step.next = Some("fix the first ✗ above and run doctor again".into());
                step
            }
        };
    };
    match ask_can_i(rt, kc, context, token, verb, resource, ns) {
        Ok((true, reason)) => match model {
            Some(m) if m.status == Status::Pass => Step::pass(
                "can-i",
                format!("{} (the cluster agrees: SelfSubjectAccessReview)", m.detail),
            ),
            other => Step::pass(
                "can-i",
                format!(
                    "yes: {verb} {resource} in namespace {ns} (the cluster's answer, SelfSubjectAccessReview{reason}){}",
                    if other.is_some() {
                        "; the RBAC objects read do not show why (another authorizer, such as an EKS access policy, or RBAC not readable in full)"
                    } else {
                        "; RBAC could not be read to say why"
                    }
                ),
            ),
        },
        Ok((false, reason)) => match model {
            Some(m) if m.status == Status::Fail => Step {
                detail: format!("{} (the cluster agrees: SelfSubjectAccessReview)", m.detail),
                ..m
            },
            _ => Step::fail(
                "can-i",
                format!(
                    "no: the cluster refuses {verb} {resource} in namespace {ns} (403 Forbidden; SelfSubjectAccessReview{reason})"
                ),
                format!(
                    "bind a role that allows it: kubectl create rolebinding NAME -n {ns} --clusterrole=edit --group=GROUP"
                ),
            ),
        },
        Err(e) => match model {
            Some(mut m) => {
                m.detail.push_str(&format!(
                    " (from the RBAC objects read; the cluster did not answer the SelfSubjectAccessReview: {e})"
                ));
                m
            }
            None => {
                let mut step = Step::skip(
                    "can-i",
                    format!(
                        "not answered: the cluster did not answer the SelfSubjectAccessReview ({e}) and RBAC could not be read"
                    ),
                );
                step.next = Some(format!("kubectl auth can-i {verb} {resource} -n {ns}"));
                step
            }
        },
    }
}

/// Ask the cluster whether the token's user may `verb resource` in `ns`: (allowed, ": reason" or "").
fn ask_can_i(
    rt: &tokio::runtime::Runtime,
    kc: &Kubeconfig,
    context: &str,
    token: &str,
    verb: &str,
    resource: &str,
    ns: &str,
) -> Result<(bool, String), String> {
    let (group, res) = doctor::split_resource(resource);
    let (res, sub) = match res.split_once('/') {
        Some((r, s)) => (r.to_string(), s.to_string()),
        None => (res, String::new()),
    };
    rt.block_on(async {
        let client = token_client(kc, context, token).await?;
        let body = serde_json::json!({
            "apiVersion": "authorization.k8s.io/v1",
            "kind": "SelfSubjectAccessReview",
            "spec": {"resourceAttributes": {
                "namespace": ns, "verb": verb, "group": group, "resource": res, "subresource": sub
            }}
        });
        let req = http::Request::post("/apis/authorization.k8s.io/v1/selfsubjectaccessreviews")
            .header("content-type", "application/json")
            .body(serde_json::to_vec(&body).map_err(|e| e.to_string())?)
            .map_err(|e| e.to_string())?;
        let answer: serde_json::Value = client.request(req).await.map_err(|e| e.to_string())?;
        let allowed = answer["status"]["allowed"]
            .as_bool()
            .ok_or("the answer has no status.allowed")?;
        let reason = answer["status"]["reason"]
            .as_str()
            .filter(|r| !r.is_empty())
            .map(|r| format!(": {r}"))
            .unwrap_or_default();
        Ok((allowed, reason))
    })
}

/// A client for the context's cluster that authenticates with `token` only.
async fn token_client(kc: &Kubeconfig, context: &str, token: &str) -> Result<kube::Client, String> {
    let mut config = kube::Config::from_custom_kubeconfig(
        kc.clone(),
        &KubeConfigOptions {
            context: Some(context.to_string()),
            ..Default::default()
        },
    )
    .await
    .map_err(|e| e.to_string())?;
    config.auth_info = kube::config::AuthInfo {
        token: Some(token.to_string().into()),
        ..Default::default()
    };
    config.connect_timeout = Some(std::time::Duration::from_secs(10));
    config.read_timeout = Some(std::time::Duration::from_secs(20));
    config.headers.push((
        http::header::USER_AGENT,
        http::HeaderValue::from_static(concat!("iamidmap/", env!("CARGO_PKG_VERSION"))),
    ));
    kube::Client::try_from(config).map_err(|e| e.to_string())
}

fn which(command: &str) -> Option<std::path::PathBuf> {
    if command.contains('/') {
        let p = std::path::PathBuf::from(command);
        return p.is_file().then_some(p);
    }
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(command))
            .find(|p| p.is_file())
    })
}

/// The X-Amz-Date of a token, when it can be read (for the lifetime of a token that failed its checks).
fn token_signed_at(token: &str) -> Option<i64> {
    use base64::Engine;
    let b64 = token.strip_prefix("k8s-aws-v1.")?;
    let url = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(b64.trim_end_matches('='))
        .ok()?;
    let url = String::from_utf8(url).ok()?;
    let date = url.split(['?', '&']).find_map(|p| {
        p.strip_prefix("X-Amz-Date=")
            .or_else(|| p.strip_prefix("x-amz-date="))
    })?;
    crate::core::token::parse_amz_date(date)
}

/// GET /version with the token alone, as kubectl would send it; and the clock against the server's.
/// Who the cluster says the caller is (SelfSubjectReview): username and groups.
#[derive(Debug, Clone)]
struct ClusterUser {
    username: String,
    groups: Vec<String>,
}

fn cluster_answer(
    rt: &tokio::runtime::Runtime,
    kc: &Kubeconfig,
    context: &str,
    token: &str,
    steps: &mut Vec<Step>,
) -> (bool, Option<ClusterUser>) {
    type Answer = (u16, Option<i64>, Result<Option<ClusterUser>, String>);
    let result: Result<Answer, String> = rt.block_on(async {
        let client = token_client(kc, context, token).await?;
        let req = http::Request::get("/version")
            .body(kube::client::Body::empty())
            .map_err(|e| e.to_string())?;
        let resp = client.send(req).await.map_err(|e| e.to_string())?;
        let date = resp
            .headers()
            .get("date")
            .and_then(|d| d.to_str().ok())
            .and_then(|d| jiff::fmt::rfc2822::parse(d).ok())
            .map(|z| z.timestamp().as_second());
        let code = resp.status().as_u16();
        let who = if code == 200 {
            self_subject_review(&client).await
        } else {
            Ok(None)
        };
        Ok((code, date, who))
    });
    let (result, who) = match result {
        Ok((code, date, who)) => (Ok((code, date)), who),
        Err(e) => (Err(e), Ok(None)),
    };
    let ok = cluster_status(result, steps);
    let user = match who {
        Ok(Some(u)) => {
            steps.push(Step::pass(
                "cluster identity",
                format!(
                    "the cluster authenticates you as `{}`, groups [{}] (SelfSubjectReview)",
                    u.username,
                    u.groups.join(", ")
                ),
            ));
            Some(u)
        }
        Ok(None) => None,
        Err(e) => {
            steps.push(Step::skip(
                "cluster identity",
                format!(
                    "the cluster did not say who you are ({e}); `kubectl auth whoami` asks the same"
                ),
            ));
            None
        }
    };
    (ok, user)
}

/// Whether the cluster's SelfSubjectReview agrees with the mapping read here (templated usernames are not
/// compared: iamidmap does not know the session's values the cluster rendered).
fn compare_with_cluster(
    m: &check::MappingReport,
    cluster: Option<&ClusterUser>,
    source: &str,
) -> Option<Step> {
    let cu = cluster?;
    if m.username.contains("{{") || m.groups.iter().any(|g| g.contains("{{")) {
        return None;
    }
    let missing: Vec<&String> = m.groups.iter().filter(|g| !cu.groups.contains(g)).collect();
    if cu.username == m.username && missing.is_empty() {
        return Some(Step::pass(
            "mapping (cluster)",
            format!("the cluster's answer agrees with {source}"),
        ));
    }
    Some(Step::warn(
        "mapping (cluster)",
        format!(
            "the cluster authenticates you as `{}` (groups [{}]), but {source} maps you to `{}` (groups [{}]): the cluster does not use these mappings (an older or newer version, another carrier or backend, or EKS access entries)",
            cu.username,
            cu.groups.join(", "),
            m.username,
            m.groups.join(", ")
        ),
        "iamidmap diff --from FILE --to live; aws eks list-access-entries --cluster-name CLUSTER",
    ))
}

/// POST a SelfSubjectReview (Kubernetes 1.28+): `Ok(None)` when the API is not served.
async fn self_subject_review(client: &kube::Client) -> Result<Option<ClusterUser>, String> {
    let body =
        serde_json::json!({"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"});
    let req = http::Request::post("/apis/authentication.k8s.io/v1/selfsubjectreviews")
        .header("content-type", "application/json")
        .body(serde_json::to_vec(&body).map_err(|e| e.to_string())?)
        .map_err(|e| e.to_string())?;
    let answer: serde_json::Value = match client.request(req).await {
        Ok(v) => v,
        Err(kube::Error::Api(s)) if s.code == 404 => return Ok(None),
        Err(e) => return Err(e.to_string()),
    };
    let info = &answer["status"]["userInfo"];
    let Some(username) = info["username"].as_str() else {
        return Err("the answer has no status.userInfo.username".into());
    };
    let groups = info["groups"]
        .as_array()
        .map(|g| {
            g.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    Ok(Some(ClusterUser {
        username: username.to_string(),
        groups,
    }))
}

fn cluster_status(result: Result<(u16, Option<i64>), String>, steps: &mut Vec<Step>) -> bool {
    match result {
        Ok((200, date)) => {
            steps.push(Step::pass(
                "cluster",
                "the API server accepts the token (GET /version: 200)",
            ));
            if let Some(d) = date {
                steps.push(doctor::clock_skew(now(), d));
            }
            true
        }
        Ok((401, date)) => {
            steps.push(Step::fail(
                "cluster",
                "the API server answers 401 Unauthorized to the token: the token is refused or the identity is not mapped",
                "see the mapping step below; `iamidmap verify --token TOKEN` checks the token locally",
            ));
            if let Some(d) = date {
                steps.push(doctor::clock_skew(now(), d));
            }
            false
        }
        Ok((code, _)) => {
            steps.push(Step::warn(
                "cluster",
                format!("GET /version answered {code}"),
                "kubectl get --raw /version -v 6",
            ));
            false
        }
        Err(e) => {
            steps.push(Step::fail(
                "cluster",
                format!("cannot reach the API server: {e}"),
                "kubectl cluster-info; check the endpoint's network access (private endpoint, VPN, security groups)",
            ));
            false
        }
    }
}

/// Walk the backend chain of an authenticator config: the first backend whose mappings map the caller
/// (an entry, or its `mapAccounts`) answers. Only the config itself and, on a cluster, the EKSConfigMap
/// backend's aws-auth can be read; other backends are passed over.
fn chained(
    doc: AuthDocument,
    own: check::Explanation,
    args: &DoctorArgs,
    session: &Session<'_>,
    facts: &Facts,
    arn: &str,
) -> Result<(AuthDocument, check::Explanation), String> {
    use crate::core::mapping::backend::BackendMode;
    let modes = doc.backend_chain().map_err(|e| {
        format!(
            "{e}: the authenticator refuses to start with this config, so nobody is authenticated"
        )
    })?;
    let mine = doc.facts.carrier.kind.backend();
    let maps = |e: &check::Explanation| e.mapping.is_some() || e.account_wide;
    if modes.len() < 2 || args.file.is_some() {
        return Ok((doc, own));
    }
    for mode in modes {
        if mode == mine {
            if maps(&own) {
                break;
            }
        } else if mode == BackendMode::EksConfigMap {
            let mut aws = session.args.clone();
            aws.kind = Some(crate::cli::Kind::AwsAuth);
            aws.name = "aws-auth".into();
            let Ok(d) = aws_auth(args, session, &aws) else {
                continue;
            };
            if let Ok(e) = check::explain(&d, facts, arn)
                && maps(&e)
            {
                return Ok((d, e));
            }
        }
    }
    Ok((doc, own))
}

/// aws-auth from `-f`, else from the cluster with the kubeconfig's credentials.
fn aws_auth(
    args: &DoctorArgs,
    session: &Session<'_>,
    cluster: &ClusterArgs,
) -> Result<AuthDocument, String> {
    let quiet = Reporter {
        quiet: true,
        verbose: false,
    };
    match &args.file {
        Some(path) => load(path, cluster.kind)
            .map(|(_, d)| d)
            .map_err(|e| e.to_string()),
        None => session
            .with(cluster, quiet)
            .and_then(|s| live::read(&s))
            .map_err(|e| {
                crate::cli::diagnostics::render_error(&e)
                    .0
                    .lines()
                    .next()
                    .unwrap_or("")
                    .to_string()
            }),
    }
}

fn read_rbac(args: &DoctorArgs, s: &Session<'_>, cluster_ok: bool) -> Result<Rbac, String> {
    let mut r = Rbac::default();
    if !args.rbac_from.is_empty() {
        // Manifests hold what someone wrote; the built-in roles and bindings come with every cluster.
        r = Rbac::builtin();
        for path in &args.rbac_from {
            let input = crate::adapters::fs::read_input(path).map_err(|e| e.to_string())?;
            r.add_manifests(&input.name, &input.text)
                .map_err(|e| e.to_string())?;
        }
        return Ok(r);
    }
    if !cluster_ok && args.file.is_some() {
        return Err("the cluster refused the token".into());
    }
    let conn = s.connect().map_err(|e| e.to_string())?;
    let objects = s
        .rt()
        .map_err(|e| e.to_string())?
        .block_on(conn.rbac_objects(false))
        .map_err(|e| e.to_string())?;
    for o in &objects {
        r.add_object(o)?;
    }
    Ok(r)
}
