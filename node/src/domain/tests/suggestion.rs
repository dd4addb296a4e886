//! Suggestion state machine: submit, dispatch, progress, answer, rate, close.

use lianluo_proto::{
    change::Kind as K, Rating, SuggestionAnswered, SuggestionClosed, SuggestionDispatched,
    SuggestionProgress, SuggestionRated, SuggestionSubmitted,
};

use super::{status_ok, Rec, T0};

pub(crate) fn submitted(year: u32) -> K {
    K::SuggestionSubmitted(SuggestionSubmitted {
        title: "关于打通贺州—清远省际断头路的建议".into(),
        body: "建议三地联合推进县乡道路连通。".into(),
        proposers: vec!["李明".into(), "王芳".into()],
        station_id: String::new(),
        year,
        ..SuggestionSubmitted::default()
    })
}

pub(crate) fn dispatch(unit: &str, deadline: &str) -> K {
    K::SuggestionDispatched(SuggestionDispatched {
        unit: unit.into(),
        deadline: deadline.into(),
        ..SuggestionDispatched::default()
    })
}

pub(crate) fn progress(note: &str) -> K {
    K::SuggestionProgress(SuggestionProgress { note: note.into() })
}

pub(crate) fn answer(text: &str) -> K {
    K::SuggestionAnswered(SuggestionAnswered {
        answer: text.into(),
        ..SuggestionAnswered::default()
    })
}

pub(crate) fn rate(r: Rating) -> K {
    K::SuggestionRated(SuggestionRated {
        rating: r as i32,
        comment: "代表意见".into(),
        ..Default::default()
    })
}

pub(crate) fn close() -> K {
    K::SuggestionClosed(SuggestionClosed {
        note: String::new(),
    })
}

/// hezhou + qingyuan, both parts dispatched.
pub(super) fn dispatched() -> Rec {
    let mut rec = Rec::new("hezhou", &["qingyuan"], submitted(0));
    rec.act("hezhou", dispatch("贺州市交通运输局", "2026-06-30"));
    rec.act("qingyuan", dispatch("清远市交通运输局", "2026-05-31"));
    rec
}

/// Both parts answered.
pub(super) fn answered() -> Rec {
    let mut rec = dispatched();
    rec.act("hezhou", answer("已列入年度计划"));
    rec.act("qingyuan", answer("已完成勘察设计"));
    rec
}

#[test]
fn submitted_takes_the_year_of_its_clock_when_zero() {
    let r = Rec::new("hezhou", &["qingyuan"], submitted(0)).record();
    assert_eq!(r.status, "submitted");
    assert_eq!(r.title, "关于打通贺州—清远省际断头路的建议");
    let v = r.suggestion.expect("view");
    assert_eq!(v.year, 2026);
    assert_eq!(v.proposers, ["李明", "王芳"]);
    assert!(v.parts.is_empty());
    let r = Rec::new("hezhou", &[], submitted(2025)).record();
    assert_eq!(r.suggestion.expect("view").year, 2025);
}

#[test]
fn each_city_dispatches_its_own_part() {
    let mut rec = Rec::new("hezhou", &["qingyuan"], submitted(0));
    let first = rec.act("qingyuan", dispatch("清远市交通运输局", "2026-05-31"));
    assert_eq!(status_ok(&rec, &first), "dispatched");
    let second = rec.act("hezhou", dispatch("贺州市交通运输局", "2026-06-30"));
    let r = rec.ok(&second);
    assert_eq!(r.status, "dispatched");
    let parts = r.suggestion.expect("view").parts;
    assert_eq!(parts.len(), 2);
    assert_eq!(parts[0].city, "qingyuan");
    assert_eq!(parts[0].unit, "清远市交通运输局");
    assert_eq!(parts[0].status, "dispatched");
    assert_eq!(parts[1].deadline, "2026-06-30");
    // In the official terms, no spaces around numbers in Chinese; and in English.
    assert_eq!(
        r.history[2].summary,
        "交办至贺州市交通运输局，办理期限2026-06-30"
    );
    assert_eq!(
        r.history[2].summary_en,
        "Dispatched to 贺州市交通运输局, deadline 2026-06-30"
    );
}

#[test]
fn a_city_dispatches_its_part_only_once() {
    let mut rec = dispatched();
    let id = rec.act("hezhou", dispatch("贺州市住建局", "2026-07-01"));
    rec.rejected(
        &id,
        "cannot dispatch: hezhou has already dispatched its part to 贺州市交通运输局",
    );
}

#[test]
fn non_participant_cannot_dispatch() {
    let mut rec = Rec::new("hezhou", &["qingyuan"], submitted(0));
    let id = rec.act("yongzhou", dispatch("永州市交通运输局", "2026-05-31"));
    rec.rejected(&id, "yongzhou is not a participant");
}

#[test]
fn answer_before_dispatch_names_the_state() {
    let mut rec = Rec::new("hezhou", &["qingyuan"], submitted(0));
    let id = rec.act("hezhou", answer("已办理"));
    let r = rec.rejected(
        &id,
        "cannot answer: suggestion is `submitted`; hezhou has not dispatched its part",
    );
    assert_eq!(r.status, "submitted");
}

#[test]
fn progress_needs_the_authors_own_part() {
    let mut rec = Rec::new("hezhou", &["qingyuan"], submitted(0));
    rec.act("hezhou", dispatch("贺州市交通运输局", "2026-06-30"));
    let id = rec.act("qingyuan", progress("正在调研"));
    rec.rejected(
        &id,
        "cannot record progress: suggestion is `dispatched`; qingyuan has not dispatched its part",
    );
}

#[test]
fn progress_appends_a_note_and_moves_to_in_progress() {
    let mut rec = dispatched();
    let id = rec.act("qingyuan", progress("已完成现场踏勘"));
    let r = rec.ok(&id);
    assert_eq!(r.status, "in_progress");
    let parts = r.suggestion.expect("view").parts;
    let q = parts.iter().find(|p| p.city == "qingyuan").expect("part");
    assert_eq!(q.progress, ["已完成现场踏勘"]);
    assert_eq!(q.status, "dispatched");
}

#[test]
fn answered_only_when_every_participant_answered() {
    let mut rec = dispatched();
    let first = rec.act("hezhou", answer("已列入年度计划"));
    assert_eq!(status_ok(&rec, &first), "in_progress");
    let second = rec.act("qingyuan", answer("已完成勘察设计"));
    let r = rec.ok(&second);
    assert_eq!(r.status, "answered");
    let v = r.suggestion.expect("view");
    assert!(v.parts.iter().all(|p| p.status == "answered"));
    assert_eq!(v.parts[1].answer, "已完成勘察设计");
    assert!(!v.overdue);
    assert_eq!(v.next_deadline, "");
}

#[test]
fn a_part_is_answered_only_once() {
    let mut rec = dispatched();
    rec.act("hezhou", answer("一"));
    let id = rec.act("hezhou", answer("二"));
    rec.rejected(
        &id,
        "cannot answer: suggestion is `in_progress`; hezhou has already answered its part",
    );
    let id = rec.act("hezhou", progress("补充"));
    rec.rejected(
        &id,
        "cannot record progress: suggestion is `in_progress`; hezhou has already answered its part",
    );
}

#[test]
fn no_progress_or_answer_once_answered() {
    let mut rec = answered();
    let id = rec.act("hezhou", progress("补充"));
    rec.rejected(
        &id,
        "cannot record progress: suggestion is `answered`, must be `dispatched`, `in_progress`, `reopened` or `carried_over`",
    );
}

#[test]
fn only_the_origin_rates() {
    let mut rec = answered();
    let id = rec.act("qingyuan", rate(Rating::Satisfied));
    let r = rec.rejected(&id, "only the origin city hezhou may rate");
    assert_eq!(r.status, "answered");
}

#[test]
fn rating_needs_an_answered_suggestion() {
    let mut rec = dispatched();
    rec.act("hezhou", answer("一"));
    let id = rec.act("hezhou", rate(Rating::Satisfied));
    rec.rejected(
        &id,
        "cannot rate: suggestion is `in_progress`, must be `answered`",
    );
}

#[test]
fn satisfied_and_basically_satisfied_rate_it() {
    for (rating, name) in [
        (Rating::Satisfied, "satisfied"),
        (Rating::BasicallySatisfied, "basically_satisfied"),
    ] {
        let mut rec = answered();
        let id = rec.act("hezhou", rate(rating));
        let r = rec.ok(&id);
        assert_eq!(r.status, "rated");
        let v = r.suggestion.expect("view");
        assert_eq!(v.rating, name);
        assert_eq!(v.rating_comment, "代表意见");
    }
}

#[test]
fn unsatisfied_reopens_every_part_and_keeps_answers_until_replaced() {
    let mut rec = answered();
    let id = rec.act("hezhou", rate(Rating::Unsatisfied));
    let r = rec.ok(&id);
    assert_eq!(r.status, "reopened");
    let v = r.suggestion.expect("view");
    assert_eq!(v.rating, "unsatisfied");
    assert!(v.parts.iter().all(|p| p.status == "dispatched"));
    assert_eq!(v.parts[0].answer, "已列入年度计划");
    assert_eq!(r.history.last().expect("entry").summary, "测评：不满意");

    let re = rec.act("hezhou", answer("已开工建设"));
    assert_eq!(status_ok(&rec, &re), "in_progress");
    let re2 = rec.act("qingyuan", answer("已通车"));
    let r = rec.ok(&re2);
    assert_eq!(r.status, "answered");
    assert_eq!(r.suggestion.expect("view").parts[0].answer, "已开工建设");
    let ok = rec.act("hezhou", rate(Rating::Satisfied));
    assert_eq!(status_ok(&rec, &ok), "rated");
}

#[test]
fn close_needs_a_rating() {
    let mut rec = answered();
    let id = rec.act("hezhou", close());
    rec.rejected(
        &id,
        "cannot close: suggestion is `answered`, must be `rated`",
    );
}

#[test]
fn origin_closes_a_rated_suggestion_and_it_is_final() {
    let mut rec = answered();
    rec.act("hezhou", rate(Rating::Satisfied));
    let partner = rec.act("qingyuan", close());
    rec.rejected(&partner, "only the origin city hezhou may close");
    let id = rec.act("hezhou", close());
    assert_eq!(status_ok(&rec, &id), "closed");
    let again = rec.act("hezhou", close());
    rec.rejected(
        &again,
        "cannot close: suggestion is `closed`, must be `rated`",
    );
    let add = rec.act("hezhou", super::station::add("yongzhou"));
    rec.rejected(&add, "cannot add a participant: suggestion is `closed`");
    let dispatch_id = rec.act("qingyuan", dispatch("清远市", "2026-09-01"));
    rec.rejected(
        &dispatch_id,
        "cannot dispatch: suggestion is `closed`, must be `submitted`, `dispatched`, `in_progress`, `reopened` or `carried_over`",
    );
}

#[test]
fn later_clock_moves_updated_at() {
    let mut rec = dispatched();
    rec.at(T0 + 2 * super::DAY);
    let id = rec.act("hezhou", progress("推进中"));
    assert_eq!(rec.ok(&id).updated_at, "2026-03-03T00:00:00Z");
}
