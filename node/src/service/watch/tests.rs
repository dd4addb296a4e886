//! `Records.Watch` on a real node state: what changed after a position, each record once
//! per response as it is now, then live changes; a resumed stream starts after its
//! cursor; a cursor the log never reached starts over.

use std::time::Duration;

use lianluo_proto::WatchResponse;
use tokio_stream::StreamExt;

use super::{start, WatchStream};
use crate::replication::tests::Fed;

async fn next(s: &mut WatchStream) -> WatchResponse {
    tokio::time::timeout(Duration::from_secs(10), s.next())
        .await
        .expect("a response within the bound")
        .expect("the stream goes on")
        .expect("not an error")
}

/// Responses until `ids` were all seen; returns the last cursor.
async fn until_seen(s: &mut WatchStream, ids: &[&str]) -> u64 {
    let mut left: Vec<&str> = ids.to_vec();
    let mut cursor = 0;
    while !left.is_empty() {
        let r = next(s).await;
        cursor = r.cursor;
        for rec in &r.records {
            assert!(
                rec.history.is_empty(),
                "watch sends records without history"
            );
            left.retain(|id| *id != rec.id);
        }
    }
    cursor
}

#[tokio::test]
async fn watch_sends_what_changed_then_follows_live() {
    let fed = Fed::new(&["hezhou"]).await;
    let a = fed.node("hezhou");
    let first = a.suggest(&[]).await;
    a.dispatch(&first.id).await;

    let mut s = start(a.state.clone(), 0, None);
    let r = next(&mut s).await;
    let ids: Vec<&str> = r.records.iter().map(|x| x.id.as_str()).collect();
    assert_eq!(
        ids,
        [first.id.as_str()],
        "two events of one record: sent once"
    );
    assert_eq!(r.records[0].status, "dispatched", "as it is now");
    assert_eq!((r.cursor, r.caught_up), (2, true));

    let second = a.suggest(&[]).await;
    assert_eq!(until_seen(&mut s, &[second.id.as_str()]).await, 3);

    // Resumed after the first record's events: only the second comes.
    let mut resumed = start(a.state.clone(), 2, None);
    let r = next(&mut resumed).await;
    let ids: Vec<&str> = r.records.iter().map(|x| x.id.as_str()).collect();
    assert_eq!(ids, [second.id.as_str()]);
    assert_eq!(r.cursor, 3);

    // A position past the log (a restored node) starts from the beginning.
    let mut over = start(a.state.clone(), 1_000, None);
    let r = next(&mut over).await;
    assert_eq!(r.records.len(), 2);
    assert!(r.caught_up);
}

#[tokio::test]
async fn watch_of_an_empty_node_says_it_is_caught_up_at_once() {
    let fed = Fed::new(&["hezhou"]).await;
    let a = fed.node("hezhou");
    let mut s = start(a.state.clone(), 0, None);
    let r = next(&mut s).await;
    assert!(r.records.is_empty());
    assert_eq!((r.cursor, r.caught_up), (0, true));
    let rec = a.suggest(&[]).await;
    until_seen(&mut s, &[rec.id.as_str()]).await;
}
