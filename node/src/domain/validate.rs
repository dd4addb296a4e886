//! Field validation of a change: lengths (in characters), required fields, dates, years,
//! enums, city ids and control characters. The API maps a [`ValidationError`] to
//! INVALID_ARGUMENT; the fold rejects events whose change fails these checks.

use lianluo_proto::{change::Kind as K, ActivityKind, Change, RecordKind};
use time::macros::format_description;

use super::limits::{
    COUNT_MAX, LIST_MAX_ITEMS, OPINION_TEXT_MAX_CHARS, SHORT_MAX_CHARS, TEXT_MAX_CHARS,
    TITLE_MAX_CHARS, YEAR_MAX, YEAR_MIN,
};
use super::{kind_name, kind_of, record_origin, validate_city};

mod project;
mod suggestion;

/// A field of a change that is not acceptable. Display: `<field>: <reason>`, where the field
/// is the proto field path, e.g. `activity_reported.deputies[2].city`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct ValidationError {
    /// Proto field path, e.g. `suggestion_submitted.title`.
    pub field: String,
    /// What is wrong and what to do, lowercase.
    pub reason: String,
}

type Result<T = ()> = std::result::Result<T, ValidationError>;

fn err(field: impl Into<String>, reason: impl Into<String>) -> ValidationError {
    ValidationError {
        field: field.into(),
        reason: reason.into(),
    }
}

/// Validates a change's fields and returns the record kind it belongs to
/// ([`RecordKind::Unspecified`] for `participant_added`, which applies to any kind).
///
/// `creating = true` requires a creation variant (`station_registered`,
/// `suggestion_submitted`, `dispute_reported`, `activity_planned`, `project_proposed`); `false` forbids one.
pub fn validate_change(change: &Change, creating: bool) -> Result<RecordKind> {
    validate(change, creating, false)
}

/// [`validate_change`] plus the rules for text a client sends now: a required field must
/// show something (not only invisible characters such as zero-width spaces), and no text
/// may carry bidirectional override or isolate controls (they make text display other
/// than it reads). Not part of the fold: events signed before these rules keep folding
/// as they did at every node.
pub fn validate_new_change(change: &Change, creating: bool) -> Result<RecordKind> {
    validate(change, creating, true)
}

/// Refuses a business date after `today` (UTC+8) in a change a client sends now: a 设立,
/// 提出, 交办, 答复, 受理, 化解, 开工 or 建成 date is when something happened. Not part of the fold (an
/// event's validity never depends on the reader's clock).
pub fn check_business_dates(change: &Change, today: time::Date) -> Result {
    let Some(kind) = &change.kind else {
        return Ok(());
    };
    let (field, day) = match kind {
        K::StationRegistered(c) => ("founded_on", &c.founded_on),
        K::SuggestionSubmitted(c) => ("submitted_on", &c.submitted_on),
        K::SuggestionDispatched(c) => ("dispatched_on", &c.dispatched_on),
        K::SuggestionAnswered(c) => ("answered_on", &c.answered_on),
        K::DisputeReported(c) => ("reported_on", &c.reported_on),
        K::DisputeResolved(c) => ("resolved_on", &c.resolved_on),
        K::ProjectProposed(c) => ("proposed_on", &c.proposed_on),
        K::ProjectStarted(c) => ("started_on", &c.started_on),
        K::ProjectCompleted(c) => ("completed_on", &c.completed_on),
        _ => return Ok(()),
    };
    let today = super::view::ymd(today);
    if !day.is_empty() && *day > today {
        return Err(err(
            format!("{}.{field}", kind_name(kind)),
            format!("{day} is after today ({today}, Beijing time); give the date it happened"),
        ));
    }
    Ok(())
}

fn validate(change: &Change, creating: bool, strict: bool) -> Result<RecordKind> {
    let Some(kind) = &change.kind else {
        return Err(err("change", "is required (set one change variant)"));
    };
    let name = kind_name(kind);
    let creation = super::is_creation(change);
    if creating && !creation {
        return Err(err("change", format!("{name} is not a creation; use Act")));
    }
    if !creating && creation {
        return Err(err(
            "change",
            format!("{name} creates a record; use Create"),
        ));
    }
    let f = Fields {
        prefix: name,
        strict,
    };
    match kind {
        K::ParticipantAdded(c) => f.city("city", &c.city)?,
        K::StationRegistered(c) => {
            f.title("name", &c.name)?;
            f.short("township", &c.township, false)?;
            f.short("county", &c.county, false)?;
            f.short("address", &c.address, false)?;
            f.text("note", &c.note, false)?;
            f.optional_date("founded_on", &c.founded_on)?;
        }
        K::StationClosed(c) => f.text("reason", &c.reason, false)?,
        _ if kind_of(kind) == RecordKind::Suggestion => suggestion::validate(&f, kind)?,
        _ if kind_of(kind) == RecordKind::Project => project::validate(&f, kind)?,
        _ => validate_dispute_or_activity(&f, kind)?,
    }
    Ok(kind_of(kind))
}

fn validate_dispute_or_activity(f: &Fields, kind: &K) -> Result {
    match kind {
        K::DisputeReported(c) => {
            f.title("title", &c.title)?;
            f.text("description", &c.description, true)?;
            f.short("location", &c.location, false)?;
            f.names("parties", &c.parties)?;
            if !c.area_mu.is_finite() || c.area_mu < 0.0 {
                return Err(f.err("area_mu", "must be a finite number >= 0 (0 if unknown)"));
            }
            f.station_id(&c.station_id)?;
            f.optional_date("reported_on", &c.reported_on)?;
        }
        K::DisputeSession(c) => {
            f.date("date", &c.date)?;
            f.short("place", &c.place, false)?;
            f.names("attendees", &c.attendees)?;
            f.text("summary", &c.summary, false)?;
        }
        K::DisputeAgreed(c) => f.text("terms", &c.terms, true)?,
        K::DisputeConfirmed(c) => f.text("note", &c.note, false)?,
        K::DisputeChecked(c) => {
            f.date("date", &c.date)?;
            f.text("note", &c.note, false)?;
        }
        K::DisputeResolved(c) => {
            f.text("note", &c.note, false)?;
            f.optional_date("resolved_on", &c.resolved_on)?;
        }
        K::DisputeFailed(c) => f.text("reason", &c.reason, false)?,
        K::DisputeEscalated(c) => {
            f.short("to", &c.to, true)?;
            f.text("reason", &c.reason, false)?;
        }
        K::DisputeWithdrawn(c) => f.text("reason", &c.reason, false)?,
        K::ActivityPlanned(c) => {
            f.title("title", &c.title)?;
            match ActivityKind::try_from(c.activity_kind) {
                Ok(ActivityKind::Unspecified) | Err(_) => return Err(f.err(
                    "activity_kind",
                    "must be specified (joint_inspection, joint_research, constituent_reception, joint_training or other)",
                )),
                Ok(_) => {}
            }
            f.station_id(&c.station_id)?;
            f.date("date", &c.date)?;
            f.short("place", &c.place, false)?;
            f.text("description", &c.description, false)?;
        }
        K::ActivityReported(c) => validate_activity_reported(f, c)?,
        K::ActivityCancelled(c) => f.text("reason", &c.reason, false)?,
        K::ActivityOpinionReceived(c) => {
            f.short("person", &c.person, true)?;
            f.check("content", &c.content, OPINION_TEXT_MAX_CHARS, true)?;
            f.short("place", &c.place, false)?;
        }
        K::ActivityOpinionAnswered(c) => {
            f.number("opinion", c.opinion)?;
            f.check("answer", &c.answer, OPINION_TEXT_MAX_CHARS, true)?;
        }
        K::ActivityOpinionReferred(c) => {
            f.number("opinion", c.opinion)?;
            f.short("unit", &c.unit, true)?;
        }
        K::ActivityOpinionFeedback(c) => {
            f.number("opinion", c.opinion)?;
            f.check("feedback", &c.feedback, OPINION_TEXT_MAX_CHARS, true)?;
        }
        _ => {}
    }
    Ok(())
}

fn validate_activity_reported(f: &Fields, c: &lianluo_proto::ActivityReported) -> Result {
    f.date("held_on", &c.held_on)?;
    f.list_len("deputies", c.deputies.len())?;
    for (i, d) in c.deputies.iter().enumerate() {
        f.short(&format!("deputies[{i}].name"), &d.name, true)?;
        f.city(&format!("deputies[{i}].city"), &d.city)?;
    }
    f.count("opinions_collected", c.opinions_collected)?;
    f.count("problems_solved", c.problems_solved)?;
    f.text("report", &c.report, false)
}

/// Field checks under one change's path prefix.
struct Fields {
    prefix: &'static str,
    /// Apply the rules for new client text too ([`validate_new_change`]).
    strict: bool,
}

impl Fields {
    fn err(&self, name: &str, reason: impl Into<String>) -> ValidationError {
        err(format!("{}.{name}", self.prefix), reason)
    }

    /// Length (in chars), required-ness and control characters of a text field.
    fn check(&self, name: &str, s: &str, max: usize, required: bool) -> Result {
        if required && s.trim().is_empty() {
            return Err(self.err(name, "is required (must not be blank)"));
        }
        let len = s.chars().count();
        if len > max {
            return Err(self.err(
                name,
                format!("is {len} characters long, at most {max} are allowed"),
            ));
        }
        if let Some((pos, c)) = s
            .chars()
            .enumerate()
            .find(|(_, c)| c.is_control() && *c != '\n' && *c != '\t')
        {
            return Err(self.err(
                name,
                format!(
                    "contains control character U+{:04X} at character {pos}; remove it",
                    u32::from(c)
                ),
            ));
        }
        if self.strict {
            self.check_visible(name, s, required)?;
        }
        Ok(())
    }

    /// The rules for new client text (see [`validate_new_change`]).
    fn check_visible(&self, name: &str, s: &str, required: bool) -> Result {
        if let Some((pos, c)) = s.chars().enumerate().find(|(_, c)| is_bidi_control(*c)) {
            return Err(self.err(
                name,
                format!(
                    "contains bidirectional control U+{:04X} at character {pos}, which makes \
                     text display other than it reads; remove it",
                    u32::from(c)
                ),
            ));
        }
        if required && s.chars().all(|c| c.is_whitespace() || is_invisible(c)) {
            return Err(self.err(
                name,
                "is required but shows nothing (only spaces or invisible characters such \
                 as zero-width spaces); write it out",
            ));
        }
        Ok(())
    }

    fn title(&self, name: &str, s: &str) -> Result {
        self.check(name, s, TITLE_MAX_CHARS, true)
    }

    fn text(&self, name: &str, s: &str, required: bool) -> Result {
        self.check(name, s, TEXT_MAX_CHARS, required)
    }

    fn short(&self, name: &str, s: &str, required: bool) -> Result {
        self.check(name, s, SHORT_MAX_CHARS, required)
    }

    fn list_len(&self, name: &str, len: usize) -> Result {
        if len > LIST_MAX_ITEMS {
            return Err(self.err(
                name,
                format!("has {len} items, at most {LIST_MAX_ITEMS} are allowed"),
            ));
        }
        Ok(())
    }

    /// A list of names: at most [`LIST_MAX_ITEMS`], each a required short field.
    fn names(&self, name: &str, items: &[String]) -> Result {
        self.list_len(name, items.len())?;
        for (i, s) in items.iter().enumerate() {
            self.short(&format!("{name}[{i}]"), s, true)?;
        }
        Ok(())
    }

    /// 协办单位: a list of units, none blank, none repeated nor the 主办 `unit`.
    fn co_units(&self, unit: &str, items: &[String]) -> Result {
        self.names("co_units", items)?;
        for (i, s) in items.iter().enumerate() {
            if s == unit || items[..i].contains(s) {
                return Err(self.err(
                    &format!("co_units[{i}]"),
                    format!("{s} is already a handling unit of this part; name each unit once"),
                ));
            }
        }
        Ok(())
    }

    fn city(&self, name: &str, s: &str) -> Result {
        validate_city(s).map_err(|reason| self.err(name, reason))
    }

    /// A required `YYYY-MM-DD` calendar date.
    fn date(&self, name: &str, s: &str) -> Result {
        if s.is_empty() {
            return Err(self.err(name, "is required (use YYYY-MM-DD)"));
        }
        parse_date(s).map(|_| ()).ok_or_else(|| {
            self.err(
                name,
                format!("{} is not a valid date (use YYYY-MM-DD)", s.escape_debug()),
            )
        })
    }

    /// An optional `YYYY-MM-DD` business date (empty: not given) in the years a record
    /// may have.
    fn optional_date(&self, name: &str, s: &str) -> Result {
        if s.is_empty() {
            return Ok(());
        }
        self.date(name, s)?;
        let year = s.get(..4).and_then(|y| y.parse::<u32>().ok()).unwrap_or(0);
        self.year(name, year)
    }

    fn year(&self, name: &str, year: u32) -> Result {
        if !(YEAR_MIN..=YEAR_MAX).contains(&year) {
            return Err(self.err(
                name,
                format!("{year} is out of range (use a year from {YEAR_MIN} to {YEAR_MAX})"),
            ));
        }
        Ok(())
    }

    fn count(&self, name: &str, n: u32) -> Result {
        self.at_most(name, n, COUNT_MAX)
    }

    /// A count of at most `max`.
    fn at_most(&self, name: &str, n: u32, max: u32) -> Result {
        if n > max {
            return Err(self.err(name, format!("{n} is too large (at most {max})")));
        }
        Ok(())
    }

    /// A number of something counted from 1 (e.g. an opinion).
    fn number(&self, name: &str, n: u32) -> Result {
        if n == 0 {
            return Err(self.err(name, "is required: give its number (1, 2, …)"));
        }
        Ok(())
    }

    /// An optional station record id (`<city>-<ULID>`).
    fn station_id(&self, s: &str) -> Result {
        if s.is_empty() {
            return Ok(());
        }
        self.short("station_id", s, false)?;
        self.record_id("station_id", s)
    }

    /// A record id (`<city>-<ULID>`).
    fn record_id(&self, name: &str, s: &str) -> Result {
        if record_origin(s).is_none() {
            return Err(self.err(
                name,
                format!(
                    "{} is not a record id (use <city>-<ULID>, e.g. hezhou-01J…)",
                    s.escape_debug()
                ),
            ));
        }
        Ok(())
    }
}

/// Parses a strict `YYYY-MM-DD` calendar date (exactly 10 characters, a real date).
pub(crate) fn parse_date(s: &str) -> Option<time::Date> {
    let b = s.as_bytes();
    let shape_ok = b.len() == 10
        && b.iter().enumerate().all(|(i, c)| {
            if i == 4 || i == 7 {
                *c == b'-'
            } else {
                c.is_ascii_digit()
            }
        });
    if !shape_ok {
        return None;
    }
    time::Date::parse(s, format_description!("[year]-[month]-[day]")).ok()
}

/// Bidirectional embedding, override and isolate controls (U+202A–U+202E,
/// U+2066–U+2069).
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Characters that show nothing: zero-width and joiner characters, direction marks, word
/// joiners and invisible operators, the byte-order mark, variation selectors, Hangul
/// fillers, interlinear annotation marks, tag characters and the soft hyphen.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{061C}'
            | '\u{115F}'
            | '\u{1160}'
            | '\u{17B4}'
            | '\u{17B5}'
            | '\u{180B}'..='\u{180F}'
            | '\u{200B}'..='\u{200F}'
            | '\u{2060}'..='\u{2064}'
            | '\u{206A}'..='\u{206F}'
            | '\u{3164}'
            | '\u{FE00}'..='\u{FE0F}'
            | '\u{FEFF}'
            | '\u{FFA0}'
            | '\u{FFF9}'..='\u{FFFB}'
            | '\u{E0000}'..='\u{E007F}'
    ) || is_bidi_control(c)
}
