//! The client profile (which node, which certificate) and the one place that connects.
//!
//! A profile is a small TOML file, written by `lianluo demo` as
//! `DIR/<city>/{admin,coordinator,viewer}.toml`:
//! ```toml
//! endpoint = "https://127.0.0.1:7101"
//! ca = "../pki/root-ca.pem"
//! cert = "../pki/hezhou/users/coordinator.pem"
//! key = "../pki/hezhou/users/coordinator.key"
//! ```
//! Relative paths are relative to the profile file's directory.

use std::path::{Path, PathBuf};

use anyhow::anyhow;
use lianluo_federation::tls::{client_config, connect as tls_connect, TlsError, TlsFiles};
use serde::Deserialize;
use tonic::transport::Channel;

/// A loaded profile with every path resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    /// The profile file itself (named in errors).
    pub path: PathBuf,
    /// The node's client API, e.g. `https://127.0.0.1:7101`.
    pub endpoint: String,
    /// Trust anchor for the node's certificate.
    pub ca: PathBuf,
    /// The user's client certificate.
    pub cert: PathBuf,
    /// The user's private key.
    pub key: PathBuf,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProfileFile {
    endpoint: String,
    ca: PathBuf,
    cert: PathBuf,
    key: PathBuf,
}

/// Explains how to pass a profile when none was given.
const NO_PROFILE: &str = "no client profile given: pass --profile PATH \
     (e.g. --profile lianluo-demo/hezhou/coordinator.toml) or set LIANLUO_PROFILE=PATH";

impl Profile {
    /// Loads the profile at `path` (`None` when neither `--profile` nor
    /// `LIANLUO_PROFILE` was given).
    pub fn load(path: Option<&Path>) -> anyhow::Result<Self> {
        let path = path.ok_or_else(|| anyhow!(NO_PROFILE))?;
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(anyhow!("profile {}: no such file", path.display()));
            }
            Err(e) => return Err(anyhow!("profile {}: cannot read: {e}", path.display())),
        };
        Self::parse(&text, path)
    }

    /// Parses profile text read from `path` (used to resolve relative paths).
    pub fn parse(text: &str, path: &Path) -> anyhow::Result<Self> {
        let file: ProfileFile = toml::from_str(text)
            .map_err(|e| anyhow!("profile {}: {}", path.display(), e.message()))?;
        if file.endpoint.trim().is_empty() {
            return Err(anyhow!(
                "profile {}: endpoint is empty; set it to the node's client API, \
                 e.g. https://127.0.0.1:7101",
                path.display()
            ));
        }
        let dir = path.parent().unwrap_or_else(|| Path::new(""));
        Ok(Self {
            path: path.to_path_buf(),
            endpoint: file.endpoint,
            ca: dir.join(file.ca),
            cert: dir.join(file.cert),
            key: dir.join(file.key),
        })
    }
}

/// Connects to the node named by the profile over mutual TLS: a channel for any of its
/// services (`RecordsClient::new(channel)`, `NodeClient::new(channel)`).
pub async fn channel(profile: &Profile) -> anyhow::Result<Channel> {
    lianluo_federation::crypto::install_crypto_provider();
    let config = client_config(&TlsFiles {
        cert: profile.cert.clone(),
        key: profile.key.clone(),
        ca: profile.ca.clone(),
        crls: vec![],
    })
    .map_err(|e| anyhow!("profile {}: {e}", profile.path.display()))?;
    tls_connect(&profile.endpoint, config)
        .await
        .map_err(|e| connect_error(&e, profile))
}

/// One message for a failed connection, with a hint when the node looks down.
fn connect_error(err: &TlsError, profile: &Profile) -> anyhow::Error {
    match err {
        TlsError::Unreachable { .. } | TlsError::Timeout { .. } | TlsError::Transport { .. } => {
            anyhow!("{err}\nhint: is the node running at {}?", profile.endpoint)
        }
        TlsError::Endpoint { .. } => anyhow!("profile {}: {err}", profile.path.display()),
        _ => anyhow!("{err}"),
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::Profile;

    #[test]
    fn client_profile_resolves_relative_paths() {
        let text = r#"
    endpoint = "https://127.0.0.1:7101"
    ca = "../pki/root-ca.pem"
    cert = "/abs/coordinator.pem"
    key = "../pki/hezhou/users/coordinator.key"
    "#;
        let p = Profile::parse(text, Path::new("/demo/hezhou/coordinator.toml")).expect("valid");
        assert_eq!(p.endpoint, "https://127.0.0.1:7101");
        assert_eq!(p.ca, Path::new("/demo/hezhou/../pki/root-ca.pem"));
        assert_eq!(p.cert, Path::new("/abs/coordinator.pem"));
        assert_eq!(
            p.key,
            Path::new("/demo/hezhou/../pki/hezhou/users/coordinator.key")
        );
    }

    #[test]
    fn client_profile_errors_are_actionable() {
        let e = Profile::load(None).expect_err("no profile").to_string();
        assert!(
            e.contains("--profile") && e.contains("LIANLUO_PROFILE"),
            "{e}"
        );
        let dir = tempfile::tempdir().expect("tempdir");
        let missing = dir.path().join("x.toml");
        let e = Profile::load(Some(&missing))
            .expect_err("missing")
            .to_string();
        assert_eq!(e, format!("profile {}: no such file", missing.display()));
        let bad = dir.path().join("bad.toml");
        std::fs::write(
            &bad,
            "endpoint = \"https://h:1\"\nca = \"a\"\ncert = \"c\"\nkey = \"k\"\nrole = \"admin\"\n",
        )
        .expect("write");
        let e = Profile::load(Some(&bad))
            .expect_err("unknown key")
            .to_string();
        assert!(
            e.contains("role") && e.contains(&bad.display().to_string()),
            "{e}"
        );
        std::fs::write(
            &bad,
            "endpoint = \"https://h:1\"\nca = \"a\"\ncert = \"c\"\n",
        )
        .expect("write");
        let e = Profile::load(Some(&bad))
            .expect_err("missing key")
            .to_string();
        assert!(e.contains("key"), "{e}");
    }
}
