//! Replication: the node side of the sync protocol (DESIGN §5).
//!
//! [`NodeSource`] serves this node's log to a peer city: only events of records the city
//! participates in, never past the durable head, and a record's earlier events when the
//! city has just been added to it. [`NodeSink`] applies batches pulled from a peer: every
//! event is verified, events of records this city is not part of are dropped, duplicates
//! are skipped by id, events whose parents the peer has not sent are refused once the
//! peer's batch covers them (only a same-seq group split across batches waits for its
//! next part), and accepted events, the folded record views and the peer's new cursor
//! are committed together and flushed before the batch counts as applied.
//!
//! The protocol mechanics (streams, heartbeats, reconnects) live in
//! `lianluo_federation::sync`; this module only decides what is served and what is stored.

mod apply;
mod sink;
mod source;

#[cfg(test)]
mod tests;

use lianluo_federation::envelope::SignerDirectory;
use lianluo_federation::sync::SyncError;
use lianluo_proto::EventBody;
use prost::Message;

use crate::domain::FoldEvent;
use crate::store::{Store, StoreError, StoredEvent};

pub use sink::{restore_signer_certs, NodeSink, PeerCounters};
pub use source::NodeSource;

/// Most events held in memory per peer while they wait for the rest of a group of events
/// sharing one seq that the peer split across batches (a newly added participant's
/// record). Events beyond it are refused; the rest of their record's group is then
/// refused for missing parents, and the record is not received from that peer.
pub const PENDING_MAX: usize = 10_000;

/// Decodes and verifies stored events for the fold, as history
/// ([`SignerDirectory::verify_history`]): they passed strict verification when they
/// arrived, so a signer certificate since expired or revoked still verifies them, and a
/// record this city holds keeps its view (new events are still checked strictly). An
/// event whose signature does not verify (its signer certificate is unknown) is still
/// folded, marked unverified, so the fold shows it rejected. Same rules as the local
/// write path.
pub fn fold_inputs(signers: &SignerDirectory, stored: &[StoredEvent]) -> Vec<FoldEvent> {
    stored
        .iter()
        .filter_map(|e| match signers.verify_history(&e.signed) {
            Ok(v) => Some(FoldEvent {
                id: v.id,
                body: v.body,
                verified: true,
            }),
            Err(err) => {
                tracing::warn!(event = %e.id, record = %e.record_id, "stored event does not verify: {err}");
                EventBody::decode(e.signed.body.as_slice())
                    .ok()
                    .map(|body| FoldEvent {
                        id: e.id.clone(),
                        body,
                        verified: false,
                    })
            }
        })
        .collect()
}

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
