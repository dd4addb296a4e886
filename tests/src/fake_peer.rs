//! A fake federation peer for tests: [`FakePeer`] serves `Federation.Sync` over real
//! mutual TLS with a real node certificate of one city from the test PKI and streams
//! batches the test scripted (see [`script`]), then stays idle sending heartbeats. It can
//! serve anything, including events a real node would never send: forged signatures,
//! wrong signers, forbidden acts.
//!
//! [`forge`] builds and signs events with a city's real signer key (and tampers with
//! them); [`probe`] talks to a real node's federation service as a peer would (fetch its
//! events, or check whether a certificate is let in).

pub mod forge;
pub mod probe;

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use anyhow::{Context, Result};
use lianluo_federation::tls::{server_config, tls_incoming};
use lianluo_proto::federation_server::{Federation, FederationServer};
use lianluo_proto::{CityFigures, FiguresRequest, SignedEvent, SyncBatch, SyncEvent, SyncRequest};
use tokio::sync::{mpsc, watch};
use tonic::codegen::tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status};

pub use forge::{
    body_of, city_signer, event_body, id_of, new_record_id, participant_added, suggestion_created,
    tampered,
};
pub use probe::{fetch_events, node_files, server_refused, sync_probe};

/// The trust domain of the demo PKI the harness sets up.
pub const TRUST_DOMAIN: &str = "lianluo";

/// How often an idle fake stream sends an empty batch.
const HEARTBEAT: Duration = Duration::from_secs(1);

/// `n` random lowercase hex characters (not cryptographic; unique per run).
pub fn random_hex(n: usize) -> String {
    let mut out = String::with_capacity(n + 16);
    while out.len() < n {
        let mut h = RandomState::new().build_hasher();
        h.write_usize(out.len());
        out.push_str(&format!("{:016x}", h.finish()));
    }
    out.truncate(n);
    out
}

/// Numbers `batches` of events as one log `log_id` (seq 1, 2, … in order) and wraps each
/// in a [`SyncBatch`]: covered up to its last event (whose id is `covered_event_id`),
/// head = the total, `signer_certs` (DER)
/// in the first batch (a test may move them to a later one: the fake serves each batch's
/// certificates with it).
pub fn script(
    log_id: &str,
    batches: Vec<Vec<SignedEvent>>,
    signer_certs: Vec<Vec<u8>>,
) -> Vec<SyncBatch> {
    let total: usize = batches.iter().map(Vec::len).sum();
    let head = total as u64;
    let mut seq = 0u64;
    let mut certs = Some(signer_certs);
    batches
        .into_iter()
        .map(|events| {
            let events: Vec<SyncEvent> = events
                .into_iter()
                .map(|event| {
                    seq += 1;
                    SyncEvent {
                        seq,
                        event: Some(event),
                    }
                })
                .collect();
            let covered_event_id = events
                .last()
                .and_then(|e| e.event.as_ref())
                .map(id_of)
                .unwrap_or_default();
            SyncBatch {
                checkpoints: Vec::new(),
                log_id: log_id.to_string(),
                events,
                covered_seq: seq,
                head_seq: head,
                signer_certs: certs.take().unwrap_or_default(),
                covered_event_id,
            }
        })
        .collect()
}

/// One `Sync` call the fake received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeenRequest {
    /// The caller's city, from its verified node certificate.
    pub caller: String,
    /// The request's `log_id`.
    pub log_id: String,
    /// The request's `since_seq`.
    pub since_seq: u64,
}

/// A running fake peer; stops (closing its socket and streams) on drop.
pub struct FakePeer {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<SeenRequest>>>,
    shutdown: watch::Sender<bool>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl FakePeer {
    /// Serves `Federation.Sync` on `127.0.0.1:0` as `city`'s node (`pki/<city>/node.pem`,
    /// clients must chain to `pki/root-ca.pem`, not revoked by `pki/root-ca.crl.pem`).
    /// Every call streams `batches` (the events after the caller's cursor when it names
    /// this log), then heartbeats until the caller goes away.
    pub fn start(pki: &Path, city: &str, batches: Vec<SyncBatch>) -> Result<FakePeer> {
        lianluo_federation::install_crypto_provider();
        let config =
            server_config(&node_files(pki, city)).context("fake peer tls configuration")?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()?;
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (shutdown, stop) = watch::channel(false);
        let service = FakeService {
            batches: Arc::new(batches),
            seen: seen.clone(),
        };
        let addr = runtime.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
            let addr = listener.local_addr()?;
            let incoming = tls_incoming(listener, config, stopped(stop.clone()));
            tokio::spawn(
                tonic::transport::Server::builder()
                    .add_service(FederationServer::new(service))
                    .serve_with_incoming_shutdown(incoming, stopped(stop)),
            );
            anyhow::Ok(addr)
        })?;
        Ok(FakePeer {
            addr,
            seen,
            shutdown,
            runtime: Some(runtime),
        })
    }

    /// The address it listens on (point a link at it with `Federation::route`).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The `Sync` calls received so far, in order.
    pub fn requests(&self) -> Vec<SeenRequest> {
        self.seen
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl Drop for FakePeer {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_timeout(Duration::from_secs(2));
        }
    }
}

async fn stopped(mut stop: watch::Receiver<bool>) {
    let _ = stop.wait_for(|s| *s).await;
}

struct FakeService {
    batches: Arc<Vec<SyncBatch>>,
    seen: Arc<Mutex<Vec<SeenRequest>>>,
}

#[tonic::async_trait]
impl Federation for FakeService {
    type SyncStream = ReceiverStream<Result<SyncBatch, Status>>;

    async fn sync(
        &self,
        request: Request<SyncRequest>,
    ) -> Result<Response<Self::SyncStream>, Status> {
        let caller = lianluo_federation::peer_city_of(&request, TRUST_DOMAIN)
            .map_err(|e| Status::permission_denied(e.to_string()))?;
        let req = request.into_inner();
        self.seen
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(SeenRequest {
                caller: caller.into_string(),
                log_id: req.log_id.clone(),
                since_seq: req.since_seq,
            });
        let (plan, heartbeat) = plan(&self.batches, &req);
        let (tx, rx) = mpsc::channel(4);
        tokio::spawn(async move {
            for batch in plan {
                if tx.send(Ok(batch)).await.is_err() {
                    return;
                }
            }
            loop {
                tokio::time::sleep(HEARTBEAT).await;
                if tx.send(Ok(heartbeat.clone())).await.is_err() {
                    return;
                }
            }
        });
        Ok(Response::new(ReceiverStream::new(rx)))
    }

    /// A fake peer scripts replication only; a real node asking it for figures is told so
    /// (the overview then shows this city as `refused`).
    async fn figures(
        &self,
        _request: Request<FiguresRequest>,
    ) -> Result<Response<CityFigures>, Status> {
        Err(Status::unimplemented("this fake peer serves no figures"))
    }
}

/// What one call streams: the scripted batches after the caller's cursor (all of them
/// when it names another log), the first one carrying every scripted signer certificate;
/// then the heartbeat batch.
fn plan(batches: &[SyncBatch], req: &SyncRequest) -> (Vec<SyncBatch>, SyncBatch) {
    let last = batches.last().cloned().unwrap_or_default();
    let heartbeat = SyncBatch {
        checkpoints: Vec::new(),
        log_id: last.log_id.clone(),
        events: Vec::new(),
        covered_seq: last.covered_seq,
        head_seq: last.head_seq,
        signer_certs: Vec::new(),
        covered_event_id: String::new(),
    };
    // Each batch keeps the certificates the script gave it; those of batches the
    // caller's cursor skips go with the first batch served.
    let mut skipped: Vec<Vec<u8>> = Vec::new();
    let mut out: Vec<SyncBatch> = Vec::new();
    for b in batches {
        let since = if req.log_id == b.log_id {
            req.since_seq
        } else {
            0
        };
        if b.covered_seq <= since {
            for cert in &b.signer_certs {
                if !skipped.contains(cert) {
                    skipped.push(cert.clone());
                }
            }
            continue;
        }
        let mut b = b.clone();
        b.events.retain(|e| e.seq > since);
        out.push(b);
    }
    match out.first_mut() {
        Some(first) => {
            for cert in skipped {
                if !first.signer_certs.contains(&cert) {
                    first.signer_certs.push(cert);
                }
            }
        }
        None => out.push(SyncBatch {
            signer_certs: skipped,
            ..heartbeat.clone()
        }),
    }
    (out, heartbeat)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(n: u8) -> SignedEvent {
        SignedEvent {
            body: vec![n],
            signature: vec![],
            signer_cert_sha256: String::new(),
        }
    }

    #[test]
    fn script_numbers_events_and_plan_resumes_after_the_cursor() {
        let batches = script("log1", vec![vec![ev(1), ev(2)], vec![ev(3)]], vec![vec![9]]);
        assert_eq!(batches[0].covered_seq, 2);
        assert_eq!(batches[1].covered_seq, 3);
        assert_eq!(batches[1].head_seq, 3);
        assert_eq!(batches[1].events[0].seq, 3);
        let req = |log: &str, since| SyncRequest {
            log_id: log.to_string(),
            since_seq: since,
            at_event_id: String::new(),
        };
        let (all, hb) = plan(&batches, &req("other", 2));
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].signer_certs, vec![vec![9u8]]);
        assert_eq!(hb.covered_seq, 3);
        assert!(hb.events.is_empty());
        let (rest, _) = plan(&batches, &req("log1", 1));
        assert_eq!(rest.len(), 2);
        assert_eq!(rest[0].events.len(), 1);
        assert_eq!(rest[0].events[0].seq, 2);
        assert_eq!(rest[0].signer_certs, vec![vec![9u8]]);
        let (done, _) = plan(&batches, &req("log1", 3));
        assert_eq!(done.len(), 1);
        assert!(done[0].events.is_empty());
        assert_eq!(done[0].signer_certs, vec![vec![9u8]]);
    }

    #[test]
    fn fake_serves_its_script_to_a_peer_over_mutual_tls() {
        let dir = tempfile::tempdir().unwrap();
        let pki = lianluo_certs::Pki::init(dir.path(), TRUST_DOMAIN).unwrap();
        for city in ["hezhou", "qingyuan"] {
            pki.ensure_city(city, &[]).unwrap();
        }
        let signer = city_signer(dir.path(), "qingyuan").unwrap();
        let one = signer
            .sign(&suggestion_created("qingyuan", &["hezhou"], "测试"))
            .unwrap();
        let batches = script(
            "log1",
            vec![vec![one.clone()], vec![]],
            vec![signer.cert_der().to_vec()],
        );
        let fake = FakePeer::start(dir.path(), "qingyuan", batches).unwrap();
        let endpoint = format!("https://{}", fake.addr());
        let got = fetch_events(&endpoint, &node_files(dir.path(), "hezhou"), "qingyuan").unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].event.as_ref(), Some(&one));
        // The server must be the city we expect, and clients must be nodes.
        let err = sync_probe(&endpoint, &node_files(dir.path(), "hezhou"), "yongzhou").unwrap_err();
        assert!(
            !server_refused(&err),
            "a wrong server is our refusal: {err:#}"
        );
        let user = pki.issue_user("hezhou", "clerk", 1).unwrap();
        let user = lianluo_federation::tls::TlsFiles {
            cert: user.files.cert,
            key: user.files.key,
            ..node_files(dir.path(), "hezhou")
        };
        let err = sync_probe(&endpoint, &user, "qingyuan").unwrap_err();
        assert!(server_refused(&err), "{err:#}");
        let seen = fake.requests();
        assert_eq!(seen.len(), 1, "only the fetch got through: {seen:?}");
        assert_eq!(seen[0].caller, "hezhou");
        assert_eq!(seen[0].since_seq, 0);
    }

    #[test]
    fn random_hex_has_the_asked_length_and_differs() {
        let a = random_hex(32);
        assert_eq!(a.len(), 32);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, random_hex(32));
    }
}
