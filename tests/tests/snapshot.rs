//! A node's data dir restored from a disk or VM snapshot (copied aside while the node was
//! stopped, copied back later) keeps its `log_id`. Its peer's cursor may be ahead of the
//! restored log; once the restored node has written past that cursor, the seqs the peer
//! already covered hold different events. Real `lianluo node` processes, real TLS, real
//! disk: every record acknowledged after the restore still reaches the peer.

use std::path::Path;
use std::process::Command;

use anyhow::{anyhow, ensure, Result};
use lianluo_tests::check::{
    arrives_once, create_suggestion, list_all, no_panics, restart_behind_cut_and_write, wait_for,
    REPL,
};
use lianluo_tests::{Cli, Federation};

/// `cp -a from to`: the snapshot keeps everything, file modes and times included.
fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    let status = Command::new("cp").arg("-a").arg(from).arg(to).status()?;
    ensure!(status.success(), "cp -a {from:?} {to:?} failed: {status}");
    Ok(())
}

/// Creates `n` suggestions at `cli` shared with qingyuan, titled `title i`.
fn create(cli: &Cli, title: &str, n: usize) -> Result<Vec<String>> {
    (0..n)
        .map(|i| create_suggestion(cli, &format!("{title} {i}"), &["qingyuan"]))
        .collect()
}

/// The log_id of qingyuan's cursor in hezhou's log (`peers --json` at qingyuan).
fn cursor_log_id(qyc: &Cli) -> Result<String> {
    let peers = qyc.json(&["peers"])?;
    let hezhou = peers
        .as_array()
        .and_then(|a| a.iter().find(|p| p["city"] == "hezhou"))
        .ok_or_else(|| anyhow!("no hezhou in qingyuan's peers: {peers}"))?;
    let id = hezhou["cursor_log_id"].as_str().unwrap_or_default();
    ensure!(!id.is_empty(), "no cursor_log_id: {hezhou}");
    Ok(id.to_string())
}

#[test]
fn node_restored_from_a_snapshot_with_its_log_id_still_replicates_every_new_record() -> Result<()> {
    let fed = Federation::init()?;
    let mut hz = fed.start("hezhou")?;
    let qy = fed.start("qingyuan")?;
    let qyc = qy.cli("viewer");
    let before = create(&hz.cli("coordinator"), "快照前建议", 3)?;
    for id in &before {
        wait_for(&qyc, id, REPL, "a record from before the snapshot", |_| {
            true
        })?;
    }
    assert!(hz.stop()?, "hezhou stops cleanly");
    let data = fed.data_dir("hezhou");
    let snapshot = fed.dir().join("hezhou-data.snapshot");
    copy_dir(&data, &snapshot)?;

    let mut hz = fed.start("hezhou")?;
    let lost = create(&hz.cli("coordinator"), "快照后建议", 3)?;
    for id in &lost {
        wait_for(&qyc, id, REPL, "a record from after the snapshot", |_| true)?;
    }
    let old_log = cursor_log_id(&qyc)?;
    assert!(hz.stop()?, "hezhou stops cleanly");
    std::fs::remove_dir_all(&data)?;
    copy_dir(&snapshot, &data)?;

    // Qingyuan's cursor is past the restored log's head. It must not reconnect before
    // the restored node has written past that cursor: then the cursor's seq is within
    // the restored log, but holds another event than the one qingyuan saw there.
    let (hz, after) =
        restart_behind_cut_and_write(&fed, "hezhou", "qingyuan", "恢复后建议", lost.len() + 2)?;
    let hzc = hz.cli("coordinator");
    let both = [("hezhou", &hzc), ("qingyuan", &qyc)];
    arrives_once(&both, &after)?;
    // What the snapshot lacked comes back to hezhou from qingyuan.
    arrives_once(&both, before.iter().chain(&lost))?;
    let (lh, lq) = (list_all(&hzc)?, list_all(&qyc)?);
    assert_eq!(lh.len(), before.len() + lost.len() + after.len());
    assert_eq!(lh.keys().collect::<Vec<_>>(), lq.keys().collect::<Vec<_>>());
    assert_eq!(
        cursor_log_id(&qyc)?,
        old_log,
        "the snapshot keeps its log_id (else this is the wiped-node case)"
    );
    no_panics(&fed)
}
