//! The PKI directory: layout, creation of the root CA, and loading.
//!
//! ```text
//! <pki>/trust-domain                       the trust domain, one line
//! <pki>/issued.tsv                         every serial issued (see `serial.rs`)
//! <pki>/root-ca.pem root-ca.key            federation root CA (issues node + signer certs)
//! <pki>/root-ca.crl.pem root-ca.revoked    its CRL and the revoked serials behind it
//! <pki>/<city>/node.pem node.key           TLS server+client cert of the city's node
//! <pki>/<city>/signer.pem signer.key       event signing cert (no TLS EKU)
//! <pki>/<city>/user-ca.pem user-ca.key     the city's user CA (self-signed trust anchor)
//! <pki>/<city>/user-ca.crl.pem user-ca.revoked
//! <pki>/<city>/users/<name>.pem <name>.key user certs (TLS client auth)
//! ```

mod ca;
mod city;
mod crl;
mod fixtures;
mod fs;
mod leaf;
mod serial;

use std::path::{Path, PathBuf};

use time::OffsetDateTime;

pub use city::MAX_USER_DAYS;
pub use crl::{Revoked, CRL_VALID_DAYS};
pub use leaf::LeafFiles;

use self::ca::{Ca, CaPaths};
use self::fs::{ensure_dir, read_optional, write_atomic, PUBLIC_MODE};
use self::serial::Registry;
use crate::spiffe::{validate_city, validate_trust_domain, validate_user_name, SpiffeId};
use crate::CertError;

/// Common name of the federation root CA.
pub const ROOT_CA_NAME: &str = "Lianluo federation root CA";
const TRUST_DOMAIN_FILE: &str = "trust-domain";

/// Common name of a city's user CA.
pub fn user_ca_name(city: &str) -> String {
    format!("Lianluo {city} user CA")
}

/// A PKI directory with a root CA (see the module docs for the layout).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pki {
    dir: PathBuf,
    trust_domain: String,
}

/// The root CA files, and which of them this call created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RootFiles {
    /// `<pki>/root-ca.pem`.
    pub cert: PathBuf,
    /// `<pki>/root-ca.key` (0600).
    pub key: PathBuf,
    /// `<pki>/root-ca.crl.pem`.
    pub crl: PathBuf,
    /// `<pki>/trust-domain`.
    pub trust_domain_file: PathBuf,
    /// Files written by this call (empty when everything already existed).
    pub created: Vec<PathBuf>,
}

/// A city's files, and which of them this call created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CityFiles {
    /// The city id.
    pub city: String,
    /// `<pki>/<city>/node.pem` + `node.key`.
    pub node: LeafFiles,
    /// `<pki>/<city>/signer.pem` + `signer.key`.
    pub signer: LeafFiles,
    /// `<pki>/<city>/user-ca.pem`.
    pub user_ca_cert: PathBuf,
    /// `<pki>/<city>/user-ca.key` (0600).
    pub user_ca_key: PathBuf,
    /// `<pki>/<city>/user-ca.crl.pem`.
    pub user_ca_crl: PathBuf,
    /// Files written by this call (empty when everything already existed).
    pub created: Vec<PathBuf>,
    /// Extra hosts asked for that the kept (pre-existing) node certificate lacks; remove
    /// `node.pem` and `node.key` and run again to reissue it with them.
    pub missing_hosts: Vec<String>,
}

/// A freshly issued user certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserFiles {
    /// `spiffe://<td>/city/<city>/user/<name>`.
    pub spiffe: SpiffeId,
    /// `<pki>/<city>/users/<name>.pem` + `<name>.key`.
    pub files: LeafFiles,
    /// Serial number, lowercase hex.
    pub serial: String,
    /// End of validity.
    pub not_after: OffsetDateTime,
    /// The issuing user CA, `<pki>/<city>/user-ca.pem`.
    pub user_ca_cert: PathBuf,
}

impl Pki {
    /// Creates the PKI in `dir` (root CA, its empty CRL, the trust-domain file) or, when
    /// the root CA already exists, keeps and loads it.
    pub fn init(dir: &Path, trust_domain: &str) -> Result<Pki, CertError> {
        Pki::init_with_report(dir, trust_domain).map(|(pki, _)| pki)
    }

    /// Like [`Pki::init`], also telling which files were created.
    pub fn init_with_report(dir: &Path, trust_domain: &str) -> Result<(Pki, RootFiles), CertError> {
        validate_trust_domain(trust_domain)?;
        ensure_dir(dir)?;
        let pki = Pki {
            dir: dir.to_path_buf(),
            trust_domain: trust_domain.to_string(),
        };
        let mut files = pki.root_paths();
        let td_file = &files.trust_domain_file;
        match read_optional(td_file)? {
            Some(existing) if existing.trim() == trust_domain => {}
            Some(existing) => {
                return Err(CertError::invalid(
                    "trust domain",
                    trust_domain,
                    format!(
                        "{} already belongs to trust domain `{}`; pass --trust-domain {} \
                         or use another directory",
                        dir.display(),
                        existing.trim(),
                        existing.trim()
                    ),
                ))
            }
            None => {
                write_atomic(td_file, format!("{trust_domain}\n").as_bytes(), PUBLIC_MODE)?;
                files.created.push(td_file.clone());
            }
        }
        let paths = pki.root_ca_paths();
        if !paths.cert.exists() && !paths.key.exists() {
            Ca::create(&paths, ROOT_CA_NAME, &pki.registry())?;
            files
                .created
                .extend([paths.key.clone(), paths.cert.clone()]);
        }
        let root = pki.root_ca()?;
        if !paths.crl.exists() {
            crl::write_crl(&root)?;
            files.created.push(paths.crl.clone());
        }
        Ok((pki, files))
    }

    /// Opens an existing PKI directory (made by [`Pki::init`]).
    pub fn open(dir: &Path) -> Result<Pki, CertError> {
        let hint = init_hint(dir);
        let td_file = dir.join(TRUST_DOMAIN_FILE);
        let Some(td) = read_optional(&td_file)? else {
            return Err(CertError::NotFound {
                what: "trust domain file".into(),
                path: td_file,
                hint,
            });
        };
        let trust_domain = td.trim().to_string();
        validate_trust_domain(&trust_domain)?;
        let pki = Pki {
            dir: dir.to_path_buf(),
            trust_domain,
        };
        let cert = pki.root_ca_paths().cert;
        if !cert.exists() {
            return Err(CertError::NotFound {
                what: "root CA".into(),
                path: cert,
                hint,
            });
        }
        Ok(pki)
    }

    /// The PKI directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The trust domain of every SPIFFE id issued here.
    pub fn trust_domain(&self) -> &str {
        &self.trust_domain
    }

    /// Paths of the root CA files (`created` is empty).
    pub fn root_paths(&self) -> RootFiles {
        let paths = self.root_ca_paths();
        RootFiles {
            cert: paths.cert,
            key: paths.key,
            crl: paths.crl,
            trust_domain_file: self.dir.join(TRUST_DOMAIN_FILE),
            created: Vec::new(),
        }
    }

    /// Paths of a city's files (`created` and `missing_hosts` are empty).
    pub fn city_paths(&self, city: &str) -> Result<CityFiles, CertError> {
        validate_city(city)?;
        let dir = self.dir.join(city);
        let ca = CaPaths::new(&dir, "user-ca");
        Ok(CityFiles {
            city: city.to_string(),
            node: LeafFiles {
                cert: dir.join("node.pem"),
                key: dir.join("node.key"),
            },
            signer: LeafFiles {
                cert: dir.join("signer.pem"),
                key: dir.join("signer.key"),
            },
            user_ca_cert: ca.cert,
            user_ca_key: ca.key,
            user_ca_crl: ca.crl,
            created: Vec::new(),
            missing_hosts: Vec::new(),
        })
    }

    /// Paths of a user's certificate and key.
    pub fn user_paths(&self, city: &str, name: &str) -> Result<LeafFiles, CertError> {
        validate_city(city)?;
        validate_user_name(name)?;
        let dir = self.dir.join(city).join("users");
        Ok(LeafFiles {
            cert: dir.join(format!("{name}.pem")),
            key: dir.join(format!("{name}.key")),
        })
    }

    /// Cities that have a user CA in this PKI, sorted.
    pub fn cities(&self) -> Result<Vec<String>, CertError> {
        let entries =
            std::fs::read_dir(&self.dir).map_err(|e| CertError::io("list", &self.dir, e))?;
        let mut cities = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| CertError::io("list", &self.dir, e))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if validate_city(&name).is_ok() && self.city_ca_paths(&name).cert.exists() {
                cities.push(name);
            }
        }
        cities.sort();
        Ok(cities)
    }

    fn registry(&self) -> Registry {
        Registry::new(&self.dir)
    }

    fn root_ca_paths(&self) -> CaPaths {
        CaPaths::new(&self.dir, "root-ca")
    }

    fn city_ca_paths(&self, city: &str) -> CaPaths {
        CaPaths::new(&self.dir.join(city), "user-ca")
    }

    fn root_ca(&self) -> Result<Ca, CertError> {
        Ca::load(&self.root_ca_paths(), "root CA", &init_hint(&self.dir))
    }

    fn user_ca(&self, city: &str) -> Result<Ca, CertError> {
        let hint = format!(
            "run `lianluo tls city --pki {} --city {city}` first",
            self.dir.display()
        );
        Ca::load(
            &self.city_ca_paths(city),
            &format!("user CA of {city}"),
            &hint,
        )
    }
}

fn init_hint(dir: &Path) -> String {
    format!("run `lianluo tls init --pki {}` first", dir.display())
}
