//! Following B's records for the live scenario. Preferred: `Records/Watch` (a stream of
//! changed records from a log position, then live), called through tonic's generic
//! client with the message shapes declared here, so the bench builds and runs against
//! nodes with or without that RPC: a node that answers UNIMPLEMENTED is polled with
//! `Records/Get` instead (see `live.rs`).
//!
//! [`Arrivals`] pairs each record's ack at A with its first appearance on B's stream,
//! whichever comes first (the stream can, rarely, beat the ack back to the client).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use lianluo_proto::Record;
use tonic::codec::Streaming;
use tonic::codegen::http::uri::PathAndQuery;
use tonic::transport::Channel;
use tonic::Code;

use crate::stats::Samples;

/// `lianluo.v1.WatchRequest` (records.proto).
#[derive(Clone, PartialEq, prost::Message)]
pub struct WatchRequest {
    /// Log position to follow from; 0 for every record held.
    #[prost(uint64, tag = "1")]
    pub since: u64,
}

/// `lianluo.v1.WatchResponse` (records.proto).
#[derive(Clone, PartialEq, prost::Message)]
pub struct WatchResponse {
    /// Records changed since the previous response, as they are now.
    #[prost(message, repeated, tag = "1")]
    pub records: Vec<Record>,
    /// Position reached.
    #[prost(uint64, tag = "2")]
    pub cursor: u64,
    /// Everything held up to `cursor` has been sent.
    #[prost(bool, tag = "3")]
    pub caught_up: bool,
}

/// Opens `Watch` from the start at the node behind `channel` and reads until it says it
/// has caught up; `None` when the node does not implement Watch.
pub async fn open_watch(channel: Channel) -> Result<Option<Streaming<WatchResponse>>> {
    let mut grpc = tonic::client::Grpc::new(channel);
    grpc.ready().await.context("channel not ready")?;
    let codec = tonic_prost::ProstCodec::<WatchRequest, WatchResponse>::default();
    let path = PathAndQuery::from_static("/lianluo.v1.Records/Watch");
    let req = tonic::Request::new(WatchRequest { since: 0 });
    let mut stream = match grpc.server_streaming(req, path, codec).await {
        Ok(r) => r.into_inner(),
        Err(s) if s.code() == Code::Unimplemented => return Ok(None),
        Err(s) => return Err(s).context("Watch refused"),
    };
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(30), stream.message())
            .await
            .context("Watch did not catch up within 30 s")?;
        match msg {
            Ok(Some(r)) if r.caught_up => return Ok(Some(stream)),
            Ok(Some(_)) => {}
            Ok(None) => anyhow::bail!("Watch ended before catching up"),
            Err(s) if s.code() == Code::Unimplemented => return Ok(None),
            Err(s) => return Err(s).context("Watch failed"),
        }
    }
}

/// Reads the stream until it ends, marking every record seen.
pub async fn follow(mut stream: Streaming<WatchResponse>, arrivals: Arc<Arrivals>) -> Result<()> {
    while let Some(resp) = stream.message().await? {
        let now = Instant::now();
        for r in resp.records {
            arrivals.seen(r.id, now);
        }
    }
    Ok(())
}

enum Mark {
    Acked(Instant),
    Seen(Instant),
}

#[derive(Default)]
struct Inner {
    pending: HashMap<String, Mark>,
    latency: Samples,
    early: u64,
}

/// Acks and sightings, paired by record id into ack → seen latencies.
#[derive(Default)]
pub struct Arrivals {
    inner: Mutex<Inner>,
}

impl Arrivals {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A's ack of `id` at `at`.
    pub fn acked(&self, id: String, at: Instant) {
        let mut g = self.lock();
        match g.pending.remove(&id) {
            Some(Mark::Seen(seen)) => {
                g.early += 1;
                g.latency.push(seen.saturating_duration_since(at));
            }
            _ => {
                g.pending.insert(id, Mark::Acked(at));
            }
        }
    }

    /// `id` appeared on B's stream at `at`.
    pub fn seen(&self, id: String, at: Instant) {
        let mut g = self.lock();
        match g.pending.get(&id) {
            Some(Mark::Acked(acked)) => {
                let d = at.saturating_duration_since(*acked);
                g.pending.remove(&id);
                g.latency.push(d);
            }
            Some(Mark::Seen(_)) => {}
            None => {
                g.pending.insert(id, Mark::Seen(at));
            }
        }
    }

    /// Acked records not seen yet.
    pub fn outstanding(&self) -> u64 {
        let g = self.lock();
        g.pending
            .values()
            .filter(|m| matches!(m, Mark::Acked(_)))
            .count() as u64
    }

    /// The latencies so far, and how many records were seen before their ack arrived.
    pub fn take(&self) -> (Samples, u64) {
        let mut g = self.lock();
        (std::mem::take(&mut g.latency), g.early)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acks_and_sightings_pair_up_in_either_order() {
        let a = Arrivals::default();
        let t = Instant::now();
        a.acked("x".into(), t);
        a.seen("y".into(), t + Duration::from_millis(1));
        assert_eq!(a.outstanding(), 1);
        a.seen("x".into(), t + Duration::from_millis(2));
        a.acked("y".into(), t + Duration::from_millis(3));
        assert_eq!(a.outstanding(), 0);
        let (mut lat, early) = a.take();
        assert_eq!(early, 1);
        assert_eq!(lat.len(), 2);
        assert!((lat.max_ms() - 2.0).abs() < 1e-9);
    }
}
