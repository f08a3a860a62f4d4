//! The command-line surface (clap definitions). Args are turned into validated settings by each
//! command's `resolve` step before any I/O; `--help`, man pages and completions come from here.

pub mod check_render;
pub mod diagnostics;
pub mod progress;
pub mod render;
pub mod style;

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "iamidmap",
    version,
    about = "Manage the AWS IAM identity mappings of Kubernetes clusters (EKS aws-auth) without locking yourself out",
    long_about = "iamidmap reads, edits and lints the kube-system/aws-auth ConfigMap exactly the way aws-iam-authenticator \
reads it. Edits are lossless: comments, order and formatting of everything not changed stay byte for byte.\n\n\
Exit codes: 0 success; 1 a check found problems (lint findings at or above --fail-on); 2 usage or runtime \
error; 3 refused for safety.",
    after_help = "Examples:\n  iamidmap get -f aws-auth.yaml\n  iamidmap validate -f aws-auth.yaml --format github\n  \
iamidmap create -f aws-auth.yaml --arn arn:aws:iam::111122223333:role/Admin --username admin --group system:masters --dry-run"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Print only errors (no notes or warnings on stderr).
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Print more about what is done, on stderr.
    #[arg(short, long, global = true)]
    pub verbose: bool,
    /// Never colour output (NO_COLOR is honoured too).
    #[arg(long, global = true)]
    pub no_color: bool,
    #[command(flatten)]
    pub cluster: ClusterArgs,
    /// A warning about cluster flags given that the command does not use (set by [`parse`]; a warning,
    /// not an error, so that a shell alias with common flags works for every command).
    #[arg(skip)]
    pub unused_flags: Option<String>,
}

/// How to reach the cluster when no `-f FILE` is given.
#[derive(Debug, Args, Clone)]
#[command(next_help_heading = "Cluster")]
pub struct ClusterArgs {
    /// EKS cluster name, as eksctl takes it: iamidmap finds the API server and its CA with EKS
    /// DescribeCluster and signs in with a token made from your AWS credentials (no kubeconfig needed),
    /// and reads the cluster's access entries; --region is then the cluster's region
    #[arg(
        short = 'c',
        long,
        global = true,
        value_name = "NAME",
        conflicts_with_all = ["context", "kubeconfig"]
    )]
    pub cluster: Option<String>,
    /// Kubeconfig file (default: KUBECONFIG, then ~/.kube/config, then the in-cluster service account)
    #[arg(long, global = true, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,
    /// Kubeconfig context to use (default: the current context)
    #[arg(long, global = true)]
    pub context: Option<String>,
    /// Impersonate this user for every request
    #[arg(long = "as", global = true, value_name = "USER")]
    pub as_user: Option<String>,
    /// Impersonate this group (repeatable)
    #[arg(long = "as-group", global = true, value_name = "GROUP")]
    pub as_groups: Vec<String>,
    /// Namespace of the ConfigMap. On create and delete, eksctl's meaning: the EMR namespace, with
    /// --service-name (a ConfigMap elsewhere than kube-system is read by no authenticator: name it with
    /// --configmap-namespace to write one anyway)
    #[arg(short = 'n', long, global = true, default_value = "kube-system")]
    pub namespace: String,
    /// Namespace of the ConfigMap, for any command (a staging copy outside kube-system that no
    /// authenticator reads)
    #[arg(long, global = true, value_name = "NAMESPACE")]
    pub configmap_namespace: Option<String>,
    /// Name of the ConfigMap (with `--kind authenticator-config`: aws-iam-authenticator)
    #[arg(long, global = true, default_value = "aws-auth")]
    pub name: String,
    /// Which carrier of identity mappings to read: detected by default (a file's content; on a cluster,
    /// aws-auth, else the aws-iam-authenticator ConfigMap of kops and self-managed clusters)
    #[arg(long, global = true, value_enum, value_name = "KIND")]
    pub kind: Option<Kind>,
    /// The IAM ARN you authenticate to the cluster as, for the lockout guard (default: on a cluster, who
    /// the cluster says you are, else the kubeconfig's IAM token resolved through STS; on a file, STS
    /// GetCallerIdentity with your shell's AWS credentials). Role paths are removed, as the authenticator
    /// matches roles
    #[arg(
        long,
        global = true,
        value_name = "ARN",
        conflicts_with = "no_caller_check"
    )]
    pub as_arn: Option<String>,
    /// Do not protect your own access: let changes that take access away from anyone through even when
    /// iamidmap cannot tell who you are (the other lockout rules still apply)
    #[arg(long, global = true)]
    pub no_caller_check: bool,
    /// AWS profile for the calls iamidmap makes to AWS (STS: who you are, tokens; IAM checks; EKS)
    #[arg(
        short = 'p',
        long,
        global = true,
        env = "AWS_PROFILE",
        hide_env_values = true
    )]
    pub profile: Option<String>,
    /// AWS region for those calls (STS, IAM, EKS); for a cluster given by name, its region, as in eksctl
    #[arg(short = 'r', long, global = true)]
    pub region: Option<String>,
    /// Give up on an API request after this many seconds
    #[arg(long, global = true, value_name = "SECONDS", default_value_t = 30)]
    pub request_timeout: u64,
    /// Where to write the backup taken before every change to a cluster
    /// (default: $XDG_STATE_HOME/iamidmap/backups/<context>)
    #[arg(long, global = true, value_name = "DIR")]
    pub backup_dir: Option<PathBuf>,
    /// Set from `-v`: log API requests (credentials redacted)
    #[arg(skip)]
    pub verbose: bool,
}

/// The carriers of identity mappings (`--kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Kind {
    /// The EKS ConfigMap kube-system/aws-auth
    AwsAuth,
    /// aws-iam-authenticator's config: its file, or the ConfigMap kube-system/aws-iam-authenticator
    AuthenticatorConfig,
    /// An EKS Anywhere AWSIamConfig in a cluster spec file
    Awsiamconfig,
}

impl Kind {
    pub fn carrier(self) -> crate::core::document::CarrierKind {
        use crate::core::document::CarrierKind;
        match self {
            Kind::AwsAuth => CarrierKind::AwsAuth,
            Kind::AuthenticatorConfig => CarrierKind::AuthenticatorConfig,
            Kind::Awsiamconfig => CarrierKind::AwsIamConfig,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List identity mappings (ARN, username, groups, account)
    #[command(visible_alias = "list")]
    #[command(
        after_help = "Examples:\n  iamidmap get -f aws-auth.yaml\n  iamidmap get --context prod -o json\n  iamidmap get -f aws-auth.yaml --arn arn:aws:sts::111122223333:assumed-role/Admin/jane"
    )]
    Get(GetArgs),
    /// Add an identity mapping (a role, user or account)
    #[command(
        after_help = "Examples:\n  iamidmap create --arn arn:aws:iam::111122223333:role/Dev --group developers --dry-run\n  iamidmap create -f aws-auth.yaml --arn arn:aws:iam::111122223333:role/Dev --username 'dev:{{SessionName}}' --group developers\n  iamidmap create --node-role --arn arn:aws:iam::111122223333:role/eks-node --yes"
    )]
    Create(CreateArgs),
    /// Remove identity mappings by ARN, username or account
    #[command(
        after_help = "Examples:\n  iamidmap delete --arn arn:aws:iam::111122223333:role/Old --dry-run\n  iamidmap delete -f aws-auth.yaml --arn arn:aws:iam::111122223333:role/teams/Old --all\n  iamidmap delete --account 444455556666 --yes"
    )]
    Delete(DeleteArgs),
    /// Lint an aws-auth manifest the way aws-iam-authenticator reads it
    #[command(
        after_help = "Examples:\n  iamidmap validate -f aws-auth.yaml\n  iamidmap validate -f aws-auth.yaml -o sarif > aws-auth.sarif\n  iamidmap validate --fix --dry-run -f aws-auth.yaml"
    )]
    Validate(ValidateArgs),
    /// Compare two versions of aws-auth (live, a file, a backup): who gains or loses what
    #[command(
        after_help = "Examples:\n  iamidmap diff --from latest --to live\n  iamidmap diff -f aws-auth.yaml          # live against the file in Git\n  iamidmap diff --from old.yaml --to new.yaml --exit-code"
    )]
    Diff(DiffArgs),
    /// Back up the live ConfigMap now, or list the backups of the context
    #[command(
        after_help = "Examples:\n  iamidmap backup\n  iamidmap backup list\n  iamidmap backup --keep 20"
    )]
    Backup(BackupArgs),
    /// Fix what can be fixed mechanically in the live ConfigMap (as `validate --fix` does for files)
    #[command(after_help = "Examples:\n  iamidmap repair --dry-run\n  iamidmap repair --yes")]
    Repair(RepairArgs),
    /// Put a backup (or a manifest file) back, through diff, the lockout guard and confirmation
    #[command(
        after_help = "Examples:\n  iamidmap restore --latest --dry-run\n  iamidmap restore --before\n  iamidmap restore ~/.local/state/iamidmap/backups/prod/FILE.yaml"
    )]
    Restore(RestoreArgs),
    /// Check every mapping against IAM (does the principal exist?) and RBAC (what does it grant?);
    /// `--arn` explains one principal end to end
    #[command(
        after_help = "Examples:\n  iamidmap check\n  iamidmap check -f aws-auth.yaml --rbac-from rbac.yaml\n  iamidmap check --arn arn:aws:sts::111122223333:assumed-role/Dev/jane"
    )]
    Check(CheckArgs),
    /// Why am I Unauthorized or Forbidden? Walk from the kubeconfig context through the exec plugin, the
    /// token, STS, the cluster, the mapping and RBAC, with ✓/✗ and the next command for each step
    #[command(
        after_help = "Examples:\n  iamidmap doctor\n  iamidmap doctor --can-i get pods --in team-a\n  iamidmap doctor -f aws-auth.yaml -o json"
    )]
    Doctor(DoctorArgs),
    /// Check a token (or an ARN) the way the authenticator does: token checks, STS, mapping, templates
    #[command(
        after_help = "Examples:\n  iamidmap verify --token \"$TOKEN\" --cluster-id prod\n  iamidmap verify -f aws-auth.yaml --arn arn:aws:sts::111122223333:assumed-role/Admin/jane"
    )]
    Verify(VerifyArgs),
    /// Print a token for a cluster as ExecCredential JSON (usable as a kubeconfig exec plugin)
    #[command(
        after_help = "Examples:\n  iamidmap token -i prod\n  iamidmap token -i prod --role arn:aws:iam::111122223333:role/Admin --token-only"
    )]
    Token(TokenArgs),
    /// Move aws-auth to EKS access entries: `plan` (the default, read-only), `apply`, `rollback`
    #[command(
        after_help = "Examples:\n  iamidmap migrate --cluster prod --region us-east-1\n  iamidmap migrate apply --cluster prod --set-mode API_AND_CONFIG_MAP\n  iamidmap migrate apply --cluster prod --remove-aws-auth-entries --set-mode API\n\nThe runbook: docs/migrate.md (plan, apply, cleanup, the switch to API, rollback)."
    )]
    Migrate(MigrateArgs),
    /// Print shell completions
    #[command(
        after_help = "Examples:\n  iamidmap completions bash > /etc/bash_completion.d/iamidmap\n  iamidmap completions zsh > \"${fpath[1]}/_iamidmap\""
    )]
    Completions(CompletionsArgs),
    /// Write the man pages and generated reference docs (for maintainers)
    #[command(hide = true)]
    GenerateDocs(GenerateDocsArgs),
}

/// eksctl's noun, accepted for habit: `iamidmap create iamidentitymapping --arn …`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Noun {
    #[value(
        alias = "iamidentitymappings",
        alias = "identitymapping",
        alias = "mapping"
    )]
    Iamidentitymapping,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum OutputFormat {
    #[default]
    Table,
    Json,
    Yaml,
}

#[derive(Debug, Args)]
pub struct Source {
    /// Work on this manifest file instead of the live cluster (`-`: standard input; create and delete
    /// read it only with --dry-run, since they cannot write it back)
    #[arg(short = 'f', long = "filename", value_name = "FILE")]
    pub file: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct GetArgs {
    #[arg(value_enum, hide = true)]
    pub noun: Option<Noun>,
    #[command(flatten)]
    pub source: Source,
    /// Output format
    #[arg(short, long, value_enum, default_value_t)]
    pub output: OutputFormat,
    /// Only mappings that match this ARN the way the authenticator matches (canonical form, any case)
    #[arg(long)]
    pub arn: Option<String>,
    /// Only mappings with this username
    #[arg(long)]
    pub username: Option<String>,
    /// Only mappings that grant this group
    #[arg(long)]
    pub group: Option<String>,
}

#[derive(Debug, Args)]
pub struct WriteOptions {
    /// Show the change as a unified diff and write nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Do not ask for confirmation
    #[arg(short = 'y', long)]
    pub yes: bool,
    /// Write even when the lockout guard refuses (recorded in the backup header)
    #[arg(long)]
    pub force: bool,
    /// Acknowledge that the change makes a principal of another AWS account a cluster admin
    /// (`system:masters`); needed with --yes, where nobody is asked
    #[arg(long)]
    pub allow_cross_account_admin: bool,
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    #[arg(value_enum, hide = true)]
    pub noun: Option<Noun>,
    #[command(flatten)]
    pub source: Source,
    /// ARN of the IAM role or user to map (role paths and assumed-role ARNs are normalized)
    #[arg(long, required_unless_present_any = ["account", "service_name"])]
    pub arn: Option<String>,
    /// Kubernetes username (templates such as `admin:{{SessionName}}` are allowed)
    #[arg(long)]
    pub username: Option<String>,
    /// Kubernetes group; repeatable and comma-separated
    #[arg(long = "group", value_delimiter = ',')]
    pub groups: Vec<String>,
    /// Add this account ID to mapAccounts instead (every principal of it may authenticate)
    #[arg(long, conflicts_with_all = ["arn", "username", "groups"])]
    pub account: Option<String>,
    /// Fail when the ARN is already mapped differently; an identical mapping is a no-op
    #[arg(long)]
    pub no_duplicate_arns: bool,
    /// Change the username and/or groups of the ARN's existing entry in place (the entry the
    /// authenticator uses); add the entry when the ARN is not mapped yet
    #[arg(long, conflicts_with = "no_duplicate_arns")]
    pub update: bool,
    /// Grant an AWS service access, as eksctl does: `emr-containers` (EMR on EKS) maps the
    /// AWSServiceRoleForAmazonEMRContainers role of the cluster's account as `emr-containers` and applies
    /// its Role and RoleBinding in --namespace
    #[arg(
        long,
        value_name = "SERVICE",
        value_parser = ["emr-containers"],
        conflicts_with_all = ["arn", "username", "groups", "account", "update", "node_role", "windows_node_role", "fargate_role"]
    )]
    pub service_name: Option<String>,
    /// The namespace --service-name grants access in (set from --namespace, as eksctl takes it)
    #[arg(skip)]
    pub service_namespace: Option<String>,
    /// Map an EC2 node role: username `system:node:{{EC2PrivateDNSName}}`, groups `system:bootstrappers`, `system:nodes`
    #[arg(long, conflicts_with_all = ["username", "groups", "fargate_role", "windows_node_role"])]
    pub node_role: bool,
    /// Map a Windows node role (adds `eks:kube-proxy-windows`)
    #[arg(long, conflicts_with_all = ["username", "groups", "fargate_role"])]
    pub windows_node_role: bool,
    /// Map a Fargate pod execution role: username `system:node:{{SessionName}}`, plus `system:node-proxier`
    #[arg(long, conflicts_with_all = ["username", "groups"])]
    pub fargate_role: bool,
    /// Refuse (exit 3) instead of warning when the principal does not exist in IAM, when none of the
    /// groups is bound to a role (live cluster), or when either cannot be checked
    #[arg(long)]
    pub strict: bool,
    /// Do not look the principal up in IAM (offline use)
    #[arg(long)]
    pub skip_iam_check: bool,
    /// Do not list the cluster's RoleBindings and ClusterRoleBindings to see whether a group is bound
    /// (the write itself is always one GET and one PUT of the ConfigMap)
    #[arg(long)]
    pub skip_rbac_check: bool,
    #[command(flatten)]
    pub write: WriteOptions,
}

#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("selector").required(true).args(["arn", "account", "username"]))]
pub struct DeleteArgs {
    #[arg(value_enum, hide = true)]
    pub noun: Option<Noun>,
    #[command(flatten)]
    pub source: Source,
    /// Remove the mapping of this ARN (matched like the authenticator: canonical form, any case)
    #[arg(long)]
    pub arn: Option<String>,
    /// Remove this account from mapAccounts
    #[arg(long)]
    pub account: Option<String>,
    /// Remove the mappings with this username
    #[arg(long)]
    pub username: Option<String>,
    /// Remove every match, not just the first (as eksctl)
    #[arg(long)]
    pub all: bool,
    /// Succeed when nothing matches
    #[arg(long)]
    pub ignore_not_found: bool,
    #[command(flatten)]
    pub write: WriteOptions,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum ReportFormat {
    #[default]
    Text,
    Json,
    Sarif,
    Github,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum CheckFormat {
    /// A table per mapping, then the findings
    #[default]
    Table,
    Json,
    Sarif,
    Github,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub source: Source,
    /// RBAC manifests to check against instead of the cluster's (Roles, ClusterRoles, bindings, Lists, as
    /// `kubectl get roles,clusterroles,rolebindings,clusterrolebindings -A -o yaml` writes them); repeatable
    #[arg(long, value_name = "FILE")]
    pub rbac_from: Vec<PathBuf>,
    /// Do not ask IAM (RBAC and account checks only)
    #[arg(long)]
    pub skip_iam: bool,
    /// Do not read RBAC (IAM checks only)
    #[arg(long)]
    pub skip_rbac: bool,
    /// The cluster's AWS account ID (default: the account of the AWS credentials, from STS)
    #[arg(long, value_name = "ID")]
    pub cluster_account: Option<String>,
    /// Explain one principal end to end: the entry that matches it, its username and groups, the roles
    /// they reach and what those allow (exit 1 when it is not mapped)
    #[arg(long)]
    pub arn: Option<String>,
    /// Output format
    #[arg(short, long, alias = "format", value_enum, default_value_t)]
    pub output: CheckFormat,
    /// Exit 1 when a finding has this severity or a higher one [default: `failOn` in .iamidmap.yaml, else
    /// error]
    #[arg(long, value_enum)]
    pub fail_on: Option<FailOn>,
    /// Lint settings (ignored rules, severity overrides, per-path settings) from FILE [default: the
    /// nearest .iamidmap.yaml in the working directory or its parents, up to the Git work tree's top]
    #[arg(long, value_name = "FILE", conflicts_with = "no_config")]
    pub config: Option<PathBuf>,
    /// Do not read any .iamidmap.yaml
    #[arg(long)]
    pub no_config: bool,
    /// IAM requests in flight at once
    #[arg(long, default_value_t = 8, value_name = "N")]
    pub concurrency: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum DoctorFormat {
    #[default]
    Text,
    Json,
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct MigrateArgs {
    #[command(subcommand)]
    pub action: Option<MigrateAction>,
    #[command(flatten)]
    pub plan: MigratePlanArgs,
}

#[derive(Debug, Subcommand)]
pub enum MigrateAction {
    /// For every aws-auth mapping, the access entry that gives the same access, or why there is none
    /// (read-only)
    Plan(MigratePlanArgs),
    /// Create the planned access entries (resumable), verify each principal's access, and optionally
    /// remove the migrated aws-auth entries and switch the authentication mode
    Apply(MigrateApplyArgs),
    /// Delete the access entries a migration created and put the aws-auth it changed back
    Rollback(MigrateRollbackArgs),
}

/// How `migrate plan` prints the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MigrateExport {
    /// `aws eks create-access-entry` and `associate-access-policy` commands
    AwsCli,
    /// eksctl ClusterConfig with `accessConfig.accessEntries`
    Eksctl,
}

#[derive(Debug, Args, Default)]
pub struct MigratePlanArgs {
    /// Output format
    #[arg(short, long, value_enum, default_value_t)]
    pub output: OutputFormat,
    /// Print the planned entries for another tool instead of the plan
    #[arg(long, value_enum, conflicts_with = "output")]
    pub export: Option<MigrateExport>,
    /// Do not ask IAM for the principals' real ARNs (every entry then waits for IAM)
    #[arg(long)]
    pub skip_iam: bool,
}

/// The authentication modes `migrate apply` may switch to (one way: CONFIG_MAP, API_AND_CONFIG_MAP, API).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TargetMode {
    #[value(name = "API_AND_CONFIG_MAP")]
    ApiAndConfigMap,
    #[value(name = "API")]
    Api,
}

#[derive(Debug, Args)]
pub struct MigrateApplyArgs {
    /// Do not ask for confirmation
    #[arg(short = 'y', long)]
    pub yes: bool,
    /// Switch the authentication mode: API_AND_CONFIG_MAP (before creating entries, on a CONFIG_MAP
    /// cluster), or API (last, only when every mapping is migrated and verified); EKS cannot switch back
    #[arg(long, value_enum, value_name = "MODE")]
    pub set_mode: Option<TargetMode>,
    /// After verifying, remove the migrated entries from aws-auth (backed up, lossless edit, guarded)
    #[arg(long)]
    pub remove_aws_auth_entries: bool,
    /// Do not ask IAM for the principals' real ARNs
    #[arg(long, hide = true)]
    pub skip_iam: bool,
}

#[derive(Debug, Args)]
pub struct MigrateRollbackArgs {
    /// Do not ask for confirmation
    #[arg(short = 'y', long)]
    pub yes: bool,
    /// Acknowledge that putting aws-auth back makes a principal of another AWS account a cluster admin
    /// again (as it was before the migration)
    #[arg(long)]
    pub allow_cross_account_admin: bool,
}

#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// Read aws-auth from this file (e.g. from Git) instead of the cluster (an unmapped identity cannot read it)
    #[arg(short = 'f', long = "filename", value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// RBAC manifests to use instead of the cluster's (repeatable)
    #[arg(long, value_name = "FILE")]
    pub rbac_from: Vec<PathBuf>,
    /// Also check one permission: `--can-i get pods`, `--can-i create deployments.apps`
    #[arg(long, num_args = 2, value_names = ["VERB", "RESOURCE"])]
    pub can_i: Option<Vec<String>>,
    /// The namespace for --can-i
    #[arg(long = "in", value_name = "NAMESPACE", default_value = "default")]
    pub in_namespace: String,
    /// The cluster name tokens must be bound to (default: the exec plugin's --cluster-name / -i)
    #[arg(long)]
    pub cluster_name: Option<String>,
    /// Send the STS request to this base URL instead (a VPC endpoint); the token's host stays in `Host`
    #[arg(long, value_name = "URL")]
    pub sts_endpoint: Option<String>,
    /// Output format
    #[arg(short, long, value_enum, default_value_t)]
    pub output: DoctorFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum FailOn {
    #[default]
    Error,
    Warning,
    Info,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Manifest files to lint (`-` reads standard input); repeatable. Without any file: the live ConfigMap
    #[arg(short = 'f', long = "filename", value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// More files to lint, as pre-commit passes them
    #[arg(value_name = "FILES")]
    pub paths: Vec<PathBuf>,
    /// Report format (`--format` is the same flag)
    #[arg(
        short = 'o',
        long = "output",
        visible_alias = "format",
        value_enum,
        default_value_t
    )]
    pub format: ReportFormat,
    /// Exit 1 when a finding has this severity or a higher one [default: `failOn` in .iamidmap.yaml, else
    /// error]
    #[arg(long, value_enum)]
    pub fail_on: Option<FailOn>,
    /// Lint settings (ignored rules, severity overrides, per-path settings) from FILE [default: the
    /// nearest .iamidmap.yaml in the working directory or its parents, up to the Git work tree's top]
    #[arg(long, value_name = "FILE", conflicts_with = "no_config")]
    pub config: Option<PathBuf>,
    /// Do not read any .iamidmap.yaml
    #[arg(long)]
    pub no_config: bool,
    /// Do not report this rule (repeatable; `IM023`). In a manifest, `# iamidmap:ignore IM023 reason` does
    /// the same for the next line (alone on its line) or its own line (after text); SARIF keeps both as
    /// suppressed results
    #[arg(long = "ignore", value_name = "RULE")]
    pub ignore: Vec<String>,
    /// Report only findings that this baseline (written by --write-baseline) does not hold: adopt the
    /// linter on an existing file and fail only on what is new
    #[arg(long, value_name = "FILE", conflicts_with = "write_baseline")]
    pub baseline: Option<PathBuf>,
    /// Write the findings reported now to FILE as a baseline for --baseline, and exit 0
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,
    /// Fix what can be fixed mechanically in the files (role paths, assumed-role ARNs, unquoted `{{`,
    /// folded groups, key case, exact duplicates, unquoted account IDs), then report what is left
    #[arg(long)]
    pub fix: bool,
    #[command(flatten)]
    pub write: WriteOptions,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct GenerateDocsArgs {
    /// The project directory to write `man/` and `docs/lint-rules.md` into
    #[arg(long, default_value = ".")]
    pub out: PathBuf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum DiffFormat {
    #[default]
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// What to compare from: `live`, `latest` (the newest backup of the context), or a file or backup path
    #[arg(long, default_value = "live", value_name = "SOURCE")]
    pub from: String,
    /// What to compare to (same forms as --from); `-f FILE` means `--to FILE`
    #[arg(long, value_name = "SOURCE", required_unless_present = "file")]
    pub to: Option<String>,
    /// Compare with this manifest file: the same as `--to FILE`
    #[arg(
        short = 'f',
        long = "filename",
        value_name = "FILE",
        conflicts_with = "to"
    )]
    pub file: Option<PathBuf>,
    /// Output: the semantic diff and a unified diff of the values (text), or the semantic diff as JSON
    #[arg(short, long, value_enum, default_value_t)]
    pub output: DiffFormat,
    /// Exit 1 when the two differ
    #[arg(long)]
    pub exit_code: bool,
}

#[derive(Debug, Args)]
pub struct BackupArgs {
    #[command(subcommand)]
    pub action: Option<BackupAction>,
    /// After writing, keep only the newest N backups of this cluster; each one removed is named
    #[arg(long, value_name = "N")]
    pub keep: Option<usize>,
}

#[derive(Debug, Subcommand)]
pub enum BackupAction {
    /// List the backups in the context's backup directory: time, state (before or after a write, or a
    /// snapshot), cluster, resourceVersion, entries, command
    List(BackupListArgs),
}

#[derive(Debug, Args)]
pub struct BackupListArgs {
    /// Output format
    #[arg(short, long, value_enum, default_value_t)]
    pub output: OutputFormat,
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// The backup or manifest file to put back
    #[arg(required_unless_present_any = ["latest", "before"], value_name = "BACKUP|FILE")]
    pub source: Option<PathBuf>,
    /// Put back the newest state known good of this cluster: what iamidmap last wrote, or saw with
    /// `iamidmap backup` (undoes edits made since by other tools)
    #[arg(long, conflicts_with_all = ["source", "before"])]
    pub latest: bool,
    /// Put back the state before iamidmap's last write to this cluster (undoes that write)
    #[arg(long, conflicts_with = "source")]
    pub before: bool,
    /// Replace the whole data of the ConfigMap with the backup's, other keys included (by default only
    /// the identity mappings are put back and every other data key stays as it is)
    #[arg(long)]
    pub all_keys: bool,
    /// Put back a backup taken of another cluster (a different API server or kube-system UID)
    #[arg(long)]
    pub allow_other_cluster: bool,
    #[command(flatten)]
    pub write: WriteOptions,
}

#[derive(Debug, Args)]
pub struct RepairArgs {
    #[command(flatten)]
    pub write: WriteOptions,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum ReviewFormat {
    #[default]
    Text,
    Json,
    Yaml,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The token to check (`-` reads it from standard input)
    #[arg(long, required_unless_present = "arn", conflicts_with = "arn")]
    pub token: Option<String>,
    /// The cluster ID the token must be bound to (the EKS cluster name)
    #[arg(short = 'i', long, required_unless_present_any = ["arn", "offline"])]
    pub cluster_id: Option<String>,
    /// The partition of the server (decides which STS hosts are accepted)
    #[arg(long, default_value = "aws")]
    pub partition: String,
    /// Send the STS request to this base URL instead (a VPC endpoint); the token's host stays in `Host`
    #[arg(long, value_name = "URL")]
    pub sts_endpoint: Option<String>,
    /// Run only the checks that need no network, and print what the token claims
    #[arg(long)]
    pub offline: bool,
    /// Simulate the mapping of this ARN, without a token
    #[arg(long)]
    pub arn: Option<String>,
    /// With --arn: the session name (default: the session of an assumed-role ARN)
    #[arg(long, requires = "arn")]
    pub session_name: Option<String>,
    /// With --arn: the access key ID, for `{{AccessKeyID}}`
    #[arg(long, requires = "arn")]
    pub access_key_id: Option<String>,
    /// The node's private DNS name, for `{{EC2PrivateDNSName}}` (unresolved otherwise)
    #[arg(long)]
    pub node_name: Option<String>,
    /// A reserved username prefix of the server (`reservedPrefixConfig`); repeatable
    #[arg(long = "reserved-prefix", value_name = "PREFIX")]
    pub reserved_prefixes: Vec<String>,
    /// With an authenticator config or AWSIamConfig whose backend modes include EKSConfigMap: the
    /// aws-auth manifest that backend reads, so the whole chain is simulated
    #[arg(long, value_name = "FILE")]
    pub aws_auth: Option<PathBuf>,
    #[command(flatten)]
    pub source: Source,
    /// Output: a summary, or the TokenReview as JSON or YAML
    #[arg(short, long, value_enum, default_value_t)]
    pub output: ReviewFormat,
}

#[derive(Debug, Args)]
pub struct TokenArgs {
    /// The cluster ID to bind the token to (the EKS cluster name)
    #[arg(short = 'i', long)]
    pub cluster_id: String,
    /// Assume this role first
    #[arg(long, value_name = "ARN")]
    pub role: Option<String>,
    /// Session name when assuming --role
    #[arg(long)]
    pub session_name: Option<String>,
    /// Print only the token
    #[arg(long)]
    pub token_only: bool,
}

/// Cluster flags, by what they are for. Every command accepts them in any position (they are global, as
/// kubectl's are), but a command's `--help`, man page and completions show only those it uses, and a flag
/// a command does not use gets a warning rather than being silently ignored.
const CONNECT: &[&str] = &[
    "cluster",
    "kubeconfig",
    "context",
    "as_user",
    "as_groups",
    "namespace",
    "configmap_namespace",
    "name",
    "kind",
    "request_timeout",
];
const GUARD: &[&str] = &["as_arn", "no_caller_check"];
const AWS: &[&str] = &["profile", "region"];
const BACKUP: &[&str] = &["backup_dir"];

/// The cluster flag groups each subcommand uses (subcommands of a subcommand inherit them).
fn uses(subcommand: &str) -> &'static [&'static [&'static str]] {
    match subcommand {
        // With --cluster, --profile and --region say where the cluster is.
        "get" => &[CONNECT, AWS],
        "create" | "delete" | "repair" | "restore" | "migrate" => &[CONNECT, GUARD, AWS, BACKUP],
        // --fix on a file runs the lockout guard, which may ask STS who you are.
        "validate" => &[CONNECT, GUARD, AWS],
        "diff" | "backup" => &[CONNECT, AWS, BACKUP],
        "check" => &[CONNECT, AWS, BACKUP],
        "doctor" | "verify" => &[CONNECT, AWS],
        "token" => &[AWS],
        _ => &[],
    }
}

fn cluster_flags() -> impl Iterator<Item = &'static str> {
    [CONNECT, GUARD, AWS, BACKUP].into_iter().flatten().copied()
}

fn unused_by(subcommand: &str) -> Vec<&'static str> {
    let used: Vec<&str> = uses(subcommand)
        .iter()
        .copied()
        .flatten()
        .copied()
        .collect();
    cluster_flags().filter(|f| !used.contains(f)).collect()
}

/// The command line as parsed, helped, documented and completed: [`Cli`] with each subcommand showing
/// only the cluster flags it uses.
pub fn command() -> clap::Command {
    use clap::CommandFactory;
    let mut cmd = Cli::command();
    let globals: Vec<clap::Arg> = cmd
        .get_arguments()
        .filter(|a| a.is_global_set())
        .cloned()
        .collect();
    let subs: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .collect();
    for sub in subs {
        let unused = unused_by(&sub);
        // A subcommand that already has an argument of a global's id keeps its own (clap does not
        // propagate over it): a hidden copy, which its own subcommands inherit.
        cmd = cmd.mut_subcommand(&sub, |s| {
            globals
                .iter()
                .filter(|a| unused.contains(&a.get_id().as_str()))
                .fold(s, |s, a| s.arg(a.clone().hide(true)))
        });
    }
    cmd
}

/// Parse a command line with [`command`], and note the cluster flags given to a command that does not
/// use them.
pub fn parse<I, T>(args: I) -> Result<Cli, clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    use clap::FromArgMatches;
    let mut cmd = command();
    let matches = cmd.try_get_matches_from_mut(args)?;
    let mut cli = Cli::from_arg_matches(&matches).map_err(|e| e.format(&mut cmd))?;
    namespaces(&mut cli, &matches)
        .map_err(|message| cmd.error(clap::error::ErrorKind::ArgumentConflict, message))?;
    if let Some((sub, sub_matches)) = matches.subcommand() {
        let given: Vec<String> = unused_by(sub)
            .into_iter()
            .filter(|id| {
                sub_matches.value_source(id) == Some(clap::parser::ValueSource::CommandLine)
            })
            .map(|id| {
                let long = cmd
                    .find_subcommand(sub)
                    .and_then(|s| s.get_arguments().find(|a| a.get_id() == id))
                    .and_then(|a| a.get_long())
                    .unwrap_or(id);
                format!("--{long}")
            })
            .collect();
        if !given.is_empty() {
            cli.unused_flags = Some(format!(
                "{} {} not used by `iamidmap {sub}` and ignored (`iamidmap {sub} --help` lists the flags it takes)",
                given.join(", "),
                if given.len() == 1 { "is" } else { "are" }
            ));
        }
    }
    Ok(cli)
}

/// Which namespace `--namespace` names. eksctl's `create iamidentitymapping --namespace NS` is the EMR
/// namespace of `--service-name`; iamidmap's has always been the ConfigMap's. On create and delete the two
/// meet, so there: with --service-name it is eksctl's, and without it a namespace other than kube-system
/// is refused (the ConfigMap written would be read by no authenticator, eksctl's users' most likely
/// mistake) unless --configmap-namespace names it on purpose. Elsewhere it is the ConfigMap's.
fn namespaces(cli: &mut Cli, matches: &clap::ArgMatches) -> Result<(), String> {
    let Some((sub, sub_matches)) = matches.subcommand() else {
        return Ok(());
    };
    let given =
        sub_matches.value_source("namespace") == Some(clap::parser::ValueSource::CommandLine);
    let namespace = cli.cluster.namespace.clone();
    if let Command::Create(args) = &mut cli.command
        && args.service_name.is_some()
    {
        if !given {
            return Err("--namespace is required with --service-name (the namespace the service runs its jobs in, as with eksctl)".into());
        }
        args.service_namespace = Some(namespace);
        cli.cluster.namespace = cli
            .cluster
            .configmap_namespace
            .clone()
            .unwrap_or_else(|| "kube-system".into());
        return Ok(());
    }
    if let Some(ns) = &cli.cluster.configmap_namespace {
        if given && namespace != *ns {
            return Err(format!(
                "--namespace {namespace} and --configmap-namespace {ns} name two namespaces for the ConfigMap; give one"
            ));
        }
        cli.cluster.namespace = ns.clone();
        return Ok(());
    }
    if matches!(sub, "create" | "delete") && given && namespace != "kube-system" {
        return Err(format!(
            "--namespace {namespace} would {} a ConfigMap `{namespace}/{}` that no authenticator reads (EKS reads kube-system/aws-auth only).\n\
             eksctl's --namespace is the EMR namespace and goes with --service-name emr-containers; to write that ConfigMap anyway (a staging copy), pass --configmap-namespace {namespace}",
            if sub == "create" { "write" } else { "edit" },
            cli.cluster.name
        ));
    }
    Ok(())
}
