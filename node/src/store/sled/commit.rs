//! Staging one [`Commit`] as one sled batch: new events and their log entries, record
//! entries and history steps, index entries, counters and distinct-set members, the
//! idempotency key and the peer cursor. Runs under the store's write lock, so the counter
//! read-modify-writes of concurrent commits never interleave.

use std::collections::{BTreeMap, HashSet};

use super::super::keys;
use super::super::values::{CursorValue, EventValue};
use super::super::{Commit, RecordWrite, StoreError};
use super::{encoded, engine, SledStore};
use crate::projection::MemberKey;

/// The batch for `commit`, and the seqs given to its new events (from `next_seq` on).
pub(super) fn stage(
    store: &SledStore,
    commit: &Commit,
    next_seq: u64,
) -> Result<(::sled::Batch, Vec<u64>), StoreError> {
    let mut batch = ::sled::Batch::default();
    let seqs = stage_events(store, &mut batch, commit, next_seq)?;
    let mut counters: BTreeMap<Vec<u8>, i64> = BTreeMap::new();
    let mut members: BTreeMap<&MemberKey, i64> = BTreeMap::new();
    for w in &commit.records {
        stage_record(&mut batch, w);
        for (k, d) in &w.delta.counters {
            *counters.entry(k.clone()).or_default() += d;
        }
        for (m, d) in &w.delta.members {
            *members.entry(m).or_default() += d;
        }
    }
    stage_members(store, &mut batch, members, &mut counters)?;
    stage_counters(store, &mut batch, counters)?;
    stage_request(store, &mut batch, commit)?;
    if let Some((peer, cursor)) = &commit.cursor {
        let v = CursorValue {
            log_id: cursor.log_id.clone(),
            seq: cursor.seq,
            event_id: cursor.event_id.clone(),
        };
        batch.insert(keys::cursor(peer), encoded(&v));
    }
    Ok((batch, seqs))
}

/// Adds the events of a commit that are not stored yet; returns their seqs.
fn stage_events(
    store: &SledStore,
    batch: &mut ::sled::Batch,
    commit: &Commit,
    next_seq: u64,
) -> Result<Vec<u64>, StoreError> {
    let mut seen = HashSet::new();
    let mut seqs = Vec::new();
    for ev in &commit.events {
        let key = keys::event(&ev.id);
        if !seen.insert(ev.id) || store.db.contains_key(&key).map_err(engine)? {
            continue;
        }
        let seq = next_seq + seqs.len() as u64;
        let v = EventValue {
            seq,
            record_id: ev.record_id.clone(),
            verified: ev.verified,
            body: ev.signed.body.clone(),
            signature: ev.signed.signature.clone(),
            signer_cert_sha256: ev.signed.signer_cert_sha256.clone(),
        };
        batch.insert(key, encoded(&v));
        batch.insert(keys::log(seq), ev.id.as_bytes().as_slice());
        seqs.push(seq);
    }
    Ok(seqs)
}

/// The record's entry, its history steps and its index entries.
fn stage_record(batch: &mut ::sled::Batch, w: &RecordWrite) {
    batch.insert(keys::record(&w.id), encoded(&w.entry));
    let h = &w.history;
    let mut pos = h.from;
    for step in &h.steps {
        batch.insert(keys::history(&w.id, pos), encoded(step));
        pos += 1;
    }
    for stale in pos..h.old_len {
        batch.remove(keys::history(&w.id, stale));
    }
    for term in &w.delta.remove {
        batch.remove(keys::index(term, &w.id));
    }
    for term in &w.delta.add {
        batch.insert(keys::index(term, &w.id), &[] as &[u8]);
    }
}

/// Moves distinct-set members; a member appearing or leaving moves its set's size.
fn stage_members(
    store: &SledStore,
    batch: &mut ::sled::Batch,
    members: BTreeMap<&MemberKey, i64>,
    counters: &mut BTreeMap<Vec<u8>, i64>,
) -> Result<(), StoreError> {
    for (m, d) in members.into_iter().filter(|(_, d)| *d != 0) {
        let key = keys::member(&m.encode());
        let old = read_i64(store, &key, "member count")?;
        let new = old + d;
        write_i64(batch, key, new);
        let size = match (old > 0, new > 0) {
            (false, true) => 1,
            (true, false) => -1,
            _ => 0,
        };
        if size != 0 {
            *counters.entry(m.set_size().encode()).or_default() += size;
        }
    }
    Ok(())
}

fn stage_counters(
    store: &SledStore,
    batch: &mut ::sled::Batch,
    counters: BTreeMap<Vec<u8>, i64>,
) -> Result<(), StoreError> {
    for (k, d) in counters.into_iter().filter(|(_, d)| *d != 0) {
        let key = keys::counter(&k);
        let old = read_i64(store, &key, "counter")?;
        write_i64(batch, key, old + d);
    }
    Ok(())
}

fn read_i64(store: &SledStore, key: &[u8], what: &str) -> Result<i64, StoreError> {
    match store.db.get(key).map_err(engine)? {
        Some(v) => keys::decode_i64(what, &v),
        None => Ok(0),
    }
}

/// Zero is not kept, so scans of counters stay as small as the figures.
fn write_i64(batch: &mut ::sled::Batch, key: Vec<u8>, value: i64) {
    if value == 0 {
        batch.remove(key);
    } else {
        batch.insert(key, &value.to_be_bytes());
    }
}

/// Adds the idempotency key, refusing one already taken by another record.
fn stage_request(
    store: &SledStore,
    batch: &mut ::sled::Batch,
    commit: &Commit,
) -> Result<(), StoreError> {
    let Some((key, record_id)) = &commit.request else {
        return Ok(());
    };
    let k = keys::request(key);
    if let Some(existing) = store.db.get(&k).map_err(engine)? {
        let existing = keys::decode_str("request id", &existing)?;
        if existing != record_id.as_str() {
            return Err(StoreError::DuplicateRequest {
                key: key.clone(),
                record_id: existing,
            });
        }
    }
    batch.insert(k, record_id.as_str().as_bytes());
    Ok(())
}
