//! Live replication latency under steady load: with hezhou (A) and qingyuan (B) up and
//! connected, a writer at A creates suggestions shared with B at a steady rate; for each,
//! the time of A's acknowledgement is taken and B is watched for the record. The figure
//! is ack → readable at B; the targets are p50 ≤ 1 ms and p99 ≤ 3 ms.
//!
//! How B is watched: through B's `Records/Watch` stream when the node serves it
//! ([`follow`]); A's own Watch stream is followed too, and ack → on A's own stream (the
//! same notification path without replication) is printed as the limit. Otherwise a separate task per record polls `Records/Get` at B in a tight
//! loop until B answers it. A poll answers at most one `Get` round trip after the record
//! became readable, so then the `Get` round trip at B, measured on the very same polls,
//! is printed as the limit (the measurement's resolution).

mod follow;
mod poll;

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Result;
use lianluo_proto::records_client::RecordsClient;
use tokio::sync::Semaphore;
use tokio::task::JoinHandle;
use tokio::time::MissedTickBehavior;
use tonic::transport::Channel;

use self::follow::Arrivals;
use self::poll::Outcome;
use crate::cluster::user_channels;
use crate::payload::{create_suggestion, RequestIds};
use crate::report::{Cmp, Report, Row, Unit};
use crate::stats::{rate, Samples};
use crate::Ctx;

const S: &str = "live";
const A: &str = "hezhou";
const B: &str = "qingyuan";

/// A record not readable at B this long after its ack counts as missing.
const GIVE_UP: Duration = Duration::from_secs(10);

/// Creates in flight at A at most (the writer waits beyond that).
const MAX_IN_FLIGHT: usize = 32;

/// `Get` polls in flight at B at most, whatever the number of records awaited: polling
/// must not load B so much that it delays what it measures.
const MAX_POLLS: usize = 4;

/// Everything the run saw.
#[derive(Default)]
struct Seen {
    latency: Samples,
    get_rtt: Samples,
    acks: Samples,
    missing: u64,
    /// Watch mode: records seen on B's stream before A's ack reached the writer.
    early: u64,
    /// Watch mode: ack → the record on A's own Watch stream.
    local: Samples,
    failures: Vec<String>,
    acked: u64,
    elapsed: Duration,
}

/// Runs the scenario and adds its rows.
pub fn run(ctx: &Ctx, report: &mut Report) -> Result<()> {
    let fed = crate::cluster::federation(ctx)?;
    let a = fed.start(A)?;
    let b = fed.start(B)?;
    let (per_sec, secs) = (ctx.sizes.live_rate, ctx.sizes.live_secs);
    let (mut seen, watching) = ctx.rt.block_on(async {
        let writers = user_channels(&fed, &a, "coordinator", 4).await?;
        let readers = user_channels(&fed, &b, "viewer", 4).await?;
        let arrivals = watch_both(&writers[0], &readers[0]).await?;
        let follow = arrivals.as_ref();
        // Warm-up: the first records make sure the link is up before timing.
        let warm = drive(&writers, &readers, follow, 20, Duration::from_secs(1)).await?;
        anyhow::ensure!(warm.missing == 0, "warm-up records never reached {B}");
        let seen = drive(
            &writers,
            &readers,
            follow,
            per_sec,
            Duration::from_secs(secs),
        )
        .await?;
        anyhow::Ok((seen, arrivals.is_some()))
    })?;
    rows(report, &mut seen, watching, per_sec, secs)
}

/// Arrivals on B's and on A's own Watch stream; `None` if either node does not serve
/// Watch.
async fn watch_both(a: &Channel, b: &Channel) -> Result<Option<Watched>> {
    let (Some(at_b), Some(at_a)) = (
        follow::open_watch(b.clone()).await?,
        follow::open_watch(a.clone()).await?,
    ) else {
        return Ok(None);
    };
    let w = Watched {
        b: Arc::new(Arrivals::default()),
        a: Arc::new(Arrivals::default()),
    };
    tokio::spawn(follow::follow(at_b, w.b.clone()));
    tokio::spawn(follow::follow(at_a, w.a.clone()));
    Ok(Some(w))
}

/// Where records are seen in Watch mode.
#[derive(Clone)]
struct Watched {
    b: Arc<Arrivals>,
    a: Arc<Arrivals>,
}

/// Adds the scenario's rows and notes.
fn rows(
    report: &mut Report,
    seen: &mut Seen,
    watching: bool,
    per_sec: u64,
    secs: u64,
) -> Result<()> {
    let (lat, rtt, acks, local) = (
        seen.latency.summary(),
        seen.get_rtt.summary(),
        seen.acks.summary(),
        seen.local.summary(),
    );
    let how = if watching {
        format!(
            "{B}'s Records/Watch stream ({} records seen before their ack)",
            seen.early
        )
    } else {
        format!(
            "polling Records/Get at {B} (Watch not served): {} Gets, {:.0}/s",
            rtt.n,
            rate(rtt.n as u64, seen.elapsed)
        )
    };
    report.note(
        S,
        format!(
            "{} records in {secs} s; create ack at {A} p50 {:.2} ms p99 {:.2} ms; signal: {how}",
            seen.acked, acks.p50, acks.p99
        ),
    );
    for f in seen.failures.iter().take(3) {
        report.note(S, format!("failure: {f}"));
    }
    let (floor, what) = if watching {
        (local, format!("ack → on {A}'s own Watch, no replication"))
    } else {
        (rtt, format!("one Get at {B}, the poll resolution"))
    };
    let row = |f: &str, v: f64, l: f64| {
        Row::new(S, format!("ack→readable at B {f}"), v, Unit::Ms)
            .limit(l, format!("{f} of {what}"))
    };
    report.push(row("p50", lat.p50, floor.p50).target(Cmp::Le, 1.0))?;
    report.push(row("p99", lat.p99, floor.p99).target(Cmp::Le, 3.0))?;
    report.push(row("max", lat.max, floor.max))?;
    let achieved = rate(seen.acked, seen.elapsed);
    report.push(
        Row::new(
            S,
            format!("writer rate at A (asked {per_sec}/s)"),
            achieved,
            Unit::PerSec,
        )
        .target(Cmp::Ge, per_sec as f64 * 0.95),
    )?;
    report.push(
        Row::new(
            S,
            "records not readable at B within 10 s",
            seen.missing as f64,
            Unit::Count,
        )
        .target(Cmp::Le, 0.0),
    )?;
    report.push(
        Row::new(
            S,
            "failed creates or Gets",
            seen.failures.len() as f64,
            Unit::Count,
        )
        .target(Cmp::Le, 0.0),
    )
}

/// What one record's task returns: its ack latency (or why the create failed) and, when
/// polling, what the polls saw.
type Written = (Result<Duration, String>, Option<(Outcome, Samples)>);

/// Writes at `per_sec` for `dur` through `writers`, watching each record at B through
/// `arrivals` (B's Watch stream) or else by polling through `readers`.
async fn drive(
    writers: &[Channel],
    readers: &[Channel],
    arrivals: Option<&Watched>,
    per_sec: u64,
    dur: Duration,
) -> Result<Seen> {
    let ids = RequestIds::new();
    let total = per_sec * dur.as_secs().max(1);
    let mut ticker = tokio::time::interval(Duration::from_secs_f64(1.0 / per_sec.max(1) as f64));
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let permits = Arc::new(Semaphore::new(MAX_IN_FLIGHT));
    let polls = Arc::new(Semaphore::new(MAX_POLLS));
    let mut tasks: Vec<JoinHandle<Written>> = Vec::with_capacity(total as usize);
    let started = Instant::now();
    for i in 0..total as usize {
        ticker.tick().await;
        let permit = permits.clone().acquire_owned().await?;
        let w = RecordsClient::new(writers[i % writers.len()].clone());
        let r = readers[i % readers.len()].clone();
        let req = create_suggestion(ids.next(), &[B]);
        let (arrivals, polls) = (arrivals.cloned(), polls.clone());
        tasks.push(tokio::spawn(async move {
            let (ack, id) = create(w, req).await;
            drop(permit);
            let watched = match (&ack, id, arrivals) {
                (Ok((_, acked)), Some(id), Some(w)) => {
                    w.a.acked(id.clone(), *acked);
                    w.b.acked(id, *acked);
                    None
                }
                (Ok((_, acked)), Some(id), None) => {
                    Some(poll::watch(r, &polls, id, *acked, GIVE_UP).await)
                }
                _ => None,
            };
            (ack.map(|(d, _)| d), watched)
        }));
    }
    let mut seen = Seen::default();
    for t in tasks {
        let (ack, watched) = t.await?;
        tally(&mut seen, ack, watched);
    }
    seen.elapsed = started.elapsed();
    if let Some(w) = arrivals {
        let waited = Instant::now();
        while (w.b.outstanding() > 0 || w.a.outstanding() > 0) && waited.elapsed() < GIVE_UP {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        seen.missing = w.b.outstanding();
        (seen.latency, seen.early) = w.b.take();
        (seen.local, _) = w.a.take();
    }
    Ok(seen)
}

/// Creates one record; its ack latency and ack instant, and its id.
async fn create(
    mut w: RecordsClient<Channel>,
    req: lianluo_proto::CreateRequest,
) -> (Result<(Duration, Instant), String>, Option<String>) {
    let began = Instant::now();
    let created = w.create(req).await;
    let acked = Instant::now();
    match created {
        Ok(rec) => (Ok((acked - began, acked)), Some(rec.into_inner().id)),
        Err(s) => (
            Err(format!("create: {:?}: {}", s.code(), s.message())),
            None,
        ),
    }
}

fn tally(seen: &mut Seen, ack: Result<Duration, String>, watched: Option<(Outcome, Samples)>) {
    match ack {
        Ok(d) => {
            seen.acked += 1;
            seen.acks.push(d);
        }
        Err(e) => seen.failures.push(e),
    }
    if let Some((outcome, rtt)) = watched {
        seen.get_rtt.extend(&rtt);
        match outcome {
            Outcome::Seen(d) => seen.latency.push(d),
            Outcome::Missing => seen.missing += 1,
            Outcome::Failed(e) => seen.failures.push(e),
        }
    }
}
