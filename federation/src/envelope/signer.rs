//! [`EventSigner`]: a city's event-signing key with its signer certificate.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use lianluo_proto::{EventBody, SignedEvent};
use prost::Message;
use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_ASN1_SIGNING};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivatePkcs8KeyDer};
use x509_parser::prelude::{FromDer, X509Certificate};

use super::{seal, signed_message, EnvelopeError};
use crate::identity::signer_city_from_cert;

/// Signs events for one city. Load it from the city's `signer.pem` / `signer.key`.
pub struct EventSigner {
    city: String,
    cert_der: Vec<u8>,
    cert_sha256: String,
    key: EcdsaKeyPair,
    rng: SystemRandom,
}

impl fmt::Debug for EventSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventSigner")
            .field("city", &self.city)
            .field("cert_sha256", &self.cert_sha256)
            .finish_non_exhaustive()
    }
}

impl EventSigner {
    /// Loads a signer certificate (PEM, `spiffe://<td>/city/<city>/signer`, currently
    /// valid) and its PKCS#8 P-256 key (PEM), checking that they belong together.
    pub fn load(
        cert_pem: &Path,
        key_pem: &Path,
        trust_domain: &str,
    ) -> Result<EventSigner, EnvelopeError> {
        let files = format!("{} / {}", cert_pem.display(), key_pem.display());
        let cert = read("signer certificate", cert_pem)?;
        let cert = CertificateDer::from_pem_slice(&cert).map_err(|e| EnvelopeError::Invalid {
            what: format!("signer certificate {}", cert_pem.display()),
            reason: format!("no PEM certificate ({e})"),
        })?;
        let key = read("signer key", key_pem)?;
        let key = PrivatePkcs8KeyDer::from_pem_slice(&key).map_err(|e| EnvelopeError::Invalid {
            what: format!("signer key {}", key_pem.display()),
            reason: format!("no PKCS#8 PEM private key ({e})"),
        })?;
        EventSigner::from_der(cert.to_vec(), key.secret_pkcs8_der(), trust_domain).map_err(|e| {
            match e {
                EnvelopeError::Invalid { what, reason } => EnvelopeError::Invalid {
                    what: format!("{what} ({files})"),
                    reason,
                },
                other => other,
            }
        })
    }

    /// Builds a signer from a DER signer certificate of `trust_domain` and its PKCS#8
    /// DER key.
    pub fn from_der(
        cert_der: Vec<u8>,
        pkcs8: &[u8],
        trust_domain: &str,
    ) -> Result<EventSigner, EnvelopeError> {
        let invalid = |what: &str, reason: String| EnvelopeError::Invalid {
            what: what.to_string(),
            reason,
        };
        let city = signer_city_from_cert(&cert_der, trust_domain)
            .map_err(|e| invalid("signer certificate", e.to_string()))?;
        let rng = SystemRandom::new();
        let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8, &rng)
            .map_err(|e| invalid("signer key", format!("not an ECDSA P-256 PKCS#8 key ({e})")))?;
        let (_, cert) = X509Certificate::from_der(&cert_der)
            .map_err(|e| invalid("signer certificate", e.to_string()))?;
        if cert.public_key().subject_public_key.data.as_ref() != key.public_key().as_ref() {
            return Err(invalid(
                "signer key",
                "it does not belong to the signer certificate; configure the matching pair"
                    .to_string(),
            ));
        }
        let validity = cert.validity();
        if !validity.is_valid() {
            return Err(invalid(
                "signer certificate",
                format!(
                    "it is not valid now (valid {} to {}); renew it",
                    validity.not_before, validity.not_after
                ),
            ));
        }
        let cert_sha256 = lianluo_certs::cert_sha256_hex(&cert_der);
        Ok(EventSigner {
            city: city.into_string(),
            cert_der,
            cert_sha256,
            key,
            rng,
        })
    }

    /// The signer's city.
    pub fn city(&self) -> &str {
        &self.city
    }

    /// The signer certificate (DER), to hand to peers' [`super::SignerDirectory`].
    pub fn cert_der(&self) -> &[u8] {
        &self.cert_der
    }

    /// Lowercase hex SHA-256 of the signer certificate.
    pub fn cert_sha256(&self) -> &str {
        &self.cert_sha256
    }

    /// Encodes `body` ONCE and signs those bytes.
    pub fn sign(&self, body: &EventBody) -> Result<SignedEvent, EnvelopeError> {
        self.sign_encoded(body.encode_to_vec())
    }

    /// Signs already encoded body bytes exactly as given.
    pub fn sign_encoded(&self, body: Vec<u8>) -> Result<SignedEvent, EnvelopeError> {
        let signature = self
            .key
            .sign(&self.rng, &signed_message(&body))
            .map_err(|e| EnvelopeError::Sign(format!("ecdsa signing failed ({e})")))?;
        Ok(seal(body, signature.as_ref().to_vec(), &self.cert_sha256))
    }
}

fn read(what: &'static str, path: &Path) -> Result<Vec<u8>, EnvelopeError> {
    std::fs::read(path).map_err(|e| EnvelopeError::Read {
        what,
        path: path.to_path_buf(),
        source: Arc::new(e),
    })
}
