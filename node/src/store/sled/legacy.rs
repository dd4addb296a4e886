//! The schema-1 layout, read once to upgrade a data dir written by an older build:
//! `ev/<hex id>` (prost `EventEntry`), `log/<seq>` (hex id), `cur/<peer>` (prost
//! `CursorEntry`), `req/<key>` (record id) and `sig/<sha256>` (DER). Its record views,
//! per-record event lists and indexes (`rec/`, `re/`, `ix/`, `ik/`, `is/`) are not read:
//! the upgrade re-folds the records from the log.

use std::ops::Bound;
use std::sync::atomic::Ordering;

use prost::Message;

use super::super::datafile::{self, DataFile};
use super::super::{keys, Cursor, LegacyLayout, StoreError, StoredEvent, SCHEMA_VERSION};
use super::{engine, SledStore};
use crate::domain::{EventId, RecordId};

/// An event as schema 1 stored it under `ev/<hex id>`.
#[derive(Clone, PartialEq, prost::Message)]
struct EventEntry {
    #[prost(uint64, tag = "1")]
    seq: u64,
    #[prost(string, tag = "2")]
    record_id: String,
    #[prost(message, optional, tag = "3")]
    signed: Option<lianluo_proto::SignedEvent>,
}

/// A peer cursor as schema 1 stored it under `cur/<peer>`.
#[derive(Clone, PartialEq, prost::Message)]
struct CursorEntry {
    #[prost(string, tag = "1")]
    log_id: String,
    #[prost(uint64, tag = "2")]
    seq: u64,
    /// Absent in cursors written before it existed: decodes as empty (no check).
    #[prost(string, tag = "3")]
    event_id: String,
}

const EV: &[u8] = b"ev/";
const LOG: &[u8] = b"log/";
const CUR: &[u8] = b"cur/";
const REQ: &[u8] = b"req/";
const SIG: &[u8] = b"sig/";

/// Removes every key under `prefixes`, in batches.
pub(super) fn clear(db: &::sled::Db, prefixes: &[&[u8]]) -> Result<(), StoreError> {
    for prefix in prefixes {
        loop {
            let mut batch = ::sled::Batch::default();
            let mut n = 0;
            for entry in db.scan_prefix(prefix).take(10_000) {
                let (k, _) = entry.map_err(engine)?;
                batch.remove(k);
                n += 1;
            }
            if n == 0 {
                break;
            }
            db.apply_batch(batch).map_err(engine)?;
        }
    }
    Ok(())
}

fn corrupt(what: String) -> StoreError {
    StoreError::Corrupt(format!("schema-1 data: {what}"))
}

impl SledStore {
    fn legacy_event(&self, hex: &[u8]) -> Result<StoredEvent, StoreError> {
        let hex = keys::decode_str("schema-1 log entry", hex)?;
        let id = EventId::parse(&hex).ok_or_else(|| corrupt(format!("log entry {hex}")))?;
        let bytes = self
            .db
            .get([EV, hex.as_bytes()].concat())
            .map_err(engine)?
            .ok_or_else(|| corrupt(format!("the log points at missing event {hex}")))?;
        let entry =
            EventEntry::decode(bytes.as_ref()).map_err(|e| corrupt(format!("event {hex}: {e}")))?;
        let signed = entry
            .signed
            .ok_or_else(|| corrupt(format!("event {hex} has no envelope")))?;
        let record_id = RecordId::parse(&entry.record_id).map_err(corrupt)?;
        Ok(StoredEvent {
            seq: entry.seq,
            id,
            record_id,
            // Schema 1 stored only events that verified when they arrived (and its own).
            verified: true,
            signed,
        })
    }

    /// The schema-1 signer certificates (kept as they are by the upgrade).
    pub(super) fn legacy_signers(&self) -> Result<Vec<Vec<u8>>, StoreError> {
        Ok(self
            .scan(SIG)?
            .into_iter()
            .map(|(_, der)| der.to_vec())
            .collect())
    }
}

impl LegacyLayout for SledStore {
    fn events_after(&self, after: u64, limit: usize) -> Result<Vec<StoredEvent>, StoreError> {
        let start = Bound::Excluded(after.to_be_bytes().to_vec());
        self.range(LOG, start, Bound::Unbounded)
            .take(limit)
            .map(|entry| {
                let (key, hex) = entry?;
                let seq = keys::decode_u64("schema-1 log key", &key[LOG.len()..])?;
                let mut ev = self.legacy_event(&hex)?;
                ev.seq = seq;
                Ok(ev)
            })
            .collect()
    }

    fn cursors(&self) -> Result<Vec<(String, Cursor)>, StoreError> {
        self.scan(CUR)?
            .into_iter()
            .map(|(peer, v)| {
                let peer = keys::decode_str("schema-1 cursor key", &peer)?;
                let c = CursorEntry::decode(v.as_ref())
                    .map_err(|e| corrupt(format!("cursor of {peer}: {e}")))?;
                let cursor = Cursor {
                    log_id: c.log_id,
                    seq: c.seq,
                    event_id: c.event_id,
                };
                Ok((peer, cursor))
            })
            .collect()
    }

    fn requests(&self) -> Result<Vec<(String, RecordId)>, StoreError> {
        self.scan(REQ)?
            .into_iter()
            .map(|(key, v)| {
                let key = keys::decode_str("schema-1 request key", &key)?;
                let id = keys::decode_str("schema-1 request", &v)?;
                Ok((key, RecordId::parse(&id).map_err(corrupt)?))
            })
            .collect()
    }

    fn signer_certs(&self) -> Result<Vec<Vec<u8>>, StoreError> {
        self.legacy_signers()
    }

    fn finish(&self) -> Result<(), StoreError> {
        let mut batch = ::sled::Batch::default();
        batch.insert(keys::META_SCHEMA, &SCHEMA_VERSION.to_be_bytes());
        batch.remove(keys::LEGACY_NEXT_SEQ);
        self.db.apply_batch(batch).map_err(engine)?;
        self.db.flush().map_err(engine)?;
        self.durable.sync()?;
        // From here on the data dir is schema 2; leftovers of schema 1 are removed now or,
        // after a crash, when it is next opened.
        let note = DataFile {
            city: self.meta.city.clone(),
            log_id: self.meta.log_id.clone(),
            schema_version: SCHEMA_VERSION,
            created_at: datafile::read(&self.dir)?
                .map(|n| n.created_at)
                .unwrap_or_default(),
        };
        datafile::write(&self.dir, &note)?;
        clear(&self.db, &keys::LEGACY_PREFIXES)?;
        self.legacy.store(false, Ordering::SeqCst);
        Ok(())
    }
}
