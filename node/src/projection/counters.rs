//! Figure counters: what one record of this city adds to its figures, and the figures
//! read back from the summed counters (see `CityFigures` in dashboard.proto for what each
//! figure means).
//!
//! A record counts in the scope of every year it belongs to and in scope 0 (all years),
//! as the figures define it (`projection::index::years`): suggestions in their congress
//! year and each year they were carried over to, disputes in the year of their 受理日期,
//! activities in the year of their day. Stations are counted by the year of their
//! 设立日期, and a year's figures add up every year up to it ("set up on or before its
//! end"); disputes resolved by the year of their 化解日期. Business dates not given are
//! the day the record (or its resolution) was entered. What depends on today (overdue) is kept by
//! deadline date and summed up to today when read; distinct deputies are kept as a set
//! per scope whose size the store maintains ([`MemberKey`]). Projects count in the years
//! they were proposed, started and completed in; completed ones, with the villages and
//! people they benefit, by the year of their 建成日期 and up to a year's end, as stations.

use std::collections::{BTreeMap, BTreeSet};

use lianluo_proto::{CityFigures, Participation, RecordKind};

use super::index::date_code;
use crate::domain::{kind_str, ActivityStatus, KindState, RecordState, StationStatus, Status};

/// One counter. `scope` is a year, or 0 for all years.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum CounterKey {
    /// Stations by status, by registration year.
    Station { year: u16, status: String },
    /// Suggestions by status.
    SuggestionStatus { scope: u16, status: String },
    /// Suggestions shared with another city.
    SuggestionJoint { scope: u16 },
    /// Rated suggestions by rating.
    SuggestionRating { scope: u16, rating: String },
    /// Unfinished suggestions by the earliest deadline of their unanswered parts
    /// (yyyymmdd): overdue ones are those before today.
    SuggestionDeadline { scope: u16, date: u32 },
    /// Disputes by status.
    DisputeStatus { scope: u16, status: String },
    /// Disputes resolved, by the year of the resolution.
    DisputeResolved { year: u16 },
    /// Activities by status.
    ActivityStatus { scope: u16, status: String },
    /// Held activities by kind.
    ActivityKind { scope: u16, kind: String },
    /// Held activities by month ("YYYY-MM").
    ActivityMonth { scope: u16, month: String },
    /// Deputy attendances (one per deputy per held activity).
    Attendances { scope: u16 },
    /// Opinions collected in held activities.
    Opinions { scope: u16 },
    /// Problems solved in held activities.
    Problems { scope: u16 },
    /// Distinct deputies of held activities: the size of the scope's deputy set.
    Deputies { scope: u16 },
    /// Disputes with at least one mediation session.
    DisputeMediated { scope: u16 },
    /// Records of `kind` this city takes part in that another city originated, counted in
    /// the scopes their kind counts in (stations: by registration year, not closed).
    Participating { scope: u16, kind: String },
    /// Projects by status.
    ProjectStatus { scope: u16, status: String },
    /// Completed projects of `kind`, by the year of their 建成日期.
    ProjectDone { year: u16, kind: String },
    /// The villages completed projects of `kind` benefit, by completion year.
    ProjectVillages { year: u16, kind: String },
    /// The people completed projects of `kind` benefit, by completion year.
    ProjectPeople { year: u16, kind: String },
    /// Projects of `kind` started (开工), by the year of their 开工日期.
    ProjectBegun { year: u16, kind: String },
    /// Records this node holds (any origin) under an index term ([`held`]), so a list
    /// filtered by that term alone knows its total.
    Held { term: Vec<u8> },
}

pub use member::MemberKey;

// Tags of the encoded counter keys: stable on disk.
const T_STATION: u8 = 1;
const T_SG_STATUS: u8 = 2;
const T_SG_JOINT: u8 = 3;
const T_SG_RATING: u8 = 4;
const T_SG_DEADLINE: u8 = 5;
const T_DP_STATUS: u8 = 6;
const T_DP_RESOLVED: u8 = 7;
const T_AC_STATUS: u8 = 8;
const T_AC_KIND: u8 = 9;
const T_AC_MONTH: u8 = 10;
const T_ATTEND: u8 = 11;
const T_OPINIONS: u8 = 12;
const T_PROBLEMS: u8 = 13;
const T_DEPUTIES: u8 = 14;
const T_DP_MEDIATED: u8 = 15;
const T_PARTICIPATING: u8 = 16;
const T_PJ_STATUS: u8 = 17;
const T_PJ_DONE: u8 = 18;
const T_PJ_VILLAGES: u8 = 19;
const T_PJ_PEOPLE: u8 = 20;
const T_PJ_BEGUN: u8 = 21;
const T_HELD: u8 = 22;

impl CounterKey {
    /// The key's bytes: scope (or year), tag, then the name if any.
    pub fn encode(&self) -> Vec<u8> {
        use CounterKey as C;
        let (scope, tag, name): (u16, u8, &[u8]) = match self {
            C::Station { year, status } => (*year, T_STATION, status.as_bytes()),
            C::SuggestionStatus { scope, status } => (*scope, T_SG_STATUS, status.as_bytes()),
            C::SuggestionJoint { scope } => (*scope, T_SG_JOINT, b""),
            C::SuggestionRating { scope, rating } => (*scope, T_SG_RATING, rating.as_bytes()),
            C::SuggestionDeadline { scope, date } => {
                let mut out = scope.to_be_bytes().to_vec();
                out.push(T_SG_DEADLINE);
                out.extend_from_slice(&date.to_be_bytes());
                return out;
            }
            C::DisputeStatus { scope, status } => (*scope, T_DP_STATUS, status.as_bytes()),
            C::DisputeResolved { year } => (*year, T_DP_RESOLVED, b""),
            C::ActivityStatus { scope, status } => (*scope, T_AC_STATUS, status.as_bytes()),
            C::ActivityKind { scope, kind } => (*scope, T_AC_KIND, kind.as_bytes()),
            C::ActivityMonth { scope, month } => (*scope, T_AC_MONTH, month.as_bytes()),
            C::Attendances { scope } => (*scope, T_ATTEND, b""),
            C::Opinions { scope } => (*scope, T_OPINIONS, b""),
            C::Problems { scope } => (*scope, T_PROBLEMS, b""),
            C::Deputies { scope } => (*scope, T_DEPUTIES, b""),
            C::DisputeMediated { scope } => (*scope, T_DP_MEDIATED, b""),
            C::Participating { scope, kind } => (*scope, T_PARTICIPATING, kind.as_bytes()),
            C::ProjectStatus { scope, status } => (*scope, T_PJ_STATUS, status.as_bytes()),
            C::ProjectDone { year, kind } => (*year, T_PJ_DONE, kind.as_bytes()),
            C::ProjectVillages { year, kind } => (*year, T_PJ_VILLAGES, kind.as_bytes()),
            C::ProjectPeople { year, kind } => (*year, T_PJ_PEOPLE, kind.as_bytes()),
            C::ProjectBegun { year, kind } => (*year, T_PJ_BEGUN, kind.as_bytes()),
            C::Held { term } => (0, T_HELD, term.as_slice()),
        };
        let mut out = scope.to_be_bytes().to_vec();
        out.push(tag);
        out.extend_from_slice(name);
        out
    }

    /// Decodes [`CounterKey::encode`]; `None` for bytes it never writes.
    pub fn decode(bytes: &[u8]) -> Option<CounterKey> {
        use CounterKey as C;
        let scope = u16::from_be_bytes([*bytes.first()?, *bytes.get(1)?]);
        let tag = *bytes.get(2)?;
        let rest = bytes.get(3..)?;
        let name = || String::from_utf8(rest.to_vec()).ok();
        Some(match tag {
            T_STATION => C::Station {
                year: scope,
                status: name()?,
            },
            T_SG_STATUS => C::SuggestionStatus {
                scope,
                status: name()?,
            },
            T_SG_JOINT => C::SuggestionJoint { scope },
            T_SG_RATING => C::SuggestionRating {
                scope,
                rating: name()?,
            },
            T_SG_DEADLINE => C::SuggestionDeadline {
                scope,
                date: u32::from_be_bytes(rest.try_into().ok()?),
            },
            T_DP_STATUS => C::DisputeStatus {
                scope,
                status: name()?,
            },
            T_DP_RESOLVED => C::DisputeResolved { year: scope },
            T_AC_STATUS => C::ActivityStatus {
                scope,
                status: name()?,
            },
            T_AC_KIND => C::ActivityKind {
                scope,
                kind: name()?,
            },
            T_AC_MONTH => C::ActivityMonth {
                scope,
                month: name()?,
            },
            T_ATTEND => C::Attendances { scope },
            T_OPINIONS => C::Opinions { scope },
            T_PROBLEMS => C::Problems { scope },
            T_DEPUTIES => C::Deputies { scope },
            T_DP_MEDIATED => C::DisputeMediated { scope },
            T_PARTICIPATING => C::Participating {
                scope,
                kind: name()?,
            },
            T_PJ_STATUS => C::ProjectStatus {
                scope,
                status: name()?,
            },
            T_PJ_DONE => C::ProjectDone {
                year: scope,
                kind: name()?,
            },
            T_PJ_VILLAGES => C::ProjectVillages {
                year: scope,
                kind: name()?,
            },
            T_PJ_PEOPLE => C::ProjectPeople {
                year: scope,
                kind: name()?,
            },
            T_PJ_BEGUN => C::ProjectBegun {
                year: scope,
                kind: name()?,
            },
            T_HELD => C::Held {
                term: rest.to_vec(),
            },
            _ => return None,
        })
    }
}

/// What one record adds to the counters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Contributions {
    /// Counters and amounts.
    pub counters: Vec<(CounterKey, i64)>,
    /// Members of distinct-deputy sets.
    pub members: Vec<(MemberKey, i64)>,
}

/// What `state` adds to `own`'s figures: its counts when `own` originated it, its
/// participation when `own` takes part in it; and, whatever its origin, the records held
/// under its index terms ([`held`]).
pub fn contributions(state: &RecordState, own: &str) -> Contributions {
    let mut c = Contributions::default();
    held::contributions(&mut c, state);
    let years = super::index::years(state);
    if state.origin() != own {
        if state.participants().iter().any(|p| p == own) {
            participating(&mut c, state, &years);
        }
        return c;
    }
    let status = state.status_str().to_owned();
    match &state.body {
        KindState::Station(_) => {
            let year = years.first().copied().unwrap_or(u16::MAX);
            c.counters.push((CounterKey::Station { year, status }, 1));
        }
        KindState::Suggestion(s) => {
            for scope in scopes(years.iter().copied()) {
                suggestion(&mut c, scope, state, s);
            }
        }
        KindState::Dispute(d) => {
            for scope in scopes(years.iter().copied()) {
                let status = status.clone();
                c.counters
                    .push((CounterKey::DisputeStatus { scope, status }, 1));
                if !d.sessions.is_empty() {
                    c.counters.push((CounterKey::DisputeMediated { scope }, 1));
                }
            }
            let resolved = state.resolved_on();
            let year = resolved
                .as_deref()
                .and_then(crate::domain::ymd_year)
                .and_then(|y| u16::try_from(y).ok());
            if let Some(year) = year.filter(|y| *y != 0) {
                c.counters.push((CounterKey::DisputeResolved { year }, 1));
            }
        }
        KindState::Activity(a) => {
            for scope in scopes(years.iter().copied()) {
                activity(&mut c, scope, a);
            }
        }
        KindState::Project(p) => project::contributions(&mut c, &years, p),
    }
    c
}

/// A record another city originated and `own` takes part in.
fn participating(c: &mut Contributions, state: &RecordState, years: &[u16]) {
    let kind = crate::domain::kind_str(state.body.kind()).to_owned();
    if let KindState::Station(s) = &state.body {
        if s.status != StationStatus::Closed {
            let scope = years.first().copied().unwrap_or(u16::MAX);
            c.counters
                .push((CounterKey::Participating { scope, kind }, 1));
        }
        return;
    }
    for scope in scopes(years.iter().copied()) {
        let kind = kind.clone();
        c.counters
            .push((CounterKey::Participating { scope, kind }, 1));
    }
}

/// Scope 0 and the given years, without repeats.
fn scopes(years: impl IntoIterator<Item = u16>) -> BTreeSet<u16> {
    std::iter::once(0).chain(years).collect()
}

fn suggestion(
    c: &mut Contributions,
    scope: u16,
    state: &RecordState,
    s: &crate::domain::Suggestion,
) {
    let status = s.status.as_str().to_owned();
    c.counters
        .push((CounterKey::SuggestionStatus { scope, status }, 1));
    if state.participants().len() > 1 {
        c.counters.push((CounterKey::SuggestionJoint { scope }, 1));
    }
    if let Some(g) = s.rating {
        let rating = g.as_str().to_owned();
        c.counters
            .push((CounterKey::SuggestionRating { scope, rating }, 1));
    }
    if let Some(d) = s.open_deadline() {
        let date = date_code(d);
        c.counters
            .push((CounterKey::SuggestionDeadline { scope, date }, 1));
    }
}

fn activity(c: &mut Contributions, scope: u16, a: &crate::domain::Activity) {
    let status = a.status.as_str().to_owned();
    c.counters
        .push((CounterKey::ActivityStatus { scope, status }, 1));
    if a.status != ActivityStatus::Held {
        return;
    }
    let kind = a.kind.as_str().to_owned();
    c.counters
        .push((CounterKey::ActivityKind { scope, kind }, 1));
    if let Some(month) = a.held_on.get(..7) {
        let month = month.to_owned();
        c.counters
            .push((CounterKey::ActivityMonth { scope, month }, 1));
    }
    let present: BTreeSet<(&str, &str)> = a
        .deputies
        .iter()
        .map(|d| (d.city.as_str(), d.name.as_str()))
        .collect();
    let n = i64::try_from(present.len()).unwrap_or(i64::MAX);
    c.counters.push((CounterKey::Attendances { scope }, n));
    c.counters.push((
        CounterKey::Opinions { scope },
        i64::from(a.opinions_collected()),
    ));
    c.counters.push((
        CounterKey::Problems { scope },
        i64::from(a.problems_solved()),
    ));
    for (city, name) in present {
        let member = MemberKey {
            scope,
            city: city.to_owned(),
            name: name.to_owned(),
        };
        c.members.push((member, 1));
    }
}

/// `city`'s figures for `year` (0: all years) as of `today`, from its summed counters.
/// `resolved_year` is the year `disputes_resolved_in_year` is about.
pub fn figures(
    city: &str,
    year: u32,
    resolved_year: u32,
    today: time::Date,
    counters: impl IntoIterator<Item = (CounterKey, i64)>,
) -> CityFigures {
    let mut f = CityFigures {
        city: city.to_owned(),
        year,
        resolved_year,
        participating: Some(Participation::default()),
        ..CityFigures::default()
    };
    let scope = u16::try_from(year).unwrap_or(u16::MAX);
    let today = date_code(today);
    let mut open = project::Open::default();
    for (key, n) in counters {
        let n = u64::try_from(n).unwrap_or(0);
        open.add(&key, n, scope);
        add(&mut f, &key, n, scope, today);
    }
    f.projects_under_construction = open.under_construction();
    f
}

fn add(f: &mut CityFigures, key: &CounterKey, n: u64, scope: u16, today: u32) {
    use CounterKey as C;
    let bump = |m: &mut BTreeMap<String, u64>, k: &str| *m.entry(k.to_owned()).or_default() += n;
    match key {
        C::Station { year, status } if scope == 0 || *year <= scope => {
            if status != StationStatus::Closed.as_str() {
                f.stations += n;
            }
            bump(&mut f.stations_by_status, status);
        }
        C::DisputeResolved { year } if u32::from(*year) == f.resolved_year => {
            f.disputes_resolved_in_year += n;
        }
        C::SuggestionStatus { scope: s, status } if *s == scope => {
            f.suggestions += n;
            bump(&mut f.suggestions_by_status, status);
        }
        C::SuggestionJoint { scope: s } if *s == scope => f.joint_suggestions += n,
        C::SuggestionRating { scope: s, rating } if *s == scope => bump(&mut f.ratings, rating),
        C::SuggestionDeadline { scope: s, date } if *s == scope && *date < today => {
            f.suggestions_overdue += n;
        }
        C::DisputeStatus { scope: s, status } if *s == scope => {
            f.disputes += n;
            bump(&mut f.disputes_by_status, status);
        }
        C::ActivityStatus { scope: s, status } if *s == scope => {
            f.activities += n;
            bump(&mut f.activities_by_status, status);
        }
        C::ActivityKind { scope: s, kind } if *s == scope => bump(&mut f.activities_by_kind, kind),
        C::ActivityMonth { scope: s, month } if *s == scope => {
            bump(&mut f.activities_by_month, month);
        }
        C::Attendances { scope: s } if *s == scope => f.deputy_attendances += n,
        C::Opinions { scope: s } if *s == scope => f.opinions_collected += n,
        C::Problems { scope: s } if *s == scope => f.problems_solved += n,
        C::Deputies { scope: s } if *s == scope => f.deputies += n,
        C::DisputeMediated { scope: s } if *s == scope => f.disputes_mediated += n,
        C::Participating { scope: s, kind } => add_participating(f, kind, *s, n, scope),
        C::ProjectStatus { scope: s, status } if *s == scope => {
            f.projects += n;
            bump(&mut f.projects_by_status, status);
        }
        C::ProjectDone { .. } | C::ProjectVillages { .. } | C::ProjectPeople { .. } => {
            project::add_done(f, key, n, scope);
        }
        _ => {}
    }
}

/// A participation counter: stations by registration year up to `scope` (all for 0), the
/// other kinds in their own scope.
fn add_participating(f: &mut CityFigures, kind: &str, s: u16, n: u64, scope: u16) {
    let p = f.participating.get_or_insert_with(Default::default);
    let counts = if kind == kind_str(RecordKind::Station) {
        scope == 0 || s <= scope
    } else {
        s == scope
    };
    if !counts {
        return;
    }
    match kind {
        "station" => p.stations += n,
        "suggestion" => p.suggestions += n,
        "dispute" => p.disputes += n,
        "activity" => p.activities += n,
        "project" => p.projects += n,
        _ => {}
    }
}

pub mod held;
mod member;
mod project;
#[cfg(test)]
mod tests;
