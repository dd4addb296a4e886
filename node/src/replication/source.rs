//! [`NodeSource`]: what this node serves to a peer city from its log.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use lianluo_federation::identity::PeerCity;
use lianluo_federation::sync::{SourceBatch, SyncError, SyncSource};
use lianluo_proto::{change::Kind, EventBody, SignedEvent};
use prost::Message;

use super::{blocking, store_error};
use crate::state::NodeState;
use crate::store::{Store, StoreError, StoredEvent};

/// The serving side of replication over a node's state.
#[derive(Clone)]
pub struct NodeSource {
    /// The node whose log is served.
    pub state: Arc<NodeState>,
}

impl NodeSource {
    /// A source over `state`.
    pub fn new(state: Arc<NodeState>) -> Self {
        Self { state }
    }
}

#[tonic::async_trait]
impl SyncSource for NodeSource {
    fn log_id(&self) -> String {
        self.state.store.meta().log_id.clone()
    }

    fn is_peer(&self, city: &PeerCity) -> bool {
        self.state.config.is_peer(city.as_str())
    }

    async fn read(
        &self,
        city: &PeerCity,
        after_seq: u64,
        up_to: u64,
        limit: usize,
    ) -> Result<SourceBatch, SyncError> {
        let city = city.as_str().to_owned();
        blocking(&self.state.store, move |store| {
            read_for(store, &city, after_seq, up_to, limit).map_err(store_error)
        })
        .await
    }

    fn durable_head(&self) -> tokio::sync::watch::Receiver<u64> {
        self.state.durable.subscribe()
    }

    fn signer_certs(&self) -> Vec<Vec<u8>> {
        self.state.signers.certs()
    }
}

/// Reads the log after `after` (up to `up_to`, at most `limit` entries examined and about
/// `limit` events returned) keeping what `city` may see.
///
/// An event is visible when its record's current participants include `city`. When the
/// event adds `city` to a record, the record's earlier events not served in this read
/// follow it: `city` may have passed them in the log before it was a participant. They
/// carry the seq of the `participant_added` event, so seqs never go backwards, and they
/// come after it, so the receiver knows it participates even if the batch is split; it
/// holds `participant_added` (its parents are among them) until they are in, so its
/// cursor does not pass them before they are stored.
pub(crate) fn read_for(
    store: &dyn Store,
    city: &str,
    after: u64,
    up_to: u64,
    limit: usize,
) -> Result<SourceBatch, StoreError> {
    let mut batch = SourceBatch {
        events: Vec::new(),
        covered_seq: after,
    };
    if up_to <= after || limit == 0 {
        return Ok(batch);
    }
    let span = usize::try_from(up_to - after).unwrap_or(usize::MAX);
    let entries = store.log_after(after, limit.min(span))?;
    let mut visible: HashMap<String, bool> = HashMap::new();
    let mut served: HashSet<String> = HashSet::new();
    for entry in entries {
        if entry.seq > up_to {
            break;
        }
        batch.covered_seq = entry.seq;
        if !is_visible(store, &mut visible, &entry.record_id, city)? {
            continue;
        }
        let (seq, record_id) = (entry.seq, entry.record_id.clone());
        let adds = adds_city(&entry.signed, city);
        if !served.contains(&entry.id) {
            push(&mut batch.events, &mut served, seq, entry);
        }
        if adds {
            for earlier in store.record_events(&record_id)? {
                if earlier.seq < seq && !served.contains(&earlier.id) {
                    push(&mut batch.events, &mut served, seq, earlier);
                }
            }
        }
        if batch.events.len() >= limit {
            break;
        }
    }
    Ok(batch)
}

/// Adds `e` to the batch under `seq` (its own, or that of the event that re-serves it).
fn push(
    events: &mut Vec<(u64, SignedEvent)>,
    served: &mut HashSet<String>,
    seq: u64,
    e: StoredEvent,
) {
    served.insert(e.id);
    events.push((seq, e.signed));
}

/// Whether the stored view of `record_id` lists `city` as a participant (cached per read).
fn is_visible(
    store: &dyn Store,
    cache: &mut HashMap<String, bool>,
    record_id: &str,
    city: &str,
) -> Result<bool, StoreError> {
    if let Some(&v) = cache.get(record_id) {
        return Ok(v);
    }
    let v = store
        .record(record_id)?
        .is_some_and(|r| r.participants.iter().any(|p| p == city));
    cache.insert(record_id.to_owned(), v);
    Ok(v)
}

/// Whether the event is `participant_added` naming `city`.
fn adds_city(signed: &SignedEvent, city: &str) -> bool {
    EventBody::decode(signed.body.as_slice()).is_ok_and(|b| {
        matches!(
            b.change.and_then(|c| c.kind),
            Some(Kind::ParticipantAdded(p)) if p.city == city
        )
    })
}
