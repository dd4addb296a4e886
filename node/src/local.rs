//! Reaching the node that runs on this host with its own node certificate, for what the
//! host's operator runs with the node's config: `lianluo health` and the online backup.
//!
//! The federation port accepts node certificates of the federation; the services meant
//! for the operator (gRPC health there, `lianluo.v1.Operator`) let in only this node's
//! own certificate ([`own_node_only`]), so whoever can read the node's key — the node's
//! own user, root — can use them, and no peer, other node or user can.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use lianluo_federation::tls::{client_config, connect_peer, TlsFiles};
use tonic::transport::Channel;

use crate::config::Config;

/// Why the local node could not be reached.
#[derive(Debug, thiserror::Error)]
pub enum LocalError {
    /// The node's TLS files could not be read.
    #[error("cannot use the node's certificate (tls.cert, tls.key, tls.ca): {0}")]
    Tls(String),
    /// The config listens on port 0 and no ready file says which port was bound.
    #[error(
        "federation.listen is port 0 and {} names no bound port: is the node running?",
        path.display()
    )]
    NoPort {
        /// The ready file.
        path: std::path::PathBuf,
    },
    /// Connecting failed.
    #[error("the node at {endpoint} does not answer: {reason}")]
    Unreachable {
        /// The address dialled.
        endpoint: String,
        /// Why.
        reason: String,
    },
}

/// Where this host reaches the node's federation port: its listen address, with an
/// unspecified IP (`0.0.0.0`, or `::`, which takes IPv4 too) as 127.0.0.1 — which every
/// node certificate lists — and port 0 as the port the running node wrote in its ready
/// file. A specific listen IP is dialled as it is (its certificate must list it).
pub fn federation_target(config: &Config) -> Result<SocketAddr, LocalError> {
    let mut addr = config.federation_listen;
    if addr.ip().is_unspecified() {
        addr.set_ip(IpAddr::V4(Ipv4Addr::LOCALHOST));
    }
    if addr.port() == 0 {
        let path = crate::server::ready_file(config);
        let bound = std::fs::read_to_string(&path)
            .ok()
            .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
            .and_then(|v| v["federation"].as_str()?.parse::<SocketAddr>().ok());
        // Only the port: the address is the one worked out above.
        addr.set_port(bound.ok_or(LocalError::NoPort { path })?.port());
    }
    Ok(addr)
}

/// A channel to the node of `config` on this host, authenticated with the node's own
/// certificate and requiring the node to present it too, within `timeout`.
pub async fn channel(config: &Config, timeout: Duration) -> Result<Channel, LocalError> {
    let target = federation_target(config)?;
    let files = TlsFiles {
        cert: config.tls.cert.clone(),
        key: config.tls.key.clone(),
        ca: config.tls.ca.clone(),
        crls: config.tls.crls.clone(),
    };
    let tls = client_config(&files).map_err(|e| LocalError::Tls(e.to_string()))?;
    let endpoint = format!("https://{target}");
    let dial = connect_peer(&endpoint, tls, &config.trust_domain, &config.city);
    let unreachable = |reason: String| LocalError::Unreachable {
        endpoint: endpoint.clone(),
        reason,
    };
    match tokio::time::timeout(timeout, dial).await {
        Ok(Ok(channel)) => Ok(channel),
        Ok(Err(e)) => Err(unreachable(e.to_string())),
        Err(_) => Err(unreachable(format!("no answer within {timeout:?}"))),
    }
}

/// Whether the caller of `request` is this node itself (its own node certificate);
/// PERMISSION_DENIED naming who may call otherwise.
pub fn own_node_only<T>(
    request: &tonic::Request<T>,
    trust_domain: &str,
    city: &str,
) -> Result<(), tonic::Status> {
    match lianluo_federation::peer_city_of(request, trust_domain) {
        Ok(c) if c.as_str() == city => Ok(()),
        Ok(c) => Err(tonic::Status::permission_denied(format!(
            "only {city}'s own node certificate may call this (the host's operator, with the \
             node's config); {c}'s node may not"
        ))),
        Err(e) => Err(tonic::Status::permission_denied(format!(
            "only {city}'s own node certificate may call this: {e}"
        ))),
    }
}
