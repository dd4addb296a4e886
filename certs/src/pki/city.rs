//! A city's certificates (node, signer, user CA) and its users' certificates.

use std::net::IpAddr;

use rcgen::SanType;
use time::{Duration, OffsetDateTime};
use x509_parser::extensions::GeneralName;

use super::ca::{Ca, BACKDATE};
use super::fs::ensure_dir;
use super::leaf::{issue_leaf, leaf_params, parse_host, LeafFiles, LEAF_DAYS};
use super::{crl, user_ca_name, CityFiles, Pki, UserFiles};
use crate::info::{parse_cert, read_cert_der};
use crate::spiffe::{validate_city, SpiffeId};
use crate::CertError;

/// Longest user certificate lifetime `issue_user` accepts.
pub const MAX_USER_DAYS: u32 = 3650;

impl Pki {
    /// Makes sure `city` has its node certificate (SAN: SPIFFE node URI, localhost,
    /// 127.0.0.1 and `extra_hosts`), signer certificate, user CA and the user CA's CRL.
    /// Existing files are kept; see [`CityFiles::missing_hosts`].
    pub fn ensure_city(&self, city: &str, extra_hosts: &[String]) -> Result<CityFiles, CertError> {
        validate_city(city)?;
        // Validate every host before writing anything.
        for host in extra_hosts {
            parse_host(host.trim())?;
        }
        let root = self.root_ca()?;
        let mut files = self.city_paths(city)?;
        ensure_dir(&self.dir.join(city))?;
        let node_id = SpiffeId::node(&self.trust_domain, city)?;
        let signer_id = SpiffeId::signer(&self.trust_domain, city)?;
        let (node, signer) = (files.node.clone(), files.signer.clone());
        if self.ensure_leaf(&root, &node_id, extra_hosts, &node, &mut files.created)? {
            files.missing_hosts = missing_hosts(&node, extra_hosts)?;
        }
        self.ensure_leaf(&root, &signer_id, &[], &signer, &mut files.created)?;
        let ca_paths = self.city_ca_paths(city);
        if !ca_paths.cert.exists() && !ca_paths.key.exists() {
            Ca::create(&ca_paths, &user_ca_name(city), &self.registry())?;
            files
                .created
                .extend([ca_paths.key.clone(), ca_paths.cert.clone()]);
        }
        let user_ca = self.user_ca(city)?;
        if !ca_paths.crl.exists() {
            crl::write_crl(&user_ca)?;
            files.created.push(ca_paths.crl.clone());
        }
        Ok(files)
    }

    /// Issues a 1-year leaf for `id` into `files` unless both files exist (then checks
    /// the kept certificate names `id` and returns `true`). One file without the other is
    /// an error rather than a silent reissue.
    fn ensure_leaf(
        &self,
        root: &Ca,
        id: &SpiffeId,
        extra_hosts: &[String],
        files: &LeafFiles,
        created: &mut Vec<std::path::PathBuf>,
    ) -> Result<bool, CertError> {
        match (files.cert.exists(), files.key.exists()) {
            (true, true) => {
                let found = SpiffeId::from_cert_der(&read_cert_der(&files.cert)?)?;
                if &found != id {
                    return Err(CertError::malformed(
                        format!("certificate {}", files.cert.display()),
                        format!(
                            "it carries {found}, expected {id}; remove it and its key to reissue"
                        ),
                    ));
                }
                Ok(true)
            }
            (false, false) => {
                let now = OffsetDateTime::now_utc();
                let params = leaf_params(
                    id,
                    extra_hosts,
                    now - BACKDATE,
                    now + Duration::days(LEAF_DAYS),
                )?;
                issue_leaf(&root.issuer, Some(&self.registry()), id, params, files)?;
                created.extend([files.key.clone(), files.cert.clone()]);
                Ok(false)
            }
            (cert, _) => {
                let (present, absent) = if cert {
                    (&files.cert, &files.key)
                } else {
                    (&files.key, &files.cert)
                };
                Err(CertError::Exists {
                    what: format!("{id} file (without {})", absent.display()),
                    path: present.clone(),
                    hint: "restore the missing file, or remove this one to reissue both".into(),
                })
            }
        }
    }

    /// Issues a user certificate (SAN `spiffe://<td>/city/<city>/user/<name>`, EKU
    /// clientAuth, valid `days` days) signed by the city's user CA. Refuses to overwrite an
    /// existing user; see [`Pki::reissue_user`].
    pub fn issue_user(&self, city: &str, name: &str, days: u32) -> Result<UserFiles, CertError> {
        self.user(city, name, days, false)
    }

    /// Like [`Pki::issue_user`] but replaces an existing certificate and key. The old
    /// certificate stays valid until revoked.
    pub fn reissue_user(&self, city: &str, name: &str, days: u32) -> Result<UserFiles, CertError> {
        self.user(city, name, days, true)
    }

    fn user(&self, city: &str, name: &str, days: u32, force: bool) -> Result<UserFiles, CertError> {
        let files = self.user_paths(city, name)?;
        if days == 0 || days > MAX_USER_DAYS {
            return Err(CertError::invalid(
                "days",
                &days.to_string(),
                format!("give a validity of 1 to {MAX_USER_DAYS} days"),
            ));
        }
        let ca = self.user_ca(city)?;
        if !force && (files.cert.exists() || files.key.exists()) {
            let path = if files.cert.exists() {
                &files.cert
            } else {
                &files.key
            };
            return Err(CertError::Exists {
                what: format!("user `{name}` of {city}"),
                path: path.clone(),
                hint: "pass --force to issue a new certificate (revoke the old one with \
                       `lianluo tls revoke` if it must stop working)"
                    .into(),
            });
        }
        if let Some(dir) = files.cert.parent() {
            ensure_dir(dir)?;
        }
        let id = SpiffeId::user(&self.trust_domain, city, name)?;
        let now = OffsetDateTime::now_utc();
        let params = leaf_params(
            &id,
            &[],
            now - BACKDATE,
            now + Duration::days(i64::from(days)),
        )?;
        let issued = issue_leaf(&ca.issuer, Some(&self.registry()), &id, params, &files)?;
        Ok(UserFiles {
            spiffe: id,
            files,
            serial: issued.serial,
            not_after: issued.not_after,
            user_ca_cert: ca.paths.cert.clone(),
        })
    }
}

/// The `extra_hosts` that the existing node certificate does not name.
fn missing_hosts(node: &LeafFiles, extra_hosts: &[String]) -> Result<Vec<String>, CertError> {
    let der = read_cert_der(&node.cert)?;
    let cert = parse_cert(&der, &format!("certificate {}", node.cert.display()))?;
    let san = cert
        .subject_alternative_name()
        .map_err(|e| CertError::malformed(format!("certificate {}", node.cert.display()), e))?;
    let mut present = Vec::new();
    for name in san.iter().flat_map(|s| s.value.general_names.iter()) {
        match name {
            GeneralName::DNSName(dns) => present.push(parse_host(dns).ok()),
            GeneralName::IPAddress(bytes) => {
                present.push(ip_from_bytes(bytes).map(SanType::IpAddress))
            }
            _ => {}
        }
    }
    let mut missing = Vec::new();
    for host in extra_hosts {
        let wanted = parse_host(host.trim())?;
        if !present.contains(&Some(wanted)) {
            missing.push(host.trim().to_string());
        }
    }
    Ok(missing)
}

fn ip_from_bytes(bytes: &[u8]) -> Option<IpAddr> {
    match bytes.len() {
        4 => <[u8; 4]>::try_from(bytes).ok().map(IpAddr::from),
        16 => <[u8; 16]>::try_from(bytes).ok().map(IpAddr::from),
        _ => None,
    }
}
