//! Public opinions (群众意见) at a reception, through two real nodes, the real CLI (gRPC),
//! the HTTP API and the web dashboard in a real browser: each city registers what its
//! people raised, answers it on the spot or passes it to a unit and records the unit's
//! feedback; only the receiving city handles an opinion; the reception's counts come from
//! its opinions; refusals name the state at fault and change nothing.

use anyhow::{ensure, Context as _, Result};
use lianluo_tests::browser::{get_json, Browser};
use lianluo_tests::check::{converged, id_of, wait_for, REPL};
use lianluo_tests::Federation;
use serde_json::Value;

/// (number, city, status, solved) of each opinion of the activity in `v`.
fn opinions(v: &Value) -> Vec<(u64, String, String, bool)> {
    v["activity"]["opinions"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|o| {
            (
                o["number"].as_u64().unwrap_or_default(),
                o["city"].as_str().unwrap_or_default().to_owned(),
                o["status"].as_str().unwrap_or_default().to_owned(),
                o["solved"] == true,
            )
        })
        .collect()
}

#[test]
fn a_reception_registers_and_handles_public_opinions_city_by_city() -> Result<()> {
    let fed = Federation::init()?;
    let hz = fed.start("hezhou")?;
    let qy = fed.start("qingyuan")?;
    let (hzc, qyc) = (hz.cli("coordinator"), qy.cli("coordinator"));
    let plan = |kind: &str, title: &str| {
        hzc.json(&[
            "activity",
            "plan",
            "--title",
            title,
            "--kind",
            kind,
            "--date",
            "2026-05-20",
            "--partner",
            "qingyuan",
        ])
    };
    let id = id_of(&plan(
        "constituent-reception",
        "桂岭圩日三地代表联合接待群众",
    )?);
    let inspection = id_of(&plan("joint-inspection", "边界公路联合视察")?);
    let err = hzc.fails(&[
        "activity",
        "opinion",
        &inspection,
        "--person",
        "村民",
        "--content",
        "路灯",
    ])?;
    ensure!(
        err.contains("they are received at a constituent_reception"),
        "{err}"
    );
    hzc.json(&[
        "activity",
        "report",
        &id,
        "--held-on",
        "2026-05-20",
        "--opinions",
        "30",
        "--problems-solved",
        "20",
    ])?;
    hzc.json(&[
        "activity",
        "opinion",
        &id,
        "--person",
        "桂岭镇村民黄某",
        "--content",
        "圩场路灯不亮",
        "--place",
        "桂岭圩场",
    ])?;
    hzc.json(&[
        "activity",
        "opinion",
        &id,
        "--person",
        "村民李某",
        "--content",
        "希望增开客运班次",
    ])?;
    wait_for(&qyc, &id, REPL, "the opinions at qingyuan", |v| {
        opinions(v).len() == 2
    })?;
    qyc.json(&[
        "activity",
        "opinion",
        &id,
        "--person",
        "太保镇村民",
        "--content",
        "山林界址标志被毁",
    ])?;
    // Only the registering city handles an opinion, by its own numbers (Qingyuan has one);
    // feedback only once it is passed on.
    let err = qyc.fails(&[
        "activity",
        "answer-opinion",
        &id,
        "2",
        "--answer",
        "已修",
        "--solved",
    ])?;
    ensure!(
        err.contains("cannot answer opinion 2: qingyuan has registered 1 opinion(s)"),
        "{err}"
    );
    let err = hzc.fails(&[
        "activity",
        "opinion-feedback",
        &id,
        "2",
        "--feedback",
        "已增开",
    ])?;
    ensure!(
        err.contains("cannot record feedback: opinion 2 is `received`, must be `referred`"),
        "{err}"
    );
    hzc.json(&[
        "activity",
        "answer-opinion",
        &id,
        "1",
        "--answer",
        "已协调供电所当场修复",
        "--solved",
    ])?;
    hzc.json(&[
        "activity",
        "refer-opinion",
        &id,
        "2",
        "--unit",
        "贺州市交通运输局",
    ])?;
    hzc.json(&[
        "activity",
        "opinion-feedback",
        &id,
        "2",
        "--feedback",
        "已增开早晚班次",
        "--solved",
    ])?;
    qyc.json(&[
        "activity",
        "refer-opinion",
        &id,
        "1",
        "--unit",
        "连山县自然资源局",
    ])?;
    let view = converged(&[("hezhou", &hzc), ("qingyuan", &qyc)], &id, REPL, |v| {
        v.version == 9
    })?;
    ensure!(view.status == "held", "{view:?}");
    let v = hzc.json(&["show", &id])?;
    let want = [
        (1, "hezhou", "answered", true),
        (2, "hezhou", "fed_back", true),
        (1, "qingyuan", "referred", false),
    ]
    .map(|(n, c, s, x)| (n, c.to_owned(), s.to_owned(), x));
    ensure!(opinions(&v) == want, "{v}");
    // The reported 30 and 20 give way to the opinions: 3 collected, 2 solved.
    let a = &v["activity"];
    ensure!(
        a["opinions_collected"] == 3 && a["problems_solved"] == 2,
        "{a}"
    );

    let zh = hzc.run(&["show", &id, "--lang", "zh"]);
    let zh = String::from_utf8_lossy(&zh.stdout);
    for want in [
        "群众意见：",
        "贺州1. 桂岭镇村民黄某（桂岭圩场）：圩场路灯不亮 — 当场答复：已协调供电所当场修复（已解决）",
        "清远1. 太保镇村民：山林界址标志被毁 — 已转交连山县自然资源局办理",
        "意见2办理反馈（已解决）：已增开早晚班次",
    ] {
        ensure!(zh.contains(want), "{want:?} not in:\n{zh}");
    }
    let http = hz.http.clone().context("http address")?;
    let found = get_json(&http, "/api/records?text=%E7%95%8C%E5%9D%80")?; // 界址
    let ids: Vec<&str> = found["records"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["id"].as_str())
        .collect();
    ensure!(ids == [id.as_str()], "{found}");
    let ov = get_json(&http, "/api/overview?year=2026")?;
    let hezhou = ov["cities"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["city"] == "hezhou"))
        .context("hezhou")?;
    ensure!(
        hezhou["figures"]["opinions_collected"] == 3 && hezhou["figures"]["problems_solved"] == 2,
        "{hezhou}"
    );
    dashboard_lists_the_opinions(&http, &id)
}

/// The record page in a real browser (skipped without Chromium unless required).
fn dashboard_lists_the_opinions(http: &str, id: &str) -> Result<()> {
    let Some(browser) = Browser::for_test("opinions")? else {
        return Ok(());
    };
    let page = browser.page(None, &format!("http://{http}/records/{id}"))?;
    let rows: Vec<(String, String, String)> = page
        .with_attr("data-opinion")
        .into_iter()
        .map(|e| {
            let s = |k: &str| e.attr(k).unwrap_or_default().to_owned();
            (s("data-opinion"), s("data-status"), s("data-solved"))
        })
        .collect();
    let want = [
        ("hezhou-1", "answered", "true"),
        ("hezhou-2", "fed_back", "true"),
        ("qingyuan-1", "referred", "false"),
    ]
    .map(|(a, b, c)| (a.to_owned(), b.to_owned(), c.to_owned()));
    ensure!(rows == want, "{rows:?}");
    ensure!(
        page.shows_text("群众意见")
            && page.html.contains("当场答复（已解决）")
            && page.shows_text("已转交"),
        "the opinions table in Chinese"
    );
    Ok(())
}
