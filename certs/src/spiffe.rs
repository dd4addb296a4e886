//! SPIFFE identities of the federation (DESIGN §3):
//! `spiffe://<td>/city/<city>/node`, `spiffe://<td>/city/<city>/signer` and
//! `spiffe://<td>/city/<city>/user/<name>`, plus the validators for their parts.

use std::fmt;
use std::str::FromStr;

use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::GeneralName;
use x509_parser::prelude::FromDer;

use crate::CertError;

/// The default trust domain.
pub const DEFAULT_TRUST_DOMAIN: &str = "lianluo";

const SCHEME: &str = "spiffe://";

/// What a certificate holder is within its city.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// The city's node (TLS server and client between nodes).
    Node,
    /// The city's event-signing identity (no TLS use).
    Signer,
    /// A member of the city's staff or a dashboard, by user name.
    User(String),
}

/// A validated SPIFFE id of the federation. Construct with [`SpiffeId::new`] (or the
/// role shortcuts) or [`SpiffeId::parse`]; every part is checked, so a value of this type
/// is always well-formed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SpiffeId {
    trust_domain: String,
    city: String,
    role: Role,
}

impl SpiffeId {
    /// Builds an id from its parts, validating each of them.
    pub fn new(trust_domain: &str, city: &str, role: Role) -> Result<SpiffeId, CertError> {
        validate_trust_domain(trust_domain)?;
        validate_city(city)?;
        if let Role::User(name) = &role {
            validate_user_name(name)?;
        }
        Ok(SpiffeId {
            trust_domain: trust_domain.to_string(),
            city: city.to_string(),
            role,
        })
    }

    /// `spiffe://<td>/city/<city>/node`.
    pub fn node(trust_domain: &str, city: &str) -> Result<SpiffeId, CertError> {
        SpiffeId::new(trust_domain, city, Role::Node)
    }

    /// `spiffe://<td>/city/<city>/signer`.
    pub fn signer(trust_domain: &str, city: &str) -> Result<SpiffeId, CertError> {
        SpiffeId::new(trust_domain, city, Role::Signer)
    }

    /// `spiffe://<td>/city/<city>/user/<name>`.
    pub fn user(trust_domain: &str, city: &str, name: &str) -> Result<SpiffeId, CertError> {
        SpiffeId::new(trust_domain, city, Role::User(name.to_string()))
    }

    /// Parses the URI form. Anything else (other paths, query, fragment, port, upper case,
    /// trailing slash) is rejected.
    pub fn parse(uri: &str) -> Result<SpiffeId, CertError> {
        let bad = |reason: &str| CertError::invalid("spiffe id", uri, reason);
        let rest = uri
            .strip_prefix(SCHEME)
            .ok_or_else(|| bad("must start with `spiffe://`"))?;
        let (td, path) = rest
            .split_once('/')
            .ok_or_else(|| bad("has no path; expected spiffe://<td>/city/<city>/<role>"))?;
        validate_trust_domain(td)?;
        let parts: Vec<&str> = path.split('/').collect();
        let (city, role) = match parts.as_slice() {
            ["city", city, "node"] => (*city, Role::Node),
            ["city", city, "signer"] => (*city, Role::Signer),
            ["city", city, "user", name] => (*city, Role::User((*name).to_string())),
            _ => {
                return Err(bad(
                    "path must be /city/<city>/node, /city/<city>/signer or \
                     /city/<city>/user/<name>",
                ))
            }
        };
        SpiffeId::new(td, city, role)
    }

    /// Extracts the identity of a DER certificate: it must carry exactly one URI SAN and
    /// that URI must be a valid federation SPIFFE id (as the X.509-SVID spec requires).
    pub fn from_cert_der(der: &[u8]) -> Result<SpiffeId, CertError> {
        let (_, cert) =
            X509Certificate::from_der(der).map_err(|e| CertError::malformed("certificate", e))?;
        let uris = san_uris(&cert)?;
        match uris.as_slice() {
            [one] => SpiffeId::parse(one),
            [] => Err(CertError::malformed(
                "certificate",
                "it has no SAN URI; a federation certificate carries exactly one spiffe:// URI",
            )),
            many => Err(CertError::malformed(
                "certificate",
                format!(
                    "it has {} SAN URIs ({}); exactly one spiffe:// URI is allowed",
                    many.len(),
                    many.join(", ")
                ),
            )),
        }
    }

    /// The trust domain, e.g. `lianluo`.
    pub fn trust_domain(&self) -> &str {
        &self.trust_domain
    }

    /// The city id, e.g. `hezhou`.
    pub fn city(&self) -> &str {
        &self.city
    }

    /// The role within the city.
    pub fn role(&self) -> &Role {
        &self.role
    }

    /// The user name when the role is [`Role::User`].
    pub fn user_name(&self) -> Option<&str> {
        match &self.role {
            Role::User(name) => Some(name),
            _ => None,
        }
    }
}

/// Every URI SAN of a parsed certificate, in order.
pub(crate) fn san_uris(cert: &X509Certificate<'_>) -> Result<Vec<String>, CertError> {
    let san = cert
        .subject_alternative_name()
        .map_err(|e| CertError::malformed("certificate subjectAltName", e))?;
    let Some(san) = san else {
        return Ok(Vec::new());
    };
    Ok(san
        .value
        .general_names
        .iter()
        .filter_map(|name| match name {
            GeneralName::URI(uri) => Some((*uri).to_string()),
            _ => None,
        })
        .collect())
}

impl fmt::Display for SpiffeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{SCHEME}{}/city/{}/", self.trust_domain, self.city)?;
        match &self.role {
            Role::Node => f.write_str("node"),
            Role::Signer => f.write_str("signer"),
            Role::User(name) => write!(f, "user/{name}"),
        }
    }
}

impl FromStr for SpiffeId {
    type Err = CertError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SpiffeId::parse(s)
    }
}

/// Which characters may open an identifier.
#[derive(Clone, Copy)]
enum First {
    /// a-z only.
    Letter,
    /// a-z or 0-9.
    LetterOrDigit,
}

impl First {
    fn allows(self, c: char) -> bool {
        match self {
            First::Letter => c.is_ascii_lowercase(),
            First::LetterOrDigit => c.is_ascii_lowercase() || c.is_ascii_digit(),
        }
    }
}

/// Checks that `value` has `min_len..=max_len` characters from a-z, 0-9 and `extra`, and
/// starts with a character `first` allows; otherwise an invalid-`what` error with `hint`.
fn validate_ident(
    what: &'static str,
    value: &str,
    (min_len, max_len): (usize, usize),
    extra: &str,
    first: First,
    hint: &str,
) -> Result<(), CertError> {
    let ok = (min_len..=max_len).contains(&value.len())
        && value.starts_with(|c: char| first.allows(c))
        && value
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || extra.contains(c));
    if ok {
        Ok(())
    } else {
        Err(CertError::invalid(what, value, hint))
    }
}

/// Checks a city id: `^[a-z][a-z0-9-]{1,31}$` (e.g. `hezhou`).
pub fn validate_city(city: &str) -> Result<(), CertError> {
    validate_ident(
        "city id",
        city,
        (2, 32),
        "-",
        First::Letter,
        "use 2 to 32 characters a-z, 0-9 and '-', starting with a letter (e.g. hezhou)",
    )
}

/// Checks a user name: `^[a-z0-9][a-z0-9._-]{0,63}$` (e.g. `li.wei`).
pub fn validate_user_name(name: &str) -> Result<(), CertError> {
    validate_ident(
        "user name",
        name,
        (1, 64),
        "._-",
        First::LetterOrDigit,
        "use 1 to 64 characters a-z, 0-9, '.', '_' and '-', starting with a letter or digit",
    )
}

/// Checks a trust domain: 1 to 255 characters a-z, 0-9, '.', '_' and '-', starting with a
/// letter or digit (the SPIFFE trust domain alphabet, lower case only).
pub fn validate_trust_domain(td: &str) -> Result<(), CertError> {
    validate_ident(
        "trust domain",
        td,
        (1, 255),
        "._-",
        First::LetterOrDigit,
        "use 1 to 255 characters a-z, 0-9, '.', '_' and '-', starting with a letter or digit",
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_role() {
        for uri in [
            "spiffe://lianluo/city/hezhou/node",
            "spiffe://lianluo/city/qingyuan/signer",
            "spiffe://example.org/city/yongzhou/user/li.wei_2-x",
        ] {
            let id = SpiffeId::parse(uri).unwrap();
            assert_eq!(id.to_string(), uri);
        }
        let id = SpiffeId::parse("spiffe://lianluo/city/hezhou/user/ann").unwrap();
        assert_eq!(id.city(), "hezhou");
        assert_eq!(id.trust_domain(), "lianluo");
        assert_eq!(id.user_name(), Some("ann"));
    }

    #[test]
    fn rejects_malformed_ids() {
        for uri in [
            "https://lianluo/city/hezhou/node",
            "spiffe://lianluo",
            "spiffe://lianluo/city/hezhou/node/",
            "spiffe://lianluo/city/hezhou/admin",
            "spiffe://lianluo/city/Hezhou/node",
            "spiffe://lianluo:443/city/hezhou/node",
            "spiffe://lianluo/city/hezhou/user/",
            "spiffe://lianluo/city/hezhou/user/a/b",
            "spiffe://lianluo/city/hezhou/user/../node",
            "spiffe:///city/hezhou/node",
            "spiffe://lianluo/city/h/node",
        ] {
            assert!(SpiffeId::parse(uri).is_err(), "{uri} should be rejected");
        }
    }

    #[test]
    fn validators_follow_the_documented_patterns() {
        assert!(validate_city("hezhou").is_ok());
        assert!(validate_city("a1-b").is_ok());
        assert!(validate_city(&"a".repeat(32)).is_ok());
        assert!(validate_city(&"a".repeat(33)).is_err());
        assert!(validate_city("1abc").is_err());
        assert!(validate_city("贺州").is_err());
        assert!(validate_user_name("0").is_ok());
        assert!(validate_user_name(&"a".repeat(64)).is_ok());
        assert!(validate_user_name(&"a".repeat(65)).is_err());
        assert!(validate_user_name(".hidden").is_err());
        assert!(validate_user_name("a/b").is_err());
        assert!(validate_trust_domain("lianluo").is_ok());
        assert!(validate_trust_domain("").is_err());
        assert!(validate_trust_domain("Lianluo").is_err());
    }

    #[test]
    fn error_names_the_value_and_the_rule() {
        let err = validate_city("X").unwrap_err().to_string();
        assert!(err.contains("city id `X`"), "{err}");
        assert!(err.contains("starting with a letter"), "{err}");
    }
}
