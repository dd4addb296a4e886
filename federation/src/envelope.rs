//! The signed-event envelope (DESIGN §4): [`EventSigner`] signs an encoded `EventBody`
//! with the city's signer key; [`SignerDirectory`] knows the federation's signer
//! certificates and verifies [`SignedEvent`]s from any city, relayed or not.
//!
//! The signature is ECDSA P-256 / SHA-256 (ASN.1 DER) over [`SIGNING_PREFIX`] followed by
//! the body bytes; the event id is the lowercase hex SHA-256 of the body bytes. Verifiers
//! never re-encode the body: the bytes that were signed are the bytes that are checked,
//! hashed and decoded.
//!
//! Two verifications: [`SignerDirectory::verify`] (strict: not revoked, event time within
//! the certificate's validity) for events that arrive and new events, and
//! [`SignerDirectory::verify_history`] (signature and author only) for events already
//! stored, so that history signed by a since expired or revoked certificate still folds.

mod directory;
mod signer;

use std::path::PathBuf;
use std::sync::Arc;

use lianluo_proto::{EventBody, SignedEvent};

pub use directory::{SignerDirectory, SignerInfo};
pub use signer::EventSigner;

/// Domain-separation prefix of every event signature.
pub const SIGNING_PREFIX: &[u8] = b"lianluo.v1.event\0";

/// Clock skew allowed around a signer certificate's validity window: an event stamped up
/// to this long before `not_before` or after `not_after` still passes strict verification,
/// and a certificate becoming valid within this long is accepted.
pub const CLOCK_SKEW: time::Duration = time::Duration::minutes(5);

/// The id of an event: lowercase hex SHA-256 of its body bytes (64 characters).
pub fn event_id(body_bytes: &[u8]) -> String {
    hex(ring::digest::digest(&ring::digest::SHA256, body_bytes).as_ref())
}

/// An event whose signature, signer and author city have been checked.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedEvent {
    /// The event id ([`event_id`] of the body bytes).
    pub id: String,
    /// The decoded body.
    pub body: EventBody,
}

/// What can go wrong loading a signer or verifying an event.
#[derive(Debug, Clone, thiserror::Error)]
pub enum EnvelopeError {
    /// A certificate or key file could not be read.
    #[error("cannot read {what} {}: {source}", path.display())]
    Read {
        /// "signer certificate", "signer key", "root CA certificate" or "CRL".
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: Arc<std::io::Error>,
    },
    /// A certificate or key is not usable for its purpose.
    #[error("{what} is not usable: {reason}")]
    Invalid {
        /// What, e.g. "signer certificate /pki/hezhou/signer.pem".
        what: String,
        /// Why, and what to do.
        reason: String,
    },
    /// Signing failed (the system random number generator failed).
    #[error("cannot sign the event: {0}")]
    Sign(String),
    /// A signer certificate offered to the directory is not acceptable, or (strict
    /// verification) an event is stamped outside its signer certificate's validity:
    /// `reason` says which, with the times.
    #[error("signer certificate {sha256} refused: {reason}")]
    UntrustedSigner {
        /// Its fingerprint.
        sha256: String,
        /// Why.
        reason: String,
    },
    /// A signer certificate is genuine but not valid yet by this node's clock (this
    /// node's clock is behind, or the certificate was issued ahead of time).
    #[error(
        "signer certificate {sha256} refused: not valid yet (valid {valid}); check this \
         node's clock, or wait: it is tried again"
    )]
    SignerNotYetValid {
        /// Its fingerprint.
        sha256: String,
        /// Its validity, `<not before> to <not after>`.
        valid: String,
    },
    /// The event names a signer certificate the directory does not know.
    #[error(
        "event {id} is signed by unknown signer certificate {sha256}; the signer \
         certificates of its city must be fetched first"
    )]
    UnknownSigner {
        /// The event id.
        id: String,
        /// The fingerprint the event names.
        sha256: String,
    },
    /// The event's signer certificate has been revoked by the root CA (strict
    /// verification only: history it signed before still verifies).
    #[error("event {id} is signed by revoked signer certificate {sha256} of {city}")]
    SignerRevoked {
        /// The event id.
        id: String,
        /// The fingerprint.
        sha256: String,
        /// The signer's city.
        city: String,
    },
    /// The signature does not verify over the prefix and body bytes.
    #[error("event {id}: signature does not verify with signer certificate {sha256} ({city})")]
    BadSignature {
        /// The event id.
        id: String,
        /// The fingerprint.
        sha256: String,
        /// The signer's city.
        city: String,
    },
    /// The signed body is not a valid `EventBody`.
    #[error("event {id}: body does not decode: {reason}")]
    Malformed {
        /// The event id.
        id: String,
        /// The decode error.
        reason: String,
    },
    /// A correctly signed event claims another city as its author.
    #[error("event {id} claims author city {claimed} but is signed by {signer}'s signer")]
    AuthorMismatch {
        /// The event id.
        id: String,
        /// `body.author_city`.
        claimed: String,
        /// The city of the signer certificate.
        signer: String,
    },
}

impl EnvelopeError {
    /// Whether the same event or certificate may be accepted later without changing:
    /// its signer certificate is not known yet, or not valid yet by this node's clock.
    /// Every other refusal (bad signature, forged author, revoked or expired signer, an
    /// undecodable body) is final.
    pub fn may_pass_later(&self) -> bool {
        matches!(
            self,
            Self::UnknownSigner { .. } | Self::SignerNotYetValid { .. }
        )
    }
}

/// The message that is signed: prefix followed by the body bytes.
fn signed_message(body: &[u8]) -> Vec<u8> {
    let mut msg = Vec::with_capacity(SIGNING_PREFIX.len() + body.len());
    msg.extend_from_slice(SIGNING_PREFIX);
    msg.extend_from_slice(body);
    msg
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    out
}

/// Signs `body` as-is (already encoded). Shared by [`EventSigner`] and tests.
fn seal(body: Vec<u8>, signature: Vec<u8>, signer_sha256: &str) -> SignedEvent {
    SignedEvent {
        body,
        signature,
        signer_cert_sha256: signer_sha256.to_string(),
    }
}
