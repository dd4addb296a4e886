//! `Records.Export`: a year's suggestions this node holds as the office workbook
//! (`crate::dashboard::export`), for the CLI (`lianluo export`) and the dashboard
//! (`GET /api/export`). The records are read with their history (which dates each part's
//! dispatch and answer) off the runtime, at most [`MAX_EXPORT_SUGGESTIONS`] of them.

use lianluo_proto::{ExportRequest, ExportResponse, Record, RecordKind};

use super::list::{self, Filters};
use super::write::blocking;
use crate::dashboard::export::{self, Provenance};
use crate::dashboard::labels::{self, Lang};
use crate::dashboard::report;
use crate::error::NodeError;
use crate::state::{today, NodeState};
use crate::store::Store;

/// Most suggestions one export holds: a congress year's suggestions are hundreds; more
/// are refused, naming the limit.
pub const MAX_EXPORT_SUGGESTIONS: usize = 5000;

/// Largest workbook one export sends (answers run to 10,000 characters each); a larger
/// one is refused, naming the size. `lianluo export` accepts answers this large.
pub const MAX_EXPORT_BYTES: usize = 32 << 20;

/// The workbook of `req.year`'s suggestions.
pub async fn export(state: &NodeState, req: ExportRequest) -> Result<ExportResponse, NodeError> {
    let year = check_year(req.year)?;
    let records = blocking(state, move |s| Ok(suggestions(s, year))).await??;
    let names = crate::dashboard::city_names(state);
    let city = state.config.city_name.name.clone();
    let now = crate::domain::rfc3339(crate::dashboard::figures::now_ms());
    let as_of = report::beijing_time(&now).unwrap_or(now);
    let built = tokio::task::spawn_blocking(move || {
        let name = |id: &str| {
            names.iter().find(|(city, _)| city == id).map_or_else(
                || labels::city(id, Lang::Zh).to_owned(),
                |(_, n)| n.name.clone(),
            )
        };
        let rows = export::ledger(&records, &name);
        let from = Provenance {
            year: req.year,
            city: &city,
            as_of: &as_of,
        };
        export::workbook(&rows, &from).map(|bytes| (bytes, records.len(), rows.len()))
    })
    .await
    .map_err(|e| NodeError::Internal(format!("the export task failed: {e}")))?;
    let (content, suggestions, rows) = built.map_err(|e| NodeError::Internal(e.to_string()))?;
    if content.len() > MAX_EXPORT_BYTES {
        return Err(NodeError::TooLarge(format!(
            "the workbook of {} is {} MiB, more than the {} MiB one export sends; filter the \
             records with `lianluo list` instead",
            req.year,
            content.len() >> 20,
            MAX_EXPORT_BYTES >> 20
        )));
    }
    Ok(ExportResponse {
        content,
        file_name: format!("lianluo-suggestions-{}.xlsx", req.year),
        suggestions: u32::try_from(suggestions).unwrap_or(u32::MAX),
        rows: u32::try_from(rows).unwrap_or(u32::MAX),
    })
}

fn check_year(year: u32) -> Result<u16, NodeError> {
    if year == 0 {
        return Err(NodeError::invalid(
            "year",
            "missing; give the congress year to export, e.g. 2026",
        ));
    }
    crate::dashboard::figures::check_year(year)?;
    u16::try_from(year).map_err(|_| NodeError::invalid("year", "out of range; use 2000–2100"))
}

/// The year's suggestions with their history, by the year index, in id order.
fn suggestions(store: &dyn Store, year: u16) -> Result<Vec<Record>, NodeError> {
    let filters = Filters {
        kind: Some(RecordKind::Suggestion),
        year: Some(year),
        ..Filters::all(today())
    };
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = list::page(store, &filters, token.as_deref(), 500)?;
        for summary in page.records {
            if out.len() == MAX_EXPORT_SUGGESTIONS {
                return Err(NodeError::TooLarge(format!(
                    "{year} has more than {MAX_EXPORT_SUGGESTIONS} suggestions, the most one \
                     export holds; filter the records with `lianluo list` instead"
                )));
            }
            out.push(with_history(store, &summary.id)?);
        }
        if page.next_page_token.is_empty() {
            return Ok(out);
        }
        token = Some(page.next_page_token);
    }
}

fn with_history(store: &dyn Store, id: &str) -> Result<Record, NodeError> {
    let rid = crate::domain::RecordId::parse(id).map_err(NodeError::Internal)?;
    let entry = store
        .record(&rid)?
        .ok_or_else(|| NodeError::NotFound(id.to_owned()))?;
    crate::render::full(store, &rid, &entry, today(), None)?
        .ok_or_else(|| NodeError::Internal(format!("record {id} has no valid creation event")))
}
