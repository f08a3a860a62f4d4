//! Spec §1 vectors for the ARN functions, upstream and derived, plus normalization for writing.

use super::*;

#[test]
fn canonicalize_upstream_vectors() {
    let cases: &[(&str, Option<&str>)] = &[
        ("NOT AN ARN", None),
        (
            "arn:aws:iam::123456789012:user/Alice",
            Some("arn:aws:iam::123456789012:user/Alice"),
        ),
        (
            "arn:aws:iam::123456789012:role/Users",
            Some("arn:aws:iam::123456789012:role/Users"),
        ),
        (
            "arn:aws:sts::123456789012:assumed-role/Admin/Session",
            Some("arn:aws:iam::123456789012:role/Admin"),
        ),
        (
            "arn:aws:sts::123456789012:federated-user/Bob",
            Some("arn:aws:sts::123456789012:federated-user/Bob"),
        ),
        (
            "arn:aws:iam::123456789012:root",
            Some("arn:aws:iam::123456789012:root"),
        ),
        (
            "arn:aws:sts::123456789012:assumed-role/Org/Team/Admin/Session",
            Some("arn:aws:iam::123456789012:role/Org/Team/Admin"),
        ),
        (
            "arn:aws-iso:iam::123456789012:user/Chris",
            Some("arn:aws-iso:iam::123456789012:user/Chris"),
        ),
        (
            "arn:aws-iso-b:iam::123456789012:user/Chris",
            Some("arn:aws-iso-b:iam::123456789012:user/Chris"),
        ),
    ];
    for (input, expected) in cases {
        let got = canonicalize(input);
        match expected {
            Some(out) => assert_eq!(got.unwrap().1, *out, "{input}"),
            None => assert!(got.is_err(), "{input}"),
        }
    }
}

#[test]
fn canonicalize_derived_error_texts() {
    let cases = [
        ("", "arn '' is invalid: 'arn: invalid prefix'"),
        (
            "arn:aws:iam::123",
            "arn 'arn:aws:iam::123' is invalid: 'arn: not enough sections'",
        ),
        (
            "arn:aws-foo:iam::123456789012:user/Alice",
            "arn 'arn:aws-foo:iam::123456789012:user/Alice' does not have a recognized partition",
        ),
        (
            "arn:AWS:iam::123456789012:user/Alice",
            "arn 'arn:AWS:iam::123456789012:user/Alice' does not have a recognized partition",
        ),
        (
            "arn:aws:IAM::123456789012:user/Alice",
            "service IAM in arn arn:aws:IAM::123456789012:user/Alice is not a valid service for identities",
        ),
        (
            "arn:aws:s3:::my-bucket",
            "service s3 in arn arn:aws:s3:::my-bucket is not a valid service for identities",
        ),
        (
            "arn:aws:iam::123456789012:group/Devs",
            "unrecognized resource group/Devs for service iam",
        ),
        (
            "arn:aws:sts::123456789012:user/Bob",
            "unrecognized resource user/Bob for service sts",
        ),
        (
            "arn:aws:sts::123456789012:assumed-role/Admin",
            "assumed-role arn 'arn:aws:sts::123456789012:assumed-role/Admin' does not have a role",
        ),
        (
            "NOT AN ARN",
            "arn 'NOT AN ARN' is invalid: 'arn: invalid prefix'",
        ),
    ];
    for (input, text) in cases {
        assert_eq!(
            canonicalize(input).unwrap_err().to_string(),
            text,
            "{input}"
        );
    }
}

#[test]
fn canonicalize_derived_outputs() {
    use PrincipalType::*;
    let cases = [
        (
            "arn:aws:sts::123456789012:assumed-role/Admin/",
            AssumedRole,
            "arn:aws:iam::123456789012:role/Admin",
        ),
        (
            "arn:aws:sts::123456789012:assumed-role//S",
            AssumedRole,
            "arn:aws:iam::123456789012:role/",
        ),
        (
            "arn:aws:sts:us-east-1:123456789012:assumed-role/R/S",
            AssumedRole,
            "arn:aws:iam::123456789012:role/R",
        ),
        (
            "arn:aws-cn:sts::123456789012:assumed-role/R/S",
            AssumedRole,
            "arn:aws-cn:iam::123456789012:role/R",
        ),
        (
            "arn:aws-us-gov:sts::123456789012:assumed-role/Node/i-0123456789abcdef0",
            AssumedRole,
            "arn:aws-us-gov:iam::123456789012:role/Node",
        ),
        (
            "arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Admin_0123456789abcdef/alice@example.com",
            AssumedRole,
            "arn:aws:iam::123456789012:role/AWSReservedSSO_Admin_0123456789abcdef",
        ),
        (
            "arn:aws:iam::123456789012:role/path/to/MyRole",
            Role,
            "arn:aws:iam::123456789012:role/path/to/MyRole",
        ),
        (
            "arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Admin_0123456789abcdef",
            Role,
            "arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Admin_0123456789abcdef",
        ),
        (
            "arn:aws:iam::123456789012:user/division/alice",
            User,
            "arn:aws:iam::123456789012:user/division/alice",
        ),
        (
            "arn:aws:iam::123456789012:user",
            User,
            "arn:aws:iam::123456789012:user",
        ),
        (
            "arn:aws:sts::123456789012:federated-user",
            FederatedUser,
            "arn:aws:sts::123456789012:federated-user",
        ),
        (
            "arn:aws-eusc:iam::123456789012:user/A",
            User,
            "arn:aws-eusc:iam::123456789012:user/A",
        ),
        (
            "arn:aws-iso-f:iam::123456789012:role/R",
            Role,
            "arn:aws-iso-f:iam::123456789012:role/R",
        ),
    ];
    for (input, kind, out) in cases {
        assert_eq!(
            canonicalize(input).unwrap(),
            (kind, out.to_string()),
            "{input}"
        );
    }
}

#[test]
fn strip_path_vectors() {
    assert!(strip_path("NOT AN ARN").is_err());
    let cases = [
        (
            "arn:aws:iam::123456789012:role/Org/Team/Admin",
            "arn:aws:iam::123456789012:role/Admin",
        ),
        (
            "arn:aws:iam::123456789012:role/Admin",
            "arn:aws:iam::123456789012:role/Admin",
        ),
        (
            "arn:aws:iam::123456789012:user/Alice",
            "arn:aws:iam::123456789012:user/Alice",
        ),
        (
            "arn:aws:sts::123456789012:federated-user/Bob",
            "arn:aws:sts::123456789012:federated-user/Bob",
        ),
    ];
    for (input, out) in cases {
        assert_eq!(strip_path(input).unwrap(), out, "{input}");
    }
}

#[test]
fn arn_like_vectors() {
    let role = "arn:aws:iam::000000000000:role/some-role";
    for pattern in [
        "arn:aws:iam::000000000000:role/some-role",
        "arn:aws:iam::000000000000:*",
        "arn:*:*:*:*:*",
        "arn:aws:iam::000000000000:**",
        "arn:aws:iam::000000000000:*role*",
        "arn:aws:iam::000000000000:ro*",
        "arn:aws:iam::000000000000:??????????????",
    ] {
        assert_eq!(arn_like(role, pattern), Ok(true), "{pattern}");
    }
    let wacky = r"arn:aws:testservice::000000000000:some/wacky-new-[resource]{with}\metacharacters";
    assert_eq!(arn_like(wacky, wacky), Ok(true));
    assert_eq!(
        arn_like(
            wacky,
            "arn:aws:testservice::000000000000:some/wacky-new-[reso*"
        ),
        Ok(true)
    );
    assert_eq!(
        arn_like(
            "arn:aws:iam::111111111111:role/some-role",
            "arn:aws:iam::000000000000:role/some-role"
        ),
        Ok(false)
    );
    assert_eq!(
        arn_like(
            "arn:aws:testservice::000000000000:some/wacky:resource:with:colon:delims",
            "arn:aws:testservice::**:delims"
        ),
        Ok(false)
    );
    let err = |a, p| arn_like(a, p).unwrap_err().to_string().to_lowercase();
    assert_eq!(
        err(role, "arn:*"),
        "could not parse arnlike string: not enough sections"
    );
    assert_eq!(
        err("nar:aws:iam::000000000000:role/some-role", role),
        "could not parse input arn: invalid prefix"
    );
    assert_eq!(
        err("arn:aws:iam:000000000000:role/some-role", role),
        "could not parse input arn: not enough sections"
    );
}

#[test]
fn quote_meta_vectors() {
    assert_eq!(quote_meta("**"), ".*.*");
    assert_eq!(quote_meta("??"), ".?.?");
    assert_eq!(quote_meta("abdcEFG"), "abdcEFG");
    assert_eq!(quote_meta("abd.EFG"), r"abd\.EFG");
    assert_eq!(quote_meta(r"\.+()|[]{}^$"), r"\\\.\+\(\)\|\[\]\{\}\^\$");
    assert_eq!(
        quote_meta(r"\.+()|[]{}^$*?"),
        r"\\\.\+\(\)\|\[\]\{\}\^\$.*.?"
    );
}

#[test]
fn normalize_strips_paths_and_assumed_roles() {
    let n = normalize_for_write("arn:aws:iam::123456789012:role/teams/platform/Admin").unwrap();
    assert_eq!(n.arn, "arn:aws:iam::123456789012:role/Admin");
    assert_eq!(
        n.changes,
        vec![Normalization::StrippedRolePath {
            path: "/teams/platform/".into(),
            sso: false
        }]
    );
    let n = normalize_for_write(
        "arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Admin_0123456789abcdef",
    )
    .unwrap();
    assert_eq!(
        n.arn,
        "arn:aws:iam::123456789012:role/AWSReservedSSO_Admin_0123456789abcdef"
    );
    assert!(matches!(
        n.changes[0],
        Normalization::StrippedRolePath { sso: true, .. }
    ));
    let n = normalize_for_write("arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_X_0123456789abcdef").unwrap();
    assert_eq!(
        n.arn,
        "arn:aws:iam::123456789012:role/AWSReservedSSO_X_0123456789abcdef"
    );
    let n =
        normalize_for_write("arn:aws-cn:sts:cn-north-1:123456789012:assumed-role/Deployer/ci-42")
            .unwrap();
    assert_eq!(n.arn, "arn:aws-cn:iam::123456789012:role/Deployer");
    assert_eq!(
        n.changes,
        vec![Normalization::AssumedRoleToRole {
            session: "ci-42".into()
        }]
    );
    let n = normalize_for_write("arn:aws:iam::123456789012:user/division/alice").unwrap();
    assert_eq!(n.arn, "arn:aws:iam::123456789012:user/division/alice");
    assert!(n.changes.is_empty());
    assert_eq!(n.kind, PrincipalType::User);
}

#[test]
fn normalize_rejects_with_reasons() {
    let cases = [
        ("NOT AN ARN", "is not an ARN"),
        (
            "arn:aws-foo:iam::123456789012:role/R",
            "not an AWS partition",
        ),
        ("arn:aws:iam::1234:role/R", "exactly 12 digits"),
        ("arn:aws:iam::us-west-2:role/R", "exactly 12 digits"),
        ("arn:aws:iam::123456789012:group/Devs", "IAM group"),
        ("arn:aws:iam::123456789012:root", "root user"),
        (
            "arn:aws:sts::123456789012:federated-user/Bob",
            "federated-user",
        ),
        (
            "arn:aws:eks:us-east-1:123456789012:cluster/prod",
            "service `eks`",
        ),
        ("arn:aws:iam::123456789012:role/", "no role or user name"),
        (
            "arn:aws:sts::123456789012:assumed-role/Admin",
            "no role or user name",
        ),
    ];
    for (input, needle) in cases {
        let err = normalize_for_write(input).unwrap_err().to_string();
        assert!(err.contains(needle), "{input}: {err}");
    }
}

#[test]
fn a_non_iam_arn_is_named_by_its_service_not_its_empty_account() {
    let err = normalize_for_write("arn:aws:s3:::bucket").unwrap_err();
    assert_eq!(
        err.to_string(),
        "`arn:aws:s3:::bucket` is an ARN of service `s3`, not an IAM role or user; only IAM roles and IAM users can be mapped"
    );
    // An IAM ARN with a bad account is still about the account.
    assert!(matches!(
        normalize_for_write("arn:aws:iam::12:role/R"),
        Err(NormalizeError::Account { .. })
    ));
}
