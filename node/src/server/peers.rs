//! The `peer_workers` task: one sync worker per peer of the membership in force. When the
//! membership changes (a config reload), a new peer gets a worker, a removed one's worker
//! is stopped and its state dropped, and a peer whose address changed is redialled; the
//! other workers and their streams go on untouched. On shutdown every worker is stopped
//! and awaited.

use std::collections::BTreeMap;
use std::sync::Arc;

use lianluo_federation::identity::PeerCity;
use lianluo_federation::sync::{spawn_peer_worker, SyncSink};
use lianluo_federation::tls::ReloadableClientConfig;
use lianluo_federation::PeerAddress;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::members::Membership;
use crate::state::NodeState;

/// How often ended workers are looked for.
const RESTART_CHECK: std::time::Duration = std::time::Duration::from_secs(10);

/// Logs a worker that did not end cleanly (it panicked).
fn ended(city: &str, result: Result<(), tokio::task::JoinError>) {
    if let Err(e) = result {
        tracing::error!(peer = %city, "sync worker failed: {e}");
    }
}

/// A worker that runs.
struct Running {
    address: PeerAddress,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

/// What the task needs to start workers.
pub(super) struct PeerWorkers {
    pub(super) state: Arc<NodeState>,
    pub(super) client_tls: ReloadableClientConfig,
    pub(super) sink: Arc<dyn SyncSink>,
}

impl PeerWorkers {
    /// Runs until `stop` turns true, then stops every worker and waits for them.
    pub(super) async fn run(self, mut stop: watch::Receiver<bool>) {
        let mut members = self.state.members.subscribe();
        let mut running: BTreeMap<String, Running> = BTreeMap::new();
        loop {
            let now = members.borrow_and_update().clone();
            self.reconcile(&mut running, &now).await;
            tokio::select! {
                _ = stop.wait_for(|v| *v) => break,
                changed = members.changed() => if changed.is_err() { break },
                // A worker that ended on its own (a bug: it only ends when told) is
                // started again at the next look.
                () = tokio::time::sleep(RESTART_CHECK) => {}
            }
        }
        for (city, worker) in running {
            let _ = worker.stop.send(true);
            ended(&city, worker.task.await);
        }
    }

    /// Stops the workers of peers gone or moved, then starts the missing ones.
    async fn reconcile(&self, running: &mut BTreeMap<String, Running>, members: &Membership) {
        let stale: Vec<String> = running
            .iter()
            .filter(|(city, w)| {
                members
                    .peers
                    .iter()
                    .find(|p| &p.city == *city)
                    .is_none_or(|p| p.address != w.address)
                    || w.task.is_finished()
            })
            .map(|(city, _)| city.clone())
            .collect();
        for city in stale {
            if let Some(worker) = running.remove(&city) {
                let _ = worker.stop.send(true);
                ended(&city, worker.task.await);
            }
            if !members.is_peer(&city) {
                self.state.peers.remove(&city);
                tracing::info!(peer = %city, "peer removed: its sync worker stopped");
            }
        }
        for p in &members.peers {
            if running.contains_key(&p.city) {
                continue;
            }
            let city = match PeerCity::configured(&p.city) {
                Ok(c) => c,
                Err(e) => {
                    tracing::error!(peer = %p.city, "cannot start a sync worker: {e}");
                    continue;
                }
            };
            let (stop, rx) = watch::channel(false);
            let task = spawn_peer_worker(
                city,
                p.address.clone(),
                self.client_tls.clone(),
                self.state.config.trust_domain.clone(),
                self.sink.clone(),
                self.state.peers.clone(),
                super::sync_settings(&self.state.config),
                rx,
            );
            let address = p.address.clone();
            running.insert(
                p.city.clone(),
                Running {
                    address,
                    stop,
                    task,
                },
            );
        }
    }
}
