//! Load: honest clients (each its own user) write and read at all three real nodes for a
//! minute, with the default limits, while a hostile source floods every node's TLS ports
//! with silent connections and a hostile user sends oversized requests. The honest clients see no error, every node's memory
//! stays bounded, and at the end every acknowledged record is at every participant. The
//! figures are printed (`cargo test -p lianluo-tests --test load -- --nocapture`).
//! `LIANLUO_LOAD_SECS` sets the duration (default 60).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use lianluo_proto::records_client::RecordsClient;
use lianluo_proto::{
    change::Kind, ActRequest, Change, CreateRequest, GetRequest, ListRequest, SuggestionProgress,
    SuggestionSubmitted,
};
use lianluo_tests::check::list_all;
use lianluo_tests::flood::Flood;
use lianluo_tests::grpc::channel;
use lianluo_tests::{eventually_every, Federation, NodeProc, CITIES};

/// Honest writers and readers per node.
const WRITERS: usize = 4;
const READERS: usize = 4;
/// Silent connections each flood keeps open (one flood per node and TLS port).
const FLOOD: usize = 40;
/// Most RSS a node may reach under this load (debug build), in MiB.
const RSS_LIMIT_MIB: u64 = 300;

fn duration() -> Duration {
    let secs = std::env::var("LIANLUO_LOAD_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    Duration::from_secs(secs)
}

#[derive(Default)]
struct Tally {
    writes: AtomicU64,
    reads: AtomicU64,
    errors: Mutex<Vec<String>>,
    oversized_refused: AtomicU64,
    oversized_other: Mutex<Vec<String>>,
    /// Acknowledged record id → its participants.
    acked: Mutex<BTreeMap<String, Vec<String>>>,
}

impl Tally {
    fn error(&self, what: String) {
        if let Ok(mut e) = self.errors.lock() {
            e.push(what);
        }
    }
}

fn suggestion(title: String, partners: Vec<String>) -> CreateRequest {
    let change = Kind::SuggestionSubmitted(SuggestionSubmitted {
        title,
        body: "负载测试：三地共同督办。".into(),
        proposers: vec!["李明".into()],
        station_id: String::new(),
        year: 2026,
        ..Default::default()
    });
    CreateRequest {
        request_id: format!("load-{}", ulid_like()),
        partners,
        change: Some(Change { kind: Some(change) }),
    }
}

fn ulid_like() -> String {
    lianluo_tests::fake_peer::random_hex(26)
}

/// One writer: creates suggestions (every other one shared with both other cities) and
/// records progress on its own last record, until `stop`.
async fn writer(node: &NodeProc, w: usize, tally: Arc<Tally>, stop: Arc<AtomicBool>) -> Result<()> {
    let mut client = RecordsClient::new(channel(node, &format!("load-writer-{w}")).await?);
    let others: Vec<String> = CITIES
        .iter()
        .filter(|c| **c != node.city)
        .map(|c| c.to_string())
        .collect();
    let mut i = 0usize;
    while !stop.load(Ordering::Relaxed) {
        let partners = if i.is_multiple_of(2) {
            others.clone()
        } else {
            Vec::new()
        };
        let title = format!("{}负载{w}-{i}", node.city);
        match client.create(suggestion(title, partners.clone())).await {
            Ok(rec) => {
                let id = rec.into_inner().id;
                let mut all = vec![node.city.clone()];
                all.extend(partners);
                tally
                    .acked
                    .lock()
                    .map_err(|e| anyhow::anyhow!("{e}"))?
                    .insert(id.clone(), all);
                tally.writes.fetch_add(1, Ordering::Relaxed);
                if i % 4 == 1 {
                    let change = Kind::SuggestionProgress(SuggestionProgress {
                        note: format!("进展{i}"),
                    });
                    let act = ActRequest {
                        record_id: id,
                        change: Some(Change { kind: Some(change) }),
                    };
                    // Progress needs a dispatched part: refused on business rules, which
                    // is a correct answer, not an error of the node.
                    if let Err(s) = client.act(act).await {
                        if s.code() != tonic::Code::FailedPrecondition {
                            tally.error(format!("act at {}: {s}", node.city));
                        }
                    }
                }
            }
            Err(s) => tally.error(format!("create at {}: {s}", node.city)),
        }
        i += 1;
    }
    Ok(())
}

/// One reader: lists pages and gets records it saw listed, until `stop`.
async fn reader(node: &NodeProc, r: usize, tally: Arc<Tally>, stop: Arc<AtomicBool>) -> Result<()> {
    let mut client = RecordsClient::new(channel(node, &format!("load-reader-{r}")).await?);
    while !stop.load(Ordering::Relaxed) {
        let req = ListRequest {
            page_size: 50,
            ..ListRequest::default()
        };
        match client.list(req).await {
            Ok(page) => {
                tally.reads.fetch_add(1, Ordering::Relaxed);
                let ids: Vec<String> = page
                    .into_inner()
                    .records
                    .into_iter()
                    .map(|r| r.id)
                    .take(3)
                    .collect();
                for id in ids {
                    match client.get(GetRequest { id, verify: false }).await {
                        Ok(_) => {
                            tally.reads.fetch_add(1, Ordering::Relaxed);
                        }
                        Err(s) => tally.error(format!("get at {}: {s}", node.city)),
                    }
                }
            }
            Err(s) => tally.error(format!("list at {}: {s}", node.city)),
        }
    }
    Ok(())
}

/// A hostile user (the node's own viewer) sending 2 MB creates, until `stop`.
async fn oversized(node: &NodeProc, tally: Arc<Tally>, stop: Arc<AtomicBool>) -> Result<()> {
    let mut client = RecordsClient::new(channel(node, "viewer").await?);
    while !stop.load(Ordering::Relaxed) {
        let req = suggestion("大".repeat(700_000), Vec::new());
        match client.create(req).await {
            Err(s) if s.code() == tonic::Code::ResourceExhausted => {
                tally.oversized_refused.fetch_add(1, Ordering::Relaxed);
            }
            other => {
                if let Ok(mut o) = tally.oversized_other.lock() {
                    o.push(format!("{:?}", other.map(|_| "OK")));
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(())
}

/// The resident memory of process `pid` in MiB.
fn rss_mib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn honest_clients_see_no_error_under_floods_and_every_write_arrives() -> Result<()> {
    lianluo_federation::install_crypto_provider();
    let fed = Federation::init()?;
    // Every honest client is its own user, as a city's staff are.
    let pki = fed.dir().join("pki").display().to_string();
    for city in CITIES {
        for (name, role) in (0..WRITERS)
            .map(|w| (format!("load-writer-{w}"), "coordinator"))
            .chain((0..READERS).map(|r| (format!("load-reader-{r}"), "viewer")))
        {
            let out = lianluo_tests::lianluo(&[
                "tls", "user", "--pki", &pki, "--city", city, "--name", &name,
            ]);
            lianluo_tests::check_ok(&out, "lianluo tls user")?;
            fed.set_config(city, "users", &name, &format!("\"{role}\""))?;
        }
    }
    let nodes: Vec<Arc<NodeProc>> = CITIES
        .iter()
        .map(|c| fed.start(c).map(Arc::new))
        .collect::<Result<_>>()?;
    let tally = Arc::new(Tally::default());
    let stop = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::new();
    let mut floods = Vec::new();
    for node in &nodes {
        for port in [node.api.parse()?, node.federation.parse()?] {
            floods.push(Flood::start(port, FLOOD)?);
        }
        let (n, t, s) = (node.clone(), tally.clone(), stop.clone());
        tasks.push(tokio::spawn(async move { oversized(&n, t, s).await }));
        for w in 0..WRITERS {
            let (n, t, s) = (node.clone(), tally.clone(), stop.clone());
            tasks.push(tokio::spawn(async move { writer(&n, w, t, s).await }));
        }
        for r in 0..READERS {
            let (n, t, s) = (node.clone(), tally.clone(), stop.clone());
            tasks.push(tokio::spawn(async move { reader(&n, r, t, s).await }));
        }
    }
    let started = Instant::now();
    let mut rss_max: BTreeMap<String, u64> = BTreeMap::new();
    while started.elapsed() < duration() {
        tokio::time::sleep(Duration::from_secs(1)).await;
        for node in &nodes {
            if let Some(mib) = node.pid().and_then(rss_mib) {
                let e = rss_max.entry(node.city.clone()).or_default();
                *e = (*e).max(mib);
            }
        }
    }
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        t.await??;
    }
    let flooded: usize = floods.iter().map(Flood::opened).sum();
    drop(floods);
    let secs = started.elapsed().as_secs_f64();

    // Every acknowledged record reaches every participant.
    let acked = tally
        .acked
        .lock()
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .clone();
    let settle = Instant::now();
    for node in &nodes {
        let want: BTreeSet<&String> = acked
            .iter()
            .filter(|(_, c)| c.contains(&node.city))
            .map(|(id, _)| id)
            .collect();
        let cli = node.cli("viewer");
        eventually_every(
            Duration::from_secs(180),
            Duration::from_secs(1),
            "every acknowledged record",
            || {
                let held = list_all(&cli).ok()?;
                want.iter()
                    .all(|id| held.contains_key(id.as_str()))
                    .then_some(())
            },
        )
        .with_context(|| format!("{} lacks acknowledged records", node.city))?;
    }
    let errors = tally
        .errors
        .lock()
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .clone();
    let odd = tally
        .oversized_other
        .lock()
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .clone();
    let writes = tally.writes.load(Ordering::Relaxed);
    let reads = tally.reads.load(Ordering::Relaxed);
    println!("load: {secs:.0} s, 3 nodes, {WRITERS} writers and {READERS} readers each");
    println!(
        "  writes acknowledged  {writes} ({:.0}/s)",
        writes as f64 / secs
    );
    println!(
        "  reads answered       {reads} ({:.0}/s)",
        reads as f64 / secs
    );
    println!("  honest errors        {} (limit 0)", errors.len());
    println!(
        "  oversized refused    {} (RESOURCE_EXHAUSTED), other answers {}",
        tally.oversized_refused.load(Ordering::Relaxed),
        odd.len()
    );
    println!("  flood connections    {} opened from 127.0.0.2", flooded);
    for (city, mib) in &rss_max {
        println!("  peak RSS {city:<9} {mib} MiB (limit {RSS_LIMIT_MIB} MiB)");
    }
    println!(
        "  every acknowledged record everywhere {:.1} s after the load",
        settle.elapsed().as_secs_f64()
    );
    assert!(
        errors.is_empty(),
        "honest clients saw errors: {:?}",
        &errors[..errors.len().min(10)]
    );
    assert!(
        odd.is_empty(),
        "oversized requests got other answers: {odd:?}"
    );
    assert!(writes > 0 && reads > 0);
    assert!(tally.oversized_refused.load(Ordering::Relaxed) > 0);
    for (city, mib) in &rss_max {
        assert!(*mib < RSS_LIMIT_MIB, "{city} peaked at {mib} MiB");
    }
    lianluo_tests::check::no_panics(&fed)
}
