//! Tests of opening data dirs: identity, wrong city, schema, locking, recovery.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::{events_only, new_event, rid};
use crate::store::{open_sled as open_with, Store, StoreError, StoreOptions, SCHEMA_VERSION};

fn open_sled(dir: &Path, city: &str) -> Result<std::sync::Arc<dyn Store>, StoreError> {
    open_with(dir, city, StoreOptions::default())
}

/// Every file under `dir` with its contents and modification time.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, (Vec<u8>, std::time::SystemTime)> {
    let mut out = BTreeMap::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d).expect("read dir") {
            let path = entry.expect("dir entry").path();
            let md = std::fs::metadata(&path).expect("metadata");
            if md.is_dir() {
                todo.push(path);
            } else {
                let modified = md.modified().expect("mtime");
                out.insert(
                    path.clone(),
                    (std::fs::read(&path).expect("read file"), modified),
                );
            }
        }
    }
    out
}

#[test]
fn store_refuses_a_dir_of_another_city_and_leaves_it_untouched() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open_sled(dir.path(), "hezhou").expect("open");
    store
        .commit(events_only(vec![new_event(&rid(1), "e")]))
        .expect("commit");
    store.flush().expect("flush");
    drop(store);
    let before = snapshot(dir.path());
    let err = open_sled(dir.path(), "qingyuan").err().expect("refused");
    assert_eq!(
        err,
        StoreError::WrongCity {
            dir: dir.path().to_path_buf(),
            data_city: "hezhou".into(),
            config_city: "qingyuan".into()
        }
    );
    let message = err.to_string();
    assert!(
        message.contains("belongs to city hezhou, but the config says qingyuan"),
        "{message}"
    );
    assert!(
        message.contains("point data_dir at qingyuan's own directory"),
        "{message}"
    );
    assert!(!err.is_unavailable());
    assert_eq!(snapshot(dir.path()), before);
    let store = open_sled(dir.path(), "hezhou").expect("reopen as hezhou");
    assert_eq!(store.last_seq(), Ok(1));
}

#[test]
fn store_log_id_is_stable_across_reopen_and_new_per_dir() {
    let (one, two) = (
        tempfile::tempdir().expect("tempdir"),
        tempfile::tempdir().expect("tempdir"),
    );
    let meta = open_sled(one.path(), "hezhou")
        .expect("open")
        .meta()
        .clone();
    assert_eq!(
        (meta.city.as_str(), meta.schema_version),
        ("hezhou", SCHEMA_VERSION)
    );
    assert_eq!(meta.log_id.len(), 32);
    assert!(meta
        .log_id
        .bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
    assert_eq!(
        open_sled(one.path(), "hezhou").expect("reopen").meta(),
        &meta
    );
    let other = open_sled(two.path(), "hezhou")
        .expect("open other")
        .meta()
        .clone();
    assert_ne!(other.log_id, meta.log_id);

    let note = std::fs::read_to_string(one.path().join("lianluo-data.toml")).expect("note");
    let parsed: toml::Value = toml::from_str(&note).expect("toml");
    assert_eq!(parsed["city"].as_str(), Some("hezhou"));
    assert_eq!(parsed["log_id"].as_str(), Some(meta.log_id.as_str()));
    assert_eq!(
        parsed["schema_version"].as_integer(),
        Some(i64::from(SCHEMA_VERSION))
    );
    assert!(parsed["created_at"]
        .as_str()
        .is_some_and(|t| t.contains('T')));
}

#[test]
fn store_lost_note_is_rewritten_from_the_database() {
    let dir = tempfile::tempdir().expect("tempdir");
    let meta = open_sled(dir.path(), "hezhou")
        .expect("open")
        .meta()
        .clone();
    let note = dir.path().join("lianluo-data.toml");
    std::fs::remove_file(&note).expect("remove note");
    assert!(matches!(
        open_sled(dir.path(), "qingyuan"),
        Err(StoreError::WrongCity { .. })
    ));
    assert_eq!(
        open_sled(dir.path(), "hezhou").expect("reopen").meta(),
        &meta
    );
    assert!(std::fs::read_to_string(&note)
        .expect("note back")
        .contains(&meta.log_id));
}

#[test]
fn store_refuses_newer_schema_and_a_note_without_database() {
    let dir = tempfile::tempdir().expect("tempdir");
    drop(open_sled(dir.path(), "hezhou").expect("open"));
    let note = dir.path().join("lianluo-data.toml");
    let text = std::fs::read_to_string(&note).expect("note");
    let newer = text.replace(
        &format!("schema_version = {SCHEMA_VERSION}"),
        "schema_version = 7",
    );
    assert_ne!(newer, text);
    std::fs::write(&note, newer).expect("write note");
    let err = open_sled(dir.path(), "hezhou").err().expect("refused");
    assert_eq!(
        err,
        StoreError::SchemaTooNew {
            found: 7,
            supported: SCHEMA_VERSION
        }
    );

    std::fs::write(&note, text).expect("restore note");
    std::fs::remove_dir_all(dir.path().join("db")).expect("remove db");
    let err = open_sled(dir.path(), "hezhou").err().expect("refused");
    assert!(
        matches!(err, StoreError::Corrupt(ref m) if m.contains("no database")),
        "{err}"
    );
    assert!(
        !dir.path().join("db").exists(),
        "a new database was created"
    );
}

#[test]
fn store_refuses_a_dir_in_use() {
    let dir = tempfile::tempdir().expect("tempdir");
    let _first = open_sled(dir.path(), "hezhou").expect("open");
    let err = open_sled(dir.path(), "hezhou").err().expect("refused");
    assert_eq!(
        err,
        StoreError::Locked {
            dir: dir.path().to_path_buf()
        }
    );
    assert!(
        err.to_string()
            .contains("is in use by another lianluo process"),
        "{err}"
    );
    assert!(err.is_unavailable());
}

#[test]
fn store_opens_after_a_crash_left_an_incomplete_engine_snapshot() {
    // A node killed while sled wrote its start-up snapshot (or on a full disk) leaves an
    // empty `snap.*.generating` file; the data is intact and must open as it was.
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open_sled(dir.path(), "hezhou").expect("open");
    store
        .commit(events_only(vec![new_event(&rid(1), "kept")]))
        .expect("commit");
    store.flush().expect("flush");
    let log_id = store.meta().log_id.clone();
    drop(store);
    let partial = dir
        .path()
        .join("db")
        .join("snap.FFFFFFFFFFFFFFF0.generating");
    std::fs::write(&partial, b"").expect("write a partial snapshot");
    let store = open_sled(dir.path(), "hezhou").expect("opens despite the partial snapshot");
    assert_eq!(store.meta().log_id, log_id);
    assert_eq!(store.last_seq(), Ok(1));
    assert!(!partial.exists(), "the incomplete snapshot is removed");
}
