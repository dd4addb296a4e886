//! What the fuzz targets share: a real signer (a throwaway PKI made once per process)
//! and the directory that trusts it, as a node has them.

use std::sync::OnceLock;

use lianluo_federation::envelope::{EventSigner, SignerDirectory};

/// The trust domain of the throwaway PKI.
pub const TRUST_DOMAIN: &str = "lianluo";

/// Hezhou's signer and a directory that knows its certificate.
pub struct Keys {
    /// Signs event bodies as Hezhou.
    pub signer: EventSigner,
    /// Verifies as a node does.
    pub signers: SignerDirectory,
    _dir: tempfile::TempDir,
}

/// The process's keys, made on first use.
pub fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| {
        let dir = tempfile::tempdir().expect("a temp dir");
        let pki = lianluo_certs::Pki::init(dir.path(), TRUST_DOMAIN).expect("a pki");
        let city = pki
            .ensure_city("hezhou", &[])
            .expect("hezhou's certificates");
        let signer = EventSigner::load(&city.signer.cert, &city.signer.key, TRUST_DOMAIN)
            .expect("hezhou's signer");
        let signers =
            SignerDirectory::load(&pki.root_paths().cert, TRUST_DOMAIN).expect("a directory");
        signers
            .add_cert(signer.cert_der())
            .expect("the signer's certificate");
        Keys {
            signer,
            signers,
            _dir: dir,
        }
    })
}
