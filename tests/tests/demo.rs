//! The README's main command: `lianluo demo` sets up three federated cities, loads the
//! sample data shaped like the published figures, says `ready`, keeps every link
//! connected with lag 0, and stops all three cleanly on Ctrl-C. With the demo running,
//! `lianluo overview` at every city shows all three cities ok with figures that match
//! the records, and `lianluo report` prints the year's report with those numbers.

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
    // The seven road links, the demonstration zone and one project being built.
    assert_eq!(by_kind.get("project"), Some(&9), "{by_kind:?}");
    assert_eq!(statuses.get("project/completed"), Some(&8), "{statuses:?}");
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
    check_dashboards(dir)
}

/// The figures each city's records give, counted the way `CityFigures` documents them
/// (from `list`, independently of the node's figures code).
#[derive(Debug, Default, PartialEq)]
struct Expected {
    stations: u64,
    suggestions: u64,
    overdue: u64,
    disputes: u64,
    /// Disputes with at least one mediation session.
    mediated: u64,
    activities: u64,
    opinions: u64,
    problems: u64,
    /// "suggestions_by_status/answered" → n, "ratings/satisfied" → n, …
    maps: BTreeMap<String, u64>,
}

fn expected_from_list(cli: &Cli, city: &str) -> Result<Expected> {
    let mut e = Expected::default();
    let listed = cli.json(&["list", "--all"])?;
    for r in listed.as_array().into_iter().flatten() {
        if r["origin"] != city {
            continue;
        }
        let status = str_of(&r["status"]);
        let mut bump =
            |map: &str, key: String| *e.maps.entry(format!("{map}/{key}")).or_default() += 1;
        match r["kind"].as_str() {
            Some("station") => {
                bump("stations_by_status", status.clone());
                e.stations += u64::from(status != "closed");
            }
            Some("suggestion") => {
                bump("suggestions_by_status", status);
                let rating = str_of(&r["suggestion"]["rating"]);
                if !rating.is_empty() {
                    bump("ratings", rating);
                }
                e.suggestions += 1;
                e.overdue += u64::from(r["suggestion"]["overdue"] == true);
            }
            Some("dispute") => {
                bump("disputes_by_status", status);
                e.disputes += 1;
                let sessions = r["dispute"]["sessions"].as_array().map_or(0, Vec::len);
                e.mediated += u64::from(sessions > 0);
            }
            Some("activity") => {
                bump("activities_by_status", status.clone());
                e.activities += 1;
                if status == "held" {
                    let a = &r["activity"];
                    e.opinions += a["opinions_collected"].as_u64().unwrap_or_default();
                    e.problems += a["problems_solved"].as_u64().unwrap_or_default();
                }
            }
            _ => {}
        }
    }
    Ok(e)
}

/// The same figures as the node reports them in `CityFigures` JSON.
fn expected_from_figures(f: &Value) -> Expected {
    let n = |k: &str| f[k].as_u64().unwrap_or(u64::MAX);
    let mut maps = BTreeMap::new();
    for map in [
        "stations_by_status",
        "suggestions_by_status",
        "ratings",
        "disputes_by_status",
        "activities_by_status",
    ] {
        for (k, v) in f[map].as_object().into_iter().flatten() {
            maps.insert(format!("{map}/{k}"), v.as_u64().unwrap_or(u64::MAX));
        }
    }
    Expected {
        stations: n("stations"),
        suggestions: n("suggestions"),
        overdue: n("suggestions_overdue"),
        disputes: n("disputes"),
        mediated: n("disputes_mediated"),
        activities: n("activities"),
        opinions: n("opinions_collected"),
        problems: n("problems_solved"),
        maps,
    }
}

fn sum(all: &[Expected]) -> Expected {
    let mut t = Expected::default();
    for e in all {
        t.stations += e.stations;
        t.suggestions += e.suggestions;
        t.overdue += e.overdue;
        t.disputes += e.disputes;
        t.mediated += e.mediated;
        t.activities += e.activities;
        t.opinions += e.opinions;
        t.problems += e.problems;
        for (k, v) in &e.maps {
            *t.maps.entry(k.clone()).or_default() += v;
        }
    }
    t
}

/// `overview --json` at every city: not partial, all three ok, figures equal to what
/// `list` shows; `report` for this year carries the same numbers, as Markdown and HTML.
fn check_dashboards(dir: &std::path::Path) -> Result<()> {
    let viewer = |city: &str| Cli {
        profile: dir.join("demo").join(city).join("viewer.toml"),
    };
    let expected = CITIES
        .iter()
        .map(|c| expected_from_list(&viewer(c), c))
        .collect::<Result<Vec<_>>>()?;
    let total = sum(&expected);
    for city in CITIES {
        let ov = viewer(city).json(&["overview"])?;
        assert_eq!(ov["partial"], false, "overview at {city}: {ov:#}");
        assert_eq!(ov["answered_by"], city);
        let cities = ov["cities"].as_array().context("cities")?;
        let names: Vec<&str> = cities.iter().filter_map(|c| c["city"].as_str()).collect();
        assert_eq!(names.len(), 3, "{names:?}");
        assert_eq!(names[0], city, "the answering city comes first");
        for (i, want) in CITIES.iter().enumerate() {
            let c = cities
                .iter()
                .find(|c| c["city"] == *want)
                .with_context(|| format!("{want} in the overview at {city}"))?;
            assert_eq!(c["outcome"], "ok", "{want} at {city}: {c:#}");
            assert_eq!(c["local"], *want == city);
            assert_eq!(
                expected_from_figures(&c["figures"]),
                expected[i],
                "{want}'s figures at {city}"
            );
        }
        assert_eq!(
            expected_from_figures(&ov["total"]),
            total,
            "total at {city}"
        );
    }
    check_report(&viewer("qingyuan"), &total)
}

fn check_report(cli: &Cli, total: &Expected) -> Result<()> {
    // The sample's dates lie before today: on 1 January they are last year's.
    let yesterday = time::OffsetDateTime::now_utc().to_offset(time::macros::offset!(+8))
        - time::Duration::days(1);
    let year = yesterday.year().to_string();
    // The sample's history spans five years: the year's report says that year's part,
    // as the overview for the year counts it (the overview of all years equals `list`).
    let of_year = cli.json(&["overview", "--year", &year])?;
    let n = |k: &str| of_year["total"][k].as_u64().unwrap_or(u64::MAX);
    assert!(
        n("suggestions") < total.suggestions && n("suggestions") > 0,
        "this year holds part of the sample's suggestions: {of_year}"
    );
    let wanted = [
        format!("联络站{}个", n("stations")),
        format!("代表建议{}件", n("suggestions")),
        format!("参与化解边界土地山林纠纷{}起", n("disputes_mediated")),
        format!("（{year}年）"),
        "分市情况".to_string(),
    ];
    for format in ["md", "html"] {
        let out = cli.run(&["report", "--year", &year, "--format", format]);
        lianluo_tests::check_ok(&out, "report")?;
        let text = String::from_utf8_lossy(&out.stdout);
        for w in &wanted {
            assert!(
                text.contains(w.as_str()),
                "{format} report lacks {w}:\n{text}"
            );
        }
        assert!(
            !text.contains("不完整"),
            "{format} report is partial:\n{text}"
        );
        for city in ["贺州", "清远", "永州"] {
            assert!(text.contains(city), "{format} report lacks {city}");
        }
        if format == "html" {
            assert!(text.starts_with("<!doctype html>") && text.trim_end().ends_with("</html>"));
        } else {
            assert!(
                text.starts_with("# 贺州·清远·永州省际人大代表联络工作年度报告"),
                "{text}"
            );
        }
    }
    assert_eq!(
        (total.stations, total.suggestions, total.disputes),
        (15, 23, 35),
        "the sample's published sizes"
    );
    // All the years together say what the published accounts say.
    let out = cli.run(&["report", "--all-years"]);
    lianluo_tests::check_ok(&out, "report --all-years")?;
    let text = String::from_utf8_lossy(&out.stdout);
    for published in [
        "（历年累计）",
        "在三市毗邻乡镇建立省际人大代表联络站15个，共同督办代表建议23件",
        "参与化解边界土地山林纠纷35起",
        "促成跨区域县乡公路连通工程7条，解决沿线36个行政村10万多群众出行难问题",
    ] {
        assert!(text.contains(published), "{published} not in:\n{text}");
    }
    Ok(())
}

fn str_of(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_string()
}

#[test]
fn demo_keeps_an_existing_dirs_ports_and_says_how_to_get_a_fresh_setup() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let dir = tmp.path().join("lianluo-demo");
    let dir_arg = dir.to_string_lossy().into_owned();
    // Its own port range, away from the other demo test's (same process id).
    let base = 30_000 + (std::process::id() % 80) as u16 * 30;
    let demo = |args: &[&str]| {
        Command::new(lianluo_bin())
            .args(["demo", "--dir", &dir_arg])
            .args(args)
            .output()
    };
    let out = demo(&["--init-only", "--base-port", &base.to_string()])?;
    lianluo_tests::check_ok(&out, "demo --init-only")?;
    let other = (base + 100).to_string();
    let out = demo(&["--init-only", "--base-port", &other])?;
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "another base port is refused: {err}");
    for want in [
        format!("set up with --base-port {base}"),
        format!("lianluo demo --dir {dir_arg}`"),
        format!("--dir {dir_arg}-{other} --base-port {other}"),
    ] {
        assert!(err.contains(&want), "{want:?} not in: {err}");
    }
    // Without --base-port the setup is used as it is.
    lianluo_tests::check_ok(&demo(&["--init-only"])?, "demo --init-only again")?;
    let toml = std::fs::read_to_string(dir.join("hezhou").join("node.toml"))?;
    assert!(toml.contains(&format!("127.0.0.1:{}", base + 1)), "{toml}");

    // A port taken by another program: the error names the flags that get past it.
    let _taken = std::net::TcpListener::bind(("127.0.0.1", base + 1))?;
    let out = demo(&["--no-sample-data"])?;
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    let next = base + 100;
    for want in [
        "is in use".to_string(),
        format!("--base-port {base}"),
        format!("lianluo demo --dir {dir_arg}-{next} --base-port {next}"),
        format!("127.0.0.1:{}", base + 1),
    ] {
        assert!(err.contains(&want), "{want:?} not in: {err}");
    }
    Ok(())
}
