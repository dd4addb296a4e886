//! What the benchmarks run on: a real PKI and signer, real sled stores in temp dirs, and
//! events shaped like the federation's (about 600 bytes of body each).

use std::sync::Arc;

use lianluo_federation::envelope::{EventSigner, SignerDirectory, SIGNING_PREFIX};
use lianluo_node::domain::{self, EventId, RecordId};
use lianluo_node::ingest::{self, Incoming};
use lianluo_node::store::{open_sled, Store, StoreOptions};
use lianluo_proto::{change::Kind as K, Change, EventBody, Hlc, RecordKind, SignedEvent};
use prost::Message;

/// 2026-06-15T04:00:00Z.
pub const NOW: u64 = 1_781_496_000_000;

pub fn today() -> time::Date {
    domain::local_date(NOW)
}

fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("a temp dir")
}

const BODY: &str =
    "建议三市交通部门联合推进县乡道路连通，打通省际断头路，方便群众出行和农产品运输。";

fn body(record: &RecordId, city: &str, parents: Vec<String>, wall_ms: u64, change: K) -> EventBody {
    EventBody {
        authored_ms: 0,
        record_id: record.to_string(),
        kind: RecordKind::Suggestion as i32,
        author_city: city.into(),
        author_user: "coordinator".into(),
        hlc: Some(Hlc {
            wall_ms,
            counter: 0,
        }),
        parents,
        participants: Vec::new(),
        request_id: String::new(),
        change: Some(Change { kind: Some(change) }),
    }
}

fn submitted(title: &str) -> K {
    K::SuggestionSubmitted(lianluo_proto::SuggestionSubmitted {
        title: title.into(),
        body: BODY.repeat(4),
        proposers: vec!["李明".into()],
        station_id: String::new(),
        year: 2026,
        ..Default::default()
    })
}

fn creation(record: &RecordId, partners: &[&str], wall_ms: u64, title: &str) -> EventBody {
    let mut b = body(
        record,
        record.origin(),
        Vec::new(),
        wall_ms,
        submitted(title),
    );
    b.participants = std::iter::once(record.origin())
        .chain(partners.iter().copied())
        .map(String::from)
        .collect();
    b
}

fn incoming(b: EventBody) -> Incoming {
    let bytes = b.encode_to_vec();
    Incoming {
        id: EventId::of_body(&bytes),
        signed: SignedEvent {
            body: bytes,
            signature: vec![0x30; 72],
            signer_cert_sha256: "ab".repeat(32),
        },
        body: b,
        verified: true,
    }
}

/// A signed batch and what verifying it needs.
pub struct Signed {
    pub signers: SignerDirectory,
    pub events: Vec<SignedEvent>,
    /// (public key, signed message, signature) of each event.
    pub raw: Vec<(Vec<u8>, Vec<u8>, Vec<u8>)>,
}

/// `n` suggestion creations signed by Hezhou's signer, with a directory that knows it
/// and each signature's raw parts.
pub fn signed(n: usize) -> Signed {
    let dir = tempdir();
    let pki = lianluo_certs::Pki::init(dir.path(), "lianluo").expect("pki");
    let city = pki.ensure_city("hezhou", &[]).expect("city");
    let signer = EventSigner::load(&city.signer.cert, &city.signer.key, "lianluo").expect("signer");
    let signers = SignerDirectory::load(&pki.root_paths().cert, "lianluo").expect("directory");
    signers.add_cert(signer.cert_der()).expect("signer cert");
    let now = u64::try_from(time::OffsetDateTime::now_utc().unix_timestamp()).unwrap_or(0) * 1000;
    let events: Vec<SignedEvent> = (0..n)
        .map(|i| {
            let id = RecordId::new_at("hezhou");
            signer
                .sign(&creation(
                    &id,
                    &["qingyuan"],
                    now,
                    &format!("关于省际道路的建议{i}"),
                ))
                .expect("sign")
        })
        .collect();
    let key = public_key(signer.cert_der());
    let raw = events
        .iter()
        .map(|e| {
            let msg = [SIGNING_PREFIX, e.body.as_slice()].concat();
            (key.clone(), msg, e.signature.clone())
        })
        .collect();
    Signed {
        signers,
        events,
        raw,
    }
}

fn public_key(cert_der: &[u8]) -> Vec<u8> {
    let (_, cert) = x509_parser::parse_x509_certificate(cert_der).expect("a certificate");
    cert.public_key().subject_public_key.data.to_vec()
}

/// Verifies every signature with ring on every core, nothing else.
pub fn verify_raw_all_cores(raw: &[(Vec<u8>, Vec<u8>, Vec<u8>)]) -> usize {
    use ring::signature::{UnparsedPublicKey, ECDSA_P256_SHA256_ASN1};
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let per = raw.len().div_ceil(cores).max(1);
    std::thread::scope(|scope| {
        let parts: Vec<_> = raw
            .chunks(per)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .filter(|(key, msg, sig)| {
                            UnparsedPublicKey::new(&ECDSA_P256_SHA256_ASN1, key)
                                .verify(msg, sig)
                                .is_ok()
                        })
                        .count()
                })
            })
            .collect();
        parts.into_iter().map(|p| p.join().unwrap_or(0)).sum()
    })
}

/// A record whose next act is appended by [`Chain::append`].
pub struct Chain {
    record: RecordId,
    heads: Vec<String>,
    clock: u64,
}

/// A store holding one suggestion with `history` events (creation, dispatch, progress).
pub fn record_with_history(history: usize) -> (tempfile::TempDir, Arc<dyn Store>, Chain) {
    let dir = tempdir();
    let store = open_sled(dir.path(), "hezhou", StoreOptions::default()).expect("store");
    let record = RecordId::new_at("hezhou");
    let first = creation(&record, &[], NOW, "关于省际道路的建议");
    let first = incoming(first);
    let mut chain = Chain {
        heads: vec![first.id.hex()],
        record,
        clock: NOW,
    };
    commit(store.as_ref(), vec![first]);
    for _ in 1..history {
        chain.append(store.as_ref());
    }
    (dir, store, chain)
}

/// A store holding one dispatched suggestion with `notes` progress notes (each kept in
/// the record's state: the one part of a record's stored state that grows with events).
pub fn record_with_notes(notes: usize) -> (tempfile::TempDir, Arc<dyn Store>, Chain) {
    let (dir, store, mut chain) = record_with_history(2);
    for _ in 0..notes {
        chain.note(store.as_ref());
    }
    (dir, store, chain)
}

impl Chain {
    fn push(&mut self, store: &dyn Store, change: K) {
        self.clock += 1;
        let b = body(
            &self.record,
            "hezhou",
            self.heads.clone(),
            self.clock,
            change,
        );
        let ev = incoming(b);
        self.heads = vec![ev.id.hex()];
        commit(store, vec![ev]);
    }

    /// Appends one applied act that leaves the state's size as it is: the suggestion
    /// dispatched again, to a deadline that alternates.
    pub fn append(&mut self, store: &dyn Store) {
        let deadline = if self.clock.is_multiple_of(2) {
            "2026-09-30"
        } else {
            "2026-10-31"
        };
        let dispatch = K::SuggestionDispatched(lianluo_proto::SuggestionDispatched {
            unit: "贺州市交通运输局".into(),
            deadline: deadline.into(),
            ..Default::default()
        });
        self.push(store, dispatch);
    }

    /// Appends one progress note (applied: the state keeps every note).
    pub fn note(&mut self, store: &dyn Store) {
        let note = K::SuggestionProgress(lianluo_proto::SuggestionProgress { note: BODY.into() });
        self.push(store, note);
    }

    /// What an act cost before the stored state: read, decode and fold every event.
    pub fn refold(&self, store: &dyn Store) -> usize {
        let inputs = ingest::stored_inputs(store, &self.record).expect("history");
        let events: Vec<domain::FoldEvent> = inputs.into_iter().map(|(e, _)| e).collect();
        domain::fold(&events).steps.len()
    }
}

fn commit(store: &dyn Store, events: Vec<Incoming>) {
    let planned = ingest::plan(store, "hezhou", events).expect("plan");
    store.commit(planned.commit).expect("commit");
}

/// A store with `n` suggestions, a third of them shared with Qingyuan.
pub fn store_with_records(n: usize) -> (tempfile::TempDir, Arc<dyn Store>) {
    let dir = tempdir();
    let store = open_sled(dir.path(), "hezhou", StoreOptions::default()).expect("store");
    let mut batch = Vec::new();
    for i in 0..n {
        let record = RecordId::new_at("hezhou");
        let partners: &[&str] = if i % 3 == 0 { &["qingyuan"] } else { &[] };
        let title = format!("关于第{i}号省际道路的建议");
        batch.push(incoming(creation(
            &record,
            partners,
            NOW + i as u64,
            &title,
        )));
        if batch.len() == 1000 {
            commit(store.as_ref(), std::mem::take(&mut batch));
        }
    }
    commit(store.as_ref(), batch);
    (dir, store)
}

/// A page of 100 records shared with Qingyuan, as `List` plans it.
pub fn page_by_city(store: &dyn Store) -> usize {
    let f = lianluo_node::service::list::Filters {
        kind: None,
        status: None,
        city: Some("qingyuan".into()),
        station: None,
        overdue: false,
        text: None,
        updated_since: None,
        year: None,
        today: today(),
    };
    let page = lianluo_node::service::list::page(store, &f, None, 100).expect("page");
    page.records.len()
}

/// The same 100 index entries and record entries, read with nothing else.
pub fn raw_page(store: &dyn Store) -> usize {
    use lianluo_node::projection::IndexTerm;
    use std::ops::Bound;
    let start = IndexTerm::City("qingyuan".into()).encode();
    let mut end = start.clone();
    end.push(0xff);
    let hits = store
        .index_range(Bound::Included(start), Bound::Excluded(end), 100)
        .expect("index");
    hits.iter()
        .filter(|h| store.record(&h.record).ok().flatten().is_some())
        .count()
}

/// Hezhou's figures for 2026 from its counters and distinct-deputy sets, as a node reads
/// them.
pub fn figures_from_counters(store: &dyn Store) -> u64 {
    let counters = store.counters().expect("counters");
    let members = store.members().expect("members");
    lianluo_node::dashboard::figures::from_counters("hezhou", 2026, NOW, &counters, &members)
        .suggestions
}
