//! Postings kept in chunks list exactly what a plain set would, for random adds and
//! removes over many batches (chunks filled, split, emptied and re-keyed), and ranges read
//! across chunk and term boundaries.

use std::collections::BTreeSet;
use std::ops::Bound;

use proptest::prelude::*;

use super::{range, Postings, MAX_CHUNK};
use crate::domain::RecordId;
use crate::store::sled::SledStore;
use crate::store::StoreOptions;

fn rid(n: u16) -> RecordId {
    let id = format!(
        "hezhou-{}",
        ulid::Ulid::from_parts(1_772_323_200_000, u128::from(n))
    );
    RecordId::parse(&id).expect("record id")
}

const TERMS: [&[u8]; 3] = [
    b"c\x00hezhou\x00",
    b"c\x00qingyuan\x00",
    b"g\xe8\xbe\xb9\x00",
];

fn listed(store: &SledStore, term: &[u8]) -> Vec<RecordId> {
    let mut end = term.to_vec();
    end.push(0xff);
    range(
        store,
        Bound::Included(term.to_vec()),
        Bound::Excluded(end),
        usize::MAX,
    )
    .expect("range")
    .into_iter()
    .map(|h| h.record)
    .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn store_postings_list_what_a_set_would(
        batches in prop::collection::vec(
            prop::collection::vec((0..3usize, 0..400u16, prop::bool::weighted(0.7)), 1..200),
            1..6,
        )
    ) {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = SledStore::open(dir.path(), "hezhou", StoreOptions::default()).expect("open");
        let mut model: Vec<BTreeSet<RecordId>> = vec![BTreeSet::new(); TERMS.len()];
        for ops in batches {
            let mut p = Postings::default();
            for (t, n, add) in ops {
                if add {
                    p.add(TERMS[t], &rid(n));
                    model[t].insert(rid(n));
                } else {
                    p.remove(TERMS[t], &rid(n));
                    model[t].remove(&rid(n));
                }
            }
            let mut batch = ::sled::Batch::default();
            p.stage(&store, &mut batch).expect("stage");
            store.db.apply_batch(batch).expect("apply");
            for (t, term) in TERMS.iter().enumerate() {
                let want: Vec<RecordId> = model[t].iter().cloned().collect();
                prop_assert_eq!(listed(&store, term), want);
            }
        }
    }
}

#[test]
fn store_postings_split_full_chunks_and_page_from_inside_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SledStore::open(dir.path(), "hezhou", StoreOptions::default()).expect("open");
    let term = TERMS[0];
    let mut p = Postings::default();
    // Enough entries for several chunks whatever MAX_CHUNK is, and for a
    // page that starts well inside the list.
    let n = u16::try_from((MAX_CHUNK * 3).max(400)).expect("small");
    for i in 0..n {
        p.add(term, &rid(i));
    }
    let mut batch = ::sled::Batch::default();
    p.stage(&store, &mut batch).expect("stage");
    store.db.apply_batch(batch).expect("apply");
    let chunks = store.db.scan_prefix(b"X/").count();
    assert!(chunks >= 3, "{chunks} chunks for {n} records");
    let all = listed(&store, term);
    assert_eq!(all.len(), usize::from(n));
    // From after the 100th entry: the rest, in order, across chunks.
    let mut end = term.to_vec();
    end.push(0xff);
    let at = crate::store::keys::index(term, &all[99])[2..].to_vec();
    let rest = range(&store, Bound::Excluded(at), Bound::Excluded(end), 10).expect("range");
    let got: Vec<&RecordId> = rest.iter().map(|h| &h.record).collect();
    assert_eq!(got, all[100..110].iter().collect::<Vec<_>>());
}
