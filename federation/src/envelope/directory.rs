//! [`SignerDirectory`]: the signer certificates a node trusts, keyed by fingerprint, and
//! event verification against them.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::sync::{Arc, PoisonError, RwLock};

use lianluo_proto::{EventBody, SignedEvent};
use prost::Message;
use ring::signature::{UnparsedPublicKey, ECDSA_P256_SHA256_ASN1};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use x509_parser::prelude::{FromDer, X509Certificate};

use super::{event_id, signed_message, EnvelopeError, VerifiedEvent};
use crate::identity::signer_city_from_cert;

/// The federation's signer certificates known to this node. Every certificate is checked
/// on entry (issued by the root CA, currently valid, a signer id of this trust domain,
/// not revoked); events are then verified against the certificate they name.
/// Shareable: methods take `&self`.
#[derive(Debug)]
pub struct SignerDirectory {
    trust_domain: String,
    root_der: Vec<u8>,
    state: RwLock<State>,
}

#[derive(Debug, Default)]
struct State {
    signers: BTreeMap<String, Signer>,
    // Raw serials (big-endian bytes) revoked by the root CA's CRL.
    revoked: HashSet<Vec<u8>>,
}

#[derive(Debug, Clone)]
struct Signer {
    city: String,
    der: Arc<Vec<u8>>,
    // Uncompressed P-256 point from the certificate.
    public_key: Arc<Vec<u8>>,
    serial: Vec<u8>,
}

impl SignerDirectory {
    /// An empty directory trusting the root CA certificate `root_ca_der`.
    pub fn new(root_ca_der: Vec<u8>, trust_domain: &str) -> Result<SignerDirectory, EnvelopeError> {
        X509Certificate::from_der(&root_ca_der).map_err(|e| EnvelopeError::Invalid {
            what: "root CA certificate".to_string(),
            reason: format!("cannot parse: {e}"),
        })?;
        Ok(SignerDirectory {
            trust_domain: trust_domain.to_string(),
            root_der: root_ca_der,
            state: RwLock::new(State::default()),
        })
    }

    /// An empty directory trusting the first certificate of a root CA PEM.
    pub fn from_root_ca_pem(
        pem: &[u8],
        trust_domain: &str,
    ) -> Result<SignerDirectory, EnvelopeError> {
        let der = CertificateDer::from_pem_slice(pem).map_err(|e| EnvelopeError::Invalid {
            what: "root CA certificate".to_string(),
            reason: format!("no PEM certificate ({e})"),
        })?;
        SignerDirectory::new(der.to_vec(), trust_domain)
    }

    /// An empty directory trusting the root CA in the PEM file `path` (`root-ca.pem`).
    pub fn load(path: &Path, trust_domain: &str) -> Result<SignerDirectory, EnvelopeError> {
        let pem = std::fs::read(path).map_err(|e| EnvelopeError::Read {
            what: "root CA certificate",
            path: path.to_path_buf(),
            source: Arc::new(e),
        })?;
        SignerDirectory::from_root_ca_pem(&pem, trust_domain).map_err(|e| match e {
            EnvelopeError::Invalid { what, reason } => EnvelopeError::Invalid {
                what: format!("{what} {}", path.display()),
                reason,
            },
            other => other,
        })
    }

    /// Checks and adds a signer certificate (DER); returns its city. Adding a known
    /// certificate again is a no-op.
    pub fn add_cert(&self, der: &[u8]) -> Result<String, EnvelopeError> {
        let sha256 = lianluo_certs::cert_sha256_hex(der);
        if let Some(known) = self.read().signers.get(&sha256) {
            return Ok(known.city.clone());
        }
        let refuse = |reason: String| EnvelopeError::UntrustedSigner {
            sha256: sha256.clone(),
            reason,
        };
        let city =
            signer_city_from_cert(der, &self.trust_domain).map_err(|e| refuse(e.to_string()))?;
        let (_, cert) =
            X509Certificate::from_der(der).map_err(|e| refuse(format!("cannot parse: {e}")))?;
        let (_, root) = X509Certificate::from_der(&self.root_der)
            .map_err(|e| refuse(format!("cannot parse the root CA: {e}")))?;
        cert.verify_signature(Some(root.public_key()))
            .map_err(|e| refuse(format!("not issued by this federation's root CA ({e})")))?;
        let validity = cert.validity();
        if !validity.is_valid() {
            return Err(refuse(format!(
                "not valid now (valid {} to {})",
                validity.not_before, validity.not_after
            )));
        }
        let signer = Signer {
            city: city.into_string(),
            der: Arc::new(der.to_vec()),
            public_key: Arc::new(cert.public_key().subject_public_key.data.to_vec()),
            serial: cert.raw_serial().to_vec(),
        };
        let mut state = self.write();
        if state.revoked.contains(&signer.serial) {
            return Err(refuse("revoked by the root CA's CRL".to_string()));
        }
        let city = signer.city.clone();
        state.signers.insert(sha256, signer);
        Ok(city)
    }

    /// Applies the root CA's CRL (DER): its signature must verify with the root CA key.
    /// Certificates it lists are refused from now on, and events they signed no longer
    /// verify. Returns how many known signer certificates it revokes.
    pub fn apply_crl(&self, crl_der: &[u8]) -> Result<usize, EnvelopeError> {
        let invalid = |reason: String| EnvelopeError::Invalid {
            what: "root CA CRL".to_string(),
            reason,
        };
        let (_, crl) = x509_parser::parse_x509_crl(crl_der)
            .map_err(|e| invalid(format!("cannot parse: {e}")))?;
        let (_, root) = X509Certificate::from_der(&self.root_der)
            .map_err(|e| invalid(format!("cannot parse the root CA: {e}")))?;
        crl.verify_signature(root.public_key())
            .map_err(|e| invalid(format!("not signed by this federation's root CA ({e})")))?;
        let serials: HashSet<Vec<u8>> = crl
            .iter_revoked_certificates()
            .map(|r| r.raw_serial().to_vec())
            .collect();
        let mut state = self.write();
        let hits = state
            .signers
            .values()
            .filter(|s| serials.contains(&s.serial))
            .count();
        state.revoked.extend(serials);
        Ok(hits)
    }

    /// Verifies an event: known, unrevoked signer; signature over prefix and the exact
    /// body bytes; body decodes; `author_city` is the signer's city.
    pub fn verify(&self, event: &SignedEvent) -> Result<VerifiedEvent, EnvelopeError> {
        let id = event_id(&event.body);
        let sha256 = event.signer_cert_sha256.to_ascii_lowercase();
        let signer = {
            let state = self.read();
            let signer = state.signers.get(&sha256).cloned().ok_or_else(|| {
                EnvelopeError::UnknownSigner {
                    id: id.clone(),
                    sha256: sha256.clone(),
                }
            })?;
            if state.revoked.contains(&signer.serial) {
                return Err(EnvelopeError::SignerRevoked {
                    id,
                    sha256,
                    city: signer.city,
                });
            }
            signer
        };
        UnparsedPublicKey::new(&ECDSA_P256_SHA256_ASN1, signer.public_key.as_slice())
            .verify(&signed_message(&event.body), &event.signature)
            .map_err(|_| EnvelopeError::BadSignature {
                id: id.clone(),
                sha256: sha256.clone(),
                city: signer.city.clone(),
            })?;
        let body =
            EventBody::decode(event.body.as_slice()).map_err(|e| EnvelopeError::Malformed {
                id: id.clone(),
                reason: e.to_string(),
            })?;
        if body.author_city != signer.city {
            return Err(EnvelopeError::AuthorMismatch {
                id,
                claimed: body.author_city,
                signer: signer.city,
            });
        }
        Ok(VerifiedEvent { id, body })
    }

    /// The city of a known signer certificate, by fingerprint.
    pub fn city_of(&self, sha256: &str) -> Option<String> {
        self.read()
            .signers
            .get(&sha256.to_ascii_lowercase())
            .map(|s| s.city.clone())
    }

    /// Every known signer certificate (DER), ordered by fingerprint, for exchange with
    /// peers.
    pub fn certs(&self) -> Vec<Vec<u8>> {
        self.read()
            .signers
            .values()
            .map(|s| s.der.as_ref().clone())
            .collect()
    }

    /// How many signer certificates are known.
    pub fn len(&self) -> usize {
        self.read().signers.len()
    }

    /// Whether no signer certificate is known.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(PoisonError::into_inner)
    }
}
