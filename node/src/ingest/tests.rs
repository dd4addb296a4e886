//! The incremental path gives exactly what a fold of every event gives: for random event
//! DAGs (concurrent branches, colliding clocks, unverified events, missing parents),
//! applied in any parents-first order and in any chunks, the stored state, history and
//! heads equal `domain::fold` of all events, and the figure counters equal a recount.

use std::collections::BTreeMap;
use std::sync::Arc;

use lianluo_proto::SignedEvent;
use proptest::prelude::*;
use prost::Message;

use super::{advance, plan, Incoming};
use crate::domain::tests::folding::arb_events;
use crate::domain::{fold, EventId, FoldEvent, RecordId};
use crate::projection::Delta;
use crate::store::{open_sled, Commit, Store, StoreOptions};

fn incoming(ev: &FoldEvent) -> Incoming {
    let body = ev.body.encode_to_vec();
    Incoming {
        id: EventId::parse(&ev.id).expect("hex id"),
        signed: SignedEvent {
            body,
            signature: vec![0x30],
            signer_cert_sha256: "ab".repeat(32),
        },
        body: ev.body.clone(),
        verified: ev.verified,
    }
}

/// A parents-first order of `events` picked by `choices` (the fold's input order differs
/// from every replica's arrival order).
fn arrival_order(events: &[FoldEvent], choices: &[usize]) -> Vec<FoldEvent> {
    let mut left: Vec<FoldEvent> = events.to_vec();
    let mut out: Vec<FoldEvent> = Vec::new();
    let mut i = 0;
    while !left.is_empty() {
        let held =
            |p: &String| out.iter().any(|e| &e.id == p) || !events.iter().any(|e| &e.id == p);
        let ready: Vec<usize> = (0..left.len())
            .filter(|&j| left[j].body.parents.iter().all(held))
            .collect();
        let pick = ready[choices.get(i).copied().unwrap_or(0) % ready.len()];
        out.push(left.remove(pick));
        i += 1;
    }
    out
}

/// Applies `events` in chunks of the given sizes, committing each; returns the store.
fn apply_in_chunks(events: &[FoldEvent], chunks: &[usize]) -> (tempfile::TempDir, Arc<dyn Store>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open_sled(dir.path(), "hezhou", StoreOptions::default()).expect("open");
    let mut rest: &[FoldEvent] = events;
    let mut sizes = chunks.iter().copied().cycle();
    while !rest.is_empty() {
        let n = sizes.next().unwrap_or(1).clamp(1, rest.len());
        let (now, later) = rest.split_at(n);
        let planned =
            plan(store.as_ref(), "hezhou", now.iter().map(incoming).collect()).expect("plan");
        store.commit(planned.commit).expect("commit");
        rest = later;
    }
    (dir, store)
}

fn record_of(events: &[FoldEvent]) -> RecordId {
    RecordId::parse(&events[0].body.record_id).expect("record id")
}

fn check_same_as_fold(store: &dyn Store, events: &[FoldEvent]) {
    let id = record_of(events);
    let want = fold(events);
    let entry = store.record(&id).expect("read").unwrap_or_default();
    assert_eq!(entry.state, want.state, "state");
    let heads: Vec<String> = entry.heads.iter().map(|h| h.id.hex()).collect();
    assert_eq!(heads, want.heads, "heads");
    let steps: Vec<(String, Option<String>)> = store
        .history(&id)
        .expect("history")
        .into_iter()
        .map(|s| (s.event.hex(), s.rejected))
        .collect();
    let want_steps: Vec<(String, Option<String>)> = want
        .steps
        .iter()
        .map(|s| (s.id.clone(), s.rejected.clone()))
        .collect();
    assert_eq!(steps, want_steps, "history");
    assert_eq!(entry.steps as usize, want_steps.len());
    // The counters hold exactly the final state's contributions.
    let delta = Delta::between(None, want.state.as_ref(), "hezhou");
    let counters: BTreeMap<Vec<u8>, i64> =
        store.counters().expect("counters").into_iter().collect();
    assert_eq!(counters, delta.counters, "counters");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn ingest_in_any_order_and_chunks_equals_the_fold(
        events in arb_events(),
        choices in prop::collection::vec(any::<usize>(), 16),
        chunks in prop::collection::vec(1..5usize, 1..4),
    ) {
        let order = arrival_order(&events, &choices);
        let (_dir, store) = apply_in_chunks(&order, &chunks);
        check_same_as_fold(store.as_ref(), &events);
    }
}

#[test]
fn ingest_an_act_on_the_heads_appends_without_reading_the_history() {
    use crate::domain::tests::suggestion::{dispatch, submitted};
    use crate::domain::tests::Rec;
    let mut rec = Rec::new("hezhou", &["qingyuan"], submitted(2026));
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open_sled(dir.path(), "hezhou", StoreOptions::default()).expect("open");
    let id = record_of(&rec.events);
    let first =
        advance(store.as_ref(), "hezhou", &id, &[incoming(&rec.events[0])]).expect("advance");
    assert_eq!(first.write.history.from, 0);
    store
        .commit(Commit {
            events: vec![incoming(&rec.events[0]).to_new_event(&id)],
            records: vec![first.write],
            ..Commit::default()
        })
        .expect("commit");
    rec.act("hezhou", dispatch("贺州市交通运输局", "2026-06-30"));
    let next =
        advance(store.as_ref(), "hezhou", &id, &[incoming(&rec.events[1])]).expect("advance");
    // Appended at step 1: the first step is not rewritten.
    assert_eq!(
        (next.write.history.from, next.write.history.steps.len()),
        (1, 1)
    );
    assert_eq!(
        next.rejected(&EventId::parse(&rec.events[1].id).expect("id")),
        None
    );
    assert_eq!(next.state().map(|s| s.status_str()), Some("dispatched"));
}
