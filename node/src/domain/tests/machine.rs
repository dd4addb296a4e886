//! The table-driven state machine check behind the per-kind `*_table` tests.
//!
//! For every reachable status (a record brought there by a real sequence of events), every
//! change of the kind and `participant_added` is tried once, authored by the city allowed to
//! do it. The change must be applied, leading to the listed status, exactly when the
//! (status, change) pair is in the test's transition table; otherwise it must be rejected
//! with a reason naming the current status and change nothing.

use lianluo_proto::{change::Kind as K, Record};

use super::super::kind_name;
use super::Rec;

/// Picks the author of a change from the record in its current state.
pub(super) type Actor = fn(&Record) -> String;

/// One change of the kind under test.
pub(super) struct Act {
    /// The change type, e.g. `dispute_confirmed` (checked against the built change).
    pub name: &'static str,
    /// Builds the change.
    pub make: fn() -> K,
    /// Who authors it: the origin, a partner, or the city whose part it is.
    pub actor: Actor,
}

/// A record brought to one status by a real sequence of events.
pub(super) struct Setup {
    /// The status, optionally followed by " (detail)" when several setups share a status.
    pub label: &'static str,
    /// Builds the record's events.
    pub build: fn() -> Rec,
}

/// A setup: `label` is the status (plus " (detail)"), `build` makes the record's events.
pub(super) const fn setup(label: &'static str, build: fn() -> Rec) -> Setup {
    Setup { label, build }
}

/// A change of the kind: its type name, how to build it, and who authors it.
pub(super) const fn act(name: &'static str, make: fn() -> K, actor: Actor) -> Act {
    Act { name, make, actor }
}

/// The transition table, the spec of the test: (setup label, change type, status after).
/// A pair that is not listed must be rejected.
pub(super) type Table = [(&'static str, &'static str, &'static str)];

/// The origin city authors the change.
pub(super) fn origin(r: &Record) -> String {
    r.origin.clone()
}

/// The first partner city (the second participant) authors the change.
pub(super) fn partner(r: &Record) -> String {
    r.participants[1].clone()
}

/// The status a setup label names: "agreed (hezhou confirmed)" → "agreed".
fn status_of(label: &str) -> &str {
    label.split(' ').next().unwrap_or(label)
}

/// The record without history and heads: what a rejected event must leave unchanged.
fn state(r: &Record) -> Record {
    let mut r = r.clone();
    r.history.clear();
    r.heads.clear();
    r
}

/// Checks that the table only names known setups, changes and statuses, once per pair, and
/// that every documented status has a setup.
fn check_table(statuses: &[&str], setups: &[Setup], acts: &[Act], table: &Table) {
    for s in statuses {
        assert!(
            setups.iter().any(|x| status_of(x.label) == *s),
            "no setup reaches status `{s}`"
        );
    }
    for x in setups {
        assert!(statuses.contains(&status_of(x.label)), "{}", x.label);
    }
    for (i, (label, change, to)) in table.iter().enumerate() {
        assert!(setups.iter().any(|x| x.label == *label), "row {i}: {label}");
        assert!(acts.iter().any(|a| a.name == *change), "row {i}: {change}");
        assert!(statuses.contains(to), "row {i}: {to}");
        let dup = table[..i].iter().any(|r| r.0 == *label && r.1 == *change);
        assert!(!dup, "row {i}: ({label}, {change}) listed twice");
    }
}

/// Runs every change in every setup and asserts the table; lists every mismatch at once.
pub(super) fn check_machine(statuses: &[&str], setups: &[Setup], acts: &[Act], table: &Table) {
    check_table(statuses, setups, acts, table);
    let mut failures = Vec::new();
    for setup in setups {
        let label = setup.label;
        let base = (setup.build)().fold();
        assert!(
            base.rejected.is_empty(),
            "setup {label}: {:?}",
            base.rejected
        );
        let before = base.record.expect("record");
        assert_eq!(before.status, status_of(label), "setup {label}");
        for act in acts {
            let allowed = table.iter().find(|r| r.0 == label && r.1 == act.name);
            let to = allowed.map(|r| r.2);
            failures.extend(try_act(setup, &before, act, to));
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatches with the table:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Tries one change on a fresh copy of the setup (`before` is its record); `to` is the
/// status the table expects after it, `None` when the table refuses it. Returns the
/// mismatches.
fn try_act(setup: &Setup, before: &Record, act: &Act, to: Option<&str>) -> Vec<String> {
    let change = (act.make)();
    assert_eq!(kind_name(&change), act.name);
    let author = (act.actor)(before);
    let mut rec = (setup.build)();
    let id = rec.act(&author, change);
    let folded = rec.fold();
    let after = folded.record.expect("record");
    let what = format!("{} + {} by {author}", setup.label, act.name);
    let status = status_of(setup.label);
    let mut failures = Vec::new();
    match (to, folded.rejected.get(&id)) {
        (Some(to), None) => {
            if after.status != to || after.version != before.version + 1 {
                let got = (after.status.as_str(), after.version);
                failures.push(format!("{what}: expected `{to}`, got {got:?}"));
            }
        }
        (Some(_), Some(reason)) => {
            failures.push(format!("{what}: should apply, rejected: {reason}"));
        }
        (None, None) => {
            let got = &after.status;
            failures.push(format!("{what}: should be rejected, applied (→ `{got}`)"));
        }
        (None, Some(reason)) => {
            if !reason.contains(&format!("`{status}`")) {
                failures.push(format!("{what}: reason does not name `{status}`: {reason}"));
            }
            if state(&after) != state(before) {
                failures.push(format!("{what}: rejected but the record changed"));
            }
        }
    }
    failures
}

/// `author` tries `change` on the record `build` makes: it must be rejected with exactly
/// `reason` and change nothing (the permission dimension of the tables).
pub(super) fn refused(build: fn() -> Rec, author: &str, change: K, reason: &str) {
    let mut rec = build();
    let before = state(&rec.record());
    let id = rec.act(author, change);
    let after = rec.rejected(&id, reason);
    assert_eq!(state(&after), before, "{reason}");
}

/// The list filters' status table (`domain::STATUSES`) names exactly the statuses the
/// table tests exercise for each kind.
#[test]
fn the_public_status_table_matches_the_tested_machines() {
    use super::{activity_table, dispute_table, project_table, station_table, suggestion_table};
    let tested: [(&str, &[&str]); 5] = [
        ("station", &station_table::STATUSES),
        ("suggestion", &suggestion_table::STATUSES),
        ("dispute", &dispute_table::STATUSES),
        ("activity", &activity_table::STATUSES),
        ("project", &project_table::STATUSES),
    ];
    for ((kind, want), (k, have)) in tested.iter().zip(crate::domain::STATUSES.iter()) {
        assert_eq!(kind, k);
        assert_eq!(want, have, "domain::STATUSES for {kind}");
    }
}
