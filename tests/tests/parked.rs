//! Refusals that may pass later are not final: a real Hezhou node whose link to Qingyuan
//! is routed to a fake Qingyuan (real Qingyuan node certificate and signer key) that
//! first sends events without its signer certificate, then an act whose parent it has
//! not sent, then the parent. Hezhou moves its cursor past each (the fake never
//! sends them again), keeps them, and stores both once they can pass.

use std::time::Duration;

use anyhow::{Context, Result};
use lianluo_tests::fake_peer::{
    body_of, city_signer, id_of, participant_added, random_hex, script, suggestion_created,
    FakePeer,
};
use lianluo_tests::{eventually, Federation};
use serde_json::Value;

/// The worker may be in its longest reconnect backoff when the link is rerouted.
const ARRIVAL: Duration = Duration::from_secs(60);

fn history_has(record: &Value, event: &str) -> bool {
    record["history"]
        .as_array()
        .is_some_and(|h| h.iter().any(|e| e["id"] == event && e["rejected"] == false))
}

#[test]
fn events_refused_for_now_are_kept_and_stored_once_they_can_pass() -> Result<()> {
    let fed = Federation::init()?;
    let pki = fed.dir().join("pki");
    let hezhou = fed.start("hezhou")?;
    let cli = hezhou.cli("viewer");
    // Qingyuan renews its signer certificate: Hezhou (whose demo data holds Qingyuan's
    // first one) does not know the new one until a batch brings it.
    for f in ["signer.pem", "signer.key"] {
        std::fs::remove_file(pki.join("qingyuan").join(f))?;
    }
    let pki_arg = pki.display().to_string();
    let out = lianluo_tests::lianluo(&["tls", "city", "--pki", &pki_arg, "--city", "qingyuan"]);
    lianluo_tests::check_ok(&out, "lianluo tls city (new signer)")?;
    let qingyuan = city_signer(&pki, "qingyuan")?;

    // (x) and (z): records shared with Hezhou, sent before the new signer certificate
    // (the worker reads one batch ahead, so the certificate comes two batches later).
    let x = qingyuan.sign(&suggestion_created("qingyuan", &["hezhou"], "先到的建议"))?;
    let z = qingyuan.sign(&suggestion_created("qingyuan", &["hezhou"], "也先到的建议"))?;
    // (p) another record, and (c) Qingyuan adding Yongzhou to it: (c) is sent first.
    let p = qingyuan.sign(&suggestion_created("qingyuan", &["hezhou"], "后到的父事件"))?;
    let c = qingyuan.sign(&participant_added(
        &body_of(&p)?,
        &id_of(&p),
        "qingyuan",
        "yongzhou",
    ))?;
    let log_id = random_hex(32);
    let order = vec![
        vec![x.clone()],
        vec![z.clone()],
        vec![c.clone()],
        vec![p.clone()],
    ];
    let mut batches = script(&log_id, order, vec![]);
    batches[2].signer_certs = vec![qingyuan.cert_der().to_vec()];
    let fake = FakePeer::start(&pki, "qingyuan", batches)?;
    fed.route("hezhou", "qingyuan", fake.addr());

    let (x_id, p_id) = (body_of(&x)?.record_id, body_of(&p)?.record_id);
    let shown = |id: &str| cli.json(&["show", id]).ok();
    let x_rec = eventually(ARRIVAL, "(x) stored once its certificate came", || {
        shown(&x_id)
    })
    .with_context(|| format!("fake saw {:?}; log:\n{}", fake.requests(), hezhou.log()))?;
    assert!(history_has(&x_rec, &id_of(&x)), "{x_rec}");
    let z_id = body_of(&z)?.record_id;
    eventually(ARRIVAL, "(z) stored", || shown(&z_id))?;
    let p_rec = eventually(ARRIVAL, "(c) stored once its parent came", || {
        shown(&p_id).filter(|r| history_has(r, &id_of(&c)))
    })
    .with_context(|| format!("log:\n{}", hezhou.log()))?;
    assert_eq!(
        p_rec["participants"],
        serde_json::json!(["qingyuan", "hezhou", "yongzhou"]),
        "{p_rec}"
    );
    let metrics =
        lianluo_tests::browser::http_get(hezhou.http.as_deref().context("http")?, "/metrics")?.1;
    assert!(
        metrics.lines().any(|l| l == "lianluo_events_parked 0"),
        "{metrics}"
    );
    // Both reasons were met: an unknown signer, and a parent not held.
    let log = hezhou.log();
    let parked: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("parked, to be tried again"))
        .collect();
    assert!(parked.iter().any(|l| l.contains("unknown signer")), "{log}");
    assert!(
        parked.iter().any(|l| l.contains("is not held here yet")),
        "{log}"
    );
    Ok(())
}
