//! Loading a store for the overview and size figures: all three cities up, many
//! concurrent coordinator clients per city writing through the real gRPC API. Each
//! client walks one record at a time through its life, the way the cities would:
//!
//! - 70 % single-city suggestions: create, dispatch, progress, answer, rate, close
//!   (6 events);
//! - 30 % joint suggestions with the next city: create and dispatch at the origin, the
//!   partner dispatches its own part at its own node (once the record has replicated
//!   there), progress and answer at the origin, the partner answers at its node, the
//!   origin rates (once the partner's answer has come back) and closes (8 events).
//!
//! Texts are long enough that events are a few hundred bytes up to ~600. The loading
//! rate is printed against the same clients doing `WhoAmI` for a moment before the load.
//! The bench keeps nothing per record, so its memory stays flat however large the load.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Result};
use lianluo_proto::records_client::RecordsClient;
use lianluo_proto::WhoAmIRequest;
use lianluo_tests::{Federation, NodeProc, CITIES};
use tonic::transport::Channel;

use crate::clients::{closed_loop, Window};
use crate::cluster::user_channel;
use crate::payload::{self, RequestIds};
use crate::probe::{sample_u64, scrape};
use crate::report::{Report, Row, Unit};
use crate::stats::rate;
use crate::write::act_when_ready;
use crate::Ctx;

const S: &str = "load";

/// A loaded three-city setup. Nodes are declared first so they die before the temp dir
/// goes.
pub struct Loaded {
    /// hezhou, qingyuan, yongzhou, in [`CITIES`] order.
    pub nodes: Vec<NodeProc>,
    /// The setup.
    pub fed: Federation,
    /// Events written.
    pub events: u64,
}

/// Shared by the writers.
struct Shared {
    started: Instant,
    ids: RequestIds,
    target: u64,
    events: AtomicU64,
    records: AtomicU64,
    errors: Mutex<Vec<String>>,
}

/// One writer: a connection to each city's node as that city's coordinator.
struct Writer {
    home: usize,
    home_channel: Channel,
    nodes: Vec<RecordsClient<Channel>>,
}

/// Starts the three cities and writes `ctx.sizes.load_events` events.
pub fn load(ctx: &Ctx, report: &mut Report) -> Result<Loaded> {
    let fed = crate::cluster::federation(ctx)?;
    let nodes = CITIES
        .iter()
        .map(|c| fed.start(c))
        .collect::<Result<Vec<_>>>()?;
    let shared = Arc::new(Shared {
        started: Instant::now(),
        ids: RequestIds::new(),
        target: ctx.sizes.load_events,
        events: AtomicU64::new(0),
        records: AtomicU64::new(0),
        errors: Mutex::new(Vec::new()),
    });
    let per_city = ctx.sizes.load_clients_per_city;
    let (who, took) = ctx.rt.block_on(async {
        let mut writers = Vec::new();
        for home in 0..CITIES.len() * per_city {
            writers.push(connect(&fed, &nodes, home % CITIES.len()).await?);
        }
        let own: Vec<Channel> = writers.iter().map(|w| w.home_channel.clone()).collect();
        let window = Window {
            warmup: Duration::from_millis(300),
            run: Duration::from_secs(2),
        };
        let who = closed_loop(&own, window, |ch| async move {
            RecordsClient::new(ch)
                .who_am_i(WhoAmIRequest::default())
                .await
                .map(|_| ())
        })
        .await?;
        let started = Instant::now();
        run_writers(writers, shared.clone()).await?;
        anyhow::Ok((who.rate(), started.elapsed()))
    })?;
    let events = shared.events.load(Ordering::Relaxed);
    let errors = shared.errors.lock().map(|e| e.clone()).unwrap_or_default();
    for e in errors.iter().take(3) {
        report.note(S, format!("failure: {e}"));
    }
    let clients = per_city * CITIES.len();
    report.note(
        S,
        format!(
            "{events} events ({} records) in {:.1} s with {clients} clients; {} failed \
             records; {} retries of acts waiting for a replicated event",
            shared.records.load(Ordering::Relaxed),
            took.as_secs_f64(),
            errors.len(),
            crate::write::RETRIES.load(Ordering::Relaxed)
        ),
    );
    report.push(
        Row::new(
            S,
            format!("loading rate, 3 cities, {clients} clients"),
            rate(events, took),
            Unit::PerSec,
        )
        .limit(who, format!("WhoAmI, same {clients} clients")),
    )?;
    let settled = Instant::now();
    wait_settled(&nodes)?;
    report.note(
        S,
        format!(
            "replication settled (every peer lag 0) {:.1} s after the last write",
            settled.elapsed().as_secs_f64()
        ),
    );
    Ok(Loaded { nodes, fed, events })
}

async fn connect(fed: &Federation, nodes: &[NodeProc], home: usize) -> Result<Writer> {
    let mut channels = Vec::new();
    for n in nodes {
        channels.push(user_channel(fed, n, "coordinator").await?);
    }
    Ok(Writer {
        home,
        home_channel: channels[home].clone(),
        nodes: channels.into_iter().map(RecordsClient::new).collect(),
    })
}

async fn run_writers(writers: Vec<Writer>, shared: Arc<Shared>) -> Result<()> {
    let progress = tokio::spawn(progress(shared.clone()));
    let tasks: Vec<_> = writers
        .into_iter()
        .map(|w| tokio::spawn(writer(w, shared.clone())))
        .collect();
    for t in tasks {
        t.await?;
    }
    progress.abort();
    let failed = shared.errors.lock().map(|e| e.len()).unwrap_or_default() as u64;
    let records = shared.records.load(Ordering::Relaxed).max(1);
    if failed * 100 > records {
        bail!("{failed} of {records} records failed to load");
    }
    Ok(())
}

async fn progress(shared: Arc<Shared>) {
    let started = Instant::now();
    loop {
        tokio::time::sleep(Duration::from_secs(15)).await;
        let n = shared.events.load(Ordering::Relaxed);
        let r = rate(n, started.elapsed());
        println!("  … {n} of {} events loaded ({r:.0}/s)", shared.target);
    }
}

async fn writer(mut w: Writer, shared: Arc<Shared>) {
    while shared.events.load(Ordering::Relaxed) < shared.target {
        let r = shared.records.fetch_add(1, Ordering::Relaxed);
        let joint = r % 10 < 3;
        if let Err(e) = record(&mut w, &shared, joint).await {
            if let Ok(mut errs) = shared.errors.lock() {
                let at = shared.started.elapsed().as_secs_f64();
                errs.push(format!("{at:.1} s after the writers connected: {e:#}"));
                if errs.len() > 1000 {
                    return;
                }
            }
        }
    }
}

/// One record's life; counts each event as it is acknowledged.
async fn record(w: &mut Writer, shared: &Shared, joint: bool) -> Result<()> {
    let (o, p) = (w.home, (w.home + 1) % CITIES.len());
    let (oc, pc) = (CITIES[o], CITIES[p]);
    let count = || shared.events.fetch_add(1, Ordering::Relaxed);
    let partners: &[&str] = if joint { &[pc] } else { &[] };
    let req = payload::create_suggestion(shared.ids.next(), partners);
    let id = w.nodes[o].create(req).await?.into_inner().id;
    count();
    w.nodes[o].act(payload::dispatch(&id, oc)).await?;
    count();
    if joint {
        act_when_ready(&w.nodes[p], "partner dispatch", payload::dispatch(&id, pc)).await?;
        count();
    }
    w.nodes[o].act(payload::progress(&id)).await?;
    count();
    w.nodes[o].act(payload::answer(&id)).await?;
    count();
    if joint {
        act_when_ready(&w.nodes[p], "partner answer", payload::answer(&id)).await?;
        count();
    }
    act_when_ready(&w.nodes[o], "rate", payload::rate(&id)).await?;
    count();
    w.nodes[o].act(payload::close(&id)).await?;
    count();
    Ok(())
}

/// Waits until every node reports lag 0 for every peer.
fn wait_settled(nodes: &[NodeProc]) -> Result<()> {
    lianluo_tests::eventually(Duration::from_secs(600), "replication to settle", || {
        nodes
            .iter()
            .all(|n| settled(n).unwrap_or(false))
            .then_some(())
    })
}

fn settled(node: &NodeProc) -> Result<bool> {
    let http = node.http.as_deref().unwrap_or_default();
    let text = scrape(http)?;
    for peer in CITIES.iter().filter(|c| **c != node.city) {
        if sample_u64(
            &text,
            &format!("lianluo_peer_lag_events{{peer=\"{peer}\"}}"),
        )? != 0
        {
            return Ok(false);
        }
    }
    Ok(true)
}
