//! Crafting events the way a city's node would (same body shape, signed with the city's
//! real signer key from the test PKI), and tampering with them afterwards.

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};
use lianluo_federation::{event_id, EventSigner};
use lianluo_proto::{change, Change, EventBody, Hlc, RecordKind, SignedEvent};
use prost::Message;

use super::{random_hex, TRUST_DOMAIN};

/// Crockford base32, as ULIDs use it.
const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// `city`'s event signer: `pki/<city>/signer.pem` with its key.
pub fn city_signer(pki: &Path, city: &str) -> Result<EventSigner> {
    let dir = pki.join(city);
    EventSigner::load(
        &dir.join("signer.pem"),
        &dir.join("signer.key"),
        TRUST_DOMAIN,
    )
    .with_context(|| format!("loading the {city} signer from {}", dir.display()))
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or_default()
}

/// A fresh record id `<city>-<ULID>` (current time, random tail).
pub fn new_record_id(city: &str) -> String {
    let time = u128::from(now_ms()) & ((1 << 48) - 1);
    let tail = u128::from_str_radix(&random_hex(20), 16).unwrap_or_default();
    let value = (time << 80) | tail;
    let ulid: String = (0..26)
        .map(|i| char::from(CROCKFORD[((value >> (5 * (25 - i))) & 31) as usize]))
        .collect();
    format!("{city}-{ulid}")
}

/// An event body by `author_city`'s `coordinator`, stamped now.
pub fn event_body(
    record_id: &str,
    kind: RecordKind,
    author_city: &str,
    parents: Vec<String>,
    participants: Vec<String>,
    change: change::Kind,
) -> EventBody {
    EventBody {
        authored_ms: 0,
        record_id: record_id.to_string(),
        kind: kind as i32,
        author_city: author_city.to_string(),
        author_user: "coordinator".to_string(),
        hlc: Some(Hlc {
            wall_ms: now_ms(),
            counter: 0,
        }),
        parents,
        participants,
        request_id: String::new(),
        change: Some(Change { kind: Some(change) }),
    }
}

/// The creation event of a new suggestion at `origin` shared with `partners`.
pub fn suggestion_created(origin: &str, partners: &[&str], title: &str) -> EventBody {
    let mut participants = vec![origin.to_string()];
    participants.extend(partners.iter().map(|p| p.to_string()));
    event_body(
        &new_record_id(origin),
        RecordKind::Suggestion,
        origin,
        Vec::new(),
        participants,
        change::Kind::SuggestionSubmitted(lianluo_proto::SuggestionSubmitted {
            title: title.to_string(),
            body: format!("{title}：由测试伪造的对端发送。"),
            proposers: vec!["王芳".to_string()],
            station_id: String::new(),
            year: 0,
            ..Default::default()
        }),
    )
}

/// `author` adds `city` to the record whose creation (or head) event is `parent`.
pub fn participant_added(
    parent: &EventBody,
    parent_id: &str,
    author: &str,
    city: &str,
) -> EventBody {
    event_body(
        &parent.record_id,
        RecordKind::try_from(parent.kind).unwrap_or(RecordKind::Unspecified),
        author,
        vec![parent_id.to_string()],
        Vec::new(),
        change::Kind::ParticipantAdded(lianluo_proto::ParticipantAdded {
            city: city.to_string(),
        }),
    )
}

/// Decodes a signed event's body.
pub fn body_of(event: &SignedEvent) -> Result<EventBody> {
    EventBody::decode(event.body.as_slice()).context("decoding an event body")
}

/// The event's id (hex SHA-256 of its body bytes).
pub fn id_of(event: &SignedEvent) -> String {
    event_id(&event.body)
}

/// `event` with its body edited by `edit` and re-encoded, but the ORIGINAL signature and
/// signer fingerprint kept: a valid signature over other bytes.
pub fn tampered(event: &SignedEvent, edit: impl FnOnce(&mut EventBody)) -> Result<SignedEvent> {
    let mut body = body_of(event)?;
    edit(&mut body);
    let bytes = body.encode_to_vec();
    anyhow::ensure!(
        bytes != event.body,
        "the edit did not change the body bytes"
    );
    Ok(SignedEvent {
        body: bytes,
        ..event.clone()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_ids_are_city_dash_ulid_and_unique() {
        let a = new_record_id("qingyuan");
        let b = new_record_id("qingyuan");
        assert_ne!(a, b);
        let ulid = a.strip_prefix("qingyuan-").unwrap();
        assert_eq!(ulid.len(), 26);
        assert!(ulid.bytes().all(|c| CROCKFORD.contains(&c)));
        assert!(ulid.as_bytes()[0] <= b'7', "a ULID fits in 128 bits");
    }

    #[test]
    fn tampering_keeps_the_signature_and_changes_the_id() {
        let ev = SignedEvent {
            body: suggestion_created("qingyuan", &["hezhou"], "原标题").encode_to_vec(),
            signature: vec![1, 2, 3],
            signer_cert_sha256: "ab".repeat(32),
        };
        let bad = tampered(&ev, |b| b.author_user = "mallory".into()).unwrap();
        assert_eq!(bad.signature, ev.signature);
        assert_eq!(bad.signer_cert_sha256, ev.signer_cert_sha256);
        assert_ne!(id_of(&bad), id_of(&ev));
        assert_eq!(body_of(&bad).unwrap().author_user, "mallory");
    }
}
