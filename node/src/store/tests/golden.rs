//! The stored form is frozen once a build wrote it: these bytes were written by versions
//! 2, 3, 4 and 5 of the record entry. If this test fails, a stored type changed in place; put
//! the old definition in a frozen module, give the new one a new marker and a migration
//! from it (src/store/values.rs), and keep this test reading the old bytes.

use super::*;
use crate::store::values::{self, Migrate};

const RECORD_V2_HEX: &str = include_str!("record-v2.hex");
const RECORD_V3_HEX: &str = include_str!("record-v3.hex");
const RECORD_V4_HEX: &str = include_str!("record-v4.hex");
const RECORD_V4_ACTIVITY_HEX: &str = include_str!("record-v4-activity.hex");
const RECORD_V4_PROJECT_HEX: &str = include_str!("record-v4-project.hex");
const RECORD_V5_HEX: &str = include_str!("record-v5.hex");

fn unhex(text: &str) -> Vec<u8> {
    let text = text.trim();
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("fixture is hex"))
        .collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn entry() -> RecordEntry {
    let id = rid(7);
    let step = HistoryStep {
        event: EventId::of_body(b"creation"),
        rejected: None,
    };
    let rejected = HistoryStep {
        event: EventId::of_body(b"refused"),
        rejected: Some("not a participant".into()),
    };
    RecordEntry {
        state: Some(suggestion(&id, "边界林地联合调解")),
        heads: vec![Head {
            id: step.event,
            wall_ms: 1_772_323_200_000,
            counter: 3,
        }],
        steps: 2,
        tail: vec![step, rejected],
    }
}

#[test]
fn store_record_entry_v2_bytes_still_decode_to_the_same_entry() {
    let decoded = values::decode::<RecordEntry>(&"the v2 fixture", &unhex(RECORD_V2_HEX))
        .expect("a v2 record entry still decodes");
    // Version 2 had no business dates; its events gave none.
    assert_eq!(decoded, entry());
}

/// The entry with business dates given (version 3 keeps them).
fn entry_v3() -> RecordEntry {
    let mut e = entry();
    if let Some(state) = e.state.as_mut() {
        state.dates.opened_on = "2023-04-12".into();
        state
            .dates
            .parts
            .push(crate::domain::dates_for_test("qingyuan", "2023-05-06", ""));
    }
    e
}

#[test]
fn store_record_entry_v3_bytes_still_decode_to_the_same_entry() {
    let decoded = values::decode::<RecordEntry>(&"the v3 fixture", &unhex(RECORD_V3_HEX))
        .expect("a v3 record entry decodes");
    // Version 3 had no suggestion handling; its events gave none.
    assert_eq!(decoded, entry_v3());
}

/// The entry with suggestion handling (version 4 keeps it): a returned part with a 协办
/// unit and a category, a proposer's rating and 重点督办.
fn entry_v4() -> RecordEntry {
    use crate::domain::{Category, Grade, KindState, Part, PartStatus, ProposerRating, Supervisor};
    let mut e = entry_v3();
    if let Some(KindState::Suggestion(s)) = e.state.as_mut().map(|s| &mut s.body) {
        s.parts.push(Part {
            city: "qingyuan".into(),
            unit: "清远市交通运输局".into(),
            deadline: "2023-09-30".into(),
            status: PartStatus::Returned,
            progress: Vec::new(),
            answer: "已列入计划".into(),
            co_units: vec!["清远市财政局".into()],
            category: Some(Category::Planned),
            return_reason: "不属于本单位职责".into(),
        });
        s.proposer_ratings.push(ProposerRating {
            proposer: "王代表".into(),
            grade: Grade::Unsatisfied,
            comment: "答复笼统".into(),
            city: "qingyuan".into(),
            deadline: "2023-12-31".into(),
        });
        s.supervisors.push(Supervisor {
            city: "hezhou".into(),
            leader: "副主任 张三".into(),
            note: String::new(),
        });
    }
    e
}

#[test]
fn store_record_entry_v4_bytes_still_decode_to_the_same_entry() {
    let then = hex(&as_v4(&entry_v4()).encode().expect("encodes"));
    assert_eq!(then, RECORD_V4_HEX.trim(), "version 4 is frozen");
    let decoded = values::decode::<RecordEntry>(&"the v4 fixture", &unhex(RECORD_V4_HEX))
        .expect("a v4 record entry decodes");
    assert_eq!(decoded, entry_v4());
}

/// A record entry holding the state `rec`'s events fold to.
fn folded(rec: &crate::domain::tests::Rec) -> RecordEntry {
    RecordEntry {
        state: rec.fold().state,
        heads: Vec::new(),
        steps: u32::try_from(rec.events.len()).expect("few"),
        tail: Vec::new(),
    }
}

/// A reception reported held, as versions 2 to 4 kept an activity.
fn reception() -> crate::domain::tests::Rec {
    use crate::domain::tests::activity;
    let mut rec = activity::reception();
    rec.act("hezhou", activity::reported());
    rec
}

/// `entry` as version 4 kept it (an activity without opinions).
fn as_v4(entry: &RecordEntry) -> values::v4::RecordEntry {
    use crate::domain::KindState;
    use values::v4;
    let state = entry.state.clone().map(|s| {
        let body = match s.body {
            KindState::Station(x) => v4::KindState::Station(x),
            KindState::Suggestion(x) => v4::KindState::Suggestion(x),
            KindState::Dispute(x) => v4::KindState::Dispute(x),
            KindState::Project(p) => v4::KindState::Project(p),
            KindState::Activity(a) => {
                assert!(a.opinions.is_empty(), "version 4 had no opinions");
                v4::KindState::Activity(v4::Activity {
                    status: a.status,
                    kind: a.kind,
                    station_id: a.station_id,
                    date: a.date,
                    place: a.place,
                    description: a.description,
                    held_on: a.held_on,
                    deputies: a.deputies,
                    opinions_collected: a.opinions_collected,
                    problems_solved: a.problems_solved,
                    report: a.report,
                    cancel_reason: a.cancel_reason,
                })
            }
        };
        v4::RecordState {
            id: s.id,
            origin: s.origin,
            participants: s.participants,
            founders: s.founders,
            version: s.version,
            title: s.title,
            created_ms: s.created_ms,
            updated_ms: s.updated_ms,
            body,
            dates: s.dates,
        }
    });
    v4::RecordEntry {
        state,
        heads: entry.heads.clone(),
        steps: entry.steps,
        tail: entry.tail.clone(),
    }
}

/// Version 4 bytes of `want` are the fixture's, and the fixture decodes to `want`.
fn v4_fixture(what: &str, fixture: &str, want: &RecordEntry) {
    let bytes = as_v4(want).encode().expect("encodes");
    assert_eq!(hex(&bytes), fixture.trim(), "{what}: version 4 is frozen");
    let decoded = values::decode::<RecordEntry>(&what, &unhex(fixture)).expect("decodes");
    assert_eq!(&decoded, want, "{what}");
}

#[test]
fn store_record_entry_v4_activity_and_project_bytes_still_decode() {
    use crate::domain::tests::project;
    v4_fixture(
        "the v4 activity",
        RECORD_V4_ACTIVITY_HEX,
        &folded(&reception()),
    );
    // A project, as the builds with projects wrote it under version 4.
    let mut built = project::done();
    built.act("qingyuan", project::linked());
    v4_fixture("the v4 project", RECORD_V4_PROJECT_HEX, &folded(&built));
}

#[test]
fn store_record_entry_v5_bytes_still_decode_to_the_same_entry() {
    use crate::domain::tests::opinion;
    let mut rec = reception();
    opinion::handle_all(&mut rec);
    let entry = folded(&rec);
    assert_eq!(
        hex(&entry.encode().expect("encodes")),
        RECORD_V5_HEX.trim(),
        "the stored form of a record entry changed in place: add a version (values.rs)"
    );
    let decoded = values::decode::<RecordEntry>(&"the v5 fixture", &unhex(RECORD_V5_HEX))
        .expect("a v5 record entry decodes");
    assert_eq!(decoded, entry);
}
