//! Deadlines that move: 延期 by the part's own city to a later date; 二次办理 (an
//! unsatisfied rating or a reopen) and 届期制 carry-over with a new deadline, so a
//! suggestion answered again is not overdue on its old deadline. Without a new deadline
//! (every event of an older build) the parts keep theirs.

use lianluo_proto::{
    change::Kind as K, Rating, SuggestionCarriedOver, SuggestionExtended, SuggestionRated,
    SuggestionReopened,
};

use super::suggestion::{answer, answered, dispatched};
use super::Rec;
use crate::domain::refresh_overdue;

pub(crate) fn extend(deadline: &str) -> K {
    K::SuggestionExtended(SuggestionExtended {
        deadline: deadline.into(),
        reason: "涉及跨省审批，需延长办理期限".into(),
    })
}

/// Each part's (city, deadline, overdue) as of `day`.
fn deadlines(rec: &Rec, day: time::Date) -> Vec<(String, String, bool)> {
    let mut r = rec.record();
    refresh_overdue(&mut r, day);
    let parts = r.suggestion.map(|s| s.parts).unwrap_or_default();
    parts
        .into_iter()
        .map(|p| (p.city, p.deadline, p.overdue))
        .collect()
}

fn part(city: &str, deadline: &str, overdue: bool) -> (String, String, bool) {
    (city.into(), deadline.into(), overdue)
}

#[test]
fn deadlines_a_city_extends_its_own_open_part_to_a_later_date() {
    let mut rec = dispatched(); // hezhou 2026-06-30, qingyuan 2026-05-31
    let id = rec.act("qingyuan", extend("2026-08-31"));
    let r = rec.ok(&id);
    assert_eq!(r.status, "dispatched", "an extension changes no status");
    let h = r.history.last().expect("history");
    assert!(
        h.summary.starts_with("延期，办理期限2026-08-31："),
        "{}",
        h.summary
    );
    let july = time::macros::date!(2026 - 07 - 01);
    assert_eq!(
        deadlines(&rec, july),
        [
            part("hezhou", "2026-06-30", true),
            part("qingyuan", "2026-08-31", false)
        ]
    );
    let earlier = rec.act("hezhou", extend("2026-06-30"));
    rec.rejected(
        &earlier,
        "cannot extend the deadline: 2026-06-30 is not after the part's deadline 2026-06-30",
    );
    let mut one = Rec::new("hezhou", &["qingyuan"], super::suggestion::submitted(0));
    let none = one.act("qingyuan", extend("2026-12-31"));
    one.rejected(
        &none,
        "cannot extend the deadline: suggestion is `submitted`; qingyuan has not dispatched its part",
    );
    let mut done = answered();
    let late = done.act("hezhou", extend("2026-12-31"));
    done.rejected(
        &late,
        "cannot extend the deadline: suggestion is `answered`, must be `dispatched`, `in_progress`, `reopened` or `carried_over`",
    );
}

#[test]
fn deadlines_second_handling_and_carry_over_give_the_parts_a_new_deadline() {
    let july = time::macros::date!(2026 - 07 - 01);
    // Unsatisfied with a 二次办理 deadline: not overdue on the old ones.
    let mut rec = answered();
    rec.act(
        "hezhou",
        K::SuggestionRated(SuggestionRated {
            rating: Rating::Unsatisfied as i32,
            comment: "不满意".into(),
            deadline: "2026-09-30".into(),
        }),
    );
    assert_eq!(
        deadlines(&rec, july),
        [
            part("hezhou", "2026-09-30", false),
            part("qingyuan", "2026-09-30", false)
        ]
    );
    // Without one (an older build's rating), the parts keep theirs and are overdue.
    let mut old = answered();
    old.act("hezhou", super::suggestion::rate(Rating::Unsatisfied));
    assert_eq!(
        deadlines(&old, july),
        [
            part("hezhou", "2026-06-30", true),
            part("qingyuan", "2026-05-31", true)
        ]
    );
    // A reopen with a deadline.
    let mut rec = answered();
    rec.act(
        "hezhou",
        K::SuggestionReopened(SuggestionReopened {
            reason: "群众反映仍未解决".into(),
            deadline: "2026-10-31".into(),
        }),
    );
    assert!(deadlines(&rec, july)
        .iter()
        .all(|p| p.1 == "2026-10-31" && !p.2));
    // Carried over: the part still open gets next year's deadline, the answered one keeps
    // its own.
    let mut rec = dispatched();
    rec.act("hezhou", answer("已完成"));
    rec.act(
        "hezhou",
        K::SuggestionCarriedOver(SuggestionCarriedOver {
            to_year: 2027,
            reason: "跨年度办理".into(),
            deadline: "2027-06-30".into(),
        }),
    );
    assert_eq!(
        deadlines(&rec, july),
        [
            part("hezhou", "2026-06-30", false),
            part("qingyuan", "2027-06-30", false)
        ]
    );
    let h = rec.record().history.pop().expect("history");
    assert_eq!(
        h.summary,
        "转2027年度继续办理，未答复部分办理期限2027-06-30"
    );
    assert_eq!(
        h.summary_en,
        "Carried over to 2027, deadline 2027-06-30 for the parts not answered"
    );
}
