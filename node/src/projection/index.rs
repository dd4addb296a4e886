//! Index terms: every way `List` can find a record without scanning the store.
//!
//! A term is encoded so that no term's bytes are a prefix of another's (fixed widths or a
//! `\0` terminator; ids, names and titles never contain `\0`), so the entries of one term
//! form one contiguous key range, ordered by record id after it. The store appends the
//! record id to the term (see `store::keys`).

use lianluo_proto::RecordKind;

use crate::domain::{ymd_year, KindState, RecordState};

pub mod text;

/// One index term of a record.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum IndexTerm {
    /// Its kind and status. A kind alone is the range of its statuses
    /// ([`kind_prefix`]); a status alone, the term of each kind that has it.
    KindStatus(RecordKind, String),
    /// A participant city.
    City(String),
    /// The station it is attached to (suggestions, disputes, activities).
    Station(String),
    /// A suggestion with an unanswered part: the earliest such part's deadline. Overdue
    /// suggestions are the range of deadlines before today.
    OpenDeadline(time::Date),
    /// A year the record counts in, per kind: a station's registration year, a
    /// suggestion's congress year and each year it was carried over to, a dispute's
    /// report year, an activity's year.
    Year(RecordKind, u16),
    /// The day (UTC+8) of its last change: records changed since a time are the days
    /// from that time's on (checked to the millisecond on the records). By day, not by
    /// millisecond, so acts on a record the same day leave its entry where it is.
    UpdatedDay(time::Date),
    /// Two consecutive characters of one of the record's texts (or a text's last
    /// character alone; see [`text`]): a substring search looks up one gram of the query
    /// and checks the texts of the records it lists.
    Gram(String),
}

const KIND_STATUS: u8 = b'S';
const CITY: u8 = b'c';
const STATION: u8 = b't';
const DEADLINE: u8 = b'd';
const YEAR: u8 = b'y';
const UPDATED: u8 = b'u';
/// Grams of every text ([`text::texts`]); builds before counters version 6 indexed the
/// title's grams only, under [`LEGACY_TITLE_GRAM`].
const GRAM: u8 = b'x';
/// The tag of the title grams older builds wrote (removed when the index is rebuilt).
const LEGACY_TITLE_GRAM: u8 = b'g';

impl IndexTerm {
    /// The term's bytes (without the record id the store appends).
    pub fn encode(&self) -> Vec<u8> {
        match self {
            IndexTerm::KindStatus(k, s) => terminated(&kind_prefix(*k), s),
            IndexTerm::City(c) => terminated(&[CITY], c),
            IndexTerm::Station(s) => terminated(&[STATION], s),
            IndexTerm::OpenDeadline(d) => {
                let mut out = vec![DEADLINE];
                out.extend_from_slice(&date_code(*d).to_be_bytes());
                out
            }
            IndexTerm::Year(k, y) => {
                let mut out = vec![YEAR, kind_byte(*k)];
                out.extend_from_slice(&y.to_be_bytes());
                out
            }
            IndexTerm::UpdatedDay(d) => {
                let mut out = vec![UPDATED];
                out.extend_from_slice(&date_code(*d).to_be_bytes());
                out
            }
            IndexTerm::Gram(g) => terminated(&[GRAM], g),
        }
    }
}

/// The start of the `KindStatus` terms of one kind (every status of it).
pub fn kind_prefix(kind: RecordKind) -> Vec<u8> {
    vec![KIND_STATUS, kind_byte(kind)]
}

/// The start of every `OpenDeadline` term (for a range up to a date).
pub fn deadline_prefix() -> Vec<u8> {
    vec![DEADLINE]
}

/// The start of every `Updated` term.
pub fn updated_prefix() -> Vec<u8> {
    vec![UPDATED]
}

/// The start of the `Gram` terms of grams beginning with `c` (a one-character search).
pub fn gram_prefix(c: char) -> Vec<u8> {
    let mut out = vec![GRAM];
    let mut buf = [0u8; 4];
    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
    out
}

/// The start of the `Year` terms of one kind.
pub fn year_prefix(kind: RecordKind) -> Vec<u8> {
    vec![YEAR, kind_byte(kind)]
}

fn terminated(head: &[u8], s: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(head.len() + s.len() + 1);
    out.extend_from_slice(head);
    out.extend_from_slice(s.as_bytes());
    out.push(0);
    out
}

fn kind_byte(k: RecordKind) -> u8 {
    // Stable on disk: the proto enum's numbers (station 1 … activity 4).
    u8::try_from(k as i32).unwrap_or(0)
}

/// A date as the number yyyymmdd, which sorts like the date.
pub fn date_code(d: time::Date) -> u32 {
    let year = u32::try_from(d.year()).unwrap_or(0);
    year * 10_000 + u32::from(u8::from(d.month())) * 100 + u32::from(d.day())
}

/// The start of every title-gram term an older build wrote.
pub fn legacy_title_gram_prefix() -> Vec<u8> {
    vec![LEGACY_TITLE_GRAM]
}

/// The encoded title-gram terms an older build listed a record with `title` under.
pub fn legacy_title_grams(title: &str) -> Vec<Vec<u8>> {
    let mut grams = text::text_grams(title);
    grams.sort();
    grams.dedup();
    grams
        .iter()
        .map(|g| terminated(&[LEGACY_TITLE_GRAM], g))
        .collect()
}

/// Every term a record is listed under.
pub fn terms(state: &RecordState) -> Vec<IndexTerm> {
    let mut out = terms_but_text(state);
    out.extend(text::grams(state).into_iter().map(IndexTerm::Gram));
    out
}

/// The terms of [`terms`] other than the grams of its texts.
pub fn terms_but_text(state: &RecordState) -> Vec<IndexTerm> {
    let kind = state.kind();
    let status = state.status_str();
    let mut out = vec![
        IndexTerm::KindStatus(kind, status.to_owned()),
        IndexTerm::UpdatedDay(crate::domain::local_date(state.updated_ms)),
    ];
    out.extend(state.participants().iter().cloned().map(IndexTerm::City));
    if let Some(station) = station_of(state).filter(|s| !s.is_empty()) {
        out.push(IndexTerm::Station(station.to_owned()));
    }
    if let KindState::Suggestion(s) = &state.body {
        out.extend(s.open_deadline().map(IndexTerm::OpenDeadline));
    }
    out.extend(years(state).into_iter().map(|y| IndexTerm::Year(kind, y)));
    out
}

/// The station a record is attached to, if its kind has one.
pub fn station_of(state: &RecordState) -> Option<&str> {
    match &state.body {
        KindState::Station(_) | KindState::Project(_) => None,
        KindState::Suggestion(s) => Some(&s.station_id),
        KindState::Dispute(d) => Some(&d.station_id),
        KindState::Activity(a) => Some(&a.station_id),
    }
}

/// The years a record is indexed under (see [`IndexTerm::Year`]).
/// Stations and disputes count in the year of their business date (设立日期, 受理日期; the
/// day they were entered when none was given), suggestions in their congress years,
/// activities in the year of their day, projects in the years they were proposed, started
/// and completed in.
pub fn years(state: &RecordState) -> Vec<u16> {
    let opened = || ymd_year(&state.opened_on()).and_then(year_u16);
    let mut out: Vec<u16> = match &state.body {
        KindState::Station(_) | KindState::Dispute(_) => opened().into_iter().collect(),
        KindState::Suggestion(s) => std::iter::once(s.year)
            .chain(s.carried_over_to.iter().copied())
            .filter_map(|y| u16::try_from(y).ok())
            .collect(),
        KindState::Activity(a) => ymd_year(activity_day(a))
            .and_then(year_u16)
            .into_iter()
            .collect(),
        KindState::Project(p) => {
            let proposed = state.opened_on();
            [proposed.as_str(), &p.started_on, &p.completed_on]
                .into_iter()
                .filter_map(ymd_year)
                .filter_map(year_u16)
                .collect()
        }
    };
    out.sort_unstable();
    out.dedup();
    out
}

/// The day an activity counts on: when it was held, else when it is planned.
pub(crate) fn activity_day(a: &crate::domain::Activity) -> &str {
    if a.held_on.is_empty() {
        &a.date
    } else {
        &a.held_on
    }
}

pub(crate) fn year_u16(y: i32) -> Option<u16> {
    u16::try_from(y).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn projection_index_terms_are_prefix_free_and_ordered() {
        let a = IndexTerm::City("he".into()).encode();
        let b = IndexTerm::City("hezhou".into()).encode();
        assert!(
            !b.starts_with(&a),
            "a city's term must not cover a longer city's"
        );
        let d1 = time::macros::date!(2026 - 01 - 31);
        let d2 = time::macros::date!(2026 - 02 - 01);
        assert!(IndexTerm::OpenDeadline(d1).encode() < IndexTerm::OpenDeadline(d2).encode());
        let (day, next) = (d1, d2);
        assert!(IndexTerm::UpdatedDay(day).encode() < IndexTerm::UpdatedDay(next).encode());
        assert!(IndexTerm::KindStatus(RecordKind::Dispute, "agreed".into())
            .encode()
            .starts_with(&kind_prefix(RecordKind::Dispute)));
        assert!(IndexTerm::Gram("边界".into())
            .encode()
            .starts_with(&gram_prefix('边')));
    }

    #[test]
    fn projection_grams_cover_every_substring_start() {
        assert_eq!(
            text::text_grams("边界边界"),
            vec!["边界", "界边", "边界", "界"]
        );
        assert!(text::text_grams("").is_empty());
        assert_eq!(
            legacy_title_grams("边界边界"),
            vec![
                b"g\xe7\x95\x8c\0".to_vec(),
                "g界边\0".as_bytes().to_vec(),
                "g边界\0".as_bytes().to_vec()
            ]
        );
    }
}
