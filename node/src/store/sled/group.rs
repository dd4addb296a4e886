//! Group commit at the batch level (as LevelDB's writer queue): concurrent commits are
//! merged into one sled batch. The first committer to find no batch in progress becomes
//! the leader: it takes every commit queued so far, stages them together (counters and
//! index postings they share are read and written once) and applies one batch; the
//! others wait and get their own result. sled applies batches one at a time and pays per
//! key, so this is what lets many writers share the storage's work, as the flusher lets
//! them share a flush.

use std::collections::HashMap;
use std::sync::{Condvar, Mutex, MutexGuard};

use super::super::{Commit, StoreError};

/// Commits waiting for a leader, and results waiting for their committer.
#[derive(Default)]
pub(super) struct Queue {
    state: Mutex<State>,
    done: Condvar,
}

#[derive(Default)]
struct State {
    next_ticket: u64,
    waiting: Vec<(u64, Commit)>,
    results: HashMap<u64, Result<Vec<u64>, StoreError>>,
    leading: bool,
}

/// Most commits one leader applies together (bounds a batch's size and latency).
const MAX_GROUP: usize = 256;

impl Queue {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A leader that panicked left no half state here: results are inserted whole.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues `commit` and returns its result, applying it (with whatever else is queued)
    /// through `apply` when this caller becomes the leader. `apply` gets commits in queue
    /// order and returns one result per commit, in the same order.
    pub(super) fn commit(
        &self,
        commit: Commit,
        apply: impl Fn(Vec<Commit>) -> Vec<Result<Vec<u64>, StoreError>>,
    ) -> Result<Vec<u64>, StoreError> {
        let mut state = self.lock();
        let ticket = state.next_ticket;
        state.next_ticket += 1;
        state.waiting.push((ticket, commit));
        loop {
            if let Some(result) = state.results.remove(&ticket) {
                return result;
            }
            if !state.leading {
                state.leading = true;
                let take = state.waiting.len().min(MAX_GROUP);
                let group: Vec<(u64, Commit)> = state.waiting.drain(..take).collect();
                drop(state);
                let (tickets, commits): (Vec<u64>, Vec<Commit>) = group.into_iter().unzip();
                let n = commits.len();
                // Every ticket gets a result, whatever happens, or its committer waits for ever.
                let mut results =
                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| apply(commits)))
                        .unwrap_or_default();
                results.resize_with(n, || {
                    Err(StoreError::Sled(
                        "the commit was not applied (a commit failed)".into(),
                    ))
                });
                state = self.lock();
                for (t, r) in tickets.into_iter().zip(results) {
                    state.results.insert(t, r);
                }
                state.leading = false;
                self.done.notify_all();
                continue;
            }
            state = self.done.wait(state).unwrap_or_else(|e| e.into_inner());
        }
    }
}
