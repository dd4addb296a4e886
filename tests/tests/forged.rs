//! A misbehaving peer: hezhou's link to qingyuan is routed to a fake qingyuan node (real
//! qingyuan node certificate, real qingyuan signer key) that relays forged events between
//! good ones. Hezhou must drop and log the forgeries (bad signature, another city's signer
//! claiming qingyuan), keep a validly signed but forbidden act as rejected history, and
//! still apply everything behind them.

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result};
use lianluo_proto::{change, Change, SignedEvent};
use lianluo_tests::fake_peer::{
    body_of, city_signer, fetch_events, id_of, node_files, participant_added, random_hex, script,
    suggestion_created, tampered, FakePeer,
};
use lianluo_tests::{eventually, Cli, Federation, NodeProc};
use serde_json::Value;

/// The worker may be in its longest reconnect backoff when the link is rerouted.
const ARRIVAL: Duration = Duration::from_secs(60);

fn show(cli: &Cli, id: &str) -> Option<Value> {
    cli.json(&["show", id]).ok()
}

fn record_id(event: &SignedEvent) -> Result<String> {
    Ok(body_of(event)?.record_id)
}

fn history_ids(record: &Value) -> Vec<String> {
    record["history"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|h| h["id"].as_str().map(str::to_string))
        .collect()
}

fn history_entry<'a>(record: &'a Value, id: &str) -> Option<&'a Value> {
    record["history"]
        .as_array()?
        .iter()
        .find(|h| h["id"].as_str() == Some(id))
}

/// A qingyuan-origin record relayed by the fake arrived intact and applied.
fn assert_accepted(cli: &Cli, event: &SignedEvent, what: &str) -> Result<()> {
    let id = record_id(event)?;
    let rec = show(cli, &id).with_context(|| format!("{what}: record {id} missing at hezhou"))?;
    assert_eq!(rec["origin"], "qingyuan", "{what}: {rec}");
    assert_eq!(
        rec["participants"],
        serde_json::json!(["qingyuan", "hezhou"]),
        "{what}"
    );
    assert_eq!(rec["status"], "submitted", "{what}: {rec}");
    let entry = history_entry(&rec, &id_of(event))
        .with_context(|| format!("{what}: no history entry {} in {rec}", id_of(event)))?;
    assert_eq!(entry["verified"], true, "{what}: {entry}");
    assert_eq!(entry["rejected"], false, "{what}: {entry}");
    assert_eq!(entry["author_city"], "qingyuan", "{what}: {entry}");
    Ok(())
}

/// The events the fake qingyuan relays, in order a, b, c, d, e.
struct Forged {
    /// Valid qingyuan record shared with hezhou.
    a: SignedEvent,
    /// What qingyuan really signed before the body of (b) was altered.
    b_signed: SignedEvent,
    /// A valid qingyuan signature over other (tampered) body bytes.
    b: SignedEvent,
    /// Signed by yongzhou's signer, claiming qingyuan as author.
    c: SignedEvent,
    /// Validly signed by qingyuan, but only the origin (hezhou) may add participants.
    d: SignedEvent,
    /// Another valid qingyuan record, behind all of the above.
    e: SignedEvent,
    /// DER signer certificates of qingyuan and yongzhou.
    signer_certs: Vec<Vec<u8>>,
}

/// Signs the five events with the real signer keys; (d) acts on hezhou's `shared`
/// record, whose creation event is `creation`.
fn forge(pki: &Path, creation: &SignedEvent) -> Result<Forged> {
    let qingyuan = city_signer(pki, "qingyuan")?;
    let yongzhou = city_signer(pki, "yongzhou")?;
    let record = |title: &str| suggestion_created("qingyuan", &["hezhou"], title);
    let b_signed = qingyuan.sign(&record("关于改善边界集市交通的建议"))?;
    let b = tampered(&b_signed, |body| {
        if let Some(Change {
            kind: Some(change::Kind::SuggestionSubmitted(s)),
        }) = body.change.as_mut()
        {
            s.title = "被篡改的标题".to_string();
        }
    })?;
    let add = participant_added(
        &body_of(creation)?,
        &id_of(creation),
        "qingyuan",
        "yongzhou",
    );
    Ok(Forged {
        a: qingyuan.sign(&record("关于联合整治连江跨界河道的建议"))?,
        b_signed,
        b,
        c: yongzhou.sign(&record("冒名清远提交的建议"))?,
        d: qingyuan.sign(&add)?,
        e: qingyuan.sign(&record("关于共建边界警务联勤点的建议"))?,
        signer_certs: vec![qingyuan.cert_der().to_vec(), yongzhou.cert_der().to_vec()],
    })
}

/// Creates a hezhou record shared with qingyuan; returns it and its creation event as
/// hezhou serves it to qingyuan.
fn shared_record(hezhou: &NodeProc, pki: &Path) -> Result<(Value, SignedEvent)> {
    let shared = hezhou.cli("coordinator").json(&[
        "suggestion",
        "create",
        "--title",
        "关于共同治理贺江上游水污染的建议",
        "--body",
        "请贺州、清远两市环保部门联合巡查。",
        "--partner",
        "qingyuan",
    ])?;
    let id = shared["id"].as_str().context("created record id")?;
    let endpoint = format!("https://{}", hezhou.federation);
    let served = fetch_events(&endpoint, &node_files(pki, "qingyuan"), "hezhou")?;
    let creation = served
        .into_iter()
        .filter_map(|e| e.event)
        .find(|e| body_of(e).is_ok_and(|b| b.record_id == id))
        .with_context(|| format!("hezhou did not serve {id} to qingyuan"))?;
    Ok((shared, creation))
}

/// (b) and (c) left no record and no history entry anywhere.
fn assert_forgeries_absent(cli: &Cli, f: &Forged) -> Result<()> {
    for (what, ev) in [("(b)", &f.b), ("(c)", &f.c)] {
        let rid = record_id(ev)?;
        assert!(show(cli, &rid).is_none(), "{what}: record {rid} stored");
    }
    let bad_ids = [id_of(&f.b), id_of(&f.b_signed), id_of(&f.c)];
    let listed = cli.json(&["list"])?;
    let listed = listed.as_array().context("list --json is an array")?;
    assert_eq!(listed.len(), 3, "shared, (a), (e): {listed:?}");
    for rec in listed {
        let id = rec["id"].as_str().context("listed record id")?;
        let full = show(cli, id).with_context(|| format!("show {id}"))?;
        for bad in &bad_ids {
            assert!(
                !history_ids(&full).contains(bad),
                "forged event {bad} in history of {id}: {full}"
            );
        }
    }
    Ok(())
}

/// (d) is kept in the shared record's history as rejected; the record is unchanged.
fn assert_forbidden_act_rejected(cli: &Cli, shared: &Value, d: &SignedEvent) -> Result<()> {
    let id = shared["id"].as_str().context("shared record id")?;
    let after = show(cli, id).context("shared record")?;
    let entry = history_entry(&after, &id_of(d))
        .with_context(|| format!("(d) {} not in history: {after}", id_of(d)))?;
    assert_eq!(entry["rejected"], true, "(d): {entry}");
    assert_eq!(entry["verified"], true, "(d): {entry}");
    assert_eq!(entry["author_city"], "qingyuan", "(d): {entry}");
    assert_eq!(entry["type"], "participant_added", "(d): {entry}");
    assert!(
        entry["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("origin"),
        "(d) must be rejected because only the origin may add participants: {entry}"
    );
    assert_eq!(
        after["participants"],
        serde_json::json!(["hezhou", "qingyuan"])
    );
    assert_eq!(after["version"], shared["version"], "{after}");
    assert_eq!(after["status"], shared["status"], "{after}");
    Ok(())
}

#[test]
fn forged_events_are_rejected_and_logged_and_do_not_block_later_ones() -> Result<()> {
    let fed = Federation::init()?;
    let pki = fed.dir().join("pki");
    let hezhou = fed.start("hezhou")?;
    let cli = hezhou.cli("coordinator");
    let (shared, creation) = shared_record(&hezhou, &pki)?;
    let f = forge(&pki, &creation)?;

    let log_id = random_hex(32);
    let batches = vec![
        vec![f.a.clone(), f.b.clone()],
        vec![f.c.clone(), f.d.clone(), f.e.clone()],
    ];
    let fake = FakePeer::start(
        &pki,
        "qingyuan",
        script(&log_id, batches, f.signer_certs.clone()),
    )?;
    fed.route("hezhou", "qingyuan", fake.addr());

    let e_record = record_id(&f.e)?;
    eventually(ARRIVAL, "(e) applied at hezhou", || show(&cli, &e_record)).with_context(|| {
        let log = hezhou.log();
        format!("fake saw {:?}; hezhou log:\n{log}", fake.requests())
    })?;
    let callers: Vec<_> = fake.requests().into_iter().map(|r| r.caller).collect();
    assert!(callers.iter().all(|c| c == "hezhou"), "{callers:?}");
    assert_accepted(&cli, &f.a, "(a)")?;
    assert_accepted(&cli, &f.e, "(e)")?;
    assert_forgeries_absent(&cli, &f)?;
    assert_forbidden_act_rejected(&cli, &shared, &f.d)?;

    // The dropped forgeries are logged with their ids.
    for (what, ev, why) in [("(b)", &f.b, "signature"), ("(c)", &f.c, "yongzhou")] {
        let id = id_of(ev);
        let line = eventually(Duration::from_secs(5), "rejection in hezhou's log", || {
            hezhou
                .log()
                .lines()
                .find(|l| l.contains(&id))
                .map(str::to_string)
        })
        .with_context(|| format!("{what} {id} not logged:\n{}", hezhou.log()))?;
        assert!(
            line.contains(why),
            "{what} rejected for another reason: {line}"
        );
    }

    // The cursor moved past the dropped events: a reconnect resumes after (e).
    fed.cut("hezhou", "qingyuan");
    fed.heal("hezhou", "qingyuan");
    eventually(ARRIVAL, "hezhou resuming after seq 5", || {
        let requests = fake.requests();
        let resumed = requests
            .iter()
            .any(|r| r.log_id == log_id && r.since_seq == 5);
        resumed.then_some(())
    })
    .with_context(|| format!("requests: {:?}", fake.requests()))?;
    Ok(())
}
