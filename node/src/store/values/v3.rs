//! Version 3 of the record entry, frozen as the builds with business dates but before
//! suggestion handling (协办 units, 签收/退回, result categories, each proposer's rating,
//! 重点督办) wrote it; it migrates to version 4 ([`super::v4`]).
//!
//! It names the live station and dispute states, statuses, grades and business dates,
//! which have not changed since version 2, and version 4's frozen activity: changing one
//! of them in place would change this frozen form too, so freeze it here first.

use serde::{Deserialize, Serialize};

use super::v4::{self, Activity};
use crate::domain::{self, BusinessDates, Dispute, Grade, PartStatus, Station, SuggestionStatus};
use crate::store::{Head, HistoryStep};

/// The record entry of version 3.
#[derive(Debug, Serialize, Deserialize)]
pub struct RecordEntry {
    pub(crate) state: Option<RecordState>,
    pub(crate) heads: Vec<Head>,
    pub(crate) steps: u32,
    pub(crate) tail: Vec<HistoryStep>,
}

/// The record state of version 3.
#[derive(Debug, Serialize, Deserialize)]
pub struct RecordState {
    pub(crate) id: String,
    pub(crate) origin: String,
    pub(crate) participants: Vec<String>,
    pub(crate) founders: u32,
    pub(crate) version: u64,
    pub(crate) title: String,
    pub(crate) created_ms: u64,
    pub(crate) updated_ms: u64,
    pub(crate) body: KindState,
    pub(crate) dates: BusinessDates,
}

/// The kind states of versions 2 and 3 (only the suggestion changed since).
#[derive(Debug, Serialize, Deserialize)]
pub enum KindState {
    Station(Station),
    Suggestion(Suggestion),
    Dispute(Dispute),
    Activity(Activity),
}

/// A suggestion without 协办 units, categories, proposers' ratings and 重点督办.
#[derive(Debug, Serialize, Deserialize)]
pub struct Suggestion {
    pub(crate) status: SuggestionStatus,
    pub(crate) body: String,
    pub(crate) proposers: Vec<String>,
    pub(crate) station_id: String,
    pub(crate) year: u32,
    pub(crate) parts: Vec<Part>,
    pub(crate) rating: Option<Grade>,
    pub(crate) rating_comment: String,
    pub(crate) carried_over_to: Vec<u32>,
}

/// A city part with its one unit (`dispatched` or `answered`).
#[derive(Debug, Serialize, Deserialize)]
pub struct Part {
    pub(crate) city: String,
    pub(crate) unit: String,
    pub(crate) deadline: String,
    pub(crate) status: PartStatus,
    pub(crate) progress: Vec<String>,
    pub(crate) answer: String,
}

impl KindState {
    /// The version-4 state: the events of a version-3 state gave none of what version 4
    /// added (the fields did not exist), so it is the state they fold to.
    pub(super) fn migrate(self) -> v4::KindState {
        match self {
            KindState::Station(s) => v4::KindState::Station(s),
            KindState::Dispute(s) => v4::KindState::Dispute(s),
            KindState::Activity(s) => v4::KindState::Activity(s),
            KindState::Suggestion(s) => v4::KindState::Suggestion(domain::Suggestion {
                status: s.status,
                body: s.body,
                proposers: s.proposers,
                station_id: s.station_id,
                year: s.year,
                parts: s.parts.into_iter().map(Part::migrate).collect(),
                rating: s.rating,
                rating_comment: s.rating_comment,
                carried_over_to: s.carried_over_to,
                proposer_ratings: Vec::new(),
                supervisors: Vec::new(),
            }),
        }
    }
}

impl Part {
    fn migrate(self) -> domain::Part {
        domain::Part {
            city: self.city,
            unit: self.unit,
            deadline: self.deadline,
            status: self.status,
            progress: self.progress,
            answer: self.answer,
            co_units: Vec::new(),
            category: None,
            return_reason: String::new(),
        }
    }
}
