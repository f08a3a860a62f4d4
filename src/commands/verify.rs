//! `iamidmap verify`: run the authenticator locally. With a token: every check, the STS call, the
//! canonical ARN; with `--arn`: a simulation. Then the mapping (a file or the live ConfigMap), templates,
//! and a TokenReview-shaped answer. Exit 0 authenticated, 1 denied.

use super::session::Session;
use super::{live, load};
use crate::adapters::sts;
use crate::cli::diagnostics::{EXIT_FINDINGS, EXIT_OK, Failure};
use crate::cli::{ReviewFormat, VerifyArgs};
use crate::core::document::AuthDocument;
use crate::core::mapping::EffectiveMapping;
use crate::core::mapping::backend::BackendMode;
use crate::core::review::{self, Review};
use crate::core::token::{self, Identity, TokenError, Verifier};
use anyhow::Result;
use std::io::Read;

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

pub(super) fn simulated(
    arn: &str,
    session: Option<String>,
    key: Option<String>,
) -> Result<Identity> {
    let (_, canonical) = crate::core::arn::canonicalize(arn.trim())
        .map_err(|e| Failure::error(format!("--arn: {e}"), None))?;
    let parts =
        crate::core::arn::parse(arn.trim()).map_err(|e| Failure::error(e.to_string(), None))?;
    let from_arn = parts
        .resource
        .strip_prefix("assumed-role/")
        .and_then(|r| r.rsplit('/').next())
        .map(str::to_string);
    Ok(Identity {
        arn: arn.trim().to_string(),
        canonical_arn: canonical,
        account_id: parts.account.to_string(),
        user_id: "(simulated)".into(),
        session_name: session.or(from_arn).unwrap_or_default(),
        access_key_id: key.unwrap_or_default(),
        sts_endpoint: String::new(),
    })
}

/// Check a token and ask STS who it belongs to.
pub(super) fn identity_of(
    token_text: &str,
    verifier: &Verifier,
    sts_endpoint: Option<&str>,
) -> Result<Identity, TokenError> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| TokenError::Sts(e.to_string()))?;
    rt.block_on(sts::identity(token_text, verifier, now(), sts_endpoint))
}

/// What one backend of the chain holds: this document (its own backend), the `--aws-auth` file for
/// EKSConfigMap, or why iamidmap cannot tell.
fn backend_mapping<'m, 'a>(
    mode: BackendMode,
    doc: &AuthDocument,
    own: &'m EffectiveMapping<'a>,
    aws_auth: Option<&'m EffectiveMapping<'a>>,
) -> Result<&'m EffectiveMapping<'a>, String> {
    if mode == doc.facts.carrier.kind.backend() {
        return Ok(own);
    }
    match mode {
        BackendMode::EksConfigMap => aws_auth.ok_or_else(|| {
            "it reads kube-system/aws-auth; pass --aws-auth FILE to include it".to_string()
        }),
        BackendMode::MountedFile => {
            Err("it reads the authenticator's config file; verify that file with -f".to_string())
        }
        BackendMode::Crd => {
            Err("IAMIdentityMapping objects (CRD backend) are not read by iamidmap".to_string())
        }
        BackendMode::DynamicFile => {
            Err("the DynamicFile backend's JSON file is not read by iamidmap".to_string())
        }
    }
}

fn summary(r: &Review, where_: Option<String>, chained: bool) -> String {
    let mut out = String::new();
    if chained && let Some(b) = r.backend {
        out.push_str(&format!("backend: {b}\n"));
    }
    match &r.user {
        Some(u) if r.authenticated => {
            out.push_str(&format!(
                "authenticated: yes\nusername: {}\ngroups: {}\nuid: {}\n",
                u.username,
                if u.groups.is_empty() {
                    "(none)".into()
                } else {
                    u.groups.join(", ")
                },
                u.uid
            ));
            if let Some(w) = where_ {
                out.push_str(&format!("matched: {w}\n"));
            }
            if r.via_account {
                out.push_str("matched: mapAccounts (every principal of the account; no groups)\n");
            }
        }
        _ => {
            out.push_str(&format!(
                "authenticated: no\nerror: {}\n",
                r.error.clone().unwrap_or_default()
            ));
            if let Some(w) = where_ {
                out.push_str(&format!("entry: {w}\n"));
            }
        }
    }
    for n in &r.notes {
        out.push_str(&format!("note: {n}\n"));
    }
    out
}

pub fn verify(args: VerifyArgs, s: &Session<'_>) -> Result<i32> {
    let (cluster, _out) = (s.args, s.out);
    let VerifyArgs {
        token,
        cluster_id,
        partition,
        sts_endpoint,
        offline,
        arn,
        session_name,
        access_key_id,
        node_name,
        reserved_prefixes,
        aws_auth,
        source,
        output,
    } = args;
    let reserved: Vec<&str> = reserved_prefixes.iter().map(String::as_str).collect();
    let verifier = Verifier {
        cluster_id: cluster_id.unwrap_or_default(),
        partition,
        region: cluster.region.clone().unwrap_or_default(),
    };
    let identity: Result<Identity, TokenError> = match (&arn, token) {
        (Some(a), _) => Ok(simulated(a, session_name, access_key_id)?),
        (None, Some(t)) => {
            let text = if t == "-" {
                let mut s = String::new();
                std::io::stdin().read_to_string(&mut s)?;
                s.trim().to_string()
            } else {
                t
            };
            if offline {
                return offline_report(&text, &verifier, output);
            }
            identity_of(&text, &verifier, sts_endpoint.as_deref())
        }
        (None, None) => unreachable!("clap requires --token or --arn"),
    };
    let aws_auth_doc = match &aws_auth {
        Some(p) => Some(load(p, Some(crate::cli::Kind::AwsAuth))?.1),
        None => None,
    };
    let (review, doc) = match identity {
        Err(e) => (Review::denied(e.to_string()), None),
        Ok(id) => {
            let (doc, access) = match &source.file {
                Some(path) => (load(path, cluster.kind)?.1, None),
                None => {
                    let (doc, connected) = live::read_connected(s)?;
                    let access = live::access_for(s, &connected, &doc)?;
                    (doc, access)
                }
            };
            let r = review_of(
                &id,
                &doc,
                aws_auth_doc.as_ref(),
                node_name.as_deref(),
                &reserved,
            );
            // EKS asks its access entries first, in the modes that have them.
            let r = match &access {
                Some(a) => crate::core::review::eks(&id, a, r, node_name.as_deref()),
                None => r,
            };
            (r, Some(doc))
        }
    };
    let chained = doc
        .as_ref()
        .is_some_and(|d| d.facts.carrier.kind.structured());
    // The entry is in this document, or (a later backend of the chain) in the --aws-auth file.
    let answered_here = doc.as_ref().is_some_and(|d| {
        review
            .backend
            .is_none_or(|b| b == d.facts.carrier.kind.backend().name())
    });
    let (doc, source_file) = if answered_here {
        (doc, source.file.clone())
    } else {
        (aws_auth_doc.or(doc), aws_auth.clone())
    };
    let where_ = entry_place(&review, doc.as_ref(), source_file.is_some());

    match output {
        ReviewFormat::Json => println!("{}", serde_json::to_string_pretty(&review.token_review())?),
        ReviewFormat::Yaml => print!(
            "{}",
            serde_saphyr::to_string(&review.token_review()).unwrap_or_default()
        ),
        ReviewFormat::Text => print!(
            "{}",
            crate::cli::render::terminal_safe(&summary(&review, where_, chained))
        ),
    }
    Ok(if review.authenticated {
        EXIT_OK
    } else {
        EXIT_FINDINGS
    })
}

fn offline_report(text: &str, verifier: &Verifier, output: ReviewFormat) -> Result<i32> {
    match verifier.check(text, now()) {
        Err(e) => {
            match output {
                ReviewFormat::Text => println!(
                    "valid: no\nerror: {}",
                    crate::cli::render::terminal_safe(&e.to_string())
                ),
                _ => println!(
                    "{}",
                    serde_json::json!({"valid": false, "error": e.to_string()})
                ),
            }
            Ok(EXIT_FINDINGS)
        }
        Ok(p) => {
            let claims = serde_json::json!({
                "valid": true,
                "host": p.host,
                "stsRegion": p.sts_region,
                "accessKeyId": p.access_key_id,
                "signedAt": jiff::Timestamp::from_second(p.signed_at).map(|t| t.to_string()).unwrap_or_default(),
                "expiresAt": jiff::Timestamp::from_second(p.expires_at()).map(|t| t.to_string()).unwrap_or_default(),
                "parameters": token::describe(&p),
                "note": "offline: the signature, the cluster binding and the identity are checked by STS, which was not called"
            });
            match output {
                ReviewFormat::Text => {
                    println!("valid: yes (offline checks only: STS was not called)");
                    for k in ["host", "stsRegion", "accessKeyId", "signedAt", "expiresAt"] {
                        println!("{k}: {}", claims[k].as_str().unwrap_or_default());
                    }
                }
                _ => println!("{}", serde_json::to_string_pretty(&claims)?),
            }
            Ok(EXIT_OK)
        }
    }
}

/// The authenticator's answer for `id`: the document's backend chain, each backend's mapping (the
/// EKSConfigMap backend of an authenticator config reads `--aws-auth`).
fn review_of(
    id: &Identity,
    doc: &AuthDocument,
    aws_auth_doc: Option<&AuthDocument>,
    node_name: Option<&str>,
    reserved: &[&str],
) -> Review {
    match doc.backend_chain() {
        Err(e) => Review::denied(format!(
            "{e}: the authenticator refuses to start with this {}",
            doc.facts.carrier.kind.label()
        )),
        Ok(modes) => {
            let own = doc.effective();
            let other = aws_auth_doc.map(AuthDocument::effective);
            let backends: Vec<review::Backend<'_, '_>> = modes
                .iter()
                .map(|&mode| review::Backend {
                    mode,
                    mapping: backend_mapping(mode, doc, &own, other.as_ref()),
                })
                .collect();
            review::chain(id, &backends, node_name, reserved)
        }
    }
}

/// Where the matching entry is: its ARN, list key, index, and the line when read from a file.
fn entry_place(review: &Review, doc: Option<&AuthDocument>, from_file: bool) -> Option<String> {
    review.entry.as_ref().map(|e| {
        let line = match (doc, from_file) {
            (Some(d), true) => {
                format!(", line {} of {}", d.entry_location(e).line, d.source_name)
            }
            _ => String::new(),
        };
        let key = doc.map_or_else(
            || e.list.data_key().as_str().to_string(),
            |d| d.facts.carrier.kind.key_path(e.list.data_key()),
        );
        format!("`{}` ({key} entry #{}{line})", e.arn, e.index + 1)
    })
}
