//! The authorization matrix of a node's gRPC APIs, generated and checked against the
//! committed `docs/authorization.md`: every RPC of every service each port serves (from
//! the proto descriptor sets, the client API's list checked against its reflection), called
//! by every kind of caller over a new mutual-TLS connection with that caller's real
//! certificate, the outcome being the gRPC status code (or the TLS alert that refused the
//! handshake). `LIANLUO_BLESS=1` rewrites the document; the key security expectations are
//! asserted on their own, so a blessed bad table still fails.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use lianluo_certs::{CertInfo, Pki, SpiffeId};
use lianluo_federation::tls::{client_config, connect, TlsError, TlsFiles};
use lianluo_proto::records_client::RecordsClient;
use lianluo_proto::{
    change, ActRequest, Change, CreateRequest, ExportRequest, FiguresRequest, GetRequest,
    ListRequest, OverviewRequest, PeersRequest, SuggestionDispatched, SuggestionProgress,
    SuggestionSubmitted, SyncRequest, WatchRequest, WhoAmIRequest,
};
use lianluo_tests::check::{no_panics, revoke, run_ok};
use lianluo_tests::fake_peer::{node_files, TRUST_DOMAIN};
use lianluo_tests::rpc_raw::{call_on, code_name, methods, Method};
use lianluo_tests::Federation;
use prost::Message;
use tonic::transport::Channel;
use tonic_health::pb::HealthCheckRequest;
use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
use tonic_reflection::pb::v1::ServerReflectionRequest;

#[path = "authorization/expect.rs"]
mod expect;
#[path = "authorization/matrix.rs"]
mod matrix;

use expect::*;
use matrix::{render, Matrix};

/// The document this test generates, relative to the workspace root.
const DOC: &str = "docs/authorization.md";
/// The command that rewrites it.
const BLESS: &str = "LIANLUO_BLESS=1 cargo test -p lianluo-tests --test authorization";

/// What the client API port serves (and its reflection lists).
const API_SERVICES: [&str; 6] = [
    "lianluo.v1.Records",
    "lianluo.v1.Node",
    "lianluo.v1.Dashboard",
    "grpc.health.v1.Health",
    "grpc.reflection.v1.ServerReflection",
    "grpc.reflection.v1alpha.ServerReflection",
];
/// What the federation port serves: replication for peers, and health and the online
/// backup for the node's own certificate (`lianluo health`, `lianluo backup`).
const FEDERATION_SERVICES: [&str; 3] = [
    "lianluo.v1.Federation",
    "grpc.health.v1.Health",
    "lianluo.v1.Operator",
];

/// Longest wait for one call's answer (or a stream's first message).
const CALL_TIMEOUT: Duration = Duration::from_secs(10);

// ---- the callers ----

/// One kind of caller: a column of a table.
struct Caller {
    /// The column heading.
    name: &'static str,
    /// What the certificate is, for the legend.
    what: String,
    /// The certificate presented (the server is verified against the root CA).
    files: TlsFiles,
}

/// What the test knows when it builds requests.
struct Ctx {
    /// An existing suggestion of hezhou with hezhou's part dispatched (so a progress note
    /// is a permitted act).
    record: String,
}

/// A minimal valid request for `m` as its encoded bytes, and whether the method writes.
/// `None` for a method this test does not know yet.
fn request(m: &Method, caller: &str, ctx: &Ctx) -> Option<(Vec<u8>, bool)> {
    let (input, bytes, write) = match m.full().as_str() {
        "lianluo.v1.Records.Create" => {
            let change = change::Kind::SuggestionSubmitted(SuggestionSubmitted {
                title: "授权矩阵测试建议".into(),
                body: "正文".into(),
                ..Default::default()
            });
            let req = CreateRequest {
                request_id: format!("authz-{caller}"),
                partners: vec![],
                change: Some(Change { kind: Some(change) }),
            };
            (".lianluo.v1.CreateRequest", req.encode_to_vec(), true)
        }
        "lianluo.v1.Records.Act" => {
            let change = change::Kind::SuggestionProgress(SuggestionProgress {
                note: format!("授权矩阵测试进展（{caller}）"),
            });
            let req = ActRequest {
                record_id: ctx.record.clone(),
                change: Some(Change { kind: Some(change) }),
            };
            (".lianluo.v1.ActRequest", req.encode_to_vec(), true)
        }
        "lianluo.v1.Records.Get" => {
            let req = GetRequest {
                id: ctx.record.clone(),
                verify: false,
            };
            (".lianluo.v1.GetRequest", req.encode_to_vec(), false)
        }
        "lianluo.v1.Records.List" => {
            let req = ListRequest::default();
            (".lianluo.v1.ListRequest", req.encode_to_vec(), false)
        }
        "lianluo.v1.Records.Watch" => {
            let req = WatchRequest { since: 0 };
            (".lianluo.v1.WatchRequest", req.encode_to_vec(), false)
        }
        "lianluo.v1.Records.Export" => {
            let req = ExportRequest { year: 2026 };
            (".lianluo.v1.ExportRequest", req.encode_to_vec(), false)
        }
        "lianluo.v1.Records.WhoAmI" => {
            let req = WhoAmIRequest {};
            (".lianluo.v1.WhoAmIRequest", req.encode_to_vec(), false)
        }
        "lianluo.v1.Node.Peers" => {
            let req = PeersRequest {};
            (".lianluo.v1.PeersRequest", req.encode_to_vec(), false)
        }
        "lianluo.v1.Dashboard.Overview" => {
            // The peers are not running: the shortest deadline keeps the call short.
            let req = OverviewRequest {
                deadline_ms: 100,
                ..Default::default()
            };
            (".lianluo.v1.OverviewRequest", req.encode_to_vec(), false)
        }
        "grpc.health.v1.Health.Check" | "grpc.health.v1.Health.Watch" => {
            let req = HealthCheckRequest {
                service: "lianluo.v1.Records".into(),
            };
            (
                ".grpc.health.v1.HealthCheckRequest",
                req.encode_to_vec(),
                false,
            )
        }
        "grpc.reflection.v1.ServerReflection.ServerReflectionInfo" => {
            let req = ServerReflectionRequest {
                host: String::new(),
                message_request: Some(MessageRequest::ListServices(String::new())),
            };
            (
                ".grpc.reflection.v1.ServerReflectionRequest",
                req.encode_to_vec(),
                false,
            )
        }
        // The same message in the older package (the wire form is the same).
        "grpc.reflection.v1alpha.ServerReflection.ServerReflectionInfo" => {
            let req = ServerReflectionRequest {
                host: String::new(),
                message_request: Some(MessageRequest::ListServices(String::new())),
            };
            (
                ".grpc.reflection.v1alpha.ServerReflectionRequest",
                req.encode_to_vec(),
                false,
            )
        }
        "lianluo.v1.Federation.Sync" => {
            let req = SyncRequest::default();
            (".lianluo.v1.SyncRequest", req.encode_to_vec(), false)
        }
        "lianluo.v1.Operator.Backup" => (
            ".lianluo.v1.BackupRequest",
            lianluo_proto::BackupRequest::default().encode_to_vec(),
            false,
        ),
        "lianluo.v1.Federation.Figures" => {
            let req = FiguresRequest { year: 0 };
            (".lianluo.v1.FiguresRequest", req.encode_to_vec(), false)
        }
        _ => return None,
    };
    // The request built must be the one the descriptor names.
    (m.input == input).then_some((bytes, write))
}

// ---- one call ----

/// The outcome of one call of `m` by `caller` at `endpoint`, over a new connection.
async fn call(endpoint: &str, caller: &Caller, m: &Method, body: Vec<u8>) -> Result<String> {
    let config = client_config(&caller.files)
        .with_context(|| format!("tls configuration of {}", caller.name))?;
    let channel = match connect(endpoint, config).await {
        Ok(c) => c,
        Err(TlsError::RefusedByPeer { alert, .. }) => return Ok(format!("TLS refused: {alert}")),
        Err(e) => bail!(
            "{} could not connect to {endpoint} for {} and the node sent no refusal: {e}",
            caller.name,
            m.full()
        ),
    };
    let outcome = tokio::time::timeout(CALL_TIMEOUT, call_on(channel, m, body)).await;
    Ok(match outcome {
        Err(_) => format!("no answer in {CALL_TIMEOUT:?}"),
        Ok(Ok(())) => "OK".to_string(),
        // A refusal the connector did not wait long enough for comes with the first call.
        Ok(Err(status)) => match TlsError::find_in(&status, endpoint) {
            Some(TlsError::RefusedByPeer { alert, .. }) => format!("TLS refused: {alert}"),
            _ => code_name(status.code()).to_string(),
        },
    })
}

/// `pki/<city>/users/<name>` as a client of hezhou (whose node certificate chains to the
/// root CA).
fn user(pki: &Path, city: &str, name: &str) -> TlsFiles {
    let users = pki.join(city).join("users");
    TlsFiles {
        cert: users.join(format!("{name}.pem")),
        key: users.join(format!("{name}.key")),
        ca: pki.join("root-ca.pem"),
        crls: vec![],
    }
}

/// A second, valid certificate of `id` (same validity as `template`) in `dir`, revoked
/// with `lianluo tls revoke` before the node starts.
fn revoked(pki: &Pki, id: &SpiffeId, template: &Path, dir: &Path, name: &str) -> Result<TlsFiles> {
    let files = lianluo_certs::LeafFiles {
        cert: dir.join(format!("{name}.pem")),
        key: dir.join(format!("{name}.key")),
    };
    let t = CertInfo::from_pem_file(template)?;
    pki.issue_with_validity(id, t.not_before, t.not_after, &files)?;
    revoke(pki.dir(), &files.cert)?;
    Ok(TlsFiles {
        cert: files.cert,
        key: files.key,
        ca: pki.dir().join("root-ca.pem"),
        crls: vec![],
    })
}

/// The suggestion the acts act on: created and dispatched by hezhou's coordinator.
async fn setup_record(channel: Channel) -> Result<String> {
    let mut client = RecordsClient::new(channel);
    let created = client
        .create(CreateRequest {
            request_id: "authz-setup".into(),
            partners: vec![],
            change: Some(Change {
                kind: Some(change::Kind::SuggestionSubmitted(SuggestionSubmitted {
                    title: "授权矩阵测试用建议".into(),
                    body: "正文".into(),
                    ..Default::default()
                })),
            }),
        })
        .await?
        .into_inner();
    client
        .act(ActRequest {
            record_id: created.id.clone(),
            change: Some(Change {
                kind: Some(change::Kind::SuggestionDispatched(SuggestionDispatched {
                    unit: "贺州市交通运输局".into(),
                    deadline: "2099-12-31".into(),
                    ..Default::default()
                })),
            }),
        })
        .await?;
    Ok(created.id)
}

/// The services hezhou's client API lists through reflection.
async fn reflected_services(channel: Channel) -> Result<BTreeSet<String>> {
    use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
    use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;
    let req = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let resp = ServerReflectionClient::new(channel)
        .server_reflection_info(tokio_stream::iter([req]))
        .await?
        .into_inner()
        .message()
        .await?
        .context("no reflection answer")?;
    let Some(MessageResponse::ListServicesResponse(list)) = resp.message_response else {
        bail!("unexpected reflection answer: {resp:?}");
    };
    Ok(list.service.into_iter().map(|s| s.name).collect())
}

#[tokio::test(flavor = "multi_thread")]
async fn the_authorization_matrix_is_as_documented() -> Result<()> {
    lianluo_federation::install_crypto_provider();
    let fed = Federation::init()?;
    let dir = fed.dir().join("pki");
    let pki = Pki::open(&dir)?;
    let work = tempfile::tempdir()?;

    // Certificates the demo does not make, all before the node starts (it reads the CRLs
    // then): a hezhou user without a role, a city that is not a peer, and a second
    // certificate of hezhou's coordinator and of qingyuan's node, both revoked.
    let pki_arg = dir.to_str().context("non-UTF-8 temp path")?;
    run_ok(&[
        "tls", "user", "--pki", pki_arg, "--city", "hezhou", "--name", "intern",
    ])?;
    run_ok(&["tls", "city", "--pki", pki_arg, "--city", "guilin"])?;
    let coordinator_id = SpiffeId::user(TRUST_DOMAIN, "hezhou", "coordinator")?;
    let users = dir.join("hezhou").join("users");
    let revoked_user = revoked(
        &pki,
        &coordinator_id,
        &users.join("coordinator.pem"),
        work.path(),
        "revoked-coordinator",
    )?;
    let qingyuan_id = SpiffeId::node(TRUST_DOMAIN, "qingyuan")?;
    let revoked_node = revoked(
        &pki,
        &qingyuan_id,
        &dir.join("qingyuan").join("node.pem"),
        work.path(),
        "revoked-qingyuan-node",
    )?;

    let node = fed.start("hezhou")?;
    let api_endpoint = format!("https://{}", node.api);
    let fed_endpoint = format!("https://{}", node.federation);
    let admin = connect(
        &api_endpoint,
        client_config(&user(&dir, "hezhou", "admin"))?,
    )
    .await?;
    let coordinator = lianluo_tests::grpc::channel(&node, "coordinator").await?;
    let ctx = Ctx {
        record: setup_record(coordinator).await?,
    };

    let advertised = reflected_services(admin).await?;
    let expected: BTreeSet<String> = API_SERVICES.iter().map(|s| s.to_string()).collect();
    assert_eq!(
        advertised, expected,
        "the client API advertises other services than this test covers"
    );

    let role = |r: &str| format!("`pki/hezhou/users/{r}.pem`, role `{r}` in hezhou's `[users]`");
    let api_callers = vec![
        Caller {
            name: VIEWER,
            what: role("viewer"),
            files: user(&dir, "hezhou", "viewer"),
        },
        Caller {
            name: COORDINATOR,
            what: role("coordinator"),
            files: user(&dir, "hezhou", "coordinator"),
        },
        Caller {
            name: ADMIN,
            what: role("admin"),
            files: user(&dir, "hezhou", "admin"),
        },
        Caller {
            name: NO_ROLE,
            what: "`pki/hezhou/users/intern.pem`, issued by hezhou's user CA with `lianluo \
                   tls user`, not in hezhou's `[users]`"
                .into(),
            files: user(&dir, "hezhou", "intern"),
        },
        Caller {
            name: OTHER_CITY,
            what: "`pki/qingyuan/users/coordinator.pem`: a user of another city (qingyuan's \
                   user CA)"
                .into(),
            files: user(&dir, "qingyuan", "coordinator"),
        },
        Caller {
            name: NODE,
            what: "`pki/qingyuan/node.pem`: a peer's node certificate (root CA)".into(),
            files: TlsFiles {
                crls: vec![],
                ..node_files(&dir, "qingyuan")
            },
        },
        Caller {
            name: REVOKED_USER,
            what: "a second certificate of hezhou's `coordinator` from hezhou's user CA, \
                   revoked with `lianluo tls revoke` before the node started"
                .into(),
            files: revoked_user,
        },
    ];
    let fed_callers = vec![
        Caller {
            name: OWN_NODE,
            what: "`pki/hezhou/node.pem`: the node's own certificate (what `lianluo health` and \
                   `lianluo backup` use with the node's config)"
                .into(),
            files: node_files(&dir, "hezhou"),
        },
        Caller {
            name: PEER,
            what: "`pki/qingyuan/node.pem`: the node certificate of a configured peer".into(),
            files: node_files(&dir, "qingyuan"),
        },
        Caller {
            name: NON_PEER,
            what: "`pki/guilin/node.pem`: a valid node certificate from the root CA of a city \
                   that is not in hezhou's `[[peers]]` (made with `lianluo tls city`)"
                .into(),
            files: node_files(&dir, "guilin"),
        },
        Caller {
            name: REVOKED_NODE,
            what: "a second node certificate of qingyuan from the root CA, revoked with \
                   `lianluo tls revoke` before the node started"
                .into(),
            files: TlsFiles {
                crls: vec![],
                ..revoked_node
            },
        },
        Caller {
            name: FED_USER_OWN,
            what: "`pki/hezhou/users/admin.pem`: a user certificate of the node's own city".into(),
            files: user(&dir, "hezhou", "admin"),
        },
        Caller {
            name: FED_USER_PEER,
            what: "`pki/qingyuan/users/coordinator.pem`: a user certificate of a peer city".into(),
            files: user(&dir, "qingyuan", "coordinator"),
        },
    ];

    let api = Matrix::measure(
        "Client API port (`[api] listen`)",
        &api_endpoint,
        methods(&API_SERVICES)?,
        api_callers,
        &ctx,
    )
    .await?;
    let federation = Matrix::measure(
        "Federation port (`[federation] listen`)",
        &fed_endpoint,
        methods(&FEDERATION_SERVICES)?,
        fed_callers,
        &ctx,
    )
    .await?;
    let doc = render(&api, &federation);

    let bad = violations(&api, &federation);
    if !bad.is_empty() {
        bail!(
            "security expectations broken (a blessed table cannot excuse these):\n- {}\n\n{doc}",
            bad.join("\n- ")
        );
    }
    no_panics(&fed)?;

    let path = doc_path();
    if std::env::var_os("LIANLUO_BLESS").is_some() {
        std::fs::write(&path, &doc).with_context(|| format!("write {}", path.display()))?;
        eprintln!("wrote {}", path.display());
        return Ok(());
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if committed != doc {
        let first = committed
            .lines()
            .zip(doc.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| committed.lines().count().min(doc.lines().count()));
        bail!(
            "{DOC} is not the authorization matrix the node has now (first difference at \
             line {}). The generated document:\n\n{doc}\n\nIf the change is intended, run \
             `{BLESS}` to rewrite {DOC}, and review the diff.",
            first + 1
        );
    }
    Ok(())
}

/// `docs/authorization.md` of the workspace.
fn doc_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(DOC)
}
