//! A data dir an older build kept — a state without what its events gave, or no record
//! for events of a kind it did not know — is folded again and recounted when this build
//! opens it.

use super::*;

#[test]
fn recount_at_open_folds_again_a_state_an_older_build_kept_without_its_events_dates() {
    use crate::domain::{BusinessDates, RecordId};
    // Hezhou registered a dispute on 2023-04-12 (its event says so); entered in 2026.
    let K::DisputeReported(mut c) = dispute::reported() else {
        unreachable!()
    };
    c.reported_on = "2023-04-12".into();
    let rec = Rec::created(3, T0, "hezhou", &[], K::DisputeReported(c));
    let id = RecordId::parse(&rec.id).expect("id");
    let dir = tempfile::tempdir().expect("tempdir");
    let options = StoreOptions::default();
    let disputes = |store: &dyn crate::store::Store, year: u32| {
        let f = from_counters("hezhou", year, NOW, &store.counters().expect("c"), &[]);
        f.disputes
    };
    {
        let store = open_sled(dir.path(), "hezhou", options).expect("open");
        // What a build that did not know the date kept: the state without it, counted in
        // the year it was entered.
        kept_by_older_build(store.as_ref(), &rec, 2, |s| {
            if let Some(s) = s {
                s.dates = BusinessDates::default();
            }
        });
        assert_eq!(
            (
                disputes(store.as_ref(), 2023),
                disputes(store.as_ref(), 2026)
            ),
            (0, 1)
        );
        let found = recount(store.as_ref(), "hezhou", false).expect("recount");
        assert_eq!(found.states_differ, [id.to_string()]);
        store.flush().expect("flush");
    }
    let store = crate::upgrade::open(dir.path(), "hezhou", options).expect("reopen");
    let state = store
        .record(&id)
        .expect("read")
        .and_then(|e| e.state)
        .expect("state");
    assert_eq!(state.opened_on(), "2023-04-12");
    assert_eq!(
        (
            disputes(store.as_ref(), 2023),
            disputes(store.as_ref(), 2026)
        ),
        (1, 0)
    );
    assert!(recount(store.as_ref(), "hezhou", false)
        .expect("recount")
        .clean());
}

#[test]
fn recount_at_open_folds_a_project_an_older_build_refused() {
    use crate::domain::RecordId;
    // Hezhou proposed a project and built it; a build without projects refused its
    // creation, so it kept the events and no record.
    let mut rec = Rec::created(4, T0, "hezhou", &["qingyuan"], project::proposed());
    rec.act("hezhou", project::started());
    rec.act("hezhou", project::completed());
    let id = RecordId::parse(&rec.id).expect("id");
    let dir = tempfile::tempdir().expect("tempdir");
    let options = StoreOptions::default();
    let roads = |store: &dyn crate::store::Store| {
        let f = from_counters("hezhou", 2024, NOW, &store.counters().expect("c"), &[]);
        f.projects_completed_by_kind.get("road_link").copied()
    };
    {
        let store = open_sled(dir.path(), "hezhou", options).expect("open");
        kept_by_older_build(store.as_ref(), &rec, 6, |s| *s = None);
        assert_eq!(roads(store.as_ref()), None);
        store.flush().expect("flush");
    }
    let store = crate::upgrade::open(dir.path(), "hezhou", options).expect("reopen");
    let state = store.record(&id).expect("read").and_then(|e| e.state);
    assert_eq!(state.map(|s| s.status_str()), Some("completed"));
    assert_eq!(roads(store.as_ref()), Some(1));
    assert!(recount(store.as_ref(), "hezhou", false)
        .expect("recount")
        .clean());
}

/// Stores `rec`'s events, then its state as an older build of counters `version` kept it
/// (`older` changes the state this build folds), with that build's counters.
fn kept_by_older_build(
    store: &dyn crate::store::Store,
    rec: &Rec,
    version: u32,
    older: impl FnOnce(&mut Option<crate::domain::RecordState>),
) {
    use crate::domain::RecordId;
    use crate::projection::Delta;
    use crate::store::{Commit, HistoryWrite, RecordWrite};
    let events = rec.events.iter().map(incoming).collect();
    let planned = ingest::plan(store, "hezhou", events).expect("plan");
    store.commit(planned.commit).expect("commit");
    let id = RecordId::parse(&rec.id).expect("id");
    let entry = store.record(&id).expect("read").expect("entry");
    let mut old = entry.clone();
    older(&mut old.state);
    let delta = Delta::between(entry.state.as_ref(), old.state.as_ref(), "hezhou");
    let history = HistoryWrite {
        from: entry.steps,
        steps: Vec::new(),
        old_len: entry.steps,
    };
    let write = RecordWrite {
        id,
        entry: old,
        history,
        delta,
    };
    let commit = Commit {
        records: vec![write],
        ..Commit::default()
    };
    store.commit(commit).expect("old state");
    let counters = store.counters().expect("c").into_iter().collect();
    let members = store.members().expect("m").into_iter().collect();
    store
        .replace_counters(counters, members, version)
        .expect("old version");
}
