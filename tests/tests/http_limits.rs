//! The plain HTTP listener of a real node under a flood of silent connections from one
//! address and under requests for another host name (DNS rebinding): other clients are
//! still served at once, silent connections are closed after `limits.idle_secs`, and a
//! request naming another host is refused without data.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use anyhow::{Context as _, Result};
use lianluo_tests::Federation;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpSocket, TcpStream};

/// A TCP connection to `to` from the loopback address `from`.
async fn connect_from(from: &str, to: SocketAddr) -> Result<TcpStream> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::new(from.parse::<IpAddr>()?, 0))?;
    Ok(socket.connect(to).await?)
}

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
    let cfg = fed.node_config("hezhou");
    let mut text = std::fs::read_to_string(&cfg)?;
    text.push_str("\n[limits]\nidle_secs = 1\nconnections_per_source = 8\nhttp_connections = 64\n");
    std::fs::write(&cfg, text)?;
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
