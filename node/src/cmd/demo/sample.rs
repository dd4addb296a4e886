//! Loads the demo's sample data set into the three running nodes through the real gRPC
//! API, each city acting with its own coordinator profile (`DIR/<city>/coordinator.toml`).
//!
//! Stations come first (the other records refer to them), projects last (they name the
//! suggestions and activities behind them). Between, the suggestions, disputes and
//! activities run concurrently, at most [`IN_FLIGHT`] records at a time; within one
//! record the acts run in order, and before a city acts on a record it waits until its own
//! node has every earlier event (replication from the other cities), so every act is
//! accepted where it is made.
//!
//! Reruns do not duplicate: each creation carries a request id derived from the record's
//! stable key (`demo-station-07`), so the node returns the record the first run created,
//! and an act is skipped when the acting city already holds more events than the act
//! would follow (it made that act in an earlier run).

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::cmd::client::connect::{channel, Profile};
use anyhow::{anyhow, bail, Context as _};
use lianluo_proto::records_client::RecordsClient;
use lianluo_proto::{ActRequest, CreateRequest, GetRequest, ListRequest, Record, WhoAmIRequest};
use tokio::task::JoinSet;
use tonic::transport::Channel;
use tonic::Code;

use super::plan::{self, Kind, Plan};
use super::CITIES;

/// Records loaded at the same time.
pub const IN_FLIGHT: usize = 8;
/// How long a city may take to receive another city's events before the load gives up.
pub const REPLICATION_WAIT: Duration = Duration::from_secs(20);
/// How long one RPC may take.
const RPC_TIMEOUT: Duration = Duration::from_secs(30);

type Client = RecordsClient<Channel>;

/// What [`load`] did: records per kind, events written, time taken.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub stations: usize,
    pub suggestions: usize,
    pub disputes: usize,
    pub activities: usize,
    pub projects: usize,
    /// Creations and acts sent (a rerun's creations return the first run's records and
    /// its acts made earlier are skipped).
    pub events: usize,
    pub elapsed: Duration,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "sample data: {} stations, {} suggestions, {} disputes, {} activities, {} projects \
             ({} events in {:.1}s)",
            self.stations,
            self.suggestions,
            self.disputes,
            self.activities,
            self.projects,
            self.events,
            self.elapsed.as_secs_f64()
        )
    }
}

impl Summary {
    fn count(&mut self, kind: Kind, events: usize) {
        match kind {
            Kind::Station => self.stations += 1,
            Kind::Suggestion => self.suggestions += 1,
            Kind::Dispute => self.disputes += 1,
            Kind::Activity => self.activities += 1,
            Kind::Project => self.projects += 1,
        }
        self.events += events;
    }
}

/// Creates the sample data set in the running demo under `dir` (see the module docs).
pub async fn load(dir: &Path) -> anyhow::Result<Summary> {
    let started = Instant::now();
    let clients = Arc::new(connect_all(dir).await?);
    let today = lianluo_node::state::today();
    let mut summary = Summary::default();
    let stations = run_all(&clients, plan::stations(), &mut summary).await?;
    let ids: Vec<String> = stations.into_iter().map(|r| r.id).collect();
    let records = run_all(&clients, plan::records(&ids, today), &mut summary).await?;
    // Projects name the suggestions and activities behind them, so they come last.
    let of = |kind: &str| -> Vec<String> {
        records
            .iter()
            .filter(|r| r.kind == kind)
            .map(|r| r.id.clone())
            .collect()
    };
    let projects = plan::projects(&of("suggestion"), &of("activity"), today);
    run_all(&clients, projects, &mut summary).await?;
    summary.elapsed = started.elapsed();
    Ok(summary)
}

/// True when `city`'s node (one of the demo's cities) already holds any record.
pub async fn has_records(dir: &Path, city: &str) -> anyhow::Result<bool> {
    let mut client = connect_city(dir, city).await?;
    let req = ListRequest {
        page_size: 1,
        ..ListRequest::default()
    };
    let resp = rpc(city, "list", client.list(req)).await?;
    Ok(!resp.records.is_empty())
}

async fn connect_all(dir: &Path) -> anyhow::Result<Vec<Client>> {
    let mut clients = Vec::new();
    for city in CITIES {
        clients.push(connect_city(dir, city).await?);
    }
    Ok(clients)
}

/// Connects with `city`'s coordinator profile and checks the node is `city`'s and lets
/// the coordinator write.
async fn connect_city(dir: &Path, city: &str) -> anyhow::Result<Client> {
    let path = dir.join(city).join("coordinator.toml");
    let profile = Profile::load(Some(&path))?;
    let channel = channel(&profile)
        .await
        .with_context(|| format!("{city}: cannot connect to {}", profile.endpoint))?;
    let mut client = RecordsClient::new(channel);
    let me = rpc(city, "whoami", client.who_am_i(WhoAmIRequest {})).await?;
    if me.node_city != city || me.role != "coordinator" {
        bail!(
            "profile {} reaches the {} node as {} ({}); the demo needs {city}'s coordinator",
            path.display(),
            me.node_city,
            me.user,
            me.role
        );
    }
    Ok(client)
}

/// Runs `plans` with at most [`IN_FLIGHT`] at a time; returns the final records in plan
/// order. The first failure stops the rest.
async fn run_all(
    clients: &Arc<Vec<Client>>,
    plans: Vec<Plan>,
    summary: &mut Summary,
) -> anyhow::Result<Vec<Record>> {
    let n = plans.len();
    let limit = Arc::new(tokio::sync::Semaphore::new(IN_FLIGHT));
    let mut tasks = JoinSet::new();
    for (i, plan) in plans.into_iter().enumerate() {
        let clients = clients.clone();
        let limit = limit.clone();
        tasks.spawn(async move {
            let _permit = limit.acquire_owned().await?;
            let (rec, events) = run_plan(&clients, &plan)
                .await
                .with_context(|| format!("sample record {}", plan.key))?;
            anyhow::Ok((i, plan.kind, rec, events))
        });
    }
    let mut out: Vec<Option<Record>> = vec![None; n];
    while let Some(joined) = tasks.join_next().await {
        let (i, kind, rec, events) = joined.context("a sample data task failed")??;
        summary.count(kind, events);
        if let Some(slot) = out.get_mut(i) {
            *slot = Some(rec);
        }
    }
    Ok(out.into_iter().flatten().collect())
}

/// Creates one record and applies its steps in order; returns the final record and the
/// number of events written.
async fn run_plan(clients: &[Client], plan: &Plan) -> anyhow::Result<(Record, usize)> {
    let origin = CITIES[plan.origin];
    let req = CreateRequest {
        request_id: plan.key.clone(),
        partners: plan
            .partners
            .iter()
            .map(|&c| CITIES[c].to_owned())
            .collect(),
        change: Some(plan.create.clone()),
    };
    let mut client = clients[plan.origin].clone();
    let created = rpc(origin, "create", client.create(req)).await?;
    let mut events = 1;
    let id = created.id.clone();
    // The latest view of the record and the city it came from.
    let (mut at, mut rec) = (plan.origin, created);
    for (n, step) in plan.steps.iter().enumerate() {
        // Accepted events before this step: the creation and the earlier steps.
        let before = n as u64 + 1;
        if at != step.city || rec.version < before {
            rec = wait_for(&clients[step.city], CITIES[step.city], &id, before).await?;
            at = step.city;
        }
        if rec.version > before {
            continue; // this city made the act in an earlier run
        }
        let what = lianluo_node::domain::change_type(&step.change);
        let req = ActRequest {
            record_id: id.clone(),
            change: Some(step.change.clone()),
        };
        let mut client = clients[step.city].clone();
        rec = rpc(CITIES[step.city], what, client.act(req)).await?;
        events += 1;
    }
    if rec.status != plan.expect {
        bail!(
            "record {id} ended `{}` at {}, expected `{}`",
            rec.status,
            CITIES[at],
            plan.expect
        );
    }
    Ok((rec, events))
}

/// Polls `Get` at `city` until the record has at least `version` accepted events.
async fn wait_for(client: &Client, city: &str, id: &str, version: u64) -> anyhow::Result<Record> {
    let deadline = Instant::now() + REPLICATION_WAIT;
    let mut pause = Duration::from_millis(20);
    let mut seen = None;
    loop {
        let mut c = client.clone();
        let req = GetRequest {
            id: id.to_owned(),
            verify: false,
        };
        match tokio::time::timeout(RPC_TIMEOUT, c.get(req)).await {
            Ok(Ok(resp)) => {
                let rec = resp.into_inner();
                if rec.version >= version {
                    return Ok(rec);
                }
                seen = Some(rec.version);
            }
            // Not replicated yet, or the node is busy: try again.
            Ok(Err(s)) if matches!(s.code(), Code::NotFound | Code::Unavailable) => {}
            Ok(Err(s)) => bail!("{city}: get {id}: {}", s.message()),
            Err(_) => {}
        }
        if Instant::now() >= deadline {
            let has = seen.map_or_else(|| "does not have it".to_owned(), |v| format!("has {v}"));
            bail!(
                "{city} did not receive record {id} within {}s (needs {version} events, {has}); \
                 is replication running? check `lianluo peers` at each city",
                REPLICATION_WAIT.as_secs()
            );
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_millis(200));
    }
}

/// Runs one RPC under [`RPC_TIMEOUT`], naming the city and the call in errors.
async fn rpc<T>(
    city: &str,
    what: &str,
    call: impl std::future::Future<Output = Result<tonic::Response<T>, tonic::Status>>,
) -> anyhow::Result<T> {
    match tokio::time::timeout(RPC_TIMEOUT, call).await {
        Ok(Ok(resp)) => Ok(resp.into_inner()),
        Ok(Err(s)) => Err(anyhow!("{city}: {what}: {} ({:?})", s.message(), s.code())),
        Err(_) => Err(anyhow!(
            "{city}: {what}: no answer within {}s",
            RPC_TIMEOUT.as_secs()
        )),
    }
}
