//! Project state machine: proposed → under_construction → completed, links by any
//! participant, dates in order, the view and the history.

use lianluo_proto::{
    change::Kind as K, ProjectCompleted, ProjectKind, ProjectLinked, ProjectProposed,
    ProjectStarted,
};

use super::Rec;

/// A suggestion and an activity the project is linked to at its creation.
pub(crate) const SUGGESTION: &str = "hezhou-01JH0000000000000000000001";
pub(crate) const ACTIVITY: &str = "qingyuan-01JH0000000000000000000002";

pub(crate) fn proposed() -> K {
    K::ProjectProposed(ProjectProposed {
        title: "桂岭至连山县乡公路连通工程".into(),
        project_kind: ProjectKind::RoadLink as i32,
        places: vec!["贺州市八步区桂岭镇".into(), "清远市连山县太保镇".into()],
        description: "打通省际断头路".into(),
        villages: 5,
        people: 12_000,
        suggestion_ids: vec![SUGGESTION.into()],
        activity_ids: vec![ACTIVITY.into()],
        proposed_on: "2022-03-10".into(),
    })
}

pub(crate) fn started() -> K {
    K::ProjectStarted(ProjectStarted {
        started_on: "2023-05-01".into(),
        note: "两省交通部门联合开工".into(),
    })
}

pub(crate) fn completed() -> K {
    K::ProjectCompleted(ProjectCompleted {
        completed_on: "2024-10-30".into(),
        villages: Some(6),
        people: None,
        note: "通车".into(),
    })
}

pub(crate) fn linked() -> K {
    K::ProjectLinked(ProjectLinked {
        suggestion_ids: vec!["yongzhou-01JH0000000000000000000003".into()],
        activity_ids: Vec::new(),
    })
}

pub(super) fn project() -> Rec {
    Rec::new("hezhou", &["qingyuan"], proposed())
}

pub(super) fn under_construction() -> Rec {
    let mut rec = project();
    rec.act("hezhou", started());
    rec
}

pub(crate) fn done() -> Rec {
    let mut rec = under_construction();
    rec.act("hezhou", completed());
    rec
}

#[test]
fn a_proposed_project_keeps_its_fields_and_dates() {
    let r = project().record();
    assert_eq!(
        (r.kind.as_str(), r.status.as_str()),
        ("project", "proposed")
    );
    assert_eq!(r.title, "桂岭至连山县乡公路连通工程");
    let v = r.project.expect("view");
    assert_eq!(v.project_kind, "road_link");
    assert_eq!(v.places, ["贺州市八步区桂岭镇", "清远市连山县太保镇"]);
    assert_eq!((v.villages, v.people), (5, 12_000));
    assert_eq!(v.suggestion_ids, [SUGGESTION]);
    assert_eq!(v.activity_ids, [ACTIVITY]);
    assert_eq!(v.proposed_on, "2022-03-10");
    assert_eq!(r.history[0].summary, "提出项目：桂岭至连山县乡公路连通工程");
}

#[test]
fn a_project_is_built_with_its_dates_and_the_figures_as_built() {
    let rec = done();
    let r = rec.record();
    assert_eq!(r.status, "completed");
    let v = r.project.expect("view");
    assert_eq!(
        (v.started_on.as_str(), v.completed_on.as_str()),
        ("2023-05-01", "2024-10-30")
    );
    // The completion gave 6 villages and no people: people stay as planned.
    assert_eq!((v.villages, v.people), (6, 12_000));
    assert_eq!(
        (v.start_note.as_str(), v.completion_note.as_str()),
        ("两省交通部门联合开工", "通车")
    );
    let summaries: Vec<(&str, &str)> = r
        .history
        .iter()
        .map(|h| (h.summary.as_str(), h.summary_en.as_str()))
        .collect();
    assert_eq!(
        summaries[1..],
        [
            (
                "开工2023-05-01：两省交通部门联合开工",
                "Work started 2023-05-01: 两省交通部门联合开工"
            ),
            ("建成2024-10-30：通车", "Completed 2024-10-30: 通车"),
        ]
    );
}

#[test]
fn a_partner_links_its_suggestion_and_a_link_is_made_once() {
    let mut rec = done();
    let id = rec.act("qingyuan", linked());
    let r = rec.ok(&id);
    let v = r.project.expect("view");
    assert_eq!(
        v.suggestion_ids,
        [SUGGESTION, "yongzhou-01JH0000000000000000000003"]
    );
    assert_eq!(
        r.history.last().map(|h| h.summary.as_str()),
        Some("关联1条记录")
    );
    let again = rec.act("hezhou", linked());
    rec.rejected(
        &again,
        "cannot link: suggestion yongzhou-01JH0000000000000000000003 is already linked to \
         the project",
    );
}

#[test]
fn dates_out_of_order_are_refused_with_the_field_named() {
    let mut rec = project();
    let early = rec.act(
        "hezhou",
        K::ProjectStarted(ProjectStarted {
            started_on: "2022-03-09".into(),
            note: String::new(),
        }),
    );
    rec.rejected(
        &early,
        "cannot start: started_on 2022-03-09 is before the day the project was proposed \
         (2022-03-10); give the date it happened",
    );
    let mut rec = under_construction();
    let early = rec.act(
        "hezhou",
        K::ProjectCompleted(ProjectCompleted {
            completed_on: "2023-04-30".into(),
            ..ProjectCompleted::default()
        }),
    );
    rec.rejected(
        &early,
        "cannot complete: completed_on 2023-04-30 is before the day work started \
         (2023-05-01); give the date it happened",
    );
}

#[test]
fn project_fields_are_checked_with_the_field_named() {
    use crate::domain::{check_business_dates, validate_new_change};
    use lianluo_proto::Change;
    let K::ProjectProposed(good) = proposed() else {
        unreachable!()
    };
    let refused = |c: K, creating: bool| {
        validate_new_change(&Change { kind: Some(c) }, creating)
            .expect_err("refused")
            .to_string()
    };
    let with = |f: fn(&mut ProjectProposed)| {
        let mut c = good.clone();
        f(&mut c);
        K::ProjectProposed(c)
    };
    let cases: [(K, &str); 5] = [
        (
            with(|c| c.project_kind = 0),
            "project_proposed.project_kind: must be specified (road_link, demonstration_zone or other)",
        ),
        (
            with(|c| c.places.push(" ".into())),
            "project_proposed.places[2]: is required (must not be blank)",
        ),
        (
            with(|c| c.suggestion_ids.push("连山-1".into())),
            "project_proposed.suggestion_ids[1]: 连山-1 is not a record id",
        ),
        (
            with(|c| c.activity_ids.push(ACTIVITY.into())),
            "project_proposed.activity_ids[1]: qingyuan-01JH0000000000000000000002 is named twice",
        ),
        (
            with(|c| c.people = 20_000_000),
            "project_proposed.people: 20000000 is too large (at most 10000000)",
        ),
    ];
    for (change, want) in cases {
        let got = refused(change, true);
        assert!(got.starts_with(want), "{got}");
    }
    let empty = K::ProjectLinked(ProjectLinked::default());
    assert_eq!(
        refused(empty, false),
        "project_linked.suggestion_ids: give at least one suggestion or activity to link"
    );
    let no_date = K::ProjectStarted(ProjectStarted::default());
    assert!(refused(no_date, false).starts_with("project_started.started_on: is required"));
    let future = Change {
        kind: Some(completed()),
    };
    let today = time::macros::date!(2024 - 10 - 29);
    assert_eq!(
        check_business_dates(&future, today).map_err(|e| e.to_string()),
        Err(
            "project_completed.completed_on: 2024-10-30 is after today (2024-10-29, Beijing \
             time); give the date it happened"
                .to_owned()
        )
    );
}
