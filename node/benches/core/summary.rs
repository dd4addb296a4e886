//! The table printed after the benchmarks: each figure beside its limit (or the cost it
//! replaced) and the ratio, read from criterion's estimates of this run.

use std::path::Path;

/// (what, our benchmark, the limit or old way, how the ratio reads).
const PAIRS: [(&str, &str, &str, &str); 6] = [
    (
        "verify a 256-event batch",
        "verify/lianluo_sink_batch_256",
        "verify/limit_ring_all_cores_256",
        "share of the raw ECDSA rate on all cores (target >= 0.5)",
    ),
    (
        "act on a 1000-event record",
        "act/lianluo_append/1000",
        "act/lianluo_append/1",
        "time vs an act on a 1-event record (target <= 1.5: cost of the act, not the history)",
    ),
    (
        "act on a 1000-event record",
        "act/lianluo_append/1000",
        "act/old_refold_1000",
        "time vs re-folding the history as every act did before (lower is better)",
    ),
    (
        "progress note (100 notes, +1 per iteration)",
        "act/lianluo_note_after_100_notes",
        "act/lianluo_append/1",
        "time vs an act on a 1-event record (the notes are in the state: known gap)",
    ),
    (
        "List page of 100 by city (20,000 records)",
        "list/lianluo_page_100_by_city",
        "list/limit_read_100_entries",
        "time vs reading the same 100 index entries and records (target <= 2)",
    ),
    (
        "figures of a city (20,000 records)",
        "figures/lianluo_from_counters_20000",
        "figures/old_count_records_20000",
        "time vs counting every record (lower is better)",
    ),
];

/// The mean time of a benchmark in ns, if this run measured it.
fn mean_ns(dir: &Path, bench: &str) -> Option<f64> {
    let path = dir.join(bench).join("new").join("estimates.json");
    let text = std::fs::read_to_string(path).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    v["mean"]["point_estimate"].as_f64()
}

fn human(ns: f64) -> String {
    if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.1} µs", ns / 1e3)
    } else {
        format!("{ns:.0} ns")
    }
}

/// Prints the table from the estimates under `dir`.
pub fn print(dir: &Path) {
    println!("\nfigure | ours | limit or old way | ratio | how it reads");
    println!("---|---|---|---|---");
    for (what, ours, limit, reads) in PAIRS {
        let (Some(a), Some(b)) = (mean_ns(dir, ours), mean_ns(dir, limit)) else {
            println!("{what} | not measured in this run (`cargo bench -p lianluo-node`) | | |");
            continue;
        };
        // Throughput ratios (verify) read as ours/limit in rate; the rest in time.
        let ratio = if ours.starts_with("verify/") {
            b / a
        } else {
            a / b
        };
        println!(
            "{what} | {} | {} ({limit}) | {ratio:.2} | {reads}",
            human(a),
            human(b)
        );
    }
}
