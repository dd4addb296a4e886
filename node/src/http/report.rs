//! The office files of the dashboard:
//!
//! - `GET /api/report?year=YYYY|all&format=md|html|docx[&deadline_ms=]`: the year's report
//!   (`all`: every year together, 历年累计)
//!   (`crate::dashboard::report`) from this node's overview, as Markdown, a standalone HTML
//!   page, or a Word document to download (`lianluo-report-YYYY.docx`). A partial report
//!   says so at its top, as on the CLI.
//! - `GET /api/export?year=YYYY`: the year's suggestions this node holds as the office
//!   workbook (`lianluo-suggestions-YYYY.xlsx`, `crate::service::export`), as
//!   `lianluo export` writes it.

use axum::extract::{RawQuery, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use lianluo_proto::{ExportRequest, OverviewRequest};

use super::api::node_error;
use super::query::Query;
use super::Http;
use crate::dashboard::report::{self, ReportFormat};
use crate::error::NodeError;

/// Content type of an `.xlsx` file.
pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// Content type of a `.docx` file.
pub const DOCX: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";

/// The report of the year asked.
pub(super) async fn get(State(http): State<Http>, RawQuery(raw): RawQuery) -> Response {
    let asked = (|| {
        let q = Query::parse(raw.as_deref(), &["year", "format", "deadline_ms"])?;
        // `all`: every year together (历年累计).
        let year = match q.text("year").as_str() {
            "all" => 0,
            _ => match q.number("year")? {
                0 => {
                    return Err(NodeError::invalid(
                        "year",
                        "missing; give the year reported on, e.g. year=2026, or year=all for \
                         every year",
                    ))
                }
                y => y,
            },
        };
        let format = match q.text("format").as_str() {
            "" | "html" => "html",
            "md" => "md",
            "docx" => "docx",
            other => {
                return Err(NodeError::invalid(
                    "format",
                    format!("{other:?}: use md, html or docx"),
                ))
            }
        };
        let req = OverviewRequest {
            deadline_ms: q.number("deadline_ms")?,
            abort_on_partial: false,
            year,
        };
        Ok((req, format))
    })();
    let (req, format) = match asked {
        Ok(a) => a,
        Err(e) => return node_error(&e),
    };
    let year = req.year;
    let resp = match crate::dashboard::overview(&http.node, req).await {
        Ok(r) => r,
        Err(e) => return node_error(&e),
    };
    let (body, kind) = match format {
        "md" => (
            report::render(&resp, ReportFormat::Markdown).into_bytes(),
            "text/markdown; charset=utf-8",
        ),
        "html" => (
            report::render(&resp, ReportFormat::Html).into_bytes(),
            "text/html; charset=utf-8",
        ),
        _ => match report::render_docx(&resp) {
            Ok(bytes) => (bytes, DOCX),
            Err(e) => return node_error(&NodeError::Internal(e.to_string())),
        },
    };
    let name = match year {
        0 => format!("lianluo-report-all-years.{format}"),
        y => format!("lianluo-report-{y}.{format}"),
    };
    file(body, kind, (format != "html").then_some(name.as_str()))
}

/// The year's suggestions as the office workbook.
pub(super) async fn export(State(http): State<Http>, RawQuery(raw): RawQuery) -> Response {
    let req = match Query::parse(raw.as_deref(), &["year"]).and_then(|q| q.number("year")) {
        Ok(year) => ExportRequest { year },
        Err(e) => return node_error(&e),
    };
    match crate::service::export::export(&http.node, req).await {
        Ok(resp) => file(resp.content, XLSX, Some(&resp.file_name)),
        Err(e) => node_error(&e),
    }
}

/// A file answer, to download under `name` when one is given (else shown in the browser).
fn file(body: Vec<u8>, kind: &str, name: Option<&str>) -> Response {
    let mut response = (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, kind.to_string()),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        body,
    )
        .into_response();
    if let Some(v) = name.and_then(|n| format!("attachment; filename=\"{n}\"").parse().ok()) {
        response
            .headers_mut()
            .insert(header::CONTENT_DISPOSITION, v);
    }
    response
}
