//! Replication: the node side of the sync protocol (DESIGN §5).
//!
//! [`NodeSource`] serves this node's log to a peer city: only events of records the city
//! participates in, never past the durable head, and a record's earlier events when the
//! city has just been added to it. [`NodeSink`] applies batches pulled from a peer: every
//! event is verified (in parallel, once: as it enters the node), events of records this
//! city is not part of are dropped, duplicates are skipped by id, events whose parents
//! the peer has not sent are refused once the peer's batch covers them (only a same-seq
//! group split across batches waits for its next part), and accepted events, the records'
//! new states and the peer's new cursor are committed together and flushed before the
//! batch counts as applied. Only the records a batch touches are locked meanwhile.
//!
//! The protocol mechanics (streams, heartbeats, reconnects) live in
//! `lianluo_federation::sync`; this module only decides what is served and what is stored.

mod apply;
mod sink;
mod source;

#[cfg(test)]
pub(crate) mod tests;

use lianluo_federation::sync::SyncError;

use crate::store::{Store, StoreError};

pub use sink::{restore_signer_certs, NodeSink, PeerCounters};
pub use source::NodeSource;

/// Most events held in memory per peer while they wait for the rest of a group of events
/// sharing one seq that the peer split across batches (a newly added participant's
/// record). Events beyond it are refused; the rest of their record's group is then
/// refused for missing parents, and the record is not received from that peer.
pub const PENDING_MAX: usize = 10_000;

/// Maps a storage failure to the protocol's error (nothing of the batch was applied).
fn store_error(e: StoreError) -> SyncError {
    SyncError::Store(e.to_string())
}

/// Runs blocking store work off the async runtime.
async fn blocking<T, F>(store: &std::sync::Arc<dyn Store>, f: F) -> Result<T, SyncError>
where
    T: Send + 'static,
    F: FnOnce(&dyn Store) -> Result<T, SyncError> + Send + 'static,
{
    let store = store.clone();
    tokio::task::spawn_blocking(move || f(store.as_ref()))
        .await
        .map_err(|e| SyncError::Store(format!("storage task failed: {e}")))?
}
