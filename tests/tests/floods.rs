//! Real nodes under floods of silent connections from one address (127.0.0.2), reopened
//! as the node closes them: on the TLS ports other clients are still served at once (one
//! source holds at most a few pending handshakes); on the plain HTTP listener other
//! clients are served and silent connections are closed after `limits.idle_secs`; and an
//! HTTP request naming another host (DNS rebinding) is refused without data.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};
use lianluo_tests::flood::{connect_from, Flood};
use lianluo_tests::{eventually, Federation};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

/// `GET path` with `Host: host` from `from`; the whole answer.
async fn get(from: &str, to: SocketAddr, host: &str, path: &str) -> Result<String> {
    let mut s = connect_from(from, to).await?;
    let req = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes()).await?;
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut raw))
        .await
        .context("no answer within 5 s")??;
    Ok(String::from_utf8_lossy(&raw).into_owned())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_silent_flood_from_one_address_neither_stops_others_nor_stays_open() -> Result<()> {
    let fed = Federation::init()?;
    for (key, value) in [
        ("idle_secs", "1"),
        ("connections_per_source", "8"),
        ("http_connections", "64"),
    ] {
        fed.set_config("hezhou", "limits", key, value)?;
    }
    let node = fed.start("hezhou")?;
    let http: SocketAddr = node.http.as_deref().context("no http address")?.parse()?;

    // 40 connections from 127.0.0.1 that never send a byte.
    let mut flood = Vec::new();
    for _ in 0..40 {
        flood.push(connect_from("127.0.0.1", http).await?);
    }
    // Another address is served at once.
    let ok = get("127.0.0.2", http, "localhost", "/healthz").await?;
    assert!(ok.starts_with("HTTP/1.1 200"), "{ok}");

    // Every silent connection is closed: 32 at once (over the per-source limit), the
    // other 8 after idle_secs.
    let started = std::time::Instant::now();
    for mut conn in flood {
        let mut byte = [0u8; 1];
        let read = tokio::time::timeout(Duration::from_secs(5), conn.read(&mut byte)).await;
        assert!(
            matches!(read, Ok(Ok(0)) | Ok(Err(_))),
            "a silent connection is still open after {:?}",
            started.elapsed()
        );
    }

    // A quiet change stream is not idle: its keep-alives fit within idle_secs.
    let mut watch = connect_from("127.0.0.2", http).await?;
    let req = "GET /api/watch HTTP/1.1\r\nHost: localhost\r\n\r\n";
    watch.write_all(req.as_bytes()).await?;
    let mut seen = Vec::new();
    let until = tokio::time::Instant::now() + Duration::from_secs(3);
    while let Ok(read) = tokio::time::timeout_at(until, watch.read_buf(&mut seen)).await {
        assert!(read? > 0, "the node closed a live change stream as idle");
    }
    let text = String::from_utf8_lossy(&seen);
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");

    let metrics = get("127.0.0.2", http, "127.0.0.1", "/metrics").await?;
    let closed = |reason: &str| {
        let series = format!("lianluo_http_connections_closed_total{{reason=\"{reason}\"}} ");
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(&series)?.parse::<u64>().ok())
    };
    assert!(closed("connections_per_source") >= Some(32), "{metrics}");
    assert!(closed("idle_secs") >= Some(8), "{metrics}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_request_for_another_host_gets_no_data() -> Result<()> {
    let fed = Federation::init()?;
    let node = fed.start("hezhou")?;
    let http: SocketAddr = node.http.as_deref().context("no http address")?.parse()?;
    let port = http.port();
    let rebound = get(
        "127.0.0.1",
        http,
        &format!("evil.example:{port}"),
        "/api/records",
    )
    .await?;
    assert!(rebound.starts_with("HTTP/1.1 421"), "{rebound}");
    assert!(!rebound.contains("\"records\""), "{rebound}");
    for host in [format!("127.0.0.1:{port}"), format!("localhost:{port}")] {
        let own = get("127.0.0.1", http, &host, "/api/records").await?;
        assert!(own.starts_with("HTTP/1.1 200"), "{host}: {own}");
    }
    Ok(())
}

#[test]
fn a_silent_tls_flood_from_one_address_does_not_stop_other_clients() -> Result<()> {
    let fed = Federation::init()?;
    let node = fed.start("hezhou")?;
    let api: SocketAddr = node.api.parse()?;
    let flood = Flood::start(api, 600)?;
    eventually(
        Duration::from_secs(30),
        "600 flood connections opened",
        || (flood.opened() >= 600).then_some(()),
    )?;
    let viewer = node.cli("viewer");
    for _ in 0..3 {
        let started = Instant::now();
        let out = viewer.run(&["list"]);
        let took = started.elapsed();
        assert!(
            out.status.success(),
            "list failed during the flood: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        // Before the per-source bound: 2–10 s, or "cannot connect" at the CLI's 10 s;
        // after it, tens of milliseconds (5 s leaves room for a loaded machine).
        assert!(
            took < Duration::from_secs(5),
            "list took {took:?} during the flood"
        );
    }
    Ok(())
}
