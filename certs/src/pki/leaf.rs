//! End-entity certificates: node (TLS server + client), signer (event signing only) and
//! user (TLS client), each carrying exactly one SPIFFE URI SAN.

use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;

use rcgen::{
    CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, SanType,
};
use time::OffsetDateTime;

use super::ca::new_key;
use super::fs::{write_atomic, KEY_MODE, PUBLIC_MODE};
use super::serial::{Registry, Serial};
use crate::spiffe::{Role, SpiffeId};
use crate::CertError;

/// Lifetime of node and signer certificates.
pub(crate) const LEAF_DAYS: i64 = 365;

/// id-kp-documentSigning (RFC 9336). The signer certificate carries this EKU and no TLS
/// EKU, so TLS stacks (which treat a missing EKU as "any purpose") refuse it.
pub(crate) const DOCUMENT_SIGNING_EKU: &[u64] = &[1, 3, 6, 1, 5, 5, 7, 3, 36];

/// The certificate and key file of one end-entity certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeafFiles {
    /// Certificate (PEM, 0644).
    pub cert: PathBuf,
    /// PKCS#8 private key (PEM, 0600).
    pub key: PathBuf,
}

/// What was issued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Issued {
    pub serial: String,
    pub not_after: OffsetDateTime,
}

/// Parses an extra host name for the node certificate: an IP address, or a DNS name of
/// letters, digits, '-' and '.' (a leading `*.` wildcard label is allowed).
pub(crate) fn parse_host(host: &str) -> Result<SanType, CertError> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(SanType::IpAddress(ip));
    }
    let name = host.strip_prefix("*.").unwrap_or(host);
    let labels_ok = !name.is_empty()
        && host.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    if !labels_ok {
        return Err(CertError::invalid(
            "host",
            host,
            "give an IP address or a DNS name (letters, digits, '-' and '.')",
        ));
    }
    let dns = host.to_ascii_lowercase();
    let ia5 = dns
        .as_str()
        .try_into()
        .map_err(|_| CertError::invalid("host", host, "a DNS name must be ASCII"))?;
    Ok(SanType::DnsName(ia5))
}

/// The SAN list of a leaf: the SPIFFE URI first, then (nodes only) localhost,
/// 127.0.0.1 and the extra hosts, without duplicates.
fn subject_alt_names(id: &SpiffeId, extra_hosts: &[String]) -> Result<Vec<SanType>, CertError> {
    let uri = id
        .to_string()
        .try_into()
        .map_err(|_| CertError::invalid("spiffe id", &id.to_string(), "must be ASCII"))?;
    let mut sans = vec![SanType::URI(uri)];
    if *id.role() == Role::Node {
        sans.push(parse_host("localhost")?);
        sans.push(SanType::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST)));
        for host in extra_hosts {
            let san = parse_host(host.trim())?;
            if !sans.contains(&san) {
                sans.push(san);
            }
        }
    }
    Ok(sans)
}

/// A short subject common name (CN is limited to 64 characters, the SPIFFE URI may not be).
fn leaf_name(id: &SpiffeId) -> DistinguishedName {
    let cn = match id.role() {
        Role::Node => format!("{} node", id.city()),
        Role::Signer => format!("{} signer", id.city()),
        Role::User(name) => name.clone(),
    };
    let mut dn = DistinguishedName::new();
    dn.push(DnType::OrganizationName, "Lianluo federation");
    dn.push(DnType::OrganizationalUnitName, id.city());
    dn.push(DnType::CommonName, cn);
    dn
}

/// Certificate parameters for `id` (serial not yet set).
pub(crate) fn leaf_params(
    id: &SpiffeId,
    extra_hosts: &[String],
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
) -> Result<CertificateParams, CertError> {
    if not_after <= not_before {
        return Err(CertError::invalid(
            "validity",
            &format!("{not_before} .. {not_after}"),
            "not_after must be later than not_before",
        ));
    }
    let mut params = CertificateParams::default();
    params.distinguished_name = leaf_name(id);
    params.subject_alt_names = subject_alt_names(id, extra_hosts)?;
    params.is_ca = IsCa::ExplicitNoCa;
    params.use_authority_key_identifier_extension = true;
    params.not_before = not_before;
    params.not_after = not_after;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = match id.role() {
        Role::Node => vec![
            ExtendedKeyUsagePurpose::ServerAuth,
            ExtendedKeyUsagePurpose::ClientAuth,
        ],
        Role::Signer => vec![ExtendedKeyUsagePurpose::Other(
            DOCUMENT_SIGNING_EKU.to_vec(),
        )],
        Role::User(_) => vec![ExtendedKeyUsagePurpose::ClientAuth],
    };
    Ok(params)
}

/// Issues a leaf for `id` signed by `issuer`, writes key (0600) then certificate (0644)
/// to `files` (replacing them), and records the serial in `registry` when given (a
/// certificate from a foreign CA is not recorded).
pub(crate) fn issue_leaf(
    issuer: &Issuer<'_, KeyPair>,
    registry: Option<&Registry>,
    id: &SpiffeId,
    mut params: CertificateParams,
    files: &LeafFiles,
) -> Result<Issued, CertError> {
    let serial = match registry {
        Some(registry) => registry.draw()?,
        None => Serial::random()?,
    };
    params.serial_number = Some(serial.number());
    let key = new_key(&id.to_string())?;
    let cert = params
        .signed_by(&key, issuer)
        .map_err(|e| CertError::generate(format!("certificate for {id}"), e))?;
    write_atomic(&files.key, key.serialize_pem().as_bytes(), KEY_MODE)?;
    write_atomic(&files.cert, cert.pem().as_bytes(), PUBLIC_MODE)?;
    if let Some(registry) = registry {
        registry.record(&serial, &id.to_string(), &files.cert, params.not_after)?;
    }
    Ok(Issued {
        serial: serial.hex(),
        not_after: params.not_after,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn hosts_parse_as_ip_or_dns() {
        assert_eq!(
            parse_host("10.0.0.7").unwrap(),
            SanType::IpAddress("10.0.0.7".parse().unwrap())
        );
        assert!(matches!(parse_host("::1").unwrap(), SanType::IpAddress(_)));
        assert!(matches!(
            parse_host("Hezhou.Example").unwrap(),
            SanType::DnsName(_)
        ));
        assert!(matches!(
            parse_host("*.lianluo.internal").unwrap(),
            SanType::DnsName(_)
        ));
        for bad in ["", "a b", "-x.org", "x..org", "贺州.cn", "a/b"] {
            assert!(parse_host(bad).is_err(), "{bad:?} should be rejected");
        }
    }
}
