//! Equivocation: Qingyuan (a fake node with Qingyuan's real node certificate and signer
//! key) signs two different dispatches of its part of one record from the same parent,
//! and serves only one to Hezhou and only the other to Yongzhou (through a second fake).
//! Both real nodes detect it (each gets the other event from its partner), keep both signed events as the proof, show it in
//! `peers`, `/metrics` and the log, and end with the same record.

use std::time::Duration;

use anyhow::{Context, Result};
use lianluo_proto::{change, RecordKind, SignedEvent, SuggestionDispatched};
use lianluo_tests::check::{converged, create_suggestion, REPL};
use lianluo_tests::fake_peer::{
    city_signer, event_body, fetch_events, id_of, node_files, random_hex, script, FakePeer,
};
use lianluo_tests::{eventually, Federation, NodeProc};
use serde_json::Value;

/// The worker may be in its longest reconnect backoff when the link is rerouted.
const ARRIVAL: Duration = Duration::from_secs(60);

/// Qingyuan's dispatch of its part of `record` to `unit`, on `parent`.
fn dispatch(record: &str, parent: &str, unit: &str) -> lianluo_proto::EventBody {
    event_body(
        record,
        RecordKind::Suggestion,
        "qingyuan",
        vec![parent.to_string()],
        Vec::new(),
        change::Kind::SuggestionDispatched(SuggestionDispatched {
            unit: unit.to_string(),
            deadline: "2027-06-30".to_string(),
            ..Default::default()
        }),
    )
}

/// What `node` lists under Qingyuan in `peers --json` as `field` (`equivocations` or
/// `log_proofs`), once it lists something.
fn reported(node: &NodeProc, field: &str) -> Option<Vec<Value>> {
    let peers = node.cli("viewer").json(&["peers"]).ok()?;
    let qy = peers.as_array()?.iter().find(|p| p["city"] == "qingyuan")?;
    let found = qy[field].as_array()?.clone();
    (!found.is_empty()).then_some(found)
}

#[test]
fn a_city_signing_two_acts_from_one_state_is_detected_and_both_nodes_agree() -> Result<()> {
    let fed = Federation::init()?;
    let pki = fed.dir().join("pki");
    let hz = fed.start("hezhou")?;
    let yz = fed.start("yongzhou")?;
    let record = create_suggestion(
        &hz.cli("coordinator"),
        "三地共同督办的建议",
        &["qingyuan", "yongzhou"],
    )?;
    let creation: SignedEvent = fetch_events(
        &format!("https://{}", hz.federation),
        &node_files(&pki, "qingyuan"),
        "hezhou",
    )?
    .into_iter()
    .filter_map(|e| e.event)
    .find(|e| lianluo_tests::fake_peer::body_of(e).is_ok_and(|b| b.record_id == record))
    .context("hezhou serves the record to qingyuan")?;

    let signer = city_signer(&pki, "qingyuan")?;
    let a = signer.sign(&dispatch(&record, &id_of(&creation), "清远市交通运输局"))?;
    let b = signer.sign(&dispatch(&record, &id_of(&creation), "清远市自然资源局"))?;
    let certs = vec![signer.cert_der().to_vec()];
    // Each city is served only one of the two: they find the pair through each other.
    let fake_hz = FakePeer::start(
        &pki,
        "qingyuan",
        script(&random_hex(32), vec![vec![a.clone()]], certs.clone()),
    )?;
    let fake_yz = FakePeer::start(
        &pki,
        "qingyuan",
        script(&random_hex(32), vec![vec![b.clone()]], certs),
    )?;
    fed.route("hezhou", "qingyuan", fake_hz.addr());
    fed.route("yongzhou", "qingyuan", fake_yz.addr());

    for node in [&hz, &yz] {
        let found = eventually(ARRIVAL, "the equivocation reported by peers", || {
            reported(node, "equivocations")
        })
        .with_context(|| format!("log:\n{}", node.log()))?;
        assert_eq!(found.len(), 1, "{found:?}");
        let pair = [found[0]["first"].as_str(), found[0]["second"].as_str()];
        let want = [id_of(&a), id_of(&b)];
        assert!(
            pair.iter()
                .all(|p| p.is_some_and(|p| want.iter().any(|w| w == p))),
            "the proof names both events: {found:?}"
        );
        assert_eq!(found[0]["record_id"], record.as_str());
        assert!(node
            .log()
            .contains("equivocation: qingyuan signed two different events"));
        let metrics =
            lianluo_tests::browser::http_get(node.http.as_deref().context("http")?, "/metrics")?.1;
        assert!(
            metrics
                .lines()
                .any(|l| l == "lianluo_equivocations{city=\"qingyuan\"} 1"),
            "{metrics}"
        );
    }
    // Both signed events are kept in the record's history, and both nodes hold the same
    // record whatever order they got them in.
    let view = converged(
        &[
            ("hezhou", &hz.cli("viewer")),
            ("yongzhou", &yz.cli("viewer")),
        ],
        &record,
        REPL,
        |v| v.event_ids().contains(&id_of(&a)) && v.event_ids().contains(&id_of(&b)),
    )?;
    assert_eq!(view.event_ids().len(), 3, "{view:?}");
    let table = String::from_utf8_lossy(&hz.cli("viewer").run(&["peers"]).stdout).into_owned();
    assert!(
        table.contains("warning: qingyuan signed two different events"),
        "{table}"
    );
    Ok(())
}

#[test]
fn a_log_served_two_ways_under_one_log_id_is_found_by_comparing_notes() -> Result<()> {
    let fed = Federation::init()?;
    let pki = fed.dir().join("pki");
    let hz = fed.start("hezhou")?;
    let yz = fed.start("yongzhou")?;
    let signer = city_signer(&pki, "qingyuan")?;
    let record = |title: &str| {
        lianluo_tests::fake_peer::suggestion_created("qingyuan", &["hezhou", "yongzhou"], title)
    };
    let x = signer.sign(&record("只给贺州看的第一条"))?;
    let y = signer.sign(&record("只给永州看的第一条"))?;
    // One log id, two different first entries.
    let log_id = random_hex(32);
    let certs = vec![signer.cert_der().to_vec()];
    let fake_hz = FakePeer::start(
        &pki,
        "qingyuan",
        script(&log_id, vec![vec![x.clone()]], certs.clone()),
    )?;
    let fake_yz = FakePeer::start(
        &pki,
        "qingyuan",
        script(&log_id, vec![vec![y.clone()]], certs),
    )?;
    fed.route("hezhou", "qingyuan", fake_hz.addr());
    fed.route("yongzhou", "qingyuan", fake_yz.addr());

    for (node, ours, theirs, other) in [(&hz, &x, &y, "yongzhou"), (&yz, &y, &x, "hezhou")] {
        let found = eventually(ARRIVAL, "the log proof in peers", || {
            reported(node, "log_proofs")
        })
        .with_context(|| format!("log:\n{}", node.log()))?;
        let p = &found[0];
        assert_eq!(p["log_id"], log_id.as_str(), "{p}");
        assert_eq!(p["seq"], 1, "{p}");
        assert_eq!(p["ours"], id_of(ours).as_str(), "{p}");
        assert_eq!(p["theirs"], id_of(theirs).as_str(), "{p}");
        assert_eq!(p["seen_by"], other, "{p}");
        let metrics =
            lianluo_tests::browser::http_get(node.http.as_deref().context("http")?, "/metrics")?.1;
        assert!(
            metrics
                .lines()
                .any(|l| l == "lianluo_log_equivocations{city=\"qingyuan\"} 1"),
            "{metrics}"
        );
        // Both signed events are kept: each node holds the other's through its partner.
        for ev in [&x, &y] {
            let id = lianluo_tests::fake_peer::body_of(ev)?.record_id;
            eventually(ARRIVAL, "both records held", || {
                node.cli("viewer").json(&["show", &id]).ok()
            })?;
        }
    }
    Ok(())
}
