//! Counter keys round-trip through their encoding; figures read back what was counted.

use super::*;

fn all_keys() -> Vec<CounterKey> {
    use CounterKey as C;
    vec![
        C::Station {
            year: 2021,
            status: "active".into(),
        },
        C::SuggestionStatus {
            scope: 0,
            status: "answered".into(),
        },
        C::SuggestionJoint { scope: 2026 },
        C::SuggestionRating {
            scope: 2026,
            rating: "satisfied".into(),
        },
        C::SuggestionDeadline {
            scope: 2026,
            date: 20_260_523,
        },
        C::DisputeStatus {
            scope: 2025,
            status: "resolved".into(),
        },
        C::DisputeResolved { year: 2026 },
        C::ActivityStatus {
            scope: 0,
            status: "held".into(),
        },
        C::ActivityKind {
            scope: 0,
            kind: "joint_research".into(),
        },
        C::ActivityMonth {
            scope: 2026,
            month: "2026-03".into(),
        },
        C::Attendances { scope: 0 },
        C::Opinions { scope: 0 },
        C::Problems { scope: 2026 },
        C::Deputies { scope: 2026 },
        C::DisputeMediated { scope: 2025 },
        C::Participating {
            scope: 2021,
            kind: "station".into(),
        },
        C::Participating {
            scope: 0,
            kind: "activity".into(),
        },
    ]
}

#[test]
fn projection_counter_keys_round_trip_and_are_distinct() {
    let keys = all_keys();
    let encoded: BTreeSet<Vec<u8>> = keys.iter().map(CounterKey::encode).collect();
    assert_eq!(encoded.len(), keys.len());
    for k in keys {
        assert_eq!(CounterKey::decode(&k.encode()), Some(k.clone()), "{k:?}");
    }
    assert_eq!(CounterKey::decode(&[0, 0, 99]), None);
    assert_eq!(CounterKey::decode(&[0]), None);
}

#[test]
fn projection_figures_sum_stations_up_to_the_year_and_overdue_before_today() {
    use CounterKey as C;
    let counters = vec![
        (
            C::Station {
                year: 2021,
                status: "active".into(),
            },
            3,
        ),
        (
            C::Station {
                year: 2024,
                status: "closed".into(),
            },
            1,
        ),
        (
            C::Station {
                year: 2027,
                status: "active".into(),
            },
            5,
        ),
        (
            C::SuggestionDeadline {
                scope: 2026,
                date: 20_260_522,
            },
            2,
        ),
        (
            C::SuggestionDeadline {
                scope: 2026,
                date: 20_260_523,
            },
            7,
        ),
        (
            C::SuggestionStatus {
                scope: 2026,
                status: "dispatched".into(),
            },
            9,
        ),
        (C::DisputeResolved { year: 2026 }, 4),
        (C::DisputeResolved { year: 2025 }, 1),
    ];
    let today = time::macros::date!(2026 - 05 - 23);
    let f = figures("hezhou", 2026, 2026, today, counters.clone());
    assert_eq!(
        f.stations, 3,
        "closed stations are not counted, later ones not yet"
    );
    assert_eq!(f.stations_by_status.get("closed"), Some(&1));
    assert_eq!(f.suggestions_overdue, 2, "a deadline of today is not past");
    assert_eq!(f.suggestions, 9);
    assert_eq!(f.disputes_resolved_in_year, 4);
    let all = figures("hezhou", 0, 2026, today, counters);
    assert_eq!(all.stations, 8);
    assert_eq!(all.suggestions, 0, "scope 0 counters were not given");
}
