//! The dashboard's JSON API. Bodies are the proto messages as serde writes them (field
//! names as in the `.proto` files); errors are `{"error": "…"}` with the HTTP status that
//! matches the node error (400 bad input, 404 not found, 503 unavailable, …).
//!
//! - `GET /api/overview?deadline_ms=&year=&abort_on_partial=` → `OverviewResponse`
//! - `GET /api/peers` → `PeersResponse` (this node's link to each peer)
//! - `GET /api/cities` → the cities this node knows with their names and provinces, as
//!   its config gives them (`{"city", "cities": [{"city", "name", "province", "local"}]}`)
//! - `GET /api/report?year=&format=md|html|docx` → the year's report ([`super::report`])
//! - `GET /api/export?year=` → the year's suggestions as an `.xlsx` workbook
//! - `GET /api/records?kind=&status=&city=&station_id=&text=&overdue=&updated_since=&year=&page_size=&page_token=`
//!   → `ListResponse`
//! - `GET /api/records/{id}?verify=` → `Record` with its full history (`verify=true`
//!   checks every signature again now)
//! - `GET /api/watch?since=` → a `text/event-stream` of `WatchResponse`s (event `change`,
//!   id = the cursor): the records changed after `since`, then live; without `since` (or
//!   a `Last-Event-ID` from a reconnecting browser) it starts at the node's current
//!   position, so a page only hears of what changes while it is open

use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
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
        .route("/api/cities", get(cities))
        .route("/api/report", get(super::report::get))
        .route("/api/export", get(super::report::export))
        .route("/api/records", get(records))
        .route("/api/records/{id}", get(record))
        .route("/api/watch", get(watch))
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
        NodeError::AlreadyExists(_) => StatusCode::CONFLICT,
        NodeError::Precondition(_) => StatusCode::CONFLICT,
        NodeError::PermissionDenied(_) => StatusCode::FORBIDDEN,
        NodeError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
        NodeError::Store(e) if e.is_unavailable() => StatusCode::SERVICE_UNAVAILABLE,
        NodeError::Store(StoreError::Invalid { .. }) => StatusCode::BAD_REQUEST,
        NodeError::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
        NodeError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        NodeError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
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

/// One city as this node's config names it.
#[derive(Debug, Serialize)]
struct CityEntry {
    city: String,
    name: String,
    /// For pages in English.
    name_en: String,
    province: String,
    /// This node's own city.
    local: bool,
}

/// The cities this node knows (its own first, then its peers), as its config names them.
#[derive(Debug, Serialize)]
struct CitiesResponse {
    city: String,
    cities: Vec<CityEntry>,
}

async fn cities(State(http): State<Http>, RawQuery(raw): RawQuery) -> Response {
    if let Err(e) = Query::parse(raw.as_deref(), &[]) {
        return node_error(&e);
    }
    let own = http.node.config.city.clone();
    let cities = crate::dashboard::city_names(&http.node)
        .into_iter()
        .map(|(city, n)| CityEntry {
            local: city == own,
            city,
            name: n.name,
            name_en: n.name_en,
            province: n.province,
        })
        .collect();
    json(StatusCode::OK, &CitiesResponse { city: own, cities })
}

async fn peers(State(http): State<Http>, RawQuery(raw): RawQuery) -> Response {
    if let Err(e) = Query::parse(raw.as_deref(), &[]) {
        return node_error(&e);
    }
    let states = crate::service::node::peer_states(&http.node);
    answer(Ok(PeersResponse {
        city: http.node.config.city.clone(),
        peers: states.iter().map(crate::service::node::to_status).collect(),
        names: crate::service::node::city_labels(&http.node),
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
    let verify = match Query::parse(raw.as_deref(), &["verify"]).and_then(|q| q.flag("verify")) {
        Ok(v) => v,
        Err(e) => return node_error(&e),
    };
    answer(crate::service::read::get_checked(&http.node, &id, verify).await)
}

/// `/api/watch`: the node's changes as server-sent events (see the module docs).
async fn watch(State(http): State<Http>, headers: HeaderMap, RawQuery(raw): RawQuery) -> Response {
    let asked = Query::parse(raw.as_deref(), &["since"]).and_then(|q| q.whole::<u64>("since"));
    let since = match asked {
        Ok(since) => since,
        Err(e) => return node_error(&e),
    };
    // A reconnecting EventSource sends the id of the last event it saw.
    let resumed = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let since = resumed
        .or(since)
        .unwrap_or_else(|| *http.node.durable.borrow());
    let stream = crate::service::watch::start(http.node.clone(), since, http.stop.clone());
    let events = tokio_stream::StreamExt::map(stream, |r| {
        let event = match r {
            Ok(w) => match serde_json::to_string(&w) {
                Ok(data) => Event::default()
                    .event("change")
                    .id(w.cursor.to_string())
                    .data(data),
                Err(e) => Event::default().event("failed").data(e.to_string()),
            },
            Err(status) => Event::default().event("failed").data(status.message()),
        };
        Ok::<_, std::convert::Infallible>(event)
    });
    // A keep-alive well within limits.idle_secs, so a quiet stream is never taken for an
    // idle connection and closed.
    let idle = http.node.config.conn_limits.idle;
    let every = (idle / 2).clamp(
        std::time::Duration::from_millis(500),
        std::time::Duration::from_secs(15),
    );
    Sse::new(events)
        .keep_alive(KeepAlive::new().interval(every))
        .into_response()
}

async fn unknown(Path(rest): Path<String>) -> Response {
    error(
        StatusCode::NOT_FOUND,
        &format!(
            "no API route /api/{rest}; the API has /api/overview, /api/peers, /api/cities, \
             /api/report, /api/export, /api/records, /api/records/{{id}} and /api/watch"
        ),
    )
}
