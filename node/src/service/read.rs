//! The read path: get one record (with its history) and list records with filters and
//! pagination ([`list`], planned in `list.rs` over the indexes). Overdue flags are as of
//! today on every read.

use lianluo_proto::{ListRequest, ListResponse, Record, RecordKind};

use super::list::{self, Filters};
use super::write::blocking;
use crate::domain::{self, RecordId};
use crate::error::NodeError;
use crate::state::{today, NodeState};

/// Default and largest page sizes of `List`.
pub const DEFAULT_PAGE_SIZE: u32 = 100;
/// Largest page size of `List`.
pub const MAX_PAGE_SIZE: u32 = 500;

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
    get_checked(state, id, false).await
}

/// One record with its full history; with `verify`, every event's signature is checked
/// again now (see `GetRequest.verify`).
pub async fn get_checked(state: &NodeState, id: &str, verify: bool) -> Result<Record, NodeError> {
    if id.trim().is_empty() {
        return Err(NodeError::invalid("id", "missing; pass the record's id"));
    }
    let rid = RecordId::parse(id).map_err(|_| NodeError::NotFound(id.to_string()))?;
    let signers = verify.then(|| state.signers.clone());
    let rendered = blocking(state, move |s| {
        let Some(entry) = s.record(&rid)? else {
            return Ok(None);
        };
        crate::render::full(s, &rid, &entry, today(), signers.as_deref()).map(Some)
    })
    .await?;
    match rendered {
        None => Err(NodeError::NotFound(id.to_string())),
        Some(None) => Err(NodeError::Internal(format!(
            "record {id} has no valid creation event"
        ))),
        Some(Some(rec)) => Ok(rec),
    }
}

/// A page of records matching the filters, without history.
pub async fn list(state: &NodeState, req: ListRequest) -> Result<ListResponse, NodeError> {
    let kind = non_empty(&req.kind);
    if let Some(k) = kind {
        // The kinds are those of the status table, one source for every filter.
        let kinds: Vec<&str> = domain::STATUSES.iter().map(|(k, _)| *k).collect();
        if !kinds.contains(&k) {
            return Err(NodeError::invalid(
                "kind",
                format!(
                    "{k:?} is not a record kind; use one of {}",
                    kinds.join(", ")
                ),
            ));
        }
    }
    if let Some(st) = non_empty(&req.status) {
        check_status(kind, st)?;
    }
    if let Some(c) = non_empty(&req.city) {
        domain::validate_city(c).map_err(|why| NodeError::invalid("city", why))?;
        let known = state.members.current().known_cities(&state.config.city);
        if !known.iter().any(|k| k == c) {
            return Err(NodeError::invalid(
                "city",
                format!("unknown city {c:?}; known cities: {}", known.join(", ")),
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
    let filters = Filters {
        kind: kind.and_then(domain::parse_kind),
        status: non_empty(&req.status).map(str::to_owned),
        city: non_empty(&req.city).map(str::to_owned),
        station: non_empty(&req.station_id).map(str::to_owned),
        overdue: req.overdue,
        text: non_empty(&req.text).map(str::to_owned),
        updated_since: updated_since(&req.updated_since)?,
        year: year(req.year, kind.and_then(domain::parse_kind))?,
        today: today(),
    };
    let token = non_empty(&req.page_token).map(str::to_owned);
    blocking(state, move |s| {
        let mut page = list::page(s, &filters, token.as_deref(), page_size);
        if let (Ok(page), None) = (page.as_mut(), token) {
            // The first page says how many match, when a kept count gives it.
            page.total = list::total(s, &filters)?;
        }
        Ok(page)
    })
    .await?
}

fn non_empty(s: &str) -> Option<&str> {
    let t = s.trim();
    (!t.is_empty()).then_some(t)
}

/// Parses `updated_since` (RFC 3339) into Unix ms.
fn updated_since(s: &str) -> Result<Option<u64>, NodeError> {
    let Some(s) = non_empty(s) else {
        return Ok(None);
    };
    let t = time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
        .map_err(|e| {
            NodeError::invalid(
                "updated_since",
                format!("{s:?} is not an RFC 3339 time ({e}); e.g. 2026-05-23T08:00:00+08:00"),
            )
        })?;
    let ms = t.unix_timestamp_nanos() / 1_000_000;
    Ok(Some(u64::try_from(ms).unwrap_or(0)))
}

/// Checks the `year` filter (0: none).
fn year(year: u32, _kind: Option<RecordKind>) -> Result<Option<u16>, NodeError> {
    match year {
        0 => Ok(None),
        y if (2000..=2100).contains(&y) => Ok(u16::try_from(y).ok()),
        y => Err(NodeError::invalid(
            "year",
            format!("{y} is out of range; use 2000–2100, or 0 for all years"),
        )),
    }
}
