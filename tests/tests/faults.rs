//! Fault injection with three real nodes: partitions of every shape with writes at all
//! three, links that delay, drop connections or black-hole everything, and SIGKILL at
//! random points of the sync loop, round after round. After every scenario all
//! participants hold the same events and state, and every acknowledged write is there.
//! `LIANLUO_LONG=1` runs more kill rounds.

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::{Context, Result};
use lianluo_tests::check::{converged, create_suggestion, list_all, no_panics, POLL};
use lianluo_tests::{eventually_every, Cli, Fault, Federation, NodeProc, CITIES};

/// Longest wait for convergence after a scenario (generous: 2 cores, debug builds).
const SETTLE: Duration = Duration::from_secs(90);

/// Acknowledged records: id → the cities that take part in it.
type Acked = BTreeMap<String, Vec<&'static str>>;

/// The other two cities.
fn others(city: &str) -> Vec<&'static str> {
    CITIES.iter().copied().filter(|c| *c != city).collect()
}

/// Creates a suggestion at `city` shared with the other two; records it as acknowledged.
fn write_everywhere(clis: &BTreeMap<&str, Cli>, acked: &mut Acked, tag: &str) -> Result<()> {
    for city in CITIES {
        let partners = others(city);
        let id = create_suggestion(&clis[city], &format!("{tag}：{city}写入"), &partners)?;
        let mut all = vec![city];
        all.extend(partners);
        acked.insert(id, all);
    }
    Ok(())
}

/// Every acknowledged record converged at every participant: same events, same state.
fn all_converged(clis: &BTreeMap<&str, Cli>, acked: &Acked) -> Result<()> {
    for (id, cities) in acked {
        let at: Vec<(&str, &Cli)> = cities.iter().map(|c| (*c, &clis[c])).collect();
        converged(&at, id, SETTLE, |_| true).with_context(|| format!("record {id}"))?;
    }
    for city in CITIES {
        let listed = list_all(&clis[city])?;
        for (id, cities) in acked {
            if cities.contains(&city) {
                anyhow::ensure!(listed.contains_key(id), "{city} lacks acknowledged {id}");
            }
        }
    }
    Ok(())
}

fn start_all(fed: &Federation) -> Result<BTreeMap<&'static str, NodeProc>> {
    CITIES.iter().map(|c| Ok((*c, fed.start(c)?))).collect()
}

fn clis(nodes: &BTreeMap<&'static str, NodeProc>) -> BTreeMap<&'static str, Cli> {
    nodes
        .iter()
        .map(|(c, n)| (*c, n.cli("coordinator")))
        .collect()
}

#[test]
fn partitions_of_every_shape_heal_with_every_acknowledged_write_everywhere() -> Result<()> {
    let fed = Federation::init()?;
    let nodes = start_all(&fed)?;
    let clis = clis(&nodes);
    let (hz, qy, yz) = ("hezhou", "qingyuan", "yongzhou");
    let shapes: [(&str, Vec<(&str, &str)>); 5] = [
        ("hezhou alone", vec![(hz, qy), (hz, yz)]),
        ("qingyuan alone", vec![(qy, hz), (qy, yz)]),
        ("yongzhou alone", vec![(yz, hz), (yz, qy)]),
        ("all apart", vec![(hz, qy), (hz, yz), (qy, yz)]),
        ("hezhou and yongzhou only through qingyuan", vec![(hz, yz)]),
    ];
    let mut acked = Acked::new();
    for (shape, cuts) in &shapes {
        // A record all three act on during the partition: each dispatches its own part.
        let shared = create_suggestion(&clis[hz], &format!("分区共同记录：{shape}"), &[qy, yz])?;
        acked.insert(shared.clone(), CITIES.to_vec());
        all_converged(&clis, &acked)?;
        for (a, b) in cuts {
            fed.cut(a, b);
        }
        write_everywhere(&clis, &mut acked, shape)?;
        for city in CITIES {
            let unit = format!("{city}交通运输局");
            clis[city].json(&[
                "suggestion",
                "dispatch",
                &shared,
                "--unit",
                &unit,
                "--deadline",
                "2027-06-30",
            ])?;
        }
        for (a, b) in cuts {
            fed.heal(a, b);
        }
        all_converged(&clis, &acked).with_context(|| format!("after {shape}"))?;
    }
    no_panics(&fed)
}

#[test]
fn delayed_flaky_and_black_holed_links_lose_nothing() -> Result<()> {
    let fed = Federation::init()?;
    let nodes = start_all(&fed)?;
    let clis = clis(&nodes);
    let mut acked = Acked::new();
    // Hezhou's link to Yongzhou swallows everything (Yongzhou's records reach Hezhou
    // through Qingyuan); the others are slow or reset connections at random.
    let flaky = Some(Fault::Drop(Duration::from_millis(800)));
    let slow = |ms| Some(Fault::Delay(Duration::from_millis(ms)));
    fed.set_fault("hezhou", "yongzhou", Some(Fault::BlackHole));
    fed.set_fault("yongzhou", "hezhou", slow(100));
    fed.set_fault("hezhou", "qingyuan", flaky);
    fed.set_fault("qingyuan", "hezhou", flaky);
    fed.set_fault("qingyuan", "yongzhou", slow(50));
    // Write until the flaky links have cut a few connections (each lives at most 0.8 s
    // under this fault, and heartbeats keep every stream busy).
    let started = std::time::Instant::now();
    let mut round = 0;
    while fed.dropped("hezhou", "qingyuan") < 3 {
        anyhow::ensure!(started.elapsed() < SETTLE, "the flaky links cut nothing");
        write_everywhere(&clis, &mut acked, &format!("故障链路第{round}轮"))?;
        round += 1;
    }
    all_converged(&clis, &acked).context("while the faults last")?;
    for a in CITIES {
        for b in others(a) {
            fed.set_fault(a, b, None);
        }
    }
    write_everywhere(&clis, &mut acked, "故障清除之后")?;
    all_converged(&clis, &acked).context("after the faults")?;
    no_panics(&fed)
}

/// Kill rounds: 6 in CI, 30 with `LIANLUO_LONG=1`.
fn kill_rounds() -> usize {
    if std::env::var_os("LIANLUO_LONG").is_some() {
        30
    } else {
        6
    }
}

/// Waits until `cli`'s node lists at least `n` records (a point inside its catch-up).
fn wait_listing(cli: &Cli, n: usize) -> Result<()> {
    eventually_every(SETTLE, POLL, "the receiver part way through", || {
        let listed = cli.json(&["list", "--all"]).ok()?;
        (listed.as_array()?.len() >= n).then_some(())
    })
}

#[test]
fn repeated_sigkill_inside_the_sync_loop_loses_and_duplicates_nothing() -> Result<()> {
    let fed = Federation::init()?;
    let mut nodes = start_all(&fed)?;
    let mut acked = Acked::new();
    let per_round = 12;
    for round in 0..kill_rounds() {
        // In turn: kill a receiving node part way through its catch-up, the writing node
        // right after its writes were acknowledged (its peers are mid-stream from it),
        // and the third node.
        let (writer, victim) = match round % 3 {
            0 => ("hezhou", "qingyuan"),
            1 => ("qingyuan", "qingyuan"),
            _ => ("yongzhou", "hezhou"),
        };
        let before = list_all(&nodes[victim].cli("viewer"))?.len();
        let cli = nodes[writer].cli("coordinator");
        for i in 0..per_round {
            let id = create_suggestion(&cli, &format!("第{round}轮写入{i}"), &others(writer))?;
            let mut all = vec![writer];
            all.extend(others(writer));
            acked.insert(id, all);
        }
        // A different point of the sync loop each round.
        let part = before + 1 + (round * 5) % per_round;
        if victim != writer {
            wait_listing(&nodes[victim].cli("viewer"), part)?;
        }
        nodes.get_mut(victim).context("victim")?.kill();
        nodes.insert(victim, fed.start(victim)?);
    }
    all_converged(&clis(&nodes), &acked)?;
    no_panics(&fed)
}
