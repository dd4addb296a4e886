//! Project state machine as a table: every change in every status (README: `proposed` →
//! `under_construction` → `completed`), and who may make each change.

use lianluo_proto::change::Kind as K;

use super::machine::{act, check_machine, origin, partner, refused, setup, Table};
use super::project::{completed, done, linked, project, started, under_construction};
use super::station::add;

/// The statuses the README documents for a project.
pub(super) const STATUSES: [&str; 3] = ["proposed", "under_construction", "completed"];

/// Allowed transitions: (status, change, status after). Everything else is refused.
const TABLE: &Table = &[
    ("proposed", "project_started", "under_construction"),
    ("proposed", "project_linked", "proposed"),
    ("proposed", "participant_added", "proposed"),
    ("under_construction", "project_completed", "completed"),
    ("under_construction", "project_linked", "under_construction"),
    (
        "under_construction",
        "participant_added",
        "under_construction",
    ),
    ("completed", "project_linked", "completed"),
];

fn adding() -> K {
    add("yongzhou")
}

#[test]
fn every_project_change_in_every_status() {
    let setups = [
        setup("proposed", project),
        setup("under_construction", under_construction),
        setup("completed", done),
    ];
    let acts = [
        act("project_started", started, origin),
        act("project_completed", completed, origin),
        act("project_linked", linked, partner),
        act("participant_added", adding, origin),
    ];
    check_machine(&STATUSES, &setups, &acts, TABLE);
}

#[test]
fn only_the_origin_starts_and_completes_a_project() {
    let only = |verb: &str| format!("only the origin city hezhou may {verb}");
    refused(project, "qingyuan", started(), &only("start the project"));
    refused(
        under_construction,
        "qingyuan",
        completed(),
        &only("complete the project"),
    );
    refused(
        project,
        "yongzhou",
        linked(),
        "yongzhou is not a participant",
    );
}
