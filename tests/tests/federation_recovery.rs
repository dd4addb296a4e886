//! Recovery guarantees with real `lianluo node` processes, real TLS and real disk: a
//! peer SIGKILLed in the middle of a write burst, or the writing node itself, ends up with
//! every acknowledged event exactly once; a node restored from an old backup or wiped
//! entirely is re-filled by its peer, and what it writes afterwards still replicates.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use anyhow::{anyhow, Result};
use lianluo_tests::check::{
    arrives_once, converged, create_suggestion, list_all, no_panics, restart_behind_cut_and_write,
    run_ok, wait_for, POLL, REPL,
};
use lianluo_tests::{eventually_every, Cli, Federation, NodeProc};

/// What a write burst had acknowledged: created record ids and progress acts on the seed.
#[derive(Default)]
struct Acked {
    records: Mutex<Vec<String>>,
    progress: AtomicUsize,
}

impl Acked {
    fn records(&self) -> Vec<String> {
        self.records.lock().map(|r| r.clone()).unwrap_or_default()
    }
}

/// Starts `threads` writers at `cli`, each creating `per` suggestions shared with
/// qingyuan; writer 0 also records progress on `seed` after each. A writer stops at its
/// first failure (its node may have been killed) and returns it.
fn write_burst(
    cli: &Cli,
    seed: &str,
    threads: usize,
    per: usize,
) -> (Arc<Acked>, Vec<JoinHandle<Result<()>>>) {
    let acked = Arc::new(Acked::default());
    let handles = (0..threads)
        .map(|w| {
            let (cli, acked, seed) = (cli.clone(), acked.clone(), seed.to_string());
            std::thread::spawn(move || -> Result<()> {
                for i in 0..per {
                    let id = create_suggestion(&cli, &format!("突发写入 {w}-{i}"), &["qingyuan"])?;
                    acked.records.lock().map_err(|e| anyhow!("{e}"))?.push(id);
                    if w == 0 {
                        let note = format!("进展 {i}");
                        cli.json(&["suggestion", "progress", &seed, "--note", &note])?;
                        acked.progress.fetch_add(1, Ordering::SeqCst);
                    }
                }
                Ok(())
            })
        })
        .collect();
    (acked, handles)
}

/// A suggestion at hezhou shared with qingyuan, dispatched, and seen at qingyuan.
fn seed(hzc: &Cli, qy: &NodeProc) -> Result<String> {
    let seed = create_suggestion(hzc, "突发写入种子", &["qingyuan"])?;
    hzc.json(&[
        "suggestion",
        "dispatch",
        &seed,
        "--unit",
        "贺州市交通运输局",
        "--deadline",
        "2027-03-01",
    ])?;
    wait_for(
        &qy.cli("viewer"),
        &seed,
        REPL,
        "the seed at qingyuan",
        |v| v["status"] == "dispatched",
    )?;
    Ok(seed)
}

/// Waits until `acked` has at least `n` records.
fn wait_acked(acked: &Acked, n: usize) -> Result<()> {
    eventually_every(
        REPL,
        Duration::from_millis(20),
        "acknowledged writes",
        || (acked.records().len() >= n).then_some(()),
    )
}

/// Every record either node lists has converged at both, with no duplicated event and
/// no rejected one; returns the ids.
fn all_converged(hzc: &Cli, qyc: &Cli) -> Result<BTreeSet<String>> {
    let both = [("hezhou", hzc), ("qingyuan", qyc)];
    let (lh, lq) = (list_all(hzc)?, list_all(qyc)?);
    assert_eq!(
        lh.keys().collect::<Vec<_>>(),
        lq.keys().collect::<Vec<_>>(),
        "both list the same records"
    );
    for id in lh.keys() {
        let v = converged(&both, id, REPL, |_| true)?;
        assert_eq!(
            v.history.len(),
            v.history_len,
            "{id}: duplicated event: {v:?}"
        );
        assert!(v.rejected().is_empty(), "{id}: {v:?}");
    }
    Ok(lh.into_keys().collect())
}

#[test]
fn sigkilled_peer_gets_every_acknowledged_event_once() -> Result<()> {
    let fed = Federation::init()?;
    let hz = fed.start("hezhou")?;
    let mut qy = fed.start("qingyuan")?;
    let hzc = hz.cli("coordinator");
    let seed = seed(&hzc, &qy)?;

    let (threads, per) = (4, 6);
    let (acked, writers) = write_burst(&hzc, &seed, threads, per);
    wait_acked(&acked, 6)?;
    qy.kill();
    let at_kill = acked.records().len();
    for w in writers {
        w.join().map_err(|_| anyhow!("writer panicked"))??;
    }
    assert!(
        at_kill < threads * per,
        "the kill must fall inside the burst ({at_kill})"
    );

    let qy = fed.start("qingyuan")?;
    let qyc = qy.cli("viewer");
    let mut want: BTreeSet<String> = acked.records().into_iter().collect();
    want.insert(seed.clone());
    assert_eq!(want.len(), threads * per + 1);
    eventually_every(REPL, POLL, "every acknowledged record at qingyuan", || {
        let have: BTreeSet<String> = list_all(&qyc).ok()?.into_keys().collect();
        want.is_subset(&have).then_some(())
    })?;
    let ids = all_converged(&hzc, &qyc)?;
    assert_eq!(ids, want, "nothing more, nothing less");
    let both = [("hezhou", &hzc), ("qingyuan", &qyc)];
    let seed_view = converged(&both, &seed, REPL, |_| true)?;
    assert_eq!(
        seed_view.history_len,
        2 + per,
        "seed: create, dispatch, {per} progress"
    );
    no_panics(&fed)
}

#[test]
#[allow(clippy::int_plus_one)] // spelled out: the parts of the history
fn writer_sigkilled_mid_burst_still_replicates_every_acknowledged_event() -> Result<()> {
    let fed = Federation::init()?;
    let mut hz = fed.start("hezhou")?;
    let qy = fed.start("qingyuan")?;
    let (hzc, qyc) = (hz.cli("coordinator"), qy.cli("viewer"));
    let seed = seed(&hzc, &qy)?;

    let (threads, per) = (4, 8);
    let (acked, writers) = write_burst(&hzc, &seed, threads, per);
    wait_acked(&acked, 8)?;
    hz.kill();
    for w in writers {
        // Writers fail once their node is gone; what they had acknowledged counts.
        let _ = w.join().map_err(|_| anyhow!("writer panicked"))?;
    }
    let (records, progress) = (acked.records(), acked.progress.load(Ordering::SeqCst));
    assert!(
        records.len() < threads * per,
        "the kill must fall inside the burst"
    );

    // After the restart the writer's log goes on from its durable head: what it writes now
    // must reach the peer too (no seq the peer has seen may be reused for a new event).
    let hz = fed.start("hezhou")?;
    let hzc = hz.cli("coordinator");
    let mut after = Vec::new();
    for i in 0..3 {
        after.push(create_suggestion(
            &hzc,
            &format!("重启后建议 {i}"),
            &["qingyuan"],
        )?);
    }
    hzc.json(&["suggestion", "progress", &seed, "--note", "重启后进展"])?;
    for id in records.iter().chain(&after) {
        wait_for(&qyc, id, REPL, "an acknowledged record at qingyuan", |_| {
            true
        })?;
    }
    let both = [("hezhou", &hzc), ("qingyuan", &qyc)];
    let v = converged(&both, &seed, REPL, |v| {
        // create, dispatch, the acknowledged progress, the one after the restart
        v.history_len >= 2 + progress + 1
    })?;
    assert_eq!(v.history.len(), v.history_len, "{v:?}");
    let ids = all_converged(&hzc, &qyc)?;
    let mut want: BTreeSet<String> = records.into_iter().chain(after).collect();
    want.insert(seed);
    assert!(want.is_subset(&ids), "missing: {:?}", want.difference(&ids));
    no_panics(&fed)
}

#[test]
fn node_restored_from_an_old_backup_is_refilled_by_its_peer() -> Result<()> {
    let fed = Federation::init()?;
    let mut hz = fed.start("hezhou")?;
    let qy = fed.start("qingyuan")?;
    let qyc = qy.cli("viewer");
    let mut old = Vec::new();
    for i in 0..3 {
        old.push(create_suggestion(
            &hz.cli("coordinator"),
            &format!("备份前建议 {i}"),
            &["qingyuan"],
        )?);
    }
    for id in &old {
        wait_for(&qyc, id, REPL, "an old record at qingyuan", |_| true)?;
    }
    assert!(hz.stop()?, "hezhou stops cleanly");
    let config = fed.node_config("hezhou");
    let config = config
        .to_str()
        .ok_or_else(|| anyhow!("non-UTF-8 temp path"))?;
    let backup = fed.dir().join("hezhou-old.backup");
    let backup = backup
        .to_str()
        .ok_or_else(|| anyhow!("non-UTF-8 temp path"))?;
    run_ok(&["backup", "--config", config, "--out", backup])?;

    let mut hz = fed.start("hezhou")?;
    let mut new = Vec::new();
    for i in 0..3 {
        new.push(create_suggestion(
            &hz.cli("coordinator"),
            &format!("备份后建议 {i}"),
            &["qingyuan"],
        )?);
    }
    let progressed = old[0].clone();
    hz.cli("coordinator").json(&[
        "suggestion",
        "dispatch",
        &progressed,
        "--unit",
        "贺州市水利局",
        "--deadline",
        "2027-01-31",
    ])?;
    for id in &new {
        wait_for(&qyc, id, REPL, "a new record at qingyuan", |_| true)?;
    }
    wait_for(&qyc, &progressed, REPL, "the dispatch at qingyuan", |v| {
        v["status"] == "dispatched"
    })?;
    let old_log = cursor_log_id(&qyc)?;
    assert!(hz.stop()?, "hezhou stops cleanly");
    run_ok(&["restore", "--config", config, "--from", backup, "--force"])?;

    // Qingyuan's cursor in hezhou's log is at the head it had before the restore; the
    // restored log is shorter by the events written after the backup. Qingyuan must not
    // reconnect until the restored node has written past that cursor: had the restored
    // log kept its log_id (same epoch), qingyuan would resume after its old cursor and
    // never ask for the first of these writes, which reuse the old seqs.
    let (hz, after) =
        restart_behind_cut_and_write(&fed, "hezhou", "qingyuan", "恢复后建议", new.len() + 2)?;
    let hzc = hz.cli("coordinator");
    let both = [("hezhou", &hzc), ("qingyuan", &qyc)];
    arrives_once(&both, &after)?;
    // And the restored node is brought up to date with what its backup lacked.
    for id in old.iter().chain(&new) {
        let v = converged(&both, id, REPL, |_| true)?;
        assert_eq!(
            v.history.len(),
            v.history_len,
            "{id} has a duplicated event: {v:?}"
        );
        let want = if *id == progressed { 2 } else { 1 };
        assert_eq!(v.history_len, want, "{id}: {v:?}");
    }
    let (lh, lq) = (list_all(&hzc)?, list_all(&qyc)?);
    assert_eq!(
        lh.len(),
        old.len() + new.len() + after.len(),
        "{:?}",
        lh.keys()
    );
    assert_eq!(lh.keys().collect::<Vec<_>>(), lq.keys().collect::<Vec<_>>());
    let new_log = cursor_log_id(&qyc)?;
    assert_ne!(new_log, old_log, "the restored log kept its log_id");
    no_panics(&fed)
}

/// The log_id of qingyuan's cursor in hezhou's log (`peers --json` at qingyuan).
fn cursor_log_id(qyc: &Cli) -> Result<String> {
    let peers = qyc.json(&["peers"])?;
    let hezhou = peers
        .as_array()
        .and_then(|a| a.iter().find(|p| p["city"] == "hezhou"))
        .ok_or_else(|| anyhow!("no hezhou in qingyuan's peers: {peers}"))?;
    let id = hezhou["cursor_log_id"].as_str().unwrap_or_default();
    anyhow::ensure!(!id.is_empty(), "no cursor_log_id: {hezhou}");
    Ok(id.to_string())
}

#[test]
fn wiped_node_is_refilled_by_its_peer_and_replicates_again() -> Result<()> {
    let fed = Federation::init()?;
    let mut hz = fed.start("hezhou")?;
    let qy = fed.start("qingyuan")?;
    let (hzc, qyc) = (hz.cli("coordinator"), qy.cli("coordinator"));
    let mine = create_suggestion(&hzc, "贺州发起的建议", &["qingyuan"])?;
    let theirs = create_suggestion(&qyc, "清远发起的建议", &["hezhou"])?;
    wait_for(&hzc, &theirs, REPL, "qingyuan's record at hezhou", |_| true)?;
    hzc.json(&[
        "suggestion",
        "dispatch",
        &theirs,
        "--unit",
        "贺州市林业局",
        "--deadline",
        "2027-05-01",
    ])?;
    let before = all_converged_with(&hzc, &qyc, &[&mine, &theirs])?;

    assert!(hz.stop()?, "hezhou stops cleanly");
    std::fs::remove_dir_all(fed.data_dir("hezhou"))?;
    let hz = fed.start("hezhou")?;
    let hzc = hz.cli("coordinator");
    // Everything comes back from qingyuan, hezhou's own events included.
    let after = all_converged_with(&hzc, &qyc, &[&mine, &theirs])?;
    assert_eq!(after, before);
    // The wiped node has a new log: what it writes now still reaches qingyuan.
    let (_, ev) = lianluo_tests::check::act(
        &hzc,
        &["suggestion", "progress", &theirs, "--note", "清理后进展"],
    )?;
    let new = create_suggestion(&hzc, "清理后建议", &["qingyuan"])?;
    let both = [("hezhou", &hzc), ("qingyuan", &qyc)];
    converged(&both, &theirs, REPL, |v| v.history.contains_key(&ev))?;
    converged(&both, &new, REPL, |_| true)?;
    assert_eq!(all_converged(&hzc, &qyc)?.len(), 3);
    no_panics(&fed)
}

/// Waits until `ids` have converged at both nodes, then checks every listed record;
/// returns the views of `ids`.
fn all_converged_with(
    hzc: &Cli,
    qyc: &Cli,
    ids: &[&str],
) -> Result<Vec<lianluo_tests::check::View>> {
    let both = [("hezhou", hzc), ("qingyuan", qyc)];
    let views = ids
        .iter()
        .map(|id| converged(&both, id, REPL, |_| true))
        .collect::<Result<Vec<_>>>()?;
    all_converged(hzc, qyc)?;
    Ok(views)
}
