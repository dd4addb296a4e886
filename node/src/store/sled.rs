//! The sled implementation of [`Store`]: one sled tree with the key layout of
//! [`super::keys`]; every [`Commit`] is one `apply_batch`, which sled recovers atomically.
//!
//! This module and its submodules are the only ones of the project that name sled.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use super::keys;
use super::values::{
    self, CursorValue, EquivocationValue, EventValue, LogProofValue, Migrate, ParkedValue,
};
use super::{
    Commit, Cursor, Equivocation, HistoryStep, IndexHit, LegacyLayout, LogEquivocation,
    ParkedEvent, RecordEntry, Store, StoreError, StoreMeta, StoreOptions, StoredEvent,
};
use crate::domain::{EventId, RecordId};

mod commit;
mod durable;
mod group;
mod legacy;
mod open;
mod postings;

/// Sub-directory of the data dir that holds the sled database.
const DB_DIR: &str = "db";

/// A [`Store`] on a sled database in `<dir>/db`.
pub(super) struct SledStore {
    db: ::sled::Db,
    meta: StoreMeta,
    /// Next seq to assign. Commits hold the write lock for their whole duration, which
    /// serializes seq assignment and counter updates; reads hold the read lock, so they
    /// never observe half of a batch (sled batches are crash-atomic, not isolated).
    next_seq: RwLock<u64>,
    /// Makes flushed data durable against power loss.
    durable: durable::Durable,
    /// The data dir holds schema-1 content not upgraded yet.
    legacy: AtomicBool,
    /// The data dir (for the identity note).
    dir: std::path::PathBuf,
    /// Concurrent commits, merged into shared batches.
    group: group::Queue,
}

fn engine(e: ::sled::Error) -> StoreError {
    match e {
        ::sled::Error::Io(e) => StoreError::io("storage engine", &e),
        ::sled::Error::Corruption { .. } => StoreError::Corrupt(e.to_string()),
        other => StoreError::Sled(other.to_string()),
    }
}

impl SledStore {
    /// Opens (or creates) the store in `dir` for `city`.
    pub(super) fn open(dir: &Path, city: &str, options: StoreOptions) -> Result<Self, StoreError> {
        open::open(dir, city, options)
    }

    fn read_lock(&self) -> RwLockReadGuard<'_, u64> {
        // A panic while committing cannot leave a half-applied batch behind (the batch is
        // applied in one call), so a poisoned lock is still safe to use.
        self.next_seq.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write_lock(&self) -> RwLockWriteGuard<'_, u64> {
        self.next_seq.write().unwrap_or_else(|e| e.into_inner())
    }

    fn get(&self, key: &[u8]) -> Result<Option<::sled::IVec>, StoreError> {
        self.db.get(key).map_err(engine)
    }

    /// An event by id: its seq from the id index, then its log entry.
    fn load_event(&self, id: &EventId) -> Result<Option<StoredEvent>, StoreError> {
        let Some(seq) = self.get(&keys::event(id))? else {
            return Ok(None);
        };
        let seq = keys::decode_u64(&format!("seq of event {id}"), &seq)?;
        let bytes = self.get(&keys::log(seq))?.ok_or_else(|| {
            StoreError::Corrupt(format!("event {id} points at missing log entry {seq}"))
        })?;
        log_entry(seq, &bytes).map(Some)
    }

    fn load_record(&self, id: &RecordId) -> Result<Option<RecordEntry>, StoreError> {
        self.get(&keys::record(id))?
            .map(|bytes| values::decode(&format_args!("record {id}"), &bytes))
            .transpose()
    }

    /// Entries with keys in `[start, end)` under `prefix`.
    fn range<'a>(
        &'a self,
        prefix: &'a [u8],
        start: Bound<Vec<u8>>,
        end: Bound<Vec<u8>>,
    ) -> impl Iterator<Item = Result<(::sled::IVec, ::sled::IVec), StoreError>> + 'a {
        let start = match start {
            Bound::Included(k) => Bound::Included([prefix, &k].concat()),
            Bound::Excluded(k) => Bound::Excluded([prefix, &k].concat()),
            Bound::Unbounded => Bound::Included(prefix.to_vec()),
        };
        let end = match end {
            Bound::Included(k) => Bound::Included([prefix, &k].concat()),
            Bound::Excluded(k) => Bound::Excluded([prefix, &k].concat()),
            Bound::Unbounded => Bound::Unbounded,
        };
        self.db
            .range::<Vec<u8>, _>((start, end))
            .take_while(move |entry| match entry {
                Ok((key, _)) => key.starts_with(prefix),
                Err(_) => true,
            })
            .map(|entry| entry.map_err(engine))
    }

    /// Every entry under `prefix`, the prefix cut off its keys.
    fn scan(&self, prefix: &[u8]) -> Result<Vec<(Vec<u8>, ::sled::IVec)>, StoreError> {
        self.range(prefix, Bound::Unbounded, Bound::Unbounded)
            .map(|e| e.map(|(k, v)| (k[prefix.len()..].to_vec(), v)))
            .collect()
    }
}

impl SledStore {
    /// Applies a group of commits as one batch (see `group`): each commit's seqs, or why
    /// it was refused; when the batch itself fails, every commit fails with it.
    pub(super) fn apply_group(&self, commits: &[Commit]) -> Vec<Result<Vec<u64>, StoreError>> {
        let mut next_seq = self.write_lock();
        let staged = commit::stage(self, commits, *next_seq).and_then(|s| {
            self.db.apply_batch(s.batch).map_err(engine)?;
            Ok((s.results, s.used))
        });
        match staged {
            Ok((results, used)) => {
                *next_seq += used;
                results
            }
            Err(e) => commits.iter().map(|_| Err(e.clone())).collect(),
        }
    }
}

impl Store for SledStore {
    fn meta(&self) -> &StoreMeta {
        &self.meta
    }

    fn commit(&self, commit: Commit) -> Result<Vec<u64>, StoreError> {
        self.group
            .commit(commit, |commits| self.apply_group(&commits))
    }

    fn flush(&self) -> Result<(), StoreError> {
        self.db.flush().map_err(engine)?;
        self.durable.sync()
    }

    fn event(&self, id: &EventId) -> Result<Option<StoredEvent>, StoreError> {
        let _visible = self.read_lock();
        self.load_event(id)
    }

    fn has_event(&self, id: &EventId) -> Result<bool, StoreError> {
        let _visible = self.read_lock();
        self.db.contains_key(keys::event(id)).map_err(engine)
    }

    fn has_event_now(&self, id: &EventId) -> Result<bool, StoreError> {
        // sled applies a batch atomically: an event is seen with its whole commit or not.
        self.db.contains_key(keys::event(id)).map_err(engine)
    }

    fn log_after(&self, after_seq: u64, limit: usize) -> Result<Vec<StoredEvent>, StoreError> {
        let _visible = self.read_lock();
        let start = Bound::Excluded(after_seq.to_be_bytes().to_vec());
        self.range(keys::LOG, start, Bound::Unbounded)
            .take(limit)
            .map(|entry| {
                let (key, value) = entry?;
                let seq = keys::decode_u64("log key", &key[keys::LOG.len()..])?;
                log_entry(seq, &value)
            })
            .collect()
    }

    fn last_seq(&self) -> Result<u64, StoreError> {
        Ok(self.read_lock().saturating_sub(1))
    }

    fn record(&self, id: &RecordId) -> Result<Option<RecordEntry>, StoreError> {
        let _visible = self.read_lock();
        self.load_record(id)
    }

    fn history(&self, id: &RecordId) -> Result<Vec<HistoryStep>, StoreError> {
        let _visible = self.read_lock();
        let mut steps = Vec::new();
        for (_, v) in self.scan(&keys::history_prefix(id))? {
            let chunk: values::HistoryChunk = values::decode(&format_args!("history of {id}"), &v)?;
            steps.extend(chunk.0);
        }
        if let Some(entry) = self.load_record(id)? {
            steps.extend(entry.tail);
        }
        Ok(steps)
    }

    fn records_after(
        &self,
        after: Option<&RecordId>,
        limit: usize,
    ) -> Result<Vec<(RecordId, RecordEntry)>, StoreError> {
        let _visible = self.read_lock();
        let start = after.map_or(Bound::Unbounded, |a| {
            Bound::Excluded(a.as_str().as_bytes().to_vec())
        });
        self.range(keys::RECORD, start, Bound::Unbounded)
            .take(limit)
            .map(|entry| {
                let (key, value) = entry?;
                let id = keys::decode_str("record key", &key[keys::RECORD.len()..])?;
                let id = RecordId::parse(&id).map_err(StoreError::Corrupt)?;
                let rec = values::decode(&format_args!("record {id}"), &value)?;
                Ok((id, rec))
            })
            .collect()
    }

    fn index_range(
        &self,
        start: Bound<Vec<u8>>,
        end: Bound<Vec<u8>>,
        limit: usize,
    ) -> Result<Vec<IndexHit>, StoreError> {
        let _visible = self.read_lock();
        postings::range(self, start, end, limit)
    }

    fn counters(&self) -> Result<Vec<(Vec<u8>, i64)>, StoreError> {
        let _visible = self.read_lock();
        self.scan(keys::COUNTER)?
            .into_iter()
            .map(|(k, v)| Ok((k, keys::decode_i64("counter", &v)?)))
            .collect()
    }

    fn counters_of(&self, wanted: &[Vec<u8>]) -> Result<Vec<i64>, StoreError> {
        let _visible = self.read_lock();
        wanted
            .iter()
            .map(|k| match self.get(&keys::counter(k))? {
                Some(v) => keys::decode_i64("counter", &v),
                None => Ok(0),
            })
            .collect()
    }

    fn members(&self) -> Result<Vec<(Vec<u8>, i64)>, StoreError> {
        let _visible = self.read_lock();
        self.scan(keys::MEMBER)?
            .into_iter()
            .map(|(k, v)| Ok((k, keys::decode_i64("member count", &v)?)))
            .collect()
    }

    fn replace_counters(
        &self,
        counters: BTreeMap<Vec<u8>, i64>,
        members: BTreeMap<Vec<u8>, i64>,
        version: u32,
    ) -> Result<(), StoreError> {
        let _serial = self.write_lock();
        let mut batch = ::sled::Batch::default();
        for prefix in [keys::COUNTER, keys::MEMBER] {
            for (k, _) in self.scan(prefix)? {
                batch.remove([prefix, &k].concat());
            }
        }
        for (k, v) in counters.iter().filter(|(_, v)| **v != 0) {
            batch.insert(keys::counter(k), &v.to_be_bytes());
        }
        for (k, v) in members.iter().filter(|(_, v)| **v != 0) {
            batch.insert(keys::member(k), &v.to_be_bytes());
        }
        batch.insert(keys::META_COUNTERS, &version.to_be_bytes());
        self.db.apply_batch(batch).map_err(engine)
    }

    fn counters_version(&self) -> Result<u32, StoreError> {
        match self.get(keys::META_COUNTERS)? {
            None => Ok(1),
            Some(v) => keys::decode_u32("counters version", &v),
        }
    }

    fn request(&self, key: &str) -> Result<Option<RecordId>, StoreError> {
        let Some(v) = self.get(&keys::request(key))? else {
            return Ok(None);
        };
        let id = keys::decode_str("request id", &v)?;
        RecordId::parse(&id).map(Some).map_err(StoreError::Corrupt)
    }

    fn cursor(&self, peer: &str) -> Result<Option<Cursor>, StoreError> {
        let Some(bytes) = self.get(&keys::cursor(peer))? else {
            return Ok(None);
        };
        let v: CursorValue = values::decode(&format_args!("cursor of {peer}"), &bytes)?;
        Ok(Some(Cursor {
            log_id: v.log_id,
            seq: v.seq,
            event_id: v.event_id,
        }))
    }

    fn parked(
        &self,
        after: Option<&EventId>,
        limit: usize,
    ) -> Result<Vec<ParkedEvent>, StoreError> {
        let _visible = self.read_lock();
        let start = after.map_or(Bound::Unbounded, |id| {
            Bound::Excluded(id.as_bytes().to_vec())
        });
        self.range(keys::PARKED, start, Bound::Unbounded)
            .take(limit)
            .map(|entry| {
                let (key, bytes) = entry?;
                let id = EventId::from_slice(&key[keys::PARKED.len()..]).ok_or_else(|| {
                    StoreError::Corrupt(format!("parked key {key:?} holds no event id"))
                })?;
                let v: ParkedValue = values::decode(&format_args!("parked event {id}"), &bytes)?;
                Ok(ParkedEvent {
                    id,
                    peer: v.peer,
                    signed: lianluo_proto::SignedEvent {
                        body: v.body,
                        signature: v.signature,
                        signer_cert_sha256: v.signer_cert_sha256,
                    },
                    reason: v.reason,
                    since_ms: v.since_ms,
                })
            })
            .collect()
    }

    fn equivocations(&self) -> Result<Vec<Equivocation>, StoreError> {
        let _visible = self.read_lock();
        self.range(keys::EQUIVOCATION, Bound::Unbounded, Bound::Unbounded)
            .map(|entry| {
                let (key, bytes) = entry?;
                let ids = &key[keys::EQUIVOCATION.len()..];
                let (first, second) = match (ids.get(..32), ids.get(32..)) {
                    (Some(a), Some(b)) => (EventId::from_slice(a), EventId::from_slice(b)),
                    _ => (None, None),
                };
                let (Some(first), Some(second)) = (first, second) else {
                    return Err(StoreError::Corrupt(format!(
                        "equivocation key {key:?} holds no two event ids"
                    )));
                };
                let v: EquivocationValue =
                    values::decode(&format_args!("equivocation {first}/{second}"), &bytes)?;
                Ok(Equivocation {
                    record_id: v.record_id,
                    author: v.author,
                    first,
                    second,
                    found_ms: v.found_ms,
                })
            })
            .collect()
    }

    fn checkpoint(&self, log_id: &str, seq: u64) -> Result<Option<(String, String)>, StoreError> {
        let _visible = self.read_lock();
        Ok(self.get(&keys::checkpoint(log_id, seq))?.and_then(|v| {
            let v = String::from_utf8_lossy(&v).into_owned();
            v.split_once('\n')
                .map(|(city, id)| (city.to_owned(), id.to_owned()))
        }))
    }

    fn has_log_proof(&self, log_id: &str, seq: u64) -> Result<bool, StoreError> {
        let _visible = self.read_lock();
        self.db
            .contains_key(keys::log_proof(log_id, seq))
            .map_err(engine)
    }

    fn log_equivocations(&self) -> Result<Vec<LogEquivocation>, StoreError> {
        let _visible = self.read_lock();
        self.range(keys::LOG_PROOF, Bound::Unbounded, Bound::Unbounded)
            .map(|entry| {
                let (key, bytes) = entry?;
                let rest = &key[keys::LOG_PROOF.len()..];
                let split = rest
                    .len()
                    .checked_sub(9)
                    .filter(|i| rest.get(*i) == Some(&0));
                let Some(i) = split else {
                    return Err(StoreError::Corrupt(format!("log proof key {key:?}")));
                };
                let log_id = String::from_utf8_lossy(&rest[..i]).into_owned();
                let seq = keys::decode_u64("log proof seq", &rest[i + 1..])?;
                let v: LogProofValue =
                    values::decode(&format_args!("log proof {log_id}/{seq}"), &bytes)?;
                Ok(LogEquivocation {
                    city: v.city,
                    log_id,
                    seq,
                    ours: v.ours,
                    theirs: v.theirs,
                    seen_by: v.seen_by,
                    found_ms: v.found_ms,
                })
            })
            .collect()
    }

    fn parked_count(&self) -> Result<u64, StoreError> {
        let _visible = self.read_lock();
        let mut n = 0;
        for entry in self.range(keys::PARKED, Bound::Unbounded, Bound::Unbounded) {
            entry?;
            n += 1;
        }
        Ok(n)
    }

    fn size_on_disk(&self) -> Result<u64, StoreError> {
        self.db.size_on_disk().map_err(engine)
    }

    fn signer_certs(&self) -> Result<Vec<Vec<u8>>, StoreError> {
        Ok(self
            .scan(keys::SIGNER)?
            .into_iter()
            .map(|(_, der)| der.to_vec())
            .collect())
    }

    fn add_signer_certs(&self, certs: &[Vec<u8>]) -> Result<usize, StoreError> {
        let mut batch = ::sled::Batch::default();
        let mut added = std::collections::HashSet::new();
        for der in certs {
            let key = keys::signer(&lianluo_certs::cert_sha256_hex(der));
            if !added.contains(&key) && !self.db.contains_key(&key).map_err(engine)? {
                batch.insert(key.clone(), der.as_slice());
                added.insert(key);
            }
        }
        if !added.is_empty() {
            self.db.apply_batch(batch).map_err(engine)?;
        }
        Ok(added.len())
    }

    fn legacy(&self) -> Option<&dyn LegacyLayout> {
        if self.legacy.load(Ordering::SeqCst) {
            Some(self)
        } else {
            None
        }
    }
}

/// A log entry's event.
fn log_entry(seq: u64, bytes: &[u8]) -> Result<StoredEvent, StoreError> {
    let v: EventValue = values::decode(&format_args!("log entry {seq}"), bytes)?;
    Ok(StoredEvent {
        seq,
        id: v.id,
        record_id: v.record_id,
        verified: v.verified,
        signed: lianluo_proto::SignedEvent {
            body: v.body,
            signature: v.signature,
            signer_cert_sha256: v.signer_cert_sha256,
        },
    })
}

/// Encodes a value for the batch.
fn encoded<T: Migrate>(v: &T) -> Result<Vec<u8>, StoreError> {
    v.encode().map_err(|e| StoreError::Encode(e.to_string()))
}
