//! The receiving side: one task per configured peer pulls the peer's log into the local
//! node through a [`SyncSink`], records its state in the [`PeerRegistry`] and reconnects
//! with exponential backoff and jitter after failures.
//!
//! Every session uses a new channel, hence a new TLS handshake: when the peer ends a
//! stream at its `max_stream_age`, we reconnect at once with a fresh handshake, so a
//! revoked certificate (ours or theirs) stops replication within a bounded time.

use std::sync::Arc;
use std::time::SystemTime;

use lianluo_proto::federation_client::FederationClient;
use lianluo_proto::{SyncBatch, SyncRequest};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tonic::{Status, Streaming};
use tracing::Instrument;

use super::backoff::{backoff_delay, Jitter};
use super::{Cursor, PeerPhase, PeerRegistry, SyncSettings, SyncSink};
use crate::address::PeerAddress;
use crate::identity::PeerCity;
use crate::tls::{connect_peer_lazy, ReloadableClientConfig};

/// The largest batch we accept: one event as large as any node accepts
/// (`limits.max_request_bytes` is at most 64 MiB) plus signer certificates. Servers keep
/// batches near [`super::MAX_BATCH_BYTES`] otherwise.
pub const MAX_MESSAGE_BYTES: usize = 80 << 20;

/// Starts the worker replicating from `peer` at `address` into `sink`, until `shutdown`
/// turns true (or its sender is dropped). The peer is registered in `registry` at once;
/// the task runs in the tracing span `sync-peer{peer=…}` and ends with phase `stopped`.
// The argument list is the contract the node wires against; a builder would add nothing.
#[allow(clippy::too_many_arguments)]
pub fn spawn_peer_worker(
    peer: PeerCity,
    address: PeerAddress,
    client_tls: impl Into<ReloadableClientConfig>,
    trust_domain: String,
    sink: Arc<dyn SyncSink>,
    registry: PeerRegistry,
    settings: SyncSettings,
    shutdown: watch::Receiver<bool>,
) -> JoinHandle<()> {
    let client_tls = client_tls.into();
    let endpoint = address.endpoint();
    registry.register(peer.as_str(), address);
    let span = tracing::info_span!("sync-peer", peer = %peer);
    let worker = Worker {
        endpoint,
        jitter: Jitter::from_time(peer.as_str()),
        peer,
        client_tls,
        trust_domain,
        sink,
        registry,
        settings,
        shutdown,
        attempt: 0,
    };
    tokio::spawn(worker.run().instrument(span))
}

/// How a session (one connection, one stream) ended.
enum SessionEnd {
    /// The node is shutting down.
    Shutdown,
    /// The peer ended the stream cleanly after sending batches (its `max_stream_age`).
    Rotated,
    /// Something failed; back off before the next attempt.
    Failed(String),
}

struct Worker {
    peer: PeerCity,
    endpoint: String,
    // Read on every dial, so a rotated node certificate or key is used without a restart.
    client_tls: ReloadableClientConfig,
    trust_domain: String,
    sink: Arc<dyn SyncSink>,
    registry: PeerRegistry,
    settings: SyncSettings,
    shutdown: watch::Receiver<bool>,
    jitter: Jitter,
    /// Failed attempts since the last applied batch.
    attempt: u32,
}

/// Where the current stream stands: the cursor in the peer's log last known applied.
struct Position {
    log_id: String,
    covered: u64,
}

impl Worker {
    async fn run(mut self) {
        tracing::info!(endpoint = %self.endpoint, "peer worker started");
        loop {
            if *self.shutdown.borrow() {
                break;
            }
            self.registry
                .update(self.peer.as_str(), |s| s.phase = PeerPhase::Connecting);
            match self.session().await {
                SessionEnd::Shutdown => break,
                SessionEnd::Rotated => {
                    tracing::debug!("the peer ended the stream (stream age); reconnecting");
                }
                SessionEnd::Failed(error) => {
                    if !self.back_off(error).await {
                        break;
                    }
                }
            }
        }
        self.registry
            .update(self.peer.as_str(), |s| s.phase = PeerPhase::Stopped);
        tracing::info!("peer worker stopped");
    }

    /// Records the failure and sleeps the backoff delay; false if shutdown came first.
    async fn back_off(&mut self, error: String) -> bool {
        self.attempt = self.attempt.saturating_add(1);
        let delay = backoff_delay(
            self.settings.min_backoff,
            self.settings.max_backoff,
            self.attempt,
            self.jitter.next_f64(),
        );
        let attempt = self.attempt;
        let until = SystemTime::now() + delay;
        let mut repeated = false;
        self.registry.update(self.peer.as_str(), |s| {
            repeated = s.last_error.as_deref() == Some(error.as_str());
            s.phase = PeerPhase::BackingOff { attempt, until };
            s.attempt = attempt;
            s.last_error = Some(error.clone());
            s.last_error_at = Some(SystemTime::now());
        });
        let delay_ms = delay.as_millis();
        // A peer that stays down would fill the log: repeat the same error quietly.
        if repeated {
            tracing::debug!(
                attempt,
                delay_ms,
                "sync with {} failed again: {error}",
                self.peer
            );
        } else {
            tracing::warn!(attempt, delay_ms, "sync with {} failed: {error}", self.peer);
        }
        tokio::select! {
            _ = stopping(&mut self.shutdown) => false,
            _ = tokio::time::sleep(delay) => true,
        }
    }

    async fn session(&mut self) -> SessionEnd {
        match self.stream().await {
            Ok(end) | Err(end) => end,
        }
    }

    /// Opens a stream from our durable cursor and applies batches until it ends. The next
    /// batch is read while one is applied, and handed to the sink to prepare (check its
    /// signatures) meanwhile.
    async fn stream(&mut self) -> Result<SessionEnd, SessionEnd> {
        let (mut stream, mut position) = self.open().await?;
        let ahead = ReadAhead {
            peer: self.peer.clone(),
            sink: self.sink.clone(),
            idle: self.settings.idle_timeout,
            shutdown: self.shutdown.clone(),
        };
        let mut next = ahead.read(&mut stream).await?;
        let mut received = false;
        loop {
            let Some(batch) = next.take() else {
                return if received {
                    Ok(SessionEnd::Rotated)
                } else {
                    Err(SessionEnd::Failed(format!(
                        "{} ended the stream without sending a batch",
                        self.peer
                    )))
                };
            };
            received = true;
            let (handled, following) =
                tokio::join!(self.handle(batch, &mut position), ahead.read(&mut stream));
            handled?;
            next = following?;
        }
    }

    /// Dials the peer on a new channel and opens `Sync` from our durable cursor.
    async fn open(&mut self) -> Result<(Streaming<SyncBatch>, Position), SessionEnd> {
        let peer = self.peer.clone();
        // A new channel per session forces a new TLS handshake (see the module doc).
        let channel = connect_peer_lazy(
            &self.endpoint,
            self.client_tls.current(),
            &self.trust_domain,
            peer.as_str(),
        )
        .map_err(|e| SessionEnd::Failed(e.to_string()))?;
        let cursor =
            self.sink.cursor(&peer).await.map_err(|e| {
                SessionEnd::Failed(format!("cannot read our cursor for {peer}: {e}"))
            })?;
        self.registry
            .update(peer.as_str(), |s| s.cursor = cursor.clone());
        let cursor = cursor.unwrap_or_default();
        let request = SyncRequest {
            log_id: cursor.log_id.clone(),
            since_seq: cursor.seq,
            at_event_id: cursor.event_id.clone(),
        };
        let mut client =
            FederationClient::new(channel).max_decoding_message_size(MAX_MESSAGE_BYTES);
        let idle = self.settings.idle_timeout;
        let opened = tokio::select! {
            _ = stopping(&mut self.shutdown) => return Err(SessionEnd::Shutdown),
            opened = tokio::time::timeout(idle, client.sync(request)) => opened,
        };
        let stream = opened
            .map_err(|_| SessionEnd::Failed(format!("{peer} did not answer within {idle:?}")))?
            .map_err(|status| SessionEnd::Failed(describe(&status)))?
            .into_inner();
        let position = Position {
            log_id: cursor.log_id,
            covered: cursor.seq,
        };
        Ok((stream, position))
    }

    /// Applies one batch (skipping heartbeats that move nothing) and records the state.
    async fn handle(
        &mut self,
        batch: Arc<SyncBatch>,
        position: &mut Position,
    ) -> Result<(), SessionEnd> {
        let head = batch.head_seq;
        // Heartbeats that move nothing are skipped, unless they carry checkpoints for
        // the sink to compare.
        let moves = !batch.events.is_empty()
            || batch.log_id != position.log_id
            || batch.covered_seq > position.covered
            || !batch.checkpoints.is_empty();
        let mut applied = (0u64, 0u64);
        let mut ahead = (0u64, 0u64);
        let mut cursor = None;
        if moves {
            let log_id = batch.log_id.clone();
            let covered = batch.covered_seq;
            let covered_event_id = batch.covered_event_id.clone();
            let report = self.sink.apply(&self.peer, batch).await.map_err(|e| {
                SessionEnd::Failed(format!("applying a batch from {}: {e}", self.peer))
            })?;
            applied = (report.applied as u64, report.rejected as u64);
            ahead = (report.clock_ahead as u64, report.clock_ahead_ms);
            // The stream resumes after what the peer sent, even if the durable cursor
            // stays behind it for pending events (they are re-sent on reconnect).
            position.log_id = log_id.clone();
            position.covered = covered;
            let event_id = if report.cursor_seq == covered {
                covered_event_id
            } else {
                String::new()
            };
            cursor = Some(Cursor {
                log_id,
                seq: report.cursor_seq,
                event_id,
            });
        }
        self.attempt = 0;
        let now = SystemTime::now();
        self.registry.update(self.peer.as_str(), |s| {
            s.phase = PeerPhase::Connected;
            s.attempt = 0;
            // A healthy link shows no stale error (the log keeps every failure).
            s.last_error = None;
            s.last_error_at = None;
            s.last_contact = Some(now);
            if let Some(cursor) = cursor {
                s.cursor = Some(cursor);
            }
            let cursor_seq = s.cursor.as_ref().map_or(0, |c| c.seq);
            s.lag = head.saturating_sub(cursor_seq);
            s.events_applied += applied.0;
            s.events_rejected += applied.1;
            if ahead.0 > 0 {
                s.events_clock_ahead += ahead.0;
                s.clock_ahead_ms = ahead.1;
            }
        });
        Ok(())
    }
}

/// Reads the next batch of a stream (within the idle timeout, unless the node stops)
/// and hands it to the sink to prepare.
struct ReadAhead {
    peer: PeerCity,
    sink: Arc<dyn SyncSink>,
    idle: std::time::Duration,
    shutdown: watch::Receiver<bool>,
}

impl ReadAhead {
    async fn read(
        &self,
        stream: &mut Streaming<SyncBatch>,
    ) -> Result<Option<Arc<SyncBatch>>, SessionEnd> {
        let mut shutdown = self.shutdown.clone();
        let idle = self.idle;
        let next = tokio::select! {
            _ = stopping(&mut shutdown) => return Err(SessionEnd::Shutdown),
            next = tokio::time::timeout(idle, stream.message()) => next,
        };
        let batch = next
            .map_err(|_| {
                SessionEnd::Failed(format!(
                    "no batch or heartbeat from {} for {idle:?}; the stream is dead",
                    self.peer
                ))
            })?
            .map_err(|status| SessionEnd::Failed(describe(&status)))?;
        Ok(batch.map(|b| {
            let b = Arc::new(b);
            if !b.events.is_empty() {
                self.sink.prepare(&self.peer, &b);
            }
            b
        }))
    }
}

/// A status as one line for `last_error` and logs.
fn describe(status: &Status) -> String {
    if status.message().is_empty() {
        status.code().description().to_string()
    } else {
        status.message().to_string()
    }
}

/// Completes when shutdown is signalled or its sender is gone.
async fn stopping(shutdown: &mut watch::Receiver<bool>) {
    let _ = shutdown.wait_for(|stop| *stop).await;
}
