//! The RBAC side of `check`: Roles, ClusterRoles and their bindings, read once, joined with the
//! usernames and groups of aws-auth. Pure: the objects come in as JSON values (from the API server or
//! from manifest files), the answers go out as data.

use crate::core::yaml;
use serde_json::Value;

/// Groups that RBAC does not decide for: `system:masters` passes every authorization check (the API
/// server's superuser group), and `system:nodes` is authorized by the Node authorizer. Neither needs a
/// binding to mean something.
pub const AUTHORIZER_GROUPS: [&str; 2] = ["system:masters", "system:nodes"];

/// Every authenticated caller also has this group; bindings to it are what a mapping with no bound
/// group still gets.
pub const AUTHENTICATED: &str = "system:authenticated";

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PolicyRule {
    pub verbs: Vec<String>,
    #[serde(rename = "apiGroups", skip_serializing_if = "Vec::is_empty")]
    pub api_groups: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<String>,
    #[serde(rename = "resourceNames", skip_serializing_if = "Vec::is_empty")]
    pub resource_names: Vec<String>,
    #[serde(rename = "nonResourceURLs", skip_serializing_if = "Vec::is_empty")]
    pub non_resource_urls: Vec<String>,
}

impl PolicyRule {
    /// Whether the rule allows `verb` on a named object of `group`/`resource`.
    pub fn allows(&self, verb: &str, group: &str, resource: &str, name: &str) -> bool {
        let has = |list: &[String], want: &str| list.iter().any(|v| v == "*" || v == want);
        has(&self.verbs, verb)
            && has(&self.api_groups, group)
            && has(&self.resources, resource)
            && (self.resource_names.is_empty() || self.resource_names.iter().any(|n| n == name))
    }

    /// `get, list on configmaps, deployments (API groups: core, apps)`, for explanations.
    pub fn describe(&self) -> String {
        let verbs = self.verbs.join(", ");
        if !self.non_resource_urls.is_empty() {
            return format!("{verbs} on URLs {}", self.non_resource_urls.join(", "));
        }
        let mut s = format!("{verbs} on {}", self.resources.join(", "));
        if !self.resource_names.is_empty() {
            s.push_str(&format!(" named {}", self.resource_names.join(", ")));
        }
        if self.api_groups.iter().any(|g| !g.is_empty()) {
            let groups: Vec<&str> = self
                .api_groups
                .iter()
                .map(|g| if g.is_empty() { "core" } else { g.as_str() })
                .collect();
            s.push_str(&format!(" (API groups: {})", groups.join(", ")));
        }
        s
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum RoleKind {
    Role,
    ClusterRole,
}

impl RoleKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RoleKind::Role => "Role",
            RoleKind::ClusterRole => "ClusterRole",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleDef {
    pub kind: RoleKind,
    pub namespace: Option<String>,
    pub name: String,
    pub rules: Vec<PolicyRule>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum SubjectKind {
    User,
    Group,
    ServiceAccount,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Subject {
    pub kind: SubjectKind,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
}

impl std::fmt::Display for Subject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.kind, &self.namespace) {
            (SubjectKind::ServiceAccount, Some(ns)) => {
                write!(f, "ServiceAccount {ns}/{}", self.name)
            }
            (SubjectKind::ServiceAccount, None) => write!(f, "ServiceAccount {}", self.name),
            (SubjectKind::User, _) => write!(f, "User {}", self.name),
            (SubjectKind::Group, _) => write!(f, "Group {}", self.name),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    /// A ClusterRoleBinding (cluster-wide) or a RoleBinding (in `namespace`).
    pub cluster: bool,
    pub namespace: Option<String>,
    pub name: String,
    pub role_kind: RoleKind,
    pub role_name: String,
    pub subjects: Vec<Subject>,
}

impl Binding {
    pub fn describe(&self) -> String {
        match &self.namespace {
            Some(ns) if !self.cluster => format!("RoleBinding {ns}/{}", self.name),
            _ => format!("ClusterRoleBinding {}", self.name),
        }
    }

    /// Where the binding grants: `None` cluster-wide, else its namespace.
    pub fn scope(&self) -> Option<&str> {
        if self.cluster {
            None
        } else {
            self.namespace.as_deref()
        }
    }
}

/// All RBAC objects of a cluster (or of the manifests given with `--rbac-from`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rbac {
    pub roles: Vec<RoleDef>,
    pub bindings: Vec<Binding>,
}

/// How a subject of a binding matched a mapping.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", content = "name", rename_all = "lowercase")]
pub enum Via {
    User(String),
    Group(String),
}

impl std::fmt::Display for Via {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Via::User(u) => write!(f, "user {u}"),
            Via::Group(g) => write!(f, "group {g}"),
        }
    }
}

/// One role a mapping reaches, and how.
#[derive(Debug, Clone)]
pub struct Grant<'a> {
    pub via: Via,
    pub binding: &'a Binding,
    /// The role, when it exists (a binding to a missing role grants nothing).
    pub role: Option<&'a RoleDef>,
}

impl Grant<'_> {
    /// Whether the grant allows `verb` on a named object of `group`/`resource` in `namespace`.
    pub fn allows(
        &self,
        verb: &str,
        group: &str,
        resource: &str,
        namespace: &str,
        name: &str,
    ) -> bool {
        let in_scope = self.binding.scope().is_none_or(|ns| ns == namespace);
        in_scope
            && self.role.is_some_and(|r| {
                r.rules
                    .iter()
                    .any(|p| p.allows(verb, group, resource, name))
            })
    }

    pub fn role_label(&self) -> String {
        format!(
            "{} {}",
            self.binding.role_kind.as_str(),
            self.binding.role_name
        )
    }
}

/// A subject that can edit aws-auth, and through what.
#[derive(Debug, Clone)]
pub struct Editor<'a> {
    pub subject: &'a Subject,
    pub binding: &'a Binding,
    pub verbs: Vec<&'static str>,
}

impl Rbac {
    fn role(&self, kind: RoleKind, namespace: Option<&str>, name: &str) -> Option<&RoleDef> {
        self.roles.iter().find(|r| {
            r.kind == kind
                && r.name == name
                && (kind == RoleKind::ClusterRole || r.namespace.as_deref() == namespace)
        })
    }

    fn role_of(&self, b: &Binding) -> Option<&RoleDef> {
        self.role(b.role_kind, b.namespace.as_deref(), &b.role_name)
    }

    /// The grants a mapping's username and groups reach (`system:authenticated` included only when
    /// `implicit` is set). A username with `{{…}}` placeholders matches any User subject it can render to.
    pub fn reach(&self, username: &str, groups: &[String], implicit: bool) -> Vec<Grant<'_>> {
        let user = UsernamePattern::new(username);
        let mut out = vec![];
        for b in &self.bindings {
            for s in &b.subjects {
                let via = match s.kind {
                    SubjectKind::User if user.matches(&s.name) => Via::User(s.name.clone()),
                    SubjectKind::Group
                        if groups.iter().any(|g| g == &s.name)
                            || (implicit && s.name == AUTHENTICATED) =>
                    {
                        Via::Group(s.name.clone())
                    }
                    _ => continue,
                };
                out.push(Grant {
                    via,
                    binding: b,
                    role: self.role_of(b),
                });
            }
        }
        out
    }

    /// Whether any binding names this group as a subject.
    pub fn group_bound(&self, group: &str) -> bool {
        self.bindings.iter().any(|b| {
            b.subjects
                .iter()
                .any(|s| s.kind == SubjectKind::Group && s.name == group)
        })
    }

    /// Every subject that can update or patch `namespace/name` ConfigMap (aws-auth): whoever can, can
    /// map themselves to `system:masters`.
    pub fn configmap_editors(&self, namespace: &str, name: &str) -> Vec<Editor<'_>> {
        let mut out = vec![];
        for b in &self.bindings {
            if b.scope().is_some_and(|ns| ns != namespace) {
                continue;
            }
            let Some(role) = self.role_of(b) else {
                continue;
            };
            let verbs: Vec<&'static str> = ["update", "patch"]
                .into_iter()
                .filter(|v| {
                    role.rules
                        .iter()
                        .any(|r| r.allows(v, "", "configmaps", name))
                })
                .collect();
            if verbs.is_empty() {
                continue;
            }
            for s in &b.subjects {
                out.push(Editor {
                    subject: s,
                    binding: b,
                    verbs: verbs.clone(),
                });
            }
        }
        out
    }
}

/// A username as written in aws-auth, placeholders included, matched against RBAC User subjects.
pub struct UsernamePattern {
    literal: String,
    regex: Option<regex::Regex>,
}

impl UsernamePattern {
    pub fn new(username: &str) -> Self {
        let regex = username.contains("{{").then(|| {
            let mut pattern = String::from("^");
            let mut rest = username;
            while let Some(start) = rest.find("{{") {
                pattern.push_str(&regex::escape(&rest[..start]));
                match rest[start..].find("}}") {
                    Some(end) => {
                        pattern.push_str(".+");
                        rest = &rest[start + end + 2..];
                    }
                    None => {
                        pattern.push_str(&regex::escape(&rest[start..]));
                        rest = "";
                    }
                }
            }
            pattern.push_str(&regex::escape(rest));
            pattern.push('$');
            regex::Regex::new(&pattern).expect("escaped pattern")
        });
        UsernamePattern {
            literal: username.to_string(),
            regex,
        }
    }

    pub fn matches(&self, subject: &str) -> bool {
        match &self.regex {
            Some(re) => re.is_match(subject) || subject == self.literal,
            None => !self.literal.is_empty() && subject == self.literal,
        }
    }
}

/// Why RBAC manifests could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{source_name}:{line}: {message}")]
pub struct RbacError {
    pub source_name: String,
    pub line: usize,
    pub message: String,
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn text(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_string)
}

impl Rbac {
    /// Add one object (or the items of a `List`); other kinds are ignored. Errors say what is missing.
    pub fn add_object(&mut self, obj: &Value) -> Result<(), String> {
        let kind = text(obj, "kind").unwrap_or_default();
        if kind.ends_with("List") {
            for item in obj
                .get("items")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let mut item = item.clone();
                if item.get("kind").is_none()
                    && let Some(k) = kind.strip_suffix("List").filter(|k| !k.is_empty())
                {
                    item["kind"] = Value::String(k.to_string());
                }
                self.add_object(&item)?;
            }
            return Ok(());
        }
        let meta = obj.get("metadata").cloned().unwrap_or(Value::Null);
        let name = || text(&meta, "name").ok_or(format!("a {kind} without metadata.name"));
        let namespace = text(&meta, "namespace");
        match kind.as_str() {
            "Role" | "ClusterRole" => {
                let rules = obj
                    .get("rules")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .map(|r| PolicyRule {
                        verbs: strings(&r["verbs"]),
                        api_groups: strings(&r["apiGroups"]),
                        resources: strings(&r["resources"]),
                        resource_names: strings(&r["resourceNames"]),
                        non_resource_urls: strings(&r["nonResourceURLs"]),
                    })
                    .collect();
                let cluster = kind == "ClusterRole";
                let role_kind = if cluster {
                    RoleKind::ClusterRole
                } else {
                    RoleKind::Role
                };
                // Names are unique per kind and namespace: a later object replaces an earlier one (a
                // manifest's `view` replaces the built-in one).
                let (ns, n) = (
                    (!cluster).then(|| namespace.clone().unwrap_or_else(|| "default".into())),
                    name()?,
                );
                self.roles
                    .retain(|r| !(r.kind == role_kind && r.namespace == ns && r.name == n));
                self.roles.push(RoleDef {
                    kind: if cluster {
                        RoleKind::ClusterRole
                    } else {
                        RoleKind::Role
                    },
                    namespace: if cluster {
                        None
                    } else {
                        Some(namespace.unwrap_or_else(|| "default".into()))
                    },
                    name: name()?,
                    rules,
                });
            }
            "RoleBinding" | "ClusterRoleBinding" => {
                let role_ref = obj.get("roleRef").ok_or(format!(
                    "{kind} {} has no roleRef",
                    name().unwrap_or_default()
                ))?;
                let role_kind = match text(role_ref, "kind").as_deref() {
                    Some("Role") => RoleKind::Role,
                    Some("ClusterRole") => RoleKind::ClusterRole,
                    other => {
                        return Err(format!(
                            "{kind} {}: roleRef.kind is {other:?}; expected Role or ClusterRole",
                            name()?
                        ));
                    }
                };
                let subjects = obj
                    .get("subjects")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|s| {
                        let kind = match text(s, "kind").as_deref() {
                            Some("User") => SubjectKind::User,
                            Some("Group") => SubjectKind::Group,
                            Some("ServiceAccount") => SubjectKind::ServiceAccount,
                            _ => return None,
                        };
                        Some(Subject {
                            kind,
                            name: text(s, "name")?,
                            namespace: text(s, "namespace"),
                        })
                    })
                    .collect();
                let cluster = kind == "ClusterRoleBinding";
                let (ns, n) = (
                    (!cluster).then(|| namespace.clone().unwrap_or_else(|| "default".into())),
                    name()?,
                );
                self.bindings
                    .retain(|b| !(b.cluster == cluster && b.namespace == ns && b.name == n));
                self.bindings.push(Binding {
                    cluster,
                    namespace: if cluster {
                        None
                    } else {
                        Some(namespace.unwrap_or_else(|| "default".into()))
                    },
                    name: name()?,
                    role_kind,
                    role_name: text(role_ref, "name").unwrap_or_default(),
                    subjects,
                });
            }
            _ => {}
        }
        Ok(())
    }

    /// Read RBAC objects from manifest text (one or many YAML documents, `List`s included).
    /// The objects every cluster has without anyone writing them (bootstrap policy, EKS's node bindings):
    /// what RBAC read from manifests starts from.
    pub fn builtin() -> Rbac {
        let mut r = Rbac::default();
        r.add_manifests("builtin-rbac.yaml", include_str!("builtin-rbac.yaml"))
            .expect("the built-in RBAC objects read");
        r
    }

    pub fn add_manifests(&mut self, source_name: &str, text: &str) -> Result<(), RbacError> {
        let err = |line: usize, message: String| RbacError {
            source_name: source_name.to_string(),
            line,
            message,
        };
        let docs = yaml::stream_json(text).map_err(|e| err(e.line, e.message))?;
        for json in &docs {
            let line = json.span.line;
            let value = plain(json);
            if value.is_null() {
                continue;
            }
            self.add_object(&value).map_err(|m| err(line, m))?;
        }
        Ok(())
    }
}

/// A spanned JSON value as a plain one.
fn plain(v: &yaml::SpannedJson) -> Value {
    match &v.value {
        yaml::Json::Null => Value::Null,
        yaml::Json::Bool(b) => Value::Bool(*b),
        yaml::Json::Number(n) => serde_json::from_str(n).unwrap_or(Value::String(n.clone())),
        yaml::Json::String(s) => Value::String(s.clone()),
        yaml::Json::Array(items) => Value::Array(items.iter().map(plain).collect()),
        yaml::Json::Object { fields, .. } => Value::Object(
            fields
                .iter()
                .map(|f| (f.key.clone(), plain(&f.value)))
                .collect(),
        ),
    }
}
