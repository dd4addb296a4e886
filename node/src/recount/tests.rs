//! For random records of every kind (projects too) at three cities, with random acts (allowed or not),
//! dates across three years and concurrent branches: the counters kept incrementally
//! equal a recount from the events, and the figures they give equal the figures counted
//! record by record (`dashboard::figures::compute`, the reference) for every year. A
//! counter that drifts is found and fixed.

use lianluo_proto::change::Kind as K;
use lianluo_proto::{ActivityKind, ActivityPlanned, Deputy, Rating};
use proptest::prelude::*;
use prost::Message;

use super::recount;
use crate::dashboard::figures::{compute, from_counters};
use crate::domain::tests::suggestion_more::{carry, reopen};
use crate::domain::tests::{
    activity, dispute, opinion, project, station, suggestion, Rec, DAY, T0,
};
use crate::domain::{EventId, FoldEvent};
use crate::ingest::{self, Incoming};
use crate::store::{open_sled, StoreOptions};

mod older;

const CITIES: [&str; 3] = ["hezhou", "qingyuan", "yongzhou"];
/// 2026-06-15T04:00:00Z: figures are asked for as of this day.
const NOW: u64 = T0 + 106 * DAY + 4 * 3_600_000;

/// One generated record: kind, origin, partner mask, creation day offset, acts.
type Spec = (usize, usize, u8, u64, Vec<(usize, usize, u64, u8)>);

fn arb_spec() -> impl Strategy<Value = Spec> {
    let act = (0..10usize, 0..3usize, 0..800u64, any::<u8>());
    (
        0..5usize,
        0..3usize,
        any::<u8>(),
        0..900u64,
        prop::collection::vec(act, 0..8),
    )
}

fn creation(kind: usize, day: u64, bits: u8) -> K {
    let year = 2025 + (day / 365) as u32;
    // Now and then a business date of its own, in an earlier year than the entry's.
    let dated = bits & 2 != 0;
    let on = |first: u8| {
        format!(
            "{}-0{}-15",
            2021 + u16::from((bits >> 2) % first),
            1 + bits % 9
        )
    };
    match kind {
        0 => {
            let K::StationRegistered(mut c) = station::registered() else {
                unreachable!()
            };
            if dated {
                c.founded_on = on(5);
            }
            K::StationRegistered(c)
        }
        1 => suggestion::submitted(if bits & 1 == 0 { 0 } else { year }),
        2 => {
            let K::DisputeReported(mut c) = dispute::reported() else {
                unreachable!()
            };
            if dated {
                c.reported_on = on(6);
            }
            K::DisputeReported(c)
        }
        4 => {
            let K::ProjectProposed(mut c) = project::proposed() else {
                unreachable!()
            };
            c.proposed_on = if dated { on(4) } else { String::new() };
            // Now and then nothing planned to benefit (0 is kept as no counter).
            c.villages = u32::from(bits % 3);
            c.people = if bits & 16 == 0 { 0 } else { 12_000 };
            K::ProjectProposed(c)
        }
        _ => K::ActivityPlanned(ActivityPlanned {
            title: "联合视察".into(),
            // Now and then a reception, which takes public opinions.
            activity_kind: if bits & 8 == 0 {
                ActivityKind::JointResearch as i32
            } else {
                ActivityKind::ConstituentReception as i32
            },
            station_id: String::new(),
            date: format!("{year}-0{}-1{}", 1 + bits % 9, bits % 10),
            place: "江华".into(),
            description: String::new(),
        }),
    }
}

fn act(kind: usize, which: usize, day: u64, bits: u8) -> K {
    let date = |d: u64| {
        let t = time::Date::from_calendar_date(2025, time::Month::January, 1)
            .map(|s| s + time::Duration::days(d as i64))
            .unwrap_or(time::Date::MIN);
        format!("{:04}-{:02}-{:02}", t.year(), u8::from(t.month()), t.day())
    };
    match (kind, which % 5) {
        (0, 0) => station::close("撤并"),
        (0, _) => station::add(CITIES[usize::from(bits) % 3]),
        (1, 0) => suggestion::dispatch("交通运输局", &date(day)),
        (1, 1) => suggestion::answer("已答复"),
        (1, 2) => suggestion::rate(match bits % 3 {
            0 => Rating::Satisfied,
            1 => Rating::BasicallySatisfied,
            _ => Rating::Unsatisfied,
        }),
        (1, 3) if bits.is_multiple_of(2) => reopen(),
        (1, 3) => carry(2026 + u32::from(bits % 3)),
        (1, _) => suggestion::close(),
        (2, 0) => dispute::session("联络站"),
        (2, 1) => dispute::agreed("以山脊为界"),
        (2, 2) => dispute::confirm(),
        (2, 3) => dispute::check(!bits.is_multiple_of(4)),
        (2, _) if bits.is_multiple_of(3) => dispute::withdraw(),
        (2, _) if bits & 4 != 0 => K::DisputeResolved(lianluo_proto::DisputeResolved {
            note: String::new(),
            resolved_on: date(day),
        }),
        (2, _) => dispute::resolve(),
        (4, 0 | 1) => K::ProjectStarted(lianluo_proto::ProjectStarted {
            started_on: date(day),
            note: String::new(),
        }),
        (4, 2 | 3) => K::ProjectCompleted(lianluo_proto::ProjectCompleted {
            completed_on: date(day + 30),
            villages: Some(u32::from(bits % 4)),
            people: bits.is_multiple_of(2).then(|| u32::from(bits) * 100),
            note: String::new(),
        }),
        (4, _) => project::linked(),
        (_, 1) => opinion::received("村民", "意见"),
        (_, 2) => opinion::answered(1 + u32::from(bits % 2), bits & 4 != 0),
        (_, 3) if bits.is_multiple_of(2) => opinion::referred(1),
        (_, 3) => opinion::feedback(1, bits & 4 != 0),
        (_, 0) if bits.is_multiple_of(5) => activity::cancelled(),
        (_, _) => K::ActivityReported(lianluo_proto::ActivityReported {
            held_on: date(day),
            deputies: (0..(bits % 4))
                .map(|i| Deputy {
                    name: format!("代表{}", (bits / 4 + i) % 5),
                    city: CITIES[usize::from(i) % 3].into(),
                })
                .collect(),
            opinions_collected: u32::from(bits % 7),
            problems_solved: u32::from(bits % 3),
            report: String::new(),
        }),
    }
}

fn build(n: usize, spec: &Spec) -> Rec {
    let (kind, origin, mask, day, acts) = spec;
    let partners: Vec<&str> = CITIES
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != *origin && mask & (1 << i) != 0)
        .map(|(_, c)| *c)
        .collect();
    let created = T0 + (day % 700) * DAY - 300 * DAY;
    let change = creation(*kind, *day, *mask);
    let mut rec = Rec::created(n as u128, created, CITIES[*origin], &partners, change);
    for (which, author, d, bits) in acts {
        let heads = rec.heads();
        // Now and then an act made concurrently with the last one.
        let parents = if bits.is_multiple_of(7) && rec.events.len() > 1 {
            rec.events[rec.events.len() - 2..rec.events.len() - 1]
                .iter()
                .map(|e| e.id.clone())
                .collect()
        } else {
            heads
        };
        rec.at(T0 + d * DAY - 300 * DAY);
        // A project is started and completed, an activity reported and its opinions
        // handled, by its origin (most of their acts).
        let author = if (*kind == 4 && which % 5 < 4) || (*kind == 3 && which % 5 != 0) {
            *origin
        } else {
            *author
        };
        rec.act_on(CITIES[author], parents, act(*kind, *which, *d, *bits));
    }
    rec
}

fn incoming(ev: &FoldEvent) -> Incoming {
    Incoming {
        id: EventId::parse(&ev.id).expect("id"),
        signed: lianluo_proto::SignedEvent {
            body: ev.body.encode_to_vec(),
            signature: vec![0x30],
            signer_cert_sha256: "ab".repeat(32),
        },
        body: ev.body.clone(),
        verified: true,
    }
}

fn check(specs: &[Spec]) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open_sled(dir.path(), "hezhou", StoreOptions::default()).expect("open");
    for (n, spec) in specs.iter().enumerate() {
        let rec = build(n, spec);
        // Each record in two commits, so counters move step by step.
        let (first, rest) = rec.events.split_at(rec.events.len().min(2));
        for part in [first, rest] {
            let planned = ingest::plan(
                store.as_ref(),
                "hezhou",
                part.iter().map(incoming).collect(),
            )
            .expect("plan");
            store.commit(planned.commit).expect("commit");
        }
    }
    let r = recount(store.as_ref(), "hezhou", false).expect("recount");
    assert!(r.clean(), "{r:?}");
    let today = crate::domain::local_date(NOW);
    let records = crate::render::all(store.as_ref(), today).expect("records");
    let counters = store.counters().expect("counters");
    let members = store.members().expect("members");
    for year in [0, 2021, 2022, 2023, 2024, 2025, 2026, 2027] {
        let mut got = from_counters("hezhou", year, NOW, &counters, &members);
        let want = compute("hezhou", year, NOW, &records);
        got.computed_at = want.computed_at.clone();
        assert_eq!(got, want, "figures of {year}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn recount_equals_the_incremental_counters_and_figures_equal_a_count_of_records(
        specs in prop::collection::vec(arb_spec(), 1..12)
    ) {
        check(&specs);
    }
}

#[test]
fn recount_finds_a_counter_that_drifted_and_fixes_it() {
    let specs: Vec<Spec> = vec![
        (1, 0, 0b010, 400, vec![(0, 0, 420, 1), (0, 1, 421, 2)]),
        (3, 0, 0b100, 410, vec![(1, 0, 430, 7)]),
        (0, 0, 0, 10, vec![]),
    ];
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open_sled(dir.path(), "hezhou", StoreOptions::default()).expect("open");
    for (n, spec) in specs.iter().enumerate() {
        let events = build(n, spec).events.iter().map(incoming).collect();
        let planned = ingest::plan(store.as_ref(), "hezhou", events).expect("plan");
        store.commit(planned.commit).expect("commit");
    }
    assert!(recount(store.as_ref(), "hezhou", false)
        .expect("recount")
        .clean());
    let mut counters: std::collections::BTreeMap<Vec<u8>, i64> =
        store.counters().expect("c").into_iter().collect();
    let members = store.members().expect("m").into_iter().collect();
    let (k, v) = counters.iter_mut().next().expect("a counter");
    let key = k.clone();
    *v += 5;
    store
        .replace_counters(counters, members, crate::store::COUNTERS_VERSION)
        .expect("drift");
    let found = recount(store.as_ref(), "hezhou", false).expect("recount");
    assert_eq!(found.differences.len(), 1, "{found:?}");
    assert_eq!(
        found.differences[0].stored - found.differences[0].recounted,
        5
    );
    assert!(!found.fixed);
    let fixed = recount(store.as_ref(), "hezhou", true).expect("fix");
    assert!(fixed.fixed);
    assert!(recount(store.as_ref(), "hezhou", false)
        .expect("again")
        .clean());
    assert!(store.counters().expect("c").iter().any(|(k, _)| *k == key));
}

#[test]
fn recount_at_open_brings_counters_an_older_build_kept_up_to_date() {
    use crate::projection::counters::CounterKey;
    // A mediated dispute of hezhou, and a qingyuan station hezhou takes part in.
    let specs: Vec<Spec> = vec![
        (2, 0, 0, 400, vec![(0, 0, 420, 1)]),
        (0, 1, 0b001, 410, vec![]),
    ];
    let dir = tempfile::tempdir().expect("tempdir");
    let options = StoreOptions::default();
    {
        let store = open_sled(dir.path(), "hezhou", options).expect("open");
        for (n, spec) in specs.iter().enumerate() {
            let events = build(n, spec).events.iter().map(incoming).collect();
            let planned = ingest::plan(store.as_ref(), "hezhou", events).expect("plan");
            store.commit(planned.commit).expect("commit");
        }
        assert_eq!(
            store.counters_version().expect("v"),
            crate::store::COUNTERS_VERSION
        );
        // What a build before versioned counters kept: none of the newer counters.
        let old: std::collections::BTreeMap<Vec<u8>, i64> = store
            .counters()
            .expect("c")
            .into_iter()
            .filter(|(k, _)| {
                !matches!(
                    CounterKey::decode(k),
                    Some(CounterKey::DisputeMediated { .. } | CounterKey::Participating { .. })
                )
            })
            .collect();
        let members = store.members().expect("m").into_iter().collect();
        store.replace_counters(old, members, 1).expect("old");
        let found = recount(store.as_ref(), "hezhou", false).expect("recount");
        assert!(found.outdated && !found.clean(), "{found:?}");
        let f = from_counters("hezhou", 0, NOW, &store.counters().expect("c"), &[]);
        assert_eq!(f.disputes_mediated, 0);
        store.flush().expect("flush");
    }
    let store = crate::upgrade::open(dir.path(), "hezhou", options).expect("reopen");
    assert_eq!(
        store.counters_version().expect("v"),
        crate::store::COUNTERS_VERSION
    );
    assert!(recount(store.as_ref(), "hezhou", false)
        .expect("recount")
        .clean());
    let f = from_counters("hezhou", 0, NOW, &store.counters().expect("c"), &[]);
    assert_eq!(f.disputes_mediated, 1);
    assert_eq!(f.participating.map(|p| p.stations), Some(1));
}

/// The records listed under the encoded terms starting with `prefix`.
fn listed_under(store: &dyn crate::store::Store, prefix: &[u8]) -> Vec<String> {
    use std::ops::Bound;
    let mut end = prefix.to_vec();
    if let Some(last) = end.last_mut() {
        *last += 1;
    }
    let hits = store
        .index_range(Bound::Included(prefix.to_vec()), Bound::Excluded(end), 1000)
        .expect("index range");
    hits.into_iter().map(|h| h.record.to_string()).collect()
}

#[test]
fn recount_at_open_indexes_every_text_an_older_build_indexed_by_title_only() {
    // Counters version 5: kept by a build before the text index.
    reopened_after_title_only_indexing(5);
    // Version 6 kept, but a build indexing titles only wrote to it (a rollback and back).
    reopened_after_title_only_indexing(crate::store::COUNTERS_VERSION);
}

fn reopened_after_title_only_indexing(version: u32) {
    use crate::projection::index::{legacy_title_grams, text};
    use crate::projection::IndexTerm;
    let dir = tempfile::tempdir().expect("tempdir");
    let options = StoreOptions::default();
    let rec = Rec::new("hezhou", &[], suggestion::submitted(0)); // body: …联合推进…
    let body_gram = IndexTerm::Gram("推进".into()).encode();
    let id = {
        let store = open_sled(dir.path(), "hezhou", options).expect("open");
        let events = rec.events.iter().map(incoming).collect();
        let planned = ingest::plan(store.as_ref(), "hezhou", events).expect("plan");
        store.commit(planned.commit).expect("commit");
        let (id, entry) = store.records_after(None, 10).expect("records").remove(0);
        assert_eq!(listed_under(store.as_ref(), &body_gram), [id.to_string()]);
        // What a build before counters version 6 kept: the title's grams only.
        let state = entry.state.clone().expect("state");
        let delta = crate::projection::Delta {
            add: legacy_title_grams(&state.title),
            remove: text::grams(&state)
                .into_iter()
                .map(|g| IndexTerm::Gram(g).encode())
                .collect(),
            ..Default::default()
        };
        let history = crate::store::HistoryWrite {
            from: entry.steps,
            steps: Vec::new(),
            old_len: entry.steps,
        };
        let write = crate::store::RecordWrite {
            id: id.clone(),
            entry,
            history,
            delta,
        };
        store
            .commit(crate::store::Commit {
                records: vec![write],
                ..Default::default()
            })
            .expect("old index");
        let counters = store.counters().expect("c").into_iter().collect();
        let members = store.members().expect("m").into_iter().collect();
        store
            .replace_counters(counters, members, version)
            .expect("version");
        assert!(listed_under(store.as_ref(), &body_gram).is_empty());
        assert!(!listed_under(store.as_ref(), b"g").is_empty());
        store.flush().expect("flush");
        id.to_string()
    };
    let store = crate::upgrade::open(dir.path(), "hezhou", options).expect("reopen");
    assert_eq!(
        listed_under(store.as_ref(), &body_gram),
        std::slice::from_ref(&id)
    );
    assert!(
        listed_under(store.as_ref(), b"g").is_empty(),
        "the title grams an older build wrote are gone"
    );
    assert_eq!(
        store.counters_version().expect("v"),
        crate::store::COUNTERS_VERSION
    );
    // The history is untouched.
    let r = crate::render::all(store.as_ref(), time::macros::date!(2026 - 06 - 15)).expect("views");
    assert_eq!(r[0].history.len(), 1);
    assert_eq!(r[0].id, id);
}
