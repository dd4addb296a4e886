//! What [`NodeSource`](crate::replication::NodeSource) serves to whom.

use lianluo_federation::envelope::event_id;
use lianluo_federation::sync::SyncSource;
use lianluo_proto::change::Kind;

use super::{body_of, Fed};

#[tokio::test]
async fn replication_source_serves_a_record_to_its_participants_only() {
    let fed = Fed::new(&["hezhou", "qingyuan", "yongzhou"]).await;
    let (a, b, c) = (
        fed.node("hezhou"),
        fed.node("qingyuan"),
        fed.node("yongzhou"),
    );
    let shared = a.suggest(&["qingyuan"]).await;
    a.dispatch(&shared.id).await;
    let own = a.suggest(&[]).await;

    let to_b = a.serve(b, 0).await;
    assert_eq!(to_b.log_id, a.state.store.meta().log_id);
    assert_eq!(to_b.covered_seq, 3);
    let seqs: Vec<u64> = to_b.events.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, [1, 2]);
    for e in &to_b.events {
        let body = body_of(e.event.as_ref().unwrap());
        assert_eq!(body.record_id, shared.id);
        assert_ne!(body.record_id, own.id);
    }
    assert!(!to_b.signer_certs.is_empty());

    // Yongzhou takes part in nothing: its cursor still moves over the whole log.
    let to_c = a.serve(c, 0).await;
    assert!(to_c.events.is_empty());
    assert_eq!(to_c.covered_seq, 3);

    // Paging: after seq 1 only the dispatch; a limit of one entry covers one seq.
    let after = a.serve(b, 1).await;
    assert_eq!(after.events.len(), 1);
    assert_eq!(after.events[0].seq, 2);
    let one = a.source.read(&b.peer, 0, 3, 1).await.unwrap();
    assert_eq!((one.events.len(), one.covered_seq), (1, 1));
}

#[tokio::test]
async fn replication_source_never_serves_past_the_durable_head() {
    let fed = Fed::new(&["hezhou", "qingyuan"]).await;
    let (a, b) = (fed.node("hezhou"), fed.node("qingyuan"));
    let rec = a.suggest(&["qingyuan"]).await;
    a.dispatch(&rec.id).await;
    assert_eq!(*a.source.durable_head().borrow(), 2);

    let upto1 = a.source.read(&b.peer, 0, 1, 100).await.unwrap();
    assert_eq!(upto1.events.len(), 1);
    assert_eq!(upto1.covered_seq, 1);
    let none = a.source.read(&b.peer, 2, 2, 100).await.unwrap();
    assert!(none.events.is_empty());
    assert_eq!(none.covered_seq, 2);
}

#[tokio::test]
async fn replication_source_serves_earlier_events_to_an_added_participant() {
    let fed = Fed::new(&["hezhou", "qingyuan", "yongzhou"]).await;
    let (a, c) = (fed.node("hezhou"), fed.node("yongzhou"));
    let rec = a.suggest(&["qingyuan"]).await;
    a.dispatch(&rec.id).await;

    // Yongzhou reads the log while it is not a participant: nothing, cursor at 2.
    let before = a.serve(c, 0).await;
    assert!(before.events.is_empty());
    let report = c.apply(a, before).await;
    assert_eq!(report.cursor_seq, 2);
    let cursor = c.state.store.cursor("hezhou").unwrap().unwrap();
    assert_eq!(cursor.seq, 2);

    let added = a.add(&rec.id, "yongzhou").await;
    assert!(added.participants.contains(&"yongzhou".to_string()));
    let batch = a.serve(c, cursor.seq).await;
    // participant_added first, then the earlier events, all under its seq.
    let seqs: Vec<u64> = batch.events.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, [3, 3, 3]);
    assert_eq!(batch.covered_seq, 3);
    // Read from the start, the earlier events are not served at their own seqs (Yongzhou
    // would drop them there, not yet a participant) but only with participant_added.
    let from_start = a.serve(c, 0).await;
    assert_eq!(from_start.events, batch.events);
    assert_eq!(from_start.covered_seq, 3);
    let ids: Vec<String> = batch
        .events
        .iter()
        .map(|e| event_id(&e.event.as_ref().unwrap().body))
        .collect();
    let log: Vec<String> = a
        .state
        .store
        .log_after(0, 10)
        .unwrap()
        .into_iter()
        .map(|e| e.id.hex())
        .collect();
    assert_eq!(ids, [log[2].clone(), log[0].clone(), log[1].clone()]);
    let first = body_of(batch.events[0].event.as_ref().unwrap());
    assert!(matches!(
        first.change.and_then(|c| c.kind),
        Some(Kind::ParticipantAdded(p)) if p.city == "yongzhou"
    ));

    let report = c.apply(a, batch).await;
    assert_eq!((report.applied, report.rejected, report.pending), (3, 0, 0));
    assert_eq!(report.cursor_seq, 3);
    assert_eq!(c.record(&rec.id), a.record(&rec.id));
    assert!(c
        .record(&rec.id)
        .unwrap()
        .participants
        .contains(&"yongzhou".to_string()));
}
