//! What the authenticator answers for an identity: each backend of the chain in order (entry, then that
//! backend's `mapAccounts`), templates rendered, as a TokenReview (aws-iam-authenticator pkg/server/server.go). Pure: the EC2
//! name lookup is an argument.

use crate::core::mapping::backend::BackendMode;
use crate::core::mapping::template::{self, Identity as TemplateIdentity};
use crate::core::mapping::{EffectiveMapping, Entry, Resolution};
use crate::core::token::Identity;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub username: String,
    pub uid: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<String>,
    pub extra: BTreeMap<String, Vec<String>>,
}

/// The answer, with what iamidmap adds for people: the entry that matched and notes.
#[derive(Debug, Clone, PartialEq)]
pub struct Review {
    pub authenticated: bool,
    pub user: Option<User>,
    pub error: Option<String>,
    pub entry: Option<Entry>,
    pub via_account: bool,
    /// The backend that answered (`EKSConfigMap`, `MountedFile`).
    pub backend: Option<&'static str>,
    pub notes: Vec<String>,
}

/// One backend of the chain: its mode and the mapping it holds, or why iamidmap cannot read it.
pub struct Backend<'m, 'a> {
    pub mode: BackendMode,
    pub mapping: Result<&'m EffectiveMapping<'a>, String>,
}

impl Review {
    pub fn denied(error: String) -> Review {
        Review {
            authenticated: false,
            user: None,
            error: Some(error),
            entry: None,
            via_account: false,
            backend: None,
            notes: vec![],
        }
    }

    /// The TokenReview object (`authentication.k8s.io/v1`).
    pub fn token_review(&self) -> serde_json::Value {
        let mut status = serde_json::json!({ "authenticated": self.authenticated });
        if let Some(user) = &self.user {
            status["user"] = serde_json::to_value(user).expect("user serializes");
        }
        if let Some(e) = &self.error {
            status["error"] = serde_json::Value::String(e.clone());
        }
        serde_json::json!({"apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview", "status": status})
    }
}

fn render(
    tpl: &str,
    vars: &TemplateIdentity,
    what: &str,
    mapper: &str,
    notes: &mut Vec<String>,
) -> Result<String, String> {
    let rendered = template::render(tpl, vars).map_err(|e| {
        format!(
            "mapper {mapper} renderTemplates error: error rendering {what} template {tpl:?}: {e}"
        )
    })?;
    if rendered.unresolved_ec2 {
        notes.push("`{{EC2PrivateDNSName}}` is shown unresolved: pass --node-name with the instance's private DNS name".into());
    }
    Ok(rendered.text)
}

/// Map an identity through the EKSConfigMap backend alone (EKS), exactly as `doMapping` does for it.
/// `reserved` is the backend's reserved username prefixes (`server.reservedPrefixConfig`).
pub fn review(
    identity: &Identity,
    mapping: &EffectiveMapping<'_>,
    ec2_private_dns_name: Option<&str>,
    reserved: &[&str],
) -> Review {
    chain(
        identity,
        &[Backend {
            mode: BackendMode::EksConfigMap,
            mapping: Ok(mapping),
        }],
        ec2_private_dns_name,
        reserved,
    )
}

/// `doMapping` over a chain of backends (aws-iam-authenticator pkg/server/server.go, doMapping): the first backend with an entry for the caller
/// answers (a template or reserved-prefix error stops the chain and denies); otherwise that backend's
/// `mapAccounts` may map the caller; otherwise the next backend. A backend iamidmap cannot read is
/// skipped with a note saying so.
pub fn chain(
    identity: &Identity,
    backends: &[Backend<'_, '_>],
    ec2_private_dns_name: Option<&str>,
    reserved: &[&str],
) -> Review {
    let (extra, uid, vars) = basics(identity, ec2_private_dns_name);
    chain_with(identity, backends, reserved, extra, uid, vars)
}

/// How EKS resolves a caller with access entries in view: in a mode that reads them, the caller's
/// access entry decides (username template, kubernetesGroups, the associated access policies named in
/// the notes); without one, aws-auth decides (`aws_auth`, the chain's answer) unless the mode is `API`.
pub fn eks(
    identity: &Identity,
    access: &crate::core::access::Access,
    aws_auth: Review,
    ec2_private_dns_name: Option<&str>,
) -> Review {
    let Some(entry) = access.entry_for(&identity.canonical_arn) else {
        if !access.mode.reads_aws_auth() {
            return Review::denied(format!(
                "no EKS access entry for `{}`, and the cluster's authentication mode API does not read aws-auth",
                identity.canonical_arn
            ));
        }
        let mut r = aws_auth;
        if access.mode.reads_access_entries() {
            r.notes.push(format!(
                "`{}` has no EKS access entry (mode {}): aws-auth decides",
                identity.canonical_arn, access.mode
            ));
        }
        return r;
    };
    let (extra, uid, vars) = basics(identity, ec2_private_dns_name);
    let mut notes = vec![format!(
        "matched the EKS access entry of `{}` (type {}), which EKS uses before aws-auth",
        entry.principal_arn, entry.kind
    )];
    let username = match render(
        &entry.username,
        &vars,
        "username",
        "EKS access entry",
        &mut notes,
    ) {
        Ok(u) => u,
        Err(e) => return Review::denied(e),
    };
    if entry.access_policies.is_empty() {
        notes.push(
            "no access policies: only RBAC bindings of its username and groups grant anything"
                .into(),
        );
    } else {
        let names: Vec<String> = entry.access_policies.iter().map(|p| p.label()).collect();
        notes.push(format!("access policies: {}", names.join(", ")));
    }
    if aws_auth.entry.is_some() {
        notes.push("its aws-auth entry is shadowed by the access entry and grants nothing".into());
    }
    Review {
        authenticated: true,
        user: Some(User {
            username,
            uid,
            groups: entry.kubernetes_groups.clone(),
            extra,
        }),
        error: None,
        entry: None,
        via_account: false,
        backend: Some("EKS access entry"),
        notes,
    }
}

/// What every answer carries: the `extra` fields, the uid, and the template variables.
fn basics(
    identity: &Identity,
    ec2_private_dns_name: Option<&str>,
) -> (BTreeMap<String, Vec<String>>, String, TemplateIdentity) {
    let mut extra = BTreeMap::new();
    extra.insert(
        "accessKeyId".to_string(),
        vec![identity.access_key_id.clone()],
    );
    extra.insert("arn".to_string(), vec![identity.arn.clone()]);
    extra.insert(
        "canonicalArn".to_string(),
        vec![identity.canonical_arn.clone()],
    );
    extra.insert("principalId".to_string(), vec![identity.user_id.clone()]);
    extra.insert(
        "sessionName".to_string(),
        vec![identity.session_name.clone()],
    );
    extra.insert(
        "sigs.k8s.io/aws-iam-authenticator/principalId".to_string(),
        vec![identity.user_id.clone()],
    );
    let uid = format!(
        "aws-iam-authenticator:{}:{}",
        identity.account_id, identity.user_id
    );
    let vars = TemplateIdentity {
        account_id: identity.account_id.clone(),
        session_name: identity.session_name.clone(),
        access_key_id: identity.access_key_id.clone(),
        ec2_private_dns_name: ec2_private_dns_name.map(str::to_string),
    };
    (extra, uid, vars)
}

fn chain_with(
    identity: &Identity,
    backends: &[Backend<'_, '_>],
    reserved: &[&str],
    extra: BTreeMap<String, Vec<String>>,
    uid: String,
    vars: TemplateIdentity,
) -> Review {
    let mut notes = vec![];
    for backend in backends {
        let mapper = backend.mode.name();
        let mapping = match &backend.mapping {
            Ok(m) => m,
            Err(why) => {
                notes.push(format!("backend {mapper} was not consulted: {why}"));
                continue;
            }
        };
        if let Some(e) = mapping.lookup_entry(&identity.canonical_arn) {
            if mapping.nondeterministic(&identity.canonical_arn) {
                let others: Vec<String> = mapping
                    .candidates(&identity.canonical_arn)
                    .iter()
                    .map(|c| {
                        format!(
                            "`{}` (username `{}`, groups [{}])",
                            c.arn,
                            c.username,
                            c.groups.join(", ")
                        )
                    })
                    .collect();
                notes.push(format!(
                    "the authenticator answers at random here: it stores these entries apart but each matches this caller, and it picks one per request (Go map order): {}. This answer is the first of them in the file",
                    others.join("; ")
                ));
            }
            let rendered =
                render(&e.username, &vars, "username", mapper, &mut notes).and_then(|u| {
                    let groups = e
                        .groups
                        .iter()
                        .map(|g| render(g, &vars, "group", mapper, &mut notes))
                        .collect::<Result<Vec<_>, _>>()?;
                    Ok((u, groups))
                });
            let rendered = rendered.and_then(|(u, g)| {
                if crate::core::mapping::backend::reserved_prefix(&u, reserved).is_some() {
                    return Err(format!(
                        "invalid username '{u}' for mapper {mapper}: username must not begin with with the following prefixes: [{}]",
                        reserved.join(" ")
                    ));
                }
                Ok((u, g))
            });
            return match rendered {
                Ok((username, groups)) => Review {
                    authenticated: true,
                    user: Some(User {
                        username,
                        uid,
                        groups,
                        extra,
                    }),
                    error: None,
                    entry: Some(e.clone()),
                    via_account: false,
                    backend: Some(mapper),
                    notes,
                },
                Err(msg) => Review {
                    entry: Some(e.clone()),
                    backend: Some(mapper),
                    notes,
                    ..Review::denied(msg)
                },
            };
        }
        if let Some(Resolution::Account(arn)) = mapping.resolve(&identity.canonical_arn) {
            return Review {
                authenticated: true,
                user: Some(User {
                    username: arn,
                    uid,
                    groups: vec![],
                    extra,
                }),
                error: None,
                entry: None,
                via_account: true,
                backend: Some(mapper),
                notes,
            };
        }
    }
    Review {
        notes,
        ..Review::denied("identity is not mapped".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::document::AuthDocument;

    fn identity(arn: &str, user_id: &str, session: &str) -> Identity {
        let (_, canonical) = crate::core::arn::canonicalize(arn).unwrap();
        Identity {
            arn: arn.into(),
            canonical_arn: canonical,
            account_id: "111122223333".into(),
            user_id: user_id.into(),
            session_name: session.into(),
            access_key_id: "ASIAEXAMPLE".into(),
            sts_endpoint: "sts.amazonaws.com".into(),
        }
    }

    /// EKS asks the caller's access entry first, then aws-auth where the mode reads it.
    #[test]
    fn eks_resolves_access_entries_before_aws_auth() {
        use crate::core::access::{Access, AuthMode, Entry, Policy, Scope};
        let doc = AuthDocument::parse("t", "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [system:masters]\n    - rolearn: arn:aws:iam::111122223333:role/Dev\n      username: dev\n      groups: [devs]\n".to_string()).unwrap();
        let m = doc.effective();
        let access = |mode| Access {
            cluster_arn: "arn:aws:eks:us-east-1:111122223333:cluster/prod".into(),
            mode,
            bootstrap_creator_admin: None,
            entries: vec![Entry {
                principal_arn: "arn:aws:iam::111122223333:role/teams/Admin".into(),
                kind: "STANDARD".into(),
                username: "admin:{{SessionName}}".into(),
                kubernetes_groups: vec!["platform".into()],
                access_policies: vec![Policy {
                    policy_arn: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy".into(),
                    access_scope: Scope::Namespaces(vec!["dev".into()]),
                }],
                created_at: None,
            }],
        };
        let admin = identity(
            "arn:aws:sts::111122223333:assumed-role/Admin/jane",
            "AROAADMIN",
            "jane",
        );
        let dev = identity(
            "arn:aws:sts::111122223333:assumed-role/Dev/sam",
            "AROADEV",
            "sam",
        );
        let both = access(AuthMode::ApiAndConfigMap);
        let r = eks(&admin, &both, review(&admin, &m, None, &[]), None);
        let u = r.user.as_ref().unwrap();
        assert!(r.authenticated);
        assert_eq!(
            (u.username.as_str(), u.groups.clone()),
            ("admin:jane", vec!["platform".to_string()])
        );
        assert_eq!(r.backend, Some("EKS access entry"));
        assert!(
            r.notes
                .iter()
                .any(|n| n == "access policies: AmazonEKSViewPolicy (dev)"),
            "{:?}",
            r.notes
        );
        assert!(
            r.notes
                .iter()
                .any(|n| n.contains("aws-auth entry is shadowed"))
        );
        // No entry: aws-auth answers, and the note says why.
        let r = eks(&dev, &both, review(&dev, &m, None, &[]), None);
        assert_eq!(r.user.as_ref().unwrap().username, "dev");
        assert!(
            r.notes
                .iter()
                .any(|n| n.contains("has no EKS access entry (mode API_AND_CONFIG_MAP)"))
        );
        // CONFIG_MAP: access entries are not read, even when they exist.
        let cm = access(AuthMode::ConfigMap);
        let r = eks(&admin, &cm, review(&admin, &m, None, &[]), None);
        assert_eq!(
            r.user.as_ref().unwrap().groups,
            vec!["system:masters".to_string()]
        );
        // API: aws-auth is not read.
        let api = access(AuthMode::Api);
        let r = eks(&dev, &api, review(&dev, &m, None, &[]), None);
        assert!(!r.authenticated);
        assert!(r.error.unwrap().contains("does not read aws-auth"));
        assert!(eks(&admin, &api, review(&admin, &m, None, &[]), None).authenticated);
    }

    #[test]
    fn maps_renders_and_denies_like_the_authenticator() {
        let doc = AuthDocument::parse("t", "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/eks-node\n      username: system:node:{{EC2PrivateDNSName}}\n      groups: [system:bootstrappers, system:nodes]\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin:{{SessionName}}\n      groups: [system:masters]\n  mapAccounts: |\n    - \"444455556666\"\n".to_string()).unwrap();
        let m = doc.effective();
        let r = review(
            &identity(
                "arn:aws:sts::111122223333:assumed-role/Admin/jane@example.com",
                "AROAEXAMPLE",
                "jane@example.com",
            ),
            &m,
            None,
            &[],
        );
        assert!(r.authenticated);
        let u = r.user.clone().unwrap();
        assert_eq!(
            (u.username.as_str(), u.groups.clone()),
            ("admin:jane-example.com", vec!["system:masters".to_string()])
        );
        assert_eq!(u.uid, "aws-iam-authenticator:111122223333:AROAEXAMPLE");
        assert_eq!(
            r.token_review()["status"]["user"]["extra"]["sessionName"][0],
            "jane@example.com"
        );
        let node = review(
            &identity(
                "arn:aws:sts::111122223333:assumed-role/eks-node/i-0123456789abcdef0",
                "AROAN",
                "i-0123456789abcdef0",
            ),
            &m,
            Some("ip-10-0-0-1.ec2.internal"),
            &[],
        );
        assert_eq!(
            node.user.unwrap().username,
            "system:node:ip-10-0-0-1.ec2.internal"
        );
        let not_instance = review(
            &identity(
                "arn:aws:sts::111122223333:assumed-role/eks-node/jane",
                "AROAN",
                "jane",
            ),
            &m,
            None,
            &[],
        );
        assert!(!not_instance.authenticated);
        assert!(
            not_instance
                .error
                .unwrap()
                .contains("SessionName did not contain an instance id")
        );
        let reserved = review(
            &identity(
                "arn:aws:sts::111122223333:assumed-role/eks-node/i-0123456789abcdef0",
                "AROAN",
                "i-0123456789abcdef0",
            ),
            &m,
            Some("ip-1"),
            &["system:"],
        );
        assert_eq!(
            reserved.error.as_deref(),
            Some(
                "invalid username 'system:node:ip-1' for mapper EKSConfigMap: username must not begin with with the following prefixes: [system:]"
            )
        );
        let none = review(
            &identity("arn:aws:iam::111122223333:user/bob", "AIDA", ""),
            &m,
            None,
            &[],
        );
        assert_eq!(none.error.as_deref(), Some("identity is not mapped"));
        let mut acct = identity("arn:aws:iam::444455556666:user/carol", "AIDB", "");
        acct.account_id = "444455556666".into();
        let r = review(&acct, &m, None, &[]);
        assert!(r.via_account);
        assert_eq!(
            r.user.unwrap().username,
            "arn:aws:iam::444455556666:user/carol"
        );
    }

    #[test]
    fn the_chain_stops_at_the_first_backend_that_maps_or_fails() {
        let file = AuthDocument::parse("c", "clusterID: c\nserver:\n  mapRoles:\n  - roleARN: arn:aws:iam::111122223333:role/eks-node\n    username: system:node:{{EC2PrivateDNSName}}\n    groups: [system:nodes]\n".to_string()).unwrap();
        let cm = AuthDocument::parse("a", "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/eks-node\n      username: node\n      groups: [system:nodes]\n".to_string()).unwrap();
        let (f, a) = (file.effective(), cm.effective());
        let chain_of = |first: BackendMode| {
            let mut v = vec![
                Backend {
                    mode: BackendMode::MountedFile,
                    mapping: Ok(&f),
                },
                Backend {
                    mode: BackendMode::EksConfigMap,
                    mapping: Ok(&a),
                },
            ];
            if first == BackendMode::EksConfigMap {
                v.reverse();
            }
            v
        };
        let id = identity(
            "arn:aws:sts::111122223333:assumed-role/eks-node/not-an-instance",
            "AROAN",
            "not-an-instance",
        );
        // MountedFile first: its template fails, which denies; EKSConfigMap is never asked.
        let r = chain(&id, &chain_of(BackendMode::MountedFile), None, &[]);
        assert!(!r.authenticated);
        assert_eq!(r.backend, Some("MountedFile"));
        assert!(
            r.error
                .unwrap()
                .starts_with("mapper MountedFile renderTemplates error")
        );
        let r = chain(&id, &chain_of(BackendMode::EksConfigMap), None, &[]);
        assert!(r.authenticated);
        assert_eq!(r.user.unwrap().username, "node");
        // A backend that cannot be read is skipped with a note.
        let skipped = [
            Backend {
                mode: BackendMode::Crd,
                mapping: Err("not read".into()),
            },
            Backend {
                mode: BackendMode::EksConfigMap,
                mapping: Ok(&a),
            },
        ];
        let r = chain(&id, &skipped, None, &[]);
        assert!(r.authenticated);
        assert_eq!(r.notes, ["backend CRD was not consulted: not read"]);
    }
}
