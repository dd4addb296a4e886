//! Catch-up: how fast a node that was down gets everything its peer wrote meanwhile.
//!
//! Hezhou (A) and Qingyuan (B) start; B stops; A writes N events that B participates in
//! (suggestions created at hezhou with partner qingyuan, then dispatched by hezhou: two
//! events per record, both replicated to qingyuan). Then B starts and we time from B's
//! process start until B has applied all N and made them durable, read from B's
//! `/metrics` (`lianluo_events_applied_total{peer="hezhou"}`, then
//! `lianluo_log_durable_seq` reaching `lianluo_log_last_seq`; B's HTTP port is fixed
//! beforehand so it can be polled from the moment the process starts, every 10 ms).
//!
//! Limits measured on the same N events before B starts (see [`limits`]): stream-only
//! (A serving the Sync stream to B's certificate) and verify-only (all cores checking
//! the signatures). The lower of the two binds. Full mode also runs the PostgreSQL
//! comparison script, if present.

mod limits;

use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use lianluo_tests::{eventually, Federation, NodeProc};

use crate::cluster::{free_port, user_channels};
use crate::probe::{sample_u64, scrape};
use crate::report::{Cmp, Report, Row, Unit};
use crate::stats::rate;
use crate::{env, pg, Ctx};

const S: &str = "catchup";
const A: &str = "hezhou";
const B: &str = "qingyuan";

/// How often B's metrics are polled during catch-up.
const POLL: Duration = Duration::from_millis(10);

/// What B's catch-up took.
struct Measured {
    /// Process start → all N applied.
    total: Duration,
    /// Process start → ready file written (part of `total`).
    ready: Duration,
}

/// A limit: events per second and what was measured.
struct Limit {
    rate: f64,
    what: String,
}

/// Runs the scenario and adds its rows.
pub fn run(ctx: &Ctx, report: &mut Report) -> Result<()> {
    let fed = crate::cluster::federation(ctx)?;
    let port = free_port()?;
    fed.set_config(B, "http", "listen", &format!("\"127.0.0.1:{port}\""))?;
    let a = fed.start(A)?;
    let mut b = fed.start(B)?;
    b.stop()?;
    drop(b);
    let (written, head) = write_while_down(ctx, report, &fed, &a)?;
    let (stream, verify) = limits(ctx, &fed, &a, head)?;
    let (m, b) = measure(&fed, port, written)?;
    check_after(report, &b)?;
    note_disk(report, &fed, written);
    report.note(
        S,
        format!(
            "{B} start → ready file {:.2} s of the {:.2} s; signal: {B}'s /metrics \
             lianluo_events_applied_total{{peer=\"{A}\"}} ≥ {written} and \
             lianluo_log_durable_seq ≥ lianluo_log_last_seq, polled every {} ms",
            m.ready.as_secs_f64(),
            m.total.as_secs_f64(),
            POLL.as_millis()
        ),
    );
    let (secs, ours) = (m.total.as_secs_f64(), rate(written, m.total));
    let bind = if stream.rate <= verify.rate {
        Limit {
            rate: stream.rate,
            what: "stream-only binds".into(),
        }
    } else {
        Limit {
            rate: verify.rate,
            what: "verify-only binds".into(),
        }
    };
    let time = Row::new(
        S,
        format!("catch-up {written} events: time"),
        secs,
        Unit::Secs,
    );
    report.push(time.limit(written as f64 / bind.rate, bind.what.clone()))?;
    // The target: at least half the binding limit's rate.
    let target = 0.5 * bind.rate;
    for (i, l) in [bind, stream, verify].into_iter().enumerate() {
        let row = Row::new(S, "catch-up rate", ours, Unit::PerSec).limit(l.rate, l.what);
        report.push(if i == 0 {
            row.target(Cmp::Ge, target)
        } else {
            row
        })?;
    }
    if ctx.sizes.full {
        pg::compare(report, S, secs, written)?;
    }
    Ok(())
}

/// Writes the scenario's events at A (B is down); returns how many and A's durable head.
fn write_while_down(
    ctx: &Ctx,
    report: &mut Report,
    fed: &Federation,
    a: &NodeProc,
) -> Result<(u64, u64)> {
    let records = ctx.sizes.catchup_events / 2;
    let started = Instant::now();
    let written = ctx.rt.block_on(async {
        let channels = user_channels(fed, a, "coordinator", ctx.sizes.writers).await?;
        crate::write::create_and_dispatch(&channels, A, B, records).await
    })?;
    let took = started.elapsed();
    let head = durable_head(a)?;
    report.note(
        S,
        format!(
            "wrote {written} events at {A} while {B} was down in {:.1} s ({:.0} events/s, \
             {} clients); {A}'s log head {head}, durable",
            took.as_secs_f64(),
            rate(written, took),
            ctx.sizes.writers
        ),
    );
    Ok((written, head))
}

/// Stream-only and verify-only on A's events up to `head`.
fn limits(ctx: &Ctx, fed: &Federation, a: &NodeProc, head: u64) -> Result<(Limit, Limit)> {
    let streamed = ctx.rt.block_on(limits::stream_only(fed, B, a, head))?;
    let n = streamed.events.len() as u64;
    let threads = env::cores();
    let verify = limits::verify_only(fed, &streamed.events, &streamed.signer_certs, threads)?;
    let stream = Limit {
        rate: rate(n, streamed.elapsed),
        what: format!(
            "stream-only Sync from {A} as {B}: {n} events, {:.1} MB in {:.2} s",
            streamed.bytes as f64 / 1e6,
            streamed.elapsed.as_secs_f64()
        ),
    };
    let verify = Limit {
        rate: rate(n, verify),
        what: format!(
            "verify-only, {threads} threads: {n} signatures in {:.2} s",
            verify.as_secs_f64()
        ),
    };
    Ok((stream, verify))
}

/// `node`'s log head once it is durable (from its `/metrics`).
fn durable_head(node: &NodeProc) -> Result<u64> {
    let http = node
        .http
        .as_deref()
        .context("the node announced no http address")?;
    eventually(Duration::from_secs(30), "a durable log head", || {
        let text = scrape(http).ok()?;
        let last = sample_u64(&text, "lianluo_log_last_seq").ok()?;
        let durable = sample_u64(&text, "lianluo_log_durable_seq").ok()?;
        (durable >= last).then_some(last)
    })
}

/// Whether the node at `addr` has applied `want` events (`series`) and made its whole
/// log durable: the sink counts a batch as applied before its flush, which runs behind
/// the next batch, so the clock stops only once the last one is durable too.
fn caught_up(addr: &str, series: &str, want: u64) -> bool {
    let Ok(text) = scrape(addr) else {
        return false;
    };
    let n = |s: &str| sample_u64(&text, s).ok();
    match (
        n(series),
        n("lianluo_log_last_seq"),
        n("lianluo_log_durable_seq"),
    ) {
        (Some(applied), Some(last), Some(durable)) => applied >= want && durable >= last,
        _ => false,
    }
}

/// Starts B and times it until it has applied `want` events from A, durably.
fn measure(fed: &Federation, port: u16, want: u64) -> Result<(Measured, NodeProc)> {
    let addr = format!("127.0.0.1:{port}");
    let series = format!("lianluo_events_applied_total{{peer=\"{A}\"}}");
    let timeout = Duration::from_secs(120).max(Duration::from_millis(want * 20));
    let t0 = Instant::now();
    let poller = std::thread::spawn(move || -> Result<Instant> {
        loop {
            if caught_up(&addr, &series, want) {
                return Ok(Instant::now());
            }
            if t0.elapsed() > timeout {
                bail!("{B} did not apply {want} events within {timeout:?}");
            }
            std::thread::sleep(POLL);
        }
    });
    let b = fed.start(B)?;
    let ready = t0.elapsed();
    let done = poller
        .join()
        .map_err(|_| anyhow::anyhow!("the catch-up poller panicked"))??;
    let m = Measured {
        total: done - t0,
        ready,
    };
    Ok((m, b))
}

/// Notes how many bytes each node's data dir holds per event right after the catch-up
/// (every event is a new record here: the worst case for bytes per event).
fn note_disk(report: &mut Report, fed: &Federation, events: u64) {
    for city in [A, B] {
        if let Ok(bytes) = crate::probe::disk_usage(&fed.data_dir(city)) {
            report.note(
                S,
                format!(
                    "{city}: {:.0} bytes on disk per event ({events} creations)",
                    bytes as f64 / events.max(1) as f64
                ),
            );
        }
    }
}

/// After catch-up, B must report lag 0 and no rejected event.
fn check_after(report: &mut Report, b: &NodeProc) -> Result<()> {
    let http = b.http.as_deref().context("no http address")?;
    let text = scrape(http)?;
    let lag = sample_u64(&text, &format!("lianluo_peer_lag_events{{peer=\"{A}\"}}"))?;
    let rejected = sample_u64(
        &text,
        &format!("lianluo_events_rejected_total{{peer=\"{A}\"}}"),
    )?;
    if lag != 0 || rejected != 0 {
        report.note(
            S,
            format!("after catch-up {B} reports lag {lag} and {rejected} rejected events"),
        );
    }
    Ok(())
}
