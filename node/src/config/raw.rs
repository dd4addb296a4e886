//! The raw, unvalidated shape of `node.toml` and its one-step validation.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use super::{Config, HttpSecurity, LogFormat, Peer, Problem, Role, TlsPaths, DEFAULT_TRUST_DOMAIN};

/// Default largest gRPC request: 1 MiB.
pub const DEFAULT_MAX_REQUEST_BYTES: usize = 1 << 20;

/// `node.toml` as written, before validation. Every key is optional here so that
/// validation can report all missing keys at once.
mod limits;
mod names;

pub use limits::Rates;
pub(crate) use names::NAME_MAX_CHARS;
mod store;

#[derive(Debug, Default)]
pub struct RawConfig {
    pub city: Option<String>,
    pub name: Option<String>,
    pub name_en: Option<String>,
    pub province: Option<String>,
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
    pub store: RawStore,
}

#[derive(Debug, Default)]
pub struct RawApi {
    pub listen: Option<String>,
}

#[derive(Debug, Default)]
pub struct RawFederation {
    pub listen: Option<String>,
    pub max_stream_secs: Option<i64>,
    pub max_clock_skew_secs: Option<i64>,
}

#[derive(Debug, Default)]
pub struct RawHttp {
    pub listen: Option<String>,
    pub tls: Option<bool>,
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
    pub name: Option<String>,
    pub name_en: Option<String>,
    pub province: Option<String>,
}

#[derive(Debug, Default)]
pub struct RawLog {
    pub format: Option<String>,
    pub level: Option<String>,
}

#[derive(Debug, Default)]
pub struct RawLimits {
    pub max_request_bytes: Option<i64>,
    pub http_connections: Option<i64>,
    pub connections_per_source: Option<i64>,
    pub idle_secs: Option<i64>,
    pub calls_per_caller: Option<i64>,
    pub handshakes_per_source: Option<i64>,
    pub calls_per_second: Option<i64>,
    pub calls_per_peer: Option<i64>,
    pub tls_connections: Option<i64>,
}

#[derive(Debug, Default)]
pub struct RawStore {
    pub cache_mb: Option<i64>,
    pub reserve_mb: Option<i64>,
    pub ballast_mb: Option<i64>,
}

/// Validated listen addresses.
struct Listeners {
    api: SocketAddr,
    federation: SocketAddr,
    http: Option<SocketAddr>,
    http_security: HttpSecurity,
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
        let given = names::Given {
            name: &self.name,
            name_en: &self.name_en,
            province: &self.province,
        };
        let city_name = names::city_name(&mut c, "", &city, &given);
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
        let conn_limits = self.limits.conn(&mut c);
        let calls_per_caller = self.limits.calls_per_caller(&mut c);
        let handshakes_per_source = self.limits.handshakes_per_source(&mut c);
        let rates = self.limits.rates(&mut c);
        let store_cache_mb = self.store_cache_mb(&mut c);
        let store_reserve_mb = self.store_reserve_mb(&mut c);
        let store_ballast_mb = self.store_ballast_mb(&mut c);
        let max_clock_skew = self.max_clock_skew(&mut c);
        let config = Config {
            source: source.to_path_buf(),
            city,
            city_name,
            trust_domain,
            data_dir,
            api_listen: listen.api,
            federation_listen: listen.federation,
            http_listen: listen.http,
            http_security: listen.http_security,
            max_stream: listen.max_stream,
            tls,
            peers,
            users,
            log_format,
            log_level: self.log.level.unwrap_or_else(|| "info".into()),
            max_request_bytes,
            conn_limits,
            calls_per_caller,
            handshakes_per_source,
            rates,
            store_cache_mb,
            store_reserve_mb,
            store_ballast_mb,
            max_clock_skew,
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
        let (http, http_security) = self.http_listener(c);
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
            http_security,
            max_stream: std::time::Duration::from_secs(secs),
        }
    }

    /// `[http]`: plain HTTP on loopback only; any other address needs `tls = true`.
    fn http_listener(&self, c: &mut Checker<'_>) -> (Option<SocketAddr>, HttpSecurity) {
        let security = if self.http.tls == Some(true) {
            HttpSecurity::MutualTls
        } else {
            HttpSecurity::Plain
        };
        if self.http.listen.is_none() {
            if self.http.tls == Some(true) && !c.reported("http.listen") {
                c.problem(
                    "http.tls",
                    "set without http.listen; add the address to serve on, or remove http.tls",
                );
            }
            return (None, security);
        }
        let addr = listen_addr(c, "http.listen", &self.http.listen);
        if security == HttpSecurity::Plain && !addr.ip().is_loopback() {
            c.problem(
                "http.listen",
                format!(
                    "{addr} is not a loopback address, and without TLS anyone who reaches it \
                     could read the dashboard and metrics; bind 127.0.0.1 (then open it on \
                     this host, or through an SSH tunnel), or set http.tls = true to serve \
                     HTTPS that requires a user certificate of this city with a role in [users]"
                ),
            );
        }
        (Some(addr), security)
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
            let address = peer_addr(c, &format!("peers[{i}].address"), &p.address);
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
                let prefix = format!("peers[{i}].");
                let given = names::Given {
                    name: &p.name,
                    name_en: &p.name_en,
                    province: &p.province,
                };
                let name = names::city_name(c, &prefix, city, &given);
                out.push(Peer {
                    city: city.to_string(),
                    address,
                    name,
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

/// A listen address: `IP:PORT`, or `HOST:PORT` with a host name resolved now (the node
/// binds its first address), e.g. `localhost:7101`. Port 0 picks a free port.
fn listen_addr(c: &mut Checker<'_>, key: &str, v: &Option<String>) -> SocketAddr {
    let fallback = SocketAddr::from(([127, 0, 0, 1], 0));
    let Some(s) = c.required(key, v) else {
        return fallback;
    };
    if let Ok(a) = s.parse() {
        return a;
    }
    let named = s.rsplit_once(':').filter(|(host, port)| {
        !host.is_empty() && !host.contains(':') && port.parse::<u16>().is_ok()
    });
    let resolved = named.and_then(|_| std::net::ToSocketAddrs::to_socket_addrs(s).ok());
    match resolved.and_then(|mut addrs| addrs.next()) {
        Some(a) => a,
        None => {
            let why = if named.is_some() {
                "the host name does not resolve on this host"
            } else {
                "not an address"
            };
            c.problem(
                key,
                format!(
                    "{s:?}: {why}; write IP:PORT or HOST:PORT, e.g. \"127.0.0.1:7101\", or \
                     \"0.0.0.0:7101\" to listen on every interface (in a container)"
                ),
            );
            fallback
        }
    }
}

/// A peer's address: `HOST:PORT`, kept as written and resolved at every dial.
fn peer_addr(
    c: &mut Checker<'_>,
    key: &str,
    v: &Option<String>,
) -> lianluo_federation::PeerAddress {
    let fallback = SocketAddr::from(([127, 0, 0, 1], 1)).into();
    let Some(s) = c.required(key, v) else {
        return fallback;
    };
    s.parse()
        .unwrap_or_else(|e: lianluo_federation::AddressError| {
            c.problem(key, e.to_string());
            fallback
        })
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

    fn http_of(section: &str) -> (Config, Vec<Problem>) {
        let (raw, earlier) = super::super::parse::parse(section).expect("toml");
        raw.check(Path::new("n.toml"), Path::new("."), earlier)
    }

    fn http_problems(problems: &[Problem]) -> Vec<&Problem> {
        problems
            .iter()
            .filter(|p| p.key.starts_with("http"))
            .collect()
    }

    #[test]
    fn config_http_off_loopback_without_tls_is_refused_naming_both_fixes() {
        for addr in ["0.0.0.0:7103", "192.168.1.5:7103", "[::]:7103"] {
            let (_, problems) = http_of(&format!("[http]\nlisten = \"{addr}\"\n"));
            let http = http_problems(&problems);
            assert_eq!(http.len(), 1, "{addr}: {problems:?}");
            assert_eq!(http[0].key, "http.listen");
            let m = &http[0].message;
            assert!(m.contains("not a loopback address"), "{m}");
            assert!(m.contains("bind 127.0.0.1"), "{m}");
            assert!(m.contains("set http.tls = true"), "{m}");
            // `tls = false` is the same as leaving it out.
            let (_, problems) = http_of(&format!("[http]\nlisten = \"{addr}\"\ntls = false\n"));
            assert_eq!(http_problems(&problems).len(), 1, "{problems:?}");
        }
    }

    #[test]
    fn config_http_security_is_plain_on_loopback_and_mutual_tls_when_asked() {
        let (cfg, problems) = http_of("[http]\nlisten = \"127.0.0.1:7103\"\n");
        assert!(http_problems(&problems).is_empty(), "{problems:?}");
        assert_eq!(cfg.http_security, HttpSecurity::Plain);
        assert_eq!(
            cfg.http_listen,
            Some(SocketAddr::from(([127, 0, 0, 1], 7103)))
        );
        let (cfg, problems) = http_of("[http]\nlisten = \"0.0.0.0:7103\"\ntls = true\n");
        assert!(http_problems(&problems).is_empty(), "{problems:?}");
        assert_eq!(cfg.http_security, HttpSecurity::MutualTls);
        let (cfg, problems) = http_of("[http]\nlisten = \"[::1]:7103\"\ntls = true\n");
        assert!(http_problems(&problems).is_empty(), "{problems:?}");
        assert_eq!(cfg.http_security, HttpSecurity::MutualTls);
        let (cfg, problems) = http_of("city = \"hezhou\"\n");
        assert!(http_problems(&problems).is_empty(), "{problems:?}");
        assert_eq!(cfg.http_listen, None);
    }

    #[test]
    fn config_addresses_take_host_names_peers_kept_as_written_listeners_resolved() {
        let text = "[api]\nlisten = \"localhost:7101\"\n[federation]\nlisten = \"0.0.0.0:7102\"\n\
            [[peers]]\ncity = \"qingyuan\"\naddress = \"qingyuan:7102\"\n\
            [[peers]]\ncity = \"yongzhou\"\naddress = \"yongzhou_node:7102\"\n\
            [[peers]]\ncity = \"guilin\"\naddress = \"guilin\"\n";
        let (cfg, problems) = http_of(text);
        let of = |key: &str| {
            problems
                .iter()
                .find(|p| p.key == key)
                .map(|p| p.message.clone())
        };
        assert_eq!(of("api.listen"), None, "{problems:?}");
        assert!(cfg.api_listen.ip().is_loopback(), "{:?}", cfg.api_listen);
        assert_eq!(cfg.api_listen.port(), 7101);
        assert_eq!(of("peers[0].address"), None, "{problems:?}");
        assert_eq!(cfg.peers[0].address.to_string(), "qingyuan:7102");
        let m = of("peers[1].address").expect("an underscore is refused");
        assert!(
            m.contains("not a host name") && m.contains("HOST:PORT"),
            "{m}"
        );
        let m = of("peers[2].address").expect("a port is required");
        assert!(m.contains("no port"), "{m}");
        let (_, problems) = http_of("[api]\nlisten = \"no-such-host.invalid:7101\"\n");
        let m = problems
            .iter()
            .find(|p| p.key == "api.listen")
            .expect("unresolvable");
        assert!(m.message.contains("does not resolve"), "{m:?}");
    }

    #[test]
    fn config_http_tls_needs_a_listen_address_and_a_boolean() {
        let (_, problems) = http_of("[http]\ntls = true\n");
        let http = http_problems(&problems);
        assert_eq!(http.len(), 1, "{problems:?}");
        assert_eq!(http[0].key, "http.tls");
        assert!(http[0].message.contains("without http.listen"), "{http:?}");
        let (_, problems) = http_of("[http]\nlisten = \"0.0.0.0:1\"\ntls = \"yes\"\n");
        let http = http_problems(&problems);
        let keys: Vec<&str> = http.iter().map(|p| p.key.as_str()).collect();
        assert_eq!(keys, ["http.tls", "http.listen"], "{problems:?}");
        assert!(http[0].message.contains("expected a boolean"), "{http:?}");
    }
}
