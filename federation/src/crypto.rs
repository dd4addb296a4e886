//! The process-wide rustls crypto provider.
//!
//! rustls 0.23 needs one default [`rustls::crypto::CryptoProvider`]; Lianluo uses *ring*
//! everywhere (the same library signs events). Every binary and every test calls
//! [`install_crypto_provider`] at start, before building any TLS configuration. The
//! configurations built by this crate also name the ring provider explicitly, so they
//! work even when a caller forgot.

use std::sync::Arc;

use rustls::crypto::CryptoProvider;

/// Installs rustls' *ring* provider as the process default. Safe to call any number of
/// times from any thread: "already installed" is not an error.
pub fn install_crypto_provider() {
    // Err only means another provider (or ours, by an earlier call) is already the
    // default; either way the process has one, which is all we need.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// The *ring* provider, for configurations built by this crate.
pub(crate) fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}
