//! Business dates: when things happened, as distinct from when they were typed in — a
//! station's 设立日期, a suggestion's 提出日期 and each city part's 交办日期 and 答复日期, a
//! dispute's 受理日期 and 化解日期, a project's 提出日期 (its 开工 and 建成日期 are in the
//! project's state). Past years can then be entered and counted in the
//! years they belong to.
//!
//! A date is kept as given (`YYYY-MM-DD`), or empty when the event gave none; where one is
//! needed, an empty date stands for the day of the event (see [`RecordState::opened_on`]).
//! Events made before these fields existed give none, so they fold as they always did.
//!
//! The fold refuses a date that comes before the one it follows — 化解 before 受理, 交办
//! before 提出, 答复 before 交办, a mediation session or check before a 受理日期 given —
//! naming both; only against dates events give, so no event of an older build is refused
//! by them.
//!
//! [`RecordState::opened_on`]: super::RecordState::opened_on

use lianluo_proto::change::Kind as K;
use serde::{Deserialize, Serialize};

/// The business dates a record's events gave.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub(crate) struct BusinessDates {
    /// 设立日期, 提出日期 or 受理日期: the date the creation gave (empty: not given).
    pub opened_on: String,
    /// A dispute's 化解日期 (empty: not given).
    pub resolved_on: String,
    /// Each city part's dates, in the order the parts were dispatched.
    pub parts: Vec<PartDates>,
}

/// The dates of one city's part of a suggestion.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub(crate) struct PartDates {
    pub city: String,
    /// 交办日期 (empty: not given).
    pub dispatched_on: String,
    /// 答复日期 (empty: not given).
    pub answered_on: String,
}

impl BusinessDates {
    /// The dates a creation change gives.
    pub fn create(change: &K) -> Self {
        let opened_on = match change {
            K::StationRegistered(c) => c.founded_on.clone(),
            K::SuggestionSubmitted(c) => c.submitted_on.clone(),
            K::DisputeReported(c) => c.reported_on.clone(),
            K::ProjectProposed(c) => c.proposed_on.clone(),
            _ => String::new(),
        };
        BusinessDates {
            opened_on,
            ..BusinessDates::default()
        }
    }

    /// Refuses an act whose date comes before the date it follows. `opened` gives the
    /// record's 提出/受理 date (given or the day it was entered); it is asked for only by
    /// an act that gives a date, not on every event of the fold.
    pub fn check(
        &self,
        opened: impl FnOnce() -> String,
        author: &str,
        change: &K,
    ) -> Result<(), String> {
        match change {
            K::SuggestionDispatched(c) if !c.dispatched_on.is_empty() => not_before(
                "dispatch",
                ("dispatched_on", &c.dispatched_on),
                ("the suggestion was submitted", &opened()),
            ),
            K::SuggestionAnswered(c) if !c.answered_on.is_empty() => {
                let dispatched = self
                    .part(author)
                    .map(|p| p.dispatched_on.as_str())
                    .filter(|d| !d.is_empty());
                match dispatched {
                    Some(d) => not_before(
                        "answer",
                        ("answered_on", &c.answered_on),
                        ("the part was dispatched", d),
                    ),
                    None => not_before(
                        "answer",
                        ("answered_on", &c.answered_on),
                        ("the suggestion was submitted", &opened()),
                    ),
                }
            }
            // Only against a 受理日期 the report gave: sessions and checks of an older build
            // dated before the day the dispute was entered keep folding as they did.
            K::DisputeSession(c) if !self.opened_on.is_empty() => not_before(
                "record a session",
                ("date", &c.date),
                ("the dispute was reported", &self.opened_on),
            ),
            K::DisputeChecked(c) if !self.opened_on.is_empty() => not_before(
                "record a check",
                ("date", &c.date),
                ("the dispute was reported", &self.opened_on),
            ),
            K::DisputeResolved(c) if !c.resolved_on.is_empty() => not_before(
                "resolve",
                ("resolved_on", &c.resolved_on),
                ("the dispute was reported", &opened()),
            ),
            K::ProjectStarted(c) => not_before(
                "start",
                ("started_on", &c.started_on),
                ("the project was proposed", &opened()),
            ),
            K::ProjectCompleted(c) => not_before(
                "complete",
                ("completed_on", &c.completed_on),
                ("the project was proposed", &opened()),
            ),
            _ => Ok(()),
        }
    }

    /// Keeps the dates of an act that was applied. A part has an entry only while it has
    /// a date, so acts that give none (every act of an older build) leave the dates as a
    /// state that never had them.
    pub fn record(&mut self, author: &str, change: &K) {
        match change {
            K::SuggestionDispatched(c) => self.set_part(author, |p| {
                p.dispatched_on.clone_from(&c.dispatched_on);
                p.answered_on.clear();
            }),
            K::SuggestionAnswered(c) => {
                self.set_part(author, |p| p.answered_on.clone_from(&c.answered_on));
            }
            // 改派: the new unit's 交办日期 is the day of the re-dispatch.
            K::SuggestionRedispatched(_) => self.set_part(author, |p| p.dispatched_on.clear()),
            K::DisputeResolved(c) => self.resolved_on.clone_from(&c.resolved_on),
            _ => {}
        }
    }

    /// The dates of `city`'s part.
    pub fn part(&self, city: &str) -> Option<&PartDates> {
        self.parts.iter().find(|p| p.city == city)
    }

    /// Changes `city`'s part dates; the entry is added when it gets a date and removed
    /// when it has none left.
    fn set_part(&mut self, city: &str, change: impl FnOnce(&mut PartDates)) {
        let mut part = self.part(city).cloned().unwrap_or_else(|| PartDates {
            city: city.to_owned(),
            ..PartDates::default()
        });
        change(&mut part);
        let empty = part.dispatched_on.is_empty() && part.answered_on.is_empty();
        match self.parts.iter().position(|p| p.city == city) {
            Some(i) if empty => {
                self.parts.remove(i);
            }
            Some(i) => self.parts[i] = part,
            None if empty => {}
            None => self.parts.push(part),
        }
    }
}

/// Refuses `date` before `earlier`: "cannot resolve: resolved_on 2023-01-02 is before the
/// day the dispute was reported (2023-03-05)". Dates are `YYYY-MM-DD`, which order as
/// text.
pub(super) fn not_before(
    verb: &str,
    date: (&str, &str),
    earlier: (&str, &str),
) -> Result<(), String> {
    let ((field, day), (what, before)) = (date, earlier);
    if !before.is_empty() && day < before {
        return Err(format!(
            "cannot {verb}: {field} {day} is before the day {what} ({before}); give the \
             date it happened"
        ));
    }
    Ok(())
}

/// The dates of `city`'s part (for tests of the stored form).
#[cfg(test)]
pub(crate) fn dates_for_test(city: &str, dispatched_on: &str, answered_on: &str) -> PartDates {
    PartDates {
        city: city.to_owned(),
        dispatched_on: dispatched_on.to_owned(),
        answered_on: answered_on.to_owned(),
    }
}
