//! Writing through the real gRPC API: retries for acts that depend on another city's
//! event (a partner acts only once the record has replicated to it; the origin rates
//! only once every partner's answer has come back), and the plain "create, then
//! dispatch" writer the catch-up scenario uses to put N events into one node's log.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, Result};
use lianluo_proto::records_client::RecordsClient;
use lianluo_proto::ActRequest;
use tonic::transport::Channel;
use tonic::Code;

use crate::payload::{self, RequestIds};

/// How long an act waits for the events it depends on to replicate.
pub const DEPENDENCY_WAIT: Duration = Duration::from_secs(60);

/// First pause before retrying an act whose dependency has not arrived yet; it doubles
/// up to [`MAX_PAUSE`]. A refused act still costs the node a history load and a fold
/// under its write lock, so retrying in a tight loop would itself slow down the
/// replication it waits for.
const FIRST_PAUSE: Duration = Duration::from_millis(5);

/// Longest pause between retries.
const MAX_PAUSE: Duration = Duration::from_millis(200);

/// Retries made so far by every [`until_ready`] (for the load's notes).
pub static RETRIES: AtomicU64 = AtomicU64::new(0);

/// Calls `f` until it succeeds, retrying while the node answers NOT_FOUND (the record has
/// not replicated here yet) or FAILED_PRECONDITION (an event it needs has not), for at
/// most [`DEPENDENCY_WAIT`]. Returns the answer and the number of retries.
pub async fn until_ready<T, F, Fut>(what: &str, mut f: F) -> Result<(T, u32)>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, tonic::Status>>,
{
    let started = Instant::now();
    let mut retries = 0;
    let mut pause = FIRST_PAUSE;
    loop {
        match f().await {
            Ok(v) => return Ok((v, retries)),
            Err(s)
                if matches!(s.code(), Code::NotFound | Code::FailedPrecondition)
                    && started.elapsed() < DEPENDENCY_WAIT =>
            {
                retries += 1;
                RETRIES.fetch_add(1, Ordering::Relaxed);
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(MAX_PAUSE);
            }
            Err(s) => return Err(anyhow!("{what}: {:?}: {}", s.code(), s.message())),
        }
    }
}

/// Sends the act `req` through `client` once the node can take it (see
/// [`until_ready`]).
pub async fn act_when_ready(
    client: &RecordsClient<Channel>,
    what: &str,
    req: ActRequest,
) -> Result<()> {
    until_ready(what, || {
        let (mut c, r) = (client.clone(), req.clone());
        async move { c.act(r).await }
    })
    .await
    .map(|_| ())
}

/// Creates `records` suggestions at the node behind `channels` (its city is `city`),
/// each shared with `partner` and then dispatched by `city`: two events per record,
/// both replicated to `partner`. One closed-loop writer per channel. Returns the events
/// written.
pub async fn create_and_dispatch(
    channels: &[Channel],
    city: &str,
    partner: &str,
    records: u64,
) -> Result<u64> {
    let next = Arc::new(AtomicU64::new(0));
    let ids = Arc::new(RequestIds::new());
    let tasks: Vec<_> = channels
        .iter()
        .cloned()
        .map(|ch| {
            let (next, ids) = (next.clone(), ids.clone());
            let (city, partner) = (city.to_string(), partner.to_string());
            tokio::spawn(async move {
                let mut client = RecordsClient::new(ch);
                let mut events = 0u64;
                while next.fetch_add(1, Ordering::Relaxed) < records {
                    let req = payload::create_suggestion(ids.next(), &[partner.as_str()]);
                    let id = client.create(req).await?.into_inner().id;
                    client.act(payload::dispatch(&id, &city)).await?;
                    events += 2;
                }
                anyhow::Ok(events)
            })
        })
        .collect();
    let mut total = 0;
    for t in tasks {
        total += t.await??;
    }
    Ok(total)
}
