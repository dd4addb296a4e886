//! Prometheus metrics, encoded by the Prometheus project's crate ([`exposition`],
//! OpenMetrics text): the per-peer replication state from the peer registry, the local
//! log's last and durable seqs, the store's size and health, an info series naming the
//! node, config reloads, and the gRPC calls of both listeners by service, method and code
//! ([`RpcMetrics`], counted by [`RpcMetricsLayer`]).
//!
//! [`render`] reads the store (blocking): call it from `spawn_blocking` in async code.

use std::sync::atomic::Ordering;
use std::time::UNIX_EPOCH;

use lianluo_federation::sync::PeerState;

use crate::state::NodeState;

pub mod exposition;
mod layer;
mod rpc;

pub use exposition::{Labels, Snapshot, Value, CONTENT_TYPE};
pub use layer::{Metered, MeteredBody, RpcMetricsLayer};
pub use rpc::{code_name, Call, Port, RpcMetrics, BUCKETS, OTHER};

/// What [`render_parts`] shows about the node itself.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeFacts {
    /// The node's city.
    pub city: String,
    /// The local log id.
    pub log_id: String,
    /// The lianluo version.
    pub version: String,
    /// Highest seq in the local log (`None` when the store could not be read).
    pub last_seq: Option<u64>,
    /// Highest seq known flushed.
    pub durable_seq: u64,
    /// Bytes on disk (`None` when the store could not be read).
    pub store_size: Option<u64>,
    /// Open `Records.Watch` streams (gRPC and `/api/watch`).
    pub watch_streams: u64,
    /// The group commit's flushes so far.
    pub flushes: crate::store::FlushTotals,
    /// Whether the store takes writes, its free space and its reopens.
    pub store_health: crate::store::StoreHealth,
    /// Events parked to be tried again (`None` when the store could not be read).
    pub parked: Option<u64>,
    /// Equivocations found, per author city.
    pub equivocations: std::collections::BTreeMap<String, u64>,
    /// Logs found served two ways, per city.
    pub log_equivocations: std::collections::BTreeMap<String, u64>,
}

impl NodeFacts {
    /// Reads the facts of a running node (blocking store reads).
    pub fn read(state: &NodeState) -> NodeFacts {
        let store = state.store.as_ref();
        let warn = |what: &str, e: &dyn std::fmt::Display| {
            tracing::warn!("metrics: cannot read {what}: {e}");
        };
        NodeFacts {
            city: state.config.city.clone(),
            log_id: store.meta().log_id.clone(),
            version: env!("CARGO_PKG_VERSION").to_string(),
            last_seq: store
                .last_seq()
                .map_err(|e| warn("the last log seq", &e))
                .ok(),
            durable_seq: *state.durable.borrow(),
            store_size: store
                .size_on_disk()
                .map_err(|e| warn("the store size", &e))
                .ok(),
            watch_streams: state
                .watch_streams
                .load(std::sync::atomic::Ordering::Relaxed),
            flushes: state.flusher.totals(),
            store_health: store.health(),
            parked: store
                .parked_count()
                .map_err(|e| warn("the parked events", &e))
                .ok(),
            equivocations: store
                .equivocations()
                .map_err(|e| warn("the equivocations", &e))
                .unwrap_or_default()
                .into_iter()
                .fold(Default::default(), |mut per, e| {
                    *per.entry(e.author).or_default() += 1;
                    per
                }),
            log_equivocations: store
                .log_equivocations()
                .map_err(|e| warn("the log equivocations", &e))
                .unwrap_or_default()
                .into_iter()
                .fold(Default::default(), |mut per, e| {
                    *per.entry(e.city).or_default() += 1;
                    per
                }),
        }
    }
}

/// The metrics of a running node (blocking: reads the store).
pub fn render(state: &NodeState) -> String {
    let peers = crate::service::node::peer_states(state);
    let mut snap = Snapshot::default();
    node_families(&mut snap, &NodeFacts::read(state), &peers);
    state.rpc_metrics.families(&mut snap);
    state.http_conns.families(&mut snap);
    let reloads = [
        ("applied", &state.reloads.applied),
        ("refused", &state.reloads.refused),
    ];
    snap.counter(
        "lianluo_config_reloads_total",
        "Config reloads (SIGHUP or a change of the file) by result: applied, or refused (the \
         new config was not valid; the running one stayed in force).",
        reloads
            .iter()
            .map(|(result, n)| (label("result", result), int(n.load(Ordering::Relaxed))))
            .collect(),
    );
    snap.encode()
}

/// One label.
pub(crate) fn label(name: &'static str, value: &str) -> Labels {
    vec![(name, value.to_string())]
}

/// A whole-number value.
pub(crate) fn int(v: u64) -> Value {
    Value::Int(v)
}

/// A per-peer value.
type PeerValue = fn(&PeerState) -> u64;

/// Gauges (false) and counters (true) per peer.
const PEER_FAMILIES: [(&str, &str, bool, PeerValue); 7] = [
    (
        "lianluo_peer_connected",
        "1 when a sync stream from the peer is open, else 0.",
        false,
        |p| u64::from(p.phase.is_connected()),
    ),
    (
        "lianluo_peer_lag_events",
        "Events in the peer's log not yet covered by our cursor.",
        false,
        |p| p.lag,
    ),
    (
        "lianluo_peer_last_contact_seconds",
        "Unix time of the last batch or heartbeat from the peer (0: never).",
        false,
        |p| {
            p.last_contact
                .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                .map(|d| d.as_secs())
                .unwrap_or(0)
        },
    ),
    (
        "lianluo_peer_reconnect_attempts",
        "Failed connection attempts to the peer since the last success.",
        false,
        |p| u64::from(p.attempt),
    ),
    (
        "lianluo_events_applied_total",
        "Events received from the peer and stored, since the node started.",
        true,
        |p| p.events_applied,
    ),
    (
        "lianluo_events_rejected_total",
        "Events received from the peer and refused, since the node started.",
        true,
        |p| p.events_rejected,
    ),
    (
        "lianluo_events_clock_ahead_total",
        "Events received from the peer whose time was further ahead of this node's clock \
         than [federation] max_clock_skew_secs (kept; check both clocks).",
        true,
        |p| p.events_clock_ahead,
    ),
];

/// The exposition of node facts and peer states alone.
pub fn render_parts(node: &NodeFacts, peers: &[PeerState]) -> String {
    let mut snap = Snapshot::default();
    node_families(&mut snap, node, peers);
    snap.encode()
}

/// Adds the per-peer and node families.
fn node_families(snap: &mut Snapshot, node: &NodeFacts, peers: &[PeerState]) {
    for (name, help, counter, value) in PEER_FAMILIES {
        let samples = peers
            .iter()
            .map(|p| (label("peer", &p.city), int(value(p))))
            .collect();
        if counter {
            snap.counter(name, help, samples);
        } else {
            snap.gauge(name, help, samples);
        }
    }
    let node_gauges = [
        (
            "lianluo_log_last_seq",
            "Highest seq in the local event log.",
            node.last_seq,
        ),
        (
            "lianluo_log_durable_seq",
            "Highest seq of the local log known to be flushed (served to peers).",
            Some(node.durable_seq),
        ),
        (
            "lianluo_store_size_bytes",
            "Bytes the store uses on disk.",
            node.store_size,
        ),
        (
            "lianluo_watch_streams",
            "Open change streams (Records.Watch and /api/watch), e.g. live dashboards.",
            Some(node.watch_streams),
        ),
        (
            "lianluo_store_writable",
            "1 while the store takes writes; 0 when free space is below [store] reserve_mb \
             or writes stopped after a storage fault (the node is then not ready).",
            Some(u64::from(node.store_health.writable.is_ok())),
        ),
        (
            "lianluo_events_parked",
            "Events from peers refused for a reason that may pass later (signer certificate \
             not known or not valid yet, parent not held), kept and tried again.",
            node.parked,
        ),
        (
            "lianluo_store_free_bytes",
            "Free bytes on the data dir's file system at the last reading (every second).",
            node.store_health.free_bytes,
        ),
    ];
    for (name, help, value) in node_gauges {
        // An unreadable value is left out rather than reported as 0.
        let samples = value.map(|v| (Vec::new(), int(v))).into_iter().collect();
        snap.gauge(name, help, samples);
    }
    let per_city = |m: &std::collections::BTreeMap<String, u64>| {
        m.iter().map(|(c, n)| (label("city", c), int(*n))).collect()
    };
    snap.gauge(
        "lianluo_equivocations",
        "Equivocations found here per author city: pairs of different events the city \
         signed on one record from the same parents (lianluo peers shows them).",
        per_city(&node.equivocations),
    );
    snap.gauge(
        "lianluo_log_equivocations",
        "Seqs of a city's log found served two ways under one log id (lianluo peers shows \
         them).",
        per_city(&node.log_equivocations),
    );
    store_counters(snap, node);
    snap.gauge(
        "lianluo_info",
        "Always 1; labels name the node's city, log id and lianluo version.",
        vec![(
            vec![
                ("city", node.city.clone()),
                ("log_id", node.log_id.clone()),
                ("version", node.version.clone()),
            ],
            int(1),
        )],
    );
}

/// The group commit's and the store's counters.
fn store_counters(snap: &mut Snapshot, node: &NodeFacts) {
    let counters = [
        (
            "lianluo_store_flushes_total",
            "Flushes that made acknowledged writes durable (each shared by its callers).",
            int(node.flushes.flushes),
        ),
        (
            "lianluo_store_flushed_writes_total",
            "Writes acknowledged after a shared flush (divided by the flushes: the group size).",
            int(node.flushes.callers),
        ),
        (
            "lianluo_store_flush_seconds_total",
            "Time spent flushing (divided by the flushes: the mean flush time).",
            Value::Float(node.flushes.seconds),
        ),
        (
            "lianluo_store_reopens_total",
            "Times the store was reopened after a storage fault, once space returned.",
            int(node.store_health.reopens),
        ),
    ];
    for (name, help, value) in counters {
        snap.counter(name, help, vec![(Vec::new(), value)]);
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime};

    use lianluo_federation::sync::{Cursor, PeerPhase};

    use super::*;

    fn facts() -> NodeFacts {
        NodeFacts {
            city: "hezhou".into(),
            log_id: "0f".repeat(16),
            version: "0.1.0".into(),
            last_seq: Some(42),
            durable_seq: 40,
            store_size: None,
            watch_streams: 2,
            flushes: crate::store::FlushTotals {
                flushes: 4,
                callers: 10,
                seconds: 0.5,
            },
            store_health: crate::store::StoreHealth {
                writable: Ok(()),
                free_bytes: Some(1 << 30),
                reopens: 1,
            },
            parked: Some(3),
            equivocations: [("qingyuan".to_string(), 1)].into(),
            log_equivocations: [("yongzhou".to_string(), 2)].into(),
        }
    }

    fn peer(city: &str, port: u16) -> PeerState {
        PeerState::new(
            city,
            std::net::SocketAddr::from(([127, 0, 0, 1], port)).into(),
        )
    }

    #[test]
    fn metrics_render_every_family_with_help_type_and_values() {
        let mut q = peer("qingyuan", 7112);
        q.phase = PeerPhase::Connected;
        q.lag = 3;
        q.last_contact = Some(SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000));
        q.events_applied = 17;
        q.events_rejected = 2;
        q.cursor = Some(Cursor {
            log_id: "ab".repeat(16),
            seq: 9,
            event_id: String::new(),
        });
        let mut y = peer("yongzhou", 7122);
        y.phase = PeerPhase::BackingOff {
            attempt: 4,
            until: SystemTime::now(),
        };
        y.attempt = 4;
        y.last_error = Some("connection refused".into());
        let text = render_parts(&facts(), &[q, y]);
        for line in [
            "# TYPE lianluo_peer_connected gauge",
            "lianluo_peer_connected{peer=\"qingyuan\"} 1",
            "lianluo_peer_connected{peer=\"yongzhou\"} 0",
            "lianluo_peer_lag_events{peer=\"qingyuan\"} 3",
            "lianluo_peer_last_contact_seconds{peer=\"qingyuan\"} 1700000000",
            "lianluo_peer_last_contact_seconds{peer=\"yongzhou\"} 0",
            "lianluo_peer_reconnect_attempts{peer=\"yongzhou\"} 4",
            "# TYPE lianluo_events_applied counter",
            "lianluo_events_applied_total{peer=\"qingyuan\"} 17",
            "lianluo_events_rejected_total{peer=\"qingyuan\"} 2",
            "lianluo_log_last_seq 42",
            "lianluo_log_durable_seq 40",
            "lianluo_watch_streams 2",
            "lianluo_store_flushes_total 4",
            "lianluo_store_flushed_writes_total 10",
            "lianluo_store_flush_seconds_total 0.5",
            "lianluo_store_writable 1",
            "lianluo_store_free_bytes 1073741824",
            "lianluo_store_reopens_total 1",
            "lianluo_events_parked 3",
            "lianluo_equivocations{city=\"qingyuan\"} 1",
            "lianluo_log_equivocations{city=\"yongzhou\"} 2",
            "# HELP lianluo_store_size_bytes Bytes the store uses on disk.",
            "lianluo_info{city=\"hezhou\",log_id=\"0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f\",version=\"0.1.0\"} 1",
        ] {
            assert!(text.lines().any(|l| l == line), "missing {line:?} in\n{text}");
        }
        // An unreadable value is left out rather than reported as 0.
        assert!(!text
            .lines()
            .any(|l| l.starts_with("lianluo_store_size_bytes ")));
        // Every sample belongs to a family announced with HELP and TYPE before it.
        let mut typed = std::collections::HashSet::new();
        for l in text.lines() {
            if let Some(rest) = l.strip_prefix("# TYPE ") {
                typed.insert(rest.split(' ').next().unwrap().to_string());
            } else if !l.starts_with('#') {
                let name = l.split(['{', ' ']).next().unwrap();
                let family = name.strip_suffix("_total").unwrap_or(name);
                assert!(typed.contains(family), "{name} has no TYPE line before it");
            }
        }
        assert_eq!(text.matches("# HELP ").count(), 21);
    }
}
