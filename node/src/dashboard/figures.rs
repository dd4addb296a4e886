//! One city's figures from the records it originated (see `CityFigures` in
//! dashboard.proto for what each figure counts), and their sum over cities.
//!
//! A node reads its own figures from the counters its store keeps incrementally
//! ([`local_figures`], see `projection::counters`); [`compute`] counts them from records
//! instead, the reference the counters are tested against.
//!
//! A joint record counts once, at its origin, so the federation's total is the sum of
//! the cities' figures. Dates compare in the federation's calendar (UTC+8): records count
//! by their business dates (设立日期, 受理日期, 化解日期, activity days, a project's 提出,
//! 开工 and 建成日期), which the views
//! give as calendar dates (the day entered, in UTC+8, when none was given).

use std::collections::{BTreeMap, BTreeSet};

use lianluo_proto::{CityFigures, Deputy, Participation, Record};

use crate::domain::{local_date, refresh_overdue, rfc3339};
use crate::error::NodeError;
use crate::projection::counters::{self, CounterKey, MemberKey};
use crate::state::NodeState;

#[cfg(test)]
mod tests;

/// Now, in Unix milliseconds.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// Refuses a year outside 0 (all years) or 2000–2100, naming the `year` field.
pub fn check_year(year: u32) -> Result<(), NodeError> {
    if year == 0 || (2000..=2100).contains(&year) {
        Ok(())
    } else {
        Err(NodeError::invalid(
            "year",
            format!("{year} is out of range; use 2000–2100, or 0 for all years"),
        ))
    }
}

/// This node's city's figures for `year`, read from the counters the store keeps with
/// every change (a scan of the counters, whose number grows with the years, statuses,
/// deadline days, cities and stations, not with the records).
pub async fn local_figures(state: &NodeState, year: u32) -> Result<CityFigures, NodeError> {
    check_year(year)?;
    let now = now_ms();
    let (counters, members) =
        crate::service::blocking(state, |s| Ok((s.counters()?, s.members()?))).await?;
    let mut figures = from_counters(&state.config.city, year, now, &counters, &members);
    figures.computed_at = rfc3339(now);
    figures.name.clone_from(&state.config.city_name.name);
    figures
        .province
        .clone_from(&state.config.city_name.province);
    Ok(figures)
}

/// `city`'s figures for `year` as of `now_ms` from its stored counters and distinct-set
/// members (encoded).
pub fn from_counters(
    city: &str,
    year: u32,
    now_ms: u64,
    counters: &[(Vec<u8>, i64)],
    members: &[(Vec<u8>, i64)],
) -> CityFigures {
    let decoded = counters.iter().filter_map(|(k, v)| {
        let key = CounterKey::decode(k);
        if key.is_none() {
            tracing::warn!(key = ?k, "unknown figure counter skipped");
        }
        key.map(|k| (k, *v))
    });
    let mut figures = counters::figures(
        city,
        year,
        resolved_year(year, now_ms),
        local_date(now_ms),
        decoded,
    );
    let scope = u16::try_from(year).unwrap_or(u16::MAX);
    figures.deputy_list = members
        .iter()
        .filter(|(_, n)| *n > 0)
        .filter_map(|(k, _)| MemberKey::decode(k))
        .filter(|m| m.scope == scope)
        .map(|m| Deputy {
            name: m.name,
            city: m.city,
        })
        .collect();
    figures
}

/// The figures of `city` over `records` (those it did not originate are skipped), for
/// `year` (0: all years), with overdue suggestions as of `now_ms`.
pub fn compute<'a>(
    city: &str,
    year: u32,
    now_ms: u64,
    records: impl IntoIterator<Item = &'a Record>,
) -> CityFigures {
    let mut tally = Tally::new(city, year, now_ms);
    for rec in records {
        tally.add(rec);
    }
    tally.finish()
}

/// Sums figures of several cities (city left empty): every count and every map entry.
/// `deputies` counts distinct deputies across the cities: the union of their lists, plus
/// the count of a city that sent no list (a node of an older build).
pub fn total<'a>(cities: impl IntoIterator<Item = &'a CityFigures>, year: u32) -> CityFigures {
    let mut t = CityFigures {
        year,
        resolved_year: resolved_year(year, now_ms()),
        participating: Some(Participation::default()),
        ..CityFigures::default()
    };
    let mut deputies: BTreeSet<(&str, &str)> = BTreeSet::new();
    let mut unlisted = 0;
    for c in cities {
        if year == 0 && c.resolved_year != 0 {
            // The cities' own idea of "this year" (the same but at New Year's midnight).
            t.resolved_year = c.resolved_year;
        }
        t.stations += c.stations;
        add_map(&mut t.stations_by_status, &c.stations_by_status);
        t.suggestions += c.suggestions;
        t.joint_suggestions += c.joint_suggestions;
        add_map(&mut t.suggestions_by_status, &c.suggestions_by_status);
        t.suggestions_overdue += c.suggestions_overdue;
        add_map(&mut t.ratings, &c.ratings);
        t.disputes += c.disputes;
        add_map(&mut t.disputes_by_status, &c.disputes_by_status);
        t.disputes_resolved_in_year += c.disputes_resolved_in_year;
        t.activities += c.activities;
        add_map(&mut t.activities_by_status, &c.activities_by_status);
        add_map(&mut t.activities_by_kind, &c.activities_by_kind);
        add_map(&mut t.activities_by_month, &c.activities_by_month);
        if c.deputy_list.is_empty() {
            unlisted += c.deputies;
        }
        deputies.extend(
            c.deputy_list
                .iter()
                .map(|d| (d.city.as_str(), d.name.as_str())),
        );
        t.deputy_attendances += c.deputy_attendances;
        t.opinions_collected += c.opinions_collected;
        t.problems_solved += c.problems_solved;
        t.disputes_mediated += c.disputes_mediated;
        t.projects += c.projects;
        t.projects_under_construction += c.projects_under_construction;
        add_map(&mut t.projects_by_status, &c.projects_by_status);
        add_map(
            &mut t.projects_completed_by_kind,
            &c.projects_completed_by_kind,
        );
        add_map(
            &mut t.villages_benefited_by_kind,
            &c.villages_benefited_by_kind,
        );
        add_map(&mut t.people_benefited_by_kind, &c.people_benefited_by_kind);
        add_map(
            &mut t.projects_completed_in_year_by_kind,
            &c.projects_completed_in_year_by_kind,
        );
        add_participation(&mut t, c.participating.as_ref());
    }
    t.deputies = deputies.len() as u64 + unlisted;
    t.deputy_list = deputies
        .into_iter()
        .map(|(city, name)| Deputy {
            name: name.to_owned(),
            city: city.to_owned(),
        })
        .collect();
    t
}

fn add_participation(t: &mut CityFigures, p: Option<&Participation>) {
    let (Some(t), Some(p)) = (t.participating.as_mut(), p) else {
        return;
    };
    t.stations += p.stations;
    t.suggestions += p.suggestions;
    t.disputes += p.disputes;
    t.activities += p.activities;
    t.projects += p.projects;
}

fn add_map(into: &mut BTreeMap<String, u64>, from: &BTreeMap<String, u64>) {
    for (k, v) in from {
        *into.entry(k.clone()).or_default() += v;
    }
}

/// The year `disputes_resolved_in_year` is about: `year`, or the current one (UTC+8).
fn resolved_year(year: u32, now_ms: u64) -> u32 {
    if year != 0 {
        return year;
    }
    u32::try_from(local_date(now_ms).year()).unwrap_or(0)
}

/// The year of a `YYYY-MM-DD` date.
fn year_of_ymd(ymd: &str) -> Option<u32> {
    crate::domain::ymd_year(ymd).and_then(|y| u32::try_from(y).ok())
}

fn bump(map: &mut BTreeMap<String, u64>, key: &str) {
    *map.entry(key.to_string()).or_default() += 1;
}

/// Figures being accumulated record by record.
struct Tally {
    f: CityFigures,
    /// Today (UTC+8), for overdue suggestions.
    today: time::Date,
    /// Distinct deputies of held activities, by (city, name).
    deputies: BTreeSet<(String, String)>,
}

impl Tally {
    fn new(city: &str, year: u32, now_ms: u64) -> Tally {
        Tally {
            f: CityFigures {
                city: city.to_string(),
                year,
                resolved_year: resolved_year(year, now_ms),
                participating: Some(Participation::default()),
                ..CityFigures::default()
            },
            today: local_date(now_ms),
            deputies: BTreeSet::new(),
        }
    }

    fn add(&mut self, rec: &Record) {
        if rec.origin != self.f.city {
            if rec.participants.contains(&self.f.city) && self.in_year(rec) {
                self.participating(rec);
            }
            return;
        }
        // Resolved in the year, whenever the dispute was reported: "本年化解" counts a
        // dispute reported last year and resolved this year.
        // By the 化解日期 (the view's, which is the day of the resolution when none was
        // given).
        if let Some(d) = rec.dispute.as_ref().filter(|_| rec.status == "resolved") {
            if year_of_ymd(&d.resolved_on) == Some(self.f.resolved_year) {
                self.f.disputes_resolved_in_year += 1;
            }
        }
        if let Some(p) = rec.project.as_ref() {
            self.project_by_year_end(p);
        }
        if !self.in_year(rec) {
            return;
        }
        match rec.kind.as_str() {
            "station" => self.station(rec),
            "suggestion" => self.suggestion(rec),
            "dispute" => {
                self.f.disputes += 1;
                bump(&mut self.f.disputes_by_status, &rec.status);
                if rec.dispute.as_ref().is_some_and(|d| !d.sessions.is_empty()) {
                    self.f.disputes_mediated += 1;
                }
            }
            "activity" => self.activity(rec),
            "project" => {
                self.f.projects += 1;
                bump(&mut self.f.projects_by_status, &rec.status);
            }
            _ => {}
        }
    }

    /// A project as it stood at the end of the year asked (now, for 0): under
    /// construction, or completed — counted up to then, and in the year it was completed.
    fn project_by_year_end(&mut self, p: &lianluo_proto::ProjectView) {
        let year = self.f.year;
        let by_end = |day: &str| year_of_ymd(day).filter(|y| year == 0 || *y <= year);
        let done = by_end(&p.completed_on);
        if by_end(&p.started_on).is_some() && done.is_none() {
            self.f.projects_under_construction += 1;
        }
        let Some(done) = done else {
            return;
        };
        let kind = &p.project_kind;
        bump(&mut self.f.projects_completed_by_kind, kind);
        if year == 0 || done == year {
            bump(&mut self.f.projects_completed_in_year_by_kind, kind);
        }
        // Zero amounts are not kept, as the counters keep none.
        let add = |m: &mut BTreeMap<String, u64>, n: u32| {
            if n != 0 {
                *m.entry(kind.clone()).or_default() += u64::from(n);
            }
        };
        add(&mut self.f.villages_benefited_by_kind, p.villages);
        add(&mut self.f.people_benefited_by_kind, p.people);
    }

    /// Whether the record belongs to the year asked for (see `FiguresRequest.year`).
    fn in_year(&self, rec: &Record) -> bool {
        let year = self.f.year;
        if year == 0 {
            return true;
        }
        // 设立日期 and 受理日期 as the views give them (the day entered when none was given).
        let founded = || {
            rec.station
                .as_ref()
                .and_then(|s| year_of_ymd(&s.founded_on))
        };
        let reported = || {
            rec.dispute
                .as_ref()
                .and_then(|d| year_of_ymd(&d.reported_on))
        };
        match rec.kind.as_str() {
            "station" => founded().is_some_and(|y| y <= year),
            "suggestion" => rec
                .suggestion
                .as_ref()
                .is_some_and(|s| s.year == year || s.carried_over_to.contains(&year)),
            "dispute" => reported() == Some(year),
            "project" => rec.project.as_ref().is_some_and(|p| {
                [&p.proposed_on, &p.started_on, &p.completed_on]
                    .into_iter()
                    .any(|d| year_of_ymd(d) == Some(year))
            }),
            "activity" => rec.activity.as_ref().is_some_and(|a| {
                let day = if a.held_on.is_empty() {
                    &a.date
                } else {
                    &a.held_on
                };
                year_of_ymd(day) == Some(year)
            }),
            _ => false,
        }
    }

    /// A record another city originated that this city takes part in.
    fn participating(&mut self, rec: &Record) {
        let p = self.f.participating.get_or_insert_with(Default::default);
        match rec.kind.as_str() {
            "station" if rec.status != "closed" => p.stations += 1,
            "suggestion" => p.suggestions += 1,
            "dispute" => p.disputes += 1,
            "activity" => p.activities += 1,
            "project" => p.projects += 1,
            _ => {}
        }
    }

    fn station(&mut self, rec: &Record) {
        if rec.status != "closed" {
            self.f.stations += 1;
        }
        bump(&mut self.f.stations_by_status, &rec.status);
    }

    fn suggestion(&mut self, rec: &Record) {
        self.f.suggestions += 1;
        bump(&mut self.f.suggestions_by_status, &rec.status);
        if rec.participants.len() > 1 {
            self.f.joint_suggestions += 1;
        }
        // Overdue as of today, not as of the record's last change: only the view is
        // refreshed, on a copy of what the check reads.
        let mut view = Record {
            status: rec.status.clone(),
            suggestion: rec.suggestion.clone(),
            ..Record::default()
        };
        refresh_overdue(&mut view, self.today);
        let Some(s) = view.suggestion else { return };
        if s.overdue {
            self.f.suggestions_overdue += 1;
        }
        if !s.rating.is_empty() {
            bump(&mut self.f.ratings, &s.rating);
        }
    }

    fn activity(&mut self, rec: &Record) {
        self.f.activities += 1;
        bump(&mut self.f.activities_by_status, &rec.status);
        if rec.status != "held" {
            return;
        }
        let Some(a) = rec.activity.as_ref() else {
            return;
        };
        bump(&mut self.f.activities_by_kind, &a.activity_kind);
        if let Some(month) = a.held_on.get(..7) {
            bump(&mut self.f.activities_by_month, month);
        }
        let present: BTreeSet<(String, String)> = a
            .deputies
            .iter()
            .map(|d| (d.city.clone(), d.name.clone()))
            .collect();
        self.f.deputy_attendances += present.len() as u64;
        self.deputies.extend(present);
        self.f.opinions_collected += u64::from(a.opinions_collected);
        self.f.problems_solved += u64::from(a.problems_solved);
    }

    fn finish(mut self) -> CityFigures {
        self.f.deputies = self.deputies.len() as u64;
        self.f.deputy_list = self
            .deputies
            .into_iter()
            .map(|(city, name)| Deputy { name, city })
            .collect();
        self.f
    }
}
