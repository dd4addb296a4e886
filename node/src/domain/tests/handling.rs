//! How offices handle a suggestion: a part's own table (签收, 退回, 改派 beside progress,
//! answer and 延期), 主办/协办 units and result categories in the view, each proposer's
//! rating with the suggestion's rating derived from theirs, and 重点督办.

use lianluo_proto::{
    change::Kind as K, Rating, ResultCategory, SuggestionAccepted, SuggestionAnswered,
    SuggestionDispatched, SuggestionPrioritized, SuggestionProposerRated, SuggestionRedispatched,
    SuggestionReturned,
};

use super::deadlines::extend;
use super::suggestion::{answer, close, dispatched, progress, rate, submitted};
use super::Rec;
use crate::domain::view::summary;
use crate::domain::{validate_change, validate_new_change};

pub(crate) fn accept() -> K {
    K::SuggestionAccepted(SuggestionAccepted {
        note: "已签收".into(),
    })
}

pub(crate) fn give_back(reason: &str) -> K {
    K::SuggestionReturned(SuggestionReturned {
        reason: reason.into(),
    })
}

pub(crate) fn redispatch(unit: &str) -> K {
    K::SuggestionRedispatched(SuggestionRedispatched {
        unit: unit.into(),
        ..Default::default()
    })
}

pub(crate) fn prioritize(leader: &str) -> K {
    K::SuggestionPrioritized(SuggestionPrioritized {
        leader: leader.into(),
        note: String::new(),
    })
}

fn rate_by(proposer: &str, r: Rating, deadline: &str) -> K {
    K::SuggestionProposerRated(SuggestionProposerRated {
        rating: r as i32,
        comment: format!("{proposer}的意见"),
        deadline: deadline.into(),
        proposer: proposer.into(),
    })
}

fn answer_as(text: &str, category: ResultCategory) -> K {
    K::SuggestionAnswered(SuggestionAnswered {
        answer: text.into(),
        category: category as i32,
        ..Default::default()
    })
}

/// hezhou's part in each status; qingyuan's part stays open, so the suggestion stays
/// being handled.
fn part_dispatched() -> Rec {
    dispatched()
}

fn part_accepted() -> Rec {
    let mut rec = dispatched();
    rec.act("hezhou", accept());
    rec
}

fn part_returned() -> Rec {
    let mut rec = dispatched();
    rec.act("hezhou", give_back("不属于本单位职责"));
    rec
}

fn part_answered() -> Rec {
    let mut rec = dispatched();
    rec.act("hezhou", answer("已列入年度计划"));
    rec
}

/// hezhou's part: (status, return reason).
fn hezhou_part(rec: &Rec) -> (String, String) {
    let r = rec.record();
    let s = r.suggestion.expect("suggestion view");
    let p = s.parts.iter().find(|p| p.city == "hezhou").expect("part");
    (p.status.clone(), p.return_reason.clone())
}

/// A name with what it builds.
type Named<F> = (&'static str, F);

/// Every act on a part in every part status: (setup, act, part status after), else
/// refused with a reason naming the part's status, changing nothing.
#[test]
fn handling_every_act_on_a_part_in_every_part_status() {
    let setups: [Named<fn() -> Rec>; 4] = [
        ("dispatched", part_dispatched),
        ("accepted", part_accepted),
        ("returned", part_returned),
        ("answered", part_answered),
    ];
    let acts: [Named<fn() -> K>; 6] = [
        ("accept", accept),
        ("return", || give_back("不属于本单位职责")),
        ("redispatch", || redispatch("贺州市发展和改革委员会")),
        ("progress", || progress("正在办理")),
        ("answer", || answer("已办结")),
        ("extend", || extend("2027-12-31")),
    ];
    let table = [
        ("dispatched", "accept", "accepted"),
        ("dispatched", "return", "returned"),
        ("dispatched", "progress", "dispatched"),
        ("dispatched", "answer", "answered"),
        ("dispatched", "extend", "dispatched"),
        ("accepted", "return", "returned"),
        ("accepted", "progress", "accepted"),
        ("accepted", "answer", "answered"),
        ("accepted", "extend", "accepted"),
        ("returned", "redispatch", "dispatched"),
    ];
    let mut failures = Vec::new();
    for (label, build) in setups {
        let before = build().record();
        for (name, make) in acts {
            let mut rec = build();
            let id = rec.act("hezhou", make());
            let folded = rec.fold();
            let want = table.iter().find(|t| t.0 == label && t.1 == name);
            let what = format!("{label} + {name}");
            match (want, folded.rejected.get(&id)) {
                (Some(t), None) => {
                    let got = hezhou_part(&rec).0;
                    if got != t.2 {
                        failures.push(format!("{what}: expected `{}`, got `{got}`", t.2));
                    }
                }
                (Some(_), Some(reason)) => failures.push(format!("{what}: rejected: {reason}")),
                (None, None) => failures.push(format!("{what}: should be rejected")),
                (None, Some(reason)) => {
                    // The part's own state, not the suggestion's (which is `dispatched` too).
                    let names = match label {
                        "answered" => "hezhou has already answered its part".to_owned(),
                        _ => format!("hezhou's part is `{label}`"),
                    };
                    let returned = label == "returned" && reason.contains("part was returned by");
                    if !reason.contains(&names) && !returned {
                        failures.push(format!("{what}: reason does not say {names:?}: {reason}"));
                    }
                    let after = folded.record.expect("record");
                    if after.suggestion != before.suggestion || after.status != before.status {
                        failures.push(format!("{what}: rejected but the record changed"));
                    }
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn handling_a_returned_part_is_redispatched_to_another_unit() {
    let mut rec = part_returned();
    let r = rec.record();
    let s = r.suggestion.expect("view");
    let p = &s.parts[0];
    assert_eq!(
        (p.status.as_str(), p.return_reason.as_str()),
        ("returned", "不属于本单位职责")
    );
    // Still open: its deadline counts once qingyuan's earlier one is answered.
    rec.act("qingyuan", answer("已完成勘察设计"));
    assert_eq!(
        rec.record().suggestion.expect("view").next_deadline,
        "2026-06-30"
    );
    let id = rec.act("hezhou", progress("开始办理"));
    rec.rejected(
        &id,
        "cannot record progress: hezhou's part was returned by 贺州市交通运输局 (不属于本单位职责); \
         re-dispatch it to another unit first (改派)",
    );
    let id = rec.act("hezhou", redispatch("贺州市交通运输局"));
    rec.rejected(
        &id,
        "cannot re-dispatch: 贺州市交通运输局 returned the part; choose another unit",
    );
    let mut again = part_accepted();
    let id = again.act("hezhou", redispatch("贺州市发展和改革委员会"));
    again.rejected(
        &id,
        "cannot re-dispatch: suggestion is `dispatched`; hezhou's part is `accepted`, must be \
         `returned`; only a part its unit returned (退回) is re-dispatched",
    );
    rec.act(
        "hezhou",
        K::SuggestionRedispatched(SuggestionRedispatched {
            unit: "贺州市发展和改革委员会".into(),
            co_units: vec!["贺州市交通运输局".into()],
            deadline: "2026-09-30".into(),
            reason: "按职责改派".into(),
        }),
    );
    let r = rec.record();
    let p = r.suggestion.expect("view").parts[0].clone();
    assert_eq!(
        (
            p.status.as_str(),
            p.unit.as_str(),
            p.co_units,
            p.deadline.as_str(),
            p.return_reason.as_str()
        ),
        (
            "dispatched",
            "贺州市发展和改革委员会",
            vec!["贺州市交通运输局".to_owned()],
            "2026-09-30",
            ""
        )
    );
    let last = r.history.last().expect("history");
    assert_eq!(
        last.summary,
        "改派至贺州市发展和改革委员会（协办：贺州市交通运输局），办理期限2026-09-30：按职责改派"
    );
}

#[test]
fn handling_co_units_and_the_result_category_show_in_the_view_and_history() {
    let mut rec = Rec::new("hezhou", &[], submitted(0));
    rec.act(
        "hezhou",
        K::SuggestionDispatched(SuggestionDispatched {
            unit: "贺州市交通运输局".into(),
            deadline: "2026-06-30".into(),
            co_units: vec!["贺州市财政局".into(), "贺州市自然资源局".into()],
            ..Default::default()
        }),
    );
    rec.act("hezhou", answer_as("已列入计划", ResultCategory::Planned));
    let r = rec.record();
    let p = r.suggestion.expect("view").parts[0].clone();
    assert_eq!(p.co_units, ["贺州市财政局", "贺州市自然资源局"]);
    assert_eq!(p.category, "b");
    let summaries: Vec<&str> = r.history.iter().map(|h| h.summary.as_str()).collect();
    assert_eq!(
        summaries[1..],
        [
            "交办至贺州市交通运输局（协办：贺州市财政局、贺州市自然资源局），办理期限2026-06-30",
            "答复（B类）：已列入计划"
        ]
    );
    let change = lianluo_proto::Change {
        kind: Some(answer_as("已解决", ResultCategory::Solved)),
    };
    assert_eq!(summary(&change, true), "Answered (category A): 已解决");
}

/// Two proposers (李明, 王芳) on an answered suggestion shared by hezhou and qingyuan.
fn answered() -> Rec {
    super::suggestion::answered()
}

#[test]
fn handling_each_proposer_rates_and_the_suggestion_rating_follows() {
    let mut rec = answered();
    // A deputy of another city: the partner city records it.
    rec.act("qingyuan", rate_by("李明", Rating::Satisfied, ""));
    let r = rec.record();
    assert_eq!(r.status, "answered", "one of two proposers rated");
    let s = r.suggestion.expect("view");
    assert_eq!(s.rating, "");
    assert_eq!(
        (
            s.proposer_ratings[0].proposer.as_str(),
            s.proposer_ratings[0].rating.as_str(),
            s.proposer_ratings[0].city.as_str()
        ),
        ("李明", "satisfied", "qingyuan")
    );
    let id = rec.act("hezhou", rate_by("李明", Rating::Unsatisfied, ""));
    rec.rejected(&id, "cannot rate: 李明 has already rated this answer");
    let id = rec.act("hezhou", rate_by("张三", Rating::Satisfied, ""));
    rec.rejected(
        &id,
        "cannot rate: 张三 is not a proposer of this suggestion (proposers: 李明、王芳)",
    );
    // A tie goes to the less satisfied: 二次办理 with the deadline the rating gave.
    rec.act("hezhou", rate_by("王芳", Rating::Unsatisfied, "2026-11-30"));
    let r = rec.record();
    assert_eq!(r.status, "reopened");
    let s = r.suggestion.expect("view");
    assert_eq!(s.rating, "unsatisfied");
    assert!(s.parts.iter().all(|p| p.deadline == "2026-11-30"));
    assert_eq!(s.proposer_ratings.len(), 2, "the round stays visible");
    // Answered again: a new round.
    rec.act("hezhou", answer("二次办理：已调整选址"));
    rec.act("qingyuan", answer("二次办理：已开工"));
    assert!(rec
        .record()
        .suggestion
        .expect("view")
        .proposer_ratings
        .is_empty());
    rec.act("hezhou", rate_by("李明", Rating::Satisfied, ""));
    rec.act("qingyuan", rate_by("王芳", Rating::BasicallySatisfied, ""));
    let r = rec.record();
    assert_eq!(
        (
            r.status.as_str(),
            r.suggestion.expect("view").rating.as_str()
        ),
        ("rated", "basically_satisfied")
    );
}

#[test]
fn handling_the_rating_most_proposers_gave_wins() {
    use super::super::suggestion::derived_grade_for_test as derived;
    use Rating::{BasicallySatisfied as B, Satisfied as S, Unsatisfied as U};
    for (given, want) in [
        (&[S, S, U][..], S),
        (&[S, U][..], U),
        (&[S, B][..], B),
        (&[B, B, S, S, U][..], B),
        (&[U][..], U),
    ] {
        assert_eq!(derived(given), Some(want), "{given:?}");
    }
    assert_eq!(derived(&[]), None);
}

#[test]
fn handling_proposers_rate_only_an_answered_suggestion() {
    let mut rec = dispatched();
    let id = rec.act("hezhou", rate_by("李明", Rating::Satisfied, ""));
    rec.rejected(
        &id,
        "cannot rate: suggestion is `dispatched`, must be `answered`",
    );
    // The proposers' rating as a whole stays the origin's.
    let mut rec = answered();
    let id = rec.act("qingyuan", rate(Rating::Satisfied));
    rec.rejected(&id, "only the origin city hezhou may rate");
}

#[test]
fn handling_key_supervision_per_city_until_closed() {
    let mut rec = answered();
    rec.act("hezhou", prioritize("贺州市人大常委会副主任 张三"));
    rec.act("qingyuan", prioritize("清远市人大常委会副主任 李四"));
    rec.act("hezhou", prioritize("贺州市人大常委会主任 王五"));
    let r = rec.record();
    let k: Vec<(String, String)> = r
        .suggestion
        .expect("view")
        .key_supervision
        .into_iter()
        .map(|k| (k.city, k.leader))
        .collect();
    assert_eq!(
        k,
        [
            ("hezhou".to_owned(), "贺州市人大常委会主任 王五".to_owned()),
            (
                "qingyuan".to_owned(),
                "清远市人大常委会副主任 李四".to_owned()
            )
        ]
    );
    assert_eq!(
        r.history.last().expect("history").summary,
        "重点督办，督办领导贺州市人大常委会主任 王五"
    );
    rec.act("hezhou", rate(Rating::Satisfied));
    rec.act("hezhou", close());
    let id = rec.act("qingyuan", prioritize("清远市人大常委会主任 赵六"));
    rec.rejected(
        &id,
        "cannot supervise as a key suggestion: suggestion is `closed`",
    );
}

#[test]
fn handling_fields_are_checked_and_named() {
    let check = |k: K| {
        validate_change(&lianluo_proto::Change { kind: Some(k) }, false)
            .map(|_| ())
            .map_err(|e| e.to_string())
    };
    let twice = K::SuggestionDispatched(SuggestionDispatched {
        unit: "贺州市交通运输局".into(),
        deadline: "2026-06-30".into(),
        co_units: vec!["贺州市财政局".into(), "贺州市财政局".into()],
        ..Default::default()
    });
    assert_eq!(
        check(twice),
        Err(
            "suggestion_dispatched.co_units[1]: 贺州市财政局 is already a handling unit of this \
             part; name each unit once"
                .into()
        )
    );
    assert_eq!(
        check(give_back(" ")),
        Err("suggestion_returned.reason: is required (must not be blank)".into())
    );
    assert_eq!(
        check(prioritize("")),
        Err("suggestion_prioritized.leader: is required (must not be blank)".into())
    );
    let odd = K::SuggestionAnswered(SuggestionAnswered {
        answer: "已办".into(),
        category: 9,
        ..Default::default()
    });
    let odd = lianluo_proto::Change { kind: Some(odd) };
    assert_eq!(
        validate_new_change(&odd, false).map_err(|e| e.to_string()),
        Err("suggestion_answered.category: 9 is not a result category (a, b, c or d)".into())
    );
    // A category a newer build adds still folds here (shown as none).
    assert!(validate_change(&odd, false).is_ok());
    let unknown_proposer_is_a_fold_matter = rate_by("张三", Rating::Satisfied, "");
    assert_eq!(check(unknown_proposer_is_a_fold_matter), Ok(()));
}

#[test]
fn handling_a_new_round_starts_clean() {
    // 二次办理: an accepted part goes back to its unit, its answer's category is no longer
    // the one in force, and a round the proposers began is over.
    let mut rec = part_accepted();
    rec.act("hezhou", answer_as("已办结", ResultCategory::Solved));
    rec.act("qingyuan", answer("已办结"));
    rec.act("qingyuan", rate_by("李明", Rating::Satisfied, ""));
    let id = rec.act(
        "hezhou",
        K::SuggestionReopened(lianluo_proto::SuggestionReopened {
            reason: "群众仍有意见".into(),
            deadline: "2026-10-31".into(),
        }),
    );
    let r = rec.ok(&id);
    let s = r.suggestion.expect("view");
    let hz = s.parts.iter().find(|p| p.city == "hezhou").expect("part");
    assert_eq!(
        (hz.status.as_str(), hz.category.as_str()),
        ("dispatched", "")
    );
    assert!(s.proposer_ratings.is_empty());
    // Answered again, the category is the new answer's.
    rec.act("hezhou", answer_as("已纳入计划", ResultCategory::Planned));
    let s = rec.record().suggestion.expect("view");
    let hz = s.parts.iter().find(|p| p.city == "hezhou").expect("part");
    assert_eq!(hz.category, "b");
}

#[test]
fn handling_a_suggestion_without_proposers_is_rated_as_a_whole() {
    let mut rec = Rec::new(
        "hezhou",
        &[],
        K::SuggestionSubmitted(lianluo_proto::SuggestionSubmitted {
            title: "关于联合护林的建议".into(),
            body: "建议联合护林。".into(),
            ..Default::default()
        }),
    );
    rec.act(
        "hezhou",
        super::suggestion::dispatch("贺州市林业局", "2026-06-30"),
    );
    rec.act("hezhou", answer("已办"));
    let id = rec.act("hezhou", rate_by("李明", Rating::Satisfied, ""));
    rec.rejected(
        &id,
        "cannot rate for a proposer: this suggestion names no proposers; the origin city \
         rates it as a whole",
    );
}
