//! The `config_reload` task: on SIGHUP, and when the config file's contents change
//! (checked every [`TLS_RELOAD_INTERVAL`]; applied once two checks in a row read the same
//! new contents, so a file caught half written is not), the node reads and verifies its config again
//! and puts the new `[[peers]]` and `[users]` in force (see [`crate::members`]). A config
//! that fails validation is refused with every problem in the log, and the running config
//! stays in force. Keys that only a restart can apply (listen addresses, data dir, limits,
//! …) are named in a warning when they change. TLS files reload on their own (`tls`).
//!
//! [`TLS_RELOAD_INTERVAL`]: super::TLS_RELOAD_INTERVAL

use std::path::PathBuf;
use std::sync::Arc;

use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::watch;

use crate::config::{self, Config};
use crate::members::Membership;
use crate::state::NodeState;

/// Runs until `stop` turns true.
pub(super) async fn run(state: Arc<NodeState>, mut stop: watch::Receiver<bool>) {
    let path = state.config.source.clone();
    let mut hup = signal(SignalKind::hangup()).ok();
    let mut seen = contents(&path).await;
    // Changed contents seen at one tick, applied when the next tick reads the same: an
    // editor writing the file in place is never caught half way.
    let mut changed: Option<Vec<u8>> = None;
    loop {
        let hangup = tokio::select! {
            _ = stop.wait_for(|v| *v) => return,
            Some(()) = async { hup.as_mut()?.recv().await } => true,
            () = tokio::time::sleep(super::TLS_RELOAD_INTERVAL) => false,
        };
        let now = contents(&path).await;
        let why = if hangup {
            "SIGHUP"
        } else {
            // Missing for a moment while it is replaced, or unchanged: nothing to do.
            let Some(bytes) = now.clone().filter(|b| Some(b) != seen.as_ref()) else {
                changed = None;
                continue;
            };
            if changed.as_ref() != Some(&bytes) {
                changed = Some(bytes);
                continue;
            }
            "the config file changed"
        };
        changed = None;
        seen = now;
        reload(&state, &path, why).await;
    }
}

/// The file's bytes, if it can be read.
async fn contents(path: &std::path::Path) -> Option<Vec<u8>> {
    tokio::fs::read(path).await.ok()
}

/// Reads, verifies and applies the config at `path`.
async fn reload(state: &NodeState, path: &std::path::Path, why: &str) {
    let p = PathBuf::from(path);
    let loaded = tokio::task::spawn_blocking(move || config::load_verified(&p)).await;
    let next = match loaded {
        Ok(Ok(next)) => next,
        Ok(Err(e)) => {
            state.reloads.count(false);
            tracing::error!(
                "config reload ({why}) refused, the running config stays in force: {e}"
            );
            return;
        }
        Err(e) => {
            state.reloads.count(false);
            tracing::error!("config reload ({why}) failed: {e}");
            return;
        }
    };
    let restart = restart_only_changes(&state.config, &next);
    if !restart.is_empty() {
        tracing::warn!(
            "config reload ({why}): {} changed; only a restart applies {}",
            restart.join(", "),
            if restart.len() == 1 { "it" } else { "them" }
        );
    }
    let next_members = Membership::of(&next);
    let changes = state.members.current().changes_to(&next_members);
    if let Err(e) = state.dashboard.set_peers(&next_members.peers) {
        state.reloads.count(false);
        tracing::error!("config reload ({why}) refused: {e}");
        return;
    }
    state.members.replace(next_members);
    state.reloads.count(true);
    if changes.is_empty() {
        tracing::info!("config reloaded ({why}): peers and users unchanged");
    } else {
        tracing::info!("config reloaded ({why}): {}", changes.join("; "));
    }
}

/// The keys that differ between `old` and `new` and that only a restart applies.
fn restart_only_changes(old: &Config, new: &Config) -> Vec<&'static str> {
    let parts = |c: &Config| -> Vec<(&'static str, String)> {
        vec![
            ("city", c.city.clone()),
            ("trust_domain", c.trust_domain.clone()),
            ("data_dir", format!("{:?}", c.data_dir)),
            ("api.listen", c.api_listen.to_string()),
            (
                "federation",
                format!("{:?} {:?}", c.federation_listen, c.max_stream),
            ),
            (
                "federation.max_clock_skew_secs",
                format!("{:?}", c.max_clock_skew),
            ),
            ("http", format!("{:?} {:?}", c.http_listen, c.http_security)),
            ("tls (paths)", format!("{:?}", c.tls)),
            ("log", format!("{:?} {}", c.log_format, c.log_level)),
            (
                "limits",
                format!(
                    "{} {:?} {} {} {:?}",
                    c.max_request_bytes,
                    c.conn_limits,
                    c.calls_per_caller,
                    c.handshakes_per_source,
                    c.rates
                ),
            ),
            (
                "store",
                format!(
                    "{} {} {}",
                    c.store_cache_mb, c.store_reserve_mb, c.store_ballast_mb
                ),
            ),
        ]
    };
    parts(old)
        .into_iter()
        .zip(parts(new))
        .filter(|(a, b)| a.1 != b.1)
        .map(|(a, _)| a.0)
        .collect()
}
