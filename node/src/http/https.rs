//! HTTPS for the HTTP listener (`http.tls = true`, required off loopback): the client
//! API's TLS configuration (`state.tls.api`: the node certificate, a client certificate
//! from this city's user CA required, CRLs, hot reload) through the federation acceptor
//! [`tls_incoming_limited`], and a role check on every request: the certificate's user must be
//! listed in `[users]` (any role), else 403. A client without a certificate, or with one
//! of another CA or a revoked one, never gets past the handshake.
//!
//! As on the client API, every connection ends after `federation.max_stream_secs` (plus
//! [`CONNECTION_AGE_GRACE`] for an answer being written), so a browser must handshake again
//! and a revoked certificate is cut off within that bound even on a kept-alive connection.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::connect_info::Connected;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::serve::{IncomingStream, Listener};
use lianluo_federation::tls::{tls_incoming_limited, TlsConn, TlsConnectInfo};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;
use tokio::time::{sleep, Sleep};
use tokio_stream::{Stream, StreamExt};

use crate::server::CONNECTION_AGE_GRACE;
use crate::state::NodeState;

type Incoming = Pin<Box<dyn Stream<Item = Result<TlsConn, io::Error>> + Send>>;

/// Authenticated TLS connections as an axum listener, each ending at `max_age`.
struct TlsListener {
    incoming: Incoming,
    local: SocketAddr,
    max_age: Duration,
}

impl Listener for TlsListener {
    type Io = Aged;
    type Addr = TlsConnectInfo;

    async fn accept(&mut self) -> (Aged, TlsConnectInfo) {
        loop {
            match self.incoming.next().await {
                Some(Ok(conn)) => {
                    let info = conn.info().clone();
                    let aged = Aged {
                        conn,
                        close_at: Box::pin(sleep(self.max_age)),
                        cut_at: Box::pin(sleep(self.max_age + CONNECTION_AGE_GRACE)),
                    };
                    return (aged, info);
                }
                // The acceptor logged it and paused before going on.
                Some(Err(_)) => continue,
                // The acceptor stopped: the server is shutting down and stops accepting
                // on the same signal.
                None => std::future::pending::<()>().await,
            }
        }
    }

    fn local_addr(&self) -> io::Result<TlsConnectInfo> {
        Ok(TlsConnectInfo {
            remote_addr: self.local,
            peer_certs: None,
        })
    }
}

/// A connection with a maximum age: from `close_at` on, reads see the end of the stream
/// (so the server closes the connection, at once when idle); from `cut_at` on, writes
/// fail (an answer still being written then is cut).
struct Aged {
    conn: TlsConn,
    close_at: Pin<Box<Sleep>>,
    cut_at: Pin<Box<Sleep>>,
}

impl AsyncRead for Aged {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        // Polling the timer also wakes an idle reader when the age is reached.
        if this.close_at.as_mut().poll(cx).is_ready() {
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut this.conn).poll_read(cx, buf)
    }
}

impl AsyncWrite for Aged {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.cut_at.as_mut().poll(cx).is_ready() {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "connection reached its maximum age",
            )));
        }
        Pin::new(&mut this.conn).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().conn).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().conn).poll_shutdown(cx)
    }
}

/// The verified client certificate of the connection a request came on.
#[derive(Clone)]
struct Client(TlsConnectInfo);

impl Connected<IncomingStream<'_, TlsListener>> for Client {
    fn connect_info(stream: IncomingStream<'_, TlsListener>) -> Self {
        Client(stream.remote_addr().clone())
    }
}

/// Serves the routes over HTTPS with client certificates and roles until `shutdown`.
pub(super) async fn serve(
    listener: TcpListener,
    node: Arc<NodeState>,
    ready: Arc<AtomicBool>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let local = listener.local_addr()?;
    // One signal stops the acceptor, the server and its streams.
    let stop_rx = super::signal(shutdown);
    let stopped = super::stopped;
    let incoming = tls_incoming_limited(
        listener,
        node.tls.api.clone(),
        stopped(stop_rx.clone()),
        crate::server::tls_limits(&node.config),
    );
    let listener = TlsListener {
        incoming: Box::pin(incoming),
        local,
        max_age: node.config.max_stream,
    };
    let app = super::router_until(node.clone(), ready, Some(stop_rx.clone()))
        .layer(axum::middleware::from_fn_with_state(node, require_role));
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<Client>(),
    )
    .with_graceful_shutdown(stopped(stop_rx))
    .await
}

/// Lets the request through only for a user of this city with a role on this node.
async fn require_role(
    State(node): State<Arc<NodeState>>,
    ConnectInfo(client): ConnectInfo<Client>,
    req: Request,
    next: Next,
) -> Response {
    let peer = client.0.remote_addr;
    match crate::service::auth::caller_of_session(&node, &client.0) {
        Ok(_) => next.run(req).await,
        Err(e) => {
            tracing::info!(%peer, path = %req.uri().path(), "http request refused: {e}");
            if req.uri().path().starts_with("/api/") {
                super::api::node_error(&e)
            } else {
                let status = super::api::status_of(&e);
                let body = format!("{} {e}\n", status.as_u16());
                (
                    status,
                    [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                    body,
                )
                    .into_response()
            }
        }
    }
}
