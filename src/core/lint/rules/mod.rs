//! The rule table and one small function per rule. Messages say what the authenticator (or kubectl)
//! will do; hints say what to change.
//! The rules live by family in this folder; the registry (`RULES`, with each rule's documentation and
//! examples) is here, in one place.

use super::{Ctx, Finding, Rule, Severity};
use crate::core::arn::{self, PrincipalType};
use crate::core::document::{CarrierKind, Shape};
use crate::core::mapping::{DataKey, Entry, ListErrorKind, ListKind, ListParse, ListShape};
use crate::core::mapping::{backend, template};

mod carriers;
mod document;
mod entries;
mod templates;

use carriers::*;
use document::*;
use entries::*;
use templates::*;

/// The ConfigMap data size limit of the API server (1 MiB).
pub const SIZE_LIMIT: usize = 1024 * 1024;

const NODE_USERNAMES: [&str; 2] = [
    "system:node:{{EC2PrivateDNSName}}",
    "system:node:{{SessionName}}",
];

fn rule(id: &str) -> &'static Rule {
    super::rule(id).expect("rule id in table")
}

fn kind(ctx: &Ctx<'_>) -> CarrierKind {
    ctx.doc.facts.carrier.kind
}

/// A list key as the carrier names it: `mapRoles`, `server.mapRoles`, `spec.mapRoles`.
fn path(ctx: &Ctx<'_>, key: DataKey) -> String {
    kind(ctx).key_path(key)
}

/// What the authenticator does with an entry it cannot load: the EKSConfigMap backend drops the entry,
/// the MountedFile backend refuses to start (aws-iam-authenticator pkg/mapper/file/mapper.go).
fn drops(ctx: &Ctx<'_>, what: &str) -> String {
    if kind(ctx).structured() {
        format!(
            "the authenticator server refuses to start with {what}, so nobody can log in until it is fixed"
        )
    } else {
        format!("the authenticator drops {what}")
    }
}

/// Which carriers a rule applies to, and how it differs between them (docs/lint-rules.md).
pub fn carriers(id: &str) -> (&'static str, Option<&'static str>) {
    match id {
        "IM003" | "IM004" | "IM005" => (
            "aws-auth, authenticator-config",
            Some(
                "for the authenticator config this is about the ConfigMap `kube-system/aws-iam-authenticator` (not the config file on disk)",
            ),
        ),
        "IM006" => ("aws-auth", None),
        "IM008" => (
            "all",
            Some(
                "aws-auth values must be strings (`|` blocks); the authenticator config and AWSIamConfig want YAML lists, and a `|` string there (copied from aws-auth) stops the server",
            ),
        ),
        "IM009" => (
            "aws-auth, awsiamconfig",
            Some(
                "the authenticator config is read case-insensitively (viper), so `maproles` works there",
            ),
        ),
        "IM010" | "IM011" | "IM013" => (
            "all",
            Some(
                "aws-auth drops the list or entry; the authenticator config and AWSIamConfig (MountedFile backend) refuse to start, so nobody can log in",
            ),
        ),
        "IM017" => (
            "aws-auth",
            Some(
                "the MountedFile backend canonicalizes role ARNs, so an assumed-role ARN works in the authenticator config and AWSIamConfig",
            ),
        ),
        "IM021" => (
            "aws-auth",
            Some(
                "`roleARN`/`userARN` is the documented spelling of the authenticator config and AWSIamConfig",
            ),
        ),
        "IM034" | "IM035" | "IM037" | "IM038" => ("aws-auth, authenticator-config", None),
        "IM050" | "IM051" => ("authenticator-config", None),
        "IM056" | "IM057" | "IM058" | "IM059" => (
            "aws-auth",
            Some(
                "the authenticator config and AWSIamConfig are read by viper, not by the ConfigMap path these rules describe",
            ),
        ),
        "IM052" | "IM054" | "IM055" => ("awsiamconfig", None),
        "IM053" => ("authenticator-config, awsiamconfig", None),
        _ => ("all", None),
    }
}

fn lists<'a>(ctx: &'a Ctx<'_>) -> [(&'a ListParse, DataKey); 2] {
    [
        (&ctx.doc.roles, DataKey::MapRoles),
        (&ctx.doc.users, DataKey::MapUsers),
    ]
}

fn entries<'a>(ctx: &'a Ctx<'_>) -> impl Iterator<Item = (&'a Entry, DataKey)> {
    lists(ctx)
        .into_iter()
        .flat_map(|(l, k)| l.entries.iter().map(move |e| (e, k)))
}

fn valid_entries<'a>(ctx: &'a Ctx<'_>) -> impl Iterator<Item = (&'a Entry, DataKey)> {
    entries(ctx).filter(|(e, _)| e.is_valid())
}

fn arn_location(ctx: &Ctx<'_>, e: &Entry, key: DataKey) -> crate::core::document::Location {
    let span = e.field(e.list.arn_field()).map_or(e.span, |f| f.value_span);
    ctx.inner(key, span)
}

fn field_location(
    ctx: &Ctx<'_>,
    e: &Entry,
    key: DataKey,
    field: &str,
) -> crate::core::document::Location {
    let span = e.field(field).map_or(e.span, |f| f.value_span);
    ctx.inner(key, span)
}

/// The entry's ARN, or what identifies it when it has none.
impl Entry {
    fn key_display(&self) -> String {
        if self.arn.is_empty() {
            self.key()
        } else {
            self.arn.clone()
        }
    }
}

macro_rules! r {
    ($id:literal, $name:literal, $sev:ident, $check:ident, $summary:literal, $fail:literal, $pass:literal) => {
        Rule {
            id: $id,
            name: $name,
            severity: Severity::$sev,
            summary: $summary,
            fail_example: $fail,
            pass_example: $pass,
            check: $check,
            needs: None,
        }
    };
}

/// A rule `iamidmap check` applies with IAM's or RBAC's answers (core::check makes its findings).
macro_rules! c {
    ($id:literal, $name:literal, $sev:ident, $needs:literal, $summary:literal, $fail:literal, $pass:literal) => {
        Rule {
            id: $id,
            name: $name,
            severity: Severity::$sev,
            summary: $summary,
            fail_example: $fail,
            pass_example: $pass,
            check: none,
            needs: Some($needs),
        }
    };
}

fn none(_: &Ctx<'_>, _: &mut Vec<Finding>) {}

pub static RULES: &[Rule] = &[
    r!(
        "IM001",
        "manifest-syntax",
        Error,
        none,
        "The file is not valid YAML or JSON, so kubectl cannot apply it.",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: aws-auth\n  namespace: kube-system\ndata:\n  mapRoles:|\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n",
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups:\n        - platform-admins\n"
    ),
    r!(
        "IM002",
        "no-aws-auth",
        Error,
        none,
        "Nothing in the file looks like aws-auth (no `mapRoles`, `mapUsers` or `mapAccounts` anywhere).",
        "# apiVersion: v1\n# kind: ConfigMap\n# data:\n#   mapRoles: |\n",
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups:\n        - platform-admins\n"
    ),
    r!(
        "IM003",
        "not-a-configmap",
        Error,
        object_identity,
        "The object is not a complete v1 ConfigMap (wrong apiVersion or kind, or no metadata.name), so kubectl or the authenticator will not use it.",
        "apiVersion: v1\nkind: ConfigMap\ndata:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [platform-admins]\n",
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [platform-admins]\n"
    ),
    r!(
        "IM004",
        "not-kube-system-aws-auth",
        Error,
        object_identity,
        "The ConfigMap has another name or namespace; the authenticator reads only kube-system/aws-auth.",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: aws-auth-staging\n  namespace: kube-system\ndata:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [platform-admins]\n",
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [platform-admins]\n"
    ),
    r!(
        "IM005",
        "namespace-missing",
        Warning,
        object_identity,
        "No metadata.namespace: kubectl apply uses the current namespace, which is usually not kube-system.",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: aws-auth\ndata:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [platform-admins]\n",
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [platform-admins]\n"
    ),
    r!(
        "IM006",
        "patch-fragment",
        Warning,
        patch_fragment,
        "A data-only fragment works only with kubectl patch, and a merge patch replaces each key it names whole.",
        "mapRoles: |\n  - rolearn: arn:aws:iam::111122223333:role/Admin\n    username: admin\n    groups: [platform-admins]\n",
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [platform-admins]\n"
    ),
    r!(
        "IM007",
        "duplicate-key",
        Error,
        duplicate_keys,
        "A key is written twice in the object, its metadata or its data; kubectl refuses the file and lenient tools keep only the last.",
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [platform-admins]\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Dev\n      username: dev\n      groups: [developers]\n",
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [platform-admins]\n    - rolearn: arn:aws:iam::111122223333:role/Dev\n      username: dev\n      groups: [developers]\n"
    ),
    r!(
        "IM008",
        "data-value-not-string",
        Error,
        data_wrong_type,
        "A data value is a YAML list or mapping instead of a string (the `|` is missing); the API server refuses the ConfigMap.",
        "data:\n  mapRoles:\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [platform-admins]\n",
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [platform-admins]\n"
    ),
    r!(
        "IM009",
        "data-key-case",
        Error,
        data_key_case,
        "A data key such as `maproles` or `MapRoles` is in the wrong case; the authenticator silently ignores it.",
        "data:\n  maproles: |\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [platform-admins]\n",
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [platform-admins]\n"
    ),
    r!(
        "IM010",
        "list-dropped",
        Error,
        list_dropped,
        "The YAML inside mapRoles, mapUsers or mapAccounts is invalid (or not a list); the authenticator drops every entry of that key, node roles included.",
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/eks-node\n      username: system:node:{{EC2PrivateDNSName}}\n      groups:\n        - system:bootstrappers\n        - system:nodes\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n     username: admin\n",
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/eks-node\n      username: system:node:{{EC2PrivateDNSName}}\n      groups:\n        - system:bootstrappers\n        - system:nodes\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [platform-admins]\n"
    ),
    r!(
        "IM011",
        "unquoted-template",
        Error,
        list_dropped,
        "A value starts with an unquoted `{{`: YAML reads a mapping, the YAML->JSON step fails and the whole list is dropped.",
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: {{SessionName}}\n      groups: [platform-admins]\n",
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: \"{{SessionName}}\"\n      groups: [platform-admins]\n"
    ),
    r!(
        "IM012",
        "comment-only-list",
        Error,
        comment_only,
        "A map key holds only comments: it maps nothing, and applying the file removes all of that key's entries from the cluster.",
        "data:\n  mapRoles: |\n    # - rolearn: arn:aws:iam::111122223333:role/eks-node\n    #   username: system:node:{{EC2PrivateDNSName}}\n",
        "data:\n  mapRoles: |\n    # node role\n    - rolearn: arn:aws:iam::111122223333:role/eks-node\n      username: system:node:{{EC2PrivateDNSName}}\n      groups:\n        - system:bootstrappers\n        - system:nodes\n"
    ),
    r!(
        "IM013",
        "entry-dropped",
        Error,
        entry_dropped,
        "An entry fails the authenticator's validation (no rolearn/userarn, both rolearn and sso, a bad sso block, not a mapping) and is dropped.",
        "data:\n  mapUsers: |\n    - user_arn: arn:aws:iam::111122223333:user/alice\n      username: alice\n      groups: [developers]\n",
        "data:\n  mapUsers: |\n    - userarn: arn:aws:iam::111122223333:user/alice\n      username: alice\n      groups: [developers]\n"
    ),
    r!(
        "IM014",
        "field-type",
        Error,
        field_type,
        "A field has the wrong type (groups given as a string, an unquoted `yes` or number); the entry is kept with that field empty.",
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups:\n        -system:masters\n",
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups:\n        - system:masters\n"
    ),
    r!(
        "IM015",
        "folded-scalar",
        Error,
        folded_scalar,
        "A group or username continues on the next line (the indentation trap), so two values become one string and nothing is granted.",
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/eks-node\n      username: system:node:{{EC2PrivateDNSName}}\n      groups:\n        - system:bootstrappers\n         - system:nodes\n",
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/eks-node\n      username: system:node:{{EC2PrivateDNSName}}\n      groups:\n        - system:bootstrappers\n        - system:nodes\n"
    ),
    r!(
        "IM016",
        "role-path",
        Error,
        role_path,
        "A role ARN with a path (IAM Identity Center's aws-reserved path included) never matches: callers are matched by the path-less role ARN.",
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/teams/platform/Admin\n      username: admin\n      groups: [platform-admins]\n",
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [platform-admins]\n"
    ),
    r!(
        "IM017",
        "assumed-role-arn",
        Error,
        assumed_role,
        "An sts assumed-role session ARN never matches: callers are matched by their canonical role ARN.",
        "data:\n  mapUsers: |\n    - userarn: arn:aws:sts::111122223333:assumed-role/Admin/alice\n      username: alice\n      groups: [platform-admins]\n",
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin:{{SessionName}}\n      groups: [platform-admins]\n"
    ),
    r!(
        "IM018",
        "invalid-arn",
        Error,
        invalid_arn,
        "The ARN is malformed, has an unknown partition or service, a non-12-digit account, or is an unreplaced placeholder; it never matches.",
        "data:\n  mapRoles: |\n    - rolearn: <ARN of the node instance role>\n      username: system:node:{{EC2PrivateDNSName}}\n      groups:\n        - system:bootstrappers\n        - system:nodes\n",
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/eks-node\n      username: system:node:{{EC2PrivateDNSName}}\n      groups:\n        - system:bootstrappers\n        - system:nodes\n"
    ),
    r!(
        "IM019",
        "root-or-federated",
        Warning,
        root_or_federated,
        "The account root user or a federated-user session is mapped.",
        "data:\n  mapUsers: |\n    - userarn: arn:aws:iam::111122223333:root\n      username: root\n      groups: [platform-admins]\n",
        "data:\n  mapUsers: |\n    - userarn: arn:aws:iam::111122223333:user/alice\n      username: alice\n      groups: [platform-admins]\n"
    ),
    r!(
        "IM020",
        "arn-in-wrong-list",
        Warning,
        wrong_list,
        "A user ARN under mapRoles or a role ARN under mapUsers: it matches, but misleads readers and breaks session templates.",
        "data:\n  mapUsers: |\n    - userarn: arn:aws:iam::111122223333:role/Deployer\n      username: deployer\n      groups: [deployers]\n",
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Deployer\n      username: deployer\n      groups: [deployers]\n"
    ),
    r!(
        "IM021",
        "entry-key-case",
        Info,
        entry_key_case,
        "An entry key in another case (`roleARN`, `UserName`) works, since entry keys are case-insensitive, but is not portable.",
        "data:\n  mapRoles: |\n    - roleARN: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [platform-admins]\n",
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [platform-admins]\n"
    ),
    r!(
        "IM022",
        "unknown-entry-key",
        Warning,
        unknown_key,
        "An entry key the authenticator does not know (`role_arn`, ` username`) is silently ignored.",
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      user_name: admin\n      groups: [platform-admins]\n",
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [platform-admins]\n"
    ),
    r!(
        "IM023",
        "duplicate-arn",
        Error,
        duplicates,
        "The same ARN is mapped twice with different mappings: the last entry silently wins (user ARNs differing only in case resolve at random).",
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [system:masters]\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: viewer\n      groups: [viewers]\n",
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [system:masters, viewers]\n"
    ),
    r!(
        "IM024",
        "duplicate-entry",
        Warning,
        duplicates,
        "The same mapping is written twice.",
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [platform-admins]\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [platform-admins]\n",
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [platform-admins]\n"
    ),
    r!(
        "IM025",
        "no-groups",
        Warning,
        no_groups,
        "An entry has no groups: the caller gets only what RBAC grants its username.",
        "data:\n  mapUsers: |\n    - userarn: arn:aws:iam::111122223333:user/alice\n      username: alice\n",
        "data:\n  mapUsers: |\n    - userarn: arn:aws:iam::111122223333:user/alice\n      username: alice\n      groups: [developers]\n"
    ),
    r!(
        "IM026",
        "no-username",
        Warning,
        no_username,
        "An entry has no username: the caller authenticates with an empty username.",
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      groups: [platform-admins]\n",
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [platform-admins]\n"
    ),
    r!(
        "IM027",
        "reserved-username",
        Warning,
        reserved_username,
        "A username with a reserved prefix (`system:`, `eks:`, `aws:`, `amazon:`, `iam:`) other than the node forms impersonates a system identity.",
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: system:admin\n      groups: [platform-admins]\n",
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [platform-admins]\n"
    ),
    r!(
        "IM028",
        "node-role-groups",
        Error,
        node_role_groups,
        "A node mapping (`system:node:…` username) lacks `system:bootstrappers` or `system:nodes`, so nodes cannot join.",
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/eks-node\n      username: system:node:{{EC2PrivateDNSName}}\n      groups:\n        - system:nodes\n",
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/eks-node\n      username: system:node:{{EC2PrivateDNSName}}\n      groups:\n        - system:bootstrappers\n        - system:nodes\n"
    ),
    r!(
        "IM029",
        "ec2-template-on-user",
        Error,
        ec2_template_on_user,
        "`{{EC2PrivateDNSName}}` on an IAM user (or root) cannot render: there is no instance session, so authentication fails.",
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:user/builder\n      username: system:node:{{EC2PrivateDNSName}}\n      groups:\n        - system:bootstrappers\n        - system:nodes\n",
        "data:\n  mapUsers: |\n    - userarn: arn:aws:iam::111122223333:user/builder\n      username: builder\n      groups: [builders]\n"
    ),
    r!(
        "IM030",
        "session-template-on-user",
        Warning,
        session_template_on_user,
        "`{{SessionName}}` on an IAM user renders empty: users have no session name.",
        "data:\n  mapUsers: |\n    - userarn: arn:aws:iam::111122223333:user/alice\n      username: alice-{{SessionName}}\n      groups: [developers]\n",
        "data:\n  mapUsers: |\n    - userarn: arn:aws:iam::111122223333:user/alice\n      username: alice\n      groups: [developers]\n"
    ),
    r!(
        "IM031",
        "caller-chosen-username",
        Info,
        caller_chosen_username,
        "`{{SessionName}}`/`{{AccessKeyID}}` in a role's username is chosen by whoever assumes the role; safe only when just the IdP or EC2 can assume it.",
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Developer\n      username: dev:{{SessionName}}\n      groups: [developers]\n",
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Developer\n      username: developer\n      groups: [developers]\n"
    ),
    r!(
        "IM032",
        "unknown-template",
        Warning,
        unknown_template,
        "A `{{…}}` placeholder the authenticator does not know is left verbatim (names are case-sensitive).",
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Developer\n      username: \"dev:{{Session}}\"\n      groups: [developers]\n",
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Developer\n      username: \"dev:{{SessionName}}\"\n      groups: [developers]\n"
    ),
    r!(
        "IM033",
        "system-masters",
        Info,
        system_masters,
        "An entry grants `system:masters`, unrestricted admin that RBAC cannot limit.",
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [system:masters]\n",
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [platform-admins]\n"
    ),
    r!(
        "IM034",
        "map-accounts",
        Warning,
        map_accounts,
        "`mapAccounts` lets every role and user of an account authenticate (username = ARN, no groups).",
        "data:\n  mapAccounts: |\n    - \"111122223333\"\n",
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [platform-admins]\n"
    ),
    r!(
        "IM035",
        "invalid-account",
        Error,
        map_accounts,
        "A `mapAccounts` item is not a 12-digit account ID and never matches.",
        "data:\n  mapAccounts: |\n    - \"1111-2222-3333\"\n",
        "data:\n  mapAccounts: |\n    - \"111122223333\"\n"
    ),
    r!(
        "IM036",
        "sso-entry",
        Warning,
        sso_entry,
        "An `sso:` entry needs the alpha SSORoleMatch gate, which EKS does not enable; on EKS it never matches.",
        "data:\n  mapRoles: |\n    - sso:\n        permissionSetName: AdministratorAccess\n        accountID: \"111122223333\"\n      username: admin\n      groups: [platform-admins]\n",
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/AWSReservedSSO_AdministratorAccess_0123456789abcdef\n      username: admin\n      groups: [platform-admins]\n"
    ),
    r!(
        "IM037",
        "size-limit",
        Error,
        size,
        "The data is over the API server's 1 MiB ConfigMap limit; the write is refused.",
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [platform-admins]\n  padding: \"(more than 1 MiB)\"\n",
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [platform-admins]\n"
    ),
    r!(
        "IM038",
        "size-near-limit",
        Warning,
        size,
        "The data is within 10% of the 1 MiB ConfigMap limit.",
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [platform-admins]\n  padding: \"(about 1,000,000 bytes)\"\n",
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [platform-admins]\n"
    ),
    c!(
        "IM039",
        "iam-principal-missing",
        Error,
        "IAM",
        "The mapped role or user does not exist in IAM: the entry is dead, and whoever creates a principal with that name later silently gets its access.",
        "# IAM: there is no role named Admin in 111122223333\ndata:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [platform-admins]\n",
        "# IAM: role Admin exists in 111122223333\ndata:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [platform-admins]\n"
    ),
    c!(
        "IM040",
        "iam-path-mismatch",
        Error,
        "IAM",
        "The entry's ARN has a path the principal does not have (a role entry with a path that is not the role's, a user entry whose path differs from the user's): it never matches. A path-less role entry is right whatever the role's path.",
        "# IAM: user alice has the path /engineering/\ndata:\n  mapUsers: |\n    - userarn: arn:aws:iam::111122223333:user/alice\n      username: alice\n      groups: [developers]\n",
        "# IAM: user alice has the path /engineering/\ndata:\n  mapUsers: |\n    - userarn: arn:aws:iam::111122223333:user/engineering/alice\n      username: alice\n      groups: [developers]\n"
    ),
    c!(
        "IM041",
        "iam-other-account",
        Warning,
        "IAM",
        "The principal is in another account (or partition) than the cluster's: that account controls this access, and its IAM cannot be checked with the cluster account's credentials.",
        "# IAM: the cluster's account is 111122223333\ndata:\n  mapRoles: |\n    - rolearn: arn:aws:iam::444455556666:role/Admin\n      username: admin\n      groups: [platform-admins]\n",
        "# IAM: the cluster's account is 111122223333\ndata:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [platform-admins]\n"
    ),
    c!(
        "IM042",
        "iam-service-linked-role",
        Warning,
        "IAM",
        "The mapped role is service-linked (path `/aws-service-role/`): only an AWS service can assume it, so the entry gives that service cluster access.",
        "# IAM: role AWSServiceRoleForExample has the path /aws-service-role/example.amazonaws.com/\ndata:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/AWSServiceRoleForExample\n      username: example\n      groups: [platform-admins]\n",
        "# IAM: role Admin has the path /\ndata:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [platform-admins]\n"
    ),
    c!(
        "IM043",
        "iam-caller-named-session",
        Warning,
        "IAM",
        "The username takes `{{SessionName}}` and the role's trust policy lets IAM users or whole accounts assume it with no condition on `sts:RoleSessionName`: the caller chooses its own Kubernetes username.",
        "# IAM: role Dev trusts arn:aws:iam::111122223333:root for sts:AssumeRole\ndata:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Dev\n      username: \"{{SessionName}}\"\n      groups: [developers]\n",
        "# IAM: role Dev trusts arn:aws:iam::111122223333:root with sts:RoleSessionName = ${aws:username}\ndata:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Dev\n      username: \"{{SessionName}}\"\n      groups: [developers]\n"
    ),
    c!(
        "IM044",
        "iam-principal-recreated",
        Warning,
        "IAM",
        "IAM created the principal after the entry was last written (the ConfigMap's last write, or the oldest backup that holds the entry): the mapping was written for an earlier principal of that name.",
        "# IAM: role Admin created 2026-06-01; the ConfigMap was last written 2026-03-01\ndata:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [platform-admins]\n",
        "# IAM: role Admin created 2025-06-01; the ConfigMap was last written 2026-03-01\ndata:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [platform-admins]\n"
    ),
    c!(
        "IM045",
        "iam-not-checked",
        Info,
        "IAM",
        "IAM could not be asked about the principal (access denied, throttled past the retries, unreachable).",
        "# IAM: GetRole answers AccessDenied\ndata:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [platform-admins]\n",
        "# IAM: GetRole answers\ndata:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [platform-admins]\n"
    ),
    c!(
        "IM046",
        "rbac-group-unbound",
        Warning,
        "RBAC",
        "A group of the entry is named by no RoleBinding or ClusterRoleBinding, so it grants nothing (`system:masters` and `system:nodes` are authorized without RBAC and never flagged).",
        "# RBAC: no binding names the group platform-admins\ndata:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [platform-admins]\n",
        "# RBAC: ClusterRoleBinding platform-admins binds group platform-admins to cluster-admin\ndata:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [platform-admins]\n"
    ),
    c!(
        "IM047",
        "rbac-grants-nothing",
        Warning,
        "RBAC",
        "Neither the username nor any group of the entry reaches an existing Role or ClusterRole: callers authenticate and are then Forbidden.",
        "# RBAC: nothing binds user dev or group developers\ndata:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Dev\n      username: dev\n      groups: [developers]\n",
        "# RBAC: RoleBinding team-a/developers binds group developers to ClusterRole edit\ndata:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Dev\n      username: dev\n      groups: [developers]\n"
    ),
    c!(
        "IM048",
        "rbac-can-edit-aws-auth",
        Warning,
        "RBAC",
        "The entry's username or groups may update or patch the aws-auth ConfigMap (without holding system:masters): it can map itself to system:masters.",
        "# RBAC: Role kube-system/cm-editor allows update on configmaps; bound to group ops\ndata:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Ops\n      username: ops\n      groups: [ops]\n",
        "# RBAC: Role kube-system/cm-editor allows update on configmaps named coredns; bound to group ops\ndata:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Ops\n      username: ops\n      groups: [ops]\n"
    ),
    c!(
        "IM049",
        "rbac-aws-auth-editor",
        Warning,
        "RBAC",
        "A subject outside aws-auth (a service account, an OIDC user or group; `system:` subjects excepted) may update or patch the aws-auth ConfigMap, and so can make any IAM principal cluster admin.",
        "# RBAC: ClusterRole configmap-writer (update configmaps) bound to ServiceAccount ci/deployer\ndata:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [system:masters]\n",
        "# RBAC: ClusterRole configmap-writer (update configmaps) bound to group system:masters only\ndata:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [system:masters]\n"
    ),
    r!(
        "IM050",
        "authenticator-config-unreadable",
        Error,
        config_unreadable,
        "The `config.yaml` of the aws-iam-authenticator ConfigMap is missing or not valid YAML: the authenticator cannot load its config and does not start.",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: aws-iam-authenticator\n  namespace: kube-system\ndata:\n  config.yaml: |\n    clusterID: prod.example.com\n    server:\n      mapRoles:\n      - roleARN: arn:aws:iam::111122223333:role/Admin\n        username: admin\n       groups: [platform-admins]\n",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: aws-iam-authenticator\n  namespace: kube-system\ndata:\n  config.yaml: |\n    clusterID: prod.example.com\n    server:\n      mapRoles:\n      - roleARN: arn:aws:iam::111122223333:role/Admin\n        username: admin\n        groups: [platform-admins]\n"
    ),
    r!(
        "IM051",
        "cluster-id-missing",
        Error,
        cluster_id,
        "The authenticator config has no `clusterID`: the server refuses to start, and tokens are bound to that ID.",
        "server:\n  mapRoles:\n  - roleARN: arn:aws:iam::111122223333:role/Admin\n    username: admin\n    groups: [platform-admins]\n",
        "clusterID: prod.example.com\nserver:\n  mapRoles:\n  - roleARN: arn:aws:iam::111122223333:role/Admin\n    username: admin\n    groups: [platform-admins]\n"
    ),
    r!(
        "IM052",
        "identity-provider-ref",
        Error,
        identity_provider_ref,
        "No Cluster in the EKS Anywhere spec lists this AWSIamConfig in `spec.identityProviderRefs`, so EKS Anywhere does not use its mappings.",
        "apiVersion: anywhere.eks.amazonaws.com/v1alpha1\nkind: Cluster\nmetadata:\n  name: prod\nspec:\n  identityProviderRefs:\n    - kind: AWSIamConfig\n      name: aws-iam-auth\n---\napiVersion: anywhere.eks.amazonaws.com/v1alpha1\nkind: AWSIamConfig\nmetadata:\n  name: iam-auth\nspec:\n  backendMode: [EKSConfigMap]\n  mapRoles:\n    - roleARN: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [platform-admins]\n",
        "apiVersion: anywhere.eks.amazonaws.com/v1alpha1\nkind: Cluster\nmetadata:\n  name: prod\nspec:\n  identityProviderRefs:\n    - kind: AWSIamConfig\n      name: iam-auth\n---\napiVersion: anywhere.eks.amazonaws.com/v1alpha1\nkind: AWSIamConfig\nmetadata:\n  name: iam-auth\nspec:\n  backendMode: [EKSConfigMap]\n  mapRoles:\n    - roleARN: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [platform-admins]\n"
    ),
    r!(
        "IM053",
        "backend-mode",
        Error,
        backend_modes,
        "The backend modes are empty, unknown or listed twice (aws-iam-authenticator pkg/mapper/mapper.go): the authenticator refuses to start.",
        "apiVersion: anywhere.eks.amazonaws.com/v1alpha1\nkind: Cluster\nmetadata:\n  name: prod\nspec:\n  identityProviderRefs:\n    - kind: AWSIamConfig\n      name: iam-auth\n---\napiVersion: anywhere.eks.amazonaws.com/v1alpha1\nkind: AWSIamConfig\nmetadata:\n  name: iam-auth\nspec:\n  backendMode: [EKSConfigMap, ConfigMapz]\n  mapRoles:\n    - roleARN: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [platform-admins]\n",
        "apiVersion: anywhere.eks.amazonaws.com/v1alpha1\nkind: Cluster\nmetadata:\n  name: prod\nspec:\n  identityProviderRefs:\n    - kind: AWSIamConfig\n      name: iam-auth\n---\napiVersion: anywhere.eks.amazonaws.com/v1alpha1\nkind: AWSIamConfig\nmetadata:\n  name: iam-auth\nspec:\n  backendMode: [EKSConfigMap, CRD]\n  mapRoles:\n    - roleARN: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [platform-admins]\n"
    ),
    r!(
        "IM054",
        "no-mappings",
        Error,
        maps_missing,
        "An AWSIamConfig without `mapRoles` or `mapUsers` whose backend is not CRD maps nobody.",
        "apiVersion: anywhere.eks.amazonaws.com/v1alpha1\nkind: Cluster\nmetadata:\n  name: prod\nspec:\n  identityProviderRefs:\n    - kind: AWSIamConfig\n      name: iam-auth\n---\napiVersion: anywhere.eks.amazonaws.com/v1alpha1\nkind: AWSIamConfig\nmetadata:\n  name: iam-auth\nspec:\n  backendMode: [EKSConfigMap]\n  awsRegion: us-west-2\n",
        "apiVersion: anywhere.eks.amazonaws.com/v1alpha1\nkind: Cluster\nmetadata:\n  name: prod\nspec:\n  identityProviderRefs:\n    - kind: AWSIamConfig\n      name: iam-auth\n---\napiVersion: anywhere.eks.amazonaws.com/v1alpha1\nkind: AWSIamConfig\nmetadata:\n  name: iam-auth\nspec:\n  backendMode: [CRD]\n  awsRegion: us-west-2\n"
    ),
    r!(
        "IM055",
        "unknown-partition",
        Error,
        partition,
        "The AWSIamConfig's `partition` is not an AWS partition, so no token can be verified.",
        "apiVersion: anywhere.eks.amazonaws.com/v1alpha1\nkind: Cluster\nmetadata:\n  name: prod\nspec:\n  identityProviderRefs:\n    - kind: AWSIamConfig\n      name: iam-auth\n---\napiVersion: anywhere.eks.amazonaws.com/v1alpha1\nkind: AWSIamConfig\nmetadata:\n  name: iam-auth\nspec:\n  backendMode: [EKSConfigMap]\n  partition: aws-moon\n  mapRoles:\n    - roleARN: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [platform-admins]\n",
        "apiVersion: anywhere.eks.amazonaws.com/v1alpha1\nkind: Cluster\nmetadata:\n  name: prod\nspec:\n  identityProviderRefs:\n    - kind: AWSIamConfig\n      name: iam-auth\n---\napiVersion: anywhere.eks.amazonaws.com/v1alpha1\nkind: AWSIamConfig\nmetadata:\n  name: iam-auth\nspec:\n  backendMode: [EKSConfigMap]\n  partition: aws-us-gov\n  mapRoles:\n    - roleARN: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [platform-admins]\n"
    ),
    r!(
        "IM056",
        "entry-duplicate-key",
        Warning,
        entry_duplicate_key,
        "A key written twice in one entry: the authenticator keeps the last value (go-yaml is not strict), so the first is silently ignored; strict YAML tools refuse the list instead.",
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [system:masters]\n      groups: [viewers]\n",
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [viewers]\n"
    ),
    r!(
        "IM057",
        "merged-fields",
        Warning,
        merged_fields,
        "An entry that takes fields from a merge key (`<<: *anchor`) or is an alias: the authenticator applies them, but a reviewer reading the entry does not see them.",
        "data:\n  mapRoles: |\n    - &base\n      rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [system:masters]\n    - <<: *base\n      rolearn: arn:aws:iam::111122223333:role/Dev\n      username: dev\n",
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [system:masters]\n    - rolearn: arn:aws:iam::111122223333:role/Dev\n      username: dev\n      groups: [system:masters]\n"
    ),
    r!(
        "IM058",
        "key-spelling-folds",
        Error,
        key_spelling_folds,
        "An entry key spelled with a character Go's case-insensitive match folds to ASCII (`groupſ`, `uſerarn`): it looks like an unknown key but fills the field.",
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Dev\n      username: dev\n      groupſ: [system:masters]\n",
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Dev\n      username: dev\n      groups: [developers]\n"
    ),
    r!(
        "IM059",
        "encoded-value",
        Warning,
        encoded_value,
        "A value written with an explicit tag that changes what it reads as (`!!binary`, a custom tag): the authenticator uses the decoded value, which a reviewer does not see.",
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Dev\n      username: dev\n      groups: [!!binary c3lzdGVtOm1hc3RlcnM=]\n",
        "data:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Dev\n      username: dev\n      groups: [system:masters]\n"
    ),
    r!(
        "IM060",
        "hidden-characters",
        Error,
        hidden_characters,
        "An ARN, username or group with control, escape, bidi or zero-width characters: what a terminal or a review shows is not what the authenticator uses (a `system:masters` grant can be made to look like something else).",
        "data:\n  mapUsers: |\n    - userarn: arn:aws:iam::999988887777:user/x\n      username: \"\\r\\e[2Kviewer\\e[8m\"\n      groups: [system:masters]\n",
        "data:\n  mapUsers: |\n    - userarn: arn:aws:iam::111122223333:user/x\n      username: viewer\n      groups: [viewers]\n"
    ),
    c!(
        "IM061",
        "eks-shadowed-by-access-entry",
        Warning,
        "EKS",
        "An aws-auth entry whose principal also has an EKS access entry (mode API_AND_CONFIG_MAP): EKS uses the access entry, so the aws-auth entry grants nothing and misleads whoever reads it.",
        "# EKS: mode API_AND_CONFIG_MAP; access entry for role/teams/Admin\ndata:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [platform-admins]\n",
        "# EKS: mode API_AND_CONFIG_MAP; no access entry for role/Admin\ndata:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [platform-admins]\n"
    ),
    c!(
        "IM062",
        "eks-aws-auth-ignored",
        Warning,
        "EKS",
        "aws-auth holds entries, but the cluster's authentication mode is API: EKS does not read aws-auth, so none of them grants anything.",
        "# EKS: mode API\ndata:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [platform-admins]\n",
        "# EKS: mode API_AND_CONFIG_MAP\ndata:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/Admin\n      username: admin\n      groups: [platform-admins]\n"
    ),
    c!(
        "IM063",
        "eks-node-role-without-access-entry",
        Warning,
        "EKS",
        "A node or Fargate role that joins through aws-auth alone in mode API_AND_CONFIG_MAP: the switch to API (the migration's last step) would take its nodes out unless it gets an access entry of type EC2_LINUX, EC2_WINDOWS or FARGATE_LINUX first.",
        "# EKS: mode API_AND_CONFIG_MAP; no access entry for role/eks-node\ndata:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/eks-node\n      username: system:node:{{EC2PrivateDNSName}}\n      groups: [system:bootstrappers, system:nodes]\n",
        "# EKS: mode API_AND_CONFIG_MAP; an EC2_LINUX access entry for role/eks-node\ndata:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/eks-node\n      username: system:node:{{EC2PrivateDNSName}}\n      groups: [system:bootstrappers, system:nodes]\n"
    ),
    c!(
        "IM064",
        "eks-access-entry-principal-gone",
        Error,
        "EKS, IAM",
        "An EKS access entry whose principal no longer exists in IAM, or was created after the entry: EKS binds an access entry to the principal's unique ID, so the entry grants nobody (a principal recreated with the same name gets none of its access) until it is deleted and created again.",
        "# EKS: an access entry for role/teams/Deploy created 2024-01-01; IAM: role/teams/Deploy created 2025-06-01\ndata:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/eks-node\n      username: system:node:{{EC2PrivateDNSName}}\n      groups: [system:bootstrappers, system:nodes]\n",
        "# EKS: an access entry for role/teams/Deploy created 2025-07-01; IAM: role/teams/Deploy created 2025-06-01\ndata:\n  mapRoles: |\n    - rolearn: arn:aws:iam::111122223333:role/eks-node\n      username: system:node:{{EC2PrivateDNSName}}\n      groups: [system:bootstrappers, system:nodes]\n"
    ),
];
