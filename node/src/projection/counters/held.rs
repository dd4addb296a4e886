//! How many records this node holds under an index term — by kind and status, by
//! participant city, by station, by kind and year — kept in the same batch as the index
//! entries (after Garage's index counters), so a list filtered by one of them alone says
//! its total without reading the records. Text, overdue and last-change filters are not
//! counted: a list filtered by them, or by several terms, has no total.

use lianluo_proto::RecordKind;

use super::{Contributions, CounterKey};
use crate::domain::limits::YEAR_MIN;
use crate::domain::{RecordState, STATUSES};
use crate::projection::index::{self, IndexTerm};

/// Adds one for each counted term of `state` (of its index terms, those a list total
/// is read from).
pub(super) fn contributions(c: &mut Contributions, state: &RecordState) {
    for t in index::terms_but_text(state) {
        let counted = matches!(
            t,
            IndexTerm::KindStatus(..)
                | IndexTerm::City(_)
                | IndexTerm::Station(_)
                | IndexTerm::Year(..)
        );
        if counted {
            c.counters.push((CounterKey::Held { term: t.encode() }, 1));
        }
    }
}

/// The filters of a list, as far as a total goes.
#[derive(Debug, Default)]
pub struct Query<'a> {
    pub kind: Option<RecordKind>,
    pub status: Option<&'a str>,
    pub city: Option<&'a str>,
    pub station: Option<&'a str>,
    pub year: Option<u16>,
    /// Any filter that is not counted (text, overdue, changed since).
    pub uncounted: bool,
}

/// The held-record counters whose sum is the total of `q`, or `None` when no counter
/// gives it (an uncounted filter, or two that are not kind with status or year).
fn terms(q: &Query<'_>) -> Option<Vec<Vec<u8>>> {
    let kinds: Vec<RecordKind> = match q.kind {
        Some(k) => vec![k],
        None => STATUSES
            .iter()
            .filter_map(|(k, _)| crate::domain::parse_kind(k))
            .collect(),
    };
    let statuses = |k: RecordKind| -> Vec<String> {
        let name = crate::domain::kind_str(k);
        let all = STATUSES.iter().find(|(n, _)| *n == name).map(|(_, s)| *s);
        match q.status {
            Some(st) => vec![st.to_owned()],
            None => all
                .unwrap_or_default()
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
        }
    };
    let singles = [
        q.city.is_some(),
        q.station.is_some(),
        q.year.is_some(),
        q.status.is_some(),
    ];
    let others = singles.iter().filter(|b| **b).count();
    if q.uncounted || others > 1 || (q.kind.is_some() && (q.city.is_some() || q.station.is_some()))
    {
        return None;
    }
    let term = |t: IndexTerm| t.encode();
    Some(match (q.city, q.station, q.year) {
        (Some(c), _, _) => vec![term(IndexTerm::City(c.to_owned()))],
        (_, Some(s), _) => vec![term(IndexTerm::Station(s.to_owned()))],
        (_, _, Some(y)) => kinds
            .iter()
            .flat_map(|k| year_terms(*k, y))
            .map(term)
            .collect(),
        _ => kinds
            .iter()
            .flat_map(|k| {
                statuses(*k)
                    .into_iter()
                    .map(|s| term(IndexTerm::KindStatus(*k, s)))
            })
            .collect(),
    })
}

/// The year terms of `kind` a list by `year` counts: a station's up to that year (it
/// counts from the year it was set up on, as the figures do), another kind's that year.
fn year_terms(kind: RecordKind, year: u16) -> Vec<IndexTerm> {
    let first = u16::try_from(YEAR_MIN).unwrap_or(2000);
    match kind {
        RecordKind::Station => (first..=year).map(|y| IndexTerm::Year(kind, y)).collect(),
        _ => vec![IndexTerm::Year(kind, year)],
    }
}

/// The encoded counter keys whose values add up to the total of `q` (`None`: no total).
pub fn keys(q: &Query<'_>) -> Option<Vec<Vec<u8>>> {
    let terms = terms(q)?;
    Some(
        terms
            .into_iter()
            .map(|term| CounterKey::Held { term }.encode())
            .collect(),
    )
}

/// The total from the values of [`keys`].
pub fn total(values: &[i64]) -> u64 {
    u64::try_from(values.iter().sum::<i64>()).unwrap_or(0)
}
