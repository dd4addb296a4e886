//! Station state machine as a table: every change in every status (README: `active` →
//! `closed`), and the origin-only rule for each change.

use lianluo_proto::change::Kind as K;

use super::machine::{act, check_machine, origin, refused, setup, Table};
use super::station::{add, close, registered};
use super::Rec;

/// The statuses the README documents for a station.
pub(super) const STATUSES: [&str; 2] = ["active", "closed"];

/// Allowed transitions: (status, change, status after). Everything else is refused.
const TABLE: &Table = &[
    ("active", "station_closed", "closed"),
    ("active", "participant_added", "active"),
];

fn active() -> Rec {
    Rec::new("hezhou", &["qingyuan"], registered())
}

fn closed() -> Rec {
    let mut rec = active();
    rec.act("hezhou", close("合并至新站"));
    rec
}

fn closing() -> K {
    close("撤并")
}

fn adding() -> K {
    add("shaoguan")
}

#[test]
fn every_station_change_in_every_status() {
    let setups = [setup("active", active), setup("closed", closed)];
    let acts = [
        act("station_closed", closing, origin),
        act("participant_added", adding, origin),
    ];
    check_machine(&STATUSES, &setups, &acts, TABLE);
}

#[test]
fn a_partner_may_do_no_station_change() {
    let only = |verb: &str| format!("only the origin city hezhou may {verb}");
    refused(active, "qingyuan", closing(), &only("close the station"));
    refused(active, "qingyuan", adding(), &only("add participants"));
}
