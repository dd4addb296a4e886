//! Tests over real mutual TLS: a profile written like `lianluo demo` writes it connects to
//! a tiny `Records` server served through the federation acceptor; errors carry hints.
//! (End-to-end tests against a real node live in the lead's tests.)

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use lianluo_certs::Pki;
use lianluo_federation::tls::{server_config, tls_incoming, TlsFiles};
use lianluo_proto::records_server::{Records, RecordsServer};
use lianluo_proto::{
    ActRequest, CreateRequest, GetRequest, ListRequest, ListResponse, Record, WhoAmIRequest,
    WhoAmIResponse,
};
use tokio::sync::oneshot;
use tonic::{Request, Response, Status};

use super::super::args::{AddPartnerArgs, ListArgs};
use super::super::connect::{channel, Profile};
use super::super::{fetch_list, run, ClientCommand, Context};

/// Answers WhoAmI from the verified client certificate; lists five records one per page;
/// knows one record, the station `hezhou-station`; refuses every act; exports nothing.
struct Fake;

#[tonic::async_trait]
impl Records for Fake {
    async fn create(&self, r: Request<CreateRequest>) -> Result<Response<Record>, Status> {
        let r = r.into_inner();
        Ok(Response::new(Record {
            id: format!("hezhou-{}", r.request_id),
            kind: "station".into(),
            ..Default::default()
        }))
    }
    async fn act(&self, _: Request<ActRequest>) -> Result<Response<Record>, Status> {
        Err(Status::permission_denied("viewer may not act on records"))
    }
    async fn get(&self, r: Request<GetRequest>) -> Result<Response<Record>, Status> {
        let id = r.into_inner().id;
        if id == "hezhou-station" {
            return Ok(Response::new(Record {
                id,
                kind: "station".into(),
                ..Default::default()
            }));
        }
        Err(Status::not_found(format!("record {id} not found")))
    }
    async fn list(&self, r: Request<ListRequest>) -> Result<Response<ListResponse>, Status> {
        let at: usize = r.into_inner().page_token.parse().unwrap_or(0);
        let next = if at + 1 < 5 {
            (at + 1).to_string()
        } else {
            String::new()
        };
        Ok(Response::new(ListResponse {
            records: vec![Record {
                id: format!("hezhou-{at}"),
                ..Default::default()
            }],
            next_page_token: next,
            // Only the first page says the total, as the node does.
            total: (at == 0).then_some(5),
        }))
    }
    type WatchStream = tokio_stream::Empty<Result<lianluo_proto::WatchResponse, Status>>;
    async fn watch(
        &self,
        _: Request<lianluo_proto::WatchRequest>,
    ) -> Result<Response<Self::WatchStream>, Status> {
        Err(Status::unimplemented("the fake node does not watch"))
    }
    async fn who_am_i(
        &self,
        r: Request<WhoAmIRequest>,
    ) -> Result<Response<WhoAmIResponse>, Status> {
        let der = lianluo_federation::tls::peer_cert(r.extensions())
            .ok_or_else(|| Status::unauthenticated("no client certificate"))?;
        let user = lianluo_federation::user_from_cert(der.as_ref(), "lianluo")
            .map_err(|e| Status::unauthenticated(e.to_string()))?;
        Ok(Response::new(WhoAmIResponse {
            city: user.city,
            user: user.name,
            role: "viewer".into(),
            node_city: "hezhou".into(),
        }))
    }
    async fn export(
        &self,
        _: Request<lianluo_proto::ExportRequest>,
    ) -> Result<Response<lianluo_proto::ExportResponse>, Status> {
        Err(Status::unimplemented("the fake node does not export"))
    }
}

/// A PKI with city hezhou and user `coordinator`, and a profile for it written with
/// paths relative to the profile (as `lianluo demo` does). Returns the profile path.
fn demo_profile(dir: &Path, endpoint: &str) -> PathBuf {
    let pki = Pki::init(&dir.join("pki"), "lianluo").expect("pki");
    pki.ensure_city("hezhou", &[]).expect("city");
    pki.issue_user("hezhou", "coordinator", 30).expect("user");
    let profile_dir = dir.join("hezhou");
    std::fs::create_dir_all(&profile_dir).expect("mkdir");
    let path = profile_dir.join("coordinator.toml");
    let text = format!(
        "endpoint = \"{endpoint}\"\nca = \"../pki/root-ca.pem\"\n\
         cert = \"../pki/hezhou/users/coordinator.pem\"\n\
         key = \"../pki/hezhou/users/coordinator.key\"\n"
    );
    std::fs::write(&path, text).expect("write profile");
    path
}

/// Serves [`Fake`] with hezhou's node certificate, trusting hezhou's user CA.
async fn serve(pki_dir: &Path) -> (SocketAddr, oneshot::Sender<()>) {
    lianluo_federation::install_crypto_provider();
    let config = server_config(&TlsFiles {
        cert: pki_dir.join("hezhou/node.pem"),
        key: pki_dir.join("hezhou/node.key"),
        ca: pki_dir.join("hezhou/user-ca.pem"),
        crls: vec![],
    })
    .expect("server config");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop, stopped) = oneshot::channel::<()>();
    let incoming = tls_incoming(listener, config, async {
        let _ = stopped.await;
    });
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(RecordsServer::new(Fake))
            .serve_with_incoming(incoming),
    );
    (addr, stop)
}

#[tokio::test]
async fn client_connects_with_a_demo_profile_and_maps_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    // The endpoint is only known once the server listens: write the PKI first.
    let path = demo_profile(dir.path(), "https://127.0.0.1:1");
    let (addr, _stop) = serve(&dir.path().join("pki")).await;
    let endpoint = format!("https://127.0.0.1:{}", addr.port());
    let text = std::fs::read_to_string(&path)
        .expect("read")
        .replace("https://127.0.0.1:1", &endpoint);
    std::fs::write(&path, text).expect("rewrite");

    let profile = Profile::load(Some(&path)).expect("profile");
    let mut client = lianluo_proto::records_client::RecordsClient::new(
        channel(&profile).await.expect("connect"),
    );
    let me = client
        .who_am_i(WhoAmIRequest {})
        .await
        .expect("whoami")
        .into_inner();
    assert_eq!(
        (me.city.as_str(), me.user.as_str()),
        ("hezhou", "coordinator")
    );

    let all = ListArgs {
        all: true,
        ..list_args()
    };
    let (records, next, total) = fetch_list(&mut client, &all, &endpoint)
        .await
        .expect("list");
    assert_eq!(total, Some(5), "the first page's total is kept");
    let ids: Vec<&str> = records.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(
        ids,
        ["hezhou-0", "hezhou-1", "hezhou-2", "hezhou-3", "hezhou-4"]
    );
    assert!(next.is_empty());
    let (records, next, _) = fetch_list(&mut client, &list_args(), &endpoint)
        .await
        .expect("list");
    assert_eq!((records.len(), next.as_str()), (1, "1"));

    let ctx = Context {
        profile: Some(path.clone()),
        json: true,
        lang: lianluo_node::dashboard::labels::Lang::En,
        ..Default::default()
    };
    run(ClientCommand::Whoami, &ctx)
        .await
        .expect("whoami command");
    let cmd = ClientCommand::Station(super::super::StationCommand::Close {
        id: "hezhou-1".into(),
        reason: "合并".into(),
    });
    let e = run(cmd, &ctx).await.expect_err("denied").to_string();
    assert_eq!(
        e,
        "viewer may not act on records\nhint: your profile's role may not do this"
    );
    let e = run(
        ClientCommand::Show {
            id: "hezhou-9".into(),
            verify: false,
        },
        &ctx,
    )
    .await
    .expect_err("missing");
    assert_eq!(e.to_string(), "record hezhou-9 not found");
}

/// `add-partner` first fetches the record and refuses one of another kind without acting.
#[tokio::test]
async fn client_add_partner_checks_the_record_kind_before_acting() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = demo_profile(dir.path(), "https://127.0.0.1:1");
    let (addr, _stop) = serve(&dir.path().join("pki")).await;
    let endpoint = format!("https://127.0.0.1:{}", addr.port());
    let text = std::fs::read_to_string(&path)
        .expect("read")
        .replace("https://127.0.0.1:1", &endpoint);
    std::fs::write(&path, text).expect("rewrite");
    let ctx = Context {
        profile: Some(path),
        json: true,
        lang: lianluo_node::dashboard::labels::Lang::En,
        ..Default::default()
    };
    let args = |id: &str| AddPartnerArgs {
        id: id.into(),
        city: "yongzhou".into(),
    };

    let cmd = ClientCommand::Suggestion(super::super::SuggestionCommand::AddPartner(args(
        "hezhou-station",
    )));
    let e = run(cmd, &ctx).await.expect_err("wrong kind").to_string();
    assert_eq!(
        e,
        "hezhou-station is a station, not a suggestion; use `lianluo station add-partner`"
    );
    // The right kind passes the check and reaches the act (which the fake refuses).
    let cmd = ClientCommand::Station(super::super::StationCommand::AddPartner(args(
        "hezhou-station",
    )));
    let e = run(cmd, &ctx).await.expect_err("denied").to_string();
    assert!(e.starts_with("viewer may not act on records"), "{e}");
    let cmd = ClientCommand::Dispute(super::super::DisputeCommand::AddPartner(args("hezhou-9")));
    let e = run(cmd, &ctx).await.expect_err("missing").to_string();
    assert_eq!(e, "record hezhou-9 not found");
}

#[tokio::test]
async fn client_says_when_the_node_is_not_running() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Bind then drop: the port is (almost certainly) closed.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    let endpoint = format!("https://127.0.0.1:{port}");
    let path = demo_profile(dir.path(), &endpoint);
    let ctx = Context {
        profile: Some(path),
        json: false,
        lang: lianluo_node::dashboard::labels::Lang::En,
        ..Default::default()
    };
    let e = run(ClientCommand::Whoami, &ctx)
        .await
        .expect_err("refused")
        .to_string();
    assert!(
        e.ends_with(&format!("hint: is the node running at {endpoint}?")),
        "{e}"
    );
}

#[tokio::test]
async fn client_names_the_profile_when_its_files_are_missing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("viewer.toml");
    std::fs::write(
        &path,
        "endpoint = \"https://127.0.0.1:7101\"\nca = \"ca.pem\"\ncert = \"v.pem\"\nkey = \"v.key\"\n",
    )
    .expect("write");
    let ctx = Context {
        profile: Some(path.clone()),
        json: false,
        lang: lianluo_node::dashboard::labels::Lang::En,
        ..Default::default()
    };
    let e = run(ClientCommand::Whoami, &ctx)
        .await
        .expect_err("no files")
        .to_string();
    assert!(
        e.starts_with(&format!("profile {}:", path.display())),
        "{e}"
    );
}

fn list_args() -> ListArgs {
    ListArgs {
        kind: None,
        status: None,
        city: None,
        overdue: false,
        text: None,
        station: None,
        updated_since: None,
        year: None,
        limit: None,
        page_token: None,
        all: false,
    }
}
