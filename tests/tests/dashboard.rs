//! The federated overview with real node processes: `lianluo overview --json` at any
//! city shows every city's own figures with outcome `ok`; with a node killed or a link
//! that swallows traffic it still answers within the deadline, naming that city stale,
//! unreachable or timed out, with `partial: true` — and `--abort-on-partial` refuses.

use std::time::{Duration, Instant};

use anyhow::Result;
use lianluo_tests::check::{create_suggestion, wait_for};
use lianluo_tests::{Cli, Federation};
use serde_json::Value;

/// The entry of `city` in an overview.
fn city<'a>(overview: &'a Value, city: &str) -> &'a Value {
    overview["cities"]
        .as_array()
        .and_then(|cs| cs.iter().find(|c| c["city"] == city))
        .unwrap_or_else(|| panic!("{city} missing from {overview:#}"))
}

fn outcomes(overview: &Value) -> Vec<(String, String)> {
    overview["cities"]
        .as_array()
        .map(|cs| {
            cs.iter()
                .map(|c| {
                    let s = |k: &str| c[k].as_str().unwrap_or_default().to_string();
                    (s("city"), s("outcome"))
                })
                .collect()
        })
        .unwrap_or_default()
}

fn suggestions(entry: &Value) -> u64 {
    entry["figures"]["suggestions"].as_u64().unwrap_or(0)
}

/// Runs `overview --json ARGS`, returning the answer and how long the CLI took.
fn overview(cli: &Cli, args: &[&str]) -> Result<(Value, Duration)> {
    let mut a = vec!["overview"];
    a.extend(args);
    let started = Instant::now();
    let v = cli.json(&a)?;
    Ok((v, started.elapsed()))
}

/// Creates `n` suggestions at `cli`'s node (shared with `partner`).
fn create(cli: &Cli, n: usize, partner: &str) -> Result<Vec<String>> {
    (0..n)
        .map(|i| create_suggestion(cli, &format!("建议 {i}"), &[partner]))
        .collect()
}

#[test]
fn overview_names_every_citys_provenance_and_answers_within_the_deadline() -> Result<()> {
    let fed = Federation::init()?;
    let hezhou = fed.start("hezhou")?;
    let qingyuan = fed.start("qingyuan")?;
    let mut yongzhou = fed.start("yongzhou")?;
    let (h, q, y) = (
        hezhou.cli("viewer"),
        qingyuan.cli("viewer"),
        yongzhou.cli("viewer"),
    );
    // Distinct counts per origin, so each city's figures are told apart.
    create(&hezhou.cli("coordinator"), 2, "qingyuan")?;
    create(&qingyuan.cli("coordinator"), 1, "yongzhou")?;
    let last = create(&yongzhou.cli("coordinator"), 3, "hezhou")?;
    // Replicated records do not change whose figures they are: wait until hezhou holds
    // yongzhou's, then hezhou must still count only its own two.
    wait_for(
        &h,
        &last[2],
        Duration::from_secs(30),
        "yongzhou's suggestion at hezhou",
        |_| true,
    )?;

    for cli in [&h, &q, &y] {
        let (v, _) = overview(cli, &[])?;
        assert_eq!(v["partial"], false, "{v:#}");
        let want = [("hezhou", 2), ("qingyuan", 1), ("yongzhou", 3)];
        for (c, n) in want {
            let e = city(&v, c);
            assert_eq!(e["outcome"], "ok", "{v:#}");
            assert_eq!(suggestions(e), n, "{c}: {v:#}");
            assert_eq!(e["figures"]["city"], c);
        }
        assert_eq!(v["total"]["suggestions"], 6, "{v:#}");
        // The answering city comes first and is marked local.
        assert_eq!(v["cities"][0]["city"], v["answered_by"]);
        assert_eq!(v["cities"][0]["local"], true);
    }

    // Yongzhou dies. Hezhou has seen its figures (above): they come back as stale, with
    // their age and why the fresh query failed, and the answer says it is partial.
    yongzhou.kill();
    let (v, took) = overview(&h, &["--deadline", "2s"])?;
    assert!(took < Duration::from_secs(2 + 5), "overview took {took:?}");
    assert_eq!(v["partial"], true, "{v:#}");
    let e = city(&v, "yongzhou");
    assert_eq!(e["outcome"], "stale", "{v:#}");
    assert_eq!(e["fresh_outcome"], "unreachable", "{v:#}");
    assert_eq!(suggestions(e), 3, "last known figures: {v:#}");
    assert!(e["age_seconds"].as_u64().is_some(), "{v:#}");
    assert!(!e["error"].as_str().unwrap_or_default().is_empty(), "{v:#}");
    assert_eq!(
        outcomes(&v)[..2],
        [
            ("hezhou".to_string(), "ok".to_string()),
            ("qingyuan".to_string(), "ok".to_string())
        ]
    );

    // Qingyuan never asked for this year's figures: nothing stale to show, so yongzhou is
    // plainly unreachable.
    let year = time::OffsetDateTime::now_utc()
        .to_offset(time::macros::offset!(+8))
        .year()
        .to_string();
    let (v, _) = overview(&q, &["--year", &year])?;
    assert_eq!(v["partial"], true, "{v:#}");
    let e = city(&v, "yongzhou");
    assert_eq!(e["outcome"], "unreachable", "{v:#}");
    assert!(e.get("figures").is_none_or(Value::is_null), "{v:#}");
    // The report says so too, and its total leaves yongzhou out.
    let out = q.run(&["report", "--year", &year]);
    lianluo_tests::check_ok(&out, "report while yongzhou is down")?;
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(report.contains("永州：无法连接，未计入合计"), "{report}");
    assert!(
        report.contains("代表建议3件"),
        "hezhou's 2 + qingyuan's 1: {report}"
    );

    // A dashboard that wants all or nothing gets an error naming the city at fault.
    let err = h.fails(&["overview", "--abort-on-partial"])?;
    assert!(err.contains("partial") && err.contains("yongzhou"), "{err}");

    // A link that swallows traffic: the answer still comes at the deadline.
    let silent = std::net::TcpListener::bind("127.0.0.1:0")?;
    fed.route("hezhou", "qingyuan", silent.local_addr()?);
    let (v, took) = overview(&h, &["--deadline", "1500ms"])?;
    assert!(took >= Duration::from_millis(1500), "took {took:?}");
    assert!(took < Duration::from_millis(1500 + 5000), "took {took:?}");
    assert_eq!(v["deadline_ms"], 1500);
    let e = city(&v, "qingyuan");
    assert_eq!(e["outcome"], "stale", "{v:#}");
    assert_eq!(e["fresh_outcome"], "timeout", "{v:#}");
    assert_eq!(suggestions(e), 1, "{v:#}");
    Ok(())
}

#[test]
fn overview_rejects_bad_arguments_naming_them() -> Result<()> {
    let fed = Federation::init()?;
    let hezhou = fed.start("hezhou")?;
    let h = hezhou.cli("viewer");
    let err = h.fails(&["overview", "--year", "1850"])?;
    assert!(err.contains("year") && err.contains("1850"), "{err}");
    let err = h.fails(&["overview", "--deadline", "5m"])?;
    assert!(err.contains("deadline"), "{err}");
    Ok(())
}
