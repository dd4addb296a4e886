//! Federation guarantees, proved with real `lianluo node` processes, real TLS and real
//! disk: records reach exactly their participants (also a city added later, through a
//! relay), concurrent acts converge the same way everywhere, a cut link is bridged by
//! relay, and `peers --json` reports the links. Crash and restore recovery:
//! `federation_recovery.rs`.
//!
//! Every federation link runs through a proxy of the harness (`Federation::cut`/`heal`).

use anyhow::{anyhow, ensure, Result};
use lianluo_tests::check::{
    act, converged, create_suggestion, files_containing, list_all, no_panics, only, wait_for, View,
    POLL, REPL,
};
use lianluo_tests::{eventually_every, Cli, Federation};

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
    let secret = create_suggestion(&hzc, secret_title, &["qingyuan"])?;
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
    let s1 = create_suggestion(&hzc, "贺州永州哨兵记录", &["yongzhou"])?;
    let s2 = create_suggestion(&qyc, "清远永州哨兵记录", &["yongzhou"])?;
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
    no_panics(&fed)
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
    let id = lianluo_tests::check::id_of(&rec);
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

/// Each city dispatches its own part of suggestion `id`, reports progress and answers
/// it; returns the three event ids.
fn work_a_part(cli: &Cli, id: &str, city: &str) -> Result<Vec<String>> {
    let unit = format!("{city}交通运输局");
    let progress = format!("{city}段已完成勘察");
    let answer = format!("{city}段已列入年度计划");
    let steps: [&[&str]; 3] = [
        &[
            "suggestion",
            "dispatch",
            id,
            "--unit",
            &unit,
            "--deadline",
            "2027-06-30",
        ],
        &["suggestion", "progress", id, "--note", &progress],
        &["suggestion", "answer", id, "--answer", &answer],
    ];
    steps.iter().map(|a| act(cli, a).map(|(_, e)| e)).collect()
}

#[test]
fn concurrent_acts_converge_the_same_way_everywhere() -> Result<()> {
    let fed = Federation::init()?;
    let hz = fed.start("hezhou")?;
    let qy = fed.start("qingyuan")?;
    let (hzc, qyc) = (hz.cli("coordinator"), qy.cli("coordinator"));
    let both = [("hezhou", &hzc), ("qingyuan", &qyc)];
    let (d1, d2) = (mediating_dispute(&hzc)?, mediating_dispute(&hzc)?);
    let sug = create_suggestion(&hzc, "两市共同打通省际断头路的建议", &["qingyuan"])?;
    let mut before = Vec::new();
    for (id, status) in [(&d1, "mediating"), (&d2, "mediating"), (&sug, "submitted")] {
        before.push(converged(&both, id, REPL, |v| v.status == status)?);
    }

    fed.cut("hezhou", "qingyuan");
    let at_cut = fed.forwarded("hezhou", "qingyuan");
    let terms = [
        "dispute",
        "agree",
        "",
        "--terms",
        "以山脊线为界，林木各归其主",
    ];
    // d1: agreement and escalation both need `mediating`: whichever the fold puts first
    // applies, the other is rejected.
    let (a1, agree1) = act(&hzc, &with_id(&terms, &d1))?;
    let (e1, escalate1) = act(
        &qyc,
        &[
            "dispute",
            "escalate",
            &d1,
            "--to",
            "省人民政府",
            "--reason",
            "涉及省界",
        ],
    )?;
    assert_eq!(
        (&a1["status"], &e1["status"]),
        (&"agreed".into(), &"escalated".into())
    );
    // d2: agreement then failure both apply; failure then agreement rejects the agreement.
    let (_, agree2) = act(&hzc, &with_id(&terms, &d2))?;
    let (f2, fail2) = act(&qyc, &["dispute", "fail", &d2, "--reason", "双方分歧过大"])?;
    assert_eq!(f2["status"], "failed");
    // sug: two concurrent branches of three compatible acts each.
    let mut branch_events = work_a_part(&hzc, &sug, "hezhou")?;
    branch_events.extend(work_a_part(&qyc, &sug, "qingyuan")?);
    assert_eq!(
        fed.forwarded("hezhou", "qingyuan"),
        at_cut,
        "a connection got through the cut"
    );
    fed.heal("hezhou", "qingyuan");

    let has = |ids: Vec<String>| move |v: &View| ids.iter().all(|e| v.history.contains_key(e));
    let v1 = converged(
        &both,
        &d1,
        REPL,
        has(vec![agree1.clone(), escalate1.clone()]),
    )?;
    assert_eq!(v1.history_len, before[0].history_len + 2, "{v1:?}");
    assert_eq!(v1.heads, sorted([agree1.clone(), escalate1.clone()]));
    let rejected = v1.rejected();
    assert_eq!(
        rejected.len(),
        1,
        "exactly one of the two acts applies: {v1:?}"
    );
    let winner = if rejected.contains(&agree1) {
        "escalated"
    } else {
        "agreed"
    };
    assert_eq!(
        (v1.status.as_str(), v1.version),
        (winner, before[0].version + 1)
    );
    for (id, (_, reason)) in v1.history.iter().filter(|(id, _)| rejected.contains(*id)) {
        assert!(!reason.is_empty(), "rejected {id} names no reason");
    }

    let v2 = converged(&both, &d2, REPL, has(vec![agree2.clone(), fail2.clone()]))?;
    assert_eq!(v2.status, "failed", "{v2:?}");
    let rejected = v2.rejected();
    assert!(rejected.is_subset(&[agree2].into()), "{v2:?}");
    let applied = 2 - rejected.len() as u64;
    assert_eq!(v2.version, before[1].version + applied, "{v2:?}");

    let v3 = converged(&both, &sug, REPL, has(branch_events))?;
    assert_eq!((v3.history_len, v3.version), (7, 7), "{v3:?}");
    assert!(v3.rejected().is_empty(), "{v3:?}");
    assert_eq!(v3.status, "answered", "every part is answered: {v3:?}");
    let rec = hzc.json(&["show", &sug])?;
    let parts = rec["suggestion"]["parts"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let mut cities: Vec<_> = parts.iter().map(|p| p["city"].clone()).collect();
    cities.sort_by_key(|c| c.to_string());
    assert_eq!(cities, ["hezhou", "qingyuan"], "{parts:?}");
    for p in &parts {
        assert_eq!(
            (&p["status"], p["progress"].as_array().map(Vec::len)),
            (&"answered".into(), Some(1)),
            "{p}"
        );
    }
    no_panics(&fed)
}

/// `args` with the empty third argument replaced by `id`.
fn with_id<'a>(args: &[&'a str], id: &'a str) -> Vec<&'a str> {
    args.iter()
        .map(|a| if a.is_empty() { id } else { *a })
        .collect()
}

fn sorted<const N: usize>(mut v: [String; N]) -> Vec<String> {
    v.sort();
    v.to_vec()
}

#[test]
fn records_of_all_three_converge_through_qingyuan_when_a_link_is_cut() -> Result<()> {
    let fed = Federation::init()?;
    fed.cut("hezhou", "yongzhou");
    let at_cut = fed.forwarded("hezhou", "yongzhou");
    let hz = fed.start("hezhou")?;
    let qy = fed.start("qingyuan")?;
    let yz = fed.start("yongzhou")?;
    let (hzc, qyc, yzc) = (
        hz.cli("coordinator"),
        qy.cli("coordinator"),
        yz.cli("coordinator"),
    );
    let all = [("hezhou", &hzc), ("qingyuan", &qyc), ("yongzhou", &yzc)];

    let id = create_suggestion(
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
    let act = only(dispatched.heads)?;
    let v = converged(&all, &id, REPL, |v| v.history.contains_key(&act))?;
    assert_eq!(v.history_len, 2);
    assert!(v.rejected().is_empty(), "{v:?}");
    assert_eq!(v.status, "dispatched");
    assert_eq!(v.participants, ["hezhou", "qingyuan", "yongzhou"]);
    assert_eq!(
        fed.forwarded("hezhou", "yongzhou"),
        at_cut,
        "a connection got through the cut"
    );
    let (hq, qh) = fed.forwarded("hezhou", "qingyuan");
    assert!(hq > 0 && qh > 0, "the relay links counted nothing");
    no_panics(&fed)
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
    create_suggestion(
        &nodes[0].cli("coordinator"),
        "三市共享建议",
        &["qingyuan", "yongzhou"],
    )?;
    create_suggestion(&nodes[1].cli("coordinator"), "清远贺州建议", &["hezhou"])?;
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
    no_panics(&fed)
}

/// Registers a station at hezhou shared with qingyuan; returns its id.
fn station(hzc: &Cli, name: &str) -> Result<String> {
    let rec = hzc.json(&[
        "station",
        "register",
        "--name",
        name,
        "--township",
        "桂岭镇",
        "--county",
        "八步区",
        "--partner",
        "qingyuan",
    ])?;
    Ok(lianluo_tests::check::id_of(&rec))
}

/// Adds yongzhou to station `id` at hezhou once yongzhou's stream from `via` has gone
/// past the station's creation (filtered out for yongzhou then); all three converge.
fn add_yongzhou(all: &[(&str, &Cli); 3], id: &str, via: &Cli, tag: &str) -> Result<()> {
    let [(_, hzc), (_, qyc), (_, yzc)] = all;
    wait_for(qyc, id, REPL, "the station at qingyuan", |_| true)?;
    let sentinel = create_suggestion(via, &format!("{tag}永州哨兵"), &["yongzhou"])?;
    wait_for(yzc, &sentinel, REPL, "the sentinel at yongzhou", |_| true)?;
    ensure!(yzc.fails(&["show", id])?.contains("not found"));
    act(hzc, &["station", "add-partner", id, "--city", "yongzhou"])?;
    let v = converged(all, id, REPL, |v| v.participants.len() == 3)?;
    assert_eq!((v.history_len, v.version), (2, 2), "{id}: {v:?}");
    assert_eq!(v.participants, ["hezhou", "qingyuan", "yongzhou"]);
    assert!(v.rejected().is_empty(), "{v:?}");
    Ok(())
}

#[test]
fn a_city_added_later_gets_the_whole_record_also_through_a_relay() -> Result<()> {
    let fed = Federation::init()?;
    let nodes = ["hezhou", "qingyuan", "yongzhou"]
        .map(|c| fed.start(c))
        .into_iter()
        .collect::<Result<Vec<_>>>()?;
    let [hzc, qyc, yzc] = [0, 1, 2].map(|i| nodes[i].cli("coordinator"));
    let all = [("hezhou", &hzc), ("qingyuan", &qyc), ("yongzhou", &yzc)];
    let linked = station(&hzc, "桂岭镇湘粤桂人大代表联络站")?;
    add_yongzhou(&all, &linked, &hzc, "贺州")?;

    // Hezhou–yongzhou cut: only qingyuan can bring yongzhou the station's creation, which
    // it filtered out of yongzhou's stream before.
    fed.cut("hezhou", "yongzhou");
    let at_cut = fed.forwarded("hezhou", "yongzhou");
    let relayed = station(&hzc, "开山镇三省人大代表联络站")?;
    add_yongzhou(&all, &relayed, &qyc, "清远")?;
    assert_eq!(
        fed.forwarded("hezhou", "yongzhou"),
        at_cut,
        "a connection got through the cut"
    );
    no_panics(&fed)
}
