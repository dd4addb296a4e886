//! What the store keeps about events beyond the log: events parked to be tried again,
//! and the proofs of equivocations (one author's two events from one state, one log id
//! served two ways).

use crate::domain::{EventId, RecordId};

/// An event's author and place: its record, author city and parents, hashed. Two
/// different events with the same lineage are an equivocation: one city signed two
/// conflicting acts on one record from the same state (a node serializes its own acts on
/// a record, so an honest city never does).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lineage {
    /// SHA-256 over the record id, the author city and the sorted parent ids.
    pub key: [u8; 32],
    /// The author city.
    pub author: String,
}

/// Two signed events of one author with the same lineage: the proof of an equivocation,
/// kept by the node that held both (both events stay in the log and in the record's
/// history, folded like any concurrent acts).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Equivocation {
    /// The record.
    pub record_id: RecordId,
    /// The city that signed both.
    pub author: String,
    /// The event held first.
    pub first: EventId,
    /// The other one.
    pub second: EventId,
    /// When this node found it (Unix ms).
    pub found_ms: u64,
}

/// One log id served two ways: the entry this node was served at `seq`, and another one
/// at the same seq (served to this node before, or to a peer, which reported it in a
/// heartbeat). Either the log's node rewrote its log without a new log id (restored from
/// a disk snapshot and written since) or it serves different nodes different logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEquivocation {
    /// The city whose log it is (as far as known).
    pub city: String,
    /// The log id.
    pub log_id: String,
    /// The seq.
    pub seq: u64,
    /// Hex id of the entry this node holds for it.
    pub ours: String,
    /// Hex id of the other entry.
    pub theirs: String,
    /// Who saw the other entry: this node's own city (served twice) or the peer that
    /// reported it.
    pub seen_by: String,
    /// When this node found it (Unix ms).
    pub found_ms: u64,
}

/// An event from a peer refused for a reason that may pass later (its signer certificate
/// not known or not valid yet, a parent not held).
#[derive(Debug, Clone, PartialEq)]
pub struct ParkedEvent {
    /// SHA-256 of the body bytes.
    pub id: EventId,
    /// The peer it came from.
    pub peer: String,
    /// The signed envelope exactly as received.
    pub signed: lianluo_proto::SignedEvent,
    /// Why it waits (the last refusal).
    pub reason: String,
    /// When it was first parked (Unix ms).
    pub since_ms: u64,
}
