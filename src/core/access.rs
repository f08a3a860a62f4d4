//! EKS access entries and authentication modes: which source decides for a principal, and what an access
//! entry grants. Pure: the entries and the mode are read by the EKS adapter.
//!
//! The rules (EKS "Grant IAM users access to Kubernetes with EKS access entries"):
//! - `CONFIG_MAP`: only aws-auth is read; `API`: only access entries; `API_AND_CONFIG_MAP`: both, and an
//!   access entry wins over an aws-auth entry for the same principal.
//! - An access entry names the principal's IAM ARN with its path (it is bound to the principal's unique
//!   ID); the caller's canonical ARN (an assumed role becomes `role/NAME`) has no path, so entries are
//!   matched by their path-less ARN, the form aws-auth stores.

use crate::core::arn;
use crate::core::gostr;

/// The managed access policy that makes a principal a cluster admin (what `system:masters` is in aws-auth).
pub const CLUSTER_ADMIN_POLICY: &str = "AmazonEKSClusterAdminPolicy";

/// The entry types of nodes (they carry no groups or policies; EKS grants the node permissions).
pub const NODE_TYPES: [&str; 4] = ["EC2_LINUX", "EC2_WINDOWS", "FARGATE_LINUX", "HYBRID_LINUX"];

/// A cluster's `accessConfig.authenticationMode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum AuthMode {
    #[serde(rename = "CONFIG_MAP")]
    ConfigMap,
    #[serde(rename = "API_AND_CONFIG_MAP")]
    ApiAndConfigMap,
    #[serde(rename = "API")]
    Api,
}

impl AuthMode {
    /// The mode as EKS spells it; an unknown spelling is `None` (treated as `CONFIG_MAP` by callers
    /// that must choose, since that is what every cluster without access entries runs).
    pub fn parse(s: &str) -> Option<AuthMode> {
        match s {
            "CONFIG_MAP" => Some(AuthMode::ConfigMap),
            "API_AND_CONFIG_MAP" => Some(AuthMode::ApiAndConfigMap),
            "API" => Some(AuthMode::Api),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            AuthMode::ConfigMap => "CONFIG_MAP",
            AuthMode::ApiAndConfigMap => "API_AND_CONFIG_MAP",
            AuthMode::Api => "API",
        }
    }

    /// Whether EKS reads aws-auth in this mode.
    pub fn reads_aws_auth(self) -> bool {
        self != AuthMode::Api
    }

    /// Whether EKS reads access entries in this mode.
    pub fn reads_access_entries(self) -> bool {
        self != AuthMode::ConfigMap
    }
}

impl std::fmt::Display for AuthMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where an associated access policy applies.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "type", content = "namespaces")]
pub enum Scope {
    #[serde(rename = "cluster")]
    Cluster,
    #[serde(rename = "namespace")]
    Namespaces(Vec<String>),
}

impl std::fmt::Display for Scope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Scope::Cluster => f.write_str("cluster"),
            Scope::Namespaces(ns) => write!(f, "namespaces {}", ns.join(",")),
        }
    }
}

/// An access policy associated with an access entry.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Policy {
    pub policy_arn: String,
    pub access_scope: Scope,
}

impl Policy {
    /// The policy's name (`AmazonEKSClusterAdminPolicy`), the last part of its ARN.
    pub fn name(&self) -> &str {
        self.policy_arn
            .rsplit('/')
            .next()
            .unwrap_or(&self.policy_arn)
    }

    /// `name` (cluster) or `name` (namespaces a,b), as `get` and `verify` show a policy.
    pub fn label(&self) -> String {
        match &self.access_scope {
            Scope::Cluster => self.name().to_string(),
            Scope::Namespaces(ns) => format!("{} ({})", self.name(), ns.join(",")),
        }
    }
}

/// One access entry, as DescribeAccessEntry and ListAssociatedAccessPolicies give it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    pub principal_arn: String,
    #[serde(rename = "type")]
    pub kind: String,
    /// EKS fills in the default when the entry was created without one.
    pub username: String,
    pub kubernetes_groups: Vec<String>,
    pub access_policies: Vec<Policy>,
    /// When the entry was created: it is bound to the unique ID the principal had then.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_at: Option<jiff::Timestamp>,
}

impl Entry {
    /// The ARN the entry matches callers by: the principal's ARN without a role path (the form aws-auth
    /// stores and the authenticator's canonical ARN has).
    pub fn matched_arn(&self) -> String {
        arn::strip_path(&self.principal_arn).unwrap_or_else(|_| self.principal_arn.clone())
    }

    /// Whether the entry is a node's (EC2, Fargate, hybrid).
    pub fn is_node(&self) -> bool {
        NODE_TYPES.contains(&self.kind.as_str())
    }

    /// Whether the entry makes its principal a cluster admin: the cluster admin policy at cluster scope.
    pub fn is_admin(&self) -> bool {
        self.access_policies
            .iter()
            .any(|p| p.name() == CLUSTER_ADMIN_POLICY && p.access_scope == Scope::Cluster)
    }
}

/// What EKS knows about a cluster's access: the mode, whether the creator is an admin outside any entry,
/// and the access entries (empty in `CONFIG_MAP` mode, which has none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Access {
    pub cluster_arn: String,
    pub mode: AuthMode,
    pub bootstrap_creator_admin: Option<bool>,
    pub entries: Vec<Entry>,
}

impl Access {
    /// The access entry that decides for a caller's canonical ARN, when the mode reads access entries.
    pub fn entry_for(&self, canonical_arn: &str) -> Option<&Entry> {
        if !self.mode.reads_access_entries() {
            return None;
        }
        let key = gostr::fold_key(canonical_arn);
        self.entries
            .iter()
            .find(|e| gostr::fold_key(&e.matched_arn()) == key)
    }

    /// Why an aws-auth entry for this ARN does nothing (`None`: it is what EKS uses).
    pub fn aws_auth_dead(&self, arn_text: &str) -> Option<Dead> {
        if !self.mode.reads_aws_auth() {
            return Some(Dead::ApiMode);
        }
        let canonical = arn::canonicalize(arn_text)
            .map(|(_, c)| c)
            .unwrap_or_else(|_| arn_text.to_string());
        self.entry_for(&canonical)
            .map(|e| Dead::Shadowed(e.principal_arn.clone()))
    }

    /// Whether a principal keeps access whatever aws-auth says: an access entry grants it.
    pub fn grants(&self, canonical_arn: &str) -> bool {
        self.entry_for(canonical_arn).is_some()
    }

    /// Whether any access entry makes someone a cluster admin.
    pub fn has_admin(&self) -> bool {
        self.mode.reads_access_entries() && self.entries.iter().any(Entry::is_admin)
    }
}

/// Whether two API server URLs name the same server (scheme and host case-insensitive, the default
/// HTTPS port and a trailing slash ignored): the access entries of a cluster found by name count for a
/// connection only when EKS's endpoint for that name is the server the connection talks to.
pub fn same_endpoint(a: &str, b: &str) -> bool {
    fn norm(u: &str) -> String {
        let u = u.trim().trim_end_matches('/').to_ascii_lowercase();
        u.strip_suffix(":443")
            .filter(|_| u.starts_with("https://"))
            .map(str::to_string)
            .unwrap_or(u)
    }
    !a.trim().is_empty() && norm(a) == norm(b)
}

/// The region of an EKS API server URL (`https://ID.gr7.us-west-2.eks.amazonaws.com`: the label before
/// `eks`), in the partitions whose endpoints follow that form (aws, aws-cn); `None` for any other server.
pub fn endpoint_region(server: &str) -> Option<String> {
    let rest = server.trim().strip_prefix("https://")?;
    let host = rest
        .split(['/', '?', '#'])
        .next()?
        .rsplit('@')
        .next()?
        .split(':')
        .next()?
        .to_ascii_lowercase();
    let base = host
        .strip_suffix(".eks.amazonaws.com")
        .or_else(|| host.strip_suffix(".eks.amazonaws.com.cn"))?;
    // ID, a cell label, the region: at least the ID and the region.
    let labels: Vec<&str> = base.split('.').collect();
    let region = *labels.last()?;
    let well_formed = labels.len() >= 2
        && region.split('-').count() >= 3
        && region
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    well_formed.then(|| region.to_string())
}

/// Why an aws-auth entry is not used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dead {
    /// `API` mode: EKS does not read aws-auth at all.
    ApiMode,
    /// An access entry for the same principal wins (its principal ARN).
    Shadowed(String),
}

impl std::fmt::Display for Dead {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Dead::ApiMode => f.write_str("ignored: the cluster's authentication mode is API"),
            Dead::Shadowed(arn) => write!(f, "shadowed by the access entry of `{arn}`"),
        }
    }
}

/// An access entry for tests: no username or groups, the named policies with their scopes.
#[cfg(test)]
pub fn test_entry(arn: &str, kind: &str, policies: &[(&str, Scope)]) -> Entry {
    Entry {
        principal_arn: arn.into(),
        kind: kind.into(),
        username: String::new(),
        kubernetes_groups: vec![],
        access_policies: policies
            .iter()
            .map(|(p, s)| Policy {
                policy_arn: format!("arn:aws:eks::aws:cluster-access-policy/{p}"),
                access_scope: s.clone(),
            })
            .collect(),
        created_at: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use super::test_entry as entry;

    fn access(mode: AuthMode, entries: Vec<Entry>) -> Access {
        Access {
            cluster_arn: "arn:aws:eks:us-east-1:111122223333:cluster/prod".into(),
            mode,
            bootstrap_creator_admin: Some(false),
            entries,
        }
    }

    #[test]
    fn the_region_is_read_from_eks_endpoints_only() {
        for (server, region) in [
            (
                "https://0123456789ABCDEF.gr7.us-west-2.eks.amazonaws.com",
                Some("us-west-2"),
            ),
            (
                "https://0123456789abcdef.yl4.eu-central-1.eks.amazonaws.com:443/",
                Some("eu-central-1"),
            ),
            (
                "https://ABCDEF.sk1.cn-north-1.eks.amazonaws.com.cn",
                Some("cn-north-1"),
            ),
            (
                "https://ABCDEF.us-east-1.eks.amazonaws.com",
                Some("us-east-1"),
            ),
            // Not EKS, or not its form.
            ("https://127.0.0.1:6443", None),
            ("https://api.prod.example.com", None),
            ("http://ABCDEF.gr7.us-west-2.eks.amazonaws.com", None),
            ("https://eks.amazonaws.com", None),
            ("https://us-west-2.eks.amazonaws.com", None),
            (
                "https://ABCDEF.gr7.us-west-2.eks.amazonaws.com.evil.example",
                None,
            ),
            ("https://ABCDEF.gr7.notaregion.eks.amazonaws.com", None),
        ] {
            assert_eq!(endpoint_region(server).as_deref(), region, "{server}");
        }
    }

    #[test]
    fn endpoints_compare_as_urls() {
        let eks = "https://ABCDEF.gr7.us-east-1.eks.amazonaws.com";
        assert!(same_endpoint(
            eks,
            "https://abcdef.gr7.us-east-1.eks.amazonaws.com/"
        ));
        assert!(same_endpoint(
            eks,
            "https://abcdef.gr7.us-east-1.eks.amazonaws.com:443"
        ));
        assert!(!same_endpoint(
            eks,
            "https://other.gr7.us-east-1.eks.amazonaws.com"
        ));
        assert!(!same_endpoint(
            eks,
            "http://abcdef.gr7.us-east-1.eks.amazonaws.com"
        ));
        assert!(!same_endpoint("", ""));
    }

    #[test]
    fn modes_say_which_sources_are_read() {
        for (text, aws_auth, entries) in [
            ("CONFIG_MAP", true, false),
            ("API_AND_CONFIG_MAP", true, true),
            ("API", false, true),
        ] {
            let mode = AuthMode::parse(text).unwrap();
            assert_eq!(mode.as_str(), text);
            assert_eq!(
                (mode.reads_aws_auth(), mode.reads_access_entries()),
                (aws_auth, entries),
                "{text}"
            );
        }
        assert_eq!(AuthMode::parse("config_map"), None);
    }

    #[test]
    fn an_entry_with_a_role_path_matches_the_path_less_caller() {
        let a = access(
            AuthMode::ApiAndConfigMap,
            vec![entry(
                "arn:aws:iam::111122223333:role/teams/Admin",
                "STANDARD",
                &[],
            )],
        );
        assert!(a.grants("arn:aws:iam::111122223333:role/Admin"));
        assert!(!a.grants("arn:aws:iam::111122223333:role/Other"));
        // An assumed-role ARN in aws-auth is canonicalized before the lookup.
        assert_eq!(
            a.aws_auth_dead("arn:aws:sts::111122223333:assumed-role/Admin/jane"),
            Some(Dead::Shadowed(
                "arn:aws:iam::111122223333:role/teams/Admin".into()
            ))
        );
        assert_eq!(
            a.aws_auth_dead("arn:aws:iam::111122223333:role/Other"),
            None
        );
    }

    #[test]
    fn config_map_mode_ignores_entries_and_api_mode_ignores_aws_auth() {
        let e = vec![entry(
            "arn:aws:iam::111122223333:role/Admin",
            "STANDARD",
            &[(CLUSTER_ADMIN_POLICY, Scope::Cluster)],
        )];
        let cm = access(AuthMode::ConfigMap, e.clone());
        assert!(!cm.grants("arn:aws:iam::111122223333:role/Admin"));
        assert!(!cm.has_admin());
        assert_eq!(
            cm.aws_auth_dead("arn:aws:iam::111122223333:role/Admin"),
            None
        );
        let api = access(AuthMode::Api, e);
        assert!(api.has_admin());
        assert_eq!(
            api.aws_auth_dead("arn:aws:iam::111122223333:role/Nobody"),
            Some(Dead::ApiMode)
        );
    }

    #[test]
    fn only_the_admin_policy_at_cluster_scope_makes_an_admin() {
        let ns = entry(
            "arn:aws:iam::111122223333:role/A",
            "STANDARD",
            &[(CLUSTER_ADMIN_POLICY, Scope::Namespaces(vec!["dev".into()]))],
        );
        assert!(!ns.is_admin());
        assert_eq!(
            ns.access_policies[0].label(),
            "AmazonEKSClusterAdminPolicy (dev)"
        );
        let view = entry(
            "arn:aws:iam::111122223333:role/A",
            "STANDARD",
            &[("AmazonEKSViewPolicy", Scope::Cluster)],
        );
        assert!(!view.is_admin());
        let admin = entry(
            "arn:aws:iam::111122223333:role/A",
            "STANDARD",
            &[(CLUSTER_ADMIN_POLICY, Scope::Cluster)],
        );
        assert!(admin.is_admin());
        assert!(entry("arn:aws:iam::111122223333:role/N", "EC2_LINUX", &[]).is_node());
        assert!(!admin.is_node());
    }
}
