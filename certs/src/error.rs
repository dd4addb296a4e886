//! The one error type of the PKI crate.

use std::path::PathBuf;

/// Everything that can go wrong while reading, writing or issuing certificates.
///
/// Messages are lowercase, name the file or value at fault, and say what to do.
#[derive(Debug, thiserror::Error)]
pub enum CertError {
    /// A value (city, user name, trust domain, SPIFFE id, validity) is not acceptable.
    #[error("invalid {field} `{value}`: {reason}")]
    Invalid {
        /// Which field, e.g. "city id".
        field: &'static str,
        /// The rejected value.
        value: String,
        /// Why it was rejected and what is accepted.
        reason: String,
    },
    /// A file could not be read, written or listed.
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        /// What was being done ("read", "write", …).
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A file this operation needs does not exist.
    #[error("{what} not found at {}; {hint}", path.display())]
    NotFound {
        /// What was looked for, e.g. "root CA".
        what: String,
        /// Where it was looked for.
        path: PathBuf,
        /// What to do about it.
        hint: String,
    },
    /// A file exists that this operation would overwrite, or the directory is half-written.
    #[error("{what} already exists at {}; {hint}", path.display())]
    Exists {
        /// What exists.
        what: String,
        /// Where.
        path: PathBuf,
        /// What to do about it.
        hint: String,
    },
    /// A certificate, key, CRL or PKI bookkeeping file could not be parsed or is inconsistent.
    #[error("bad {what}: {reason}")]
    Malformed {
        /// The file or object, e.g. "certificate /x/node.pem".
        what: String,
        /// What is wrong with it.
        reason: String,
    },
    /// rcgen refused to generate a key, certificate or CRL.
    #[error("cannot generate {what}: {source}")]
    Generate {
        /// What was being generated.
        what: String,
        /// The rcgen error.
        #[source]
        source: rcgen::Error,
    },
    /// The certificate to revoke was not issued by any CA of this PKI.
    #[error(
        "certificate {} was not issued by the root CA or any city user CA in {}; \
         revoke it in the PKI that issued it",
        cert.display(),
        pki.display()
    )]
    UnknownIssuer {
        /// The certificate file.
        cert: PathBuf,
        /// The PKI directory.
        pki: PathBuf,
    },
}

impl CertError {
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
        source: std::io::Error,
    ) -> Self {
        CertError::Io {
            action,
            path: path.into(),
            source,
        }
    }

    pub(crate) fn malformed(what: impl Into<String>, reason: impl std::fmt::Display) -> Self {
        CertError::Malformed {
            what: what.into(),
            reason: reason.to_string(),
        }
    }

    pub(crate) fn generate(what: impl Into<String>, source: rcgen::Error) -> Self {
        CertError::Generate {
            what: what.into(),
            source,
        }
    }

    pub(crate) fn invalid(field: &'static str, value: &str, reason: impl Into<String>) -> Self {
        CertError::Invalid {
            field,
            value: value.to_string(),
            reason: reason.into(),
        }
    }
}
