//! Running a node: open the store, load the signer, serve the client API over mutual TLS
//! (user certificates from this city's user CA only, CRLs checked and hot-reloaded), and
//! shut down cleanly on Ctrl-C or SIGTERM after a final flush.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use lianluo_federation::envelope::{EventSigner, SignerDirectory};
use lianluo_federation::sync::{FederationService, SyncSettings, SyncSink};
use lianluo_federation::tls::{
    tls_incoming_limited, ReloadableClientConfig, ReloadableServerConfig, TlsFiles,
};
use lianluo_proto::dashboard_server::DashboardServer;
use lianluo_proto::node_server::NodeServer;
use lianluo_proto::records_server::RecordsServer;
use tokio::net::TcpListener;
use tonic_health::pb::health_server::{Health, HealthServer};
use tracing::Instrument;

use crate::clock::HlcClock;
use crate::config::Config;
use crate::replication::{NodeSink, NodeSource};
use crate::service::dashboard::DashboardService;
use crate::service::node::NodeService;
use crate::service::RecordsService;
use crate::state::NodeState;
use crate::store::{self, Flusher};

pub mod open_files;
mod peers;
mod reload;
mod storage;
mod store_watch;
mod tls;

use tls::apply_signer_crls;
pub use tls::TlsSet;

/// How long a connection past its maximum age may finish in-flight calls.
pub const CONNECTION_AGE_GRACE: Duration = Duration::from_secs(10);

/// How often certificate, key and CRL files are checked for changes.
pub const TLS_RELOAD_INTERVAL: Duration = Duration::from_secs(2);

/// Why a node could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The config's files are unusable (wrong city's certificate, key mismatch, …).
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    /// The data dir could not be opened.
    #[error(transparent)]
    Store(#[from] store::StoreError),
    /// Signer or TLS material is unusable.
    #[error("{0}")]
    Tls(String),
    /// The listen address could not be bound.
    // The OS error follows as the source (anyhow prints the chain).
    #[error("cannot listen on {addr} ({key}); is another node running there?")]
    Bind {
        /// The config key of the address.
        key: &'static str,
        /// The address.
        addr: SocketAddr,
        /// The OS error.
        source: std::io::Error,
    },
    /// The gRPC server failed.
    #[error("server failed: {0}")]
    Serve(String),
}

/// Addresses a started node listens on (useful with port 0).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Bound {
    /// Client API address.
    pub api: SocketAddr,
    /// Federation address.
    pub federation: SocketAddr,
    /// HTTP (metrics, health) address, if configured.
    pub http: Option<SocketAddr>,
}

/// File in the data dir that announces the bound addresses once the node is ready.
pub fn ready_file(config: &Config) -> PathBuf {
    config.data_dir.join("node.ready.json")
}

/// Opens everything the node needs; fails before binding anything if a part is unusable.
pub async fn open_state(config: Config) -> Result<Arc<NodeState>, ServeError> {
    // Fail closed before anything is created: e.g. another city's node certificate.
    let problems = crate::config::verify_files(&config);
    if !problems.is_empty() {
        return Err(crate::config::ConfigError {
            path: config.source.clone(),
            problems,
        }
        .into());
    }
    let store = storage::open(&config).await?;
    let config_max_skew = config.max_clock_skew;
    let signer = EventSigner::load(
        &config.tls.signer_cert,
        &config.tls.signer_key,
        &config.trust_domain,
    )
    .map_err(|e| ServeError::Tls(format!("tls.signer_cert/tls.signer_key: {e}")))?;
    if signer.city() != config.city {
        return Err(ServeError::Tls(format!(
            "tls.signer_cert is {}'s signer, but this node is {}; use this city's signer certificate",
            signer.city(),
            config.city
        )));
    }
    let signers = SignerDirectory::load(&config.tls.ca, &config.trust_domain)
        .map_err(|e| ServeError::Tls(format!("tls.ca: {e}")))?;
    signers
        .add_cert(signer.cert_der())
        .map_err(|e| ServeError::Tls(format!("tls.signer_cert does not chain to tls.ca: {e}")))?;
    let flusher = Flusher::spawn(store.clone());
    // Everything on disk when the store opens is durable.
    let head = store.last_seq()?;
    let (durable, _) = tokio::sync::watch::channel(head);
    let peers = lianluo_federation::sync::PeerRegistry::new();
    for p in &config.peers {
        peers.register(&p.city, p.address.clone());
    }
    apply_signer_crls(&signers, &config.tls.crls)?;
    let tls = TlsSet::load(&config)?;
    let dashboard = crate::dashboard::Dashboard::new(&config, tls.client.clone())
        .map_err(|e| ServeError::Tls(e.to_string()))?;
    let members = crate::members::Members::new(crate::members::Membership::of(&config));
    let state = Arc::new(NodeState {
        config,
        store,
        flusher,
        signer,
        signers: Arc::new(signers),
        clock: HlcClock::new(config_max_skew),
        records: crate::locks::MutexMap::new(),
        requests: crate::locks::MutexMap::new(),
        durable,
        peers,
        members,
        reloads: crate::members::Reloads::default(),
        tls,
        dashboard,
        rpc_metrics: crate::metrics::RpcMetrics::new(),
        watch_streams: std::sync::atomic::AtomicU64::new(0),
        http_conns: Arc::default(),
    });
    // Peers' signer certificates kept from earlier runs, so shared history verifies
    // before any peer reconnects.
    let restoring = state.clone();
    tokio::task::spawn_blocking(move || crate::replication::restore_signer_certs(&restoring))
        .await
        .map_err(|e| ServeError::Serve(format!("loading stored signer certificates: {e}")))?;
    Ok(state)
}

/// A started node: where it listens, and the task that serves until shutdown.
pub struct RunningNode {
    /// Bound addresses.
    pub bound: Bound,
    /// Completes when the node has shut down (after its final flush).
    pub task: tokio::task::JoinHandle<Result<(), ServeError>>,
}

/// Runs a node until `shutdown` completes.
pub async fn run(
    config: Config,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    let node = start(config, shutdown).await?;
    node.task
        .await
        .map_err(|e| ServeError::Serve(format!("node task failed: {e}")))?
}

/// Opens and binds everything, then serves in background tasks until `shutdown`.
pub async fn start(
    config: Config,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<RunningNode, ServeError> {
    // SIGHUP means "reload" (a `systemctl reload` may come while the store opens): take it
    // over from the default action, which would end the process, before anything else.
    let _hangup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup());
    let state = open_state(config).await?;
    let (api_listener, fed_listener, http_listener, bound) = bind_all(&state.config).await?;
    // One shutdown signal stops every listener, stream and peer worker.
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let ready = Arc::new(AtomicBool::new(false));
    let not_ready = ready.clone();
    tokio::spawn(async move {
        shutdown.await;
        not_ready.store(false, Ordering::SeqCst);
        let _ = stop_tx.send(true);
    });
    let tls = state.tls.clone();
    tls.watch(&state, stop_rx.clone());
    let (health_reporter, health) = tonic_health::server::health_reporter();
    health_reporter
        .set_serving::<RecordsServer<RecordsService>>()
        .await;
    let watch = store_watch::run(state.clone(), health_reporter, stop_rx.clone());
    let mut tasks = vec![
        tokio::spawn(
            async move {
                watch.await;
                Ok(())
            }
            .instrument(tracing::info_span!("store_watch")),
        ),
        serve_api(
            &state,
            api_listener,
            health.clone(),
            tls.api.clone(),
            stop_rx.clone(),
        )
        .await?,
        serve_federation(
            &state,
            fed_listener,
            health,
            tls.federation.clone(),
            stop_rx.clone(),
        )?,
    ];
    tasks.extend(spawn_peer_workers(
        &state,
        tls.client.clone(),
        stop_rx.clone(),
    ));
    let reload = reload::run(state.clone(), stop_rx.clone());
    tasks.push(tokio::spawn(
        async move {
            reload.await;
            Ok(())
        }
        .instrument(tracing::info_span!("config_reload")),
    ));
    if let Some(l) = http_listener {
        let (st, rd) = (state.clone(), ready.clone());
        let stop = stopped(stop_rx.clone());
        tasks.push(tokio::spawn(async move {
            crate::http::serve(l, st, rd, stop)
                .await
                .map_err(|e| ServeError::Serve(format!("http: {e}")))
        }));
    }
    announce(&state, &bound).await;
    ready.store(true, Ordering::SeqCst);
    let task = tokio::spawn(supervise(state, tasks));
    Ok(RunningNode { bound, task })
}

/// How long a stopping node waits for its final flush.
const FINAL_FLUSH: Duration = Duration::from_secs(10);

/// Waits for every task of a stopping node, then makes the final flush.
async fn supervise(state: Arc<NodeState>, tasks: Vec<Task>) -> Result<(), ServeError> {
    let mut result = Ok(());
    for t in tasks {
        match t.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => result = Err(e),
            Err(e) => result = Err(ServeError::Serve(format!("task failed: {e}"))),
        }
    }
    tracing::info!(city = %state.config.city, "shutting down: final flush");
    let _ = std::fs::remove_file(ready_file(&state.config));
    match tokio::time::timeout(FINAL_FLUSH, state.flusher.shutdown()).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::error!("final flush failed: {e}"),
        // Only unacknowledged writes can be in it: every acknowledged one was flushed.
        Err(_) => tracing::error!(
            "the final flush did not end within {} s (is the disk failing?); stopping without it",
            FINAL_FLUSH.as_secs()
        ),
    }
    result
}

/// Binds every configured listener before anything serves, so a taken port fails the
/// start cleanly.
async fn bind_all(
    cfg: &Config,
) -> Result<(TcpListener, TcpListener, Option<TcpListener>, Bound), ServeError> {
    let api = bind(cfg.api_listen, "api.listen").await?;
    let fed = bind(cfg.federation_listen, "federation.listen").await?;
    let http = match cfg.http_listen {
        Some(a) => Some(bind(a, "http.listen").await?),
        None => None,
    };
    let bound = Bound {
        api: local(&api)?,
        federation: local(&fed)?,
        http: http.as_ref().map(local).transpose()?,
    };
    Ok((api, fed, http, bound))
}

type Task = tokio::task::JoinHandle<Result<(), ServeError>>;

async fn bind(addr: SocketAddr, key: &'static str) -> Result<TcpListener, ServeError> {
    TcpListener::bind(addr)
        .await
        .map_err(|source| ServeError::Bind { key, addr, source })
}

fn local(l: &TcpListener) -> Result<SocketAddr, ServeError> {
    l.local_addr().map_err(|e| ServeError::Serve(e.to_string()))
}

async fn stopped(mut rx: tokio::sync::watch::Receiver<bool>) {
    let _ = rx.wait_for(|v| *v).await;
}

fn node_files(cfg: &Config, ca: &std::path::Path, crls: Vec<PathBuf>) -> TlsFiles {
    TlsFiles {
        cert: cfg.tls.cert.clone(),
        key: cfg.tls.key.clone(),
        ca: ca.to_path_buf(),
        crls,
    }
}

/// The client API: Records, Node and Dashboard services, health and reflection, over mutual TLS
/// with this city's user certificates only.
async fn serve_api(
    state: &Arc<NodeState>,
    listener: TcpListener,
    health: HealthServer<impl Health>,
    tls: ReloadableServerConfig,
    stop: tokio::sync::watch::Receiver<bool>,
) -> Result<Task, ServeError> {
    let cfg = &state.config;
    let max_request = cfg.max_request_bytes;
    let health = health.max_decoding_message_size(max_request);
    // Advertise exactly what this port serves (Federation is on its own port), as both
    // reflection versions: older grpcurl builds and grpcio clients ask for v1alpha.
    let reflection = || {
        tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(lianluo_proto::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
            .with_service_name("lianluo.v1.Records")
            .with_service_name("lianluo.v1.Node")
            .with_service_name("lianluo.v1.Dashboard")
            .with_service_name("grpc.health.v1.Health")
            .with_service_name("grpc.reflection.v1.ServerReflection")
            .with_service_name("grpc.reflection.v1alpha.ServerReflection")
    };
    let reflection_v1 = reflection()
        .build_v1()
        .map_err(|e| ServeError::Serve(e.to_string()))?
        .max_decoding_message_size(max_request);
    let reflection_v1alpha = reflection()
        .build_v1alpha()
        .map_err(|e| ServeError::Serve(e.to_string()))?
        .max_decoding_message_size(max_request);
    // Every service takes the configured request limit (tonic's default is 4 MiB).
    let records =
        RecordsServer::new(RecordsService::new(state.clone()).with_shutdown(stop.clone()))
            .max_decoding_message_size(max_request);
    let node =
        NodeServer::new(NodeService::new(state.clone())).max_decoding_message_size(max_request);
    let dashboard = DashboardServer::new(DashboardService::new(state.clone()))
        .max_decoding_message_size(max_request);
    // Every connection is closed after this long and must handshake again, so a revoked
    // user certificate is cut off within the CRL reload interval plus this bound.
    let max_age = cfg.max_stream;
    let limit = crate::service::limits::SizeLimitLayer {
        max_request_bytes: cfg.max_request_bytes,
    };
    let metrics = state.rpc_metrics.layer(crate::metrics::Port::Api);
    let per_caller = crate::service::concurrency::CallerLimitLayer::new(cfg.calls_per_caller)
        .with_rate(cfg.rates.calls_per_second);
    let incoming = tls_incoming_limited(listener, tls, stopped(stop.clone()), tls_limits(cfg));
    Ok(tokio::spawn(async move {
        let r = tonic::transport::Server::builder()
            .timeout(Duration::from_secs(30))
            .max_connection_age(max_age)
            .max_connection_age_grace(CONNECTION_AGE_GRACE)
            // Outside the size limit, so its rewritten status is what gets counted.
            .layer(metrics)
            .layer(limit)
            .layer(per_caller)
            .add_service(health)
            .add_service(reflection_v1)
            .add_service(reflection_v1alpha)
            .add_service(records)
            .add_service(node)
            .add_service(dashboard)
            .serve_with_incoming_shutdown(incoming, stopped(stop))
            .await;
        r.map_err(|e| ServeError::Serve(format!("client api: {e}")))
    }))
}

fn sync_settings(cfg: &Config) -> SyncSettings {
    SyncSettings {
        max_stream_age: cfg.max_stream,
        ..SyncSettings::default()
    }
}

/// The federation port: `Federation` for peers' node certificates from the root CA, and
/// gRPC health and `Operator` for this node's own certificate only (`lianluo health`,
/// online backup: see [`crate::local`]).
fn serve_federation(
    state: &Arc<NodeState>,
    listener: TcpListener,
    health: HealthServer<impl Health>,
    tls: ReloadableServerConfig,
    stop: tokio::sync::watch::Receiver<bool>,
) -> Result<Task, ServeError> {
    let cfg = &state.config;
    let source = Arc::new(NodeSource::new(state.clone()));
    let service = FederationService::new(
        source,
        cfg.trust_domain.clone(),
        sync_settings(cfg),
        stop.clone(),
    )
    .into_server()
    .max_decoding_message_size(cfg.max_request_bytes);
    let (td, city) = (cfg.trust_domain.clone(), cfg.city.clone());
    let health = tonic::service::interceptor::InterceptedService::new(
        health,
        move |req: tonic::Request<()>| {
            crate::local::own_node_only(&req, &td, &city)?;
            Ok(req)
        },
    );
    let operator = lianluo_proto::operator_server::OperatorServer::new(
        crate::service::operator::OperatorService::new(state.clone()),
    );
    let max_age = cfg.max_stream;
    let limit = crate::service::limits::SizeLimitLayer {
        max_request_bytes: cfg.max_request_bytes,
    };
    let metrics = state.rpc_metrics.layer(crate::metrics::Port::Federation);
    let per_peer =
        crate::service::concurrency::CallerLimitLayer::per_peer(state.config.rates.calls_per_peer);
    let incoming = tls_incoming_limited(
        listener,
        tls,
        stopped(stop.clone()),
        tls_limits(&state.config),
    );
    Ok(tokio::spawn(async move {
        let r = tonic::transport::Server::builder()
            // Streams end at max_stream; the connection goes soon after, so even a peer
            // that opens new streams on an old connection must handshake again.
            .max_connection_age(max_age + CONNECTION_AGE_GRACE)
            .max_connection_age_grace(CONNECTION_AGE_GRACE)
            .layer(metrics)
            .layer(limit)
            .layer(per_peer)
            .add_service(service)
            .add_service(health)
            .add_service(operator)
            .serve_with_incoming_shutdown(incoming, stopped(stop))
            .await;
        r.map_err(|e| ServeError::Serve(format!("federation: {e}")))
    }))
}

/// The bounds of every TLS listener of `cfg`.
pub(crate) fn tls_limits(cfg: &Config) -> lianluo_federation::tls::TlsLimits {
    lianluo_federation::tls::TlsLimits {
        per_source: cfg.handshakes_per_source,
        connections: cfg.rates.tls_connections,
    }
}

/// The peer workers (one per peer of the membership in force, following its changes)
/// and the parked-event retries.
fn spawn_peer_workers(
    state: &Arc<NodeState>,
    client_tls: ReloadableClientConfig,
    stop: tokio::sync::watch::Receiver<bool>,
) -> Vec<Task> {
    let node_sink = Arc::new(NodeSink::new(state.clone()));
    let sink: Arc<dyn SyncSink> = node_sink.clone();
    let retries = crate::replication::run_retries(node_sink, stop.clone());
    let workers = peers::PeerWorkers {
        state: state.clone(),
        client_tls,
        sink,
    };
    vec![
        tokio::spawn(
            async move {
                retries.await;
                Ok(())
            }
            .instrument(tracing::info_span!("parked_retry")),
        ),
        tokio::spawn(
            async move {
                workers.run(stop).await;
                Ok(())
            }
            .instrument(tracing::info_span!("peer_workers")),
        ),
    ]
}

async fn announce(state: &NodeState, bound: &Bound) {
    let cfg = &state.config;
    tracing::info!(
        city = %cfg.city,
        api = %bound.api,
        federation = %bound.federation,
        log_id = %state.store.meta().log_id,
        "lianluo node ready"
    );
    let path = ready_file(cfg);
    let tmp = path.with_extension("tmp");
    let body = serde_json::json!({
        "city": cfg.city,
        "api": bound.api.to_string(),
        "federation": bound.federation.to_string(),
        "http": bound.http.map(|a| a.to_string()),
    })
    .to_string();
    // Written atomically so a watcher never reads half a file.
    if let Err(e) = std::fs::write(&tmp, body).and_then(|_| std::fs::rename(&tmp, &path)) {
        tracing::warn!("cannot write {}: {e}", path.display());
    }
}
