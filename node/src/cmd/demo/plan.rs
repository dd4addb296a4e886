//! Turns the data tables into plans: for every sample record, the creation change its
//! origin city sends and the acts that follow, each by the city that would really do it
//! (each city dispatches and answers its own part of a suggestion, every side confirms a
//! dispute agreement, the host city reports its station's activity). Pure: no I/O.

use lianluo_proto::{
    change::Kind as K, ActivityCancelled, ActivityPlanned, ActivityReported, Change, Deputy,
    DisputeAgreed, DisputeChecked, DisputeConfirmed, DisputeEscalated, DisputeFailed,
    DisputeReported, DisputeResolved, DisputeSession, DisputeWithdrawn, Rating, StationRegistered,
    SuggestionAnswered, SuggestionCarriedOver, SuggestionClosed, SuggestionDispatched,
    SuggestionProgress, SuggestionRated, SuggestionSubmitted,
};
use time::Date;

use super::cases::{
    ActStage, ActivityRow, DisputeRow, DisputeStage, Subject, ACTIVITIES, DISPUTES,
};
use super::data::{
    City, StationRow, SugStage, SuggestionRow, When, CITY_CN, DEPUTIES, PROVINCE_GOV, STATIONS,
    SUGGESTIONS,
};
use super::CITIES;

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
    use SugStage as S;
    let all = participants(row.origin, row.partners);
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
            };
            step(c, K::SuggestionDispatched(d))
        })
        .collect();
    let (progress, answers): (&[City], &[City]) = match row.stage {
        S::Dispatched | S::Overdue => (&[], &[]),
        S::Progress => (&all, &[]),
        S::PartAnswered => (&all, &all[..1]),
        S::CarriedOver => (&all[..1], &[]),
        S::Answered | S::Rated(_) | S::Unsatisfied | S::Closed(_) => (&all[..1], &all),
    };
    for &c in progress {
        let note = row.topic.progress.replace("{unit}", &unit(c));
        steps.push(step(c, K::SuggestionProgress(SuggestionProgress { note })));
    }
    for &c in answers {
        let answer = row.topic.answer.replace("{unit}", &unit(c));
        steps.push(step(
            c,
            K::SuggestionAnswered(SuggestionAnswered { answer }),
        ));
    }
    let o = row.origin;
    let expect = match row.stage {
        S::Dispatched | S::Overdue => "dispatched",
        S::Progress | S::PartAnswered => "in_progress",
        S::Answered => "answered",
        S::Rated(r) => {
            steps.push(step(o, rated(r)));
            "rated"
        }
        S::Unsatisfied => {
            steps.push(step(o, rated(Rating::Unsatisfied)));
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
            };
            steps.push(step(o, K::SuggestionCarriedOver(c)));
            "carried_over"
        }
    };
    let create = SuggestionSubmitted {
        title: row.title.to_owned(),
        body: row.body.to_owned(),
        proposers: row.proposers.iter().map(|p| (*p).to_owned()).collect(),
        station_id,
        year: 0,
    };
    Plan {
        key: format!("demo-suggestion-{:02}", i + 1),
        kind: Kind::Suggestion,
        origin: o,
        partners: row.partners.to_vec(),
        create: ch(K::SuggestionSubmitted(create)),
        steps,
        expect,
    }
}

fn rated(r: Rating) -> K {
    let comment = match r {
        Rating::Satisfied => "办理态度积极、措施具体，问题已得到解决，群众反映良好，表示满意。",
        Rating::BasicallySatisfied => "主要问题已解决，后续管护和长效机制还需跟进，基本满意。",
        _ => "答复内容较笼统，项目选址未征求边界群众意见，建设进度滞后，不满意，要求重新办理。",
    };
    K::SuggestionRated(SuggestionRated {
        rating: r as i32,
        comment: comment.to_owned(),
    })
}

/// Deputies of `c` for the `i`-th record: two names from the city's pool.
fn deputies(i: usize, c: City) -> [&'static str; 2] {
    [DEPUTIES[c][i % 6], DEPUTIES[c][(i + 3) % 6]]
}

fn dispute(i: usize, row: &DisputeRow, station_id: String, today: Date) -> Plan {
    use DisputeStage as D;
    let all = participants(row.origin, row.partners);
    let (o, p) = (
        row.origin,
        row.partners.first().copied().unwrap_or(row.origin),
    );
    let [p0, p1] = row.parties;
    let (loc, subj) = (row.location, row.subject.cn());
    let base = ((i * 17) % 500) as u16 + 100;
    let place = STATIONS
        .get(row.station)
        .map(StationRow::name)
        .unwrap_or_default();
    let mut attendees: Vec<String> = all
        .iter()
        .flat_map(|&c| deputies(i, c).map(|d| format!("{d}（{}人大代表）", CITY_CN[c])))
        .collect();
    attendees.extend(row.parties.iter().map(|party| format!("{party}代表")));
    let session = |when: u16, summary: String| {
        K::DisputeSession(DisputeSession {
            date: When::Past(when).ymd(today),
            place: place.clone(),
            attendees: attendees.clone(),
            summary,
        })
    };
    let mut steps = Vec::new();
    if row.stage != D::Reported {
        let s = format!("{}人大代表会同司法所、林业站和村干部到现场踏勘，听取双方陈述，调取历史权属资料和航拍图，初步明确争议范围。", n_places(all.len()));
        steps.push(step(o, session(base, s)));
    }
    if matches!(
        row.stage,
        D::Agreed | D::InForce | D::Resolved | D::Escalated
    ) || (row.stage == D::Mediating && i.is_multiple_of(2))
    {
        let s = if row.stage == D::Escalated {
            "召开第二次联合调解会，双方仍坚持各自主张，对历史界址资料的认定分歧未能缩小。"
        } else {
            "在联络站召开联合调解会，代表释法说理、逐项核对界址，双方同意在现有界线基础上协商划界，由联络站起草调解协议。"
        };
        steps.push(step(p, session(base + 120, s.to_owned())));
    }
    let expect = match row.stage {
        D::Reported => "reported",
        D::Mediating => "mediating",
        D::Withdrawn => {
            let reason = "双方经联络站代表释法说理后自行协商一致，申请撤回调解。".to_owned();
            steps.push(step(o, K::DisputeWithdrawn(DisputeWithdrawn { reason })));
            "withdrawn"
        }
        D::Escalated => {
            let reason = "双方对历史权属资料认定分歧较大，经多次联合调解未能达成协议。".to_owned();
            steps.push(step(o, K::DisputeFailed(DisputeFailed { reason })));
            let e = DisputeEscalated {
                to: PROVINCE_GOV[o].to_owned(),
                reason: "属跨省边界山林土地权属争议，依法提请省级人民政府协调处理。".to_owned(),
            };
            steps.push(step(o, K::DisputeEscalated(e)));
            "escalated"
        }
        D::Agreed | D::InForce | D::Resolved => {
            let terms = terms(row.subject, loc, p0, p1);
            steps.push(step(o, K::DisputeAgreed(DisputeAgreed { terms })));
            let confirming = if row.stage == D::Agreed {
                &all[..1]
            } else {
                &all[..]
            };
            for &c in confirming {
                let note = format!(
                    "{}人大常委会确认调解协议，由属地乡镇人民政府负责落实。",
                    CITY_CN[c]
                );
                steps.push(step(c, K::DisputeConfirmed(DisputeConfirmed { note })));
            }
            if row.stage == D::Resolved {
                let check = DisputeChecked {
                    date: When::Past(base + 280).ymd(today),
                    passed: true,
                    note: format!(
                        "{}联合复查：界桩已埋设到位，双方按协议管护，未再发生纠纷。",
                        n_places(all.len())
                    ),
                };
                steps.push(step(p, K::DisputeChecked(check)));
                let note = "协议履行完毕，纠纷化解，案卷归档。".to_owned();
                steps.push(step(o, K::DisputeResolved(DisputeResolved { note })));
            }
            match row.stage {
                D::Agreed => "agreed",
                D::InForce => "in_force",
                _ => "resolved",
            }
        }
    };
    let area = if row.area > 0.0 {
        format!("约{}亩", row.area)
    } else {
        "面积尚待勘测的".to_owned()
    };
    let create = DisputeReported {
        title: format!("{loc}{subj}权属纠纷"),
        description: format!(
            "{p0}与{p1}对{loc}一带{area}{subj}的权属和界线存在争议，近期因{}引发矛盾，双方各执历史资料，影响边界群众生产生活。",
            row.subject.trigger()
        ),
        location: loc.to_owned(),
        parties: row.parties.iter().map(|s| (*s).to_owned()).collect(),
        area_mu: row.area,
        station_id,
    };
    Plan {
        key: format!("demo-dispute-{:02}", i + 1),
        kind: Kind::Dispute,
        origin: o,
        partners: row.partners.to_vec(),
        create: ch(K::DisputeReported(create)),
        steps,
        expect,
    }
}

fn terms(subject: Subject, loc: &str, p0: &str, p1: &str) -> String {
    match subject {
        Subject::Farmland => format!("以{loc}现有田埂和排水沟为界，{p0}和{p1}各自耕种界线一侧耕地；双方共同埋设界桩，今后不得越界开荒。"),
        Subject::Water => format!("{loc}水源由{p0}和{p1}共用，旱季按受益农户数比例轮流引水；双方共同出资修建分水池，各自管护引水渠。"),
        _ => format!("以{loc}山脊分水线为界，界线两侧{}分别归{p0}和{p1}经营管护；双方共同埋设界桩，沿界线各留5米防火隔离带，今后采伐、整地须提前告知对方。", subject.cn()),
    }
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
