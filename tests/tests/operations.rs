//! What a city's IT staff rely on to run a node on their own hosts, with real node
//! processes: peers named by host name, a health command without a user certificate, a
//! backup of a running node under writes that restores, and `peers` showing no stale
//! error on a healthy link. Live membership (SIGHUP): `membership.rs`; the same on
//! Docker: `deploy/e2e.sh`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use anyhow::{ensure, Context, Result};
use lianluo_tests::check::{create_suggestion, peer_status, wait_for, REPL};
use lianluo_tests::{eventually, lianluo, Federation};

/// `lianluo health --config <city's node.toml>`: (exit 0?, stdout, stderr).
fn health(fed: &Federation, city: &str) -> (bool, String, String) {
    let config = fed.node_config(city);
    let out = lianluo(&["health", "--config", &config.to_string_lossy()]);
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn peers_named_by_host_name_replicate_and_a_healthy_link_shows_no_stale_error() -> Result<()> {
    let fed = Federation::init()?;
    // Every peer address by name (node certificates carry DNS localhost).
    for city in ["hezhou", "qingyuan"] {
        let path = fed.node_config(city);
        let text = std::fs::read_to_string(&path)?;
        ensure!(text.contains("address = \"127.0.0.1:"), "{text}");
        std::fs::write(
            &path,
            text.replace("address = \"127.0.0.1:", "address = \"localhost:"),
        )?;
    }
    let hz = fed.start("hezhou")?;
    let hzc = hz.cli("admin");
    // Qingyuan is not up yet: the link shows why, and since when.
    let down = eventually(REPL, "hezhou shows qingyuan's link failing", || {
        peer_status(&hzc, "qingyuan").filter(|p| p["last_error"] != "")
    })?;
    assert!(
        down["address"]
            .as_str()
            .is_some_and(|a| a.starts_with("localhost:")),
        "{down}"
    );
    assert_ne!(down["last_error_at"], "", "the error has a time: {down}");
    let qy = fed.start("qingyuan")?;
    let id = create_suggestion(&hzc, "按主机名联通的两市建议", &["qingyuan"])?;
    wait_for(
        &qy.cli("viewer"),
        &id,
        REPL,
        "the record at qingyuan",
        |_| true,
    )?;
    let up = eventually(REPL, "a connected link without a stale error", || {
        peer_status(&hzc, "qingyuan").filter(|p| p["connected"] == true)
    })?;
    assert_eq!(
        (&up["last_error"], &up["last_error_at"]),
        (&"".into(), &"".into()),
        "{up}"
    );
    let table = String::from_utf8_lossy(&hzc.run(&["peers"]).stdout).into_owned();
    assert!(
        !table.to_lowercase().contains("refused"),
        "a healthy link shows no start-up error:\n{table}"
    );
    Ok(())
}

#[test]
fn health_is_silent_and_0_when_ready_and_1_with_the_reason_otherwise() -> Result<()> {
    let fed = Federation::init()?;
    let (ok, _, err) = health(&fed, "hezhou");
    assert!(!ok, "no node runs yet");
    assert!(err.starts_with("error: not ready"), "{err}");
    let mut hz = fed.start("hezhou")?;
    let (ok, out, err) = health(&fed, "hezhou");
    assert!(ok, "ready: {err}");
    assert_eq!((out.as_str(), err.as_str()), ("", ""), "silent when ready");
    hz.stop()?;
    let (ok, _, err) = health(&fed, "hezhou");
    assert!(!ok && err.contains("not ready"), "stopped: {err}");
    Ok(())
}

#[test]
fn a_running_node_is_backed_up_under_writes_and_the_backup_restores_and_converges() -> Result<()> {
    let fed = Federation::init()?;
    let mut hz = fed.start("hezhou")?;
    let mut qy = fed.start("qingyuan")?;
    let hzc = hz.cli("coordinator");
    // A steady writer: every acknowledged create is kept, in order.
    let acked = Arc::new(Mutex::new(Vec::<String>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (acked, stop, cli) = (acked.clone(), stop.clone(), hzc.clone());
        std::thread::spawn(move || {
            let mut n = 0;
            while !stop.load(Ordering::SeqCst) {
                n += 1;
                let title = format!("在线备份期间的建议{n}");
                if let Ok(id) = create_suggestion(&cli, &title, &["qingyuan"]) {
                    acked.lock().expect("lock").push(id);
                }
            }
        })
    };
    eventually(REPL, "some writes before the backup", || {
        (acked.lock().expect("lock").len() >= 5).then_some(())
    })?;
    let before = acked.lock().expect("lock").clone();
    let file = fed.dir().join("hezhou-online.llb");
    let config = fed.node_config("hezhou");
    let out = lianluo(&[
        "backup",
        "--config",
        &config.to_string_lossy(),
        "--out",
        &file.to_string_lossy(),
        "--json",
    ]);
    lianluo_tests::check_ok(&out, "lianluo backup of the running node")?;
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout)
        .with_context(|| String::from_utf8_lossy(&out.stdout).into_owned())?;
    let during = acked.lock().expect("lock").len();
    eventually(REPL, "writes go on after the backup", || {
        (acked.lock().expect("lock").len() >= during + 3).then_some(())
    })?;
    stop.store(true, Ordering::SeqCst);
    writer
        .join()
        .map_err(|_| anyhow::anyhow!("the writer panicked"))?;
    let all = acked.lock().expect("lock").clone();
    ensure!(
        summary["events"].as_u64() >= Some(before.len() as u64),
        "the backup holds every write acknowledged before it began: {summary}"
    );

    // Restore offline with qingyuan down: what was acknowledged before the backup began
    // comes from the file alone, and nothing acknowledged after it ended is there.
    hz.stop()?;
    qy.stop()?;
    let out = lianluo(&[
        "restore",
        "--config",
        &config.to_string_lossy(),
        "--from",
        &file.to_string_lossy(),
        "--force",
    ]);
    lianluo_tests::check_ok(&out, "lianluo restore")?;
    let hz = fed.start("hezhou")?;
    let hzv = hz.cli("viewer");
    for id in &before {
        let v = hzv
            .json(&["show", id])
            .with_context(|| format!("{id} after restore, from the backup alone"))?;
        ensure!(v["id"] == id.as_str(), "{v}");
    }
    for id in all.iter().skip(during) {
        let err = hzv.fails(&["show", id])?;
        ensure!(
            err.contains("not found"),
            "{id}, written after the backup: {err}"
        );
    }
    // Then qingyuan, which holds them all, brings back the later ones.
    let _qy = fed.start("qingyuan")?;
    for id in all.iter().skip(before.len()) {
        wait_for(&hzv, id, REPL, "a later write back from qingyuan", |_| true)?;
    }
    Ok(())
}

#[test]
fn backup_refuses_an_existing_file_and_another_nodes_key_and_leaves_no_file() -> Result<()> {
    let fed = Federation::init()?;
    let _hz = fed.start("hezhou")?;
    let config = fed.node_config("hezhou");
    let taken = fed.dir().join("taken.llb");
    std::fs::write(&taken, b"keep me")?;
    let out = lianluo(&[
        "backup",
        "--config",
        &config.to_string_lossy(),
        "--out",
        &taken.to_string_lossy(),
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("already exists"), "{err}");
    assert_eq!(std::fs::read(&taken)?, b"keep me");
    // --signer-cert reaches a running node's backup: a file that is no certificate is
    // named, a signer certificate of the federation is taken.
    let with_signer = |cert: &str, out: &str| {
        let out = fed.dir().join(out);
        lianluo(&[
            "backup",
            "--config",
            &config.to_string_lossy(),
            "--out",
            &out.to_string_lossy(),
            "--signer-cert",
            cert,
            "--json",
        ])
    };
    let out = with_signer(&taken.to_string_lossy(), "bad.llb");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("taken.llb"), "{err}");
    // A signer of a city that is no peer (so not found in the PKI dir by itself).
    let pki = fed.dir().join("pki");
    lianluo_tests::check_ok(
        &lianluo(&[
            "tls",
            "city",
            "--pki",
            &pki.to_string_lossy(),
            "--city",
            "guilin",
        ]),
        "tls city guilin",
    )?;
    let certs_in = |out: std::process::Output| -> Result<u64> {
        lianluo_tests::check_ok(&out, "online backup")?;
        let summary: serde_json::Value = serde_json::from_slice(&out.stdout)?;
        summary["signer_certs"].as_u64().context("signer_certs")
    };
    let plain = certs_in(lianluo(&[
        "backup",
        "--config",
        &config.to_string_lossy(),
        "--out",
        &fed.dir().join("plain.llb").to_string_lossy(),
        "--json",
    ]))?;
    let guilin_signer = pki.join("guilin/signer.pem");
    let with = certs_in(with_signer(&guilin_signer.to_string_lossy(), "signed.llb"))?;
    assert_eq!(with, plain + 1, "the --signer-cert sent is in the backup");
    // The backup stream needs this node's own certificate: a config pointing at another
    // city's key cannot take it.
    let text = std::fs::read_to_string(&config)?
        .replace("../pki/hezhou/node.pem", "../pki/qingyuan/node.pem")
        .replace("../pki/hezhou/node.key", "../pki/qingyuan/node.key");
    let other = fed.dir().join("hezhou").join("wrong-key.toml");
    std::fs::write(&other, text)?;
    let out_file = fed.dir().join("stolen.llb");
    let out = lianluo(&[
        "backup",
        "--config",
        &other.to_string_lossy(),
        "--out",
        &out_file.to_string_lossy(),
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("backup of the running node failed"), "{err}");
    assert!(!out_file.exists(), "no file is left behind");
    Ok(())
}
