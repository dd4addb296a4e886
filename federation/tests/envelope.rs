//! Signed events with real signer certificates: what verifies and what is refused.
#![allow(clippy::unwrap_used)]

#[path = "support/pki.rs"]
mod support;

use std::path::{Path, PathBuf};

use lianluo_certs::SpiffeId;
use lianluo_federation::envelope::CLOCK_SKEW;
use lianluo_federation::{
    event_id, to_status, EnvelopeError, EventSigner, FederationError, SignerDirectory,
    SIGNING_PREFIX,
};
use lianluo_proto::{change, Change, EventBody, Hlc, RecordKind, SignedEvent, SuggestionSubmitted};
use prost::Message;
use support::{der, Fixture, TD};
use time::{Duration, OffsetDateTime};

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

/// The current time in HLC milliseconds, inside the fixture certificates' validity.
fn now_ms() -> u64 {
    u64::try_from(OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000).unwrap()
}

fn body(author: &str) -> EventBody {
    EventBody {
        authored_ms: 0,
        record_id: format!("{author}-01J00000000000000000000000"),
        kind: RecordKind::Suggestion as i32,
        author_city: author.to_string(),
        author_user: "li.wei".to_string(),
        hlc: Some(Hlc {
            wall_ms: now_ms(),
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
                ..Default::default()
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

/// Signs `message` with the city's signer key, outside `EventSigner`.
fn raw_sign(fx: &Fixture, city: &str, message: &[u8]) -> Vec<u8> {
    key_sign(&fx.signer(city).key, message)
}

/// Signs `message` with the PKCS#8 PEM key at `key`.
fn key_sign(key: &Path, message: &[u8]) -> Vec<u8> {
    use ring::signature::{EcdsaKeyPair, ECDSA_P256_SHA256_ASN1_SIGNING};
    use rustls::pki_types::pem::PemObject;
    let pem = std::fs::read(key).unwrap();
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

/// A genuine signer certificate of `city` with an explicit validity window.
struct Issued {
    der: Vec<u8>,
    key: PathBuf,
}

fn issue(
    fx: &Fixture,
    city: &str,
    name: &str,
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
) -> Issued {
    let files = fx.scratch(name);
    let id = SpiffeId::signer(TD, city).unwrap();
    fx.pki
        .issue_with_validity(&id, not_before, not_after, &files)
        .unwrap();
    Issued {
        der: der(&files.cert),
        key: files.key,
    }
}

/// A `city` event stamped `at` (no hlc when `None`), signed with `cert`'s key even if
/// `cert` has expired (which `EventSigner` refuses).
fn signed_at(cert: &Issued, city: &str, at: Option<OffsetDateTime>) -> SignedEvent {
    let mut b = body(city);
    b.hlc = at.map(|at| Hlc {
        wall_ms: u64::try_from(at.unix_timestamp_nanos() / 1_000_000).unwrap(),
        counter: 0,
    });
    let bytes = b.encode_to_vec();
    let mut message = SIGNING_PREFIX.to_vec();
    message.extend_from_slice(&bytes);
    SignedEvent {
        signature: key_sign(&cert.key, &message),
        body: bytes,
        signer_cert_sha256: lianluo_certs::cert_sha256_hex(&cert.der),
    }
}

#[test]
fn expired_signer_verifies_what_it_signed_while_valid() {
    let fx = Fixture::new();
    let dir = directory(&fx, &[]);
    let now = OffsetDateTime::now_utc();
    let (from, until) = (now - Duration::days(400), now - Duration::days(35));
    let old = issue(&fx, "hezhou", "old-signer", from, until);
    assert_eq!(dir.add_cert(&old.der).unwrap(), "hezhou");
    let info = dir
        .signer(&lianluo_certs::cert_sha256_hex(&old.der))
        .unwrap();
    assert_eq!((info.city.as_str(), info.revoked), ("hezhou", false));
    assert!((info.not_after - until).abs() <= Duration::seconds(1));
    let skew = CLOCK_SKEW - Duration::seconds(10);
    for at in [from + Duration::days(100), from - skew, until + skew] {
        let event = signed_at(&old, "hezhou", Some(at));
        dir.verify(&event).unwrap();
        dir.verify_history(&event).unwrap();
    }
    let late = CLOCK_SKEW + Duration::seconds(10);
    for at in [until + late, now] {
        let event = signed_at(&old, "hezhou", Some(at));
        let err = dir.verify(&event).unwrap_err();
        assert!(
            matches!(err, EnvelopeError::UntrustedSigner { ref reason, .. }
                if reason.contains("after hezhou's signer certificate expired at")),
            "{err:?}"
        );
        assert_eq!(
            dir.verify_history(&event).unwrap().id,
            event_id(&event.body)
        );
    }
    let early = signed_at(&old, "hezhou", Some(from - late));
    let err = dir.verify(&early).unwrap_err();
    assert!(
        err.to_string()
            .contains("before hezhou's signer certificate became valid"),
        "{err}"
    );
    dir.verify_history(&early).unwrap();
    // An event without an hlc cannot be placed in the window: strict refuses it.
    let event = signed_at(&old, "hezhou", None);
    let err = dir.verify(&event).unwrap_err();
    assert!(err.to_string().contains("has no hlc"), "{err}");
    dir.verify_history(&event).unwrap();
    // History still checks the author city.
    let err = dir
        .verify_history(&signed_at(&old, "qingyuan", Some(now)))
        .unwrap_err();
    assert!(
        matches!(err, EnvelopeError::AuthorMismatch { .. }),
        "{err:?}"
    );
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
fn directory_refuses_certificates_that_are_not_genuine_signers() {
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
    let now = OffsetDateTime::now_utc();
    let future = issue(
        &fx,
        "hezhou",
        "future",
        now + Duration::days(1),
        now + Duration::days(30),
    );
    // Not valid yet by this clock: refused for now, and it may pass later.
    let err = dir.add_cert(&future.der).unwrap_err();
    assert!(
        matches!(err, EnvelopeError::SignerNotYetValid { .. }),
        "{err:?}"
    );
    assert!(err.may_pass_later());
    assert!(err.to_string().contains("not valid yet"), "{err}");
    assert!(!EnvelopeError::Sign("x".into()).may_pass_later());
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
fn revoked_signer_signs_no_new_event_but_its_history_stays() {
    let fx = Fixture::new();
    let hezhou = signer(&fx, "hezhou");
    let dir = directory(&fx, &["hezhou", "qingyuan"]);
    let signed = hezhou.sign(&body("hezhou")).unwrap();
    dir.verify(&signed).unwrap();
    fx.pki.revoke(&fx.signer("hezhou").cert).unwrap();
    assert_eq!(dir.apply_crl_file(&fx.root_crl()).unwrap(), 1);
    let err = dir.verify(&signed).unwrap_err();
    assert!(
        matches!(err, EnvelopeError::SignerRevoked { ref city, .. } if city == "hezhou"),
        "{err:?}"
    );
    assert_eq!(to_status(&err.into()).code(), tonic::Code::PermissionDenied);
    let history = dir.verify_history(&signed).unwrap();
    assert_eq!(history.id, event_id(&signed.body));
    assert_eq!(history.body.author_city, "hezhou");
    // Still only a genuine signature counts as history.
    let mut forged = signed.clone();
    forged.body[0] ^= 0x01;
    let err = dir.verify_history(&forged).unwrap_err();
    assert!(matches!(err, EnvelopeError::BadSignature { .. }), "{err:?}");
    // Qingyuan is unaffected.
    let qingyuan = signer(&fx, "qingyuan");
    dir.verify(&qingyuan.sign(&body("qingyuan")).unwrap())
        .unwrap();
    // After a restart (CRL first, then the stored certificates) the same holds.
    let fresh = directory(&fx, &[]);
    assert_eq!(fresh.apply_crl_file(&fx.root_crl()).unwrap(), 0);
    assert_eq!(fresh.add_cert(hezhou.cert_der()).unwrap(), "hezhou");
    assert!(fresh.signer(hezhou.cert_sha256()).unwrap().revoked);
    assert!(!dir.signer(qingyuan.cert_sha256()).unwrap().revoked);
    assert!(matches!(
        fresh.verify(&signed),
        Err(EnvelopeError::SignerRevoked { .. })
    ));
    fresh.verify_history(&signed).unwrap();
}

#[test]
fn crls_of_other_issuers_are_ignored_and_forged_root_crls_refused() {
    let fx = Fixture::new();
    let dir = directory(&fx, &["hezhou"]);
    let hezhou = fx.pki.city_paths("hezhou").unwrap();
    let user = fx.user("hezhou", "li.wei");
    fx.pki.revoke(&user.cert).unwrap();
    fx.pki.revoke(&hezhou.signer.cert).unwrap();
    // The user CA's CRL: another issuer, ignored by the file API, refused by the DER API.
    assert_eq!(dir.apply_crl_file(&hezhou.user_ca_crl).unwrap(), 0);
    let user_crl = lianluo_certs::read_crl_der(&hezhou.user_ca_crl).unwrap();
    assert!(matches!(
        dir.apply_crl(&user_crl),
        Err(EnvelopeError::Invalid { .. })
    ));
    // Another federation's root CA has the same name but another key: ignored.
    let other = lianluo_certs::Pki::init(&fx.dir.path().join("other"), TD).unwrap();
    other.ensure_city("hezhou", &[]).unwrap();
    other
        .revoke(&other.city_paths("hezhou").unwrap().signer.cert)
        .unwrap();
    assert_eq!(dir.apply_crl_file(&other.root_paths().crl).unwrap(), 0);
    assert!(!dir.signer(&sha256_of(&hezhou.signer.cert)).unwrap().revoked);
    // Our root CA's CRL with a damaged signature: refused, naming the file.
    let forged = fx.dir.path().join("forged.crl.pem");
    std::fs::write(&forged, damage_signature(&fx.root_crl())).unwrap();
    let err = dir.apply_crl_file(&forged).unwrap_err();
    assert!(
        matches!(err, EnvelopeError::Invalid { ref what, .. } if what.contains("forged.crl.pem")),
        "{err:?}"
    );
    assert!(err.to_string().contains("not signed by its key"), "{err}");
    // Not a CRL at all, or missing: errors.
    let err = dir.apply_crl_file(&fx.root_ca()).unwrap_err();
    assert!(err.to_string().contains("no `X509 CRL` PEM block"), "{err}");
    let err = dir
        .apply_crl_file(&fx.dir.path().join("none.pem"))
        .unwrap_err();
    assert!(matches!(err, EnvelopeError::Read { .. }), "{err:?}");
    // The genuine one applies.
    assert_eq!(dir.apply_crl_file(&fx.root_crl()).unwrap(), 1);
}

/// The PEM at `path` with one base64 character of the signature's last line changed.
fn damage_signature(path: &std::path::Path) -> String {
    let pem = std::fs::read_to_string(path).unwrap();
    let mut lines: Vec<String> = pem.lines().map(str::to_string).collect();
    let end = lines
        .iter()
        .position(|l| l.starts_with("-----END"))
        .unwrap();
    // Second-to-last base64 line, near its end: inside the signature bit string.
    let line = &mut lines[end - 2];
    let at = line.len() - 4;
    let c = if &line[at..=at] == "A" { "B" } else { "A" };
    line.replace_range(at..=at, c);
    lines.join("\n") + "\n"
}

fn sha256_of(cert: &std::path::Path) -> String {
    lianluo_certs::cert_sha256_hex(&der(cert))
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
