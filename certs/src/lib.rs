//! Lianluo PKI: the federation root CA, per-city node and signer certificates, per-city
//! user CAs, user certificates and CRLs, all kept in one directory (see [`Pki`]).
//!
//! Identities are SPIFFE IDs carried in the certificate SAN URI ([`spiffe::SpiffeId`]).
//! The root CA issues node and signer certificates only; each city's user CA is its own
//! self-signed trust anchor, so a city's user certificates chain to nothing a peer trusts.

pub mod error;
pub mod info;
pub mod pki;
pub mod spiffe;

pub use error::CertError;
pub use info::{cert_sha256_hex, read_cert_der, read_certs_der, read_crl_der, CertInfo};
pub use pki::{CityFiles, LeafFiles, Pki, Revoked, RootFiles, UserFiles};
pub use spiffe::{Role, SpiffeId};
