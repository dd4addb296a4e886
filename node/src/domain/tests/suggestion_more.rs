//! Suggestion state machine: reopen, carry over, new partners, overdue and next deadline.

use lianluo_proto::{
    change::Kind as K, Rating, SuggestionCarriedOver, SuggestionRated, SuggestionReopened,
};

use super::station::add;
use super::suggestion::{answer, answered, dispatch, dispatched, progress, rate, submitted};
use super::{status_ok, Rec, DAY, T0};
use crate::domain::{local_date, refresh_overdue};

pub(crate) fn reopen() -> K {
    K::SuggestionReopened(SuggestionReopened {
        reason: "群众反映仍未解决".into(),
        ..Default::default()
    })
}

pub(crate) fn carry(to_year: u32) -> K {
    K::SuggestionCarriedOver(SuggestionCarriedOver {
        to_year,
        reason: "跨年度办理".into(),
        ..Default::default()
    })
}

#[test]
fn origin_reopens_an_answered_or_rated_suggestion() {
    let mut rec = answered();
    let id = rec.act("hezhou", reopen());
    let r = rec.ok(&id);
    assert_eq!(r.status, "reopened");
    assert!(r
        .suggestion
        .expect("view")
        .parts
        .iter()
        .all(|p| p.status == "dispatched"));

    let mut rec = answered();
    rec.act("hezhou", rate(Rating::Satisfied));
    let id = rec.act("hezhou", reopen());
    assert_eq!(status_ok(&rec, &id), "reopened");
    // Reopened parts can be worked on again.
    let p = rec.act("qingyuan", progress("再次核查"));
    assert_eq!(status_ok(&rec, &p), "in_progress");
}

#[test]
fn reopen_refused_while_in_progress_or_by_a_partner() {
    let mut rec = dispatched();
    let id = rec.act("hezhou", reopen());
    rec.rejected(
        &id,
        "cannot reopen: suggestion is `dispatched`, must be `answered` or `rated`",
    );
    let mut rec = answered();
    let id = rec.act("qingyuan", reopen());
    rec.rejected(&id, "only the origin city hezhou may reopen");
}

#[test]
fn carried_over_to_a_later_year_keeps_working() {
    let mut rec = Rec::new("hezhou", &["qingyuan"], submitted(0));
    let id = rec.act("hezhou", carry(2027));
    let r = rec.ok(&id);
    assert_eq!(r.status, "carried_over");
    assert_eq!(r.suggestion.expect("view").carried_over_to, [2027]);
    assert_eq!(r.history[1].summary, "转2027年度继续办理");
    assert_eq!(r.history[1].summary_en, "Carried over to 2027");
    // Dispatching keeps the carried-over status.
    let d = rec.act("qingyuan", dispatch("清远市交通运输局", "2027-03-01"));
    assert_eq!(status_ok(&rec, &d), "carried_over");
    let again = rec.act("hezhou", carry(2027));
    rec.rejected(
        &again,
        "cannot carry over to 2027: the suggestion is already in 2027; choose a later year",
    );
    let later = rec.act("hezhou", carry(2028));
    let r = rec.ok(&later);
    assert_eq!(r.suggestion.expect("view").carried_over_to, [2027, 2028]);
}

#[test]
fn carry_over_to_the_same_or_an_earlier_year_is_refused() {
    let mut rec = Rec::new("hezhou", &[], submitted(2026));
    let same = rec.act("hezhou", carry(2026));
    rec.rejected(
        &same,
        "cannot carry over to 2026: the suggestion is already in 2026; choose a later year",
    );
    let earlier = rec.act("hezhou", carry(2025));
    let r = rec.rejected(
        &earlier,
        "cannot carry over to 2025: the suggestion is already in 2026; choose a later year",
    );
    assert_eq!(r.status, "submitted");
}

#[test]
fn carry_over_refused_when_rated_closed_or_by_a_partner() {
    let mut rec = answered();
    let partner = rec.act("qingyuan", carry(2027));
    rec.rejected(&partner, "only the origin city hezhou may carry over");
    // Allowed while answered.
    let mut ok = answered();
    let id = ok.act("hezhou", carry(2027));
    assert_eq!(status_ok(&ok, &id), "carried_over");

    rec.act("hezhou", rate(Rating::BasicallySatisfied));
    let rated = rec.act("hezhou", carry(2027));
    rec.rejected(
        &rated,
        "cannot carry over: suggestion is `rated`; only an unfinished suggestion is carried over",
    );
}

#[test]
fn carried_over_suggestion_answered_by_all_becomes_answered() {
    let mut rec = dispatched();
    rec.act("hezhou", carry(2027));
    rec.act("hezhou", answer("一"));
    let last = rec.act("qingyuan", answer("二"));
    assert_eq!(status_ok(&rec, &last), "answered");
}

#[test]
fn new_partner_on_an_answered_suggestion_must_answer_too() {
    let mut rec = answered();
    let id = rec.act("hezhou", add("yongzhou"));
    assert_eq!(status_ok(&rec, &id), "in_progress");
    let d = rec.act("yongzhou", dispatch("永州市交通运输局", "2026-08-31"));
    assert_eq!(status_ok(&rec, &d), "in_progress");
    let a = rec.act("yongzhou", answer("已对接"));
    assert_eq!(status_ok(&rec, &a), "answered");
}

#[test]
fn unspecified_rating_is_rejected_by_validation() {
    let mut rec = answered();
    let id = rec.act(
        "hezhou",
        K::SuggestionRated(SuggestionRated {
            rating: 0,
            comment: String::new(),
            ..Default::default()
        }),
    );
    let reason = rec.fold().rejected[&id].clone();
    assert!(
        reason.starts_with("invalid change: suggestion_rated.rating: must be specified"),
        "{reason}"
    );
}

#[test]
fn overdue_as_of_the_latest_event() {
    // Deadlines 2026-05-31 (qingyuan) and 2026-06-30 (hezhou); events in March.
    let mut rec = dispatched();
    let v = rec.record().suggestion.expect("view");
    assert!(!v.overdue);
    assert_eq!(v.next_deadline, "2026-05-31");

    rec.at(T0 + 100 * DAY); // 2026-06-09
    rec.act("hezhou", progress("推进中"));
    let v = rec.record().suggestion.expect("view");
    assert!(v.overdue);
    let q = v.parts.iter().find(|p| p.city == "qingyuan").expect("part");
    let h = v.parts.iter().find(|p| p.city == "hezhou").expect("part");
    assert!(q.overdue);
    assert!(!h.overdue);

    rec.act("qingyuan", answer("已完成"));
    let v = rec.record().suggestion.expect("view");
    assert!(!v.overdue, "an answered part is not overdue");
    assert_eq!(v.next_deadline, "2026-06-30");
}

#[test]
fn deadline_day_itself_is_not_overdue() {
    let mut rec = Rec::new("hezhou", &[], submitted(0));
    rec.act("hezhou", dispatch("贺州市交通运输局", "2026-03-02"));
    // 2026-03-02T10:00+08:00 — still the deadline day in China.
    rec.at(T0 + DAY + 2 * 3_600_000);
    rec.act("hezhou", progress("处理中"));
    assert!(!rec.record().suggestion.expect("view").overdue);
    // 2026-03-02T16:30Z is already 2026-03-03 in UTC+8.
    rec.at(T0 + DAY + 16 * 3_600_000 + 1_800_000);
    rec.act("hezhou", progress("处理中"));
    assert!(rec.record().suggestion.expect("view").overdue);
}

#[test]
fn refresh_overdue_recomputes_for_a_given_day() {
    let mut r = dispatched().record();
    let june = local_date(T0 + 100 * DAY);
    refresh_overdue(&mut r, june);
    let v = r.suggestion.clone().expect("view");
    assert!(v.overdue);
    assert_eq!(v.next_deadline, "2026-05-31");
    refresh_overdue(&mut r, local_date(T0));
    assert!(!r.suggestion.expect("view").overdue);
}

#[test]
fn rated_and_closed_suggestions_are_never_overdue() {
    let mut rec = answered();
    rec.act("hezhou", add("yongzhou"));
    rec.act("yongzhou", dispatch("永州市交通运输局", "2026-03-05"));
    rec.act("yongzhou", answer("已办"));
    rec.act("hezhou", rate(Rating::Satisfied));
    let mut r = rec.record();
    assert_eq!(r.status, "rated");
    refresh_overdue(&mut r, local_date(T0 + 365 * DAY));
    let v = r.suggestion.expect("view");
    assert!(!v.overdue);
    assert_eq!(v.next_deadline, "");
}

#[test]
fn refresh_overdue_leaves_other_kinds_alone() {
    let mut r = Rec::new("hezhou", &[], super::station::registered()).record();
    let before = r.clone();
    refresh_overdue(&mut r, local_date(T0 + 365 * DAY));
    assert_eq!(r, before);
}
