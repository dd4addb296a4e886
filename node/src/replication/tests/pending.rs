//! What waits at the sink and for how long: an event whose parent the peer never sends is
//! parked once the peer's batch covers it (kept in the store) and stored when a retry
//! finds its parent held; a same-seq group split across batches waits in memory for that
//! peer's next part.

use lianluo_federation::envelope::event_id;
use lianluo_proto::SyncBatch;

use super::sink::progress;
use super::{event_at, Fed};

/// The ids of a node's log, in order.
fn log_ids(node: &super::Node) -> Vec<String> {
    let log = node.state.store.log_after(0, 100).unwrap();
    log.into_iter().map(|e| e.id.hex()).collect()
}

/// How many events are parked at `node`.
fn parked(node: &super::Node) -> u64 {
    node.state.store.parked_count().unwrap()
}

#[tokio::test]
async fn replication_sink_parks_an_event_whose_parent_was_refused_and_drops_it_once_held() {
    let fed = Fed::new(&["hezhou", "qingyuan"]).await;
    let (a, b) = (fed.node("hezhou"), fed.node("qingyuan"));
    let rec = a.suggest(&["qingyuan"]).await;
    a.dispatch(&rec.id).await;
    a.act(&rec.id, progress("已完成选线")).await;
    let full = a.serve(b, 0).await;
    assert_eq!((full.events.len(), full.covered_seq), (3, 3));
    let progress_id = event_id(&event_at(&full, 2).body);
    assert_eq!(
        full.covered_event_id, progress_id,
        "our log's entry at seq 3"
    );

    // The dispatch (seq 2) arrives forged, so it is refused here: the progress note
    // (seq 3) cannot be completed by this batch, which covers seq 3. It is parked.
    let mut forged = full.clone();
    forged.events[1].event.as_mut().unwrap().signature[10] ^= 0x01;
    let report = b.apply(a, forged).await;
    assert_eq!((report.applied, report.rejected, report.pending), (1, 1, 0));
    assert_eq!(parked(b), 1);
    assert_eq!(report.cursor_seq, 3, "nothing holds the cursor back");
    let cursor = b.state.store.cursor("hezhou").unwrap().unwrap();
    assert_eq!((cursor.seq, cursor.event_id), (3, progress_id.clone()));
    assert_eq!(b.sink.pending_len(), 0);
    assert_eq!(b.sink.counters()["hezhou"].pending, 0);
    assert_eq!(b.sink.counters()["hezhou"].rejected, 1);
    assert!(b
        .state
        .store
        .event(&crate::domain::EventId::parse(&progress_id).unwrap())
        .unwrap()
        .is_none());
    assert_eq!(b.record(&rec.id).unwrap().version, rec.version);

    // A later valid event applies from the cursor.
    let other = a.suggest(&["qingyuan"]).await;
    let next = a.serve(b, 3).await;
    assert_eq!(next.events.len(), 1);
    let report = b.apply(a, next).await;
    assert_eq!(
        (
            report.applied,
            report.rejected,
            report.pending,
            report.cursor_seq
        ),
        (1, 0, 0, 4)
    );
    assert_eq!(b.record(&other.id), a.record(&other.id));

    // Still parked: its parent is not held.
    let retry = b.sink.retry_parked().await.unwrap();
    assert_eq!((retry.tried, retry.stored, retry.parked), (1, 0, 1));
    assert_eq!(parked(b), 1);

    // Served again from the start, the genuine events complete the record; the next
    // retry finds the parked copy held and drops it.
    let report = b.apply(a, a.serve(b, 0).await).await;
    assert_eq!((report.applied, report.duplicates), (2, 2));
    assert_eq!(b.record(&rec.id), a.record(&rec.id));
    let retry = b.sink.retry_parked().await.unwrap();
    assert_eq!((retry.tried, retry.stored, retry.parked), (1, 0, 0));
    assert_eq!(parked(b), 0);
}

#[tokio::test]
async fn replication_sink_parks_an_event_whose_parent_the_peer_never_sent_until_it_arrives() {
    let fed = Fed::new(&["hezhou", "qingyuan"]).await;
    let (a, b) = (fed.node("hezhou"), fed.node("qingyuan"));
    let rec = a.suggest(&["qingyuan"]).await;
    a.dispatch(&rec.id).await;
    a.act(&rec.id, progress("已完成选线")).await;
    let full = a.serve(b, 0).await;
    let mut gap = full.clone();
    let parent = gap.events.remove(1);

    let report = b.apply(a, gap.clone()).await;
    assert_eq!(
        (
            report.applied,
            report.rejected,
            report.pending,
            report.cursor_seq
        ),
        (1, 0, 0, 3)
    );
    assert_eq!(b.sink.pending_len(), 0);
    assert_eq!(b.state.store.last_seq().unwrap(), 1);
    assert_eq!(parked(b), 1, "kept, not refused");

    // The parent arrives (here from the same peer, resent): the retry stores the child.
    let mut only_parent = gap;
    only_parent.events = vec![parent];
    let report = b.apply(a, only_parent).await;
    assert_eq!(report.applied, 1);
    let retry = b.sink.retry_parked().await.unwrap();
    assert_eq!((retry.tried, retry.stored, retry.parked), (1, 1, 0));
    assert_eq!(parked(b), 0);
    assert_eq!(b.record(&rec.id), a.record(&rec.id));
    assert_eq!(b.state.store.last_seq().unwrap(), 3);
}

/// Hezhou's record shared with Qingyuan, dispatched, then Yongzhou added: what Hezhou
/// serves Yongzhou from seq 2 is one group under seq 3 (participant_added, then the
/// creation and the dispatch), split after its first event as the server splits it.
async fn split_group(fed: &Fed) -> (String, SyncBatch, SyncBatch) {
    let (a, c) = (fed.node("hezhou"), fed.node("yongzhou"));
    let rec = a.suggest(&["qingyuan"]).await;
    a.dispatch(&rec.id).await;
    a.add(&rec.id, "yongzhou").await;
    let full = a.serve(c, 2).await;
    let seqs: Vec<u64> = full.events.iter().map(|e| e.seq).collect();
    assert_eq!((seqs, full.covered_seq), (vec![3, 3, 3], 3));
    let mut first = full.clone();
    first.events.truncate(1);
    // A part ending inside a group does not cover the group's seq.
    first.covered_seq = 2;
    let mut rest = full;
    rest.events.remove(0);
    rest.signer_certs.clear();
    (rec.id, first, rest)
}

#[tokio::test]
async fn replication_sink_completes_a_group_split_across_batches() {
    let fed = Fed::new(&["hezhou", "qingyuan", "yongzhou"]).await;
    let (a, c) = (fed.node("hezhou"), fed.node("yongzhou"));
    let (rid, first, rest) = split_group(&fed).await;

    let report = c.apply(a, first.clone()).await;
    assert_eq!((report.applied, report.rejected, report.pending), (0, 0, 1));
    assert_eq!(
        report.cursor_seq, 2,
        "not past the group while part of it waits"
    );
    assert_eq!(c.state.store.cursor("hezhou").unwrap().unwrap().seq, 2);
    assert_eq!(c.record(&rid), None);
    // A reconnect serves the group again from the cursor: it still waits once.
    let report = c.apply(a, first).await;
    assert_eq!((report.applied, report.rejected, report.pending), (0, 0, 1));
    assert_eq!(c.sink.pending_len(), 1);
    assert_eq!(c.sink.counters()["hezhou"].pending, 1);

    let report = c.apply(a, rest).await;
    assert_eq!((report.applied, report.rejected, report.pending), (3, 0, 0));
    assert_eq!(report.cursor_seq, 3);
    assert_eq!(c.sink.pending_len(), 0);
    assert_eq!(c.sink.counters()["hezhou"].pending, 0);
    assert_eq!(c.record(&rid), a.record(&rid));
    // Parents were logged before their children.
    let mut want = log_ids(a);
    want.truncate(3);
    assert_eq!(log_ids(c), want);
}

#[tokio::test]
async fn replication_sink_parks_a_split_group_the_peer_never_completes() {
    let fed = Fed::new(&["hezhou", "qingyuan", "yongzhou"]).await;
    let (a, c) = (fed.node("hezhou"), fed.node("yongzhou"));
    let (rid, first, rest) = split_group(&fed).await;
    c.apply(a, first.clone()).await;
    assert_eq!(c.sink.pending_len(), 1);

    // The peer moves past the group without its rest: the waiting event is parked.
    let mut past = first;
    past.events.clear();
    past.covered_seq = 3;
    let report = c.apply(a, past).await;
    assert_eq!(
        (
            report.applied,
            report.rejected,
            report.pending,
            report.cursor_seq
        ),
        (0, 0, 0, 3)
    );
    assert_eq!(c.sink.pending_len(), 0);
    assert_eq!(c.record(&rid), None);
    assert_eq!(c.state.store.last_seq().unwrap(), 0);
    assert_eq!(parked(c), 1);

    // The rest arrives later, but alone it does not make Yongzhou a participant: parked
    // too. The retry takes the three together and completes the record.
    let report = c.apply(a, rest).await;
    assert_eq!((report.applied, report.rejected), (0, 0));
    assert_eq!(parked(c), 3);
    let retry = c.sink.retry_parked().await.unwrap();
    assert_eq!((retry.stored, retry.parked), (3, 0));
    assert_eq!(c.record(&rid), a.record(&rid));
}

#[tokio::test]
async fn replication_sink_leaves_no_wait_behind_when_another_peer_delivers() {
    let fed = Fed::new(&["hezhou", "qingyuan", "yongzhou"]).await;
    let (a, b, c) = (
        fed.node("hezhou"),
        fed.node("qingyuan"),
        fed.node("yongzhou"),
    );
    let (rid, first, rest) = split_group(&fed).await;
    let report = c.apply(a, first).await;
    assert_eq!(report.pending, 1);

    // Qingyuan holds the whole record (Yongzhou added) and relays it in one batch.
    b.apply(a, a.serve(b, 0).await).await;
    let relay = b.serve(c, 0).await;
    let seqs: Vec<u64> = relay.events.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, [3, 3, 3], "earlier events follow participant_added");
    let report = c.apply(b, relay).await;
    assert_eq!(
        (report.applied, report.pending, report.cursor_seq),
        (3, 0, 3)
    );
    assert_eq!(c.record(&rid), a.record(&rid));
    // Hezhou's waiting copy went with it: no wait, no stale count for Hezhou.
    assert_eq!(c.sink.pending_len(), 0);
    assert_eq!(c.sink.counters()["hezhou"].pending, 0);

    // Hezhou's next part holds nothing new; its cursor reaches the group's seq.
    let report = c.apply(a, rest).await;
    assert_eq!(
        (
            report.applied,
            report.duplicates,
            report.pending,
            report.cursor_seq
        ),
        (0, 2, 0, 3)
    );
    assert_eq!(c.state.store.cursor("hezhou").unwrap().unwrap().seq, 3);
}
