//! The sink's decisions for one batch, without I/O beyond store reads: screen each event
//! (duplicate, signature, record id; `screen.rs`), order the acceptable ones parents first
//! together with the peer's events still waiting, apply each touched record's events to
//! its stored state (`crate::ingest`) to see whether this city takes part in it, and
//! settle what is left: wait or refuse.
//!
//! A serving peer's log holds an event's parents before the event, visible to the same
//! cities, so once a batch covers an event's seq (`covered_seq`), a parent still missing
//! will not come from that peer in this stream. Such an event is parked (kept in the
//! store, see [`crate::store::ParkedEvent`]), like an event whose signer certificate is not
//! known or not valid yet here: both may pass later (the parent may arrive from another
//! participant, the certificate with a later batch, this node's clock may catch up), and
//! the sink tries parked events again ([`Batch::retry`]). Only refusals that can never
//! pass (bad signature, forged author, not a participant) are final. Events past
//! `covered_seq` wait in memory: the server covers `seq - 1` when a part ends inside a
//! group of events sharing one seq (a newly added participant's record), and the rest of
//! the group comes in the peer's next part. So the peer's cursor always moves to
//! `covered_seq`, and nothing is lost with it.

mod screen;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use lianluo_federation::envelope::SignerDirectory;
use lianluo_proto::SyncEvent;

use super::PENDING_MAX;
use crate::domain::{EventId, RecordId};
use crate::ingest::{self, Incoming};
use crate::store::{Commit, Cursor, ParkedEvent, RecordWrite, Store, StoreError};

/// A verified event from a peer, with where it sits in that peer's log.
#[derive(Debug, Clone)]
pub(super) struct Candidate {
    /// The peer's log id when it was sent.
    pub log_id: String,
    /// Its seq in that log.
    pub seq: u64,
    /// Its record.
    pub record: RecordId,
    /// The event, verified.
    pub event: Incoming,
}

impl Candidate {
    fn id(&self) -> EventId {
        self.event.id
    }
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
    pub events: &'a [SyncEvent],
    /// Parked events tried again (all of them covered): no cursor is written, each one
    /// is unparked unless it is parked again.
    pub retry: bool,
}

/// The outcome of planning one batch.
#[derive(Debug, Default)]
pub(super) struct Plan {
    /// Events, record writes and cursor to commit as one.
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
    /// Events refused for now: kept to be tried again.
    pub parked: usize,
}

/// The events of a batch that are new and verify: what [`plan`] decides on, with the
/// peer's waiting events.
pub(super) struct Screened {
    plan: Plan,
    candidates: Vec<Candidate>,
}

impl Screened {
    /// The records of the batch's new events and of `peer`'s waiting ones (to lock
    /// before [`plan`]).
    pub fn records(&self, pending: &Pending, peer: &str) -> Vec<RecordId> {
        let waiting = pending.get(peer).into_iter().flatten();
        let set: BTreeSet<&RecordId> = self
            .candidates
            .iter()
            .chain(waiting)
            .map(|c| &c.record)
            .collect();
        set.into_iter().cloned().collect()
    }

    /// How many new events claim a time further past this node's clock than the allowed
    /// skew, and the most any of them is ahead.
    pub fn clock_ahead(&self, clock: &crate::clock::HlcClock) -> (usize, std::time::Duration) {
        self.candidates
            .iter()
            .filter_map(|c| clock.ahead(&c.event.body.hlc.unwrap_or_default()))
            .fold((0, std::time::Duration::ZERO), |(n, max), d| {
                (n + 1, max.max(d))
            })
    }
}

/// Drops what is held and verifies the rest of `batch`: CPU work that needs no lock.
pub(super) fn screen(
    store: &dyn Store,
    signers: &SignerDirectory,
    batch: &Batch<'_>,
) -> Result<Screened, StoreError> {
    let mut plan = Plan::default();
    let mut known = Known::screening(store);
    let candidates = screen::screen(signers, &mut known, batch, &mut plan)?;
    Ok(Screened { plan, candidates })
}

/// Plans `batch` (screened) against the store and the events already `pending`. The
/// caller holds the locks of every record in [`Screened::records`].
pub(super) fn plan(
    store: &dyn Store,
    pending: &Pending,
    batch: Batch<'_>,
    screened: Screened,
) -> Result<Plan, StoreError> {
    let Screened {
        mut plan,
        candidates,
    } = screened;
    let candidates = with_waiting(pending, &batch, candidates);
    let mut known = Known::new(store);
    let decided = decide(store, batch.own, &mut known, candidates)?;
    let waiting = settle(&batch, &mut known, decided.left, &mut plan)?;
    plan.pending_from_peer = waiting.len();
    // A retry leaves every peer's waiting events in place (less those it stored).
    let skip = (!batch.retry).then_some(batch.peer);
    plan.pending = others_waiting(pending, skip, &known.accepted);
    if !waiting.is_empty() {
        plan.pending.insert(batch.peer.to_owned(), waiting);
    }
    plan.parked = plan.commit.park.len();
    if batch.retry {
        plan.commit.unpark = batch
            .events
            .iter()
            .filter_map(|e| e.event.as_ref())
            .map(|e| EventId::of_body(&e.body))
            .collect();
        return finish(plan, decided.writes, &decided.accepted, None);
    }
    // Whatever waits is past `covered_seq`, so the cursor never stays behind it.
    plan.cursor_seq = batch.covered_seq;
    let cursor = Cursor {
        log_id: batch.log_id.to_owned(),
        seq: batch.covered_seq,
        event_id: batch.covered_event_id.to_owned(),
    };
    let cursor = Some((batch.peer.to_owned(), cursor));
    finish(plan, decided.writes, &decided.accepted, cursor)
}

fn finish(
    mut plan: Plan,
    writes: Vec<RecordWrite>,
    accepted: &[Candidate],
    cursor: Option<(String, Cursor)>,
) -> Result<Plan, StoreError> {
    plan.commit.records = writes;
    plan.commit.events = accepted
        .iter()
        .map(|c| c.event.to_new_event(&c.record))
        .collect();
    plan.commit.cursor = cursor;
    Ok(plan)
}

/// Which event ids are held: stored, or accepted earlier in this plan.
pub(super) struct Known<'s> {
    store: &'s dyn Store,
    stored: HashMap<EventId, bool>,
    accepted: BTreeSet<EventId>,
    /// Screening: ask the store without waiting for a commit in progress.
    screening: bool,
}

impl<'s> Known<'s> {
    fn new(store: &'s dyn Store) -> Self {
        Self {
            store,
            stored: HashMap::new(),
            accepted: BTreeSet::new(),
            screening: false,
        }
    }

    /// For screening a batch while the batch before it is committed (see
    /// [`Store::has_event_now`]).
    fn screening(store: &'s dyn Store) -> Self {
        Self {
            screening: true,
            ..Self::new(store)
        }
    }

    fn has(&mut self, id: &EventId) -> Result<bool, StoreError> {
        if self.accepted.contains(id) {
            return Ok(true);
        }
        if let Some(&s) = self.stored.get(id) {
            return Ok(s);
        }
        let s = if self.screening {
            self.store.has_event_now(id)?
        } else {
            self.store.has_event(id)?
        };
        self.stored.insert(*id, s);
        Ok(s)
    }

    /// The smallest parent not held, if any (as written in the event).
    fn missing_parent(&mut self, parents: &[String]) -> Result<Option<String>, StoreError> {
        let mut missing: Option<&String> = None;
        for p in parents {
            let held = match EventId::parse(p) {
                Some(id) => self.has(&id)?,
                None => false,
            };
            if !held && missing.is_none_or(|m| p < m) {
                missing = Some(p);
            }
        }
        Ok(missing.cloned())
    }
}

pub(super) fn refuse(plan: &mut Plan, peer: &str, event: &str, reason: &str) {
    plan.rejected += 1;
    tracing::warn!(peer, event, "rejected event from peer: {reason}");
}

/// Keeps an event refused for a reason that may pass later, to try it again.
pub(super) fn park(
    plan: &mut Plan,
    peer: &str,
    id: EventId,
    signed: &lianluo_proto::SignedEvent,
    reason: String,
) {
    tracing::info!(peer, event = %id, "event from peer parked, to be tried again: {reason}");
    plan.commit.park.push(ParkedEvent {
        id,
        peer: peer.to_owned(),
        signed: signed.clone(),
        reason,
        since_ms: crate::clock::now_ms(),
    });
}

/// The peer's events still waiting from the same log (earlier parts of a group come first
/// in the log), then the batch's own; a waiting event sent again counts once.
fn with_waiting(pending: &Pending, batch: &Batch<'_>, fresh: Vec<Candidate>) -> Vec<Candidate> {
    let fresh_ids: BTreeSet<EventId> = fresh.iter().map(Candidate::id).collect();
    let mut out: Vec<Candidate> = pending
        .get(batch.peer)
        .into_iter()
        .flatten()
        .filter(|c| c.log_id == batch.log_id && !fresh_ids.contains(&c.id()))
        .cloned()
        .collect();
    out.extend(fresh);
    out
}

/// Other peers' waiting events (all peers' when `skip` is `None`), less those this batch
/// stored.
fn others_waiting(pending: &Pending, skip: Option<&str>, accepted: &BTreeSet<EventId>) -> Pending {
    pending
        .iter()
        .filter(|(p, _)| Some(p.as_str()) != skip)
        .map(|(p, waiting)| {
            let rest: Vec<Candidate> = waiting
                .iter()
                .filter(|c| !accepted.contains(&c.id()))
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
    /// Its record, with it applied, does not list this city as a participant.
    NotParticipant,
}

/// What [`decide`] accepts, and what it leaves.
#[derive(Default)]
struct Decided {
    /// Accepted events, parents before children.
    accepted: Vec<Candidate>,
    /// The writes of the records they belong to.
    writes: Vec<RecordWrite>,
    /// Events not accepted, with why.
    left: Vec<(Candidate, Why)>,
}

/// Per record: accepts the candidates whose parents are held, then applies them to the
/// record's stored state. The record's events are kept only when the resulting state
/// lists `own` as a participant: an event naming `own` (a creation, `participant_added`)
/// counts only if it is applied, so a peer cannot make us take a record by relaying an
/// event the fold refuses.
fn decide(
    store: &dyn Store,
    own: &str,
    known: &mut Known<'_>,
    candidates: Vec<Candidate>,
) -> Result<Decided, StoreError> {
    let mut groups: Vec<(RecordId, Vec<Candidate>)> = Vec::new();
    let mut index: HashMap<RecordId, usize> = HashMap::new();
    for c in candidates {
        let i = *index.entry(c.record.clone()).or_insert_with(|| {
            groups.push((c.record.clone(), Vec::new()));
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
        let events: Vec<Incoming> = accepted.iter().map(|c| c.event.clone()).collect();
        let advanced = ingest::advance(store, own, &rid, &events)?;
        if advanced
            .state()
            .is_some_and(|s| s.participants().iter().any(|p| p == own))
        {
            out.writes.push(advanced.write);
            out.accepted.extend(accepted);
        } else {
            for c in &accepted {
                known.accepted.remove(&c.id());
            }
            out.left
                .extend(accepted.into_iter().map(|c| (c, Why::NotParticipant)));
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
            if known.has(&c.id())? {
                // Stored meanwhile (a waiting event another peer delivered).
                continue;
            }
            if known.missing_parent(&c.event.body.parents)?.is_none() {
                known.accepted.insert(c.id());
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

/// Events past `covered_seq` wait for the peer's next part (up to [`PENDING_MAX`] per
/// peer, parked beyond); covered events whose parent is missing are parked, as the parent
/// may still come from another participant, and so are events of records this city does
/// not take part in: the act that adds it may come later (the rest of a split group).
fn settle(
    batch: &Batch<'_>,
    known: &mut Known<'_>,
    left: Vec<(Candidate, Why)>,
    plan: &mut Plan,
) -> Result<Vec<Candidate>, StoreError> {
    let mut waiting = Vec::new();
    for (c, why) in left {
        if c.seq > batch.covered_seq && waiting.len() < PENDING_MAX {
            waiting.push(c);
            continue;
        }
        let reason = match why {
            Why::NotParticipant => {
                format!(
                    "{} does not participate in record {} (yet)",
                    batch.own, c.record
                )
            }
            Why::Blocked if c.seq > batch.covered_seq => {
                format!("{PENDING_MAX} events from this peer already wait in memory")
            }
            Why::Blocked => {
                let parent = known
                    .missing_parent(&c.event.body.parents)?
                    .unwrap_or_default();
                format!("its parent {parent} is not held here yet")
            }
        };
        park(plan, batch.peer, c.id(), &c.event.signed, reason);
    }
    Ok(waiting)
}
