//! Opening a data dir, upgrading it in place when an older build wrote it.
//!
//! Schema 1 kept each record as the API message with its whole history. Schema 2 keeps
//! the typed state, one history step per event, indexes and figure counters. The upgrade
//! replays the schema-1 log in order through the same path events take when they arrive
//! ([`crate::ingest`]), keeping every event's seq (peers' cursors point at them) and the
//! log id; then it copies the peers' cursors, the client request ids and the signer
//! certificates, and only then marks the data dir as schema 2 and removes the old keys.
//! A crash before that mark leaves schema 1 in place, and the next start begins again.

use std::sync::Arc;
use std::time::Instant;

use lianluo_proto::EventBody;
use prost::Message;

use crate::ingest::{self, Incoming};
use crate::store::{self, Commit, LegacyLayout, Store, StoreError, StoreOptions, StoredEvent};

/// Events replayed per commit.
const CHUNK: usize = 1024;

/// Opens the store in `dir` for `city`, upgrading a schema-1 data dir first.
pub fn open(
    dir: &std::path::Path,
    city: &str,
    options: StoreOptions,
) -> Result<Arc<dyn Store>, StoreError> {
    let store = store::open_sled(dir, city, options)?;
    if let Some(legacy) = store.legacy() {
        upgrade(store.as_ref(), legacy, city)?;
    }
    recount_outdated(store.as_ref(), city)?;
    reindex_after_rollback(store.as_ref())?;
    Ok(store)
}

/// When a build that indexed titles only wrote to this data dir after it was indexed
/// for text search (a rollback and back), its records lack text postings: any title gram
/// it wrote shows it, and every record is indexed again.
fn reindex_after_rollback(store: &dyn Store) -> Result<(), StoreError> {
    let legacy = crate::projection::index::legacy_title_gram_prefix();
    let mut end = legacy.clone();
    end.push(u8::MAX);
    let found = store.index_range(
        std::ops::Bound::Included(legacy),
        std::ops::Bound::Excluded(end),
        1,
    )?;
    if found.is_empty() {
        return Ok(());
    }
    tracing::info!("an older build indexed records by title only: indexing every text again");
    let records = crate::recount::reindex_text(store)?;
    store.flush()?;
    tracing::info!(records, "records indexed again for text search");
    Ok(())
}

/// When an older build kept the data dir's states and counters (they miss what this
/// build keeps), folds its records again from their events where they differ and
/// recounts the counters, before the node serves them.
pub fn recount_outdated(store: &dyn Store, city: &str) -> Result<(), StoreError> {
    let found = store.counters_version()?;
    if found >= store::COUNTERS_VERSION {
        return Ok(());
    }
    let started = Instant::now();
    tracing::info!(
        from = found,
        to = store::COUNTERS_VERSION,
        "folding records again and recounting the figures an older build kept"
    );
    let done = crate::recount::recount(store, city, true)?;
    tracing::info!(
        records = done.records,
        events = done.events,
        records_refolded = done.refolded,
        records_reindexed = done.reindexed,
        counters_changed = done.differences.len(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "figure counters recounted"
    );
    Ok(())
}

/// What an upgrade did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Upgraded {
    /// Events replayed.
    pub events: u64,
    /// Peer cursors kept.
    pub cursors: u64,
    /// Client request ids kept.
    pub requests: u64,
}

/// Rebuilds `store` (schema 2) from `legacy` (schema 1) and finishes the upgrade.
pub fn upgrade(
    store: &dyn Store,
    legacy: &dyn LegacyLayout,
    own: &str,
) -> Result<Upgraded, StoreError> {
    let started = Instant::now();
    tracing::info!(
        "upgrading the data dir from schema 1 to {}",
        store::SCHEMA_VERSION
    );
    store.add_signer_certs(&legacy.signer_certs()?)?;
    let mut done = Upgraded::default();
    let mut after = 0;
    loop {
        let page = legacy.events_after(after, CHUNK)?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        done.events += replay(store, own, page)?;
    }
    for (key, record) in legacy.requests()? {
        let commit = Commit {
            request: Some((key, record)),
            ..Commit::default()
        };
        store.commit(commit)?;
        done.requests += 1;
    }
    for (peer, cursor) in legacy.cursors()? {
        let commit = Commit {
            cursor: Some((peer, cursor)),
            ..Commit::default()
        };
        store.commit(commit)?;
        done.cursors += 1;
    }
    store.flush()?;
    legacy.finish()?;
    tracing::info!(
        events = done.events,
        cursors = done.cursors,
        requests = done.requests,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "data dir upgraded"
    );
    Ok(done)
}

/// Replays one page of the old log; every event must keep its seq.
fn replay(store: &dyn Store, own: &str, page: Vec<StoredEvent>) -> Result<u64, StoreError> {
    let expected: Vec<u64> = page.iter().map(|e| e.seq).collect();
    let incoming = page
        .into_iter()
        .map(|e| {
            let body = EventBody::decode(e.signed.body.as_slice()).map_err(|err| {
                StoreError::Corrupt(format!("schema-1 event {} does not decode: {err}", e.id))
            })?;
            Ok(Incoming {
                id: e.id,
                signed: e.signed,
                body,
                verified: e.verified,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    let planned = ingest::plan(store, own, incoming)?;
    let seqs = store.commit(planned.commit)?;
    if seqs != expected {
        return Err(StoreError::Corrupt(format!(
            "the schema-1 log is not dense (seqs {:?}… became {:?}…); restore the data dir \
             from a backup",
            expected.iter().take(3).collect::<Vec<_>>(),
            seqs.iter().take(3).collect::<Vec<_>>()
        )));
    }
    Ok(seqs.len() as u64)
}
