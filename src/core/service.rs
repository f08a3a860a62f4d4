//! AWS services that eksctl grants cluster access with one flag (`--service-name`): the role to map, the
//! username, and the namespaced RBAC objects the service needs. Pure data, as eksctl embeds it
//! (`pkg/authconfigmap/assets/emr-containers-rbac.yaml`): the same rules, so a cluster set up by either
//! tool looks the same.

use serde_json::{Value, json};

/// `emr-containers` (EMR on EKS).
pub const EMR_CONTAINERS: &str = "emr-containers";

/// The service-linked role EMR on EKS calls the cluster with. Its real ARN has the path
/// `aws-service-role/emr-containers.amazonaws.com/`; aws-auth matches roles without their path.
pub const EMR_ROLE: &str = "AWSServiceRoleForAmazonEMRContainers";

/// The ARN to map for EMR on EKS in the cluster's account.
pub fn emr_role_arn(partition: &str, account: &str) -> String {
    format!("arn:{partition}:iam::{account}:role/{EMR_ROLE}")
}

fn rule(groups: &[&str], resources: &[&str], verbs: &[&str]) -> Value {
    json!({"apiGroups": groups, "resources": resources, "verbs": verbs})
}

/// The Role and RoleBinding EMR on EKS needs in its namespace (apply-ready objects).
pub fn emr_rbac(namespace: &str) -> (Value, Value) {
    let manage = [
        "get", "list", "watch", "describe", "create", "edit", "delete", "annotate", "patch",
        "label",
    ];
    let manage_all = [
        "get",
        "list",
        "watch",
        "describe",
        "create",
        "edit",
        "delete",
        "deletecollection",
        "annotate",
        "patch",
        "label",
    ];
    let role = json!({
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "Role",
        "metadata": {"name": EMR_CONTAINERS, "namespace": namespace},
        "rules": [
            rule(&[""], &["namespaces"], &["get"]),
            rule(&[""], &["serviceaccounts", "services", "configmaps", "events", "pods", "pods/log"], &manage_all),
            rule(&[""], &["secrets"], &["create", "patch", "delete", "watch"]),
            rule(&["apps"], &["statefulsets", "deployments"], &manage),
            rule(&["batch"], &["jobs"], &manage),
            rule(&["extensions"], &["ingresses"], &manage),
            rule(&["rbac.authorization.k8s.io"], &["roles", "rolebindings"], &manage_all),
            rule(&[""], &["persistentvolumeclaims"], &["create", "list", "delete"]),
        ],
    });
    let binding = json!({
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": {"name": EMR_CONTAINERS, "namespace": namespace},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": EMR_CONTAINERS},
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": EMR_CONTAINERS}],
    });
    (role, binding)
}

/// Whether the objects in the namespace already give the service what [`emr_rbac`] gives: the Role holds
/// each wanted rule (same API groups, resources and verbs) and the RoleBinding binds the same role to the
/// same user. Then nothing needs to be written.
pub fn in_place(want: &(Value, Value), role: Option<&Value>, binding: Option<&Value>) -> bool {
    let (Some(role), Some(binding)) = (role, binding) else {
        return false;
    };
    let key = |r: &Value| {
        (
            r["apiGroups"].clone(),
            r["resources"].clone(),
            r["verbs"].clone(),
        )
    };
    let rules: Vec<_> = role["rules"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter(|r| r["resourceNames"].is_null())
                .map(key)
                .collect()
        })
        .unwrap_or_default();
    let all_rules = want.0["rules"]
        .as_array()
        .is_some_and(|w| w.iter().all(|r| rules.contains(&key(r))));
    let subject = |s: &Value| (s["kind"].clone(), s["name"].clone());
    let subjects: Vec<_> = binding["subjects"]
        .as_array()
        .map(|a| a.iter().map(subject).collect())
        .unwrap_or_default();
    let bound = want.1["subjects"]
        .as_array()
        .is_some_and(|w| w.iter().all(|s| subjects.contains(&subject(s))));
    all_rules && bound && binding["roleRef"] == want.1["roleRef"]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_in_place_are_recognised_and_anything_less_is_not() {
        let want = emr_rbac("spark");
        let (role, binding) = want.clone();
        assert!(in_place(&want, Some(&role), Some(&binding)));
        assert!(!in_place(&want, None, Some(&binding)));
        assert!(!in_place(&want, Some(&role), None));
        // More rules and more subjects are fine (someone added to them).
        let mut more = role.clone();
        more["rules"]
            .as_array_mut()
            .unwrap()
            .push(rule(&[""], &["nodes"], &["get"]));
        let mut shared = binding.clone();
        shared["subjects"]
            .as_array_mut()
            .unwrap()
            .push(json!({"kind": "Group", "name": "spark-admins"}));
        assert!(in_place(&want, Some(&more), Some(&shared)));
        // A rule narrowed, a rule limited to names, another role, another user: not in place.
        let mut narrowed = role.clone();
        narrowed["rules"][1]["verbs"] = json!(["get"]);
        assert!(!in_place(&want, Some(&narrowed), Some(&binding)));
        let mut named = role.clone();
        named["rules"][0]["resourceNames"] = json!(["spark"]);
        assert!(!in_place(&want, Some(&named), Some(&binding)));
        let mut other_role = binding.clone();
        other_role["roleRef"]["name"] = json!("edit");
        assert!(!in_place(&want, Some(&role), Some(&other_role)));
        let mut other_user = binding.clone();
        other_user["subjects"][0]["name"] = json!("emr");
        assert!(!in_place(&want, Some(&role), Some(&other_user)));
    }

    #[test]
    fn the_emr_objects_bind_the_mapped_username_in_the_namespace() {
        let (role, binding) = emr_rbac("spark");
        assert_eq!(role["metadata"]["namespace"], "spark");
        assert_eq!(binding["metadata"]["namespace"], "spark");
        assert_eq!(binding["roleRef"]["name"], role["metadata"]["name"]);
        assert_eq!(binding["subjects"][0]["name"], EMR_CONTAINERS);
        assert_eq!(role["rules"].as_array().unwrap().len(), 8);
        assert_eq!(
            emr_role_arn("aws-cn", "111122223333"),
            "arn:aws-cn:iam::111122223333:role/AWSServiceRoleForAmazonEMRContainers"
        );
    }
}
