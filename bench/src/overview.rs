//! The federated overview at a loaded store: `Dashboard/Overview` at hezhou as its
//! viewer, deadline 1000 ms, called one after another.
//!
//! With all three cities up, the limit is what the overview cannot beat: each round asks
//! the three nodes' `Federation/Figures` directly (as a peer, concurrently) and takes the
//! slowest — the fan-out's floor without the fan-out. With qingyuan black-holed (hezhou's
//! link to it routed to a listener that accepts TCP and never answers), every answer
//! must still come within deadline + 50 ms; the max is printed against that target.

use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use lianluo_proto::dashboard_client::DashboardClient;
use lianluo_proto::federation_client::FederationClient;
use lianluo_proto::{FiguresRequest, OverviewResponse};
use tonic::transport::Channel;

use crate::cluster::{peer_channel, user_channel, BlackHole};
use crate::load::Loaded;
use crate::report::{Cmp, Report, Row, Unit};
use crate::stats::Samples;
use crate::Ctx;

const S: &str = "overview";

/// The overview deadline asked for.
const DEADLINE_MS: u32 = 1000;

/// The slack allowed beyond the deadline.
const SLACK_MS: f64 = 50.0;

/// No answer this long is a failure.
const CALL_TIMEOUT: Duration = Duration::from_secs(10);

/// What a series of overview calls saw.
#[derive(Default)]
struct Calls {
    latency: Samples,
    /// Answers in which `city` was not `ok`.
    not_ok: usize,
    /// Answers marked partial.
    partial: usize,
    failures: Vec<String>,
}

/// Runs the scenario on a loaded setup and adds its rows.
pub fn run(ctx: &Ctx, loaded: &Loaded, report: &mut Report) -> Result<()> {
    let (fed, nodes) = (&loaded.fed, &loaded.nodes);
    let (calls, holed_calls) = (ctx.sizes.overview_calls, ctx.sizes.blackhole_calls);
    let (viewer, mut floor, mut up) = ctx.rt.block_on(async {
        let viewer = user_channel(fed, &nodes[0], "viewer").await?;
        let mut peers = Vec::new();
        for (n, as_city) in nodes.iter().zip(["qingyuan", "hezhou", "hezhou"]) {
            peers.push(peer_channel(fed, as_city, n).await?);
        }
        let floor = figures_floor(&peers, calls).await?;
        let up = overview_calls(&viewer, calls, "qingyuan").await;
        anyhow::Ok((viewer, floor, up))
    })?;
    let hole = BlackHole::start()?;
    fed.route("hezhou", "qingyuan", hole.addr());
    let mut holed = ctx
        .rt
        .block_on(overview_calls(&viewer, holed_calls, "qingyuan"));
    let back = nodes[1]
        .federation
        .parse()
        .context("qingyuan's federation address")?;
    fed.route("hezhou", "qingyuan", back);
    report.note(
        S,
        format!(
            "{} events loaded; all up: {} calls, {} partial; qingyuan black-holed: {} calls, \
             {} naming qingyuan not ok, {} connections swallowed",
            loaded.events,
            up.latency.len(),
            up.partial,
            holed.latency.len(),
            holed.not_ok,
            hole.swallowed()
        ),
    );
    for f in up.failures.iter().chain(&holed.failures).take(3) {
        report.note(S, format!("failure: {f}"));
    }
    let (f, u, h) = (
        floor.summary(),
        up.latency.summary(),
        holed.latency.summary(),
    );
    let lim = |p: &str| format!("slowest of 3 direct Figures calls, {p}");
    report.push(Row::new(S, "all up: p50", u.p50, Unit::Ms).limit(f.p50, lim("p50")))?;
    report.push(
        Row::new(S, "all up: p99", u.p99, Unit::Ms)
            .limit(f.p99, lim("p99"))
            .target(Cmp::Le, 50.0),
    )?;
    report.push(Row::new(S, "all up: max", u.max, Unit::Ms).limit(f.max, lim("max")))?;
    report.push(
        Row::new(
            S,
            "all up: partial answers or failures",
            (up.partial + up.failures.len()) as f64,
            Unit::Count,
        )
        .target(Cmp::Le, 0.0),
    )?;
    let deadline = f64::from(DEADLINE_MS);
    report.push(
        Row::new(S, "qingyuan black-holed: p50", h.p50, Unit::Ms).limit(deadline, "the deadline"),
    )?;
    report.push(
        Row::new(S, "qingyuan black-holed: max", h.max, Unit::Ms)
            .limit(deadline, "the deadline")
            .target(Cmp::Le, deadline + SLACK_MS),
    )?;
    report.push(
        Row::new(
            S,
            "black-holed: failed calls",
            holed.failures.len() as f64,
            Unit::Count,
        )
        .target(Cmp::Le, 0.0),
    )
}

/// `rounds` rounds of `Figures` at every peer channel concurrently; each round's time is
/// its slowest call.
async fn figures_floor(peers: &[Channel], rounds: usize) -> Result<Samples> {
    let mut out = Samples::with_capacity(rounds);
    for _ in 0..rounds {
        let started = Instant::now();
        let calls = peers.iter().map(|ch| {
            let mut c = FederationClient::new(ch.clone());
            async move { c.figures(FiguresRequest::default()).await }
        });
        for r in futures_join(calls).await {
            r?;
        }
        out.push(started.elapsed());
    }
    Ok(out)
}

/// Runs the futures concurrently (spawned) and returns their outputs in order.
async fn futures_join<F, T>(futs: impl Iterator<Item = F>) -> Vec<T>
where
    F: std::future::Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let handles: Vec<_> = futs.map(tokio::spawn).collect();
    let mut out = Vec::with_capacity(handles.len());
    for h in handles {
        if let Ok(v) = h.await {
            out.push(v);
        }
    }
    out
}

/// `n` overview calls one after another; counts answers where `watched` was not ok.
async fn overview_calls(viewer: &Channel, n: usize, watched: &str) -> Calls {
    let mut calls = Calls::default();
    let mut client = DashboardClient::new(viewer.clone());
    for _ in 0..n {
        let req = crate::payload::overview(DEADLINE_MS);
        let started = Instant::now();
        let answer = tokio::time::timeout(CALL_TIMEOUT, client.overview(req)).await;
        let took = started.elapsed();
        match answer {
            Ok(Ok(resp)) => {
                calls.latency.push(took);
                tally(&mut calls, &resp.into_inner(), watched);
            }
            Ok(Err(s)) => calls
                .failures
                .push(format!("{:?}: {}", s.code(), s.message())),
            Err(_) => calls
                .failures
                .push(format!("no answer within {CALL_TIMEOUT:?}")),
        }
    }
    calls
}

fn tally(calls: &mut Calls, resp: &OverviewResponse, watched: &str) {
    if resp.partial {
        calls.partial += 1;
    }
    if resp
        .cities
        .iter()
        .any(|c| c.city == watched && c.outcome != "ok")
    {
        calls.not_ok += 1;
    }
}
