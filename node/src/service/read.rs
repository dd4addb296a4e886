//! The read path: get one record (with its verified history) and list records with
//! filters and pagination. Overdue flags are recomputed for today on every read.

use lianluo_proto::{ListRequest, ListResponse, Record};

use super::write::blocking;
use crate::domain;
use crate::error::NodeError;
use crate::state::{today, NodeState};
use crate::store::RecordQuery;

/// Default and largest page sizes of `List`.
pub const DEFAULT_PAGE_SIZE: u32 = 100;
/// Largest page size of `List`.
pub const MAX_PAGE_SIZE: u32 = 500;
const KINDS: [&str; 4] = ["station", "suggestion", "dispute", "activity"];

fn check_status(kind: Option<&str>, status: &str) -> Result<(), NodeError> {
    let allowed: Vec<&str> = domain::STATUSES
        .iter()
        .filter(|(k, _)| kind.is_none_or(|want| want == *k))
        .flat_map(|(_, st)| st.iter().copied())
        .collect();
    if allowed.contains(&status) {
        return Ok(());
    }
    let of = kind.map(|k| format!(" of a {k}")).unwrap_or_default();
    let mut uniq = allowed;
    uniq.sort_unstable();
    uniq.dedup();
    Err(NodeError::invalid(
        "status",
        format!(
            "{status:?} is not a status{of}; use one of {}",
            uniq.join(", ")
        ),
    ))
}

/// One record with its full history.
pub async fn get(state: &NodeState, id: &str) -> Result<Record, NodeError> {
    if id.trim().is_empty() {
        return Err(NodeError::invalid("id", "missing; pass the record's id"));
    }
    // Re-verify the history on read so `verified` reflects the signer certificates
    // known now, not when the record was last written.
    let (_, folded) = super::write::load_history(state, id).await?;
    let mut rec = folded
        .record
        .ok_or_else(|| NodeError::Internal(format!("record {id} has no valid creation event")))?;
    domain::refresh_overdue(&mut rec, today());
    Ok(rec)
}

/// A page of records matching the filters, without history.
pub async fn list(state: &NodeState, req: ListRequest) -> Result<ListResponse, NodeError> {
    let kind = non_empty(&req.kind);
    if let Some(k) = kind {
        if !KINDS.contains(&k) {
            return Err(NodeError::invalid(
                "kind",
                format!(
                    "{k:?} is not a record kind; use one of {}",
                    KINDS.join(", ")
                ),
            ));
        }
    }
    if let Some(st) = non_empty(&req.status) {
        check_status(kind, st)?;
    }
    if let Some(c) = non_empty(&req.city) {
        domain::validate_city(c).map_err(|why| NodeError::invalid("city", why))?;
        if !state.config.known_cities().iter().any(|k| k == c) {
            return Err(NodeError::invalid(
                "city",
                format!(
                    "unknown city {c:?}; known cities: {}",
                    state.config.known_cities().join(", ")
                ),
            ));
        }
    }
    let page_size = match req.page_size {
        0 => DEFAULT_PAGE_SIZE,
        n if n <= MAX_PAGE_SIZE => n,
        n => {
            return Err(NodeError::invalid(
                "page_size",
                format!("{n} is too large; use 1–{MAX_PAGE_SIZE} and follow next_page_token"),
            ))
        }
    } as usize;
    collect_page(state, &req, kind, page_size).await
}

/// Scans records in id order from the page token, in chunks off the runtime, until a
/// page of matches is full or the records run out.
async fn collect_page(
    state: &NodeState,
    req: &ListRequest,
    kind: Option<&str>,
    page_size: usize,
) -> Result<ListResponse, NodeError> {
    const CHUNK: usize = 512;
    let today = today();
    let mut records = Vec::new();
    let mut after = non_empty(&req.page_token).map(str::to_string);
    loop {
        let q = RecordQuery {
            kind: kind.map(str::to_string),
            status: non_empty(&req.status).map(str::to_string),
            after_id: after.clone(),
            limit: CHUNK,
        };
        let batch = blocking(state, move |s| s.records(&q)).await?;
        let exhausted = batch.len() < CHUNK;
        for mut rec in batch {
            after = Some(rec.id.clone());
            domain::refresh_overdue(&mut rec, today);
            if matches(&rec, req) {
                rec.history.clear();
                records.push(rec);
                if records.len() == page_size {
                    let next_page_token = after.unwrap_or_default();
                    return Ok(ListResponse {
                        records,
                        next_page_token,
                    });
                }
            }
        }
        if exhausted {
            let next_page_token = String::new();
            return Ok(ListResponse {
                records,
                next_page_token,
            });
        }
    }
}

fn non_empty(s: &str) -> Option<&str> {
    let t = s.trim();
    (!t.is_empty()).then_some(t)
}

fn matches(rec: &Record, req: &ListRequest) -> bool {
    if let Some(c) = non_empty(&req.city) {
        if !rec.participants.iter().any(|p| p == c) {
            return false;
        }
    }
    if req.overdue && !rec.suggestion.as_ref().is_some_and(|s| s.overdue) {
        return false;
    }
    if let Some(t) = non_empty(&req.text) {
        if !rec.title.contains(t) {
            return false;
        }
    }
    if let Some(st) = non_empty(&req.station_id) {
        if station_of(rec) != Some(st) {
            return false;
        }
    }
    true
}

fn station_of(rec: &Record) -> Option<&str> {
    let s = if let Some(x) = &rec.suggestion {
        &x.station_id
    } else if let Some(x) = &rec.dispute {
        &x.station_id
    } else if let Some(x) = &rec.activity {
        &x.station_id
    } else {
        return None;
    };
    Some(s.as_str())
}
