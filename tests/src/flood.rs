//! Connection floods from a second loopback address (127.0.0.2): [`Flood`] keeps silent
//! TCP connections open to a listener, reopening those it closes; [`connect_from`] opens
//! one connection from a chosen loopback address.

use std::io::Read as _;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;
use tokio::net::{TcpSocket, TcpStream};

/// A TCP connection to `to` from the loopback address `from`.
pub async fn connect_from(from: &str, to: SocketAddr) -> Result<TcpStream> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::new(from.parse::<IpAddr>()?, 0))?;
    Ok(socket.connect(to).await?)
}

/// Keeps `n` silent connections from 127.0.0.2 open to `to`, reopening those the node
/// closes, until dropped.
pub struct Flood {
    stop: Arc<AtomicBool>,
    /// Connections opened so far.
    opened: Arc<AtomicUsize>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Flood {
    /// Starts the flood (on its own thread).
    pub fn start(to: SocketAddr, n: usize) -> Result<Flood> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let stop = Arc::new(AtomicBool::new(false));
        let opened = Arc::new(AtomicUsize::new(0));
        let (flag, count) = (stop.clone(), opened.clone());
        let thread = std::thread::spawn(move || {
            let mut open: Vec<std::net::TcpStream> = Vec::new();
            while !flag.load(Ordering::Relaxed) {
                // Drop what the node closed (end of stream or an error); keep the rest.
                open.retain_mut(|s| {
                    let mut b = [0u8; 1];
                    match s.read(&mut b) {
                        Err(e) => e.kind() == std::io::ErrorKind::WouldBlock,
                        Ok(got) => got > 0,
                    }
                });
                while open.len() < n && !flag.load(Ordering::Relaxed) {
                    let Ok(Ok(s)) = rt
                        .block_on(connect_from("127.0.0.2", to))
                        .map(|s| s.into_std())
                    else {
                        break;
                    };
                    count.fetch_add(1, Ordering::Relaxed);
                    if s.set_nonblocking(true).is_ok() {
                        open.push(s);
                    }
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        });
        Ok(Flood {
            stop,
            opened,
            thread: Some(thread),
        })
    }
}

impl Flood {
    /// Connections opened so far.
    pub fn opened(&self) -> usize {
        self.opened.load(Ordering::Relaxed)
    }
}

impl Drop for Flood {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
