//! The authorization matrix of a node's gRPC APIs, generated and checked against the
//! committed `docs/authorization.md`: every RPC of every service each port serves (from
//! the proto descriptor sets, the client API's list checked against its reflection), called
//! by every kind of caller over a new mutual-TLS connection with that caller's real
//! certificate, the outcome being the gRPC status code (or the TLS alert that refused the
//! handshake). `LIANLUO_BLESS=1` rewrites the document; the key security expectations are
//! asserted on their own, so a blessed bad table still fails.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, ensure, Context, Result};
use lianluo_certs::{CertInfo, Pki, SpiffeId};
use lianluo_federation::tls::{client_config, connect, TlsError, TlsFiles};
use lianluo_proto::records_client::RecordsClient;
use lianluo_proto::{
    change, ActRequest, Change, CreateRequest, FiguresRequest, GetRequest, ListRequest,
    OverviewRequest, PeersRequest, SuggestionDispatched, SuggestionProgress, SuggestionSubmitted,
    SyncRequest, WatchRequest, WhoAmIRequest,
};
use lianluo_tests::check::{no_panics, revoke, run_ok};
use lianluo_tests::fake_peer::{node_files, TRUST_DOMAIN};
use lianluo_tests::Federation;
use prost::Message;
use tonic::transport::Channel;
use tonic::Code;
use tonic_health::pb::HealthCheckRequest;
use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
use tonic_reflection::pb::v1::ServerReflectionRequest;

/// The document this test generates, relative to the workspace root.
const DOC: &str = "docs/authorization.md";
/// The command that rewrites it.
const BLESS: &str = "LIANLUO_BLESS=1 cargo test -p lianluo-tests --test authorization";

/// What the client API port serves (and its reflection lists).
const API_SERVICES: [&str; 5] = [
    "lianluo.v1.Records",
    "lianluo.v1.Node",
    "lianluo.v1.Dashboard",
    "grpc.health.v1.Health",
    "grpc.reflection.v1.ServerReflection",
];
/// What the federation port serves.
const FEDERATION_SERVICES: [&str; 1] = ["lianluo.v1.Federation"];

/// Longest wait for one call's answer (or a stream's first message).
const CALL_TIMEOUT: Duration = Duration::from_secs(10);

// ---- the methods, from the encoded descriptor sets (only the fields needed) ----

#[derive(Clone, PartialEq, Message)]
struct FileDescriptorSet {
    #[prost(message, repeated, tag = "1")]
    file: Vec<FileDescriptorProto>,
}

#[derive(Clone, PartialEq, Message)]
struct FileDescriptorProto {
    #[prost(string, optional, tag = "2")]
    package: Option<String>,
    #[prost(message, repeated, tag = "6")]
    service: Vec<ServiceDescriptorProto>,
}

#[derive(Clone, PartialEq, Message)]
struct ServiceDescriptorProto {
    #[prost(string, optional, tag = "1")]
    name: Option<String>,
    #[prost(message, repeated, tag = "2")]
    method: Vec<MethodDescriptorProto>,
}

#[derive(Clone, PartialEq, Message)]
struct MethodDescriptorProto {
    #[prost(string, optional, tag = "1")]
    name: Option<String>,
    #[prost(string, optional, tag = "2")]
    input_type: Option<String>,
    #[prost(bool, optional, tag = "5")]
    client_streaming: Option<bool>,
    #[prost(bool, optional, tag = "6")]
    server_streaming: Option<bool>,
}

/// One RPC as the descriptors define it.
#[derive(Debug, Clone)]
struct Method {
    /// `package.Service`.
    service: String,
    /// `Method`.
    name: String,
    /// `.package.Message`.
    input: String,
    client_streaming: bool,
    server_streaming: bool,
}

impl Method {
    /// `package.Service.Method`, as the table names it.
    fn full(&self) -> String {
        format!("{}.{}", self.service, self.name)
    }

    /// `/package.Service/Method`, the HTTP/2 path.
    fn path(&self) -> String {
        format!("/{}/{}", self.service, self.name)
    }
}

/// Every method of `services`, in the order of `services` then of the proto files.
fn methods(services: &[&str]) -> Result<Vec<Method>> {
    let sets = [
        lianluo_proto::FILE_DESCRIPTOR_SET,
        tonic_health::pb::FILE_DESCRIPTOR_SET,
        tonic_reflection::pb::v1::FILE_DESCRIPTOR_SET,
    ];
    let mut all: BTreeMap<String, Vec<Method>> = BTreeMap::new();
    for set in sets {
        for file in FileDescriptorSet::decode(set)?.file {
            let package = file.package.unwrap_or_default();
            for svc in file.service {
                let service = format!("{package}.{}", svc.name.unwrap_or_default());
                let list = svc.method.into_iter().map(|m| Method {
                    service: service.clone(),
                    name: m.name.unwrap_or_default(),
                    input: m.input_type.unwrap_or_default(),
                    client_streaming: m.client_streaming.unwrap_or_default(),
                    server_streaming: m.server_streaming.unwrap_or_default(),
                });
                all.entry(service.clone()).or_default().extend(list);
            }
        }
    }
    let mut out = Vec::new();
    for s in services {
        let list = all
            .remove(*s)
            .with_context(|| format!("no descriptor defines the service {s}"))?;
        ensure!(!list.is_empty(), "{s} has no methods");
        out.extend(list);
    }
    Ok(out)
}

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
        "lianluo.v1.Federation.Sync" => {
            let req = SyncRequest::default();
            (".lianluo.v1.SyncRequest", req.encode_to_vec(), false)
        }
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

/// A codec that sends and receives raw bytes: one call path for every method.
#[derive(Clone, Copy, Default)]
struct Raw;

impl tonic::codec::Codec for Raw {
    type Encode = Vec<u8>;
    type Decode = Vec<u8>;
    type Encoder = Raw;
    type Decoder = Raw;
    fn encoder(&mut self) -> Raw {
        Raw
    }
    fn decoder(&mut self) -> Raw {
        Raw
    }
}

impl tonic::codec::Encoder for Raw {
    type Item = Vec<u8>;
    type Error = tonic::Status;
    fn encode(
        &mut self,
        item: Vec<u8>,
        dst: &mut tonic::codec::EncodeBuf<'_>,
    ) -> Result<(), tonic::Status> {
        bytes::BufMut::put_slice(dst, &item);
        Ok(())
    }
}

impl tonic::codec::Decoder for Raw {
    type Item = Vec<u8>;
    type Error = tonic::Status;
    fn decode(
        &mut self,
        src: &mut tonic::codec::DecodeBuf<'_>,
    ) -> Result<Option<Vec<u8>>, tonic::Status> {
        let n = bytes::Buf::remaining(src);
        Ok(Some(bytes::Buf::copy_to_bytes(src, n).to_vec()))
    }
}

/// The gRPC name of a status code, as the table shows it.
fn code_name(code: Code) -> &'static str {
    match code {
        Code::Ok => "OK",
        Code::Cancelled => "CANCELLED",
        Code::Unknown => "UNKNOWN",
        Code::InvalidArgument => "INVALID_ARGUMENT",
        Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
        Code::NotFound => "NOT_FOUND",
        Code::AlreadyExists => "ALREADY_EXISTS",
        Code::PermissionDenied => "PERMISSION_DENIED",
        Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
        Code::FailedPrecondition => "FAILED_PRECONDITION",
        Code::Aborted => "ABORTED",
        Code::OutOfRange => "OUT_OF_RANGE",
        Code::Unimplemented => "UNIMPLEMENTED",
        Code::Internal => "INTERNAL",
        Code::Unavailable => "UNAVAILABLE",
        Code::DataLoss => "DATA_LOSS",
        Code::Unauthenticated => "UNAUTHENTICATED",
    }
}

/// Calls `m` once on the open channel: the status of a unary call, or of opening a
/// stream and reading its first message.
async fn call_on(channel: Channel, m: &Method, body: Vec<u8>) -> Result<(), tonic::Status> {
    let mut grpc = tonic::client::Grpc::new(channel);
    grpc.ready()
        .await
        .map_err(|e| tonic::Status::unavailable(e.to_string()))?;
    let path = tonic::codegen::http::uri::PathAndQuery::try_from(m.path())
        .map_err(|e| tonic::Status::internal(e.to_string()))?;
    let mut stream = match (m.client_streaming, m.server_streaming) {
        (false, false) => {
            grpc.unary(tonic::Request::new(body), path, Raw).await?;
            return Ok(());
        }
        (false, true) => grpc
            .server_streaming(tonic::Request::new(body), path, Raw)
            .await?
            .into_inner(),
        (true, _) => {
            let requests = tokio_stream::iter([body]);
            grpc.streaming(tonic::Request::new(requests), path, Raw)
                .await?
                .into_inner()
        }
    };
    stream.message().await.map(drop)
}

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

/// One port's matrix: RPC (`service.method`) → caller name → outcome.
struct Matrix {
    title: &'static str,
    callers: Vec<Caller>,
    rows: Vec<(Method, bool, Vec<String>)>,
}

impl Matrix {
    /// Calls every method of `methods` as every caller.
    async fn measure(
        title: &'static str,
        endpoint: &str,
        methods: Vec<Method>,
        callers: Vec<Caller>,
        ctx: &Ctx,
    ) -> Result<Matrix> {
        let mut rows = Vec::new();
        for m in methods {
            let mut cells = Vec::new();
            let mut write = false;
            for c in &callers {
                let (body, w) = request(&m, c.name, ctx).with_context(|| {
                    format!(
                        "{} (request {}) has no request in tests/tests/authorization.rs: add a \
                         minimal valid one to `request`, marked as a read or a write",
                        m.full(),
                        m.input
                    )
                })?;
                write = w;
                cells.push(call(endpoint, c, &m, body).await?);
            }
            rows.push((m, write, cells));
        }
        Ok(Matrix {
            title,
            callers,
            rows,
        })
    }

    /// The outcome of `rpc` (`service.method`) for the caller `name`.
    fn cell(&self, rpc: &str, name: &str) -> Option<&str> {
        let col = self.callers.iter().position(|c| c.name == name)?;
        let (_, _, cells) = self.rows.iter().find(|(m, _, _)| m.full() == rpc)?;
        cells.get(col).map(String::as_str)
    }

    /// Every (rpc, outcome) of the caller `name`.
    fn column(&self, name: &str) -> Vec<(&Method, bool, &str)> {
        let Some(col) = self.callers.iter().position(|c| c.name == name) else {
            return Vec::new();
        };
        self.rows
            .iter()
            .filter_map(|(m, w, cells)| Some((m, *w, cells.get(col)?.as_str())))
            .collect()
    }

    fn render(&self, out: &mut String) {
        out.push_str(&format!("## {}\n\n", self.title));
        let mut head = "| RPC |".to_string();
        let mut rule = "| --- |".to_string();
        for c in &self.callers {
            head.push_str(&format!(" {} |", c.name));
            rule.push_str(" --- |");
        }
        out.push_str(&format!("{head}\n{rule}\n"));
        for (m, write, cells) in &self.rows {
            let kind = if *write { " (write)" } else { "" };
            out.push_str(&format!("| `{}`{kind} |", m.full()));
            for c in cells {
                out.push_str(&format!(" {c} |"));
            }
            out.push('\n');
        }
        out.push_str("\nCallers:\n\n");
        for c in &self.callers {
            out.push_str(&format!("- **{}**: {}\n", c.name, c.what));
        }
        out.push('\n');
    }
}

const HEADER: &str = "\
# Authorization matrix

Generated by `tests/tests/authorization.rs`; do not edit by hand. After a change of who may \
call what, run `LIANLUO_BLESS=1 cargo test -p lianluo-tests --test authorization` and \
review the diff.

The test starts a real hezhou node of the three-city demo federation (`lianluo demo \
--init-only`, its PKI and `[users]`; the peer nodes are not started). It takes every RPC of \
every service each port serves from the proto descriptor sets (the client API's list is \
checked against what its gRPC reflection advertises) and, for every kind of caller, opens \
a new mutual-TLS connection presenting that caller's real certificate and makes one call \
with a minimal valid request. Acts (`Records.Act`) add a progress note to an existing \
suggestion whose hezhou part is dispatched, so a permitted act succeeds; `Create` makes a \
suggestion. For streams (`Records.Watch`, `Health.Watch`, `Federation.Sync`, reflection) \
the outcome is that of opening the stream and reading its first message.

A cell is the gRPC status code the call ended with, or `TLS refused: <alert>` when the node \
refused the client certificate during the TLS handshake (no call could be made). \
\"(write)\" marks RPCs that change records.

Not in the tables:

- A caller with no client certificate at all: the test's TLS client \
(`lianluo_federation::tls::client_config`) always presents one, so the harness cannot \
express it. Both listeners require a client certificate in the handshake (rustls' \
`WebPkiClientVerifier` without `allow_unauthenticated`): checked by hand, `openssl \
s_client` without a certificate gets the TLS alert `certificate required` on both ports and \
the node logs `peer sent no certificates`.
- The HTTP listener (web dashboard, metrics, health), which is not gRPC.

";

/// The whole document.
fn render(api: &Matrix, federation: &Matrix) -> String {
    let mut out = HEADER.to_string();
    api.render(&mut out);
    federation.render(&mut out);
    // One trailing newline.
    let trimmed = out.trim_end().len();
    out.truncate(trimmed);
    out.push('\n');
    out
}

// ---- setup ----

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

// ---- the security expectations ----

const WRITES: [&str; 2] = ["lianluo.v1.Records.Create", "lianluo.v1.Records.Act"];

/// Every violation of the expectations that hold whatever the document says.
fn violations(api: &Matrix, fed: &Matrix) -> Vec<String> {
    let mut v = Vec::new();
    let mut never_ok =
        |m: &Matrix, caller: &str, pick: &dyn Fn(&Method, bool) -> bool, why: &str| {
            let col = m.column(caller);
            if col.is_empty() {
                v.push(format!("no column {caller:?}"));
            }
            for (method, write, outcome) in col {
                if pick(method, write) && outcome == "OK" {
                    v.push(format!("{caller} got OK on {}: {why}", method.full()));
                }
            }
        };
    let lianluo = |m: &Method, _: bool| m.service.starts_with("lianluo.v1.");
    let writes = |m: &Method, w: bool| w || WRITES.contains(&m.full().as_str());
    let any = |_: &Method, _: bool| true;
    never_ok(api, VIEWER, &writes, "a viewer may not write");
    never_ok(
        api,
        NO_ROLE,
        &lianluo,
        "a user without a role may not use the record API",
    );
    never_ok(api, OTHER_CITY, &any, "another city's user is not let in");
    never_ok(api, NODE, &any, "a node certificate is not a user");
    never_ok(
        api,
        REVOKED_USER,
        &any,
        "a revoked certificate is not let in",
    );
    never_ok(fed, FED_USER_OWN, &any, "a user certificate is not a node");
    never_ok(fed, FED_USER_PEER, &any, "a user certificate is not a node");
    never_ok(fed, NON_PEER, &any, "only configured peers may replicate");
    never_ok(
        fed,
        REVOKED_NODE,
        &any,
        "a revoked certificate is not let in",
    );
    // Controls: the refusals above must come from who calls, not from a broken call.
    let mut must_be_ok = |m: &Matrix, rpc: &str, caller: &str| {
        let got = m.cell(rpc, caller);
        if got != Some("OK") {
            v.push(format!(
                "control: {caller} must get OK on {rpc}, got {got:?}"
            ));
        }
    };
    for rpc in WRITES {
        must_be_ok(api, rpc, COORDINATOR);
        must_be_ok(api, rpc, ADMIN);
    }
    for (m, _, _) in &api.rows {
        must_be_ok(api, &m.full(), ADMIN);
    }
    for (m, _, _) in &fed.rows {
        must_be_ok(fed, &m.full(), PEER);
    }
    v
}

const VIEWER: &str = "hezhou viewer";
const COORDINATOR: &str = "hezhou coordinator";
const ADMIN: &str = "hezhou admin";
const NO_ROLE: &str = "hezhou user, no role";
const OTHER_CITY: &str = "qingyuan coordinator";
const NODE: &str = "qingyuan node";
const REVOKED_USER: &str = "hezhou coordinator, revoked";
const PEER: &str = "qingyuan node (peer)";
const NON_PEER: &str = "guilin node (not a peer)";
const REVOKED_NODE: &str = "qingyuan node, revoked";
const FED_USER_OWN: &str = "hezhou admin (user)";
const FED_USER_PEER: &str = "qingyuan coordinator (user)";

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
