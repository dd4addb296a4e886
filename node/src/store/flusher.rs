//! Group commit: many callers that each need "everything I committed is durable" share
//! one [`Store::flush`].
//!
//! A single task waits for a request, takes every request queued by then, runs one flush
//! on the blocking pool and answers all of them. A request that arrives while a flush
//! runs waits for the next one, so every answer comes from a flush that started after the
//! request was made.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tracing::Instrument;

use super::{Store, StoreError};

type Reply = oneshot::Sender<Result<(), StoreError>>;

enum Request {
    Flush(Reply),
    Shutdown(Reply),
}

impl Request {
    fn answer(self, result: Result<(), StoreError>) {
        let (Self::Flush(reply) | Self::Shutdown(reply)) = self;
        // The caller may have given up waiting; nothing to do then.
        let _ = reply.send(result);
    }
}

/// What a flush runs (the store's [`Store::flush`]).
pub type FlushFn = Arc<dyn Fn() -> Result<(), StoreError> + Send + Sync>;

/// Shares flushes of a [`Store`] among concurrent callers.
pub struct Flusher {
    requests: mpsc::UnboundedSender<Request>,
    stats: Arc<Stats>,
    task: Mutex<Option<JoinHandle<()>>>,
}

/// Totals of the flushes run so far, for `/metrics`.
#[derive(Debug, Default)]
struct Stats {
    flushes: AtomicU64,
    /// Callers answered (every acknowledged write is one).
    callers: AtomicU64,
    /// Time spent flushing, in microseconds.
    micros: AtomicU64,
}

/// What [`Flusher::totals`] reports.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct FlushTotals {
    /// Flushes run.
    pub flushes: u64,
    /// Callers they answered.
    pub callers: u64,
    /// Seconds spent flushing.
    pub seconds: f64,
}

impl Flusher {
    /// Starts the flusher task (in the `store_flusher` tracing span) on the current tokio
    /// runtime. Must be called from within a runtime.
    pub fn spawn(store: Arc<dyn Store>) -> Flusher {
        Self::spawn_fn(Arc::new(move || store.flush()))
    }

    /// Like [`Flusher::spawn`], running `flush` for each shared flush.
    pub fn spawn_fn(flush: FlushFn) -> Flusher {
        let (requests, rx) = mpsc::unbounded_channel();
        let stats = Arc::new(Stats::default());
        let span = tracing::info_span!("store_flusher");
        let task = tokio::spawn(run(flush, rx, Arc::clone(&stats)).instrument(span));
        Flusher {
            requests,
            stats,
            task: Mutex::new(Some(task)),
        }
    }

    /// Returns once a flush that started after this call has completed, so everything
    /// committed before the call is durable. Fails with [`StoreError::ShutDown`] after
    /// [`Flusher::shutdown`].
    pub async fn flush(&self) -> Result<(), StoreError> {
        let (reply, answer) = oneshot::channel();
        self.requests
            .send(Request::Flush(reply))
            .map_err(|_| StoreError::ShutDown)?;
        answer.await.map_err(|_| StoreError::ShutDown)?
    }

    /// Answers queued requests, runs a final flush and stops the task. Later
    /// [`Flusher::flush`] calls fail with [`StoreError::ShutDown`].
    pub async fn shutdown(&self) -> Result<(), StoreError> {
        let (reply, answer) = oneshot::channel();
        let result = match self.requests.send(Request::Shutdown(reply)) {
            Ok(()) => answer.await.unwrap_or(Err(StoreError::ShutDown)),
            Err(_) => Err(StoreError::ShutDown),
        };
        let task = self.task.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(task) = task {
            if let Err(e) = task.await {
                tracing::error!(error = %e, "store flusher task failed");
            }
        }
        result
    }

    /// Number of flushes run so far (each may have answered many callers).
    pub fn flushes(&self) -> u64 {
        self.stats.flushes.load(Ordering::SeqCst)
    }

    /// Flushes, callers answered and time spent so far.
    pub fn totals(&self) -> FlushTotals {
        FlushTotals {
            flushes: self.stats.flushes.load(Ordering::Relaxed),
            callers: self.stats.callers.load(Ordering::Relaxed),
            seconds: self.stats.micros.load(Ordering::Relaxed) as f64 / 1e6,
        }
    }
}

async fn run(store: FlushFn, mut rx: mpsc::UnboundedReceiver<Request>, stats: Arc<Stats>) {
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        while let Ok(more) = rx.try_recv() {
            batch.push(more);
        }
        let stop = batch.iter().any(|r| matches!(r, Request::Shutdown(_)));
        let result = flush_once(&store, &stats).await;
        stats
            .callers
            .fetch_add(batch.len() as u64, Ordering::Relaxed);
        tracing::trace!(callers = batch.len(), ok = result.is_ok(), "store flushed");
        for request in batch {
            request.answer(result.clone());
        }
        if stop {
            rx.close();
            // Requests sent after the final flush started were not covered by it.
            while let Ok(late) = rx.try_recv() {
                late.answer(Err(StoreError::ShutDown));
            }
            return;
        }
    }
    // Every handle was dropped without shutdown: still leave the store durable.
    if let Err(e) = flush_once(&store, &stats).await {
        tracing::error!(error = %e, "final store flush failed");
    }
}

async fn flush_once(flush: &FlushFn, stats: &Stats) -> Result<(), StoreError> {
    let flush = Arc::clone(flush);
    let started = std::time::Instant::now();
    let result = tokio::task::spawn_blocking(move || flush())
        .await
        .unwrap_or_else(|e| Err(StoreError::Io(format!("the flush task failed: {e}"))));
    let micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
    stats.micros.fetch_add(micros, Ordering::Relaxed);
    stats.flushes.fetch_add(1, Ordering::SeqCst);
    if let Err(e) = &result {
        tracing::error!(error = %e, "store flush failed");
    }
    result
}

#[cfg(test)]
mod tests;
