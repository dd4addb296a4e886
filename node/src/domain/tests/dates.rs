//! Business dates: kept as given and shown in the views, the day entered standing in for
//! one not given; each date that comes before the one it follows is refused, naming both
//! (table); the congress year defaults to the year of the 提出日期.

use lianluo_proto::change::Kind as K;
use lianluo_proto::{DisputeResolved, SuggestionAnswered, SuggestionDispatched};

use super::dispute::{self, in_force};
use super::station;
use super::suggestion as sg;
use super::Rec;

fn reported_on(day: &str) -> K {
    let K::DisputeReported(mut c) = dispute::reported() else {
        unreachable!("reported() is a dispute_reported");
    };
    c.reported_on = day.into();
    K::DisputeReported(c)
}

fn submitted_on(day: &str, year: u32) -> K {
    let K::SuggestionSubmitted(mut c) = sg::submitted(year) else {
        unreachable!("submitted() is a suggestion_submitted");
    };
    c.submitted_on = day.into();
    K::SuggestionSubmitted(c)
}

fn dispatch_on(day: &str) -> K {
    K::SuggestionDispatched(SuggestionDispatched {
        unit: "交通运输局".into(),
        deadline: "2023-12-31".into(),
        dispatched_on: day.into(),
        ..Default::default()
    })
}

fn answer_on(day: &str) -> K {
    K::SuggestionAnswered(SuggestionAnswered {
        answer: "已答复".into(),
        answered_on: day.into(),
        ..Default::default()
    })
}

fn resolve_on(day: &str) -> K {
    K::DisputeResolved(DisputeResolved {
        note: "界桩已立".into(),
        resolved_on: day.into(),
    })
}

/// A dispute in force (mediated, agreed, confirmed), reported on `day` (or entered at T0,
/// 2026-03-01, when empty), with a passing check.
fn checked_dispute(day: &str) -> Rec {
    let mut rec = in_force();
    if !day.is_empty() {
        rec = Rec::new("hezhou", &["qingyuan"], reported_on(day));
        rec.act("hezhou", dispute::session("联络站"));
        rec.act("hezhou", dispute::agreed("以山脊为界"));
        rec.act("hezhou", dispute::confirm());
        rec.act("qingyuan", dispute::confirm());
    }
    rec.act("qingyuan", dispute::check(true));
    rec
}

#[test]
fn dates_given_are_kept_and_the_day_entered_stands_in_for_one_not_given() {
    let st = Rec::new("hezhou", &[], station::registered());
    let K::StationRegistered(mut founded) = station::registered() else {
        unreachable!()
    };
    founded.founded_on = "2021-12-08".into();
    let old = Rec::numbered(8, "hezhou", &[], K::StationRegistered(founded)).record();
    assert_eq!(old.station.expect("view").founded_on, "2021-12-08");
    // Entered at T0 (2026-03-01T00:00Z, 08:00 in Beijing).
    let id = st.creation();
    assert_eq!(st.ok(&id).station.expect("view").founded_on, "2026-03-01");

    let mut d = checked_dispute("2023-04-12");
    let done = d.act("qingyuan", resolve_on("2024-01-05"));
    let v = d.ok(&done).dispute.expect("view");
    assert_eq!(
        (v.reported_on.as_str(), v.resolved_on.as_str()),
        ("2023-04-12", "2024-01-05")
    );
    let mut d = checked_dispute("");
    let done = d.act("qingyuan", dispute::resolve());
    let v = d.ok(&done).dispute.expect("view");
    assert_eq!(v.reported_on, "2026-03-01");
    assert!(
        v.resolved_on.starts_with("2026-03-01"),
        "the resolution's day: {v:?}"
    );

    let mut s = Rec::new("hezhou", &["qingyuan"], submitted_on("2023-02-20", 0));
    s.act("hezhou", dispatch_on("2023-03-01"));
    s.act("qingyuan", sg::dispatch("清远市交通运输局", "2023-12-31"));
    let answered = s.act("hezhou", answer_on("2023-06-30"));
    let v = s.ok(&answered).suggestion.expect("view");
    assert_eq!(v.year, 2023, "the congress year defaults to the 提出日期's");
    assert_eq!(v.submitted_on, "2023-02-20");
    let hz = &v.parts[0];
    assert_eq!(
        (hz.dispatched_on.as_str(), hz.answered_on.as_str()),
        ("2023-03-01", "2023-06-30")
    );
    let qy = &v.parts[1];
    assert_eq!(
        (qy.dispatched_on.as_str(), qy.answered_on.as_str()),
        ("", "")
    );
}

/// (what, the act, the reason it is refused with, or `None` when applied).
type Case = (&'static str, K, Option<&'static str>);

#[test]
fn dates_before_the_date_they_follow_are_refused_naming_both() {
    // Each act on a suggestion submitted on 2023-02-20 whose hezhou part (when dispatched
    // first) went out on 2023-03-01.
    let suggestion_cases: [(bool, Case); 5] = [
        (false, ("dispatched before submitted", dispatch_on("2023-02-19"),
            Some("cannot dispatch: dispatched_on 2023-02-19 is before the day the suggestion was submitted (2023-02-20); give the date it happened"))),
        (false, ("dispatched the day it was submitted", dispatch_on("2023-02-20"), None)),
        (true, ("answered before dispatched", answer_on("2023-02-28"),
            Some("cannot answer: answered_on 2023-02-28 is before the day the part was dispatched (2023-03-01); give the date it happened"))),
        (true, ("answered the day it was dispatched", answer_on("2023-03-01"), None)),
        (true, ("answered with no date given", sg::answer("已答复"), None)),
    ];
    for (dispatched_first, (what, act, refused)) in suggestion_cases {
        let mut s = Rec::new("hezhou", &[], submitted_on("2023-02-20", 2023));
        if dispatched_first {
            s.act("hezhou", dispatch_on("2023-03-01"));
        }
        let id = s.act("hezhou", act);
        let f = s.fold();
        assert_eq!(f.rejected.get(&id).map(String::as_str), refused, "{what}");
    }
    let dispute_cases: [Case; 3] = [
        ("resolved before reported", resolve_on("2023-04-11"),
            Some("cannot resolve: resolved_on 2023-04-11 is before the day the dispute was reported (2023-04-12); give the date it happened")),
        ("resolved the day it was reported", resolve_on("2023-04-12"), None),
        ("resolved with no date given", dispute::resolve(), None),
    ];
    for (what, act, refused) in dispute_cases {
        let mut d = checked_dispute("2023-04-12");
        let id = d.act("qingyuan", act);
        let f = d.fold();
        assert_eq!(f.rejected.get(&id).map(String::as_str), refused, "{what}");
        let status = f.record.expect("record").status;
        let want = if refused.is_some() {
            "checked"
        } else {
            "resolved"
        };
        assert_eq!(status, want, "{what}");
    }
    // Not given, the 受理日期 is the day entered: a 化解日期 before it is refused too.
    let mut d = checked_dispute("");
    let id = d.act("qingyuan", resolve_on("2025-12-31"));
    d.rejected(
        &id,
        "cannot resolve: resolved_on 2025-12-31 is before the day the dispute was reported (2026-03-01); give the date it happened",
    );
}

#[test]
fn dates_acts_that_give_none_leave_a_state_that_never_had_dates() {
    // What an older build's events fold to (and a migrated stored state holds): no dates.
    let mut s = Rec::new("hezhou", &["qingyuan"], sg::submitted(2026));
    s.act("hezhou", sg::dispatch("贺州市交通运输局", "2026-06-30"));
    s.act("qingyuan", sg::dispatch("清远市交通运输局", "2026-06-30"));
    s.act("hezhou", sg::answer("已答复"));
    let mut d = checked_dispute("");
    d.act("qingyuan", dispute::resolve());
    for rec in [&s, &d] {
        let state = rec.fold().state.expect("a state");
        assert_eq!(state.dates, crate::domain::BusinessDates::default());
    }
    // A part with a date has its entry.
    let mut s = Rec::new("hezhou", &[], submitted_on("2023-02-01", 0));
    s.act("hezhou", dispatch_on("2023-02-02"));
    let state = s.fold().state.expect("a state");
    assert_eq!(state.dates.parts.len(), 1, "{:?}", state.dates);
}

#[test]
fn dates_sessions_and_checks_before_a_given_reported_date_are_refused() {
    let mut d = Rec::new("hezhou", &["qingyuan"], reported_on("2023-04-12"));
    let early = d.act(
        "hezhou",
        K::DisputeSession(lianluo_proto::DisputeSession {
            date: "2023-04-11".into(),
            place: "联络站".into(),
            ..Default::default()
        }),
    );
    d.rejected(
        &early,
        "cannot record a session: date 2023-04-11 is before the day the dispute was reported (2023-04-12); give the date it happened",
    );
    // With no 受理日期 given, a session dated before the day entered still applies (as an
    // older build's does).
    let mut old = Rec::new("hezhou", &["qingyuan"], dispute::reported());
    let id = old.act(
        "hezhou",
        K::DisputeSession(lianluo_proto::DisputeSession {
            date: "2025-12-01".into(),
            place: "联络站".into(),
            ..Default::default()
        }),
    );
    old.ok(&id);
}
