//! Verifying what the files named by a config hold, beyond their existence: the node
//! certificate is this city's and chains to the root CA, the key matches it, the CAs are
//! CAs, the CRLs parse, the signer is this city's, and the data dir is this city's.
//!
//! Every check reports under the key of the file at fault and the checks go on after a
//! problem, so one run lists everything to fix.

use std::path::Path;
use std::sync::Arc;

use lianluo_certs::{CertInfo, Role, SpiffeId};
use lianluo_federation::envelope::{EnvelopeError, EventSigner, SignerDirectory};
use lianluo_federation::tls::{TlsError, TlsFiles};
use rustls::pki_types::{CertificateDer, CertificateRevocationListDer, UnixTime};
use rustls::server::danger::ClientCertVerifier;
use rustls::server::WebPkiClientVerifier;
use rustls::{CertificateError, RootCertStore};

use super::{Config, Problem};

/// The note a data dir keeps of whose data it holds (written by the store).
const DATA_FILE: &str = "lianluo-data.toml";

/// Checks what the config's files hold and returns every problem found, each under the
/// key of the file at fault (`tls.cert`, `tls.key`, `tls.user_ca`, `tls.crls[1]`,
/// `tls.signer_cert`, `data_dir`, …). An empty list means the node can use them all.
///
/// Files that do not exist are reported by [`super::load`] already; empty paths (stand-ins
/// for values that were missing) are skipped.
pub fn verify_files(cfg: &Config) -> Vec<Problem> {
    let mut v = Verifier {
        cfg,
        node_id: SpiffeId::node(&cfg.trust_domain, &cfg.city).ok(),
        problems: Vec::new(),
    };
    let root = v.ca(
        "tls.ca",
        &cfg.tls.ca,
        "the federation root CA, e.g. pki/root-ca.pem",
    );
    let user_ca = v.ca(
        "tls.user_ca",
        &cfg.tls.user_ca,
        &format!("{}'s user CA, e.g. pki/{}/user-ca.pem", cfg.city, cfg.city),
    );
    let crls = v.crls(root.as_deref().or(user_ca.as_deref()));
    if v.node_cert(root.as_deref(), crls) {
        let ca = if user_ca.is_some() {
            Some(&cfg.tls.user_ca)
        } else {
            root.as_ref().map(|_| &cfg.tls.ca)
        };
        if let Some(ca) = ca {
            v.node_key(ca);
        }
    }
    v.signer(root.is_some());
    v.data_dir();
    let mut problems = v.problems;
    // In the order the keys appear in a config file (the checks run in dependency order).
    problems.sort_by_key(|p| {
        ORDER
            .iter()
            .position(|k| p.key == *k || p.key.starts_with(&format!("{k}[")))
            .unwrap_or(ORDER.len())
    });
    problems
}

/// The keys [`verify_files`] reports on, in config file order.
const ORDER: &[&str] = &[
    "data_dir",
    "tls.ca",
    "tls.cert",
    "tls.key",
    "tls.user_ca",
    "tls.crls",
    "tls.signer_cert",
    "tls.signer_key",
];

/// An unset path (a stand-in for a missing value).
fn unset(p: &Path) -> bool {
    p.as_os_str().is_empty()
}

/// What kind of certificate an identity names, for messages.
fn kind(id: &SpiffeId) -> String {
    match id.role() {
        Role::Node => format!("{}'s node certificate", id.city()),
        Role::Signer => format!("{}'s signer certificate", id.city()),
        Role::User(name) => format!("a user certificate of {} ({name})", id.city()),
    }
}

/// A client-certificate verifier trusting `anchor` and checking `crls`, as the node's
/// federation listener builds it. Fails on an unusable anchor or an unparsable CRL.
fn verifier(
    anchor: &[u8],
    crls: Vec<CertificateRevocationListDer<'static>>,
) -> Result<Arc<dyn ClientCertVerifier>, String> {
    let mut roots = RootCertStore::empty();
    roots
        .add(CertificateDer::from(anchor.to_vec()))
        .map_err(|e| e.to_string())?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
        .with_crls(crls)
        .build()
        .map_err(|e| e.to_string())
}

/// The key at fault and the message for a node certificate the federation would refuse.
fn chain_problem(e: rustls::Error, cert: &Path, ca: &Path) -> (&'static str, String) {
    let (shown, ca) = (cert.display(), ca.display());
    match e {
        rustls::Error::InvalidCertificate(CertificateError::Revoked) => (
            "tls.cert",
            format!("{shown} is revoked by a CRL in tls.crls; issue a new node certificate"),
        ),
        rustls::Error::InvalidCertificate(CertificateError::UnknownRevocationStatus) => (
            "tls.crls",
            format!(
                "no CRL listed covers the root CA {ca}, so every node certificate (this \
                 one and the peers') would be refused; add the root CA's CRL, e.g. \
                 pki/root-ca.crl.pem"
            ),
        ),
        rustls::Error::InvalidCertRevocationList(e) => (
            "tls.crls",
            format!(
                "a CRL listed names the root CA {ca} as issuer but cannot be used with it \
                 ({e:?}), so every node certificate would be refused; use this federation's \
                 root CA CRL, e.g. pki/root-ca.crl.pem"
            ),
        ),
        rustls::Error::InvalidCertificate(
            CertificateError::UnknownIssuer | CertificateError::BadSignature,
        ) => (
            "tls.cert",
            format!(
                "{shown} does not chain to tls.ca ({ca}); use a node certificate issued \
                 by this federation's root CA"
            ),
        ),
        other => (
            "tls.cert",
            format!("{shown} is not accepted by the federation: {other}; renew it"),
        ),
    }
}

struct Verifier<'a> {
    cfg: &'a Config,
    /// The identity this node's certificate must carry; `None` when city or trust domain
    /// are invalid (then identities are not compared).
    node_id: Option<SpiffeId>,
    problems: Vec<Problem>,
}

impl Verifier<'_> {
    fn problem(&mut self, key: &str, message: impl Into<String>) {
        self.problems.push(Problem {
            key: key.to_string(),
            message: message.into(),
        });
    }

    /// A CA certificate file: must parse, be a CA and be valid now. Returns its DER when
    /// it is usable as a trust anchor.
    fn ca(&mut self, key: &str, path: &Path, what: &str) -> Option<Vec<u8>> {
        if unset(path) {
            return None;
        }
        let info = match CertInfo::from_pem_file(path) {
            Ok(info) => info,
            Err(e) => {
                self.problem(key, format!("{e}; point it at {what}"));
                return None;
            }
        };
        let shown = path.display();
        if !info.is_ca {
            let is = info.spiffe.as_ref().map_or("a leaf".to_string(), kind);
            self.problem(
                key,
                format!("{shown} is not a CA certificate (it is {is}); point it at {what}"),
            );
            return None;
        }
        if info.is_expired_at(time::OffsetDateTime::now_utc()) {
            self.problem(
                key,
                format!(
                    "{shown} is not valid now (valid {} to {}); renew the CA",
                    info.not_before, info.not_after
                ),
            );
            return None;
        }
        lianluo_certs::read_cert_der(path).ok()
    }

    /// Each CRL file must hold a CRL that parses. Returns the usable ones.
    fn crls(&mut self, anchor: Option<&[u8]>) -> Vec<CertificateRevocationListDer<'static>> {
        let mut out = Vec::new();
        for (i, path) in self.cfg.tls.crls.iter().enumerate() {
            let key = format!("tls.crls[{i}]");
            if unset(path) {
                continue;
            }
            let der = match lianluo_certs::read_crl_der(path) {
                Ok(der) => CertificateRevocationListDer::from(der),
                Err(e) => {
                    self.problem(&key, format!("{e}; point it at a CRL file (X509 CRL PEM)"));
                    continue;
                }
            };
            // rustls parses CRLs when it builds a verifier; without a usable CA there is
            // nothing to build one with, and the CA's problem is reported already.
            let Some(anchor) = anchor else { continue };
            match verifier(anchor, vec![der.clone()]) {
                Ok(_) => out.push(der),
                Err(e) => self.problem(
                    &key,
                    format!(
                        "CRL {} cannot be used: {e}; regenerate it (`lianluo tls crl`)",
                        path.display()
                    ),
                ),
            }
        }
        out
    }

    /// The node certificate: this city's node identity, chaining to `tls.ca` and not
    /// revoked. Returns whether it could be read (so the key can be checked against it).
    fn node_cert(
        &mut self,
        root: Option<&[u8]>,
        crls: Vec<CertificateRevocationListDer<'static>>,
    ) -> bool {
        let path = &self.cfg.tls.cert;
        if unset(path) {
            return false;
        }
        let chain = match lianluo_certs::read_certs_der(path) {
            Ok(chain) => chain,
            Err(e) => {
                self.problem("tls.cert", format!("{e}; point it at this city's node.pem"));
                return false;
            }
        };
        let leaf = chain.first().cloned().unwrap_or_default();
        self.node_identity(&leaf);
        if let Some(root) = root {
            self.node_chain(root, &chain, crls);
        }
        true
    }

    fn node_identity(&mut self, leaf: &[u8]) {
        let Some(want) = self.node_id.clone() else {
            return;
        };
        let city = want.city();
        let fix = format!(
            "use {city}'s node certificate and key (pki/{city}/node.pem, node.key from `lianluo tls`)"
        );
        let shown = self.cfg.tls.cert.display();
        match SpiffeId::from_cert_der(leaf) {
            Err(e) => self.problem(
                "tls.cert",
                format!("{shown} carries no federation identity ({e}); {fix}"),
            ),
            Ok(id) if id == want => {}
            Ok(id) => self.problem(
                "tls.cert",
                format!(
                    "{shown} is {} ({id}), but this node needs {want}; {fix}",
                    kind(&id)
                ),
            ),
        }
    }

    /// Verifies the node certificate as a peer's federation listener would: chain to the
    /// root CA, validity, client-auth purpose, and revocation by the configured CRLs.
    fn node_chain(
        &mut self,
        root: &[u8],
        chain: &[Vec<u8>],
        crls: Vec<CertificateRevocationListDer<'static>>,
    ) {
        let Ok(verifier) = verifier(root, crls) else {
            return;
        };
        let certs: Vec<CertificateDer<'_>> = chain
            .iter()
            .map(|c| CertificateDer::from(c.as_slice()))
            .collect();
        let Some((leaf, intermediates)) = certs.split_first() else {
            return;
        };
        let Err(e) = verifier.verify_client_cert(leaf, intermediates, UnixTime::now()) else {
            return;
        };
        let (key, message) = chain_problem(e, &self.cfg.tls.cert, &self.cfg.tls.ca);
        self.problem(key, message);
    }

    /// The key must be usable and belong to the node certificate: rustls refuses to build
    /// the client API's server configuration otherwise.
    fn node_key(&mut self, ca: &Path) {
        let cfg = self.cfg;
        if unset(&cfg.tls.key) {
            return;
        }
        let files = TlsFiles {
            cert: cfg.tls.cert.clone(),
            key: cfg.tls.key.clone(),
            ca: ca.to_path_buf(),
            crls: Vec::new(),
        };
        let Err(e) = lianluo_federation::tls::server_config(&files) else {
            return;
        };
        match &e {
            TlsError::Read { what, .. } | TlsError::Invalid { what, .. }
                if *what == "CA certificate" || *what == "certificate" =>
            {
                // Reported under tls.user_ca / tls.ca / tls.cert by their own checks.
            }
            _ => self.problem("tls.key", e.to_string()),
        }
    }

    /// The signer must load (certificate and key belong together, valid now), be this
    /// city's, and chain to the root CA.
    fn signer(&mut self, root_usable: bool) {
        let (cfg, Some(want)) = (self.cfg, self.node_id.as_ref()) else {
            return;
        };
        let t = &cfg.tls;
        if unset(&t.signer_cert) || unset(&t.signer_key) {
            return;
        }
        let city = want.city();
        let signer = match EventSigner::load(&t.signer_cert, &t.signer_key, &cfg.trust_domain) {
            Ok(s) => s,
            Err(e) => {
                let key = match &e {
                    EnvelopeError::Read { what, .. } if *what == "signer key" => "tls.signer_key",
                    EnvelopeError::Invalid { what, .. } if what.starts_with("signer key") => {
                        "tls.signer_key"
                    }
                    _ => "tls.signer_cert",
                };
                self.problem(key, format!("{e}; use {city}'s signer.pem and signer.key"));
                return;
            }
        };
        if signer.city() != city {
            self.problem(
                "tls.signer_cert",
                format!(
                    "{} is {}'s signer certificate, but this node is {city}; use {city}'s \
                     signer certificate and key (pki/{city}/signer.pem, signer.key)",
                    t.signer_cert.display(),
                    signer.city()
                ),
            );
            return;
        }
        if root_usable {
            self.signer_trust(&signer);
        }
    }

    /// The signer certificate must chain to the root CA and not be revoked by a root CA
    /// CRL among `tls.crls`, or peers refuse every event this node signs.
    fn signer_trust(&mut self, signer: &EventSigner) {
        let cfg = self.cfg;
        let Ok(dir) = SignerDirectory::load(&cfg.tls.ca, &cfg.trust_domain) else {
            return;
        };
        for (i, path) in cfg.tls.crls.iter().enumerate() {
            let key = format!("tls.crls[{i}]");
            if unset(path) || self.problems.iter().any(|p| p.key == key) {
                continue;
            }
            // Catches what parsing alone does not: a CRL naming the root CA as issuer
            // but not signed by its key.
            if let Err(e) = dir.apply_crl_file(path) {
                self.problem(&key, format!("{e}"));
            }
        }
        let shown = cfg.tls.signer_cert.display();
        if let Err(e) = dir.add_cert(signer.cert_der()) {
            let message = format!("{shown}: {e}; use a signer certificate issued by tls.ca");
            self.problem("tls.signer_cert", message);
        } else if dir
            .signer(signer.cert_sha256())
            .is_some_and(|info| info.revoked)
        {
            self.problem(
                "tls.signer_cert",
                format!(
                    "{shown} is revoked by the root CA's CRL in tls.crls, so peers refuse the \
                     events it signs; issue a new signer certificate"
                ),
            );
        }
    }

    /// A data dir that already holds data must hold this city's, in a schema this build
    /// can open.
    fn data_dir(&mut self) {
        let dir = &self.cfg.data_dir;
        if unset(dir) || !dir.exists() {
            return;
        }
        if !dir.is_dir() {
            let message = format!("{} is not a directory", dir.display());
            self.problem("data_dir", message);
            return;
        }
        let path = dir.join(DATA_FILE);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return,
            Err(e) => {
                self.problem("data_dir", format!("cannot read {}: {e}", path.display()));
                return;
            }
        };
        if let Err(message) = self.data_note(&path, &text) {
            self.problem("data_dir", message);
        }
    }

    /// Checks the contents of `lianluo-data.toml`.
    fn data_note(&self, path: &Path, text: &str) -> Result<(), String> {
        let corrupt = |why: &str| {
            format!(
                "{} is not a valid lianluo data file ({why}); restore the data dir from a backup",
                path.display()
            )
        };
        let table: toml::Table = text
            .parse()
            .map_err(|e: toml::de::Error| corrupt(e.message()))?;
        let data_city = table
            .get("city")
            .and_then(toml::Value::as_str)
            .ok_or_else(|| corrupt("it names no city"))?;
        let own = &self.cfg.city;
        if self.node_id.is_some() && data_city != own {
            return Err(format!(
                "{} holds {data_city}'s data (see {DATA_FILE}), but this node is {own}; point \
                 data_dir at {own}'s data directory",
                self.cfg.data_dir.display()
            ));
        }
        let schema = table
            .get("schema_version")
            .and_then(toml::Value::as_integer);
        let supported = crate::store::SCHEMA_VERSION;
        match schema {
            Some(v) if v > i64::from(supported) => Err(format!(
                "{} was written by a newer lianluo (schema {v}; this build supports up to \
                 {supported}); upgrade lianluo",
                self.cfg.data_dir.display()
            )),
            Some(_) => Ok(()),
            None => Err(corrupt("it has no schema_version")),
        }
    }
}
