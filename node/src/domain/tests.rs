//! Domain tests: a small event builder shared by the per-kind state machine tests (examples,
//! and `*_table`: every change in every status against an explicit transition table), the
//! fold tests (ordering, creation checks, determinism property) and the validation tests.

pub(crate) mod activity;
mod activity_table;
mod dates;
mod deadlines;
pub(crate) mod dispute;
mod dispute_table;
pub(crate) mod folding;
mod handling;
mod machine;
pub(crate) mod opinion;
pub(crate) mod project;
mod project_table;
pub(crate) mod station;
mod station_table;
pub(crate) mod suggestion;
pub(crate) mod suggestion_more;
mod suggestion_table;
mod validate;

use lianluo_proto::{change::Kind as K, Change, EventBody, Hlc, Record, RecordKind};
use prost::Message;

use super::{fold, kind_of, FoldEvent, Folded};

/// 2026-03-01T00:00:00Z in Unix milliseconds.
pub(crate) const T0: u64 = 1_772_323_200_000;
/// One day in milliseconds.
pub(crate) const DAY: u64 = 86_400_000;

/// Lowercase hex SHA-256, as event ids are.
pub(super) fn sha256_hex(bytes: &[u8]) -> String {
    ring::digest::digest(&ring::digest::SHA256, bytes)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A verified event whose id is the SHA-256 of its encoded body.
pub(crate) fn event(body: EventBody) -> FoldEvent {
    FoldEvent {
        id: sha256_hex(&body.encode_to_vec()),
        body,
        verified: true,
    }
}

/// Builds the events of one record: a creation, then acts whose parents are the current
/// heads (sequential) or given explicitly (concurrent). The clock advances one minute per
/// event unless set with [`Rec::at`].
pub(crate) struct Rec {
    pub id: String,
    pub kind: RecordKind,
    pub events: Vec<FoldEvent>,
    pub clock: u64,
}

impl Rec {
    /// A record created by `origin` with `partners`, at [`T0`].
    pub fn new(origin: &str, partners: &[&str], change: K) -> Rec {
        Rec::numbered(7, origin, partners, change)
    }

    /// Like [`Rec::new`], with the record id's random part `n` (distinct records).
    pub fn numbered(n: u128, origin: &str, partners: &[&str], change: K) -> Rec {
        Rec::created(n, T0, origin, partners, change)
    }

    /// Like [`Rec::numbered`], created at `wall_ms`.
    pub fn created(n: u128, wall_ms: u64, origin: &str, partners: &[&str], change: K) -> Rec {
        let id = format!("{origin}-{}", ulid::Ulid::from_parts(T0, n));
        let kind = kind_of(&change);
        let mut participants = vec![origin.to_owned()];
        participants.extend(partners.iter().map(|p| (*p).to_owned()));
        let mut rec = Rec {
            id,
            kind,
            events: Vec::new(),
            clock: wall_ms,
        };
        let mut body = rec.body(origin, Vec::new(), change);
        body.participants = participants;
        rec.push(body);
        rec
    }

    /// Sets the clock (Unix ms) for the next event.
    pub fn at(&mut self, wall_ms: u64) -> &mut Self {
        self.clock = wall_ms;
        self
    }

    /// A body for this record at the next clock reading.
    pub fn body(&mut self, city: &str, parents: Vec<String>, change: K) -> EventBody {
        let hlc = Hlc {
            wall_ms: self.clock,
            counter: 0,
        };
        self.clock += 60_000;
        EventBody {
            authored_ms: 0,
            record_id: self.id.clone(),
            kind: self.kind as i32,
            author_city: city.to_owned(),
            author_user: format!("{city}-clerk"),
            hlc: Some(hlc),
            parents,
            participants: Vec::new(),
            request_id: String::new(),
            change: Some(Change { kind: Some(change) }),
        }
    }

    /// Adds a verified event with this body; returns its id.
    pub fn push(&mut self, body: EventBody) -> String {
        let ev = event(body);
        let id = ev.id.clone();
        self.events.push(ev);
        id
    }

    /// The current DAG heads of all events.
    pub fn heads(&self) -> Vec<String> {
        let parents: Vec<&String> = self.events.iter().flat_map(|e| &e.body.parents).collect();
        let mut heads: Vec<String> = self
            .events
            .iter()
            .map(|e| e.id.clone())
            .filter(|id| !parents.contains(&id))
            .collect();
        heads.sort();
        heads
    }

    /// `city` acts after everything so far; returns the event id.
    pub fn act(&mut self, city: &str, change: K) -> String {
        let parents = self.heads();
        self.act_on(city, parents, change)
    }

    /// `city` acts with explicit parents (for concurrent events); returns the event id.
    pub fn act_on(&mut self, city: &str, parents: Vec<String>, change: K) -> String {
        let body = self.body(city, parents, change);
        self.push(body)
    }

    /// The id of the creation event.
    pub fn creation(&self) -> String {
        self.events[0].id.clone()
    }

    pub fn fold(&self) -> Folded {
        fold(&self.events)
    }

    /// The folded record (panics when there is none).
    pub fn record(&self) -> Record {
        self.fold().record.expect("record")
    }

    /// Asserts the event was applied.
    pub fn ok(&self, id: &str) -> Record {
        let f = self.fold();
        assert_eq!(f.rejected.get(id), None, "event should be applied");
        f.record.expect("record")
    }

    /// Asserts the event was rejected with exactly `reason`; returns the record.
    pub fn rejected(&self, id: &str, reason: &str) -> Record {
        let f = self.fold();
        assert_eq!(f.rejected.get(id).map(String::as_str), Some(reason));
        let r = f.record.expect("record");
        let h = r.history.iter().find(|h| h.id == id).expect("in history");
        assert!(h.rejected);
        assert_eq!(h.reason, reason);
        r
    }
}

/// The status after the last event, asserting it was applied.
pub(super) fn status_ok(rec: &Rec, id: &str) -> String {
    rec.ok(id).status
}
