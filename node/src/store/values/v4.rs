//! Version 4 of the record entry, frozen as the builds with suggestion handling (and, from
//! the builds with projects on, a project kind) wrote it, before public opinions at
//! receptions; version 5 is the current [`crate::store::RecordEntry`].
//!
//! It names the live station, suggestion, dispute and project states, which have not
//! changed since: changing one of them in place would change this frozen form too, so
//! freeze it here first. The activity is frozen here, as versions 2 to 4 kept it.

use serde::{Deserialize, Serialize};

use super::{v3, Migrate};
use crate::domain::{
    self, ActivityStatus, Attendee, BusinessDates, Dispute, Project, Station, StoredActivityKind,
    Suggestion,
};
use crate::store::{Head, HistoryStep};

/// The record entry of version 4.
#[derive(Debug, Serialize, Deserialize)]
pub struct RecordEntry {
    pub(crate) state: Option<RecordState>,
    pub(crate) heads: Vec<Head>,
    pub(crate) steps: u32,
    pub(crate) tail: Vec<HistoryStep>,
}

/// The record state of version 4.
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

/// The kind states of version 4 (the project came last, appended).
#[derive(Debug, Serialize, Deserialize)]
pub enum KindState {
    Station(Station),
    Suggestion(Suggestion),
    Dispute(Dispute),
    Activity(Activity),
    Project(Project),
}

/// An activity without public opinions, as versions 2 to 4 kept it.
#[derive(Debug, Serialize, Deserialize)]
pub struct Activity {
    pub(crate) status: ActivityStatus,
    pub(crate) kind: StoredActivityKind,
    pub(crate) station_id: String,
    pub(crate) date: String,
    pub(crate) place: String,
    pub(crate) description: String,
    pub(crate) held_on: String,
    pub(crate) deputies: Vec<Attendee>,
    pub(crate) opinions_collected: u32,
    pub(crate) problems_solved: u32,
    pub(crate) report: String,
    pub(crate) cancel_reason: String,
}

impl KindState {
    /// The state this build keeps: the events of a version-4 state registered no public
    /// opinion (the change did not exist), so it is the state they fold to.
    fn migrate(self) -> domain::KindState {
        match self {
            KindState::Station(s) => domain::KindState::Station(s),
            KindState::Suggestion(s) => domain::KindState::Suggestion(s),
            KindState::Dispute(s) => domain::KindState::Dispute(s),
            KindState::Project(s) => domain::KindState::Project(s),
            KindState::Activity(a) => domain::KindState::Activity(domain::Activity {
                status: a.status,
                kind: a.kind,
                station_id: a.station_id,
                date: a.date,
                place: a.place,
                description: a.description,
                held_on: a.held_on,
                deputies: a.deputies,
                opinions_collected: a.opinions_collected,
                problems_solved: a.problems_solved,
                report: a.report,
                cancel_reason: a.cancel_reason,
                opinions: Vec::new(),
            }),
        }
    }
}

/// Version 4 keeps how offices handle a suggestion.
impl Migrate for RecordEntry {
    const VERSION_MARKER: &'static [u8] = b"\x00LLr4";
    type Previous = v3::RecordEntry;
    fn migrate(old: v3::RecordEntry) -> Self {
        RecordEntry {
            state: old.state.map(|s| RecordState {
                id: s.id,
                origin: s.origin,
                participants: s.participants,
                founders: s.founders,
                version: s.version,
                title: s.title,
                created_ms: s.created_ms,
                updated_ms: s.updated_ms,
                body: s.body.migrate(),
                dates: s.dates,
            }),
            heads: old.heads,
            steps: old.steps,
            tail: old.tail,
        }
    }
}

/// Version 5 keeps the public opinions of a reception.
impl Migrate for crate::store::RecordEntry {
    const VERSION_MARKER: &'static [u8] = b"\x00LLr5";
    type Previous = RecordEntry;
    fn migrate(old: RecordEntry) -> Self {
        crate::store::RecordEntry {
            state: old.state.map(|s| domain::RecordState {
                id: s.id,
                origin: s.origin,
                participants: s.participants,
                founders: s.founders,
                version: s.version,
                title: s.title,
                created_ms: s.created_ms,
                updated_ms: s.updated_ms,
                body: s.body.migrate(),
                dates: s.dates,
            }),
            heads: old.heads,
            steps: old.steps,
            tail: old.tail,
        }
    }
}
