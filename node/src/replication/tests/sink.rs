//! What [`NodeSink`](crate::replication::NodeSink) stores, drops and holds back.

use lianluo_federation::sync::{SyncSink, SyncSource};
use lianluo_proto::{
    change::Kind, Change, EventBody, ParticipantAdded, Rating, SuggestionRated, SyncBatch,
    SyncEvent,
};
use prost::Message;
use std::sync::Arc;

use super::{body_of, event_at, Fed};
use crate::replication::PeerCounters;

#[tokio::test]
async fn replication_sink_applies_a_batch_once_and_stores_the_cursor() {
    let fed = Fed::new(&["hezhou", "qingyuan"]).await;
    let (a, b) = (fed.node("hezhou"), fed.node("qingyuan"));
    let rec = a.suggest(&["qingyuan"]).await;
    a.dispatch(&rec.id).await;

    let batch = a.serve(b, 0).await;
    let report = b.apply(a, batch.clone()).await;
    assert_eq!((report.applied, report.duplicates), (2, 0));
    assert_eq!(
        (report.rejected, report.pending, report.cursor_seq),
        (0, 0, 2)
    );
    assert_eq!(b.record(&rec.id), a.record(&rec.id));
    assert_eq!(b.record(&rec.id).unwrap().title, rec.title);
    let cursor = b.sink.cursor(&a.peer).await.unwrap().unwrap();
    assert_eq!((cursor.log_id, cursor.seq), (a.source.log_id(), 2));
    // Acknowledged means durable: the new events are under the published durable head.
    assert_eq!(*b.state.durable.borrow(), 2);

    let again = b.apply(a, batch).await;
    assert_eq!((again.applied, again.duplicates), (0, 2));
    assert_eq!(b.state.store.last_seq().unwrap(), 2);

    // A later act arrives from the stored cursor; both views agree again.
    a.act(&rec.id, progress("已完成选线")).await;
    let next = a.serve(b, cursor.seq).await;
    assert_eq!(b.apply(a, next).await.applied, 1);
    assert_eq!(b.record(&rec.id), a.record(&rec.id));
    let counters = b.sink.counters();
    let want = PeerCounters {
        applied: 3,
        duplicates: 2,
        rejected: 0,
        pending: 0,
    };
    assert_eq!(counters.get("hezhou"), Some(&want));
}

#[tokio::test]
async fn replication_sink_rejects_forged_events_without_blocking_the_valid_one() {
    let fed = Fed::new(&["hezhou", "qingyuan", "yongzhou"]).await;
    let (a, b, c) = (
        fed.node("hezhou"),
        fed.node("qingyuan"),
        fed.node("yongzhou"),
    );
    let rec = a.suggest(&["qingyuan"]).await;
    let mut batch = a.serve(b, 0).await;
    let valid = event_at(&batch, 0);

    let mut bad_signature = valid.clone();
    bad_signature.signature[10] ^= 0x01;
    let mut tampered_body = valid.clone();
    let mut body = body_of(&valid);
    body.author_user = "mallory".into();
    tampered_body.body = body.encode_to_vec();
    // Yongzhou's signer signs the very same body, which claims Hezhou as its author.
    let wrong_city = c.sign(&body_of(&valid));
    assert_eq!(wrong_city.body, valid.body);
    let mut unknown_signer = valid.clone();
    unknown_signer.signer_cert_sha256 = "ab".repeat(32);

    let forged = [bad_signature, tampered_body, wrong_city, unknown_signer];
    batch.events = forged
        .into_iter()
        .chain(std::iter::once(valid))
        .map(|event| SyncEvent {
            seq: 1,
            event: Some(event),
        })
        .collect();
    batch.signer_certs.extend(c.source.signer_certs());

    let report = b.apply(a, batch).await;
    assert_eq!(
        (report.rejected, report.applied, report.duplicates),
        (3, 1, 0)
    );
    let at_b = b.record(&rec.id).unwrap();
    assert_eq!(Some(&at_b), a.record(&rec.id).as_ref());
    assert_eq!(b.state.store.last_seq().unwrap(), 1);
    assert_eq!(b.sink.counters()["hezhou"].rejected, 3);
    // An unknown signer may become known later: that copy is kept to be tried again,
    // and a retry finds the event held (the genuine copy) and drops it.
    assert_eq!(b.state.store.parked_count().unwrap(), 1);
    let retry = b.sink.retry_parked().await.unwrap();
    assert_eq!((retry.tried, retry.stored, retry.parked), (1, 0, 0));
}

#[tokio::test]
async fn replication_sink_stores_a_disallowed_act_as_rejected_history() {
    let fed = Fed::new(&["hezhou", "qingyuan"]).await;
    let (a, b) = (fed.node("hezhou"), fed.node("qingyuan"));
    let rec = a.suggest(&["qingyuan"]).await;
    let before = a.record(&rec.id).unwrap();

    // Qingyuan rates Hezhou's suggestion: validly signed, but only the origin may rate.
    let rate = EventBody {
        authored_ms: 0,
        record_id: rec.id.clone(),
        kind: lianluo_proto::RecordKind::Suggestion as i32,
        author_city: "qingyuan".into(),
        author_user: "coordinator".into(),
        hlc: Some(b.state.clock.tick(std::iter::empty())),
        parents: before.heads.clone(),
        participants: Vec::new(),
        request_id: String::new(),
        change: Some(Change {
            kind: Some(Kind::SuggestionRated(SuggestionRated {
                rating: Rating::Satisfied as i32,
                comment: "满意".into(),
                ..Default::default()
            })),
        }),
    };
    let signed = b.sign(&rate);
    let id = lianluo_federation::envelope::event_id(&signed.body);
    let batch = lianluo_proto::SyncBatch {
        checkpoints: Vec::new(),
        log_id: b.source.log_id(),
        events: vec![SyncEvent {
            seq: 7,
            event: Some(signed),
        }],
        covered_seq: 7,
        head_seq: 7,
        signer_certs: b.source.signer_certs(),
        covered_event_id: String::new(),
    };
    let report = a.apply(b, batch).await;
    assert_eq!((report.applied, report.rejected), (1, 0));

    let after = a.record(&rec.id).unwrap();
    assert_eq!(after.status, before.status);
    assert_eq!(after.version, before.version);
    assert_eq!(after.suggestion, before.suggestion);
    let entry = after.history.iter().find(|h| h.id == id).unwrap();
    assert!(entry.rejected && entry.verified);
    assert!(entry.reason.contains("origin"), "reason: {}", entry.reason);
    assert_eq!(after.heads, vec![id]);
}

#[tokio::test]
async fn replication_sink_drops_events_of_records_it_is_not_part_of() {
    let fed = Fed::new(&["hezhou", "qingyuan", "yongzhou"]).await;
    let (a, b, c) = (
        fed.node("hezhou"),
        fed.node("qingyuan"),
        fed.node("yongzhou"),
    );
    let rec = a.suggest(&["qingyuan"]).await;
    a.dispatch(&rec.id).await;
    // What Hezhou serves Qingyuan, offered to Yongzhou.
    let batch = a.serve(b, 0).await;
    let report = c.apply(a, batch.clone()).await;
    // Parked, not stored: an act adding Yongzhou might still come.
    assert_eq!(
        (report.applied, report.rejected, report.cursor_seq),
        (0, 0, 2)
    );
    assert_eq!(c.state.store.parked_count().unwrap(), 2);
    assert_eq!(c.record(&rec.id), None);
    assert_eq!(c.state.store.last_seq().unwrap(), 0);
    assert!(c.record_events(&rec.id).is_empty());

    // Without the creation event the act cannot be placed: parked as well (once: the
    // same event is parked under its id), and still out of every record.
    let mut act_only = batch;
    act_only.events.remove(0);
    let report = c.apply(a, act_only).await;
    assert_eq!((report.applied, report.rejected, report.pending), (0, 0, 0));
    assert_eq!(c.sink.pending_len(), 0);
    assert_eq!(c.state.store.parked_count().unwrap(), 2);
    let retry = c.sink.retry_parked().await.unwrap();
    assert_eq!((retry.tried, retry.stored, retry.parked), (2, 0, 2));
    assert_eq!(c.record(&rec.id), None);
    assert!(c.record_events(&rec.id).is_empty());
}

#[tokio::test]
async fn replication_sink_stores_nothing_of_a_record_a_non_origin_adds_it_to() {
    let fed = Fed::new(&["hezhou", "qingyuan", "yongzhou"]).await;
    let (a, b, c) = (
        fed.node("hezhou"),
        fed.node("qingyuan"),
        fed.node("yongzhou"),
    );
    let rec = a.suggest(&["qingyuan"]).await;
    let creation = event_at(&a.serve(b, 0).await, 0);
    // Qingyuan, a partner but not the origin, signs participant_added(yongzhou) and
    // relays it with the record as a group, as if Yongzhou had been added.
    let add = EventBody {
        authored_ms: 0,
        record_id: rec.id.clone(),
        kind: lianluo_proto::RecordKind::Suggestion as i32,
        author_city: "qingyuan".into(),
        author_user: "coordinator".into(),
        hlc: Some(b.state.clock.tick(std::iter::empty())),
        parents: rec.heads.clone(),
        participants: Vec::new(),
        request_id: String::new(),
        change: Some(Change {
            kind: Some(Kind::ParticipantAdded(ParticipantAdded {
                city: "yongzhou".into(),
            })),
        }),
    };
    let at = |seq, event| SyncEvent {
        seq,
        event: Some(event),
    };
    let mut signer_certs = a.source.signer_certs();
    signer_certs.extend(b.source.signer_certs());
    let relay = SyncBatch {
        checkpoints: Vec::new(),
        log_id: b.source.log_id(),
        events: vec![at(2, b.sign(&add)), at(2, creation)],
        covered_seq: 2,
        head_seq: 2,
        signer_certs,
        covered_event_id: String::new(),
    };
    let report = c.apply(b, relay).await;
    assert_eq!(
        (
            report.applied,
            report.rejected,
            report.pending,
            report.cursor_seq
        ),
        (0, 0, 0, 2)
    );
    assert_eq!(
        c.state.store.parked_count().unwrap(),
        2,
        "kept aside, not stored"
    );
    assert_eq!(c.record(&rec.id), None);
    assert!(c.record_events(&rec.id).is_empty());
    assert_eq!(c.state.store.last_seq().unwrap(), 0);

    // Nor does a later genuine event of the record get in.
    a.dispatch(&rec.id).await;
    let mut later = a.serve(b, 1).await;
    assert_eq!(later.events.len(), 1);
    later.covered_seq = 2;
    let report = c.apply(a, later).await;
    assert_eq!(
        (report.applied, report.rejected),
        (0, 0),
        "parked: its parent is not held"
    );
    let retry = c.sink.retry_parked().await.unwrap();
    assert_eq!(
        (retry.stored, retry.parked),
        (0, 3),
        "the forged add, the creation, the act"
    );
    assert!(c.record_events(&rec.id).is_empty());
}

#[tokio::test]
async fn replication_sink_commits_the_cursor_of_an_empty_batch() {
    let fed = Fed::new(&["hezhou", "qingyuan"]).await;
    let (a, b) = (fed.node("hezhou"), fed.node("qingyuan"));
    a.suggest(&[]).await;
    let batch = a.serve(b, 0).await;
    assert!(batch.events.is_empty());
    let report = b.apply(a, batch.clone()).await;
    assert_eq!(report.cursor_seq, 1);
    assert_eq!(b.state.store.cursor("hezhou").unwrap().unwrap().seq, 1);

    let mut no_log_id = batch;
    no_log_id.log_id.clear();
    assert!(b.sink.apply(&a.peer, Arc::new(no_log_id)).await.is_err());
}

#[tokio::test]
async fn replication_sink_keeps_peer_signer_certs_across_a_restart() {
    let mut fed = Fed::new(&["hezhou", "qingyuan"]).await;
    let (a, b) = (fed.node("hezhou"), fed.node("qingyuan"));
    let rec = a.suggest(&["qingyuan"]).await;
    b.apply(a, a.serve(b, 0).await).await;
    let hezhou_signer = a.state.signer.cert_sha256().to_string();
    assert_eq!(
        b.state.signers.city_of(&hezhou_signer).as_deref(),
        Some("hezhou")
    );

    fed.restart("qingyuan").await;
    let b = fed.node("qingyuan");
    assert_eq!(
        b.state.signers.city_of(&hezhou_signer).as_deref(),
        Some("hezhou")
    );
    // Qingyuan works on the record before any peer is reached: Hezhou's creation verifies.
    let after = b.dispatch(&rec.id).await;
    assert_eq!(after.status, "dispatched");
    assert!(after.history.iter().all(|h| h.verified && !h.rejected));
}

pub(super) fn progress(note: &str) -> Kind {
    Kind::SuggestionProgress(lianluo_proto::SuggestionProgress { note: note.into() })
}
