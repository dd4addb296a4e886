//! Node configuration: `node.toml` parsed into a raw form, then validated in one step that
//! reports every problem (key, value, why) instead of stopping at the first.
//!
//! Relative paths are resolved against the directory of the config file, so a config
//! directory can be moved as a whole. [`load`] checks the config itself;
//! [`verify_files`] checks what the certificate, key, CRL and data files hold, and
//! [`load_verified`] does both in one report.

mod files;
mod parse;
mod raw;
mod template;

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

pub use files::verify_files;
pub use raw::{Rates, RawConfig};
pub use template::NodeToml;

/// Default trust domain of SPIFFE identities.
pub const DEFAULT_TRUST_DOMAIN: &str = "lianluo";

/// What a user may do on this node. Default deny: users not listed have no role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    /// Read records.
    Viewer,
    /// Read, create and act on records.
    Coordinator,
    /// Everything a coordinator may do, plus node administration.
    Admin,
}

impl Role {
    /// Parses `admin`, `coordinator` or `viewer`.
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "admin" => Some(Role::Admin),
            "coordinator" => Some(Role::Coordinator),
            "viewer" => Some(Role::Viewer),
            _ => None,
        }
    }

    /// The role's config name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Coordinator => "coordinator",
            Role::Viewer => "viewer",
        }
    }

    /// Whether this role may create and act on records.
    pub fn can_write(self) -> bool {
        self >= Role::Coordinator
    }
}

/// How the HTTP listener (web dashboard, metrics, health) is protected (`http.tls`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HttpSecurity {
    /// Plain HTTP, allowed on a loopback address only: whoever can reach the host's
    /// loopback can read the dashboard and metrics, without logging in.
    Plain,
    /// HTTPS with the client API's TLS: the node certificate, a client certificate from
    /// this city's user CA required (CRLs checked, hot reload), and its user must have a
    /// role in `[users]`. Required on any address that is not loopback.
    MutualTls,
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// TLS and signing material, all paths absolute.
#[derive(Debug, Clone)]
pub struct TlsPaths {
    /// Federation root CA (verifies signer certificates; clients verify our cert with it).
    pub ca: PathBuf,
    /// This node's certificate, served on the client API.
    pub cert: PathBuf,
    /// Key of `cert`.
    pub key: PathBuf,
    /// This city's user CA: the only issuer of client certificates this node accepts.
    pub user_ca: PathBuf,
    /// CRL files checked on every handshake.
    pub crls: Vec<PathBuf>,
    /// Certificate of this city's event signer.
    pub signer_cert: PathBuf,
    /// Key of `signer_cert`.
    pub signer_key: PathBuf,
}

/// Another city's node this node replicates with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Peer {
    /// The peer's city id; its node certificate must name this city.
    pub city: String,
    /// The peer's federation address (`host:port`, the host a DNS name or an IP address),
    /// resolved at every dial.
    pub address: lianluo_federation::PeerAddress,
    /// How people read the peer city (`[[peers]] name`, `province`).
    pub name: CityName,
}

/// Whether `name` can be shown as a city's name: 1–20 characters, no control characters
/// (the rule for `name` in a config, applied to names peers send too).
pub fn showable_name(name: &str) -> bool {
    let n = name.trim().chars().count();
    (1..=raw::NAME_MAX_CHARS).contains(&n) && !name.chars().any(char::is_control)
}

/// How people read a city: its name, its English name and province (e.g. 桂林, Guilin,
/// 广西). Configured with `name`, `name_en` and `province` (top level for this node's
/// city, in `[[peers]]` for a peer); the founding cities have built-in ones, another city
/// shows its id until named.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CityName {
    /// E.g. 贺州.
    pub name: String,
    /// E.g. Hezhou, for pages in English.
    pub name_en: String,
    /// E.g. 广西; empty when not known.
    pub province: String,
}

impl Peer {
    /// Whether `city` is this peer.
    pub fn is(&self, city: &str) -> bool {
        self.city == city
    }
}

/// A validated node configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where the config was read from.
    pub source: PathBuf,
    /// This node's city id.
    pub city: String,
    /// How people read this node's city (top-level `name`, `province`).
    pub city_name: CityName,
    /// SPIFFE trust domain.
    pub trust_domain: String,
    /// Data directory (absolute).
    pub data_dir: PathBuf,
    /// Client API listen address.
    pub api_listen: SocketAddr,
    /// Federation (node-to-node) listen address.
    pub federation_listen: SocketAddr,
    /// HTTP listener (web dashboard, metrics, health), if configured.
    pub http_listen: Option<SocketAddr>,
    /// How the HTTP listener is protected; `Plain` only on a loopback address.
    pub http_security: HttpSecurity,
    /// Longest life of one federation stream before the peer must re-handshake.
    pub max_stream: std::time::Duration,
    /// TLS and signing files.
    pub tls: TlsPaths,
    /// The other cities of the federation, in config order.
    pub peers: Vec<Peer>,
    /// User name → role, for users of this city.
    pub users: BTreeMap<String, Role>,
    /// Log format.
    pub log_format: LogFormat,
    /// Default log filter when RUST_LOG is unset.
    pub log_level: String,
    /// Largest accepted gRPC request, in bytes.
    pub max_request_bytes: usize,
    /// Connection limits of the HTTP listener (`[limits]`).
    pub conn_limits: crate::http::conn::ConnLimits,
    /// Most calls at once from one caller on the client API (`limits.calls_per_caller`).
    pub calls_per_caller: usize,
    /// `[limits] handshakes_per_source`: TLS handshakes pending at once from one address
    /// on each TLS listener; more connections from it are closed at once.
    pub handshakes_per_source: usize,
    /// `[limits] calls_per_second`, `calls_per_peer` and `tls_connections`.
    pub rates: Rates,
    /// Size of the store's page cache in MiB (`[store] cache_mb`): the main part of the
    /// node's memory.
    pub store_cache_mb: u64,
    /// `[store] reserve_mb`: free space (MiB) kept on the data dir's file system; writes
    /// are refused below it (0: no check).
    pub store_reserve_mb: u64,
    /// `[store] ballast_mb`: the ballast file kept in the data dir, given up to reopen the
    /// storage on a full disk (0: none).
    pub store_ballast_mb: u64,
    /// `[federation] max_clock_skew_secs`: how far ahead of this node's clock a peer's
    /// event time is followed by its own clock; events further ahead are counted.
    pub max_clock_skew: std::time::Duration,
}

impl Config {
    /// The store settings of this config.
    pub fn store_options(&self) -> crate::store::StoreOptions {
        crate::store::StoreOptions {
            cache_bytes: self.store_cache_mb << 20,
        }
    }
}

/// One problem found in a config file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Dotted key path, e.g. `tls.cert` or `peers[1].city`.
    pub key: String,
    /// What is wrong and what to do.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.key, self.message)
    }
}

/// Why a config could not be loaded: every problem found.
#[derive(Debug, thiserror::Error)]
pub struct ConfigError {
    /// The file.
    pub path: PathBuf,
    /// All problems, in file order where possible.
    pub problems: Vec<Problem>,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.problems.len();
        write!(
            f,
            "config {} has {n} problem{}:",
            self.path.display(),
            if n == 1 { "" } else { "s" }
        )?;
        for p in &self.problems {
            write!(f, "\n  - {p}")?;
        }
        Ok(())
    }
}

/// Reads and validates a config file, reporting every problem. Files are only checked to
/// exist; [`load_verified`] also checks what they hold.
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    let (config, problems) = read(path)?;
    finish(path, config, problems)
}

/// Reads, validates and verifies a config file: every problem [`load`] finds plus every
/// problem [`verify_files`] finds in the files that are configured correctly, in one
/// report. `lianluo config check` and `lianluo node` use this.
pub fn load_verified(path: &Path) -> Result<Config, ConfigError> {
    let (config, mut problems) = read(path)?;
    let mut probe = config.clone();
    if problems
        .iter()
        .any(|p| p.key == "city" || p.key == "trust_domain")
    {
        // Without a valid identity, comparing certificates with it would only mislead.
        probe.city.clear();
    }
    let more: Vec<Problem> = verify_files(&probe)
        .into_iter()
        .filter(|p| !problems.iter().any(|q| q.key == p.key))
        .collect();
    problems.extend(more);
    finish(path, config, problems)
}

fn finish(path: &Path, config: Config, problems: Vec<Problem>) -> Result<Config, ConfigError> {
    if problems.is_empty() {
        Ok(config)
    } else {
        Err(ConfigError {
            path: path.to_path_buf(),
            problems,
        })
    }
}

/// Reads and validates a config file into a config (with stand-ins for bad values) and
/// every problem found. Fails outright only when the file cannot be read or is not TOML.
fn read(path: &Path) -> Result<(Config, Vec<Problem>), ConfigError> {
    let fail = |key: &str, message: String| ConfigError {
        path: path.to_path_buf(),
        problems: vec![Problem {
            key: key.to_string(),
            message,
        }],
    };
    let text = std::fs::read_to_string(path).map_err(|e| {
        let why = if e.kind() == std::io::ErrorKind::NotFound {
            "no such file; pass the path of your node.toml (see `lianluo demo --init-only` for an example)".to_string()
        } else {
            format!("cannot read: {e}")
        };
        fail("(file)", why)
    })?;
    let base = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let (raw, problems) = parse::parse(&text).map_err(|syntax| ConfigError {
        path: path.to_path_buf(),
        problems: vec![syntax],
    })?;
    Ok(raw.check(path, &base, problems))
}
