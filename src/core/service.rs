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

#[cfg(test)]
mod tests {
    use super::*;

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
