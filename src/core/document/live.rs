//! A live ConfigMap's data as a manifest text the lossless editor can work on: each value a literal block
//! when that reads back exactly, else a JSON string. Only the edited values are put back into the object.

use super::{AuthDocument, CarrierKind};
use std::collections::BTreeMap;

fn literal(value: &str) -> Option<String> {
    if value.is_empty() || value.starts_with([' ', '\t', '\n']) || value.contains('\r') {
        return None;
    }
    let chomp = if !value.ends_with('\n') {
        "-"
    } else if value.ends_with("\n\n") {
        "+"
    } else {
        ""
    };
    let mut out = format!("|{chomp}\n");
    for line in value.strip_suffix('\n').unwrap_or(value).split('\n') {
        if !line.is_empty() {
            out.push_str("    ");
            out.push_str(line);
        }
        out.push('\n');
    }
    Some(out)
}

fn json_string(value: &str) -> String {
    format!(
        "{}\n",
        serde_json::to_string(value).expect("a string serializes")
    )
}

/// A key or name as YAML shows it: plain when it reads back as the same string in YAML 1.1 and 1.2
/// (`mapRoles`, `aws-auth`), else a JSON string (`"true"`, `"123"`, anything with other characters).
fn yaml_key(key: &str) -> String {
    let plain = key
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
        && !matches!(
            key.to_ascii_lowercase().as_str(),
            "y" | "n" | "yes" | "no" | "on" | "off" | "true" | "false" | "null"
        );
    if plain {
        key.to_string()
    } else {
        serde_json::to_string(key).unwrap_or_default()
    }
}

fn render(
    namespace: &str,
    name: &str,
    data: &BTreeMap<String, String>,
    as_json: &[String],
) -> String {
    let mut text = format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {}\n  namespace: {}\ndata:",
        yaml_key(name),
        yaml_key(namespace)
    );
    if data.is_empty() {
        text.push_str(" {}\n");
        return text;
    }
    text.push('\n');
    for (k, v) in data {
        let key = yaml_key(k);
        let value = if as_json.contains(k) {
            None
        } else {
            literal(v)
        };
        text.push_str(&format!(
            "  {key}: {}",
            value.unwrap_or_else(|| json_string(v))
        ));
    }
    text
}

/// Render and read a live object's data; values that would not read back exactly as literal blocks are
/// written as JSON strings instead, so the document always holds exactly the live values.
pub fn document(
    source_name: &str,
    namespace: &str,
    name: &str,
    data: &BTreeMap<String, String>,
    kind: Option<CarrierKind>,
) -> Result<AuthDocument, super::DocumentError> {
    let mut as_json: Vec<String> = vec![];
    for _ in 0..2 {
        let text = render(namespace, name, data, &as_json);
        if let Ok(doc) = AuthDocument::parse_as(source_name, text, kind) {
            let read: BTreeMap<&str, &str> = doc
                .facts
                .data_strings
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            let wrong: Vec<String> = data
                .iter()
                .filter(|(k, v)| read.get(k.as_str()) != Some(&v.as_str()))
                .map(|(k, _)| k.clone())
                .collect();
            if wrong.is_empty() {
                return Ok(doc);
            }
            as_json.extend(wrong);
        } else {
            as_json = data.keys().cloned().collect();
        }
    }
    AuthDocument::parse_as(
        source_name,
        render(
            namespace,
            name,
            data,
            &data.keys().cloned().collect::<Vec<_>>(),
        ),
        kind,
    )
}

/// The data values a document's mappings live in, as strings for the API object (absent keys are not
/// listed): aws-auth's three keys, or the authenticator ConfigMap's `config.yaml`.
/// The data keys that hold a carrier's identity mappings (what `restore` puts back by default; every
/// other data key is left as it is).
pub fn mapping_keys(kind: CarrierKind) -> Vec<&'static str> {
    if kind.structured() {
        return vec![super::structured::CONFIG_KEY];
    }
    crate::core::mapping::DataKey::ALL
        .iter()
        .map(|k| k.as_str())
        .collect()
}

pub fn map_values(doc: &AuthDocument) -> BTreeMap<String, String> {
    if doc.facts.carrier.kind.structured() {
        return doc
            .facts
            .data_strings
            .iter()
            .filter(|(k, _)| k == super::structured::CONFIG_KEY)
            .cloned()
            .collect();
    }
    doc.slots
        .iter()
        .filter(|s| s.wrong_type.is_none())
        .map(|s| (s.key.as_str().to_string(), s.content.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::mapping::DataKey;

    #[test]
    fn live_values_read_back_exactly() {
        let mut data = BTreeMap::new();
        data.insert(
            "mapRoles".to_string(),
            "- rolearn: arn:aws:iam::1:role/a\n  username: a\n".to_string(),
        );
        data.insert("mapUsers".to_string(), "  - userarn: x\n\n\n".to_string());
        data.insert("mapAccounts".to_string(), "- \"1\"".to_string());
        data.insert("other".to_string(), "v\r\n".to_string());
        let doc = document("live", "kube-system", "aws-auth", &data, None).unwrap();
        let values = map_values(&doc);
        for key in DataKey::ALL {
            assert_eq!(values.get(key.as_str()), data.get(key.as_str()), "{key:?}");
        }
        assert_eq!(doc.roles.entries.len(), 1);
        let empty = document("live", "kube-system", "aws-auth", &BTreeMap::new(), None).unwrap();
        assert!(empty.slots.is_empty());
        let other = document("live", "auth", "aws-auth-staging", &BTreeMap::new(), None).unwrap();
        assert_eq!(other.facts.name.as_deref(), Some("aws-auth-staging"));
    }

    #[test]
    fn the_authenticator_configmap_reads_and_writes_back_config_yaml() {
        let config = "clusterID: c1\nserver:\n  mapRoles:\n  - roleARN: arn:aws:sts::111122223333:assumed-role/Ops/s\n    username: ops\n    groups: [ops]\n";
        let mut data = BTreeMap::new();
        data.insert("config.yaml".to_string(), config.to_string());
        let doc = document("live", "kube-system", "aws-iam-authenticator", &data, None).unwrap();
        assert_eq!(doc.facts.carrier.kind, CarrierKind::AuthenticatorConfig);
        assert!(doc.facts.carrier.in_configmap);
        assert_eq!(doc.roles.entries.len(), 1);
        assert_eq!(
            doc.roles.entries[0].canonical.as_deref(),
            Some("arn:aws:iam::111122223333:role/Ops")
        );
        let values = map_values(&doc);
        assert_eq!(values.len(), 1);
        assert_eq!(values.get("config.yaml").map(String::as_str), Some(config));
    }
}

#[cfg(test)]
mod key_tests {
    use super::*;

    #[test]
    fn keys_are_quoted_only_when_yaml_would_misread_them() {
        assert_eq!(yaml_key("mapRoles"), "mapRoles");
        assert_eq!(yaml_key("aws-auth"), "aws-auth");
        assert_eq!(yaml_key("config.yaml"), "config.yaml");
        for odd in ["true", "On", "null", "123", "-x", "a b", ""] {
            assert_eq!(yaml_key(odd), serde_json::to_string(odd).unwrap(), "{odd}");
        }
        // And every rendering reads back as the same data.
        let data: BTreeMap<String, String> = [("mapRoles", "[]\n"), ("true", "x"), ("123", "y")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let doc = document("live", "kube-system", "aws-auth", &data, None).unwrap();
        let read: BTreeMap<String, String> = doc.facts.data_strings.iter().cloned().collect();
        assert_eq!(read, data);
        assert!(doc.text.contains("\n  mapRoles: |"), "{}", doc.text);
    }
}
