//! What a record's state contributes besides itself, as pure functions of the state:
//! the index terms it is listed under ([`index`]) and the figure counters it adds to
//! ([`counters`]). The store keeps both in the same atomic batch as the event that changed
//! the state, so lists and figures cost what is asked, not the data held; and
//! `lianluo admin recount` rebuilds the counters from the events with these same functions.
//!
//! A change of a record writes the difference between its old and new contributions
//! ([`Delta`]): terms that appear or disappear, counters that move.

pub mod counters;
pub mod index;

use std::collections::{BTreeMap, BTreeSet};

use crate::domain::RecordState;

pub use counters::{Contributions, CounterKey, MemberKey};
pub use index::IndexTerm;

/// What changing one record from `old` to `new` does to the indexes and counters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Delta {
    /// Encoded index terms to add.
    pub add: Vec<Vec<u8>>,
    /// Encoded index terms to remove.
    pub remove: Vec<Vec<u8>>,
    /// Encoded counter keys and how much each moves.
    pub counters: BTreeMap<Vec<u8>, i64>,
    /// Encoded member keys (with the counter of their set's size) and how much each moves.
    pub members: BTreeMap<MemberKey, i64>,
}

impl Delta {
    /// The delta of a record going from `old` to `new` (either absent), where `own` is
    /// this node's city: only records it originated count in its figures.
    pub fn between(old: Option<&RecordState>, new: Option<&RecordState>, own: &str) -> Delta {
        let encoded = |terms: Vec<IndexTerm>| terms.iter().map(IndexTerm::encode).collect();
        let terms = |s: Option<&RecordState>| -> BTreeSet<Vec<u8>> {
            s.map(|s| encoded(index::terms_but_text(s)))
                .unwrap_or_default()
        };
        let (mut before, mut after) = (terms(old), terms(new));
        // The grams change only when the texts do: most acts leave them as they are, and a
        // long text has thousands of grams.
        if old.map(index::text::texts) != new.map(index::text::texts) {
            let grams = |s: Option<&RecordState>| -> BTreeSet<Vec<u8>> {
                let grams = s.map(index::text::grams).unwrap_or_default();
                encoded(grams.into_iter().map(IndexTerm::Gram).collect())
            };
            before.extend(grams(old));
            after.extend(grams(new));
        }
        let mut delta = Delta {
            add: after.difference(&before).cloned().collect(),
            remove: before.difference(&after).cloned().collect(),
            ..Delta::default()
        };
        let contributions = |s: Option<&RecordState>| {
            s.map(|s| counters::contributions(s, own))
                .unwrap_or_default()
        };
        delta.subtract(contributions(old));
        delta.add_all(contributions(new));
        delta
    }

    fn add_all(&mut self, c: Contributions) {
        for (k, v) in c.counters {
            *self.counters.entry(k.encode()).or_default() += v;
        }
        for (k, v) in c.members {
            *self.members.entry(k).or_default() += v;
        }
        self.prune();
    }

    fn subtract(&mut self, c: Contributions) {
        for (k, v) in c.counters {
            *self.counters.entry(k.encode()).or_default() -= v;
        }
        for (k, v) in c.members {
            *self.members.entry(k).or_default() -= v;
        }
    }

    /// Drops entries that cancelled out.
    fn prune(&mut self) {
        self.counters.retain(|_, v| *v != 0);
        self.members.retain(|_, v| *v != 0);
    }

    /// True when nothing changes.
    pub fn is_empty(&self) -> bool {
        self.add.is_empty()
            && self.remove.is_empty()
            && self.counters.is_empty()
            && self.members.is_empty()
    }
}
