//! The PostgreSQL comparison for catch-up (full mode only): runs
//! `bench/pg/catchup.sh --rows N` (logical replication between two local PostgreSQL
//! instances over TLS with client certificates; its progress goes to stderr, its results
//! to stdout as `key=value` lines) and prints PostgreSQL's end-to-end seconds beside
//! ours. A missing or failing script is reported in the notes and the run goes on.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use anyhow::Result;

use crate::report::{Cmp, Report, Row, Unit};

/// `$LIANLUO_BENCH_PG_SCRIPT`, else `bench/pg/catchup.sh` of this source tree.
fn script() -> PathBuf {
    std::env::var_os("LIANLUO_BENCH_PG_SCRIPT").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("pg/catchup.sh"),
        PathBuf::from,
    )
}

/// Parses `key=value` lines (other lines are ignored).
pub fn parse(stdout: &str) -> BTreeMap<String, String> {
    stdout
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}

/// Runs the script for `events` rows and adds a row comparing `ours_secs` with it.
pub fn compare(report: &mut Report, scenario: &str, ours_secs: f64, events: u64) -> Result<()> {
    let path = script();
    if !path.is_file() {
        report.note(
            scenario,
            format!("{} is missing: no PostgreSQL comparison", path.display()),
        );
        return Ok(());
    }
    println!("  running {} --rows {events} …", path.display());
    let out = Command::new("bash")
        .arg(&path)
        .arg("--rows")
        .arg(events.to_string())
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output();
    let out = match out {
        Ok(o) if o.status.success() => o,
        Ok(o) => {
            report.note(
                scenario,
                format!(
                    "{} failed ({}): no PostgreSQL comparison",
                    path.display(),
                    o.status
                ),
            );
            return Ok(());
        }
        Err(e) => {
            report.note(scenario, format!("cannot run {}: {e}", path.display()));
            return Ok(());
        }
    };
    let kv = parse(&String::from_utf8_lossy(&out.stdout));
    let secs = kv
        .get("pg_catchup_seconds")
        .and_then(|v| v.parse::<f64>().ok());
    let Some(secs) = secs else {
        report.note(
            scenario,
            format!("{} printed no pg_catchup_seconds: {kv:?}", path.display()),
        );
        return Ok(());
    };
    let get = |k: &str| kv.get(k).map_or("?", String::as_str);
    let what = format!(
        "PostgreSQL {} logical replication, {} rows in {} txns, end-to-end",
        get("pg_version"),
        get("pg_rows"),
        get("pg_transactions")
    );
    report.push(
        Row::new(
            scenario,
            format!("catch-up {events} events vs PostgreSQL"),
            ours_secs,
            Unit::Secs,
        )
        .limit(secs, what)
        // The target: faster end to end than PostgreSQL.
        .target(Cmp::Lt, secs),
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn key_value_lines_are_parsed() {
        let kv = super::parse("pg_rows=100\nnoise\npg_catchup_seconds= 1.5\n");
        assert_eq!(kv.get("pg_rows").map(String::as_str), Some("100"));
        assert_eq!(
            kv.get("pg_catchup_seconds").map(String::as_str),
            Some("1.5")
        );
        assert_eq!(kv.len(), 2);
    }
}
