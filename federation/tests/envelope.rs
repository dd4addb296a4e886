//! Signed events with real signer certificates: what verifies and what is refused.
#![allow(clippy::unwrap_used)]

#[path = "support/pki.rs"]
mod support;

use lianluo_certs::SpiffeId;
use lianluo_federation::{
    event_id, to_status, EnvelopeError, EventSigner, FederationError, SignerDirectory,
    SIGNING_PREFIX,
};
use lianluo_proto::{change, Change, EventBody, Hlc, RecordKind, SuggestionSubmitted};
use prost::Message;
use support::{der, Fixture, TD};

fn signer(fx: &Fixture, city: &str) -> EventSigner {
    let files = fx.signer(city);
    EventSigner::load(&files.cert, &files.key, TD).unwrap()
}

fn directory(fx: &Fixture, cities: &[&str]) -> SignerDirectory {
    let dir = SignerDirectory::load(&fx.root_ca(), TD).unwrap();
    for city in cities {
        assert_eq!(dir.add_cert(&der(&fx.signer(city).cert)).unwrap(), *city);
    }
    dir
}

fn body(author: &str) -> EventBody {
    EventBody {
        record_id: format!("{author}-01J00000000000000000000000"),
        kind: RecordKind::Suggestion as i32,
        author_city: author.to_string(),
        author_user: "li.wei".to_string(),
        hlc: Some(Hlc {
            wall_ms: 1_700_000_000_000,
            counter: 3,
        }),
        parents: vec![],
        participants: vec![author.to_string(), "qingyuan".to_string()],
        request_id: "req-1".to_string(),
        change: Some(Change {
            kind: Some(change::Kind::SuggestionSubmitted(SuggestionSubmitted {
                title: "关于改善湘粤桂三省（区）毗邻地区道路的建议".to_string(),
                body: "省际断头路🚧需要打通。".to_string(),
                proposers: vec!["张三".to_string(), "李四".to_string()],
                station_id: String::new(),
                year: 2024,
            })),
        }),
    }
}

#[test]
fn valid_event_verifies_and_round_trips_chinese_text() {
    let fx = Fixture::new();
    let hezhou = signer(&fx, "hezhou");
    assert_eq!(hezhou.city(), "hezhou");
    assert_eq!(
        hezhou.cert_sha256(),
        lianluo_certs::cert_sha256_hex(hezhou.cert_der())
    );
    let dir = directory(&fx, &["hezhou", "qingyuan"]);
    let original = body("hezhou");
    let signed = hezhou.sign(&original).unwrap();
    assert_eq!(signed.body, original.encode_to_vec());
    assert_eq!(signed.signer_cert_sha256, hezhou.cert_sha256());
    let verified = dir.verify(&signed).unwrap();
    assert_eq!(verified.body, original);
    assert_eq!(verified.id, event_id(&signed.body));
    assert_eq!(verified.id.len(), 64);
    assert!(verified
        .id
        .chars()
        .all(|c| matches!(c, '0'..='9' | 'a'..='f')));
}

#[test]
fn event_id_is_lowercase_hex_sha256_of_the_body_bytes() {
    // SHA-256("abc"), FIPS 180-2 test vector.
    assert_eq!(
        event_id(b"abc"),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    assert_eq!(SIGNING_PREFIX, b"lianluo.v1.event\0");
}

#[test]
fn the_exact_signed_bytes_are_verified_never_a_re_encoding() {
    let fx = Fixture::new();
    let hezhou = signer(&fx, "hezhou");
    let dir = directory(&fx, &["hezhou"]);
    // An unknown field (tag 99, varint 7) survives decoding but not re-encoding: the
    // signature must still verify because the original bytes are what is checked.
    let mut bytes = body("hezhou").encode_to_vec();
    bytes.extend_from_slice(&[0x98, 0x06, 0x07]);
    let signed = hezhou.sign_encoded(bytes.clone()).unwrap();
    let verified = dir.verify(&signed).unwrap();
    assert_eq!(verified.id, event_id(&bytes));
    assert_ne!(verified.body.encode_to_vec(), bytes);
}

#[test]
fn tampered_body_is_rejected() {
    let fx = Fixture::new();
    let hezhou = signer(&fx, "hezhou");
    let dir = directory(&fx, &["hezhou"]);
    let mut signed = hezhou.sign(&body("hezhou")).unwrap();
    let last = signed.body.len() - 1;
    signed.body[last] ^= 0x01;
    let err = dir.verify(&signed).unwrap_err();
    assert!(
        matches!(err, EnvelopeError::BadSignature { ref city, .. } if city == "hezhou"),
        "{err:?}"
    );
}

/// Signs `message` with the raw signer key, outside `EventSigner`.
fn raw_sign(fx: &Fixture, city: &str, message: &[u8]) -> Vec<u8> {
    use ring::signature::{EcdsaKeyPair, ECDSA_P256_SHA256_ASN1_SIGNING};
    use rustls::pki_types::pem::PemObject;
    let pem = std::fs::read(fx.signer(city).key).unwrap();
    let key = rustls::pki_types::PrivatePkcs8KeyDer::from_pem_slice(&pem).unwrap();
    let rng = ring::rand::SystemRandom::new();
    let pair = EcdsaKeyPair::from_pkcs8(
        &ECDSA_P256_SHA256_ASN1_SIGNING,
        key.secret_pkcs8_der(),
        &rng,
    )
    .unwrap();
    pair.sign(&rng, message).unwrap().as_ref().to_vec()
}

#[test]
fn signature_covers_the_domain_prefix_then_the_body() {
    let fx = Fixture::new();
    let hezhou = signer(&fx, "hezhou");
    let dir = directory(&fx, &["hezhou"]);
    let bytes = body("hezhou").encode_to_vec();
    let mut event = hezhou.sign_encoded(bytes.clone()).unwrap();
    // The documented scheme, computed independently, verifies.
    let mut message = SIGNING_PREFIX.to_vec();
    message.extend_from_slice(&bytes);
    event.signature = raw_sign(&fx, "hezhou", &message);
    dir.verify(&event).unwrap();
    // The same key over the bare body (no domain separation) does not.
    event.signature = raw_sign(&fx, "hezhou", &bytes);
    let err = dir.verify(&event).unwrap_err();
    assert!(matches!(err, EnvelopeError::BadSignature { .. }), "{err:?}");
}

#[test]
fn signature_by_another_citys_signer_is_rejected() {
    let fx = Fixture::new();
    let hezhou = signer(&fx, "hezhou");
    let qingyuan = signer(&fx, "qingyuan");
    let dir = directory(&fx, &["hezhou", "qingyuan"]);
    // Qingyuan's key signs a hezhou event and names hezhou's certificate.
    let mut forged = qingyuan.sign(&body("hezhou")).unwrap();
    forged.signer_cert_sha256 = hezhou.cert_sha256().to_string();
    let err = dir.verify(&forged).unwrap_err();
    assert!(matches!(err, EnvelopeError::BadSignature { .. }), "{err:?}");
}

#[test]
fn signer_claiming_another_author_city_is_rejected() {
    let fx = Fixture::new();
    let hezhou = signer(&fx, "hezhou");
    let dir = directory(&fx, &["hezhou", "qingyuan"]);
    let signed = hezhou.sign(&body("qingyuan")).unwrap();
    let err = dir.verify(&signed).unwrap_err();
    assert!(
        matches!(err, EnvelopeError::AuthorMismatch { .. }),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        format!(
            "event {} claims author city qingyuan but is signed by hezhou's signer",
            event_id(&signed.body)
        )
    );
    let status = to_status(&FederationError::from(err));
    assert_eq!(status.code(), tonic::Code::PermissionDenied);
}

#[test]
fn unknown_signer_is_rejected() {
    let fx = Fixture::new();
    let yongzhou = signer(&fx, "yongzhou");
    let dir = directory(&fx, &["hezhou", "qingyuan"]);
    let err = dir
        .verify(&yongzhou.sign(&body("yongzhou")).unwrap())
        .unwrap_err();
    assert!(
        matches!(err, EnvelopeError::UnknownSigner { ref sha256, .. } if sha256 == yongzhou.cert_sha256()),
        "{err:?}"
    );
    // Once its certificate is exchanged, the same event verifies.
    dir.add_cert(yongzhou.cert_der()).unwrap();
    dir.verify(&yongzhou.sign(&body("yongzhou")).unwrap())
        .unwrap();
    assert_eq!(dir.len(), 3);
    assert_eq!(dir.certs().len(), 3);
    assert_eq!(
        dir.city_of(yongzhou.cert_sha256()).as_deref(),
        Some("yongzhou")
    );
}

#[test]
fn undecodable_body_is_rejected_after_the_signature_check() {
    let fx = Fixture::new();
    let hezhou = signer(&fx, "hezhou");
    let dir = directory(&fx, &["hezhou"]);
    let signed = hezhou.sign_encoded(vec![0xff, 0xff, 0xff]).unwrap();
    let err = dir.verify(&signed).unwrap_err();
    assert!(matches!(err, EnvelopeError::Malformed { .. }), "{err:?}");
    assert_eq!(to_status(&err.into()).code(), tonic::Code::InvalidArgument);
}

#[test]
fn directory_refuses_certificates_that_are_not_genuine_current_signers() {
    let fx = Fixture::new();
    let dir = directory(&fx, &[]);
    let refused = |der: &[u8]| match dir.add_cert(der) {
        Err(EnvelopeError::UntrustedSigner { reason, .. }) => reason,
        other => panic!("expected refusal, got {other:?}"),
    };
    let id = SpiffeId::signer(TD, "hezhou").unwrap();
    let reason = refused(&der(&fx.foreign(&id, "foreign-signer").cert));
    assert!(
        reason.contains("not issued by this federation's root CA"),
        "{reason}"
    );
    let reason = refused(&der(&fx.expired(&id, "expired-signer").cert));
    assert!(reason.contains("not valid now"), "{reason}");
    let reason = refused(&der(&fx.node("hezhou").cert));
    assert!(
        reason.contains("a node certificate, but a signer certificate"),
        "{reason}"
    );
    let other = lianluo_certs::Pki::init(&fx.dir.path().join("other"), "elsewhere").unwrap();
    let paths = other.ensure_city("hezhou", &[]).unwrap();
    let reason = refused(&der(&paths.signer.cert));
    assert!(reason.contains("trust domain `elsewhere`"), "{reason}");
    assert!(dir.is_empty());
}

#[test]
fn revoked_signer_is_refused_and_its_events_no_longer_verify() {
    let fx = Fixture::new();
    let hezhou = signer(&fx, "hezhou");
    let dir = directory(&fx, &["hezhou", "qingyuan"]);
    let signed = hezhou.sign(&body("hezhou")).unwrap();
    dir.verify(&signed).unwrap();
    fx.pki.revoke(&fx.signer("hezhou").cert).unwrap();
    let crl = lianluo_certs::read_crl_der(&fx.root_crl()).unwrap();
    assert_eq!(dir.apply_crl(&crl).unwrap(), 1);
    let err = dir.verify(&signed).unwrap_err();
    assert!(
        matches!(err, EnvelopeError::SignerRevoked { .. }),
        "{err:?}"
    );
    // Qingyuan is unaffected; a fresh directory refuses the revoked certificate.
    let qingyuan = signer(&fx, "qingyuan");
    dir.verify(&qingyuan.sign(&body("qingyuan")).unwrap())
        .unwrap();
    let fresh = directory(&fx, &[]);
    fresh.apply_crl(&crl).unwrap();
    assert!(matches!(
        fresh.add_cert(hezhou.cert_der()),
        Err(EnvelopeError::UntrustedSigner { .. })
    ));
    // A CRL not signed by the root CA is refused.
    let user_crl =
        lianluo_certs::read_crl_der(&fx.pki.city_paths("hezhou").unwrap().user_ca_crl).unwrap();
    assert!(matches!(
        fresh.apply_crl(&user_crl),
        Err(EnvelopeError::Invalid { .. })
    ));
}

#[test]
fn signer_load_checks_role_key_and_validity() {
    let fx = Fixture::new();
    let signer_files = fx.signer("hezhou");
    let node_files = fx.node("hezhou");
    let err = EventSigner::load(&signer_files.cert, &node_files.key, TD).unwrap_err();
    assert!(
        err.to_string()
            .contains("does not belong to the signer certificate"),
        "{err}"
    );
    let err = EventSigner::load(&node_files.cert, &node_files.key, TD).unwrap_err();
    assert!(
        err.to_string()
            .contains("a node certificate, but a signer certificate"),
        "{err}"
    );
    let err = EventSigner::load(&signer_files.cert, &signer_files.key, "elsewhere").unwrap_err();
    assert!(matches!(err, EnvelopeError::Invalid { .. }), "{err:?}");
    let id = SpiffeId::signer(TD, "hezhou").unwrap();
    let expired = fx.expired(&id, "expired-signer");
    let err = EventSigner::load(&expired.cert, &expired.key, TD).unwrap_err();
    assert!(err.to_string().contains("not valid now"), "{err}");
    let missing = fx.dir.path().join("missing.pem");
    let err = EventSigner::load(&missing, &signer_files.key, TD).unwrap_err();
    assert!(matches!(err, EnvelopeError::Read { .. }), "{err:?}");
    assert!(err.to_string().contains("missing.pem"), "{err}");
}
