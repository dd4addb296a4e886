//! The sink's decisions for one batch, without I/O beyond store reads: screen each event
//! (duplicate, signature, record id, participation), order the acceptable ones parents
//! first together with the events already waiting, fold every touched record, and work
//! out the cursor the peer may durably move to.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use lianluo_federation::envelope::{event_id, SignerDirectory};
use lianluo_proto::{change::Kind, EventBody, Record, SignedEvent, SyncEvent};

use super::{fold_inputs, PENDING_MAX};
use crate::domain::{self, FoldEvent};
use crate::store::{Commit, Cursor, NewEvent, Store, StoreError};

/// A verified event from a peer, with where it sits in that peer's log.
#[derive(Debug, Clone)]
pub(super) struct Candidate {
    /// The peer city that sent it.
    pub peer: String,
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
    /// True when it came in the batch being applied (false: it was waiting already).
    pub fresh: bool,
}

/// Events waiting for missing parents, keyed by (peer, event id).
pub(super) type Pending = BTreeMap<(String, String), Candidate>;

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
    /// Events of the batch refused.
    pub rejected: usize,
    /// The pending set after the commit.
    pub pending: Pending,
    /// Events from this peer still waiting (kept or not).
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
    let screened = screen(signers, &mut known, &batch, &mut plan)?;
    let waiting: Vec<Candidate> = pending
        .values()
        .filter(|c| c.peer != batch.peer || c.log_id == batch.log_id)
        .map(|c| Candidate {
            fresh: false,
            ..c.clone()
        })
        .collect();
    let fresh = participating(store, batch.own, screened, &waiting, &mut plan)?;
    let (accepted, deferred) = order(&mut known, fresh, waiting)?;
    plan.commit.records = fold_records(store, signers, &accepted)?;
    plan.commit.events = accepted
        .into_iter()
        .map(|c| NewEvent {
            id: c.id,
            record_id: c.body.record_id,
            signed: c.signed,
        })
        .collect();
    let from_peer = |c: &&Candidate| c.peer == batch.peer && c.log_id == batch.log_id;
    let floor = deferred.iter().filter(from_peer).map(|c| c.seq).min();
    // A waiting event the peer sent again is deferred twice; count it once.
    let waiting_ids: BTreeSet<&str> = deferred
        .iter()
        .filter(from_peer)
        .map(|c| c.id.as_str())
        .collect();
    plan.pending_from_peer = waiting_ids.len();
    plan.cursor_seq = floor.map_or(batch.covered_seq, |f| {
        f.saturating_sub(1).min(batch.covered_seq)
    });
    plan.commit.cursor = Some((
        batch.peer.to_owned(),
        Cursor {
            log_id: batch.log_id.to_owned(),
            seq: plan.cursor_seq,
        },
    ));
    plan.pending = keep_pending(batch.own, deferred);
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
            peer: batch.peer.to_owned(),
            log_id: batch.log_id.to_owned(),
            seq: ev.seq,
            id,
            signed: signed.clone(),
            body: verified.body,
            fresh: true,
        });
    }
    Ok(out)
}

fn refuse(plan: &mut Plan, peer: &str, event: &str, reason: &str) {
    plan.rejected += 1;
    tracing::warn!(peer, event, "rejected event from peer: {reason}");
}

/// Keeps the events of records `own` participates in: per the stored record view, or a
/// creation or `participant_added` among the candidates naming `own`. A record with
/// stored events but no view (its creation never folded) was accepted before, so counts.
fn participating(
    store: &dyn Store,
    own: &str,
    fresh: Vec<Candidate>,
    waiting: &[Candidate],
    plan: &mut Plan,
) -> Result<Vec<Candidate>, StoreError> {
    let mut answers: HashMap<String, bool> = HashMap::new();
    for c in &fresh {
        let rid = &c.body.record_id;
        if !answers.contains_key(rid) {
            let ok = participates(store, own, rid, fresh.iter().chain(waiting))?;
            answers.insert(rid.clone(), ok);
        }
    }
    let mut out = Vec::with_capacity(fresh.len());
    for c in fresh {
        if answers.get(&c.body.record_id).copied().unwrap_or(false) {
            out.push(c);
        } else {
            let reason = format!("{own} does not participate in record {}", c.body.record_id);
            refuse(plan, &c.peer, &c.id, &reason);
        }
    }
    Ok(out)
}

fn participates<'a>(
    store: &dyn Store,
    own: &str,
    rid: &str,
    mut candidates: impl Iterator<Item = &'a Candidate>,
) -> Result<bool, StoreError> {
    let view = store.record(rid)?;
    if view
        .as_ref()
        .is_some_and(|r| r.participants.iter().any(|p| p == own))
    {
        return Ok(true);
    }
    if candidates.any(|c| c.body.record_id == rid && names(&c.body, own)) {
        return Ok(true);
    }
    Ok(view.is_none() && !store.record_events(rid)?.is_empty())
}

/// Whether a body makes `city` a participant: a creation listing it, or
/// `participant_added` naming it.
fn names(body: &EventBody, city: &str) -> bool {
    let added = matches!(
        body.change.as_ref().and_then(|c| c.kind.as_ref()),
        Some(Kind::ParticipantAdded(p)) if p.city == city
    );
    added || body.participants.iter().any(|p| p == city)
}

/// Accepts candidates whose parents are all held, repeating until nothing more can be
/// accepted; the batch's own events go first in log order, so parents precede children.
/// Returns (accepted in order, still waiting).
fn order(
    known: &mut Known<'_>,
    fresh: Vec<Candidate>,
    waiting: Vec<Candidate>,
) -> Result<(Vec<Candidate>, Vec<Candidate>), StoreError> {
    let mut queue = fresh;
    queue.extend(waiting);
    let mut accepted = Vec::new();
    loop {
        let mut progress = false;
        let mut rest = Vec::new();
        for c in queue {
            if known.has(&c.id)? {
                // Accepted through another copy, or stored meanwhile.
                continue;
            }
            if all_held(known, &c.body.parents)? {
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

fn all_held(known: &mut Known<'_>, parents: &[String]) -> Result<bool, StoreError> {
    for p in parents {
        if !known.has(p)? {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Folds every record touched by `accepted` over its stored and new events.
fn fold_records(
    store: &dyn Store,
    signers: &SignerDirectory,
    accepted: &[Candidate],
) -> Result<Vec<Record>, StoreError> {
    let mut touched: Vec<&str> = Vec::new();
    for c in accepted {
        if !touched.contains(&c.body.record_id.as_str()) {
            touched.push(&c.body.record_id);
        }
    }
    let mut records = Vec::with_capacity(touched.len());
    for rid in touched {
        let mut inputs = fold_inputs(signers, &store.record_events(rid)?);
        inputs.extend(
            accepted
                .iter()
                .filter(|c| c.body.record_id == rid)
                .map(|c| FoldEvent {
                    id: c.id.clone(),
                    body: c.body.clone(),
                    verified: true,
                }),
        );
        if let Some(record) = domain::fold(&inputs).record {
            records.push(record);
        }
    }
    Ok(records)
}

/// The pending set after the commit: events already waiting first, then the batch's new
/// ones while there is room (the rest are served again, as the cursor stays before them).
/// An event making `own` a participant is always kept: the record's earlier events that
/// follow it are accepted on its word.
fn keep_pending(own: &str, mut deferred: Vec<Candidate>) -> Pending {
    deferred.sort_by_key(|c| c.fresh);
    let mut out = Pending::new();
    for c in deferred {
        if c.fresh && out.len() >= PENDING_MAX && !names(&c.body, own) {
            continue;
        }
        out.insert((c.peer.clone(), c.id.clone()), c);
    }
    out
}
