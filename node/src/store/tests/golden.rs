//! The stored form is frozen once a build wrote it: these bytes were written by version
//! 2 of the record entry. If this test fails, a stored type changed in place; put the old
//! definition in a frozen module, give the new one a new marker and a migration from it
//! (src/store/values.rs), and keep this test reading the old bytes.

use super::*;
use crate::store::values::{self, Migrate};

const RECORD_V2_HEX: &str = include_str!("record-v2.hex");

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
    let text = RECORD_V2_HEX.trim();
    let bytes: Vec<u8> = (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("fixture is hex"))
        .collect();
    let decoded = values::decode::<RecordEntry>(&"the v2 fixture", &bytes)
        .expect("a v2 record entry still decodes");
    assert_eq!(decoded, entry());
    let now: String = entry()
        .encode()
        .expect("encodes")
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(
        now, text,
        "the stored form of a record entry changed in place: add a version (values.rs)"
    );
}
