//! Real nodes for the sync tests: a tonic server with `FederationService` behind
//! `tls_incoming` (node certificates from a real PKI), and a peer worker with its
//! registry and in-memory sink. Waits poll with a deadline.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use lianluo_federation::identity::peer_city_from_cert;
use lianluo_federation::sync::{
    spawn_peer_worker, FederationService, PeerRegistry, PeerState, SyncSettings, SyncSource,
};
use lianluo_federation::{client_config, tls_incoming, ReloadableServerConfig, TlsFiles};
use lianluo_proto::federation_server::{Federation, FederationServer};
use lianluo_proto::{CityFigures, FiguresRequest, SyncBatch, SyncRequest};
use tokio::net::{TcpListener, TcpSocket};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tonic::{Request, Response, Status};

use super::mem::{MemSink, SinkState};
use super::poll::poll_until;
use super::support::{der, tls_files, Fixture, TD};

/// Fast settings: small batches, frequent heartbeats, short backoff.
pub fn settings() -> SyncSettings {
    SyncSettings {
        batch_size: 3,
        heartbeat: Duration::from_millis(100),
        max_stream_age: Duration::from_secs(60),
        min_backoff: Duration::from_millis(20),
        max_backoff: Duration::from_millis(200),
        idle_timeout: Duration::from_secs(2),
    }
}

/// Polls `check` every 20 ms until it returns `Ok`, for at most 10 s; on timeout panics
/// with `what` and the last `Err` (the state seen).
pub async fn eventually<T>(what: &str, mut check: impl FnMut() -> Result<T, String>) -> T {
    poll_until(
        Duration::from_secs(10),
        Duration::from_millis(20),
        || std::future::ready(check()),
        Result::is_ok,
    )
    .await
    .unwrap_or_else(|state| panic!("timed out waiting for {what}; last seen: {state}"))
}

/// Awaits `fut` for at most 10 s.
pub async fn within<T>(what: &str, fut: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(10), fut)
        .await
        .unwrap_or_else(|_| panic!("timed out: {what}"))
}

/// A free loopback address (the listener is closed again).
pub fn free_addr() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap()
}

/// Listens on `addr` (reusable right after a previous server there stopped).
pub async fn listen(addr: SocketAddr) -> TcpListener {
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_reuseaddr(true).unwrap();
    socket.bind(addr).unwrap();
    socket.listen(64).unwrap()
}

/// The service, counting the streams it opened.
struct Counting<S: SyncSource> {
    inner: FederationService<S>,
    opened: Arc<AtomicUsize>,
}

#[tonic::async_trait]
impl<S: SyncSource> Federation for Counting<S> {
    type SyncStream = <FederationService<S> as Federation>::SyncStream;

    async fn sync(
        &self,
        request: Request<SyncRequest>,
    ) -> Result<Response<Self::SyncStream>, Status> {
        let response = self.inner.sync(request).await;
        if response.is_ok() {
            self.opened.fetch_add(1, Ordering::SeqCst);
        }
        response
    }

    async fn figures(
        &self,
        request: Request<FiguresRequest>,
    ) -> Result<Response<CityFigures>, Status> {
        self.inner.figures(request).await
    }
}

/// A running federation server.
pub struct Node {
    pub addr: SocketAddr,
    pub opened: Arc<AtomicUsize>,
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<Result<(), tonic::transport::Error>>>,
}

impl Node {
    pub fn endpoint(&self) -> String {
        format!("https://{}", self.addr)
    }

    pub fn streams_opened(&self) -> usize {
        self.opened.load(Ordering::SeqCst)
    }

    /// Signals shutdown and waits for the server to finish (open streams must end).
    pub async fn stop(mut self) {
        self.stop.send_replace(true);
        let task = self.task.take().unwrap();
        within("graceful server shutdown", task)
            .await
            .unwrap()
            .unwrap();
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.stop.send_replace(true);
    }
}

async fn stopped(mut rx: watch::Receiver<bool>) {
    let _ = rx.wait_for(|stop| *stop).await;
}

/// Hezhou's federation server: node certificate, clients verified against the root CA.
pub fn node_files(fx: &Fixture) -> TlsFiles {
    tls_files(&fx.node("hezhou"), &fx.root_ca(), &[fx.root_crl()])
}

/// Serves `source` on `listener` with the TLS `files`.
pub fn serve_with<S: SyncSource>(
    listener: TcpListener,
    files: TlsFiles,
    source: Arc<S>,
    settings: SyncSettings,
) -> Node {
    let addr = listener.local_addr().unwrap();
    let (stop, rx) = watch::channel(false);
    let opened = Arc::new(AtomicUsize::new(0));
    let service = Counting {
        inner: FederationService::new(source, TD, settings, rx.clone()),
        opened: opened.clone(),
    };
    let config = ReloadableServerConfig::load(files).unwrap();
    let incoming = tls_incoming(listener, config, stopped(rx.clone()));
    let task = tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(FederationServer::new(service))
            .serve_with_incoming_shutdown(incoming, stopped(rx)),
    );
    Node {
        addr,
        opened,
        stop,
        task: Some(task),
    }
}

/// Hezhou serving `source` on a fresh port.
pub async fn serve<S: SyncSource>(fx: &Fixture, source: Arc<S>, settings: SyncSettings) -> Node {
    let listener = listen(SocketAddr::from(([127, 0, 0, 1], 0))).await;
    serve_with(listener, node_files(fx), source, settings)
}

/// A peer worker of `city` pulling from hezhou at `addr`.
pub struct Worker {
    pub sink: Arc<MemSink>,
    pub registry: PeerRegistry,
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl Worker {
    pub fn start(fx: &Fixture, city: &str, addr: SocketAddr, settings: SyncSettings) -> Worker {
        let files = tls_files(&fx.node(city), &fx.root_ca(), &[fx.root_crl()]);
        let tls = client_config(&files).unwrap();
        let hezhou = peer_city_from_cert(&der(&fx.node("hezhou").cert), TD).unwrap();
        let sink = Arc::new(MemSink::default());
        let registry = PeerRegistry::new();
        let (stop, rx) = watch::channel(false);
        let task = spawn_peer_worker(
            hezhou,
            addr.into(),
            tls,
            TD.to_string(),
            sink.clone(),
            registry.clone(),
            settings,
            rx,
        );
        Worker {
            sink,
            registry,
            stop,
            task: Some(task),
        }
    }

    pub fn sink(&self) -> SinkState {
        self.sink.state()
    }

    pub fn peer(&self) -> PeerState {
        self.registry.get("hezhou").unwrap()
    }

    /// Waits until the sink holds `n` events and the cursor is at `seq` of `log_id`.
    pub async fn synced(&self, n: usize, log_id: &str, seq: u64) -> SinkState {
        let want = Some((log_id.to_string(), seq));
        eventually(&format!("{n} events, cursor {log_id}:{seq}"), || {
            let state = self.sink();
            if state.events.len() == n && state.cursor_seq() == want {
                Ok(state)
            } else {
                Err(format!("{state:?} / {:?}", self.peer()))
            }
        })
        .await
    }

    /// Signals shutdown and waits for the worker task to end.
    pub async fn stop(mut self) {
        self.stop.send_replace(true);
        let task = self.task.take().unwrap();
        within("worker shutdown", task).await.unwrap();
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.stop.send_replace(true);
    }
}

/// Waits until the last contact with hezhou is later than `since`.
pub async fn contact_after(worker: &Worker, since: std::time::SystemTime) {
    eventually("a later contact", || match worker.peer().last_contact {
        Some(t) if t > since => Ok(()),
        other => Err(format!("{other:?}")),
    })
    .await
}

/// Reads the next batch of a raw stream (or its error).
pub async fn next_batch(
    stream: &mut tonic::Streaming<SyncBatch>,
) -> Result<Option<SyncBatch>, Status> {
    within("next batch", stream.message()).await
}
