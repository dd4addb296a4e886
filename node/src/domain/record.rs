//! The state of one record during the fold: the checks every kind shares (creation,
//! record id, kind, participants, signature-independent permission checks) and the dispatch
//! to the kind's state machine.

use lianluo_proto::{change::Kind as K, RecordKind};
use serde::{Deserialize, Serialize};

use super::activity::Activity;
use super::dates::BusinessDates;
use super::dispute::Dispute;
use super::project::Project;
use super::station::Station;
use super::suggestion::Suggestion;
use super::view::{local_date, ymd, ymd_year};
use super::{
    is_creation, kind_name, kind_of, kind_str, limits, record_origin, validate_change,
    validate_city, FoldEvent,
};

/// A kind's status enum: a stable lowercase snake_case name.
pub(crate) trait Status: Copy + PartialEq {
    /// The status name as it appears in the read model, e.g. `in_progress`.
    fn as_str(self) -> &'static str;
}

/// Refuses an act unless the current status is one of `allowed`:
/// "cannot close: suggestion is `answered`, must be `rated`".
pub(super) fn require<S: Status>(
    verb: &str,
    kind: &str,
    cur: S,
    allowed: &[S],
) -> Result<(), String> {
    if allowed.contains(&cur) {
        return Ok(());
    }
    let names: Vec<String> = allowed
        .iter()
        .map(|s| format!("`{}`", s.as_str()))
        .collect();
    let list = match names.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        Some((last, _)) => last.clone(),
        None => "nothing".to_owned(),
    };
    Err(format!(
        "cannot {verb}: {kind} is `{}`, must be {list}",
        cur.as_str()
    ))
}

/// Who acts on the record, and the record's membership, for one event.
pub(super) struct Ctx<'a> {
    /// The author city of the event (a participant).
    pub author: &'a str,
    /// The record's origin city.
    pub origin: &'a str,
    /// All participant cities, origin first.
    pub participants: &'a [String],
}

impl Ctx<'_> {
    /// Refuses unless the author is the origin: "only the origin city hezhou may rate".
    pub fn origin_only(&self, verb: &str) -> Result<(), String> {
        if self.author == self.origin {
            Ok(())
        } else {
            Err(format!("only the origin city {} may {verb}", self.origin))
        }
    }
}

/// The kind-specific part of a record's state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) enum KindState {
    Station(Station),
    Suggestion(Suggestion),
    Dispute(Dispute),
    Activity(Activity),
    Project(Project),
}

impl KindState {
    /// The state and title a creation change starts; `None` for a non-creation change.
    /// `opened_year` is the year of the record's business date (or of the day it was
    /// entered): a suggestion's congress year when it gives none.
    fn create(change: &K, opened_year: i32) -> Option<(KindState, String)> {
        Some(match change {
            K::StationRegistered(c) => (KindState::Station(Station::create(c)), c.name.clone()),
            K::SuggestionSubmitted(c) => {
                let year = u32::try_from(opened_year).unwrap_or_default();
                (
                    KindState::Suggestion(Suggestion::create(c, year)),
                    c.title.clone(),
                )
            }
            K::DisputeReported(c) => (KindState::Dispute(Dispute::create(c)), c.title.clone()),
            K::ActivityPlanned(c) => (KindState::Activity(Activity::create(c)), c.title.clone()),
            K::ProjectProposed(c) => (KindState::Project(Project::create(c)), c.title.clone()),
            _ => return None,
        })
    }

    fn apply(&mut self, ctx: &Ctx<'_>, change: &K) -> Result<(), String> {
        match self {
            KindState::Station(s) => s.apply(ctx, change),
            KindState::Suggestion(s) => s.apply(ctx, change),
            KindState::Dispute(s) => s.apply(ctx, change),
            KindState::Activity(s) => s.apply(ctx, change),
            KindState::Project(s) => s.apply(ctx, change),
        }
    }

    /// The current status name.
    pub fn status(&self) -> &'static str {
        match self {
            KindState::Station(s) => s.status.as_str(),
            KindState::Suggestion(s) => s.status.as_str(),
            KindState::Dispute(s) => s.status.as_str(),
            KindState::Activity(s) => s.status.as_str(),
            KindState::Project(s) => s.status.as_str(),
        }
    }

    /// The record kind.
    pub fn kind(&self) -> RecordKind {
        match self {
            KindState::Station(_) => RecordKind::Station,
            KindState::Suggestion(_) => RecordKind::Suggestion,
            KindState::Dispute(_) => RecordKind::Dispute,
            KindState::Activity(_) => RecordKind::Activity,
            KindState::Project(_) => RecordKind::Project,
        }
    }

    /// True in a final status (no participant may be added).
    fn is_final(&self) -> bool {
        match self {
            KindState::Station(s) => s.is_final(),
            KindState::Suggestion(s) => s.is_final(),
            KindState::Dispute(s) => s.is_final(),
            KindState::Activity(s) => s.is_final(),
            KindState::Project(s) => s.is_final(),
        }
    }
}

/// One record's state: what the fold computes from its events, and what the store keeps
/// per record (so a new event is applied to it without reading the history again).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordState {
    pub(crate) id: String,
    pub(crate) origin: String,
    /// All participant cities, origin first, in the order they joined.
    pub(crate) participants: Vec<String>,
    /// How many of `participants` the creation named (the rest were added later).
    pub(crate) founders: u32,
    /// Number of applied events.
    pub(crate) version: u64,
    pub(crate) title: String,
    pub(crate) created_ms: u64,
    /// Latest author time among applied events ([`super::view::shown_ms`]).
    pub(crate) updated_ms: u64,
    pub(crate) body: KindState,
    /// The business dates the events gave.
    pub(crate) dates: BusinessDates,
}

fn wall_ms(ev: &FoldEvent) -> u64 {
    super::view::shown_ms(&ev.body)
}

fn kind_label(kind: i32) -> &'static str {
    RecordKind::try_from(kind).map_or("unspecified", kind_str)
}

impl RecordState {
    /// Starts a record from its creation event, or says why the event cannot create it.
    pub fn create(ev: &FoldEvent) -> Result<RecordState, String> {
        let b = &ev.body;
        let msg = b.change.as_ref().filter(|c| is_creation(c));
        let (Some(msg), Some(change)) = (msg, msg.and_then(|c| c.kind.as_ref())) else {
            return Err(
                "record not created yet: the first event must be station_registered, \
                 suggestion_submitted, dispute_reported, activity_planned or project_proposed"
                    .to_owned(),
            );
        };
        if !b.parents.is_empty() {
            return Err("a creation event must have no parents".to_owned());
        }
        validate_change(msg, true).map_err(|e| format!("invalid change: {e}"))?;
        let kind = kind_of(change);
        if b.kind != kind as i32 {
            return Err(format!(
                "kind is `{}` but the change is {}",
                kind_label(b.kind),
                kind_name(change)
            ));
        }
        let origin = record_origin(&b.record_id).ok_or_else(|| {
            format!(
                "record id `{}` is not <city>-<ULID>",
                b.record_id.escape_debug()
            )
        })?;
        if b.author_city != origin {
            return Err(format!(
                "author city {} is not the origin city {origin} of the record",
                b.author_city.escape_debug()
            ));
        }
        check_participants(origin, &b.participants)?;
        let dates = BusinessDates::create(change);
        let entered = ymd_year(&dates.opened_on).unwrap_or_else(|| local_date(wall_ms(ev)).year());
        let (body, title) = KindState::create(change, entered)
            .ok_or_else(|| "record not created yet: not a creation change".to_owned())?;
        Ok(RecordState {
            id: b.record_id.clone(),
            origin: origin.to_owned(),
            participants: b.participants.clone(),
            founders: u32::try_from(b.participants.len()).unwrap_or(u32::MAX),
            version: 1,
            title,
            created_ms: wall_ms(ev),
            updated_ms: wall_ms(ev),
            body,
            dates,
        })
    }

    /// Applies a non-creation event, or says why it is not allowed here (state unchanged).
    pub fn apply(&mut self, ev: &FoldEvent) -> Result<(), String> {
        let k = self.check(ev)?;
        let author = &ev.body.author_city;
        if let K::ParticipantAdded(p) = k {
            self.add_participant(author, &p.city)?;
        } else {
            self.dates.check(|| self.opened_on(), author, k)?;
            let ctx = Ctx {
                author,
                origin: &self.origin,
                participants: &self.participants,
            };
            self.body.apply(&ctx, k)?;
            self.dates.record(author, k);
        }
        self.version += 1;
        self.updated_ms = self.updated_ms.max(wall_ms(ev));
        Ok(())
    }

    /// The checks every non-creation event passes before its kind's state machine sees it:
    /// same record, same kind, a valid non-creation change, authored by a participant.
    fn check<'e>(&self, ev: &'e FoldEvent) -> Result<&'e K, String> {
        let b = &ev.body;
        if b.record_id != self.id {
            let id = b.record_id.escape_debug();
            return Err(format!("event is for record {id}, not {}", self.id));
        }
        let Some((change, k)) = b.change.as_ref().and_then(|c| Some((c, c.kind.as_ref()?))) else {
            return Err("change is missing".to_owned());
        };
        if is_creation(change) {
            return Err("record already created".to_owned());
        }
        let kind = self.kind();
        let kind_s = article(kind_str(kind));
        if b.kind != kind as i32 {
            let label = kind_label(b.kind);
            return Err(format!("kind is `{label}`, but the record is {kind_s}"));
        }
        let ck = kind_of(k);
        if ck != RecordKind::Unspecified && ck != kind {
            return Err(format!("{} does not apply to {kind_s}", kind_name(k)));
        }
        validate_change(change, false).map_err(|e| format!("invalid change: {e}"))?;
        if !self.participants.contains(&b.author_city) {
            let city = b.author_city.escape_debug();
            return Err(format!("{city} is not a participant"));
        }
        Ok(k)
    }

    /// The record kind.
    pub fn kind(&self) -> RecordKind {
        self.body.kind()
    }

    /// The record id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The origin city.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// Participant cities, origin first.
    pub fn participants(&self) -> &[String] {
        &self.participants
    }

    /// Whether `city` was named by the creation (not added later).
    pub fn founded_with(&self, city: &str) -> bool {
        let n = usize::try_from(self.founders).unwrap_or(usize::MAX);
        self.participants.iter().take(n).any(|p| p == city)
    }

    /// The current status name, e.g. `in_progress`.
    pub fn status_str(&self) -> &'static str {
        self.body.status()
    }

    /// The day the record opened (`YYYY-MM-DD`): the station's 设立日期, the suggestion's
    /// or project's 提出日期 or the dispute's 受理日期 its creation gave, else the day it was entered
    /// (UTC+8). Figures count stations and disputes in its year.
    pub fn opened_on(&self) -> String {
        if self.dates.opened_on.is_empty() {
            ymd(local_date(self.created_ms))
        } else {
            self.dates.opened_on.clone()
        }
    }

    /// A resolved dispute's 化解日期: the one its resolution gave, else the day of its last
    /// applied event (the resolution: nothing applies after it). `None` unless resolved.
    pub fn resolved_on(&self) -> Option<String> {
        let KindState::Dispute(d) = &self.body else {
            return None;
        };
        if d.status != super::DisputeStatus::Resolved {
            return None;
        }
        Some(if self.dates.resolved_on.is_empty() {
            ymd(local_date(self.updated_ms))
        } else {
            self.dates.resolved_on.clone()
        })
    }

    /// The business dates the events gave.
    pub(crate) fn dates(&self) -> &BusinessDates {
        &self.dates
    }

    fn add_participant(&mut self, author: &str, city: &str) -> Result<(), String> {
        if author != self.origin {
            return Err(format!(
                "only the origin city {} may add participants",
                self.origin
            ));
        }
        if self.body.is_final() {
            return Err(format!(
                "cannot add a participant: {} is `{}`",
                kind_str(self.kind()),
                self.body.status()
            ));
        }
        if let KindState::Dispute(d) = &self.body {
            d.participant_allowed()?;
        }
        if self.participants.iter().any(|p| p == city) {
            return Err(format!("{city} is already a participant"));
        }
        if self.participants.len() >= limits::LIST_MAX_ITEMS {
            return Err(format!(
                "cannot add a participant: the record already has {} (the limit)",
                limits::LIST_MAX_ITEMS
            ));
        }
        self.participants.push(city.to_owned());
        if let KindState::Suggestion(s) = &mut self.body {
            s.participant_added(&self.participants);
        }
        Ok(())
    }
}

/// Participants of a creation: origin first, valid distinct city ids, within the limit.
fn check_participants(origin: &str, participants: &[String]) -> Result<(), String> {
    if participants.first().map(String::as_str) != Some(origin) {
        return Err(format!(
            "participants must start with the origin city {origin}"
        ));
    }
    if participants.len() > limits::LIST_MAX_ITEMS {
        return Err(format!(
            "{} participants, at most {} are allowed",
            participants.len(),
            limits::LIST_MAX_ITEMS
        ));
    }
    for (i, p) in participants.iter().enumerate() {
        validate_city(p).map_err(|e| format!("participants[{i}]: {e}"))?;
        if participants[..i].contains(p) {
            return Err(format!("participant {p} appears more than once"));
        }
    }
    Ok(())
}

/// "a station", "an activity".
pub(crate) fn article(kind: &str) -> String {
    if kind.starts_with('a') {
        format!("an {kind}")
    } else {
        format!("a {kind}")
    }
}
