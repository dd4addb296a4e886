//! The dashboard's JSON API. Bodies are the proto messages as serde writes them (field
//! names as in the `.proto` files); errors are `{"error": "…"}` with the HTTP status that
//! matches the node error (400 bad input, 404 not found, 503 unavailable, …).
//!
//! - `GET /api/overview?deadline_ms=&year=&abort_on_partial=` → `OverviewResponse`
//! - `GET /api/peers` → `PeersResponse` (this node's link to each peer)
//! - `GET /api/records?kind=&status=&city=&station_id=&text=&overdue=&updated_since=&year=&page_size=&page_token=`
//!   → `ListResponse`
//! - `GET /api/records/{id}` → `Record` with its full, re-verified history

use axum::extract::{Path, RawQuery, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use lianluo_proto::{ListRequest, OverviewRequest, PeersResponse};
use serde::Serialize;

use super::query::Query;
use super::Http;
use crate::error::NodeError;
use crate::store::StoreError;

/// Content type of every API body.
pub(super) const JSON: &str = "application/json";

pub(super) fn routes() -> Router<Http> {
    Router::new()
        .route("/api/overview", get(overview))
        .route("/api/peers", get(peers))
        .route("/api/records", get(records))
        .route("/api/records/{id}", get(record))
        .route("/api/{*rest}", get(unknown))
}

/// A JSON body with `status`; API answers are never cached (they change with the data).
pub(super) fn json<T: Serialize>(status: StatusCode, body: &T) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => (
            status,
            [
                (header::CONTENT_TYPE, JSON),
                (header::CACHE_CONTROL, "no-store"),
            ],
            bytes,
        )
            .into_response(),
        Err(e) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            &format!("internal error: cannot encode the answer: {e}"),
        ),
    }
}

/// `{"error": message}` with `status`.
pub(super) fn error(status: StatusCode, message: &str) -> Response {
    let body = serde_json::json!({ "error": message }).to_string();
    (
        status,
        [
            (header::CONTENT_TYPE, JSON),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response()
}

/// The HTTP status of a node error, as `crate::error::to_status` picks the gRPC code.
pub(super) fn status_of(err: &NodeError) -> StatusCode {
    match err {
        NodeError::Invalid(_) => StatusCode::BAD_REQUEST,
        NodeError::NotFound(_) => StatusCode::NOT_FOUND,
        NodeError::Precondition(_) => StatusCode::CONFLICT,
        NodeError::PermissionDenied(_) => StatusCode::FORBIDDEN,
        NodeError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
        NodeError::Store(e) if e.is_unavailable() => StatusCode::SERVICE_UNAVAILABLE,
        NodeError::Store(StoreError::Invalid { .. }) => StatusCode::BAD_REQUEST,
        NodeError::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
        NodeError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        NodeError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// A node error as its JSON answer.
pub(super) fn node_error(err: &NodeError) -> Response {
    error(status_of(err), &err.to_string())
}

fn answer<T: Serialize>(result: Result<T, NodeError>) -> Response {
    match result {
        Ok(body) => json(StatusCode::OK, &body),
        Err(e) => node_error(&e),
    }
}

async fn overview(State(http): State<Http>, RawQuery(raw): RawQuery) -> Response {
    let req = (|| {
        let q = Query::parse(raw.as_deref(), &["deadline_ms", "year", "abort_on_partial"])?;
        Ok::<_, NodeError>(OverviewRequest {
            deadline_ms: q.number("deadline_ms")?,
            abort_on_partial: q.flag("abort_on_partial")?,
            year: q.number("year")?,
        })
    })();
    match req {
        Ok(req) => answer(crate::dashboard::overview(&http.node, req).await),
        Err(e) => node_error(&e),
    }
}

async fn peers(State(http): State<Http>, RawQuery(raw): RawQuery) -> Response {
    if let Err(e) = Query::parse(raw.as_deref(), &[]) {
        return node_error(&e);
    }
    let states = crate::service::node::peer_states(&http.node);
    answer(Ok(PeersResponse {
        city: http.node.config.city.clone(),
        peers: states.iter().map(crate::service::node::to_status).collect(),
    }))
}

/// The query parameters of `/api/records`, as `ListRequest` names them.
const LIST_PARAMS: &[&str] = &[
    "kind",
    "status",
    "city",
    "station_id",
    "text",
    "overdue",
    "updated_since",
    "year",
    "page_size",
    "page_token",
];

fn list_request(raw: Option<&str>) -> Result<ListRequest, NodeError> {
    let q = Query::parse(raw, LIST_PARAMS)?;
    Ok(ListRequest {
        kind: q.text("kind"),
        status: q.text("status"),
        city: q.text("city"),
        overdue: q.flag("overdue")?,
        text: q.text("text"),
        page_size: q.number("page_size")?,
        page_token: q.text("page_token"),
        station_id: q.text("station_id"),
        updated_since: q.text("updated_since"),
        year: q.number("year")?,
    })
}

async fn records(State(http): State<Http>, RawQuery(raw): RawQuery) -> Response {
    match list_request(raw.as_deref()) {
        Ok(req) => answer(crate::service::read::list(&http.node, req).await),
        Err(e) => node_error(&e),
    }
}

async fn record(
    State(http): State<Http>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    if let Err(e) = Query::parse(raw.as_deref(), &[]) {
        return node_error(&e);
    }
    answer(crate::service::read::get(&http.node, &id).await)
}

async fn unknown(Path(rest): Path<String>) -> Response {
    error(
        StatusCode::NOT_FOUND,
        &format!(
            "no API route /api/{rest}; the API has /api/overview, /api/peers, /api/records \
             and /api/records/{{id}}"
        ),
    )
}
