//! The storage limit under durable creates: N threads inserting ~1 KB values into a
//! sled 0.34 database in a temp dir, each insert made durable before the thread goes on,
//! with flushes shared group-commit style — one flusher thread flushes whatever was
//! inserted since its last flush and wakes every waiter it covered. In process, no gRPC,
//! no TLS, no signing, one key per insert: what the disk and sled allow at that
//! concurrency, which a node writing several keys per event cannot beat.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::Instant;

use anyhow::{anyhow, Result};

use crate::clients::{Phase, Window};

/// Bytes per inserted value.
pub const VALUE_BYTES: usize = 1024;

#[derive(Default)]
struct Flushes {
    /// Highest ticket a waiter needs flushed.
    requested: u64,
    /// Every insert with a ticket up to this is durable.
    flushed: u64,
    stop: bool,
    error: Option<String>,
}

#[derive(Default)]
struct Group {
    state: Mutex<Flushes>,
    wanted: Condvar,
    done: Condvar,
    /// Tickets: taken after an insert returns, so ticket t's insert precedes the flush
    /// that covers t.
    tickets: AtomicU64,
}

impl Group {
    fn lock(&self) -> std::sync::MutexGuard<'_, Flushes> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits until the insert holding `ticket` is flushed.
    fn wait_durable(&self, ticket: u64) -> Result<()> {
        let mut st = self.lock();
        if st.requested < ticket {
            st.requested = ticket;
            self.wanted.notify_one();
        }
        while st.flushed < ticket && !st.stop && st.error.is_none() {
            st = self.done.wait(st).unwrap_or_else(PoisonError::into_inner);
        }
        match &st.error {
            Some(e) => Err(anyhow!("sled flush failed: {e}")),
            None => Ok(()),
        }
    }

    /// The flusher: one flush per batch of waiting tickets.
    fn flusher(&self, db: &sled::Db) {
        loop {
            let target = {
                let mut st = self.lock();
                while st.requested <= st.flushed && !st.stop {
                    st = self.wanted.wait(st).unwrap_or_else(PoisonError::into_inner);
                }
                if st.stop {
                    return;
                }
                st.requested
            };
            let result = db.flush();
            let mut st = self.lock();
            match result {
                Ok(_) => st.flushed = target,
                Err(e) => st.error = Some(e.to_string()),
            }
            self.done.notify_all();
        }
    }

    fn stop(&self) {
        self.lock().stop = true;
        self.wanted.notify_all();
        self.done.notify_all();
    }
}

/// Runs `threads` inserters with group flush for `window`; counts durable inserts that
/// complete inside the measured window.
pub fn group_commit(threads: usize, window: Window) -> Result<Phase> {
    let dir = tempfile::Builder::new()
        .prefix("lianluo-bench-sled-")
        .tempdir()?;
    crate::cleanup::register(dir.path());
    let db = sled::open(dir.path().join("db"))?;
    let group = Arc::new(Group::default());
    let keys = Arc::new(AtomicU64::new(0));
    let start = Instant::now() + window.warmup;
    let end = start + window.run;
    let phase = std::thread::scope(|s| -> Result<Phase> {
        let flusher = {
            let (g, db) = (group.clone(), &db);
            s.spawn(move || g.flusher(db))
        };
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                let (g, db, keys) = (group.clone(), &db, keys.clone());
                s.spawn(move || inserter(&g, db, &keys, start, end))
            })
            .collect();
        let mut phase = Phase {
            window: window.run,
            ..Phase::default()
        };
        let mut first_err = None;
        for w in workers {
            match w.join() {
                Ok(Ok(p)) => {
                    phase.ok += p.ok;
                    phase.samples.extend(&p.samples);
                }
                Ok(Err(e)) => first_err = first_err.or(Some(e)),
                Err(_) => first_err = first_err.or(Some(anyhow!("an inserter panicked"))),
            }
        }
        group.stop();
        let _ = flusher.join();
        match first_err {
            Some(e) => Err(e),
            None => Ok(phase),
        }
    })?;
    drop(db);
    Ok(phase)
}

fn inserter(
    group: &Group,
    db: &sled::Db,
    keys: &AtomicU64,
    start: Instant,
    end: Instant,
) -> Result<Phase> {
    let value = vec![0x5au8; VALUE_BYTES];
    let mut phase = Phase::default();
    loop {
        let began = Instant::now();
        let key = keys.fetch_add(1, Ordering::Relaxed);
        db.insert(key.to_be_bytes(), value.as_slice())?;
        let ticket = group.tickets.fetch_add(1, Ordering::SeqCst) + 1;
        group.wait_durable(ticket)?;
        let done = Instant::now();
        if done >= start && done <= end {
            phase.ok += 1;
            phase.samples.push(done - began);
        }
        if done >= end {
            return Ok(phase);
        }
    }
}
