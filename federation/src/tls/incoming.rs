//! [`tls_incoming`]: accepts TCP connections, runs TLS handshakes concurrently (one task
//! each, bounded in time and number) and yields authenticated [`TlsConn`]s for
//! `tonic::transport::Server::serve_with_incoming_shutdown`.

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

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
/// By default at most this many handshakes from one IP address run at once (see
/// [`tls_incoming_limited`]); a further connection from it is closed at once, so a flood
/// of silent connections from one source holds only this many of
/// [`MAX_PENDING_HANDSHAKES`] and other clients and peers still get in, while an office
/// behind one address can still open this many connections at the same moment.
pub const MAX_PENDING_PER_SOURCE: usize = 32;
/// Pause after a failed `accept` (e.g. out of file descriptors) before trying again.
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_millis(100);

/// An authenticated TLS connection: the client presented a certificate that the
/// configuration in force at handshake time verified (CA, validity, CRLs).
pub struct TlsConn {
    stream: TlsStream<TcpStream>,
    info: TlsConnectInfo,
    /// Its place among the listener's open connections, given back when it closes.
    _open: Option<OwnedSemaphorePermit>,
}

impl TlsConn {
    fn new(
        stream: TlsStream<TcpStream>,
        remote_addr: SocketAddr,
        open: Option<OwnedSemaphorePermit>,
    ) -> TlsConn {
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
            _open: open,
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
    tls_incoming_limited(listener, config, shutdown, TlsLimits::default())
}

/// Bounds of a TLS listener.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TlsLimits {
    /// Handshakes pending at once from one source.
    pub per_source: usize,
    /// Connections open at once (handshaking or established); more are closed at once.
    pub connections: usize,
}

impl Default for TlsLimits {
    fn default() -> Self {
        TlsLimits {
            per_source: MAX_PENDING_PER_SOURCE,
            connections: MAX_CONNECTIONS,
        }
    }
}

/// By default at most this many connections are open at once on a TLS listener.
pub const MAX_CONNECTIONS: usize = 512;

/// [`tls_incoming`] within `limits`.
pub fn tls_incoming_limited(
    listener: TcpListener,
    config: impl Into<ReloadableServerConfig>,
    shutdown: impl Future<Output = ()> + Send + 'static,
    limits: TlsLimits,
) -> impl Stream<Item = Result<TlsConn, io::Error>> + Send + Unpin + 'static {
    let (tx, rx) = mpsc::channel(64);
    let sources = Sources {
        per_source: limits.per_source.max(1),
        open: Arc::new(Semaphore::new(limits.connections.max(1))),
        connections: limits.connections.max(1),
        pending: Arc::default(),
        refused: AtomicU64::new(0),
        last_warning: Mutex::new(None),
    };
    tokio::spawn(accept_loop(listener, config.into(), tx, shutdown, sources));
    ReceiverStream::new(rx)
}

type Sender = mpsc::Sender<Result<TlsConn, io::Error>>;

async fn accept_loop(
    listener: TcpListener,
    config: ReloadableServerConfig,
    tx: Sender,
    shutdown: impl Future<Output = ()> + Send,
    sources: Sources,
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
                let Ok(open) = sources.open.clone().try_acquire_owned() else {
                    // Closed at once: the listener holds all the connections it may.
                    sources.refused(addr, "full");
                    continue;
                };
                let Some(pending) = sources.admit(addr.ip()) else {
                    // Closed at once (the permit goes back with it).
                    sources.refused(addr, "source");
                    continue;
                };
                tokio::spawn(handshake(
                    tcp,
                    addr,
                    TlsAcceptor::from(config.current()),
                    tx.clone(),
                    (permit, pending, open),
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
    held: (Option<OwnedSemaphorePermit>, Pending, OwnedSemaphorePermit),
) {
    let (_handshake, _pending, open) = held;
    if let Err(e) = tcp.set_nodelay(true) {
        tracing::debug!("cannot set TCP_NODELAY for {addr}: {e}");
    }
    match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
        Ok(Ok(stream)) => {
            tracing::debug!(peer = %addr, "tls connection accepted");
            // A send error means the server stopped; the connection is simply dropped.
            let _ = tx.send(Ok(TlsConn::new(stream, addr, Some(open)))).await;
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

/// Handshakes pending per source address.
struct Sources {
    /// Most handshakes pending from one source.
    per_source: usize,
    /// Places for open connections, and how many there are.
    open: Arc<Semaphore>,
    connections: usize,
    pending: Arc<Mutex<HashMap<IpAddr, usize>>>,
    /// Connections closed over the per-source bound since the last warning.
    refused: AtomicU64,
    last_warning: Mutex<Option<Instant>>,
}

impl Sources {
    /// A place for one more handshake from `ip`, unless it has `per_source`.
    fn admit(&self, ip: IpAddr) -> Option<Pending> {
        let ip = source_of(ip);
        let mut pending = lock(&self.pending);
        let n = pending.entry(ip).or_default();
        if *n >= self.per_source {
            return None;
        }
        *n += 1;
        Some(Pending {
            ip,
            pending: self.pending.clone(),
        })
    }

    /// Counts a refused connection (`why`: "source" over the per-source bound, "full"
    /// over the listener's connections); warns at most every 10 s, with the count.
    fn refused(&self, addr: SocketAddr, why: &str) {
        let n = self.refused.fetch_add(1, Ordering::Relaxed) + 1;
        let mut last = lock(&self.last_warning);
        if last.is_none_or(|t| t.elapsed() >= Duration::from_secs(10)) {
            *last = Some(Instant::now());
            self.refused.store(0, Ordering::Relaxed);
            tracing::warn!(
                peer = %addr,
                "closed {n} connection(s) at once in the last 10 s, the latest from {} \
                 ({why}): a source may have {} tls handshakes pending and the listener {} \
                 connections open (a flood? [limits] handshakes_per_source and \
                 tls_connections raise the bounds)",
                addr.ip(),
                self.per_source,
                self.connections
            );
        }
    }
}

/// The source a connection counts against: an IPv4 address (also when mapped into
/// IPv6), or an IPv6 address's /64 network, which one host or site usually holds whole.
fn source_of(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => {
            let s = v6.segments();
            IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
        }
        v4 => v4,
    }
}

/// One pending handshake's place in its source's count, given back when dropped.
struct Pending {
    ip: IpAddr,
    pending: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

impl Drop for Pending {
    fn drop(&mut self) {
        let mut pending = lock(&self.pending);
        if let Some(n) = pending.get_mut(&self.ip) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                pending.remove(&self.ip);
            }
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // Plain counts: a panic elsewhere cannot leave them half-updated.
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::source_of;

    #[test]
    fn a_source_is_an_ipv4_address_or_an_ipv6_slash_64() {
        let ip = |s: &str| s.parse::<std::net::IpAddr>().expect("an address");
        assert_eq!(source_of(ip("203.0.113.7")), ip("203.0.113.7"));
        assert_eq!(source_of(ip("::ffff:203.0.113.7")), ip("203.0.113.7"));
        assert_eq!(
            source_of(ip("2001:db8:1:2:aaaa:bbbb:cccc:dddd")),
            source_of(ip("2001:db8:1:2::1"))
        );
        assert_ne!(
            source_of(ip("2001:db8:1:2::1")),
            source_of(ip("2001:db8:1:3::1"))
        );
    }
}
