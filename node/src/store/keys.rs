//! The key layout of the store, independent of the engine.
//!
//! Everything lives in one ordered key space so that one commit is one atomic batch:
//!
//! | key                                     | value                                  |
//! |-----------------------------------------|----------------------------------------|
//! | `meta/<name>`                           | data dir identity                      |
//! | `E/<event id, 32 bytes>`                | its seq (u64 BE)                       |
//! | `L/<seq u64 BE>`                        | `EventValue` (id, record, envelope)    |
//! | `R/<record id>`                         | `RecordEntry` (state, heads, last steps)|
//! | `H/<record id>\0<chunk u32 BE>`         | `HistoryChunk` (16 earlier steps)      |
//! | `X/<index term><record id><id length>`  | `Chunk`: the term's records from this one on (up to 16) |
//! | `N/<counter key>`                       | i64 BE (zero counters are removed)     |
//! | `M/<member key>`                        | i64 BE (a distinct set's member count) |
//! | `Q/<idempotency key>`                   | record id                              |
//! | `C/<peer city>`                         | `CursorValue`                          |
//! | `S/<cert sha256 hex>`                   | signer certificate (DER)               |
//! | `P/<event id, 32 bytes>`                | `ParkedValue`: an event refused for now |
//! | `F/<lineage key, 32 bytes>`             | the first event id seen with it        |
//! | `V/<first id><second id>`               | `EquivocationValue`: the proof         |
//! | `K/<log id>\0<seq u64 BE>`              | the log's entry at seq, as served here |
//! | `W/<log id>\0<seq u64 BE>`              | `LogProofValue`: a log served two ways |
//!
//! Big-endian numbers sort numerically, so the log and a record's history scan in order.
//! Index terms are prefix-free (see `projection::index`), so one term's chunks are one
//! range, ordered by record id; the id's length is the key's last byte (see
//! `sled/postings.rs`). Schema 1 used
//! the lowercase prefixes listed in [`LEGACY_PREFIXES`], which the upgrade removes.

use super::StoreError;
use crate::domain::{EventId, RecordId};

pub(super) const META_CITY: &[u8] = b"meta/city";
pub(super) const META_LOG_ID: &[u8] = b"meta/log_id";
pub(super) const META_SCHEMA: &[u8] = b"meta/schema_version";
pub(super) const META_CREATED_AT: &[u8] = b"meta/created_at";
/// The version of the figure counters (absent: 1).
pub(super) const META_COUNTERS: &[u8] = b"meta/counters_version";

pub(super) const EVENT: &[u8] = b"E/";
pub(super) const LOG: &[u8] = b"L/";
pub(super) const RECORD: &[u8] = b"R/";
pub(super) const HISTORY: &[u8] = b"H/";
pub(super) const INDEX: &[u8] = b"X/";
pub(super) const COUNTER: &[u8] = b"N/";
pub(super) const MEMBER: &[u8] = b"M/";
pub(super) const REQUEST: &[u8] = b"Q/";
pub(super) const CURSOR: &[u8] = b"C/";
pub(super) const SIGNER: &[u8] = b"S/";
pub(super) const PARKED: &[u8] = b"P/";
pub(super) const LINEAGE: &[u8] = b"F/";
pub(super) const EQUIVOCATION: &[u8] = b"V/";
pub(super) const CHECKPOINT: &[u8] = b"K/";
pub(super) const LOG_PROOF: &[u8] = b"W/";

/// Every schema-2 prefix (cleared before an interrupted upgrade starts again).
pub(super) const V2_PREFIXES: [&[u8]; 15] = [
    EVENT,
    LOG,
    RECORD,
    HISTORY,
    INDEX,
    COUNTER,
    MEMBER,
    REQUEST,
    CURSOR,
    SIGNER,
    PARKED,
    LINEAGE,
    EQUIVOCATION,
    CHECKPOINT,
    LOG_PROOF,
];

/// Schema 1's prefixes (`meta/` is shared).
pub(super) const LEGACY_PREFIXES: [&[u8]; 10] = [
    b"ev/", b"log/", b"re/", b"rec/", b"ix/", b"ik/", b"is/", b"req/", b"cur/", b"sig/",
];

/// Schema 1 kept its next seq here; removed by the upgrade.
pub(super) const LEGACY_NEXT_SEQ: &[u8] = b"meta/next_seq";

fn join(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

pub(super) fn event(id: &EventId) -> Vec<u8> {
    join(&[EVENT, id.as_bytes()])
}

pub(super) fn log(seq: u64) -> Vec<u8> {
    join(&[LOG, &seq.to_be_bytes()])
}

pub(super) fn record(id: &RecordId) -> Vec<u8> {
    join(&[RECORD, id.as_str().as_bytes()])
}

pub(super) fn history_prefix(id: &RecordId) -> Vec<u8> {
    join(&[HISTORY, id.as_str().as_bytes(), b"\0"])
}

pub(super) fn history(id: &RecordId, chunk: u32) -> Vec<u8> {
    join(&[&history_prefix(id), &chunk.to_be_bytes()])
}

/// The index entry of `term` for `record`: term, id, then the id's length.
pub(super) fn index(term: &[u8], record: &RecordId) -> Vec<u8> {
    let id = record.as_str().as_bytes();
    // Record ids are at most 32 + 1 + 26 bytes (city, dash, ULID).
    let len = u8::try_from(id.len()).unwrap_or(u8::MAX);
    join(&[INDEX, term, id, &[len]])
}

pub(super) fn counter(key: &[u8]) -> Vec<u8> {
    join(&[COUNTER, key])
}

pub(super) fn member(key: &[u8]) -> Vec<u8> {
    join(&[MEMBER, key])
}

pub(super) fn request(key: &str) -> Vec<u8> {
    join(&[REQUEST, key.as_bytes()])
}

pub(super) fn cursor(peer: &str) -> Vec<u8> {
    join(&[CURSOR, peer.as_bytes()])
}

pub(super) fn checkpoint(log_id: &str, seq: u64) -> Vec<u8> {
    join(&[CHECKPOINT, log_id.as_bytes(), b"\0", &seq.to_be_bytes()])
}

pub(super) fn log_proof(log_id: &str, seq: u64) -> Vec<u8> {
    join(&[LOG_PROOF, log_id.as_bytes(), b"\0", &seq.to_be_bytes()])
}

pub(super) fn lineage(key: &[u8; 32]) -> Vec<u8> {
    join(&[LINEAGE, key])
}

pub(super) fn equivocation(first: &EventId, second: &EventId) -> Vec<u8> {
    join(&[EQUIVOCATION, first.as_bytes(), second.as_bytes()])
}

pub(super) fn parked(id: &EventId) -> Vec<u8> {
    join(&[PARKED, id.as_bytes()])
}

pub(super) fn signer(sha256: &str) -> Vec<u8> {
    join(&[SIGNER, sha256.as_bytes()])
}

/// Decodes a big-endian u64 (seqs).
pub(super) fn decode_u64(what: &str, bytes: &[u8]) -> Result<u64, StoreError> {
    let arr: [u8; 8] = bytes
        .try_into()
        .map_err(|_| StoreError::Corrupt(format!("{what} is {} bytes, not 8", bytes.len())))?;
    Ok(u64::from_be_bytes(arr))
}

/// Decodes a big-endian u32 (versions).
pub(super) fn decode_u32(what: &str, bytes: &[u8]) -> Result<u32, StoreError> {
    let arr: [u8; 4] = bytes
        .try_into()
        .map_err(|_| StoreError::Corrupt(format!("{what} is {} bytes, not 4", bytes.len())))?;
    Ok(u32::from_be_bytes(arr))
}

/// Decodes a big-endian i64 (counters).
pub(super) fn decode_i64(what: &str, bytes: &[u8]) -> Result<i64, StoreError> {
    decode_u64(what, bytes).map(|v| i64::from_be_bytes(v.to_be_bytes()))
}

/// Decodes a UTF-8 string value.
pub(super) fn decode_str(what: &str, bytes: &[u8]) -> Result<String, StoreError> {
    String::from_utf8(bytes.to_vec())
        .map_err(|_| StoreError::Corrupt(format!("{what} is not valid UTF-8")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_keys_sort_log_and_history_by_number() {
        assert!(log(255) < log(256));
        assert!(log(1) < log(u64::MAX));
        let a = RecordId::new_at("hezhou");
        assert!(history(&a, 9) < history(&a, 10));
        assert!(history(&a, 0).starts_with(&history_prefix(&a)));
    }

    #[test]
    fn store_keys_schema_prefixes_do_not_overlap() {
        for new in V2_PREFIXES {
            for old in LEGACY_PREFIXES {
                assert!(!new.starts_with(old) && !old.starts_with(new));
            }
            assert!(!new.starts_with(b"meta/"));
        }
    }

    #[test]
    fn store_keys_refuse_bad_numbers() {
        assert!(decode_u64("seq", &[1, 2, 3]).is_err());
        assert_eq!(decode_u64("seq", &7u64.to_be_bytes()), Ok(7));
        assert_eq!(decode_i64("n", &(-3i64).to_be_bytes()), Ok(-3));
    }
}
