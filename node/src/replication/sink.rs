//! [`NodeSink`]: applies batches pulled from peers to the local node.

mod gossip;
mod parked;

#[cfg(test)]
pub(crate) use parked::Parked;
pub use parked::{run_retries, RetryReport, PARKED_MAX, RETRY_EVERY};

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use lianluo_federation::identity::PeerCity;
use lianluo_federation::sync::{ApplyReport, Cursor, SyncError, SyncSink};
use lianluo_proto::SyncBatch;

use super::apply::{self, Pending};
use super::{blocking, store_error};
use crate::domain::EventId;
use crate::state::NodeState;
use crate::store::Store;

/// Totals of what one peer's batches did here, for metrics and status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PeerCounters {
    /// Events stored (including this peer's waiting events its later batch released).
    pub applied: u64,
    /// Events dropped because they were already held.
    pub duplicates: u64,
    /// Events refused: bad signature, unknown or wrong signer, not for this city, or a
    /// parent missing after the peer served its log up to the event.
    pub rejected: u64,
    /// Events from this peer waiting for the rest of a split group right now.
    pub pending: u64,
}

/// The receiving side of replication over a node's state. One sink serves every peer
/// worker; events waiting for the rest of a split group are kept per peer and only that
/// peer's next batch completes or refuses them.
pub struct NodeSink {
    /// The node batches are applied to.
    pub state: Arc<NodeState>,
    pending: Arc<Mutex<Pending>>,
    /// Parked events (kept to be tried again, see [`NodeSink::retry_parked`]).
    parked: Arc<parked::Parked>,
    counters: Mutex<BTreeMap<String, PeerCounters>>,
    /// Per peer: the next batch being checked ahead of its apply ([`SyncSink::prepare`]).
    prepared: Mutex<BTreeMap<String, Prepared>>,
    /// Per peer: the store's reopen count when its session read the cursor. A reopen
    /// drops what was not flushed, the peer's cursor included: the session must resume
    /// from the stored cursor, not from its own position.
    sessions: Mutex<BTreeMap<String, u64>>,
}

/// A batch whose signatures are being checked while the one before it is applied.
struct Prepared {
    batch: Arc<SyncBatch>,
    screened: tokio::task::JoinHandle<Result<apply::Screened, SyncError>>,
}

impl NodeSink {
    /// A sink over `state` with nothing pending (`state.signers` already holds the signer
    /// certificates kept by earlier runs: `open_state` loads them, see
    /// [`restore_signer_certs`]).
    pub fn new(state: Arc<NodeState>) -> Self {
        Self {
            state,
            pending: Arc::default(),
            parked: Arc::default(),
            counters: Mutex::default(),
            prepared: Mutex::default(),
            sessions: Mutex::default(),
        }
    }

    /// Per peer city: totals since the node started.
    pub fn counters(&self) -> BTreeMap<String, PeerCounters> {
        lock(&self.counters).clone()
    }

    /// How many events wait for the rest of a split group, over all peers.
    pub fn pending_len(&self) -> usize {
        lock(&self.pending).values().map(Vec::len).sum()
    }
}

/// Adds the signer certificates kept in the store (learnt from peers by earlier runs) to
/// `state.signers`, so held events of other cities verify before any peer is reached.
/// Every certificate [`SignerDirectory::add_cert`] accepts is loaded, expired and revoked
/// ones included: held events they signed still verify as history, while strict
/// verification refuses anything new they sign. What it refuses (not issued by the root
/// CA, not a signer, not valid yet) is skipped with a warning. Returns how many were
/// added.
///
/// [`SignerDirectory::add_cert`]: lianluo_federation::envelope::SignerDirectory::add_cert
pub fn restore_signer_certs(state: &NodeState) -> usize {
    let certs = match state.store.signer_certs() {
        Ok(certs) => certs,
        Err(e) => {
            tracing::warn!("stored signer certificates cannot be read: {e}");
            return 0;
        }
    };
    let mut added = 0;
    for der in certs {
        match state.signers.add_cert(&der) {
            Ok(_) => added += 1,
            Err(e) => tracing::warn!("stored signer certificate not loaded: {e}"),
        }
    }
    added
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // The guarded maps are replaced whole, so a panic cannot leave them half-updated.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// What one apply did, as seen after the commit.
struct Applied {
    report: ApplyReport,
    /// Highest local seq given to an accepted event (0 if none).
    last_seq: u64,
    /// Whether anything was committed (then it must be flushed).
    committed: bool,
    /// Events waiting per peer after the apply.
    pending_by_peer: BTreeMap<String, u64>,
    /// Events parked by it (kept to be tried again).
    parked: usize,
}

#[tonic::async_trait]
impl SyncSink for NodeSink {
    async fn cursor(&self, peer: &PeerCity) -> Result<Option<Cursor>, SyncError> {
        let reopens = self.state.store.health().reopens;
        lock(&self.sessions).insert(peer.as_str().to_owned(), reopens);
        let peer = peer.as_str().to_owned();
        let cursor = blocking(&self.state.store, move |s| {
            s.cursor(&peer).map_err(store_error)
        })
        .await?;
        Ok(cursor.map(|c| Cursor {
            log_id: c.log_id,
            seq: c.seq,
            event_id: c.event_id,
        }))
    }

    async fn apply(
        &self,
        peer: &PeerCity,
        batch: Arc<SyncBatch>,
    ) -> Result<ApplyReport, SyncError> {
        if batch.log_id.is_empty() {
            return Err(SyncError::Protocol(format!(
                "batch from {peer} has no log_id; the peer must send its log id in every batch"
            )));
        }
        let reopens = self.state.store.health().reopens;
        if lock(&self.sessions)
            .get(peer.as_str())
            .is_some_and(|r| *r != reopens)
        {
            return Err(SyncError::Store(format!(
                "the storage was reopened since this stream from {peer} began; resuming \
                 from the stored cursor"
            )));
        }
        let certs = self.add_certs(peer, &batch);
        let had_events = !batch.events.is_empty();
        let peer_city = peer.as_str().to_owned();
        let screened = self.screened(&peer_city, &batch).await?;
        let (ahead, ahead_by) = screened.clock_ahead(&self.state.clock);
        if ahead > 0 {
            tracing::warn!(
                peer = %peer,
                events = ahead,
                ahead_secs = ahead_by.as_secs(),
                max_skew_secs = self.state.config.max_clock_skew.as_secs(),
                "events from this peer claim a time ahead of this node's clock by more than \
                 [federation] max_clock_skew_secs: they are kept, but this node's clock does \
                 not follow them; check the clocks (NTP) of both machines"
            );
        }
        let took_certs = !certs.is_empty();
        let input = Input {
            peer: peer_city,
            batch,
            certs,
            retry: None,
        };
        let applied = self.commit_screened(input, screened).await?;
        if applied.report.applied > 0 || took_certs {
            // What this batch brought may let parked events pass.
            self.parked.wake();
        }
        self.count(peer.as_str(), &applied);
        let parked = applied.parked;
        let mut r = applied.report;
        r.clock_ahead = ahead;
        r.clock_ahead_ms = u64::try_from(ahead_by.as_millis()).unwrap_or(u64::MAX);
        if had_events {
            tracing::info!(
                peer = %peer,
                applied = r.applied,
                duplicates = r.duplicates,
                rejected = r.rejected,
                pending = r.pending,
                parked,
                cursor = r.cursor_seq,
                "applied batch from peer"
            );
        }
        Ok(r)
    }

    fn prepare(&self, peer: &PeerCity, batch: &Arc<SyncBatch>) {
        self.add_certs(peer, batch);
        let (state, city, b) = (self.state.clone(), peer.as_str().to_owned(), batch.clone());
        let screened = tokio::task::spawn_blocking(move || screen(&state, &city, &b, false));
        let prepared = Prepared {
            batch: batch.clone(),
            screened,
        };
        lock(&self.prepared).insert(peer.as_str().to_owned(), prepared);
    }
}

/// A batch to commit: from a peer's stream, or parked events tried again.
struct Input {
    peer: String,
    batch: Arc<SyncBatch>,
    /// Signer certificates to keep with it.
    certs: Vec<Vec<u8>>,
    /// For a retry: when each event was first parked.
    retry: Option<HashMap<EventId, u64>>,
}

impl NodeSink {
    /// Locks the records the screened batch touches, plans and commits it, and flushes
    /// behind it.
    async fn commit_screened(
        &self,
        input: Input,
        screened: apply::Screened,
    ) -> Result<Applied, SyncError> {
        let records = screened.records(&lock(&self.pending), &input.peer);
        // Only the records this batch touches wait for each other; client writes to
        // other records go on.
        let guards = self.state.records.lock_all(records).await;
        let state = self.state.clone();
        let (pending, parked) = (self.pending.clone(), self.parked.clone());
        let applied = tokio::task::spawn_blocking(move || {
            // Held until the commit is done, even if this future is dropped meanwhile.
            let _guards = guards;
            apply_blocking(&state, &pending, &parked, &input, screened)
        })
        .await
        .map_err(|e| SyncError::Store(format!("storage task failed: {e}")))??;
        if applied.committed {
            // The events and the cursor are committed together, so a crash before the
            // flush loses both and the peer sends them again. The next batch need not
            // wait: the events are served on only once the flush made them durable.
            let state = self.state.clone();
            let last = applied.last_seq;
            tokio::spawn(async move {
                if let Err(e) = state.flush_through(last).await {
                    tracing::error!("flushing a batch from a peer failed: {e}");
                }
            });
        }
        Ok(applied)
    }

    /// Adds the batch's signer certificates to the directory; returns those to keep: the
    /// ones it took, and the ones refused for now (not valid yet by this clock), which
    /// [`restore_signer_certs`] offers again when parked events are retried.
    fn add_certs(&self, peer: &PeerCity, batch: &SyncBatch) -> Vec<Vec<u8>> {
        let mut certs = Vec::new();
        for der in &batch.signer_certs {
            match self.state.signers.add_cert(der) {
                Ok(_) => certs.push(der.clone()),
                Err(e) if e.may_pass_later() => {
                    tracing::warn!(peer = %peer, "signer certificate from peer kept for later: {e}");
                    certs.push(der.clone());
                }
                Err(e) => {
                    tracing::warn!(peer = %peer, "signer certificate from peer not added: {e}")
                }
            }
        }
        certs
    }

    /// The batch's new events with their signatures checked: prepared ahead when the
    /// worker said this batch was next, else now.
    async fn screened(
        &self,
        peer: &str,
        batch: &Arc<SyncBatch>,
    ) -> Result<apply::Screened, SyncError> {
        let ahead = lock(&self.prepared).remove(peer);
        if let Some(p) = ahead.filter(|p| Arc::ptr_eq(&p.batch, batch)) {
            return p
                .screened
                .await
                .map_err(|e| SyncError::Store(format!("signature check failed: {e}")))?;
        }
        let (state, city, b) = (self.state.clone(), peer.to_owned(), batch.clone());
        tokio::task::spawn_blocking(move || screen(&state, &city, &b, false))
            .await
            .map_err(|e| SyncError::Store(format!("signature check failed: {e}")))?
    }
}

/// Drops what is held and checks the signatures of the rest of a batch.
fn screen(
    state: &NodeState,
    peer: &str,
    batch: &SyncBatch,
    retry: bool,
) -> Result<apply::Screened, SyncError> {
    let view = batch_view(&state.config.city, peer, batch, retry);
    apply::screen(state.store.as_ref(), &state.signers, &view).map_err(store_error)
}

/// The batch as the planner reads it.
fn batch_view<'a>(
    own: &'a str,
    peer: &'a str,
    batch: &'a SyncBatch,
    retry: bool,
) -> apply::Batch<'a> {
    apply::Batch {
        own,
        peer,
        log_id: &batch.log_id,
        covered_seq: batch.covered_seq,
        covered_event_id: &batch.covered_event_id,
        events: &batch.events,
        retry,
    }
}

impl NodeSink {
    fn count(&self, peer: &str, applied: &Applied) {
        let mut counters = lock(&self.counters);
        let c = counters.entry(peer.to_owned()).or_default();
        c.applied += applied.report.applied as u64;
        c.duplicates += applied.report.duplicates as u64;
        c.rejected += applied.report.rejected as u64;
        for (city, c) in counters.iter_mut() {
            c.pending = applied.pending_by_peer.get(city).copied().unwrap_or(0);
        }
    }
}

/// Keeps the batch's signer certificates, plans the batch under the pending lock, commits
/// it, then replaces the pending set. The caller holds the locks of the batch's records.
fn apply_blocking(
    state: &NodeState,
    pending: &Mutex<Pending>,
    parked: &parked::Parked,
    input: &Input,
    screened: apply::Screened,
) -> Result<Applied, SyncError> {
    let store: &dyn Store = state.store.as_ref();
    let peer = input.peer.as_str();
    // Kept before the commit, so events that need them never outlive them in a crash.
    store.add_signer_certs(&input.certs).map_err(store_error)?;
    let mut pending = lock(pending);
    let view = batch_view(
        &state.config.city,
        peer,
        &input.batch,
        input.retry.is_some(),
    );
    let mut plan = apply::plan(store, &pending, view, screened).map_err(store_error)?;
    match &input.retry {
        Some(since) => parked::keep_or_give_up(&mut plan, since),
        None => parked.make_room(peer, plan.commit.park.len())?,
    }
    plan.commit.log_proofs = gossip::compare(store, peer, &input.batch).map_err(store_error)?;
    let stored_cursor = store.cursor(peer).map_err(store_error)?;
    let c = &plan.commit;
    let unchanged = c.events.is_empty()
        && c.park.is_empty()
        && c.unpark.is_empty()
        && c.log_proofs.is_empty()
        && c.cursor
            .as_ref()
            .is_none_or(|(_, c)| Some(c) == stored_cursor.as_ref());
    let mut seqs = Vec::new();
    if !unchanged {
        seqs = store
            .commit(std::mem::take(&mut plan.commit))
            .map_err(store_error)?;
    }
    if input.retry.is_none() {
        parked.add(peer, plan.parked);
    }
    *pending = std::mem::take(&mut plan.pending);
    let pending_by_peer = pending
        .iter()
        .map(|(p, waiting)| (p.clone(), waiting.len() as u64))
        .collect();
    Ok(Applied {
        report: ApplyReport {
            applied: seqs.len(),
            duplicates: plan.duplicates,
            rejected: plan.rejected,
            pending: plan.pending_from_peer,
            cursor_seq: plan.cursor_seq,
            // Filled in by the caller, which screened the batch.
            clock_ahead: 0,
            clock_ahead_ms: 0,
        },
        parked: plan.parked,
        last_seq: seqs.iter().copied().max().unwrap_or(0),
        committed: !unchanged,
        pending_by_peer,
    })
}
