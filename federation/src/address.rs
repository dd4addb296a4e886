//! [`PeerAddress`]: where a peer's federation port is, as written in the config
//! (`host:port`, the host a DNS name or an IP address), resolved again at every dial so a
//! container or a host that moves to another IP is found by name.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;

/// A peer's federation address: `host:port`, where host is a DNS name (`qingyuan`,
/// `lianluo.qingyuan.example`), an IPv4 address or a bracketed IPv6 address. Names are
/// resolved at each dial; the peer's certificate is checked against its city as always.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PeerAddress {
    host: Host,
    port: u16,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Host {
    Ip(IpAddr),
    Name(String),
}

/// Why a text is not a [`PeerAddress`]; the message says what to write instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{text:?}: {why}; write HOST:PORT, e.g. \"qingyuan.example:7102\" or \"10.0.0.2:7102\"")]
pub struct AddressError {
    text: String,
    why: &'static str,
}

impl PeerAddress {
    /// The host as written (an IPv6 address without brackets).
    pub fn host(&self) -> String {
        match &self.host {
            Host::Ip(ip) => ip.to_string(),
            Host::Name(n) => n.clone(),
        }
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The address as an IP socket address, when the host is an IP address.
    pub fn socket_addr(&self) -> Option<SocketAddr> {
        match self.host {
            Host::Ip(ip) => Some(SocketAddr::new(ip, self.port)),
            Host::Name(_) => None,
        }
    }

    /// The endpoint URL dialled: `https://host:port`.
    pub fn endpoint(&self) -> String {
        format!("https://{self}")
    }
}

impl From<SocketAddr> for PeerAddress {
    fn from(a: SocketAddr) -> PeerAddress {
        PeerAddress {
            host: Host::Ip(a.ip()),
            port: a.port(),
        }
    }
}

impl fmt::Display for PeerAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.host {
            Host::Ip(IpAddr::V6(ip)) => write!(f, "[{ip}]:{}", self.port),
            Host::Ip(ip) => write!(f, "{ip}:{}", self.port),
            Host::Name(n) => write!(f, "{n}:{}", self.port),
        }
    }
}

impl FromStr for PeerAddress {
    type Err = AddressError;

    fn from_str(text: &str) -> Result<PeerAddress, AddressError> {
        let err = |why| AddressError {
            text: text.to_string(),
            why,
        };
        if let Ok(a) = text.parse::<SocketAddr>() {
            return match a.port() {
                0 => Err(err("port 0 cannot be dialled")),
                _ => Ok(a.into()),
            };
        }
        let (host, port) = text.rsplit_once(':').ok_or_else(|| err("no port"))?;
        let port: u16 = match port.parse() {
            Ok(0) | Err(_) => return Err(err("the port must be a number from 1 to 65535")),
            Ok(p) => p,
        };
        if host.contains(':') || host.starts_with('[') {
            return Err(err(
                "not an IPv6 address; write it in brackets, e.g. [2001:db8::2]:7102",
            ));
        }
        if host.parse::<IpAddr>().is_ok() {
            return Err(err("not an address"));
        }
        if !is_dns_name(host) {
            return Err(err(
                "not a host name (letters, digits and '-' in dot-separated labels of at most 63)",
            ));
        }
        Ok(PeerAddress {
            host: Host::Name(host.to_ascii_lowercase()),
            port,
        })
    }
}

/// A DNS name as RFC 1123 allows it: labels of 1–63 letters, digits and inner hyphens,
/// 253 characters at most, not all digits (that would be a mistyped IPv4 address).
fn is_dns_name(host: &str) -> bool {
    let host = host.strip_suffix('.').unwrap_or(host);
    if host.is_empty() || host.len() > 253 {
        return false;
    }
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    };
    host.split('.').all(label_ok)
        && !host
            .split('.')
            .all(|l| l.chars().all(|c| c.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peer_addresses_take_names_and_ips_and_refuse_the_rest_naming_why() {
        let ok = |s: &str| s.parse::<PeerAddress>().expect(s).to_string();
        assert_eq!(ok("qingyuan:7102"), "qingyuan:7102");
        assert_eq!(
            ok("Lianluo.QingYuan.example:7102"),
            "lianluo.qingyuan.example:7102"
        );
        assert_eq!(ok("10.0.0.2:7102"), "10.0.0.2:7102");
        assert_eq!(ok("[2001:db8::2]:7102"), "[2001:db8::2]:7102");
        let a: PeerAddress = "qingyuan:7102".parse().expect("name");
        assert_eq!(
            (a.host().as_str(), a.port(), a.socket_addr()),
            ("qingyuan", 7102, None)
        );
        assert_eq!(a.endpoint(), "https://qingyuan:7102");
        let bad = |s: &str| s.parse::<PeerAddress>().expect_err(s).to_string();
        assert!(bad("qingyuan").contains("no port"), "{}", bad("qingyuan"));
        assert!(bad("qingyuan:0").contains("1 to 65535"));
        assert!(bad("qingyuan:http").contains("1 to 65535"));
        assert!(bad("127.0.0.1:0").contains("port 0"));
        assert!(bad("2001:db8::2:7102").contains("brackets"));
        assert!(bad("qing_yuan:7102").contains("not a host name"));
        assert!(bad("10.0.0:7102").contains("not a host name"));
        assert!(bad("-q:7102").contains("not a host name"));
        assert!(bad(":7102").contains("not a host name"));
        assert!(bad("清远:7102").contains("HOST:PORT"));
    }
}
