//! `Records.Watch`: the records that changed after a position of this node's log, then
//! live. One task per stream reads the log in chunks (never past the durable head, so
//! nothing sent can vanish in a crash), renders each changed record once per chunk as it
//! is now (sent once every event it shows is durable), and waits for the durable head to
//! move; a quiet stream sends an empty response every [`HEARTBEAT`] so the client knows
//! it is alive.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use lianluo_proto::WatchResponse;
use tokio::sync::{mpsc, watch};
use tokio_stream::wrappers::ReceiverStream;
use tonic::Status;
use tracing::Instrument;

use crate::domain::RecordId;
use crate::error::{to_status, NodeError};
use crate::state::{today, NodeState};

/// A quiet stream sends an empty response this often.
pub const HEARTBEAT: Duration = Duration::from_secs(10);

/// Log entries read per response at most.
const CHUNK: usize = 256;

/// Responses buffered per stream before the task waits for the client to read.
const BUFFER: usize = 4;

/// The stream of one `Watch` call.
pub type WatchStream = ReceiverStream<Result<WatchResponse, Status>>;

/// Starts following this node's log after `since`; ends when the client goes away or
/// `stop` turns true.
pub fn start(
    state: Arc<NodeState>,
    since: u64,
    stop: Option<watch::Receiver<bool>>,
) -> WatchStream {
    let (tx, rx) = mpsc::channel(BUFFER);
    let span = tracing::debug_span!("watch", since);
    tokio::spawn(run(state, since, tx, stop).instrument(span));
    ReceiverStream::new(rx)
}

async fn run(
    state: Arc<NodeState>,
    since: u64,
    tx: mpsc::Sender<Result<WatchResponse, Status>>,
    mut stop: Option<watch::Receiver<bool>>,
) {
    let _open = Open::count(&state);
    let mut head = state.durable.subscribe();
    let mut cursor = since;
    if cursor > *head.borrow() {
        // A position this log never reached: the data dir was restored; start over.
        cursor = 0;
    }
    let mut announced = false;
    loop {
        let durable = *head.borrow_and_update();
        while cursor < durable {
            let (resp, covered) = match next_chunk(&state, cursor, durable).await {
                Ok(r) => r,
                Err(e) => {
                    let _ = tx.send(Err(to_status(&e))).await;
                    return;
                }
            };
            cursor = covered;
            announced |= resp.caught_up;
            if tx.send(Ok(resp)).await.is_err() {
                return;
            }
        }
        if !announced {
            announced = true;
            let now = WatchResponse {
                records: Vec::new(),
                cursor,
                caught_up: true,
            };
            if tx.send(Ok(now)).await.is_err() {
                return;
            }
        }
        tokio::select! {
            () = stopping(stop.as_mut()) => return,
            _ = tx.closed() => return,
            changed = head.changed() => if changed.is_err() { return },
            _ = tokio::time::sleep(HEARTBEAT) => {
                let beat = WatchResponse { records: Vec::new(), cursor, caught_up: true };
                if tx.send(Ok(beat)).await.is_err() {
                    return;
                }
            }
        }
    }
}

/// Counts an open stream in the node's metrics while it lives.
struct Open(Arc<NodeState>);

impl Open {
    fn count(state: &Arc<NodeState>) -> Open {
        state.watch_streams.fetch_add(1, Ordering::Relaxed);
        Open(state.clone())
    }
}

impl Drop for Open {
    fn drop(&mut self) {
        self.0.watch_streams.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Completes when the node shuts down; never without a shutdown signal.
async fn stopping(stop: Option<&mut watch::Receiver<bool>>) {
    match stop {
        // Mapped to (): the wait's guard must not live in a select's output.
        Some(stop) => {
            let _ = stop.wait_for(|s| *s).await;
        }
        None => std::future::pending().await,
    }
}

/// The next response after `cursor`, once every event it shows is durable: a record is
/// rendered as it is now, which may include an event newer than the chunk not yet
/// flushed; then that is waited for, so nothing sent can vanish.
async fn next_chunk(
    state: &NodeState,
    cursor: u64,
    durable: u64,
) -> Result<(WatchResponse, u64), NodeError> {
    let (resp, covered, latest) = changes(state, cursor, durable).await?;
    if latest > *state.durable.borrow() {
        state.flush_through(latest).await?;
    }
    Ok((resp, covered))
}

/// The records changed by log entries after `after` (at most [`CHUNK`], none past
/// `durable`), the position reached, and the log's head after rendering (the states sent
/// include no event past it).
async fn changes(
    state: &NodeState,
    after: u64,
    durable: u64,
) -> Result<(WatchResponse, u64, u64), NodeError> {
    super::write::blocking(state, move |s| {
        let entries = s.log_after(after, CHUNK)?;
        let mut covered = after;
        let mut ids: Vec<RecordId> = Vec::new();
        for e in entries.into_iter().take_while(|e| e.seq <= durable) {
            covered = e.seq;
            if !ids.contains(&e.record_id) {
                ids.push(e.record_id);
            }
        }
        let today = today();
        let mut records = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(entry) = s.record(&id)? {
                records.extend(crate::render::summary(&id, &entry, today));
            }
        }
        // Read after rendering: a commit the rendering saw has finished (it holds the
        // store's write lock until its seqs are counted), so its seqs are at most this.
        let latest = s.last_seq()?;
        let resp = WatchResponse {
            records,
            cursor: covered,
            caught_up: covered >= durable,
        };
        Ok((resp, covered, latest))
    })
    .await
}

#[cfg(test)]
mod tests;
