//! Records, state machines and the deterministic fold (DESIGN §1 and §4).
//!
//! A record is the projection of its events. [`fold`] orders one record's events as a DAG
//! (parents first, then by hybrid logical clock and event id), checks every event against
//! the record's state machine and renders the read model [`lianluo_proto::Record`]. Events
//! that are not allowed at their place are kept in the history, marked rejected with a
//! reason, and change nothing. The same input in any order gives the same result, so every
//! node that holds a record's events computes the same record.
//!
//! [`validate_change`] checks the fields of a change (lengths, dates, enums, city ids) before
//! the service signs it; the fold runs the same checks on every event it receives.
//!
//! Pure Rust: no I/O, no async, no clock (the caller passes "today" where it matters).

mod activity;
mod dates;
mod dispute;
mod fold;
mod ids;
mod project;
mod record;
mod station;
mod suggestion;
mod validate;
mod view;

#[cfg(test)]
pub(crate) mod tests;

use std::collections::BTreeMap;

use lianluo_proto::{change, Change, EventBody, RecordKind};

pub use fold::fold;
pub use ids::{EventId, RecordId};
pub use record::RecordState;
pub use validate::{check_business_dates, validate_change, validate_new_change, ValidationError};
pub use view::{
    history_entry, local_date, refresh_overdue, render, rfc3339, rfc3339_local_date, ymd, ymd_year,
};

pub(crate) use activity::{Activity, ActivityStatus, Attendee, Kind as StoredActivityKind};
#[cfg(test)]
pub(crate) use dates::dates_for_test;
pub(crate) use dates::BusinessDates;
pub(crate) use dispute::{Dispute, DisputeStatus};
pub(crate) use project::Project;
pub(crate) use record::{article, KindState, Status};
pub(crate) use station::{Station, StationStatus};
#[cfg(test)]
pub(crate) use suggestion::{Category, ProposerRating, Supervisor};
pub(crate) use suggestion::{Grade, Part, PartStatus, Suggestion, SuggestionStatus};

/// Field limits enforced by [`validate_change`] (and therefore by the fold).
///
/// Lengths count Unicode scalar values (`char`s), never bytes, so a 200-character Chinese
/// title is accepted exactly as a 200-character Latin one.
/// Every status of every kind, as the views name them and the README documents them
/// (the status enums of the kind modules); list filters are checked against it.
pub const STATUSES: [(&str, &[&str]); 5] = [
    ("station", &["active", "closed"]),
    (
        "suggestion",
        &[
            "submitted",
            "dispatched",
            "in_progress",
            "answered",
            "rated",
            "reopened",
            "carried_over",
            "closed",
        ],
    ),
    (
        "dispute",
        &[
            "reported",
            "mediating",
            "agreed",
            "in_force",
            "checked",
            "resolved",
            "failed",
            "escalated",
            "withdrawn",
        ],
    ),
    ("activity", &["planned", "held", "cancelled"]),
    ("project", &["proposed", "under_construction", "completed"]),
];

pub mod limits {
    /// Titles and names (station name, suggestion / dispute / activity title): required,
    /// not blank after trimming, at most this many characters.
    pub const TITLE_MAX_CHARS: usize = 200;
    /// Long text (body, description, answer, report, terms, summary, note, reason,
    /// comment): at most this many characters.
    pub const TEXT_MAX_CHARS: usize = 10_000;
    /// Short fields (unit, place, township, county, location, address, escalation target,
    /// station id, names of parties, attendees, proposers and deputies).
    pub const SHORT_MAX_CHARS: usize = 200;
    /// Lists (proposers, parties, attendees, deputies, a record's participants).
    pub const LIST_MAX_ITEMS: usize = 100;
    /// Earliest congress year accepted (suggestion year, carry-over year).
    pub const YEAR_MIN: u32 = 2000;
    /// Latest congress year accepted.
    pub const YEAR_MAX: u32 = 2100;
    /// Largest count of opinions collected or problems solved in one activity report, and
    /// of the villages a project benefits.
    pub const COUNT_MAX: u32 = 100_000;
    /// Most public opinions one reception keeps in its record.
    pub const OPINIONS_MAX: usize = 500;
    /// A public opinion's content, answer and feedback: at most this many characters (a
    /// reception keeps up to [`OPINIONS_MAX`] opinions in its record).
    pub const OPINION_TEXT_MAX_CHARS: usize = 1_000;
    /// Largest count of people a project benefits.
    pub const PEOPLE_MAX: u32 = 10_000_000;
    /// Length of a city id (`^[a-z][a-z0-9-]{1,31}$`): at least 2, at most 32 characters.
    pub const CITY_MAX_CHARS: usize = 32;
}

/// One event of a record as the fold sees it: its id (hex SHA-256 of the body bytes), the
/// decoded body, and whether its signature was checked against a known signer certificate
/// of the author city.
#[derive(Debug, Clone, PartialEq)]
pub struct FoldEvent {
    /// Lowercase hex SHA-256 of the encoded body.
    pub id: String,
    /// The decoded event body.
    pub body: EventBody,
    /// True when the signature was verified; unverified events are always rejected.
    pub verified: bool,
}

/// The result of folding one record's events.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Folded {
    /// The record, or `None` when no valid creation event was found.
    pub record: Option<lianluo_proto::Record>,
    /// Event id → reason, for every event that was not applied.
    pub rejected: BTreeMap<String, String>,
    /// DAG heads: sorted ids of the events that are no event's parent (rejected ones count).
    pub heads: Vec<String>,
    /// The record's state (what `record` renders), `None` without a valid creation.
    pub state: Option<RecordState>,
    /// Every event in fold order (the order of the history), applied or rejected.
    pub steps: Vec<Step>,
}

/// One event's place in a record's history: applied, or rejected with the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// Lowercase hex event id.
    pub id: String,
    /// Why the event was not applied (`None`: applied).
    pub rejected: Option<String>,
}

/// Checks a city id: `^[a-z][a-z0-9-]{1,31}$` (e.g. `hezhou`, `qingyuan`, `yongzhou`).
///
/// The error says what is wrong, e.g. "`HeZhou` is not a valid city id (use 2–32
/// characters a-z, 0-9 and -, starting with a letter)".
pub fn validate_city(s: &str) -> Result<(), String> {
    let mut chars = s.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_lowercase());
    let rest_ok = chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    let len = s.chars().count();
    if first_ok && rest_ok && (2..=limits::CITY_MAX_CHARS).contains(&len) {
        Ok(())
    } else {
        Err(format!(
            "`{}` is not a valid city id (use 2–32 characters a-z, 0-9 and -, starting with a letter)",
            s.escape_debug()
        ))
    }
}

/// The origin city of a record id `<city>-<ULID>`, or `None` when `id` is not of that form.
pub fn record_origin(id: &str) -> Option<&str> {
    let (city, ulid) = id.rsplit_once('-')?;
    validate_city(city).ok()?;
    ulid::Ulid::from_string(ulid).ok()?;
    Some(city)
}

/// The lowercase name of a record kind: `station`, `suggestion`, `dispute`, `activity`,
/// `project` (`unspecified` for [`RecordKind::Unspecified`]).
pub fn kind_str(kind: RecordKind) -> &'static str {
    match kind {
        RecordKind::Unspecified => "unspecified",
        RecordKind::Station => "station",
        RecordKind::Suggestion => "suggestion",
        RecordKind::Dispute => "dispute",
        RecordKind::Activity => "activity",
        RecordKind::Project => "project",
    }
}

/// Parses a lowercase record kind name (the inverse of [`kind_str`]); `None` when unknown.
pub fn parse_kind(s: &str) -> Option<RecordKind> {
    match s {
        "station" => Some(RecordKind::Station),
        "suggestion" => Some(RecordKind::Suggestion),
        "dispute" => Some(RecordKind::Dispute),
        "activity" => Some(RecordKind::Activity),
        "project" => Some(RecordKind::Project),
        _ => None,
    }
}

/// The snake_case name of a change, e.g. `suggestion_submitted`, `dispute_confirmed`
/// (`none` when the change has no variant set).
pub fn change_type(change: &Change) -> &'static str {
    change.kind.as_ref().map_or("none", kind_name)
}

/// The snake_case name of a change variant.
pub(crate) fn kind_name(kind: &change::Kind) -> &'static str {
    use change::Kind as K;
    match kind {
        K::ParticipantAdded(_) => "participant_added",
        K::StationRegistered(_) => "station_registered",
        K::StationClosed(_) => "station_closed",
        K::SuggestionSubmitted(_) => "suggestion_submitted",
        K::SuggestionDispatched(_) => "suggestion_dispatched",
        K::SuggestionProgress(_) => "suggestion_progress",
        K::SuggestionAnswered(_) => "suggestion_answered",
        K::SuggestionRated(_) => "suggestion_rated",
        K::SuggestionReopened(_) => "suggestion_reopened",
        K::SuggestionCarriedOver(_) => "suggestion_carried_over",
        K::SuggestionClosed(_) => "suggestion_closed",
        K::SuggestionExtended(_) => "suggestion_extended",
        K::SuggestionAccepted(_) => "suggestion_accepted",
        K::SuggestionReturned(_) => "suggestion_returned",
        K::SuggestionRedispatched(_) => "suggestion_redispatched",
        K::SuggestionPrioritized(_) => "suggestion_prioritized",
        K::SuggestionProposerRated(_) => "suggestion_proposer_rated",
        K::DisputeReported(_) => "dispute_reported",
        K::DisputeSession(_) => "dispute_session",
        K::DisputeAgreed(_) => "dispute_agreed",
        K::DisputeConfirmed(_) => "dispute_confirmed",
        K::DisputeChecked(_) => "dispute_checked",
        K::DisputeResolved(_) => "dispute_resolved",
        K::DisputeFailed(_) => "dispute_failed",
        K::DisputeEscalated(_) => "dispute_escalated",
        K::DisputeWithdrawn(_) => "dispute_withdrawn",
        K::ActivityPlanned(_) => "activity_planned",
        K::ActivityReported(_) => "activity_reported",
        K::ActivityCancelled(_) => "activity_cancelled",
        K::ActivityOpinionReceived(_) => "activity_opinion_received",
        K::ActivityOpinionAnswered(_) => "activity_opinion_answered",
        K::ActivityOpinionReferred(_) => "activity_opinion_referred",
        K::ActivityOpinionFeedback(_) => "activity_opinion_feedback",
        K::ProjectProposed(_) => "project_proposed",
        K::ProjectStarted(_) => "project_started",
        K::ProjectCompleted(_) => "project_completed",
        K::ProjectLinked(_) => "project_linked",
    }
}

/// The record kind a change belongs to; `Unspecified` for `participant_added` (any kind).
pub(crate) fn kind_of(kind: &change::Kind) -> RecordKind {
    use change::Kind as K;
    match kind {
        K::ParticipantAdded(_) => RecordKind::Unspecified,
        K::StationRegistered(_) | K::StationClosed(_) => RecordKind::Station,
        K::SuggestionSubmitted(_)
        | K::SuggestionDispatched(_)
        | K::SuggestionProgress(_)
        | K::SuggestionAnswered(_)
        | K::SuggestionRated(_)
        | K::SuggestionReopened(_)
        | K::SuggestionCarriedOver(_)
        | K::SuggestionClosed(_)
        | K::SuggestionExtended(_)
        | K::SuggestionAccepted(_)
        | K::SuggestionReturned(_)
        | K::SuggestionRedispatched(_)
        | K::SuggestionPrioritized(_)
        | K::SuggestionProposerRated(_) => RecordKind::Suggestion,
        K::DisputeReported(_)
        | K::DisputeSession(_)
        | K::DisputeAgreed(_)
        | K::DisputeConfirmed(_)
        | K::DisputeChecked(_)
        | K::DisputeResolved(_)
        | K::DisputeFailed(_)
        | K::DisputeEscalated(_)
        | K::DisputeWithdrawn(_) => RecordKind::Dispute,
        K::ActivityPlanned(_)
        | K::ActivityReported(_)
        | K::ActivityCancelled(_)
        | K::ActivityOpinionReceived(_)
        | K::ActivityOpinionAnswered(_)
        | K::ActivityOpinionReferred(_)
        | K::ActivityOpinionFeedback(_) => RecordKind::Activity,
        K::ProjectProposed(_)
        | K::ProjectStarted(_)
        | K::ProjectCompleted(_)
        | K::ProjectLinked(_) => RecordKind::Project,
    }
}

/// True for the five creation variants (`station_registered`, `suggestion_submitted`,
/// `dispute_reported`, `activity_planned`, `project_proposed`).
pub fn is_creation(change: &Change) -> bool {
    use change::Kind as K;
    matches!(
        change.kind,
        Some(
            K::StationRegistered(_)
                | K::SuggestionSubmitted(_)
                | K::DisputeReported(_)
                | K::ActivityPlanned(_)
                | K::ProjectProposed(_)
        )
    )
}
