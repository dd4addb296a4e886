//! Activity state machine: planned → held or cancelled.

use lianluo_proto::{
    change::Kind as K, ActivityCancelled, ActivityKind, ActivityPlanned, ActivityReported, Deputy,
};

use super::station::add;
use super::{status_ok, Rec};

pub(crate) fn planned() -> K {
    K::ActivityPlanned(ActivityPlanned {
        title: "三地代表联合视察省际道路".into(),
        activity_kind: ActivityKind::JointInspection as i32,
        station_id: String::new(),
        date: "2026-04-15".into(),
        place: "永州市江华瑶族自治县".into(),
        description: "联合视察断头路建设".into(),
    })
}

pub(crate) fn reported() -> K {
    K::ActivityReported(ActivityReported {
        held_on: "2026-04-16".into(),
        deputies: vec![
            Deputy {
                name: "李明".into(),
                city: "hezhou".into(),
            },
            Deputy {
                name: "欧阳红".into(),
                city: "yongzhou".into(),
            },
        ],
        opinions_collected: 12,
        problems_solved: 3,
        report: "视察报告全文……".into(),
    })
}

pub(crate) fn cancelled() -> K {
    K::ActivityCancelled(ActivityCancelled {
        reason: "汛期道路中断".into(),
    })
}

pub(super) fn activity() -> Rec {
    Rec::new("hezhou", &["yongzhou"], planned())
}

/// A constituent reception (接待群众) Hezhou plans with Qingyuan.
pub(crate) fn reception() -> Rec {
    let K::ActivityPlanned(mut c) = planned() else {
        unreachable!()
    };
    c.title = "桂岭联络站三地代表联合接待群众".into();
    c.activity_kind = ActivityKind::ConstituentReception as i32;
    Rec::new("hezhou", &["qingyuan"], K::ActivityPlanned(c))
}

#[test]
fn planned_activity_keeps_its_fields() {
    let r = activity().record();
    assert_eq!(r.kind, "activity");
    assert_eq!(r.status, "planned");
    assert_eq!(r.title, "三地代表联合视察省际道路");
    let v = r.activity.expect("view");
    assert_eq!(v.activity_kind, "joint_inspection");
    assert_eq!(v.place, "永州市江华瑶族自治县");
    assert_eq!(v.date, "2026-04-15");
}

#[test]
fn origin_reports_a_held_activity() {
    let mut rec = activity();
    let id = rec.act("hezhou", reported());
    let r = rec.ok(&id);
    assert_eq!(r.status, "held");
    let v = r.activity.expect("view");
    assert_eq!(v.held_on, "2026-04-16");
    assert_eq!(v.deputies.len(), 2);
    assert_eq!(v.deputies[1].name, "欧阳红");
    assert_eq!(v.opinions_collected, 12);
    assert_eq!(v.problems_solved, 3);
    assert_eq!(
        r.history[1].summary,
        "活动举行2026-04-16，收集意见12条，解决问题3个"
    );
}

#[test]
fn partner_may_not_report_or_cancel() {
    let mut rec = activity();
    let id = rec.act("yongzhou", reported());
    rec.rejected(&id, "only the origin city hezhou may report the activity");
    let id = rec.act("yongzhou", cancelled());
    let r = rec.rejected(&id, "only the origin city hezhou may cancel the activity");
    assert_eq!(r.status, "planned");
}

#[test]
fn held_activity_is_final() {
    let mut rec = activity();
    rec.act("hezhou", reported());
    let cancel = rec.act("hezhou", cancelled());
    rec.rejected(
        &cancel,
        "cannot cancel: activity is `held`, must be `planned`",
    );
    let again = rec.act("hezhou", reported());
    rec.rejected(
        &again,
        "cannot report: activity is `held`, must be `planned`",
    );
    let add_id = rec.act("hezhou", add("qingyuan"));
    rec.rejected(&add_id, "cannot add a participant: activity is `held`");
}

#[test]
fn cancelled_activity_is_final() {
    let mut rec = activity();
    let id = rec.act("hezhou", cancelled());
    let r = rec.ok(&id);
    assert_eq!(r.status, "cancelled");
    assert_eq!(r.activity.expect("view").cancel_reason, "汛期道路中断");
    let report = rec.act("hezhou", reported());
    rec.rejected(
        &report,
        "cannot report: activity is `cancelled`, must be `planned`",
    );
}

#[test]
fn participant_added_while_planned() {
    let mut rec = activity();
    let id = rec.act("hezhou", add("qingyuan"));
    assert_eq!(status_ok(&rec, &id), "planned");
    assert_eq!(
        rec.record().participants,
        ["hezhou", "yongzhou", "qingyuan"]
    );
}

#[test]
fn dispute_change_does_not_apply_to_an_activity() {
    let mut rec = activity();
    let id = rec.act("hezhou", super::dispute::withdraw());
    rec.rejected(&id, "dispute_withdrawn does not apply to an activity");
}
