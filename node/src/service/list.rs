//! Planning a `List` page over the indexes: one filter drives the scan (its index range
//! holds every match, in that index's order), the others are checked on each record the
//! range lists. A call examines at most [`SCAN_LIMIT`] entries, so a page costs the page
//! (and a bounded number of misses), never the store; when it stops early it returns what
//! it found with a token to go on from where it stopped.
//!
//! The driving filter is the first of: text, station, overdue, updated since, city,
//! kind + status, status, kind + year, kind; with none, records are listed by id.

use std::ops::Bound;

use lianluo_proto::{ListResponse, Record, RecordKind};

use crate::domain::{KindState, RecordId, RecordState};
use crate::error::NodeError;
use crate::projection::index::{self, IndexTerm};
use crate::store::{RecordEntry, Store, StoreError};

/// Index entries (or records) examined per call at most.
pub const SCAN_LIMIT: usize = 5_000;

/// Entries read from the store per chunk.
const CHUNK: usize = 256;

/// The filters of one `List` call, checked.
#[derive(Debug, Clone)]
pub struct Filters {
    pub kind: Option<RecordKind>,
    pub status: Option<String>,
    pub city: Option<String>,
    pub station: Option<String>,
    pub overdue: bool,
    pub text: Option<String>,
    /// Unix ms.
    pub updated_since: Option<u64>,
    pub year: Option<u16>,
    /// For overdue.
    pub today: time::Date,
}

impl Filters {
    /// No filter: every record, overdue flags as of `today`.
    pub fn all(today: time::Date) -> Self {
        Filters {
            kind: None,
            status: None,
            city: None,
            station: None,
            overdue: false,
            text: None,
            updated_since: None,
            year: None,
            today,
        }
    }
}

/// Where a scan reads: index ranges (disjoint, in key order), or the records themselves
/// by id.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Plan {
    Index {
        /// One letter naming the driver, so a token is only used with the filters it
        /// came from.
        tag: char,
        /// (start, exclusive end) of each range.
        ranges: Vec<(Vec<u8>, Vec<u8>)>,
    },
    Records,
}

/// The end of the range of keys starting with `prefix`.
fn after_prefix(prefix: &[u8]) -> Vec<u8> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < u8::MAX {
            end.push(last + 1);
            return end;
        }
    }
    vec![u8::MAX; prefix.len() + 1]
}

fn term_range(tag: char, term: &IndexTerm) -> Plan {
    prefix_range(tag, term.encode())
}

fn prefix_range(tag: char, prefix: Vec<u8>) -> Plan {
    one(tag, after_prefix(&prefix), prefix)
}

fn one(tag: char, end: Vec<u8>, start: Vec<u8>) -> Plan {
    Plan::Index {
        tag,
        ranges: vec![(start, end)],
    }
}

/// The `KindStatus` terms of every kind that has `status` (e.g. `closed`: stations and
/// suggestions), in key order.
fn status_ranges(status: &str) -> Plan {
    let mut ranges: Vec<(Vec<u8>, Vec<u8>)> = crate::domain::STATUSES
        .iter()
        .filter(|(_, statuses)| statuses.contains(&status))
        .filter_map(|(kind, _)| crate::domain::parse_kind(kind))
        .map(|k| {
            let t = IndexTerm::KindStatus(k, status.to_owned()).encode();
            (t.clone(), after_prefix(&t))
        })
        .collect();
    ranges.sort();
    Plan::Index { tag: 's', ranges }
}

fn plan(f: &Filters) -> Plan {
    if let Some(text) = &f.text {
        let mut chars = text.chars();
        let (Some(a), b) = (chars.next(), chars.next()) else {
            return Plan::Records;
        };
        return match b {
            Some(b) => term_range('g', &IndexTerm::Gram([a, b].iter().collect())),
            None => prefix_range('G', index::gram_prefix(a)),
        };
    }
    if let Some(s) = &f.station {
        return term_range('t', &IndexTerm::Station(s.clone()));
    }
    if f.overdue {
        let end = IndexTerm::OpenDeadline(f.today).encode();
        return one('d', end, index::deadline_prefix());
    }
    if let Some(since) = f.updated_since {
        let start = IndexTerm::UpdatedDay(crate::domain::local_date(since)).encode();
        return one('u', after_prefix(&index::updated_prefix()), start);
    }
    if let Some(c) = &f.city {
        return term_range('c', &IndexTerm::City(c.clone()));
    }
    match (f.kind, &f.status, f.year) {
        (Some(k), Some(s), _) => term_range('S', &IndexTerm::KindStatus(k, s.clone())),
        (None, Some(s), _) => status_ranges(s),
        (Some(RecordKind::Station), None, Some(y)) => one(
            'y',
            IndexTerm::Year(RecordKind::Station, y.saturating_add(1)).encode(),
            index::year_prefix(RecordKind::Station),
        ),
        (Some(k), None, Some(y)) => term_range('y', &IndexTerm::Year(k, y)),
        (Some(k), None, None) => prefix_range('k', index::kind_prefix(k)),
        (None, None, _) => Plan::Records,
    }
}

/// Whether a record passes every filter.
fn matches(f: &Filters, s: &RecordState) -> bool {
    f.kind.is_none_or(|k| s.kind() == k)
        && f.status.as_deref().is_none_or(|st| s.status_str() == st)
        && f.city
            .as_deref()
            .is_none_or(|c| s.participants().iter().any(|p| p == c))
        && f.station
            .as_deref()
            .is_none_or(|st| index::station_of(s) == Some(st))
        && (!f.overdue || overdue(s, f.today))
        && f.text
            .as_deref()
            .is_none_or(|t| index::text::contains(s, t))
        && f.updated_since.is_none_or(|since| s.updated_ms >= since)
        && f.year.is_none_or(|y| in_year(s, y))
}

fn overdue(s: &RecordState, today: time::Date) -> bool {
    match &s.body {
        KindState::Suggestion(x) => x.open_deadline().is_some_and(|d| d < today),
        _ => false,
    }
}

/// Whether the record counts in `year` (see `FiguresRequest.year`).
pub fn in_year(s: &RecordState, year: u16) -> bool {
    let years = index::years(s);
    match s.kind() {
        RecordKind::Station => years.first().is_some_and(|y| *y <= year),
        _ => years.contains(&year),
    }
}

/// A one-character text search lists a record under each gram starting with the
/// character: only the first place counts, so the record comes once.
fn first_place(f: &Filters, s: &RecordState, key: &[u8]) -> bool {
    let Some(text) = &f.text else { return true };
    let mut chars = text.chars();
    let (Some(c), None) = (chars.next(), chars.next()) else {
        return true;
    };
    index::text::first_gram(s, c).is_some_and(|g| key.starts_with(&IndexTerm::Gram(g).encode()))
}

/// One page for `filters`, from `token` (a previous page's `next_page_token`).
pub fn page(
    store: &dyn Store,
    filters: &Filters,
    token: Option<&str>,
    page_size: usize,
) -> Result<ListResponse, NodeError> {
    page_bounded(store, filters, token, page_size, SCAN_LIMIT)
}

/// [`page`], examining at most `max_examined` entries.
fn page_bounded(
    store: &dyn Store,
    filters: &Filters,
    token: Option<&str>,
    page_size: usize,
    max_examined: usize,
) -> Result<ListResponse, NodeError> {
    let plan = plan(filters);
    let mut after = token.map(|t| decode_token(&plan, t)).transpose()?;
    let mut records = Vec::new();
    let mut examined = 0;
    loop {
        let chunk = read_chunk(store, &plan, after.as_deref())?;
        let exhausted = chunk.len() < CHUNK;
        for (pos, id, entry) in chunk {
            examined += 1;
            let keep = entry
                .as_ref()
                .and_then(|e| e.state.as_ref())
                .is_some_and(|s| matches(filters, s) && first_place(filters, s, &pos));
            after = Some(pos);
            if keep {
                if let Some(rec) =
                    entry.and_then(|e| crate::render::summary(&id, &e, filters.today))
                {
                    records.push(rec);
                }
            }
            if records.len() == page_size || examined >= max_examined {
                return Ok(response(&plan, records, after.as_deref()));
            }
        }
        if exhausted {
            return Ok(response(&plan, records, None));
        }
    }
}

/// How many records match `f`, from the held-record counters (`None` when none gives it).
pub fn total(s: &dyn Store, f: &Filters) -> Result<Option<u64>, StoreError> {
    use crate::projection::counters::held;
    let q = held::Query {
        kind: f.kind,
        status: f.status.as_deref(),
        city: f.city.as_deref(),
        station: f.station.as_deref(),
        year: f.year,
        uncounted: f.text.is_some() || f.overdue || f.updated_since.is_some(),
    };
    let Some(keys) = held::keys(&q) else {
        return Ok(None);
    };
    Ok(Some(held::total(&s.counters_of(&keys)?)))
}

fn response(plan: &Plan, records: Vec<Record>, after: Option<&[u8]>) -> ListResponse {
    ListResponse {
        records,
        next_page_token: after.map(|a| encode_token(plan, a)).unwrap_or_default(),
        total: None,
    }
}

/// One entry a scan examines: its position, the record, and the record's entry.
type Examined = (Vec<u8>, RecordId, Option<RecordEntry>);

/// The next chunk after `after`.
fn read_chunk(
    store: &dyn Store,
    plan: &Plan,
    after: Option<&[u8]>,
) -> Result<Vec<Examined>, StoreError> {
    match plan {
        Plan::Records => {
            let after = after
                .and_then(|a| std::str::from_utf8(a).ok())
                .and_then(|a| RecordId::parse(a).ok());
            Ok(store
                .records_after(after.as_ref(), CHUNK)?
                .into_iter()
                .map(|(id, e)| (id.as_str().as_bytes().to_vec(), id, Some(e)))
                .collect())
        }
        Plan::Index { ranges, .. } => {
            let mut out = Vec::new();
            // The ranges not yet passed, the first from after the position in it.
            for (start, end) in ranges {
                if after.is_some_and(|a| a >= end.as_slice()) {
                    continue;
                }
                let start = match after {
                    Some(a) if a >= start.as_slice() => Bound::Excluded(a.to_vec()),
                    _ => Bound::Included(start.clone()),
                };
                let left = CHUNK - out.len();
                for h in store.index_range(start, Bound::Excluded(end.clone()), left)? {
                    let entry = store.record(&h.record)?;
                    out.push((h.key, h.record, entry));
                }
                if out.len() == CHUNK {
                    break;
                }
            }
            Ok(out)
        }
    }
}

fn encode_token(plan: &Plan, pos: &[u8]) -> String {
    let tag = match plan {
        Plan::Index { tag, .. } => *tag,
        Plan::Records => 'r',
    };
    let hex: String = pos.iter().map(|b| format!("{b:02x}")).collect();
    format!("{tag}{hex}")
}

fn decode_token(plan: &Plan, token: &str) -> Result<Vec<u8>, NodeError> {
    let bad = || {
        NodeError::invalid(
            "page_token",
            "not a token of a previous page with these filters; start again without it",
        )
    };
    let tag = match plan {
        Plan::Index { tag, .. } => *tag,
        Plan::Records => 'r',
    };
    let hex = token.strip_prefix(tag).ok_or_else(bad)?;
    if hex.len() % 2 != 0 {
        return Err(bad());
    }
    let pos = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2).unwrap_or("zz"), 16))
        .collect::<Result<Vec<u8>, _>>()
        .map_err(|_| bad())?;
    // A token must point inside one of the plan's ranges.
    if let Plan::Index { ranges, .. } = plan {
        let inside = |(start, end): &(Vec<u8>, Vec<u8>)| {
            pos.as_slice() >= start.as_slice() && pos.as_slice() < end.as_slice()
        };
        if !ranges.iter().any(inside) {
            return Err(bad());
        }
    }
    Ok(pos)
}

#[cfg(test)]
mod tests;
