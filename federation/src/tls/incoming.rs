//! [`tls_incoming`]: accepts TCP connections, runs TLS handshakes concurrently (one task
//! each, bounded in time and number) and yields authenticated [`TlsConn`]s for
//! `tonic::transport::Server::serve_with_incoming_shutdown`.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::{pin, Pin};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, OwnedSemaphorePermit, Semaphore};
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;
use tokio_stream::wrappers::ReceiverStream;
use tokio_stream::Stream;
use tonic::transport::server::Connected;

use super::error::describe_server_failure;
use super::{ReloadableServerConfig, TlsConnectInfo, HANDSHAKE_TIMEOUT};

/// At most this many handshakes run at once; further connections wait in the backlog.
const MAX_PENDING_HANDSHAKES: usize = 256;
/// Pause after a failed `accept` (e.g. out of file descriptors) before trying again.
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_millis(100);

/// An authenticated TLS connection: the client presented a certificate that the
/// configuration in force at handshake time verified (CA, validity, CRLs).
pub struct TlsConn {
    stream: TlsStream<TcpStream>,
    info: TlsConnectInfo,
}

impl TlsConn {
    fn new(stream: TlsStream<TcpStream>, remote_addr: SocketAddr) -> TlsConn {
        let peer_certs = stream
            .get_ref()
            .1
            .peer_certificates()
            .map(|certs| Arc::new(certs.iter().map(|c| c.clone().into_owned()).collect()));
        TlsConn {
            stream,
            info: TlsConnectInfo {
                remote_addr,
                peer_certs,
            },
        }
    }

    /// The connection's peer address and verified certificates.
    pub fn info(&self) -> &TlsConnectInfo {
        &self.info
    }

    /// The underlying TLS stream.
    pub fn get_ref(&self) -> &TlsStream<TcpStream> {
        &self.stream
    }
}

impl Connected for TlsConn {
    type ConnectInfo = TlsConnectInfo;

    fn connect_info(&self) -> TlsConnectInfo {
        self.info.clone()
    }
}

impl AsyncRead for TlsConn {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for TlsConn {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}

/// Accepts connections on `listener` and yields those whose TLS handshake succeeds with
/// the configuration current at accept time. Handshakes run concurrently, each limited
/// to [`HANDSHAKE_TIMEOUT`], so a slow client cannot block others; failures are logged
/// (`tracing::warn!`, with the peer address and the reason) and not yielded. Accepting
/// stops when `shutdown` completes or the stream is dropped (which closes the socket).
///
/// ```text
/// let incoming = tls_incoming(listener, reloadable_config, stopped());
/// Server::builder()
///     .add_service(svc)
///     .serve_with_incoming_shutdown(incoming, stopped())
///     .await?;
/// // handlers: lianluo_federation::identity::caller_of(&request, trust_domain)?
/// ```
pub fn tls_incoming(
    listener: TcpListener,
    config: impl Into<ReloadableServerConfig>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> impl Stream<Item = Result<TlsConn, io::Error>> + Send + Unpin + 'static {
    let (tx, rx) = mpsc::channel(64);
    tokio::spawn(accept_loop(listener, config.into(), tx, shutdown));
    ReceiverStream::new(rx)
}

type Sender = mpsc::Sender<Result<TlsConn, io::Error>>;

async fn accept_loop(
    listener: TcpListener,
    config: ReloadableServerConfig,
    tx: Sender,
    shutdown: impl Future<Output = ()> + Send,
) {
    let mut shutdown = pin!(shutdown);
    let permits = Arc::new(Semaphore::new(MAX_PENDING_HANDSHAKES));
    loop {
        let accepted = tokio::select! {
            biased;
            _ = &mut shutdown => break,
            _ = tx.closed() => break,
            accepted = accept(&listener, &permits) => accepted,
        };
        match accepted {
            Ok((tcp, addr, permit)) => {
                tokio::spawn(handshake(
                    tcp,
                    addr,
                    TlsAcceptor::from(config.current()),
                    tx.clone(),
                    permit,
                ));
            }
            Err(e) => {
                tracing::warn!("accepting a tcp connection failed: {e}");
                if tx.send(Err(e)).await.is_err() {
                    break;
                }
                tokio::time::sleep(ACCEPT_ERROR_PAUSE).await;
            }
        }
    }
    tracing::debug!("tls listener stopped accepting");
}

async fn accept(
    listener: &TcpListener,
    permits: &Arc<Semaphore>,
) -> io::Result<(TcpStream, SocketAddr, Option<OwnedSemaphorePermit>)> {
    // The semaphore is never closed, so acquiring only fails in theory; then run unbounded.
    let permit = permits.clone().acquire_owned().await.ok();
    let (tcp, addr) = listener.accept().await?;
    Ok((tcp, addr, permit))
}

async fn handshake(
    tcp: TcpStream,
    addr: SocketAddr,
    acceptor: TlsAcceptor,
    tx: Sender,
    _permit: Option<OwnedSemaphorePermit>,
) {
    if let Err(e) = tcp.set_nodelay(true) {
        tracing::debug!("cannot set TCP_NODELAY for {addr}: {e}");
    }
    match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
        Ok(Ok(stream)) => {
            tracing::debug!(peer = %addr, "tls connection accepted");
            // A send error means the server stopped; the connection is simply dropped.
            let _ = tx.send(Ok(TlsConn::new(stream, addr))).await;
        }
        Ok(Err(e)) => tracing::warn!(
            peer = %addr,
            "tls handshake from {addr} refused: {}",
            describe_server_failure(&e)
        ),
        Err(_) => tracing::warn!(
            peer = %addr,
            "tls handshake from {addr} refused: no handshake within {} s",
            HANDSHAKE_TIMEOUT.as_secs()
        ),
    }
}
