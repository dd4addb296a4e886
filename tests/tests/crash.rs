//! Nothing acknowledged is ever lost: a node killed with SIGKILL right after a burst of
//! acknowledged writes has every one of them after it restarts.

use std::sync::{Arc, Mutex};

use anyhow::Result;
use lianluo_tests::Federation;

#[test]
fn every_acknowledged_write_survives_sigkill() -> Result<()> {
    let fed = Federation::init()?;
    let mut node = fed.start("hezhou")?;
    let cli = node.cli("coordinator");
    let seed = cli.json(&[
        "suggestion",
        "create",
        "--title",
        "种子建议",
        "--body",
        "内容",
    ])?;
    let seed_id = seed["id"].as_str().unwrap_or_default().to_string();
    cli.json(&[
        "suggestion",
        "dispatch",
        &seed_id,
        "--unit",
        "贺州市自然资源局",
        "--deadline",
        "2027-03-01",
    ])?;
    let progress_acked: Arc<Mutex<u64>> = Arc::default();

    // Four writers at once, so acknowledgements share group-commit flushes.
    let acked: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let cli = cli.clone();
            let acked = acked.clone();
            let seed_id = seed_id.clone();
            let progress_acked = progress_acked.clone();
            std::thread::spawn(move || -> Result<()> {
                for i in 0..8 {
                    let title = format!("崩溃测试建议 {w}-{i}");
                    let rec =
                        cli.json(&["suggestion", "create", "--title", &title, "--body", "正文"])?;
                    let id = rec["id"].as_str().unwrap_or_default().to_string();
                    acked
                        .lock()
                        .map_err(|e| anyhow::anyhow!("{e}"))?
                        .push((id, title));
                    if w == 0 {
                        cli.json(&[
                            "suggestion",
                            "progress",
                            &seed_id,
                            "--note",
                            &format!("进展 {i}"),
                        ])?;
                        *progress_acked.lock().map_err(|e| anyhow::anyhow!("{e}"))? += 1;
                    }
                }
                Ok(())
            })
        })
        .collect();
    for w in writers {
        w.join().map_err(|_| anyhow::anyhow!("writer panicked"))??;
    }
    // Kill the moment the last acknowledgement arrived: no shutdown, no final flush.
    node.kill();
    let before = cli.json(&["list"]).is_err();
    assert!(before, "the node should be down");

    let node = fed.start("hezhou")?;
    let cli = node.cli("coordinator");
    let acked = acked.lock().map_err(|e| anyhow::anyhow!("{e}"))?.clone();
    assert_eq!(acked.len(), 32);
    for (id, title) in &acked {
        let rec = cli.json(&["show", id])?;
        assert_eq!(&rec["title"], title.as_str());
        assert_eq!(rec["status"], "submitted");
    }
    let seed = cli.json(&["show", &seed_id])?;
    let progress = *progress_acked.lock().map_err(|e| anyhow::anyhow!("{e}"))?;
    assert_eq!(
        seed["version"],
        2 + progress,
        "every acknowledged act on the seed survives"
    );
    let listed = cli.json(&["list", "--all"])?;
    let n = listed.as_array().map(Vec::len).unwrap_or_default();
    assert_eq!(n, 33, "no record lost and none duplicated");
    Ok(())
}

/// Events written at Hezhou while Qingyuan is down: 100,000 with `LIANLUO_LONG=1` (the
/// long fault runs), fewer in the default suite.
fn catch_up_events() -> usize {
    if std::env::var("LIANLUO_LONG").is_ok_and(|v| v == "1") {
        100_000
    } else {
        5_000
    }
}

/// A gauge of `node`'s `/metrics` (`None` while it does not answer).
fn gauge(node: &lianluo_tests::NodeProc, name: &str) -> Option<u64> {
    let http = node.http.as_deref()?;
    let (_, text) = lianluo_tests::browser::http_get(http, "/metrics").ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
}

#[test]
fn a_node_killed_during_catch_up_resumes_without_gaps_or_duplicates() -> Result<()> {
    use std::time::Duration;
    let fed = Federation::init()?;
    // A bulk load from one certificate, faster than the per-user default rate.
    fed.set_config("hezhou", "limits", "calls_per_second", "1000000")?;
    let hz = fed.start("hezhou")?;
    let n = catch_up_events();
    let rt = tokio::runtime::Runtime::new()?;
    let made = rt.block_on(async {
        let ch = lianluo_tests::grpc::channel(&hz, "coordinator").await?;
        lianluo_tests::grpc::create_suggestions(ch, n, &["qingyuan"], 16).await
    })?;
    anyhow::ensure!(made.len() == n);
    let head = lianluo_tests::eventually(Duration::from_secs(30), "hezhou's log durable", || {
        gauge(&hz, "lianluo_log_durable_seq").filter(|s| *s == n as u64)
    })?;

    // Qingyuan starts catching up; it is killed once it holds some but not all.
    let mut qy = fed.start("qingyuan")?;
    let at_kill = lianluo_tests::eventually_every(
        Duration::from_secs(300),
        Duration::from_millis(10),
        "qingyuan part way through the catch-up",
        || gauge(&qy, "lianluo_log_last_seq").filter(|s| *s >= head / 10),
    )?;
    qy.kill();
    anyhow::ensure!(
        at_kill < head,
        "qingyuan caught up ({at_kill} of {head}) before it could be killed"
    );

    let qy = fed.start("qingyuan")?;
    lianluo_tests::eventually(Duration::from_secs(600), "qingyuan caught up", || {
        gauge(&qy, "lianluo_log_last_seq").filter(|s| *s >= head)
    })?;
    // Every event exactly once: a duplicate would take a seq of its own, a gap leave a
    // record out.
    let settled = gauge(&qy, "lianluo_log_last_seq").unwrap_or_default();
    anyhow::ensure!(
        settled == head,
        "qingyuan holds {settled} events, hezhou wrote {head}"
    );
    let listed = lianluo_tests::check::list_all(&qy.cli("viewer"))?;
    let missing: Vec<&String> = made.iter().filter(|id| !listed.contains_key(*id)).collect();
    anyhow::ensure!(
        missing.is_empty() && listed.len() == n,
        "{} of {n} records missing at qingyuan (first: {:?}); it lists {}",
        missing.len(),
        missing.first(),
        listed.len()
    );
    Ok(())
}
