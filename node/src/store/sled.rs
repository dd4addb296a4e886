//! The sled implementation of [`Store`]: one sled tree with the key layout of
//! [`super::keys`]; every [`Commit`] is one `apply_batch`, which sled recovers atomically.
//!
//! This is the only module of the project that names sled.

use std::collections::{HashMap, HashSet};
use std::ops::Bound;
use std::path::Path;
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use prost::Message;

use super::datafile::{self, DataFile};
use super::keys::{self, CursorEntry, EventEntry};
use super::{
    Commit, Cursor, RecordQuery, Store, StoreError, StoreMeta, StoredEvent, SCHEMA_VERSION,
};
use lianluo_proto::Record;

/// Sub-directory of the data dir that holds the sled database.
const DB_DIR: &str = "db";

/// A [`Store`] on a sled database in `<dir>/db`.
pub(super) struct SledStore {
    db: ::sled::Db,
    meta: StoreMeta,
    /// Next seq to assign. Commits hold the write lock for their whole duration, which
    /// serializes seq assignment; reads hold the read lock, so they never observe half
    /// of a batch (sled batches are crash-atomic, not isolated).
    next_seq: RwLock<u64>,
}

fn engine(e: ::sled::Error) -> StoreError {
    match e {
        ::sled::Error::Io(e) => StoreError::Io(e.to_string()),
        ::sled::Error::Corruption { .. } => StoreError::Corrupt(e.to_string()),
        other => StoreError::Sled(other.to_string()),
    }
}

fn decode<M: Message + Default>(what: &str, bytes: &[u8]) -> Result<M, StoreError> {
    M::decode(bytes).map_err(|e| StoreError::Corrupt(format!("{what} cannot be decoded: {e}")))
}

impl SledStore {
    /// Opens (or creates) the store in `dir` for `city`.
    pub(super) fn open(dir: &Path, city: &str) -> Result<Self, StoreError> {
        let note = datafile::read(dir)?;
        if let Some(note) = &note {
            // Refuse before opening the database, so nothing in the dir changes.
            note.check(dir, city)?;
        }
        let db_path = dir.join(DB_DIR);
        if note.is_some() && !db_path.exists() {
            return Err(StoreError::Corrupt(format!(
                "{} has {} but no database at {}; restore the database from a backup, \
                 or move the dir away to start with an empty one",
                dir.display(),
                datafile::FILE_NAME,
                db_path.display()
            )));
        }
        std::fs::create_dir_all(dir)
            .map_err(|e| StoreError::Io(format!("create data dir {}: {e}", dir.display())))?;
        let db = open_db(dir, &db_path)?;
        let meta = match read_meta(&db)? {
            Some(stored) => reconcile(dir, city, stored, note)?,
            None if note.is_some() => {
                return Err(StoreError::Corrupt(format!(
                    "the database in {} has no identity although {} exists; \
                     restore the data dir from a backup",
                    db_path.display(),
                    datafile::FILE_NAME
                )))
            }
            None => initialize(dir, city, &db)?,
        };
        let next_seq = read_next_seq(&db)?;
        Ok(Self {
            db,
            meta,
            next_seq: RwLock::new(next_seq),
        })
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

    fn load_event(&self, id: &str) -> Result<Option<StoredEvent>, StoreError> {
        let Some(bytes) = self.get(&keys::event(id))? else {
            return Ok(None);
        };
        let entry: EventEntry = decode(&format!("event {id}"), &bytes)?;
        let signed = entry
            .signed
            .ok_or_else(|| StoreError::Corrupt(format!("event {id} has no signed envelope")))?;
        Ok(Some(StoredEvent {
            seq: entry.seq,
            id: id.to_string(),
            record_id: entry.record_id,
            signed,
        }))
    }

    /// Loads the event an index entry (log or per-record) points at.
    fn load_indexed_event(&self, what: &str, id_bytes: &[u8]) -> Result<StoredEvent, StoreError> {
        let id = keys::decode_str(what, id_bytes)?;
        self.load_event(&id)?
            .ok_or_else(|| StoreError::Corrupt(format!("{what} points at missing event {id}")))
    }

    fn load_record(&self, id: &str) -> Result<Option<Record>, StoreError> {
        self.get(&keys::record(id))?
            .map(|bytes| decode(&format!("record {id}"), &bytes))
            .transpose()
    }

    /// Adds the events of a commit that are not stored yet; returns their seqs.
    fn stage_events(
        &self,
        batch: &mut ::sled::Batch,
        commit: &Commit,
        next_seq: u64,
    ) -> Result<Vec<u64>, StoreError> {
        let mut seen = HashSet::new();
        let mut seqs = Vec::new();
        for ev in &commit.events {
            if !seen.insert(ev.id.as_str())
                || self.db.contains_key(keys::event(&ev.id)).map_err(engine)?
            {
                continue;
            }
            let seq = next_seq + seqs.len() as u64;
            let entry = EventEntry {
                seq,
                record_id: ev.record_id.clone(),
                signed: Some(ev.signed.clone()),
            };
            batch.insert(keys::event(&ev.id), entry.encode_to_vec());
            batch.insert(keys::log(seq), ev.id.as_bytes());
            batch.insert(keys::record_event(&ev.record_id, seq), ev.id.as_bytes());
            seqs.push(seq);
        }
        Ok(seqs)
    }

    /// Adds record upserts, moving their index entries when kind or status changed.
    fn stage_records(
        &self,
        batch: &mut ::sled::Batch,
        records: &[Record],
    ) -> Result<(), StoreError> {
        // (kind, status) each record is indexed under after the writes staged so far.
        let mut staged: HashMap<&str, (String, String)> = HashMap::new();
        for rec in records {
            let old = match staged.get(rec.id.as_str()) {
                Some(old) => Some(old.clone()),
                None => self.load_record(&rec.id)?.map(|r| (r.kind, r.status)),
            };
            if let Some((kind, status)) = old {
                // Removals come first so an unchanged entry is re-inserted below.
                for key in keys::index_entries(&kind, &status, &rec.id) {
                    batch.remove(key);
                }
            }
            for key in keys::index_entries(&rec.kind, &rec.status, &rec.id) {
                batch.insert(key, rec.id.as_bytes());
            }
            batch.insert(keys::record(&rec.id), rec.encode_to_vec());
            staged.insert(&rec.id, (rec.kind.clone(), rec.status.clone()));
        }
        Ok(())
    }

    /// Adds the idempotency key, refusing one already taken by another record.
    fn stage_request(&self, batch: &mut ::sled::Batch, commit: &Commit) -> Result<(), StoreError> {
        let Some((key, record_id)) = &commit.request else {
            return Ok(());
        };
        if let Some(existing) = self.get(&keys::request(key))? {
            let existing = keys::decode_str("request id", &existing)?;
            if existing != *record_id {
                return Err(StoreError::DuplicateRequest {
                    key: key.clone(),
                    record_id: existing,
                });
            }
        }
        batch.insert(keys::request(key), record_id.as_bytes());
        Ok(())
    }
}

/// Refuses commits whose ids would break the key layout.
fn validate(commit: &Commit) -> Result<(), StoreError> {
    for ev in &commit.events {
        keys::check_component("event record_id", &ev.record_id)?;
    }
    for rec in &commit.records {
        keys::check_component("record id", &rec.id)?;
        keys::check_component("record kind", &rec.kind)?;
        keys::check_component("record status", &rec.status)?;
    }
    Ok(())
}

fn open_db(dir: &Path, db_path: &Path) -> Result<::sled::Db, StoreError> {
    ::sled::Config::new()
        .path(db_path)
        .open()
        .map_err(|e| match e {
            ::sled::Error::Io(io) if io.to_string().contains("could not acquire lock") => {
                StoreError::Locked {
                    dir: dir.to_path_buf(),
                }
            }
            other => engine(other),
        })
}

/// The identity stored in the database, if it has one.
fn read_meta(db: &::sled::Db) -> Result<Option<DataFile>, StoreError> {
    let Some(city) = db.get(keys::META_CITY).map_err(engine)? else {
        return Ok(None);
    };
    let field = |key: &[u8], name: &str| -> Result<Vec<u8>, StoreError> {
        db.get(key)
            .map_err(engine)?
            .map(|v| v.to_vec())
            .ok_or_else(|| StoreError::Corrupt(format!("database identity has no {name}")))
    };
    let schema = field(keys::META_SCHEMA, "schema version")?;
    let schema: [u8; 4] = schema
        .as_slice()
        .try_into()
        .map_err(|_| StoreError::Corrupt("database schema version is not 4 bytes".into()))?;
    Ok(Some(DataFile {
        city: keys::decode_str("database city", &city)?,
        log_id: keys::decode_str("database log id", &field(keys::META_LOG_ID, "log id")?)?,
        schema_version: u32::from_be_bytes(schema),
        created_at: keys::decode_str("created_at", &field(keys::META_CREATED_AT, "created_at")?)?,
    }))
}

/// Checks the database identity against the config and the note; re-writes a missing
/// note (a crash between creating the database and writing the note).
fn reconcile(
    dir: &Path,
    city: &str,
    stored: DataFile,
    note: Option<DataFile>,
) -> Result<StoreMeta, StoreError> {
    stored.check(dir, city)?;
    match note {
        Some(note) if note.city != stored.city || note.log_id != stored.log_id => {
            Err(StoreError::Corrupt(format!(
                "{} says city {} log {}, but the database says city {} log {}; \
                 restore the data dir from a backup",
                dir.join(datafile::FILE_NAME).display(),
                note.city,
                note.log_id,
                stored.city,
                stored.log_id
            )))
        }
        Some(_) => Ok(stored.meta()),
        None => {
            datafile::write(dir, &stored)?;
            Ok(stored.meta())
        }
    }
}

/// Gives a new database its identity: stored (and flushed) first, then the note.
fn initialize(dir: &Path, city: &str, db: &::sled::Db) -> Result<StoreMeta, StoreError> {
    let note = DataFile::create(city)?;
    let mut batch = ::sled::Batch::default();
    batch.insert(keys::META_CITY, note.city.as_bytes());
    batch.insert(keys::META_LOG_ID, note.log_id.as_bytes());
    batch.insert(keys::META_SCHEMA, &SCHEMA_VERSION.to_be_bytes());
    batch.insert(keys::META_CREATED_AT, note.created_at.as_bytes());
    batch.insert(keys::META_NEXT_SEQ, &1u64.to_be_bytes());
    db.apply_batch(batch).map_err(engine)?;
    db.flush().map_err(engine)?;
    datafile::write(dir, &note)?;
    Ok(note.meta())
}

/// The next seq to assign: the stored counter, or past the last log entry if that is
/// further (both are written in the same batch, so they normally agree).
fn read_next_seq(db: &::sled::Db) -> Result<u64, StoreError> {
    let counter = match db.get(keys::META_NEXT_SEQ).map_err(engine)? {
        Some(v) => keys::decode_u64("next seq", &v)?,
        None => 1,
    };
    let after_log = match db.scan_prefix(keys::LOG_PREFIX).next_back() {
        Some(entry) => {
            let (key, _) = entry.map_err(engine)?;
            keys::decode_u64("log key", &key[keys::LOG_PREFIX.len()..])? + 1
        }
        None => 1,
    };
    Ok(counter.max(after_log))
}

/// Iterates the keys after `start` (exclusive) or from `prefix` that share `prefix`.
fn scan_from<'a>(
    db: &'a ::sled::Db,
    prefix: Vec<u8>,
    after: Option<&[u8]>,
) -> impl Iterator<Item = Result<(::sled::IVec, ::sled::IVec), StoreError>> + 'a {
    let start = match after {
        Some(after) => Bound::Excluded([prefix.as_slice(), after].concat()),
        None => Bound::Included(prefix.clone()),
    };
    db.range::<Vec<u8>, _>((start, Bound::Unbounded))
        .take_while(move |entry| match entry {
            Ok((key, _)) => key.starts_with(&prefix),
            Err(_) => true,
        })
        .map(|entry| entry.map_err(engine))
}

impl Store for SledStore {
    fn meta(&self) -> &StoreMeta {
        &self.meta
    }

    fn commit(&self, commit: Commit) -> Result<Vec<u64>, StoreError> {
        validate(&commit)?;
        let mut next_seq = self.write_lock();
        let mut batch = ::sled::Batch::default();
        let seqs = self.stage_events(&mut batch, &commit, *next_seq)?;
        self.stage_records(&mut batch, &commit.records)?;
        self.stage_request(&mut batch, &commit)?;
        if let Some((peer, cursor)) = &commit.cursor {
            let entry = CursorEntry {
                log_id: cursor.log_id.clone(),
                seq: cursor.seq,
                event_id: cursor.event_id.clone(),
            };
            batch.insert(keys::cursor(peer), entry.encode_to_vec());
        }
        let new_next = *next_seq + seqs.len() as u64;
        batch.insert(keys::META_NEXT_SEQ, &new_next.to_be_bytes());
        self.db.apply_batch(batch).map_err(engine)?;
        *next_seq = new_next;
        Ok(seqs)
    }

    fn flush(&self) -> Result<(), StoreError> {
        self.db.flush().map(drop).map_err(engine)
    }

    fn event(&self, id: &str) -> Result<Option<StoredEvent>, StoreError> {
        let _visible = self.read_lock();
        self.load_event(id)
    }

    fn record_events(&self, record_id: &str) -> Result<Vec<StoredEvent>, StoreError> {
        let _visible = self.read_lock();
        scan_from(&self.db, keys::record_events_prefix(record_id), None)
            .map(|entry| self.load_indexed_event("record event index", &entry?.1))
            .collect()
    }

    fn record(&self, id: &str) -> Result<Option<Record>, StoreError> {
        let _visible = self.read_lock();
        self.load_record(id)
    }

    fn records(&self, q: &RecordQuery) -> Result<Vec<Record>, StoreError> {
        let _visible = self.read_lock();
        let prefix = keys::query_prefix(q.kind.as_deref(), q.status.as_deref());
        let direct = prefix == keys::RECORD_PREFIX;
        scan_from(&self.db, prefix, q.after_id.as_deref().map(str::as_bytes))
            .take(q.limit)
            .map(|entry| {
                let (key, value) = entry?;
                if direct {
                    return decode(&format!("record {}", String::from_utf8_lossy(&key)), &value);
                }
                let id = keys::decode_str("record index", &value)?;
                self.load_record(&id)?.ok_or_else(|| {
                    StoreError::Corrupt(format!("index points at missing record {id}"))
                })
            })
            .collect()
    }

    fn log_after(&self, after_seq: u64, limit: usize) -> Result<Vec<StoredEvent>, StoreError> {
        let _visible = self.read_lock();
        let after = after_seq.to_be_bytes();
        scan_from(&self.db, keys::LOG_PREFIX.to_vec(), Some(&after))
            .take(limit)
            .map(|entry| self.load_indexed_event("log", &entry?.1))
            .collect()
    }

    fn last_seq(&self) -> Result<u64, StoreError> {
        Ok(self.read_lock().saturating_sub(1))
    }

    fn request(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.get(&keys::request(key))?
            .map(|v| keys::decode_str("request id", &v))
            .transpose()
    }

    fn cursor(&self, peer: &str) -> Result<Option<Cursor>, StoreError> {
        let Some(bytes) = self.get(&keys::cursor(peer))? else {
            return Ok(None);
        };
        let entry: CursorEntry = decode(&format!("cursor of {peer}"), &bytes)?;
        Ok(Some(Cursor {
            log_id: entry.log_id,
            seq: entry.seq,
            event_id: entry.event_id,
        }))
    }

    fn size_on_disk(&self) -> Result<u64, StoreError> {
        self.db.size_on_disk().map_err(engine)
    }

    fn signer_certs(&self) -> Result<Vec<Vec<u8>>, StoreError> {
        scan_from(&self.db, keys::SIGNER_PREFIX.to_vec(), None)
            .map(|entry| entry.map(|(_, der)| der.to_vec()))
            .collect()
    }

    fn add_signer_certs(&self, certs: &[Vec<u8>]) -> Result<usize, StoreError> {
        let mut batch = ::sled::Batch::default();
        let mut added = HashSet::new();
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
}
