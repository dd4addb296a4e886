//! Tests: one row per city's part with the dates of its last applied dispatch and answer
//! (a rejected event does not date it), a suggestion not dispatched yet has one row, other
//! kinds are skipped, each unit's rates, and the workbook is an .xlsx package of three sheets.

use lianluo_proto::{HistoryEntry, Record, SuggestionPart, SuggestionView};

use super::{ledger, workbook, Provenance};
use crate::dashboard::labels::{self, Lang};

fn builtin(id: &str) -> String {
    labels::city(id, Lang::Zh).to_owned()
}

fn entry(kind: &str, city: &str, at: &str, rejected: bool) -> HistoryEntry {
    HistoryEntry {
        r#type: kind.into(),
        author_city: city.into(),
        at: at.into(),
        rejected,
        ..HistoryEntry::default()
    }
}

fn part(city: &str, unit: &str, status: &str, answer: &str, overdue: bool) -> SuggestionPart {
    SuggestionPart {
        city: city.into(),
        unit: unit.into(),
        deadline: "2026-06-30".into(),
        status: status.into(),
        answer: answer.into(),
        overdue,
        ..SuggestionPart::default()
    }
}

fn suggestion(id: &str, status: &str, view: SuggestionView, history: Vec<HistoryEntry>) -> Record {
    Record {
        id: id.into(),
        kind: "suggestion".into(),
        status: status.into(),
        origin: "hezhou".into(),
        participants: vec!["hezhou".into(), "qingyuan".into()],
        title: "关于开通省际客运班线的建议".into(),
        suggestion: Some(view),
        history,
        ..Record::default()
    }
}

fn sample() -> Vec<Record> {
    let joint = suggestion(
        "hezhou-1",
        "rated",
        SuggestionView {
            proposers: vec!["张三".into(), "李四".into()],
            year: 2026,
            parts: vec![
                part(
                    "hezhou",
                    "贺州市交通运输局",
                    "answered",
                    "已开通班线",
                    false,
                ),
                SuggestionPart {
                    // A 交办日期 given by the act wins over the day it was entered.
                    dispatched_on: "2026-02-01".into(),
                    ..part("qingyuan", "清远市交通运输局", "dispatched", "", true)
                },
            ],
            rating: "satisfied".into(),
            rating_comment: "办理及时".into(),
            carried_over_to: vec![2027],
            ..SuggestionView::default()
        },
        vec![
            entry(
                "suggestion_submitted",
                "hezhou",
                "2026-02-01T02:00:00Z",
                false,
            ),
            entry(
                "suggestion_dispatched",
                "hezhou",
                "2026-02-03T02:00:00Z",
                false,
            ),
            entry(
                "suggestion_dispatched",
                "qingyuan",
                "2026-02-04T17:00:00Z",
                false,
            ),
            // A rejected re-dispatch does not date the part.
            entry(
                "suggestion_dispatched",
                "hezhou",
                "2026-02-20T02:00:00Z",
                true,
            ),
            entry(
                "suggestion_answered",
                "hezhou",
                // 04-10 in Beijing.
                "2026-04-09T17:00:00Z",
                false,
            ),
        ],
    );
    let fresh = suggestion(
        "hezhou-2",
        "submitted",
        SuggestionView {
            proposers: vec!["王五".into()],
            year: 2026,
            ..SuggestionView::default()
        },
        vec![],
    );
    let other = Record {
        id: "hezhou-3".into(),
        kind: "dispute".into(),
        ..Record::default()
    };
    vec![joint, fresh, other]
}

#[test]
fn export_rows_are_one_per_part_dated_by_their_last_applied_event() {
    let rows = ledger(&sample(), &builtin);
    assert_eq!(
        rows.len(),
        3,
        "two parts, one suggestion not dispatched: {rows:#?}"
    );
    let hz = &rows[0];
    assert_eq!(
        (hz.city.as_str(), hz.unit.as_str(), hz.origin.as_str()),
        ("贺州", "贺州市交通运输局", "贺州")
    );
    assert_eq!(hz.proposers, "张三、李四");
    assert_eq!(
        hz.dispatched_on, "2026-02-03",
        "the rejected re-dispatch does not count"
    );
    assert_eq!(
        (hz.handling.as_str(), hz.answered_on.as_str()),
        ("已答复", "2026-04-10")
    );
    assert_eq!(hz.answer, "已开通班线");
    assert_eq!(
        (hz.rating.as_str(), hz.rating_comment.as_str()),
        ("满意", "办理及时")
    );
    assert_eq!(
        (hz.status.as_str(), hz.carried_over_to.as_str()),
        ("已测评", "2027")
    );
    assert!(!hz.overdue);
    let qy = &rows[1];
    assert_eq!(
        (qy.city.as_str(), qy.dispatched_on.as_str()),
        ("清远", "2026-02-01")
    );
    assert_eq!(
        (qy.handling.as_str(), qy.answered_on.as_str()),
        ("办理中", "")
    );
    assert!(qy.overdue);
    let fresh = &rows[2];
    assert_eq!(
        (
            fresh.handling.as_str(),
            fresh.city.as_str(),
            fresh.unit.as_str()
        ),
        ("尚未交办", "", "")
    );
    assert_eq!(fresh.status, "已提出");
}

#[test]
fn export_workbook_is_an_xlsx_package_with_its_three_sheets() {
    let rows = ledger(&sample(), &builtin);
    let from = Provenance {
        year: 2026,
        city: "贺州",
        as_of: "2026年3月10日12:00",
    };
    let bytes = workbook(&rows, &from).expect("workbook");
    assert!(bytes.starts_with(b"PK\x03\x04"), "a zip package");
    // Part names are stored uncompressed in the zip's headers.
    let text = String::from_utf8_lossy(&bytes);
    for part in [
        "xl/workbook.xml",
        "xl/worksheets/sheet1.xml",
        "xl/worksheets/sheet2.xml",
    ] {
        assert!(text.contains(part), "{part} missing");
    }
    let empty = workbook(&[], &from).expect("an empty year still makes a workbook");
    assert!(empty.starts_with(b"PK\x03\x04"));
}

#[test]
fn export_units_give_the_on_time_and_satisfaction_rates_of_each_unit() {
    let rows = ledger(&sample(), &builtin);
    let units = super::units(&rows);
    let unit = |city: &str, unit: &str, answered: u32| super::UnitRow {
        city: city.into(),
        unit: unit.into(),
        dispatched: 1,
        answered,
        on_time: answered,
        rated: 1,
        satisfied: 1,
    };
    // Hezhou answered 2026-04-10, before its 2026-06-30 deadline; qingyuan has not
    // answered; the suggestion was rated 满意 (it counts for both units); the suggestion
    // not dispatched has no unit.
    assert_eq!(
        units,
        [
            unit("清远", "清远市交通运输局", 0),
            unit("贺州", "贺州市交通运输局", 1)
        ]
    );
    let rates: Vec<(String, String)> = units
        .iter()
        .map(|u| (u.on_time_rate(), u.satisfaction_rate()))
        .collect();
    assert_eq!(
        rates,
        [
            ("0.0%".into(), "100.0%".into()),
            ("100.0%".into(), "100.0%".into())
        ]
    );
    let none = super::UnitRow::default();
    assert_eq!(
        (none.on_time_rate(), none.satisfaction_rate()),
        ("—".into(), "—".into())
    );
}
