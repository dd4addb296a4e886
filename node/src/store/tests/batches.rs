//! Tests of commits applied in one batch and of history kept in chunks.

use std::sync::Arc;

use super::*;

#[test]
fn store_commits_applied_together_keep_their_own_results() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(dir.path());
    let taken = rid(40);
    store
        .commit(Commit {
            request: Some(("taken".into(), taken.clone())),
            ..Commit::default()
        })
        .expect("first");
    let threads: Vec<_> = (0..16u8)
        .map(|t| {
            let store = Arc::clone(&store);
            std::thread::spawn(move || {
                let id = rid(50 + t);
                // Thread 0 reuses a taken request id: only its commit is refused.
                let key = if t == 0 {
                    "taken".to_string()
                } else {
                    format!("req-{t}")
                };
                let commit = Commit {
                    events: vec![new_event(&id, &format!("e{t}"))],
                    request: Some((key, id)),
                    ..Commit::default()
                };
                (t, store.commit(commit))
            })
        })
        .collect();
    let mut seqs = Vec::new();
    for th in threads {
        let (t, result) = th.join().expect("thread");
        if t == 0 {
            assert!(
                matches!(result, Err(StoreError::DuplicateRequest { .. })),
                "{result:?}"
            );
        } else {
            seqs.extend(result.expect("commit"));
        }
    }
    seqs.sort_unstable();
    assert_eq!(
        seqs,
        (1..=15).collect::<Vec<_>>(),
        "dense, none lost to the refused one"
    );
    assert_eq!(store.request("taken"), Ok(Some(taken)));
}

#[test]
fn store_history_spills_into_chunks_and_reads_back_in_order() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(dir.path());
    let id = rid(9);
    let state = suggestion(&id, "长记录");
    let evs: Vec<NewEvent> = (0..150).map(|i| new_event(&id, &format!("h{i}"))).collect();
    let mut len = 0u32;
    // One step at a time across two chunk boundaries, then five at once.
    for chunk in [&evs[..140], &evs[140..]] {
        for group in chunk.chunks(if len == 0 { 1 } else { 5 }) {
            let refs: Vec<&NewEvent> = group.iter().collect();
            let w = write(&id, Some(&state), &state, len, &refs);
            len += u32::try_from(group.len()).expect("few");
            store
                .commit(Commit {
                    records: vec![w],
                    ..Commit::default()
                })
                .expect("commit");
        }
    }
    let steps: Vec<EventId> = store
        .history(&id)
        .expect("history")
        .into_iter()
        .map(|s| s.event)
        .collect();
    assert_eq!(steps, evs.iter().map(|e| e.id).collect::<Vec<_>>());
    let entry = store.record(&id).expect("read").expect("entry");
    assert_eq!(entry.steps, 150);
    assert!(
        entry.tail.len() < HISTORY_CHUNK,
        "the entry keeps only the last steps"
    );
    // A rewrite from the start replaces every chunk.
    let mut shorter = write(&id, Some(&state), &state, 0, &[&evs[3]]);
    shorter.history.old_len = 150;
    store
        .commit(Commit {
            records: vec![shorter],
            ..Commit::default()
        })
        .expect("rewrite");
    let steps: Vec<EventId> = store
        .history(&id)
        .expect("h")
        .into_iter()
        .map(|s| s.event)
        .collect();
    assert_eq!(steps, vec![evs[3].id]);
}
