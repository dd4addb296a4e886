//! Revocation of signer certificates by the root CA's CRL.

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateRevocationListDer;
use x509_parser::prelude::{FromDer, ParsedExtension, X509Certificate};
use x509_parser::revocation_list::CertificateRevocationList;

use super::SignerDirectory;
use crate::envelope::EnvelopeError;

impl SignerDirectory {
    /// Applies the root CA's CRL (DER): its signature must verify with the root CA key,
    /// otherwise it is refused ([`EnvelopeError::Invalid`]). From now on, strict
    /// [`SignerDirectory::verify`] refuses every event of a certificate it lists; history
    /// ([`SignerDirectory::verify_history`]) still verifies. Revocation is permanent for
    /// the life of the directory, so applying the same or an older CRL again is harmless.
    /// Returns how many known signer certificates it lists.
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
        Ok(self.revoke(&crl))
    }

    /// Applies every root CA CRL in the PEM file `path` (`X509 CRL` blocks), for the
    /// node's configured CRL files at start and on every reload. A CRL of another issuer
    /// (e.g. a city's user CA: another issuer name, or the root's name with another key
    /// identifier) is ignored: it counts 0. Refused: an unreadable file, one without a CRL
    /// block, an unparsable CRL, and a CRL claiming the root CA as issuer (same name and
    /// key identifier) whose signature does not verify with the root CA key (forged or
    /// damaged): silently skipping it would silently drop revocations.
    /// Returns how many known signer certificates the file's root CA CRLs list.
    pub fn apply_crl_file(&self, path: &Path) -> Result<usize, EnvelopeError> {
        let invalid = |reason: String| EnvelopeError::Invalid {
            what: format!("CRL {}", path.display()),
            reason,
        };
        let pem = std::fs::read(path).map_err(|e| EnvelopeError::Read {
            what: "CRL",
            path: path.to_path_buf(),
            source: Arc::new(e),
        })?;
        let crls = CertificateRevocationListDer::pem_slice_iter(&pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| invalid(format!("bad PEM: {e}")))?;
        if crls.is_empty() {
            return Err(invalid("it holds no `X509 CRL` PEM block".to_string()));
        }
        let (_, root) = X509Certificate::from_der(&self.root_der)
            .map_err(|e| invalid(format!("cannot parse the root CA: {e}")))?;
        let mut hits = 0;
        for der in &crls {
            let (_, crl) = x509_parser::parse_x509_crl(der.as_ref())
                .map_err(|e| invalid(format!("cannot parse: {e}")))?;
            if crl.verify_signature(root.public_key()).is_ok() {
                hits += self.revoke(&crl);
            } else if claims_root(&crl, &root) {
                return Err(invalid(format!(
                    "it names the root CA `{}` as issuer but is not signed by its key; \
                     replace it with the CRL of this federation's root CA",
                    root.subject()
                )));
            }
        }
        Ok(hits)
    }

    /// Records the serials `crl` lists; returns how many known signers they hit.
    fn revoke(&self, crl: &CertificateRevocationList<'_>) -> usize {
        let serials: HashSet<Vec<u8>> = crl
            .iter_revoked_certificates()
            .map(|r| serial_key(r.raw_serial()))
            .collect();
        let mut state = self.write();
        let hits = state
            .signers
            .values()
            .filter(|s| serials.contains(&s.serial))
            .count();
        state.revoked.extend(serials);
        hits
    }
}

/// Whether `crl` claims to be issued by `root`: the same name, and the same key
/// identifier when both name one.
fn claims_root(crl: &CertificateRevocationList<'_>, root: &X509Certificate<'_>) -> bool {
    if crl.issuer().as_raw() != root.subject().as_raw() {
        return false;
    }
    let aki = crl
        .extensions()
        .iter()
        .find_map(|ext| match ext.parsed_extension() {
            ParsedExtension::AuthorityKeyIdentifier(aki) => aki.key_identifier.as_ref(),
            _ => None,
        });
    let ski = root
        .extensions()
        .iter()
        .find_map(|ext| match ext.parsed_extension() {
            ParsedExtension::SubjectKeyIdentifier(ski) => Some(ski),
            _ => None,
        });
    match (aki, ski) {
        (Some(aki), Some(ski)) => aki.0 == ski.0,
        _ => true,
    }
}

/// A serial as compared between certificates and CRLs: the DER INTEGER content with
/// leading zero bytes dropped.
pub(super) fn serial_key(raw: &[u8]) -> Vec<u8> {
    let first = raw.iter().position(|b| *b != 0).unwrap_or(raw.len());
    raw[first..].to_vec()
}
