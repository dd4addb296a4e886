//! Reading certificates and CRLs from PEM files, fingerprints, and the summary that
//! `lianluo tls show` prints.

use std::fmt;
use std::path::Path;

use time::OffsetDateTime;
use x509_parser::certificate::X509Certificate;
use x509_parser::prelude::FromDer;
use x509_parser::x509::X509Name;

use crate::spiffe::{san_uris, SpiffeId};
use crate::CertError;

/// Lowercase hex SHA-256 of a DER certificate (64 characters): the fingerprint carried in
/// `SignedEvent.signer_cert_sha256` and shown by `lianluo tls show`.
pub fn cert_sha256_hex(der: &[u8]) -> String {
    hex(ring::digest::digest(&ring::digest::SHA256, der).as_ref())
}

/// Lowercase hex of bytes.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Every PEM block labelled `label` in a file, as DER.
fn read_pem_blocks(path: &Path, label: &str) -> Result<Vec<Vec<u8>>, CertError> {
    let data = std::fs::read(path).map_err(|e| CertError::io("read", path, e))?;
    let mut out = Vec::new();
    for pem in x509_parser::pem::Pem::iter_from_buffer(&data) {
        let pem =
            pem.map_err(|e| CertError::malformed(format!("PEM file {}", path.display()), e))?;
        if pem.label == label {
            out.push(pem.contents);
        }
    }
    if out.is_empty() {
        return Err(CertError::malformed(
            format!("PEM file {}", path.display()),
            format!("it holds no `{label}` block"),
        ));
    }
    Ok(out)
}

/// The first certificate of a PEM file, as DER.
pub fn read_cert_der(path: &Path) -> Result<Vec<u8>, CertError> {
    let mut certs = read_pem_blocks(path, "CERTIFICATE")?;
    Ok(certs.swap_remove(0))
}

/// Every certificate of a PEM file (a chain or a bundle), as DER, in file order.
pub fn read_certs_der(path: &Path) -> Result<Vec<Vec<u8>>, CertError> {
    read_pem_blocks(path, "CERTIFICATE")
}

/// The first CRL of a PEM file (`X509 CRL` block), as DER.
pub fn read_crl_der(path: &Path) -> Result<Vec<u8>, CertError> {
    let mut crls = read_pem_blocks(path, "X509 CRL")?;
    Ok(crls.swap_remove(0))
}

/// Parses DER, naming `what` in the error.
pub(crate) fn parse_cert<'a>(der: &'a [u8], what: &str) -> Result<X509Certificate<'a>, CertError> {
    let (_, cert) = X509Certificate::from_der(der).map_err(|e| CertError::malformed(what, e))?;
    Ok(cert)
}

/// The first common name of a distinguished name, if any.
pub(crate) fn common_name(name: &X509Name<'_>) -> Option<String> {
    name.iter_common_name()
        .next()
        .and_then(|cn| cn.as_str().ok())
        .map(str::to_string)
}

/// Lowercase hex of a DER INTEGER's content with leading zero bytes dropped, so that a
/// serial reads the same whether it came from a certificate, a CRL or `issued.tsv`.
pub(crate) fn serial_hex(raw: &[u8]) -> String {
    let first = raw.iter().position(|b| *b != 0).unwrap_or(raw.len());
    let trimmed = &raw[first..];
    if trimmed.is_empty() {
        "00".to_string()
    } else {
        hex(trimmed)
    }
}

/// What `lianluo tls show` prints about a certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertInfo {
    /// The SPIFFE id, `None` for a CA (which carries no URI SAN).
    pub spiffe: Option<SpiffeId>,
    /// Subject common name, if any.
    pub subject_cn: Option<String>,
    /// Serial number, lowercase hex without leading zeros.
    pub serial: String,
    /// Issuer common name (empty when the issuer has none).
    pub issuer_cn: String,
    /// Start of validity.
    pub not_before: OffsetDateTime,
    /// End of validity.
    pub not_after: OffsetDateTime,
    /// Lowercase hex SHA-256 of the DER certificate.
    pub sha256: String,
    /// Whether the certificate is a CA (basicConstraints cA=true).
    pub is_ca: bool,
}

impl CertInfo {
    /// Summarises a DER certificate. A URI SAN that is not a valid federation SPIFFE id,
    /// or more than one URI SAN, is an error (such a certificate is refused everywhere).
    pub fn from_der(der: &[u8]) -> Result<CertInfo, CertError> {
        let cert = parse_cert(der, "certificate")?;
        let spiffe = if san_uris(&cert)?.is_empty() {
            None
        } else {
            Some(SpiffeId::from_cert_der(der)?)
        };
        Ok(CertInfo {
            spiffe,
            subject_cn: common_name(cert.subject()),
            serial: serial_hex(cert.raw_serial()),
            issuer_cn: common_name(cert.issuer()).unwrap_or_default(),
            not_before: cert.validity().not_before.to_datetime(),
            not_after: cert.validity().not_after.to_datetime(),
            sha256: cert_sha256_hex(der),
            is_ca: cert.is_ca(),
        })
    }

    /// Summarises the first certificate of a PEM file.
    pub fn from_pem_file(path: &Path) -> Result<CertInfo, CertError> {
        let der = read_cert_der(path)?;
        CertInfo::from_der(&der).map_err(|e| match e {
            CertError::Malformed { what, reason } => CertError::Malformed {
                what: format!("{what} in {}", path.display()),
                reason,
            },
            other => other,
        })
    }

    /// Whether `now` is outside the validity window.
    pub fn is_expired_at(&self, now: OffsetDateTime) -> bool {
        now < self.not_before || now > self.not_after
    }
}

impl fmt::Display for CertInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let spiffe = match &self.spiffe {
            Some(id) => id.to_string(),
            None => "(none)".to_string(),
        };
        writeln!(f, "spiffe id:  {spiffe}")?;
        writeln!(
            f,
            "subject:    {}",
            self.subject_cn.as_deref().unwrap_or("")
        )?;
        writeln!(f, "ca:         {}", if self.is_ca { "yes" } else { "no" })?;
        writeln!(f, "serial:     {}", self.serial)?;
        writeln!(f, "issuer:     {}", self.issuer_cn)?;
        writeln!(f, "not before: {}", rfc3339(self.not_before))?;
        writeln!(f, "not after:  {}", rfc3339(self.not_after))?;
        write!(f, "sha256:     {}", self.sha256)
    }
}

/// RFC 3339 in UTC to the second, falling back to the `time` display form for
/// unrepresentable years.
pub(crate) fn rfc3339(t: OffsetDateTime) -> String {
    let t = t.replace_nanosecond(0).unwrap_or(t);
    t.to_offset(time::UtcOffset::UTC)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| t.to_string())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn sha256_hex_matches_a_known_vector() {
        assert_eq!(
            cert_sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn serial_hex_drops_leading_zero_bytes() {
        assert_eq!(serial_hex(&[0x00, 0x8f, 0x01]), "8f01");
        assert_eq!(serial_hex(&[0x7f, 0x00]), "7f00");
        assert_eq!(serial_hex(&[0x00]), "00");
    }
}
