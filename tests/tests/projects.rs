//! Projects (项目) through two real nodes, the real CLI (gRPC), the HTTP API and the web
//! dashboard in a real browser: a road link Hezhou proposes with Qingyuan, linked to the
//! suggestion behind it, started and completed by Hezhou with its dates; Qingyuan links its
//! inspection; refusals name the field or state at fault and change nothing; the figures
//! and the report count it as the published accounts do.

use anyhow::{ensure, Context as _, Result};
use lianluo_tests::browser::{get_json, http_get, Browser};
use lianluo_tests::check::{converged, id_of, wait_for, REPL};
use lianluo_tests::Federation;

#[test]
fn a_road_link_is_proposed_built_and_counted_across_two_cities() -> Result<()> {
    let fed = Federation::init()?;
    let hz = fed.start("hezhou")?;
    let qy = fed.start("qingyuan")?;
    let (hzc, qyc) = (hz.cli("coordinator"), qy.cli("coordinator"));
    let suggestion = id_of(&hzc.json(&[
        "suggestion",
        "create",
        "--title",
        "打通桂岭镇至太保镇断头路",
        "--body",
        "建议两地联合建设县乡公路连接线。",
        "--partner",
        "qingyuan",
    ])?);
    let err = hzc.fails(&[
        "project",
        "propose",
        "--title",
        "桂岭至太保县乡公路连通工程",
        "--kind",
        "road-link",
        "--suggestion",
        "桂岭-1",
    ])?;
    ensure!(
        err.contains("project_proposed.suggestion_ids[0]") && err.contains("is not a record id"),
        "{err}"
    );
    // A linked record this node holds must be of the kind the field names.
    let err = hzc.fails(&[
        "project",
        "propose",
        "--title",
        "桂岭至太保县乡公路连通工程",
        "--kind",
        "road-link",
        "--activity",
        &suggestion,
    ])?;
    ensure!(
        err.contains(&format!(
            "project_proposed.activity_ids[0]: {suggestion} is a suggestion, not an activity"
        )),
        "{err}"
    );
    let created = hzc.json(&[
        "project",
        "propose",
        "--title",
        "桂岭至太保县乡公路连通工程",
        "--kind",
        "road-link",
        "--place",
        "贺州市八步区桂岭镇",
        "--place",
        "清远市连山县太保镇",
        "--villages",
        "5",
        "--people",
        "12800",
        "--suggestion",
        &suggestion,
        "--proposed-on",
        "2023-03-10",
        "--partner",
        "qingyuan",
    ])?;
    let id = id_of(&created);
    ensure!(
        created["status"] == "proposed" && created["project"]["project_kind"] == "road_link",
        "{created}"
    );
    // Only the origin starts it; not before it was proposed.
    wait_for(&qyc, &id, REPL, "the project at qingyuan", |_| true)?;
    let err = qyc.fails(&["project", "start", &id, "--started-on", "2023-06-01"])?;
    ensure!(
        err.contains("only the origin city hezhou may start the project"),
        "{err}"
    );
    let err = hzc.fails(&["project", "start", &id, "--started-on", "2023-03-01"])?;
    ensure!(
        err.contains(
            "started_on 2023-03-01 is before the day the project was proposed (2023-03-10)"
        ),
        "{err}"
    );
    ensure!(
        hzc.json(&["show", &id])?["status"] == "proposed",
        "a refused start changed nothing"
    );
    hzc.json(&["project", "start", &id, "--started-on", "2023-06-01"])?;
    let err = hzc.fails(&["project", "start", &id, "--started-on", "2023-06-02"])?;
    ensure!(
        err.contains("cannot start: project is `under_construction`, must be `proposed`"),
        "{err}"
    );
    hzc.json(&[
        "project",
        "complete",
        &id,
        "--completed-on",
        "2024-09-30",
        "--villages",
        "6",
        "--note",
        "通车",
    ])?;
    // Qingyuan links the inspection it held on the road.
    let inspection = id_of(&qyc.json(&[
        "activity",
        "plan",
        "--title",
        "桂岭—太保公路联合视察",
        "--kind",
        "joint-inspection",
        "--date",
        "2024-05-20",
        "--partner",
        "hezhou",
    ])?);
    wait_for(&qyc, &id, REPL, "the completion at qingyuan", |v| {
        v["status"] == "completed"
    })?;
    qyc.json(&["project", "link", &id, "--activity", &inspection])?;
    let err = qyc.fails(&["project", "link", &id, "--activity", &inspection])?;
    ensure!(err.contains("is already linked to the project"), "{err}");
    let view = converged(&[("hezhou", &hzc), ("qingyuan", &qyc)], &id, REPL, |v| {
        v.version == 4
    })?;
    ensure!(view.status == "completed", "{view:?}");
    let v = hzc.json(&["show", &id])?;
    let p = &v["project"];
    ensure!(
        p["villages"] == 6
            && p["people"] == 12800
            && p["started_on"] == "2023-06-01"
            && p["completed_on"] == "2024-09-30"
            && p["suggestion_ids"][0] == suggestion.as_str()
            && p["activity_ids"][0] == inspection.as_str(),
        "{p}"
    );

    // The CLI in Chinese; list by kind and by text.
    let zh = hzc.run(&["show", &id, "--lang", "zh"]);
    let zh = String::from_utf8_lossy(&zh.stdout);
    for want in [
        "项目  已建成",
        "项目类型：    跨区域县乡公路连通工程",
        "建成日期：    2024年9月30日",
        "涉及地方：    贺州市八步区桂岭镇、清远市连山县太保镇",
    ] {
        ensure!(zh.contains(want), "{want:?} not in:\n{zh}");
    }
    let listed = hzc.json(&["list", "--kind", "project", "--text", "太保镇"])?;
    ensure!(
        listed
            .as_array()
            .is_some_and(|r| r.len() == 1 && r[0]["id"] == id.as_str()),
        "{listed}"
    );
    let http = hz.http.clone().context("http address")?;
    figures_and_report_count_it(&http)?;
    dashboard_shows_the_project(&hz, &id, &suggestion)
}

/// The year's figures and report at Hezhou's HTTP API.
fn figures_and_report_count_it(http: &str) -> Result<()> {
    let ov = get_json(http, "/api/overview?year=2024")?;
    let total = &ov["total"];
    ensure!(
        total["projects_completed_by_kind"]["road_link"] == 1
            && total["villages_benefited_by_kind"]["road_link"] == 6
            && total["people_benefited_by_kind"]["road_link"] == 12800,
        "{total}"
    );
    let qingyuan = ov["cities"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["city"] == "qingyuan"))
        .context("qingyuan")?;
    ensure!(
        qingyuan["figures"]["participating"]["projects"] == 1,
        "{qingyuan}"
    );
    let (status, md) = http_get(http, "/api/report?year=2024&format=md")?;
    ensure!(status == 200, "{status}: {md}");
    ensure!(
        md.contains(
            "促成跨区域县乡公路连通工程1条（其中2024年建成1条），解决沿线6个行政村1万多群众出行难问题"
        ),
        "{md}"
    );
    // The year before, it was being built: no road link yet.
    let (_, md) = http_get(http, "/api/report?year=2023&format=md")?;
    ensure!(!md.contains("促成跨区域县乡公路连通工程"), "{md}");
    Ok(())
}

/// The record page and the overview in a real browser (skipped without Chromium unless
/// required).
fn dashboard_shows_the_project(
    hz: &lianluo_tests::NodeProc,
    id: &str,
    suggestion: &str,
) -> Result<()> {
    let Some(browser) = Browser::for_test("projects")? else {
        return Ok(());
    };
    let http = hz.http.clone().context("http address")?;
    let page = browser.page(None, &format!("http://{http}/records/{id}"))?;
    let field = |name: &str| -> Vec<String> {
        page.with_attr("data-field")
            .into_iter()
            .filter(|e| e.attr("data-field") == Some(name))
            .map(|e| e.text.trim().to_string())
            .collect()
    };
    ensure!(
        field("project_kind") == ["跨区域县乡公路连通工程"],
        "{:?}",
        field("project_kind")
    );
    ensure!(field("villages") == ["6"], "{:?}", field("villages"));
    ensure!(
        page.html
            .contains(&format!("href=\"/records/{suggestion}\"")),
        "a link to the suggestion behind it"
    );
    ensure!(page.shows_text("建成日期"), "建成日期");
    let ov = browser.page(None, &format!("http://{http}/?year=2024"))?;
    let shown = ov.figures()?;
    let at = |figure: &str, key: &str| ("total".to_string(), figure.to_string(), key.to_string());
    ensure!(
        shown.get(&at("projects_completed_by_kind", "road_link")) == Some(&1)
            && shown.get(&at("people_benefited_by_kind", "road_link")) == Some(&12800),
        "{shown:?}"
    );
    Ok(())
}
