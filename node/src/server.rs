//! Running a node: open the store, load the signer, serve the client API over mutual TLS
//! (user certificates from this city's user CA only, CRLs checked and hot-reloaded), and
//! shut down cleanly on Ctrl-C or SIGTERM after a final flush.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use lianluo_federation::envelope::{EventSigner, SignerDirectory};
use lianluo_federation::tls::{tls_incoming, ReloadableServerConfig, TlsFiles};
use lianluo_proto::records_server::RecordsServer;
use tokio::net::TcpListener;

use crate::clock::HlcClock;
use crate::config::Config;
use crate::service::RecordsService;
use crate::state::NodeState;
use crate::store::{self, Flusher};

/// How often certificate, key and CRL files are checked for changes.
pub const TLS_RELOAD_INTERVAL: Duration = Duration::from_secs(2);

/// Why a node could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The data dir could not be opened.
    #[error("{0}")]
    Store(#[from] store::StoreError),
    /// Signer or TLS material is unusable.
    #[error("{0}")]
    Tls(String),
    /// The listen address could not be bound.
    #[error("cannot listen on {addr} (api.listen): {source}; is another node running there?")]
    Bind {
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
}

/// File in the data dir that announces the bound addresses once the node is ready.
pub fn ready_file(config: &Config) -> PathBuf {
    config.data_dir.join("node.ready.json")
}

/// Opens everything the node needs; fails before binding anything if a part is unusable.
pub async fn open_state(config: Config) -> Result<Arc<NodeState>, ServeError> {
    let dir = config.data_dir.clone();
    let city = config.city.clone();
    let store = tokio::task::spawn_blocking(move || store::open_sled(&dir, &city))
        .await
        .map_err(|e| ServeError::Serve(e.to_string()))??;
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
    Ok(Arc::new(NodeState {
        config,
        store,
        flusher,
        signer,
        signers,
        clock: HlcClock::new(),
        write_lock: tokio::sync::Mutex::new(()),
        durable,
    }))
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

/// Opens and binds everything, then serves in a background task until `shutdown`.
pub async fn start(
    config: Config,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<RunningNode, ServeError> {
    let state = open_state(config).await?;
    let cfg = &state.config;
    let tls = ReloadableServerConfig::load(TlsFiles {
        cert: cfg.tls.cert.clone(),
        key: cfg.tls.key.clone(),
        ca: cfg.tls.user_ca.clone(),
        crls: cfg.tls.crls.clone(),
    })
    .map_err(|e| ServeError::Tls(format!("client api tls: {e}")))?;
    let listener = TcpListener::bind(cfg.api_listen)
        .await
        .map_err(|source| ServeError::Bind {
            addr: cfg.api_listen,
            source,
        })?;
    let api = listener
        .local_addr()
        .map_err(|e| ServeError::Serve(e.to_string()))?;

    let (health_reporter, health) = tonic_health::server::health_reporter();
    health_reporter
        .set_serving::<RecordsServer<RecordsService>>()
        .await;
    let reflection = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(lianluo_proto::FILE_DESCRIPTOR_SET)
        .build_v1()
        .map_err(|e| ServeError::Serve(e.to_string()))?;
    let records = RecordsServer::new(RecordsService::new(state.clone()))
        .max_decoding_message_size(cfg.max_request_bytes);
    let bound = Bound { api };
    announce(&state, &bound).await;
    let reloader = tls.watch(TLS_RELOAD_INTERVAL);
    // One shutdown signal stops both the acceptor and the server.
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        shutdown.await;
        let _ = stop_tx.send(true);
    });
    let stopped = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|v| *v).await;
    };
    let incoming = tls_incoming(listener, tls, stopped(stop_rx.clone()));
    let shutdown = stopped(stop_rx);
    let task = tokio::spawn(async move {
        let result = tonic::transport::Server::builder()
            .timeout(Duration::from_secs(30))
            .add_service(health)
            .add_service(reflection)
            .add_service(records)
            .serve_with_incoming_shutdown(incoming, shutdown)
            .await;
        reloader.abort();
        tracing::info!(city = %state.config.city, "shutting down: final flush");
        let _ = std::fs::remove_file(ready_file(&state.config));
        if let Err(e) = state.flusher.shutdown().await {
            tracing::error!("final flush failed: {e}");
        }
        result.map_err(|e| ServeError::Serve(e.to_string()))
    });
    Ok(RunningNode { bound, task })
}

async fn announce(state: &NodeState, bound: &Bound) {
    let cfg = &state.config;
    tracing::info!(
        city = %cfg.city,
        api = %bound.api,
        log_id = %state.store.meta().log_id,
        "lianluo node ready"
    );
    let path = ready_file(cfg);
    let tmp = path.with_extension("tmp");
    let body = serde_json::json!({ "city": cfg.city, "api": bound.api.to_string() }).to_string();
    // Written atomically so a watcher never reads half a file.
    if let Err(e) = std::fs::write(&tmp, body).and_then(|_| std::fs::rename(&tmp, &path)) {
        tracing::warn!("cannot write {}: {e}", path.display());
    }
}
