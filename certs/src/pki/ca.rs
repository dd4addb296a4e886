//! Certificate authorities on disk: creating one (key + self-signed certificate) and
//! loading one back as an rcgen [`Issuer`] to sign more certificates and CRLs.

use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, PublicKeyData,
};
use time::{Duration, OffsetDateTime};

use super::fs::{read_optional, write_atomic, KEY_MODE, PUBLIC_MODE};
use super::serial::Registry;
use crate::info::{parse_cert, read_cert_der};
use crate::CertError;

/// Lifetime of the root CA and of the city user CAs.
pub(crate) const CA_DAYS: i64 = 3650;
/// How far `not_before` (and a CRL's `thisUpdate`) is backdated, so that a machine whose
/// clock is up to a day behind the issuer's accepts new certificates and the events signed
/// under them at once.
pub(crate) const BACKDATE: Duration = Duration::days(1);

/// Where one CA keeps its files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CaPaths {
    pub cert: PathBuf,
    pub key: PathBuf,
    pub crl: PathBuf,
    /// One line per revoked serial (see `crl.rs`).
    pub revoked: PathBuf,
}

impl CaPaths {
    /// `<dir>/<stem>.pem`, `.key`, `.crl.pem`, `.revoked`.
    pub fn new(dir: &Path, stem: &str) -> CaPaths {
        CaPaths {
            cert: dir.join(format!("{stem}.pem")),
            key: dir.join(format!("{stem}.key")),
            crl: dir.join(format!("{stem}.crl.pem")),
            revoked: dir.join(format!("{stem}.revoked")),
        }
    }
}

/// A CA loaded from disk, ready to sign.
pub(crate) struct Ca {
    pub paths: CaPaths,
    /// DER of the CA certificate.
    pub cert_der: Vec<u8>,
    pub issuer: Issuer<'static, KeyPair>,
}

impl Ca {
    /// Loads a CA; `what` names it ("root CA") and `hint` says how to create it.
    pub fn load(paths: &CaPaths, what: &str, hint: &str) -> Result<Ca, CertError> {
        let not_found = |path: &Path, kind: &str| CertError::NotFound {
            what: format!("{what} {kind}"),
            path: path.to_path_buf(),
            hint: hint.to_string(),
        };
        let Some(key_pem) = read_optional(&paths.key)? else {
            return Err(not_found(&paths.key, "key"));
        };
        if !paths.cert.exists() {
            return Err(not_found(&paths.cert, "certificate"));
        }
        let key = KeyPair::from_pem(&key_pem)
            .map_err(|e| CertError::malformed(format!("{what} key {}", paths.key.display()), e))?;
        let cert_der = read_cert_der(&paths.cert)?;
        let cert_what = format!("{what} certificate {}", paths.cert.display());
        let cert = parse_cert(&cert_der, &cert_what)?;
        if !cert.is_ca() {
            return Err(CertError::malformed(
                cert_what,
                "it is not a CA certificate",
            ));
        }
        if cert.public_key().raw != key.subject_public_key_info().as_slice() {
            return Err(CertError::malformed(
                cert_what,
                format!(
                    "it does not match the key {}; restore the matching pair",
                    paths.key.display()
                ),
            ));
        }
        let issuer = Issuer::from_ca_cert_der(&cert_der.as_slice().into(), key)
            .map_err(|e| CertError::malformed(cert_what, e))?;
        Ok(Ca {
            paths: paths.clone(),
            cert_der,
            issuer,
        })
    }

    /// Creates a self-signed CA (CN `common_name`, path length 0, 10 years) and records
    /// its serial. Fails if either file already exists.
    pub fn create(
        paths: &CaPaths,
        common_name: &str,
        registry: &Registry,
    ) -> Result<(), CertError> {
        for path in [&paths.cert, &paths.key] {
            if path.exists() {
                return Err(CertError::Exists {
                    what: format!("{common_name} file"),
                    path: path.clone(),
                    hint: "restore its partner file or remove both to create a new CA".into(),
                });
            }
        }
        let now = OffsetDateTime::now_utc();
        let mut params = CertificateParams::default();
        params.distinguished_name = ca_name(common_name);
        params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        params.not_before = now - BACKDATE;
        params.not_after = now + Duration::days(CA_DAYS);
        let serial = registry.draw()?;
        params.serial_number = Some(serial.number());
        let key = new_key(common_name)?;
        let cert = params
            .self_signed(&key)
            .map_err(|e| CertError::generate(common_name, e))?;
        write_atomic(&paths.key, key.serialize_pem().as_bytes(), KEY_MODE)?;
        write_atomic(&paths.cert, cert.pem().as_bytes(), PUBLIC_MODE)?;
        registry.record(&serial, "-", &paths.cert, params.not_after)
    }
}

/// The distinguished name of a federation CA.
pub(crate) fn ca_name(common_name: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::OrganizationName, "Lianluo federation");
    dn.push(DnType::CommonName, common_name);
    dn
}

/// A fresh ECDSA P-256 key pair.
pub(crate) fn new_key(what: &str) -> Result<KeyPair, CertError> {
    KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)
        .map_err(|e| CertError::generate(format!("key for {what}"), e))
}
