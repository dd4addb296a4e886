//! Real nodes with wrong clocks (libfaketime moves a node's wall clock; `scripts/test`
//! installs it): a node an hour ahead does not pull its partners' clocks ahead (their
//! event clocks stay within `[federation] max_clock_skew_secs` of real time, the times
//! shown are each author's own, and the partner counts and reports the skewed events);
//! a node an hour behind starts with certificates issued "now" and federates.

use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{ensure, Context as _, Result};
use lianluo_tests::check::{act, create_suggestion, wait_for, REPL};
use lianluo_tests::Federation;
use serde_json::Value;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Real time in Unix milliseconds (this test process runs without libfaketime).
fn real_now_ms() -> i64 {
    let d = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// `at` of a history entry in Unix milliseconds.
fn at_ms(entry: &Value) -> Result<i64> {
    let at = entry["at"].as_str().context("history entry without at")?;
    let t = OffsetDateTime::parse(at, &Rfc3339).with_context(|| format!("at {at:?}"))?;
    Ok(i64::try_from(t.unix_timestamp_nanos() / 1_000_000)?)
}

/// The HLC wall time of a history entry.
fn hlc_ms(entry: &Value) -> Result<i64> {
    entry["hlc"]["wall_ms"]
        .as_i64()
        .with_context(|| format!("history entry without hlc: {entry}"))
}

/// The history entry of `record` whose type is `kind`.
fn entry<'a>(record: &'a Value, kind: &str) -> Result<&'a Value> {
    record["history"]
        .as_array()
        .and_then(|h| h.iter().find(|e| e["type"] == kind))
        .with_context(|| format!("no {kind} in {record}"))
}

const MINUTE: i64 = 60_000;

#[test]
fn a_node_an_hour_ahead_does_not_pull_its_partners_clock_or_their_shown_times() -> Result<()> {
    let fed = Federation::init()?;
    let hz = fed.start_with_clock("hezhou", "+1h")?;
    let qy = fed.start("qingyuan")?;
    let (hzc, qyc) = (hz.cli("coordinator"), qy.cli("coordinator"));

    let id = create_suggestion(&hzc, "贺州时钟快一小时的建议", &["qingyuan"])?;
    let at_qy = wait_for(&qyc, &id, REPL, "the record at qingyuan", |_| true)?;
    let created = entry(&at_qy, "suggestion_submitted")?;
    // (Also proves libfaketime moved hezhou's clock.)
    ensure!(
        hlc_ms(created)? > real_now_ms() + 50 * MINUTE,
        "hezhou's clock runs an hour ahead: {created}"
    );

    // Qingyuan acts on it, then makes a record of its own.
    let (rec, _) = act(
        &qyc,
        &[
            "suggestion",
            "dispatch",
            &id,
            "--unit",
            "清远市交通运输局",
            "--deadline",
            "2027-06-30",
        ],
    )?;
    let dispatched = entry(&rec, "suggestion_dispatched")?;
    let own = create_suggestion(&qyc, "清远自己的建议", &[])?;
    let own = qyc.json(&["show", &own])?;
    let own_created = entry(&own, "suggestion_submitted")?;
    let now = real_now_ms();
    for e in [dispatched, own_created] {
        // Followed at most max_clock_skew_secs (300 s) ahead, not an hour.
        ensure!(
            hlc_ms(e)? <= now + 6 * MINUTE,
            "qingyuan's clock was pulled ahead: {e}"
        );
        ensure!(
            (at_ms(e)? - now).abs() < 2 * MINUTE,
            "shown time is not qingyuan's: {e}"
        );
    }

    // Qingyuan reports the skewed peer: `peers`, its warning line and the metric.
    let peers = qyc.json(&["peers"])?;
    let hz_peer = peers
        .as_array()
        .and_then(|p| p.iter().find(|p| p["city"] == "hezhou"))
        .context("hezhou in qingyuan's peers")?;
    ensure!(
        hz_peer["events_clock_ahead"].as_u64() >= Some(1),
        "{hz_peer}"
    );
    ensure!(
        hz_peer["clock_ahead_ms"].as_u64() > Some(50 * 60_000),
        "{hz_peer}"
    );
    let table = String::from_utf8_lossy(&qyc.run(&["peers"]).stdout).into_owned();
    ensure!(table.contains("warning: hezhou sent"), "{table}");
    let metrics =
        lianluo_tests::browser::http_get(qy.http.as_deref().context("http")?, "/metrics")?.1;
    ensure!(
        metrics.lines().any(|l| l
            .starts_with("lianluo_events_clock_ahead_total{peer=\"hezhou\"} ")
            && !l.ends_with(" 0")),
        "{metrics}"
    );
    Ok(())
}

#[test]
fn a_node_an_hour_behind_starts_with_certificates_issued_now_and_federates() -> Result<()> {
    let fed = Federation::init()?;
    let hz = fed.start("hezhou")?;
    let yz = fed.start_with_clock("yongzhou", "-1h")?;
    let (hzc, yzc) = (hz.cli("coordinator"), yz.cli("coordinator"));
    let id = create_suggestion(&yzc, "永州时钟慢一小时的建议", &["hezhou"])?;
    let at_hz = wait_for(&hzc, &id, REPL, "yongzhou's record at hezhou", |_| true)?;
    let created = entry(&at_hz, "suggestion_submitted")?;
    ensure!(created["verified"] == true, "{created}");
    ensure!(
        (at_ms(created)? - (real_now_ms() - 60 * MINUTE)).abs() < 5 * MINUTE,
        "{created}"
    );
    // And the other way: hezhou's record reaches the node that is behind.
    let back = create_suggestion(&hzc, "贺州给永州的建议", &["yongzhou"])?;
    wait_for(&yzc, &back, REPL, "hezhou's record at yongzhou", |_| true)?;
    Ok(())
}
