//! Node storage behind the [`Store`] trait: the append-only local event log, each record's
//! stored state and history, the list indexes and figure counters, client request ids,
//! federation cursors and the signer certificates of other cities.
//!
//! The stored form is not the API: a record is kept as its typed state
//! ([`RecordEntry`], a versioned value, see `values`) plus one small history step per
//! event, so an event costs its own bytes, its history step and the index and counter
//! entries that changed — never a rewrite of the record's history. The API `Record` is
//! rendered from it at the edge.
//!
//! One [`Commit`] is applied atomically (all of it or nothing survives a crash) but is not
//! flushed; [`Store::flush`] makes everything committed so far durable, for real on Linux
//! (the engine's own flush, then an `fdatasync` of its files). The [`Flusher`] groups
//! concurrent flush requests so many acknowledgements share one flush.
//!
//! The only engine today is sled ([`open_sled`]); sled is confined to `store/sled.rs` and
//! its submodules, so another engine can replace it behind the trait.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::domain::{EventId, RecordId, RecordState};
use crate::projection::Delta;

mod datafile;
mod flusher;
mod guard;
mod kept;
mod keys;
mod sled;
#[cfg(test)]
mod tests;
mod values;

pub use flusher::{FlushTotals, Flusher};
pub use guard::{release_for_start, Ballast, Guarded, Reopen};
pub use kept::{Equivocation, Lineage, LogEquivocation, ParkedEvent};
pub use values::Migrate;

/// Version of the on-disk layout this build writes. Version 1 (the API record with its
/// whole history per record) is upgraded in place when the data dir is opened.
pub const SCHEMA_VERSION: u32 = 2;

/// Version of the figure counters and record states this build keeps
/// (`projection::counters`, `domain::RecordState`): a data dir of an older version has its
/// records folded again from their events where they differ, and its counters recounted,
/// when it is opened. Version 2 added mediated disputes and the records a city takes part
/// in; version 3 the business dates (which an older build ignored in newer events);
/// version 4 deadlines that move (`suggestion_extended`, which an older build refused, and
/// the new deadlines of 二次办理 and carry-over, which it ignored); version 5 suggestion
/// handling (签收, 退回, 改派, 重点督办 and each proposer's rating, which an older build
/// refused, and the 协办 units and result categories, which it ignored); version 6 the
/// text-search index over every text of a record, not the title only (rebuilt by
/// `recount::reindex_text`); version 7 projects (whose events an older build refused);
/// version 8 the public opinions of a reception (likewise refused, and counted from);
/// version 9 the records held under each listed index term (a list's total).
pub const COUNTERS_VERSION: u32 = 9;

/// Identity of a data directory, fixed when it is created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreMeta {
    /// City the data belongs to.
    pub city: String,
    /// 32 random hex chars chosen at creation; a wiped or restored node gets a new one, so
    /// peers know to reset their cursors.
    pub log_id: String,
    /// Schema version of the data dir.
    pub schema_version: u32,
}

/// Engine settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreOptions {
    /// Bytes of the engine's page cache (the main part of a node's memory).
    pub cache_bytes: u64,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self {
            cache_bytes: DEFAULT_CACHE_MB << 20,
        }
    }
}

/// Default size of the store cache in MiB (`[store] cache_mb`).
pub const DEFAULT_CACHE_MB: u64 = 64;

/// Default free space in MiB kept on the data dir's file system (`[store] reserve_mb`).
pub const DEFAULT_RESERVE_MB: u64 = 64;

/// Default size in MiB of the ballast file kept in the data dir (`[store] ballast_mb`).
pub const DEFAULT_BALLAST_MB: u64 = 16;

/// An event to append to the log.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    /// SHA-256 of the body bytes.
    pub id: EventId,
    /// Record the event belongs to.
    pub record_id: RecordId,
    /// Whether its signature was verified when it entered the node.
    pub verified: bool,
    /// The signed envelope exactly as received or made.
    pub signed: lianluo_proto::SignedEvent,
    /// Who made it from what (see [`Lineage`]); `None` skips the equivocation check.
    pub lineage: Option<Lineage>,
}

/// An event as held in the local log.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEvent {
    /// Position in this node's local log (dense, starting at 1).
    pub seq: u64,
    /// SHA-256 of the body bytes.
    pub id: EventId,
    /// Record the event belongs to.
    pub record_id: RecordId,
    /// Whether its signature was verified when it entered the node.
    pub verified: bool,
    /// The signed envelope exactly as received or made.
    pub signed: lianluo_proto::SignedEvent,
}

/// A head of a record's event DAG, with its clock (the parent clock of the next act).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Head {
    /// The event.
    pub id: EventId,
    /// Its HLC wall time (Unix ms).
    pub wall_ms: u64,
    /// Its HLC counter.
    pub counter: u32,
}

/// What the store keeps per record.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct RecordEntry {
    /// The folded state; `None` while no valid creation event is held (events kept).
    pub state: Option<RecordState>,
    /// The DAG heads, sorted by id.
    pub heads: Vec<Head>,
    /// Number of history steps (events) of the record.
    pub steps: u32,
    /// The latest history steps (fewer than [`HISTORY_CHUNK`]); earlier ones are kept in
    /// chunks of that many. Kept by the store: a [`RecordWrite`] says what changes in
    /// [`RecordWrite::history`], whatever its entry's tail holds.
    pub tail: Vec<HistoryStep>,
}

/// History steps are kept with the record's entry, and moved into a chunk of their own
/// when this many have gathered: an event rewrites its record's entry anyway, so its step
/// costs no write of its own, and the entry never grows past this many steps. Small,
/// because the entry is rewritten whole on every event of its record (the same
/// measurement as the postings' chunk size, docs/benchmarks.md).
pub const HISTORY_CHUNK: usize = 16;

/// One event in a record's history, in fold order: applied, or rejected with the reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryStep {
    /// The event.
    pub event: EventId,
    /// Why it was not applied (`None`: applied).
    pub rejected: Option<String>,
}

/// Which history steps a record write sets: steps `from..from + steps.len()`, and any
/// older steps from there up to `old_len` are removed (a re-fold may shorten nothing, but
/// a write never leaves stale steps behind). `from` is `old_len` (steps appended) or 0
/// (the history rewritten).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HistoryWrite {
    /// First position written.
    pub from: u32,
    /// Steps from `from` on.
    pub steps: Vec<HistoryStep>,
    /// The record's step count before this write.
    pub old_len: u32,
}

/// A record's new entry, history steps, and the index and counter changes they make.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordWrite {
    /// The record.
    pub id: RecordId,
    /// Its new entry.
    pub entry: RecordEntry,
    /// Its history steps that change.
    pub history: HistoryWrite,
    /// Index terms and counters that change with it.
    pub delta: Delta,
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
    /// Record entries to write, with their index and counter changes.
    pub records: Vec<RecordWrite>,
    /// (idempotency key, record id) of a create.
    pub request: Option<(String, RecordId)>,
    /// (peer city, cursor) for federation, written with the events it covers.
    pub cursor: Option<(String, Cursor)>,
    /// Events refused for a reason that may pass later, kept to be tried again (written
    /// with the cursor that moves past them, so none is lost).
    pub park: Vec<ParkedEvent>,
    /// Parked events settled (stored, or refused for good); removed before `park` is
    /// written, so an event tried again and parked again stays.
    pub unpark: Vec<EventId>,
    /// Logs found served two ways (see [`LogEquivocation`]).
    pub log_proofs: Vec<LogEquivocation>,
}

/// One index entry found by [`Store::index_range`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexHit {
    /// The entry's position: the term's bytes followed by the record id (pass it back as
    /// an excluded start bound to continue after it).
    pub key: Vec<u8>,
    /// The record listed.
    pub record: RecordId,
}

/// The schema-1 content of a data dir being upgraded (read in log order).
pub trait LegacyLayout: Send + Sync {
    /// At most `limit` logged events with seq greater than `after`, in seq order.
    fn events_after(&self, after: u64, limit: usize) -> Result<Vec<StoredEvent>, StoreError>;
    /// Every peer cursor.
    fn cursors(&self) -> Result<Vec<(String, Cursor)>, StoreError>;
    /// Every (idempotency key, record id).
    fn requests(&self) -> Result<Vec<(String, RecordId)>, StoreError>;
    /// Every signer certificate kept (DER).
    fn signer_certs(&self) -> Result<Vec<Vec<u8>>, StoreError>;
    /// Records the upgrade as done (schema 2) and removes the schema-1 keys.
    fn finish(&self) -> Result<(), StoreError>;
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
    /// The data dir's file system is full.
    #[error("no space left on the data dir's file system ({0}); free space there")]
    Full(String),
    /// Free space fell below `[store] reserve_mb`: writes are refused, reads go on.
    #[error(
        "the file system of data dir {} has {free_mib} MiB free, below [store] reserve_mb = \
         {reserve_mib}: writes are refused until space is freed there (reads go on, and \
         writes resume by themselves)",
        dir.display()
    )]
    LowSpace {
        dir: PathBuf,
        free_mib: u64,
        reserve_mib: u64,
    },
    /// A write could not be made durable: writes stay stopped until the store is reopened.
    #[error(
        "writes are stopped because one could not be made durable ({0}); free space or \
         mend the disk under the data dir: the node reopens its storage by itself (reads go on)"
    )]
    Stopped(String),
    /// The storage engine failed.
    #[error("storage engine failed: {0}")]
    Sled(String),
    /// A value cannot be stored as given (the message names the field).
    #[error("cannot store {field}: {reason}")]
    Invalid { field: String, reason: String },
    /// The idempotency key is already taken by another record; nothing was written.
    #[error("request id {key} already created record {record_id}; return that record")]
    DuplicateRequest { key: String, record_id: String },
    /// A value could not be encoded for storage (a bug: nothing was written).
    #[error("cannot encode a value for storage: {0}; nothing was written, report this bug")]
    Encode(String),
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
            Self::Locked { .. }
                | Self::Io(_)
                | Self::Full(_)
                | Self::LowSpace { .. }
                | Self::Stopped(_)
                | Self::Sled(_)
                | Self::ShutDown
        )
    }

    /// A file system error of `what` (e.g. "sync /path"): [`StoreError::Full`] when the
    /// file system is full, [`StoreError::Io`] otherwise.
    pub fn io(what: impl std::fmt::Display, e: &std::io::Error) -> Self {
        use std::io::ErrorKind::{QuotaExceeded, StorageFull};
        match e.kind() {
            StorageFull | QuotaExceeded => Self::Full(format!("{what}: {e}")),
            _ => Self::Io(format!("{what}: {e}")),
        }
    }

    /// Whether the storage failed underneath (disk full, i/o error, engine error), as
    /// opposed to a refusal of the request itself.
    fn is_storage_fault(&self) -> bool {
        matches!(self, Self::Io(_) | Self::Full(_) | Self::Sled(_))
    }
}

/// Storage of one node. All methods block; call them from `spawn_blocking` in async code.
pub trait Store: Send + Sync + 'static {
    /// Identity of the data dir.
    fn meta(&self) -> &StoreMeta;
    /// Applies `commit` atomically (not flushed). Returns the seqs given to the newly
    /// logged events, in order; known events get none.
    fn commit(&self, commit: Commit) -> Result<Vec<u64>, StoreError>;
    /// Blocks until everything committed before the call is durable.
    fn flush(&self) -> Result<(), StoreError>;
    /// One event by id.
    fn event(&self, id: &EventId) -> Result<Option<StoredEvent>, StoreError>;
    /// Whether the event is held.
    fn has_event(&self, id: &EventId) -> Result<bool, StoreError>;
    /// Whether the event is held, without waiting for a commit in progress (which may
    /// hold it and not be counted yet). A pre-filter only: replication screens a batch
    /// with it before checking signatures, so that check never waits for the commit of
    /// the batch before; what is decided re-checks with [`Store::has_event`].
    fn has_event_now(&self, id: &EventId) -> Result<bool, StoreError>;
    /// At most `limit` log entries with seq greater than `after_seq`, in seq order.
    fn log_after(&self, after_seq: u64, limit: usize) -> Result<Vec<StoredEvent>, StoreError>;
    /// Highest seq in the log (0 when empty).
    fn last_seq(&self) -> Result<u64, StoreError>;
    /// One record's entry.
    fn record(&self, id: &RecordId) -> Result<Option<RecordEntry>, StoreError>;
    /// One record's history steps, in order.
    fn history(&self, id: &RecordId) -> Result<Vec<HistoryStep>, StoreError>;
    /// At most `limit` records with ids after `after`, in id order.
    fn records_after(
        &self,
        after: Option<&RecordId>,
        limit: usize,
    ) -> Result<Vec<(RecordId, RecordEntry)>, StoreError>;
    /// At most `limit` index entries between the bounds (over the entries' keys: term
    /// bytes, then the record id), in key order.
    fn index_range(
        &self,
        start: Bound<Vec<u8>>,
        end: Bound<Vec<u8>>,
        limit: usize,
    ) -> Result<Vec<IndexHit>, StoreError>;
    /// Every figure counter (encoded key, value); zero counters are not kept.
    fn counters(&self) -> Result<Vec<(Vec<u8>, i64)>, StoreError>;
    /// The counters of `keys` (encoded), 0 for one not kept, in the same order: reads
    /// those keys only.
    fn counters_of(&self, keys: &[Vec<u8>]) -> Result<Vec<i64>, StoreError>;
    /// Replaces every counter and distinct-set member (`lianluo admin recount --fix`, and
    /// at open when the counters are older than [`COUNTERS_VERSION`]), and records that
    /// they are of `version`, in one batch.
    fn replace_counters(
        &self,
        counters: BTreeMap<Vec<u8>, i64>,
        members: BTreeMap<Vec<u8>, i64>,
        version: u32,
    ) -> Result<(), StoreError>;
    /// The version of the figure counters the store keeps (1 when a build before versioned
    /// counters wrote them).
    fn counters_version(&self) -> Result<u32, StoreError>;
    /// Every distinct-set member (encoded key, count).
    fn members(&self) -> Result<Vec<(Vec<u8>, i64)>, StoreError>;
    /// Record id created under an idempotency key.
    fn request(&self, key: &str) -> Result<Option<RecordId>, StoreError>;
    /// Saved cursor for a peer city.
    fn cursor(&self, peer: &str) -> Result<Option<Cursor>, StoreError>;
    /// At most `limit` parked events with ids after `after`, in id order.
    fn parked(&self, after: Option<&EventId>, limit: usize)
        -> Result<Vec<ParkedEvent>, StoreError>;
    /// How many events are parked.
    fn parked_count(&self) -> Result<u64, StoreError>;
    /// Every equivocation found, oldest first within an author.
    fn equivocations(&self) -> Result<Vec<Equivocation>, StoreError>;
    /// The city whose log `log_id` is and the entry it served this node at `seq` (a cursor
    /// it stored), if kept.
    fn checkpoint(&self, log_id: &str, seq: u64) -> Result<Option<(String, String)>, StoreError>;
    /// Whether a proof of `log_id` served two ways at `seq` is held.
    fn has_log_proof(&self, log_id: &str, seq: u64) -> Result<bool, StoreError>;
    /// Every log found served two ways.
    fn log_equivocations(&self) -> Result<Vec<LogEquivocation>, StoreError>;
    /// Bytes used on disk.
    fn size_on_disk(&self) -> Result<u64, StoreError>;
    /// Signer certificates (DER) kept for verifying held events after a restart, ordered
    /// by fingerprint.
    fn signer_certs(&self) -> Result<Vec<Vec<u8>>, StoreError>;
    /// Keeps signer certificates (DER), keyed by their SHA-256 fingerprint; known ones are
    /// skipped. Not flushed: written before a commit, they are durable with it. Returns
    /// how many were new.
    fn add_signer_certs(&self, certs: &[Vec<u8>]) -> Result<usize, StoreError>;
    /// The schema-1 content still to upgrade, if the data dir was written by schema 1.
    fn legacy(&self) -> Option<&dyn LegacyLayout>;
    /// Whether writes are taken now, as last observed (cheap: no i/o).
    fn health(&self) -> StoreHealth {
        StoreHealth::default()
    }
    /// Periodic upkeep (see [`Guarded::maintain`]). Blocks.
    fn maintain(&self) {}
}

/// What [`Store::health`] reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreHealth {
    /// `Ok` when writes are taken; otherwise why they are refused.
    pub writable: Result<(), StoreError>,
    /// Free bytes on the data dir's file system at the last reading, when known.
    pub free_bytes: Option<u64>,
    /// Times the engine was reopened after a storage fault.
    pub reopens: u64,
}

impl Default for StoreHealth {
    fn default() -> Self {
        Self {
            writable: Ok(()),
            free_bytes: None,
            reopens: 0,
        }
    }
}

/// Opens the sled store in `dir` for `city`, creating the dir if needed.
///
/// A dir created for another city is refused with [`StoreError::WrongCity`] and left
/// untouched; a newer schema with [`StoreError::SchemaTooNew`]. A schema-1 dir opens with
/// [`Store::legacy`] set: the caller upgrades it (`crate::upgrade`).
pub fn open_sled(
    dir: &Path,
    city: &str,
    options: StoreOptions,
) -> Result<Arc<dyn Store>, StoreError> {
    let store = sled::SledStore::open(dir, city, options)?;
    Ok(Arc::new(store))
}
