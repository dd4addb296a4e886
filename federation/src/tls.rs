//! TLS for federation and client traffic: rustls configurations with client
//! authentication and CRLs ([`server_config`], [`client_config`]), a reloadable server
//! configuration ([`ReloadableServerConfig`]), an acceptor feeding tonic
//! ([`tls_incoming`]) and a connector producing tonic channels ([`connect`]).
//!
//! tonic's built-in TLS cannot check CRLs, so we run rustls ourselves: the server side
//! hands tonic already-authenticated [`TlsConn`]s whose [`TlsConnectInfo`] carries the
//! verified peer certificates into every request's extensions.

mod config;
mod connect;
mod error;
mod incoming;
mod reload;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::CertificateDer;

pub use config::{client_config, server_config};
pub use connect::{connect, connect_lazy, connect_peer, connect_peer_lazy};
pub use error::TlsError;
pub use incoming::{
    tls_incoming, tls_incoming_limited, TlsConn, TlsLimits, MAX_CONNECTIONS, MAX_PENDING_PER_SOURCE,
};
pub use reload::{Reloadable, ReloadableClientConfig, ReloadableServerConfig};

/// How long a TLS handshake may take before the connection is dropped.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// The files one side of a TLS connection needs. All PEM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    /// Our certificate (chain), leaf first.
    pub cert: PathBuf,
    /// Our private key (PKCS#8, SEC1 or PKCS#1).
    pub key: PathBuf,
    /// The trust anchors for the peer's certificate (one or more CA certificates).
    pub ca: PathBuf,
    /// CRLs of those CAs. When any is given, a certificate whose issuer no CRL covers is
    /// refused (fail closed): list the CRL of every CA in `ca`.
    pub crls: Vec<PathBuf>,
}

/// What tonic knows about a connection accepted by [`tls_incoming`]; read it in handlers
/// with `request.extensions().get::<TlsConnectInfo>()` or [`peer_cert`].
#[derive(Debug, Clone)]
pub struct TlsConnectInfo {
    /// The peer's address.
    pub remote_addr: SocketAddr,
    /// The verified client certificate chain, leaf first.
    pub peer_certs: Option<Arc<Vec<CertificateDer<'static>>>>,
}

/// The verified client (leaf) certificate of the connection a request came on, if the
/// request came through [`tls_incoming`].
pub fn peer_cert(extensions: &tonic::Extensions) -> Option<CertificateDer<'static>> {
    let info = extensions.get::<TlsConnectInfo>()?;
    info.peer_certs.as_ref()?.first().cloned()
}
