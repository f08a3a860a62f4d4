//! Username and group templates (`renderTemplate`, aws-iam-authenticator pkg/server/server.go): sequential literal replacement of
//! `{{EC2PrivateDNSName}}`, `{{AccountID}}`, `{{SessionName}}`, `{{SessionNameRaw}}`, `{{AccessKeyID}}`.

use thiserror::Error;

/// The placeholders the authenticator knows; anything else is left verbatim.
pub const PLACEHOLDERS: [&str; 5] = [
    "{{EC2PrivateDNSName}}",
    "{{AccountID}}",
    "{{SessionName}}",
    "{{SessionNameRaw}}",
    "{{AccessKeyID}}",
];

/// What a template is rendered with. The EC2 private DNS name comes from an EC2 lookup that the
/// caller does (or not): the core performs no I/O.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Identity {
    pub account_id: String,
    pub session_name: String,
    pub access_key_id: String,
    /// `PrivateDnsName` of the instance named by the session, when known.
    pub ec2_private_dns_name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TemplateError {
    #[error("SessionName did not contain an instance id")]
    NotAnInstanceId,
}

/// The rendered text, and whether `{{EC2PrivateDNSName}}` was left unresolved for want of a lookup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub text: String,
    pub unresolved_ec2: bool,
}

/// `^i-(\w{8}|\w{17})$`
pub fn is_instance_id(s: &str) -> bool {
    s.strip_prefix("i-").is_some_and(|id| {
        (id.len() == 8 || id.len() == 17)
            && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    })
}

pub fn render(template: &str, identity: &Identity) -> Result<Rendered, TemplateError> {
    let mut text = template.to_string();
    let mut unresolved_ec2 = false;
    if text.contains("{{EC2PrivateDNSName}}") {
        if !is_instance_id(&identity.session_name) {
            return Err(TemplateError::NotAnInstanceId);
        }
        match &identity.ec2_private_dns_name {
            Some(dns) => text = text.replace("{{EC2PrivateDNSName}}", dns),
            None => unresolved_ec2 = true,
        }
    }
    text = text.replace("{{AccountID}}", &identity.account_id);
    text = text.replace("{{SessionName}}", &identity.session_name.replace('@', "-"));
    text = text.replace("{{SessionNameRaw}}", &identity.session_name);
    text = text.replace("{{AccessKeyID}}", &identity.access_key_id);
    Ok(Rendered {
        text,
        unresolved_ec2,
    })
}

/// The `{{…}}` placeholders in a template that the authenticator does not know (left verbatim).
pub fn unknown_placeholders(template: &str) -> Vec<String> {
    let mut out = vec![];
    let mut rest = template;
    while let Some(open) = rest.find("{{") {
        let after = &rest[open..];
        let Some(close) = after.find("}}") else { break };
        let placeholder = &after[..close + 2];
        if !PLACEHOLDERS.contains(&placeholder) {
            out.push(placeholder.to_string());
        }
        rest = &after[close + 2..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(account: &str, session: &str, key: &str) -> Identity {
        Identity {
            account_id: account.into(),
            session_name: session.into(),
            access_key_id: key.into(),
            ec2_private_dns_name: Some("ip-172-31-27-14".into()),
        }
    }

    #[test]
    fn upstream_render_vectors() {
        assert_eq!(
            render("a-{{EC2PrivateDNSName}}-b", &id("", "i-aaaaa", "")),
            Err(TemplateError::NotAnInstanceId)
        );
        let cases = [
            ("a-{{AccountID}}-b", id("123", "", ""), "a-123-b"),
            ("a-{{AccessKeyID}}-b", id("", "", "321"), "a-321-b"),
            ("a-{{SessionName}}-b", id("", "jdoe", ""), "a-jdoe-b"),
            (
                "a-{{SessionName}}-b",
                id("", "jdoe@example.com", ""),
                "a-jdoe-example.com-b",
            ),
            (
                "a-{{SessionNameRaw}}-b",
                id("", "jdoe@example.com", ""),
                "a-jdoe@example.com-b",
            ),
            (
                "a-{{AccountID}}-{{SessionName}}-{{SessionNameRaw}}-b",
                id("123", "jdoe@example.com", ""),
                "a-123-jdoe-example.com-jdoe@example.com-b",
            ),
            (
                "system:node:{{EC2PrivateDNSName}}",
                id("", "i-0c6f21bf1f24f9708", ""),
                "system:node:ip-172-31-27-14",
            ),
        ];
        for (tpl, identity, out) in cases {
            assert_eq!(render(tpl, &identity).unwrap().text, out, "{tpl}");
        }
        assert_eq!(
            TemplateError::NotAnInstanceId.to_string(),
            "SessionName did not contain an instance id"
        );
    }

    #[test]
    fn instance_id_shapes() {
        assert!(is_instance_id("i-0123abcd"));
        assert!(is_instance_id("i-0123456789abcdef0"));
        assert!(!is_instance_id("i-0123456789abcdef"));
        assert!(!is_instance_id("I-01234567"));
    }

    #[test]
    fn unknown_placeholders_are_left_verbatim() {
        let tpl = "{{Session}}-{{UserID}}-{{accountid}}-{{AccountID}}";
        assert_eq!(
            unknown_placeholders(tpl),
            vec!["{{Session}}", "{{UserID}}", "{{accountid}}"]
        );
        let r = render(tpl, &id("1", "s", "")).unwrap();
        assert_eq!(r.text, "{{Session}}-{{UserID}}-{{accountid}}-1");
    }

    #[test]
    fn ec2_name_unresolved_without_lookup() {
        let mut identity = id("", "i-0123abcd", "");
        identity.ec2_private_dns_name = None;
        let r = render("system:node:{{EC2PrivateDNSName}}", &identity).unwrap();
        assert!(r.unresolved_ec2);
        assert_eq!(r.text, "system:node:{{EC2PrivateDNSName}}");
    }
}
