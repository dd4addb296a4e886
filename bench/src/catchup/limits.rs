//! The two limits of catch-up, measured on the very events the lagging node must apply.
//!
//! Stream-only: `Federation/Sync` from `since_seq = 0` against the writing node's
//! federation port, presenting the lagging city's NODE certificate (what its node
//! presents), reading batches until the writer's log head is covered — no verification,
//! no storage. That is how fast the writer can serve the events over TLS.
//!
//! Verify-only: every streamed event's signature checked with
//! `SignerDirectory::verify` on all cores (one chunk per core), nothing else. That is
//! how fast any node can accept them, since it must verify each one.

use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};
use lianluo_federation::SignerDirectory;
use lianluo_proto::federation_client::FederationClient;
use lianluo_proto::{SignedEvent, SyncRequest};
use lianluo_tests::fake_peer::TRUST_DOMAIN;
use lianluo_tests::{Federation, NodeProc};
use prost::Message;

use crate::cluster::{peer_channel, pki};

/// How long the stream may take to cover the head.
const STREAM_TIMEOUT: Duration = Duration::from_secs(600);

/// What the stream-only read got.
pub struct Streamed {
    /// The events, in log order.
    pub events: Vec<SignedEvent>,
    /// Signer certificates (DER) the batches carried.
    pub signer_certs: Vec<Vec<u8>>,
    /// Encoded bytes of every batch received.
    pub bytes: u64,
    /// From the call to the batch that covered the head.
    pub elapsed: Duration,
}

/// Reads `server`'s log from the start as `as_city`'s node until `head` is covered.
pub async fn stream_only(
    fed: &Federation,
    as_city: &str,
    server: &NodeProc,
    head: u64,
) -> Result<Streamed> {
    let channel = peer_channel(fed, as_city, server).await?;
    let started = Instant::now();
    let read = async {
        let mut stream = FederationClient::new(channel)
            .sync(SyncRequest::default())
            .await
            .context("Sync refused")?
            .into_inner();
        let mut out = Streamed {
            events: Vec::new(),
            signer_certs: Vec::new(),
            bytes: 0,
            elapsed: Duration::ZERO,
        };
        while let Some(batch) = stream.message().await? {
            out.bytes += batch.encoded_len() as u64;
            out.signer_certs.extend(batch.signer_certs);
            out.events
                .extend(batch.events.into_iter().filter_map(|e| e.event));
            if batch.covered_seq >= head {
                out.elapsed = started.elapsed();
                return Ok(out);
            }
        }
        bail!("the Sync stream ended before covering seq {head}")
    };
    tokio::time::timeout(STREAM_TIMEOUT, read)
        .await
        .context("stream-only read timed out")?
}

/// Verifies every event with a directory trusting the setup's root CA and knowing
/// `signer_certs`, on `threads` threads; returns the wall time.
pub fn verify_only(
    fed: &Federation,
    events: &[SignedEvent],
    signer_certs: &[Vec<u8>],
    threads: usize,
) -> Result<Duration> {
    let dir = SignerDirectory::load(&pki(fed).join("root-ca.pem"), TRUST_DOMAIN)?;
    for cert in signer_certs {
        dir.add_cert(cert)?;
    }
    let chunk = events.len().div_ceil(threads.max(1)).max(1);
    let started = Instant::now();
    let failures: usize = std::thread::scope(|s| {
        let handles: Vec<_> = events
            .chunks(chunk)
            .map(|part| {
                let dir = &dir;
                s.spawn(move || part.iter().filter(|e| dir.verify(e).is_err()).count())
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or(usize::MAX))
            .fold(0usize, usize::saturating_add)
    });
    let elapsed = started.elapsed();
    ensure!(
        failures == 0,
        "{failures} of {} streamed events failed verification",
        events.len()
    );
    Ok(elapsed)
}
