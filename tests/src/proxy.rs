//! A loopback TCP proxy standing for one directed federation link (A dials B). Tests
//! point it at a node (or a fake peer), cut it (live connections dropped, new ones closed
//! at once) and heal it, or inject a [`Fault`]: delay every chunk, drop connections at
//! random points, or black-hole the link (connections stay open, nothing gets through).
//! Plain std threads: one acceptor, two copy threads per live connection, at most
//! [`MAX_CONNECTIONS`] at a time. Stops on drop.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

/// Most live connections one proxy carries; more are closed at once.
pub const MAX_CONNECTIONS: usize = 32;

/// How long the proxy waits to reach its target before closing the client's side.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// A fault injected into a link's live and new connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Every chunk is held this long before it is passed on (both directions).
    Delay(Duration),
    /// Each connection is cut at a random moment within this long of the fault meeting
    /// it (at its next chunk after that moment): a flaky network resetting connections.
    Drop(Duration),
    /// Connections are accepted and kept open, but nothing gets through either way.
    BlackHole,
}

#[derive(Default)]
struct State {
    /// The fault in force, if any.
    fault: Option<Fault>,
    /// Client connections held by a black hole (never connected to the target).
    held: Vec<TcpStream>,
    /// Where new connections go; `None` closes them (the target is not up yet).
    target: Option<SocketAddr>,
    /// Cut: new connections are closed at once.
    cut: bool,
    /// Live connections: id -> (client side, target side), kept to shut them down.
    live: BTreeMap<u64, (TcpStream, TcpStream)>,
    /// Connections forwarded so far (also the id of the latest).
    next_id: u64,
    /// Connections cut by a [`Fault::Drop`].
    dropped: u64,
}

struct Shared {
    state: Mutex<State>,
    stopping: AtomicBool,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panicking copy thread must not take the harness down with it.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// One directed link: a listener on 127.0.0.1:0 forwarding to a settable target.
pub struct LinkProxy {
    addr: SocketAddr,
    shared: Arc<Shared>,
    acceptor: Option<JoinHandle<()>>,
}

impl LinkProxy {
    /// Binds 127.0.0.1:0 and starts accepting; with no target yet, connections are
    /// closed as soon as they arrive.
    pub fn start() -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            stopping: AtomicBool::new(false),
        });
        let s = shared.clone();
        let acceptor = std::thread::Builder::new()
            .name(format!("proxy-{addr}"))
            .spawn(move || accept_loop(listener, s))?;
        Ok(Self {
            addr,
            shared,
            acceptor: Some(acceptor),
        })
    }

    /// The address clients dial.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Where new connections go now.
    pub fn target(&self) -> Option<SocketAddr> {
        self.shared.lock().target
    }

    /// Points new connections at `target` and drops the live ones (they lead to the old
    /// target, which is usually gone or being replaced).
    pub fn set_target(&self, target: SocketAddr) {
        let mut st = self.shared.lock();
        st.target = Some(target);
        drop_live(&mut st);
    }

    /// Cuts the link: live connections are shut down, new ones closed at once.
    pub fn cut(&self) {
        let mut st = self.shared.lock();
        st.cut = true;
        drop_live(&mut st);
    }

    /// Lets new connections through again.
    pub fn heal(&self) {
        self.shared.lock().cut = false;
    }

    /// Injects `fault` (or clears it with `None`: then the connections it held or
    /// disturbed are dropped, and the nodes dial again).
    pub fn set_fault(&self, fault: Option<Fault>) {
        let mut st = self.shared.lock();
        let clearing = fault.is_none() && st.fault.is_some();
        st.fault = fault;
        if clearing {
            drop_live(&mut st);
        }
    }

    /// Whether the link is cut.
    pub fn is_cut(&self) -> bool {
        self.shared.lock().cut
    }

    /// Number of connections carried right now.
    pub fn live_connections(&self) -> usize {
        self.shared.lock().live.len()
    }

    /// Number of connections a [`Fault::Drop`] cut so far.
    pub fn dropped(&self) -> u64 {
        self.shared.lock().dropped
    }

    /// Number of connections forwarded to a target since the proxy started (connections
    /// closed at once, while cut or without a target, do not count).
    pub fn forwarded(&self) -> u64 {
        self.shared.lock().next_id
    }
}

impl Drop for LinkProxy {
    fn drop(&mut self) {
        self.shared.stopping.store(true, Ordering::SeqCst);
        drop_live(&mut self.shared.lock());
        // Wake the blocking accept so the thread sees `stopping`.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_millis(500));
        if let Some(t) = self.acceptor.take() {
            let _ = t.join();
        }
    }
}

fn drop_live(st: &mut State) {
    for (_, (a, b)) in std::mem::take(&mut st.live) {
        let _ = a.shutdown(Shutdown::Both);
        let _ = b.shutdown(Shutdown::Both);
    }
    for c in std::mem::take(&mut st.held) {
        let _ = c.shutdown(Shutdown::Both);
    }
}

/// A number in `1..=max` (not cryptographic).
fn random_up_to(max: usize) -> usize {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_usize(max);
    usize::try_from(h.finish() % max.max(1) as u64).unwrap_or(0) + 1
}

fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    for conn in listener.incoming() {
        if shared.stopping.load(Ordering::SeqCst) {
            return;
        }
        let Ok(client) = conn else { continue };
        let (target, open) = {
            let mut st = shared.lock();
            if st.fault == Some(Fault::BlackHole) && !st.cut {
                // Accepted, and then nothing: the dialler waits for a handshake.
                st.held.push(client);
                continue;
            }
            (st.target, !st.cut && st.live.len() < MAX_CONNECTIONS)
        };
        let Some(target) = target.filter(|_| open) else {
            let _ = client.shutdown(Shutdown::Both);
            continue;
        };
        // Connect off the acceptor thread so a slow target does not stall the others.
        let s = shared.clone();
        let _ = std::thread::Builder::new()
            .name("proxy-conn".into())
            .spawn(move || connect_and_pipe(client, target, s));
    }
}

fn connect_and_pipe(client: TcpStream, target: SocketAddr, shared: Arc<Shared>) {
    let Ok(server) = TcpStream::connect_timeout(&target, CONNECT_TIMEOUT) else {
        let _ = client.shutdown(Shutdown::Both);
        return;
    };
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let clones = (|| Some((client.try_clone().ok()?, server.try_clone().ok()?)))();
    let Some((client2, server2)) = clones else {
        return;
    };
    let id = {
        let mut st = shared.lock();
        // Re-check: the link may have been cut or retargeted while we connected.
        if st.cut || st.target != Some(target) || shared.stopping.load(Ordering::SeqCst) {
            let _ = client.shutdown(Shutdown::Both);
            let _ = server.shutdown(Shutdown::Both);
            return;
        }
        let (Ok(c3), Ok(s3)) = (client.try_clone(), server.try_clone()) else {
            return;
        };
        st.next_id += 1;
        let id = st.next_id;
        st.live.insert(id, (c3, s3));
        id
    };
    let s = shared.clone();
    let up = std::thread::Builder::new()
        .name("proxy-up".into())
        .spawn(move || pipe(client, server, &s));
    pipe(server2, client2, &shared);
    if let Ok(up) = up {
        let _ = up.join();
    }
    shared.lock().live.remove(&id);
}

/// Copies `from` to `to` until either side closes (applying the link's fault to each
/// chunk), then shuts both down so the other direction ends too.
fn pipe(mut from: TcpStream, mut to: TcpStream, shared: &Shared) {
    let mut buf = [0u8; 16 * 1024];
    let mut cut_at: Option<std::time::Instant> = None;
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let fault = shared.lock().fault;
        match fault {
            None => {}
            Some(Fault::Delay(d)) => std::thread::sleep(d),
            Some(Fault::BlackHole) => continue,
            Some(Fault::Drop(within)) => {
                let ms = u64::try_from(within.as_millis()).unwrap_or(u64::MAX);
                let at = *cut_at.get_or_insert_with(|| {
                    let ms = random_up_to(usize::try_from(ms).unwrap_or(usize::MAX));
                    std::time::Instant::now() + Duration::from_millis(ms as u64)
                });
                if std::time::Instant::now() >= at {
                    shared.lock().dropped += 1;
                    break;
                }
            }
        }
        if to.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    let _ = from.shutdown(Shutdown::Both);
    let _ = to.shutdown(Shutdown::Both);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An echo server on 127.0.0.1:0 that prefixes every reply with `tag`.
    fn echo(tag: u8) -> SocketAddr {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        std::thread::spawn(move || {
            for c in l.incoming() {
                let Ok(mut c) = c else { continue };
                std::thread::spawn(move || {
                    let mut b = [0u8; 64];
                    while let Ok(n) = c.read(&mut b) {
                        if n == 0 || c.write_all(&[tag]).is_err() || c.write_all(&b[..n]).is_err() {
                            break;
                        }
                    }
                });
            }
        });
        addr
    }

    /// Sends `msg` and reads the reply; `None` if the connection is closed.
    fn ask(c: &mut TcpStream, msg: &[u8]) -> Option<Vec<u8>> {
        c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        c.write_all(msg).ok()?;
        let mut b = vec![0u8; msg.len() + 1];
        c.read_exact(&mut b).ok()?;
        Some(b)
    }

    #[test]
    fn forwards_cuts_heals_and_reroutes() {
        let p = LinkProxy::start().unwrap();
        // No target yet: closed at once.
        let mut c = TcpStream::connect(p.addr()).unwrap();
        assert_eq!(ask(&mut c, b"x"), None);

        p.set_target(echo(b'A'));
        let mut c = TcpStream::connect(p.addr()).unwrap();
        assert_eq!(ask(&mut c, b"hi").as_deref(), Some(&b"Ahi"[..]));
        assert_eq!((p.live_connections(), p.forwarded()), (1, 1));

        p.cut();
        assert!(p.is_cut());
        assert_eq!(ask(&mut c, b"hi"), None, "live connection dropped");
        let mut c = TcpStream::connect(p.addr()).unwrap();
        assert_eq!(ask(&mut c, b"hi"), None, "new connection refused");
        assert_eq!((p.live_connections(), p.forwarded()), (0, 1));

        p.heal();
        let mut c = TcpStream::connect(p.addr()).unwrap();
        assert_eq!(ask(&mut c, b"yo").as_deref(), Some(&b"Ayo"[..]));

        p.set_target(echo(b'B'));
        assert_eq!(ask(&mut c, b"yo"), None, "rerouting drops live connections");
        let mut c = TcpStream::connect(p.addr()).unwrap();
        assert_eq!(ask(&mut c, b"yo").as_deref(), Some(&b"Byo"[..]));
        let addr = p.addr();
        drop(p);
        let gone = TcpStream::connect(addr).map(|mut c| ask(&mut c, b"z"));
        assert!(matches!(gone, Err(_) | Ok(None)), "stopped on drop");
    }

    #[test]
    fn delays_drops_and_black_holes_then_recovers() {
        let p = LinkProxy::start().unwrap();
        p.set_target(echo(b'A'));
        p.set_fault(Some(Fault::Delay(Duration::from_millis(150))));
        let mut c = TcpStream::connect(p.addr()).unwrap();
        let t = std::time::Instant::now();
        assert_eq!(ask(&mut c, b"hi").as_deref(), Some(&b"Ahi"[..]));
        assert!(
            t.elapsed() >= Duration::from_millis(300),
            "both ways delayed"
        );

        p.set_fault(Some(Fault::Drop(Duration::from_millis(100))));
        let mut c = TcpStream::connect(p.addr()).unwrap();
        // Traffic every 20 ms: the connection is cut within 100 ms of it.
        crate::eventually_every(
            Duration::from_secs(2),
            Duration::from_millis(20),
            "the cut",
            || ask(&mut c, b"x").is_none().then_some(()),
        )
        .unwrap();
        assert!(p.dropped() >= 1);

        p.set_fault(Some(Fault::BlackHole));
        let mut c = TcpStream::connect(p.addr()).unwrap();
        c.set_read_timeout(Some(Duration::from_millis(300)))
            .unwrap();
        c.write_all(b"hi").unwrap();
        let mut b = [0u8; 4];
        let r = c.read(&mut b);
        assert!(
            r.is_err(),
            "nothing comes back, and the connection stays open: {r:?}"
        );

        p.set_fault(None);
        let mut c = TcpStream::connect(p.addr()).unwrap();
        assert_eq!(ask(&mut c, b"ok").as_deref(), Some(&b"Aok"[..]));
    }
}
