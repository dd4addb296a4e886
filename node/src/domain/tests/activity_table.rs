//! Activity state machine as a table: every change in every status (README: `planned` →
//! `held` or `cancelled`), and the origin-only rule for each change.

use lianluo_proto::change::Kind as K;

use super::activity::{activity, cancelled, reception, reported};
use super::machine::{act, check_machine, origin, partner, refused, setup, Table};
use super::opinion::received;
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
    // (Public opinions are taken at receptions only: refused at an inspection whatever
    // its status, see opinion.rs.)
    check_machine(&STATUSES, &setups, &acts, TABLE);
}

/// A reception's table: the activity's, and any participant registers public opinions
/// while it is planned or held (their own table is in `opinion.rs`).
const RECEPTION_TABLE: &Table = &[
    ("planned", "activity_reported", "held"),
    ("planned", "activity_cancelled", "cancelled"),
    ("planned", "participant_added", "planned"),
    ("planned", "activity_opinion_received", "planned"),
    ("held", "activity_opinion_received", "held"),
];

fn opinion_received() -> K {
    received("村民", "圩场路灯不亮")
}

fn reception_held() -> Rec {
    let mut rec = reception();
    rec.act("hezhou", reported());
    rec
}

fn reception_called_off() -> Rec {
    let mut rec = reception();
    rec.act("hezhou", cancelled());
    rec
}

#[test]
fn every_reception_change_in_every_status() {
    let setups = [
        setup("planned", reception),
        setup("held", reception_held),
        setup("cancelled", reception_called_off),
    ];
    let acts = [
        act("activity_reported", reported, origin),
        act("activity_cancelled", cancelled, origin),
        act("participant_added", adding, origin),
        act("activity_opinion_received", opinion_received, partner),
    ];
    check_machine(&STATUSES, &setups, &acts, RECEPTION_TABLE);
}

#[test]
fn a_partner_may_not_report_cancel_or_share_an_activity() {
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
