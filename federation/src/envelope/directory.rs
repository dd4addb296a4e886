//! [`SignerDirectory`]: the signer certificates a node trusts, keyed by fingerprint, and
//! event verification against them, strict ([`SignerDirectory::verify`]) for events that
//! arrive and lenient about time and revocation ([`SignerDirectory::verify_history`]) for
//! events already stored.

mod crl;
mod window;

use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::sync::{Arc, PoisonError, RwLock};

use lianluo_proto::{EventBody, SignedEvent};
use prost::Message;
use ring::signature::{UnparsedPublicKey, ECDSA_P256_SHA256_ASN1};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use time::OffsetDateTime;
use x509_parser::prelude::{FromDer, X509Certificate};

use super::{event_id, signed_message, EnvelopeError, VerifiedEvent, CLOCK_SKEW};
use crate::identity::signer_city_from_cert;

/// The federation's signer certificates known to this node. Every certificate is checked
/// on entry (issued by the root CA, a signer id of this trust domain, already valid);
/// events are then verified against the certificate they name. Expired and revoked
/// certificates are kept: they still verify the history they signed
/// ([`SignerDirectory::verify_history`]), never a new event ([`SignerDirectory::verify`]).
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
    // Serials (big-endian, leading zero bytes dropped) revoked by the root CA's CRLs.
    // Revocation is permanent for the life of the directory.
    revoked: HashSet<Vec<u8>>,
}

#[derive(Debug, Clone)]
struct Signer {
    city: String,
    der: Arc<Vec<u8>>,
    // Uncompressed P-256 point from the certificate.
    public_key: Arc<Vec<u8>>,
    serial: Vec<u8>,
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
}

/// What the directory knows about one signer certificate ([`SignerDirectory::signer`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignerInfo {
    /// Lowercase hex SHA-256 of the certificate.
    pub sha256: String,
    /// The signer's city.
    pub city: String,
    /// Start of the validity window.
    pub not_before: OffsetDateTime,
    /// End of the validity window.
    pub not_after: OffsetDateTime,
    /// Whether an applied root CA CRL lists it.
    pub revoked: bool,
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
    ///
    /// Refused: not issued by the root CA, not a signer id of this trust domain, or not
    /// valid yet (beyond [`CLOCK_SKEW`]). Accepted although expired or revoked: such a
    /// certificate still verifies the history it signed while it was good, and strict
    /// [`SignerDirectory::verify`] refuses anything else it signs. See
    /// [`SignerDirectory::signer`] for its state.
    pub fn add_cert(&self, der: &[u8]) -> Result<String, EnvelopeError> {
        let sha256 = lianluo_certs::cert_sha256_hex(der);
        if let Some(known) = self.read().signers.get(&sha256) {
            return Ok(known.city.clone());
        }
        let signer = self.check_cert(der, &sha256)?;
        let city = signer.city.clone();
        self.write().signers.insert(sha256, signer);
        Ok(city)
    }

    fn check_cert(&self, der: &[u8], sha256: &str) -> Result<Signer, EnvelopeError> {
        let refuse = |reason: String| EnvelopeError::UntrustedSigner {
            sha256: sha256.to_string(),
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
        let not_before = cert.validity().not_before.to_datetime();
        let not_after = cert.validity().not_after.to_datetime();
        if not_before > OffsetDateTime::now_utc() + CLOCK_SKEW {
            return Err(EnvelopeError::SignerNotYetValid {
                sha256: sha256.to_string(),
                valid: format!(
                    "{} to {}",
                    window::rfc3339(not_before),
                    window::rfc3339(not_after)
                ),
            });
        }
        Ok(Signer {
            city: city.into_string(),
            der: Arc::new(der.to_vec()),
            public_key: Arc::new(cert.public_key().subject_public_key.data.to_vec()),
            serial: crl::serial_key(cert.raw_serial()),
            not_before,
            not_after,
        })
    }

    /// STRICT verification, for events arriving from peers and for new events: the
    /// signer certificate is known (so it chains to the root CA) and not revoked; the
    /// signature covers the prefix and the exact body bytes; the body decodes; the
    /// event's HLC time (`body.hlc.wall_ms`) lies within the certificate's validity,
    /// give or take [`CLOCK_SKEW`]; `author_city` is the signer's city.
    ///
    /// The time checked is the event's own, not the current time, so an event signed
    /// while its certificate was valid still verifies when relayed after it expired.
    pub fn verify(&self, event: &SignedEvent) -> Result<VerifiedEvent, EnvelopeError> {
        let id = event_id(&event.body);
        let (sha256, signer) = self.lookup(&id, event, true)?;
        let body = check_signed(&id, &sha256, &signer, event)?;
        window::check(&id, &sha256, &signer, &body)?;
        Ok(VerifiedEvent { id, body })
    }

    /// HISTORY verification, for folding events already stored (they passed
    /// [`SignerDirectory::verify`] when they arrived): the signature verifies with a known
    /// certificate of the author's city and the body decodes. Revocation and expiry are
    /// NOT checked again: an event accepted before its signer was revoked, or before its
    /// certificate expired, stays part of the record's history. A compromised key gains
    /// nothing from this, because from the revocation on strict verification refuses its
    /// new events, so they never reach the store.
    pub fn verify_history(&self, event: &SignedEvent) -> Result<VerifiedEvent, EnvelopeError> {
        let id = event_id(&event.body);
        let (sha256, signer) = self.lookup(&id, event, false)?;
        let body = check_signed(&id, &sha256, &signer, event)?;
        Ok(VerifiedEvent { id, body })
    }

    /// The signer the event names; refuses a revoked one when `strict`.
    fn lookup(
        &self,
        id: &str,
        event: &SignedEvent,
        strict: bool,
    ) -> Result<(String, Signer), EnvelopeError> {
        let sha256 = event.signer_cert_sha256.to_ascii_lowercase();
        let state = self.read();
        let Some(signer) = state.signers.get(&sha256).cloned() else {
            return Err(EnvelopeError::UnknownSigner {
                id: id.to_string(),
                sha256,
            });
        };
        if strict && state.revoked.contains(&signer.serial) {
            return Err(EnvelopeError::SignerRevoked {
                id: id.to_string(),
                sha256,
                city: signer.city,
            });
        }
        Ok((sha256, signer))
    }

    /// What is known about the signer certificate with fingerprint `sha256`.
    pub fn signer(&self, sha256: &str) -> Option<SignerInfo> {
        let sha256 = sha256.to_ascii_lowercase();
        let state = self.read();
        state.signers.get(&sha256).map(|s| SignerInfo {
            revoked: state.revoked.contains(&s.serial),
            city: s.city.clone(),
            not_before: s.not_before,
            not_after: s.not_after,
            sha256,
        })
    }

    /// The city of a known signer certificate, by fingerprint.
    pub fn city_of(&self, sha256: &str) -> Option<String> {
        self.read()
            .signers
            .get(&sha256.to_ascii_lowercase())
            .map(|s| s.city.clone())
    }

    /// Every known signer certificate (DER), ordered by fingerprint, for exchange with
    /// peers. Expired and revoked ones are included: peers need them for history.
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

/// Signature over prefix and body bytes, then decode, then author city = signer city.
fn check_signed(
    id: &str,
    sha256: &str,
    signer: &Signer,
    event: &SignedEvent,
) -> Result<EventBody, EnvelopeError> {
    UnparsedPublicKey::new(&ECDSA_P256_SHA256_ASN1, signer.public_key.as_slice())
        .verify(&signed_message(&event.body), &event.signature)
        .map_err(|_| EnvelopeError::BadSignature {
            id: id.to_string(),
            sha256: sha256.to_string(),
            city: signer.city.clone(),
        })?;
    let body = EventBody::decode(event.body.as_slice()).map_err(|e| EnvelopeError::Malformed {
        id: id.to_string(),
        reason: e.to_string(),
    })?;
    if body.author_city != signer.city {
        return Err(EnvelopeError::AuthorMismatch {
            id: id.to_string(),
            claimed: body.author_city,
            signer: signer.city.clone(),
        });
    }
    Ok(body)
}
