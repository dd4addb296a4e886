//! Tests of the store contract on real sled databases in temporary directories.

use std::collections::BTreeMap;
use std::sync::Arc;

use lianluo_proto::{change::Kind as K, Change, EventBody, Hlc, RecordKind, SignedEvent};

use super::*;
use crate::domain::{EventId, FoldEvent, RecordState};
use crate::projection::{Delta, IndexTerm};

mod batches;
mod equivocation;
mod golden;
mod open;

pub(super) fn open(dir: &Path) -> Arc<dyn Store> {
    open_sled(dir, "hezhou", StoreOptions::default()).expect("open store")
}

fn signed(text: &str) -> SignedEvent {
    SignedEvent {
        body: text.as_bytes().to_vec(),
        signature: vec![0x30, 0x45, 1, 2, 3],
        signer_cert_sha256: "ab".repeat(32),
    }
}

pub(super) fn new_event(record_id: &RecordId, text: &str) -> NewEvent {
    NewEvent {
        id: EventId::of_body(text.as_bytes()),
        record_id: record_id.clone(),
        verified: true,
        signed: signed(text),
        lineage: None,
    }
}

pub(super) fn events_only(events: Vec<NewEvent>) -> Commit {
    Commit {
        events,
        ..Commit::default()
    }
}

pub(super) fn rid(n: u8) -> RecordId {
    let id = format!(
        "hezhou-{}",
        ulid::Ulid::from_parts(1_772_323_200_000, u128::from(n))
    );
    RecordId::parse(&id).expect("record id")
}

/// A suggestion's state, made by its creation event.
fn suggestion(id: &RecordId, title: &str) -> RecordState {
    let body = EventBody {
        authored_ms: 0,
        record_id: id.to_string(),
        kind: RecordKind::Suggestion as i32,
        author_city: "hezhou".into(),
        author_user: "clerk".into(),
        hlc: Some(Hlc {
            wall_ms: 1_772_323_200_000,
            counter: 0,
        }),
        parents: Vec::new(),
        participants: vec!["hezhou".into(), "qingyuan".into()],
        request_id: String::new(),
        change: Some(Change {
            kind: Some(K::SuggestionSubmitted(lianluo_proto::SuggestionSubmitted {
                title: title.into(),
                body: "内容".into(),
                proposers: vec!["王代表".into()],
                ..Default::default()
            })),
        }),
    };
    let ev = FoldEvent {
        id: "00".repeat(32),
        body,
        verified: true,
    };
    RecordState::create(&ev).expect("a valid creation")
}

/// The write of a record going from `old` to `new`, appending `steps` to its history.
fn write(
    id: &RecordId,
    old: Option<&RecordState>,
    new: &RecordState,
    old_len: u32,
    steps: &[&NewEvent],
) -> RecordWrite {
    let steps: Vec<HistoryStep> = steps
        .iter()
        .map(|e| HistoryStep {
            event: e.id,
            rejected: None,
        })
        .collect();
    let heads = steps.last().map(|s| Head {
        id: s.event,
        wall_ms: 1,
        counter: 0,
    });
    RecordWrite {
        id: id.clone(),
        entry: RecordEntry {
            state: Some(new.clone()),
            heads: heads.into_iter().collect(),
            steps: old_len + u32::try_from(steps.len()).expect("few steps"),
            tail: Vec::new(),
        },
        history: HistoryWrite {
            from: old_len,
            steps,
            old_len,
        },
        delta: Delta::between(old, Some(new), "hezhou"),
    }
}

/// The records listed under an index term, in order.
fn listed(store: &dyn Store, term: &IndexTerm) -> Vec<RecordId> {
    let start = term.encode();
    let mut end = start.clone();
    end.push(0xff);
    store
        .index_range(
            std::ops::Bound::Included(start),
            std::ops::Bound::Excluded(end),
            100,
        )
        .expect("index")
        .into_iter()
        .map(|h| h.record)
        .collect()
}

#[test]
fn store_commit_then_reopen_finds_everything() {
    let dir = tempfile::tempdir().expect("tempdir");
    let id = rid(1);
    let (e1, e2) = (new_event(&id, "创建"), new_event(&id, "派单"));
    let state = suggestion(&id, "关于修建跨省道路的建议");
    let cursor = Cursor {
        log_id: "cd".repeat(16),
        seq: 42,
        event_id: "ab".repeat(32),
    };
    let store = open(dir.path());
    let seqs = store
        .commit(Commit {
            events: vec![e1.clone(), e2.clone()],
            records: vec![write(&id, None, &state, 0, &[&e1, &e2])],
            request: Some(("req-1".into(), id.clone())),
            cursor: Some(("qingyuan".into(), cursor.clone())),
            ..Commit::default()
        })
        .expect("commit");
    assert_eq!(seqs, vec![1, 2]);
    store.flush().expect("flush");
    let meta = store.meta().clone();
    drop(store);

    let store = open(dir.path());
    assert_eq!(store.meta(), &meta);
    let got = store.event(&e2.id).expect("event").expect("present");
    assert_eq!((got.seq, &got.record_id, &got.signed), (2, &id, &e2.signed));
    assert!(got.verified);
    assert_eq!(store.event(&EventId::of_body(b"missing")), Ok(None));
    assert_eq!(store.has_event(&e1.id), Ok(true));
    let history: Vec<EventId> = store
        .history(&id)
        .expect("history")
        .into_iter()
        .map(|s| s.event)
        .collect();
    assert_eq!(history, vec![e1.id, e2.id]);
    let entry = store.record(&id).expect("record").expect("present");
    assert_eq!(entry.state.as_ref(), Some(&state));
    assert_eq!(entry.steps, 2);
    let all = store.records_after(None, 10).expect("records");
    assert_eq!(all.len(), 1);
    assert_eq!(store.last_seq(), Ok(2));
    let log: Vec<_> = store
        .log_after(0, 10)
        .expect("log")
        .into_iter()
        .map(|e| (e.seq, e.id))
        .collect();
    assert_eq!(log, vec![(1, e1.id), (2, e2.id)]);
    assert_eq!(store.request("req-1"), Ok(Some(id.clone())));
    assert_eq!(store.cursor("qingyuan"), Ok(Some(cursor)));
    assert!(store.size_on_disk().expect("size") > 0);
    assert_eq!(
        listed(store.as_ref(), &IndexTerm::City("qingyuan".into())),
        vec![id.clone()]
    );
    // New events continue the sequence after a reopen.
    assert_eq!(
        store.commit(events_only(vec![new_event(&id, "答复")])),
        Ok(vec![3])
    );
}

#[test]
fn store_known_events_are_skipped_not_logged_twice() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(dir.path());
    let r = rid(1);
    let (a, b, c) = (new_event(&r, "a"), new_event(&r, "b"), new_event(&r, "c"));
    assert_eq!(
        store.commit(events_only(vec![a.clone(), b.clone()])),
        Ok(vec![1, 2])
    );
    // `a` is stored already and `c` is repeated within the commit.
    assert_eq!(
        store.commit(events_only(vec![a.clone(), c.clone(), c.clone()])),
        Ok(vec![3])
    );
    assert_eq!(store.commit(events_only(vec![b, a.clone()])), Ok(vec![]));
    assert_eq!(store.last_seq(), Ok(3));
    assert_eq!(store.log_after(0, 100).expect("log").len(), 3);
    assert_eq!(store.event(&a.id).expect("event").map(|e| e.seq), Some(1));
}

#[test]
fn store_seqs_are_dense_and_increasing_under_concurrent_commits() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(dir.path());
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let store = Arc::clone(&store);
            std::thread::spawn(move || {
                let mut mine = Vec::new();
                for i in 0..25 {
                    let evs = vec![
                        new_event(&rid(1), &format!("{t}/{i}/x")),
                        new_event(&rid(2), &format!("{t}/{i}/y")),
                    ];
                    let seqs = store.commit(events_only(evs)).expect("commit");
                    assert_eq!(seqs.len(), 2);
                    assert_eq!(seqs[1], seqs[0] + 1, "one commit's events are contiguous");
                    mine.extend(seqs);
                }
                mine
            })
        })
        .collect();
    let mut all: Vec<u64> = threads
        .into_iter()
        .flat_map(|t| t.join().expect("thread"))
        .collect();
    all.sort_unstable();
    assert_eq!(all, (1..=200).collect::<Vec<_>>());
    assert_eq!(store.last_seq(), Ok(200));
    let log: Vec<u64> = store
        .log_after(0, usize::MAX)
        .expect("log")
        .iter()
        .map(|e| e.seq)
        .collect();
    assert_eq!(log, (1..=200).collect::<Vec<_>>());
    let page: Vec<u64> = store
        .log_after(150, 7)
        .expect("page")
        .iter()
        .map(|e| e.seq)
        .collect();
    assert_eq!(page, (151..=157).collect::<Vec<_>>());
    assert_eq!(store.log_after(200, 10), Ok(vec![]));
    assert_eq!(store.log_after(u64::MAX, 10), Ok(vec![]));
}

#[test]
fn store_index_and_counters_follow_a_record_through_changes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(dir.path());
    let id = rid(3);
    let e1 = new_event(&id, "创建");
    let before = suggestion(&id, "边界道路");
    store
        .commit(Commit {
            events: vec![e1.clone()],
            records: vec![write(&id, None, &before, 0, &[&e1])],
            ..Commit::default()
        })
        .expect("commit");
    let submitted = IndexTerm::KindStatus(RecordKind::Suggestion, "submitted".into());
    assert_eq!(listed(store.as_ref(), &submitted), vec![id.clone()]);
    assert_eq!(
        listed(store.as_ref(), &IndexTerm::Gram("边界".into())),
        vec![id.clone()]
    );
    let counters: BTreeMap<Vec<u8>, i64> =
        store.counters().expect("counters").into_iter().collect();
    assert!(
        !counters.is_empty(),
        "a city's own record counts in its figures"
    );

    // The title changes: its grams move, the old ones go.
    let mut after = before.clone();
    after.title = "山林纠纷".into();
    let e2 = new_event(&id, "改");
    store
        .commit(Commit {
            events: vec![e2.clone()],
            records: vec![write(&id, Some(&before), &after, 1, &[&e2])],
            ..Commit::default()
        })
        .expect("commit");
    assert!(listed(store.as_ref(), &IndexTerm::Gram("边界".into())).is_empty());
    assert_eq!(
        listed(store.as_ref(), &IndexTerm::Gram("山林".into())),
        vec![id.clone()]
    );
    assert_eq!(store.history(&id).expect("history").len(), 2);
    let again: BTreeMap<Vec<u8>, i64> = store.counters().expect("counters").into_iter().collect();
    assert_eq!(again, counters, "the same status counts the same");
}

#[test]
fn store_a_history_rewrite_removes_stale_steps() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(dir.path());
    let id = rid(4);
    let state = suggestion(&id, "标题");
    let evs: Vec<NewEvent> = (0..3).map(|i| new_event(&id, &format!("e{i}"))).collect();
    let refs: Vec<&NewEvent> = evs.iter().collect();
    store
        .commit(Commit {
            events: evs.clone(),
            records: vec![write(&id, None, &state, 0, &refs)],
            ..Commit::default()
        })
        .expect("commit");
    let mut shorter = write(&id, Some(&state), &state, 0, &[&evs[2], &evs[0]]);
    shorter.history.old_len = 3;
    store
        .commit(Commit {
            records: vec![shorter],
            ..Commit::default()
        })
        .expect("rewrite");
    let steps: Vec<EventId> = store
        .history(&id)
        .expect("history")
        .into_iter()
        .map(|s| s.event)
        .collect();
    assert_eq!(steps, vec![evs[2].id, evs[0].id]);
}

#[test]
fn store_distinct_members_keep_their_set_size_and_zero_counters_go() {
    use crate::projection::counters::{CounterKey, MemberKey};
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(dir.path());
    let member = |name: &str| MemberKey {
        scope: 2026,
        city: "hezhou".into(),
        name: name.into(),
    };
    let id = rid(5);
    let state = suggestion(&id, "t");
    let commit = |members: &[(&str, i64)]| {
        let mut w = write(&id, Some(&state), &state, 0, &[]);
        w.delta.members = members.iter().map(|(n, d)| (member(n), *d)).collect();
        Commit {
            records: vec![w],
            ..Commit::default()
        }
    };
    let size = |store: &dyn Store| -> i64 {
        let key = CounterKey::Deputies { scope: 2026 }.encode();
        store
            .counters()
            .expect("counters")
            .into_iter()
            .find(|(k, _)| *k == key)
            .map_or(0, |(_, v)| v)
    };
    store
        .commit(commit(&[("王", 1), ("李", 1)]))
        .expect("commit");
    assert_eq!(size(store.as_ref()), 2);
    store.commit(commit(&[("王", 1)])).expect("commit");
    assert_eq!(
        size(store.as_ref()),
        2,
        "a second attendance is the same deputy"
    );
    store
        .commit(commit(&[("王", -1), ("李", -1)]))
        .expect("commit");
    assert_eq!(size(store.as_ref()), 1, "王 still attends once");
    store.commit(commit(&[("王", -1)])).expect("commit");
    assert_eq!(size(store.as_ref()), 0);
    assert!(
        store.members().expect("members").is_empty(),
        "zero members are removed"
    );
}

#[test]
fn store_request_id_maps_to_its_record_and_is_never_reused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(dir.path());
    let (a, b) = (rid(6), rid(7));
    assert_eq!(store.request("req-7"), Ok(None));
    let first = Commit {
        events: vec![new_event(&a, "a")],
        request: Some(("req-7".into(), a.clone())),
        ..Commit::default()
    };
    assert_eq!(store.commit(first.clone()), Ok(vec![1]));
    assert_eq!(store.request("req-7"), Ok(Some(a.clone())));
    // The same key for the same record is harmless (and the known event is skipped).
    assert_eq!(store.commit(first), Ok(vec![]));
    // The same key for another record is refused and nothing of the commit is written.
    let second = Commit {
        events: vec![new_event(&b, "b")],
        request: Some(("req-7".into(), b.clone())),
        ..Commit::default()
    };
    assert_eq!(
        store.commit(second),
        Err(StoreError::DuplicateRequest {
            key: "req-7".into(),
            record_id: a.to_string()
        })
    );
    assert_eq!(store.last_seq(), Ok(1));
    assert_eq!(store.request("req-7"), Ok(Some(a)));
}

#[test]
fn store_cursor_round_trips_and_is_replaced() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(dir.path());
    assert_eq!(store.cursor("yongzhou"), Ok(None));
    let first = Cursor {
        log_id: "aa".repeat(16),
        seq: 10,
        event_id: String::new(),
    };
    let commit = Commit {
        cursor: Some(("yongzhou".into(), first.clone())),
        ..Commit::default()
    };
    store.commit(commit).expect("commit");
    assert_eq!(store.cursor("yongzhou"), Ok(Some(first)));
    assert_eq!(store.cursor("qingyuan"), Ok(None));
    let reset = Cursor {
        log_id: "bb".repeat(16),
        seq: 0,
        event_id: String::new(),
    };
    let commit = Commit {
        cursor: Some(("yongzhou".into(), reset.clone())),
        ..Commit::default()
    };
    store.commit(commit).expect("commit");
    assert_eq!(store.cursor("yongzhou"), Ok(Some(reset)));
}

#[test]
fn store_chinese_text_round_trips_exactly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(dir.path());
    let id = rid(8);
    let title = "湘粤桂三省（区）交界三界顶山林权属纠纷——“麦岭”𠀀";
    let ev = new_event(&id, title);
    let state = suggestion(&id, title);
    store
        .commit(Commit {
            events: vec![ev.clone()],
            records: vec![write(&id, None, &state, 0, &[&ev])],
            ..Commit::default()
        })
        .expect("commit");
    store.flush().expect("flush");
    drop(store);
    let store = open(dir.path());
    let back = store.record(&id).expect("read").expect("present");
    let back = back.state.expect("state");
    assert_eq!(back.title, title);
    assert_eq!(back.title.chars().count(), title.chars().count());
    let stored = store.event(&ev.id).expect("event").expect("present");
    assert_eq!(String::from_utf8(stored.signed.body).expect("utf-8"), title);
}
