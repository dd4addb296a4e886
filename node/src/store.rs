//! Node storage: the append-only local event log, the record projections and their list
//! indexes, client request ids, federation cursors and the signer certificates of other
//! cities, behind the [`Store`] trait.
//!
//! One [`Commit`] is applied atomically (all of it or nothing survives a crash) but is not
//! flushed; [`Store::flush`] makes everything committed so far durable. The [`Flusher`]
//! groups concurrent flush requests so many acknowledgements share one fsync.
//!
//! The only engine today is sled ([`open_sled`]); sled is confined to `store/sled.rs` so
//! another engine can replace it behind the trait.

use std::path::{Path, PathBuf};
use std::sync::Arc;

mod datafile;
mod flusher;
mod keys;
mod sled;
#[cfg(test)]
mod tests;

pub use flusher::Flusher;

/// Version of the on-disk layout this build reads and writes.
pub const SCHEMA_VERSION: u32 = 1;

/// Identity of a data directory, fixed when it is created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreMeta {
    /// City the data belongs to.
    pub city: String,
    /// 32 random hex chars chosen at creation; a wiped or restored node gets a new one, so
    /// peers know to reset their cursors.
    pub log_id: String,
    /// Schema version the data dir was written with.
    pub schema_version: u32,
}

/// An event to append to the log.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    /// Hex SHA-256 of the body bytes.
    pub id: String,
    /// Record the event belongs to.
    pub record_id: String,
    /// The signed envelope exactly as received or made.
    pub signed: lianluo_proto::SignedEvent,
}

/// An event as held in the local log.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEvent {
    /// Position in this node's local log (dense, starting at 1).
    pub seq: u64,
    /// Hex SHA-256 of the body bytes.
    pub id: String,
    /// Record the event belongs to.
    pub record_id: String,
    /// The signed envelope exactly as received or made.
    pub signed: lianluo_proto::SignedEvent,
}

/// A federation cursor: how far this node has read a peer's log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    /// The peer's `log_id`; when it changes, the cursor is reset.
    pub log_id: String,
    /// Last seq of the peer's log covered.
    pub seq: u64,
    /// The id of the peer's log entry at `seq` (empty if unknown), sent back on
    /// reconnect so a peer restored from a snapshot notices its log diverged.
    pub event_id: String,
}

/// Everything one logical change writes, applied as one atomic operation.
#[derive(Debug, Clone, Default)]
pub struct Commit {
    /// Appended to the log in order; ids already stored (or repeated) are skipped.
    pub events: Vec<NewEvent>,
    /// Record projections to upsert; the list indexes follow them.
    pub records: Vec<lianluo_proto::Record>,
    /// (idempotency key, record id) of a create.
    pub request: Option<(String, String)>,
    /// (peer city, cursor) for federation, written with the events it covers.
    pub cursor: Option<(String, Cursor)>,
}

/// A page of records, ordered by record id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordQuery {
    /// Only records of this kind (station, suggestion, dispute, activity).
    pub kind: Option<String>,
    /// Only records with this status.
    pub status: Option<String>,
    /// Start strictly after this record id (the previous page's last id).
    pub after_id: Option<String>,
    /// At most this many records (0 returns none).
    pub limit: usize,
}

impl Default for RecordQuery {
    /// Every record, no paging.
    fn default() -> Self {
        Self {
            kind: None,
            status: None,
            after_id: None,
            limit: usize::MAX,
        }
    }
}

/// Why a storage operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The data dir was created for another city.
    #[error(
        "data dir {} belongs to city {data_city}, but the config says {config_city}; \
         point data_dir at {config_city}'s own directory",
        dir.display()
    )]
    WrongCity {
        dir: PathBuf,
        data_city: String,
        config_city: String,
    },
    /// The data dir was written by a newer lianluo.
    #[error(
        "data dir schema version {found} is newer than this build supports ({supported}); \
         upgrade lianluo or restore a backup made by this version"
    )]
    SchemaTooNew { found: u32, supported: u32 },
    /// Stored data cannot be read back.
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// Another process holds the database lock.
    #[error(
        "data dir {} is in use by another lianluo process; stop it or use another data_dir",
        dir.display()
    )]
    Locked { dir: PathBuf },
    /// A file system operation failed.
    #[error("storage i/o failed: {0}")]
    Io(String),
    /// The storage engine failed.
    #[error("storage engine failed: {0}")]
    Sled(String),
    /// A value cannot be stored as given (the message names the field).
    #[error("cannot store {field}: {reason}")]
    Invalid { field: String, reason: String },
    /// The idempotency key is already taken by another record; nothing was written.
    #[error("request id {key} already created record {record_id}; return that record")]
    DuplicateRequest { key: String, record_id: String },
    /// The flusher has been shut down.
    #[error("the store is shutting down; retry against a running node")]
    ShutDown,
}

impl StoreError {
    /// True when the failure is the storage being unavailable (map to gRPC UNAVAILABLE),
    /// rather than bad data or bad input.
    pub fn is_unavailable(&self) -> bool {
        matches!(
            self,
            Self::Locked { .. } | Self::Io(_) | Self::Sled(_) | Self::ShutDown
        )
    }
}

/// Storage of one node. All methods block; call them from `spawn_blocking` in async code
/// when they may touch the disk for long.
pub trait Store: Send + Sync + 'static {
    /// Identity of the data dir.
    fn meta(&self) -> &StoreMeta;
    /// Applies `commit` atomically (not flushed). Returns the seqs given to the newly
    /// logged events, in order; known events get none.
    fn commit(&self, commit: Commit) -> Result<Vec<u64>, StoreError>;
    /// Blocks until everything committed before the call is durable.
    fn flush(&self) -> Result<(), StoreError>;
    /// One event by id.
    fn event(&self, id: &str) -> Result<Option<StoredEvent>, StoreError>;
    /// Every event of a record, in seq order.
    fn record_events(&self, record_id: &str) -> Result<Vec<StoredEvent>, StoreError>;
    /// One record projection by id.
    fn record(&self, id: &str) -> Result<Option<lianluo_proto::Record>, StoreError>;
    /// A page of records matching `q`, ordered by id.
    fn records(&self, q: &RecordQuery) -> Result<Vec<lianluo_proto::Record>, StoreError>;
    /// At most `limit` log entries with seq greater than `after_seq`, in seq order.
    fn log_after(&self, after_seq: u64, limit: usize) -> Result<Vec<StoredEvent>, StoreError>;
    /// Highest seq in the log (0 when empty).
    fn last_seq(&self) -> Result<u64, StoreError>;
    /// Record id created under an idempotency key.
    fn request(&self, key: &str) -> Result<Option<String>, StoreError>;
    /// Saved cursor for a peer city.
    fn cursor(&self, peer: &str) -> Result<Option<Cursor>, StoreError>;
    /// Bytes used on disk.
    fn size_on_disk(&self) -> Result<u64, StoreError>;
    /// Signer certificates (DER) kept for verifying held events after a restart, ordered
    /// by fingerprint.
    fn signer_certs(&self) -> Result<Vec<Vec<u8>>, StoreError>;
    /// Keeps signer certificates (DER), keyed by their SHA-256 fingerprint; known ones are
    /// skipped. Not flushed: written before a commit, they are durable with it. Returns
    /// how many were new.
    fn add_signer_certs(&self, certs: &[Vec<u8>]) -> Result<usize, StoreError>;
}

/// Opens the sled store in `dir` for `city`, creating the dir if needed.
///
/// A dir created for another city is refused with [`StoreError::WrongCity`] and left
/// untouched; a newer schema with [`StoreError::SchemaTooNew`].
pub fn open_sled(dir: &Path, city: &str) -> Result<Arc<dyn Store>, StoreError> {
    let store = sled::SledStore::open(dir, city)?;
    Ok(Arc::new(store))
}
