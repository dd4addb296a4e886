//! Turns the data tables into plans: for every sample record, the creation change its
//! origin city sends and the acts that follow, each by the city that would really do it
//! (each city dispatches and answers its own part of a suggestion, every side confirms a
//! dispute agreement, the host city reports its station's activity). Pure: no I/O.

use lianluo_proto::{
    change::Kind as K, ActivityCancelled, ActivityPlanned, ActivityReported, Change, Deputy,
    StationRegistered,
};
use time::Date;

use super::cases::{ActStage, ActivityRow, ACTIVITIES, DISPUTES};
use super::data::{dated_from, City, StationRow, DEPUTIES, STATIONS, SUGGESTIONS};
use super::CITIES;

pub(crate) mod ages;
mod dispute;
mod opinion;
mod project;
mod suggestion;

use dispute::dispute;
pub(crate) use project::projects;
use suggestion::suggestion;

/// The five record kinds, for counting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Station,
    Suggestion,
    Dispute,
    Activity,
    Project,
}

/// One act on a record by one city.
pub struct Step {
    pub city: City,
    pub change: Change,
}

/// One sample record: who creates it, with whom, and what happens to it.
pub struct Plan {
    /// Stable key, used as the creation's request id (e.g. `demo-dispute-07`).
    pub key: String,
    pub kind: Kind,
    pub origin: City,
    pub partners: Vec<City>,
    pub create: Change,
    pub steps: Vec<Step>,
    /// The record's status once every step is applied.
    pub expect: &'static str,
}

fn ch(kind: K) -> Change {
    Change { kind: Some(kind) }
}

fn step(city: City, kind: K) -> Step {
    Step {
        city,
        change: ch(kind),
    }
}

/// 两地 or 三地.
fn n_places(n: usize) -> &'static str {
    if n >= 3 {
        "三地"
    } else {
        "两地"
    }
}

/// The 15 station registrations, each by its host city with its partners.
pub fn stations() -> Vec<Plan> {
    STATIONS.iter().enumerate().map(station).collect()
}

fn station((i, row): (usize, &StationRow)) -> Plan {
    Plan {
        key: format!("demo-station-{:02}", i + 1),
        kind: Kind::Station,
        origin: row.host,
        partners: row.partners.to_vec(),
        create: ch(K::StationRegistered(StationRegistered {
            name: row.name(),
            township: row.township.to_owned(),
            county: row.county.to_owned(),
            address: row.address(),
            note: row.note.to_owned(),
            // The mechanism and its stations date from December 2021 (DESIGN §1).
            founded_on: format!("2021-12-{:02}", 8 + i % 20),
        })),
        steps: Vec::new(),
        expect: "active",
    }
}

/// The suggestions, disputes and activities, given the station record ids (in
/// [`STATIONS`] order) and today's date (dates are relative to it). The history spans the
/// mechanism's years: what was finished lies in one of the four years before this one
/// ([`ages`]), what is still open in this one.
pub fn records(station_ids: &[String], today: Date) -> Vec<Plan> {
    let station_id = |i: usize| station_ids.get(i).cloned().unwrap_or_default();
    let mut plans = Vec::new();
    for (i, row) in SUGGESTIONS.iter().enumerate() {
        let on = dated_from(today, ages::suggestion(i, row));
        plans.push(suggestion(i, row, station_id(row.station), on));
    }
    for (i, row) in DISPUTES.iter().enumerate() {
        let on = dated_from(today, ages::dispute(i, row));
        plans.push(dispute(i, row, station_id(row.station), on));
    }
    for (i, row) in ACTIVITIES.iter().enumerate() {
        let on = dated_from(today, ages::activity(i, row));
        plans.push(activity(i, row, station_id(row.station), on));
    }
    plans
}

fn participants(origin: City, partners: &[City]) -> Vec<City> {
    std::iter::once(origin)
        .chain(partners.iter().copied())
        .collect()
}

/// Deputies of `c` for the `i`-th record: two names from the city's pool.
fn deputies(i: usize, c: City) -> [&'static str; 2] {
    [DEPUTIES[c][i % 6], DEPUTIES[c][(i + 3) % 6]]
}

fn activity(i: usize, row: &ActivityRow, station_id: String, today: Date) -> Plan {
    use lianluo_proto::ActivityKind as A;
    let st = STATIONS.get(row.station).unwrap_or(&STATIONS[0]);
    let all = st.participants();
    let n = n_places(all.len());
    let description = match row.kind {
        A::JointInspection => {
            format!("组织{n}人大代表开展联合视察，实地查看项目进展，听取有关部门情况汇报。")
        }
        A::JointResearch => {
            format!("{n}人大代表围绕主题开展联合调研，走访边界群众和有关部门，形成联合调研报告。")
        }
        A::ConstituentReception => {
            format!("{n}人大代表在联络站联合接待边界群众，收集意见建议，能当场答复的当场答复。")
        }
        _ => format!("组织{n}人大代表和联络站工作人员开展联合培训，交流履职经验。"),
    };
    let date = row.when.ymd(today);
    let mut steps = Vec::new();
    let expect = match row.stage {
        ActStage::Planned => "planned",
        ActStage::Held => {
            let deputies = all
                .iter()
                .flat_map(|&c| {
                    deputies(i, c).map(|name| Deputy {
                        name: name.to_owned(),
                        city: CITIES[c].to_owned(),
                    })
                })
                .collect();
            let r = ActivityReported {
                held_on: date.clone(),
                deputies,
                opinions_collected: row.opinions,
                problems_solved: row.problems,
                report: row.report.to_owned(),
            };
            steps.push(step(st.host, K::ActivityReported(r)));
            if i == opinion::RECEPTION {
                steps.extend(opinion::steps(&all, &st.address()));
            }
            "held"
        }
        ActStage::Cancelled => {
            let reason = row.report.to_owned();
            steps.push(step(
                st.host,
                K::ActivityCancelled(ActivityCancelled { reason }),
            ));
            "cancelled"
        }
    };
    let create = ActivityPlanned {
        title: row.title.to_owned(),
        activity_kind: row.kind as i32,
        station_id,
        date,
        place: st.address(),
        description,
    };
    Plan {
        key: format!("demo-activity-{:02}", i + 1),
        kind: Kind::Activity,
        origin: st.host,
        partners: st.partners.to_vec(),
        create: ch(K::ActivityPlanned(create)),
        steps,
        expect,
    }
}
