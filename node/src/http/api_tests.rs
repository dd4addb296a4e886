//! The JSON API and the pages over real HTTP on loopback, against a real node state (sled,
//! PKI, signed events made through the Records service as hezhou's coordinator).

use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use lianluo_proto::records_server::Records;
use lianluo_proto::{change, Change, CreateRequest, Record, SuggestionSubmitted};
use serde_json::Value;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::service::RecordsService;
use crate::state::NodeState;

/// An HTTP answer: status, headers (lowercase names), body.
pub(super) struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Answer {
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or_default()
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
}

/// One HTTP/1.1 GET over `stream` (plain or TLS), read to the end.
pub(super) async fn exchange<S: AsyncRead + AsyncWrite + Unpin>(
    mut stream: S,
    path: &str,
) -> std::io::Result<Answer> {
    let req = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    stream.write_all(req.as_bytes()).await?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await?;
    let bad = |what: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_string());
    let raw = String::from_utf8(raw).map_err(|_| bad("answer is not UTF-8"))?;
    let (head, body) = raw
        .split_once("\r\n\r\n")
        .ok_or_else(|| bad("no HTTP answer"))?;
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| bad("no status line"))?;
    let headers = lines
        .filter_map(|l| l.split_once(": "))
        .map(|(k, v)| (k.to_ascii_lowercase(), v.to_string()))
        .collect();
    Ok(Answer {
        status,
        headers,
        body: body.to_string(),
    })
}

async fn get(addr: std::net::SocketAddr, path: &str) -> Answer {
    let s = tokio::net::TcpStream::connect(addr).await.expect("connect");
    exchange(s, path).await.expect("exchange")
}

/// Submits a suggestion at hezhou, shared with qingyuan.
pub(super) async fn submit(root: &Path, state: &Arc<NodeState>, title: &str) -> Record {
    lianluo_federation::crypto::install_crypto_provider();
    let change = Change {
        kind: Some(change::Kind::SuggestionSubmitted(SuggestionSubmitted {
            title: title.into(),
            body: "正文".into(),
            proposers: vec!["李代表".into()],
            ..Default::default()
        })),
    };
    let req = CreateRequest {
        request_id: format!("req-{title}"),
        partners: vec!["qingyuan".into()],
        change: Some(change),
    };
    RecordsService::new(state.clone())
        .create(crate::backup::tests::request(root, "hezhou", req))
        .await
        .expect("create")
        .into_inner()
}

/// A node (hezhou, one configured peer that never runs) opened in a temp dir, with its
/// HTTP routes served on a loopback port.
async fn serve_node() -> (tempfile::TempDir, Arc<NodeState>, std::net::SocketAddr) {
    let tmp = tempfile::tempdir().unwrap();
    let path = crate::backup::tests::write_config(tmp.path(), "hezhou", "data");
    let state = crate::server::open_state(crate::config::load(&path).unwrap())
        .await
        .unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let ready = Arc::new(AtomicBool::new(true));
    tokio::spawn(super::serve(
        listener,
        state.clone(),
        ready,
        std::future::pending(),
    ));
    (tmp, state, addr)
}

#[tokio::test]
async fn http_api_serves_records_overview_and_peers_as_json() {
    let (tmp, state, addr) = serve_node().await;
    let made = submit(tmp.path(), &state, "关于修建省际断头路的建议").await;
    submit(tmp.path(), &state, "second").await;

    let list = get(
        addr,
        "/api/records?kind=suggestion&text=%E6%96%AD%E5%A4%B4%E8%B7%AF",
    )
    .await;
    assert_eq!(list.status, 200, "{}", list.body);
    assert_eq!(list.header("content-type"), "application/json");
    assert_eq!(list.header("cache-control"), "no-store");
    let v = list.json();
    let ids: Vec<&str> = v["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [made.id.as_str()]);
    assert_eq!(v["next_page_token"], "");

    let page = get(addr, "/api/records?page_size=1").await.json();
    assert_eq!(page["records"].as_array().unwrap().len(), 1);
    let token = page["next_page_token"].as_str().unwrap();
    assert!(!token.is_empty(), "{page}");
    let rest = get(
        addr,
        &format!("/api/records?page_size=1&page_token={token}"),
    )
    .await
    .json();
    assert_ne!(rest["records"][0]["id"], page["records"][0]["id"]);

    let one = get(addr, &format!("/api/records/{}", made.id)).await;
    assert_eq!(one.status, 200, "{}", one.body);
    let rec = one.json();
    assert_eq!(rec["title"], "关于修建省际断头路的建议");
    let h = &rec["history"][0];
    assert_eq!(
        (h["author_city"].as_str(), h["author_user"].as_str()),
        (Some("hezhou"), Some("coordinator"))
    );
    assert_eq!(
        (h["type"].as_str(), h["verified"].as_bool()),
        (Some("suggestion_submitted"), Some(true))
    );

    // The peer is configured at an address nobody listens on.
    let o = get(addr, "/api/overview?deadline_ms=2000").await;
    assert_eq!(o.status, 200, "{}", o.body);
    let o = o.json();
    assert_eq!(
        (o["partial"].as_bool(), o["answered_by"].as_str()),
        (Some(true), Some("hezhou"))
    );
    assert_eq!(o["cities"][0]["outcome"], "ok");
    assert_eq!(o["cities"][1]["city"], "qingyuan");
    assert_ne!(o["cities"][1]["outcome"], "ok");
    assert_eq!(o["deadline_ms"], 2000);

    let p = get(addr, "/api/peers").await.json();
    assert_eq!(p["city"], "hezhou");
    assert_eq!(p["peers"][0]["city"], "qingyuan");
    assert_eq!(p["peers"][0]["connected"], false);
}

#[tokio::test]
async fn http_api_errors_are_json_with_the_matching_status_and_the_field() {
    let (_tmp, _state, addr) = serve_node().await;

    let cases: &[(&str, u16, &str)] = &[
        (
            "/api/overview?year=abc",
            400,
            "year: \"abc\" is not a whole number",
        ),
        ("/api/overview?year=1999", 400, "year"),
        (
            "/api/overview?deadline_ms=5",
            400,
            "deadline_ms: 5 is out of range",
        ),
        (
            "/api/overview?abort_on_partial=yes",
            400,
            "abort_on_partial",
        ),
        (
            "/api/overview?deadline_ms=500&abort_on_partial=true",
            503,
            "overview is partial",
        ),
        ("/api/overview?color=red", 400, "color: unknown parameter"),
        (
            "/api/records?kind=petition",
            400,
            "kind: \"petition\" is not a record kind",
        ),
        ("/api/records?overdue=perhaps", 400, "overdue"),
        ("/api/records?page_size=x", 400, "page_size"),
        (
            "/api/records?page_size=501",
            400,
            "page_size: 501 is too large",
        ),
        (
            "/api/records/hezhou-nothing",
            404,
            "record \"hezhou-nothing\" not found",
        ),
        ("/api/nothing", 404, "no API route /api/nothing"),
    ];
    for (path, status, words) in cases {
        let a = get(addr, path).await;
        assert_eq!(a.status, *status, "{path}: {}", a.body);
        assert_eq!(a.header("content-type"), "application/json", "{path}");
        let msg = a.json()["error"].as_str().unwrap_or_default().to_string();
        assert!(msg.contains(words), "{path}: {msg}");
    }
}

#[tokio::test]
async fn http_pages_and_assets_are_served_with_types_and_cache_headers() {
    let (_tmp, _state, addr) = serve_node().await;

    let index = get(addr, "/").await;
    assert_eq!(index.status, 200);
    assert_eq!(index.header("content-type"), "text/html; charset=utf-8");
    assert_eq!(index.header("cache-control"), "no-cache");
    assert!(index.body.starts_with("<!doctype html>"), "{}", index.body);
    for page in ["/records", "/records/hezhou-01ABC", "/records?kind=dispute"] {
        let a = get(addr, page).await;
        assert_eq!(
            (a.status, a.body.as_str()),
            (200, index.body.as_str()),
            "{page}"
        );
    }
    let js = get(addr, "/assets/app.js?v=1").await;
    assert_eq!(js.status, 200);
    assert_eq!(js.header("content-type"), "text/javascript; charset=utf-8");
    assert_eq!(js.header("cache-control"), "public, max-age=86400");
    assert_eq!(js.body, super::pages::APP_JS);
    let labels = get(addr, "/assets/labels.js").await;
    assert_eq!(labels.status, 200);
    assert!(labels.body.contains("LIANLUO_LABELS"));
    let css = get(addr, "/assets/app.css").await;
    assert_eq!(css.header("content-type"), "text/css; charset=utf-8");
    assert_eq!(get(addr, "/assets/other.js").await.status, 404);
}
