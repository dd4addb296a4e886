//! The node's error type and its one mapping to gRPC status codes.

use crate::domain::ValidationError;
use crate::store::StoreError;

/// Everything a client request can fail with. Messages are lowercase, name the field or
/// state at fault and say what to do.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// A request field is missing or malformed.
    #[error("{0}")]
    Invalid(#[from] ValidationError),
    /// No record with this id is stored at this node.
    #[error("record {0:?} not found at this node; check the id (`lianluo list` shows records)")]
    NotFound(String),
    /// What the request would create exists already (e.g. its request id was used for
    /// another record).
    #[error("{0}")]
    AlreadyExists(String),
    /// The act is not allowed in the record's current state.
    #[error("{0}")]
    Precondition(String),
    /// The caller is known but may not do this.
    #[error("{0}")]
    PermissionDenied(String),
    /// The caller could not be identified from its certificate.
    #[error("{0}")]
    Unauthenticated(String),
    /// Storage failed; nothing was acknowledged.
    #[error("storage failed: {0}; the request was not acknowledged and may not have been applied: check with `lianluo show` or `list` before retrying (a create retried with the same request id is always safe)")]
    Store(#[from] StoreError),
    /// A service this request needs did not answer well enough (e.g. an overview that
    /// asked to abort when partial). Retrying later may succeed.
    #[error("{0}")]
    Unavailable(String),
    /// The answer would be larger than a limit allows (the message names the limit).
    #[error("{0}")]
    TooLarge(String),
    /// A bug or an impossible state.
    #[error("internal error: {0}")]
    Internal(String),
}

impl NodeError {
    /// An invalid-argument error for `field`.
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        NodeError::Invalid(ValidationError {
            field: field.into(),
            reason: reason.into(),
        })
    }
}

/// Maps a node error to the gRPC status a client sees.
pub fn to_status(err: &NodeError) -> tonic::Status {
    use tonic::Status;
    let msg = err.to_string();
    match err {
        NodeError::Invalid(_) => Status::invalid_argument(msg),
        NodeError::NotFound(_) => Status::not_found(msg),
        NodeError::AlreadyExists(_) => Status::already_exists(msg),
        NodeError::Precondition(_) => Status::failed_precondition(msg),
        NodeError::PermissionDenied(_) => Status::permission_denied(msg),
        NodeError::Unauthenticated(_) => Status::unauthenticated(msg),
        NodeError::Store(e) if e.is_unavailable() => Status::unavailable(msg),
        NodeError::Store(StoreError::Invalid { .. }) => Status::invalid_argument(msg),
        NodeError::Store(StoreError::Corrupt(_)) => Status::data_loss(msg),
        NodeError::Store(_) => Status::internal(msg),
        NodeError::Unavailable(_) => Status::unavailable(msg),
        NodeError::TooLarge(_) => Status::resource_exhausted(msg),
        NodeError::Internal(_) => Status::internal(msg),
    }
}

impl From<NodeError> for tonic::Status {
    fn from(e: NodeError) -> Self {
        to_status(&e)
    }
}
