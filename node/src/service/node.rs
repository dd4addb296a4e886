//! The `lianluo.v1.Node` gRPC service: `Peers` reports the replication state of every
//! configured peer (phase, connected, lag, last contact, last error, cursor, counters).
//! Any authenticated user of this city may call it, whatever their role.

use std::sync::Arc;
use std::time::SystemTime;

use lianluo_federation::sync::{PeerPhase, PeerState};
use lianluo_proto::node_server::Node;
use lianluo_proto::{PeerStatus, PeersRequest, PeersResponse};
use tonic::{Request, Response, Status};

use super::auth;
use crate::members::Membership;
use crate::state::NodeState;

/// Error shown for a configured peer that no sync worker has reported on.
pub const NO_WORKER: &str = "no sync worker is running for this peer";

/// The Node service over a node's shared state.
#[derive(Clone)]
pub struct NodeService {
    state: Arc<NodeState>,
}

impl NodeService {
    /// A service over `state`.
    pub fn new(state: Arc<NodeState>) -> Self {
        Self { state }
    }
}

#[tonic::async_trait]
impl Node for NodeService {
    async fn peers(&self, req: Request<PeersRequest>) -> Result<Response<PeersResponse>, Status> {
        auth::caller(&self.state, &req)?;
        let store = self.state.store.clone();
        let (found, logs) = tokio::task::spawn_blocking(move || {
            Ok::<_, crate::store::StoreError>((store.equivocations()?, store.log_equivocations()?))
        })
        .await
        .map_err(|e| Status::internal(format!("reading equivocations failed: {e}")))?
        .map_err(|e| crate::error::to_status(&e.into()))?;
        let peers = peer_states(&self.state)
            .iter()
            .map(|p| {
                let mut status = to_status(p);
                // The latest few per peer: the answer stays small whatever a peer does
                // (/metrics counts them all).
                status.equivocations =
                    latest(found.iter().filter(|e| e.author == p.city), |e| e.found_ms)
                        .into_iter()
                        .map(proof)
                        .collect();
                status.log_proofs =
                    latest(logs.iter().filter(|l| l.city == p.city), |l| l.found_ms)
                        .into_iter()
                        .map(log_proof)
                        .collect();
                status
            })
            .collect();
        Ok(Response::new(PeersResponse {
            city: self.state.config.city.clone(),
            peers,
            names: city_labels(&self.state),
        }))
    }
}

/// The names the configuration gives this city and its peers (this city first).
pub fn city_labels(state: &NodeState) -> Vec<lianluo_proto::CityLabel> {
    crate::dashboard::city_names(state)
        .into_iter()
        .map(|(city, n)| lianluo_proto::CityLabel {
            city,
            name: n.name,
            province: n.province,
            name_en: n.name_en,
        })
        .collect()
}

/// The state of every configured peer, sorted by city: the registry's entries, plus a
/// `stopped` entry (error [`NO_WORKER`]) for a configured peer the registry lacks.
pub fn peer_states(state: &NodeState) -> Vec<PeerState> {
    with_configured(&state.members.current(), state.peers.snapshot())
}

/// Adds peers of `members` missing from `snapshot`; the result is sorted by city.
pub fn with_configured(members: &Membership, mut snapshot: Vec<PeerState>) -> Vec<PeerState> {
    for peer in &members.peers {
        if !snapshot.iter().any(|s| s.city == peer.city) {
            let mut s = PeerState::new(&peer.city, peer.address.clone());
            s.phase = PeerPhase::Stopped;
            s.last_error = Some(NO_WORKER.to_string());
            snapshot.push(s);
        }
    }
    snapshot.sort_by(|a, b| a.city.cmp(&b.city));
    snapshot
}

/// The API form of a peer's state.
pub fn to_status(p: &PeerState) -> PeerStatus {
    let (cursor_log_id, cursor_seq) = p
        .cursor
        .as_ref()
        .map(|c| (c.log_id.clone(), c.seq))
        .unwrap_or_default();
    PeerStatus {
        city: p.city.clone(),
        address: p.address.to_string(),
        state: p.phase.as_str().to_string(),
        connected: p.phase.is_connected(),
        lag: p.lag,
        last_contact: p.last_contact.map(rfc3339).unwrap_or_default(),
        last_error: p.last_error.clone().unwrap_or_default(),
        last_error_at: p.last_error_at.map(rfc3339).unwrap_or_default(),
        attempt: p.attempt,
        cursor_log_id,
        cursor_seq,
        events_applied: p.events_applied,
        events_rejected: p.events_rejected,
        events_clock_ahead: p.events_clock_ahead,
        clock_ahead_ms: p.clock_ahead_ms,
        equivocations: Vec::new(),
        log_proofs: Vec::new(),
    }
}

/// Most proofs of each kind listed per peer.
const LISTED: usize = 20;

/// The [`LISTED`] most recently found of `items`.
fn latest<'a, T>(items: impl Iterator<Item = &'a T>, found: impl Fn(&T) -> u64) -> Vec<&'a T> {
    let mut all: Vec<&T> = items.collect();
    all.sort_by_key(|t| std::cmp::Reverse(found(t)));
    all.truncate(LISTED);
    all
}

/// The API form of an equivocation's proof.
fn proof(e: &crate::store::Equivocation) -> lianluo_proto::EquivocationProof {
    lianluo_proto::EquivocationProof {
        record_id: e.record_id.to_string(),
        first: e.first.hex(),
        second: e.second.hex(),
        found_at: crate::domain::rfc3339(e.found_ms),
    }
}

/// The API form of a log found served two ways.
fn log_proof(l: &crate::store::LogEquivocation) -> lianluo_proto::LogProof {
    lianluo_proto::LogProof {
        log_id: l.log_id.clone(),
        seq: l.seq,
        ours: l.ours.clone(),
        theirs: l.theirs.clone(),
        seen_by: l.seen_by.clone(),
        found_at: crate::domain::rfc3339(l.found_ms),
    }
}

/// RFC 3339 in UTC, whole seconds.
fn rfc3339(t: SystemTime) -> String {
    let t = time::OffsetDateTime::from(t);
    let t = t.replace_nanosecond(0).unwrap_or(t);
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use lianluo_federation::sync::Cursor;
    use lianluo_federation::tls::TlsConnectInfo;

    use super::*;

    fn as_user(root: &std::path::Path) -> Request<PeersRequest> {
        let der =
            lianluo_certs::read_cert_der(&root.join("pki/hezhou/users/coordinator.pem")).unwrap();
        let mut req = Request::new(PeersRequest {});
        req.extensions_mut().insert(TlsConnectInfo {
            remote_addr: "127.0.0.1:50000".parse().unwrap(),
            peer_certs: Some(Arc::new(vec![der.into()])),
        });
        req
    }

    #[tokio::test]
    async fn node_peers_lists_configured_peers_for_authenticated_users_only() {
        let tmp = tempfile::tempdir().unwrap();
        let path = crate::backup::tests::write_config(tmp.path(), "hezhou", "data");
        let state = crate::server::open_state(crate::config::load(&path).unwrap())
            .await
            .unwrap();
        let svc = NodeService::new(state);
        let resp = svc.peers(as_user(tmp.path())).await.unwrap().into_inner();
        assert_eq!(resp.city, "hezhou");
        assert_eq!(resp.peers.len(), 1);
        let q = &resp.peers[0];
        assert_eq!(
            (
                q.city.as_str(),
                q.state.as_str(),
                q.connected,
                q.address.as_str()
            ),
            ("qingyuan", "connecting", false, "127.0.0.1:1")
        );
        svc.state.peers.update("qingyuan", |p| {
            p.phase = PeerPhase::Connected;
            p.lag = 2;
        });
        let resp = svc.peers(as_user(tmp.path())).await.unwrap().into_inner();
        let q = &resp.peers[0];
        assert_eq!(
            (q.state.as_str(), q.connected, q.lag),
            ("connected", true, 2)
        );

        // A configured peer no worker registered is still listed.
        svc.state.peers.remove("qingyuan");
        let resp = svc.peers(as_user(tmp.path())).await.unwrap().into_inner();
        let q = &resp.peers[0];
        assert_eq!((q.city.as_str(), q.state.as_str()), ("qingyuan", "stopped"));
        assert_eq!(q.last_error, NO_WORKER);

        let e = svc.peers(Request::new(PeersRequest {})).await.unwrap_err();
        assert_eq!(e.code(), tonic::Code::Unauthenticated);
    }

    #[test]
    fn node_peer_state_maps_to_status() {
        let mut p = PeerState::new("qingyuan", "127.0.0.1:7112".parse().unwrap());
        p.phase = PeerPhase::Connected;
        p.lag = 4;
        p.last_contact = Some(SystemTime::UNIX_EPOCH + Duration::from_millis(1_700_000_000_250));
        p.cursor = Some(Cursor {
            log_id: "ab".repeat(16),
            seq: 33,
            event_id: String::new(),
        });
        p.attempt = 0;
        p.events_applied = 33;
        p.events_rejected = 1;
        p.last_error = Some("stream ended".into());
        let s = to_status(&p);
        assert_eq!(s.state, "connected");
        assert!(s.connected);
        assert_eq!(s.last_contact, "2023-11-14T22:13:20Z");
        assert_eq!((s.cursor_log_id.len(), s.cursor_seq), (32, 33));
        assert_eq!((s.lag, s.events_applied, s.events_rejected), (4, 33, 1));
        assert_eq!(s.last_error, "stream ended");
        let never = to_status(&PeerState::new("yongzhou", "127.0.0.1:1".parse().unwrap()));
        assert_eq!((never.last_contact.as_str(), never.connected), ("", false));
        assert_eq!(never.state, "connecting");
    }
}
