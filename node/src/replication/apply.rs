//! The sink's decisions for one batch, without I/O beyond store reads: screen each event
//! (duplicate, signature, record id), order the acceptable ones parents first together
//! with the peer's events still waiting, fold every touched record to see whether this
//! city takes part in it, and settle what is left: wait or refuse.
//!
//! A serving peer's log holds an event's parents before the event, visible to the same
//! cities, so once a batch covers an event's seq (`covered_seq`), a parent still missing
//! cannot come from that peer any more: it was refused here or never existed, and the
//! event is refused too. Only events past `covered_seq` wait: the server covers `seq - 1`
//! when a part ends inside a group of events sharing one seq (a newly added participant's
//! record), and the rest of the group comes in the peer's next part. So the peer's cursor
//! always moves to `covered_seq`, and nothing waits on another peer.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use lianluo_federation::envelope::{event_id, SignerDirectory};
use lianluo_proto::{EventBody, Record, SignedEvent, SyncEvent};

use super::{fold_inputs, PENDING_MAX};
use crate::domain::{self, FoldEvent};
use crate::store::{Commit, Cursor, NewEvent, Store, StoreError};

/// A verified event from a peer, with where it sits in that peer's log.
#[derive(Debug, Clone)]
pub(super) struct Candidate {
    /// The peer's log id when it was sent.
    pub log_id: String,
    /// Its seq in that log.
    pub seq: u64,
    /// Event id.
    pub id: String,
    /// The envelope as received.
    pub signed: SignedEvent,
    /// The verified, decoded body.
    pub body: EventBody,
}

/// Events waiting for the rest of a split group, per peer city, in arrival order.
pub(super) type Pending = BTreeMap<String, Vec<Candidate>>;

/// What the sink applies: who sent the batch and what it covers.
pub(super) struct Batch<'a> {
    /// This node's city.
    pub own: &'a str,
    /// The sending peer.
    pub peer: &'a str,
    /// The peer's log id.
    pub log_id: &'a str,
    /// The peer's log is covered up to here.
    pub covered_seq: u64,
    /// The id of the peer's log entry at `covered_seq`.
    pub covered_event_id: &'a str,
    /// The events, in the peer's log order.
    pub events: Vec<SyncEvent>,
}

/// The outcome of planning one batch.
#[derive(Debug, Default)]
pub(super) struct Plan {
    /// Events, record views and cursor to commit as one.
    pub commit: Commit,
    /// Events of the batch already held (or repeated in it).
    pub duplicates: usize,
    /// Events refused: of the batch, or waiting ones the batch showed cannot complete.
    pub rejected: usize,
    /// The pending set after the commit.
    pub pending: Pending,
    /// Events from this peer still waiting.
    pub pending_from_peer: usize,
    /// The cursor seq committed for the peer.
    pub cursor_seq: u64,
}

/// Plans `batch` against the store and the events already `pending`.
pub(super) fn plan(
    store: &dyn Store,
    signers: &SignerDirectory,
    pending: &Pending,
    batch: Batch<'_>,
) -> Result<Plan, StoreError> {
    let mut plan = Plan::default();
    let mut known = Known::new(store);
    let fresh = screen(signers, &mut known, &batch, &mut plan)?;
    let candidates = with_waiting(pending, &batch, fresh);
    let decided = decide(store, signers, batch.own, &mut known, candidates)?;
    let waiting = settle(&batch, &mut known, decided.left, &mut plan)?;
    plan.pending_from_peer = waiting.len();
    plan.pending = others_waiting(pending, batch.peer, &known.accepted);
    if !waiting.is_empty() {
        plan.pending.insert(batch.peer.to_owned(), waiting);
    }
    plan.commit.records = decided.records;
    plan.commit.events = decided
        .accepted
        .into_iter()
        .map(|c| NewEvent {
            id: c.id,
            record_id: c.body.record_id,
            signed: c.signed,
        })
        .collect();
    // Whatever waits is past `covered_seq`, so the cursor never stays behind it.
    plan.cursor_seq = batch.covered_seq;
    plan.commit.cursor = Some((
        batch.peer.to_owned(),
        Cursor {
            log_id: batch.log_id.to_owned(),
            seq: batch.covered_seq,
            event_id: batch.covered_event_id.to_owned(),
        },
    ));
    Ok(plan)
}

/// Which event ids are held: stored, or accepted earlier in this plan.
struct Known<'s> {
    store: &'s dyn Store,
    stored: HashMap<String, bool>,
    accepted: BTreeSet<String>,
}

impl<'s> Known<'s> {
    fn new(store: &'s dyn Store) -> Self {
        Self {
            store,
            stored: HashMap::new(),
            accepted: BTreeSet::new(),
        }
    }

    fn has(&mut self, id: &str) -> Result<bool, StoreError> {
        if self.accepted.contains(id) {
            return Ok(true);
        }
        if let Some(&s) = self.stored.get(id) {
            return Ok(s);
        }
        let s = self.store.event(id)?.is_some();
        self.stored.insert(id.to_owned(), s);
        Ok(s)
    }

    /// The smallest parent not held, if any.
    fn missing_parent(&mut self, parents: &[String]) -> Result<Option<String>, StoreError> {
        let mut missing: Option<&String> = None;
        for p in parents {
            if !self.has(p)? && missing.is_none_or(|m| p < m) {
                missing = Some(p);
            }
        }
        Ok(missing.cloned())
    }
}

/// Drops duplicates and refuses what does not verify or names no valid record id.
fn screen(
    signers: &SignerDirectory,
    known: &mut Known<'_>,
    batch: &Batch<'_>,
    plan: &mut Plan,
) -> Result<Vec<Candidate>, StoreError> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for ev in &batch.events {
        let Some(signed) = &ev.event else {
            refuse(plan, batch.peer, "(none)", "the batch entry has no event");
            continue;
        };
        let id = event_id(&signed.body);
        // Only a verified copy counts as seen: a forged copy of an event (same body, bad
        // signature) must not shadow the genuine one behind it.
        if seen.contains(&id) || known.has(&id)? {
            plan.duplicates += 1;
            continue;
        }
        let verified = match signers.verify(signed) {
            Ok(v) => v,
            Err(e) => {
                refuse(plan, batch.peer, &id, &e.to_string());
                continue;
            }
        };
        if domain::record_origin(&verified.body.record_id).is_none() {
            let reason = format!(
                "record_id {:?} is not <city>-<ULID>",
                verified.body.record_id.escape_debug().to_string()
            );
            refuse(plan, batch.peer, &id, &reason);
            continue;
        }
        seen.insert(id.clone());
        out.push(Candidate {
            log_id: batch.log_id.to_owned(),
            seq: ev.seq,
            id,
            signed: signed.clone(),
            body: verified.body,
        });
    }
    Ok(out)
}

fn refuse(plan: &mut Plan, peer: &str, event: &str, reason: &str) {
    plan.rejected += 1;
    tracing::warn!(peer, event, "rejected event from peer: {reason}");
}

/// The peer's events still waiting from the same log (earlier parts of a group come first
/// in the log), then the batch's own; a waiting event sent again counts once.
fn with_waiting(pending: &Pending, batch: &Batch<'_>, fresh: Vec<Candidate>) -> Vec<Candidate> {
    let fresh_ids: BTreeSet<&str> = fresh.iter().map(|c| c.id.as_str()).collect();
    let mut out: Vec<Candidate> = pending
        .get(batch.peer)
        .into_iter()
        .flatten()
        .filter(|c| c.log_id == batch.log_id && !fresh_ids.contains(c.id.as_str()))
        .cloned()
        .collect();
    out.extend(fresh);
    out
}

/// Other peers' waiting events, less those this batch stored.
fn others_waiting(pending: &Pending, peer: &str, accepted: &BTreeSet<String>) -> Pending {
    pending
        .iter()
        .filter(|(p, _)| p.as_str() != peer)
        .map(|(p, waiting)| {
            let rest: Vec<Candidate> = waiting
                .iter()
                .filter(|c| !accepted.contains(&c.id))
                .cloned()
                .collect();
            (p.clone(), rest)
        })
        .filter(|(_, rest)| !rest.is_empty())
        .collect()
}

/// Why a candidate was not accepted.
enum Why {
    /// A parent is not held.
    Blocked,
    /// Its record, folded with it, does not list this city as a participant.
    NotParticipant,
}

/// What [`decide`] accepts, and what it leaves.
#[derive(Default)]
struct Decided {
    /// Accepted events, parents before children.
    accepted: Vec<Candidate>,
    /// The folded views of the records they belong to.
    records: Vec<Record>,
    /// Events not accepted, with why.
    left: Vec<(Candidate, Why)>,
}

/// Per record: accepts the candidates whose parents are held, then folds the record over
/// its stored events and those. The record's events are kept only when the folded view
/// lists `own` as a participant: an event naming `own` (a creation, `participant_added`)
/// counts only if the fold applies it, so a peer cannot make us take a record by relaying
/// an event the fold refuses.
fn decide(
    store: &dyn Store,
    signers: &SignerDirectory,
    own: &str,
    known: &mut Known<'_>,
    candidates: Vec<Candidate>,
) -> Result<Decided, StoreError> {
    let mut groups: Vec<(String, Vec<Candidate>)> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for c in candidates {
        let i = *index.entry(c.body.record_id.clone()).or_insert_with(|| {
            groups.push((c.body.record_id.clone(), Vec::new()));
            groups.len() - 1
        });
        groups[i].1.push(c);
    }
    let mut out = Decided::default();
    for (rid, group) in groups {
        let (accepted, blocked) = order(known, group)?;
        out.left
            .extend(blocked.into_iter().map(|c| (c, Why::Blocked)));
        if accepted.is_empty() {
            continue;
        }
        match fold_with(store, signers, &rid, &accepted)? {
            Some(record) if record.participants.iter().any(|p| p == own) => {
                out.records.push(record);
                out.accepted.extend(accepted);
            }
            _ => {
                for c in &accepted {
                    known.accepted.remove(&c.id);
                }
                out.left
                    .extend(accepted.into_iter().map(|c| (c, Why::NotParticipant)));
            }
        }
    }
    Ok(out)
}

/// Accepts candidates whose parents are all held, repeating until nothing more can be
/// accepted, so parents precede children. Returns (accepted in order, still blocked).
fn order(
    known: &mut Known<'_>,
    candidates: Vec<Candidate>,
) -> Result<(Vec<Candidate>, Vec<Candidate>), StoreError> {
    let mut queue = candidates;
    let mut accepted = Vec::new();
    loop {
        let mut progress = false;
        let mut rest = Vec::new();
        for c in queue {
            if known.has(&c.id)? {
                // Stored meanwhile (a waiting event another peer delivered).
                continue;
            }
            if known.missing_parent(&c.body.parents)?.is_none() {
                known.accepted.insert(c.id.clone());
                accepted.push(c);
                progress = true;
            } else {
                rest.push(c);
            }
        }
        queue = rest;
        if !progress || queue.is_empty() {
            return Ok((accepted, queue));
        }
    }
}

/// The view of record `rid` folded over its stored events and `accepted`.
fn fold_with(
    store: &dyn Store,
    signers: &SignerDirectory,
    rid: &str,
    accepted: &[Candidate],
) -> Result<Option<Record>, StoreError> {
    let mut inputs = fold_inputs(signers, &store.record_events(rid)?);
    inputs.extend(accepted.iter().map(|c| FoldEvent {
        id: c.id.clone(),
        body: c.body.clone(),
        verified: true,
    }));
    Ok(domain::fold(&inputs).record)
}

/// Events past `covered_seq` wait for the peer's next part (up to [`PENDING_MAX`] per
/// peer); the rest are refused, as the peer has served all it can for them.
fn settle(
    batch: &Batch<'_>,
    known: &mut Known<'_>,
    left: Vec<(Candidate, Why)>,
    plan: &mut Plan,
) -> Result<Vec<Candidate>, StoreError> {
    let mut waiting = Vec::new();
    for (c, why) in left {
        if c.seq > batch.covered_seq {
            if waiting.len() < PENDING_MAX {
                waiting.push(c);
            } else {
                let reason = format!(
                    "{PENDING_MAX} events from this peer already wait for the rest of seq {}",
                    c.seq
                );
                refuse(plan, batch.peer, &c.id, &reason);
            }
            continue;
        }
        match why {
            Why::NotParticipant => {
                let reason = format!(
                    "{} does not participate in record {}",
                    batch.own, c.body.record_id
                );
                refuse(plan, batch.peer, &c.id, &reason);
            }
            Why::Blocked => {
                let parent = known.missing_parent(&c.body.parents)?.unwrap_or_default();
                plan.rejected += 1;
                tracing::warn!(
                    peer = batch.peer,
                    event = %c.id,
                    parent = %parent,
                    covered = batch.covered_seq,
                    "rejected event from peer: its parent is missing although the peer \
                     has served its log up to the event (the parent was refused here or \
                     never existed)"
                );
            }
        }
    }
    Ok(waiting)
}
