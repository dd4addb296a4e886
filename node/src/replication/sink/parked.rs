//! Events refused for a reason that may pass later are parked in the store (see
//! [`crate::store::ParkedEvent`]) and tried again: at once after a batch brings events or
//! signer certificates, and every [`RETRY_EVERY`] (this node's clock may have caught up
//! with a certificate). A retry offers the kept signer certificates to the directory
//! again, then runs the parked events through the same screening and planning as a
//! batch from their peer: stored ones and ones refused for good are unparked, the rest
//! stay. At most [`PARKED_MAX`] events from one peer are parked: a batch that would park more is
//! refused whole (its peer sends it again later), so a peer cannot fill the disk with
//! events that never pass, and nothing is dropped.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use lianluo_federation::sync::SyncError;
use lianluo_proto::{SyncBatch, SyncEvent};
use tokio::sync::Notify;

use super::{blocking, restore_signer_certs, store_error, Input, NodeSink};
use crate::domain::EventId;
use crate::store::ParkedEvent;

/// How often parked events are tried again when nothing else wakes the retry.
pub const RETRY_EVERY: Duration = Duration::from_secs(30);

/// Most events kept parked at once from one peer.
pub const PARKED_MAX: u64 = 50_000;

/// The least time between two retries (a retry verifies every parked event again).
const MIN_GAP: Duration = Duration::from_secs(2);

/// Parked events read per page while retrying.
const PAGE: usize = 1_000;

/// How long an event stays parked before it is refused for good (its parent never came
/// from any participant, its signer certificate never became known).
pub const PARK_FOR: Duration = Duration::from_secs(7 * 24 * 3600);

/// For a retry's plan: events parked again keep the time they were first parked; those
/// parked for longer than [`PARK_FOR`] are refused for good instead.
pub(super) fn keep_or_give_up(plan: &mut super::apply::Plan, since: &HashMap<EventId, u64>) {
    let now = crate::clock::now_ms();
    let limit = u64::try_from(PARK_FOR.as_millis()).unwrap_or(u64::MAX);
    let before = plan.commit.park.len();
    plan.commit.park.retain_mut(|p| {
        p.since_ms = since.get(&p.id).copied().unwrap_or(p.since_ms);
        let keep = now.saturating_sub(p.since_ms) < limit;
        if !keep {
            tracing::warn!(
                peer = %p.peer,
                event = %p.id,
                "parked event refused for good after {} days: {}",
                PARK_FOR.as_secs() / 86_400,
                p.reason
            );
        }
        keep
    });
    plan.rejected += before - plan.commit.park.len();
    plan.parked = plan.commit.park.len();
}

/// The sink's view of the parked events: how many per peer (an upper bound between
/// retries, exact after one), and the signal that wakes the retry task.
#[derive(Debug, Default)]
pub(crate) struct Parked {
    counts: Mutex<BTreeMap<String, u64>>,
    wake: Notify,
}

impl Parked {
    fn counts(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, u64>> {
        self.counts.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Asks the retry task to run now (if anything is parked).
    pub fn wake(&self) {
        if self.counts().values().any(|n| *n > 0) {
            self.wake.notify_one();
        }
    }

    /// Counts `n` newly parked events from `peer`.
    pub fn add(&self, peer: &str, n: usize) {
        *self.counts().entry(peer.to_owned()).or_default() += n as u64;
    }

    /// Refuses a batch from `peer` that would park `n` events beyond [`PARKED_MAX`].
    pub fn make_room(&self, peer: &str, n: usize) -> Result<(), SyncError> {
        let now = self.counts().get(peer).copied().unwrap_or(0);
        if n > 0 && now + n as u64 > PARKED_MAX {
            return Err(SyncError::Store(format!(
                "{now} events from {peer} already wait here to be tried again (at most \
                 {PARKED_MAX}); its batch is refused whole and will be sent again later"
            )));
        }
        Ok(())
    }
}

/// What one retry did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RetryReport {
    /// Parked events tried.
    pub tried: usize,
    /// Stored now.
    pub stored: usize,
    /// Refused for good now.
    pub refused: usize,
    /// Still parked.
    pub parked: usize,
}

impl NodeSink {
    /// Tries every parked event again (see the module docs).
    pub async fn retry_parked(&self) -> Result<RetryReport, SyncError> {
        let state = self.state.clone();
        tokio::task::spawn_blocking(move || restore_signer_certs(&state))
            .await
            .map_err(|e| SyncError::Store(format!("reloading signer certificates failed: {e}")))?;
        let mut report = RetryReport::default();
        let mut counts = BTreeMap::new();
        let mut after: Option<EventId> = None;
        loop {
            let page = blocking(&self.state.store, move |s| {
                s.parked(after.as_ref(), PAGE).map_err(store_error)
            })
            .await?;
            let Some(last) = page.last() else { break };
            after = Some(last.id);
            let full = page.len() == PAGE;
            for (peer, events) in by_peer(page) {
                let still = self.retry_one(peer.clone(), events, &mut report).await?;
                *counts.entry(peer).or_default() += still as u64;
            }
            if !full {
                break;
            }
        }
        *self.parked.counts() = counts;
        Ok(report)
    }

    async fn retry_one(
        &self,
        peer: String,
        events: Vec<ParkedEvent>,
        report: &mut RetryReport,
    ) -> Result<usize, SyncError> {
        let since: HashMap<EventId, u64> = events.iter().map(|p| (p.id, p.since_ms)).collect();
        let batch = Arc::new(SyncBatch {
            log_id: String::new(),
            // Every event counts as covered: what still cannot pass is parked again.
            covered_seq: u64::MAX,
            events: events
                .into_iter()
                .map(|p| SyncEvent {
                    seq: 0,
                    event: Some(p.signed),
                })
                .collect(),
            ..SyncBatch::default()
        });
        let (state, city, b) = (self.state.clone(), peer.clone(), batch.clone());
        let screened = tokio::task::spawn_blocking(move || super::screen(&state, &city, &b, true))
            .await
            .map_err(|e| SyncError::Store(format!("signature check failed: {e}")))??;
        let tried = batch.events.len();
        let input = Input {
            peer,
            batch,
            certs: Vec::new(),
            retry: Some(since),
        };
        let applied = self.commit_screened(input, screened).await?;
        report.tried += tried;
        report.stored += applied.report.applied;
        report.refused += applied.report.rejected;
        report.parked += applied.parked;
        Ok(applied.parked)
    }
}

/// Parked events grouped by the peer they came from.
fn by_peer(page: Vec<ParkedEvent>) -> BTreeMap<String, Vec<ParkedEvent>> {
    let mut out: BTreeMap<String, Vec<ParkedEvent>> = BTreeMap::new();
    for p in page {
        out.entry(p.peer.clone()).or_default().push(p);
    }
    out
}

/// The `parked_retry` task: tries parked events again when woken, every
/// [`RETRY_EVERY`], and once at start (which also counts what earlier runs parked).
pub async fn run_retries(sink: Arc<NodeSink>, mut stop: tokio::sync::watch::Receiver<bool>) {
    loop {
        match sink.retry_parked().await {
            Ok(r) if r.tried > 0 => tracing::info!(
                tried = r.tried,
                stored = r.stored,
                refused = r.refused,
                still_parked = r.parked,
                "parked events tried again"
            ),
            Ok(_) => {}
            Err(e) => tracing::warn!("trying parked events again failed: {e}"),
        }
        tokio::select! {
            _ = stop.wait_for(|v| *v) => return,
            () = tokio::time::sleep(MIN_GAP) => {}
        }
        tokio::select! {
            _ = stop.wait_for(|v| *v) => return,
            () = sink.parked.wake.notified() => {}
            () = tokio::time::sleep(RETRY_EVERY - MIN_GAP) => {}
        }
    }
}
