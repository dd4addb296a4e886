//! The `store_watch` task: every second, the store's upkeep ([`Store::maintain`]: the
//! free-space reading, reopening a stopped engine once space is back), and the gRPC
//! health status of the client API following whether the store takes writes.
//!
//! [`Store::maintain`]: crate::store::Store::maintain

use std::sync::Arc;
use std::time::Duration;

use tonic_health::server::HealthReporter;
use tonic_health::ServingStatus;

use crate::state::NodeState;

/// How often the store is looked after.
const EVERY: Duration = Duration::from_secs(1);

/// Runs until `stop` turns true.
pub(super) async fn run(
    state: Arc<NodeState>,
    health: HealthReporter,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let mut writable = true;
    loop {
        tokio::select! {
            _ = stop.wait_for(|v| *v) => return,
            () = tokio::time::sleep(EVERY) => {}
        }
        let store = state.store.clone();
        if let Err(e) = tokio::task::spawn_blocking(move || store.maintain()).await {
            tracing::error!(error = %e, "store upkeep failed");
        }
        let now = state.store.health().writable;
        if now.is_ok() == writable {
            continue;
        }
        writable = now.is_ok();
        match now {
            Ok(()) => tracing::warn!("the store takes writes again: ready"),
            Err(e) => tracing::error!(error = %e, "the store refuses writes: not ready"),
        }
        let status = if writable {
            ServingStatus::Serving
        } else {
            ServingStatus::NotServing
        };
        for service in ["", "lianluo.v1.Records"] {
            health.set_service_status(service, status).await;
        }
    }
}
