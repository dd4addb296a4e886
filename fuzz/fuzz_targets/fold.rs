//! The fold over arbitrary event sequences: the input is cut into event bodies (each
//! prefixed by its length byte) for one record; the fold must never panic, must give the
//! same state for the same events in any order (every node folds what it received in
//! its own order), and must account for every event once.
#![no_main]

use lianluo_node::domain::{fold, FoldEvent};
use lianluo_proto::EventBody;
use libfuzzer_sys::fuzz_target;
use prost::Message;

fuzz_target!(|data: &[u8]| {
    let mut events = Vec::new();
    let mut rest = data;
    while let Some((&len, tail)) = rest.split_first() {
        let len = usize::from(len).min(tail.len());
        let (chunk, next) = tail.split_at(len);
        rest = next;
        let Ok(mut body) = EventBody::decode(chunk) else {
            continue;
        };
        // One record, so that events meet in one fold.
        body.record_id = "hezhou-01JZZZZZZZZZZZZZZZZZZZZZZZ".into();
        let id = format!("{:064x}", events.len());
        events.push(FoldEvent {
            id,
            body,
            verified: true,
        });
    }
    let forward = fold(&events);
    events.reverse();
    let backward = fold(&events);
    assert_eq!(
        forward.state, backward.state,
        "the order of arrival changed the state"
    );
    assert_eq!(forward.rejected, backward.rejected);
    assert_eq!(forward.heads, backward.heads);
    assert_eq!(forward.steps.len(), backward.steps.len());
});
