//! The deterministic fold: order one record's events as a DAG (Kahn's algorithm, the ready
//! queue ordered by HLC then id), apply each in turn, and keep rejected events in history.

use std::collections::{BTreeMap, BTreeSet};

use lianluo_proto::HistoryEntry;

use super::record::RecordState;
use super::view::{history_entry, render};
use super::{FoldEvent, Folded, Step};

/// Sort key of an event among those ready at the same time.
type Key<'a> = (u64, u32, &'a str);

fn key(ev: &FoldEvent) -> Key<'_> {
    let hlc = ev.body.hlc.unwrap_or_default();
    (hlc.wall_ms, hlc.counter, ev.id.as_str())
}

/// Folds all events of one record, given in any order, into the record view.
///
/// The same set of events gives the same [`Folded`] whatever their order. Events that are
/// not allowed at their place are kept in history with a reason and appear in
/// [`Folded::rejected`]; events whose parents are missing are rejected with "missing
/// parent <id>" (or "missing ancestor <id>" for their descendants).
pub fn fold(events: &[FoldEvent]) -> Folded {
    let by_id = dedup(events);
    let (order, blocked) = order(&by_id);
    let mut folder = Folder::default();
    for ev in order {
        folder.step(ev);
    }
    for (ev, reason) in blocked {
        folder.reject(ev, reason);
    }
    let heads = heads(&by_id);
    folder.finish(heads)
}

/// One event per id; when copies differ, a verified copy wins, then the smallest encoding,
/// so the choice does not depend on input order.
fn dedup(events: &[FoldEvent]) -> BTreeMap<&str, &FoldEvent> {
    let mut by_id: BTreeMap<&str, &FoldEvent> = BTreeMap::new();
    for ev in events {
        by_id
            .entry(ev.id.as_str())
            .and_modify(|cur| {
                if better(ev, cur) {
                    *cur = ev;
                }
            })
            .or_insert(ev);
    }
    by_id
}

fn better(a: &FoldEvent, b: &FoldEvent) -> bool {
    use prost::Message;
    if a.verified != b.verified {
        return a.verified;
    }
    a.body.encode_to_vec() < b.body.encode_to_vec()
}

/// Kahn's algorithm: the events in fold order, then the events that can never be applied
/// (a parent missing from the input, directly or through an ancestor) with their reason.
fn order<'a>(
    by_id: &BTreeMap<&'a str, &'a FoldEvent>,
) -> (Vec<&'a FoldEvent>, Vec<(&'a FoldEvent, String)>) {
    let mut pending: BTreeMap<&str, usize> = BTreeMap::new();
    let mut children: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    let mut ready: BTreeSet<Key<'a>> = BTreeSet::new();
    for (&id, ev) in by_id {
        let parents: BTreeSet<&str> = ev.body.parents.iter().map(String::as_str).collect();
        let missing = parents.iter().any(|p| !by_id.contains_key(p));
        for p in &parents {
            children.entry(p).or_default().push(id);
        }
        if parents.is_empty() {
            ready.insert(key(ev));
        } else if !missing {
            pending.insert(id, parents.len());
        }
    }
    let mut out = Vec::with_capacity(by_id.len());
    while let Some(k) = ready.pop_first() {
        let Some(&ev) = by_id.get(k.2) else { continue };
        out.push(ev);
        for child in children.get(k.2).map(Vec::as_slice).unwrap_or_default() {
            if let Some(n) = pending.get_mut(child) {
                *n -= 1;
                if *n == 0 {
                    pending.remove(child);
                    if let Some(&c) = by_id.get(child) {
                        ready.insert(key(c));
                    }
                }
            }
        }
    }
    let done: BTreeSet<&str> = out.iter().map(|e| e.id.as_str()).collect();
    let mut blocked: Vec<(&FoldEvent, String)> = by_id
        .values()
        .filter(|ev| !done.contains(ev.id.as_str()))
        .map(|&ev| (ev, blocked_reason(by_id, ev)))
        .collect();
    blocked.sort_by(|a, b| key(a.0).cmp(&key(b.0)));
    (out, blocked)
}

/// "missing parent <id>" for a direct missing parent, else "missing ancestor <id>" naming
/// the smallest missing id reachable through the event's ancestors.
fn blocked_reason(by_id: &BTreeMap<&str, &FoldEvent>, ev: &FoldEvent) -> String {
    if let Some(p) = ev
        .body
        .parents
        .iter()
        .filter(|p| !by_id.contains_key(p.as_str()))
        .min()
    {
        return format!("missing parent {p}");
    }
    let mut seen: BTreeSet<&str> = BTreeSet::new();
    let mut stack: Vec<&str> = ev.body.parents.iter().map(String::as_str).collect();
    let mut missing: Option<&str> = None;
    while let Some(id) = stack.pop() {
        if !seen.insert(id) {
            continue;
        }
        match by_id.get(id) {
            Some(e) => stack.extend(e.body.parents.iter().map(String::as_str)),
            None => missing = Some(missing.map_or(id, |m| m.min(id))),
        }
    }
    match missing {
        Some(m) => format!("missing ancestor {m}"),
        // Only a parent cycle gets here, which hash-linked ids make impossible.
        None => "parent cycle".to_owned(),
    }
}

/// Ids that are no event's parent, sorted (rejected events count too).
fn heads(by_id: &BTreeMap<&str, &FoldEvent>) -> Vec<String> {
    let parents: BTreeSet<&str> = by_id
        .values()
        .flat_map(|e| e.body.parents.iter().map(String::as_str))
        .collect();
    by_id
        .keys()
        .filter(|id| !parents.contains(*id))
        .map(|id| (*id).to_owned())
        .collect()
}

#[derive(Default)]
struct Folder {
    state: Option<RecordState>,
    history: Vec<HistoryEntry>,
    rejected: BTreeMap<String, String>,
    steps: Vec<Step>,
}

impl Folder {
    fn step(&mut self, ev: &FoldEvent) {
        let result = if !ev.verified {
            Err("signature not verified".to_owned())
        } else {
            match &mut self.state {
                Some(state) => state.apply(ev),
                None => RecordState::create(ev).map(|s| self.state = Some(s)),
            }
        };
        match result {
            Ok(()) => {
                self.history.push(history_entry(ev, None));
                self.steps.push(Step {
                    id: ev.id.clone(),
                    rejected: None,
                });
            }
            Err(reason) => self.reject(ev, reason),
        }
    }

    fn reject(&mut self, ev: &FoldEvent, reason: String) {
        self.history.push(history_entry(ev, Some(&reason)));
        self.steps.push(Step {
            id: ev.id.clone(),
            rejected: Some(reason.clone()),
        });
        self.rejected.insert(ev.id.clone(), reason);
    }

    fn finish(self, heads: Vec<String>) -> Folded {
        let record = self.state.as_ref().map(|s| {
            let as_of = super::view::local_date(s.updated_ms);
            render(s, self.history, heads.clone(), as_of)
        });
        Folded {
            record,
            rejected: self.rejected,
            heads,
            state: self.state,
            steps: self.steps,
        }
    }
}
