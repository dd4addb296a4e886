//! [`TlsError`]: everything that can go wrong loading TLS files, serving or connecting,
//! worded for an operator at a CLI, plus the translation of rustls errors into words.

use std::io;
use std::path::PathBuf;
use std::sync::Arc;

use rustls::{AlertDescription, CertificateError};

use crate::identity::IdentityError;

/// A TLS failure. Messages are lowercase, name the file or endpoint at fault, and say what
/// to do. `Clone` so a connector error can be recovered from a transport error chain.
#[derive(Debug, Clone, thiserror::Error)]
pub enum TlsError {
    /// A certificate, key, CA or CRL file could not be read.
    #[error("cannot read {what} {}: {source}", path.display())]
    Read {
        /// "certificate", "private key", "CA certificate" or "CRL".
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: Arc<io::Error>,
    },
    /// A file was read but its content is not usable.
    #[error("{what} {} is not usable: {reason}", path.display())]
    Invalid {
        /// "certificate", "private key", "CA certificate" or "CRL".
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// What is wrong and what to do.
        reason: String,
    },
    /// rustls refused the configuration built from otherwise readable files.
    #[error("tls configuration rejected: {0}")]
    Config(String),
    /// The endpoint string is not an `https://host:port` URL.
    #[error("invalid endpoint `{endpoint}`: {reason}")]
    Endpoint {
        /// The endpoint as given.
        endpoint: String,
        /// What is wrong.
        reason: String,
    },
    /// The TCP connection could not be made.
    #[error("cannot reach {endpoint}: {source}; check the address and that the node runs")]
    Unreachable {
        /// The endpoint.
        endpoint: String,
        /// The I/O error.
        #[source]
        source: Arc<io::Error>,
    },
    /// The peer refused our certificate (it sent a TLS alert).
    #[error("{endpoint} refused our certificate (tls alert: {alert}): {hint}")]
    RefusedByPeer {
        /// The endpoint.
        endpoint: String,
        /// The alert, e.g. "certificate revoked".
        alert: String,
        /// What it means and what to do.
        hint: &'static str,
    },
    /// The peer's certificate failed our verification.
    #[error("{endpoint} presented a certificate we do not accept: {reason}")]
    BadPeerCertificate {
        /// The endpoint.
        endpoint: String,
        /// Why, in words.
        reason: String,
    },
    /// The handshake failed for another reason.
    #[error("tls handshake with {endpoint} failed: {reason}")]
    Handshake {
        /// The endpoint.
        endpoint: String,
        /// Why.
        reason: String,
    },
    /// The handshake did not finish in time.
    #[error("tls handshake with {endpoint} timed out after {secs} s; is it a lianluo node?")]
    Timeout {
        /// The endpoint.
        endpoint: String,
        /// The timeout.
        secs: u64,
    },
    /// The server's certificate is valid but names another identity than expected.
    #[error("{endpoint} is not the expected peer: {source}")]
    WrongPeer {
        /// The endpoint.
        endpoint: String,
        /// The identity problem.
        #[source]
        source: IdentityError,
    },
    /// Any other transport failure.
    #[error("cannot connect to {endpoint}: {reason}")]
    Transport {
        /// The endpoint.
        endpoint: String,
        /// The error chain, joined.
        reason: String,
    },
}

impl TlsError {
    /// Finds the TLS failure behind a transport error (e.g. a `tonic::transport::Error` or
    /// the source of a `tonic::Status` from a lazy channel): a [`TlsError`] raised by our
    /// connector, or a rustls error inside an I/O error. `None` when TLS is not the cause.
    pub fn find_in(err: &(dyn std::error::Error + 'static), endpoint: &str) -> Option<TlsError> {
        let mut next = Some(err);
        while let Some(e) = next {
            if let Some(tls) = e.downcast_ref::<TlsError>() {
                return Some(tls.clone());
            }
            if let Some(io) = e.downcast_ref::<io::Error>() {
                if let Some(rustls) = io.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()) {
                    return Some(from_rustls(endpoint, rustls));
                }
            }
            if let Some(rustls) = e.downcast_ref::<rustls::Error>() {
                return Some(from_rustls(endpoint, rustls));
            }
            next = e.source();
        }
        None
    }
}

/// Every message of an error chain, joined with ": ".
pub(crate) fn chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut out = err.to_string();
    let mut next = err.source();
    while let Some(e) = next {
        let msg = e.to_string();
        if !out.contains(&msg) {
            out.push_str(": ");
            out.push_str(&msg);
        }
        next = e.source();
    }
    out
}

/// A client-side handshake I/O error, in words.
pub(crate) fn from_io(endpoint: &str, err: io::Error) -> TlsError {
    match err
        .get_ref()
        .and_then(|i| i.downcast_ref::<rustls::Error>())
    {
        Some(rustls) => from_rustls(endpoint, rustls),
        None => TlsError::Handshake {
            endpoint: endpoint.to_string(),
            reason: chain(&err),
        },
    }
}

/// A client-side rustls error, in words.
pub(crate) fn from_rustls(endpoint: &str, err: &rustls::Error) -> TlsError {
    let endpoint = endpoint.to_string();
    match err {
        rustls::Error::AlertReceived(alert) => TlsError::RefusedByPeer {
            endpoint,
            alert: alert_name(*alert),
            hint: alert_hint(*alert),
        },
        rustls::Error::InvalidCertificate(cert) => TlsError::BadPeerCertificate {
            endpoint,
            reason: certificate_reason(cert),
        },
        other => TlsError::Handshake {
            endpoint,
            reason: other.to_string(),
        },
    }
}

/// A server-side handshake failure, for the log: rustls' own words plus a hint where one
/// helps the operator.
pub(crate) fn describe_server_failure(err: &io::Error) -> String {
    let Some(rustls) = err
        .get_ref()
        .and_then(|i| i.downcast_ref::<rustls::Error>())
    else {
        return chain(err);
    };
    match rustls {
        rustls::Error::InvalidCertificate(cert) => {
            format!("{rustls} ({})", certificate_reason(cert))
        }
        other => other.to_string(),
    }
}

fn alert_name(alert: AlertDescription) -> String {
    // AlertDescription's Debug is CamelCase ("CertificateRevoked", "UnknownCA"); spell it
    // as lowercase words ("certificate revoked", "unknown ca").
    let debug = format!("{alert:?}");
    let mut out = String::with_capacity(debug.len() + 4);
    let mut prev_lower = false;
    for c in debug.chars() {
        if c.is_ascii_uppercase() && prev_lower {
            out.push(' ');
        }
        prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        out.push(c.to_ascii_lowercase());
    }
    out
}

fn alert_hint(alert: AlertDescription) -> &'static str {
    match alert {
        AlertDescription::CertificateRevoked => {
            "our certificate is revoked; ask the operator for a new certificate"
        }
        AlertDescription::CertificateExpired => {
            "our certificate has expired (or is not yet valid); renew it and check the clock"
        }
        AlertDescription::UnknownCA => {
            "our certificate is not issued by a CA the peer trusts; use a certificate of \
             this federation (node) or of the peer city's user CA (user)"
        }
        AlertDescription::BadCertificate
        | AlertDescription::CertificateUnknown
        | AlertDescription::UnsupportedCertificate
        | AlertDescription::DecryptError => {
            "the peer does not accept our certificate (a CA it does not trust, perhaps one \
             with the same name from another PKI; a wrong purpose; or no CRL for our \
             issuer in its configuration); check which certificate is configured"
        }
        AlertDescription::CertificateRequired | AlertDescription::NoCertificate => {
            "the peer requires a client certificate; configure cert and key"
        }
        AlertDescription::AccessDenied => "the peer denies access to our identity",
        AlertDescription::NoApplicationProtocol => {
            "the peer does not speak HTTP/2 over TLS; is it a lianluo node?"
        }
        AlertDescription::ProtocolVersion | AlertDescription::HandshakeFailure => {
            "no common TLS version or cipher suite; both sides need TLS 1.2 or 1.3"
        }
        _ => "the peer ended the handshake; see its log for the reason",
    }
}

/// Why a certificate failed verification, in words an operator can act on.
pub(crate) fn certificate_reason(err: &CertificateError) -> String {
    match err {
        CertificateError::Revoked => "it is revoked (listed in a configured CRL)".to_string(),
        CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
            "it has expired".to_string()
        }
        CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
            "it is not valid yet (check the clocks)".to_string()
        }
        CertificateError::UnknownIssuer => {
            "it is not issued by a trusted CA (a foreign CA, or the wrong ca file)".to_string()
        }
        CertificateError::BadSignature => {
            "its signature does not verify against the trusted CA".to_string()
        }
        CertificateError::UnknownRevocationStatus => {
            "no configured CRL covers its issuer; add the issuer's CRL file to the crls list"
                .to_string()
        }
        CertificateError::ExpiredRevocationList
        | CertificateError::ExpiredRevocationListContext { .. } => {
            "the CRL for its issuer has expired; refresh the CRL".to_string()
        }
        CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
            "it is not valid for the host name or address connected to; connect with a \
             name the node certificate lists (localhost, 127.0.0.1 or its extra hosts)"
                .to_string()
        }
        CertificateError::InvalidPurpose | CertificateError::InvalidPurposeContext { .. } => {
            "its extended key usage does not allow this use (e.g. a signer certificate \
             used for TLS)"
                .to_string()
        }
        other => format!("{other:?}"),
    }
}
