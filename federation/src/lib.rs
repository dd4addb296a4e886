//! Lianluo federation: who is calling (identity from verified certificates), how nodes
//! talk (rustls configurations with CRLs, a TLS acceptor and connector for tonic) and
//! what they exchange (the signed-event envelope and its verification, the sync protocol,
//! and fan-out queries with explicit partial results).
//!
//! Every binary and test calls [`crypto::install_crypto_provider`] once at start.

pub mod address;
pub mod crypto;
pub mod envelope;
pub mod error;
pub mod fanout;
pub mod identity;
pub mod sync;
pub mod tls;

pub use address::{AddressError, PeerAddress};
pub use crypto::install_crypto_provider;
pub use envelope::{
    event_id, EnvelopeError, EventSigner, SignerDirectory, VerifiedEvent, SIGNING_PREFIX,
};
pub use error::{to_status, FederationError};
pub use identity::{
    caller_from_cert, caller_of, peer_city_from_cert, peer_city_of, signer_city_from_cert,
    user_from_cert, user_of, verify_issued_by, Caller, IdentityError, PeerCity, SignerCity,
    UserIdentity,
};
pub use tls::{
    client_config, connect, connect_lazy, connect_peer, connect_peer_lazy, peer_cert,
    server_config, tls_incoming, ReloadableClientConfig, ReloadableServerConfig, TlsConn,
    TlsConnectInfo, TlsError, TlsFiles,
};
