//! Every filter, alone and combined, pages through exactly the records a check of every
//! record finds (computed from the API views, not from the planner's own predicates),
//! once each, whatever the page size and however few entries a call may examine.

use std::collections::BTreeSet;

use lianluo_proto::{change::Kind as K, Record, RecordKind};

use super::{page_bounded, Filters};
use crate::domain::tests::suggestion::{answer, dispatch, submitted};
use crate::domain::tests::{activity, dispute, station, Rec};
use crate::domain::FoldEvent;
use crate::ingest::{self, Incoming};
use crate::store::{open_sled, Store, StoreOptions};

const TODAY: time::Date = time::macros::date!(2026 - 12 - 07);
const TITLES: [&str; 6] = [
    "边界道路修建",
    "山林纠纷调解建议",
    "界碑维护",
    "边界山林防火",
    "道路",
    "贺街—连山道路",
];

fn title(change: &mut K, t: &str) {
    match change {
        K::StationRegistered(c) => c.name = t.into(),
        K::SuggestionSubmitted(c) => c.title = t.into(),
        K::DisputeReported(c) => c.title = t.into(),
        K::ActivityPlanned(c) => c.title = t.into(),
        _ => {}
    }
}

fn at_station(change: &mut K, s: &str) {
    match change {
        K::SuggestionSubmitted(c) => c.station_id = s.into(),
        K::DisputeReported(c) => c.station_id = s.into(),
        K::ActivityPlanned(c) => c.station_id = s.into(),
        _ => {}
    }
}

/// Three stations and 30 other records of every kind, cities, stations, titles and
/// deadlines (past and future).
fn corpus() -> Vec<Rec> {
    let cities = ["hezhou", "qingyuan", "yongzhou"];
    let mut recs: Vec<Rec> = (0..3)
        .map(|i| {
            let mut c = station::registered();
            title(&mut c, &format!("联络站{i}"));
            Rec::numbered(
                100 + i,
                cities[i as usize],
                &[cities[(i as usize + 1) % 3]],
                c,
            )
        })
        .collect();
    let stations: Vec<String> = recs.iter().map(|r| r.id.clone()).collect();
    for i in 0..30usize {
        let mut change = match i % 3 {
            0 => submitted(2025 + (i % 2) as u32),
            1 => dispute::reported(),
            _ => activity::planned(),
        };
        title(&mut change, TITLES[i % TITLES.len()]);
        if i % 4 != 3 {
            at_station(&mut change, &stations[i % 3]);
        }
        let origin = cities[i % 2];
        let partners: &[&str] = if i % 5 == 0 { &[] } else { &["yongzhou"] };
        let mut rec = Rec::numbered(i as u128, origin, partners, change);
        if i % 3 == 0 {
            let deadline = if i % 2 == 0 {
                "2026-01-10"
            } else {
                "2099-01-01"
            };
            rec.act(origin, dispatch("交通运输局", deadline));
            if i % 9 == 0 {
                rec.act(origin, answer("已办理"));
            }
        }
        recs.push(rec);
    }
    recs
}

fn incoming(ev: &FoldEvent) -> Incoming {
    use prost::Message;
    Incoming {
        id: crate::domain::EventId::parse(&ev.id).expect("id"),
        signed: lianluo_proto::SignedEvent {
            body: ev.body.encode_to_vec(),
            signature: vec![0x30],
            signer_cert_sha256: "ab".repeat(32),
        },
        body: ev.body.clone(),
        verified: true,
    }
}

fn store_of(recs: &[Rec]) -> (tempfile::TempDir, std::sync::Arc<dyn Store>, Vec<Record>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open_sled(dir.path(), "hezhou", StoreOptions::default()).expect("open");
    let events: Vec<Incoming> = recs
        .iter()
        .flat_map(|r| r.events.iter().map(incoming))
        .collect();
    let planned = ingest::plan(store.as_ref(), "hezhou", events).expect("plan");
    store.commit(planned.commit).expect("commit");
    let views = crate::render::all(store.as_ref(), TODAY).expect("views");
    assert_eq!(views.len(), recs.len());
    (dir, store, views)
}

fn filters() -> Filters {
    Filters::all(TODAY)
}

/// What a check of every view finds for `f`.
fn expected(views: &[Record], f: &Filters) -> BTreeSet<String> {
    let station_of = |r: &Record| {
        r.suggestion
            .as_ref()
            .map(|s| s.station_id.clone())
            .or_else(|| r.dispute.as_ref().map(|d| d.station_id.clone()))
            .or_else(|| r.activity.as_ref().map(|a| a.station_id.clone()))
    };
    views
        .iter()
        .filter(|r| f.kind.is_none_or(|k| r.kind == crate::domain::kind_str(k)))
        .filter(|r| f.status.as_ref().is_none_or(|s| &r.status == s))
        .filter(|r| f.city.as_ref().is_none_or(|c| r.participants.contains(c)))
        .filter(|r| f.station.is_none() || station_of(r) == f.station)
        .filter(|r| !f.overdue || r.suggestion.as_ref().is_some_and(|s| s.overdue))
        .filter(|r| f.year.is_none_or(|y| view_in_year(r, u32::from(y))))
        .filter(|r| {
            f.text
                .as_ref()
                .is_none_or(|t| view_texts(r).iter().any(|x| x.contains(t.as_str())))
        })
        .map(|r| r.id.clone())
        .collect()
}

/// Whether a view counts in `year` as the figures define it (from the view's dates).
fn view_in_year(r: &Record, year: u32) -> bool {
    let of = |d: &str| d.get(..4).and_then(|y| y.parse::<u32>().ok());
    if let Some(s) = &r.station {
        return of(&s.founded_on).is_some_and(|y| y <= year);
    }
    if let Some(s) = &r.suggestion {
        return s.year == year || s.carried_over_to.contains(&year);
    }
    if let Some(d) = &r.dispute {
        return of(&d.reported_on) == Some(year);
    }
    if let Some(a) = &r.activity {
        let day = if a.held_on.is_empty() {
            &a.date
        } else {
            &a.held_on
        };
        return of(day) == Some(year);
    }
    r.project.as_ref().is_some_and(|p| {
        [&p.proposed_on, &p.started_on, &p.completed_on]
            .iter()
            .any(|d| of(d) == Some(year))
    })
}

/// The texts of a view a search should find words in (titles, bodies, units, answers,
/// parties, places, notes…), gathered from the API view, not from the index's own list.
fn view_texts(r: &Record) -> Vec<String> {
    let mut out = vec![r.title.clone()];
    if let Some(s) = &r.station {
        out.extend([&s.township, &s.county, &s.address, &s.note].map(Clone::clone));
    }
    if let Some(s) = &r.suggestion {
        out.push(s.body.clone());
        out.extend(s.proposers.iter().cloned());
        for p in &s.parts {
            out.extend([p.unit.clone(), p.answer.clone()]);
            out.extend(p.progress.iter().cloned());
        }
    }
    if let Some(d) = &r.dispute {
        out.extend([d.description.clone(), d.location.clone()]);
        out.extend(d.parties.iter().cloned());
    }
    if let Some(a) = &r.activity {
        out.extend([&a.description, &a.place, &a.report].map(Clone::clone));
    }
    out
}

/// Every record `page_bounded` lists for `f`, following tokens; none twice.
fn listed(store: &dyn Store, f: &Filters, size: usize, max: usize) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut token: Option<String> = None;
    for _ in 0..10_000 {
        let page = page_bounded(store, f, token.as_deref(), size, max).expect("page");
        assert!(page.records.len() <= size);
        for r in page.records {
            assert!(r.history.is_empty(), "lists carry no history");
            assert!(seen.insert(r.id.clone()), "{} listed twice for {f:?}", r.id);
        }
        if page.next_page_token.is_empty() {
            return seen;
        }
        token = Some(page.next_page_token);
    }
    panic!("paging never ended for {f:?}");
}

#[test]
fn list_every_filter_pages_through_exactly_the_matching_records() {
    let recs = corpus();
    let (_dir, store, views) = store_of(&recs);
    let station = recs[0].id.clone();
    let mut cases: Vec<Filters> = Vec::new();
    // Titles, and the texts people write: a body (推进), a unit (运输局), an answer (已办理),
    // a party (上草村), a location (北麓), an activity's place (江华), a station's address
    // (人民路), one character of many texts (镇).
    for text in [
        "边界",
        "道路",
        "界",
        "路",
        "纠纷调解",
        "不存在",
        "推进",
        "运输局",
        "已办理",
        "上草村",
        "北麓",
        "江华",
        "人民路",
        "镇",
    ] {
        cases.push(Filters {
            text: Some(text.into()),
            ..filters()
        });
    }
    cases.push(Filters {
        station: Some(station.clone()),
        ..filters()
    });
    cases.push(Filters {
        overdue: true,
        ..filters()
    });
    cases.push(Filters {
        city: Some("yongzhou".into()),
        ..filters()
    });
    cases.push(Filters {
        kind: Some(RecordKind::Dispute),
        ..filters()
    });
    cases.push(Filters {
        status: Some("dispatched".into()),
        ..filters()
    });
    cases.push(Filters {
        kind: Some(RecordKind::Suggestion),
        status: Some("in_progress".into()),
        ..filters()
    });
    cases.push(Filters {
        text: Some("道路".into()),
        city: Some("yongzhou".into()),
        kind: Some(RecordKind::Activity),
        ..filters()
    });
    cases.push(Filters {
        station: Some(station),
        overdue: true,
        ..filters()
    });
    // Years: a station counts from the year it was set up on, the others in their year.
    for (kind, year) in [
        (None, 2026),
        (None, 2027),
        (Some(RecordKind::Station), 2027),
        (Some(RecordKind::Suggestion), 2026),
    ] {
        cases.push(Filters {
            kind,
            year: Some(year),
            ..filters()
        });
    }
    cases.push(Filters {
        year: Some(2026),
        city: Some("yongzhou".into()),
        ..filters()
    });
    cases.push(filters());
    for f in &cases {
        let want = expected(&views, f);
        // A total is given for no filter and one counted filter (kind with status), and
        // is then exactly the number listed.
        let total = super::total(store.as_ref(), f).expect("total");
        let singles = [
            f.city.is_some(),
            f.station.is_some(),
            f.status.is_some(),
            f.year.is_some(),
        ];
        let kind_alone = f.kind.is_some() && f.status.is_none() && f.year.is_none();
        let counted = f.text.is_none()
            && !f.overdue
            && singles.iter().filter(|b| **b).count() + usize::from(kind_alone) <= 1;
        assert_eq!(total.is_some(), counted, "{f:?}");
        if let Some(n) = total {
            assert_eq!(usize::try_from(n).ok(), Some(want.len()), "{f:?}");
        }
        for (size, max) in [(100, 5_000), (3, 5_000), (2, 4), (1, 1)] {
            assert_eq!(
                listed(store.as_ref(), f, size, max),
                want,
                "{f:?} size {size} max {max}"
            );
        }
    }
    assert!(!expected(
        &views,
        &Filters {
            overdue: true,
            ..filters()
        }
    )
    .is_empty());
    // Stations set up before 2027 count in 2027.
    assert!(!expected(
        &views,
        &Filters {
            kind: Some(RecordKind::Station),
            year: Some(2027),
            ..filters()
        }
    )
    .is_empty());
}

#[test]
fn list_overdue_comes_most_overdue_first_and_updated_since_earliest_day_first() {
    let recs = corpus();
    let (_dir, store, _) = store_of(&recs);
    let f = Filters {
        overdue: true,
        ..filters()
    };
    let page = page_bounded(store.as_ref(), &f, None, 100, 5_000).expect("page");
    let deadlines: Vec<String> = page
        .records
        .iter()
        .map(|r| {
            r.suggestion
                .as_ref()
                .map(|s| s.next_deadline.clone())
                .unwrap_or_default()
        })
        .collect();
    let mut sorted = deadlines.clone();
    sorted.sort();
    assert_eq!(deadlines, sorted);
    let since = Filters {
        updated_since: Some(0),
        ..filters()
    };
    let all = page_bounded(store.as_ref(), &since, None, 100, 5_000).expect("page");
    let day = |r: &Record| {
        let t = time::OffsetDateTime::parse(
            &r.updated_at,
            &time::format_description::well_known::Rfc3339,
        )
        .expect("rfc 3339");
        t.to_offset(time::macros::offset!(+8)).date()
    };
    let days: Vec<time::Date> = all.records.iter().map(day).collect();
    let mut sorted = days.clone();
    sorted.sort();
    assert_eq!(days, sorted, "by the day of the last change");
    assert_eq!(all.records.len(), recs.len());
    // Only records changed at or after the time, to the millisecond.
    let later = Filters {
        updated_since: Some(super::super::super::domain::tests::T0 + 60_000),
        ..filters()
    };
    let changed = page_bounded(store.as_ref(), &later, None, 100, 5_000).expect("page");
    assert!(!changed.records.is_empty() && changed.records.len() < recs.len());
}

#[test]
fn list_a_token_of_other_filters_is_refused_naming_page_token() {
    let recs = corpus();
    let (_dir, store, _) = store_of(&recs);
    let by_city = Filters {
        city: Some("hezhou".into()),
        ..filters()
    };
    let first = page_bounded(store.as_ref(), &by_city, None, 1, 5_000).expect("page");
    assert!(!first.next_page_token.is_empty());
    let by_kind = Filters {
        kind: Some(RecordKind::Station),
        ..filters()
    };
    let err = page_bounded(
        store.as_ref(),
        &by_kind,
        Some(&first.next_page_token),
        1,
        5_000,
    )
    .expect_err("refused");
    assert!(err.to_string().contains("page_token"), "{err}");
    let err = page_bounded(store.as_ref(), &by_city, Some("c12z"), 1, 5_000).expect_err("bad hex");
    assert!(err.to_string().contains("page_token"), "{err}");
}
