//! In-process benchmarks of the storage core (`cargo bench -p lianluo-node`). Each group
//! times what Lianluo does next to a limit measured in the same run, and the summary at
//! the end prints every figure beside its limit with the ratio (from criterion's
//! estimates). `cargo test --benches` runs every benchmark once, so they never rot.
//!
//! - verify: a replication batch's signatures checked by the sink's parallel path, vs the
//!   same ECDSA verifications with ring on every core and nothing else;
//! - act: one act appended to a record with a long history, vs one on a record with one
//!   event (the cost must not grow with the history), and vs re-folding that history (what
//!   every act cost before the stored state); and a progress note on a record that has
//!   100 at the start (each iteration adds one; the state keeps every note: the one cost
//!   that still grows with a record's events);
//! - list: a page of 100 records by city from 20,000, vs reading the same 100 index
//!   entries and records from the store with no planning or rendering;
//! - figures: a city's figures from its counters, vs counting them from every record.

use std::path::{Path, PathBuf};

use criterion::{criterion_group, BenchmarkId, Criterion};

#[path = "core/setup.rs"]
mod setup;
#[path = "core/summary.rs"]
mod summary;

fn verify(c: &mut Criterion) {
    let batch = setup::signed(256);
    let (signers, events, keys) = (&batch.signers, &batch.events, &batch.raw);
    let refs: Vec<Option<&lianluo_proto::SignedEvent>> = events.iter().map(Some).collect();
    let mut g = c.benchmark_group("verify");
    g.throughput(criterion::Throughput::Elements(events.len() as u64));
    g.bench_function("lianluo_sink_batch_256", |b| {
        b.iter(|| lianluo_node::replication::verify_all(signers, &refs))
    });
    g.bench_function("limit_ring_all_cores_256", |b| {
        b.iter(|| setup::verify_raw_all_cores(keys))
    });
    g.finish();
}

fn act(c: &mut Criterion) {
    let mut g = c.benchmark_group("act");
    for history in [1usize, 1000] {
        let (_dir, store, mut chain) = setup::record_with_history(history);
        g.bench_with_input(
            BenchmarkId::new("lianluo_append", history),
            &history,
            |b, _| b.iter(|| chain.append(store.as_ref())),
        );
    }
    // Progress notes are the one part of the state that grows with events (a known gap,
    // docs/benchmarks.md): shown apart, so the history's cost is not hidden behind it.
    let (_dir, store, mut chain) = setup::record_with_notes(100);
    g.bench_function("lianluo_note_after_100_notes", |b| {
        b.iter(|| chain.note(store.as_ref()))
    });
    let (_dir, store, chain) = setup::record_with_history(1000);
    g.bench_function("old_refold_1000", |b| {
        b.iter(|| chain.refold(store.as_ref()))
    });
    g.finish();
}

fn list(c: &mut Criterion) {
    let (_dir, store) = setup::store_with_records(20_000);
    let mut g = c.benchmark_group("list");
    g.bench_function("lianluo_page_100_by_city", |b| {
        b.iter(|| setup::page_by_city(store.as_ref()))
    });
    g.bench_function("limit_read_100_entries", |b| {
        b.iter(|| setup::raw_page(store.as_ref()))
    });
    g.finish();
}

fn figures(c: &mut Criterion) {
    let (_dir, store) = setup::store_with_records(20_000);
    let records = lianluo_node::render::all(store.as_ref(), setup::today()).unwrap_or_default();
    let mut g = c.benchmark_group("figures");
    g.bench_function("lianluo_from_counters_20000", |b| {
        b.iter(|| setup::figures_from_counters(store.as_ref()))
    });
    g.bench_function("old_count_records_20000", |b| {
        b.iter(|| lianluo_node::dashboard::figures::compute("hezhou", 2026, setup::NOW, &records))
    });
    g.finish();
}

/// Where criterion keeps its estimates (read back by the summary).
fn output_dir() -> PathBuf {
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    tmp.parent().unwrap_or(tmp).join("criterion")
}

criterion_group! {
    name = benches;
    config = Criterion::default().output_directory(&output_dir());
    targets = verify, act, list, figures
}

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    summary::print(&output_dir());
}
