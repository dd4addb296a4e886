//! PKI creation and issuance against real files in temporary directories.
#![allow(clippy::unwrap_used)]

use std::collections::HashSet;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use lianluo_certs::spiffe::Role;
use lianluo_certs::{read_cert_der, CertError, CertInfo, LeafFiles, Pki, SpiffeId};
use time::{Duration, OffsetDateTime};
use x509_parser::extensions::GeneralName;
use x509_parser::prelude::{FromDer, X509Certificate};

fn der(path: &Path) -> Vec<u8> {
    read_cert_der(path).unwrap()
}

fn verifies(cert_der: &[u8], ca_der: &[u8]) -> bool {
    let (_, cert) = X509Certificate::from_der(cert_der).unwrap();
    let (_, ca) = X509Certificate::from_der(ca_der).unwrap();
    cert.verify_signature(Some(ca.public_key())).is_ok()
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn setup(cities: &[&str]) -> (tempfile::TempDir, Pki) {
    let tmp = tempfile::tempdir().unwrap();
    let pki = Pki::init(&tmp.path().join("pki"), "lianluo").unwrap();
    for city in cities {
        pki.ensure_city(
            city,
            &["hezhou.example".to_string(), "10.1.2.3".to_string()],
        )
        .unwrap();
    }
    (tmp, pki)
}

#[test]
fn init_twice_keeps_the_ca() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("pki");
    let (_, first) = Pki::init_with_report(&dir, "lianluo").unwrap();
    assert_eq!(first.created.len(), 4, "{:?}", first.created);
    let cert = std::fs::read(&first.cert).unwrap();
    let key = std::fs::read(&first.key).unwrap();
    let crl = std::fs::read(&first.crl).unwrap();

    let (pki, second) = Pki::init_with_report(&dir, "lianluo").unwrap();
    assert!(second.created.is_empty(), "{:?}", second.created);
    assert_eq!(std::fs::read(&second.cert).unwrap(), cert);
    assert_eq!(std::fs::read(&second.key).unwrap(), key);
    assert_eq!(std::fs::read(&second.crl).unwrap(), crl);
    assert_eq!(pki.trust_domain(), "lianluo");

    let info = CertInfo::from_pem_file(&second.cert).unwrap();
    assert!(info.is_ca);
    assert_eq!(
        info.subject_cn.as_deref(),
        Some("Lianluo federation root CA")
    );
    assert!(info.not_after - OffsetDateTime::now_utc() > Duration::days(3640));

    let reopened = Pki::open(&dir).unwrap();
    assert_eq!(reopened.trust_domain(), "lianluo");
}

#[test]
fn init_refuses_another_trust_domain_and_open_explains_missing_root() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("pki");
    Pki::init(&dir, "lianluo").unwrap();
    let err = Pki::init(&dir, "other").unwrap_err().to_string();
    assert!(
        err.contains("already belongs to trust domain `lianluo`"),
        "{err}"
    );

    let empty = tmp.path().join("empty");
    let err = Pki::open(&empty).unwrap_err().to_string();
    assert!(
        err.contains(&format!(
            "run `lianluo tls init --pki {}` first",
            empty.display()
        )),
        "{err}"
    );

    std::fs::remove_file(dir.join("root-ca.pem")).unwrap();
    let err = Pki::open(&dir).unwrap_err().to_string();
    assert!(err.starts_with("root CA not found at"), "{err}");
    assert!(Pki::init(&tmp.path().join("x"), "Bad Domain").is_err());
}

#[test]
fn city_certs_carry_spiffe_ids_and_chain_to_the_right_ca() {
    let (_tmp, pki) = setup(&["hezhou"]);
    let city = pki.city_paths("hezhou").unwrap();
    let root = der(&pki.root_paths().cert);
    let user_ca = der(&city.user_ca_cert);

    let node = der(&city.node.cert);
    assert_eq!(
        SpiffeId::from_cert_der(&node).unwrap(),
        SpiffeId::node("lianluo", "hezhou").unwrap()
    );
    assert!(verifies(&node, &root));
    assert!(!verifies(&node, &user_ca));

    let signer = der(&city.signer.cert);
    let signer_id = SpiffeId::from_cert_der(&signer).unwrap();
    assert_eq!(signer_id.to_string(), "spiffe://lianluo/city/hezhou/signer");
    assert!(verifies(&signer, &root));

    // The user CA is its own trust anchor: self-signed, not chained to the root.
    assert!(verifies(&user_ca, &user_ca));
    assert!(!verifies(&user_ca, &root));
    let ca_info = CertInfo::from_der(&user_ca).unwrap();
    assert!(ca_info.is_ca);
    assert_eq!(
        ca_info.subject_cn.as_deref(),
        Some("Lianluo hezhou user CA")
    );

    let user = pki.issue_user("hezhou", "li.wei", 30).unwrap();
    let user_der = der(&user.files.cert);
    let id = SpiffeId::from_cert_der(&user_der).unwrap();
    assert_eq!(id.role(), &Role::User("li.wei".into()));
    assert_eq!(id, user.spiffe);
    assert!(verifies(&user_der, &user_ca));
    assert!(!verifies(&user_der, &root));
    let left = user.not_after - OffsetDateTime::now_utc();
    assert!(
        left > Duration::days(29) && left <= Duration::days(30),
        "{left}"
    );
}

#[test]
fn node_has_tls_ekus_and_hosts_signer_and_user_do_not() {
    let (_tmp, pki) = setup(&["hezhou"]);
    let city = pki.city_paths("hezhou").unwrap();
    let node = der(&city.node.cert);
    let (_, cert) = X509Certificate::from_der(&node).unwrap();
    let eku = cert.extended_key_usage().unwrap().unwrap().value;
    assert!(eku.server_auth && eku.client_auth);
    let sans: Vec<String> = cert
        .subject_alternative_name()
        .unwrap()
        .unwrap()
        .value
        .general_names
        .iter()
        .map(|n| match n {
            GeneralName::URI(u) => format!("uri:{u}"),
            GeneralName::DNSName(d) => format!("dns:{d}"),
            GeneralName::IPAddress(ip) => format!("ip:{ip:?}"),
            other => format!("{other:?}"),
        })
        .collect();
    assert_eq!(
        sans,
        [
            "uri:spiffe://lianluo/city/hezhou/node",
            "dns:localhost",
            "ip:[127, 0, 0, 1]",
            "dns:hezhou.example",
            "ip:[10, 1, 2, 3]"
        ]
    );

    let signer = der(&city.signer.cert);
    let (_, cert) = X509Certificate::from_der(&signer).unwrap();
    let eku = cert.extended_key_usage().unwrap().unwrap().value;
    assert!(!eku.server_auth && !eku.client_auth && !eku.any);
    let ku = cert.key_usage().unwrap().unwrap().value;
    assert!(ku.digital_signature() && !ku.key_cert_sign());
    assert!(!cert.is_ca());

    let user = pki.issue_user("hezhou", "ann", 1).unwrap();
    let user_der = der(&user.files.cert);
    let (_, cert) = X509Certificate::from_der(&user_der).unwrap();
    let eku = cert.extended_key_usage().unwrap().unwrap().value;
    assert!(eku.client_auth && !eku.server_auth);
}

#[test]
fn ensure_city_is_idempotent_and_reports_hosts_the_kept_cert_lacks() {
    let (_tmp, pki) = setup(&["hezhou"]);
    let city = pki.city_paths("hezhou").unwrap();
    let node_before = std::fs::read(&city.node.cert).unwrap();
    let ca_before = std::fs::read(&city.user_ca_cert).unwrap();
    let again = pki
        .ensure_city("hezhou", &["10.1.2.3".into(), "new.example".into()])
        .unwrap();
    assert!(again.created.is_empty(), "{:?}", again.created);
    assert_eq!(again.missing_hosts, ["new.example"]);
    assert_eq!(std::fs::read(&city.node.cert).unwrap(), node_before);
    assert_eq!(std::fs::read(&city.user_ca_cert).unwrap(), ca_before);

    // A half-present pair is an error, never a silent reissue.
    std::fs::remove_file(&city.signer.key).unwrap();
    let err = pki.ensure_city("hezhou", &[]).unwrap_err();
    assert!(matches!(err, CertError::Exists { .. }), "{err}");
    assert!(pki.ensure_city("Bad", &[]).is_err());
    assert!(pki.ensure_city("qingyuan", &["bad host".into()]).is_err());
    assert!(
        !pki.dir().join("qingyuan").exists(),
        "nothing written for a bad host"
    );
}

#[test]
fn serials_are_unique_positive_and_recorded() {
    let (_tmp, pki) = setup(&["hezhou", "qingyuan"]);
    let mut serials = HashSet::new();
    let mut paths = vec![pki.root_paths().cert];
    for city in ["hezhou", "qingyuan"] {
        let c = pki.city_paths(city).unwrap();
        paths.extend([c.node.cert, c.signer.cert, c.user_ca_cert]);
        for i in 0..20 {
            paths.push(
                pki.issue_user(city, &format!("u{i}"), 10)
                    .unwrap()
                    .files
                    .cert,
            );
        }
    }
    for path in &paths {
        let der = der(path);
        let (_, cert) = X509Certificate::from_der(&der).unwrap();
        let raw = cert.raw_serial();
        assert_eq!(raw.len(), 16, "{}", path.display());
        assert!(raw[0] & 0x80 == 0 && raw[0] != 0);
        assert!(serials.insert(CertInfo::from_der(&der).unwrap().serial));
    }
    let tsv = std::fs::read_to_string(pki.dir().join("issued.tsv")).unwrap();
    let recorded: HashSet<String> = tsv
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| l.split('\t').next().unwrap().to_string())
        .collect();
    assert_eq!(recorded, serials);
    assert!(tsv.contains("\tspiffe://lianluo/city/qingyuan/user/u19\tqingyuan/users/u19.pem\t"));
}

#[test]
fn keys_are_0600_and_certs_are_not_writable_by_others() {
    let (_tmp, pki) = setup(&["hezhou"]);
    let city = pki.city_paths("hezhou").unwrap();
    let user = pki.issue_user("hezhou", "ann", 5).unwrap();
    for key in [
        &pki.root_paths().key,
        &city.node.key,
        &city.signer.key,
        &city.user_ca_key,
        &user.files.key,
    ] {
        assert_eq!(mode(key), 0o600, "{}", key.display());
        let pem = std::fs::read_to_string(key).unwrap();
        assert!(
            pem.starts_with("-----BEGIN PRIVATE KEY-----"),
            "PKCS#8 expected"
        );
    }
    for cert in [&pki.root_paths().cert, &city.node.cert, &user.files.cert] {
        assert_eq!(mode(cert) & 0o022, 0, "{}", cert.display());
        assert_ne!(mode(cert) & 0o400, 0);
    }
    let again = pki.reissue_user("hezhou", "ann", 5).unwrap();
    assert_eq!(mode(&again.files.key), 0o600);
}

#[test]
fn users_are_not_overwritten_without_force() {
    let (_tmp, pki) = setup(&["hezhou"]);
    let first = pki.issue_user("hezhou", "ann", 5).unwrap();
    let err = pki.issue_user("hezhou", "ann", 5).unwrap_err().to_string();
    assert!(err.contains("pass --force"), "{err}");
    assert_eq!(
        CertInfo::from_pem_file(&first.files.cert).unwrap().serial,
        first.serial
    );
    let second = pki.reissue_user("hezhou", "ann", 5).unwrap();
    assert_ne!(first.serial, second.serial);
    assert_eq!(
        CertInfo::from_pem_file(&second.files.cert).unwrap().serial,
        second.serial
    );

    let err = pki
        .issue_user("yongzhou", "ann", 5)
        .unwrap_err()
        .to_string();
    assert!(err.contains("run `lianluo tls city --pki"), "{err}");
    assert!(err.contains("--city yongzhou"), "{err}");
    assert!(pki.issue_user("hezhou", "ann", 0).is_err());
    assert!(pki.issue_user("hezhou", "../root", 5).is_err());
}

#[test]
fn expired_fixture_is_expired_and_still_chains() {
    let (tmp, pki) = setup(&["hezhou"]);
    let now = OffsetDateTime::now_utc();
    let files = LeafFiles {
        cert: tmp.path().join("fx/expired.pem"),
        key: tmp.path().join("fx/expired.key"),
    };
    let id = SpiffeId::node("lianluo", "hezhou").unwrap();
    let info = pki
        .issue_with_validity(
            &id,
            now - Duration::days(30),
            now - Duration::days(1),
            &files,
        )
        .unwrap();
    assert!(info.not_after < now);
    assert!(info.is_expired_at(now));
    assert_eq!(info.spiffe.as_ref(), Some(&id));
    assert!(verifies(&der(&files.cert), &der(&pki.root_paths().cert)));
    assert_eq!(mode(&files.key), 0o600);

    let user = SpiffeId::user("lianluo", "hezhou", "old").unwrap();
    let files = LeafFiles {
        cert: tmp.path().join("fx/old.pem"),
        key: tmp.path().join("fx/old.key"),
    };
    let info = pki
        .issue_with_validity(
            &user,
            now - Duration::days(9),
            now - Duration::days(2),
            &files,
        )
        .unwrap();
    assert!(info.is_expired_at(now));
    let user_ca = der(&pki.city_paths("hezhou").unwrap().user_ca_cert);
    assert!(verifies(&der(&files.cert), &user_ca));
}

#[test]
fn foreign_leaf_has_the_same_identity_but_another_key() {
    let (tmp, pki) = setup(&["hezhou"]);
    let id = SpiffeId::node("lianluo", "hezhou").unwrap();
    let files = LeafFiles {
        cert: tmp.path().join("foreign.pem"),
        key: tmp.path().join("foreign.key"),
    };
    let info = pki.foreign_leaf(&id, &files).unwrap();
    assert_eq!(info.spiffe.as_ref(), Some(&id));
    assert_eq!(info.issuer_cn, "Lianluo federation root CA");
    assert!(!info.is_expired_at(OffsetDateTime::now_utc()));
    assert!(!verifies(&der(&files.cert), &der(&pki.root_paths().cert)));
    let tsv = std::fs::read_to_string(pki.dir().join("issued.tsv")).unwrap();
    assert!(
        !tsv.contains(&info.serial),
        "foreign serials are not recorded"
    );
}

#[test]
fn cert_info_summarises_a_node_cert() {
    let (_tmp, pki) = setup(&["hezhou"]);
    let path = pki.city_paths("hezhou").unwrap().node.cert;
    let info = CertInfo::from_pem_file(&path).unwrap();
    assert_eq!(
        info.spiffe.unwrap().to_string(),
        "spiffe://lianluo/city/hezhou/node"
    );
    assert_eq!(info.issuer_cn, "Lianluo federation root CA");
    assert_eq!(info.sha256, lianluo_certs::cert_sha256_hex(&der(&path)));
    assert_eq!(info.sha256.len(), 64);
    assert_eq!(info.serial.len(), 32);
    assert!(!info.is_ca);
    let left = info.not_after - OffsetDateTime::now_utc();
    assert!(left > Duration::days(364) && left <= Duration::days(365));
}
