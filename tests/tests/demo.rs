//! The README's main command: `lianluo demo` sets up three federated cities, loads the
//! sample data shaped like the published figures, says `ready`, keeps every link
//! connected with lag 0, and stops all three cleanly on Ctrl-C.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use anyhow::{Context, Result};
use lianluo_tests::{eventually, lianluo_bin, Cli};
use serde_json::Value;

const CITIES: [&str; 3] = ["hezhou", "qingyuan", "yongzhou"];

#[test]
fn demo_runs_three_federated_cities_with_the_sample_data() -> Result<()> {
    let dir = tempfile::tempdir()?;
    // A port range of our own (the demo uses base+1 to base+23), so parallel runs do not
    // collide, below the ephemeral range (32768+) where the other tests' port-0
    // listeners and outgoing connections live.
    let base = 10_000 + (std::process::id() % 700) as u16 * 30;
    let log = std::fs::File::create(dir.path().join("demo.log"))?;
    let mut child = Command::new(lianluo_bin())
        .args(["demo", "--dir"])
        .arg(dir.path().join("demo"))
        .args(["--base-port", &base.to_string()])
        .stdout(Stdio::piped())
        .stderr(log)
        .spawn()?;
    let stdout = child.stdout.take().context("demo stdout")?;
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut out = Vec::new();
    let ready = eventually(Duration::from_secs(240), "the demo's ready line", || {
        while let Ok(line) = rx.try_recv() {
            let is_ready = line.contains("ready");
            out.push(line);
            if is_ready {
                return Some(true);
            }
        }
        if let Ok(Some(status)) = child.try_wait() {
            out.push(format!("demo exited early: {status}"));
            return Some(false);
        }
        None
    });
    let ready = match ready {
        Ok(r) => r,
        Err(e) => {
            let _ = child.kill();
            return Err(e.context(out.join("\n")));
        }
    };
    let log = || std::fs::read_to_string(dir.path().join("demo.log")).unwrap_or_default();
    assert!(ready, "{}\n{}", out.join("\n"), log());

    let result = check_running_demo(dir.path());
    Command::new("kill")
        .arg("-INT")
        .arg(child.id().to_string())
        .status()?;
    let status = eventually(Duration::from_secs(30), "the demo to stop", || {
        child.try_wait().ok().flatten()
    });
    if status.is_err() {
        let _ = child.kill();
    }
    result?;
    let status = status?;
    assert!(status.success(), "demo exited with {status}\n{}", log());
    while let Ok(line) = rx.recv_timeout(Duration::from_secs(2)) {
        out.push(line);
    }
    for city in CITIES {
        assert!(
            out.iter()
                .any(|l| l.starts_with(city) && l.contains("stopped")),
            "{city} did not stop cleanly:\n{}",
            out.join("\n")
        );
    }
    Ok(())
}

fn check_running_demo(dir: &std::path::Path) -> Result<()> {
    let cli = |city: &str| Cli {
        profile: dir.join("demo").join(city).join("coordinator.toml"),
    };
    for city in CITIES {
        let c = cli(city);
        eventually(
            Duration::from_secs(60),
            "both peers connected with lag 0",
            || {
                let peers = c.json(&["peers"]).ok()?;
                let peers = peers.as_array()?;
                let all = peers.len() == 2
                    && peers
                        .iter()
                        .all(|p| p["connected"] == true && p["lag"] == 0);
                all.then_some(())
            },
        )
        .with_context(|| format!("peers at {city}"))?;
    }
    // Each record is counted once, at its origin.
    let mut by_kind: BTreeMap<String, usize> = BTreeMap::new();
    let mut statuses: BTreeMap<String, usize> = BTreeMap::new();
    for city in CITIES {
        let listed = cli(city).json(&["list", "--all"])?;
        for r in listed.as_array().into_iter().flatten() {
            if r["origin"] == city {
                *by_kind.entry(str_of(&r["kind"])).or_default() += 1;
                let key = format!("{}/{}", str_of(&r["kind"]), str_of(&r["status"]));
                *statuses.entry(key).or_default() += 1;
            }
        }
    }
    assert_eq!(by_kind.get("station"), Some(&15), "{by_kind:?}");
    assert_eq!(by_kind.get("suggestion"), Some(&23), "{by_kind:?}");
    assert_eq!(by_kind.get("dispute"), Some(&35), "{by_kind:?}");
    assert!(
        by_kind.get("activity").copied().unwrap_or_default() > 0,
        "{by_kind:?}"
    );
    for st in [
        "dispute/resolved",
        "dispute/mediating",
        "dispute/escalated",
        "suggestion/closed",
        "activity/held",
    ] {
        assert!(
            statuses.contains_key(st),
            "no {st} in the sample data: {statuses:?}"
        );
    }
    Ok(())
}

fn str_of(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_string()
}
