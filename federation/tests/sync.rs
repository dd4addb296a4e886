//! The sync protocol end to end on 127.0.0.1: a real tonic server running
//! `FederationService` behind `tls_incoming`, peer workers dialling it with node
//! certificates from a real PKI, and in-memory logs and sinks standing in for storage.
#![allow(clippy::unwrap_used)]

#[path = "sync/harness.rs"]
mod harness;
#[path = "sync/mem.rs"]
mod mem;
#[path = "support/poll.rs"]
mod poll;
#[path = "support/pki.rs"]
mod support;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use harness::{
    contact_after, eventually, free_addr, listen, next_batch, serve, serve_with, settings, Node,
    Worker,
};
use lianluo_federation::sync::{PeerPhase, SyncSettings};
use lianluo_federation::{client_config, connect, connect_peer};
use lianluo_proto::federation_client::FederationClient;
use lianluo_proto::SyncRequest;
use mem::{MemSource, BAD};
use support::{tls_files, Fixture, TD};
use tonic::Code;

const Q: &[&str] = &["qingyuan"];
const Y: &[&str] = &["yongzhou"];

fn source(log_id: &str) -> Arc<MemSource> {
    Arc::new(MemSource::new(
        log_id,
        &["qingyuan", "yongzhou"],
        &[b"signer-hezhou"],
    ))
}

#[tokio::test]
async fn sync_worker_catches_up_then_tails_live_events_but_never_past_the_durable_head() {
    let fx = Fixture::new();
    let log = source("log-a");
    let mut expected = Vec::new();
    for i in 1..=7 {
        let body = format!("联络事件 {i}：边界调解");
        log.push(&body, Q);
        expected.push(body);
    }
    log.push(&format!("{BAD} forged"), Q);
    let node = serve(&fx, log.clone(), settings()).await;
    let worker = Worker::start(&fx, "qingyuan", node.addr, settings());

    // Catch-up from 0 in batches of 3; signer certificates came with the first batch.
    let state = worker.synced(7, "log-a", 8).await;
    assert_eq!(state.bodies(), expected, "in log order, Chinese intact");
    assert_eq!(
        state.events.iter().map(|e| e.1).collect::<Vec<_>>(),
        (1..=7).collect::<Vec<_>>()
    );
    assert!(state.certs.contains(b"signer-hezhou".as_slice()));
    assert_eq!(state.peers.iter().collect::<Vec<_>>(), ["hezhou"]);
    let peer = eventually("connected, caught up", || {
        let p = worker.peer();
        (p.phase == PeerPhase::Connected && p.lag == 0)
            .then_some(p.clone())
            .ok_or(format!("{p:?}"))
    })
    .await;
    assert_eq!(
        (peer.events_applied, peer.events_rejected, peer.attempt),
        (7, 1, 0)
    );
    assert_eq!(
        peer.cursor.map(|c| (c.log_id, c.seq)),
        Some(("log-a".into(), 8))
    );
    assert!(peer.last_error.is_none());

    // Logged but not durable yet: heartbeats keep coming, the event does not.
    log.append("未落盘", Q);
    let appended = SystemTime::now();
    contact_after(&worker, appended + Duration::from_millis(300)).await;
    assert_eq!(worker.sink().events.len(), 7);
    log.publish();
    worker.synced(8, "log-a", 9).await;

    // Live tail.
    log.push("live 1", Q);
    log.push("live 2", Y);
    log.push("live 3", Q);
    let state = worker.synced(10, "log-a", 12).await;
    assert_eq!(state.bodies()[7..], ["未落盘", "live 1", "live 3"]);
    assert_eq!(state.duplicates, 0);
    assert_eq!(node.streams_opened(), 1, "one stream served it all");
    worker.stop().await;
    node.stop().await;
}

#[tokio::test]
async fn sync_covered_seq_advances_past_events_the_peer_may_not_see() {
    let fx = Fixture::new();
    let log = source("log-b");
    for i in 0..4 {
        log.push(&format!("yongzhou only {i}"), Y);
    }
    log.push("shared", Q);
    for i in 0..3 {
        log.push(&format!("later yongzhou only {i}"), Y);
    }
    let node = serve(&fx, log.clone(), settings()).await;
    let worker = Worker::start(&fx, "qingyuan", node.addr, settings());
    let state = worker.synced(1, "log-b", 8).await;
    assert_eq!(state.bodies(), ["shared"]);
    // Live entries it may not see still move the cursor.
    log.push("yongzhou again", Y);
    log.push("and again", Y);
    let state = worker.synced(1, "log-b", 10).await;
    assert_eq!(state.events[0].1, 5, "served with its seq in hezhou's log");
    eventually("lag 0", || {
        let p = worker.peer();
        (p.lag == 0).then_some(()).ok_or(format!("{p:?}"))
    })
    .await;
    drop(node);
}

#[tokio::test]
async fn sync_a_changed_log_id_restarts_from_zero() {
    let fx = Fixture::new();
    let old = source("log-old");
    for i in 1..=5 {
        old.push(&format!("e{i}"), Q);
    }
    let node = serve(&fx, old, settings()).await;
    let addr = node.addr;
    let worker = Worker::start(&fx, "qingyuan", addr, settings());
    worker.synced(5, "log-old", 5).await;
    // Hezhou is wiped and refilled: a new log id, e1 and e2 relayed back, new events.
    node.stop().await;
    let new = source("log-new");
    for body in ["e1", "e2", "n1", "n2", "n3", "n4", "n5"] {
        new.push(body, Q);
    }
    let node = serve_with(
        listen(addr).await,
        harness::node_files(&fx),
        new,
        settings(),
    );
    // Had hezhou honoured since_seq = 5 it would have sent only n4 and n5.
    let state = worker.synced(10, "log-new", 7).await;
    let bodies = state.bodies();
    assert_eq!(bodies[5..], ["n1", "n2", "n3", "n4", "n5"]);
    assert_eq!(
        state.duplicates, 2,
        "e1 and e2 came again and were dropped by id"
    );
    assert!(state.events[5..].iter().all(|e| e.0 == "log-new"));
    worker.stop().await;
    node.stop().await;
}

#[tokio::test]
async fn sync_a_log_restored_from_a_snapshot_with_the_same_log_id_is_served_from_zero() {
    let fx = Fixture::new();
    let src = source("log-s");
    for i in 1..=5 {
        src.push(&format!("e{i}"), Q);
    }
    let node = serve(&fx, src.clone(), settings()).await;
    let addr = node.addr;
    let worker = Worker::start(&fx, "qingyuan", addr, settings());
    let state = worker.synced(5, "log-s", 5).await;
    assert_eq!(state.cursor.unwrap().event_id, "e5");
    // Hezhou is restored from a snapshot taken after e2 (same log id) and writes five
    // new events: seqs 3..=5 now hold other events, and its head passes our cursor.
    node.stop().await;
    src.replace(&["e1", "e2", "r3", "r4", "r5", "r6", "r7"], Q);
    let node = serve_with(
        listen(addr).await,
        harness::node_files(&fx),
        src,
        settings(),
    );
    // Had hezhou honoured since_seq = 5 it would have sent only r6 and r7.
    let state = worker.synced(10, "log-s", 7).await;
    assert_eq!(
        state.bodies(),
        ["e1", "e2", "e3", "e4", "e5", "r3", "r4", "r5", "r6", "r7"]
    );
    assert_eq!(state.cursor.unwrap().event_id, "r7");
    assert_eq!(state.duplicates, 2, "e1 and e2 came again and were dropped");
    worker.stop().await;
    node.stop().await;
}

#[tokio::test]
async fn sync_streams_end_at_max_age_and_the_worker_resumes_without_loss_or_duplicates() {
    let fx = Fixture::new();
    let short = SyncSettings {
        max_stream_age: Duration::from_millis(300),
        ..settings()
    };
    let log = source("log-r");
    let node = serve(&fx, log.clone(), short.clone()).await;
    let worker = Worker::start(&fx, "qingyuan", node.addr, short);
    let writer = {
        let log = log.clone();
        tokio::spawn(async move {
            for i in 1..=60 {
                log.push(&format!("r{i}"), if i % 4 == 0 { Y } else { Q });
                // Pacing the writer across several stream lifetimes (not a wait).
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    };
    harness::within("writer", writer).await.unwrap();
    let state = worker.synced(45, "log-r", 60).await;
    let seqs: Vec<u64> = state.events.iter().map(|e| e.1).collect();
    let want: Vec<u64> = (1..=60).filter(|i| i % 4 != 0).collect();
    assert_eq!(seqs, want, "every visible event once, in order");
    assert_eq!(
        state.duplicates, 0,
        "a reconnect resumes exactly at the cursor"
    );
    assert!(
        node.streams_opened() >= 3,
        "streams: {}",
        node.streams_opened()
    );
    let peer = worker.peer();
    assert_eq!(peer.attempt, 0);
    assert!(
        peer.last_error.is_none(),
        "a clean end is not an error: {peer:?}"
    );
    worker.stop().await;
    node.stop().await;
}

#[tokio::test]
async fn sync_non_peer_cities_and_user_certificates_are_refused() {
    let fx = Fixture::new();
    let log = Arc::new(MemSource::new("log-p", &["qingyuan"], &[]));
    log.push("for qingyuan and yongzhou", &["qingyuan", "yongzhou"]);
    // Hezhou trusts its user CA too here, so only the role check keeps users out.
    let city = fx.pki.city_paths("hezhou").unwrap();
    let bundle = fx.dir.path().join("trust.pem");
    let mut pem = std::fs::read(fx.root_ca()).unwrap();
    pem.extend(std::fs::read(&city.user_ca_cert).unwrap());
    std::fs::write(&bundle, pem).unwrap();
    let files = tls_files(
        &fx.node("hezhou"),
        &bundle,
        &[fx.root_crl(), city.user_ca_crl],
    );
    let node = serve_with(listen(free_addr()).await, files, log, settings());

    let yongzhou = client_config(&tls_files(&fx.node("yongzhou"), &fx.root_ca(), &[])).unwrap();
    let channel = connect_peer(&node.endpoint(), yongzhou, TD, "hezhou")
        .await
        .unwrap();
    let status = FederationClient::new(channel)
        .sync(SyncRequest::default())
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");
    assert!(
        status
            .message()
            .contains("yongzhou is not a configured peer"),
        "{status:?}"
    );

    let user = client_config(&tls_files(&fx.user("hezhou", "li.wei"), &fx.root_ca(), &[])).unwrap();
    let channel = connect(&node.endpoint(), user).await.unwrap();
    let status = FederationClient::new(channel)
        .sync(SyncRequest::default())
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");
    assert!(
        status.message().contains("node certificate is required"),
        "{status:?}"
    );

    // A worker of the refused city backs off with the reason visible, and gets nothing.
    let worker = Worker::start(&fx, "yongzhou", node.addr, settings());
    let peer = eventually("repeated refusals", || {
        let p = worker.peer();
        (p.attempt >= 2)
            .then_some(p.clone())
            .ok_or(format!("{p:?}"))
    })
    .await;
    assert!(matches!(
        peer.phase,
        PeerPhase::BackingOff { .. } | PeerPhase::Connecting
    ));
    assert!(peer.last_error.unwrap().contains("not a configured peer"));
    assert!(peer.last_contact.is_none());
    assert_eq!(worker.sink().batches, 0);
    assert_eq!(node.streams_opened(), 0);
    worker.stop().await;
}

#[tokio::test]
async fn sync_backoff_is_visible_while_the_peer_is_down_and_the_worker_connects_once_it_is_up() {
    let fx = Fixture::new();
    let addr = free_addr();
    let worker = Worker::start(&fx, "qingyuan", addr, settings());
    let peer = eventually("backing off", || {
        let p = worker.peer();
        match p.phase {
            PeerPhase::BackingOff { attempt, until } if attempt >= 3 => Ok((p.clone(), until)),
            _ => Err(format!("{p:?}")),
        }
    })
    .await;
    assert_eq!(peer.0.phase.as_str(), "backing_off");
    assert!(peer.0.attempt >= 3);
    assert!(
        peer.0
            .last_error
            .as_deref()
            .unwrap()
            .contains(&addr.to_string()),
        "{peer:?}"
    );
    assert!(
        peer.1 <= SystemTime::now() + settings().max_backoff,
        "capped: {peer:?}"
    );
    let failed_at = peer.0.last_error_at.expect("the failure has a time");
    assert!(failed_at <= SystemTime::now(), "{peer:?}");

    let log = source("log-u");
    log.push("hello", Q);
    let node = serve_with(
        listen(addr).await,
        harness::node_files(&fx),
        log,
        settings(),
    );
    worker.synced(1, "log-u", 1).await;
    let peer = eventually("connected", || {
        let p = worker.peer();
        (p.phase == PeerPhase::Connected)
            .then_some(p.clone())
            .ok_or(format!("{p:?}"))
    })
    .await;
    assert_eq!(peer.attempt, 0, "a batch resets the attempts");
    assert_eq!(
        (peer.last_error, peer.last_error_at),
        (None, None),
        "a connected link shows no stale error (the log keeps it)"
    );
    worker.stop().await;
    node.stop().await;
}

#[tokio::test]
async fn sync_shutdown_ends_open_streams_and_stops_workers() {
    let fx = Fixture::new();
    let log = source("log-s");
    log.push("one", Q);
    let node = serve(&fx, log, settings()).await;
    let worker = Worker::start(&fx, "qingyuan", node.addr, settings());
    worker.synced(1, "log-s", 1).await;
    let registry = worker.registry.clone();
    worker.stop().await;
    assert_eq!(registry.get("hezhou").unwrap().phase, PeerPhase::Stopped);

    // A raw stream, caught up: the first batch comes at once, then heartbeats.
    let tls = client_config(&tls_files(&fx.node("qingyuan"), &fx.root_ca(), &[])).unwrap();
    let channel = connect_peer(&node.endpoint(), tls, TD, "hezhou")
        .await
        .unwrap();
    let request = SyncRequest {
        log_id: "log-s".into(),
        since_seq: 1,
        at_event_id: String::new(),
    };
    let mut stream = FederationClient::new(channel)
        .sync(request)
        .await
        .unwrap()
        .into_inner();
    let first = next_batch(&mut stream).await.unwrap().unwrap();
    assert_eq!(
        (first.events.len(), first.covered_seq, first.head_seq),
        (0, 1, 1)
    );
    assert_eq!(first.signer_certs, [b"signer-hezhou".to_vec()]);
    let beat = next_batch(&mut stream).await.unwrap().unwrap();
    assert!(beat.events.is_empty() && beat.signer_certs.is_empty());
    let opened = Node::streams_opened(&node);
    assert_eq!(opened, 2);
    // The server's graceful shutdown would hang if the stream stayed open.
    node.stop().await;
    loop {
        match next_batch(&mut stream).await {
            Ok(Some(batch)) => assert!(batch.events.is_empty()),
            Ok(None) => panic!("expected UNAVAILABLE, got a clean end"),
            Err(status) => {
                assert_eq!(status.code(), Code::Unavailable, "{status:?}");
                break;
            }
        }
    }
}

#[tokio::test]
async fn sync_large_events_travel_in_batches_under_the_default_message_limit() {
    let fx = Fixture::new();
    let big = SyncSettings {
        batch_size: 256,
        ..settings()
    };
    let log = source("log-big");
    // 10 × ~510 KB of Chinese text: one read of 5 MB, over gRPC's 4 MiB default.
    let bodies: Vec<String> = (0..10)
        .map(|i| format!("{i}:{}", "边界联合调解".repeat(28_400)))
        .collect();
    for body in &bodies {
        log.push(body, Q);
    }
    let node = serve(&fx, log, big.clone()).await;

    // A client with tonic's default 4 MiB limit reads every batch.
    let tls = client_config(&tls_files(&fx.node("qingyuan"), &fx.root_ca(), &[])).unwrap();
    let channel = connect_peer(&node.endpoint(), tls, TD, "hezhou")
        .await
        .unwrap();
    let mut stream = FederationClient::new(channel)
        .sync(SyncRequest::default())
        .await
        .unwrap()
        .into_inner();
    let (mut seen, mut batches) = (0, 0);
    while seen < 10 {
        let batch = next_batch(&mut stream).await.unwrap().unwrap();
        assert!(
            batch.events.len() <= 2,
            "≈1 MiB per batch: {}",
            batch.events.len()
        );
        seen += batch.events.len();
        batches += 1;
        if seen < 10 {
            assert!(
                batch.covered_seq < 10,
                "an intermediate batch covers only its events"
            );
        } else {
            assert_eq!(batch.covered_seq, 10);
        }
    }
    assert!(batches >= 5, "{batches} batches");

    let worker = Worker::start(&fx, "qingyuan", node.addr, big);
    let state = worker.synced(10, "log-big", 10).await;
    assert_eq!(
        state.bodies(),
        bodies.iter().map(String::as_str).collect::<Vec<_>>()
    );
    worker.stop().await;
    drop(stream);
    node.stop().await;
}
