//! The strict time check: an event's HLC wall time must lie within its signer
//! certificate's validity window, give or take [`CLOCK_SKEW`].

use lianluo_proto::EventBody;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::Signer;
use crate::envelope::{EnvelopeError, CLOCK_SKEW};

/// Refuses an event stamped outside `signer`'s validity (or not stamped at all).
pub(super) fn check(
    id: &str,
    sha256: &str,
    signer: &Signer,
    body: &EventBody,
) -> Result<(), EnvelopeError> {
    let refuse = |reason: String| EnvelopeError::UntrustedSigner {
        sha256: sha256.to_string(),
        reason,
    };
    let city = &signer.city;
    let Some(hlc) = &body.hlc else {
        return Err(refuse(format!(
            "event {id} has no hlc, so it cannot be placed within the validity of {city}'s \
             signer certificate; every event must carry its hlc"
        )));
    };
    let at = i128::from(hlc.wall_ms);
    let skew = CLOCK_SKEW.whole_milliseconds();
    let minutes = CLOCK_SKEW.whole_minutes();
    if at < millis(signer.not_before) - skew {
        return Err(refuse(format!(
            "event {id} is stamped {}, before {city}'s signer certificate became valid at {} \
             ({minutes} min clock skew allowed); the author's clock is wrong or the event \
             is forged",
            stamp(hlc.wall_ms),
            rfc3339(signer.not_before)
        )));
    }
    if at > millis(signer.not_after) + skew {
        return Err(refuse(format!(
            "event {id} is stamped {}, after {city}'s signer certificate expired at {} \
             ({minutes} min clock skew allowed); an expired certificate signs no new \
             events: {city} must renew its signer certificate",
            stamp(hlc.wall_ms),
            rfc3339(signer.not_after)
        )));
    }
    Ok(())
}

/// Milliseconds since the Unix epoch.
fn millis(t: OffsetDateTime) -> i128 {
    t.unix_timestamp_nanos() / 1_000_000
}

/// An HLC wall time for messages: RFC 3339 when representable, else the raw number.
fn stamp(wall_ms: u64) -> String {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(wall_ms) * 1_000_000)
        .map_or_else(|_| format!("{wall_ms} ms after the epoch"), rfc3339)
}

/// RFC 3339 rendering for messages.
pub(super) fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_else(|_| t.to_string())
}
