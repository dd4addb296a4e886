//! Who is calling: the federation identity carried by a *verified* certificate.
//!
//! Identities are SPIFFE ids in the certificate's single SAN URI (DESIGN §3, parsed by
//! [`lianluo_certs::SpiffeId`]). The functions here check the trust domain and the role a
//! use requires: a node certificate for a peer, a user certificate for a client, a signer
//! certificate for events. Identity NEVER comes from a request field: handlers read it
//! from the TLS connection ([`peer_city_of`], [`user_of`], [`caller_of`]).

use std::fmt;

use lianluo_certs::{Role, SpiffeId};
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::tls::peer_cert;

/// Why a certificate does not give the identity a use requires.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentityError {
    /// The connection carried no client certificate (plain TCP or no TLS acceptor).
    #[error(
        "the connection presented no client certificate; connect over TLS with a \
         certificate issued for you"
    )]
    NoCertificate,
    /// The certificate cannot be parsed or carries no single valid SPIFFE id.
    #[error("certificate carries no usable federation identity: {0}")]
    Certificate(String),
    /// The SPIFFE id belongs to another federation.
    #[error(
        "certificate identity {id} belongs to trust domain `{found}`, not `{expected}`; \
         use a certificate issued by this federation"
    )]
    WrongTrustDomain {
        /// The SPIFFE id found.
        id: String,
        /// Its trust domain.
        found: String,
        /// The trust domain this node belongs to.
        expected: String,
    },
    /// The SPIFFE id has a role this use does not accept (e.g. a node certificate where a
    /// user certificate is required).
    #[error(
        "certificate identity {id} is a {found} certificate, but a {expected} certificate \
         is required here"
    )]
    WrongRole {
        /// The SPIFFE id found.
        id: String,
        /// Its role: "node", "signer" or "user".
        found: &'static str,
        /// The role required: "node", "signer", "user" or "node or user".
        expected: &'static str,
    },
    /// A valid node certificate, but of another city than the one we meant to call.
    #[error("the peer is the node of {found}, not of {expected}; check the peer's address")]
    WrongPeerCity {
        /// The city we meant to call.
        expected: String,
        /// The city its certificate names.
        found: String,
    },
    /// The certificate was not signed by the CA that must have issued it.
    #[error("certificate {id} was not issued by {issuer}: {reason}")]
    WrongIssuer {
        /// The SPIFFE id (or "certificate") checked.
        id: String,
        /// The expected issuer, e.g. "the hezhou user CA".
        issuer: String,
        /// What failed.
        reason: String,
    },
}

/// The city of a verified NODE certificate (`spiffe://<td>/city/<city>/node`): a peer.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PeerCity(String);

/// The city of a verified SIGNER certificate (`spiffe://<td>/city/<city>/signer`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SignerCity(String);

/// A verified USER certificate (`spiffe://<td>/city/<city>/user/<name>`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UserIdentity {
    /// The user's city.
    pub city: String,
    /// The user name within the city.
    pub name: String,
}

/// Who called a node: another city's node or a user.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Caller {
    /// A peer node of the federation.
    Peer(PeerCity),
    /// A user (staff member or dashboard).
    User(UserIdentity),
}

macro_rules! city_newtype {
    ($ty:ident) => {
        impl $ty {
            /// The city id, e.g. `hezhou`.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// The city id as an owned string.
            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $ty {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}
city_newtype!(PeerCity);

impl PeerCity {
    /// A peer city taken from this node's own config, for dialling it. The identity of a
    /// caller is never built this way: it comes from its verified certificate; a dialled
    /// peer must present a node certificate naming this city (`connect_peer`).
    pub fn configured(city: &str) -> Result<PeerCity, IdentityError> {
        lianluo_certs::spiffe::validate_city(city)
            .map_err(|e| IdentityError::Certificate(e.to_string()))?;
        Ok(PeerCity(city.to_string()))
    }
}
city_newtype!(SignerCity);

impl fmt::Display for UserIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.name, self.city)
    }
}

/// The SPIFFE id of a DER certificate, checked to belong to `trust_domain`. The
/// certificate must already be verified (TLS handshake or [`verify_issued_by`]).
pub fn spiffe_id_from_cert(der: &[u8], trust_domain: &str) -> Result<SpiffeId, IdentityError> {
    let id = parsed_id(der)?;
    if id.trust_domain() != trust_domain {
        return Err(IdentityError::WrongTrustDomain {
            id: id.to_string(),
            found: id.trust_domain().to_string(),
            expected: trust_domain.to_string(),
        });
    }
    Ok(id)
}

/// Certificates whose id was read lately (a client sends its certificate once per
/// connection, then makes many calls on it); forgotten all at once when full.
static IDS: std::sync::Mutex<Option<std::collections::HashMap<Vec<u8>, SpiffeId>>> =
    std::sync::Mutex::new(None);

/// Most certificates [`IDS`] remembers.
const IDS_MAX: usize = 1024;

/// The SPIFFE id in a certificate, parsed once per certificate seen lately: parsing X.509
/// costs more than a whole authenticated no-op call otherwise.
fn parsed_id(der: &[u8]) -> Result<SpiffeId, IdentityError> {
    let lock = || IDS.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(id) = lock().as_ref().and_then(|m| m.get(der)) {
        return Ok(id.clone());
    }
    let id = SpiffeId::from_cert_der(der).map_err(|e| IdentityError::Certificate(e.to_string()))?;
    let mut ids = lock();
    let map = ids.get_or_insert_with(std::collections::HashMap::new);
    if map.len() >= IDS_MAX {
        map.clear();
    }
    map.insert(der.to_vec(), id.clone());
    Ok(id)
}

/// The peer city of a node certificate; any other role or trust domain is an error.
pub fn peer_city_from_cert(der: &[u8], trust_domain: &str) -> Result<PeerCity, IdentityError> {
    let id = spiffe_id_from_cert(der, trust_domain)?;
    match id.role() {
        Role::Node => Ok(PeerCity(id.city().to_string())),
        other => Err(wrong_role(&id, other, "node")),
    }
}

/// The user of a user certificate; any other role or trust domain is an error.
pub fn user_from_cert(der: &[u8], trust_domain: &str) -> Result<UserIdentity, IdentityError> {
    let id = spiffe_id_from_cert(der, trust_domain)?;
    match id.role() {
        Role::User(name) => Ok(UserIdentity {
            city: id.city().to_string(),
            name: name.clone(),
        }),
        other => Err(wrong_role(&id, other, "user")),
    }
}

/// The city of a signer certificate; any other role or trust domain is an error.
pub fn signer_city_from_cert(der: &[u8], trust_domain: &str) -> Result<SignerCity, IdentityError> {
    let id = spiffe_id_from_cert(der, trust_domain)?;
    match id.role() {
        Role::Signer => Ok(SignerCity(id.city().to_string())),
        other => Err(wrong_role(&id, other, "signer")),
    }
}

/// A node or user certificate as a [`Caller`]; a signer certificate (never a TLS
/// identity) or a foreign trust domain is an error.
pub fn caller_from_cert(der: &[u8], trust_domain: &str) -> Result<Caller, IdentityError> {
    let id = spiffe_id_from_cert(der, trust_domain)?;
    match id.role() {
        Role::Node => Ok(Caller::Peer(PeerCity(id.city().to_string()))),
        Role::User(name) => Ok(Caller::User(UserIdentity {
            city: id.city().to_string(),
            name: name.clone(),
        })),
        other => Err(wrong_role(&id, other, "node or user")),
    }
}

/// The peer city of the node that made a gRPC request (from its TLS client certificate).
pub fn peer_city_of<T>(
    request: &tonic::Request<T>,
    trust_domain: &str,
) -> Result<PeerCity, IdentityError> {
    let der = peer_cert(request.extensions()).ok_or(IdentityError::NoCertificate)?;
    peer_city_from_cert(&der, trust_domain)
}

/// The user who made a gRPC request (from its TLS client certificate).
pub fn user_of<T>(
    request: &tonic::Request<T>,
    trust_domain: &str,
) -> Result<UserIdentity, IdentityError> {
    let der = peer_cert(request.extensions()).ok_or(IdentityError::NoCertificate)?;
    user_from_cert(&der, trust_domain)
}

/// The node or user who made a gRPC request (from its TLS client certificate).
pub fn caller_of<T>(
    request: &tonic::Request<T>,
    trust_domain: &str,
) -> Result<Caller, IdentityError> {
    let der = peer_cert(request.extensions()).ok_or(IdentityError::NoCertificate)?;
    caller_from_cert(&der, trust_domain)
}

/// Checks that `cert_der` carries a signature by the key of `issuer_der`, e.g. that a
/// user certificate was issued by this city's user CA when one listener trusts several
/// CAs. `issuer_name` names the issuer in the error ("the hezhou user CA").
pub fn verify_issued_by(
    cert_der: &[u8],
    issuer_der: &[u8],
    issuer_name: &str,
) -> Result<(), IdentityError> {
    let fail = |reason: String| IdentityError::WrongIssuer {
        id: SpiffeId::from_cert_der(cert_der)
            .map(|id| id.to_string())
            .unwrap_or_else(|_| "certificate".to_string()),
        issuer: issuer_name.to_string(),
        reason,
    };
    let (_, cert) = X509Certificate::from_der(cert_der)
        .map_err(|e| IdentityError::Certificate(format!("cannot parse certificate: {e}")))?;
    let (_, issuer) = X509Certificate::from_der(issuer_der)
        .map_err(|e| fail(format!("cannot parse the issuer certificate: {e}")))?;
    cert.verify_signature(Some(issuer.public_key()))
        .map_err(|e| fail(format!("signature check failed ({e})")))
}

fn role_name(role: &Role) -> &'static str {
    match role {
        Role::Node => "node",
        Role::Signer => "signer",
        Role::User(_) => "user",
    }
}

fn wrong_role(id: &SpiffeId, found: &Role, expected: &'static str) -> IdentityError {
    IdentityError::WrongRole {
        id: id.to_string(),
        found: role_name(found),
        expected,
    }
}
