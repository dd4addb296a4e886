//! Index postings: the records listed under each index term, kept in chunks of up to
//! [`MAX_CHUNK`] record ids, sorted. A chunk's key is the entry key of its first record
//! (`X/<term><record id><id length>`), so the chunks of a term are one key range, in
//! record order, and a term's entry for a record is found in the last chunk starting at
//! or before it.
//!
//! sled pays per key written, so a group of commits that adds many records to the same
//! terms (a replication batch, concurrent creates: the same kind and status, the same
//! city, the same day, shared title grams) rewrites each touched chunk once, instead of
//! writing one key per record and term.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Bound;

use serde::{Deserialize, Serialize};

use super::super::keys;
use super::super::values::{self, Migrate, NoPrevious};
use super::super::{IndexHit, RecordWrite, StoreError};
use super::{encoded, engine, SledStore};
use crate::domain::RecordId;

/// Most record ids in one chunk; a fuller one is split in halves.
///
/// Every add rewrites its whole chunk, and sled keeps the old copy until it cleans the
/// segment: measured on 30,000 creates, 128 ids per chunk left 13.3 KB on disk per event
/// at the writing node, 32 left 9.2 KB and 16 left 6.0 KB, while catching up the same
/// events took 3.5 s, 4.1 s and 4.6 s (docs/benchmarks.md).
pub(super) const MAX_CHUNK: usize = 16;

/// The record ids of one chunk, sorted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct Chunk(pub Vec<RecordId>);

impl Migrate for Chunk {
    const VERSION_MARKER: &'static [u8] = b"\x00LLx2";
    type Previous = NoPrevious;
    fn migrate(previous: NoPrevious) -> Self {
        match previous {}
    }
}

/// Changes to postings staged for one batch, by term.
#[derive(Default)]
pub(super) struct Postings {
    terms: BTreeMap<Vec<u8>, Changes>,
}

#[derive(Default)]
struct Changes {
    add: BTreeSet<RecordId>,
    remove: BTreeSet<RecordId>,
}

impl Postings {
    /// Lists `record` under `term`.
    pub(super) fn add(&mut self, term: &[u8], record: &RecordId) {
        let c = self.terms.entry(term.to_vec()).or_default();
        c.remove.remove(record);
        c.add.insert(record.clone());
    }

    /// Takes `record` off `term`.
    pub(super) fn remove(&mut self, term: &[u8], record: &RecordId) {
        let c = self.terms.entry(term.to_vec()).or_default();
        c.add.remove(record);
        c.remove.insert(record.clone());
    }

    /// Moves a record write's index entries: its terms removed, then those added.
    pub(super) fn apply(&mut self, w: &RecordWrite) {
        for term in &w.delta.remove {
            self.remove(term, &w.id);
        }
        for term in &w.delta.add {
            self.add(term, &w.id);
        }
    }

    /// Adds the rewritten chunks of every changed term to `batch`.
    pub(super) fn stage(
        self,
        store: &SledStore,
        batch: &mut ::sled::Batch,
    ) -> Result<(), StoreError> {
        for (term, changes) in self.terms {
            stage_term(store, batch, &term, changes)?;
        }
        Ok(())
    }
}

/// The chunks of `term` holding the changed records, loaded, changed and written back.
fn stage_term(
    store: &SledStore,
    batch: &mut ::sled::Batch,
    term: &[u8],
    changes: Changes,
) -> Result<(), StoreError> {
    // Chunks by the key they are stored under (a new one: its first record's), with
    // their records as changed so far.
    let mut chunks: BTreeMap<Vec<u8>, Vec<RecordId>> = BTreeMap::new();
    let adds = changes.add.iter().map(|r| (r, true));
    for (record, add) in adds.chain(changes.remove.iter().map(|r| (r, false))) {
        let key = match chunk_for(store, term, record, &chunks)? {
            Some(key) => key,
            // The term has no chunk yet: this record starts one.
            None if add => keys::index(term, record),
            None => continue,
        };
        if !chunks.contains_key(&key) {
            let ids = load(store, &key)?;
            chunks.insert(key.clone(), ids);
        }
        let ids = chunks.entry(key).or_default();
        match ids.binary_search(record) {
            Ok(i) if !add => {
                ids.remove(i);
            }
            Err(i) if add => ids.insert(i, record.clone()),
            _ => {}
        }
    }
    for (old_key, ids) in chunks {
        write_chunks(batch, term, &old_key, ids)?;
    }
    Ok(())
}

/// The key of the chunk of `term` a record belongs in: the last one starting at or
/// before it, else the term's first; `None` when the term has no chunk. Chunks loaded or
/// started in this batch count as well as stored ones.
fn chunk_for(
    store: &SledStore,
    term: &[u8],
    record: &RecordId,
    loaded: &BTreeMap<Vec<u8>, Vec<RecordId>>,
) -> Result<Option<Vec<u8>>, StoreError> {
    let at = keys::index(term, record);
    let prefix = [keys::INDEX, term].concat();
    let stored_before = store
        .db
        .range::<Vec<u8>, _>((Bound::Included(prefix.clone()), Bound::Included(at.clone())))
        .next_back()
        .transpose()
        .map_err(engine)?
        .map(|(k, _)| k.to_vec());
    let loaded_before = loaded.range(..=at).next_back().map(|(k, _)| k.clone());
    if let Some(k) = stored_before.into_iter().chain(loaded_before).max() {
        return Ok(Some(k));
    }
    let stored_first = store
        .db
        .scan_prefix(&prefix)
        .next()
        .transpose()
        .map_err(engine)?
        .map(|(k, _)| k.to_vec());
    Ok(stored_first
        .into_iter()
        .chain(loaded.keys().next().cloned())
        .min())
}

/// Writes the chunk once keyed `old_key` (with `ids` now): removed when empty, re-keyed
/// when its first record changed, split when over [`MAX_CHUNK`].
fn write_chunks(
    batch: &mut ::sled::Batch,
    term: &[u8],
    old_key: &[u8],
    ids: Vec<RecordId>,
) -> Result<(), StoreError> {
    batch.remove(old_key);
    let size = if ids.len() > MAX_CHUNK {
        MAX_CHUNK / 2
    } else {
        MAX_CHUNK
    };
    for part in ids.chunks(size) {
        let key = keys::index(term, &part[0]);
        batch.insert(key, encoded(&Chunk(part.to_vec()))?);
    }
    Ok(())
}

/// Chunks are loaded with the records of the term found at their key.
pub(super) fn load(store: &SledStore, key: &[u8]) -> Result<Vec<RecordId>, StoreError> {
    match store.db.get(key).map_err(engine)? {
        Some(v) => values::decode::<Chunk>(&"an index chunk", &v).map(|c| c.0),
        None => Ok(Vec::new()),
    }
}

/// The index entries between the bounds (over entry keys: term, record id, id length),
/// at most `limit`, in key order, read chunk by chunk.
pub(super) fn range(
    store: &SledStore,
    start: Bound<Vec<u8>>,
    end: Bound<Vec<u8>>,
    limit: usize,
) -> Result<Vec<IndexHit>, StoreError> {
    let from = match &start {
        Bound::Included(k) | Bound::Excluded(k) => [keys::INDEX, k].concat(),
        Bound::Unbounded => keys::INDEX.to_vec(),
    };
    // The chunk holding the start, if one begins before it.
    let first = store
        .db
        .range::<Vec<u8>, _>((
            Bound::Included(keys::INDEX.to_vec()),
            Bound::Included(from.clone()),
        ))
        .next_back()
        .transpose()
        .map_err(engine)?
        .map_or(from, |(k, _)| k.to_vec());
    let mut out = Vec::new();
    for entry in store.db.range::<Vec<u8>, _>(first..) {
        let (key, value) = entry.map_err(engine)?;
        let Some(chunk_key) = key.strip_prefix(keys::INDEX) else {
            break;
        };
        let term = term_of(chunk_key)?;
        let chunk: Chunk = values::decode(&"an index chunk", &value)?;
        for record in chunk.0 {
            let entry_key = keys::index(term, &record)[keys::INDEX.len()..].to_vec();
            if !after_start(&start, &entry_key) {
                continue;
            }
            if !before_end(&end, &entry_key) {
                return Ok(out);
            }
            out.push(IndexHit {
                key: entry_key,
                record,
            });
            if out.len() >= limit {
                return Ok(out);
            }
        }
    }
    Ok(out)
}

/// The term of a chunk key (without `X/`): what is left without its first record id.
fn term_of(chunk_key: &[u8]) -> Result<&[u8], StoreError> {
    let bad = || StoreError::Corrupt("an index chunk key has no valid record id".into());
    let (&len, rest) = chunk_key.split_last().ok_or_else(bad)?;
    let cut = rest.len().checked_sub(usize::from(len)).ok_or_else(bad)?;
    Ok(&rest[..cut])
}

fn after_start(start: &Bound<Vec<u8>>, key: &[u8]) -> bool {
    match start {
        Bound::Included(s) => key >= s.as_slice(),
        Bound::Excluded(s) => key > s.as_slice(),
        Bound::Unbounded => true,
    }
}

fn before_end(end: &Bound<Vec<u8>>, key: &[u8]) -> bool {
    match end {
        Bound::Included(e) => key <= e.as_slice(),
        Bound::Excluded(e) => key < e.as_slice(),
        Bound::Unbounded => true,
    }
}

#[cfg(test)]
mod tests;
