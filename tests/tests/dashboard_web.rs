//! The web dashboard in a real browser: three real `lianluo node` processes, records made
//! with the CLI and replicated, then headless Chromium renders `/`, `/?lang=en`,
//! `/records` and `/records/<id>` from hezhou's HTTP listener, and what the pages show is
//! compared with what the JSON API answers: every figure per city and in total, the
//! cities' outcomes, Chinese labels by default and English with `lang=en`, and every
//! history entry of a record with its city, user and signature check.
//!
//! Skipped with a loud message when Chromium is not installed, unless
//! `LIANLUO_REQUIRE_BROWSER=1` (`.ci/run` sets it). With `LIANLUO_TEST_SCREENSHOTS=DIR`,
//! PNGs of the pages are written there to look at.

use anyhow::{bail, ensure, Context, Result};
use lianluo_tests::browser::{get_json, Browser, Page, Profile};
use lianluo_tests::check::{converged, create_suggestion, id_of, no_panics, wait_for, POLL, REPL};
use lianluo_tests::{eventually_every, Cli, Federation};
use serde_json::Value;

/// Figures the overview shows as numbers, per city and in total.
const KEY_FIGURES: [&str; 12] = [
    "stations",
    "suggestions",
    "joint_suggestions",
    "suggestions_overdue",
    "disputes",
    "disputes_mediated",
    "disputes_resolved_in_year",
    "activities",
    "deputies",
    "deputy_attendances",
    "opinions_collected",
    "projects",
];

/// Kinds of records a city takes part in that another city originated, shown per city.
const PARTICIPATING: [&str; 5] = [
    "stations",
    "suggestions",
    "disputes",
    "activities",
    "projects",
];

/// Figures the overview draws as charts, per city and in total.
const CHARTS: [&str; 6] = [
    "suggestions_by_status",
    "ratings",
    "disputes_by_status",
    "activities_by_kind",
    "activities_by_month",
    "projects_completed_by_kind",
];

/// (city, outcome) of every city of an overview answer, in order.
fn outcomes(overview: &Value) -> Vec<(String, String)> {
    let s = |v: &Value| v.as_str().unwrap_or_default().to_string();
    overview["cities"]
        .as_array()
        .map(|cs| {
            cs.iter()
                .map(|c| (s(&c["city"]), s(&c["outcome"])))
                .collect()
        })
        .unwrap_or_default()
}

/// The overview page at `url` and the API's overview taken just before it. The page asks
/// the live federation itself, so a city may answer it differently (e.g. one slow answer
/// under load); up to three tries for both to show the same outcomes.
fn overview_page(
    browser: &Browser,
    profile: Option<&Profile>,
    url: &str,
    http: &str,
) -> Result<(Page, Value)> {
    let mut seen = Vec::new();
    for _ in 0..3 {
        let api = get_json(http, "/api/overview")?;
        let page = browser.page(profile, url)?;
        if page.outcomes() == outcomes(&api) {
            return Ok((page, api));
        }
        seen.push((page.outcomes(), outcomes(&api)));
    }
    bail!("{url}: the page and the API never showed the same outcomes: {seen:?}")
}

/// The figures of each city that has them and of the total, as the API gives them.
fn api_figures(overview: &Value) -> Result<Vec<(String, &Value)>> {
    let mut out = Vec::new();
    for c in overview["cities"].as_array().context("cities")? {
        if c["figures"].is_object() {
            out.push((c["city"].as_str().unwrap_or_default().into(), &c["figures"]));
        }
    }
    out.push(("total".into(), &overview["total"]));
    Ok(out)
}

/// Checks that the page shows the API's figures for every city that has them and for the
/// total: each key figure, each non-zero chart entry, and nothing that differs.
fn same_figures(page: &Page, overview: &Value) -> Result<()> {
    let shown = page.figures()?;
    let expected = api_figures(overview)?;
    ensure!(
        expected.len() == 4,
        "three cities and the total: {overview}"
    );
    for (city, figures) in &expected {
        for f in KEY_FIGURES {
            let at = (city.clone(), f.to_string(), String::new());
            let api = figures[f].as_u64();
            ensure!(
                shown.get(&at) == api.as_ref(),
                "{at:?}: page {:?}, api {api:?}",
                shown.get(&at)
            );
        }
        if city != "total" {
            for k in PARTICIPATING {
                let at = (city.clone(), "participating".to_string(), k.to_string());
                let api = figures["participating"][k].as_u64();
                ensure!(
                    api.is_some() && shown.get(&at) == api.as_ref(),
                    "{at:?}: page {:?}, api {api:?}",
                    shown.get(&at)
                );
            }
        }
        for f in CHARTS {
            for (k, v) in figures[f].as_object().context("a map figure")? {
                let v = v.as_u64().context("a count")?;
                let at = (city.clone(), f.to_string(), k.clone());
                let got = shown.get(&at);
                ensure!(v == 0 || got == Some(&v), "{at:?}: page {got:?}, api {v}");
            }
        }
    }
    for ((city, f, k), v) in &shown {
        let figures = expected
            .iter()
            .find(|(c, _)| c == city)
            .with_context(|| format!("the page shows figures of {city:?}, not in the api"))?
            .1;
        let api = if k.is_empty() {
            &figures[f]
        } else {
            &figures[f][k]
        };
        ensure!(
            api.as_u64().unwrap_or(0) == *v,
            "({city}, {f}, {k}): page {v}, api {api}"
        );
    }
    Ok(())
}

/// The partial notice of an overview page: `data-partial` of its one banner.
fn partial_notice(page: &Page) -> Result<String> {
    let banners = page.with_attr("data-partial");
    ensure!(banners.len() == 1, "one partial notice: {banners:?}");
    Ok(banners[0]
        .attr("data-partial")
        .unwrap_or_default()
        .to_string())
}

/// Makes records at the three cities: a suggestion hezhou shares with qingyuan, dispatched
/// at both with a past deadline (overdue, history by two cities); a dispute qingyuan
/// shares with yongzhou; an activity yongzhou shares with hezhou, held.
fn make_records(hz: &Cli, qy: &Cli, yz: &Cli) -> Result<(String, String, String)> {
    let sug = create_suggestion(hz, "关于修建省际断头路的建议", &["qingyuan"])?;
    wait_for(qy, &sug, REPL, "the suggestion at qingyuan", |_| true)?;
    for (cli, unit) in [(hz, "贺州市交通运输局"), (qy, "清远市交通运输局")] {
        let dispatch = [
            "suggestion",
            "dispatch",
            &sug,
            "--unit",
            unit,
            "--deadline",
            "2024-03-01",
        ];
        cli.json(&dispatch)?;
    }
    let dis = id_of(&qy.json(&[
        "dispute",
        "report",
        "--title",
        "清远永州交界山林纠纷",
        "--description",
        "两村对交界山林权属有争议",
        "--partner",
        "yongzhou",
    ])?);
    let act = id_of(&yz.json(&[
        "activity",
        "plan",
        "--title",
        "永州贺州联合视察",
        "--kind",
        "joint-inspection",
        "--date",
        "2024-05-01",
        "--partner",
        "hezhou",
    ])?);
    yz.json(&[
        "activity",
        "report",
        &act,
        "--held-on",
        "2024-05-02",
        "--deputy",
        "张三@yongzhou",
        "--deputy",
        "李四@hezhou",
        "--opinions",
        "7",
        "--problems-solved",
        "2",
    ])?;
    // A road link Yongzhou built with Hezhou, counted in the cards and the chart.
    let road = id_of(&yz.json(&[
        "project",
        "propose",
        "--title",
        "涛圩至麦岭边界公路",
        "--kind",
        "road-link",
        "--villages",
        "4",
        "--people",
        "9000",
        "--proposed-on",
        "2023-02-01",
        "--partner",
        "hezhou",
    ])?);
    yz.json(&["project", "start", &road, "--started-on", "2023-04-01"])?;
    yz.json(&["project", "complete", &road, "--completed-on", "2024-06-30"])?;
    converged(&[("hezhou", hz), ("qingyuan", qy)], &sug, REPL, |v| {
        v.history_len == 3
    })?;
    converged(&[("qingyuan", qy), ("yongzhou", yz)], &dis, REPL, |_| true)?;
    converged(&[("yongzhou", yz), ("hezhou", hz)], &act, REPL, |v| {
        v.status == "held"
    })?;
    Ok((sug, dis, act))
}

/// The Chinese overview (the default): figures and outcomes equal the API's, Chinese
/// labels, no partial notice, the overdue suggestion and the held activity listed.
fn check_overview_zh(browser: &Browser, base: &str, http: &str, ids: [&str; 2]) -> Result<()> {
    let (zh, api) = overview_page(browser, None, &format!("{base}/"), http)?;
    same_figures(&zh, &api)?;
    let road = |city: &str, figure: &str| {
        let at = (city.to_owned(), figure.to_owned(), "road_link".to_owned());
        zh.figures().ok().and_then(|f| f.get(&at).copied())
    };
    ensure!(
        road("yongzhou", "projects_completed_by_kind") == Some(1)
            && road("total", "people_benefited_by_kind") == Some(9000),
        "the road link in the city table and the cards: {:?}",
        zh.figures()
    );
    ensure!(outcomes(&api).iter().all(|(_, o)| o == "ok"), "{api}");
    ensure!(
        partial_notice(&zh)? == "false",
        "a partial notice with every city ok"
    );
    ensure!(zh.lang() == "zh-CN", "default language: {}", zh.lang());
    for (text, what) in [
        ("概览", "heading"),
        ("正常", "outcome ok"),
        ("已交办", "status dispatched"),
        ("联合视察", "activity kind"),
        ("Word文档", "the Word report link"),
        ("建议交办清单与办理台账（Excel）", "the workbook link"),
        ("各市牵头与参与", "the table of led and taken-part records"),
    ] {
        ensure!(
            zh.shows_text(text),
            "the Chinese page shows no {what} {text:?}"
        );
    }
    ensure!(!zh.shows_text("Overview"), "English on the Chinese page");
    let year = time::OffsetDateTime::now_utc().year();
    // The overview of all years links the report of all years (历年累计).
    let docx = "/api/report?year=all&amp;format=docx";
    ensure!(
        zh.html.contains(docx),
        "no link to {docx} on the overview page"
    );
    let (status, md) = lianluo_tests::browser::http_get(http, "/api/report?year=all&format=md")?;
    ensure!(
        status == 200 && md.contains("（历年累计）"),
        "{status}: {md}"
    );
    let xlsx = format!("/api/export?year={year}");
    ensure!(
        zh.with_attr("data-export")
            .iter()
            .any(|e| e.attr("href") == Some(xlsx.as_str())),
        "no link to {xlsx} on the overview page"
    );
    ensure!(
        zh.rows("overdue") == [ids[0]],
        "overdue list: {:?}",
        zh.rows("overdue")
    );
    ensure!(
        zh.rows("activities") == [ids[1]],
        "activities: {:?}",
        zh.rows("activities")
    );
    Ok(())
}

/// The English overview with `?lang=en`, and the choice remembered on the next page.
fn check_overview_en(browser: &Browser, base: &str, http: &str) -> Result<()> {
    let profile = Profile::new()?;
    let (en, api) = overview_page(browser, Some(&profile), &format!("{base}/?lang=en"), http)?;
    same_figures(&en, &api)?;
    ensure!(en.lang() == "en", "lang=en: {}", en.lang());
    for text in ["Overview", "OK", "Dispatched", "Joint inspection"] {
        ensure!(en.shows_text(text), "the English page shows no {text:?}");
    }
    ensure!(
        !en.shows_text("概览") && !en.shows_text("正常"),
        "Chinese on the English page"
    );
    let next = browser.page(Some(&profile), &format!("{base}/records"))?;
    ensure!(next.lang() == "en", "the language choice is not remembered");
    Ok(())
}

/// The records browser lists what the API lists, links each row, and filters.
fn check_records(browser: &Browser, base: &str, http: &str, sug: &str) -> Result<()> {
    let api = get_json(http, "/api/records?page_size=50")?;
    let want: Vec<String> = api["records"]
        .as_array()
        .context("records")?
        .iter()
        .map(id_of)
        .collect();
    // Hezhou holds its suggestion, yongzhou's activity and road link, not the others'
    // dispute.
    ensure!(want.len() == 3, "records at hezhou: {want:?}");
    let all = browser.page(None, &format!("{base}/records"))?;
    ensure!(
        all.rows("records") == want,
        "rows {:?}, api {want:?}",
        all.rows("records")
    );
    for id in &want {
        let href = format!("/records/{id}");
        let linked = all
            .elements
            .iter()
            .any(|e| e.attr("href") == Some(href.as_str()));
        ensure!(linked, "no link to {href}");
    }
    // The total, counted by the node; and carried to the next page, which has none.
    let total = |p: &Page| -> Vec<String> {
        p.with_attr("data-total")
            .iter()
            .map(|e| e.attr("data-total").unwrap_or_default().to_owned())
            .collect()
    };
    ensure!(total(&all) == ["3"], "{:?}", total(&all));
    ensure!(all.html.contains("共3条记录"), "the total in Chinese");
    let first = browser.page(None, &format!("{base}/records?page_size=2"))?;
    let next = first
        .with_attr("data-next")
        .first()
        .and_then(|e| e.attr("href"))
        .map(str::to_owned)
        .context("a next page")?;
    ensure!(next.contains("total=3"), "{next}");
    let second = browser.page(None, &format!("{base}{}", next.replace("&amp;", "&")))?;
    ensure!(total(&second) == ["3"], "{:?}", total(&second));
    let overdue = browser.page(
        None,
        &format!("{base}/records?kind=suggestion&overdue=true"),
    )?;
    ensure!(
        overdue.rows("records") == [sug],
        "filtered: {:?}",
        overdue.rows("records")
    );
    let none = browser.page(None, &format!("{base}/records?kind=dispute&text=nothing"))?;
    ensure!(
        none.rows("records").is_empty(),
        "{:?}",
        none.rows("records")
    );
    Ok(())
}

/// The record page shows every history entry, in order, with its city, user and
/// signature check.
fn check_history(browser: &Browser, base: &str, http: &str, id: &str) -> Result<()> {
    let rec = get_json(http, &format!("/api/records/{id}"))?;
    let history = rec["history"].as_array().context("history")?;
    ensure!(history.len() == 3, "{rec}");
    let page = browser.page(None, &format!("{base}/records/{id}"))?;
    let shown = page.with_attr("data-event");
    ensure!(
        shown.len() == history.len(),
        "{} rows, {} entries",
        shown.len(),
        history.len()
    );
    for (e, row) in history.iter().zip(&shown) {
        for (attr, field) in [
            ("data-event", "id"),
            ("data-city", "author_city"),
            ("data-user", "author_user"),
            ("data-verified", "verified"),
            ("data-rejected", "rejected"),
        ] {
            let api = e[field]
                .as_str()
                .map_or_else(|| e[field].to_string(), str::to_string);
            ensure!(
                row.attr(attr) == Some(api.as_str()),
                "{attr}: {row:?} vs {e}"
            );
        }
    }
    let cities: Vec<&str> = shown.iter().filter_map(|r| r.attr("data-city")).collect();
    ensure!(
        cities.contains(&"hezhou") && cities.contains(&"qingyuan"),
        "{cities:?}"
    );
    let verified = page
        .elements
        .iter()
        .filter(|e| e.text == "✓ 已验证")
        .count();
    ensure!(
        verified == history.len(),
        "{verified} entries shown as verified"
    );
    ensure!(
        page.shows_text("关于修建省际断头路的建议"),
        "the record's title"
    );
    ensure!(
        page.shows_text("办理期限") && !page.shows_text("最早期限"),
        "each city's part shows its 办理期限"
    );
    Ok(())
}

/// With yongzhou down: the notice says so, yongzhou is stale and keeps its figures.
fn check_partial(browser: &Browser, base: &str, http: &str) -> Result<()> {
    eventually_every(REPL, POLL, "yongzhou stale at hezhou", || {
        let v = get_json(http, "/api/overview").ok()?;
        outcomes(&v)
            .contains(&("yongzhou".into(), "stale".into()))
            .then_some(())
    })?;
    let (page, api) = overview_page(browser, None, &format!("{base}/?lang=en"), http)?;
    ensure!(partial_notice(&page)? == "true", "no partial notice");
    ensure!(
        page.outcomes()
            .contains(&("yongzhou".into(), "stale".into())),
        "{:?}",
        page.outcomes()
    );
    ensure!(
        page.html.contains("Yongzhou Stale ("),
        "the notice names the city and its age"
    );
    same_figures(&page, &api)
}

#[test]
fn dashboard_pages_show_the_apis_figures_labels_and_history_in_chromium() -> Result<()> {
    let Some(browser) = Browser::for_test("dashboard_web")? else {
        return Ok(());
    };
    let fed = Federation::init()?;
    let hz = fed.start("hezhou")?;
    let qy = fed.start("qingyuan")?;
    let mut yz = fed.start("yongzhou")?;
    let (hzc, qyc, yzc) = (
        hz.cli("coordinator"),
        qy.cli("coordinator"),
        yz.cli("coordinator"),
    );
    let (sug, _dispute, act) = make_records(&hzc, &qyc, &yzc)?;
    let http = hz
        .http
        .clone()
        .context("hezhou's node announces its http address")?;
    let base = format!("http://{http}");

    // Every city answers hezhou's overview, with the records above counted.
    let overview = eventually_every(REPL, POLL, "every city ok with the records counted", || {
        let v = get_json(&http, "/api/overview").ok()?;
        let all_ok = outcomes(&v).iter().all(|(_, o)| o == "ok");
        let t = &v["total"];
        let counted = t["suggestions"] == 1 && t["disputes"] == 1 && t["activities"] == 1;
        (all_ok && counted).then_some(v)
    })?;
    assert_eq!(overview["total"]["suggestions_overdue"], 1, "{overview}");
    assert_eq!(overview["total"]["opinions_collected"], 7, "{overview}");
    assert_eq!(overview["total"]["joint_suggestions"], 1, "{overview}");
    assert_eq!(
        overview["total"]["disputes_mediated"], 0,
        "no session yet: {overview}"
    );
    assert_eq!(overview["total"]["deputies"], 2, "{overview}");
    // Each city's part in the records another city leads.
    for (city, kind) in [
        ("qingyuan", "suggestions"),
        ("yongzhou", "disputes"),
        ("hezhou", "activities"),
    ] {
        let c = overview["cities"]
            .as_array()
            .and_then(|cs| cs.iter().find(|c| c["city"] == city))
            .context("the city")?;
        assert_eq!(c["figures"]["participating"][kind], 1, "{city}: {c}");
    }

    check_overview_zh(&browser, &base, &http, [&sug, &act])?;
    check_overview_en(&browser, &base, &http)?;
    check_records(&browser, &base, &http, &sug)?;
    check_history(&browser, &base, &http, &sug)?;
    yz.kill();
    check_partial(&browser, &base, &http)?;
    no_panics(&fed)
}

/// Title of the record made while the page is open.
const LIVE_TITLE: &str = "页面打开后新增的建议";

#[test]
fn dashboard_pages_redraw_themselves_when_records_change() -> Result<()> {
    let Some(browser) = Browser::for_test("dashboard_web")? else {
        return Ok(());
    };
    let fed = Federation::init()?;
    let hz = fed.start("hezhou")?;
    let cli = hz.cli("coordinator");
    create_suggestion(&cli, "页面打开前的建议", &[])?;
    let http = hz
        .http
        .clone()
        .context("hezhou's node announces its http address")?;
    let mut page = browser.open_live(&format!("http://{http}/records"))?;
    // Drawn, and following the node's changes.
    page.wait_until("document.body.dataset.live === '1'", REPL)?;
    let before = page.dom()?;
    ensure!(!before.shows_text(LIVE_TITLE), "shown before it was made");
    let made = create_suggestion(&cli, LIVE_TITLE, &[])?;
    page.wait_until("Number(document.body.dataset.refreshes || 0) >= 1", REPL)?;
    let after = page.dom()?;
    ensure!(
        after.shows_text(LIVE_TITLE),
        "record {made} made while the page was open is not shown: {}",
        after.html
    );
    ensure!(
        after
            .first("body")
            .and_then(|b| b.attr("data-error"))
            .is_none(),
        "{}",
        after.html
    );
    no_panics(&fed)
}
