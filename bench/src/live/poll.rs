//! Polling `Records/Get` at B until a record is readable there: the fallback for nodes
//! that do not serve `Records/Watch`. Polls of all records share a few permits, so
//! polling never loads B enough to delay what it measures.

use std::time::{Duration, Instant};

use lianluo_proto::records_client::RecordsClient;
use tokio::sync::Semaphore;
use tonic::transport::Channel;
use tonic::Code;

use crate::stats::Samples;

/// What one watched record gave.
pub enum Outcome {
    /// Readable this long after the ack.
    Seen(Duration),
    /// Not readable within the give-up time.
    Missing,
    /// A poll failed otherwise.
    Failed(String),
}

/// Polls `Get(id)` at B until it answers, yielding between polls; at most
/// `polls` permits are in flight at once; gives up `give_up` after the ack.
pub async fn watch(
    reader: Channel,
    polls: &Semaphore,
    id: String,
    acked: Instant,
    give_up: Duration,
) -> (Outcome, Samples) {
    let mut client = RecordsClient::new(reader);
    let mut rtt = Samples::with_capacity(16);
    loop {
        let Ok(permit) = polls.acquire().await else {
            return (Outcome::Failed("poll semaphore closed".into()), rtt);
        };
        let sent = Instant::now();
        let got = client.get(crate::payload::get(&id)).await;
        let now = Instant::now();
        drop(permit);
        rtt.push(now - sent);
        match got {
            Ok(_) => return (Outcome::Seen(now - acked), rtt),
            Err(s) if s.code() == Code::NotFound => {
                if acked.elapsed() > give_up {
                    return (Outcome::Missing, rtt);
                }
                tokio::task::yield_now().await;
            }
            Err(s) => {
                let msg = format!("get {id}: {:?}: {}", s.code(), s.message());
                return (Outcome::Failed(msg), rtt);
            }
        }
    }
}
