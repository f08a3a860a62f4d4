//! Token checks of aws-iam-authenticator's `tokenVerifier.Verify` (aws-iam-authenticator pkg/token/token.go), in upstream's order and with its
//! error texts (users search for them), the STS answer's parsing and identity extraction. Pure: the clock is
//! an argument and the STS call is the caller's. Deliberately stricter than upstream: only the literal host
//! `sts.amazonaws.com` is the global endpoint (upstream accepts any host whose second label is `global`).

use crate::core::arn::{self, PrincipalType};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::LazyLock;

pub const PREFIX: &str = "k8s-aws-v1.";
const MAX_TOKEN_BYTES: usize = 4096;
/// A presigned GetCallerIdentity URL is accepted for 15 minutes after its X-Amz-Date.
pub const VALIDITY_SECONDS: i64 = 15 * 60;

/// Upstream's error types; `Display` gives upstream's texts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("input token was not properly formatted: {0}")]
    Format(String),
    #[error("sts getCallerIdentity failed: {0}")]
    Sts(String),
    #[error("sts getCallerIdentity was throttled: {0}")]
    Throttling(String),
    #[error("{0}")]
    Plain(String),
}

fn format_err(msg: impl Into<String>) -> TokenError {
    TokenError::Format(msg.into())
}

/// One partition: its STS DNS suffix, dual-stack suffix, the regions it claims, FIPS and dual-stack support.
struct Partition {
    name: &'static str,
    dns: &'static str,
    dual_stack: Option<&'static str>,
    region_regex: &'static str,
    fips: bool,
}

const PARTITIONS: [Partition; 8] = [
    Partition {
        name: "aws",
        dns: "amazonaws.com",
        dual_stack: Some("api.aws"),
        region_regex: r"^(us|eu|ap|sa|ca|me|af|il|mx)\-\w+\-\d+$",
        fips: true,
    },
    Partition {
        name: "aws-cn",
        dns: "amazonaws.com.cn",
        dual_stack: Some("api.amazonwebservices.com.cn"),
        region_regex: r"^cn\-\w+\-\d+$",
        fips: true,
    },
    Partition {
        name: "aws-us-gov",
        dns: "amazonaws.com",
        dual_stack: Some("api.aws"),
        region_regex: r"^us\-gov\-\w+\-\d+$",
        fips: true,
    },
    Partition {
        name: "aws-iso",
        dns: "c2s.ic.gov",
        dual_stack: None,
        region_regex: r"^us\-iso\-\w+\-\d+$",
        fips: true,
    },
    Partition {
        name: "aws-iso-b",
        dns: "sc2s.sgov.gov",
        dual_stack: None,
        region_regex: r"^us\-isob\-\w+\-\d+$",
        fips: true,
    },
    Partition {
        name: "aws-iso-e",
        dns: "cloud.adc-e.uk",
        dual_stack: None,
        region_regex: r"^eu\-isoe\-\w+\-\d+$",
        fips: true,
    },
    Partition {
        name: "aws-iso-f",
        dns: "csp.hci.ic.gov",
        dual_stack: None,
        region_regex: r"^us\-isof\-\w+\-\d+$",
        fips: true,
    },
    Partition {
        name: "aws-eusc",
        dns: "amazonaws.eu",
        dual_stack: Some("api.amazonwebservices.eu"),
        region_regex: r"^eusc\-(de)\-\w+\-\d+$",
        fips: true,
    },
];

static REGION_RE: LazyLock<regex::Regex> = LazyLock::new(|| {
    regex::Regex::new(r"^[[:alnum:]]([[:alnum:]\-]*[[:alnum:]])?$").expect("regex")
});
static PARTITION_RES: LazyLock<Vec<regex::Regex>> = LazyLock::new(|| {
    PARTITIONS
        .iter()
        .map(|p| regex::Regex::new(p.region_regex).expect("regex"))
        .collect()
});

fn partition(name: &str) -> Option<&'static Partition> {
    PARTITIONS.iter().find(|p| p.name == name)
}

/// The partition the SDK resolves a region to; unknown regions fall back to `aws`. A verifier sees the
/// same few regions over and over: the last answer is kept per thread (the regexes cost ~0.4 µs).
fn partition_of_region(region: &str) -> &'static Partition {
    thread_local! {
        static LAST: std::cell::RefCell<Option<(String, &'static Partition)>> =
            const { std::cell::RefCell::new(None) };
    }
    LAST.with(|last| {
        let mut last = last.borrow_mut();
        if let Some((r, p)) = last.as_ref()
            && r == region
        {
            return *p;
        }
        let p = partition_of_region_uncached(region);
        *last = Some((region.to_string(), p));
        p
    })
}

fn partition_of_region_uncached(region: &str) -> &'static Partition {
    // The specific partitions first, so that `us-gov-…` never lands in `aws`.
    PARTITIONS
        .iter()
        .zip(PARTITION_RES.iter())
        .skip(1)
        .chain(std::iter::once((&PARTITIONS[0], &PARTITION_RES[0])))
        .find(|(_, re)| re.is_match(region))
        .map_or(&PARTITIONS[0], |(p, _)| p)
}

/// `getStsRegion`: `global` only for the literal host `sts.amazonaws.com`, else the second label.
/// The regional STS host a token for `region` is presigned for, in the region's partition (as the AWS
/// SDKs resolve it): `sts.cn-north-1.amazonaws.com.cn`, `sts.us-iso-east-1.c2s.ic.gov`; `aws-global` is
/// the legacy global endpoint `sts.amazonaws.com`.
pub fn sts_host(region: &str) -> String {
    if region == "aws-global" {
        return "sts.amazonaws.com".to_string();
    }
    format!("sts.{region}.{}", partition_of_region(region).dns)
}

/// The name of the partition a region belongs to (`aws` for regions no partition claims).
pub fn partition_name(region: &str) -> &'static str {
    partition_of_region(region).name
}

pub fn sts_region(host: &str) -> Result<String, String> {
    region_label(host).map(str::to_string)
}

fn region_label(host: &str) -> Result<&str, String> {
    if host.is_empty() {
        return Err("host is empty".into());
    }
    let mut labels = host.split('.');
    let (_, second, third) = (labels.next(), labels.next(), labels.next());
    let (Some(second), Some(_)) = (second, third) else {
        return Err(format!("invalid host format: {host}"));
    };
    if host == "sts.amazonaws.com" {
        return Ok("global");
    }
    Ok(second)
}

/// Whether `host` is one of `resolved_hosts(region)`, without building them.
fn resolves_to(host: &str, region: &str, p: &Partition) -> bool {
    let (fips, rest) = match host.strip_prefix("sts.") {
        Some(r) => (false, r),
        None => match host.strip_prefix("sts-fips.") {
            Some(r) => (true, r),
            None => return false,
        },
    };
    let Some(suffix) = rest.strip_prefix(region).and_then(|r| r.strip_prefix('.')) else {
        return false;
    };
    let gov = p.name == "aws-us-gov";
    if fips {
        p.fips && ((!gov && suffix == p.dns) || p.dual_stack == Some(suffix))
    } else {
        suffix == p.dns
            || (p.fips && gov && suffix == "amazonaws.com")
            || p.dual_stack == Some(suffix)
    }
}

pub fn valid_region(region: &str) -> bool {
    REGION_RE.is_match(region)
}

/// The hostnames the SDK resolves STS to for a region (what `resolves_to` matches without building them).
#[cfg(test)]
fn resolved_hosts(region: &str) -> (Vec<String>, &'static Partition) {
    let p = partition_of_region(region);
    let mut hosts = vec![format!("sts.{region}.{}", p.dns)];
    if p.fips {
        hosts.push(if p.name == "aws-us-gov" {
            format!("sts.{region}.amazonaws.com")
        } else {
            format!("sts-fips.{region}.{}", p.dns)
        });
    }
    if let Some(ds) = p.dual_stack {
        hosts.push(format!("sts.{region}.{ds}"));
        if p.fips {
            hosts.push(format!("sts-fips.{region}.{ds}"));
        }
    }
    (hosts, p)
}

/// Who verifies tokens: the cluster they must be bound to, the server's partition and region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verifier {
    pub cluster_id: String,
    pub partition: String,
    pub region: String,
}

/// A token that passed every check before the STS call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Presigned {
    /// The URL to GET (re-serialised like Go's `URL.String()`: the raw query unchanged).
    pub url: String,
    pub host: String,
    /// `global` or the region label of the host.
    pub sts_region: String,
    pub access_key_id: String,
    /// X-Amz-Date as a Unix time.
    pub signed_at: i64,
    /// The unescaped values of the query parameters, one after the other (one allocation, not nine).
    values: String,
    /// Query parameters by lower-cased name (one of the allowed names) and their value's place in
    /// `values`, in URL order.
    params: Vec<(&'static str, std::ops::Range<usize>)>,
}

impl Presigned {
    pub fn param(&self, lower: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| *k == lower)
            .map(|(_, r)| &self.values[r.clone()])
    }

    /// The query parameters, lower-cased names and unescaped values, in URL order.
    pub fn params(&self) -> impl Iterator<Item = (&'static str, &str)> {
        self.params
            .iter()
            .map(|(k, r)| (*k, &self.values[r.clone()]))
    }
    /// When the token stops being accepted.
    pub fn expires_at(&self) -> i64 {
        self.signed_at + VALIDITY_SECONDS
    }
}

const ALLOWED: [&str; 9] = [
    "action",
    "version",
    "x-amz-algorithm",
    "x-amz-credential",
    "x-amz-date",
    "x-amz-expires",
    "x-amz-security-token",
    "x-amz-signature",
    "x-amz-signedheaders",
];

/// Go `url.QueryUnescape`, borrowing when there is nothing to undo.
fn query_unescape(s: &str) -> Option<Cow<'_, str>> {
    let b = s.as_bytes();
    let Some(first) = memchr::memchr2(b'%', b'+', b) else {
        return Some(Cow::Borrowed(s));
    };
    let hex = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    };
    let mut out = Vec::with_capacity(b.len());
    out.extend_from_slice(&b[..first]);
    let mut i = first;
    while i < b.len() {
        match b[i] {
            b'%' => {
                let (hi, lo) = (hex(*b.get(i + 1)?)?, hex(*b.get(i + 2)?)?);
                out.push(hi << 4 | lo);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok().map(Cow::Owned)
}

/// A query's `(name, value)` pairs, unescaped, in URL order.
type Query<'a> = Vec<(Cow<'a, str>, Cow<'a, str>)>;

/// Go `url.ParseQuery`, keeping the order: `&` separates, a `;` or a bad escape is an error.
fn parse_query(raw: &str) -> Option<Query<'_>> {
    // Go rejects a `;` in any non-empty part: anywhere in the query, then.
    if raw.as_bytes().contains(&b';') {
        return None;
    }
    let mut out = Vec::with_capacity(10);
    for part in raw.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = part.split_once('=').unwrap_or((part, ""));
        out.push((query_unescape(k)?, query_unescape(v)?));
    }
    Some(out)
}

/// `20060102T150405Z` to a Unix time (fixed widths, UTC).
pub fn parse_amz_date(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let n = |r: std::ops::Range<usize>| {
        s.get(r)
            .filter(|x| x.bytes().all(|c| c.is_ascii_digit()))?
            .parse::<i64>()
            .ok()
    };
    let (y, mo, d, h, mi, se) = (
        n(0..4)?,
        n(4..6)?,
        n(6..8)?,
        n(9..11)?,
        n(11..13)?,
        n(13..15)?,
    );
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 59 {
        return None;
    }
    // Days from civil (Howard Hinnant's algorithm).
    let (y2, m2) = if mo <= 2 {
        (y - 1, mo + 9)
    } else {
        (y, mo - 3)
    };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let doy = (153 * m2 + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146097 + doe - 719468;
    Some(days * 86400 + h * 3600 + mi * 60 + se)
}

/// A Unix time as Go prints a `time.Time` in UTC (`1990-04-22 01:02:03 +0000 UTC`).
fn go_time(t: i64) -> String {
    let days = t.div_euclid(86400);
    let secs = t.rem_euclid(86400);
    let z = days + 719468;
    let era = z.div_euclid(146097);
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} +0000 UTC",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// Decode base64url without padding like Go's `RawURLEncoding` (CR/LF ignored, trailing bits not checked).
fn decode_token(body: &str) -> Result<Vec<u8>, String> {
    use base64::Engine;
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    const ENGINE: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::URL_SAFE,
        GeneralPurposeConfig::new()
            .with_decode_padding_mode(DecodePaddingMode::RequireNone)
            .with_decode_allow_trailing_bits(true),
    );
    // Go ignores CR and LF; copy only when there are some.
    let cleaned: std::borrow::Cow<'_, [u8]> =
        if memchr::memchr2(b'\r', b'\n', body.as_bytes()).is_some() {
            body.bytes()
                .filter(|b| *b != b'\r' && *b != b'\n')
                .collect::<Vec<u8>>()
                .into()
        } else {
            body.as_bytes().into()
        };
    ENGINE.decode(&cleaned).map_err(|e| match e {
        base64::DecodeError::InvalidByte(i, _) | base64::DecodeError::InvalidLastSymbol(i, _) => {
            format!("illegal base64 data at input byte {i}")
        }
        _ => format!(
            "illegal base64 data at input byte {}",
            cleaned.len().saturating_sub(1)
        ),
    })
}

impl Verifier {
    /// Host verification (aws-iam-authenticator pkg/token/token.go, host verification) with the deliberate fix: `global` is only `sts.amazonaws.com`.
    pub fn verify_host(&self, host: &str) -> Result<(), TokenError> {
        let region = region_label(host).map_err(|e| {
            format_err(format!(
                "could not parse region for pre-signed URL {host}, {e}"
            ))
        })?;
        if host == "sts.amazonaws.com" {
            return if self.partition == "aws" {
                Ok(())
            } else {
                Err(format_err(format!(
                    "global endpoint unsupported in partition {}",
                    self.partition
                )))
            };
        }
        if !valid_region(region) {
            return Err(format_err(format!(
                "invalid region identifier format provided: {region}"
            )));
        }
        if resolves_to(host, region, partition_of_region(region)) {
            // The labels after the region: the partition's DNS suffix.
            let mut dots = host.match_indices('.').map(|(i, _)| i);
            let (_, second) = (dots.next(), dots.next());
            let Some(actual) = second.map(|i| &host[i + 1..]).filter(|a| a.contains('.')) else {
                return Err(TokenError::Plain(format!(
                    "invalid host format, too few labels: {host}"
                )));
            };
            let Some(p) = partition(&self.partition) else {
                return Err(TokenError::Plain(format!(
                    "partition {} not valid",
                    self.partition
                )));
            };
            if actual == p.dns || Some(actual) == p.dual_stack {
                return Ok(());
            }
            return Err(format_err(format!(
                "partition {{{}}} does not support hostname {host}",
                self.partition
            )));
        }
        // A region the SDK does not know yet: the verifier's own region's default hostnames.
        let defaults: Vec<String> = match partition(&self.partition) {
            Some(p) if valid_region(&self.region) => {
                let mut d = vec![format!("sts.{}.{}", self.region, p.dns)];
                if let Some(ds) = p.dual_stack {
                    d.push(format!("sts.{}.{ds}", self.region));
                }
                d
            }
            _ => vec![],
        };
        if defaults.iter().any(|h| h == host) {
            Ok(())
        } else {
            Err(format_err(format!(
                "unexpected hostname {host:?} in pre-signed URL"
            )))
        }
    }

    /// Every check before the STS call (aws-iam-authenticator pkg/token/token.go, steps 1–18 of Verify), first failure wins. Where upstream's order
    /// is random (two violations among the parameters), the first in URL order is reported.
    pub fn check(&self, token: &str, now: i64) -> Result<Presigned, TokenError> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(format_err("token is too large"));
        }
        let Some(body) = token.strip_prefix(PREFIX) else {
            return Err(format_err(format!(
                "token is missing expected {PREFIX:?} prefix"
            )));
        };
        let bytes = decode_token(body).map_err(format_err)?;
        let url = String::from_utf8(bytes)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
        // Go net/url.Parse, as far as the checks need it.
        let scheme_end = url.find(':');
        let scheme_ok = scheme_end.is_some_and(|i| {
            i > 0
                && url.as_bytes()[0].is_ascii_alphabetic()
                && url[..i]
                    .bytes()
                    .all(|c| c.is_ascii_alphanumeric() || b"+-.".contains(&c))
        });
        if !scheme_ok {
            return Err(format_err(format!(
                "parse {url:?}: missing protocol scheme"
            )));
        }
        let i = scheme_end.expect("checked");
        if !url[..i].eq_ignore_ascii_case("https") {
            let scheme = url[..i].to_ascii_lowercase();
            return Err(format_err(format!(
                "unexpected scheme {scheme:?} in pre-signed URL"
            )));
        }
        let rest = &url[i + 1..];
        let (authority, path_query) = match rest.strip_prefix("//") {
            Some(r) => {
                let end = r.find(['/', '?', '#']).unwrap_or(r.len());
                (&r[..end], &r[end..])
            }
            None => ("", rest),
        };
        let host = authority.rsplit('@').next().unwrap_or("");
        self.verify_host(host)?;
        let sts_region = sts_region(host).unwrap_or_default();
        let without_fragment = path_query.split('#').next().unwrap_or("");
        let (raw_path, raw_query) = without_fragment
            .split_once('?')
            .unwrap_or((without_fragment, ""));
        // A `+` in the path is a literal plus (Go's PathUnescape), not a space.
        let path_ok = raw_path == "/"
            || query_unescape(&raw_path.replace('+', "%2B")).as_deref() == Some("/");
        if !path_ok {
            return Err(format_err("unexpected path in pre-signed URL"));
        }
        let query =
            parse_query(raw_query).ok_or_else(|| format_err("malformed query parameter"))?;
        // The same name in two spellings (`Action` and `action`): the later one is reported.
        // Names written more than once exactly (bit i: the i-th name), found on the same pass.
        let mut repeated: u128 = 0;
        for (i, (name, _)) in query.iter().enumerate() {
            for (j, (n, _)) in query[..i].iter().enumerate() {
                if n.eq_ignore_ascii_case(name) {
                    if n != name {
                        return Err(format_err(format!(
                            "duplicate query parameter found: {name:?}"
                        )));
                    }
                    if i < 128 {
                        repeated |= 1 << i | 1 << j;
                    }
                }
            }
        }
        let mut params: Vec<(&'static str, std::ops::Range<usize>)> =
            Vec::with_capacity(query.len());
        let mut values = String::with_capacity(raw_query.len());
        for (i, (name, value)) in query.iter().enumerate() {
            let Some(lower) = ALLOWED.iter().find(|a| a.eq_ignore_ascii_case(name)) else {
                return Err(format_err(format!(
                    "non-whitelisted query parameter {name:?}"
                )));
            };
            let more_than_once = if i < 128 {
                repeated >> i & 1 == 1
            } else {
                query.iter().filter(|(n, _)| n == name).count() != 1
            };
            if more_than_once {
                return Err(format_err(
                    "query parameter with multiple values not supported",
                ));
            }
            let start = values.len();
            values.push_str(value);
            params.push((lower, start..values.len()));
        }
        let get = |k: &str| {
            params
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, r)| &values[r.clone()])
        };
        if get("action") != Some("GetCallerIdentity") {
            return Err(format_err("unexpected action parameter in pre-signed URL"));
        }
        if !get("x-amz-signedheaders")
            .unwrap_or("")
            .split(';')
            .any(|h| h.eq_ignore_ascii_case("x-k8s-aws-id"))
        {
            return Err(format_err(
                "client did not sign the x-k8s-aws-id header in the pre-signed URL",
            ));
        }
        let expires_raw = get("x-amz-expires").unwrap_or("");
        let expires: i64 = match expires_raw.parse::<i128>() {
            Ok(v) => v.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64,
            Err(_) => 0,
        };
        let expires_ok = expires_raw.parse::<i128>().is_ok() && (0..=900).contains(&expires);
        if !expires_ok {
            return Err(format_err(format!(
                "invalid X-Amz-Expires parameter in pre-signed URL: {expires}"
            )));
        }
        let date = get("x-amz-date").unwrap_or("");
        if date.is_empty() {
            return Err(format_err(
                "X-Amz-Date parameter must be present in pre-signed URL",
            ));
        }
        let access_key_id = get("x-amz-credential")
            .and_then(|c| c.split('/').next())
            .unwrap_or("")
            .to_string();
        let signed_at = parse_amz_date(date).ok_or_else(|| {
            format_err(format!(
                "error parsing X-Amz-Date parameter {date} into format 20060102T150405Z: parsing time {date:?} as \"20060102T150405Z\": cannot parse {date:?} as \"2006\""
            ))
        })?;
        if now > signed_at + VALIDITY_SECONDS {
            return Err(format_err(format!(
                "X-Amz-Date parameter is expired (15 minute expiration) {}",
                go_time(signed_at)
            )));
        }
        let host = host.to_string();
        Ok(Presigned {
            url,
            host,
            sts_region,
            access_key_id,
            signed_at,
            values,
            params,
        })
    }
}

/// What STS said, turned into upstream's errors (aws-iam-authenticator pkg/token/token.go, the STS answer).
pub fn sts_status_error(status: u16, body: &str, sts_region: &str) -> TokenError {
    if body.contains("Throttling") {
        TokenError::Throttling(body.to_string())
    } else {
        TokenError::Sts(format!(
            "error from AWS (expected 200, got {status}) on {sts_region} endpoint. Body: {body}"
        ))
    }
}

/// The identity behind a token (upstream `Identity`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Identity {
    pub arn: String,
    pub canonical_arn: String,
    pub account_id: String,
    pub user_id: String,
    pub session_name: String,
    pub access_key_id: String,
    pub sts_endpoint: String,
}

/// Parse STS's JSON answer (lenient, case-insensitive keys) and extract the identity (§7.6).
pub fn identity_from_sts_response(
    body: &str,
    presigned: &Presigned,
) -> Result<Identity, TokenError> {
    let v: serde_json::Value =
        serde_json::from_str(body).map_err(|e| TokenError::Sts(e.to_string()))?;
    let field = |v: &serde_json::Value, name: &str| -> serde_json::Value {
        v.as_object()
            .and_then(|o| {
                o.iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(name))
                    .map(|(_, v)| v.clone())
            })
            .unwrap_or(serde_json::Value::Null)
    };
    let result = field(
        &field(&v, "GetCallerIdentityResponse"),
        "GetCallerIdentityResult",
    );
    let text = |name: &str| field(&result, name).as_str().unwrap_or("").to_string();
    identity_from_fields(&text("Arn"), &text("Account"), &text("UserId"), presigned)
}

/// `getIdentityFromSTSResponse` on the three fields.
pub fn identity_from_fields(
    arn_text: &str,
    account: &str,
    user_id: &str,
    presigned: &Presigned,
) -> Result<Identity, TokenError> {
    let (kind, canonical) =
        arn::canonicalize(arn_text).map_err(|e| TokenError::Sts(e.to_string()))?;
    let (uid, session) = match kind {
        PrincipalType::FederatedUser | PrincipalType::User | PrincipalType::Root => {
            (user_id.to_string(), String::new())
        }
        PrincipalType::AssumedRole | PrincipalType::Role => {
            let parts: Vec<&str> = user_id.split(':').collect();
            if parts.len() != 2 {
                return Err(TokenError::Sts(format!("malformed UserID {user_id:?}")));
            }
            (parts[0].to_string(), parts[1].to_string())
        }
    };
    Ok(Identity {
        arn: arn_text.to_string(),
        canonical_arn: canonical,
        account_id: account.to_string(),
        user_id: uid,
        session_name: session,
        access_key_id: presigned.access_key_id.clone(),
        sts_endpoint: presigned.host.clone(),
    })
}

/// The query parameters in a readable form for `verify --offline` (secrets shortened).
pub fn describe(p: &Presigned) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (k, v) in p.params() {
        let shown = match k {
            "x-amz-signature" | "x-amz-security-token" if v.len() > 8 => {
                format!("{}…", v.get(..8).unwrap_or(v))
            }
            _ => v.to_string(),
        };
        out.insert(k.to_string(), shown);
    }
    out
}

#[cfg(test)]
#[path = "token_tests.rs"]
mod tests;
