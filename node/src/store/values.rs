//! Versioned stored values and their migration chain (after Garage's `util/migrate.rs`).
//!
//! Every value the store writes starts with its type's version marker, then the value in
//! postcard (compact, not self-describing). Reading a value whose marker is not the
//! current one tries the previous version, and migrates what it decodes forward; so a
//! data dir written by an older build reads without a rewrite, and values are upgraded
//! as they are rewritten.
//!
//! To change a stored type: copy its current definition into a frozen `vN` module, give
//! the new one a new marker, `type Previous = vN::Type` and a `migrate` from it. Never
//! change a type in place once a build wrote it.
//!
//! Version 2 is the first of this chain (schema 1 kept API messages; it is upgraded by
//! re-folding the log, see `crate::upgrade`). The record entry is at version 5 (version 3
//! added business dates, version 4 how offices handle a suggestion: 协办 units, 签收/退回,
//! result categories, each proposer's rating, 重点督办 — and, appended to its kinds, the
//! project, which no older entry holds; version 5 the public opinions of a reception).

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::{HistoryStep, StoreError};
use crate::domain::{BusinessDates, EventId, RecordId};

/// A stored type in a chain of versions.
pub trait Migrate: Serialize + DeserializeOwned + Sized {
    /// Bytes that start every value of this version.
    const VERSION_MARKER: &'static [u8];
    /// The version before this one ([`NoPrevious`] for the first).
    type Previous: Migrate;
    /// Converts a value of the previous version.
    fn migrate(previous: Self::Previous) -> Self;

    /// The value's bytes: marker, then postcard.
    fn encode(&self) -> Result<Vec<u8>, postcard::Error> {
        let mut out = Self::VERSION_MARKER.to_vec();
        out.extend_from_slice(&postcard::to_allocvec(self)?);
        Ok(out)
    }

    /// Decodes this version, or an older one migrated forward; `None` if no version of
    /// the chain reads it.
    fn decode(bytes: &[u8]) -> Option<Self> {
        if let Some(body) = bytes.strip_prefix(Self::VERSION_MARKER) {
            if let Ok(v) = postcard::from_bytes(body) {
                return Some(v);
            }
        }
        Self::Previous::decode(bytes).map(Self::migrate)
    }
}

/// The end of every chain: decodes nothing.
#[derive(Debug, Serialize, Deserialize)]
pub enum NoPrevious {}

impl Migrate for NoPrevious {
    const VERSION_MARKER: &'static [u8] = b"";
    type Previous = NoPrevious;
    fn migrate(previous: Self::Previous) -> Self {
        previous
    }
    fn decode(_: &[u8]) -> Option<Self> {
        None
    }
}

/// Decodes a stored value, naming what it was when it does not decode.
pub(super) fn decode<T: Migrate>(
    what: &dyn std::fmt::Display,
    bytes: &[u8],
) -> Result<T, StoreError> {
    T::decode(bytes).ok_or_else(|| StoreError::Corrupt(format!("{what} cannot be decoded")))
}

mod v3;
pub(super) mod v4;

/// Version 2 of the record entry, frozen as the builds before business dates wrote it.
pub(super) mod v2 {
    use serde::{Deserialize, Serialize};

    use super::v3::KindState;
    use crate::store::{Head, HistoryStep};

    /// The record entry without business dates.
    #[derive(Debug, Serialize, Deserialize)]
    pub struct RecordEntry {
        pub(crate) state: Option<RecordState>,
        pub(crate) heads: Vec<Head>,
        pub(crate) steps: u32,
        pub(crate) tail: Vec<HistoryStep>,
    }

    /// The record state without business dates.
    #[derive(Debug, Serialize, Deserialize)]
    pub struct RecordState {
        pub(crate) id: String,
        pub(crate) origin: String,
        pub(crate) participants: Vec<String>,
        pub(crate) founders: u32,
        pub(crate) version: u64,
        pub(crate) title: String,
        pub(crate) created_ms: u64,
        pub(crate) updated_ms: u64,
        pub(crate) body: KindState,
    }
}

impl Migrate for v2::RecordEntry {
    const VERSION_MARKER: &'static [u8] = b"\x00LLr2";
    type Previous = NoPrevious;
    fn migrate(previous: NoPrevious) -> Self {
        match previous {}
    }
}

/// Version 3 keeps the business dates the events gave ([`crate::domain::BusinessDates`]).
/// A version-2 state had none: its events gave none (the fields did not exist), so the
/// migrated state is the one its events fold to.
impl Migrate for v3::RecordEntry {
    const VERSION_MARKER: &'static [u8] = b"\x00LLr3";
    type Previous = v2::RecordEntry;
    fn migrate(old: v2::RecordEntry) -> Self {
        v3::RecordEntry {
            state: old.state.map(|s| v3::RecordState {
                id: s.id,
                origin: s.origin,
                participants: s.participants,
                founders: s.founders,
                version: s.version,
                title: s.title,
                created_ms: s.created_ms,
                updated_ms: s.updated_ms,
                body: s.body,
                dates: BusinessDates::default(),
            }),
            heads: old.heads,
            steps: old.steps,
            tail: old.tail,
        }
    }
}

/// A full chunk of a record's earlier history steps.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct HistoryChunk(pub Vec<HistoryStep>);

impl Migrate for HistoryChunk {
    const VERSION_MARKER: &'static [u8] = b"\x00LLh2";
    type Previous = NoPrevious;
    fn migrate(previous: NoPrevious) -> Self {
        match previous {}
    }
}

/// An event as stored in the log, under its seq.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct EventValue {
    pub id: EventId,
    pub record_id: RecordId,
    pub verified: bool,
    #[serde(with = "serde_bytes_vec")]
    pub body: Vec<u8>,
    #[serde(with = "serde_bytes_vec")]
    pub signature: Vec<u8>,
    pub signer_cert_sha256: String,
}

impl Migrate for EventValue {
    const VERSION_MARKER: &'static [u8] = b"\x00LLe2";
    type Previous = NoPrevious;
    fn migrate(previous: NoPrevious) -> Self {
        match previous {}
    }
}

/// An event refused for a reason that may pass later, kept to be tried again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct ParkedValue {
    pub peer: String,
    #[serde(with = "serde_bytes_vec")]
    pub body: Vec<u8>,
    #[serde(with = "serde_bytes_vec")]
    pub signature: Vec<u8>,
    pub signer_cert_sha256: String,
    pub reason: String,
    pub since_ms: u64,
}

impl Migrate for ParkedValue {
    const VERSION_MARKER: &'static [u8] = b"\x00LLp2";
    type Previous = NoPrevious;
    fn migrate(previous: NoPrevious) -> Self {
        match previous {}
    }
}

/// An equivocation's proof (the two event ids are the key).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct EquivocationValue {
    pub record_id: RecordId,
    pub author: String,
    pub found_ms: u64,
}

impl Migrate for EquivocationValue {
    const VERSION_MARKER: &'static [u8] = b"\x00LLv2";
    type Previous = NoPrevious;
    fn migrate(previous: NoPrevious) -> Self {
        match previous {}
    }
}

/// A log served two ways (the log id and seq are the key).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct LogProofValue {
    pub city: String,
    pub ours: String,
    pub theirs: String,
    pub seen_by: String,
    pub found_ms: u64,
}

impl Migrate for LogProofValue {
    const VERSION_MARKER: &'static [u8] = b"\x00LLw2";
    type Previous = NoPrevious;
    fn migrate(previous: NoPrevious) -> Self {
        match previous {}
    }
}

/// A peer cursor as stored under the peer's city.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct CursorValue {
    pub log_id: String,
    pub seq: u64,
    pub event_id: String,
}

impl Migrate for CursorValue {
    const VERSION_MARKER: &'static [u8] = b"\x00LLc2";
    type Previous = NoPrevious;
    fn migrate(previous: NoPrevious) -> Self {
        match previous {}
    }
}

/// Byte vectors as one length-prefixed blob (postcard's default would visit each byte).
mod serde_bytes_vec {
    use serde::{Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(v)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Vec<u8>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("bytes")
            }
            fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> Result<Vec<u8>, E> {
                Ok(v.to_vec())
            }
            fn visit_byte_buf<E: serde::de::Error>(self, v: Vec<u8>) -> Result<Vec<u8>, E> {
                Ok(v)
            }
        }
        d.deserialize_bytes(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A first version, as an older build would have written it.
    #[derive(Debug, Serialize, Deserialize)]
    struct NoteV1 {
        text: String,
    }

    impl Migrate for NoteV1 {
        const VERSION_MARKER: &'static [u8] = b"\x00T1";
        type Previous = NoPrevious;
        fn migrate(previous: NoPrevious) -> Self {
            match previous {}
        }
    }

    /// The current version: a field was added.
    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Note {
        text: String,
        pinned: bool,
    }

    impl Migrate for Note {
        const VERSION_MARKER: &'static [u8] = b"\x00T2";
        type Previous = NoteV1;
        fn migrate(previous: NoteV1) -> Self {
            Note {
                text: previous.text,
                pinned: false,
            }
        }
    }

    #[test]
    fn store_values_older_versions_migrate_forward_and_garbage_is_refused() {
        let old = NoteV1 {
            text: "贺州".into(),
        }
        .encode()
        .unwrap();
        let migrated = Note::decode(&old).expect("v1 reads as v2");
        assert_eq!(
            migrated,
            Note {
                text: "贺州".into(),
                pinned: false
            }
        );
        let current = Note {
            text: "清远".into(),
            pinned: true,
        };
        assert_eq!(Note::decode(&current.encode().unwrap()), Some(current));
        assert_eq!(Note::decode(b"\x00T9garbage"), None);
        assert_eq!(Note::decode(b""), None);
    }

    #[test]
    fn store_values_event_bytes_round_trip() {
        let v = EventValue {
            id: EventId::of_body(b"body"),
            record_id: RecordId::new_at("hezhou"),
            verified: true,
            body: vec![0, 1, 2, 255],
            signature: vec![0x30; 72],
            signer_cert_sha256: "ab".repeat(32),
        };
        assert_eq!(EventValue::decode(&v.encode().unwrap()), Some(v));
    }
}
