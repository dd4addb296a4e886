//! Replication tests on real nodes: a PKI from `lianluo_certs::Pki`, node configs like
//! `lianluo demo` writes, states opened with `server::open_state` on sled in a tempdir,
//! records created through the real write path with real user certificates.

mod expired;
mod parked;
mod pending;
mod sink;
mod source;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use lianluo_certs::Pki;
use lianluo_federation::identity::{peer_city_from_cert, PeerCity};
use lianluo_federation::sync::{SyncSink, SyncSource};
use lianluo_federation::tls::TlsConnectInfo;
use lianluo_proto::records_server::Records;
use lianluo_proto::{
    change::Kind, ActRequest, Change, CreateRequest, EventBody, ParticipantAdded, Record,
    SignedEvent, SuggestionDispatched, SuggestionSubmitted, SyncBatch, SyncEvent,
};
use prost::Message;
use rustls::pki_types::CertificateDer;
use tempfile::TempDir;

use super::{NodeSink, NodeSource};
use crate::service::RecordsService;
use crate::state::NodeState;

/// A node under test.
pub(crate) struct Node {
    pub state: Arc<NodeState>,
    pub source: NodeSource,
    pub sink: NodeSink,
    /// This node's city as its peers see it (from its node certificate).
    pub peer: PeerCity,
    records: RecordsService,
    user_der: Vec<u8>,
}

/// Nodes of a federation of `cities`, each listing the others as peers.
pub(crate) struct Fed {
    dir: TempDir,
    cities: Vec<String>,
    pub nodes: BTreeMap<String, Node>,
}

impl Fed {
    pub async fn new(cities: &[&str]) -> Fed {
        let dir = tempfile::tempdir().unwrap();
        let pki = Pki::init(&dir.path().join("pki"), "lianluo").unwrap();
        for city in cities {
            pki.ensure_city(city, &[]).unwrap();
            pki.issue_user(city, "coordinator", 30).unwrap();
        }
        let mut nodes = BTreeMap::new();
        for city in cities {
            nodes.insert(city.to_string(), open_node(dir.path(), city, cities).await);
        }
        let cities = cities.iter().map(|c| c.to_string()).collect();
        Fed { dir, cities, nodes }
    }

    /// Stops `city`'s node (final flush, store closed) and opens it again.
    pub async fn restart(&mut self, city: &str) {
        let node = self.nodes.remove(city).unwrap();
        node.state.flusher.shutdown().await.unwrap();
        drop(node);
        let cities: Vec<&str> = self.cities.iter().map(String::as_str).collect();
        let node = open_node(self.dir.path(), city, &cities).await;
        self.nodes.insert(city.to_string(), node);
    }

    pub fn node(&self, city: &str) -> &Node {
        &self.nodes[city]
    }
}

async fn open_node(dir: &Path, city: &str, cities: &[&str]) -> Node {
    let city_dir = dir.join(city);
    std::fs::create_dir_all(&city_dir).unwrap();
    let any: std::net::SocketAddr = ([127, 0, 0, 1], 0).into();
    let unreachable: std::net::SocketAddr = ([127, 0, 0, 1], 1).into();
    let peers: Vec<(&str, std::net::SocketAddr)> = cities
        .iter()
        .filter(|c| **c != city)
        .map(|c| (*c, unreachable))
        .collect();
    let toml = crate::config::NodeToml {
        city,
        data_dir: "data",
        api: any,
        federation: any,
        http: None,
        peers: &peers,
    }
    .render();
    let path = city_dir.join("node.toml");
    std::fs::write(&path, toml).unwrap();
    let config = crate::config::load(&path).unwrap();
    let state = crate::server::open_state(config).await.unwrap();
    let pki = dir.join("pki").join(city);
    let node_der = lianluo_certs::read_cert_der(&pki.join("node.pem")).unwrap();
    let user_der = lianluo_certs::read_cert_der(&pki.join("users/coordinator.pem")).unwrap();
    Node {
        source: NodeSource::new(state.clone()),
        sink: NodeSink::new(state.clone()),
        peer: peer_city_from_cert(&node_der, "lianluo").unwrap(),
        records: RecordsService::new(state.clone()),
        user_der,
        state,
    }
}

impl Node {
    /// A request as it arrives over mutual TLS from this city's coordinator.
    fn request<T>(&self, msg: T) -> tonic::Request<T> {
        let mut req = tonic::Request::new(msg);
        req.extensions_mut().insert(TlsConnectInfo {
            remote_addr: "127.0.0.1:40000".parse().unwrap(),
            peer_certs: Some(Arc::new(vec![CertificateDer::from(self.user_der.clone())])),
        });
        req
    }

    /// Creates a suggestion shared with `partners` through the real write path.
    pub async fn suggest(&self, partners: &[&str]) -> Record {
        let change = Kind::SuggestionSubmitted(SuggestionSubmitted {
            title: "关于加强湘粤桂毗邻地区交通衔接的建议".into(),
            body: "建议三地共同推进边界道路建设。".into(),
            proposers: vec!["李明".into()],
            station_id: String::new(),
            year: 2026,
            ..SuggestionSubmitted::default()
        });
        let req = CreateRequest {
            request_id: ulid::Ulid::new().to_string(),
            partners: partners.iter().map(|p| p.to_string()).collect(),
            change: Some(Change { kind: Some(change) }),
        };
        self.records
            .create(self.request(req))
            .await
            .unwrap()
            .into_inner()
    }

    /// Applies a change to a record through the real write path.
    pub async fn act(&self, record_id: &str, kind: Kind) -> Record {
        let req = ActRequest {
            record_id: record_id.into(),
            change: Some(Change { kind: Some(kind) }),
        };
        self.records
            .act(self.request(req))
            .await
            .unwrap()
            .into_inner()
    }

    /// Dispatches this city's part of a suggestion.
    pub async fn dispatch(&self, record_id: &str) -> Record {
        let kind = Kind::SuggestionDispatched(SuggestionDispatched {
            unit: "交通运输局".into(),
            deadline: "2026-09-30".into(),
            ..SuggestionDispatched::default()
        });
        self.act(record_id, kind).await
    }

    /// Adds `city` to a record.
    pub async fn add(&self, record_id: &str, city: &str) -> Record {
        let kind = Kind::ParticipantAdded(ParticipantAdded { city: city.into() });
        self.act(record_id, kind).await
    }

    /// What this node's source serves `to` after `after`, as a wire batch.
    pub async fn serve(&self, to: &Node, after: u64) -> SyncBatch {
        let head = *self.source.durable_head().borrow();
        let read = self.source.read(&to.peer, after, head, 256).await.unwrap();
        let at = self.source.event_id_at(read.covered_seq).await.unwrap();
        SyncBatch {
            checkpoints: Vec::new(),
            log_id: self.source.log_id(),
            events: read
                .events
                .into_iter()
                .map(|(seq, event)| SyncEvent {
                    seq,
                    event: Some(event),
                })
                .collect(),
            covered_seq: read.covered_seq,
            head_seq: head,
            signer_certs: self.source.signer_certs(),
            covered_event_id: at.unwrap_or_default(),
        }
    }

    /// Applies `batch` from `from` to this node's sink.
    pub async fn apply(
        &self,
        from: &Node,
        batch: SyncBatch,
    ) -> lianluo_federation::sync::ApplyReport {
        let report = self.sink.apply(&from.peer, Arc::new(batch)).await.unwrap();
        // The sink flushes in the background; the tests read on at once (serving what was
        // applied needs it durable).
        let head = self.state.store.last_seq().unwrap();
        self.state.flush_through(head).await.unwrap();
        report
    }

    /// The record as the API renders it, with its history.
    pub fn record(&self, id: &str) -> Option<Record> {
        let id = crate::domain::RecordId::parse(id).unwrap();
        let store = self.state.store.as_ref();
        let entry = store.record(&id).unwrap()?;
        crate::render::full(store, &id, &entry, crate::state::today(), None).unwrap()
    }

    /// The ids of the events this node holds of a record (its history).
    pub fn record_events(&self, id: &str) -> Vec<crate::domain::EventId> {
        let id = crate::domain::RecordId::parse(id).unwrap();
        let steps = self.state.store.history(&id).unwrap();
        steps.into_iter().map(|s| s.event).collect()
    }

    /// Signs `body` with this node's signer.
    pub fn sign(&self, body: &EventBody) -> SignedEvent {
        self.state.signer.sign(body).unwrap()
    }
}

/// Decodes the body of a signed event.
pub(super) fn body_of(e: &SignedEvent) -> EventBody {
    EventBody::decode(e.body.as_slice()).unwrap()
}

/// The event of a batch at index `i`.
pub(super) fn event_at(batch: &SyncBatch, i: usize) -> SignedEvent {
    batch.events[i].event.clone().unwrap()
}
