//! The counters of a project: its status in every year it counts in; its 开工 by the
//! year of its 开工日期; once completed, it and the villages and people it benefits by the
//! year of its 建成日期. A year's figures add up the starts and completions up to its end,
//! as the stations' do, so a project under construction at a year's end is one started by
//! then and not completed by then.

use std::collections::BTreeMap;

use lianluo_proto::CityFigures;

use super::{scopes, Contributions, CounterKey};
use crate::domain::{ymd_year, Project, Status};
use crate::projection::index::year_u16;

/// What `p` adds to the counters; `years` are the years it counts in.
pub(super) fn contributions(c: &mut Contributions, years: &[u16], p: &Project) {
    for scope in scopes(years.iter().copied()) {
        let status = p.status.as_str().to_owned();
        c.counters
            .push((CounterKey::ProjectStatus { scope, status }, 1));
    }
    let year_of = |day: &str| ymd_year(day).and_then(year_u16);
    let kind = || p.kind.as_str().to_owned();
    if let Some(year) = year_of(&p.started_on) {
        c.counters
            .push((CounterKey::ProjectBegun { year, kind: kind() }, 1));
    }
    // Only a completion gives a 建成日期.
    let Some(year) = year_of(&p.completed_on) else {
        return;
    };
    c.counters.extend([
        (CounterKey::ProjectDone { year, kind: kind() }, 1),
        (
            CounterKey::ProjectVillages { year, kind: kind() },
            i64::from(p.villages),
        ),
        (
            CounterKey::ProjectPeople { year, kind: kind() },
            i64::from(p.people),
        ),
    ]);
}

/// Completed projects up to the end of the year (`scope`, all for 0), and those completed
/// in it.
pub(super) fn add_done(f: &mut CityFigures, key: &CounterKey, n: u64, scope: u16) {
    use CounterKey as C;
    let (year, kind) = match key {
        C::ProjectDone { year, kind }
        | C::ProjectVillages { year, kind }
        | C::ProjectPeople { year, kind } => (*year, kind),
        _ => return,
    };
    if scope != 0 && year > scope {
        return;
    }
    let bump = |m: &mut BTreeMap<String, u64>| *m.entry(kind.clone()).or_default() += n;
    match key {
        C::ProjectDone { .. } => {
            bump(&mut f.projects_completed_by_kind);
            if scope == 0 || year == scope {
                bump(&mut f.projects_completed_in_year_by_kind);
            }
        }
        C::ProjectVillages { .. } => bump(&mut f.villages_benefited_by_kind),
        _ => bump(&mut f.people_benefited_by_kind),
    }
}

/// Projects started and completed up to the end of a year, for those under construction
/// then.
#[derive(Debug, Default)]
pub(super) struct Open {
    begun: u64,
    done: u64,
}

impl Open {
    /// Counts a start or a completion up to the end of `scope` (all for 0).
    pub(super) fn add(&mut self, key: &CounterKey, n: u64, scope: u16) {
        let by = |year: u16| scope == 0 || year <= scope;
        match key {
            CounterKey::ProjectBegun { year, .. } if by(*year) => self.begun += n,
            CounterKey::ProjectDone { year, .. } if by(*year) => self.done += n,
            _ => {}
        }
    }

    /// Started and not completed by the end of the year.
    pub(super) fn under_construction(&self) -> u64 {
        self.begun.saturating_sub(self.done)
    }
}
