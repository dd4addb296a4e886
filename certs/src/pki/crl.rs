//! Revocation: each CA keeps `<ca>.revoked` (one line per revoked serial: serial,
//! revocation time, SPIFFE id or `-`, certificate path) and a CRL regenerated from it
//! (`<ca>.crl.pem`, next update in 30 days, CRL number one higher each time).

use std::path::{Path, PathBuf};

use rcgen::{CertificateRevocationListParams, KeyIdMethod, RevokedCertParams, SerialNumber};
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};
use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::ParsedExtension;
use x509_parser::prelude::FromDer;
use x509_parser::revocation_list::CertificateRevocationList;

use super::ca::Ca;
use super::fs::{append_line, read_optional, write_atomic, PUBLIC_MODE};
use super::Pki;
use crate::info::{parse_cert, read_cert_der, read_crl_der, rfc3339, serial_hex};
use crate::spiffe::SpiffeId;
use crate::CertError;

/// How long a CRL is valid; run `lianluo tls crl` (or [`Pki::refresh_crls`]) before then.
pub const CRL_VALID_DAYS: i64 = 30;

/// The outcome of [`Pki::revoke`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revoked {
    /// Serial number of the revoked certificate, lowercase hex.
    pub serial: String,
    /// Its SPIFFE id, when it has a valid one.
    pub spiffe: Option<SpiffeId>,
    /// Certificate of the CA that issued it.
    pub ca_cert: PathBuf,
    /// The regenerated CRL.
    pub crl: PathBuf,
    /// Number of the regenerated CRL.
    pub crl_number: u64,
    /// The serial was already on the revoked list (the CRL was regenerated anyway).
    pub already_revoked: bool,
}

struct Entry {
    serial: Vec<u8>,
    at: OffsetDateTime,
}

/// Reads `<ca>.revoked`.
fn read_revoked(path: &Path) -> Result<Vec<Entry>, CertError> {
    let Some(text) = read_optional(path)? else {
        return Ok(Vec::new());
    };
    let mut entries = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let bad = |reason: &str| {
            CertError::malformed(
                format!("revoked list {} line {}", path.display(), n + 1),
                reason,
            )
        };
        let mut cols = line.split('\t');
        let serial = cols
            .next()
            .and_then(unhex)
            .ok_or_else(|| bad("first column must be a hex serial"))?;
        let at = cols
            .next()
            .and_then(|t| OffsetDateTime::parse(t, &Rfc3339).ok())
            .ok_or_else(|| bad("second column must be an RFC 3339 time"))?;
        entries.push(Entry { serial, at });
    }
    Ok(entries)
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if s.is_empty() || !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| s.get(i..i + 2).and_then(|b| u8::from_str_radix(b, 16).ok()))
        .collect()
}

/// The number of the CRL at `path` plus one, or 1 when there is none yet.
fn next_crl_number(path: &Path) -> Result<u64, CertError> {
    if !path.exists() {
        return Ok(1);
    }
    let der = read_crl_der(path)?;
    let what = format!("CRL {}", path.display());
    let (_, crl) =
        CertificateRevocationList::from_der(&der).map_err(|e| CertError::malformed(&what, e))?;
    let digits = crl
        .crl_number()
        .map(|n| n.to_u64_digits())
        .unwrap_or_default();
    match digits.as_slice() {
        [] => Ok(1),
        [n] if *n < u64::MAX => Ok(n + 1),
        _ => Err(CertError::malformed(
            what,
            "its CRL number is too large to increment",
        )),
    }
}

/// The CA's subject key identifier, so the CRL's AKI matches it exactly.
fn key_id_method(ca: &Ca) -> Result<KeyIdMethod, CertError> {
    let cert = parse_cert(
        &ca.cert_der,
        &format!("CA certificate {}", ca.paths.cert.display()),
    )?;
    let ski = cert
        .iter_extensions()
        .find_map(|ext| match ext.parsed_extension() {
            ParsedExtension::SubjectKeyIdentifier(id) => Some(id.0.to_vec()),
            _ => None,
        });
    Ok(ski
        .map(KeyIdMethod::PreSpecified)
        .unwrap_or(KeyIdMethod::Sha256))
}

/// Regenerates the CA's CRL from its revoked list; returns the new CRL number.
pub(crate) fn write_crl(ca: &Ca) -> Result<u64, CertError> {
    let number = next_crl_number(&ca.paths.crl)?;
    let now = OffsetDateTime::now_utc();
    let revoked_certs = read_revoked(&ca.paths.revoked)?
        .into_iter()
        .map(|e| RevokedCertParams {
            serial_number: SerialNumber::from_slice(&e.serial),
            revocation_time: e.at,
            reason_code: None,
            invalidity_date: None,
        })
        .collect();
    let params = CertificateRevocationListParams {
        this_update: now - super::ca::BACKDATE,
        next_update: now + Duration::days(CRL_VALID_DAYS),
        crl_number: SerialNumber::from(number),
        issuing_distribution_point: None,
        revoked_certs,
        key_identifier_method: key_id_method(ca)?,
    };
    let what = format!("CRL {}", ca.paths.crl.display());
    let crl = params
        .signed_by(&ca.issuer)
        .map_err(|e| CertError::generate(&what, e))?;
    let pem = crl.pem().map_err(|e| CertError::generate(&what, e))?;
    write_atomic(&ca.paths.crl, pem.as_bytes(), PUBLIC_MODE)?;
    Ok(number)
}

/// Whether `cert` was issued by the CA certificate `ca_der`: same issuer name, matching
/// key identifiers when both are present, and a valid signature under the CA's key.
fn issued_by(cert: &X509Certificate<'_>, ca_der: &[u8]) -> bool {
    let Ok((_, ca)) = X509Certificate::from_der(ca_der) else {
        return false;
    };
    if cert.issuer().as_raw() != ca.subject().as_raw() {
        return false;
    }
    let aki = cert
        .iter_extensions()
        .find_map(|ext| match ext.parsed_extension() {
            ParsedExtension::AuthorityKeyIdentifier(aki) => {
                aki.key_identifier.as_ref().map(|k| k.0)
            }
            _ => None,
        });
    let ski = ca
        .iter_extensions()
        .find_map(|ext| match ext.parsed_extension() {
            ParsedExtension::SubjectKeyIdentifier(id) => Some(id.0),
            _ => None,
        });
    if let (Some(aki), Some(ski)) = (aki, ski) {
        if aki != ski {
            return false;
        }
    }
    cert.verify_signature(Some(ca.public_key())).is_ok()
}

impl Pki {
    /// Revokes the certificate in `cert_path`: finds its issuing CA (the root CA or a city
    /// user CA), adds the serial to that CA's revoked list and regenerates its CRL.
    pub fn revoke(&self, cert_path: &Path) -> Result<Revoked, CertError> {
        let der = read_cert_der(cert_path)?;
        let cert = parse_cert(&der, &format!("certificate {}", cert_path.display()))?;
        if cert.is_ca() {
            return Err(CertError::malformed(
                format!("certificate {}", cert_path.display()),
                "it is a CA certificate; only node, signer and user certificates are revoked \
                 (to retire a CA, remove it from every node's trust configuration)",
            ));
        }
        let ca = self.find_issuer(&cert, cert_path)?;
        let serial = serial_hex(cert.raw_serial());
        let spiffe = SpiffeId::from_cert_der(&der).ok();
        let already = read_revoked(&ca.paths.revoked)?
            .iter()
            .any(|e| serial_hex(&e.serial) == serial);
        if !already {
            let id = spiffe
                .as_ref()
                .map_or_else(|| "-".to_string(), ToString::to_string);
            let now = rfc3339(OffsetDateTime::now_utc());
            let line = format!("{serial}\t{now}\t{id}\t{}", cert_path.display());
            append_line(&ca.paths.revoked, &line)?;
        }
        let crl_number = write_crl(&ca)?;
        Ok(Revoked {
            serial,
            spiffe,
            ca_cert: ca.paths.cert.clone(),
            crl: ca.paths.crl.clone(),
            crl_number,
            already_revoked: already,
        })
    }

    fn find_issuer(&self, cert: &X509Certificate<'_>, cert_path: &Path) -> Result<Ca, CertError> {
        let root = self.root_ca()?;
        if issued_by(cert, &root.cert_der) {
            return Ok(root);
        }
        for city in self.cities()? {
            let ca = self.user_ca(&city)?;
            if issued_by(cert, &ca.cert_der) {
                return Ok(ca);
            }
        }
        Err(CertError::UnknownIssuer {
            cert: cert_path.to_path_buf(),
            pki: self.dir.clone(),
        })
    }

    /// Regenerates every CRL (root CA and each city user CA) with a fresh next-update
    /// time; returns the CRL paths written. Run it well within [`CRL_VALID_DAYS`].
    pub fn refresh_crls(&self) -> Result<Vec<PathBuf>, CertError> {
        let mut written = Vec::new();
        let root = self.root_ca()?;
        write_crl(&root)?;
        written.push(root.paths.crl.clone());
        for city in self.cities()? {
            let ca = self.user_ca(&city)?;
            write_crl(&ca)?;
            written.push(ca.paths.crl.clone());
        }
        Ok(written)
    }
}
