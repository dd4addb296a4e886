//! Suggestion state machine as a table: every change in every status (README: `submitted` →
//! `dispatched` → `in_progress` → `answered` → `rated` → `closed`; `reopened`,
//! `carried_over`; 延期 `suggestion_extended`, 签收 `suggestion_accepted`, 退回
//! `suggestion_returned` and 重点督办 `suggestion_prioritized` keep the status; 改派
//! `suggestion_redispatched` needs a returned part, see `handling`), and the origin-only
//! and per-city (own part) rules.

use lianluo_proto::{change::Kind as K, Rating, Record};

use super::machine::{act, check_machine, origin, partner, refused, setup, Table};
use super::station::add;
use super::suggestion::{answer, answered, close, dispatch, progress, rate, submitted};
use super::suggestion_more::{carry, reopen};
use super::Rec;

/// The statuses the README documents for a suggestion.
pub(super) const STATUSES: [&str; 8] = [
    "submitted",
    "dispatched",
    "in_progress",
    "answered",
    "rated",
    "reopened",
    "carried_over",
    "closed",
];

/// Allowed transitions: (setup, change, status after). Everything else is refused.
/// Dispatch, progress and answer are per city (a city without a part dispatches; a city
/// with an open part works on it); a suggestion is `answered` only when every participant
/// city has answered, so answering one part of two leaves it `in_progress`, and a new
/// participant moves an `answered` suggestion back to `in_progress`.
const TABLE: &Table = &[
    ("submitted", "suggestion_dispatched", "dispatched"),
    ("submitted", "suggestion_carried_over", "carried_over"),
    ("submitted", "participant_added", "submitted"),
    ("dispatched", "suggestion_dispatched", "dispatched"),
    ("dispatched", "suggestion_progress", "in_progress"),
    ("dispatched", "suggestion_answered", "in_progress"),
    ("dispatched", "suggestion_carried_over", "carried_over"),
    ("dispatched", "participant_added", "dispatched"),
    ("dispatched", "suggestion_extended", "dispatched"),
    ("in_progress", "suggestion_dispatched", "in_progress"),
    ("in_progress", "suggestion_progress", "in_progress"),
    ("in_progress", "suggestion_answered", "in_progress"),
    ("in_progress", "suggestion_carried_over", "carried_over"),
    ("in_progress", "participant_added", "in_progress"),
    ("in_progress", "suggestion_extended", "in_progress"),
    ("answered", "suggestion_rated", "rated"),
    ("answered", "suggestion_reopened", "reopened"),
    ("answered", "suggestion_carried_over", "carried_over"),
    ("answered", "participant_added", "in_progress"),
    ("rated", "suggestion_reopened", "reopened"),
    ("rated", "suggestion_closed", "closed"),
    ("rated", "participant_added", "rated"),
    (
        "reopened (yongzhou added)",
        "suggestion_dispatched",
        "reopened",
    ),
    (
        "reopened (yongzhou added)",
        "suggestion_progress",
        "in_progress",
    ),
    (
        "reopened (yongzhou added)",
        "suggestion_answered",
        "in_progress",
    ),
    (
        "reopened (yongzhou added)",
        "suggestion_carried_over",
        "carried_over",
    ),
    ("reopened (yongzhou added)", "participant_added", "reopened"),
    (
        "reopened (yongzhou added)",
        "suggestion_extended",
        "reopened",
    ),
    ("carried_over", "suggestion_dispatched", "carried_over"),
    ("carried_over", "suggestion_progress", "in_progress"),
    ("carried_over", "suggestion_answered", "in_progress"),
    ("carried_over", "suggestion_carried_over", "carried_over"),
    ("carried_over", "participant_added", "carried_over"),
    ("carried_over", "suggestion_extended", "carried_over"),
    ("dispatched", "suggestion_accepted", "dispatched"),
    ("dispatched", "suggestion_returned", "dispatched"),
    ("dispatched", "suggestion_prioritized", "dispatched"),
    ("in_progress", "suggestion_accepted", "in_progress"),
    ("in_progress", "suggestion_returned", "in_progress"),
    ("in_progress", "suggestion_prioritized", "in_progress"),
    (
        "reopened (yongzhou added)",
        "suggestion_accepted",
        "reopened",
    ),
    (
        "reopened (yongzhou added)",
        "suggestion_returned",
        "reopened",
    ),
    (
        "reopened (yongzhou added)",
        "suggestion_prioritized",
        "reopened",
    ),
    ("carried_over", "suggestion_accepted", "carried_over"),
    ("carried_over", "suggestion_returned", "carried_over"),
    ("carried_over", "suggestion_prioritized", "carried_over"),
    ("submitted", "suggestion_prioritized", "submitted"),
    ("answered", "suggestion_prioritized", "answered"),
    // One of two proposers rated (recorded by the partner city): still `answered`.
    ("answered", "suggestion_proposer_rated", "answered"),
    ("rated", "suggestion_prioritized", "rated"),
];

fn fresh() -> Rec {
    Rec::new("hezhou", &["qingyuan"], submitted(0))
}

/// hezhou's part dispatched, qingyuan's not yet.
fn one_dispatched() -> Rec {
    let mut rec = fresh();
    rec.act("hezhou", dispatch("贺州市交通运输局", "2026-06-30"));
    rec
}

/// hezhou works on its part, qingyuan has not dispatched yet.
fn in_progress() -> Rec {
    let mut rec = one_dispatched();
    rec.act("hezhou", progress("已完成线路踏勘"));
    rec
}

fn rated() -> Rec {
    let mut rec = answered();
    rec.act("hezhou", rate(Rating::Satisfied));
    rec
}

/// Rated unsatisfied (every part back to `dispatched`), then yongzhou joins, so one city has
/// no part yet and may still dispatch.
fn reopened() -> Rec {
    let mut rec = answered();
    rec.act("hezhou", rate(Rating::Unsatisfied));
    rec.act("hezhou", add("yongzhou"));
    rec
}

/// Carried into 2027 while hezhou works on its part and qingyuan has not dispatched.
fn carried_over() -> Rec {
    let mut rec = in_progress();
    rec.act("hezhou", carry(2027));
    rec
}

fn closed() -> Rec {
    let mut rec = rated();
    rec.act("hezhou", close());
    rec
}

/// The cities of the record's parts, with whether each part is answered.
fn parts(r: &Record) -> Vec<(String, bool)> {
    let parts = r.suggestion.as_ref().map(|s| s.parts.clone());
    let parts = parts.unwrap_or_default().into_iter();
    parts.map(|p| (p.city, p.status == "answered")).collect()
}

/// The first participant city without a part (else the origin).
fn without_part(r: &Record) -> String {
    let parts = parts(r);
    let city = r
        .participants
        .iter()
        .find(|c| parts.iter().all(|p| p.0 != **c));
    city.unwrap_or(&r.origin).clone()
}

/// The first city whose part is dispatched and not answered (else the origin).
fn open_part(r: &Record) -> String {
    let open = parts(r).into_iter().find(|p| !p.1).map(|p| p.0);
    open.unwrap_or_else(|| r.origin.clone())
}

fn dispatching() -> K {
    dispatch("交通运输局", "2026-12-31")
}

fn noting() -> K {
    progress("正在办理")
}

fn answering() -> K {
    answer("已办结")
}

fn satisfied() -> K {
    rate(Rating::Satisfied)
}

fn carrying() -> K {
    carry(2030)
}

fn extending() -> K {
    super::deadlines::extend("2027-12-31")
}

fn accepting() -> K {
    super::handling::accept()
}

fn returning() -> K {
    super::handling::give_back("不属于本单位职责")
}

fn redispatching() -> K {
    super::handling::redispatch("发展和改革委员会")
}

fn prioritizing() -> K {
    super::handling::prioritize("常委会副主任 张三")
}

fn proposer_rating() -> K {
    K::SuggestionProposerRated(lianluo_proto::SuggestionProposerRated {
        proposer: "王芳".into(),
        rating: Rating::Satisfied as i32,
        ..Default::default()
    })
}

fn adding() -> K {
    add("shaoguan")
}

#[test]
fn every_suggestion_change_in_every_status() {
    let setups = [
        setup("submitted", fresh),
        setup("dispatched", one_dispatched),
        setup("in_progress", in_progress),
        setup("answered", answered),
        setup("rated", rated),
        setup("reopened (yongzhou added)", reopened),
        setup("carried_over", carried_over),
        setup("closed", closed),
    ];
    let acts = [
        act("suggestion_dispatched", dispatching, without_part),
        act("suggestion_progress", noting, open_part),
        act("suggestion_answered", answering, open_part),
        act("suggestion_rated", satisfied, origin),
        act("suggestion_reopened", reopen, origin),
        act("suggestion_carried_over", carrying, origin),
        act("suggestion_closed", close, origin),
        act("participant_added", adding, origin),
        act("suggestion_extended", extending, open_part),
        act("suggestion_accepted", accepting, open_part),
        act("suggestion_returned", returning, open_part),
        act("suggestion_redispatched", redispatching, open_part),
        act("suggestion_prioritized", prioritizing, partner),
        act("suggestion_proposer_rated", proposer_rating, partner),
    ];
    check_machine(&STATUSES, &setups, &acts, TABLE);
}

#[test]
fn a_partner_may_do_no_origin_act() {
    let only = |verb: &str| format!("only the origin city hezhou may {verb}");
    refused(answered, "qingyuan", satisfied(), &only("rate"));
    refused(answered, "qingyuan", reopen(), &only("reopen"));
    refused(rated, "qingyuan", reopen(), &only("reopen"));
    refused(in_progress, "qingyuan", carrying(), &only("carry over"));
    refused(rated, "qingyuan", close(), &only("close"));
    refused(in_progress, "qingyuan", adding(), &only("add participants"));
}

#[test]
fn a_city_works_only_on_its_own_part() {
    let none = |verb: &str| {
        format!("cannot {verb}: suggestion is `in_progress`; qingyuan has not dispatched its part")
    };
    refused(in_progress, "qingyuan", noting(), &none("record progress"));
    refused(in_progress, "qingyuan", answering(), &none("answer"));
    refused(
        in_progress,
        "hezhou",
        dispatching(),
        "cannot dispatch: hezhou has already dispatched its part to 贺州市交通运输局",
    );
    let answered_own = || {
        let mut rec = in_progress();
        rec.act("hezhou", answer("已列入计划"));
        rec
    };
    let twice = "cannot answer: suggestion is `in_progress`; hezhou has already answered its part";
    refused(answered_own, "hezhou", answering(), twice);
}
