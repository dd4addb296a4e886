//! Activity state machine as a table: every change in every status (README: `planned` →
//! `held` or `cancelled`), and the origin-only rule for each change.

use lianluo_proto::change::Kind as K;

use super::activity::{activity, cancelled, reported};
use super::machine::{act, check_machine, origin, refused, setup, Table};
use super::station::add;
use super::Rec;

/// The statuses the README documents for an activity.
pub(super) const STATUSES: [&str; 3] = ["planned", "held", "cancelled"];

/// Allowed transitions: (status, change, status after). Everything else is refused.
const TABLE: &Table = &[
    ("planned", "activity_reported", "held"),
    ("planned", "activity_cancelled", "cancelled"),
    ("planned", "participant_added", "planned"),
];

fn held() -> Rec {
    let mut rec = activity();
    rec.act("hezhou", reported());
    rec
}

fn called_off() -> Rec {
    let mut rec = activity();
    rec.act("hezhou", cancelled());
    rec
}

fn adding() -> K {
    add("shaoguan")
}

#[test]
fn every_activity_change_in_every_status() {
    let setups = [
        setup("planned", activity),
        setup("held", held),
        setup("cancelled", called_off),
    ];
    let acts = [
        act("activity_reported", reported, origin),
        act("activity_cancelled", cancelled, origin),
        act("participant_added", adding, origin),
    ];
    check_machine(&STATUSES, &setups, &acts, TABLE);
}

#[test]
fn a_partner_may_do_no_activity_change() {
    let only = |verb: &str| format!("only the origin city hezhou may {verb}");
    refused(
        activity,
        "yongzhou",
        reported(),
        &only("report the activity"),
    );
    refused(
        activity,
        "yongzhou",
        cancelled(),
        &only("cancel the activity"),
    );
    refused(activity, "yongzhou", adding(), &only("add participants"));
}
