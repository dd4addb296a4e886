//! Staging a group of [`Commit`]s as one sled batch: new events and their log entries,
//! record entries and history steps, index entries, counters and distinct-set members,
//! idempotency keys and peer cursors. Runs under the store's write lock, so the counter
//! read-modify-writes never interleave; counters the commits share are written once.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::super::keys;
use super::super::values::{
    self, CursorValue, EquivocationValue, EventValue, HistoryChunk, LogProofValue, ParkedValue,
};
use super::super::{Commit, RecordEntry, RecordWrite, StoreError, HISTORY_CHUNK};
use super::postings::Postings;
use super::{encoded, engine, SledStore};
use crate::domain::{EventId, RecordId};
use crate::projection::MemberKey;

/// A group of commits staged as one batch.
pub(super) struct Staged {
    pub batch: ::sled::Batch,
    /// Each commit's seqs, or why it was refused (nothing of it was staged).
    pub results: Vec<Result<Vec<u64>, StoreError>>,
    /// How many seqs the group used.
    pub used: u64,
}

/// The batch for a group of commits, in order.
pub(super) fn stage(
    store: &SledStore,
    commits: &[Commit],
    next_seq: u64,
) -> Result<Staged, StoreError> {
    let mut batch = ::sled::Batch::default();
    let mut counters: BTreeMap<Vec<u8>, i64> = BTreeMap::new();
    let mut members: BTreeMap<&MemberKey, i64> = BTreeMap::new();
    let mut seen: HashSet<EventId> = HashSet::new();
    let mut lineages: HashMap<[u8; 32], EventId> = HashMap::new();
    let mut requests: HashMap<&str, &RecordId> = HashMap::new();
    // Entries written earlier in the group (a record written twice builds on the first).
    let mut entries: HashMap<RecordId, RecordEntry> = HashMap::new();
    let mut postings = Postings::default();
    let mut results = Vec::with_capacity(commits.len());
    let mut seq = next_seq;
    for commit in commits {
        // A commit refused on its own merits is refused alone, before anything of it is
        // staged; the other commits of the group go on. Engine failures fail the group.
        match check_request(store, commit, &requests)
            .and_then(|()| check_histories(store, commit, &mut entries))
        {
            Err(e @ (StoreError::DuplicateRequest { .. } | StoreError::Invalid { .. })) => {
                results.push(Err(e));
                continue;
            }
            r => r?,
        }
        let seqs = stage_events(store, &mut batch, commit, &mut seen, seq)?;
        stage_lineages(store, &mut batch, commit, &mut lineages)?;
        seq += seqs.len() as u64;
        for w in &commit.records {
            stage_record(store, &mut batch, w, &mut entries)?;
            postings.apply(w);
            for (k, d) in &w.delta.counters {
                *counters.entry(k.clone()).or_default() += d;
            }
            for (m, d) in &w.delta.members {
                *members.entry(m).or_default() += d;
            }
        }
        if let Some((key, record_id)) = &commit.request {
            batch.insert(keys::request(key), record_id.as_str().as_bytes());
            requests.insert(key, record_id);
        }
        for id in &commit.unpark {
            batch.remove(keys::parked(id));
        }
        for p in &commit.park {
            let v = ParkedValue {
                peer: p.peer.clone(),
                body: p.signed.body.clone(),
                signature: p.signed.signature.clone(),
                signer_cert_sha256: p.signed.signer_cert_sha256.clone(),
                reason: p.reason.clone(),
                since_ms: p.since_ms,
            };
            batch.insert(keys::parked(&p.id), encoded(&v)?);
        }
        for p in &commit.log_proofs {
            stage_log_proof(&mut batch, p)?;
        }
        if let Some((peer, cursor)) = &commit.cursor {
            stage_checkpoint(store, &mut batch, peer, cursor)?;
            let v = CursorValue {
                log_id: cursor.log_id.clone(),
                seq: cursor.seq,
                event_id: cursor.event_id.clone(),
            };
            batch.insert(keys::cursor(peer), encoded(&v)?);
        }
        results.push(Ok(seqs));
    }
    postings.stage(store, &mut batch)?;
    stage_members(store, &mut batch, members, &mut counters)?;
    stage_counters(store, &mut batch, counters)?;
    Ok(Staged {
        batch,
        results,
        used: seq - next_seq,
    })
}

/// Keeps the entry a peer's log served at the cursor's seq; another entry kept for the
/// same log id and seq means the log was served two ways: its proof is written.
fn stage_checkpoint(
    store: &SledStore,
    batch: &mut ::sled::Batch,
    peer: &str,
    cursor: &crate::store::Cursor,
) -> Result<(), StoreError> {
    if cursor.event_id.is_empty() || cursor.seq == 0 {
        return Ok(());
    }
    // Only the latest position and every CHECKPOINT_EVERY-th are kept: peers compare
    // mostly the latest (heartbeats are at the head), and the store does not grow by one
    // key per batch.
    if let Some(old) = store.db.get(keys::cursor(peer)).map_err(engine)? {
        let old: CursorValue = values::decode(&format_args!("cursor of {peer}"), &old)?;
        if !old.seq.is_multiple_of(CHECKPOINT_EVERY) && old.seq != cursor.seq {
            batch.remove(keys::checkpoint(&old.log_id, old.seq));
        }
    }
    let key = keys::checkpoint(&cursor.log_id, cursor.seq);
    let value = format!("{peer}\n{}", cursor.event_id);
    match store.db.get(&key).map_err(engine)? {
        None => batch.insert(key, value.as_bytes()),
        Some(held) if held.as_ref() == value.as_bytes() => {}
        Some(held) => {
            let held = String::from_utf8_lossy(&held);
            let ours = held.split_once('\n').map_or(&*held, |(_, id)| id);
            if ours == cursor.event_id {
                return Ok(());
            }
            let proof = crate::store::LogEquivocation {
                city: peer.to_owned(),
                log_id: cursor.log_id.clone(),
                seq: cursor.seq,
                ours: ours.to_owned(),
                theirs: cursor.event_id.clone(),
                seen_by: store.meta.city.clone(),
                found_ms: crate::clock::now_ms(),
            };
            stage_log_proof(batch, &proof)?;
        }
    }
    Ok(())
}

/// Every how many seqs of a peer's log a checkpoint is kept for good.
const CHECKPOINT_EVERY: u64 = 1024;

/// Writes the proof of a log served two ways.
fn stage_log_proof(
    batch: &mut ::sled::Batch,
    p: &crate::store::LogEquivocation,
) -> Result<(), StoreError> {
    tracing::warn!(
        city = %p.city,
        log_id = %p.log_id,
        seq = p.seq,
        seen_by = %p.seen_by,
        "log equivocation: {}'s log {} holds {} at seq {} here but {} as seen by {}",
        p.city, p.log_id, p.ours, p.seq, p.theirs, p.seen_by
    );
    let v = LogProofValue {
        city: p.city.clone(),
        ours: p.ours.clone(),
        theirs: p.theirs.clone(),
        seen_by: p.seen_by.clone(),
        found_ms: p.found_ms,
    };
    batch.insert(keys::log_proof(&p.log_id, p.seq), encoded(&v)?);
    Ok(())
}

/// Records each event's lineage; a lineage already held by another event is an
/// equivocation: its proof is written (see [`crate::store::Lineage`]).
fn stage_lineages(
    store: &SledStore,
    batch: &mut ::sled::Batch,
    commit: &Commit,
    lineages: &mut HashMap<[u8; 32], EventId>,
) -> Result<(), StoreError> {
    for ev in &commit.events {
        let Some(lineage) = &ev.lineage else {
            continue;
        };
        let key = keys::lineage(&lineage.key);
        let first = match lineages.get(&lineage.key) {
            Some(id) => Some(*id),
            None => match store.db.get(&key).map_err(engine)? {
                Some(bytes) => EventId::from_slice(&bytes),
                None => None,
            },
        };
        match first {
            None => {
                batch.insert(key, ev.id.as_bytes());
                lineages.insert(lineage.key, ev.id);
            }
            Some(first) if first == ev.id => {}
            Some(first) => {
                tracing::warn!(
                    author = %lineage.author,
                    record = %ev.record_id,
                    first = %first,
                    second = %ev.id,
                    "equivocation: {} signed two different events on one record from the \
                     same parents; both are kept as the proof (lianluo peers, metrics)",
                    lineage.author
                );
                let v = EquivocationValue {
                    record_id: ev.record_id.clone(),
                    author: lineage.author.clone(),
                    found_ms: crate::clock::now_ms(),
                };
                batch.insert(keys::equivocation(&first, &ev.id), encoded(&v)?);
            }
        }
    }
    Ok(())
}

/// Marks a held event verified (a verified copy of it arrived; see `ingest::plan`).
fn reverify(
    store: &SledStore,
    batch: &mut ::sled::Batch,
    id: &EventId,
    seq: &[u8],
) -> Result<(), StoreError> {
    let seq = keys::decode_u64(&format!("seq of event {id}"), seq)?;
    let Some(bytes) = store.db.get(keys::log(seq)).map_err(engine)? else {
        return Ok(());
    };
    let mut v: EventValue = values::decode(&format_args!("log entry {seq}"), &bytes)?;
    if !v.verified {
        v.verified = true;
        batch.insert(keys::log(seq), encoded(&v)?);
    }
    Ok(())
}

/// Adds the events of a commit that are neither stored nor staged earlier in the group;
/// returns their seqs.
fn stage_events(
    store: &SledStore,
    batch: &mut ::sled::Batch,
    commit: &Commit,
    seen: &mut HashSet<EventId>,
    next_seq: u64,
) -> Result<Vec<u64>, StoreError> {
    let mut seqs = Vec::new();
    for ev in &commit.events {
        let key = keys::event(&ev.id);
        if !seen.insert(ev.id) {
            continue;
        }
        if let Some(seq) = store.db.get(&key).map_err(engine)? {
            if ev.verified {
                reverify(store, batch, &ev.id, &seq)?;
            }
            continue;
        }
        let seq = next_seq + seqs.len() as u64;
        let v = EventValue {
            id: ev.id,
            record_id: ev.record_id.clone(),
            verified: ev.verified,
            body: ev.signed.body.clone(),
            signature: ev.signed.signature.clone(),
            signer_cert_sha256: ev.signed.signer_cert_sha256.clone(),
        };
        batch.insert(key, &seq.to_be_bytes());
        batch.insert(keys::log(seq), encoded(&v)?);
        seqs.push(seq);
    }
    Ok(seqs)
}

/// The record's entry with its history tail (full chunks of steps spilled to keys of
/// their own).
fn stage_record(
    store: &SledStore,
    batch: &mut ::sled::Batch,
    w: &RecordWrite,
    entries: &mut HashMap<RecordId, RecordEntry>,
) -> Result<(), StoreError> {
    let old = match entries.remove(&w.id) {
        Some(e) => Some(e),
        None => store.load_record(&w.id)?,
    };
    let (old_steps, old_tail) = old.map_or((0, Vec::new()), |e| (e.steps, e.tail));
    check_history(w, old_steps)?;
    let h = &w.history;
    let chunk = HISTORY_CHUNK as u32;
    let (base, mut steps) = if h.from == 0 {
        for c in 0..old_steps / chunk {
            batch.remove(keys::history(&w.id, c));
        }
        (0, h.steps.clone())
    } else {
        let base = old_steps - u32::try_from(old_tail.len()).unwrap_or(0);
        (base, [old_tail, h.steps.clone()].concat())
    };
    let full = steps.len() / HISTORY_CHUNK;
    let tail = steps.split_off(full * HISTORY_CHUNK);
    for (i, c) in steps.chunks(HISTORY_CHUNK).enumerate() {
        let n = base / chunk + u32::try_from(i).unwrap_or(u32::MAX);
        batch.insert(keys::history(&w.id, n), encoded(&HistoryChunk(c.to_vec()))?);
    }
    let entry = RecordEntry {
        tail,
        ..w.entry.clone()
    };
    batch.insert(keys::record(&w.id), encoded(&entry)?);
    entries.insert(w.id.clone(), entry);
    Ok(())
}

/// Refuses a commit whose record writes do not build on the stored (or staged) history,
/// loading the entries it will build on into `entries`.
fn check_histories(
    store: &SledStore,
    commit: &Commit,
    entries: &mut HashMap<RecordId, RecordEntry>,
) -> Result<(), StoreError> {
    for w in &commit.records {
        let steps = match entries.get(&w.id) {
            Some(e) => e.steps,
            None => match store.load_record(&w.id)? {
                Some(e) => {
                    let steps = e.steps;
                    entries.insert(w.id.clone(), e);
                    steps
                }
                None => 0,
            },
        };
        check_history(w, steps)?;
    }
    Ok(())
}

/// The write's history must start over (`from` 0) or continue right after the
/// `old_steps` steps held.
fn check_history(w: &RecordWrite, old_steps: u32) -> Result<(), StoreError> {
    let h = &w.history;
    if h.old_len != old_steps || (h.from != 0 && h.from != old_steps) {
        return Err(StoreError::Invalid {
            field: format!("history of {}", w.id),
            reason: format!(
                "steps from {} over {} stored ones (the store holds {old_steps}); \
                 the record changed meanwhile, retry the call",
                h.from, h.old_len
            ),
        });
    }
    Ok(())
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

/// Refuses a commit whose idempotency key is taken by another record, stored or staged
/// earlier in the group.
fn check_request(
    store: &SledStore,
    commit: &Commit,
    staged: &HashMap<&str, &RecordId>,
) -> Result<(), StoreError> {
    let Some((key, record_id)) = &commit.request else {
        return Ok(());
    };
    let taken = match staged.get(key.as_str()) {
        Some(r) => Some((*r).to_string()),
        None => store
            .db
            .get(keys::request(key))
            .map_err(engine)?
            .map(|v| keys::decode_str("request id", &v))
            .transpose()?,
    };
    match taken {
        Some(existing) if existing != record_id.as_str() => Err(StoreError::DuplicateRequest {
            key: key.clone(),
            record_id: existing,
        }),
        _ => Ok(()),
    }
}
