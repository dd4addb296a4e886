//! Replication: the node side of the sync protocol (DESIGN §5).
//!
//! [`NodeSource`] serves this node's log to a peer city: only events of records the city
//! participates in, never past the durable head, and a record's earlier events when the
//! city has just been added to it. [`NodeSink`] applies batches pulled from a peer: every
//! event is verified (in parallel, once: as it enters the node), events of records this
//! city is not part of are dropped, duplicates are skipped by id, and accepted events, the
//! records' new states and the peer's new cursor are committed together in one atomic
//! batch. Events refused for a reason that may pass later (a parent not held once the
//! peer's batch covers them, a signer certificate not known or not valid yet here) are
//! parked in the same batch and tried again (`sink/parked.rs`); only refusals that can
//! never pass (bad signature, forged author, not a participant) are final. A same-seq
//! group split across batches waits in memory for its next part. The
//! flush runs behind the next batch: a crash before it loses the events and the cursor
//! together, so the peer sends them again, and events are served on (or shown) only once
//! durable. Only the records a batch touches are locked meanwhile.
//!
//! The protocol mechanics (streams, heartbeats, reconnects) live in
//! `lianluo_federation::sync`; this module only decides what is served and what is stored.

mod apply;
mod sink;
mod source;

#[cfg(test)]
pub(crate) mod tests;

use lianluo_federation::envelope::{SignerDirectory, VerifiedEvent};
use lianluo_federation::sync::SyncError;
use lianluo_proto::SignedEvent;

use crate::store::{Store, StoreError};

pub use sink::{
    restore_signer_certs, run_retries, NodeSink, PeerCounters, RetryReport, PARKED_MAX, RETRY_EVERY,
};
pub use source::NodeSource;

/// Most events held in memory per peer while they wait for the rest of a group of events
/// sharing one seq that the peer split across batches (a newly added participant's
/// record). Events beyond it are refused; the rest of their record's group is then
/// refused for missing parents, and the record is not received from that peer.
pub const PENDING_MAX: usize = 10_000;

/// Why an event was not verified, and whether the same event may pass later (its signer
/// certificate is not known or not valid yet here).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    /// What is wrong, for the log.
    pub reason: String,
    /// Whether to keep it and try again rather than drop it.
    pub may_pass_later: bool,
}

/// Below this many events a batch is verified on the calling thread.
const PARALLEL_FROM: usize = 32;

/// Verifies each event strictly (signer known, not revoked, valid at the event's time),
/// spreading the work over the machine's cores: verification is most of the CPU a
/// catch-up costs. A missing event (`None`) fails. Results are in the events' order.
pub fn verify_all(
    signers: &SignerDirectory,
    events: &[Option<&SignedEvent>],
) -> Vec<Result<VerifiedEvent, Refused>> {
    let one = |ev: &Option<&SignedEvent>| -> Result<VerifiedEvent, Refused> {
        let signed = ev.ok_or_else(|| Refused {
            reason: "the batch entry has no event".into(),
            may_pass_later: false,
        })?;
        signers.verify(signed).map_err(|e| Refused {
            reason: e.to_string(),
            may_pass_later: e.may_pass_later(),
        })
    };
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    if cores < 2 || events.len() < PARALLEL_FROM {
        return events.iter().map(one).collect();
    }
    let per = events.len().div_ceil(cores);
    std::thread::scope(|scope| {
        let parts: Vec<_> = events
            .chunks(per)
            .map(|part| {
                let handle = scope.spawn(move || part.iter().map(one).collect::<Vec<_>>());
                (part.len(), handle)
            })
            .collect();
        parts
            .into_iter()
            .flat_map(|(len, p)| {
                p.join().unwrap_or_else(|_| {
                    let panicked = Refused {
                        reason: "signature check panicked".to_owned(),
                        may_pass_later: false,
                    };
                    vec![Err(panicked); len]
                })
            })
            .collect()
    })
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
