//! The records browser in a real browser (headless Chromium): stations are chosen by name
//! in the filter, a record names its station, and the pages go forward and back. Skipped
//! with a loud message when Chromium is not installed, unless `LIANLUO_REQUIRE_BROWSER=1`.

use anyhow::{ensure, Context, Result};
use lianluo_tests::browser::{get_json, Browser, Page};
use lianluo_tests::check::id_of;
use lianluo_tests::Federation;

/// The `href` of the element with attribute `attr` on `page`.
fn href_of<'p>(page: &'p Page, attr: &str) -> Option<&'p str> {
    page.with_attr(attr).first().and_then(|e| e.attr("href"))
}

#[test]
fn records_are_filtered_by_station_name_name_their_station_and_page_both_ways() -> Result<()> {
    let Some(browser) = Browser::for_test("dashboard_records")? else {
        return Ok(());
    };
    let fed = Federation::init()?;
    let hz = fed.start("hezhou")?;
    let cli = hz.cli("coordinator");
    let name = "湘粤桂三省（区）毗邻地区人大代表联络站";
    let station = id_of(&cli.json(&[
        "station",
        "register",
        "--name",
        name,
        "--township",
        "黄田镇",
        "--county",
        "平桂区",
        "--founded-on",
        "2021-12-08",
    ])?);
    for n in 0..5 {
        let title = format!("联络站收集的第{n}件建议");
        cli.json(&[
            "suggestion",
            "create",
            "--title",
            &title,
            "--body",
            "正文",
            "--station",
            &station,
        ])?;
    }
    cli.json(&[
        "suggestion",
        "create",
        "--title",
        "不属于联络站的建议",
        "--body",
        "正文",
    ])?;
    let http = hz.http.clone().context("http address")?;
    let base = format!("http://{http}");

    // The filter offers the station by its name and keeps it selected.
    let first = browser.page(
        None,
        &format!("{base}/records?station_id={station}&page_size=2"),
    )?;
    let option = first
        .elements
        .iter()
        .find(|e| e.attr("value") == Some(station.as_str()))
        .context("no option for the station")?;
    ensure!(
        option.text.trim() == name,
        "the option shows {:?}",
        option.text
    );
    ensure!(
        first
            .html
            .contains(&format!("value=\"{station}\" selected")),
        "not selected"
    );

    // Forward to the last page and back, each page what the API pages.
    let api = get_json(
        &http,
        &format!("/api/records?station_id={station}&page_size=50"),
    )?;
    let all: Vec<String> = api["records"]
        .as_array()
        .context("records")?
        .iter()
        .map(id_of)
        .collect();
    ensure!(all.len() == 5, "{api}");
    let mut pages = vec![first];
    while let Some(next) = href_of(pages.last().context("a page")?, "data-next").map(str::to_string)
    {
        ensure!(pages.len() < 5, "more pages than records");
        pages.push(browser.page(None, &format!("{base}{}", next.replace("&amp;", "&")))?);
    }
    let seen: Vec<String> = pages.iter().flat_map(|p| p.rows("records")).collect();
    ensure!(seen == all, "pages {seen:?}, api {all:?}");
    ensure!(
        pages.len() == 3,
        "5 records in pages of 2: {} pages",
        pages.len()
    );
    ensure!(
        href_of(&pages[0], "data-prev").is_none(),
        "no previous page before the first"
    );
    for i in (1..pages.len()).rev() {
        let prev = href_of(&pages[i], "data-prev").context("a previous page link")?;
        let back = browser.page(None, &format!("{base}{}", prev.replace("&amp;", "&")))?;
        ensure!(
            back.rows("records") == pages[i - 1].rows("records"),
            "page {i}'s previous page shows {:?}",
            back.rows("records")
        );
    }

    // A record's page names its station and links it.
    let record = browser.page(None, &format!("{base}/records/{}", all[0]))?;
    let link = record.with_attr("data-station");
    let link = link.first().context("no station link")?;
    ensure!(
        link.text.trim() == name,
        "the station shows as {:?}",
        link.text
    );
    ensure!(link.attr("href") == Some(format!("/records/{station}").as_str()));
    // Its history reads in the page's language: summaries in English with ?lang=en.
    ensure!(
        record.html.contains("提出建议：联络站收集的第"),
        "{}",
        record.html
    );
    let en = browser.page(None, &format!("{base}/records/{}?lang=en", all[0]))?;
    ensure!(
        en.html.contains("Suggestion submitted: 联络站收集的第"),
        "{}",
        en.html
    );
    ensure!(
        !en.html.contains("提出建议："),
        "Chinese summary on the English page"
    );
    // Dates read as 2026年5月23日 on the Chinese page, as ISO dates on the English one.
    let created = get_json(&http, &format!("/api/records/{}", all[0]))?["created_at"]
        .as_str()
        .context("created_at")?
        .to_string();
    let year = &created[..4];
    ensure!(
        record.html.contains(&format!("{year}年")),
        "no Chinese date: {}",
        record.html
    );
    ensure!(
        !en.html.contains(&format!("{year}年")),
        "a Chinese date on the English page"
    );
    // The station's page gives its 设立日期, not the day it was entered.
    let st = browser.page(None, &format!("{base}/records/{station}"))?;
    ensure!(
        st.shows_text("设立日期") && st.shows_text("2021年12月8日"),
        "no 设立日期: {}",
        st.html
    );
    Ok(())
}
