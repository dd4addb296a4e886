//! [`NodeSource`]: what this node serves to a peer city from its log.

use std::collections::HashMap;
use std::sync::Arc;

use lianluo_federation::identity::PeerCity;
use lianluo_federation::sync::{SourceBatch, SyncError, SyncSource};
use lianluo_proto::{change::Kind, EventBody, SignedEvent};
use prost::Message;

use super::{blocking, store_error};
use crate::domain::RecordId;
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
        self.state.members.current().is_peer(city.as_str())
    }

    async fn checkpoints(&self, city: &PeerCity) -> Vec<lianluo_proto::LogCheckpoint> {
        let others: Vec<String> = self
            .state
            .config
            .peers
            .iter()
            .map(|p| p.city.clone())
            .filter(|p| p != city.as_str())
            .collect();
        let store = self.state.store.clone();
        let read = tokio::task::spawn_blocking(move || {
            others
                .into_iter()
                .filter_map(|peer| {
                    let c = store.cursor(&peer).ok().flatten()?;
                    (c.seq > 0 && !c.event_id.is_empty()).then_some(lianluo_proto::LogCheckpoint {
                        log_id: c.log_id,
                        seq: c.seq,
                        event_id: c.event_id,
                        city: peer,
                    })
                })
                .collect()
        });
        read.await.unwrap_or_default()
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

    async fn event_id_at(&self, seq: u64) -> Result<Option<String>, SyncError> {
        let Some(after) = seq.checked_sub(1) else {
            return Ok(None);
        };
        blocking(&self.state.store, move |store| {
            let entries = store.log_after(after, 1).map_err(store_error)?;
            Ok(entries
                .into_iter()
                .find(|e| e.seq == seq)
                .map(|e| e.id.hex()))
        })
        .await
    }

    fn durable_head(&self) -> tokio::sync::watch::Receiver<u64> {
        self.state.durable.subscribe()
    }

    fn signer_certs(&self) -> Vec<Vec<u8>> {
        self.state.signers.certs()
    }

    async fn figures(&self, year: u32) -> Result<lianluo_proto::CityFigures, tonic::Status> {
        crate::dashboard::local_figures(&self.state, year)
            .await
            .map_err(|e| crate::error::to_status(&e))
    }
}

/// Reads the log after `after` (up to `up_to`, at most `limit` entries examined and about
/// `limit` events returned) keeping what `city` may see.
///
/// An event is visible when its record's current participants include `city`. When
/// `city` was added to a record after its creation, the record's events before the last
/// `participant_added(city)` are not served at their own seqs: they follow that event,
/// under its seq, so seqs never go backwards. The receiver only takes a record once its
/// fold lists it as a participant, so the events that make the fold say so travel in one
/// group; a group split across parts waits at the receiver for the rest (the server never
/// covers a seq inside a split group).
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
    let mut visible: HashMap<RecordId, Option<u64>> = HashMap::new();
    for entry in entries {
        if entry.seq > up_to {
            break;
        }
        batch.covered_seq = entry.seq;
        let Some(added_at) = visibility(store, &mut visible, &entry.record_id, city)? else {
            continue;
        };
        if entry.seq < added_at {
            // Served after the last participant_added(city), at `added_at`.
            continue;
        }
        let (seq, record_id) = (entry.seq, entry.record_id.clone());
        batch.events.push((seq, entry.signed));
        if seq == added_at && added_at > 0 {
            for earlier in record_events(store, &record_id)? {
                if earlier.seq < seq {
                    batch.events.push((seq, earlier.signed));
                }
            }
        }
        if batch.events.len() >= limit {
            break;
        }
    }
    Ok(batch)
}

/// Whether `city` may see record `record_id` (its stored state lists `city`), and if so
/// from which seq its events are served at their own seqs: 0 when the creation lists
/// `city`, else the seq of the last `participant_added(city)` (cached per read).
fn visibility(
    store: &dyn Store,
    cache: &mut HashMap<RecordId, Option<u64>>,
    record_id: &RecordId,
    city: &str,
) -> Result<Option<u64>, StoreError> {
    if let Some(&v) = cache.get(record_id) {
        return Ok(v);
    }
    let state = store.record(record_id)?.and_then(|e| e.state);
    let v = match state {
        Some(s) if s.participants().iter().any(|p| p == city) => {
            if s.founded_with(city) {
                Some(0)
            } else {
                // Only for a city added after the creation: read the record's events.
                let added_at = record_events(store, record_id)?
                    .iter()
                    .filter(|e| adds_city(&e.signed, city))
                    .map(|e| e.seq)
                    .max();
                Some(added_at.unwrap_or(0))
            }
        }
        _ => None,
    };
    cache.insert(record_id.clone(), v);
    Ok(v)
}

/// A record's events in log order.
fn record_events(store: &dyn Store, record_id: &RecordId) -> Result<Vec<StoredEvent>, StoreError> {
    let mut events = store
        .history(record_id)?
        .into_iter()
        .map(|step| {
            store.event(&step.event)?.ok_or_else(|| {
                StoreError::Corrupt(format!(
                    "history of {record_id} names missing event {}",
                    step.event
                ))
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    events.sort_by_key(|e| e.seq);
    Ok(events)
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
