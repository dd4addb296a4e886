//! Who is calling: the user named by the verified client certificate, and their role from
//! the node's config. Nothing here trusts a request field.

use lianluo_federation::identity::user_from_cert;
use lianluo_federation::tls::TlsConnectInfo;
use tonic::Request;

use crate::config::Role;
use crate::error::NodeError;
use crate::state::NodeState;

/// An authenticated caller of this node.
#[derive(Debug, Clone)]
pub struct Caller {
    /// User name from the certificate's SPIFFE id.
    pub user: String,
    /// Role from config.
    pub role: Role,
}

/// Identifies the caller; any role will do.
pub fn caller<T>(state: &NodeState, req: &Request<T>) -> Result<Caller, NodeError> {
    let info = req.extensions().get::<TlsConnectInfo>().ok_or_else(|| {
        NodeError::Unauthenticated("no tls session; connect with your user certificate".into())
    })?;
    caller_of_session(state, info)
}

/// Identifies the user of a TLS session from its verified client certificate (for any
/// listener using this city's user CA); any role will do.
pub fn caller_of_session(state: &NodeState, info: &TlsConnectInfo) -> Result<Caller, NodeError> {
    let leaf = info
        .peer_certs
        .as_ref()
        .and_then(|c| c.first())
        .ok_or_else(|| {
            NodeError::Unauthenticated(
                "no client certificate; use a profile with your user certificate".into(),
            )
        })?;
    let user = user_from_cert(leaf.as_ref(), &state.config.trust_domain)
        .map_err(|e| NodeError::Unauthenticated(format!("client certificate refused: {e}")))?;
    let own = &state.config.city;
    if user.city != *own {
        return Err(NodeError::Unauthenticated(format!(
            "certificate is for a user of {}, but this is the {own} node; use a profile issued by {own}'s user CA",
            user.city
        )));
    }
    let role = state.members.current().role_of(&user.name).ok_or_else(|| {
        NodeError::PermissionDenied(format!(
            "user {:?} has no role on the {own} node; an admin adds it under [users] in node.toml",
            user.name
        ))
    })?;
    Ok(Caller {
        user: user.name,
        role,
    })
}

/// Identifies the caller and requires a role that may write.
pub fn writer<T>(state: &NodeState, req: &Request<T>, what: &str) -> Result<Caller, NodeError> {
    let c = caller(state, req)?;
    if !c.role.can_write() {
        return Err(NodeError::PermissionDenied(format!(
            "user {:?} is a {} on the {} node and may not {what}; ask an admin for the coordinator role",
            c.user,
            c.role.as_str(),
            state.config.city
        )));
    }
    Ok(c)
}
