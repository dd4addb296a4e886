//! Business dates through a real node and the real CLI: a station set up in 2021, a
//! suggestion submitted and dispatched in 2023 and a dispute registered in 2023, all
//! entered today, count in the years they happened (overview and report of each year);
//! the dates show in the records; a date before the one it follows, or after today, is
//! refused naming the field and changes nothing; a part's deadline is extended (延期).

use anyhow::{ensure, Context as _, Result};
use lianluo_tests::Federation;
use serde_json::Value;

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap_or_default().to_string()
}

/// The answering city's figures of `year` (`overview --json --year`).
fn figures(cli: &lianluo_tests::Cli, year: &str) -> Result<Value> {
    let ov = cli.json(&["overview", "--year", year, "--deadline", "200ms"])?;
    ov["cities"]
        .as_array()
        .and_then(|cs| cs.iter().find(|c| c["local"] == true))
        .map(|c| c["figures"].clone())
        .context("the local city's figures")
}

#[test]
fn records_entered_today_count_in_the_years_they_happened() -> Result<()> {
    let fed = Federation::init()?;
    let node = fed.start("hezhou")?;
    let cli = node.cli("coordinator");
    let station = cli.json(&[
        "station",
        "register",
        "--name",
        "桂岭省际人大代表联络站",
        "--township",
        "桂岭镇",
        "--county",
        "八步区",
        "--founded-on",
        "2021-12-08",
    ])?;
    assert_eq!(station["station"]["founded_on"], "2021-12-08");
    let sug = cli.json(&[
        "suggestion",
        "create",
        "--title",
        "关于打通省际断头路的建议",
        "--body",
        "建议两地联合推进。",
        "--proposer",
        "李明",
        "--submitted-on",
        "2023-02-20",
    ])?;
    let sid = id(&sug);
    assert_eq!(sug["suggestion"]["submitted_on"], "2023-02-20");
    assert_eq!(
        sug["suggestion"]["year"], 2023,
        "the congress year of its 提出日期"
    );

    // A 交办日期 before the 提出日期 is refused, naming both, and changes nothing.
    let err = cli.fails(&[
        "suggestion",
        "dispatch",
        &sid,
        "--unit",
        "贺州市交通运输局",
        "--deadline",
        "2023-06-30",
        "--dispatched-on",
        "2023-02-19",
    ])?;
    ensure!(
        err.contains(
            "dispatched_on 2023-02-19 is before the day the suggestion was submitted (2023-02-20)"
        ),
        "{err}"
    );
    let after = cli.json(&["show", &sid])?;
    ensure!(after["status"] == "submitted", "nothing changed: {after}");
    let dispatched = cli.json(&[
        "suggestion",
        "dispatch",
        &sid,
        "--unit",
        "贺州市交通运输局",
        "--deadline",
        "2023-06-30",
        "--dispatched-on",
        "2023-03-01",
    ])?;
    assert_eq!(
        dispatched["suggestion"]["parts"][0]["dispatched_on"],
        "2023-03-01"
    );
    // 延期: the unit gets a later deadline, with the reason; an earlier one is refused.
    let extended = cli.json(&[
        "suggestion",
        "extend",
        &sid,
        "--deadline",
        "2023-09-30",
        "--reason",
        "涉及跨省审批",
    ])?;
    assert_eq!(extended["suggestion"]["parts"][0]["deadline"], "2023-09-30");
    let err = cli.fails(&[
        "suggestion",
        "extend",
        &sid,
        "--deadline",
        "2023-08-31",
        "--reason",
        "再延",
    ])?;
    ensure!(
        err.contains("2023-08-31 is not after the part's deadline 2023-09-30"),
        "{err}"
    );
    // The CLI speaks Chinese when asked (or with a Chinese LANG).
    let zh = cli.run(&["show", &sid, "--lang", "zh"]);
    let zh = String::from_utf8_lossy(&zh.stdout);
    ensure!(
        zh.contains("提出日期：    2023-02-20")
            && zh.contains("贺州承办：已交办，主办单位贺州市交通运输局"),
        "{zh}"
    );
    // A date after today is refused at the API, naming the field.
    let err = cli.fails(&[
        "dispute",
        "report",
        "--title",
        "交界山林纠纷",
        "--description",
        "两村争议",
        "--reported-on",
        "2099-01-01",
    ])?;
    ensure!(
        err.contains("dispute_reported.reported_on") && err.contains("is after today"),
        "{err}"
    );
    let dispute = cli.json(&[
        "dispute",
        "report",
        "--title",
        "交界山林纠纷",
        "--description",
        "两村对界址有争议",
        "--reported-on",
        "2023-04-12",
    ])?;
    assert_eq!(dispute["dispute"]["reported_on"], "2023-04-12");

    // Counted in the years they happened, not in this one.
    let this_year = time::OffsetDateTime::now_utc().year().to_string();
    for (year, stations, suggestions, disputes) in [
        ("2020", 0, 0, 0),
        ("2021", 1, 0, 0),
        ("2023", 1, 1, 1),
        (this_year.as_str(), 1, 0, 0),
    ] {
        let f = figures(&cli, year)?;
        let got = (
            f["stations"].as_u64(),
            f["suggestions"].as_u64(),
            f["disputes"].as_u64(),
        );
        ensure!(
            got == (Some(stations), Some(suggestions), Some(disputes)),
            "{year}: {got:?} in {f}"
        );
    }
    let listed = cli.json(&["list", "--kind", "dispute", "--year", "2023"])?;
    ensure!(
        listed.as_array().map(Vec::len) == Some(1),
        "listed by its year: {listed}"
    );
    let report = cli.run(&["report", "--year", "2023", "--deadline", "200ms"]);
    let text = String::from_utf8_lossy(&report.stdout);
    ensure!(
        text.contains("联络站1个") && text.contains("督办代表建议1件"),
        "the 2023 report counts them: {text}"
    );
    Ok(())
}
