//! Connecting to the real nodes a [`Federation`] runs, the way their users and peers do:
//! a user channel is its own TLS connection with a city's user certificate (one per
//! benchmark client, so 64 clients are 64 connections); a peer channel presents a city's
//! NODE certificate to another node's federation port. Plus [`BlackHole`], a listener
//! that accepts TCP and never answers, for the partitioned-overview figure.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use anyhow::{Context, Result};
use lianluo_federation::tls::{client_config, connect, connect_peer, TlsFiles};
use lianluo_tests::fake_peer::{node_files, TRUST_DOMAIN};
use lianluo_tests::{Federation, NodeProc};
use tonic::transport::Channel;

/// A new three-city setup (see [`Federation::init`]), its dir registered for removal
/// if the run is interrupted, with `--max-stream-secs` applied and room for 64
/// concurrent clients per user certificate.
pub fn federation(ctx: &crate::Ctx) -> Result<Federation> {
    let fed = Federation::init()?;
    crate::cleanup::register(fed.dir());
    if let Some(secs) = ctx.sizes.max_stream_secs {
        fed.set_max_stream_secs(secs)?;
    }
    // Every benchmark client of a city uses the same certificate: up to 64 of them call
    // at once, over the per-user defaults of 16 calls at once and 200 a second.
    for city in lianluo_tests::CITIES {
        fed.set_config(city, "limits", "calls_per_caller", "256")?;
        fed.set_config(city, "limits", "calls_per_second", "1000000")?;
    }
    Ok(fed)
}

/// The setup's PKI directory.
pub fn pki(fed: &Federation) -> PathBuf {
    fed.dir().join("pki")
}

/// A new TLS connection to `node`'s client API as its city's `role` user.
pub async fn user_channel(fed: &Federation, node: &NodeProc, role: &str) -> Result<Channel> {
    let users = pki(fed).join(&node.city).join("users");
    let config = client_config(&TlsFiles {
        cert: users.join(format!("{role}.pem")),
        key: users.join(format!("{role}.key")),
        ca: pki(fed).join("root-ca.pem"),
        crls: vec![],
    })?;
    let endpoint = format!("https://{}", node.api);
    connect(&endpoint, config)
        .await
        .with_context(|| format!("connecting to {} as {role}", node.city))
}

/// `n` user channels (each its own connection) to `node` as `role`.
pub async fn user_channels(
    fed: &Federation,
    node: &NodeProc,
    role: &str,
    n: usize,
) -> Result<Vec<Channel>> {
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        out.push(user_channel(fed, node, role).await?);
    }
    Ok(out)
}

/// A connection to `server`'s federation port presenting `as_city`'s node certificate
/// (directly, not through the harness's link proxy).
pub async fn peer_channel(fed: &Federation, as_city: &str, server: &NodeProc) -> Result<Channel> {
    let config = client_config(&node_files(&pki(fed), as_city))?;
    let endpoint = format!("https://{}", server.federation);
    connect_peer(&endpoint, config, TRUST_DOMAIN, &server.city)
        .await
        .with_context(|| {
            format!(
                "connecting to {}'s federation port as {as_city}",
                server.city
            )
        })
}

/// A free loopback port (bound and released; fine for a benchmark on an idle machine).
pub fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// A listener that completes TCP handshakes and then never sends a byte: a peer whose
/// network swallows traffic. Holds every connection until dropped.
pub struct BlackHole {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    held: Arc<Mutex<Vec<TcpStream>>>,
    thread: Option<JoinHandle<()>>,
}

impl BlackHole {
    /// Starts listening on 127.0.0.1:0.
    pub fn start() -> Result<BlackHole> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let held = Arc::new(Mutex::new(Vec::new()));
        let (s, h) = (stop.clone(), held.clone());
        let thread = std::thread::Builder::new()
            .name("black-hole".into())
            .spawn(move || {
                for conn in listener.incoming() {
                    if s.load(Ordering::SeqCst) {
                        return;
                    }
                    if let (Ok(c), Ok(mut held)) = (conn, h.lock()) {
                        held.push(c);
                    }
                }
            })?;
        Ok(BlackHole {
            addr,
            stop,
            held,
            thread: Some(thread),
        })
    }

    /// The address to route a link to.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Connections swallowed so far.
    pub fn swallowed(&self) -> usize {
        self.held.lock().map(|h| h.len()).unwrap_or_default()
    }
}

impl Drop for BlackHole {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_millis(500));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
