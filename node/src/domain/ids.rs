//! Typed identifiers: [`EventId`] (the SHA-256 of an event's body bytes) and
//! [`RecordId`] (`<origin city>-<ULID>`). Both are checked once, where they enter the node,
//! and carried as types from then on.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::record_origin;

/// An event id: the SHA-256 of the event's encoded body. Shown as 64 lowercase hex chars.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct EventId([u8; 32]);

impl EventId {
    /// The id of an event whose encoded body is `body`.
    pub fn of_body(body: &[u8]) -> EventId {
        let digest = ring::digest::digest(&ring::digest::SHA256, body);
        let mut id = [0u8; 32];
        id.copy_from_slice(digest.as_ref());
        EventId(id)
    }

    /// An id from its 32 raw bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> EventId {
        EventId(bytes)
    }

    /// An id from a byte slice, `None` unless it is exactly 32 bytes.
    pub fn from_slice(bytes: &[u8]) -> Option<EventId> {
        <[u8; 32]>::try_from(bytes).ok().map(EventId)
    }

    /// Parses 64 hex chars (either case); `None` for anything else.
    pub fn parse(hex: &str) -> Option<EventId> {
        let hex = hex.as_bytes();
        if hex.len() != 64 {
            return None;
        }
        let mut id = [0u8; 32];
        for (i, pair) in hex.chunks_exact(2).enumerate() {
            id[i] = (nibble(pair[0])? << 4) | nibble(pair[1])?;
        }
        Some(EventId(id))
    }

    /// The 32 raw bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The 64-char lowercase hex form (as in the API and in event parents).
    pub fn hex(&self) -> String {
        self.to_string()
    }
}

fn nibble(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

impl fmt::Display for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EventId({self})")
    }
}

/// A record id, `<origin city>-<ULID>` (e.g. `hezhou-01J…`), checked on construction.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct RecordId(String);

impl RecordId {
    /// Checks `s` is `<city>-<ULID>`; the error says what a record id looks like.
    pub fn parse(s: &str) -> Result<RecordId, String> {
        if record_origin(s).is_some() {
            Ok(RecordId(s.to_owned()))
        } else {
            Err(format!(
                "`{}` is not a record id (`<city>-<ULID>`, e.g. hezhou-01J8Z6Q3M4W5X6Y7Z8A9B0C1D2)",
                s.escape_debug()
            ))
        }
    }

    /// A new id for a record created now at `city` (a valid city id).
    pub fn new_at(city: &str) -> RecordId {
        RecordId(format!("{city}-{}", ulid::Ulid::new()))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The city that created the record.
    pub fn origin(&self) -> &str {
        // Checked on construction.
        record_origin(&self.0).unwrap_or_default()
    }
}

impl fmt::Display for RecordId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for RecordId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RecordId({})", self.0)
    }
}

impl AsRef<str> for RecordId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_ids_round_trip_through_hex_and_refuse_anything_else() {
        let id = EventId::of_body(b"body");
        let hex = id.hex();
        assert_eq!(hex.len(), 64);
        assert_eq!(EventId::parse(&hex), Some(id));
        assert_eq!(EventId::parse(&hex.to_uppercase()), Some(id));
        assert_eq!(EventId::parse(&hex[..63]), None);
        assert_eq!(EventId::parse(&format!("{}g", &hex[..63])), None);
        assert_eq!(EventId::from_slice(id.as_bytes()), Some(id));
        assert_eq!(EventId::from_slice(&[1, 2]), None);
    }

    #[test]
    fn record_ids_are_checked_and_know_their_origin() {
        let id = RecordId::new_at("qingyuan");
        assert_eq!(id.origin(), "qingyuan");
        assert_eq!(RecordId::parse(id.as_str()), Ok(id.clone()));
        assert!(RecordId::parse("qingyuan-nope").is_err());
        assert!(RecordId::parse("Q-01J8Z6Q3M4W5X6Y7Z8A9B0C1D2").is_err());
    }
}
