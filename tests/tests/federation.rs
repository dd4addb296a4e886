//! Federation guarantees, proved with real `lianluo node` processes, real TLS and real
//! disk: records reach exactly their participants, concurrent acts converge, a SIGKILLed
//! node catches up without duplicates, a cut link is bridged by relay, a node restored
//! from an old backup is re-filled by its peers, and `peers --json` reports the links.
//!
//! Every federation link runs through a proxy of the harness (`Federation::cut`/`heal`).

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{anyhow, ensure, Result};
use lianluo_tests::check::{converged, files_containing, id_of, list_all, wait_for, View, POLL};
use lianluo_tests::{eventually_every, lianluo, Cli, Federation};
use serde_json::Value;

/// Longest wait for one replication step (generous: 2 cores, tests run side by side).
const REPL: Duration = Duration::from_secs(30);

/// Creates a suggestion at `cli`'s node shared with `partners`; returns its id.
fn suggestion(cli: &Cli, title: &str, partners: &[&str]) -> Result<String> {
    let mut args = vec!["suggestion", "create", "--title", title, "--body", "正文"];
    for p in partners {
        args.extend(["--partner", p]);
    }
    let rec = cli.json(&args)?;
    let id = id_of(&rec);
    ensure!(!id.is_empty(), "create printed no id: {rec}");
    Ok(id)
}

/// The `show` error at `cli`'s node for `id` (which must fail).
fn show_fails(cli: &Cli, id: &str) -> Result<String> {
    cli.fails(&["show", id])
}

#[test]
fn record_reaches_its_partner_and_never_a_third_city() -> Result<()> {
    let fed = Federation::init()?;
    let hz = fed.start("hezhou")?;
    let qy = fed.start("qingyuan")?;
    let mut yz = fed.start("yongzhou")?;
    let (hzc, qyc, yzc) = (
        hz.cli("coordinator"),
        qy.cli("coordinator"),
        yz.cli("viewer"),
    );

    let secret_title = "贺州清远两市联合督办：仅限两市的建议";
    let secret = suggestion(&hzc, secret_title, &["qingyuan"])?;
    let at_qy = wait_for(&qyc, &secret, REPL, "the record at qingyuan", |_| true)?;
    assert_eq!(at_qy["title"], secret_title);
    assert_eq!(
        at_qy["participants"],
        serde_json::json!(["hezhou", "qingyuan"])
    );
    converged(
        &[("hezhou", &hzc), ("qingyuan", &qyc)],
        &secret,
        REPL,
        |_| true,
    )?;

    // Sentinels created after the secret one, shared with yongzhou, from both cities that
    // hold it: once they arrive, both streams to yongzhou have gone past the secret record.
    let s1 = suggestion(&hzc, "贺州永州哨兵记录", &["yongzhou"])?;
    let s2 = suggestion(&qyc, "清远永州哨兵记录", &["yongzhou"])?;
    for s in [&s1, &s2] {
        wait_for(&yzc, s, REPL, "a sentinel at yongzhou", |_| true)?;
    }
    let err = show_fails(&yzc, &secret)?;
    assert!(err.contains("not found"), "show at yongzhou: {err}");
    let listed = list_all(&yzc)?;
    assert!(!listed.contains_key(&secret), "yongzhou lists {secret}");
    assert!(listed.contains_key(&s1) && listed.contains_key(&s2));
    // Qingyuan holds it (and so could have relayed it), yet yongzhou never got it.
    assert!(list_all(&qyc)?.contains_key(&secret));

    assert!(yz.stop()?, "yongzhou stops cleanly; log:\n{}", yz.log());
    let dir = fed.data_dir("yongzhou");
    ensure!(
        !files_containing(&dir, s1.as_bytes())?.is_empty(),
        "the scan must find the sentinel, or it proves nothing"
    );
    for needle in [secret.as_bytes(), secret_title.as_bytes()] {
        let hits = files_containing(&dir, needle)?;
        assert!(hits.is_empty(), "yongzhou stored {secret} in {hits:?}");
    }
    Ok(())
}

/// Reports a dispute at hezhou shared with qingyuan and brings it to `mediating`.
fn mediating_dispute(hzc: &Cli) -> Result<String> {
    let rec = hzc.json(&[
        "dispute",
        "report",
        "--title",
        "两县交界山林权属争议",
        "--description",
        "双方对交界处杉木林权属存在争议",
        "--party",
        "贺州市八步区某村",
        "--party",
        "清远市连山县某村",
        "--partner",
        "qingyuan",
    ])?;
    let id = id_of(&rec);
    hzc.json(&[
        "dispute",
        "session",
        &id,
        "--date",
        "2026-05-01",
        "--place",
        "联合调解室",
        "--attendee",
        "张调解员",
        "--summary",
        "双方陈述各自依据",
    ])?;
    Ok(id)
}

#[test]
fn concurrent_conflicting_acts_converge_the_same_way_everywhere() -> Result<()> {
    let fed = Federation::init()?;
    let hz = fed.start("hezhou")?;
    let qy = fed.start("qingyuan")?;
    let (hzc, qyc) = (hz.cli("coordinator"), qy.cli("coordinator"));
    let both = [("hezhou", &hzc), ("qingyuan", &qyc)];
    let id = mediating_dispute(&hzc)?;
    let before = converged(&both, &id, REPL, |v| v.status == "mediating")?;

    fed.cut("hezhou", "qingyuan");
    // Agreement and escalation both need `mediating`: whichever the fold puts first wins,
    // the other is rejected.
    let a = hzc.json(&[
        "dispute",
        "agree",
        &id,
        "--terms",
        "以山脊线为界，林木各归其主",
    ])?;
    let e = qyc.json(&[
        "dispute",
        "escalate",
        &id,
        "--to",
        "省人民政府",
        "--reason",
        "涉及省界，需上级裁决",
    ])?;
    assert_eq!(a["status"], "agreed");
    assert_eq!(
        e["status"], "escalated",
        "the cut must keep the acts concurrent"
    );
    let new_ids = |v: &Value| -> BTreeSet<String> {
        View::of(v)
            .event_ids()
            .difference(&before.event_ids())
            .cloned()
            .collect()
    };
    let (agree_id, escalate_id) = (one(new_ids(&a))?, one(new_ids(&e))?);

    fed.heal("hezhou", "qingyuan");
    let after = converged(&both, &id, REPL, |v| {
        v.history.contains_key(&agree_id) && v.history.contains_key(&escalate_id)
    })?;
    assert_eq!(after.history_len, before.history_len + 2, "{after:?}");
    assert_eq!(after.heads, sorted([agree_id.clone(), escalate_id.clone()]));
    let rejected = after.rejected();
    assert_eq!(
        rejected.len(),
        1,
        "exactly one of the two acts applies: {after:?}"
    );
    let winner = if rejected.contains(&agree_id) {
        "escalated"
    } else {
        "agreed"
    };
    assert_eq!(after.status, winner);
    assert_eq!(after.version, before.version + 1);
    for (id, (_, reason)) in after
        .history
        .iter()
        .filter(|(id, _)| rejected.contains(*id))
    {
        assert!(!reason.is_empty(), "rejected {id} names no reason");
    }
    Ok(())
}

fn one(set: BTreeSet<String>) -> Result<String> {
    ensure!(
        set.len() == 1,
        "expected exactly one new event, got {set:?}"
    );
    set.into_iter().next().ok_or_else(|| anyhow!("empty"))
}

fn sorted<const N: usize>(mut v: [String; N]) -> Vec<String> {
    v.sort();
    v.to_vec()
}

/// Records acknowledged at the writer's node: (id, title).
type Acked = Arc<Mutex<Vec<String>>>;

/// Starts `threads` writers at `cli`, each creating `per` suggestions shared with
/// qingyuan; writer 0 also records progress on `seed` after each.
fn write_burst(
    cli: &Cli,
    seed: &str,
    threads: usize,
    per: usize,
) -> (Acked, Vec<std::thread::JoinHandle<Result<()>>>) {
    let acked: Acked = Arc::default();
    let handles = (0..threads)
        .map(|w| {
            let (cli, acked, seed) = (cli.clone(), acked.clone(), seed.to_string());
            std::thread::spawn(move || -> Result<()> {
                for i in 0..per {
                    let id = suggestion(&cli, &format!("突发写入 {w}-{i}"), &["qingyuan"])?;
                    acked.lock().map_err(|e| anyhow!("{e}"))?.push(id);
                    if w == 0 {
                        let note = format!("进展 {i}");
                        cli.json(&["suggestion", "progress", &seed, "--note", &note])?;
                    }
                }
                Ok(())
            })
        })
        .collect();
    (acked, handles)
}

#[test]
fn sigkilled_peer_gets_every_acknowledged_event_once() -> Result<()> {
    let fed = Federation::init()?;
    let hz = fed.start("hezhou")?;
    let mut qy = fed.start("qingyuan")?;
    let hzc = hz.cli("coordinator");
    let seed = suggestion(&hzc, "突发写入种子", &["qingyuan"])?;
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
        |_| true,
    )?;

    let (threads, per) = (4, 6);
    let (acked, writers) = write_burst(&hzc, &seed, threads, per);
    let count = || acked.lock().map(|a| a.len()).unwrap_or_default();
    eventually_every(
        REPL,
        Duration::from_millis(20),
        "a few acknowledged writes",
        || (count() >= 6).then_some(()),
    )?;
    qy.kill();
    let at_kill = count();
    for w in writers {
        w.join().map_err(|_| anyhow!("writer panicked"))??;
    }
    assert!(
        at_kill < threads * per,
        "the kill must fall inside the burst ({at_kill})"
    );

    let qy = fed.start("qingyuan")?;
    let qyc = qy.cli("viewer");
    let acked = acked.lock().map_err(|e| anyhow!("{e}"))?.clone();
    let mut want: BTreeSet<String> = acked.iter().cloned().collect();
    want.insert(seed.clone());
    assert_eq!(want.len(), threads * per + 1);
    eventually_every(REPL, POLL, "every acknowledged record at qingyuan", || {
        let have: BTreeSet<String> = list_all(&qyc).ok()?.into_keys().collect();
        want.is_subset(&have).then_some(())
    })?;
    let both = [("hezhou", &hzc), ("qingyuan", &qyc)];
    let seed_view = converged(&both, &seed, REPL, |_| true)?;
    assert_eq!(
        seed_view.history_len,
        2 + per,
        "seed: create, dispatch, {per} progress"
    );
    assert_eq!(seed_view.history.len(), seed_view.history_len);
    for id in &acked {
        let v = converged(&both, id, REPL, |_| true)?;
        assert_eq!((v.history_len, v.history.len()), (1, 1), "{id}: {v:?}");
    }
    let (lh, lq) = (list_all(&hzc)?, list_all(&qyc)?);
    assert_eq!(lh.len(), want.len());
    assert_eq!(lh.keys().collect::<Vec<_>>(), lq.keys().collect::<Vec<_>>());
    Ok(())
}

#[test]
fn records_of_all_three_converge_through_qingyuan_when_a_link_is_cut() -> Result<()> {
    let fed = Federation::init()?;
    fed.cut("hezhou", "yongzhou");
    let hz = fed.start("hezhou")?;
    let qy = fed.start("qingyuan")?;
    let yz = fed.start("yongzhou")?;
    let (hzc, qyc, yzc) = (
        hz.cli("coordinator"),
        qy.cli("coordinator"),
        yz.cli("coordinator"),
    );
    let all = [("hezhou", &hzc), ("qingyuan", &qyc), ("yongzhou", &yzc)];

    let id = suggestion(
        &hzc,
        "三市共建萌渚岭生态廊道的建议",
        &["qingyuan", "yongzhou"],
    )?;
    wait_for(
        &yzc,
        &id,
        REPL,
        "the record at yongzhou via qingyuan",
        |_| true,
    )?;
    let rec = yzc.json(&[
        "suggestion",
        "dispatch",
        &id,
        "--unit",
        "永州市林业局",
        "--deadline",
        "2027-06-30",
    ])?;
    let dispatched = View::of(&rec);
    let act = one(dispatched.heads.iter().cloned().collect())?;
    let v = converged(&all, &id, REPL, |v| v.history.contains_key(&act))?;
    assert_eq!(v.history_len, 2);
    assert!(v.rejected().is_empty(), "{v:?}");
    assert_eq!(v.status, "dispatched");
    assert_eq!(v.participants, ["hezhou", "qingyuan", "yongzhou"]);
    for (a, b) in [("hezhou", "yongzhou"), ("yongzhou", "hezhou")] {
        let link = fed.link(a, b).ok_or_else(|| anyhow!("no link {a}->{b}"))?;
        assert_eq!(
            link.live_connections(),
            0,
            "{a}->{b} carried traffic while cut"
        );
    }
    Ok(())
}

/// Runs `lianluo ARGS` and requires success.
fn run_ok(args: &[&str]) -> Result<()> {
    lianluo_tests::check_ok(&lianluo(args), &args.join(" "))
}

#[test]
fn node_restored_from_an_old_backup_is_refilled_by_its_peer() -> Result<()> {
    let fed = Federation::init()?;
    let mut hz = fed.start("hezhou")?;
    let qy = fed.start("qingyuan")?;
    let qyc = qy.cli("viewer");
    let mut old = Vec::new();
    for i in 0..3 {
        old.push(suggestion(
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
        new.push(suggestion(
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
    assert!(hz.stop()?, "hezhou stops cleanly");
    run_ok(&["restore", "--config", config, "--from", backup, "--force"])?;

    let hz = fed.start("hezhou")?;
    let hzc = hz.cli("coordinator");
    let both = [("hezhou", &hzc), ("qingyuan", &qyc)];
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
    // The restored node writes again, and its peer takes the new events (new log epoch).
    let after = suggestion(&hzc, "恢复后建议", &["qingyuan"])?;
    converged(&both, &after, REPL, |_| true)?;
    let (lh, lq) = (list_all(&hzc)?, list_all(&qyc)?);
    assert_eq!(lh.len(), 7, "{:?}", lh.keys());
    assert_eq!(lh.keys().collect::<Vec<_>>(), lq.keys().collect::<Vec<_>>());
    Ok(())
}

/// `peers --json` at `cli`'s node: city → (connected, lag).
fn peers(cli: &Cli) -> Result<Vec<(String, bool, u64)>> {
    let v = cli.json(&["peers"])?;
    let items = v
        .as_array()
        .ok_or_else(|| anyhow!("peers --json is not a list: {v}"))?;
    let mut out: Vec<(String, bool, u64)> = items
        .iter()
        .map(|p| {
            let city = p["city"].as_str().unwrap_or_default().to_string();
            let lag = p["lag"].as_u64().unwrap_or(u64::MAX);
            (city, p["connected"].as_bool().unwrap_or_default(), lag)
        })
        .collect();
    out.sort();
    Ok(out)
}

#[test]
fn peers_json_shows_both_peers_connected_with_no_lag_once_idle() -> Result<()> {
    let fed = Federation::init()?;
    let nodes = ["hezhou", "qingyuan", "yongzhou"]
        .map(|c| fed.start(c))
        .into_iter()
        .collect::<Result<Vec<_>>>()?;
    let clis: Vec<Cli> = nodes.iter().map(|n| n.cli("admin")).collect();
    suggestion(
        &nodes[0].cli("coordinator"),
        "三市共享建议",
        &["qingyuan", "yongzhou"],
    )?;
    suggestion(&nodes[1].cli("coordinator"), "清远贺州建议", &["hezhou"])?;
    for (node, cli) in nodes.iter().zip(&clis) {
        let want: Vec<(String, bool, u64)> = ["hezhou", "qingyuan", "yongzhou"]
            .iter()
            .filter(|c| **c != node.city)
            .map(|c| (c.to_string(), true, 0))
            .collect();
        let mut last = None;
        let got = eventually_every(REPL, POLL, &format!("{}'s peers idle", node.city), || {
            last = Some(peers(cli));
            matches!(&last, Some(Ok(p)) if *p == want).then_some(())
        });
        got.map_err(|e| anyhow!("{e}; last `peers --json`: {last:?}"))?;
    }
    // A cut link shows as disconnected at both ends.
    fed.cut("hezhou", "yongzhou");
    for (i, peer) in [(0, "yongzhou"), (2, "hezhou")] {
        eventually_every(REPL, POLL, &format!("{peer} disconnected"), || {
            let p = peers(&clis[i]).ok()?;
            p.iter()
                .any(|(c, connected, _)| c == peer && !connected)
                .then_some(())
        })?;
    }
    Ok(())
}
