//! The key layout of the store and the encodings of its values, independent of the engine.
//!
//! Everything lives in one ordered key space so that one commit is one atomic batch:
//!
//! | key                                  | value                           |
//! |--------------------------------------|---------------------------------|
//! | `meta/<name>`                        | data dir identity, next seq     |
//! | `ev/<event id>`                      | [`EventEntry`] (prost)          |
//! | `log/<seq u64 BE>`                   | event id                        |
//! | `re/<record id>\0<seq u64 BE>`       | event id                        |
//! | `rec/<record id>`                    | `lianluo_proto::Record` (prost) |
//! | `ix/<kind>\0<status>\0<record id>`   | record id                       |
//! | `ik/<kind>\0<record id>`             | record id                       |
//! | `is/<status>\0<record id>`           | record id                       |
//! | `req/<idempotency key>`              | record id                       |
//! | `cur/<peer city>`                    | [`CursorEntry`] (prost)         |
//! | `sig/<cert sha256 hex>`              | signer certificate (DER)        |
//!
//! Big-endian seqs sort numerically, so prefix scans return the log and a record's
//! events in seq order, and index scans return records ordered by id. Because `\0`
//! separates components, record ids, kinds and statuses must not contain it.

use super::StoreError;

pub(super) const META_CITY: &[u8] = b"meta/city";
pub(super) const META_LOG_ID: &[u8] = b"meta/log_id";
pub(super) const META_SCHEMA: &[u8] = b"meta/schema_version";
pub(super) const META_CREATED_AT: &[u8] = b"meta/created_at";
pub(super) const META_NEXT_SEQ: &[u8] = b"meta/next_seq";

pub(super) const LOG_PREFIX: &[u8] = b"log/";
pub(super) const RECORD_PREFIX: &[u8] = b"rec/";
pub(super) const SIGNER_PREFIX: &[u8] = b"sig/";

/// An event as stored under `ev/<id>`.
#[derive(Clone, PartialEq, prost::Message)]
pub(super) struct EventEntry {
    #[prost(uint64, tag = "1")]
    pub seq: u64,
    #[prost(string, tag = "2")]
    pub record_id: String,
    #[prost(message, optional, tag = "3")]
    pub signed: Option<lianluo_proto::SignedEvent>,
}

/// A peer cursor as stored under `cur/<peer>`.
#[derive(Clone, PartialEq, prost::Message)]
pub(super) struct CursorEntry {
    #[prost(string, tag = "1")]
    pub log_id: String,
    #[prost(uint64, tag = "2")]
    pub seq: u64,
    /// Absent in cursors written before it existed: decodes as empty (no check).
    #[prost(string, tag = "3")]
    pub event_id: String,
}

fn join(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

pub(super) fn event(id: &str) -> Vec<u8> {
    join(&[b"ev/", id.as_bytes()])
}

pub(super) fn log(seq: u64) -> Vec<u8> {
    join(&[LOG_PREFIX, &seq.to_be_bytes()])
}

pub(super) fn record_events_prefix(record_id: &str) -> Vec<u8> {
    join(&[b"re/", record_id.as_bytes(), b"\0"])
}

pub(super) fn record_event(record_id: &str, seq: u64) -> Vec<u8> {
    join(&[&record_events_prefix(record_id), &seq.to_be_bytes()])
}

pub(super) fn record(id: &str) -> Vec<u8> {
    join(&[RECORD_PREFIX, id.as_bytes()])
}

pub(super) fn request(key: &str) -> Vec<u8> {
    join(&[b"req/", key.as_bytes()])
}

pub(super) fn cursor(peer: &str) -> Vec<u8> {
    join(&[b"cur/", peer.as_bytes()])
}

pub(super) fn signer(sha256: &str) -> Vec<u8> {
    join(&[SIGNER_PREFIX, sha256.as_bytes()])
}

/// The index keys a record with this kind and status is listed under.
pub(super) fn index_entries(kind: &str, status: &str, id: &str) -> [Vec<u8>; 3] {
    let (kind, status, id) = (kind.as_bytes(), status.as_bytes(), id.as_bytes());
    [
        join(&[b"ix/", kind, b"\0", status, b"\0", id]),
        join(&[b"ik/", kind, b"\0", id]),
        join(&[b"is/", status, b"\0", id]),
    ]
}

/// The prefix to scan for a list query; its entries are ordered by record id. Without
/// filters that is the records themselves (`rec/`), otherwise an index.
pub(super) fn query_prefix(kind: Option<&str>, status: Option<&str>) -> Vec<u8> {
    match (kind, status) {
        (Some(k), Some(s)) => join(&[b"ix/", k.as_bytes(), b"\0", s.as_bytes(), b"\0"]),
        (Some(k), None) => join(&[b"ik/", k.as_bytes(), b"\0"]),
        (None, Some(s)) => join(&[b"is/", s.as_bytes(), b"\0"]),
        (None, None) => RECORD_PREFIX.to_vec(),
    }
}

/// Decodes a big-endian u64 value (seq counters).
pub(super) fn decode_u64(what: &str, bytes: &[u8]) -> Result<u64, StoreError> {
    let arr: [u8; 8] = bytes
        .try_into()
        .map_err(|_| StoreError::Corrupt(format!("{what} is {} bytes, not 8", bytes.len())))?;
    Ok(u64::from_be_bytes(arr))
}

/// Decodes a UTF-8 string value.
pub(super) fn decode_str(what: &str, bytes: &[u8]) -> Result<String, StoreError> {
    String::from_utf8(bytes.to_vec())
        .map_err(|_| StoreError::Corrupt(format!("{what} is not valid UTF-8")))
}

/// Refuses a key component that would break the `\0`-separated layout.
pub(super) fn check_component(field: &str, value: &str) -> Result<(), StoreError> {
    if value.contains('\0') {
        return Err(StoreError::Invalid {
            field: field.to_string(),
            reason: format!("{value:?} contains a NUL character"),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_keys_sort_log_and_record_events_by_seq() {
        assert!(log(255) < log(256));
        assert!(log(1) < log(u64::MAX));
        assert!(record_event("hezhou-A", 9) < record_event("hezhou-A", 10));
        // A record id that extends another must not fall under its prefix.
        assert!(!record_event("hezhou-AB", 1).starts_with(&record_events_prefix("hezhou-A")));
    }

    #[test]
    fn store_keys_index_entries_fall_under_their_query_prefix() {
        let [ix, ik, is] = index_entries("suggestion", "dispatched", "qingyuan-01");
        assert!(ix.starts_with(&query_prefix(Some("suggestion"), Some("dispatched"))));
        assert!(ik.starts_with(&query_prefix(Some("suggestion"), None)));
        assert!(is.starts_with(&query_prefix(None, Some("dispatched"))));
        assert!(!ix.starts_with(&query_prefix(Some("suggestion"), Some("dispatch"))));
        assert!(record("x").starts_with(&query_prefix(None, None)));
    }

    #[test]
    fn store_keys_refuse_nul_and_bad_numbers() {
        assert!(check_component("record_id", "a\0b").is_err());
        assert!(check_component("record_id", "贺州-01").is_ok());
        assert!(decode_u64("next seq", &[1, 2, 3]).is_err());
        assert_eq!(decode_u64("next seq", &7u64.to_be_bytes()), Ok(7));
    }

    #[test]
    fn store_keys_cursor_without_an_event_id_decodes_with_an_empty_one() {
        use prost::Message;
        // A cursor as written before `event_id` existed: tags 1 and 2 only.
        let old = [&[0x0a, 2][..], b"ab", &[0x10, 42]].concat();
        let entry = CursorEntry::decode(old.as_slice()).expect("decodes");
        assert_eq!((entry.log_id.as_str(), entry.seq), ("ab", 42));
        assert_eq!(entry.event_id, "");
    }
}
