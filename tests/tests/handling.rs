//! Suggestion handling as offices do it, through two real nodes, the real CLI (gRPC) and
//! the web dashboard in a real browser: 主办 and 协办 units, 签收, 退回 and 改派 by the
//! partner city, answers with their result category, each proposer rating (a deputy of
//! either city, recorded by their city) with the suggestion's rating derived from theirs,
//! and 重点督办; refusals name the state at fault and change nothing.

use anyhow::{ensure, Context as _, Result};
use lianluo_tests::browser::Browser;
use lianluo_tests::check::{converged, id_of, wait_for, REPL};
use lianluo_tests::Federation;
use serde_json::Value;

/// A city's part of the suggestion in `v` (`show --json`).
fn part<'v>(v: &'v Value, city: &str) -> Option<&'v Value> {
    v["suggestion"]["parts"]
        .as_array()?
        .iter()
        .find(|p| p["city"] == city)
}

#[test]
fn offices_handle_a_shared_suggestion_unit_by_unit_and_deputy_by_deputy() -> Result<()> {
    let fed = Federation::init()?;
    let hz = fed.start("hezhou")?;
    let qy = fed.start("qingyuan")?;
    let (hzc, qyc) = (hz.cli("coordinator"), qy.cli("coordinator"));
    let created = hzc.json(&[
        "suggestion",
        "create",
        "--title",
        "关于开通连山至贺州客运班线的建议",
        "--body",
        "建议两市联合开通跨省客运班线。",
        "--proposer",
        "李明",
        "--proposer",
        "陈静",
        "--partner",
        "qingyuan",
    ])?;
    let id = id_of(&created);
    // Hezhou: 主办 with a 协办 unit, then 签收.
    let v = hzc.json(&[
        "suggestion",
        "dispatch",
        &id,
        "--unit",
        "贺州市交通运输局",
        "--co-unit",
        "贺州市财政局",
        "--deadline",
        "2099-06-30",
    ])?;
    ensure!(
        part(&v, "hezhou").map(|p| p["co_units"].clone())
            == Some(serde_json::json!(["贺州市财政局"])),
        "{v}"
    );
    let v = hzc.json(&["suggestion", "accept", &id, "--note", "已签收"])?;
    ensure!(
        part(&v, "hezhou").is_some_and(|p| p["status"] == "accepted"),
        "{v}"
    );
    let err = hzc.fails(&["suggestion", "accept", &id])?;
    ensure!(
        err.contains("hezhou's part is `accepted`, must be `dispatched`"),
        "{err}"
    );

    // Qingyuan: its unit returns the part; work on it is refused until 改派.
    wait_for(&qyc, &id, REPL, "the suggestion at qingyuan", |_| true)?;
    qyc.json(&[
        "suggestion",
        "dispatch",
        &id,
        "--unit",
        "清远市林业局",
        "--deadline",
        "2099-05-31",
    ])?;
    let v = qyc.json(&["suggestion", "return", &id, "--reason", "不属于本单位职责"])?;
    ensure!(
        part(&v, "qingyuan")
            .is_some_and(|p| p["status"] == "returned" && p["return_reason"] == "不属于本单位职责"),
        "{v}"
    );
    let err = qyc.fails(&["suggestion", "answer", &id, "--answer", "已办"])?;
    ensure!(
        err.contains("re-dispatch it to another unit first (改派)"),
        "{err}"
    );
    ensure!(
        part(&qyc.json(&["show", &id])?, "qingyuan").is_some_and(|p| p["status"] == "returned"),
        "a refused answer changed nothing"
    );
    let v = qyc.json(&[
        "suggestion",
        "redispatch",
        &id,
        "--unit",
        "清远市交通运输局",
        "--co-unit",
        "清远市林业局",
        "--reason",
        "按职责改派",
    ])?;
    ensure!(
        part(&v, "qingyuan").is_some_and(|p| p["unit"] == "清远市交通运输局"
            && p["status"] == "dispatched"
            && p["deadline"] == "2099-05-31"),
        "{v}"
    );

    // Answers with their result category.
    hzc.json(&[
        "suggestion",
        "answer",
        &id,
        "--answer",
        "已开通直达班线",
        "--category",
        "a",
    ])?;
    qyc.json(&[
        "suggestion",
        "answer",
        &id,
        "--answer",
        "已列入年度计划",
        "--category",
        "b",
    ])?;
    wait_for(&hzc, &id, REPL, "both answers at hezhou", |v| {
        v["status"] == "answered"
    })?;
    // Each proposer rates, recorded by their own city; a tie goes to the less satisfied.
    hzc.json(&[
        "suggestion",
        "rate",
        &id,
        "--proposer",
        "李明",
        "--rating",
        "satisfied",
    ])?;
    let err = hzc.fails(&[
        "suggestion",
        "rate",
        &id,
        "--proposer",
        "张三",
        "--rating",
        "satisfied",
    ])?;
    ensure!(
        err.contains("张三 is not a proposer of this suggestion"),
        "{err}"
    );
    wait_for(&qyc, &id, REPL, "李明's rating at qingyuan", |v| {
        v["suggestion"]["proposer_ratings"]
            .as_array()
            .is_some_and(|r| r.len() == 1)
    })?;
    qyc.json(&[
        "suggestion",
        "rate",
        &id,
        "--proposer",
        "陈静",
        "--rating",
        "basically-satisfied",
        "--comment",
        "班线开通了，票价还需统一",
    ])?;
    hzc.json(&[
        "suggestion",
        "prioritize",
        &id,
        "--leader",
        "贺州市人大常委会副主任 黄志刚",
    ])?;
    let view = converged(&[("hezhou", &hzc), ("qingyuan", &qyc)], &id, REPL, |v| {
        v.status == "rated"
    })?;
    ensure!(view.status == "rated", "{view:?}");
    let v = hzc.json(&["show", &id])?;
    let s = &v["suggestion"];
    ensure!(s["rating"] == "basically_satisfied", "derived rating: {s}");
    ensure!(
        s["key_supervision"][0]["leader"] == "贺州市人大常委会副主任 黄志刚",
        "{s}"
    );
    ensure!(
        part(&v, "hezhou").is_some_and(|p| p["category"] == "a")
            && part(&v, "qingyuan").is_some_and(|p| p["category"] == "b"),
        "{v}"
    );

    // The CLI in Chinese.
    let zh = hzc.run(&["show", &id, "--lang", "zh"]);
    let zh = String::from_utf8_lossy(&zh.stdout);
    for want in [
        "贺州承办：已答复，主办单位贺州市交通运输局",
        "协办单位：贺州市财政局",
        "办理结果：A类（已解决或采纳）",
        "陈静测评：基本满意",
        "贺州重点督办，督办领导：贺州市人大常委会副主任 黄志刚",
        "改派至清远市交通运输局（协办：清远市林业局）：按职责改派",
    ] {
        ensure!(zh.contains(want), "{want:?} not in:\n{zh}");
    }
    dashboard_shows_the_handling(&hz, &id)
}

/// The record page in a real browser (skipped without Chromium unless required).
fn dashboard_shows_the_handling(hz: &lianluo_tests::NodeProc, id: &str) -> Result<()> {
    let Some(browser) = Browser::for_test("handling")? else {
        return Ok(());
    };
    let http = hz.http.clone().context("http address")?;
    let page = browser.page(None, &format!("http://{http}/records/{id}"))?;
    let cells = |field: &str| -> Vec<String> {
        page.with_attr("data-field")
            .into_iter()
            .filter(|e| e.attr("data-field") == Some(field))
            .map(|e| e.text.trim().to_string())
            .collect()
    };
    ensure!(
        cells("co_units") == ["贺州市财政局", "清远市林业局"],
        "协办单位: {:?}",
        cells("co_units")
    );
    ensure!(
        cells("category") == ["A类（已解决或采纳）", "B类（正在解决或列入计划）"],
        "{:?}",
        cells("category")
    );
    ensure!(
        cells("proposer_ratings") == ["李明：满意、陈静：基本满意（班线开通了，票价还需统一）"],
        "{:?}",
        cells("proposer_ratings")
    );
    ensure!(
        cells("key_supervision") == ["贺州：贺州市人大常委会副主任 黄志刚"],
        "{:?}",
        cells("key_supervision")
    );
    ensure!(
        page.shows_text("主办单位") && page.shows_text("协办单位") && page.shows_text("办理结果"),
        "column headings"
    );
    let en = browser.page(None, &format!("http://{http}/records/{id}?lang=en"))?;
    ensure!(
        en.html.contains("Accepted by the unit") && en.html.contains("Re-dispatched to"),
        "English history summaries"
    );
    Ok(())
}
