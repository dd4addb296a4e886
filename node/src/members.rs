//! Live membership: the peers and user roles a node acts on now. Read from the config at
//! start, and replaced while the node runs when the config is reloaded (SIGHUP or a change
//! of the file: `server::reload`), so a city joins or leaves the federation and roles
//! change without a restart. Every check of who may call — a peer's stream, a user's
//! role, a city named in a request — reads the current membership, so a change applies to
//! the next call.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use tokio::sync::watch;

use crate::config::{Config, Peer, Role};

/// The peers and user roles in force.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    /// The other cities of the federation, in config order.
    pub peers: Vec<Peer>,
    /// User name → role, for users of this city.
    pub users: BTreeMap<String, Role>,
}

impl Membership {
    /// The membership `config` names.
    pub fn of(config: &Config) -> Membership {
        Membership {
            peers: config.peers.clone(),
            users: config.users.clone(),
        }
    }

    /// Whether `city` is a peer.
    pub fn is_peer(&self, city: &str) -> bool {
        self.peers.iter().any(|p| p.city == city)
    }

    /// Every city known to the node of `own`: itself and its peers.
    pub fn known_cities(&self, own: &str) -> Vec<String> {
        let mut v = vec![own.to_string()];
        v.extend(self.peers.iter().map(|p| p.city.clone()));
        v
    }

    /// The peers' cities, in config order.
    pub fn peer_cities(&self) -> Vec<&str> {
        self.peers.iter().map(|p| p.city.as_str()).collect()
    }

    /// The role of `user`, if any (default deny).
    pub fn role_of(&self, user: &str) -> Option<Role> {
        self.users.get(user).copied()
    }

    /// What changes from `self` to `next`, for the log.
    pub fn changes_to(&self, next: &Membership) -> Vec<String> {
        let mut out = Vec::new();
        for p in &next.peers {
            match self.peers.iter().find(|q| q.city == p.city) {
                None => out.push(format!("peer {} added at {}", p.city, p.address)),
                Some(q) if q.address != p.address => out.push(format!(
                    "peer {} moved from {} to {}",
                    p.city, q.address, p.address
                )),
                Some(_) => {}
            }
        }
        for q in self.peers.iter().filter(|q| !next.is_peer(&q.city)) {
            out.push(format!("peer {} removed", q.city));
        }
        for (name, role) in &next.users {
            match self.users.get(name) {
                None => out.push(format!("user {name} added as {}", role.as_str())),
                Some(r) if r != role => out.push(format!(
                    "user {name} changed from {} to {}",
                    r.as_str(),
                    role.as_str()
                )),
                Some(_) => {}
            }
        }
        for name in self.users.keys().filter(|n| !next.users.contains_key(*n)) {
            out.push(format!("user {name} removed"));
        }
        out
    }
}

/// The membership in force, replaced as a whole; tasks that follow it (the peer
/// workers) subscribe to changes.
#[derive(Debug)]
pub struct Members(watch::Sender<Arc<Membership>>);

impl Members {
    /// Starts with `initial`.
    pub fn new(initial: Membership) -> Members {
        Members(watch::Sender::new(Arc::new(initial)))
    }

    /// The membership in force now.
    pub fn current(&self) -> Arc<Membership> {
        self.0.borrow().clone()
    }

    /// Puts `next` in force and tells subscribers.
    pub fn replace(&self, next: Membership) {
        self.0.send_replace(Arc::new(next));
    }

    /// A receiver that sees every replacement.
    pub fn subscribe(&self) -> watch::Receiver<Arc<Membership>> {
        self.0.subscribe()
    }
}

/// How config reloads went since the node started, for `/metrics`.
#[derive(Debug, Default)]
pub struct Reloads {
    /// Reloads put in force (membership changed or not).
    pub applied: AtomicU64,
    /// Reloads refused because the new config was not valid (the running one stayed).
    pub refused: AtomicU64,
}

impl Reloads {
    /// Counts one reload: put in force, or refused.
    pub fn count(&self, applied: bool) {
        let counter = if applied {
            &self.applied
        } else {
            &self.refused
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peer(city: &str, addr: &str) -> Peer {
        Peer {
            city: city.into(),
            address: addr.parse().expect("address"),
            name: crate::config::CityName::default(),
        }
    }

    #[test]
    fn membership_changes_name_every_peer_and_user_added_moved_changed_or_removed() {
        let before = Membership {
            peers: vec![
                peer("qingyuan", "qingyuan:7102"),
                peer("yongzhou", "yongzhou:7102"),
            ],
            users: [
                ("a".to_string(), Role::Admin),
                ("v".to_string(), Role::Viewer),
            ]
            .into(),
        };
        let after = Membership {
            peers: vec![
                peer("qingyuan", "10.0.0.2:7102"),
                peer("guilin", "guilin:7102"),
            ],
            users: [
                ("a".to_string(), Role::Viewer),
                ("n".to_string(), Role::Coordinator),
            ]
            .into(),
        };
        assert_eq!(
            before.changes_to(&after),
            [
                "peer qingyuan moved from qingyuan:7102 to 10.0.0.2:7102",
                "peer guilin added at guilin:7102",
                "peer yongzhou removed",
                "user a changed from admin to viewer",
                "user n added as coordinator",
                "user v removed",
            ]
        );
        assert!(before.changes_to(&before).is_empty());
        assert!(after.is_peer("guilin") && !after.is_peer("yongzhou"));
        assert_eq!(
            after.known_cities("hezhou"),
            ["hezhou", "qingyuan", "guilin"]
        );
        assert_eq!(after.role_of("n"), Some(Role::Coordinator));
        assert_eq!(after.role_of("v"), None);
        let members = Members::new(before.clone());
        let rx = members.subscribe();
        members.replace(after.clone());
        assert!(rx.has_changed().expect("open"));
        assert_eq!(*members.current(), after);
    }
}
