//! History signed by a since expired signer certificate: received while the event's time
//! lies within the certificate's validity, and still verified after a restart.

use lianluo_certs::{LeafFiles, Pki, SpiffeId};
use lianluo_federation::envelope::{event_id, SIGNING_PREFIX};
use lianluo_proto::{
    change::Kind, Change, EventBody, Hlc, RecordKind, SignedEvent, SuggestionSubmitted, SyncBatch,
    SyncEvent,
};
use prost::Message;
use ring::signature::{EcdsaKeyPair, ECDSA_P256_SHA256_ASN1_SIGNING};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::PrivatePkcs8KeyDer;
use time::{Duration, OffsetDateTime};

use lianluo_federation::sync::SyncSource;

use super::Fed;

/// Signs `body` with the key in `files` (the certificate may be expired: signed by hand,
/// as `EventSigner` refuses to load an expired certificate).
fn sign_with(files: &LeafFiles, body: &EventBody) -> SignedEvent {
    let key = PrivatePkcs8KeyDer::from_pem_file(&files.key).unwrap();
    let rng = ring::rand::SystemRandom::new();
    let pair = EcdsaKeyPair::from_pkcs8(
        &ECDSA_P256_SHA256_ASN1_SIGNING,
        key.secret_pkcs8_der(),
        &rng,
    )
    .unwrap();
    let bytes = body.encode_to_vec();
    let message = [SIGNING_PREFIX, bytes.as_slice()].concat();
    let signature = pair.sign(&rng, &message).unwrap();
    let der = lianluo_certs::read_cert_der(&files.cert).unwrap();
    SignedEvent {
        body: bytes,
        signature: signature.as_ref().to_vec(),
        signer_cert_sha256: lianluo_certs::cert_sha256_hex(&der),
    }
}

#[tokio::test]
async fn replication_restores_an_expired_signer_cert_so_its_history_stays_verified() {
    let mut fed = Fed::new(&["hezhou", "qingyuan"]).await;
    let pki = Pki::open(&fed.dir.path().join("pki")).unwrap();
    let old = LeafFiles {
        cert: fed.dir.path().join("old-signer.pem"),
        key: fed.dir.path().join("old-signer.key"),
    };
    let now = OffsetDateTime::now_utc();
    let id = SpiffeId::signer("lianluo", "hezhou").unwrap();
    pki.issue_with_validity(
        &id,
        now - Duration::days(60),
        now - Duration::days(30),
        &old,
    )
    .unwrap();
    let old_der = lianluo_certs::read_cert_der(&old.cert).unwrap();
    let old_sha = lianluo_certs::cert_sha256_hex(&old_der);

    // Hezhou created the record 45 days ago, while the old certificate was valid.
    let created = EventBody {
        authored_ms: 0,
        record_id: format!("hezhou-{}", ulid::Ulid::new()),
        kind: RecordKind::Suggestion as i32,
        author_city: "hezhou".into(),
        author_user: "coordinator".into(),
        hlc: Some(Hlc {
            wall_ms: (now - Duration::days(45)).unix_timestamp() as u64 * 1000,
            counter: 0,
        }),
        parents: Vec::new(),
        participants: vec!["hezhou".into(), "qingyuan".into()],
        request_id: ulid::Ulid::new().to_string(),
        change: Some(Change {
            kind: Some(Kind::SuggestionSubmitted(SuggestionSubmitted {
                title: "旧证书签名的跨界河道治理建议".into(),
                body: "建议两地联合清理河道。".into(),
                proposers: vec!["王芳".into()],
                station_id: String::new(),
                year: 2026,
                ..SuggestionSubmitted::default()
            })),
        }),
    };
    let signed = sign_with(&old, &created);
    let eid = event_id(&signed.body);
    let (a, b) = (fed.node("hezhou"), fed.node("qingyuan"));
    let batch = SyncBatch {
        checkpoints: Vec::new(),
        log_id: a.source.log_id(),
        events: vec![SyncEvent {
            seq: 1,
            event: Some(signed),
        }],
        covered_seq: 1,
        head_seq: 1,
        signer_certs: vec![old_der],
        covered_event_id: String::new(),
    };
    let report = b.apply(a, batch).await;
    assert_eq!((report.applied, report.rejected), (1, 0));

    fed.restart("qingyuan").await;
    let b = fed.node("qingyuan");
    assert_eq!(b.state.signers.city_of(&old_sha).as_deref(), Some("hezhou"));
    let rec = b.record(&created.record_id).unwrap();
    // Qingyuan acts on the record through the write path, which folds the stored history.
    let after = b.dispatch(&rec.id).await;
    assert_eq!(after.status, "dispatched");
    let entry = after.history.iter().find(|h| h.id == eid).unwrap();
    assert!(entry.verified && !entry.rejected, "{entry:?}");
}
