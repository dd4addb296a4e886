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
fn store_a_commit_refused_in_a_group_leaves_the_others_applied() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = super::super::sled::SledStore::open(dir.path(), "hezhou", StoreOptions::default())
        .expect("open");
    let (a, b, c) = (rid(60), rid(61), rid(62));
    let plain = |id: &RecordId, text: &str| events_only(vec![new_event(id, text)]);
    // b's write claims three stored steps the store does not hold.
    let eb = new_event(&b, "eb");
    let stale = Commit {
        events: vec![eb.clone()],
        records: vec![write(&b, None, &suggestion(&b, "b"), 3, &[&eb])],
        ..Commit::default()
    };
    let results = store.apply_group(&[plain(&a, "ea"), stale, plain(&c, "ec")]);
    assert_eq!(results[0], Ok(vec![1]));
    assert!(
        matches!(&results[1], Err(StoreError::Invalid { field, .. }) if field.contains(b.as_str())),
        "{:?}",
        results[1]
    );
    assert_eq!(results[2], Ok(vec![2]), "the log stays dense");
    assert_eq!(
        store.has_event(&eb.id),
        Ok(false),
        "nothing of it was staged"
    );
    assert_eq!(store.record(&b), Ok(None));
    assert_eq!(store.last_seq(), Ok(2));
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
