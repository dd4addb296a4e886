//! A data dir written by the schema-1 build (`tests/fixtures/schema1-hezhou.tar.gz`: the
//! demo's sample data at Hezhou, replicated from Qingyuan and Yongzhou) upgrades in place
//! and keeps every record with its whole history, the log, the peers' cursors and the
//! client request ids; opening it again changes nothing.

use std::path::{Path, PathBuf};
use std::process::Command;

use lianluo_node::domain::RecordId;
use lianluo_node::store::{self, Store, StoreOptions, SCHEMA_VERSION};
use serde_json::Value;

/// The date the fixture's expected answers were taken (overdue flags depend on it).
const FIXTURE_DAY: time::Date = time::macros::date!(2026 - 12 - 07);

/// Unpacks the fixture into a temp dir; returns (temp dir, fixture dir).
fn unpack() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let archive =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/schema1-hezhou.tar.gz");
    let status = Command::new("tar")
        .arg("-xzf")
        .arg(&archive)
        .arg("-C")
        .arg(tmp.path())
        .status()
        .expect("run tar");
    assert!(
        status.success(),
        "tar failed to unpack {}",
        archive.display()
    );
    let dir = tmp.path().join("schema1-hezhou");
    (tmp, dir)
}

fn json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).expect("read fixture json");
    serde_json::from_str(&text).expect("fixture json")
}

fn open(data: &Path) -> std::sync::Arc<dyn Store> {
    lianluo_node::upgrade::open(data, "hezhou", StoreOptions::default()).expect("open and upgrade")
}

#[test]
fn a_schema1_data_dir_upgrades_in_place_and_keeps_every_record_history_and_cursor() {
    let (_tmp, dir) = unpack();
    let data = dir.join("data");
    // What schema 1 holds besides the records: the client request ids.
    let requests = {
        let old = store::open_sled(&data, "hezhou", StoreOptions::default()).expect("open");
        let legacy = old.legacy().expect("a schema-1 data dir is seen as one");
        legacy.requests().expect("requests")
    };
    assert!(!requests.is_empty(), "the demo's creates left request ids");

    let store = open(&data);
    assert!(store.legacy().is_none());
    assert_eq!(store.meta().schema_version, SCHEMA_VERSION);
    let note = std::fs::read_to_string(data.join("lianluo-data.toml")).expect("note");
    assert!(
        note.contains(&format!("schema_version = {SCHEMA_VERSION}")),
        "{note}"
    );

    let expected = json(&dir.join("records.json"));
    let expected = expected.as_array().expect("records");
    let mut events = 0;
    for want in expected {
        let id = RecordId::parse(want["id"].as_str().expect("id")).expect("record id");
        let entry = store.record(&id).expect("read").expect("record kept");
        let got = lianluo_node::render::full(store.as_ref(), &id, &entry, FIXTURE_DAY, None)
            .expect("render")
            .expect("a valid record");
        let mut got = serde_json::to_value(&got).expect("json");
        // The old build did not show each event's HLC (`hlc`, added with the author's
        // time as `at`); everything it showed must be the same.
        // The history summaries are worded by the build that shows them (read from the
        // events each time, never stored; this build uses the official terms and adds
        // English): the fold and every stored fact must be the same, not the wording.
        let mut want = want.clone();
        for history in [&mut got, &mut want] {
            for entry in history["history"].as_array_mut().expect("history") {
                let e = entry.as_object_mut().expect("entry");
                let summary = e.remove("summary");
                assert!(summary.is_some_and(|s| s.as_str().is_some_and(|s| !s.is_empty())));
                e.remove("summary_en");
            }
        }
        for entry in got["history"].as_array_mut().expect("history") {
            let hlc = entry.as_object_mut().and_then(|e| e.remove("hlc"));
            assert!(hlc.is_some_and(|h| h["wall_ms"].as_u64() > Some(0)), "{id}");
        }
        business_dates_are_the_days_entered(&mut got);
        no_suggestion_handling(&mut got);
        // The old build had no projects and no public opinions: none of its records is a
        // project, and its receptions registered no opinion.
        let project = got.as_object_mut().and_then(|r| r.remove("project"));
        assert_eq!(project, Some(Value::Null), "{id}");
        if let Some(a) = got.get_mut("activity").and_then(Value::as_object_mut) {
            assert_eq!(a.remove("opinions"), Some(Value::Array(Vec::new())), "{id}");
        }
        assert_eq!(got, want, "record {id} differs after the upgrade");
        events += want["history"].as_array().map_or(0, Vec::len);
    }
    assert_eq!(
        store.records_after(None, 1000).expect("records").len(),
        expected.len()
    );

    // The log keeps every event at its seq: peers' cursors into it stay valid.
    assert_eq!(store.last_seq(), Ok(events as u64));
    let log = store.log_after(0, 10_000).expect("log");
    assert_eq!(log.len(), events);
    assert!(log.iter().enumerate().all(|(i, e)| e.seq == i as u64 + 1));

    for peer in json(&dir.join("peers.json")).as_array().expect("peers") {
        let city = peer["city"].as_str().expect("city");
        let cursor = store.cursor(city).expect("cursor").expect("cursor kept");
        assert_eq!(
            cursor.log_id,
            peer["cursor_log_id"].as_str().expect("log id")
        );
        assert_eq!(Some(cursor.seq), peer["cursor_seq"].as_u64());
    }
    for (key, record) in &requests {
        assert_eq!(
            store.request(key),
            Ok(Some(record.clone())),
            "request {key:?}"
        );
    }
    assert!(!store.signer_certs().expect("certs").is_empty());

    // The old build's List answered these records; the upgraded store holds them all.
    let listed: std::collections::BTreeSet<String> = json(&dir.join("list.json"))
        .as_array()
        .expect("list")
        .iter()
        .map(|r| r["id"].as_str().expect("id").to_owned())
        .collect();
    let held: std::collections::BTreeSet<String> = store
        .records_after(None, 1000)
        .expect("records")
        .into_iter()
        .map(|(id, _)| id.to_string())
        .collect();
    assert_eq!(listed, held);

    // The figure counters the upgrade filled equal a recount from the events, and every
    // record's stored state equals a re-fold of its events.
    assert!(!store.counters().expect("counters").is_empty());
    let recount = lianluo_node::recount::recount(store.as_ref(), "hezhou", false).expect("recount");
    assert!(recount.clean(), "upgraded counters differ: {recount:?}");

    // Opening the upgraded dir again changes nothing.
    let log_id = store.meta().log_id.clone();
    drop(store);
    let again = reopen(&data);
    assert_eq!(again.meta().log_id, log_id);
    assert_eq!(again.last_seq(), Ok(events as u64));
}

/// Reopens a data dir whose previous handle was just dropped (sled releases its lock
/// from a background thread, so the first attempts may find it still held).
fn reopen(data: &Path) -> std::sync::Arc<dyn Store> {
    for _ in 0..100 {
        match lianluo_node::upgrade::open(data, "hezhou", StoreOptions::default()) {
            Ok(s) => return s,
            Err(store::StoreError::Locked { .. }) => {
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            Err(e) => panic!("reopen: {e}"),
        }
    }
    panic!("the data dir stayed locked");
}

/// The old build had no business dates: the views now give the day each record (and a
/// dispute's resolution) was entered, and no part dates. Checks that and removes them.
fn business_dates_are_the_days_entered(got: &mut Value) {
    let day = |at: &Value| {
        lianluo_node::domain::rfc3339_local_date(at.as_str().unwrap_or_default())
            .expect("an RFC 3339 time")
    };
    let (created, updated) = (day(&got["created_at"]), day(&got["updated_at"]));
    let resolved = got["status"] == "resolved";
    let expected: Vec<(&str, &str, &str)> = match got["kind"].as_str() {
        Some("station") => vec![("station", "founded_on", &created)],
        Some("suggestion") => vec![("suggestion", "submitted_on", &created)],
        Some("dispute") => vec![
            ("dispute", "reported_on", &created),
            (
                "dispute",
                "resolved_on",
                if resolved { &updated } else { "" },
            ),
        ],
        _ => vec![],
    };
    for (view, field, want) in expected {
        let v = got[view].as_object_mut().and_then(|o| o.remove(field));
        assert_eq!(
            v.as_ref().and_then(Value::as_str),
            Some(want),
            "{view}.{field}"
        );
    }
    let parts = got
        .get_mut("suggestion")
        .and_then(|s| s.get_mut("parts"))
        .and_then(Value::as_array_mut);
    for part in parts.into_iter().flatten() {
        let p = part.as_object_mut().expect("a part");
        for field in ["dispatched_on", "answered_on"] {
            assert_eq!(p.remove(field), Some(Value::from("")), "no part dates");
        }
    }
}

/// The old build had no 协办 units, result categories, returns, proposers' ratings or
/// 重点督办 (the view fields came later): the upgraded records have none of them, and
/// are otherwise what the old build showed.
fn no_suggestion_handling(got: &mut Value) {
    let Some(s) = got.get_mut("suggestion").and_then(Value::as_object_mut) else {
        return;
    };
    for field in ["proposer_ratings", "key_supervision"] {
        assert_eq!(s.remove(field), Some(Value::Array(Vec::new())), "{field}");
    }
    let parts = s.get_mut("parts").and_then(Value::as_array_mut);
    for part in parts.into_iter().flatten() {
        let p = part.as_object_mut().expect("a part");
        assert_eq!(p.remove("co_units"), Some(Value::Array(Vec::new())));
        for field in ["category", "return_reason"] {
            assert_eq!(p.remove(field), Some(Value::from("")), "{field}");
        }
    }
}
