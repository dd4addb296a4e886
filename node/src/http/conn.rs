//! Connection limits of the plain HTTP listener (`[limits]`): at most `http_connections`
//! open at once and `connections_per_source` from one IP address — a connection over
//! either is accepted and closed at once, so it never waits in the backlog and never
//! holds a file descriptor — and a connection that moves no byte either way for
//! `idle_secs` is closed. A flood of silent connections from one address therefore never
//! takes the listener (or the process's open files) from other clients. Counted in
//! `/metrics` as `lianluo_http_connections` and
//! `lianluo_http_connections_closed_total{reason}`.

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::serve::Listener;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::{sleep, Instant, Sleep};

/// The limits, from the config.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnLimits {
    /// Most connections open at once.
    pub max: usize,
    /// Most connections open at once from one IP address.
    pub per_source: usize,
    /// A connection with no byte read or written this long is closed.
    pub idle: Duration,
}

/// Open connections and why others were closed, shared with `/metrics`.
#[derive(Debug, Default)]
pub struct ConnStats {
    by_source: Mutex<HashMap<IpAddr, usize>>,
    open: AtomicU64,
    over_total: AtomicU64,
    over_source: AtomicU64,
    idle: AtomicU64,
}

impl ConnStats {
    /// Adds this listener's families to a scrape.
    pub fn families(&self, snap: &mut crate::metrics::Snapshot) {
        use crate::metrics::Value;
        snap.gauge(
            "lianluo_http_connections",
            "Open connections of the HTTP listener.",
            vec![(Vec::new(), Value::Int(self.open.load(Ordering::Relaxed)))],
        );
        let closed = [
            ("http_connections", &self.over_total),
            ("connections_per_source", &self.over_source),
            ("idle_secs", &self.idle),
        ];
        snap.counter(
            "lianluo_http_connections_closed_total",
            "HTTP connections the node closed: over limits.http_connections, over \
             limits.connections_per_source, or idle for limits.idle_secs.",
            closed
                .iter()
                .map(|(reason, n)| {
                    let n = n.load(Ordering::Relaxed);
                    (vec![("reason", reason.to_string())], Value::Int(n))
                })
                .collect(),
        );
    }

    fn sources(&self) -> std::sync::MutexGuard<'_, HashMap<IpAddr, usize>> {
        // Counts only; a panic elsewhere cannot leave them half-updated.
        self.by_source
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// A TCP listener that applies [`ConnLimits`], as an axum listener.
pub struct LimitedListener {
    inner: TcpListener,
    limits: ConnLimits,
    stats: Arc<ConnStats>,
}

impl LimitedListener {
    /// Applies `limits` to the connections of `inner`, counting in `stats`.
    pub fn new(inner: TcpListener, limits: ConnLimits, stats: Arc<ConnStats>) -> Self {
        Self {
            inner,
            limits,
            stats,
        }
    }

    /// A ticket for a connection from `ip`, or which limit refuses it.
    fn admit(&self, ip: IpAddr) -> Result<Ticket, &'static str> {
        let mut sources = self.stats.sources();
        // `open` only changes under this lock (here and in `Ticket::drop`).
        let total = self.stats.open.load(Ordering::Relaxed);
        if total >= self.limits.max as u64 {
            self.stats.over_total.fetch_add(1, Ordering::Relaxed);
            return Err("limits.http_connections");
        }
        let from = sources.entry(ip).or_default();
        if *from >= self.limits.per_source {
            self.stats.over_source.fetch_add(1, Ordering::Relaxed);
            return Err("limits.connections_per_source");
        }
        *from += 1;
        self.stats.open.fetch_add(1, Ordering::Relaxed);
        Ok(Ticket {
            ip,
            stats: self.stats.clone(),
        })
    }
}

impl Listener for LimitedListener {
    type Io = Limited;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Limited, SocketAddr) {
        loop {
            let (stream, addr) = match self.inner.accept().await {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: wait instead of spinning.
                    tracing::warn!("http listener cannot accept a connection: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            };
            match self.admit(addr.ip()) {
                Ok(ticket) => {
                    let idle = self.limits.idle;
                    let conn = Limited {
                        stream,
                        idle,
                        deadline: Box::pin(sleep(idle)),
                        timed_out: false,
                        ticket,
                    };
                    return (conn, addr);
                }
                Err(limit) => {
                    tracing::debug!(peer = %addr, "http connection closed at once: {limit}");
                    drop(stream);
                }
            }
        }
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }
}

/// Holds a connection's place in the counts until it is dropped.
struct Ticket {
    ip: IpAddr,
    stats: Arc<ConnStats>,
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let mut sources = self.stats.sources();
        if let Some(n) = sources.get_mut(&self.ip) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                sources.remove(&self.ip);
            }
        }
        self.stats.open.fetch_sub(1, Ordering::Relaxed);
        drop(sources);
    }
}

/// An admitted connection: any byte read or written moves its idle deadline; once it
/// passes, reads see the end of the stream and writes fail, so the server closes it.
pub struct Limited {
    stream: TcpStream,
    idle: Duration,
    deadline: Pin<Box<Sleep>>,
    timed_out: bool,
    ticket: Ticket,
}

impl Limited {
    /// True (and counted) when the deadline has passed; polling it also wakes the task
    /// when it does.
    fn expired(&mut self, cx: &mut Context<'_>) -> bool {
        if self.timed_out {
            return true;
        }
        if self.deadline.as_mut().poll(cx).is_ready() {
            // For good: every later read sees the end and every write fails.
            self.timed_out = true;
            self.ticket.stats.idle.fetch_add(1, Ordering::Relaxed);
            return true;
        }
        false
    }

    fn moved(&mut self) {
        let idle = self.idle;
        self.deadline.as_mut().reset(Instant::now() + idle);
    }
}

impl AsyncRead for Limited {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.timed_out {
            return Poll::Ready(Ok(()));
        }
        let before = buf.filled().len();
        match Pin::new(&mut this.stream).poll_read(cx, buf) {
            Poll::Ready(r) => {
                if buf.filled().len() > before {
                    this.moved();
                }
                Poll::Ready(r)
            }
            Poll::Pending if this.expired(cx) => Poll::Ready(Ok(())),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl AsyncWrite for Limited {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        match Pin::new(&mut this.stream).poll_write(cx, buf) {
            Poll::Ready(Ok(n)) => {
                if n > 0 {
                    this.moved();
                }
                Poll::Ready(Ok(n))
            }
            Poll::Pending if this.expired(cx) => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the client read nothing for limits.idle_secs",
            ))),
            other => other,
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}
