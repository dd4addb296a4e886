//! The plan of one deputies' suggestion: each city dispatches its part to its 主办 unit
//! (the origin's with a 协办 unit) and the unit signs for it (签收) — or returns it and the
//! city re-dispatches it (改派); progress, answers with their result category, each
//! proposer's rating, 二次办理, closing or carrying over, as the row's stage calls for;
//! some suggestions are supervised as key ones (重点督办).

use lianluo_proto::{
    change::Kind as K, Rating, ResultCategory, SuggestionAccepted, SuggestionAnswered,
    SuggestionCarriedOver, SuggestionClosed, SuggestionDispatched, SuggestionPrioritized,
    SuggestionProgress, SuggestionProposerRated, SuggestionRated, SuggestionRedispatched,
    SuggestionReturned, SuggestionSubmitted,
};
use time::Date;

use super::super::data::{City, SugStage, SuggestionRow, When, CITY_CN, DEPUTIES};
use super::{ch, participants, step, Kind, Plan, Step};

pub(super) fn suggestion(i: usize, row: &SuggestionRow, station_id: String, today: Date) -> Plan {
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
                co_units: co_units(j, c, row),
            };
            step(c, K::SuggestionDispatched(d))
        })
        .collect();
    handling(i, row, all, &mut steps);
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
                category: category(row.stage) as i32,
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
            // Each proposer rates; the suggestion's rating follows from theirs.
            for p in row.proposers {
                let K::SuggestionRated(whole) = rated(r) else {
                    unreachable!("rated() is a rating")
                };
                let by = SuggestionProposerRated {
                    proposer: (*p).to_owned(),
                    rating: whole.rating,
                    comment: whole.comment,
                    deadline: String::new(),
                };
                steps.push(step(o, K::SuggestionProposerRated(by)));
            }
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

/// The origin's part has a 协办 unit: the finance bureau, or natural resources where the
/// finance bureau leads.
fn co_units(j: usize, c: City, row: &SuggestionRow) -> Vec<String> {
    if j != 0 {
        return Vec::new();
    }
    let helper = if row.topic.bureau == "财政局" {
        "自然资源局"
    } else {
        "财政局"
    };
    vec![format!("{}{helper}", CITY_CN[c])]
}

/// After the dispatches: every unit signs for its part (签收) once work starts — except
/// that on every fourth suggestion the last city's unit first returns it (退回) and the city
/// re-dispatches it (改派) to its development and reform commission; a suggestion in
/// every five is supervised as a key one (重点督办) by the origin's congress.
fn handling(i: usize, row: &SuggestionRow, all: &[City], steps: &mut Vec<Step>) {
    use SugStage as S;
    if matches!(row.stage, S::Dispatched | S::Overdue) {
        return;
    }
    for (j, &c) in all.iter().enumerate() {
        if i % 4 == 1 && j + 1 == all.len() && j > 0 {
            let reason = format!(
                "本单位不是该事项的主管部门，建议改由{}发展和改革委员会牵头办理。",
                CITY_CN[c]
            );
            steps.push(step(
                c,
                K::SuggestionReturned(SuggestionReturned { reason }),
            ));
            let again = SuggestionRedispatched {
                unit: format!("{}发展和改革委员会", CITY_CN[c]),
                reason: "按承办单位职责调整，改派发展改革部门主办。".to_owned(),
                ..Default::default()
            };
            steps.push(step(c, K::SuggestionRedispatched(again)));
        }
        let note = "承办单位已签收，明确分管领导和具体经办人员。".to_owned();
        steps.push(step(c, K::SuggestionAccepted(SuggestionAccepted { note })));
    }
    if i.is_multiple_of(5) {
        let leader = format!(
            "{}人大常委会副主任 {}",
            CITY_CN[row.origin], DEPUTIES[row.origin][5]
        );
        let note = "列入本年度重点督办建议，实行领导领衔督办。".to_owned();
        steps.push(step(
            row.origin,
            K::SuggestionPrioritized(SuggestionPrioritized { leader, note }),
        ));
    }
}

/// The result category of the answers at the row's stage.
fn category(stage: SugStage) -> ResultCategory {
    match stage {
        SugStage::Rated(Rating::Satisfied) | SugStage::Closed(_) => ResultCategory::Solved,
        SugStage::Unsatisfied => ResultCategory::Constrained,
        _ => ResultCategory::Planned,
    }
}
