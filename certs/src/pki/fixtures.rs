//! Fixture helpers for tests and operations drills: certificates that must be refused.
//! Never use them to issue production credentials.

use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyUsagePurpose};
use time::{Duration, OffsetDateTime};

use super::ca::{ca_name, new_key, BACKDATE};
use super::fs::ensure_dir;
use super::leaf::{issue_leaf, leaf_params, LeafFiles, LEAF_DAYS};
use super::{user_ca_name, Pki, ROOT_CA_NAME};
use crate::info::CertInfo;
use crate::spiffe::{Role, SpiffeId};
use crate::CertError;

impl Pki {
    /// **Tests and drills only.** Issues a certificate for `id` with an explicit validity
    /// window, signed by the CA that genuinely issues that role (the root CA for node and
    /// signer, the city's user CA for a user), into `files` (replacing them). A window in
    /// the past gives an EXPIRED certificate, one in the future a not-yet-valid one. The
    /// trust domain of `id` is not checked, so a wrong-trust-domain certificate can be made
    /// too. The serial is recorded in `issued.tsv`.
    pub fn issue_with_validity(
        &self,
        id: &SpiffeId,
        not_before: OffsetDateTime,
        not_after: OffsetDateTime,
        files: &LeafFiles,
    ) -> Result<CertInfo, CertError> {
        let ca = match id.role() {
            Role::Node | Role::Signer => self.root_ca()?,
            Role::User(_) => self.user_ca(id.city())?,
        };
        let params = leaf_params(id, &[], not_before, not_after)?;
        prepare(files)?;
        issue_leaf(&ca.issuer, Some(&self.registry()), id, params, files)?;
        CertInfo::from_pem_file(&files.cert)
    }

    /// **Tests and drills only.** Issues a currently valid certificate for `id` from a
    /// throwaway foreign CA that has the same name as the genuine issuer (root CA or the
    /// city's user CA) but a different key, so only a verifier that checks signatures
    /// against the real CA key refuses it. Writes `files`; the foreign CA's key is
    /// discarded and nothing is recorded in this PKI.
    ///
    /// For a whole foreign federation, run [`Pki::init`] on another directory instead.
    pub fn foreign_leaf(&self, id: &SpiffeId, files: &LeafFiles) -> Result<CertInfo, CertError> {
        let name = match id.role() {
            Role::Node | Role::Signer => ROOT_CA_NAME.to_string(),
            Role::User(_) => user_ca_name(id.city()),
        };
        let now = OffsetDateTime::now_utc();
        let mut ca_params = CertificateParams::default();
        ca_params.distinguished_name = ca_name(&name);
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        ca_params.not_before = now - BACKDATE;
        ca_params.not_after = now + Duration::days(LEAF_DAYS);
        let issuer = Issuer::new(ca_params, new_key("foreign CA")?);
        let params = leaf_params(id, &[], now - BACKDATE, now + Duration::days(LEAF_DAYS))?;
        prepare(files)?;
        issue_leaf(&issuer, None, id, params, files)?;
        CertInfo::from_pem_file(&files.cert)
    }
}

fn prepare(files: &LeafFiles) -> Result<(), CertError> {
    for path in [&files.cert, &files.key] {
        if let Some(dir) = path.parent() {
            ensure_dir(dir)?;
        }
    }
    Ok(())
}
