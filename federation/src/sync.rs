//! The sync protocol (DESIGN §5): the serving side streams a node's log to a peer, and a
//! per-peer worker pulls from each configured peer into the local node.
//!
//! The federation crate owns the protocol mechanics (streams, cursors on the wire,
//! heartbeats, stream age limits, reconnects with backoff, peer state). The node owns
//! storage: it implements [`SyncSource`] (what may be served to a city) and [`SyncSink`]
//! (verify, filter, store and fold received events together with the new cursor).
//!
//! Serving: [`FederationService`]. Receiving: [`spawn_peer_worker`] per configured peer,
//! reporting into a [`PeerRegistry`] read by the API, CLI and metrics. Reconnect delays:
//! [`backoff_delay`].

use std::sync::Arc;
use std::time::Duration;

use lianluo_proto::{CityFigures, SignedEvent, SyncBatch};

use crate::identity::PeerCity;

mod backoff;
mod registry;
mod server;
mod worker;

pub use backoff::{backoff_base, backoff_delay, Jitter};
pub use registry::{PeerPhase, PeerRegistry, PeerState};
pub use server::{FederationService, MAX_BATCH_BYTES};
pub use worker::{spawn_peer_worker, MAX_MESSAGE_BYTES};

/// A position in a peer's log: the peer's `log_id` epoch and the last seq covered.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Cursor {
    /// The serving node's log id (changes when its data dir is restored or wiped).
    pub log_id: String,
    /// Last seq of that log already covered.
    pub seq: u64,
    /// The id of that log's entry at `seq` (the batch's `covered_event_id`; empty when
    /// unknown). A server whose entry at `seq` differs was restored from a snapshot and
    /// serves from the start.
    pub event_id: String,
}

/// Events read from the local log for one peer city.
#[derive(Debug, Clone, Default)]
pub struct SourceBatch {
    /// `(seq, event)` pairs the peer may see, in log order.
    pub events: Vec<(u64, SignedEvent)>,
    /// The read covered the log up to and including this seq.
    pub covered_seq: u64,
}

/// What a receiving node did with one batch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ApplyReport {
    /// New events stored.
    pub applied: usize,
    /// Events already held (dropped by id).
    pub duplicates: usize,
    /// Events refused (bad signature, unknown or wrong signer, not for this city).
    pub rejected: usize,
    /// Events waiting for missing parents.
    pub pending: usize,
    /// The cursor now durably stored for the peer.
    pub cursor_seq: u64,
    /// New events whose time is further ahead of this node's clock than the allowed skew
    /// (kept; this node's clock does not follow them).
    pub clock_ahead: usize,
    /// The most any of them was ahead, in milliseconds.
    pub clock_ahead_ms: u64,
}

/// Errors of the sync protocol.
#[derive(Debug, Clone, thiserror::Error)]
pub enum SyncError {
    /// The local store failed; nothing of the batch was applied.
    #[error("storage: {0}")]
    Store(String),
    /// The peer sent something malformed.
    #[error("protocol: {0}")]
    Protocol(String),
    /// Connecting or streaming failed.
    #[error("transport: {0}")]
    Transport(String),
    /// The caller is not a configured peer.
    #[error("{0}")]
    NotAPeer(String),
}

/// The serving side's view of the local node.
#[tonic::async_trait]
pub trait SyncSource: Send + Sync + 'static {
    /// The local log's id.
    fn log_id(&self) -> String;
    /// Whether `city` is a configured peer (others are refused).
    fn is_peer(&self, city: &PeerCity) -> bool;
    /// Reads at most `limit` log entries after `after_seq` but not past `up_to` (the
    /// durable head), keeping only events of records `city` participates in. When a
    /// record gains `city` as a participant, its earlier events are included too.
    async fn read(
        &self,
        city: &PeerCity,
        after_seq: u64,
        up_to: u64,
        limit: usize,
    ) -> Result<SourceBatch, SyncError>;
    /// The id of the event at `seq` of the local log, if the log holds an entry there.
    async fn event_id_at(&self, seq: u64) -> Result<Option<String>, SyncError>;
    /// The durable head seq: only events at or below it are served (an event not yet
    /// flushed could vanish in a crash and its seq be reused).
    fn durable_head(&self) -> tokio::sync::watch::Receiver<u64>;
    /// DER signer certificates known locally (sent to peers so they can verify relays).
    fn signer_certs(&self) -> Vec<Vec<u8>>;
    /// The local city's figures for `year` (see `FiguresRequest.year`), served to
    /// configured peers answering a dashboard overview. Fails with a message saying why.
    async fn figures(&self, year: u32) -> Result<CityFigures, tonic::Status>;
    /// Where this node's cursors stand in other nodes' logs, for heartbeats to `city`
    /// (see `SyncBatch.checkpoints`). None by default.
    async fn checkpoints(&self, _city: &PeerCity) -> Vec<lianluo_proto::LogCheckpoint> {
        Vec::new()
    }
}

/// The receiving side's view of the local node.
#[tonic::async_trait]
pub trait SyncSink: Send + Sync + 'static {
    /// The durable cursor for `peer`, if any.
    async fn cursor(&self, peer: &PeerCity) -> Result<Option<Cursor>, SyncError>;
    /// Verifies and applies `batch` from `peer`; stores accepted events and the new
    /// cursor in one atomic write, durable before the events are served to anyone.
    async fn apply(&self, peer: &PeerCity, batch: Arc<SyncBatch>)
        -> Result<ApplyReport, SyncError>;

    /// Says that `batch` is the next one `apply` will get from `peer`, while the one
    /// before it is still being applied: a sink may start the work that does not depend
    /// on the earlier batch (checking signatures) so the two overlap. Optional.
    fn prepare(&self, _peer: &PeerCity, _batch: &Arc<SyncBatch>) {}
}

/// Tunables of the protocol.
#[derive(Debug, Clone)]
pub struct SyncSettings {
    /// Largest number of events in one batch.
    pub batch_size: usize,
    /// An idle stream sends an empty batch (heartbeat) this often.
    pub heartbeat: Duration,
    /// The server ends a stream after this long, so the peer reconnects and re-handshakes
    /// (a revoked certificate is refused within this bound plus the CRL reload interval).
    pub max_stream_age: Duration,
    /// First reconnect delay; doubles per attempt up to `max_backoff`, with ±50% jitter.
    pub min_backoff: Duration,
    /// Largest reconnect delay.
    pub max_backoff: Duration,
    /// A stream silent for this long is considered dead.
    pub idle_timeout: Duration,
}

impl Default for SyncSettings {
    fn default() -> Self {
        Self {
            batch_size: 1024,
            heartbeat: Duration::from_secs(2),
            max_stream_age: Duration::from_secs(300),
            min_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(15),
        }
    }
}
