//! Revocation and CRLs, checked by parsing the written CRL files with x509-parser.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use lianluo_certs::{read_cert_der, read_crl_der, CertError, CertInfo, LeafFiles, Pki, SpiffeId};
use time::{Duration, OffsetDateTime};
use x509_parser::prelude::{FromDer, X509Certificate};
use x509_parser::revocation_list::CertificateRevocationList;

struct Crl {
    serials: Vec<String>,
    number: u64,
    next_update: OffsetDateTime,
    signed_by_ca: bool,
}

fn hex(bytes: &[u8]) -> String {
    let start = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    bytes[start..].iter().map(|b| format!("{b:02x}")).collect()
}

fn crl(crl_path: &Path, ca_path: &Path) -> Crl {
    let der = read_crl_der(crl_path).unwrap();
    let (_, crl) = CertificateRevocationList::from_der(&der).unwrap();
    let ca_der = read_cert_der(ca_path).unwrap();
    let (_, ca) = X509Certificate::from_der(&ca_der).unwrap();
    Crl {
        serials: crl
            .iter_revoked_certificates()
            .map(|r| hex(r.raw_serial()))
            .collect(),
        number: crl
            .crl_number()
            .unwrap()
            .to_u64_digits()
            .first()
            .copied()
            .unwrap_or(0),
        next_update: crl.next_update().unwrap().to_datetime(),
        signed_by_ca: crl.verify_signature(ca.public_key()).is_ok() && crl.issuer() == ca.subject(),
    }
}

fn setup() -> (tempfile::TempDir, Pki) {
    let tmp = tempfile::tempdir().unwrap();
    let pki = Pki::init(&tmp.path().join("pki"), "lianluo").unwrap();
    pki.ensure_city("hezhou", &[]).unwrap();
    pki.ensure_city("qingyuan", &[]).unwrap();
    (tmp, pki)
}

#[test]
fn fresh_crls_are_empty_signed_and_valid_for_30_days() {
    let (_tmp, pki) = setup();
    let root = pki.root_paths();
    let c = crl(&root.crl, &root.cert);
    assert!(c.serials.is_empty());
    assert_eq!(c.number, 1);
    assert!(c.signed_by_ca);
    let left = c.next_update - OffsetDateTime::now_utc();
    assert!(
        left > Duration::days(29) && left <= Duration::days(30),
        "{left}"
    );
    let city = pki.city_paths("hezhou").unwrap();
    let c = crl(&city.user_ca_crl, &city.user_ca_cert);
    assert!(c.serials.is_empty() && c.signed_by_ca);
}

#[test]
fn revoking_a_user_cert_lists_its_serial_in_its_city_crl_only() {
    let (_tmp, pki) = setup();
    let ann = pki.issue_user("hezhou", "ann", 30).unwrap();
    let bob = pki.issue_user("hezhou", "bob", 30).unwrap();
    let hezhou = pki.city_paths("hezhou").unwrap();
    let qingyuan = pki.city_paths("qingyuan").unwrap();

    let revoked = pki.revoke(&ann.files.cert).unwrap();
    assert_eq!(revoked.serial, ann.serial);
    assert_eq!(revoked.spiffe, Some(ann.spiffe.clone()));
    assert_eq!(revoked.ca_cert, hezhou.user_ca_cert);
    assert_eq!(revoked.crl, hezhou.user_ca_crl);
    assert_eq!(revoked.crl_number, 2);
    assert!(!revoked.already_revoked);

    let c = crl(&hezhou.user_ca_crl, &hezhou.user_ca_cert);
    assert_eq!(c.serials, [ann.serial.as_str()]);
    assert_eq!(c.number, 2);
    assert!(c.signed_by_ca);
    assert!(!c.serials.contains(&bob.serial));
    assert!(crl(&qingyuan.user_ca_crl, &qingyuan.user_ca_cert)
        .serials
        .is_empty());
    let root = pki.root_paths();
    assert!(crl(&root.crl, &root.cert).serials.is_empty());

    // Revoking again is harmless: no duplicate entry, a newer CRL.
    let again = pki.revoke(&ann.files.cert).unwrap();
    assert!(again.already_revoked);
    assert_eq!(again.crl_number, 3);
    assert_eq!(
        crl(&hezhou.user_ca_crl, &hezhou.user_ca_cert).serials,
        [ann.serial.as_str()]
    );

    pki.revoke(&bob.files.cert).unwrap();
    let mut serials = crl(&hezhou.user_ca_crl, &hezhou.user_ca_cert).serials;
    serials.sort();
    let mut expected = vec![ann.serial, bob.serial];
    expected.sort();
    assert_eq!(serials, expected);
}

#[test]
fn revoking_a_node_cert_goes_to_the_root_crl() {
    let (_tmp, pki) = setup();
    let node = pki.city_paths("qingyuan").unwrap().node.cert;
    let serial = CertInfo::from_pem_file(&node).unwrap().serial;
    let revoked = pki.revoke(&node).unwrap();
    let root = pki.root_paths();
    assert_eq!(revoked.ca_cert, root.cert);
    let c = crl(&root.crl, &root.cert);
    assert_eq!(c.serials, [serial]);
    assert!(c.signed_by_ca);
    let list = std::fs::read_to_string(pki.dir().join("root-ca.revoked")).unwrap();
    assert!(
        list.contains("spiffe://lianluo/city/qingyuan/node"),
        "{list}"
    );
}

#[test]
fn refresh_regenerates_every_crl_and_keeps_revocations() {
    let (_tmp, pki) = setup();
    let ann = pki.issue_user("qingyuan", "ann", 30).unwrap();
    pki.revoke(&ann.files.cert).unwrap();
    let written = pki.refresh_crls().unwrap();
    let hezhou = pki.city_paths("hezhou").unwrap();
    let qingyuan = pki.city_paths("qingyuan").unwrap();
    assert_eq!(
        written,
        [
            pki.root_paths().crl,
            hezhou.user_ca_crl.clone(),
            qingyuan.user_ca_crl.clone()
        ]
    );
    let root = pki.root_paths();
    assert_eq!(crl(&root.crl, &root.cert).number, 2);
    assert_eq!(crl(&hezhou.user_ca_crl, &hezhou.user_ca_cert).number, 2);
    let q = crl(&qingyuan.user_ca_crl, &qingyuan.user_ca_cert);
    assert_eq!(q.number, 3);
    assert_eq!(q.serials, [ann.serial]);
}

#[test]
fn foreign_and_ca_certs_are_not_revoked() {
    let (tmp, pki) = setup();
    let id = SpiffeId::user("lianluo", "hezhou", "ann").unwrap();
    let files = LeafFiles {
        cert: tmp.path().join("f.pem"),
        key: tmp.path().join("f.key"),
    };
    pki.foreign_leaf(&id, &files).unwrap();
    let err = pki.revoke(&files.cert).unwrap_err();
    assert!(matches!(err, CertError::UnknownIssuer { .. }), "{err}");

    let other = Pki::init(&tmp.path().join("other"), "lianluo").unwrap();
    other.ensure_city("hezhou", &[]).unwrap();
    let node = other.city_paths("hezhou").unwrap().node.cert;
    assert!(matches!(
        pki.revoke(&node),
        Err(CertError::UnknownIssuer { .. })
    ));

    let err = pki.revoke(&pki.root_paths().cert).unwrap_err().to_string();
    assert!(err.contains("is a CA certificate"), "{err}");
    let err = pki
        .revoke(&tmp.path().join("missing.pem"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("missing.pem"), "{err}");
    let hezhou = pki.city_paths("hezhou").unwrap();
    assert!(crl(&hezhou.user_ca_crl, &hezhou.user_ca_cert)
        .serials
        .is_empty());
}

#[test]
fn a_deleted_crl_is_rebuilt_from_the_revoked_list() {
    let (_tmp, pki) = setup();
    let ann = pki.issue_user("hezhou", "ann", 30).unwrap();
    pki.revoke(&ann.files.cert).unwrap();
    let city = pki.city_paths("hezhou").unwrap();
    std::fs::remove_file(&city.user_ca_crl).unwrap();
    let again = pki.ensure_city("hezhou", &[]).unwrap();
    assert_eq!(again.created, [city.user_ca_crl.as_path()]);
    assert_eq!(
        crl(&city.user_ca_crl, &city.user_ca_cert).serials,
        [ann.serial]
    );
}
