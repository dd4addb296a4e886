//! A revoked signer certificate (root CA CRL) on running nodes (README, "Revocation"):
//! from the time a node re-reads the CRL (SIGHUP, or its 2 s file watch), new events of
//! that signer are refused and logged, while the events it signed before stay verified
//! history, also after a restart. Real node processes, certificates, CRLs and disk.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use lianluo_tests::check::{
    act, converged, create_suggestion, id_of, list_all, no_panics, revoke, try_show, wait_for,
    View, POLL, REPL,
};
use lianluo_tests::{eventually_every, Cli, Federation, NodeProc};

/// Hezhou re-reads its CRLs at once on SIGHUP and every 2 s anyway; allow for a loaded
/// machine. Events arriving before that are legitimately accepted.
const CRL_RELOAD: Duration = Duration::from_secs(10);

/// `suggestion create` arguments for a record of qingyuan shared with hezhou.
fn create_args(title: &str) -> [&str; 8] {
    [
        "suggestion",
        "create",
        "--title",
        title,
        "--body",
        "正文",
        "--partner",
        "hezhou",
    ]
}

/// At `cli`'s node, `id` has exactly the history `events`, each verified and applied.
fn verified_history(cli: &Cli, id: &str, events: &[&str]) -> Result<()> {
    let rec = cli.json(&["show", id])?;
    let want: BTreeSet<String> = events.iter().map(|e| e.to_string()).collect();
    assert_eq!(View::of(&rec).event_ids(), want, "{id}: {rec}");
    for h in rec["history"].as_array().into_iter().flatten() {
        let flags = (&h["verified"], &h["rejected"]);
        assert_eq!(flags, (&true.into(), &false.into()), "{id}: {h}");
    }
    Ok(())
}

/// The line of `node`'s log that names event `ev`, once there is one.
fn logged(node: &NodeProc, ev: &str) -> Result<String> {
    eventually_every(REPL, POLL, &format!("hezhou logging {ev}"), || {
        let log = node.log();
        log.lines().find(|l| l.contains(ev)).map(str::to_string)
    })
    .with_context(|| format!("hezhou's log:\n{}", node.log()))
}

/// Creates records at qingyuan, signed with its revoked certificate, until hezhou
/// refuses one, which it must within [`CRL_RELOAD`] of `since`; returns that record's
/// id and the log line of the refusal. Earlier ones may have arrived before hezhou
/// re-read the CRL and been accepted, as they should.
fn first_refused(hz: &NodeProc, qyc: &Cli, since: Instant) -> Result<(String, String)> {
    let hzc = hz.cli("viewer");
    let mut i = 0;
    loop {
        i += 1;
        let (rec, ev) = act(qyc, &create_args(&format!("吊销后清远签名的建议 {i}")))?;
        let id = id_of(&rec);
        // Either outcome shows within REPL: applied (shown) or refused (logged).
        let refusal = eventually_every(REPL, POLL, "hezhou applying or refusing it", || {
            if try_show(&hzc, &id).is_some() {
                return Some(None);
            }
            let log = hz.log();
            let line = log.lines().find(|l| l.contains(&ev))?;
            Some(Some(line.to_string()))
        })?;
        match refusal {
            Some(line) => return Ok((id, line)),
            None if since.elapsed() < CRL_RELOAD => eprintln!("{id} accepted before the reload"),
            None => bail!(
                "hezhou still accepts {id} {:?} after the revocation",
                since.elapsed()
            ),
        }
    }
}

#[test]
fn a_revoked_signer_s_new_events_are_refused_and_its_history_stays_verified() -> Result<()> {
    let fed = Federation::init()?;
    let pki = fed.dir().join("pki");
    // Qingyuan reads its own copy of the root CRL, taken now: it stands for a node the new
    // CRL has not reached yet (or whoever holds the leaked key), still signing with the
    // revoked certificate. Hezhou reads pki/root-ca.crl.pem, which `tls revoke` rewrites.
    std::fs::copy(
        pki.join("root-ca.crl.pem"),
        fed.dir().join("qingyuan").join("root-ca.crl.pem"),
    )?;
    let crls = r#"["../pki/qingyuan/user-ca.crl.pem", "root-ca.crl.pem"]"#;
    fed.set_config("qingyuan", "tls", "crls", crls)?;
    let mut hz = fed.start("hezhou")?;
    let qy = fed.start("qingyuan")?;
    let (hzc, qyc) = (hz.cli("coordinator"), qy.cli("coordinator"));
    let both = [("hezhou", &hzc), ("qingyuan", &qyc)];

    let (rec, created) = act(&qyc, &create_args("吊销前清远签名的建议"))?;
    let old = id_of(&rec);
    let dispatch = [
        "suggestion",
        "dispatch",
        &old,
        "--unit",
        "清远市交通运输局",
        "--deadline",
        "2027-06-30",
    ];
    let (_, dispatched) = act(&qyc, &dispatch)?;
    converged(&both, &old, REPL, |v| v.history.contains_key(&dispatched))?;
    let history = [created.as_str(), dispatched.as_str()];
    verified_history(&hzc, &old, &history)?;

    revoke(&pki, &pki.join("qingyuan").join("signer.pem"))?;
    let since = Instant::now();
    hz.sighup()?;
    let (late, line) = first_refused(&hz, &qyc, since)?;
    assert!(
        line.contains("revoked"),
        "{late} refused for another reason: {line}"
    );
    // Revocation is for good: an act on the old record is refused too, and logged.
    let note = ["suggestion", "progress", &old, "--note", "吊销后的进展"];
    let (_, late_act) = act(&qyc, &note)?;
    let line = logged(&hz, &late_act)?;
    assert!(
        line.contains("revoked"),
        "{late_act} refused for another reason: {line}"
    );
    // Control: the link works, only qingyuan's new events are refused.
    let control = create_suggestion(&hzc, "吊销后贺州建议", &["qingyuan"])?;
    wait_for(&qyc, &control, REPL, "hezhou's record at qingyuan", |_| {
        true
    })?;
    let err = hzc.fails(&["show", &late])?;
    assert!(err.contains("not found"), "{late} at hezhou: {err}");
    verified_history(&hzc, &old, &history)?;

    // After a restart the revoked certificate still verifies the old history, and the
    // refused events stay out.
    assert!(hz.stop()?, "hezhou stops cleanly");
    let hz = fed.start("hezhou")?;
    let hzc = hz.cli("coordinator");
    verified_history(&hzc, &old, &history)?;
    let listed = list_all(&hzc)?;
    assert!(listed.contains_key(&control), "{:?}", listed.keys());
    assert!(!listed.contains_key(&late), "{:?}", listed.keys());
    no_panics(&fed)
}
