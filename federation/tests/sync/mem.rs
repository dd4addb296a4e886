//! Small in-memory implementations of the node's side of the sync protocol: a Vec-backed
//! log as [`SyncSource`] and a store-nothing-twice [`SyncSink`]. Storage is the node's
//! job; these only hold what the protocol tests need to observe.

use std::collections::BTreeSet;
use std::sync::Mutex;

use lianluo_federation::sync::{ApplyReport, Cursor, SourceBatch, SyncError, SyncSink, SyncSource};
use lianluo_federation::PeerCity;
use lianluo_proto::{CityFigures, SignedEvent, SyncBatch};
use tokio::sync::watch;

/// Bodies starting with this are refused by [`MemSink`] (counted as rejected).
pub const BAD: &str = "bad:";

/// A log: entries `(event, cities that may see it)`, seq = index + 1.
pub struct MemSource {
    log: Mutex<Log>,
    head: watch::Sender<u64>,
    peers: Vec<String>,
    certs: Vec<Vec<u8>>,
}

struct Log {
    log_id: String,
    entries: Vec<(SignedEvent, Vec<String>)>,
}

pub fn event(body: &str) -> SignedEvent {
    SignedEvent {
        body: body.as_bytes().to_vec(),
        signature: Vec::new(),
        signer_cert_sha256: String::new(),
    }
}

impl MemSource {
    pub fn new(log_id: &str, peers: &[&str], certs: &[&[u8]]) -> MemSource {
        MemSource {
            log: Mutex::new(Log {
                log_id: log_id.to_string(),
                entries: Vec::new(),
            }),
            head: watch::channel(0).0,
            peers: peers.iter().map(|p| p.to_string()).collect(),
            certs: certs.iter().map(|c| c.to_vec()).collect(),
        }
    }

    /// Appends an event WITHOUT making it durable; returns its seq.
    pub fn append(&self, body: &str, visible_to: &[&str]) -> u64 {
        let mut log = self.log.lock().unwrap();
        let cities = visible_to.iter().map(|c| c.to_string()).collect();
        log.entries.push((event(body), cities));
        log.entries.len() as u64
    }

    /// Publishes the whole log as durable.
    pub fn publish(&self) {
        let len = self.log.lock().unwrap().entries.len() as u64;
        self.head.send_replace(len);
    }

    /// Replaces the whole log by `bodies` (visible to `visible_to`), keeping the log id,
    /// and publishes it: a data dir restored from a snapshot that wrote new events since.
    pub fn replace(&self, bodies: &[&str], visible_to: &[&str]) {
        let mut log = self.log.lock().unwrap();
        let cities: Vec<String> = visible_to.iter().map(|c| c.to_string()).collect();
        log.entries = bodies.iter().map(|b| (event(b), cities.clone())).collect();
        self.head.send_replace(log.entries.len() as u64);
    }

    /// Appends and publishes.
    pub fn push(&self, body: &str, visible_to: &[&str]) -> u64 {
        let seq = self.append(body, visible_to);
        self.publish();
        seq
    }
}

#[tonic::async_trait]
impl SyncSource for MemSource {
    fn log_id(&self) -> String {
        self.log.lock().unwrap().log_id.clone()
    }

    fn is_peer(&self, city: &PeerCity) -> bool {
        self.peers.iter().any(|p| p == city.as_str())
    }

    async fn read(
        &self,
        city: &PeerCity,
        after_seq: u64,
        up_to: u64,
        limit: usize,
    ) -> Result<SourceBatch, SyncError> {
        let log = self.log.lock().unwrap();
        let end = up_to.min(log.entries.len() as u64);
        let stop = end.min(after_seq + limit as u64);
        let mut events = Vec::new();
        for seq in after_seq + 1..=stop {
            let (event, cities) = &log.entries[seq as usize - 1];
            if cities.iter().any(|c| c == city.as_str()) {
                events.push((seq, event.clone()));
            }
        }
        Ok(SourceBatch {
            events,
            covered_seq: stop.max(after_seq),
        })
    }

    async fn event_id_at(&self, seq: u64) -> Result<Option<String>, SyncError> {
        let log = self.log.lock().unwrap();
        let index = usize::try_from(seq).unwrap().checked_sub(1);
        Ok(index
            .and_then(|i| log.entries.get(i))
            .map(|(event, _)| String::from_utf8_lossy(&event.body).into_owned()))
    }

    fn durable_head(&self) -> watch::Receiver<u64> {
        self.head.subscribe()
    }

    fn signer_certs(&self) -> Vec<Vec<u8>> {
        self.certs.clone()
    }

    /// Hezhou's figures (the tests serve a MemSource as hezhou) showing what was asked and
    /// how much the log holds: `suggestions` is the log's length.
    async fn figures(&self, year: u32) -> Result<CityFigures, tonic::Status> {
        let len = self.log.lock().unwrap().entries.len() as u64;
        Ok(CityFigures {
            city: "hezhou".into(),
            year,
            suggestions: len,
            ..CityFigures::default()
        })
    }
}

/// What a [`MemSink`] holds.
#[derive(Debug, Clone, Default)]
pub struct SinkState {
    pub cursor: Option<Cursor>,
    /// `(peer log id, seq, body)` of stored events, in arrival order.
    pub events: Vec<(String, u64, String)>,
    pub duplicates: usize,
    pub rejected: usize,
    pub batches: usize,
    pub certs: BTreeSet<Vec<u8>>,
    /// The peer cities batches came from.
    pub peers: BTreeSet<String>,
}

impl SinkState {
    pub fn bodies(&self) -> Vec<&str> {
        self.events.iter().map(|e| e.2.as_str()).collect()
    }

    pub fn cursor_seq(&self) -> Option<(String, u64)> {
        self.cursor.as_ref().map(|c| (c.log_id.clone(), c.seq))
    }
}

/// Stores events once by body (the event id stand-in) with the cursor, atomically.
#[derive(Default)]
pub struct MemSink {
    state: Mutex<SinkState>,
}

impl MemSink {
    pub fn state(&self) -> SinkState {
        self.state.lock().unwrap().clone()
    }
}

#[tonic::async_trait]
impl SyncSink for MemSink {
    async fn cursor(&self, _peer: &PeerCity) -> Result<Option<Cursor>, SyncError> {
        Ok(self.state.lock().unwrap().cursor.clone())
    }

    async fn apply(
        &self,
        peer: &PeerCity,
        batch: std::sync::Arc<SyncBatch>,
    ) -> Result<ApplyReport, SyncError> {
        let batch = std::sync::Arc::unwrap_or_clone(batch);
        let mut state = self.state.lock().unwrap();
        let mut report = ApplyReport::default();
        state.batches += 1;
        state.peers.insert(peer.to_string());
        state.certs.extend(batch.signer_certs.iter().cloned());
        for sync_event in batch.events {
            let event = sync_event
                .event
                .ok_or_else(|| SyncError::Protocol("event missing".into()))?;
            let body = String::from_utf8(event.body).unwrap();
            if body.starts_with(BAD) {
                report.rejected += 1;
            } else if state.events.iter().any(|e| e.2 == body) {
                report.duplicates += 1;
            } else {
                state
                    .events
                    .push((batch.log_id.clone(), sync_event.seq, body));
                report.applied += 1;
            }
        }
        state.duplicates += report.duplicates;
        state.rejected += report.rejected;
        state.cursor = Some(Cursor {
            log_id: batch.log_id,
            seq: batch.covered_seq,
            event_id: batch.covered_event_id,
        });
        report.cursor_seq = batch.covered_seq;
        Ok(report)
    }
}
