//! The local authenticator end to end: principals made in moto with the real AWS CLI, tokens from
//! `aws eks get-token` and from `iamidmap token`, checked by `iamidmap verify --sts-endpoint` against the
//! local STS (127.0.0.1), which checks signatures, the cluster binding and the 15-minute window.

use crate::support::{self, LocalSts, bin};
use predicates::prelude::*;
use serde_json::Value;
use std::path::PathBuf;

struct Aws {
    sts: LocalSts,
    exe: PathBuf,
}

impl Aws {
    fn start() -> Option<Aws> {
        let sts = support::local_sts()?;
        let exe = support::aws_cli()?;
        Some(Aws { sts, exe })
    }
    /// Run the AWS CLI against the local STS/IAM (creds: key, secret, session token).
    fn json(
        &self,
        args: &[&str],
        creds: Option<(&str, &str, Option<&str>)>,
        endpoint: bool,
    ) -> Value {
        support::aws_json(
            &self.exe,
            endpoint.then_some(self.sts.url.as_str()),
            args,
            creds,
        )
    }
    /// A user with an access key: (key, secret).
    fn user(&self, name: &str) -> (String, String) {
        self.json(
            &[
                "iam",
                "create-user",
                "--user-name",
                name,
                "--path",
                "/devs/",
            ],
            None,
            true,
        );
        let k = self.json(
            &["iam", "create-access-key", "--user-name", name],
            None,
            true,
        );
        (
            k["AccessKey"]["AccessKeyId"].as_str().unwrap().into(),
            k["AccessKey"]["SecretAccessKey"].as_str().unwrap().into(),
        )
    }
    /// `aws eks get-token` (offline presigning, production host).
    fn token(&self, cluster: &str, key: &str, secret: &str, session: Option<&str>) -> String {
        let v = self.json(
            &[
                "eks",
                "get-token",
                "--cluster-name",
                cluster,
                "--region",
                "us-east-1",
            ],
            Some((key, secret, session)),
            false,
        );
        v["status"]["token"].as_str().unwrap().to_string()
    }
    fn verify(
        &self,
        token: &str,
        cluster: &str,
        mapping: &std::path::Path,
    ) -> assert_cmd::assert::Assert {
        bin()
            .args([
                "verify",
                "--token",
                token,
                "-i",
                cluster,
                "--sts-endpoint",
                &self.sts.url,
                "-f",
            ])
            .arg(mapping)
            .assert()
    }
}

fn mapping(dir: &std::path::Path) -> PathBuf {
    let path = dir.join("aws-auth.yaml");
    std::fs::write(&path, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: aws-auth\n  namespace: kube-system\ndata:\n  mapRoles: |\n    - rolearn: arn:aws:iam::123456789012:role/eks-admins\n      username: \"admin:{{SessionName}}\"\n      groups:\n        - system:masters\n  mapUsers: |\n    - userarn: arn:aws:iam::123456789012:user/devs/alice\n      username: alice\n      groups:\n        - developers\n").unwrap();
    path
}

#[test]
#[cfg_attr(
    iamidmap_skip_aws,
    ignore = "the AWS CLI or moto is not installed (IAMIDMAP_ALLOW_SKIP=1)"
)]
fn tokens_from_the_aws_cli_are_verified_with_the_right_identity() {
    let Some(aws) = Aws::start() else { return };
    let dir = tempfile::tempdir().unwrap();
    let map = mapping(dir.path());
    let (key, secret) = aws.user("alice");
    let token = aws.token("prod", &key, &secret, None);
    let out = bin()
        .args([
            "verify",
            "-o",
            "json",
            "--token",
            &token,
            "-i",
            "prod",
            "--sts-endpoint",
            &aws.sts.url,
            "-f",
        ])
        .arg(&map)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["kind"], "TokenReview");
    assert_eq!(v["status"]["authenticated"], true);
    assert_eq!(v["status"]["user"]["username"], "alice");
    assert_eq!(
        v["status"]["user"]["groups"],
        serde_json::json!(["developers"])
    );
    assert_eq!(v["status"]["user"]["extra"]["accessKeyId"][0], key.as_str());
    // An assumed role with a session token; the username template gets the session name.
    support::create_assumable_role(&aws.exe, &aws.sts.url, "eks-admins");
    let a = aws.json(
        &[
            "sts",
            "assume-role",
            "--role-arn",
            "arn:aws:iam::123456789012:role/eks-admins",
            "--role-session-name",
            "jane",
        ],
        None,
        true,
    );
    let c = &a["Credentials"];
    let token = aws.token(
        "prod",
        c["AccessKeyId"].as_str().unwrap(),
        c["SecretAccessKey"].as_str().unwrap(),
        c["SessionToken"].as_str(),
    );
    aws.verify(&token, "prod", &map)
        .code(0)
        .stdout(predicate::str::contains("username: admin:jane"))
        .stdout(predicate::str::contains("groups: system:masters"))
        .stdout(predicate::str::contains("mapRoles entry #1, line 8 of"));
}

#[test]
#[cfg_attr(
    iamidmap_skip_aws,
    ignore = "the AWS CLI or moto is not installed (IAMIDMAP_ALLOW_SKIP=1)"
)]
fn bad_tokens_are_denied_with_the_right_message() {
    let Some(aws) = Aws::start() else { return };
    let dir = tempfile::tempdir().unwrap();
    let map = mapping(dir.path());
    let (key, secret) = aws.user("alice");
    let token = aws.token("prod", &key, &secret, None);
    // Signed for another cluster: STS's signature check fails.
    aws.verify(&token, "staging", &map)
        .code(1)
        .stdout(predicate::str::contains(
            "error from AWS (expected 200, got 403)",
        ))
        .stdout(predicate::str::contains("SignatureDoesNotMatch"));
    // The wrong secret.
    let forged = aws.token("prod", &key, "not-the-secret", None);
    aws.verify(&forged, "prod", &map)
        .code(1)
        .stdout(predicate::str::contains("SignatureDoesNotMatch"));
    // Tampered: a parameter the authenticator does not allow.
    let url = {
        use base64::Engine;
        let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(token.trim_start_matches("k8s-aws-v1."))
            .unwrap();
        format!("{}&X-Evil=1", String::from_utf8(raw).unwrap())
    };
    let tampered = {
        use base64::Engine;
        format!(
            "k8s-aws-v1.{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(url)
        )
    };
    aws.verify(&tampered, "prod", &map)
        .code(1)
        .stdout(predicate::str::contains(
            "non-whitelisted query parameter \"X-Evil\"",
        ));
    // Back-dated 20 minutes with botocore's own presigner: refused before STS is asked.
    let script = format!(
        "import base64, datetime\nfrom unittest import mock\nimport botocore.auth, botocore.credentials\nfrom botocore.awsrequest import AWSRequest\nold = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None) - datetime.timedelta(minutes=20)\nreq = AWSRequest(method='GET', url='https://sts.us-east-1.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15', headers={{'x-k8s-aws-id': 'prod'}})\nwith mock.patch('botocore.auth.get_current_datetime', return_value=old):\n    botocore.auth.SigV4QueryAuth(botocore.credentials.Credentials('{key}', '{secret}'), 'sts', 'us-east-1', expires=60).add_auth(req)\nprint('k8s-aws-v1.' + base64.urlsafe_b64encode(req.url.encode()).decode().rstrip('='))\n"
    );
    let out = support::command(&aws.sts.python)
        .args(["-c", &script])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let expired = String::from_utf8(out.stdout).unwrap();
    aws.verify(expired.trim(), "prod", &map)
        .code(1)
        .stdout(predicate::str::contains(
            "X-Amz-Date parameter is expired (15 minute expiration)",
        ));
    // Signed with a credential scope STS refuses (another region than the host's, another service): the
    // local STS checks the scope as STS does.
    let presign = |service: &str, region: &str| {
        let script = format!(
            "import base64\nimport botocore.auth, botocore.credentials\nfrom botocore.awsrequest import AWSRequest\nreq = AWSRequest(method='GET', url='https://sts.us-east-1.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15', headers={{'x-k8s-aws-id': 'prod'}})\nbotocore.auth.SigV4QueryAuth(botocore.credentials.Credentials('{key}', '{secret}'), '{service}', '{region}', expires=60).add_auth(req)\nprint('k8s-aws-v1.' + base64.urlsafe_b64encode(req.url.encode()).decode().rstrip('='))\n"
        );
        let out = support::command(&aws.sts.python)
            .args(["-c", &script])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    };
    aws.verify(&presign("sts", "us-west-2"), "prod", &map)
        .code(1)
        .stdout(predicate::str::contains(
            "Credential should be scoped to a valid region",
        ));
    aws.verify(&presign("iam", "us-east-1"), "prod", &map)
        .code(1)
        .stdout(predicate::str::contains(
            "Credential should be scoped to correct service",
        ));
    // Without `Accept: application/json`, STS answers XML (the authenticator always asks for JSON).
    let good = {
        use base64::Engine;
        String::from_utf8(
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(token.trim_start_matches("k8s-aws-v1."))
                .unwrap(),
        )
        .unwrap()
    };
    let path = &good[good.find(".com/").unwrap() + 4..];
    let addr = aws.sts.url.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    use std::io::{Read, Write};
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: sts.us-east-1.amazonaws.com\r\nx-k8s-aws-id: prod\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(answer.contains("<GetCallerIdentityResponse"), "{answer}");
    assert!(
        answer.contains("<Arn>arn:aws:iam::123456789012:user/devs/alice</Arn>"),
        "{answer}"
    );
}

#[test]
#[cfg_attr(
    iamidmap_skip_aws,
    ignore = "the AWS CLI or moto is not installed (IAMIDMAP_ALLOW_SKIP=1)"
)]
fn tokens_made_by_iamidmap_are_accepted() {
    let Some(aws) = Aws::start() else { return };
    let dir = tempfile::tempdir().unwrap();
    let map = mapping(dir.path());
    let (key, secret) = aws.user("alice");
    let out = bin()
        .env("AWS_ACCESS_KEY_ID", &key)
        .env("AWS_SECRET_ACCESS_KEY", &secret)
        .env("KUBERNETES_EXEC_INFO", r#"{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","spec":{"interactive":false}}"#)
        .args(["token", "-i", "prod"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let cred: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(cred["kind"], "ExecCredential");
    assert_eq!(cred["apiVersion"], "client.authentication.k8s.io/v1");
    let token = cred["status"]["token"].as_str().unwrap();
    assert!(
        cred["status"]["expirationTimestamp"]
            .as_str()
            .unwrap()
            .ends_with('Z')
    );
    // The local STS accepts it, and so does verify.
    aws.verify(token, "prod", &map)
        .code(0)
        .stdout(predicate::str::contains("username: alice"));
    // --role assumes the role first (through the local STS), then signs with the session.
    support::create_assumable_role(&aws.exe, &aws.sts.url, "eks-admins");
    let mut cmd = bin();
    support::aws_endpoint(&mut cmd, &aws.sts.url);
    let out = cmd
        .env("AWS_ACCESS_KEY_ID", &key)
        .env("AWS_SECRET_ACCESS_KEY", &secret)
        .args([
            "token",
            "-i",
            "prod",
            "--token-only",
            "--role",
            "arn:aws:iam::123456789012:role/eks-admins",
            "--session-name",
            "ci",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = String::from_utf8(out.stdout).unwrap();
    aws.verify(token.trim(), "prod", &map)
        .code(0)
        .stdout(predicate::str::contains("username: admin:ci"));
}

#[test]
fn verify_arn_simulates_without_a_token() {
    let dir = tempfile::tempdir().unwrap();
    let map = mapping(dir.path());
    bin()
        .args([
            "verify",
            "--arn",
            "arn:aws:sts::123456789012:assumed-role/eks-admins/jane@example.com",
            "-f",
        ])
        .arg(&map)
        .assert()
        .code(0)
        .stdout(predicate::str::contains("username: admin:jane-example.com"));
    bin()
        .args([
            "verify",
            "--reserved-prefix",
            "admin:",
            "--arn",
            "arn:aws:sts::123456789012:assumed-role/eks-admins/jane",
            "-f",
        ])
        .arg(&map)
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "username must not begin with with the following prefixes: [admin:]",
        ));
    bin()
        .args([
            "verify",
            "--arn",
            "arn:aws:iam::123456789012:role/teams/eks-admins",
            "-f",
        ])
        .arg(&map)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("identity is not mapped"));
    let out = bin()
        .args([
            "verify",
            "-o",
            "json",
            "--arn",
            "arn:aws:iam::123456789012:user/devs/alice",
            "-f",
        ])
        .arg(&map)
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["apiVersion"], "authentication.k8s.io/v1");
    assert_eq!(v["status"]["user"]["groups"][0], "developers");
}

#[test]
fn offline_checks_need_no_network() {
    let token = bin()
        .args(["token", "-i", "prod", "--token-only"])
        .output()
        .unwrap();
    assert_eq!(
        token.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&token.stderr)
    );
    let t = String::from_utf8(token.stdout).unwrap();
    bin()
        .args(["verify", "--offline", "--token", t.trim()])
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "host: sts.us-east-1.amazonaws.com",
        ))
        .stdout(predicate::str::contains(
            "accessKeyId: AKIAIOSFODNN7EXAMPLE",
        ));
    // `token` in another partition: the partition's own STS host, which `verify` of that partition
    // accepts (and the `aws` partition's refuses, as the authenticator of a commercial cluster would).
    for (region, partition, host) in [
        ("cn-north-1", "aws-cn", "sts.cn-north-1.amazonaws.com.cn"),
        ("us-iso-east-1", "aws-iso", "sts.us-iso-east-1.c2s.ic.gov"),
    ] {
        let out = bin()
            .args(["token", "-i", "prod", "--token-only", "--region", region])
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let t = String::from_utf8(out.stdout).unwrap();
        bin()
            .args([
                "verify",
                "--offline",
                "--partition",
                partition,
                "--token",
                t.trim(),
            ])
            .assert()
            .code(0)
            .stdout(predicate::str::contains(format!("host: {host}")));
        bin()
            .args(["verify", "--offline", "--token", t.trim()])
            .assert()
            .code(1);
    }
    bin()
        .args(["verify", "--offline", "--token", "k8s-aws-v2.abc"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "token is missing expected \"k8s-aws-v1.\" prefix",
        ));
}
