//! `http.tls = true` on a non-loopback address, with a real node started in-process
//! (`server::start`) and real rustls clients: a viewer's certificate reads the API, a
//! client without a certificate is refused at the handshake, a user certificate of this
//! city whose user has no role in `[users]` gets 403, and a kept-alive connection is closed
//! at its maximum age.

use std::path::Path;
use std::sync::Arc;

use lianluo_certs::Pki;
use lianluo_federation::tls::{client_config, TlsFiles};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, RootCertStore};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;

use super::api_tests::{exchange, Answer};

/// A client presenting `user`'s certificate of hezhou, speaking HTTP/1.1 (no ALPN).
fn user_client(root: &Path, user: &str) -> Arc<ClientConfig> {
    let users = root.join("pki/hezhou/users");
    let files = TlsFiles {
        cert: users.join(format!("{user}.pem")),
        key: users.join(format!("{user}.key")),
        ca: root.join("pki/root-ca.pem"),
        crls: Vec::new(),
    };
    let mut cfg = (*client_config(&files).expect("client config")).clone();
    cfg.alpn_protocols.clear();
    Arc::new(cfg)
}

/// A client that trusts the root CA but presents no certificate.
fn anonymous_client(root: &Path) -> Arc<ClientConfig> {
    let mut roots = RootCertStore::empty();
    let pem = std::fs::read(root.join("pki/root-ca.pem")).expect("root ca");
    for c in CertificateDer::pem_slice_iter(&pem) {
        roots.add(c.expect("pem")).expect("anchor");
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let cfg = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    Arc::new(cfg)
}

async fn connect(
    addr: std::net::SocketAddr,
    cfg: Arc<ClientConfig>,
) -> std::io::Result<TlsStream<TcpStream>> {
    let tcp = TcpStream::connect(addr).await?;
    let name = ServerName::try_from("localhost").expect("name");
    TlsConnector::from(cfg).connect(name, tcp).await
}

async fn https_get(
    addr: std::net::SocketAddr,
    cfg: Arc<ClientConfig>,
    path: &str,
) -> std::io::Result<Answer> {
    exchange(connect(addr, cfg).await?, path).await
}

/// Keeps a connection open after one answer; returns how long the server took to close it.
async fn kept_alive(addr: std::net::SocketAddr, cfg: Arc<ClientConfig>) -> std::time::Duration {
    let mut tls = connect(addr, cfg).await.expect("connect");
    let started = tokio::time::Instant::now();
    tls.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 1024];
    // The answer first, then the end of the connection (or an error: no close_notify).
    let closed = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        loop {
            match tls.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    assert!(
        closed.is_ok(),
        "a kept-alive connection stayed open for 10 s"
    );
    let text = String::from_utf8_lossy(&got);
    assert!(
        text.starts_with("HTTP/1.1 200") && text.ends_with("ok"),
        "{text}"
    );
    started.elapsed()
}

#[tokio::test]
async fn http_tls_requires_a_client_certificate_and_a_role() {
    lianluo_federation::crypto::install_crypto_provider();
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let path = crate::backup::tests::write_config(root, "hezhou", "data");
    let pki = Pki::open(&root.join("pki")).unwrap();
    pki.issue_user("hezhou", "viewer", 30).unwrap();
    // A valid user certificate of hezhou, but the user is not listed in [users].
    pki.issue_user("hezhou", "stranger", 30).unwrap();
    // Short-lived connections, to see the maximum age at work.
    let mut text = std::fs::read_to_string(&path)
        .unwrap()
        .replace("[federation]\n", "[federation]\nmax_stream_secs = 2\n");
    text.push_str("\n[http]\nlisten = \"0.0.0.0:0\"\ntls = true\n");
    std::fs::write(&path, text).unwrap();
    let cfg = crate::config::load(&path).unwrap();
    assert_eq!(cfg.http_security, crate::config::HttpSecurity::MutualTls);

    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let node = crate::server::start(cfg, async {
        let _ = stopped.await;
    })
    .await
    .unwrap();
    let port = node.bound.http.expect("http bound").port();
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));

    let ok = https_get(
        addr,
        user_client(root, "viewer"),
        "/api/overview?deadline_ms=500",
    )
    .await
    .expect("viewer over https");
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(ok.json()["answered_by"], "hezhou");
    let page = https_get(addr, user_client(root, "viewer"), "/")
        .await
        .unwrap();
    assert_eq!(page.status, 200);

    let denied = https_get(addr, user_client(root, "stranger"), "/api/overview")
        .await
        .expect("stranger gets an answer");
    assert_eq!(denied.status, 403, "{}", denied.body);
    let msg = denied.json()["error"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(msg.contains("\"stranger\" has no role"), "{msg}");
    let denied = https_get(addr, user_client(root, "stranger"), "/metrics")
        .await
        .unwrap();
    assert_eq!(denied.status, 403, "{}", denied.body);

    // TLS 1.3: the client may finish its side before the server checks the certificate,
    // so the refusal shows at the handshake or at the first read; never as an answer.
    let anon = https_get(addr, anonymous_client(root), "/healthz").await;
    assert!(
        anon.is_err(),
        "answered without a client certificate: {}",
        anon.map(|a| a.body).unwrap_or_default()
    );

    // Plain HTTP on the HTTPS port gets no answer either.
    let plain = TcpStream::connect(addr).await.unwrap();
    let answer = tokio::time::timeout(
        std::time::Duration::from_secs(15),
        exchange(plain, "/healthz"),
    )
    .await
    .expect("the server closes a plain connection");
    assert!(answer.map(|a| a.status != 200).unwrap_or(true));

    let age = kept_alive(addr, user_client(root, "viewer")).await;
    assert!(
        age >= std::time::Duration::from_millis(1500),
        "closed after {age:?}"
    );

    stop.send(()).unwrap();
    node.task.await.unwrap().unwrap();
}
