//! The shared state of a running node: config, store, signer, clock, the per-record and
//! per-request locks, TLS configurations and the dashboard fan-out.

use std::sync::Arc;

use lianluo_federation::envelope::{EventSigner, SignerDirectory};

use crate::clock::HlcClock;
use crate::config::Config;
use crate::store::{Flusher, Store};

/// Everything request handlers share.
pub struct NodeState {
    /// Validated config.
    pub config: Config,
    /// The record store.
    pub store: Arc<dyn Store>,
    /// Group-commit flusher: every acknowledged write waits on it.
    pub flusher: Flusher,
    /// This city's event signer.
    pub signer: EventSigner,
    /// Known signer certificates, for verifying history.
    pub signers: Arc<SignerDirectory>,
    /// Event timestamps.
    pub clock: HlcClock,
    /// One lock per record: held from reading a record's entry to committing its new
    /// events (local acts and replication), so acts on one record see each other's heads
    /// while acts on different records run in parallel. Flushing happens after release,
    /// so concurrent writers share flushes.
    pub records: crate::locks::MutexMap<crate::domain::RecordId>,
    /// One lock per client idempotency key (user and request id), so a retried create
    /// waits for the first instead of making a second record.
    pub requests: crate::locks::MutexMap<String>,
    /// The highest log seq known to be flushed. Only events at or below it are served to
    /// peers: an unflushed event could vanish in a crash and its seq be reused.
    pub durable: tokio::sync::watch::Sender<u64>,
    /// Replication state of every peer.
    pub peers: lianluo_federation::sync::PeerRegistry,
    /// The peers and user roles in force (replaced on a config reload): read these, not
    /// `config.peers` and `config.users`, which are as the node started.
    pub members: crate::members::Members,
    /// Config reloads since start (`lianluo_config_reloads_total`).
    pub reloads: crate::members::Reloads,
    /// The node's TLS configurations (client API, federation listener, dialling peers),
    /// hot-reloaded while the node runs.
    pub tls: crate::server::TlsSet,
    /// Fan-out to peers for dashboard overviews, with their last known figures.
    pub dashboard: crate::dashboard::Dashboard,
    /// gRPC calls on both listeners by service, method and code, for `/metrics`.
    pub rpc_metrics: crate::metrics::RpcMetrics,
    /// Open change streams (`Records.Watch`, `/api/watch`), for `/metrics`.
    pub watch_streams: std::sync::atomic::AtomicU64,
    /// The plain HTTP listener's connections, for `/metrics`.
    pub http_conns: Arc<crate::http::conn::ConnStats>,
}

impl NodeState {
    /// Flushes everything committed so far, then publishes `seq` (a seq committed before
    /// this call) as durable.
    pub async fn flush_through(&self, seq: u64) -> Result<(), crate::store::StoreError> {
        self.flusher.flush().await?;
        self.durable.send_if_modified(|d| {
            let grew = seq > *d;
            if grew {
                *d = seq;
            }
            grew
        });
        Ok(())
    }
}

/// Today's date in China Standard Time (UTC+8), where deadlines are set.
pub fn today() -> time::Date {
    time::OffsetDateTime::now_utc()
        .to_offset(time::macros::offset!(+8))
        .date()
}
