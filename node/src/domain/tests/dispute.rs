//! Dispute state machine: sessions, agreement, confirmation by every city, checks, outcome.

use lianluo_proto::{
    change::Kind as K, DisputeAgreed, DisputeChecked, DisputeConfirmed, DisputeEscalated,
    DisputeFailed, DisputeReported, DisputeResolved, DisputeSession, DisputeWithdrawn,
};

use super::station::add;
use super::{status_ok, Rec};

pub(crate) fn reported() -> K {
    K::DisputeReported(DisputeReported {
        title: "黄田镇与连山县交界山林权属纠纷".into(),
        description: "两村对界址认定存在分歧。".into(),
        location: "大桂山北麓".into(),
        parties: vec!["黄田镇新村".into(), "太保镇上草村".into()],
        area_mu: 126.5,
        station_id: String::new(),
        ..DisputeReported::default()
    })
}

pub(crate) fn session(place: &str) -> K {
    K::DisputeSession(DisputeSession {
        date: "2026-03-10".into(),
        place: place.into(),
        attendees: vec!["张代表".into(), "陈代表".into()],
        summary: "双方陈述意见".into(),
    })
}

pub(crate) fn agreed(terms: &str) -> K {
    K::DisputeAgreed(DisputeAgreed {
        terms: terms.into(),
    })
}

pub(crate) fn confirm() -> K {
    K::DisputeConfirmed(DisputeConfirmed::default())
}

pub(crate) fn check(passed: bool) -> K {
    K::DisputeChecked(DisputeChecked {
        date: "2026-06-01".into(),
        passed,
        note: String::new(),
    })
}

pub(crate) fn resolve() -> K {
    K::DisputeResolved(DisputeResolved {
        note: "界桩已立".into(),
        ..DisputeResolved::default()
    })
}

pub(crate) fn failed() -> K {
    K::DisputeFailed(DisputeFailed {
        reason: "一方反悔".into(),
    })
}

pub(crate) fn escalate() -> K {
    K::DisputeEscalated(DisputeEscalated {
        to: "省人民政府".into(),
        reason: "调解未成".into(),
    })
}

pub(crate) fn withdraw() -> K {
    K::DisputeWithdrawn(DisputeWithdrawn::default())
}

pub(super) fn dispute() -> Rec {
    Rec::new("hezhou", &["qingyuan"], reported())
}

/// Agreement recorded, not yet confirmed.
pub(super) fn agreed_dispute() -> Rec {
    let mut rec = dispute();
    rec.act("qingyuan", session("连山县太保镇"));
    rec.act("hezhou", agreed("以山脊为界"));
    rec
}

/// Agreement confirmed by both cities.
pub(super) fn in_force() -> Rec {
    let mut rec = agreed_dispute();
    rec.act("hezhou", confirm());
    rec.act("qingyuan", confirm());
    rec
}

#[test]
fn reported_dispute_keeps_its_fields() {
    let r = dispute().record();
    assert_eq!(r.status, "reported");
    assert_eq!(r.title, "黄田镇与连山县交界山林权属纠纷");
    let v = r.dispute.expect("view");
    assert_eq!(v.parties, ["黄田镇新村", "太保镇上草村"]);
    assert!((v.area_mu - 126.5).abs() < f64::EPSILON);
    assert_eq!(v.location, "大桂山北麓");
}

#[test]
fn any_participant_records_sessions() {
    let mut rec = dispute();
    let first = rec.act("qingyuan", session("连山县太保镇"));
    assert_eq!(status_ok(&rec, &first), "mediating");
    let second = rec.act("hezhou", session("贺州市平桂区"));
    let r = rec.ok(&second);
    let v = r.dispute.expect("view");
    assert_eq!(v.sessions.len(), 2);
    assert_eq!(v.sessions[0].recorded_by, "qingyuan");
    assert_eq!(v.sessions[1].place, "贺州市平桂区");
    assert_eq!(r.history[1].summary, "调解会议2026-03-10：连山县太保镇");
}

#[test]
fn agreement_needs_mediation() {
    let mut rec = dispute();
    let id = rec.act("hezhou", agreed("以山脊为界"));
    rec.rejected(
        &id,
        "cannot record an agreement: dispute is `reported`, must be `mediating`",
    );
}

#[test]
fn agreement_in_force_only_when_every_city_confirmed() {
    let mut rec = agreed_dispute();
    assert_eq!(rec.record().status, "agreed");
    let h = rec.act("hezhou", confirm());
    let r = rec.ok(&h);
    assert_eq!(r.status, "agreed");
    assert!(!r.dispute.expect("view").in_force);
    let dup = rec.act("hezhou", confirm());
    rec.rejected(&dup, "hezhou has already confirmed the agreement");
    let q = rec.act("qingyuan", confirm());
    let r = rec.ok(&q);
    assert_eq!(r.status, "in_force");
    let v = r.dispute.expect("view");
    assert!(v.in_force);
    assert_eq!(v.confirmed_by, ["hezhou", "qingyuan"]);
    assert_eq!(v.agreement, "以山脊为界");
}

#[test]
fn a_partner_added_before_confirmation_must_confirm_too() {
    let mut rec = agreed_dispute();
    rec.act("hezhou", add("yongzhou"));
    rec.act("hezhou", confirm());
    let q = rec.act("qingyuan", confirm());
    assert_eq!(status_ok(&rec, &q), "agreed");
    let y = rec.act("yongzhou", confirm());
    assert_eq!(status_ok(&rec, &y), "in_force");
}

#[test]
fn confirm_refused_outside_agreed() {
    let mut rec = dispute();
    rec.act("hezhou", session("贺州"));
    let id = rec.act("hezhou", confirm());
    rec.rejected(
        &id,
        "cannot confirm: dispute is `mediating`, must be `agreed`",
    );
    let mut rec = in_force();
    let id = rec.act("hezhou", confirm());
    rec.rejected(
        &id,
        "cannot confirm: dispute is `in_force`, must be `agreed`",
    );
}

#[test]
fn new_agreement_only_while_mediating() {
    let mut rec = agreed_dispute();
    rec.act("hezhou", confirm());
    let id = rec.act("qingyuan", agreed("以河为界"));
    let r = rec.rejected(
        &id,
        "cannot record an agreement: dispute is `agreed`, must be `mediating`",
    );
    assert_eq!(r.dispute.expect("view").confirmed_by, ["hezhou"]);
}

#[test]
fn checks_then_resolution_after_a_passing_check() {
    let mut rec = agreed_dispute();
    let early = rec.act("hezhou", check(true));
    rec.rejected(
        &early,
        "cannot record a check: dispute is `agreed`, must be `in_force` or `checked`",
    );
    let mut rec = in_force();
    let premature = rec.act("hezhou", resolve());
    rec.rejected(
        &premature,
        "cannot resolve: dispute is `in_force`, must be `checked`",
    );
    let bad = rec.act("qingyuan", check(false));
    assert_eq!(status_ok(&rec, &bad), "checked");
    let refused = rec.act("hezhou", resolve());
    rec.rejected(
        &refused,
        "cannot resolve: the last check (2026-06-01, by qingyuan) did not pass; record a passing check first",
    );
    rec.act("hezhou", check(true));
    let ok = rec.act("qingyuan", resolve());
    let r = rec.ok(&ok);
    assert_eq!(r.status, "resolved");
    let v = r.dispute.expect("view");
    assert_eq!(v.checks.len(), 2);
    assert_eq!(v.checks[0].city, "qingyuan");
    assert!(v.checks[1].passed);
    assert_eq!(v.outcome_note, "界桩已立");
    let add_id = rec.act("hezhou", add("yongzhou"));
    rec.rejected(&add_id, "cannot add a participant: dispute is `resolved`");
    let fail = rec.act("hezhou", failed());
    rec.rejected(
        &fail,
        "cannot mark as failed: dispute is `resolved`, must be `reported`, `mediating`, `agreed`, `in_force` or `checked`",
    );
}

#[test]
fn failed_then_escalated() {
    let mut rec = agreed_dispute();
    let f = rec.act("qingyuan", failed());
    assert_eq!(status_ok(&rec, &f), "failed");
    let e = rec.act("qingyuan", escalate());
    let r = rec.ok(&e);
    assert_eq!(r.status, "escalated");
    assert_eq!(r.dispute.expect("view").escalated_to, "省人民政府");
    let again = rec.act("hezhou", failed());
    rec.rejected(
        &again,
        "cannot mark as failed: dispute is `escalated`, must be `reported`, `mediating`, `agreed`, `in_force` or `checked`",
    );
}

#[test]
fn escalation_from_mediating_but_not_from_reported() {
    let mut rec = dispute();
    let early = rec.act("hezhou", escalate());
    rec.rejected(
        &early,
        "cannot escalate: dispute is `reported`, must be `mediating` or `failed`",
    );
    rec.act("hezhou", session("贺州"));
    let e = rec.act("hezhou", escalate());
    assert_eq!(status_ok(&rec, &e), "escalated");
}

#[test]
fn only_the_origin_withdraws_and_only_early() {
    let mut rec = dispute();
    let partner = rec.act("qingyuan", withdraw());
    rec.rejected(
        &partner,
        "only the origin city hezhou may withdraw the dispute",
    );
    rec.act("qingyuan", session("清远"));
    let ok = rec.act("hezhou", withdraw());
    assert_eq!(status_ok(&rec, &ok), "withdrawn");
    let session_after = rec.act("qingyuan", session("清远"));
    rec.rejected(
        &session_after,
        "cannot record a session: dispute is `withdrawn`, must be `reported` or `mediating`",
    );

    let mut rec = agreed_dispute();
    let late = rec.act("hezhou", withdraw());
    rec.rejected(
        &late,
        "cannot withdraw: dispute is `agreed`, must be `reported` or `mediating`",
    );
}

const IN_FORCE_ADD: &str = "cannot add a participant: dispute is `in_force`; its agreement was \
     confirmed by every participant city — record a new dispute that includes the city (mark \
     this one failed first if the agreement no longer holds)";

#[test]
fn no_partner_added_once_the_agreement_is_in_force() {
    let mut rec = in_force();
    let id = rec.act("hezhou", add("yongzhou"));
    let r = rec.rejected(&id, IN_FORCE_ADD);
    assert_eq!(r.status, "in_force");
    assert_eq!(r.participants, ["hezhou", "qingyuan"]);
    let v = r.dispute.expect("view");
    assert!(v.in_force);
    assert_eq!(v.confirmed_by, ["hezhou", "qingyuan"]);

    rec.act("qingyuan", check(true));
    let id = rec.act("hezhou", add("yongzhou"));
    let r = rec.rejected(&id, &IN_FORCE_ADD.replace("`in_force`", "`checked`"));
    assert_eq!(r.status, "checked");
    assert_eq!(r.participants, ["hezhou", "qingyuan"]);
    // Once failed, the city may be added again (e.g. to take part in the escalation).
    rec.act("qingyuan", failed());
    let id = rec.act("hezhou", add("yongzhou"));
    assert_eq!(rec.ok(&id).participants, ["hezhou", "qingyuan", "yongzhou"]);
}

/// The origin adds a city concurrently with the partner's last confirmation: the fold order
/// (HLC, then id) decides, the same way on every node, whether the new city must confirm
/// too or the addition comes too late.
#[test]
fn partner_added_concurrently_with_the_last_confirmation() {
    for add_first in [true, false] {
        let mut rec = agreed_dispute();
        rec.act("hezhou", confirm());
        let heads = rec.heads();
        let (add_id, confirm_id) = if add_first {
            let a = rec.act_on("hezhou", heads.clone(), add("yongzhou"));
            (a, rec.act_on("qingyuan", heads, confirm()))
        } else {
            let c = rec.act_on("qingyuan", heads.clone(), confirm());
            (rec.act_on("hezhou", heads, add("yongzhou")), c)
        };
        let mut reversed = rec.events.clone();
        reversed.reverse();
        assert_eq!(super::fold(&reversed), rec.fold(), "order-independent");
        let r = rec.ok(&confirm_id);
        if add_first {
            assert_eq!(rec.ok(&add_id).participants.len(), 3);
            assert_eq!(r.status, "agreed", "yongzhou has not confirmed yet");
            let y = rec.act("yongzhou", confirm());
            assert_eq!(status_ok(&rec, &y), "in_force");
        } else {
            let r = rec.rejected(&add_id, IN_FORCE_ADD);
            assert_eq!(r.status, "in_force");
            assert_eq!(r.participants, ["hezhou", "qingyuan"]);
        }
    }
}
