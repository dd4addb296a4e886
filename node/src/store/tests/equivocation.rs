//! Equivocation proofs: two different events with one lineage are found, in one commit or
//! in two, and nothing else is.

use super::*;

fn with_lineage(record: &RecordId, text: &str, key: u8) -> NewEvent {
    NewEvent {
        lineage: Some(Lineage {
            key: [key; 32],
            author: "qingyuan".into(),
        }),
        ..new_event(record, text)
    }
}

#[test]
fn store_keeps_the_proof_of_two_events_with_one_lineage() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(dir.path());
    let r = rid(7);
    let (a, b, c) = (
        with_lineage(&r, "confirm", 1),
        with_lineage(&r, "refuse", 1),
        with_lineage(&r, "other", 2),
    );
    store
        .commit(events_only(vec![a.clone(), c.clone()]))
        .expect("first");
    assert_eq!(store.equivocations().expect("read"), vec![]);
    // The same events again are no equivocation.
    store
        .commit(events_only(vec![a.clone(), c]))
        .expect("again");
    assert_eq!(store.equivocations().expect("read"), vec![]);

    store.commit(events_only(vec![b.clone()])).expect("second");
    let found = store.equivocations().expect("read");
    assert_eq!(found.len(), 1, "{found:?}");
    let e = &found[0];
    assert_eq!((e.first, e.second), (a.id, b.id));
    assert_eq!(
        (e.record_id.clone(), e.author.as_str()),
        (r.clone(), "qingyuan")
    );
    assert!(
        store.has_event(&b.id).expect("read"),
        "both events are kept"
    );

    // Two of one lineage in one commit are found too.
    let (d, f) = (with_lineage(&r, "d", 3), with_lineage(&r, "f", 3));
    store.commit(events_only(vec![d, f])).expect("third");
    assert_eq!(store.equivocations().expect("read").len(), 2);
}
