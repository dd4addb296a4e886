//! Comparing what other nodes' logs served this node with what they served a peer: a
//! peer's heartbeat carries its cursors in third logs (`SyncBatch.checkpoints`); one
//! naming another entry at a seq where this node keeps one (its own cursor there, see
//! `store::Cursor`) means that log was served two ways under one log id, and its proof
//! is written (once per log and seq).

use lianluo_proto::SyncBatch;

use crate::store::{LogEquivocation, Store, StoreError};

/// The proofs `batch` (from `peer`) brings that are not held yet.
pub(super) fn compare(
    store: &dyn Store,
    peer: &str,
    batch: &SyncBatch,
) -> Result<Vec<LogEquivocation>, StoreError> {
    let mut found = Vec::new();
    // At most this many per heartbeat: a peer sends one per log it follows.
    let theirs = batch
        .checkpoints
        .iter()
        .take(64)
        .filter(|c| c.log_id != batch.log_id && !c.event_id.is_empty());
    for cp in theirs {
        // Only logs this node follows itself, named by its own cursor, not by the peer.
        let Some((city, ours)) = store.checkpoint(&cp.log_id, cp.seq)? else {
            continue;
        };
        if ours == cp.event_id || store.has_log_proof(&cp.log_id, cp.seq)? {
            continue;
        }
        found.push(LogEquivocation {
            city,
            log_id: cp.log_id.clone(),
            seq: cp.seq,
            ours,
            theirs: cp.event_id.clone(),
            seen_by: peer.to_owned(),
            found_ms: crate::clock::now_ms(),
        });
    }
    Ok(found)
}
