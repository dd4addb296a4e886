//! [`PeerRegistry`]: the live state of every peer worker (phase, lag, last contact, last
//! error, cursor, counters), shared between the workers that write it and the API,
//! CLI and metrics that read it.

use std::collections::BTreeMap;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::SystemTime;

use super::Cursor;
use crate::address::PeerAddress;

/// What a peer worker is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeerPhase {
    /// Dialling the peer and opening a stream.
    Connecting,
    /// A stream is open and batches (or heartbeats) arrive.
    Connected,
    /// The last attempt failed; the next starts at `until`.
    BackingOff {
        /// Failed attempts since the last success (1 after the first failure).
        attempt: u32,
        /// When the next attempt starts.
        until: SystemTime,
    },
    /// The worker has ended (node shutdown).
    Stopped,
}

impl PeerPhase {
    /// The phase name used by the API, CLI and metrics:
    /// `connecting`, `connected`, `backing_off` or `stopped`.
    pub fn as_str(&self) -> &'static str {
        match self {
            PeerPhase::Connecting => "connecting",
            PeerPhase::Connected => "connected",
            PeerPhase::BackingOff { .. } => "backing_off",
            PeerPhase::Stopped => "stopped",
        }
    }

    /// Whether a stream is currently open.
    pub fn is_connected(&self) -> bool {
        matches!(self, PeerPhase::Connected)
    }
}

/// The state of one peer, as last recorded by its worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerState {
    /// The peer's city id.
    pub city: String,
    /// The federation address dialled.
    pub address: PeerAddress,
    /// What the worker is doing.
    pub phase: PeerPhase,
    /// Events in the peer's log not yet covered by our cursor (0 when caught up).
    pub lag: u64,
    /// When the last batch or heartbeat arrived.
    pub last_contact: Option<SystemTime>,
    /// The last failure while the link is down; cleared once a stream is open again (the
    /// log keeps every failure).
    pub last_error: Option<String>,
    /// When `last_error` happened.
    pub last_error_at: Option<SystemTime>,
    /// Failed attempts since the last success.
    pub attempt: u32,
    /// Our durable cursor in the peer's log, once known.
    pub cursor: Option<Cursor>,
    /// Events from this peer stored since the worker started.
    pub events_applied: u64,
    /// Events from this peer refused since the worker started.
    pub events_rejected: u64,
    /// Events from this peer whose time was further ahead of this node's clock than the
    /// allowed skew, since the worker started.
    pub events_clock_ahead: u64,
    /// How far ahead the last such batch was, in milliseconds (0: none seen).
    pub clock_ahead_ms: u64,
}

impl PeerState {
    /// The state of a peer no worker has touched yet.
    pub fn new(city: &str, address: PeerAddress) -> PeerState {
        PeerState {
            city: city.to_string(),
            address,
            phase: PeerPhase::Connecting,
            lag: 0,
            last_contact: None,
            last_error: None,
            last_error_at: None,
            attempt: 0,
            cursor: None,
            events_applied: 0,
            events_rejected: 0,
            events_clock_ahead: 0,
            clock_ahead_ms: 0,
        }
    }
}

/// Peer states by city, shared by every clone.
#[derive(Debug, Clone, Default)]
pub struct PeerRegistry {
    inner: Arc<RwLock<BTreeMap<String, PeerState>>>,
}

impl PeerRegistry {
    /// An empty registry.
    pub fn new() -> PeerRegistry {
        PeerRegistry::default()
    }

    /// Adds `city` (phase `connecting`) or, if present, updates its address and keeps
    /// the rest of its state.
    pub fn register(&self, city: &str, address: PeerAddress) {
        let mut map = self.inner.write().unwrap_or_else(PoisonError::into_inner);
        match map.get_mut(city) {
            Some(s) => s.address = address,
            None => {
                map.insert(city.to_string(), PeerState::new(city, address));
            }
        }
    }

    /// Applies `change` to the state of `city`; does nothing for an unknown city.
    pub fn update(&self, city: &str, change: impl FnOnce(&mut PeerState)) {
        let mut map = self.inner.write().unwrap_or_else(PoisonError::into_inner);
        if let Some(state) = map.get_mut(city) {
            change(state);
        }
    }

    /// Removes `city` (e.g. a peer dropped from the configuration).
    pub fn remove(&self, city: &str) -> Option<PeerState> {
        let mut map = self.inner.write().unwrap_or_else(PoisonError::into_inner);
        map.remove(city)
    }

    /// The state of `city`, if registered.
    pub fn get(&self, city: &str) -> Option<PeerState> {
        let map = self.inner.read().unwrap_or_else(PoisonError::into_inner);
        map.get(city).cloned()
    }

    /// Every peer's state, sorted by city.
    pub fn snapshot(&self) -> Vec<PeerState> {
        let map = self.inner.read().unwrap_or_else(PoisonError::into_inner);
        map.values().cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(port: u16) -> PeerAddress {
        std::net::SocketAddr::from(([127, 0, 0, 1], port)).into()
    }

    #[test]
    fn snapshot_is_sorted_by_city_and_updates_are_shared_by_clones() {
        let registry = PeerRegistry::new();
        registry.register("yongzhou", addr(3));
        registry.register("hezhou", addr(1));
        registry.register("qingyuan", addr(2));
        let clone = registry.clone();
        clone.update("qingyuan", |s| {
            s.phase = PeerPhase::Connected;
            s.lag = 5;
        });
        clone.update("nowhere", |s| s.lag = 99);
        let cities: Vec<_> = registry.snapshot().into_iter().map(|s| s.city).collect();
        assert_eq!(cities, ["hezhou", "qingyuan", "yongzhou"]);
        let q = registry.get("qingyuan").unwrap();
        assert_eq!((q.phase.as_str(), q.lag), ("connected", 5));
        assert!(registry.get("nowhere").is_none());
    }

    #[test]
    fn register_again_keeps_state_but_takes_the_new_address() {
        let registry = PeerRegistry::new();
        registry.register("hezhou", addr(1));
        registry.update("hezhou", |s| s.events_applied = 7);
        registry.register("hezhou", addr(9));
        let h = registry.get("hezhou").unwrap();
        assert_eq!((h.address, h.events_applied), (addr(9), 7));
        assert_eq!(
            registry.remove("hezhou").map(|s| s.city).as_deref(),
            Some("hezhou")
        );
        assert!(registry.snapshot().is_empty());
    }

    #[test]
    fn phase_names() {
        let backing = PeerPhase::BackingOff {
            attempt: 2,
            until: SystemTime::now(),
        };
        let names: Vec<_> = [
            PeerPhase::Connecting,
            PeerPhase::Connected,
            backing,
            PeerPhase::Stopped,
        ]
        .iter()
        .map(|p| p.as_str())
        .collect();
        assert_eq!(names, ["connecting", "connected", "backing_off", "stopped"]);
        assert!(PeerPhase::Connected.is_connected() && !backing.is_connected());
    }
}
