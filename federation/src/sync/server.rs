//! The serving side of `Federation.Sync`: [`FederationService`] authenticates the caller
//! as a configured peer city (from its TLS certificate) and streams the local log to it,
//! one spawned task per stream feeding a bounded channel.
//!
//! A stream first catches up (batches of at most `batch_size` entries, never past the
//! durable head), then waits for the durable head to move, sending an empty heartbeat
//! batch every `heartbeat`. It ends cleanly after `max_stream_age` (the peer reconnects
//! and re-handshakes, so a revoked certificate is refused within a bound), with
//! `UNAVAILABLE` when the node shuts down, and silently when the peer goes away.

use std::sync::Arc;

use lianluo_proto::federation_server::{Federation, FederationServer};
use lianluo_proto::{CityFigures, FiguresRequest, SyncBatch, SyncEvent, SyncRequest};
use prost::Message;
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status};
use tracing::Instrument;

use super::{SourceBatch, SyncSettings, SyncSource};
use crate::identity::{peer_city_of, PeerCity};
use crate::tls::TlsConnectInfo;

/// Batches buffered per stream before the serving task waits for the peer to read.
const STREAM_BUFFER: usize = 4;

/// A batch grows to about this many encoded bytes of events (but always holds at least
/// one event), well under gRPC's default 4 MiB message limit.
pub const MAX_BATCH_BYTES: usize = 1 << 20;

/// The `Federation` gRPC service over a node's log.
pub struct FederationService<S: SyncSource> {
    source: Arc<S>,
    trust_domain: String,
    settings: SyncSettings,
    shutdown: watch::Receiver<bool>,
}

impl<S: SyncSource> FederationService<S> {
    /// A service streaming `source` to configured peers of `trust_domain`. Streams end
    /// when `shutdown` turns true (or its sender is dropped), so a graceful server
    /// shutdown is not held up by open streams.
    pub fn new(
        source: Arc<S>,
        trust_domain: impl Into<String>,
        settings: SyncSettings,
        shutdown: watch::Receiver<bool>,
    ) -> FederationService<S> {
        FederationService {
            source,
            trust_domain: trust_domain.into(),
            settings,
            shutdown,
        }
    }

    /// The service wrapped for `tonic::transport::Server::add_service`.
    pub fn into_server(self) -> FederationServer<FederationService<S>> {
        FederationServer::new(self)
    }

    /// The caller's city, if it is a configured peer presenting a node certificate;
    /// `what` names the call in the refusal's log line.
    fn authorize<T>(&self, request: &Request<T>, what: &str) -> Result<PeerCity, Status> {
        let remote = request.extensions().get::<TlsConnectInfo>().map_or_else(
            || "an unknown address".to_string(),
            |i| i.remote_addr.to_string(),
        );
        // TLS already refuses user and foreign certificates on the federation listener;
        // the role is checked again so a misconfigured trust bundle cannot let them in.
        let city = peer_city_of(request, &self.trust_domain).map_err(|e| {
            tracing::warn!(remote = %remote, "{what} refused: {e}");
            Status::from(e)
        })?;
        if !self.source.is_peer(&city) {
            tracing::warn!(remote = %remote, peer = %city, "{what} refused: not a configured peer");
            return Err(Status::permission_denied(format!(
                "{city} is not a configured peer of this node; add it under [[peers]] in \
                 this node's config if it should replicate with us"
            )));
        }
        if *self.shutdown.borrow() {
            return Err(Status::unavailable(
                "the node is shutting down; retry later",
            ));
        }
        Ok(city)
    }
}

#[tonic::async_trait]
impl<S: SyncSource> Federation for FederationService<S> {
    type SyncStream = ReceiverStream<Result<SyncBatch, Status>>;

    async fn sync(
        &self,
        request: Request<SyncRequest>,
    ) -> Result<Response<Self::SyncStream>, Status> {
        let city = self.authorize(&request, "sync")?;
        let request = request.into_inner();
        let (tx, rx) = mpsc::channel(STREAM_BUFFER);
        let span = tracing::info_span!("sync-serve", peer = %city);
        let stream = Streamer::start(self, city, &request, tx);
        tokio::spawn(stream.run().instrument(span));
        Ok(Response::new(ReceiverStream::new(rx)))
    }

    async fn figures(
        &self,
        request: Request<FiguresRequest>,
    ) -> Result<Response<CityFigures>, Status> {
        let city = self.authorize(&request, "figures")?;
        let year = request.into_inner().year;
        tracing::debug!(peer = %city, year, "serving figures");
        self.source.figures(year).await.map(Response::new)
    }
}

/// Why a stream ended.
enum End {
    /// `max_stream_age` reached: a clean end, the peer reconnects.
    Age,
    /// The node is shutting down.
    Shutdown,
    /// The peer closed the stream.
    PeerGone,
    /// Reading the log failed or the source misbehaved.
    Failed(Status),
}

/// One open stream to one peer.
struct Streamer<S: SyncSource> {
    source: Arc<S>,
    city: PeerCity,
    settings: SyncSettings,
    tx: mpsc::Sender<Result<SyncBatch, Status>>,
    shutdown: watch::Receiver<bool>,
    head: watch::Receiver<u64>,
    log_id: String,
    /// The last seq covered by a batch sent (or the peer's cursor at the start).
    after: u64,
    /// The event id the peer saw at its cursor's seq (checked when the stream starts).
    at_event_id: String,
    /// Signer certificates sent on this stream so far (re-sent when the set changes).
    sent_certs: Option<Vec<Vec<u8>>>,
    deadline: Instant,
}

impl<S: SyncSource> Streamer<S> {
    fn start(
        service: &FederationService<S>,
        city: PeerCity,
        request: &SyncRequest,
        tx: mpsc::Sender<Result<SyncBatch, Status>>,
    ) -> Streamer<S> {
        let source = service.source.clone();
        let log_id = source.log_id();
        let head = source.durable_head();
        let durable = *head.borrow();
        let after = if request.log_id != log_id {
            if !request.log_id.is_empty() {
                tracing::info!(
                    "{city}'s cursor belongs to log {} but ours is {log_id}: serving from the start",
                    request.log_id
                );
            }
            0
        } else if request.since_seq > durable {
            // Our log lost entries the peer has seen (restored without a new log id):
            // the seqs may be reused, so start over; the peer drops duplicates by id.
            tracing::warn!(
                "{city} asks for entries after seq {} but our durable head is {durable}: \
                 serving from the start",
                request.since_seq
            );
            0
        } else {
            request.since_seq
        };
        tracing::info!(peer = %city, after, "sync stream opened");
        Streamer {
            source,
            city,
            settings: service.settings.clone(),
            tx,
            shutdown: service.shutdown.clone(),
            head,
            log_id,
            after,
            at_event_id: request.at_event_id.clone(),
            sent_certs: None,
            deadline: Instant::now() + service.settings.max_stream_age,
        }
    }

    async fn run(mut self) {
        let end = match self.serve().await {
            Ok(never) => match never {},
            Err(end) => end,
        };
        match end {
            End::Age => tracing::debug!("stream reached its maximum age; the peer reconnects"),
            End::PeerGone => tracing::debug!("the peer closed the stream"),
            End::Shutdown => {
                tracing::debug!("node shutting down: ending the stream");
                let status = Status::unavailable("the node is shutting down; retry later");
                // Best effort: a full buffer or a gone peer needs no goodbye.
                let _ = self.tx.try_send(Err(status));
            }
            End::Failed(status) => {
                tracing::warn!("sync stream failed: {}", status.message());
                let _ = self.tx.try_send(Err(status));
            }
        }
    }

    /// Checks that our log holds the event the peer saw at its cursor's seq. A data dir
    /// restored from a snapshot keeps its log id and may have reused those seqs since:
    /// then we serve from the start (the peer drops duplicates by id).
    async fn check_cursor(&mut self) -> Result<(), End> {
        let expected = std::mem::take(&mut self.at_event_id);
        if self.after == 0 || expected.is_empty() {
            return Ok(());
        }
        let ours = self.event_id_at(self.after).await?;
        if ours.as_deref() != Some(expected.as_str()) {
            tracing::warn!(
                "peer {}'s cursor does not match our log at seq {} — was this data dir \
                 restored from a snapshot? serving from the start",
                self.city,
                self.after
            );
            self.after = 0;
        }
        Ok(())
    }

    /// The id of our log's entry at `seq`, if any.
    async fn event_id_at(&self, seq: u64) -> Result<Option<String>, End> {
        let id = self.source.event_id_at(seq).await;
        id.map_err(|e| End::Failed(Status::internal(format!("reading seq {seq}: {e}"))))
    }

    /// A batch's `covered_event_id`: the id of our entry at `seq` ("" for 0 or none).
    async fn covered_event_id(&self, seq: u64) -> Result<String, End> {
        Ok(self.event_id_at(seq).await?.unwrap_or_default())
    }

    /// Streams until something ends the stream (always an `Err`).
    async fn serve(&mut self) -> Result<std::convert::Infallible, End> {
        self.check_cursor().await?;
        // The first batch goes out at once, even when empty: it carries our signer
        // certificates and head, and tells the peer the stream is live.
        let mut first = true;
        loop {
            if *self.shutdown.borrow() {
                return Err(End::Shutdown);
            }
            if Instant::now() >= self.deadline {
                return Err(End::Age);
            }
            self.still_a_peer()?;
            let head = *self.head.borrow_and_update();
            if self.after < head {
                for batch in self.read(head).await? {
                    self.send(batch).await?;
                }
            } else if first {
                let batch = self.empty(head, true).await?;
                self.send(batch).await?;
            } else {
                self.idle().await?;
            }
            first = false;
        }
    }

    /// Ends the stream of a city removed from the peers while it was open (a config
    /// reload): it stops within one heartbeat, not at the stream's age.
    fn still_a_peer(&self) -> Result<(), End> {
        if self.source.is_peer(&self.city) {
            return Ok(());
        }
        tracing::info!(
            "{} is no longer a configured peer: ending its stream",
            self.city
        );
        Err(End::Failed(Status::permission_denied(format!(
            "{} is no longer a configured peer of this node",
            self.city
        ))))
    }

    /// Caught up: waits for the durable head to move, sending heartbeats meanwhile.
    async fn idle(&mut self) -> Result<(), End> {
        let heartbeat = tokio::time::sleep(self.settings.heartbeat);
        tokio::pin!(heartbeat);
        loop {
            tokio::select! {
                biased;
                _ = stopping(&mut self.shutdown) => return Err(End::Shutdown),
                _ = self.tx.closed() => return Err(End::PeerGone),
                _ = tokio::time::sleep_until(self.deadline) => return Err(End::Age),
                changed = self.head.changed() => {
                    return changed.map_err(|_| End::Failed(Status::unavailable(
                        "the node stopped publishing its durable head; retry later",
                    )));
                }
                _ = &mut heartbeat => {
                    self.still_a_peer()?;
                    let head = *self.head.borrow();
                    let batch = self.empty(head, false).await?;
                    self.send(batch).await?;
                    heartbeat.as_mut().reset(Instant::now() + self.settings.heartbeat);
                }
            }
        }
    }

    /// Reads the next entries after `self.after`, up to the durable `head`, as one or
    /// more batches of about [`MAX_BATCH_BYTES`] each.
    async fn read(&mut self, head: u64) -> Result<Vec<SyncBatch>, End> {
        let limit = self.settings.batch_size.max(1);
        let read = self.source.read(&self.city, self.after, head, limit).await;
        let SourceBatch {
            events,
            covered_seq,
        } = read.map_err(|e| {
            End::Failed(Status::internal(format!(
                "reading the log after seq {} for {} failed: {e}",
                self.after, self.city
            )))
        })?;
        check_read(self.after, head, &events, covered_seq).map_err(End::Failed)?;
        let events = events
            .into_iter()
            .map(|(seq, event)| SyncEvent {
                seq,
                event: Some(event),
            })
            .collect();
        let mut batches = Vec::new();
        for (events, covered_seq) in split(events, covered_seq, MAX_BATCH_BYTES) {
            let signer_certs = if events.is_empty() || !batches.is_empty() {
                Vec::new()
            } else {
                self.certs_if_changed()
            };
            let covered_event_id = self.covered_event_id(covered_seq).await?;
            batches.push(SyncBatch {
                log_id: self.log_id.clone(),
                events,
                covered_seq,
                head_seq: head,
                signer_certs,
                covered_event_id,
                checkpoints: Vec::new(),
            });
        }
        self.after = covered_seq;
        Ok(batches)
    }

    /// An empty batch (stream start or heartbeat) at the current position.
    async fn empty(&mut self, head: u64, with_certs: bool) -> Result<SyncBatch, End> {
        let covered_event_id = self.covered_event_id(self.after).await?;
        let checkpoints = self.source.checkpoints(&self.city).await;
        Ok(SyncBatch {
            checkpoints,
            log_id: self.log_id.clone(),
            events: Vec::new(),
            covered_seq: self.after,
            head_seq: head,
            signer_certs: if with_certs {
                self.certs_if_changed()
            } else {
                Vec::new()
            },
            covered_event_id,
        })
    }

    /// The known signer certificates, unless this stream already sent exactly these.
    fn certs_if_changed(&mut self) -> Vec<Vec<u8>> {
        let mut certs = self.source.signer_certs();
        certs.sort();
        if self.sent_certs.as_ref() == Some(&certs) {
            return Vec::new();
        }
        self.sent_certs = Some(certs.clone());
        certs
    }

    /// Sends `batch`, waiting while the peer is slow (but not past shutdown or age).
    async fn send(&mut self, batch: SyncBatch) -> Result<(), End> {
        tokio::select! {
            biased;
            _ = stopping(&mut self.shutdown) => Err(End::Shutdown),
            _ = tokio::time::sleep_until(self.deadline) => Err(End::Age),
            sent = self.tx.send(Ok(batch)) => sent.map_err(|_| End::PeerGone),
        }
    }
}

/// Checks a read's shape: it must make progress, stay within the durable head and list
/// its events in order within what it covers. A failure is a source bug; without this
/// check the stream could spin or skip entries.
fn check_read(
    after: u64,
    head: u64,
    events: &[(u64, lianluo_proto::SignedEvent)],
    covered_seq: u64,
) -> Result<(), Status> {
    let in_range = |seq: u64| seq > after && seq <= covered_seq;
    let ordered = events.windows(2).all(|w| w[0].0 <= w[1].0);
    if covered_seq <= after
        || covered_seq > head
        || !ordered
        || !events.iter().all(|e| in_range(e.0))
    {
        return Err(Status::internal(format!(
            "the log read after seq {after} up to {head} returned covered seq {covered_seq} \
             with event seqs outside it or out of order; this is a bug in the node"
        )));
    }
    Ok(())
}

/// Splits `events` (covering the log up to `covered_seq`) into runs of about
/// `max_bytes` encoded bytes. Every run but the last covers up to its last event; the
/// last covers up to `covered_seq`. There is always at least one run.
fn split(events: Vec<SyncEvent>, covered_seq: u64, max_bytes: usize) -> Vec<(Vec<SyncEvent>, u64)> {
    let mut runs = Vec::new();
    let mut run: Vec<SyncEvent> = Vec::new();
    let mut bytes = 0;
    for event in events {
        let len = event.encoded_len();
        if let Some(last) = run.last().map(|e| e.seq) {
            if bytes + len > max_bytes {
                // A newly added participant gets the record's earlier events under the
                // add event's seq. A part ending inside such a group must not cover that
                // seq, or a disconnect after it would skip the rest of the group.
                let covered = if event.seq == last {
                    last.saturating_sub(1)
                } else {
                    last
                };
                runs.push((std::mem::take(&mut run), covered));
                bytes = 0;
            }
        }
        bytes += len;
        run.push(event);
    }
    runs.push((run, covered_seq));
    runs
}

/// Completes when shutdown is signalled or its sender is gone.
async fn stopping(shutdown: &mut watch::Receiver<bool>) {
    let _ = shutdown.wait_for(|stop| *stop).await;
}

#[cfg(test)]
mod tests {
    use lianluo_proto::SignedEvent;

    use super::*;

    fn event(seq: u64, size: usize) -> SyncEvent {
        SyncEvent {
            seq,
            event: Some(SignedEvent {
                body: vec![b'x'; size],
                ..SignedEvent::default()
            }),
        }
    }

    fn shape(runs: &[(Vec<SyncEvent>, u64)]) -> Vec<(Vec<u64>, u64)> {
        runs.iter()
            .map(|(events, covered)| (events.iter().map(|e| e.seq).collect(), *covered))
            .collect()
    }

    #[test]
    fn malformed_reads_are_refused() {
        let ev = |seq| (seq, SignedEvent::default());
        assert!(check_read(4, 9, &[ev(5), ev(7)], 8).is_ok());
        assert!(check_read(4, 9, &[], 4).is_err(), "no progress");
        assert!(check_read(4, 9, &[], 10).is_err(), "past the durable head");
        assert!(check_read(4, 9, &[ev(4)], 8).is_err(), "already covered");
        assert!(check_read(4, 9, &[ev(9)], 8).is_err(), "beyond covered");
        assert!(
            check_read(4, 9, &[ev(7), ev(5)], 8).is_err(),
            "out of order"
        );
    }

    #[test]
    fn small_batches_stay_whole() {
        let runs = split(vec![event(2, 10), event(5, 10)], 9, 1000);
        assert_eq!(shape(&runs), [(vec![2, 5], 9)]);
        assert_eq!(shape(&split(Vec::new(), 4, 1000)), [(vec![], 4)]);
    }

    #[test]
    fn large_batches_split_and_only_the_last_run_covers_the_read() {
        let events = vec![event(1, 400), event(3, 400), event(4, 400), event(8, 2000)];
        let runs = split(events, 10, 1000);
        assert_eq!(
            shape(&runs),
            [(vec![1, 3], 3), (vec![4], 4), (vec![8], 10)],
            "an event larger than the limit travels alone"
        );
    }

    #[test]
    fn a_part_ending_inside_a_same_seq_group_does_not_cover_that_seq() {
        // seq 7 is a group: an add event plus the record's earlier events.
        let events = vec![event(5, 600), event(7, 600), event(7, 600), event(7, 600)];
        let runs = split(events, 9, 1000);
        let covered: Vec<u64> = runs.iter().map(|(_, c)| *c).collect();
        assert_eq!(covered, vec![5, 6, 6, 9], "{:?}", shape(&runs));
        assert!(covered.windows(2).all(|w| w[0] <= w[1]));
    }
}
