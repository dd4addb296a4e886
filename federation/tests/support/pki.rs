//! Test PKI: a real federation PKI (root CA, cities, user CAs) in a temp directory,
//! generated with `lianluo_certs::Pki`.
#![allow(dead_code)] // each test crate uses a different part

use std::path::{Path, PathBuf};

use lianluo_certs::{LeafFiles, Pki, SpiffeId};
use lianluo_federation::TlsFiles;
use time::{Duration, OffsetDateTime};

pub const TD: &str = "lianluo";

pub struct Fixture {
    pub dir: tempfile::TempDir,
    pub pki: Pki,
}

impl Fixture {
    /// A PKI with the three cities.
    pub fn new() -> Fixture {
        lianluo_federation::install_crypto_provider();
        let dir = tempfile::tempdir().unwrap();
        let pki = Pki::init(&dir.path().join("pki"), TD).unwrap();
        for city in ["hezhou", "qingyuan", "yongzhou"] {
            pki.ensure_city(city, &[]).unwrap();
        }
        Fixture { dir, pki }
    }

    pub fn root_ca(&self) -> PathBuf {
        self.pki.root_paths().cert
    }

    pub fn root_crl(&self) -> PathBuf {
        self.pki.root_paths().crl
    }

    pub fn node(&self, city: &str) -> LeafFiles {
        self.pki.city_paths(city).unwrap().node
    }

    pub fn signer(&self, city: &str) -> LeafFiles {
        self.pki.city_paths(city).unwrap().signer
    }

    pub fn user(&self, city: &str, name: &str) -> LeafFiles {
        self.pki.issue_user(city, name, 30).unwrap().files
    }

    /// Leaf files in a scratch directory (not part of the PKI layout).
    pub fn scratch(&self, name: &str) -> LeafFiles {
        let dir = self.dir.path().join("scratch");
        std::fs::create_dir_all(&dir).unwrap();
        LeafFiles {
            cert: dir.join(format!("{name}.pem")),
            key: dir.join(format!("{name}.key")),
        }
    }

    /// A certificate for `id` from a foreign CA with the genuine issuer's name.
    pub fn foreign(&self, id: &SpiffeId, name: &str) -> LeafFiles {
        let files = self.scratch(name);
        self.pki.foreign_leaf(id, &files).unwrap();
        files
    }

    /// A certificate for `id` that expired yesterday (genuine issuer).
    pub fn expired(&self, id: &SpiffeId, name: &str) -> LeafFiles {
        let files = self.scratch(name);
        let now = OffsetDateTime::now_utc();
        self.pki
            .issue_with_validity(
                id,
                now - Duration::days(30),
                now - Duration::days(1),
                &files,
            )
            .unwrap();
        files
    }
}

pub fn der(path: &Path) -> Vec<u8> {
    lianluo_certs::read_cert_der(path).unwrap()
}

/// TLS files: `leaf` as our identity, trusting `ca` with `crls`.
pub fn tls_files(leaf: &LeafFiles, ca: &Path, crls: &[PathBuf]) -> TlsFiles {
    TlsFiles {
        cert: leaf.cert.clone(),
        key: leaf.key.clone(),
        ca: ca.to_path_buf(),
        crls: crls.to_vec(),
    }
}
