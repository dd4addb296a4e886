//! Fan-out figures queries end to end on 127.0.0.1: `PeerFigures` asking real
//! `FederationService` servers over mutual TLS, and what each kind of failure is called —
//! a refusal, an unreachable node, a node that never answers — all within one deadline.
#![allow(clippy::unwrap_used)]

#[path = "sync/harness.rs"]
#[allow(dead_code)]
mod harness;
#[path = "sync/mem.rs"]
#[allow(dead_code)]
mod mem;
#[path = "support/poll.rs"]
#[allow(dead_code)]
mod poll;
#[path = "support/pki.rs"]
mod support;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use harness::{free_addr, serve, settings};
use lianluo_federation::fanout::{Failure, PeerFigures};
use lianluo_federation::{PeerCity, ReloadableClientConfig};
use mem::MemSource;
use support::{tls_files, Fixture, TD};

fn client(fx: &Fixture, city: &str, peers: &[(&str, SocketAddr)]) -> PeerFigures {
    let files = tls_files(&fx.node(city), &fx.root_ca(), &[fx.root_crl()]);
    let tls = ReloadableClientConfig::load(files).unwrap();
    let peers = peers
        .iter()
        .map(|(c, a)| (PeerCity::configured(c).unwrap(), (*a).into()))
        .collect();
    PeerFigures::new(peers, tls, TD)
}

fn outcome<T>(r: &Result<T, lianluo_federation::fanout::Failed>) -> &'static str {
    match r {
        Ok(_) => "ok",
        Err(f) => f.failure.as_str(),
    }
}

#[tokio::test]
async fn fanout_names_each_peers_outcome_and_never_waits_past_the_deadline() {
    let fx = Fixture::new();
    let log = Arc::new(MemSource::new("log-f", &["qingyuan"], &[]));
    log.push("one", &["qingyuan"]);
    log.push("two", &["qingyuan"]);
    let hezhou = serve(&fx, log, settings()).await;
    // Accepts TCP connections (the kernel's backlog) but never speaks TLS.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = free_addr();

    let deadline = Duration::from_millis(1500);
    let qingyuan = client(
        &fx,
        "qingyuan",
        &[
            ("hezhou", hezhou.addr),
            ("yongzhou", dead),
            ("guilin", silent.local_addr().unwrap()),
        ],
    );
    let started = Instant::now();
    let answers = qingyuan.fetch(2026, deadline, false).await;
    let took = started.elapsed();
    assert!(took >= deadline, "the silent peer is waited for: {took:?}");
    assert!(took < deadline + Duration::from_secs(1), "took {took:?}");

    let got: Vec<_> = answers
        .iter()
        .map(|a| (a.city.as_str(), outcome(&a.result)))
        .collect();
    assert_eq!(
        got,
        [
            ("hezhou", "ok"),
            ("yongzhou", "unreachable"),
            ("guilin", "timeout")
        ]
    );
    let figures = answers[0].result.as_ref().unwrap();
    assert_eq!((figures.city.as_str(), figures.year), ("hezhou", 2026));
    assert_eq!(figures.suggestions, 2, "the served node's own figures");
    let unreachable = answers[1].result.as_ref().unwrap_err();
    assert!(
        unreachable.error.contains(&dead.to_string()),
        "{unreachable:?}"
    );
    assert!(answers[2]
        .result
        .as_ref()
        .unwrap_err()
        .error
        .contains("1500 ms"));
}

#[tokio::test]
async fn fanout_refusals_are_told_apart_from_unreachable_nodes() {
    let fx = Fixture::new();
    let log = Arc::new(MemSource::new("log-r", &["qingyuan"], &[]));
    let hezhou = serve(&fx, log, settings()).await;
    let deadline = Duration::from_secs(5);

    // Yongzhou is not one of hezhou's configured peers.
    let yongzhou = client(&fx, "yongzhou", &[("hezhou", hezhou.addr)]);
    let answers = yongzhou.fetch(0, deadline, false).await;
    let failed = answers[0].result.as_ref().unwrap_err();
    assert_eq!(failed.failure, Failure::Refused, "{failed:?}");
    assert!(
        failed.error.contains("yongzhou is not a configured peer"),
        "{failed:?}"
    );

    // The node at the address is hezhou, not the city we meant to ask.
    let qingyuan = client(&fx, "qingyuan", &[("yongzhou", hezhou.addr)]);
    let answers = qingyuan.fetch(0, deadline, false).await;
    let failed = answers[0].result.as_ref().unwrap_err();
    assert_eq!(failed.failure, Failure::Refused, "{failed:?}");
    assert!(failed.error.contains("not the expected peer"), "{failed:?}");
}

#[tokio::test]
async fn fanout_stop_on_failure_returns_at_the_first_failure() {
    let fx = Fixture::new();
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let qingyuan = client(
        &fx,
        "qingyuan",
        &[
            ("guilin", silent.local_addr().unwrap()),
            ("yongzhou", free_addr()),
        ],
    );
    let started = Instant::now();
    let answers = qingyuan.fetch(0, Duration::from_secs(30), true).await;
    assert!(started.elapsed() < Duration::from_secs(10));
    let got: Vec<_> = answers
        .iter()
        .map(|a| (a.city.as_str(), outcome(&a.result)))
        .collect();
    assert_eq!(got, [("yongzhou", "unreachable")]);
}
