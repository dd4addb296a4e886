//! The node's HTTP listener (`http.listen`): the web dashboard, its JSON API, metrics and
//! health.
//!
//! - `GET /`, `/records`, `/records/{id}`: the dashboard's pages, one embedded
//!   `index.html` whose scripts draw them ([`pages`]); its scripts and styles under `/assets/`,
//! - `GET /api/overview`, `/api/peers`, `/api/records`, `/api/records/{id}`: JSON ([`api`]),
//! - `GET /metrics`: OpenMetrics text encoded by prometheus-client ([`crate::metrics`]),
//! - `GET /healthz`: `200 ok` while the process serves HTTP at all (liveness),
//! - `GET /readyz`: `200 ready` once the node serves its APIs, `503` before that, while
//!   it shuts down (readiness; the node flips the flag it passes to [`serve`]) and while
//!   the store refuses writes (free space below `[store] reserve_mb`, or writes stopped
//!   after a storage fault), with the reason.
//!
//! On loopback it is plain HTTP without login (the config refuses plain HTTP anywhere
//! else): whoever can reach the host's loopback can read it. With `http.tls = true` it is
//! HTTPS with the client API's TLS (client certificate of this city's user CA required,
//! CRLs, hot reload), and every request needs a user with a role ([`https`]).

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use tokio::net::TcpListener;

use crate::config::HttpSecurity;
use crate::state::NodeState;

mod api;
pub mod conn;
mod host;
mod https;
mod pages;
mod query;
mod report;

#[cfg(test)]
mod api_tests;
#[cfg(test)]
mod https_tests;

/// Content type of `/metrics` (OpenMetrics text).
pub const METRICS_CONTENT_TYPE: &str = crate::metrics::CONTENT_TYPE;

/// What every handler gets: the node, whether it is ready, and the shutdown signal that
/// ends long-lived answers (`/api/watch`).
#[derive(Clone)]
struct Http {
    node: Arc<NodeState>,
    ready: Arc<AtomicBool>,
    stop: Option<tokio::sync::watch::Receiver<bool>>,
}

/// The routes, for embedding or testing (without the login that [`serve`] adds in
/// `http.tls` mode).
pub fn router(node: Arc<NodeState>, ready: Arc<AtomicBool>) -> Router {
    router_until(node, ready, None)
}

/// The routes, with streams that end when `stop` turns true.
fn router_until(
    node: Arc<NodeState>,
    ready: Arc<AtomicBool>,
    stop: Option<tokio::sync::watch::Receiver<bool>>,
) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .merge(api::routes())
        .merge(pages::routes())
        .with_state(Http { node, ready, stop })
}

/// A shutdown future as a signal many may wait for (see [`stopped`]).
fn signal(
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> tokio::sync::watch::Receiver<bool> {
    let (tx, rx) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        shutdown.await;
        let _ = tx.send(true);
    });
    rx
}

/// Completes when `rx` turns true (or its sender is gone).
async fn stopped(mut rx: tokio::sync::watch::Receiver<bool>) {
    let _ = rx.wait_for(|v| *v).await;
}

/// Serves the routes on `listener` until `shutdown` completes: plain HTTP, or HTTPS with
/// client certificates and roles when the config says `http.tls = true`. `ready` is read
/// on every `/readyz` request: set it once the node serves, clear it when shutting down.
pub async fn serve(
    listener: TcpListener,
    node: Arc<NodeState>,
    ready: Arc<AtomicBool>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    match node.config.http_security {
        HttpSecurity::Plain => {
            let stop = signal(shutdown);
            let local = listener.local_addr()?;
            let limits = node.config.conn_limits;
            let listener = conn::LimitedListener::new(listener, limits, node.http_conns.clone());
            let app = router_until(node, ready, Some(stop.clone())).layer(
                axum::middleware::from_fn_with_state(local, host::require_own_host),
            );
            axum::serve(listener, app)
                .with_graceful_shutdown(stopped(stop))
                .await
        }
        HttpSecurity::MutualTls => https::serve(listener, node, ready, shutdown).await,
    }
}

async fn metrics(State(http): State<Http>) -> impl IntoResponse {
    // The store reads may touch the disk.
    match tokio::task::spawn_blocking(move || crate::metrics::render(&http.node)).await {
        Ok(body) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, METRICS_CONTENT_TYPE)],
            body,
        ),
        Err(e) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            format!("metrics failed: {e}\n"),
        ),
    }
}

async fn healthz() -> &'static str {
    "ok"
}

async fn readyz(State(http): State<Http>) -> (StatusCode, String) {
    if !http.ready.load(Ordering::Acquire) {
        return (StatusCode::SERVICE_UNAVAILABLE, "not ready".into());
    }
    // The store's last observed state: no i/o here.
    match http.node.store.health().writable {
        Ok(()) => (StatusCode::OK, "ready".into()),
        Err(e) => (StatusCode::SERVICE_UNAVAILABLE, format!("not ready: {e}\n")),
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    /// One HTTP/1.1 GET; returns (status, content type, body).
    async fn get(addr: std::net::SocketAddr, path: &str) -> (u16, String, String) {
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        let req = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
        s.write_all(req.as_bytes()).await.unwrap();
        let mut raw = String::new();
        s.read_to_string(&mut raw).await.unwrap();
        let (head, body) = raw.split_once("\r\n\r\n").unwrap();
        let status = head.split(' ').nth(1).unwrap().parse().unwrap();
        let ctype = head
            .lines()
            .find_map(|l| l.strip_prefix("content-type: "))
            .unwrap_or_default()
            .to_string();
        (status, ctype, body.to_string())
    }

    #[tokio::test]
    async fn http_serves_metrics_health_and_readiness() {
        let tmp = tempfile::tempdir().unwrap();
        let path = crate::backup::tests::write_config(tmp.path(), "hezhou", "data");
        let cfg = crate::config::load(&path).unwrap();
        let state = crate::server::open_state(cfg).await.unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let ready = Arc::new(AtomicBool::new(false));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(serve(listener, state.clone(), ready.clone(), async {
            let _ = stopped.await;
        }));

        assert_eq!(get(addr, "/healthz").await.0, 200);
        assert_eq!(get(addr, "/healthz").await.2, "ok");
        assert_eq!(get(addr, "/readyz").await.0, 503);
        ready.store(true, Ordering::Release);
        assert_eq!(get(addr, "/readyz").await.0, 200);

        let (status, ctype, body) = get(addr, "/metrics").await;
        assert_eq!((status, ctype.as_str()), (200, METRICS_CONTENT_TYPE));
        let log_id = &state.store.meta().log_id;
        assert!(
            body.contains(&format!(
                "lianluo_info{{city=\"hezhou\",log_id=\"{log_id}\","
            )),
            "{body}"
        );
        assert!(
            body.lines().any(|l| l == "lianluo_log_last_seq 0"),
            "{body}"
        );
        assert!(
            body.lines().any(|l| l == "lianluo_log_durable_seq 0"),
            "{body}"
        );
        let size = body
            .lines()
            .find_map(|l| l.strip_prefix("lianluo_store_size_bytes "))
            .expect("store size");
        assert!(size.parse::<u64>().unwrap() > 0, "{body}");
        // The configured peer is listed even before a sync worker reports on it.
        assert!(
            body.lines()
                .any(|l| l == "lianluo_peer_connected{peer=\"qingyuan\"} 0"),
            "{body}"
        );
        assert_eq!(get(addr, "/nothing").await.0, 404);

        stop.send(()).unwrap();
        server.await.unwrap().unwrap();
        assert!(
            tokio::net::TcpStream::connect(addr).await.is_err(),
            "still listening"
        );
    }
}
