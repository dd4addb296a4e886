//! The fold: creation checks, ordering, missing parents, heads, signatures, duplicates and
//! the determinism property (any permutation of the input gives the same result).

use lianluo_proto::{change::Kind as K, RecordKind, StationRegistered};
use proptest::prelude::*;
use prost::Message;

use super::dispute::{agreed, confirm, reported, session, withdraw};
use super::station::{add, registered};
use super::suggestion::{answer, dispatch, progress, submitted};
use super::{event, Rec, T0};
use crate::domain::{fold, FoldEvent, Folded};

/// A record whose only event is a creation modified by `edit`; returns the reason.
fn creation_reason(edit: impl FnOnce(&mut lianluo_proto::EventBody)) -> String {
    let mut rec = Rec::new("hezhou", &["qingyuan"], registered());
    edit(&mut rec.events[0].body);
    let ev = event(rec.events[0].body.clone());
    let f = fold(std::slice::from_ref(&ev));
    assert!(f.record.is_none());
    assert_eq!(f.heads, vec![ev.id.clone()]);
    f.rejected[&ev.id].clone()
}

#[test]
fn creation_event_checks() {
    let r = creation_reason(|b| b.parents = vec!["ab".repeat(32)]);
    assert_eq!(r, format!("missing parent {}", "ab".repeat(32)));
    let r = creation_reason(|b| b.author_city = "qingyuan".into());
    assert_eq!(
        r,
        "author city qingyuan is not the origin city hezhou of the record"
    );
    let r = creation_reason(|b| b.participants = vec!["qingyuan".into(), "hezhou".into()]);
    assert_eq!(r, "participants must start with the origin city hezhou");
    let r = creation_reason(|b| b.participants = vec![]);
    assert_eq!(r, "participants must start with the origin city hezhou");
    let r = creation_reason(|b| b.participants.push("qingyuan".into()));
    assert_eq!(r, "participant qingyuan appears more than once");
    let r = creation_reason(|b| b.participants.push("QY".into()));
    assert!(
        r.starts_with("participants[2]: `QY` is not a valid city id"),
        "{r}"
    );
    let r = creation_reason(|b| b.kind = RecordKind::Dispute as i32);
    assert_eq!(r, "kind is `dispute` but the change is station_registered");
    let r = creation_reason(|b| b.record_id = "hezhou-123".into());
    assert_eq!(r, "record id `hezhou-123` is not <city>-<ULID>");
    let r = creation_reason(|b| {
        if let Some(K::StationRegistered(s)) = b.change.as_mut().and_then(|c| c.kind.as_mut()) {
            s.name = "站".repeat(201);
        }
    });
    assert!(
        r.starts_with("invalid change: station_registered.name: is 201 characters"),
        "{r}"
    );
}

#[test]
fn creation_with_parents_present_is_still_refused() {
    let mut rec = Rec::new("hezhou", &[], registered());
    let parents = rec.heads();
    let id = rec.act_on("hezhou", parents, registered());
    rec.rejected(&id, "record already created");
    let mut rec = Rec::new("hezhou", &[], progress("x"));
    let parents = rec.heads();
    rec.act_on("hezhou", parents, registered());
    let f = rec.fold();
    assert!(f.record.is_none());
    assert_eq!(f.rejected.len(), 2);
    assert_eq!(
        f.rejected.values().last().map(String::as_str),
        Some("a creation event must have no parents")
    );
}

#[test]
fn first_event_must_be_a_creation() {
    let rec = Rec::new("hezhou", &[], progress("进展"));
    let f = rec.fold();
    assert!(f.record.is_none());
    assert!(f.rejected[&rec.creation()].starts_with("record not created yet"));
    assert!(fold(&[]).record.is_none());
    assert_eq!(fold(&[]), Folded::default());
}

#[test]
fn unverified_events_are_rejected_and_kept() {
    let mut rec = Rec::new("hezhou", &["qingyuan"], registered());
    rec.events[0].verified = false;
    assert!(rec.fold().record.is_none());
    rec.events[0].verified = true;
    let id = rec.act("hezhou", add("yongzhou"));
    rec.events[1].verified = false;
    let r = rec.rejected(&id, "signature not verified");
    assert_eq!(r.participants, ["hezhou", "qingyuan"]);
    assert!(!r.history[1].verified);
    assert!(r.history[0].verified);
}

#[test]
fn events_of_another_record_are_rejected() {
    let mut rec = Rec::new("hezhou", &[], registered());
    let parents = rec.heads();
    let mut body = rec.body("hezhou", parents, add("yongzhou"));
    body.record_id = format!("hezhou-{}", ulid::Ulid::from_parts(T0, 8));
    let id = rec.push(body.clone());
    rec.rejected(
        &id,
        &format!("event is for record {}, not {}", body.record_id, rec.id),
    );
}

#[test]
fn missing_parents_block_the_event_and_its_descendants() {
    let mut rec = Rec::new("hezhou", &["qingyuan"], reported());
    let ghost = "0f".repeat(32);
    let orphan = rec.act_on("qingyuan", vec![ghost.clone()], session("清远"));
    let child = rec.act_on("hezhou", vec![orphan.clone()], session("贺州"));
    let f = rec.fold();
    assert_eq!(f.rejected[&orphan], format!("missing parent {ghost}"));
    assert_eq!(f.rejected[&child], format!("missing ancestor {ghost}"));
    let r = f.record.expect("record");
    assert_eq!(r.status, "reported");
    assert_eq!(r.version, 1);
    let ids: Vec<&str> = r.history.iter().map(|h| h.id.as_str()).collect();
    assert_eq!(
        ids,
        [rec.creation().as_str(), orphan.as_str(), child.as_str()]
    );
    let mut heads = vec![rec.creation(), child];
    heads.sort();
    assert_eq!(f.heads, heads);
}

#[test]
fn concurrent_events_are_both_heads_and_rejected_ones_count() {
    let mut rec = Rec::new("hezhou", &["qingyuan"], submitted(0));
    let c = rec.creation();
    let a = rec.act_on("hezhou", vec![c.clone()], dispatch("贺州市", "2026-06-30"));
    let b = rec.act_on("yongzhou", vec![c], dispatch("永州市", "2026-06-30"));
    let f = rec.fold();
    assert!(f.rejected.contains_key(&b));
    let mut expected = vec![a.clone(), b.clone()];
    expected.sort();
    assert_eq!(f.heads, expected);
    assert_eq!(f.record.expect("record").heads, expected);
    let m = rec.act("hezhou", progress("合并"));
    let r = rec.ok(&m);
    assert_eq!(r.heads, vec![m.clone()]);
    assert_eq!(r.history.last().expect("entry").parents, expected);
}

#[test]
fn concurrent_conflict_is_decided_by_clock_then_id() {
    // Two cities act on the same parent: hezhou withdraws, qingyuan records an agreement.
    let build = |withdraw_first: bool| {
        let mut rec = Rec::new("hezhou", &["qingyuan"], reported());
        let s = rec.act("qingyuan", session("清远"));
        let (tw, ta) = if withdraw_first {
            (T0 + 5, T0 + 9)
        } else {
            (T0 + 9, T0 + 5)
        };
        rec.at(T0 + 60_000 + tw);
        let w = rec.act_on("hezhou", vec![s.clone()], withdraw());
        rec.at(T0 + 60_000 + ta);
        let a = rec.act_on("qingyuan", vec![s], agreed("以山脊为界"));
        (rec, w, a)
    };
    let (rec, w, a) = build(true);
    assert_eq!(rec.ok(&w).status, "withdrawn");
    rec.rejected(
        &a,
        "cannot record an agreement: dispute is `withdrawn`, must be `mediating`",
    );
    let (rec, w, a) = build(false);
    assert_eq!(rec.ok(&a).status, "agreed");
    rec.rejected(
        &w,
        "cannot withdraw: dispute is `agreed`, must be `reported` or `mediating`",
    );

    // Same clock: the smaller id goes first.
    let mut rec = Rec::new("hezhou", &["qingyuan"], submitted(0));
    let c = rec.creation();
    rec.at(T0 + 10);
    let a = rec.act_on("hezhou", vec![c.clone()], dispatch("贺州市", "2026-06-30"));
    rec.at(T0 + 10);
    let b = rec.act_on("qingyuan", vec![c], dispatch("清远市", "2026-06-30"));
    let r = rec.record();
    let first = if a < b { &a } else { &b };
    assert_eq!(&r.history[1].id, first);
}

#[test]
fn duplicates_are_folded_once() {
    let mut rec = Rec::new("hezhou", &["qingyuan"], submitted(0));
    rec.act("hezhou", dispatch("贺州市", "2026-06-30"));
    let once = rec.fold();
    let mut twice = rec.events.clone();
    twice.extend(rec.events.iter().cloned());
    let mut unverified_copy = rec.events[1].clone();
    unverified_copy.verified = false;
    twice.insert(0, unverified_copy);
    assert_eq!(fold(&twice), once);
    assert_eq!(once.record.expect("record").version, 2);
}

#[test]
fn history_entries_carry_event_metadata() {
    let mut rec = Rec::new("hezhou", &["qingyuan"], submitted(0));
    rec.at(T0 + 1_500);
    let id = rec.act("qingyuan", dispatch("清远市", "2026-06-30"));
    let r = rec.ok(&id);
    let h = &r.history[1];
    assert_eq!(h.id, id);
    assert_eq!(h.author_city, "qingyuan");
    assert_eq!(h.author_user, "qingyuan-clerk");
    assert_eq!(h.r#type, "suggestion_dispatched");
    assert!(h.verified && !h.rejected && h.reason.is_empty());
    assert_eq!(h.at, "2026-03-01T00:00:01.5Z");
    assert_eq!(h.parents, vec![rec.creation()]);
}

#[test]
fn chinese_text_round_trips_through_encode_and_fold() {
    let name = "湘粤桂三省（区）毗邻地区人大代表联络站·𠀀😀".to_owned();
    let rec = Rec::new(
        "hezhou",
        &[],
        K::StationRegistered(StationRegistered {
            name: name.clone(),
            township: "黄田镇".into(),
            ..StationRegistered::default()
        }),
    );
    let r = rec.record();
    let decoded = lianluo_proto::Record::decode(r.encode_to_vec().as_slice()).expect("decode");
    assert_eq!(decoded.title, name);
    assert_eq!(decoded.station.expect("view").name, name);
}

/// A fixed scenario with concurrency, a conflicting pair, a duplicate, an unverified event
/// and a missing parent.
fn scenario() -> Vec<FoldEvent> {
    let mut rec = Rec::new("hezhou", &["qingyuan", "yongzhou"], reported());
    let c = rec.creation();
    rec.at(T0 + 1_000);
    let s1 = rec.act_on("qingyuan", vec![c.clone()], session("清远"));
    rec.at(T0 + 1_000);
    let s2 = rec.act_on("yongzhou", vec![c.clone()], session("永州"));
    let a = rec.act_on("hezhou", vec![s1.clone(), s2], agreed("以山脊为界"));
    let x1 = rec.act_on("hezhou", vec![a.clone()], confirm());
    let x2 = rec.act_on("qingyuan", vec![a.clone()], confirm());
    let fail = K::DisputeFailed(lianluo_proto::DisputeFailed {
        reason: "一方反悔".into(),
    });
    rec.act_on("yongzhou", vec![a.clone()], fail);
    rec.act_on("yongzhou", vec![x1, x2], confirm());
    let u = rec.act_on("yongzhou", vec![s1], session("未验证"));
    if let Some(ev) = rec.events.iter_mut().find(|e| e.id == u) {
        ev.verified = false;
    }
    rec.act_on("hezhou", vec!["ee".repeat(32)], session("孤立"));
    let dup = rec.events[3].clone();
    rec.events.push(dup);
    rec.events
}

/// A random DAG of suggestion events at three cities (plus an outsider), with clocks that
/// may collide or even run backwards.
pub(crate) fn arb_events() -> impl Strategy<Value = Vec<FoldEvent>> {
    let step = (
        0..4usize,
        0..7usize,
        any::<u8>(),
        0..4u64,
        prop::bool::weighted(0.9),
    );
    prop::collection::vec(step, 0..14).prop_map(|steps| {
        let cities = ["hezhou", "qingyuan", "yongzhou", "guilin"];
        let mut rec = Rec::new("hezhou", &["qingyuan"], submitted(0));
        let mut ids = vec![rec.creation()];
        for (i, (city, change, bits, jitter, verified)) in steps.into_iter().enumerate() {
            let parents: Vec<String> = (0..8)
                .filter(|b| bits & (1 << b) != 0)
                .filter_map(|b| ids.len().checked_sub(b + 1).map(|j| ids[j].clone()))
                .collect();
            let parents = if parents.is_empty() {
                vec![ids[0].clone()]
            } else {
                parents
            };
            let change = match change {
                0 => dispatch(&format!("单位{i}"), "2026-06-30"),
                1 => progress(&format!("进展{i}")),
                2 => answer(&format!("答复{i}")),
                3 => super::suggestion::rate(lianluo_proto::Rating::Unsatisfied),
                4 => super::suggestion::rate(lianluo_proto::Rating::Satisfied),
                5 => add("yongzhou"),
                _ => super::suggestion::close(),
            };
            rec.at(T0 + jitter * 1_000);
            let id = rec.act_on(cities[city], parents, change);
            if let Some(ev) = rec.events.last_mut() {
                ev.verified = verified;
            }
            ids.push(id);
        }
        rec.events
    })
}

fn assert_same(a: &Folded, b: &Folded) {
    let bytes = |f: &Folded| f.record.as_ref().map(Message::encode_to_vec);
    assert_eq!(bytes(a), bytes(b));
    assert_eq!(a.rejected, b.rejected);
    assert_eq!(a.heads, b.heads);
    assert_eq!(a, b);
}

#[test]
fn scenario_is_folded_as_expected() {
    let f = fold(&scenario());
    let r = f.record.as_ref().expect("record");
    // The concurrent failure comes after both confirmations, so yongzhou's confirmation
    // finds the dispute failed.
    assert_eq!(r.status, "failed");
    assert_eq!(
        r.dispute.as_ref().expect("view").confirmed_by,
        ["hezhou", "qingyuan"]
    );
    assert_eq!(f.rejected.len(), 3, "{:?}", f.rejected);
}

proptest! {
    #[test]
    fn any_permutation_of_the_scenario_folds_the_same(shuffled in Just(scenario()).prop_shuffle()) {
        assert_same(&fold(&shuffled), &fold(&scenario()));
    }

    #[test]
    fn any_permutation_of_a_random_dag_folds_the_same(
        (events, shuffled) in arb_events().prop_flat_map(|e| (Just(e.clone()), Just(e).prop_shuffle()))
    ) {
        assert_same(&fold(&shuffled), &fold(&events));
    }
}
