//! Dispute state machine as a table: every change in every status (README: `reported` →
//! `mediating` → `agreed` → `in_force` → `checked` → `resolved`; or `failed` → `escalated`;
//! or `withdrawn`), and the origin-only and per-city rules.

use lianluo_proto::{change::Kind as K, Record};

use super::dispute::{
    agreed, agreed_dispute, check, confirm, dispute, escalate, failed, in_force, resolve, session,
    withdraw,
};
use super::machine::{act, check_machine, origin, partner, refused, setup, Table};
use super::station::add;
use super::Rec;

/// The statuses the README documents for a dispute.
pub(super) const STATUSES: [&str; 9] = [
    "reported",
    "mediating",
    "agreed",
    "in_force",
    "checked",
    "resolved",
    "failed",
    "escalated",
    "withdrawn",
];

/// Allowed transitions: (setup, change, status after). Everything else is refused; in
/// particular nothing happens after `resolved`, `escalated` or `withdrawn`, and no city is
/// added once the agreement is in force (DESIGN §4: in force only when every participant
/// city has confirmed it).
const TABLE: &Table = &[
    ("reported", "dispute_session", "mediating"),
    ("reported", "dispute_failed", "failed"),
    ("reported", "dispute_withdrawn", "withdrawn"),
    ("reported", "participant_added", "reported"),
    ("mediating", "dispute_session", "mediating"),
    ("mediating", "dispute_agreed", "agreed"),
    ("mediating", "dispute_failed", "failed"),
    ("mediating", "dispute_escalated", "escalated"),
    ("mediating", "dispute_withdrawn", "withdrawn"),
    ("mediating", "participant_added", "mediating"),
    ("agreed", "dispute_confirmed", "agreed"),
    ("agreed", "dispute_failed", "failed"),
    ("agreed", "participant_added", "agreed"),
    ("agreed (hezhou confirmed)", "dispute_confirmed", "in_force"),
    ("agreed (hezhou confirmed)", "dispute_failed", "failed"),
    ("agreed (hezhou confirmed)", "participant_added", "agreed"),
    ("in_force", "dispute_checked", "checked"),
    ("in_force", "dispute_failed", "failed"),
    ("checked", "dispute_checked", "checked"),
    ("checked", "dispute_resolved", "resolved"),
    ("checked", "dispute_failed", "failed"),
    ("failed", "dispute_escalated", "escalated"),
    ("failed", "participant_added", "failed"),
];

fn mediating() -> Rec {
    let mut rec = dispute();
    rec.act("qingyuan", session("连山县太保镇"));
    rec
}

fn one_confirmed() -> Rec {
    let mut rec = agreed_dispute();
    rec.act("hezhou", confirm());
    rec
}

/// In force, then a passing check.
fn checked() -> Rec {
    let mut rec = in_force();
    rec.act("qingyuan", check(true));
    rec
}

fn resolved() -> Rec {
    let mut rec = checked();
    rec.act("hezhou", resolve());
    rec
}

fn failed_dispute() -> Rec {
    let mut rec = agreed_dispute();
    rec.act("qingyuan", failed());
    rec
}

fn escalated() -> Rec {
    let mut rec = failed_dispute();
    rec.act("hezhou", escalate());
    rec
}

fn withdrawn() -> Rec {
    let mut rec = dispute();
    rec.act("hezhou", withdraw());
    rec
}

/// The first participant city that has not confirmed the agreement (else the origin).
fn unconfirmed(r: &Record) -> String {
    let confirmed = r.dispute.as_ref().map(|d| d.confirmed_by.clone());
    let confirmed = confirmed.unwrap_or_default();
    let city = r.participants.iter().find(|p| !confirmed.contains(p));
    city.unwrap_or(&r.origin).clone()
}

fn a_session() -> K {
    session("贺州市平桂区")
}

fn an_agreement() -> K {
    agreed("以山脊为界")
}

fn a_check() -> K {
    check(true)
}

fn adding() -> K {
    add("shaoguan")
}

#[test]
fn every_dispute_change_in_every_status() {
    let setups = [
        setup("reported", dispute),
        setup("mediating", mediating),
        setup("agreed", agreed_dispute),
        setup("agreed (hezhou confirmed)", one_confirmed),
        setup("in_force", in_force),
        setup("checked", checked),
        setup("resolved", resolved),
        setup("failed", failed_dispute),
        setup("escalated", escalated),
        setup("withdrawn", withdrawn),
    ];
    let acts = [
        act("dispute_session", a_session, partner),
        act("dispute_agreed", an_agreement, partner),
        act("dispute_confirmed", confirm, unconfirmed),
        act("dispute_checked", a_check, partner),
        act("dispute_resolved", resolve, partner),
        act("dispute_failed", failed, partner),
        act("dispute_escalated", escalate, partner),
        act("dispute_withdrawn", withdraw, origin),
        act("participant_added", adding, origin),
    ];
    check_machine(&STATUSES, &setups, &acts, TABLE);
}

#[test]
fn a_partner_may_not_withdraw_or_add_and_a_city_confirms_once() {
    let only = |verb: &str| format!("only the origin city hezhou may {verb}");
    refused(
        dispute,
        "qingyuan",
        withdraw(),
        &only("withdraw the dispute"),
    );
    refused(
        mediating,
        "qingyuan",
        withdraw(),
        &only("withdraw the dispute"),
    );
    refused(dispute, "qingyuan", adding(), &only("add participants"));
    refused(
        agreed_dispute,
        "qingyuan",
        adding(),
        &only("add participants"),
    );
    // A confirmation is for the author's own city: hezhou cannot confirm for qingyuan.
    let twice = "hezhou has already confirmed the agreement";
    refused(one_confirmed, "hezhou", confirm(), twice);
}
