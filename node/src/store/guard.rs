//! [`Guarded`]: a store that stays safe on a full or failing disk.
//!
//! - Before a write it reads the free space of the data dir's file system; below
//!   `[store] reserve_mb` the write is refused at once ([`StoreError::LowSpace`]), so the
//!   engine normally never meets a full disk.
//! - When a write or flush fails underneath anyway (disk full, i/o error), writes stop
//!   ([`StoreError::Stopped`], at once, without touching the engine again). sled keeps
//!   such an error for good, for reads too, so the engine must be reopened: the node's
//!   ballast file (`[store] ballast_mb`, see `ballast.rs`) is given up to make room for
//!   that, and reads go on from the reopened engine while writes stay stopped.
//! - [`Guarded::maintain`], called every second by the node's `store_watch` task, re-reads
//!   the free space, reopens a failed engine (with a growing pause between failed
//!   attempts; what is on disk is what was flushed), and lets writes resume once real
//!   space is back (the reserve, the ballast and 4 MiB more), making the ballast again.
//!   No restart is needed.

mod ballast;

use std::collections::BTreeMap;
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

pub use ballast::{release_for_start, Ballast};

use super::{
    Commit, Cursor, Equivocation, HistoryStep, IndexHit, LegacyLayout, LogEquivocation,
    ParkedEvent, RecordEntry, Store, StoreError, StoreHealth, StoreMeta, StoredEvent,
};
use crate::domain::{EventId, RecordId};

/// Opens the engine again (same dir, city and options).
pub type Reopen = Box<dyn Fn() -> Result<Arc<dyn Store>, StoreError> + Send + Sync>;

/// The longest pause between two failed reopen attempts.
const MAX_PAUSE: Duration = Duration::from_secs(60);
/// How long a reopen waits for calls still running on the old engine.
const DRAIN: Duration = Duration::from_secs(10);
/// Free space wanted beyond the reserve and the ballast before writes resume.
const ROOM: u64 = 4 << 20;

/// A [`Store`] that refuses writes on low space, stops them after a storage fault and
/// reopens the engine.
pub struct Guarded {
    dir: PathBuf,
    reserve_bytes: u64,
    ballast: Ballast,
    meta: StoreMeta,
    reopen: Reopen,
    /// The open engine; `None` only while it is being reopened (or a reopen failed).
    engine: RwLock<Option<Arc<dyn Store>>>,
    /// Why writes are stopped, until space is back.
    stopped: Mutex<Option<Stop>>,
    /// Free bytes at the last reading (`u64::MAX` before the first).
    free: AtomicU64,
    reopens: AtomicU64,
}

struct Stop {
    error: StoreError,
    /// The engine failed and has not been reopened yet.
    failed: bool,
    /// Earliest time for the next reopen attempt, and the pause after a failed one.
    next_try: Instant,
    pause: Duration,
}

impl Guarded {
    /// Guards `engine`, opened on the data dir `dir`, keeping `ballast` there; `reopen`
    /// opens the engine again.
    pub fn new(
        engine: Arc<dyn Store>,
        dir: &Path,
        reserve_mib: u64,
        ballast: Ballast,
        reopen: Reopen,
    ) -> Self {
        let guarded = Guarded {
            dir: dir.to_path_buf(),
            reserve_bytes: reserve_mib << 20,
            ballast,
            meta: engine.meta().clone(),
            reopen,
            engine: RwLock::new(Some(engine)),
            stopped: Mutex::new(None),
            free: AtomicU64::new(u64::MAX),
            reopens: AtomicU64::new(0),
        };
        // The ballast is made by the first upkeep, off the start's path.
        guarded.read_free_space();
        guarded
    }

    /// Stops writes until space is back (the engine is fine): for a node that had to give
    /// up its ballast to start.
    pub fn stop_writes(&self, error: StoreError) {
        *self.stop_lock() = Some(Stop {
            error,
            failed: false,
            next_try: Instant::now(),
            pause: Duration::from_secs(1),
        });
    }

    /// Re-reads the free space; reopens a failed engine (giving up the ballast for room);
    /// lets writes resume once space is back. Blocks: run it on the blocking pool.
    pub fn maintain(&self) {
        let free = self.read_free_space();
        let (failed, due) = match &*self.stop_lock() {
            None => {
                self.ballast.ensure(free, self.reserve_bytes);
                return;
            }
            Some(stop) => (stop.failed, stop.next_try <= Instant::now()),
        };
        if failed {
            if due {
                self.reopen_failed();
            }
            return;
        }
        let wanted = self.reserve_bytes + self.ballast.bytes() + ROOM;
        if free >= wanted && self.ballast.ensure(free, self.reserve_bytes) {
            *self.stop_lock() = None;
            tracing::warn!(dir = %self.dir.display(), "space is back: writes resume");
        }
    }

    fn reopen_failed(&self) {
        if self.ballast.release() {
            tracing::warn!(dir = %self.dir.display(), "ballast file removed to make room");
        }
        let reopened = self.reopen_engine();
        let mut stop = self.stop_lock();
        let Some(stop) = stop.as_mut() else { return };
        match reopened {
            Ok(()) => {
                stop.failed = false;
                self.reopens.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(dir = %self.dir.display(),
                    "storage reopened: reads go on; writes stay stopped until space is freed");
            }
            Err(e) => {
                stop.pause = (stop.pause * 2).min(MAX_PAUSE);
                stop.next_try = Instant::now() + stop.pause;
                tracing::error!(error = %e, retry_in_secs = stop.pause.as_secs(),
                    "reopening the storage failed");
            }
        }
    }
    /// Closes the engine (after the calls still using it end) and opens it again.
    fn reopen_engine(&self) -> Result<(), StoreError> {
        let mut slot = self.engine.write().unwrap_or_else(|e| e.into_inner());
        if let Some(old) = slot.take() {
            // Calls clone the engine and run without the lock; the engine's files (and
            // its lock on them) close only with its last handle.
            let deadline = Instant::now() + DRAIN;
            while Arc::strong_count(&old) > 1 {
                if Instant::now() > deadline {
                    *slot = Some(old);
                    return Err(StoreError::Io(
                        "calls on the old storage engine did not end within 10 s".into(),
                    ));
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            drop(old);
        }
        *slot = Some((self.reopen)()?);
        Ok(())
    }

    fn read_free_space(&self) -> u64 {
        let free = match fs2::available_space(&self.dir) {
            Ok(free) => free,
            Err(e) => {
                tracing::warn!(dir = %self.dir.display(), error = %e, "cannot read free space");
                u64::MAX
            }
        };
        self.free.store(free, Ordering::Relaxed);
        free
    }

    fn stop_lock(&self) -> std::sync::MutexGuard<'_, Option<Stop>> {
        self.stopped.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Why writes would be refused now, if they would.
    fn refusal(&self, free: u64) -> Result<(), StoreError> {
        if let Some(stop) = &*self.stop_lock() {
            return Err(StoreError::Stopped(stop.error.to_string()));
        }
        if free < self.reserve_bytes {
            return Err(StoreError::LowSpace {
                dir: self.dir.clone(),
                free_mib: free >> 20,
                reserve_mib: self.reserve_bytes >> 20,
            });
        }
        Ok(())
    }

    fn engine(&self) -> Result<Arc<dyn Store>, StoreError> {
        let slot = self.engine.read().unwrap_or_else(|e| e.into_inner());
        slot.clone().ok_or_else(|| {
            StoreError::Stopped("the storage engine is closed while it is reopened".into())
        })
    }

    /// Runs a write on the engine, stopping writes when the storage fails underneath.
    fn write<T>(
        &self,
        f: impl FnOnce(&dyn Store) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.refusal(self.read_free_space())?;
        let engine = self.engine()?;
        f(engine.as_ref()).map_err(|e| self.fault(e, false))
    }

    /// Stops writes after `e` if it is a storage fault (`always`: any error, for flushes).
    fn fault(&self, e: StoreError, always: bool) -> StoreError {
        if !(always || e.is_storage_fault()) {
            return e;
        }
        let mut stop = self.stop_lock();
        if stop.is_none() {
            tracing::error!(error = %e, dir = %self.dir.display(),
                "storage failed: writes stop until space is back; the storage is reopened");
            *stop = Some(Stop {
                error: e.clone(),
                failed: true,
                next_try: Instant::now(),
                pause: Duration::from_secs(1),
            });
        }
        e
    }

    fn read<T>(
        &self,
        f: impl FnOnce(&dyn Store) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        f(self.engine()?.as_ref()).map_err(|e| match &*self.stop_lock() {
            // The failed engine refuses reads too until it is reopened (within seconds).
            Some(stop) if e.is_storage_fault() => StoreError::Stopped(stop.error.to_string()),
            _ => e,
        })
    }
}

impl Store for Guarded {
    fn meta(&self) -> &StoreMeta {
        &self.meta
    }
    fn commit(&self, commit: Commit) -> Result<Vec<u64>, StoreError> {
        self.write(|s| s.commit(commit))
    }
    fn flush(&self) -> Result<(), StoreError> {
        if let Some(stop) = &*self.stop_lock() {
            return Err(StoreError::Stopped(stop.error.to_string()));
        }
        let engine = self.engine()?;
        engine.flush().map_err(|e| self.fault(e, true))
    }
    fn event(&self, id: &EventId) -> Result<Option<StoredEvent>, StoreError> {
        self.read(|s| s.event(id))
    }
    fn has_event(&self, id: &EventId) -> Result<bool, StoreError> {
        self.read(|s| s.has_event(id))
    }
    fn has_event_now(&self, id: &EventId) -> Result<bool, StoreError> {
        self.read(|s| s.has_event_now(id))
    }
    fn log_after(&self, after_seq: u64, limit: usize) -> Result<Vec<StoredEvent>, StoreError> {
        self.read(|s| s.log_after(after_seq, limit))
    }
    fn last_seq(&self) -> Result<u64, StoreError> {
        self.read(|s| s.last_seq())
    }
    fn record(&self, id: &RecordId) -> Result<Option<RecordEntry>, StoreError> {
        self.read(|s| s.record(id))
    }
    fn history(&self, id: &RecordId) -> Result<Vec<HistoryStep>, StoreError> {
        self.read(|s| s.history(id))
    }
    fn records_after(
        &self,
        after: Option<&RecordId>,
        limit: usize,
    ) -> Result<Vec<(RecordId, RecordEntry)>, StoreError> {
        self.read(|s| s.records_after(after, limit))
    }
    fn index_range(
        &self,
        start: Bound<Vec<u8>>,
        end: Bound<Vec<u8>>,
        limit: usize,
    ) -> Result<Vec<IndexHit>, StoreError> {
        self.read(|s| s.index_range(start, end, limit))
    }
    fn counters(&self) -> Result<Vec<(Vec<u8>, i64)>, StoreError> {
        self.read(|s| s.counters())
    }
    fn counters_of(&self, keys: &[Vec<u8>]) -> Result<Vec<i64>, StoreError> {
        self.read(|s| s.counters_of(keys))
    }
    fn replace_counters(
        &self,
        counters: BTreeMap<Vec<u8>, i64>,
        members: BTreeMap<Vec<u8>, i64>,
        version: u32,
    ) -> Result<(), StoreError> {
        self.write(|s| s.replace_counters(counters, members, version))
    }
    fn counters_version(&self) -> Result<u32, StoreError> {
        self.read(|s| s.counters_version())
    }
    fn members(&self) -> Result<Vec<(Vec<u8>, i64)>, StoreError> {
        self.read(|s| s.members())
    }
    fn request(&self, key: &str) -> Result<Option<RecordId>, StoreError> {
        self.read(|s| s.request(key))
    }
    fn cursor(&self, peer: &str) -> Result<Option<Cursor>, StoreError> {
        self.read(|s| s.cursor(peer))
    }
    fn parked(
        &self,
        after: Option<&EventId>,
        limit: usize,
    ) -> Result<Vec<ParkedEvent>, StoreError> {
        self.read(|s| s.parked(after, limit))
    }
    fn parked_count(&self) -> Result<u64, StoreError> {
        self.read(|s| s.parked_count())
    }
    fn equivocations(&self) -> Result<Vec<Equivocation>, StoreError> {
        self.read(|s| s.equivocations())
    }
    fn checkpoint(&self, log_id: &str, seq: u64) -> Result<Option<(String, String)>, StoreError> {
        self.read(|s| s.checkpoint(log_id, seq))
    }
    fn has_log_proof(&self, log_id: &str, seq: u64) -> Result<bool, StoreError> {
        self.read(|s| s.has_log_proof(log_id, seq))
    }
    fn log_equivocations(&self) -> Result<Vec<LogEquivocation>, StoreError> {
        self.read(|s| s.log_equivocations())
    }
    fn size_on_disk(&self) -> Result<u64, StoreError> {
        self.read(|s| s.size_on_disk())
    }
    fn signer_certs(&self) -> Result<Vec<Vec<u8>>, StoreError> {
        self.read(|s| s.signer_certs())
    }
    fn add_signer_certs(&self, certs: &[Vec<u8>]) -> Result<usize, StoreError> {
        if certs.is_empty() {
            // Nothing to write (most batches): no reason to refuse on low space.
            return Ok(0);
        }
        self.write(|s| s.add_signer_certs(certs))
    }
    fn legacy(&self) -> Option<&dyn LegacyLayout> {
        // The guard is put on an upgraded store only.
        None
    }
    fn health(&self) -> StoreHealth {
        let free = self.free.load(Ordering::Relaxed);
        StoreHealth {
            writable: self.refusal(free),
            free_bytes: (free != u64::MAX).then_some(free),
            reopens: self.reopens.load(Ordering::Relaxed),
        }
    }
    fn maintain(&self) {
        Guarded::maintain(self);
    }
}

#[cfg(test)]
mod tests;
