//! Tests of the store contract on real sled databases in temporary directories.

use std::sync::Arc;

use lianluo_proto::{Record, SignedEvent};

use super::*;

mod open;

fn signed(text: &str) -> SignedEvent {
    SignedEvent {
        body: text.as_bytes().to_vec(),
        signature: vec![0x30, 0x45, 1, 2, 3],
        signer_cert_sha256: "ab".repeat(32),
    }
}

fn event_id(text: &str) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, text.as_bytes());
    digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

fn new_event(record_id: &str, text: &str) -> NewEvent {
    NewEvent {
        id: event_id(text),
        record_id: record_id.to_string(),
        signed: signed(text),
    }
}

fn record(id: &str, kind: &str, status: &str, title: &str) -> Record {
    Record {
        id: id.to_string(),
        kind: kind.to_string(),
        status: status.to_string(),
        origin: "hezhou".to_string(),
        participants: vec!["hezhou".to_string(), "qingyuan".to_string()],
        title: title.to_string(),
        version: 1,
        ..Record::default()
    }
}

fn events_only(events: Vec<NewEvent>) -> Commit {
    Commit {
        events,
        ..Commit::default()
    }
}

fn ids(records: &[Record]) -> Vec<&str> {
    records.iter().map(|r| r.id.as_str()).collect()
}

fn query(
    kind: Option<&str>,
    status: Option<&str>,
    after: Option<&str>,
    limit: usize,
) -> RecordQuery {
    RecordQuery {
        kind: kind.map(str::to_string),
        status: status.map(str::to_string),
        after_id: after.map(str::to_string),
        limit,
    }
}

#[test]
fn store_commit_then_reopen_finds_everything() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rid = "hezhou-01J0000000000000000000000A";
    let (e1, e2) = (new_event(rid, "创建"), new_event(rid, "派单"));
    let rec = record(rid, "suggestion", "dispatched", "关于修建跨省道路的建议");
    let cursor = Cursor {
        log_id: "cd".repeat(16),
        seq: 42,
        event_id: "ab".repeat(32),
    };
    let store = open_sled(dir.path(), "hezhou").expect("open");
    let seqs = store
        .commit(Commit {
            events: vec![e1.clone(), e2.clone()],
            records: vec![rec.clone()],
            request: Some(("req-1".into(), rid.into())),
            cursor: Some(("qingyuan".into(), cursor.clone())),
        })
        .expect("commit");
    assert_eq!(seqs, vec![1, 2]);
    store.flush().expect("flush");
    let meta = store.meta().clone();
    drop(store);

    let store = open_sled(dir.path(), "hezhou").expect("reopen");
    assert_eq!(store.meta(), &meta);
    let got = store.event(&e2.id).expect("event").expect("present");
    assert_eq!(
        (got.seq, got.record_id.as_str(), &got.signed),
        (2, rid, &e2.signed)
    );
    assert_eq!(store.event(&event_id("missing")), Ok(None));
    let history: Vec<_> = store
        .record_events(rid)
        .expect("history")
        .into_iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(history, vec![e1.id.clone(), e2.id.clone()]);
    assert_eq!(store.record(rid), Ok(Some(rec.clone())));
    assert_eq!(store.records(&RecordQuery::default()), Ok(vec![rec]));
    assert_eq!(store.last_seq(), Ok(2));
    let log: Vec<_> = store
        .log_after(0, 10)
        .expect("log")
        .into_iter()
        .map(|e| (e.seq, e.id))
        .collect();
    assert_eq!(log, vec![(1, e1.id), (2, e2.id)]);
    assert_eq!(store.request("req-1"), Ok(Some(rid.to_string())));
    assert_eq!(store.cursor("qingyuan"), Ok(Some(cursor)));
    assert!(store.size_on_disk().expect("size") > 0);
    // New events continue the sequence after a reopen.
    assert_eq!(
        store.commit(events_only(vec![new_event(rid, "答复")])),
        Ok(vec![3])
    );
}

#[test]
fn store_known_events_are_skipped_not_logged_twice() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open_sled(dir.path(), "hezhou").expect("open");
    let (a, b, c) = (
        new_event("r-1", "a"),
        new_event("r-1", "b"),
        new_event("r-1", "c"),
    );
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
    assert_eq!(store.record_events("r-1").expect("history").len(), 3);
    assert_eq!(store.event(&a.id).expect("event").map(|e| e.seq), Some(1));
}

#[test]
fn store_seqs_are_dense_and_increasing_under_concurrent_commits() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open_sled(dir.path(), "hezhou").expect("open");
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let store = Arc::clone(&store);
            std::thread::spawn(move || {
                let mut mine = Vec::new();
                for i in 0..25 {
                    let evs = vec![
                        new_event("r-1", &format!("{t}/{i}/x")),
                        new_event("r-2", &format!("{t}/{i}/y")),
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
    let r1: Vec<u64> = store
        .record_events("r-1")
        .expect("history")
        .iter()
        .map(|e| e.seq)
        .collect();
    assert_eq!(r1.len(), 100);
    assert!(
        r1.windows(2).all(|w| w[0] < w[1]),
        "record events in seq order"
    );
}

#[test]
fn store_records_filter_by_kind_and_status_and_page_by_id() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open_sled(dir.path(), "hezhou").expect("open");
    let all = vec![
        record("hezhou-05", "suggestion", "submitted", "五"),
        record("hezhou-01", "suggestion", "dispatched", "一"),
        record("hezhou-03", "dispute", "reported", "三"),
        record("hezhou-02", "suggestion", "submitted", "二"),
        record("hezhou-04", "station", "active", "四"),
        record("hezhou-06", "dispute", "submitted", "六"),
    ];
    store
        .commit(Commit {
            records: all,
            ..Commit::default()
        })
        .expect("commit");
    let run = |q: RecordQuery| store.records(&q).expect("records");
    assert_eq!(
        ids(&run(query(None, None, None, 100))),
        [
            "hezhou-01",
            "hezhou-02",
            "hezhou-03",
            "hezhou-04",
            "hezhou-05",
            "hezhou-06"
        ]
    );
    assert_eq!(
        ids(&run(query(Some("suggestion"), None, None, 100))),
        ["hezhou-01", "hezhou-02", "hezhou-05"]
    );
    assert_eq!(
        ids(&run(query(
            Some("suggestion"),
            Some("submitted"),
            None,
            100
        ))),
        ["hezhou-02", "hezhou-05"]
    );
    assert_eq!(
        ids(&run(query(None, Some("submitted"), None, 100))),
        ["hezhou-02", "hezhou-05", "hezhou-06"]
    );
    assert!(run(query(Some("activity"), None, None, 100)).is_empty());
    assert!(run(query(Some("suggestion"), Some("submit"), None, 100)).is_empty());
    // Paging: at most `limit`, strictly after `after_id`.
    assert_eq!(
        ids(&run(query(None, None, None, 2))),
        ["hezhou-01", "hezhou-02"]
    );
    assert_eq!(
        ids(&run(query(None, None, Some("hezhou-02"), 2))),
        ["hezhou-03", "hezhou-04"]
    );
    assert_eq!(
        ids(&run(query(Some("suggestion"), None, Some("hezhou-01"), 1))),
        ["hezhou-02"]
    );
    assert_eq!(
        ids(&run(query(Some("suggestion"), None, Some("hezhou-05"), 10))),
        Vec::<&str>::new()
    );
    assert!(run(query(None, None, None, 0)).is_empty());
}

#[test]
fn store_index_follows_status_changes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open_sled(dir.path(), "hezhou").expect("open");
    let submitted = record("hezhou-1", "suggestion", "submitted", "t");
    store
        .commit(Commit {
            records: vec![submitted.clone()],
            ..Commit::default()
        })
        .expect("commit");
    let dispatched = Record {
        status: "dispatched".into(),
        version: 2,
        ..submitted.clone()
    };
    store
        .commit(Commit {
            records: vec![dispatched.clone()],
            ..Commit::default()
        })
        .expect("commit");
    let count = |kind: Option<&str>, status: Option<&str>| {
        store
            .records(&query(kind, status, None, 10))
            .expect("records")
            .len()
    };
    assert_eq!(count(Some("suggestion"), Some("submitted")), 0);
    assert_eq!(count(None, Some("submitted")), 0);
    assert_eq!(
        store.records(&query(Some("suggestion"), Some("dispatched"), None, 10)),
        Ok(vec![dispatched.clone()])
    );
    assert_eq!(count(Some("suggestion"), None), 1);
    // Two upserts of one record in one commit: only the last state is indexed.
    let answered = Record {
        status: "answered".into(),
        ..dispatched.clone()
    };
    let closed = Record {
        status: "closed".into(),
        ..dispatched
    };
    store
        .commit(Commit {
            records: vec![answered, closed.clone()],
            ..Commit::default()
        })
        .expect("commit");
    assert_eq!(count(None, Some("dispatched")), 0);
    assert_eq!(count(None, Some("answered")), 0);
    assert_eq!(
        store.records(&query(None, Some("closed"), None, 10)),
        Ok(vec![closed])
    );
    assert_eq!(count(None, None), 1);
}

#[test]
fn store_request_id_maps_to_its_record_and_is_never_reused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open_sled(dir.path(), "hezhou").expect("open");
    assert_eq!(store.request("req-7"), Ok(None));
    let first = Commit {
        events: vec![new_event("hezhou-A", "create A")],
        request: Some(("req-7".into(), "hezhou-A".into())),
        ..Commit::default()
    };
    store.commit(first.clone()).expect("commit");
    assert_eq!(store.request("req-7"), Ok(Some("hezhou-A".to_string())));
    // The same mapping again is harmless.
    assert_eq!(store.commit(first), Ok(vec![]));
    // A second create under the same key is refused as a whole.
    let racing = Commit {
        events: vec![new_event("hezhou-B", "create B")],
        records: vec![record("hezhou-B", "station", "active", "B")],
        request: Some(("req-7".into(), "hezhou-B".into())),
        ..Commit::default()
    };
    let err = store.commit(racing).expect_err("refused");
    assert_eq!(
        err,
        StoreError::DuplicateRequest {
            key: "req-7".into(),
            record_id: "hezhou-A".into()
        }
    );
    assert_eq!(store.last_seq(), Ok(1));
    assert_eq!(store.record("hezhou-B"), Ok(None));
    assert_eq!(store.request("req-7"), Ok(Some("hezhou-A".to_string())));
}

#[test]
fn store_cursor_round_trips_and_is_replaced() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open_sled(dir.path(), "hezhou").expect("open");
    assert_eq!(store.cursor("yongzhou"), Ok(None));
    let first = Cursor {
        log_id: "11".repeat(16),
        seq: 9,
        event_id: "ef".repeat(32),
    };
    store
        .commit(Commit {
            cursor: Some(("yongzhou".into(), first.clone())),
            ..Commit::default()
        })
        .expect("commit");
    assert_eq!(store.cursor("yongzhou"), Ok(Some(first)));
    assert_eq!(store.cursor("qingyuan"), Ok(None));
    let reset = Cursor {
        log_id: "22".repeat(16),
        seq: 0,
        event_id: String::new(),
    };
    store
        .commit(Commit {
            cursor: Some(("yongzhou".into(), reset.clone())),
            ..Commit::default()
        })
        .expect("commit");
    assert_eq!(store.cursor("yongzhou"), Ok(Some(reset)));
}

#[test]
fn store_chinese_text_round_trips_exactly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let title = "关于加快贺州—清远—永州跨省断头路建设的建议（湘粤桂三省区毗邻地区）🚧";
    let rid = "hezhou-01J00000000000000000000ZZ";
    let rec = Record {
        history: vec![lianluo_proto::HistoryEntry {
            summary: title.into(),
            ..Default::default()
        }],
        ..record(rid, "suggestion", "submitted", title)
    };
    let ev = new_event(rid, title);
    let store = open_sled(dir.path(), "hezhou").expect("open");
    store
        .commit(Commit {
            events: vec![ev.clone()],
            records: vec![rec],
            ..Commit::default()
        })
        .expect("commit");
    store.flush().expect("flush");
    drop(store);
    let store = open_sled(dir.path(), "hezhou").expect("reopen");
    let back = store.record(rid).expect("record").expect("present");
    assert_eq!(back.title, title);
    assert_eq!(back.title.chars().count(), title.chars().count());
    assert_eq!(back.history[0].summary, title);
    assert_eq!(
        store
            .records(&query(Some("suggestion"), None, None, 1))
            .expect("list")[0]
            .title,
        title
    );
    let stored = store.event(&ev.id).expect("event").expect("present");
    assert_eq!(String::from_utf8(stored.signed.body).expect("utf-8"), title);
}

#[test]
fn store_refuses_ids_that_break_the_key_layout() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open_sled(dir.path(), "hezhou").expect("open");
    let bad = Commit {
        records: vec![record("hezhou-1\0x", "station", "active", "t")],
        ..Commit::default()
    };
    let err = store.commit(bad).expect_err("refused");
    assert!(
        matches!(err, StoreError::Invalid { ref field, .. } if field == "record id"),
        "{err}"
    );
    assert!(!err.is_unavailable());
    assert_eq!(store.records(&RecordQuery::default()), Ok(vec![]));
}
