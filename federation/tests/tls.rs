//! Real TLS on 127.0.0.1: a tonic Records service served through `tls_incoming`, clients
//! through `connect`. Who gets in, who is refused, and revocation without restart.
#![allow(clippy::unwrap_used)]

#[path = "support/poll.rs"]
mod poll;
#[path = "support/pki.rs"]
mod support;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use lianluo_certs::{LeafFiles, Pki, SpiffeId};
use lianluo_federation::identity::{caller_of, Caller};
use lianluo_federation::tls::connect_peer;
use lianluo_federation::{
    client_config, connect, connect_lazy, server_config, tls_incoming, ReloadableServerConfig,
    TlsError, TlsFiles,
};
use lianluo_proto::records_client::RecordsClient;
use lianluo_proto::records_server::{Records, RecordsServer};
use lianluo_proto::{
    ActRequest, CreateRequest, GetRequest, ListRequest, ListResponse, Record, WhoAmIRequest,
    WhoAmIResponse,
};
use poll::poll_until;
use support::{tls_files, Fixture, TD};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tonic::{Request, Response, Status};

/// Answers WhoAmI from the TLS identity only.
struct WhoAmI;

#[tonic::async_trait]
impl Records for WhoAmI {
    async fn create(&self, _: Request<CreateRequest>) -> Result<Response<Record>, Status> {
        Err(Status::unimplemented("test"))
    }
    async fn act(&self, _: Request<ActRequest>) -> Result<Response<Record>, Status> {
        Err(Status::unimplemented("test"))
    }
    async fn get(&self, _: Request<GetRequest>) -> Result<Response<Record>, Status> {
        Err(Status::unimplemented("test"))
    }
    async fn list(&self, _: Request<ListRequest>) -> Result<Response<ListResponse>, Status> {
        Err(Status::unimplemented("test"))
    }
    type WatchStream = tokio_stream::Empty<Result<lianluo_proto::WatchResponse, Status>>;
    async fn watch(
        &self,
        _: Request<lianluo_proto::WatchRequest>,
    ) -> Result<Response<Self::WatchStream>, Status> {
        Err(Status::unimplemented("test"))
    }
    async fn who_am_i(
        &self,
        request: Request<WhoAmIRequest>,
    ) -> Result<Response<WhoAmIResponse>, Status> {
        let (city, user) = match caller_of(&request, TD)? {
            Caller::Peer(city) => (city.into_string(), String::new()),
            Caller::User(user) => (user.city, user.name),
        };
        Ok(Response::new(WhoAmIResponse {
            city,
            user,
            role: String::new(),
            node_city: "hezhou".into(),
        }))
    }
    async fn export(
        &self,
        _: Request<lianluo_proto::ExportRequest>,
    ) -> Result<Response<lianluo_proto::ExportResponse>, Status> {
        Err(Status::unimplemented("test"))
    }
}

struct Server {
    addr: SocketAddr,
    config: ReloadableServerConfig,
    stop: watch::Sender<bool>,
}

impl Server {
    fn endpoint(&self) -> String {
        format!("https://{}", self.addr)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

async fn stopped(mut rx: watch::Receiver<bool>) {
    let _ = rx.wait_for(|stop| *stop).await;
}

async fn serve(config: ReloadableServerConfig) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, rx) = watch::channel(false);
    let incoming = tls_incoming(listener, config.clone(), stopped(rx.clone()));
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(RecordsServer::new(WhoAmI))
            .serve_with_incoming_shutdown(incoming, stopped(rx)),
    );
    Server { addr, config, stop }
}

/// Hezhou's node, trusting the root CA (peers) and hezhou's user CA (users).
fn hezhou_server_files(fx: &Fixture) -> TlsFiles {
    let city = fx.pki.city_paths("hezhou").unwrap();
    let bundle = fx.dir.path().join("hezhou-trust.pem");
    let mut pem = std::fs::read(fx.root_ca()).unwrap();
    pem.extend(std::fs::read(&city.user_ca_cert).unwrap());
    std::fs::write(&bundle, pem).unwrap();
    tls_files(
        &fx.node("hezhou"),
        &bundle,
        &[fx.root_crl(), city.user_ca_crl],
    )
}

async fn hezhou(fx: &Fixture) -> Server {
    serve(ReloadableServerConfig::load(hezhou_server_files(fx)).unwrap()).await
}

fn client_files(fx: &Fixture, leaf: &LeafFiles) -> TlsFiles {
    tls_files(leaf, &fx.root_ca(), &[fx.root_crl()])
}

async fn who_am_i(
    server: &Server,
    fx: &Fixture,
    leaf: &LeafFiles,
) -> Result<(String, String), TlsError> {
    let config = client_config(&client_files(fx, leaf)).unwrap();
    let channel = connect(&server.endpoint(), config).await?;
    let reply = RecordsClient::new(channel)
        .who_am_i(WhoAmIRequest {})
        .await
        .unwrap()
        .into_inner();
    Ok((reply.city, reply.user))
}

fn refused_with(result: Result<(String, String), TlsError>, alert: &str) -> String {
    match result {
        Err(err @ TlsError::RefusedByPeer { .. }) => {
            let text = err.to_string();
            assert!(text.contains(alert), "expected alert `{alert}`: {text}");
            text
        }
        other => panic!("expected refusal with `{alert}`, got {other:?}"),
    }
}

#[tokio::test]
async fn peers_and_users_connect_and_handlers_see_their_certificate_identity() {
    let fx = Fixture::new();
    let server = hezhou(&fx).await;
    let peer = who_am_i(&server, &fx, &fx.node("qingyuan")).await.unwrap();
    assert_eq!(peer, ("qingyuan".to_string(), String::new()));
    let user = who_am_i(&server, &fx, &fx.user("hezhou", "li.wei"))
        .await
        .unwrap();
    assert_eq!(user, ("hezhou".to_string(), "li.wei".to_string()));
}

#[tokio::test]
async fn foreign_ca_signer_and_other_city_user_certificates_are_refused() {
    let fx = Fixture::new();
    let server = hezhou(&fx).await;
    // Same issuer name as the root CA, different key.
    let id = SpiffeId::node(TD, "qingyuan").unwrap();
    let text = refused_with(
        who_am_i(&server, &fx, &fx.foreign(&id, "fake-node")).await,
        "",
    );
    assert!(text.contains("refused our certificate"), "{text}");
    // A whole other federation with the same trust domain.
    let other = Pki::init(&fx.dir.path().join("other"), TD).unwrap();
    let files = other.ensure_city("qingyuan", &[]).unwrap();
    let text = refused_with(who_am_i(&server, &fx, &files.node).await, "");
    assert!(text.contains("another PKI"), "{text}");
    // A qingyuan user at hezhou's node: qingyuan's user CA is not trusted there.
    refused_with(
        who_am_i(&server, &fx, &fx.user("qingyuan", "ann")).await,
        "unknown ca",
    );
    // A genuine signer certificate is not a TLS client certificate (no clientAuth EKU).
    refused_with(who_am_i(&server, &fx, &fx.signer("qingyuan")).await, "");
}

#[tokio::test]
async fn expired_client_certificate_is_refused() {
    let fx = Fixture::new();
    let server = hezhou(&fx).await;
    let id = SpiffeId::user(TD, "hezhou", "old").unwrap();
    let text = refused_with(
        who_am_i(&server, &fx, &fx.expired(&id, "old")).await,
        "certificate expired",
    );
    assert!(text.contains("renew"), "{text}");
}

#[tokio::test]
async fn reload_picks_up_a_new_crl_without_restart() {
    let fx = Fixture::new();
    let server = hezhou(&fx).await;
    let bob = fx.user("hezhou", "bob");
    let peer = fx.node("qingyuan");
    assert_eq!(who_am_i(&server, &fx, &bob).await.unwrap().1, "bob");
    fx.pki.revoke(&bob.cert).unwrap();
    fx.pki.revoke(&fx.node("yongzhou").cert).unwrap();
    // Until reloaded, the server runs with the CRLs it loaded.
    assert_eq!(who_am_i(&server, &fx, &bob).await.unwrap().1, "bob");
    server.config.reload().unwrap();
    let text = refused_with(who_am_i(&server, &fx, &bob).await, "certificate revoked");
    assert!(text.contains("our certificate is revoked"), "{text}");
    refused_with(
        who_am_i(&server, &fx, &fx.node("yongzhou")).await,
        "certificate revoked",
    );
    // Everyone else still gets in.
    assert_eq!(who_am_i(&server, &fx, &peer).await.unwrap().0, "qingyuan");
    assert_eq!(
        who_am_i(&server, &fx, &fx.user("hezhou", "ann"))
            .await
            .unwrap()
            .1,
        "ann"
    );
}

#[tokio::test]
async fn watch_reloads_when_a_crl_changes_on_disk() {
    let fx = Fixture::new();
    let server = hezhou(&fx).await;
    let watcher = server.config.watch(Duration::from_millis(50));
    let carol = fx.user("hezhou", "carol");
    assert_eq!(who_am_i(&server, &fx, &carol).await.unwrap().1, "carol");
    fx.pki.revoke(&carol.cert).unwrap();
    let result = poll_until(
        Duration::from_secs(10),
        Duration::from_millis(50),
        || who_am_i(&server, &fx, &carol),
        Result::is_err,
    )
    .await;
    refused_with(result, "certificate revoked");
    watcher.abort();
}

#[tokio::test]
async fn broken_files_keep_the_previous_configuration() {
    let fx = Fixture::new();
    let server = hezhou(&fx).await;
    let crl = fx.pki.city_paths("hezhou").unwrap().user_ca_crl;
    let good = std::fs::read(&crl).unwrap();
    std::fs::write(
        &crl,
        b"-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n",
    )
    .unwrap();
    let err = server.config.reload().unwrap_err();
    assert!(
        matches!(err, TlsError::Invalid { what: "CRL", ref path, .. } if *path == crl),
        "{err:?}"
    );
    assert!(err.to_string().contains("user-ca.crl.pem"), "{err}");
    std::fs::remove_file(&crl).unwrap();
    let err = server.config.reload().unwrap_err();
    assert!(matches!(err, TlsError::Read { what: "CRL", .. }), "{err:?}");
    assert_eq!(
        who_am_i(&server, &fx, &fx.user("hezhou", "dan"))
            .await
            .unwrap()
            .1,
        "dan"
    );
    std::fs::write(&crl, good).unwrap();
    server.config.reload().unwrap();
    assert_eq!(
        who_am_i(&server, &fx, &fx.node("qingyuan"))
            .await
            .unwrap()
            .0,
        "qingyuan"
    );
}

#[tokio::test]
async fn client_refuses_untrusted_revoked_or_unexpected_servers() {
    let fx = Fixture::new();
    // A server with a look-alike hezhou node certificate.
    let id = SpiffeId::node(TD, "hezhou").unwrap();
    let fake = fx.foreign(&id, "fake-hezhou");
    let files = tls_files(&fake, &fx.root_ca(), &[fx.root_crl()]);
    let fake_server = serve(ReloadableServerConfig::load(files).unwrap()).await;
    let config = client_config(&client_files(&fx, &fx.node("qingyuan"))).unwrap();
    let err = connect(&fake_server.endpoint(), config.clone())
        .await
        .unwrap_err();
    assert!(
        matches!(err, TlsError::BadPeerCertificate { .. }),
        "{err:?}"
    );
    // The genuine server, but we expected yongzhou's node.
    let server = hezhou(&fx).await;
    let err = connect_peer(&server.endpoint(), config.clone(), TD, "yongzhou")
        .await
        .unwrap_err();
    assert!(matches!(err, TlsError::WrongPeer { .. }), "{err:?}");
    assert!(
        err.to_string()
            .contains("the node of hezhou, not of yongzhou"),
        "{err}"
    );
    connect_peer(&server.endpoint(), config, TD, "hezhou")
        .await
        .unwrap();
    // After hezhou's node certificate is revoked, a client with the new CRL refuses it.
    fx.pki.revoke(&fx.node("hezhou").cert).unwrap();
    let config = client_config(&client_files(&fx, &fx.node("qingyuan"))).unwrap();
    let err = connect(&server.endpoint(), config).await.unwrap_err();
    assert!(err.to_string().contains("it is revoked"), "{err}");
}

#[tokio::test]
async fn a_silent_client_does_not_block_other_handshakes() {
    let fx = Fixture::new();
    let server = hezhou(&fx).await;
    let _silent: Vec<_> = futures_silent(server.addr, 5).await;
    let started = Instant::now();
    assert_eq!(
        who_am_i(&server, &fx, &fx.node("qingyuan"))
            .await
            .unwrap()
            .0,
        "qingyuan"
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

async fn futures_silent(addr: SocketAddr, n: usize) -> Vec<tokio::net::TcpStream> {
    let mut out = Vec::new();
    for _ in 0..n {
        out.push(tokio::net::TcpStream::connect(addr).await.unwrap());
    }
    out
}

#[tokio::test]
async fn endpoint_and_file_errors_name_what_is_wrong() {
    let fx = Fixture::new();
    let files = client_files(&fx, &fx.node("qingyuan"));
    let config = client_config(&files).unwrap();
    let err = connect("http://127.0.0.1:1", config.clone())
        .await
        .unwrap_err();
    assert!(matches!(err, TlsError::Endpoint { .. }), "{err:?}");
    let err = connect_lazy("127.0.0.1:7101", config.clone()).unwrap_err();
    assert!(
        err.to_string().contains("must start with https://"),
        "{err}"
    );
    // A port nobody listens on.
    let port = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let err = connect(&format!("https://127.0.0.1:{port}"), config)
        .await
        .unwrap_err();
    assert!(matches!(err, TlsError::Unreachable { .. }), "{err:?}");
    // Mismatched key, missing CA.
    let mut bad = files.clone();
    bad.key = fx.node("hezhou").key;
    let err = server_config(&bad).unwrap_err();
    assert!(
        err.to_string()
            .contains("does not belong to the certificate"),
        "{err}"
    );
    let mut bad = files;
    bad.ca = PathBuf::from("/nonexistent/root-ca.pem");
    let err = client_config(&bad).unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot read CA certificate /nonexistent/root-ca.pem: No such file or directory (os error 2)"
    );
}

#[tokio::test]
async fn lazy_channel_reports_the_tls_refusal_in_the_status() {
    let fx = Fixture::new();
    let server = hezhou(&fx).await;
    let ok = connect_lazy(
        &server.endpoint(),
        client_config(&client_files(&fx, &fx.node("qingyuan"))).unwrap(),
    )
    .unwrap();
    let reply = RecordsClient::new(ok)
        .who_am_i(WhoAmIRequest {})
        .await
        .unwrap();
    assert_eq!(reply.into_inner().city, "qingyuan");
    let id = SpiffeId::user(TD, "hezhou", "old").unwrap();
    let expired = fx.expired(&id, "old");
    let lazy = connect_lazy(
        &server.endpoint(),
        client_config(&client_files(&fx, &expired)).unwrap(),
    )
    .unwrap();
    let status = RecordsClient::new(lazy)
        .who_am_i(WhoAmIRequest {})
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::Unavailable);
    assert!(
        status.message().contains("certificate expired"),
        "{status:?}"
    );
}

/// Collects the messages of WARN events on this thread (tokio tests run the server on the
/// test's current-thread runtime).
mod log_capture {
    use std::sync::{Arc, Mutex};

    use tracing::field::{Field, Visit};
    use tracing::span::{Attributes, Id, Record};
    use tracing::{Event, Level, Metadata, Subscriber};

    #[derive(Clone, Default)]
    pub struct Warnings(pub Arc<Mutex<Vec<String>>>);

    struct Message<'a>(&'a mut String);

    impl Visit for Message<'_> {
        fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
            if field.name() == "message" {
                *self.0 = format!("{value:?}");
            }
        }
    }

    impl Subscriber for Warnings {
        fn enabled(&self, meta: &Metadata<'_>) -> bool {
            *meta.level() <= Level::WARN
        }
        fn new_span(&self, _: &Attributes<'_>) -> Id {
            Id::from_u64(1)
        }
        fn record(&self, _: &Id, _: &Record<'_>) {}
        fn record_follows_from(&self, _: &Id, _: &Id) {}
        fn event(&self, event: &Event<'_>) {
            let mut text = String::new();
            event.record(&mut Message(&mut text));
            self.0.lock().unwrap().push(text);
        }
        fn enter(&self, _: &Id) {}
        fn exit(&self, _: &Id) {}
    }
}

#[tokio::test]
async fn refused_handshakes_are_logged_with_peer_address_and_reason() {
    let warnings = log_capture::Warnings::default();
    let _guard = tracing::subscriber::set_default(warnings.clone());
    let fx = Fixture::new();
    let server = hezhou(&fx).await;
    let erin = fx.user("hezhou", "erin");
    fx.pki.revoke(&erin.cert).unwrap();
    server.config.reload().unwrap();
    refused_with(who_am_i(&server, &fx, &erin).await, "certificate revoked");
    // The server logs after sending the alert; give its task a moment.
    let line = poll_until(
        Duration::from_secs(5),
        Duration::from_millis(20),
        || {
            std::future::ready(
                warnings
                    .0
                    .lock()
                    .unwrap()
                    .iter()
                    .find(|l| l.contains("refused"))
                    .cloned(),
            )
        },
        Option::is_some,
    )
    .await
    .unwrap_or_else(|| panic!("no refusal logged: {:?}", warnings.0.lock().unwrap()));
    assert!(line.starts_with("tls handshake from 127.0.0.1:"), "{line}");
    assert!(
        line.contains("refused: invalid peer certificate: Revoked"),
        "{line}"
    );
}

#[tokio::test]
async fn shutdown_stops_accepting_and_closes_the_listener() {
    let fx = Fixture::new();
    let server = hezhou(&fx).await;
    let addr = server.addr;
    assert_eq!(
        who_am_i(&server, &fx, &fx.node("qingyuan"))
            .await
            .unwrap()
            .0,
        "qingyuan"
    );
    drop(server);
    let accepting = poll_until(
        Duration::from_secs(5),
        Duration::from_millis(20),
        || async move { tokio::net::TcpStream::connect(addr).await.is_ok() },
        |accepting| !accepting,
    )
    .await;
    assert!(!accepting, "listener still accepting after shutdown");
}
