//! `lianluo admin recount`: the figure counters rebuilt from the events, compared with
//! the ones the store kept incrementally, and optionally put in their place.
//!
//! Every record is folded again from its stored events (not from its stored state), so a
//! recount also finds a stored state that differs from its events. The store is read
//! offline, one record at a time: memory stays bounded by one record's history and the
//! counters.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::domain::{self, RecordId};
use crate::ingest;
use crate::projection::counters::{self, CounterKey};
use crate::store::{Store, StoreError, COUNTERS_VERSION};

/// Records read per page.
const PAGE: usize = 512;

/// One counter whose stored value differs from the recount.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CounterDiff {
    /// The counter, readable (e.g. `SuggestionStatus { scope: 2026, status: "dispatched" }`).
    pub counter: String,
    /// What the store kept.
    pub stored: i64,
    /// What the events give.
    pub recounted: i64,
}

/// What a recount found.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Recount {
    /// Records folded.
    pub records: u64,
    /// Events read.
    pub events: u64,
    /// Counters compared.
    pub counters: u64,
    /// Counters that differ.
    pub differences: Vec<CounterDiff>,
    /// Distinct-set members whose count differs (how many).
    pub member_differences: u64,
    /// Records whose stored state differs from their events (ids).
    pub states_differ: Vec<String>,
    /// Whether the stored counters were kept by an older build (a version before
    /// [`COUNTERS_VERSION`]), whose counters miss figures this build keeps.
    pub outdated: bool,
    /// Records folded again and rewritten because their stored state differed (with
    /// `fix`).
    pub refolded: u64,
    /// Records whose text-search index was rebuilt (with `fix`, for a store kept by a
    /// build that indexed titles only).
    pub reindexed: u64,
    /// Whether the recounted counters were written.
    pub fixed: bool,
}

/// The counters version from which the text index covers every text of a record
/// ([`crate::projection::index::text`]), not the title only.
pub const TEXT_INDEX_VERSION: u32 = 6;

/// Lists every record under the grams of all its texts and takes it off the title grams
/// an older build kept, in batches; returns how many records.
pub fn reindex_text(store: &dyn Store) -> Result<u64, StoreError> {
    let mut done = 0;
    let mut after: Option<RecordId> = None;
    loop {
        let page = store.records_after(after.as_ref(), PAGE)?;
        let Some((last, _)) = page.last() else { break };
        after = Some(last.clone());
        let writes: Vec<crate::store::RecordWrite> = page
            .into_iter()
            .filter_map(|(id, entry)| {
                let state = entry.state.as_ref()?;
                let delta = crate::projection::Delta {
                    add: crate::projection::index::text::grams(state)
                        .into_iter()
                        .map(|g| crate::projection::IndexTerm::Gram(g).encode())
                        .collect(),
                    remove: crate::projection::index::legacy_title_grams(&state.title),
                    ..Default::default()
                };
                // The entry and its history stay as they are.
                let history = crate::store::HistoryWrite {
                    from: entry.steps,
                    steps: Vec::new(),
                    old_len: entry.steps,
                };
                Some(crate::store::RecordWrite {
                    id,
                    entry,
                    history,
                    delta,
                })
            })
            .collect();
        done += writes.len() as u64;
        commit(store, writes)?;
    }
    Ok(done)
}

impl Recount {
    /// True when the store agrees with its events.
    pub fn clean(&self) -> bool {
        !self.outdated
            && self.differences.is_empty()
            && self.member_differences == 0
            && self.states_differ.is_empty()
    }
}

/// Records rewritten per commit by [`refold_differing`].
const REFOLD_CHUNK: usize = 256;

/// Folds every record again from its stored events and rewrites those whose stored entry
/// differs (with their history, indexes and counters, in batches); returns how many.
pub fn refold_differing(store: &dyn Store, own: &str) -> Result<u64, StoreError> {
    let mut rewritten = 0;
    let mut after: Option<RecordId> = None;
    let mut writes = Vec::new();
    loop {
        let page = store.records_after(after.as_ref(), PAGE)?;
        let Some((last, _)) = page.last() else { break };
        after = Some(last.clone());
        for (id, _) in page {
            writes.extend(ingest::refold_stored(store, own, &id)?);
            if writes.len() >= REFOLD_CHUNK {
                rewritten += writes.len() as u64;
                commit(store, std::mem::take(&mut writes))?;
            }
        }
    }
    rewritten += writes.len() as u64;
    commit(store, writes)?;
    Ok(rewritten)
}

fn commit(store: &dyn Store, records: Vec<crate::store::RecordWrite>) -> Result<(), StoreError> {
    if records.is_empty() {
        return Ok(());
    }
    store.commit(crate::store::Commit {
        records,
        ..crate::store::Commit::default()
    })?;
    Ok(())
}

/// The counters `own`'s events give, and how they compare with `store`'s; with `fix`,
/// every record whose stored state differs from its events is folded again and
/// rewritten first ([`refold_differing`]), then the recounted counters replace the
/// stored ones.
pub fn recount(store: &dyn Store, own: &str, fix: bool) -> Result<Recount, StoreError> {
    let mut out = Recount::default();
    if fix {
        out.refolded = refold_differing(store, own)?;
        if store.counters_version()? < TEXT_INDEX_VERSION {
            out.reindexed = reindex_text(store)?;
        }
    }
    let mut counted: BTreeMap<Vec<u8>, i64> = BTreeMap::new();
    let mut members: BTreeMap<Vec<u8>, i64> = BTreeMap::new();
    let mut sets: BTreeMap<Vec<u8>, Vec<u8>> = BTreeMap::new();
    let mut after: Option<RecordId> = None;
    loop {
        let page = store.records_after(after.as_ref(), PAGE)?;
        let Some((last, _)) = page.last() else { break };
        after = Some(last.clone());
        for (id, entry) in page {
            let inputs = ingest::stored_inputs(store, &id)?;
            out.records += 1;
            out.events += inputs.len() as u64;
            let events: Vec<domain::FoldEvent> = inputs.into_iter().map(|(e, _)| e).collect();
            let folded = domain::fold(&events);
            if folded.state != entry.state {
                out.states_differ.push(id.to_string());
            }
            let Some(state) = folded.state else { continue };
            let c = counters::contributions(&state, own);
            for (k, v) in c.counters {
                *counted.entry(k.encode()).or_default() += v;
            }
            for (m, v) in c.members {
                sets.insert(m.encode(), m.set_size().encode());
                *members.entry(m.encode()).or_default() += v;
            }
        }
    }
    for (m, n) in &members {
        if *n > 0 {
            if let Some(size) = sets.get(m) {
                *counted.entry(size.clone()).or_default() += 1;
            }
        }
    }
    counted.retain(|_, v| *v != 0);
    members.retain(|_, v| *v != 0);
    compare(store, &counted, &members, &mut out)?;
    out.outdated = store.counters_version()? < COUNTERS_VERSION;
    if fix && (!out.clean() || out.outdated || out.refolded > 0) {
        store.replace_counters(counted, members, COUNTERS_VERSION)?;
        store.flush()?;
        out.fixed = true;
    }
    Ok(out)
}

fn compare(
    store: &dyn Store,
    counted: &BTreeMap<Vec<u8>, i64>,
    members: &BTreeMap<Vec<u8>, i64>,
    out: &mut Recount,
) -> Result<(), StoreError> {
    let stored: BTreeMap<Vec<u8>, i64> = store.counters()?.into_iter().collect();
    let keys: std::collections::BTreeSet<&Vec<u8>> = stored.keys().chain(counted.keys()).collect();
    out.counters = keys.len() as u64;
    for k in keys {
        let (s, r) = (
            stored.get(k).copied().unwrap_or(0),
            counted.get(k).copied().unwrap_or(0),
        );
        if s != r {
            let counter =
                CounterKey::decode(k).map_or_else(|| format!("{k:?}"), |c| format!("{c:?}"));
            out.differences.push(CounterDiff {
                counter,
                stored: s,
                recounted: r,
            });
        }
    }
    let stored_members: BTreeMap<Vec<u8>, i64> = store.members()?.into_iter().collect();
    let all: std::collections::BTreeSet<&Vec<u8>> =
        stored_members.keys().chain(members.keys()).collect();
    out.member_differences = all
        .into_iter()
        .filter(|k| stored_members.get(*k) != members.get(*k))
        .count() as u64;
    Ok(())
}

#[cfg(test)]
mod tests;
