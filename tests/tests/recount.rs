//! `lianluo admin recount` on a real node's data dir: after records of every kind were
//! written and others received from a peer, the counters the node kept match a recount
//! from the events; a running node's data dir is refused with what to do.

use anyhow::{ensure, Result};
use lianluo_tests::{eventually, lianluo, Federation};

#[test]
fn recount_of_a_stopped_node_matches_its_counters_and_a_running_one_is_refused() -> Result<()> {
    let fed = Federation::init()?;
    let mut hezhou = fed.start("hezhou")?;
    let qingyuan = fed.start("qingyuan")?;
    let hz = hezhou.cli("coordinator");
    let qy = qingyuan.cli("coordinator");
    let station = hz.json(&[
        "station",
        "register",
        "--name",
        "贺街联络站",
        "--township",
        "贺街镇",
        "--county",
        "八步区",
    ])?;
    let station = station["id"].as_str().unwrap_or_default().to_string();
    let sug = hz.json(&[
        "suggestion",
        "create",
        "--title",
        "修缮省际道路",
        "--body",
        "内容",
        "--partner",
        "qingyuan",
        "--station",
        &station,
    ])?;
    let sug = sug["id"].as_str().unwrap_or_default().to_string();
    hz.json(&[
        "suggestion",
        "dispatch",
        &sug,
        "--unit",
        "贺州市交通运输局",
        "--deadline",
        "2026-01-31",
    ])?;
    // Qingyuan's own record, shared with Hezhou: received, and not in Hezhou's figures.
    let theirs = qy.json(&[
        "suggestion",
        "create",
        "--title",
        "清远的建议",
        "--body",
        "内容",
        "--partner",
        "hezhou",
    ])?;
    let theirs = theirs["id"].as_str().unwrap_or_default().to_string();
    eventually(
        std::time::Duration::from_secs(20),
        "qingyuan's record at hezhou",
        || hz.json(&["show", &theirs]).ok(),
    )?;
    let config = fed.node_config("hezhou");
    let config = config.to_str().unwrap_or_default();

    let running = lianluo(&["admin", "recount", "--config", config]);
    ensure!(
        !running.status.success(),
        "a running node's data dir must be refused"
    );
    let err = String::from_utf8_lossy(&running.stderr);
    ensure!(err.contains("stop the node first"), "{err}");

    ensure!(hezhou.stop()?, "hezhou stops cleanly");
    let out = lianluo(&["--json", "admin", "recount", "--config", config]);
    let text = String::from_utf8_lossy(&out.stdout);
    ensure!(
        out.status.success(),
        "recount failed: {text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: serde_json::Value = serde_json::from_str(&text)?;
    ensure!(r["records"] == 3, "{r}");
    ensure!(
        r["differences"].as_array().is_some_and(Vec::is_empty),
        "{r}"
    );
    ensure!(
        r["states_differ"].as_array().is_some_and(Vec::is_empty),
        "{r}"
    );
    ensure!(r["fixed"] == false, "{r}");
    Ok(())
}
