//! Connecting to a node over TLS: tonic [`Channel`]s whose connector runs tokio-rustls
//! with our [`ClientConfig`] (tonic's own TLS has no CRL support).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use hyper_util::rt::TokioIo;
use rustls::pki_types::ServerName;
use rustls::ClientConfig;
use tokio::io::AsyncBufReadExt;
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;
use tonic::transport::{Channel, Endpoint, Uri};

use super::error::{chain, from_io};
use super::{TlsError, HANDSHAKE_TIMEOUT};
use crate::identity::{peer_city_from_cert, IdentityError};

/// How long to wait, after a TLS 1.3 handshake, for the server's first bytes (its HTTP/2
/// settings, or an alert refusing our certificate). A silent server is not an error.
const FIRST_BYTES_WAIT: Duration = Duration::from_secs(3);
/// HTTP/2 keep-alive: detects dead peers under long-lived streams.
const KEEPALIVE_INTERVAL: Duration = Duration::from_secs(20);
const KEEPALIVE_TIMEOUT: Duration = Duration::from_secs(10);

/// Connects to `endpoint` (`https://host:port`, host a DNS name or an IP address, which
/// the server certificate must list) and returns a ready channel. TLS failures come back
/// as specific [`TlsError`]s (refused, revoked, expired, unknown CA, …).
pub async fn connect(endpoint: &str, config: Arc<ClientConfig>) -> Result<Channel, TlsError> {
    let (ep, connector) = prepare(endpoint, config, None)?;
    connect_now(endpoint, ep, connector).await
}

/// Like [`connect`], but also requires the server's certificate to be the NODE
/// certificate of `expected_city` in `trust_domain`: a peer is who we meant to call.
pub async fn connect_peer(
    endpoint: &str,
    config: Arc<ClientConfig>,
    trust_domain: &str,
    expected_city: &str,
) -> Result<Channel, TlsError> {
    let (ep, connector) = prepare(endpoint, config, Expect::node(trust_domain, expected_city))?;
    connect_now(endpoint, ep, connector).await
}

/// Like [`connect`] but connects on first use (and reconnects after failures); only
/// an invalid endpoint fails here. Later TLS failures reach RPCs as `Unavailable` status
/// whose message is the [`TlsError`] text (see also [`TlsError::find_in`]).
pub fn connect_lazy(endpoint: &str, config: Arc<ClientConfig>) -> Result<Channel, TlsError> {
    let (ep, connector) = prepare(endpoint, config, None)?;
    Ok(ep.connect_with_connector_lazy(connector))
}

/// Like [`connect_peer`] but connects on first use (see [`connect_lazy`]).
pub fn connect_peer_lazy(
    endpoint: &str,
    config: Arc<ClientConfig>,
    trust_domain: &str,
    expected_city: &str,
) -> Result<Channel, TlsError> {
    let (ep, connector) = prepare(endpoint, config, Expect::node(trust_domain, expected_city))?;
    Ok(ep.connect_with_connector_lazy(connector))
}

async fn connect_now(
    endpoint: &str,
    ep: Endpoint,
    connector: Connector,
) -> Result<Channel, TlsError> {
    ep.connect_with_connector(connector).await.map_err(|e| {
        TlsError::find_in(&e, endpoint).unwrap_or_else(|| TlsError::Transport {
            endpoint: endpoint.to_string(),
            reason: chain(&e),
        })
    })
}

#[derive(Clone)]
struct Expect {
    trust_domain: String,
    city: String,
}

impl Expect {
    /// Expect the node certificate of `city` in `trust_domain`.
    fn node(trust_domain: &str, city: &str) -> Option<Expect> {
        Some(Expect {
            trust_domain: trust_domain.to_string(),
            city: city.to_string(),
        })
    }
}

#[derive(Clone)]
struct Connector {
    endpoint: Arc<str>,
    host: String,
    port: u16,
    server_name: ServerName<'static>,
    tls: TlsConnector,
    expect: Option<Expect>,
}

/// Parses the endpoint and builds the tonic endpoint plus our connector.
fn prepare(
    endpoint: &str,
    config: Arc<ClientConfig>,
    expect: Option<Expect>,
) -> Result<(Endpoint, Connector), TlsError> {
    let bad = |reason: String| TlsError::Endpoint {
        endpoint: endpoint.to_string(),
        reason,
    };
    let rest = endpoint
        .strip_prefix("https://")
        .ok_or_else(|| bad("it must start with https:// (e.g. https://127.0.0.1:7101)".into()))?;
    // TLS is done by our connector; tonic must see plain http or it looks for its own TLS.
    let ep = Endpoint::from_shared(format!("http://{rest}"))
        .map_err(|e| bad(chain(&e)))?
        .connect_timeout(HANDSHAKE_TIMEOUT)
        .tcp_nodelay(true)
        .http2_keep_alive_interval(KEEPALIVE_INTERVAL)
        .keep_alive_timeout(KEEPALIVE_TIMEOUT)
        .keep_alive_while_idle(true);
    let uri = ep.uri();
    let host = uri
        .host()
        .ok_or_else(|| bad("it names no host".into()))?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    let port = uri.port_u16().unwrap_or(443);
    let server_name = ServerName::try_from(host.clone()).map_err(|e| {
        bad(format!(
            "`{host}` is not a valid host name or IP address: {e}"
        ))
    })?;
    let connector = Connector {
        endpoint: Arc::from(endpoint),
        host,
        port,
        server_name,
        tls: TlsConnector::from(config),
        expect,
    };
    Ok((ep, connector))
}

impl tower::Service<Uri> for Connector {
    type Response = TokioIo<TlsStream<TcpStream>>;
    type Error = TlsError;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, TlsError>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), TlsError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _: Uri) -> Self::Future {
        // The URI tonic passes is our http:// rewrite; host and port were parsed already.
        let this = self.clone();
        Box::pin(async move { this.connect().await })
    }
}

impl Connector {
    async fn connect(&self) -> Result<TokioIo<TlsStream<TcpStream>>, TlsError> {
        let endpoint = &*self.endpoint;
        let tcp = TcpStream::connect((self.host.as_str(), self.port))
            .await
            .map_err(|e| TlsError::Unreachable {
                endpoint: endpoint.to_string(),
                source: Arc::new(e),
            })?;
        // Best effort: Nagle only adds latency to small gRPC frames.
        let _ = tcp.set_nodelay(true);
        let handshake = self.tls.connect(self.server_name.clone(), tcp);
        let mut tls = tokio::time::timeout(HANDSHAKE_TIMEOUT, handshake)
            .await
            .map_err(|_| TlsError::Timeout {
                endpoint: endpoint.to_string(),
                secs: HANDSHAKE_TIMEOUT.as_secs(),
            })?
            .map_err(|e| from_io(endpoint, e))?;
        if tls.get_ref().1.protocol_version() == Some(rustls::ProtocolVersion::TLSv1_3) {
            await_verdict(endpoint, &mut tls).await?;
        }
        if let Some(expect) = &self.expect {
            check_peer(endpoint, &tls, expect)?;
        }
        Ok(TokioIo::new(tls))
    }
}

/// In TLS 1.3 the server judges our certificate after our side of the handshake is done,
/// so a refusal arrives as an alert with the server's first bytes. Wait for those bytes
/// (without consuming them: they stay buffered for HTTP/2) so a refusal surfaces here,
/// named, instead of as an opaque HTTP/2 error on the first call.
async fn await_verdict(endpoint: &str, tls: &mut TlsStream<TcpStream>) -> Result<(), TlsError> {
    let first = tokio::time::timeout(FIRST_BYTES_WAIT, async {
        tls.fill_buf().await.map(|buf| buf.is_empty())
    })
    .await;
    match first {
        Err(_) | Ok(Ok(false)) => Ok(()),
        Ok(Ok(true)) => Err(TlsError::Handshake {
            endpoint: endpoint.to_string(),
            reason: "the server closed the connection right after the handshake; it may have \
                     refused our certificate (see its log)"
                .to_string(),
        }),
        Ok(Err(e)) => Err(from_io(endpoint, e)),
    }
}

fn check_peer(endpoint: &str, tls: &TlsStream<TcpStream>, expect: &Expect) -> Result<(), TlsError> {
    let wrong = |source: IdentityError| TlsError::WrongPeer {
        endpoint: endpoint.to_string(),
        source,
    };
    let der = tls
        .get_ref()
        .1
        .peer_certificates()
        .and_then(|certs| certs.first())
        .ok_or_else(|| wrong(IdentityError::NoCertificate))?;
    let city = peer_city_from_cert(der.as_ref(), &expect.trust_domain).map_err(wrong)?;
    if city.as_str() != expect.city {
        return Err(wrong(IdentityError::WrongPeerCity {
            expected: expect.city.clone(),
            found: city.into_string(),
        }));
    }
    Ok(())
}
