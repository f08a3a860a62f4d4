//! Backend modes and reserved username prefixes of aws-iam-authenticator (aws-iam-authenticator pkg/mapper/mapper.go, pkg/server/server.go), used when a
//! configuration lists several mapping backends.

/// A mapping backend, in the order the authenticator searches them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackendMode {
    MountedFile,
    EksConfigMap,
    Crd,
    DynamicFile,
}

impl BackendMode {
    /// The mode's name as the authenticator spells it (and names its mapper in errors).
    pub fn name(self) -> &'static str {
        match self {
            BackendMode::MountedFile => "MountedFile",
            BackendMode::EksConfigMap => "EKSConfigMap",
            BackendMode::Crd => "CRD",
            BackendMode::DynamicFile => "DynamicFile",
        }
    }

    /// Parse a mode name; `File` and `ConfigMap` are the deprecated aliases.
    pub fn parse(name: &str) -> Option<BackendMode> {
        match name {
            "MountedFile" | "File" => Some(BackendMode::MountedFile),
            "EKSConfigMap" | "ConfigMap" => Some(BackendMode::EksConfigMap),
            "CRD" => Some(BackendMode::Crd),
            "DynamicFile" => Some(BackendMode::DynamicFile),
            _ => None,
        }
    }
}

/// `ValidateBackendMode`, with upstream's error texts.
pub fn validate_backend_modes(modes: &[&str]) -> Result<Vec<BackendMode>, String> {
    if modes.is_empty() {
        return Err("at least one backend-mode must be specified".into());
    }
    let mut out: Vec<BackendMode> = vec![];
    for m in modes {
        let mode = BackendMode::parse(m)
            .ok_or_else(|| format!("backend-mode {m:?} is not a valid mode"))?;
        if out.contains(&mode) {
            let quoted: Vec<String> = modes.iter().map(|m| format!("{m:?}")).collect();
            return Err(format!(
                "backend-mode [{}] has duplicates",
                quoted.join(" ")
            ));
        }
        out.push(mode);
    }
    Ok(out)
}

/// The prefixes EKS reserves for its own identities (the authenticator's reserved-prefix list).
pub const RESERVED_PREFIXES: [&str; 5] = ["aws:", "eks:", "amazon:", "iam:", "system:"];

/// Whether a rendered username starts with one of the reserved prefixes (an empty prefix never matches).
pub fn reserved_prefix<'a>(username: &str, prefixes: &[&'a str]) -> Option<&'a str> {
    prefixes
        .iter()
        .find(|p| !p.is_empty() && username.starts_with(**p))
        .copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backend_mode_vectors() {
        assert!(validate_backend_modes(&["MountedFile", "EKSConfigMap", "CRD"]).is_ok());
        assert_eq!(
            validate_backend_modes(&["File", "ConfigMap"]).unwrap(),
            vec![BackendMode::MountedFile, BackendMode::EksConfigMap]
        );
        assert_eq!(
            validate_backend_modes(&["ModeFoo"]).unwrap_err(),
            "backend-mode \"ModeFoo\" is not a valid mode"
        );
        assert_eq!(
            validate_backend_modes(&[]).unwrap_err(),
            "at least one backend-mode must be specified"
        );
        assert!(
            validate_backend_modes(&["MountedFile", "MountedFile"])
                .unwrap_err()
                .contains("has duplicates")
        );
    }

    #[test]
    fn reserved_prefix_vectors() {
        let list = RESERVED_PREFIXES;
        assert_eq!(reserved_prefix("system:masters", &list), Some("system:"));
        assert_eq!(reserved_prefix("test", &list), None);
        assert_eq!(reserved_prefix("eksb:test", &list), None);
        assert_eq!(reserved_prefix("eks:test", &list), Some("eks:"));
        assert_eq!(reserved_prefix("anything", &[""]), None);
    }
}
