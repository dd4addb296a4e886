//! Tests of the group-commit flusher on a real sled store, instrumented to record when
//! each flush starts and ends.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use super::Flusher;
use crate::domain::RecordId;
use crate::store::{open_sled, Commit, Store, StoreError, StoreOptions};

/// The real sled store, with flushes numbered as they start and slowed down a little so
/// that callers overlap with a running flush.
struct Instrumented {
    inner: Arc<dyn Store>,
    started: AtomicU64,
    /// Number of the latest flush that has completed.
    completed: AtomicU64,
}

impl Instrumented {
    fn commit(&self, commit: Commit) -> Result<Vec<u64>, StoreError> {
        self.inner.commit(commit)
    }

    fn flush(&self) -> Result<(), StoreError> {
        let number = self.started.fetch_add(1, Ordering::SeqCst) + 1;
        std::thread::sleep(Duration::from_millis(3));
        self.inner.flush()?;
        self.completed.fetch_max(number, Ordering::SeqCst);
        Ok(())
    }
}

fn instrumented(dir: &std::path::Path) -> Arc<Instrumented> {
    let inner = open_sled(dir, "hezhou", StoreOptions::default()).expect("open store");
    Arc::new(Instrumented {
        inner,
        started: AtomicU64::new(0),
        completed: AtomicU64::new(0),
    })
}

fn flusher_of(store: &Arc<Instrumented>) -> Flusher {
    let store = store.clone();
    Flusher::spawn_fn(Arc::new(move || store.flush()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn store_flusher_concurrent_callers_share_flushes_that_start_after_them() {
    const CALLERS: u64 = 200;
    let dir = tempfile::tempdir().expect("tempdir");
    let store = instrumented(dir.path());
    let flusher = Arc::new(flusher_of(&store));
    let mut tasks = Vec::new();
    for i in 0..CALLERS {
        let (store, flusher) = (store.clone(), flusher.clone());
        tasks.push(tokio::spawn(async move {
            let key = format!("req-{i}");
            let commit = Commit {
                request: Some((key, RecordId::new_at("hezhou"))),
                ..Commit::default()
            };
            store.commit(commit).expect("commit");
            let before = store.started.load(Ordering::SeqCst);
            flusher.flush().await.expect("flush");
            // A flush numbered after every flush that had started before the call is done.
            assert!(
                store.completed.load(Ordering::SeqCst) > before,
                "answered by an old flush"
            );
        }));
    }
    for task in tasks {
        task.await.expect("caller task");
    }
    let flushes = flusher.flushes();
    assert!(flushes >= 1);
    assert!(
        flushes <= CALLERS / 4,
        "{flushes} flushes for {CALLERS} callers"
    );
    assert_eq!(flushes, store.started.load(Ordering::SeqCst));
    flusher.shutdown().await.expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn store_flusher_shutdown_flushes_once_more_then_refuses() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = instrumented(dir.path());
    let flusher = flusher_of(&store);
    flusher.flush().await.expect("flush");
    assert_eq!(flusher.flushes(), 1);
    flusher.shutdown().await.expect("shutdown");
    assert_eq!(flusher.flushes(), 2);
    assert_eq!(store.completed.load(Ordering::SeqCst), 2);
    assert_eq!(flusher.flush().await, Err(StoreError::ShutDown));
    assert_eq!(flusher.shutdown().await, Err(StoreError::ShutDown));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn store_flusher_dropped_handle_still_flushes_and_data_survives_reopen() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = instrumented(dir.path());
    let flusher = flusher_of(&store);
    let id = RecordId::new_at("hezhou");
    let commit = Commit {
        request: Some(("k".into(), id.clone())),
        ..Commit::default()
    };
    store.commit(commit).expect("commit");
    flusher.flush().await.expect("flush");
    drop(flusher);
    // The task ends after its final flush, releasing its handle on the store.
    for _ in 0..200 {
        if Arc::strong_count(&store) == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(
        Arc::strong_count(&store),
        1,
        "flusher task still holds the store"
    );
    assert_eq!(store.completed.load(Ordering::SeqCst), 2);
    drop(store);
    let reopened = open_sled(dir.path(), "hezhou", StoreOptions::default()).expect("reopen");
    assert_eq!(reopened.request("k"), Ok(Some(id)));
}
