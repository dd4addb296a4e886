//! Events entering the node: from the node's own writes, from peers, from a backup being
//! restored or from a schema-1 log being upgraded. [`advance`] applies one record's new
//! events to its stored entry and says what to write; [`plan`] does it for events of any
//! number of records and builds the [`Commit`].
//!
//! An event whose parents are exactly the record's current heads (every local act, and
//! every event of a history without concurrent branches) is applied to the stored state
//! as is: the cost is the event's. Anything else — concurrent acts from two cities, a
//! parent missing — re-folds the record from all its events (`domain::fold`), which costs
//! the record's history, and gives exactly what a fold of every event gives (the property
//! test in `ingest/tests.rs` holds both paths to it).
//!
//! Callers hold the record's lock (see `crate::locks`) from reading its entry to the
//! commit, so no other write of the record interleaves.

use std::collections::BTreeMap;

use lianluo_proto::{EventBody, SignedEvent};
use prost::Message;

use crate::domain::{self, EventId, FoldEvent, RecordId, RecordState};
use crate::projection::Delta;
use crate::store::{
    Commit, Head, HistoryStep, HistoryWrite, Lineage, NewEvent, RecordEntry, RecordWrite, Store,
    StoreError,
};

#[cfg(test)]
mod tests;

/// An event entering the node, with its decoded body.
#[derive(Debug, Clone, PartialEq)]
pub struct Incoming {
    /// SHA-256 of the body bytes.
    pub id: EventId,
    /// The envelope exactly as made or received.
    pub signed: SignedEvent,
    /// The decoded body (of exactly `signed.body`).
    pub body: EventBody,
    /// Whether the signature was verified (our own events are).
    pub verified: bool,
}

impl Incoming {
    /// The event as the fold takes it.
    pub fn fold_event(&self) -> FoldEvent {
        FoldEvent {
            id: self.id.hex(),
            body: self.body.clone(),
            verified: self.verified,
        }
    }

    fn head(&self) -> Head {
        let hlc = self.body.hlc.unwrap_or_default();
        Head {
            id: self.id,
            wall_ms: hlc.wall_ms,
            counter: hlc.counter,
        }
    }

    /// The event to log.
    pub fn to_new_event(&self, record_id: &RecordId) -> NewEvent {
        NewEvent {
            id: self.id,
            record_id: record_id.clone(),
            verified: self.verified,
            signed: self.signed.clone(),
            lineage: Some(self.lineage()),
        }
    }

    /// Its record, author city and parents, hashed (see [`crate::store::Lineage`]).
    pub fn lineage(&self) -> Lineage {
        let mut parents: Vec<&str> = self.body.parents.iter().map(String::as_str).collect();
        parents.sort_unstable();
        let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
        for part in [
            "lianluo lineage v1",
            &self.body.record_id,
            &self.body.author_city,
        ] {
            ctx.update(part.as_bytes());
            ctx.update(&[0]);
        }
        for p in parents {
            ctx.update(p.as_bytes());
            ctx.update(&[0]);
        }
        let mut key = [0u8; 32];
        key.copy_from_slice(ctx.finish().as_ref());
        Lineage {
            key,
            author: self.body.author_city.clone(),
        }
    }
}

/// One record after its new events: what to write, and each event's outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct Advanced {
    /// The record's new entry, history and index/counter changes.
    pub write: RecordWrite,
    /// Each new event and why it was rejected (`None`: applied), in the given order.
    pub outcomes: Vec<(EventId, Option<String>)>,
}

impl Advanced {
    /// The record's state after the events.
    pub fn state(&self) -> Option<&RecordState> {
        self.write.entry.state.as_ref()
    }

    /// Why `id` was rejected, if it was.
    pub fn rejected(&self, id: &EventId) -> Option<&str> {
        self.outcomes
            .iter()
            .find(|(e, _)| e == id)
            .and_then(|(_, r)| r.as_deref())
    }
}

/// Applies `events` (all of record `record`, parents before children, none held yet) to
/// the record's stored entry. `own` is this node's city (for its figures).
pub fn advance(
    store: &dyn Store,
    own: &str,
    record: &RecordId,
    events: &[Incoming],
) -> Result<Advanced, StoreError> {
    let old = store.record(record)?.unwrap_or_default();
    let mut entry = old.clone();
    let mut history = HistoryWrite {
        from: old.steps,
        steps: Vec::new(),
        old_len: old.steps,
    };
    let mut outcomes = Vec::with_capacity(events.len());
    for (i, ev) in events.iter().enumerate() {
        let outcome = if appends(&entry, &ev.body) {
            let outcome = step(&mut entry, ev);
            history.steps.push(HistoryStep {
                event: ev.id,
                rejected: outcome.clone(),
            });
            outcome
        } else {
            let folded = refold(store, record, &events[..=i])?;
            history.from = 0;
            history.steps = folded.steps;
            entry = folded.entry;
            folded.rejected.get(&ev.id).cloned()
        };
        outcomes.push((ev.id, outcome));
    }
    entry.steps = history.from + u32::try_from(history.steps.len()).unwrap_or(u32::MAX);
    let delta = Delta::between(old.state.as_ref(), entry.state.as_ref(), own);
    let write = RecordWrite {
        id: record.clone(),
        entry,
        history,
        delta,
    };
    Ok(Advanced { write, outcomes })
}

/// Record `record` folded again from its stored events, as a write (entry, history,
/// index and counter changes) when the stored entry differs — e.g. a state an older build
/// kept, which ignored fields of newer events; `None` when it is the same.
pub fn refold_stored(
    store: &dyn Store,
    own: &str,
    record: &RecordId,
) -> Result<Option<RecordWrite>, StoreError> {
    let Some(old) = store.record(record)? else {
        return Ok(None);
    };
    let folded = refold(store, record, &[])?;
    // The history too: an event an older build refused for another reason keeps the
    // reason this build gives.
    if folded.entry.state == old.state && folded.steps == store.history(record)? {
        return Ok(None);
    }
    let delta = Delta::between(old.state.as_ref(), folded.entry.state.as_ref(), own);
    Ok(Some(RecordWrite {
        id: record.clone(),
        entry: folded.entry,
        history: HistoryWrite {
            from: 0,
            steps: folded.steps,
            old_len: old.steps,
        },
        delta,
    }))
}

/// Whether `body` goes at the end of the record's fold: its parents are exactly the
/// current heads (or it has none and the record has no event yet). A fold orders an event
/// after all of its parents' ancestors, which is then every event held.
fn appends(entry: &RecordEntry, body: &EventBody) -> bool {
    if entry.heads.is_empty() {
        return entry.steps == 0 && body.parents.is_empty();
    }
    if body.parents.len() != entry.heads.len() {
        return false;
    }
    let mut parents: Vec<Option<EventId>> =
        body.parents.iter().map(|p| EventId::parse(p)).collect();
    parents.sort();
    parents
        .iter()
        .zip(&entry.heads)
        .all(|(p, h)| *p == Some(h.id))
}

/// Applies one appending event as the fold would (see `domain::fold`'s `Folder::step`):
/// unverified events are rejected; with no state yet it must create the record.
fn step(entry: &mut RecordEntry, ev: &Incoming) -> Option<String> {
    let fe = ev.fold_event();
    let result = if !fe.verified {
        Err("signature not verified".to_owned())
    } else {
        match &mut entry.state {
            Some(state) => state.apply(&fe),
            None => RecordState::create(&fe).map(|s| entry.state = Some(s)),
        }
    };
    entry.heads = vec![ev.head()];
    result.err()
}

/// A record re-folded from every event.
struct Refolded {
    entry: RecordEntry,
    steps: Vec<HistoryStep>,
    rejected: BTreeMap<EventId, String>,
}

/// Folds the record's stored events and `new` ones together.
fn refold(store: &dyn Store, record: &RecordId, new: &[Incoming]) -> Result<Refolded, StoreError> {
    let mut inputs = stored_inputs(store, record)?;
    let mut clocks: BTreeMap<String, Head> = BTreeMap::new();
    for (e, head) in &inputs {
        clocks.insert(e.id.clone(), *head);
    }
    for ev in new {
        clocks.insert(ev.id.hex(), ev.head());
        inputs.push((ev.fold_event(), ev.head()));
    }
    let events: Vec<FoldEvent> = inputs.into_iter().map(|(e, _)| e).collect();
    let folded = domain::fold(&events);
    let heads = folded
        .heads
        .iter()
        .filter_map(|h| clocks.get(h).copied())
        .collect();
    let steps: Vec<HistoryStep> = folded
        .steps
        .iter()
        .filter_map(|s| {
            Some(HistoryStep {
                event: EventId::parse(&s.id)?,
                rejected: s.rejected.clone(),
            })
        })
        .collect();
    let rejected = folded
        .rejected
        .iter()
        .filter_map(|(id, why)| Some((EventId::parse(id)?, why.clone())))
        .collect();
    let entry = RecordEntry {
        state: folded.state,
        heads,
        steps: u32::try_from(steps.len()).unwrap_or(u32::MAX),
        // The store lays out the history (`HistoryWrite`).
        tail: Vec::new(),
    };
    Ok(Refolded {
        entry,
        steps,
        rejected,
    })
}

/// The record's stored events as fold inputs, with their clocks.
pub fn stored_inputs(
    store: &dyn Store,
    record: &RecordId,
) -> Result<Vec<(FoldEvent, Head)>, StoreError> {
    store
        .history(record)?
        .into_iter()
        .map(|step| {
            let ev = store.event(&step.event)?.ok_or_else(|| {
                StoreError::Corrupt(format!(
                    "history of {record} names missing event {}",
                    step.event
                ))
            })?;
            let body = EventBody::decode(ev.signed.body.as_slice()).map_err(|e| {
                StoreError::Corrupt(format!("stored event {} does not decode: {e}", ev.id))
            })?;
            let hlc = body.hlc.unwrap_or_default();
            let head = Head {
                id: ev.id,
                wall_ms: hlc.wall_ms,
                counter: hlc.counter,
            };
            let fe = FoldEvent {
                id: ev.id.hex(),
                body,
                verified: ev.verified,
            };
            Ok((fe, head))
        })
        .collect()
}

/// Whether `id` is held with a signature that was not verified.
fn held_unverified(store: &dyn Store, id: &EventId) -> Result<bool, StoreError> {
    Ok(store.event(id)?.is_some_and(|e| !e.verified))
}

/// What [`plan`] made of a list of events.
#[derive(Debug, Clone, Default)]
pub struct Planned {
    /// The events, record writes (one per record) and nothing else.
    pub commit: Commit,
    /// Every event's outcome (`None`: applied), by record.
    pub outcomes: BTreeMap<RecordId, Vec<(EventId, Option<String>)>>,
}

/// Applies `events` of any records (each record's events parents first) and builds one
/// commit, logging the events in the order given. Events already held are skipped, except
/// a verified copy of an event held only unverified: as in the fold, the verified copy
/// wins (the record is folded again and the held event marked verified).
pub fn plan(store: &dyn Store, own: &str, events: Vec<Incoming>) -> Result<Planned, StoreError> {
    let mut kept: Vec<(RecordId, Incoming)> = Vec::with_capacity(events.len());
    let mut seen = std::collections::HashSet::new();
    for ev in events {
        if !seen.insert(ev.id) {
            // A second copy in this list: a verified one replaces an unverified one.
            if ev.verified {
                if let Some(k) = kept.iter_mut().find(|(_, k)| k.id == ev.id && !k.verified) {
                    k.1 = ev;
                }
            }
            continue;
        }
        if store.has_event(&ev.id)? && !(ev.verified && held_unverified(store, &ev.id)?) {
            continue;
        }
        let record = RecordId::parse(&ev.body.record_id).map_err(|_| StoreError::Invalid {
            field: "record_id".to_owned(),
            reason: format!("event {} names no valid record id", ev.id),
        })?;
        kept.push((record, ev));
    }
    let mut by_record: BTreeMap<&RecordId, Vec<Incoming>> = BTreeMap::new();
    for (record, ev) in &kept {
        by_record.entry(record).or_default().push(ev.clone());
    }
    let mut planned = Planned::default();
    for (record, events) in by_record {
        let advanced = advance(store, own, record, &events)?;
        planned.commit.records.push(advanced.write);
        planned.outcomes.insert(record.clone(), advanced.outcomes);
    }
    planned.commit.events = kept.iter().map(|(r, e)| e.to_new_event(r)).collect();
    Ok(planned)
}
