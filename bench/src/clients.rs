//! Closed-loop clients: each client sends one call, waits for the answer, and sends the
//! next, for a warm-up and then a measured window. An op counts (and its latency is kept)
//! when it COMPLETES inside the window, so the rate is completions per second of window
//! in steady state and is not biased by calls still in flight when the window closes.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Result;
use tonic::transport::Channel;

use crate::stats::{rate, Samples};

/// What one closed-loop phase measured.
#[derive(Debug, Default)]
pub struct Phase {
    /// Ops completed successfully inside the window.
    pub ok: u64,
    /// Ops that failed inside the window.
    pub errors: u64,
    /// The first failure, if any.
    pub first_error: Option<String>,
    /// Length of the measured window.
    pub window: Duration,
    /// Latencies of the successful ops completed inside the window.
    pub samples: Samples,
}

impl Phase {
    /// Successful ops per second of window.
    pub fn rate(&self) -> f64 {
        rate(self.ok, self.window)
    }

    fn merge(&mut self, other: Phase) {
        self.ok += other.ok;
        self.errors += other.errors;
        if self.first_error.is_none() {
            self.first_error = other.first_error;
        }
        self.samples.extend(&other.samples);
    }
}

/// Warm-up and measured window of a phase.
#[derive(Debug, Clone, Copy)]
pub struct Window {
    /// Time before the window during which results are discarded.
    pub warmup: Duration,
    /// The measured window.
    pub run: Duration,
}

/// Runs one closed-loop client per channel with `op` and returns what the window saw.
pub async fn closed_loop<F, Fut>(channels: &[Channel], window: Window, op: F) -> Result<Phase>
where
    F: Fn(Channel) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), tonic::Status>> + Send + 'static,
{
    let op = Arc::new(op);
    let start = Instant::now() + window.warmup;
    let end = start + window.run;
    let tasks: Vec<_> = channels
        .iter()
        .cloned()
        .map(|ch| {
            let op = op.clone();
            tokio::spawn(async move { client(ch, op, start, end).await })
        })
        .collect();
    let mut phase = Phase {
        window: window.run,
        ..Phase::default()
    };
    for t in tasks {
        phase.merge(t.await?);
    }
    Ok(phase)
}

async fn client<F, Fut>(ch: Channel, op: Arc<F>, start: Instant, end: Instant) -> Phase
where
    F: Fn(Channel) -> Fut,
    Fut: Future<Output = Result<(), tonic::Status>>,
{
    let mut phase = Phase::default();
    loop {
        let began = Instant::now();
        let result = op(ch.clone()).await;
        let done = Instant::now();
        if done >= start && done <= end {
            match result {
                Ok(()) => {
                    phase.ok += 1;
                    phase.samples.push(done - began);
                }
                Err(s) => {
                    phase.errors += 1;
                    if phase.first_error.is_none() {
                        phase.first_error = Some(format!("{:?}: {}", s.code(), s.message()));
                    }
                }
            }
        }
        if done >= end {
            return phase;
        }
    }
}
