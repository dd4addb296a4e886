//! The raw, unvalidated shape of `node.toml` and its one-step validation.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use super::{Config, LogFormat, Peer, Problem, Role, TlsPaths, DEFAULT_TRUST_DOMAIN};

/// Default largest gRPC request: 1 MiB.
pub const DEFAULT_MAX_REQUEST_BYTES: usize = 1 << 20;

/// `node.toml` as written, before validation. Every key is optional here so that
/// validation can report all missing keys at once.
#[derive(Debug, Default)]
pub struct RawConfig {
    pub city: Option<String>,
    pub trust_domain: Option<String>,
    pub data_dir: Option<String>,
    pub api: RawApi,
    pub federation: RawFederation,
    pub http: RawHttp,
    pub tls: RawTls,
    pub peers: Vec<RawPeer>,
    pub users: BTreeMap<String, String>,
    pub log: RawLog,
    pub limits: RawLimits,
}

#[derive(Debug, Default)]
pub struct RawApi {
    pub listen: Option<String>,
}

#[derive(Debug, Default)]
pub struct RawFederation {
    pub listen: Option<String>,
    pub max_stream_secs: Option<i64>,
}

#[derive(Debug, Default)]
pub struct RawHttp {
    pub listen: Option<String>,
}

#[derive(Debug, Default)]
pub struct RawTls {
    pub ca: Option<String>,
    pub cert: Option<String>,
    pub key: Option<String>,
    pub user_ca: Option<String>,
    pub crls: Vec<String>,
    pub signer_cert: Option<String>,
    pub signer_key: Option<String>,
}

#[derive(Debug, Default)]
pub struct RawPeer {
    pub city: Option<String>,
    pub address: Option<String>,
}

#[derive(Debug, Default)]
pub struct RawLog {
    pub format: Option<String>,
    pub level: Option<String>,
}

#[derive(Debug, Default)]
pub struct RawLimits {
    pub max_request_bytes: Option<i64>,
}

/// Validated listen addresses.
struct Listeners {
    api: SocketAddr,
    federation: SocketAddr,
    http: Option<SocketAddr>,
    max_stream: std::time::Duration,
}

struct Checker<'a> {
    base: &'a Path,
    problems: Vec<Problem>,
}

impl Checker<'_> {
    fn problem(&mut self, key: &str, message: impl Into<String>) {
        self.problems.push(Problem {
            key: key.to_string(),
            message: message.into(),
        });
    }

    /// Whether `key` or a section containing it already has a problem (e.g. a value of
    /// the wrong type), so that it is not reported again as missing.
    fn reported(&self, key: &str) -> bool {
        self.problems.iter().any(|p| {
            key.strip_prefix(p.key.as_str())
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
        })
    }

    fn required<'v>(&mut self, key: &str, v: &'v Option<String>) -> Option<&'v str> {
        match v.as_deref().map(str::trim) {
            Some(s) if !s.is_empty() => Some(s),
            _ => {
                if !self.reported(key) {
                    self.problem(key, "missing; this key is required");
                }
                None
            }
        }
    }

    fn path(&self, v: &str) -> PathBuf {
        let p = PathBuf::from(v);
        if p.is_absolute() {
            p
        } else {
            self.base.join(p)
        }
    }

    /// A file that must exist now.
    fn file(&mut self, key: &str, v: &Option<String>) -> PathBuf {
        let Some(s) = self.required(key, v) else {
            return PathBuf::new();
        };
        let p = self.path(s);
        self.existing(key, s, p)
    }

    fn existing(&mut self, key: &str, shown: &str, p: PathBuf) -> PathBuf {
        if !p.is_file() {
            self.problem(key, format!("{shown:?}: no such file ({})", p.display()));
        }
        p
    }
}

impl RawConfig {
    /// Validates everything and reports every problem found.
    pub fn validate(self, source: &Path, base: &Path) -> Result<Config, Vec<Problem>> {
        let (config, problems) = self.check(source, base, Vec::new());
        if problems.is_empty() {
            Ok(config)
        } else {
            Err(problems)
        }
    }

    /// Validates everything after the `earlier` problems (those found while reading the
    /// file), and returns the config with a harmless stand-in for every bad or missing
    /// value (an empty path, city or address on port 0) together with all problems. The
    /// config is only usable when there are none; with some, it still lets the files that
    /// were configured correctly be verified.
    pub fn check(
        self,
        source: &Path,
        base: &Path,
        earlier: Vec<Problem>,
    ) -> (Config, Vec<Problem>) {
        let mut c = Checker {
            base,
            problems: earlier,
        };
        let (city, trust_domain) = self.identity(&mut c);
        let data_dir = c
            .required("data_dir", &self.data_dir)
            .map(|s| c.path(s))
            .unwrap_or_default();
        let listen = self.listeners(&mut c);
        let tls = self.tls_paths(&mut c);
        let peers = self.peer_cities(&mut c, &city);
        let users = self.user_roles(&mut c);
        let log_format = self.log_format(&mut c);
        let max_request_bytes = self.max_request_bytes(&mut c);
        let config = Config {
            source: source.to_path_buf(),
            city,
            trust_domain,
            data_dir,
            api_listen: listen.api,
            federation_listen: listen.federation,
            http_listen: listen.http,
            max_stream: listen.max_stream,
            tls,
            peers,
            users,
            log_format,
            log_level: self.log.level.unwrap_or_else(|| "info".into()),
            max_request_bytes,
        };
        (config, c.problems)
    }

    fn identity(&self, c: &mut Checker<'_>) -> (String, String) {
        let city = c
            .required("city", &self.city)
            .unwrap_or_default()
            .to_string();
        if !city.is_empty() {
            if let Err(why) = crate::domain::validate_city(&city) {
                c.problem("city", format!("{city:?}: {why}"));
            }
        }
        let td = self
            .trust_domain
            .clone()
            .unwrap_or_else(|| DEFAULT_TRUST_DOMAIN.to_string());
        let ok = |ch: char| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ".-".contains(ch);
        if td.is_empty() || !td.chars().all(ok) {
            c.problem(
                "trust_domain",
                format!("{td:?}: use lowercase letters, digits, '.' and '-'"),
            );
        }
        (city, td)
    }

    fn listeners(&self, c: &mut Checker<'_>) -> Listeners {
        let api = listen_addr(c, "api.listen", &self.api.listen);
        let federation = listen_addr(c, "federation.listen", &self.federation.listen);
        let http = self
            .http
            .listen
            .as_ref()
            .map(|_| listen_addr(c, "http.listen", &self.http.listen));
        if let Some(addr) = http {
            if !addr.ip().is_loopback() {
                c.problem(
                    "http.listen",
                    format!("{addr}: the HTTP listener (metrics, health) serves without TLS and must bind a loopback address such as 127.0.0.1"),
                );
            }
        }
        let secs = match self.federation.max_stream_secs {
            None => 300,
            Some(n @ 1..=86_400) => n.unsigned_abs(),
            Some(n) => {
                c.problem(
                    "federation.max_stream_secs",
                    format!("{n}: must be between 1 and 86400 seconds"),
                );
                300
            }
        };
        Listeners {
            api,
            federation,
            http,
            max_stream: std::time::Duration::from_secs(secs),
        }
    }

    fn log_format(&self, c: &mut Checker<'_>) -> LogFormat {
        match self.log.format.as_deref().unwrap_or("text") {
            "text" => LogFormat::Text,
            "json" => LogFormat::Json,
            other => {
                c.problem("log.format", format!("{other:?}: use \"text\" or \"json\""));
                LogFormat::Text
            }
        }
    }

    fn max_request_bytes(&self, c: &mut Checker<'_>) -> usize {
        match self.limits.max_request_bytes {
            None => DEFAULT_MAX_REQUEST_BYTES,
            Some(n @ 1024..=0x400_0000) => usize::try_from(n).unwrap_or(DEFAULT_MAX_REQUEST_BYTES),
            Some(n) => {
                c.problem(
                    "limits.max_request_bytes",
                    format!("{n}: must be between 1024 and 67108864"),
                );
                DEFAULT_MAX_REQUEST_BYTES
            }
        }
    }

    fn tls_paths(&self, c: &mut Checker<'_>) -> TlsPaths {
        let t = &self.tls;
        let crls = t
            .crls
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let p = c.path(s);
                c.existing(&format!("tls.crls[{i}]"), s, p)
            })
            .collect();
        TlsPaths {
            ca: c.file("tls.ca", &t.ca),
            cert: c.file("tls.cert", &t.cert),
            key: c.file("tls.key", &t.key),
            user_ca: c.file("tls.user_ca", &t.user_ca),
            crls,
            signer_cert: c.file("tls.signer_cert", &t.signer_cert),
            signer_key: c.file("tls.signer_key", &t.signer_key),
        }
    }

    fn peer_cities(&self, c: &mut Checker<'_>, own: &str) -> Vec<Peer> {
        let mut out: Vec<Peer> = Vec::new();
        for (i, p) in self.peers.iter().enumerate() {
            let key = format!("peers[{i}].city");
            let address = listen_addr(c, &format!("peers[{i}].address"), &p.address);
            let Some(city) = c.required(&key, &p.city) else {
                continue;
            };
            if let Err(why) = crate::domain::validate_city(city) {
                c.problem(&key, format!("{city:?}: {why}"));
            } else if city == own {
                c.problem(
                    &key,
                    format!("{city:?} is this node's own city; list only the other cities"),
                );
            } else if out.iter().any(|x| x.city == city) {
                c.problem(&key, format!("{city:?} is listed twice"));
            } else {
                out.push(Peer {
                    city: city.to_string(),
                    address,
                });
            }
        }
        out
    }

    fn user_roles(&self, c: &mut Checker<'_>) -> BTreeMap<String, Role> {
        let mut out = BTreeMap::new();
        for (name, role) in &self.users {
            let key = format!("users.{name}");
            match Role::parse(role) {
                Some(r) => {
                    out.insert(name.clone(), r);
                }
                None => c.problem(
                    &key,
                    format!("{role:?}: unknown role; use \"admin\", \"coordinator\" or \"viewer\""),
                ),
            }
        }
        out
    }
}

fn listen_addr(c: &mut Checker<'_>, key: &str, v: &Option<String>) -> SocketAddr {
    let fallback = SocketAddr::from(([127, 0, 0, 1], 0));
    let Some(s) = c.required(key, v) else {
        return fallback;
    };
    match s.parse() {
        Ok(a) => a,
        Err(_) => {
            c.problem(
                key,
                format!("{s:?}: not an address; write IP:PORT, e.g. \"127.0.0.1:7101\""),
            );
            fallback
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_value_of_the_wrong_type_is_not_reported_again_as_missing() {
        let text = "city = 5\n[api]\nlisten = 1\n";
        let (raw, earlier) = super::super::parse::parse(text).expect("toml");
        let (_, problems) = raw.check(Path::new("n.toml"), Path::new("."), earlier);
        let count = |key: &str| problems.iter().filter(|p| p.key == key).count();
        assert_eq!(count("city"), 1, "{problems:?}");
        assert_eq!(count("api.listen"), 1, "{problems:?}");
        // Still checked: keys not involved in a type error.
        assert_eq!(count("data_dir"), 1, "{problems:?}");
        assert_eq!(count("federation.listen"), 1, "{problems:?}");
    }
}
