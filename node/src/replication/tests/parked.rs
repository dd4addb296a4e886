//! Parked events: an event whose signer certificate is not known yet is kept and stored
//! once a later batch brings the certificate; one parked for longer than `PARK_FOR` is
//! refused for good; the number parked from one peer is bounded.

use crate::replication::sink::PARKED_MAX;
use crate::store::Commit;

use super::Fed;

#[tokio::test]
async fn replication_sink_stores_a_parked_event_once_its_signer_certificate_arrives() {
    let fed = Fed::new(&["hezhou", "qingyuan"]).await;
    let (a, b) = (fed.node("hezhou"), fed.node("qingyuan"));
    let rec = a.suggest(&["qingyuan"]).await;
    let full = a.serve(b, 0).await;
    assert!(!full.signer_certs.is_empty());

    // The first batch comes without Hezhou's signer certificate: not verifiable yet.
    let mut without = full.clone();
    without.signer_certs.clear();
    let report = b.apply(a, without).await;
    assert_eq!(
        (report.applied, report.rejected, report.cursor_seq),
        (0, 0, 1)
    );
    assert_eq!(b.state.store.parked_count().unwrap(), 1);
    let retry = b.sink.retry_parked().await.unwrap();
    assert_eq!((retry.stored, retry.parked), (0, 1), "still unknown");

    // A later (empty) batch brings the certificate: the retry stores the event.
    let mut certs_only = full;
    certs_only.events.clear();
    b.apply(a, certs_only).await;
    let retry = b.sink.retry_parked().await.unwrap();
    assert_eq!((retry.stored, retry.parked), (1, 0));
    assert_eq!(b.record(&rec.id), a.record(&rec.id));
    assert_eq!(b.state.store.parked_count().unwrap(), 0);
}

#[tokio::test]
async fn replication_sink_refuses_an_event_parked_for_longer_than_the_limit() {
    let fed = Fed::new(&["hezhou", "qingyuan"]).await;
    let (a, b) = (fed.node("hezhou"), fed.node("qingyuan"));
    a.suggest(&["qingyuan"]).await;
    let mut without = a.serve(b, 0).await;
    without.signer_certs.clear();
    b.apply(a, without).await;
    let mut parked = b.state.store.parked(None, 10).unwrap();
    assert_eq!(parked.len(), 1);
    // Parked eight days ago.
    parked[0].since_ms -= 8 * 24 * 3600 * 1000;
    let commit = Commit {
        park: parked,
        ..Commit::default()
    };
    b.state.store.commit(commit).unwrap();
    let retry = b.sink.retry_parked().await.unwrap();
    assert_eq!((retry.tried, retry.refused, retry.parked), (1, 1, 0));
    assert_eq!(b.state.store.parked_count().unwrap(), 0);
}

#[test]
fn parked_events_are_bounded_and_a_batch_over_the_bound_is_refused_whole() {
    let parked = crate::replication::sink::Parked::default();
    parked.add("hezhou", usize::try_from(PARKED_MAX).unwrap() - 1);
    assert!(parked.make_room("hezhou", 1).is_ok());
    let err = parked.make_room("hezhou", 2).unwrap_err().to_string();
    assert!(
        err.contains("refused whole") && err.contains("hezhou"),
        "{err}"
    );
    assert!(
        parked.make_room("hezhou", 0).is_ok(),
        "a batch parking nothing passes"
    );
    assert!(
        parked.make_room("yongzhou", 2).is_ok(),
        "one peer's parked events do not stop another's"
    );
}
