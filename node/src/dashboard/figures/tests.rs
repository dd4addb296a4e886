//! Tests: each figure, the year scope, overdue as of a given day, resolved-in-year,
//! other cities' records skipped, and totals summing maps.

use lianluo_proto::{
    ActivityView, CityFigures, Deputy, DisputeView, MediationSession, Participation, Record,
    StationView, SuggestionPart, SuggestionView,
};

use super::{compute, total};

/// 2026-03-10T04:00:00Z (12:00 in UTC+8).
const NOW: u64 = 1_773_115_200_000;

fn rec(id: &str, origin: &str, kind: &str, status: &str, created: &str) -> Record {
    Record {
        id: id.into(),
        kind: kind.into(),
        status: status.into(),
        origin: origin.into(),
        participants: vec![origin.into()],
        created_at: created.into(),
        updated_at: created.into(),
        ..Record::default()
    }
}

/// The day (UTC+8) of an RFC 3339 time, as a view gives a business date not given.
fn day(rfc: &str) -> String {
    crate::domain::rfc3339_local_date(rfc).expect("an RFC 3339 time")
}

fn station(id: &str, status: &str, created: &str) -> Record {
    Record {
        station: Some(StationView {
            founded_on: day(created),
            ..StationView::default()
        }),
        ..rec(id, "hezhou", "station", status, created)
    }
}

fn suggestion(id: &str, status: &str, year: u32, view: SuggestionView) -> Record {
    Record {
        suggestion: Some(SuggestionView { year, ..view }),
        ..rec(id, "hezhou", "suggestion", status, "2026-01-05T00:00:00Z")
    }
}

fn part(deadline: &str, status: &str) -> SuggestionPart {
    SuggestionPart {
        city: "hezhou".into(),
        unit: "交通运输局".into(),
        deadline: deadline.into(),
        status: status.into(),
        ..SuggestionPart::default()
    }
}

fn dispute(id: &str, status: &str, created: &str, updated: &str) -> Record {
    let resolved_on = if status == "resolved" {
        day(updated)
    } else {
        String::new()
    };
    Record {
        updated_at: updated.into(),
        dispute: Some(DisputeView {
            reported_on: day(created),
            resolved_on,
            ..DisputeView::default()
        }),
        ..rec(id, "hezhou", "dispute", status, created)
    }
}

/// A dispute with a mediation session.
fn mediated(id: &str, status: &str, created: &str, updated: &str) -> Record {
    let mut r = dispute(id, status, created, updated);
    if let Some(d) = r.dispute.as_mut() {
        d.sessions = vec![MediationSession::default()];
    }
    r
}

fn deputy(name: &str, city: &str) -> Deputy {
    Deputy {
        name: name.into(),
        city: city.into(),
    }
}

fn activity(id: &str, status: &str, kind: &str, date: &str, held_on: &str) -> Record {
    Record {
        activity: Some(ActivityView {
            activity_kind: kind.into(),
            date: date.into(),
            held_on: held_on.into(),
            ..ActivityView::default()
        }),
        ..rec(id, "hezhou", "activity", status, "2026-01-02T00:00:00Z")
    }
}

fn held(id: &str, kind: &str, held_on: &str, deputies: Vec<Deputy>, op: u32, ps: u32) -> Record {
    let mut r = activity(id, "held", kind, held_on, held_on);
    if let Some(a) = r.activity.as_mut() {
        a.deputies = deputies;
        a.opinions_collected = op;
        a.problems_solved = ps;
    }
    r
}

/// Records of hezhou across 2025–2026, plus two of qingyuan that hezhou takes part in.
fn sample() -> Vec<Record> {
    let mut joint = suggestion("h-s1", "answered", 2026, SuggestionView::default());
    joint.participants.push("qingyuan".into());
    let rated = SuggestionView {
        rating: "satisfied".into(),
        ..SuggestionView::default()
    };
    let overdue = SuggestionView {
        parts: vec![part("2026-03-09", "dispatched")],
        ..SuggestionView::default()
    };
    let due_today = SuggestionView {
        parts: vec![part("2026-03-10", "dispatched")],
        ..SuggestionView::default()
    };
    let carried = SuggestionView {
        carried_over_to: vec![2026],
        ..SuggestionView::default()
    };
    let mut other_city = station("q-st1", "active", "2025-05-01T00:00:00Z");
    other_city.origin = "qingyuan".into();
    other_city.participants = vec!["qingyuan".into(), "hezhou".into()];
    // 张三 of hezhou attends a qingyuan activity too: one deputy across the federation.
    let mut other_activity = held(
        "q-a1",
        "joint_training",
        "2026-02-20",
        vec![deputy("张三", "hezhou"), deputy("王五", "qingyuan")],
        0,
        0,
    );
    other_activity.origin = "qingyuan".into();
    other_activity.participants = vec!["qingyuan".into(), "hezhou".into()];
    vec![
        station("h-st1", "active", "2025-05-01T00:00:00Z"),
        station("h-st2", "closed", "2025-06-01T00:00:00Z"),
        // 2025-12-31T16:30Z is already 2026-01-01 in UTC+8.
        station("h-st3", "active", "2025-12-31T16:30:00Z"),
        other_city,
        other_activity,
        joint,
        suggestion("h-s2", "closed", 2026, rated),
        suggestion("h-s3", "dispatched", 2026, overdue),
        suggestion("h-s4", "dispatched", 2026, due_today),
        suggestion("h-s5", "carried_over", 2025, carried),
        suggestion("h-s6", "submitted", 2025, SuggestionView::default()),
        mediated(
            "h-d1",
            "resolved",
            "2025-11-01T00:00:00Z",
            "2026-02-01T00:00:00Z",
        ),
        mediated(
            "h-d2",
            "resolved",
            "2026-01-10T00:00:00Z",
            "2026-02-03T00:00:00Z",
        ),
        dispute(
            "h-d3",
            "mediating",
            "2026-02-10T00:00:00Z",
            "2026-02-11T00:00:00Z",
        ),
        dispute(
            "h-d4",
            "resolved",
            "2025-03-01T00:00:00Z",
            "2025-04-01T00:00:00Z",
        ),
        held(
            "h-a1",
            "joint_inspection",
            "2026-02-14",
            vec![deputy("张三", "hezhou"), deputy("李四", "qingyuan")],
            12,
            3,
        ),
        held(
            "h-a2",
            "joint_research",
            "2026-03-01",
            // The same deputy listed twice attends once; 张三 of another city is another
            // deputy.
            vec![
                deputy("张三", "hezhou"),
                deputy("张三", "hezhou"),
                deputy("张三", "yongzhou"),
            ],
            5,
            1,
        ),
        held("h-a3", "joint_inspection", "2025-12-20", vec![], 7, 2),
        activity("h-a4", "planned", "joint_training", "2026-05-01", ""),
        activity("h-a5", "cancelled", "other", "2025-08-01", ""),
    ]
}

fn map(pairs: &[(&str, u64)]) -> std::collections::BTreeMap<String, u64> {
    pairs.iter().map(|(k, v)| ((*k).to_string(), *v)).collect()
}

#[test]
fn figures_count_every_record_of_the_city_for_all_years() {
    let f = compute("hezhou", 0, NOW, &sample());
    assert_eq!(
        (f.city.as_str(), f.year, f.resolved_year),
        ("hezhou", 0, 2026)
    );
    assert_eq!(
        f.stations, 2,
        "closed stations and other cities' are not counted"
    );
    assert_eq!(f.stations_by_status, map(&[("active", 2), ("closed", 1)]));
    assert_eq!(f.suggestions, 6);
    assert_eq!(f.joint_suggestions, 1);
    assert_eq!(
        f.suggestions_by_status,
        map(&[
            ("answered", 1),
            ("closed", 1),
            ("dispatched", 2),
            ("carried_over", 1),
            ("submitted", 1)
        ])
    );
    assert_eq!(
        f.suggestions_overdue, 1,
        "a deadline of today is not overdue yet"
    );
    assert_eq!(f.ratings, map(&[("satisfied", 1)]));
    assert_eq!(f.disputes, 4);
    assert_eq!(
        f.disputes_by_status,
        map(&[("resolved", 3), ("mediating", 1)])
    );
    assert_eq!(f.disputes_resolved_in_year, 2, "resolved in 2026 (UTC+8)");
    assert_eq!(f.activities, 5);
    assert_eq!(
        f.activities_by_status,
        map(&[("held", 3), ("planned", 1), ("cancelled", 1)])
    );
    assert_eq!(
        f.activities_by_kind,
        map(&[("joint_inspection", 2), ("joint_research", 1)])
    );
    assert_eq!(
        f.activities_by_month,
        map(&[("2025-12", 1), ("2026-02", 1), ("2026-03", 1)])
    );
    assert_eq!(f.deputies, 3, "张三@hezhou, 李四@qingyuan, 张三@yongzhou");
    assert_eq!(
        f.deputy_list,
        vec![
            deputy("张三", "hezhou"),
            deputy("李四", "qingyuan"),
            deputy("张三", "yongzhou")
        ]
    );
    assert_eq!(f.deputy_attendances, 4);
    assert_eq!((f.opinions_collected, f.problems_solved), (24, 6));
    assert_eq!(f.disputes_mediated, 2, "disputes with a mediation session");
    assert_eq!(
        f.participating,
        Some(Participation {
            stations: 1,
            activities: 1,
            ..Participation::default()
        }),
        "qingyuan's station and activity that hezhou takes part in"
    );
}

#[test]
fn figures_of_a_year_take_the_records_of_that_year() {
    let f = compute("hezhou", 2025, NOW, &sample());
    assert_eq!((f.year, f.resolved_year), (2025, 2025));
    // Stations registered on or before 2025-12-31 (UTC+8): not h-st3.
    assert_eq!(f.stations_by_status, map(&[("active", 1), ("closed", 1)]));
    assert_eq!(f.stations, 1);
    assert_eq!(
        f.suggestions_by_status,
        map(&[("carried_over", 1), ("submitted", 1)])
    );
    // Reported in 2025: h-d1 and h-d4; resolved in 2025: h-d4 only.
    assert_eq!(f.disputes, 2);
    assert_eq!(f.disputes_resolved_in_year, 1);
    // Held in 2025 (h-a3), planned in 2025 and cancelled (h-a5).
    assert_eq!(
        f.activities_by_status,
        map(&[("held", 1), ("cancelled", 1)])
    );
    assert_eq!((f.opinions_collected, f.problems_solved), (7, 2));
    assert_eq!(f.activities_by_month, map(&[("2025-12", 1)]));

    let f = compute("hezhou", 2026, NOW, &sample());
    assert_eq!(f.stations, 2);
    // The suggestion carried over from 2025 counts in 2026 too.
    assert_eq!(f.suggestions, 5);
    assert_eq!(f.suggestions_by_status.get("carried_over"), Some(&1));
    // h-d1 was reported in 2025 but resolved in 2026: resolved this year, not a 2026 case.
    assert_eq!(f.disputes, 2);
    assert_eq!(
        f.disputes_by_status,
        map(&[("resolved", 1), ("mediating", 1)])
    );
    assert_eq!(f.disputes_resolved_in_year, 2);
    assert_eq!(f.activities, 3);
    assert_eq!(f.activities_by_status, map(&[("held", 2), ("planned", 1)]));
    assert_eq!(f.deputies, 3);

    let f = compute("hezhou", 2030, NOW, &sample());
    assert_eq!(f.stations, 2, "stations still open count in later years");
    assert_eq!((f.suggestions, f.disputes, f.activities), (0, 0, 0));
}

#[test]
fn figures_overdue_is_as_of_the_given_day() {
    let recs = sample();
    // 2026-03-09T15:59:59Z is 23:59:59 on 03-09 in UTC+8: the 03-09 deadline is today.
    let before = compute("hezhou", 0, 1_773_071_999_000, &recs);
    assert_eq!(before.suggestions_overdue, 0);
    // 2026-03-10T16:00:00Z is 03-11 in UTC+8: both deadlines have passed.
    let after = compute("hezhou", 0, 1_773_158_400_000, &recs);
    assert_eq!(after.suggestions_overdue, 2);
    // An answered part is never overdue.
    let answered = SuggestionView {
        parts: vec![part("2026-01-01", "answered")],
        ..SuggestionView::default()
    };
    let r = suggestion("h-s9", "answered", 2026, answered);
    assert_eq!(compute("hezhou", 0, NOW, [&r]).suggestions_overdue, 0);
}

#[test]
fn figures_skip_records_of_other_cities() {
    let recs = sample();
    let q = compute("qingyuan", 0, NOW, &recs);
    assert_eq!(q.city, "qingyuan");
    assert_eq!(q.stations, 1);
    assert_eq!((q.suggestions, q.disputes, q.activities), (0, 0, 1));
    assert_eq!(
        q.participating,
        Some(Participation {
            suggestions: 1,
            ..Participation::default()
        }),
        "hezhou's joint suggestion"
    );
    let none = compute("yongzhou", 0, NOW, &recs);
    assert_eq!(
        none,
        CityFigures {
            city: "yongzhou".into(),
            resolved_year: 2026,
            participating: Some(Participation::default()),
            ..CityFigures::default()
        }
    );
}

#[test]
fn total_sums_counts_and_map_entries() {
    let recs = sample();
    let h = compute("hezhou", 0, NOW, &recs);
    let q = compute("qingyuan", 0, NOW, &recs);
    let t = total([&h, &q, &h], 0);
    assert_eq!(t.city, "");
    assert_eq!(t.resolved_year, 2026);
    assert_eq!(t.stations, 5);
    assert_eq!(t.stations_by_status, map(&[("active", 5), ("closed", 2)]));
    assert_eq!(t.suggestions, 12);
    assert_eq!(t.suggestions_by_status.get("dispatched"), Some(&4));
    assert_eq!(t.ratings, map(&[("satisfied", 2)]));
    assert_eq!(t.disputes_resolved_in_year, 4);
    assert_eq!(t.activities_by_kind.get("joint_inspection"), Some(&4));
    assert_eq!(t.activities_by_month.get("2026-03"), Some(&2));
    assert_eq!(
        t.deputies, 4,
        "张三@hezhou attended both cities' activities: counted once"
    );
    assert_eq!(t.deputy_list.len(), 4);
    assert_eq!(t.deputy_attendances, 10);
    assert_eq!(t.disputes_mediated, 4);
    assert_eq!(
        t.participating
            .as_ref()
            .map(|p| (p.stations, p.suggestions)),
        Some((2, 1))
    );
    // A city whose node sent no list (an older build) adds its count.
    let old = CityFigures {
        deputies: 5,
        ..CityFigures::default()
    };
    assert_eq!(total([&h, &old], 0).deputies, 8);
    assert_eq!((t.opinions_collected, t.problems_solved), (48, 12));
    let y = total([&compute("hezhou", 2025, NOW, &recs)], 2025);
    assert_eq!((y.year, y.resolved_year, y.disputes), (2025, 2025, 2));
    assert_eq!(
        total([], 2026),
        CityFigures {
            year: 2026,
            resolved_year: 2026,
            participating: Some(Participation::default()),
            ..CityFigures::default()
        }
    );
}
