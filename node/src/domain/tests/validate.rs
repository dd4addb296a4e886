//! Field validation: required, blank, oversized (by chars), dates, years, enums, city ids,
//! control characters, and the creation / act split.

use lianluo_proto::{
    change::Kind as K, ActivityKind, ActivityPlanned, ActivityReported, Change, Deputy,
    DisputeReported, RecordKind, SuggestionCarriedOver, SuggestionSubmitted,
};

use super::activity::planned;
use super::dispute::reported;
use super::station::{add, registered};
use super::suggestion::{answer, dispatch, rate, submitted};
use crate::domain::limits::{LIST_MAX_ITEMS, TEXT_MAX_CHARS, TITLE_MAX_CHARS};
use crate::domain::{change_type, record_origin, validate_change, validate_city};

fn ch(kind: K) -> Change {
    Change { kind: Some(kind) }
}

/// The error message of validating `kind`.
fn error(kind: K) -> String {
    let creating = crate::domain::is_creation(&ch(kind.clone()));
    validate_change(&ch(kind), creating)
        .expect_err("should be refused")
        .to_string()
}

fn suggestion_with(edit: impl FnOnce(&mut SuggestionSubmitted)) -> K {
    let K::SuggestionSubmitted(mut s) = submitted(0) else {
        unreachable!()
    };
    edit(&mut s);
    K::SuggestionSubmitted(s)
}

#[test]
fn valid_changes_return_their_kind() {
    let cases = [
        (registered(), true, RecordKind::Station),
        (submitted(0), true, RecordKind::Suggestion),
        (reported(), true, RecordKind::Dispute),
        (planned(), true, RecordKind::Activity),
        (
            dispatch("贺州市交通运输局", "2026-02-28"),
            false,
            RecordKind::Suggestion,
        ),
        (add("yongzhou"), false, RecordKind::Unspecified),
    ];
    for (kind, creating, expected) in cases {
        assert_eq!(validate_change(&ch(kind), creating), Ok(expected));
    }
}

#[test]
fn creation_and_act_are_kept_apart() {
    let e = validate_change(&ch(dispatch("x", "2026-01-01")), true).expect_err("refused");
    assert_eq!(
        e.to_string(),
        "change: suggestion_dispatched is not a creation; use Act"
    );
    let e = validate_change(&ch(registered()), false).expect_err("refused");
    assert_eq!(
        e.to_string(),
        "change: station_registered creates a record; use Create"
    );
    let e = validate_change(&Change { kind: None }, false).expect_err("refused");
    assert_eq!(e.field, "change");
    assert_eq!(change_type(&Change { kind: None }), "none");
    assert_eq!(change_type(&ch(answer("x"))), "suggestion_answered");
}

#[test]
fn required_titles_and_bodies() {
    let e = error(suggestion_with(|s| s.title = String::new()));
    assert_eq!(
        e,
        "suggestion_submitted.title: is required (must not be blank)"
    );
    // Ideographic space (U+3000) and newlines are blank too.
    let e = error(suggestion_with(|s| s.title = " \u{3000}\n".into()));
    assert_eq!(
        e,
        "suggestion_submitted.title: is required (must not be blank)"
    );
    let e = error(suggestion_with(|s| s.body = "  ".into()));
    assert_eq!(
        e,
        "suggestion_submitted.body: is required (must not be blank)"
    );
    let e = error(answer("\t"));
    assert_eq!(
        e,
        "suggestion_answered.answer: is required (must not be blank)"
    );
    let e = error(K::DisputeAgreed(lianluo_proto::DisputeAgreed::default()));
    assert_eq!(e, "dispute_agreed.terms: is required (must not be blank)");
    let K::DisputeReported(mut d) = reported() else {
        unreachable!()
    };
    d.description = String::new();
    let e = error(K::DisputeReported(d));
    assert_eq!(
        e,
        "dispute_reported.description: is required (must not be blank)"
    );
}

#[test]
fn lengths_count_characters_not_bytes() {
    let ok = suggestion_with(|s| s.title = "联".repeat(TITLE_MAX_CHARS));
    assert!(validate_change(&ch(ok), true).is_ok());
    let e = error(suggestion_with(|s| {
        s.title = "联".repeat(TITLE_MAX_CHARS + 1)
    }));
    assert_eq!(
        e,
        "suggestion_submitted.title: is 201 characters long, at most 200 are allowed"
    );
    let ok = suggestion_with(|s| s.body = "络".repeat(TEXT_MAX_CHARS));
    assert!(validate_change(&ch(ok), true).is_ok());
    let e = error(suggestion_with(|s| {
        s.body = "络".repeat(TEXT_MAX_CHARS + 1)
    }));
    assert!(
        e.starts_with("suggestion_submitted.body: is 10001 characters long"),
        "{e}"
    );
    let e = error(dispatch(&"局".repeat(201), "2026-01-01"));
    assert!(
        e.starts_with("suggestion_dispatched.unit: is 201 characters long"),
        "{e}"
    );
}

#[test]
fn lists_are_bounded_and_items_required() {
    let e = error(suggestion_with(|s| {
        s.proposers = vec!["代表".into(); LIST_MAX_ITEMS + 1]
    }));
    assert_eq!(
        e,
        "suggestion_submitted.proposers: has 101 items, at most 100 are allowed"
    );
    let e = error(suggestion_with(|s| {
        s.proposers = vec!["李明".into(), " ".into()]
    }));
    assert_eq!(
        e,
        "suggestion_submitted.proposers[1]: is required (must not be blank)"
    );
}

#[test]
fn dates_must_be_real_calendar_dates() {
    let e = error(dispatch("贺州市交通运输局", "2026-02-30"));
    assert_eq!(
        e,
        "suggestion_dispatched.deadline: 2026-02-30 is not a valid date (use YYYY-MM-DD)"
    );
    for bad in [
        "2026-2-3",
        "20260203",
        "2026/02/03",
        "2026-13-01",
        "+2026-02-03",
        "２０２６-02-03",
    ] {
        let e = error(dispatch("x", bad));
        assert!(
            e.contains("is not a valid date (use YYYY-MM-DD)"),
            "{bad}: {e}"
        );
    }
    let e = error(dispatch("x", ""));
    assert_eq!(
        e,
        "suggestion_dispatched.deadline: is required (use YYYY-MM-DD)"
    );
    assert!(validate_change(&ch(dispatch("x", "2028-02-29")), false).is_ok());
}

#[test]
fn business_dates_are_optional_real_dates_and_a_dispatch_comes_before_its_deadline() {
    let dispatched = |day: &str| {
        K::SuggestionDispatched(lianluo_proto::SuggestionDispatched {
            unit: "贺州市交通运输局".into(),
            deadline: "2023-06-30".into(),
            dispatched_on: day.into(),
            ..Default::default()
        })
    };
    assert!(validate_change(&ch(dispatched("")), false).is_ok());
    assert!(validate_change(&ch(dispatched("2023-06-30")), false).is_ok());
    assert_eq!(
        error(dispatched("2023-07-01")),
        "suggestion_dispatched.dispatched_on: 2023-07-01 is after the deadline 2023-06-30; \
         the deadline (办理期限) comes after the dispatch"
    );
    assert_eq!(
        error(dispatched("2023-02-30")),
        "suggestion_dispatched.dispatched_on: 2023-02-30 is not a valid date (use YYYY-MM-DD)"
    );
    let e = error(suggestion_with(|s| s.submitted_on = "1999-12-31".into()));
    assert_eq!(
        e,
        "suggestion_submitted.submitted_on: 1999 is out of range (use a year from 2000 to 2100)"
    );
    let e = error(K::DisputeResolved(lianluo_proto::DisputeResolved {
        note: String::new(),
        resolved_on: "2024/01/05".into(),
    }));
    assert_eq!(
        e,
        "dispute_resolved.resolved_on: 2024/01/05 is not a valid date (use YYYY-MM-DD)"
    );
}

#[test]
fn years_are_bounded() {
    for (year, ok) in [
        (0, true),
        (1999, false),
        (2000, true),
        (2100, true),
        (2101, false),
    ] {
        let r = validate_change(&ch(suggestion_with(|s| s.year = year)), true);
        assert_eq!(r.is_ok(), ok, "year {year}");
    }
    let e = error(K::SuggestionCarriedOver(SuggestionCarriedOver {
        to_year: 0,
        reason: String::new(),
        ..Default::default()
    }));
    assert_eq!(
        e,
        "suggestion_carried_over.to_year: 0 is out of range (use a year from 2000 to 2100)"
    );
}

#[test]
fn enums_must_be_specified() {
    let e = error(rate(lianluo_proto::Rating::Unspecified));
    assert!(
        e.starts_with("suggestion_rated.rating: must be specified"),
        "{e}"
    );
    let mut r = rate(lianluo_proto::Rating::Satisfied);
    if let K::SuggestionRated(x) = &mut r {
        x.rating = 42;
    }
    assert!(error(r).starts_with("suggestion_rated.rating: must be specified"));
    for kind in [ActivityKind::Unspecified as i32, 99] {
        let e = error(K::ActivityPlanned(ActivityPlanned {
            activity_kind: kind,
            ..activity()
        }));
        assert!(
            e.starts_with("activity_planned.activity_kind: must be specified"),
            "{e}"
        );
    }
}

fn activity() -> ActivityPlanned {
    let K::ActivityPlanned(a) = planned() else {
        unreachable!()
    };
    a
}

#[test]
fn city_ids_are_checked() {
    for ok in ["hezhou", "qingyuan", "yongzhou", "he-zhou2", "ab"] {
        assert_eq!(validate_city(ok), Ok(()), "{ok}");
    }
    for bad in [
        "",
        "h",
        "Hezhou",
        "2hezhou",
        "-hezhou",
        "he zhou",
        "贺州",
        "he_zhou",
        &"a".repeat(33),
    ] {
        assert!(validate_city(bad).is_err(), "{bad}");
    }
    let e = error(add("He Zhou"));
    assert!(
        e.starts_with("participant_added.city: `He Zhou` is not a valid city id"),
        "{e}"
    );
    let deputies = vec![
        Deputy {
            name: "李明".into(),
            city: "hezhou".into(),
        },
        Deputy {
            name: "王芳".into(),
            city: "qingyuan".into(),
        },
        Deputy {
            name: "欧阳红".into(),
            city: "Yongzhou".into(),
        },
    ];
    let e = error(K::ActivityReported(ActivityReported {
        held_on: "2026-04-16".into(),
        deputies,
        ..ActivityReported::default()
    }));
    assert!(
        e.starts_with("activity_reported.deputies[2].city: `Yongzhou`"),
        "{e}"
    );
}

#[test]
fn control_characters_are_refused_but_newline_and_tab_kept() {
    let e = error(suggestion_with(|s| s.title = "关于\u{7}建议".into()));
    assert_eq!(
        e,
        "suggestion_submitted.title: contains control character U+0007 at character 2; remove it"
    );
    let e = error(suggestion_with(|s| s.body = "正文\u{0}".into()));
    assert!(e.starts_with("suggestion_submitted.body: contains control character U+0000"));
    let ok = suggestion_with(|s| s.body = "第一段\n\t第二段".into());
    assert!(validate_change(&ch(ok), true).is_ok());
}

#[test]
fn numbers_and_ids_are_bounded() {
    for area in [-1.0, f64::NAN, f64::INFINITY] {
        let e = error(K::DisputeReported(DisputeReported {
            area_mu: area,
            ..dispute()
        }));
        assert!(
            e.starts_with("dispute_reported.area_mu: must be a finite number >= 0"),
            "{e}"
        );
    }
    let e = error(K::ActivityReported(ActivityReported {
        held_on: "2026-04-16".into(),
        opinions_collected: 100_001,
        ..ActivityReported::default()
    }));
    assert_eq!(
        e,
        "activity_reported.opinions_collected: 100001 is too large (at most 100000)"
    );
    let e = error(suggestion_with(|s| s.station_id = "station-1".into()));
    assert!(
        e.starts_with("suggestion_submitted.station_id: station-1 is not a record id"),
        "{e}"
    );
    let station = format!("hezhou-{}", ulid::Ulid::from_parts(1, 2));
    assert_eq!(record_origin(&station), Some("hezhou"));
    assert!(validate_change(&ch(suggestion_with(|s| s.station_id = station)), true).is_ok());
}

fn dispute() -> DisputeReported {
    let K::DisputeReported(d) = reported() else {
        unreachable!()
    };
    d
}

#[test]
fn new_text_must_show_something_and_carry_no_bidi_controls() {
    use crate::domain::validate_new_change;
    let new_error = |kind: K| {
        validate_new_change(&ch(kind), true)
            .expect_err("should be refused")
            .to_string()
    };
    for invisible in [
        "\u{200B}\u{200B}",
        "\u{FEFF}",
        " \u{2060}\u{200D} ",
        "\u{3164}",
    ] {
        let k = suggestion_with(|s| s.title = invisible.into());
        let e = new_error(k.clone());
        assert!(e.starts_with("suggestion_submitted.title:"), "{e}");
        assert!(e.contains("shows nothing"), "{e}");
        // The fold keeps accepting what older nodes signed: it stays deterministic.
        assert!(validate_change(&ch(k), true).is_ok());
    }
    for (field, edit) in [
        (
            "title",
            suggestion_with(|s| s.title = "\u{202E}议建".into()),
        ),
        (
            "body",
            suggestion_with(|s| s.body = "正文\u{2066}x\u{2069}".into()),
        ),
    ] {
        let e = new_error(edit);
        assert!(
            e.starts_with(&format!("suggestion_submitted.{field}:")),
            "{e}"
        );
        assert!(e.contains("bidirectional control U+"), "{e}");
    }
    // Ordinary Chinese text with a zero-width joiner inside still passes.
    let ok = suggestion_with(|s| s.title = "关于\u{200D}省际道路的建议".into());
    assert_eq!(
        validate_new_change(&ch(ok), true),
        Ok(RecordKind::Suggestion)
    );
}
