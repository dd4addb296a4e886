//! [`FederationError`] (any error of this crate) and its mapping to gRPC status codes.

use tonic::{Code, Status};

use crate::envelope::EnvelopeError;
use crate::identity::IdentityError;
use crate::tls::TlsError;

/// Any error of this crate, for callers that handle them together.
#[derive(Debug, Clone, thiserror::Error)]
pub enum FederationError {
    /// The caller's certificate does not give the required identity.
    #[error(transparent)]
    Identity(#[from] IdentityError),
    /// Loading TLS files, serving or connecting failed.
    #[error(transparent)]
    Tls(#[from] TlsError),
    /// Loading a signer or verifying an event failed.
    #[error(transparent)]
    Envelope(#[from] EnvelopeError),
}

/// The gRPC status for an error, message included:
/// - no or unusable certificate → `UNAUTHENTICATED`;
/// - a valid identity that may not do this (wrong role, trust domain, issuer, city), an
///   event signed by one city claiming another → `PERMISSION_DENIED`;
/// - an event that does not verify or decode → `INVALID_ARGUMENT`;
/// - an event whose signer is not known yet → `FAILED_PRECONDITION`;
/// - a peer we cannot reach → `UNAVAILABLE`; our own broken configuration → `INTERNAL`.
pub fn to_status(err: &FederationError) -> Status {
    Status::new(code(err), err.to_string())
}

fn code(err: &FederationError) -> Code {
    match err {
        FederationError::Identity(e) => identity_code(e),
        FederationError::Envelope(e) => envelope_code(e),
        FederationError::Tls(e) => tls_code(e),
    }
}

fn identity_code(err: &IdentityError) -> Code {
    match err {
        IdentityError::NoCertificate | IdentityError::Certificate(_) => Code::Unauthenticated,
        IdentityError::WrongTrustDomain { .. }
        | IdentityError::WrongRole { .. }
        | IdentityError::WrongPeerCity { .. }
        | IdentityError::WrongIssuer { .. } => Code::PermissionDenied,
    }
}

fn envelope_code(err: &EnvelopeError) -> Code {
    match err {
        EnvelopeError::AuthorMismatch { .. } | EnvelopeError::SignerRevoked { .. } => {
            Code::PermissionDenied
        }
        EnvelopeError::BadSignature { .. }
        | EnvelopeError::Malformed { .. }
        | EnvelopeError::UntrustedSigner { .. } => Code::InvalidArgument,
        EnvelopeError::UnknownSigner { .. } | EnvelopeError::SignerNotYetValid { .. } => {
            Code::FailedPrecondition
        }
        EnvelopeError::Read { .. } | EnvelopeError::Invalid { .. } | EnvelopeError::Sign(_) => {
            Code::Internal
        }
    }
}

fn tls_code(err: &TlsError) -> Code {
    match err {
        TlsError::Read { .. } | TlsError::Invalid { .. } | TlsError::Config(_) => Code::Internal,
        TlsError::Endpoint { .. } => Code::InvalidArgument,
        TlsError::Unreachable { .. }
        | TlsError::RefusedByPeer { .. }
        | TlsError::BadPeerCertificate { .. }
        | TlsError::Handshake { .. }
        | TlsError::Timeout { .. }
        | TlsError::WrongPeer { .. }
        | TlsError::Transport { .. } => Code::Unavailable,
    }
}

impl From<IdentityError> for Status {
    fn from(err: IdentityError) -> Status {
        to_status(&FederationError::Identity(err))
    }
}

impl From<EnvelopeError> for Status {
    fn from(err: EnvelopeError) -> Status {
        to_status(&FederationError::Envelope(err))
    }
}

impl From<TlsError> for Status {
    fn from(err: TlsError) -> Status {
        to_status(&FederationError::Tls(err))
    }
}
