//! Turns the data tables into plans: for every sample record, the creation change its
//! origin city sends and the acts that follow, each by the city that would really do it
//! (each city dispatches and answers its own part of a suggestion, every side confirms a
//! dispute agreement, the host city reports its station's activity). Pure: no I/O.

use lianluo_proto::{
    change::Kind as K, ActivityCancelled, ActivityPlanned, ActivityReported, Change, Deputy,
    Rating, StationRegistered, SuggestionAnswered, SuggestionCarriedOver, SuggestionClosed,
    SuggestionDispatched, SuggestionProgress, SuggestionRated, SuggestionSubmitted,
};
use time::Date;

use super::cases::{ActStage, ActivityRow, ACTIVITIES, DISPUTES};
use super::data::{
    City, StationRow, SugStage, SuggestionRow, When, CITY_CN, DEPUTIES, STATIONS, SUGGESTIONS,
};
use super::CITIES;

mod dispute;

use dispute::dispute;

/// The four record kinds, for counting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Station,
    Suggestion,
    Dispute,
    Activity,
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
/// [`STATIONS`] order) and today's date (dates are relative to it).
pub fn records(station_ids: &[String], today: Date) -> Vec<Plan> {
    let station_id = |i: usize| station_ids.get(i).cloned().unwrap_or_default();
    let mut plans = Vec::new();
    for (i, row) in SUGGESTIONS.iter().enumerate() {
        plans.push(suggestion(i, row, station_id(row.station), today));
    }
    for (i, row) in DISPUTES.iter().enumerate() {
        plans.push(dispute(i, row, station_id(row.station), today));
    }
    for (i, row) in ACTIVITIES.iter().enumerate() {
        plans.push(activity(i, row, station_id(row.station), today));
    }
    plans
}

fn participants(origin: City, partners: &[City]) -> Vec<City> {
    std::iter::once(origin)
        .chain(partners.iter().copied())
        .collect()
}

fn suggestion(i: usize, row: &SuggestionRow, station_id: String, today: Date) -> Plan {
    let all = participants(row.origin, row.partners);
    let mut steps = suggestion_work(i, row, &all, today);
    let expect = suggestion_outcome(row, today, &mut steps);
    let create = SuggestionSubmitted {
        title: row.title.to_owned(),
        body: row.body.to_owned(),
        proposers: row.proposers.iter().map(|p| (*p).to_owned()).collect(),
        station_id,
        // The year of its 提出日期 (last year's on 1 January, like every past date then).
        year: 0,
        submitted_on: When::Past(submitted_at(i)).ymd(today),
    };
    Plan {
        key: format!("demo-suggestion-{:02}", i + 1),
        kind: Kind::Suggestion,
        origin: row.origin,
        partners: row.partners.to_vec(),
        create: ch(K::SuggestionSubmitted(create)),
        steps,
        expect,
    }
}

/// When the deputies submitted suggestion `i`: early in the year (‰ of it gone, < 150).
fn submitted_at(i: usize) -> u16 {
    ((i * 13) % 150) as u16
}

/// Each city dispatches its own part to its own unit (a month after submission, before
/// the deadline), then the progress notes and the answers the stage calls for (before the
/// deadlines of finished ones), each by the city whose part it is.
fn suggestion_work(i: usize, row: &SuggestionRow, all: &[City], today: Date) -> Vec<Step> {
    use SugStage as S;
    let finished = matches!(
        row.stage,
        S::Answered | S::Rated(_) | S::Unsatisfied | S::Closed(_)
    );
    let deadline = |j: usize| {
        let spread = ((i * 37 + j * 53) % 250) as u16;
        match row.stage {
            S::Overdue => When::Past(650 + spread),
            _ if finished => When::Past(250 + spread),
            _ => When::Future(150 + spread),
        }
        .ymd(today)
    };
    let unit = |c: City| format!("{}{}", CITY_CN[c], row.topic.bureau);
    let mut steps: Vec<Step> = all
        .iter()
        .enumerate()
        .map(|(j, &c)| {
            let d = SuggestionDispatched {
                unit: unit(c),
                deadline: deadline(j),
                dispatched_on: When::Past(submitted_at(i) + 40 + j as u16 * 5).ymd(today),
            };
            step(c, K::SuggestionDispatched(d))
        })
        .collect();
    let (progress, answers): (&[City], &[City]) = match row.stage {
        S::Dispatched | S::Overdue => (&[], &[]),
        S::Progress => (all, &[]),
        S::PartAnswered => (all, &all[..1]),
        S::CarriedOver => (&all[..1], &[]),
        S::Answered | S::Rated(_) | S::Unsatisfied | S::Closed(_) => (&all[..1], all),
    };
    for &c in progress {
        let note = row.topic.progress.replace("{unit}", &unit(c));
        steps.push(step(c, K::SuggestionProgress(SuggestionProgress { note })));
    }
    for (j, &c) in answers.iter().enumerate() {
        let answer = row.topic.answer.to_owned();
        // After every dispatch (at most 200‰), before the earliest finished deadline (250‰).
        let answered_on = When::Past(210 + ((i * 7 + j * 11) % 40) as u16).ymd(today);
        steps.push(step(
            c,
            K::SuggestionAnswered(SuggestionAnswered {
                answer,
                answered_on,
            }),
        ));
    }
    steps
}

/// The origin's closing acts for the stage (rate, close, carry over); returns the status
/// the suggestion ends in.
fn suggestion_outcome(row: &SuggestionRow, today: Date, steps: &mut Vec<Step>) -> &'static str {
    use SugStage as S;
    let o = row.origin;
    match row.stage {
        S::Dispatched | S::Overdue => "dispatched",
        S::Progress | S::PartAnswered => "in_progress",
        S::Answered => "answered",
        S::Rated(r) => {
            steps.push(step(o, rated(r)));
            "rated"
        }
        S::Unsatisfied => {
            // 二次办理 with a new deadline, so it is not overdue on the old one.
            let K::SuggestionRated(mut again) = rated(Rating::Unsatisfied) else {
                unreachable!("rated() is a rating")
            };
            again.deadline = When::Future(500).ymd(today);
            steps.push(step(o, K::SuggestionRated(again)));
            "reopened"
        }
        S::Closed(r) => {
            steps.push(step(o, rated(r)));
            let note = "经提出代表同意，本件建议办结，转入常态化跟踪。".to_owned();
            steps.push(step(o, K::SuggestionClosed(SuggestionClosed { note })));
            "closed"
        }
        S::CarriedOver => {
            let c = SuggestionCarriedOver {
                to_year: u32::try_from(today.year() + 1).unwrap_or(2100),
                reason: "涉及跨省审批和多部门协调，年内未能办结，按届期制转入下一年度继续督办。"
                    .to_owned(),
                ..Default::default()
            };
            steps.push(step(o, K::SuggestionCarriedOver(c)));
            "carried_over"
        }
    }
}

fn rated(r: Rating) -> K {
    let comment = match r {
        Rating::Satisfied => "办理态度积极、措施具体，问题已得到解决，群众反映良好，表示满意。",
        Rating::BasicallySatisfied => "主要问题已解决，后续管护和长效机制还需跟进，基本满意。",
        _ => "答复内容较笼统，项目选址未征求边界群众意见，建设进度滞后，不满意，要求二次办理。",
    };
    K::SuggestionRated(SuggestionRated {
        rating: r as i32,
        comment: comment.to_owned(),
        ..Default::default()
    })
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
