//! Search in Chinese through a real node: `list --text` (gRPC), `/api/records?text=` and
//! the records page in a real browser find words in what people wrote — a suggestion's
//! body and answer, a dispute's parties, an activity's place — not only in titles.

use anyhow::{ensure, Context as _, Result};
use lianluo_tests::browser::{get_json, Browser};
use lianluo_tests::check::id_of;
use lianluo_tests::{Cli, Federation};

/// The ids `list --text` gives for `text`.
fn found(cli: &Cli, text: &str) -> Result<Vec<String>> {
    let listed = cli.json(&["list", "--text", text, "--all"])?;
    let records = listed.as_array().context("a list")?;
    Ok(records.iter().map(id_of).collect())
}

#[test]
fn text_search_finds_words_in_bodies_answers_parties_and_places() -> Result<()> {
    let fed = Federation::init()?;
    let hz = fed.start("hezhou")?;
    let cli = hz.cli("coordinator");
    let suggestion = id_of(&cli.json(&[
        "suggestion",
        "create",
        "--title",
        "关于建设省际蔬菜基地的建议",
        "--body",
        "建议在贺州与连山交界处建设桂粤省际供港蔬菜种植示范区。",
        "--proposer",
        "黄志刚",
    ])?);
    let dispute = id_of(&cli.json(&[
        "dispute",
        "report",
        "--title",
        "交界山林权属纠纷",
        "--description",
        "两村对界址认定存在分歧。",
        "--party",
        "黄田镇新村",
        "--party",
        "太保镇上草村",
    ])?);
    let activity = id_of(&cli.json(&[
        "activity",
        "plan",
        "--title",
        "联合视察",
        "--kind",
        "joint-inspection",
        "--date",
        "2026-04-15",
        "--place",
        "江华瑶族自治县",
    ])?);
    ensure!(
        found(&cli, "供港蔬菜")? == [suggestion.clone()],
        "a word of a body"
    );
    ensure!(found(&cli, "上草村")? == [dispute.clone()], "a party");
    ensure!(found(&cli, "瑶族")? == [activity.clone()], "a place");
    ensure!(found(&cli, "黄志刚")? == [suggestion.clone()], "a proposer");
    ensure!(found(&cli, "示范区冷链")?.is_empty(), "no record says it");
    let mut both = found(&cli, "黄")?;
    both.sort();
    let mut want = vec![suggestion.clone(), dispute.clone()];
    want.sort();
    ensure!(
        both == want,
        "one character of a proposer and of a party: {both:?}"
    );
    // An answer written later is found too.
    cli.json(&[
        "suggestion",
        "dispatch",
        &suggestion,
        "--unit",
        "贺州市农业农村局",
        "--deadline",
        "2099-06-30",
    ])?;
    cli.json(&[
        "suggestion",
        "answer",
        &suggestion,
        "--answer",
        "示范区已建成冷链仓储中心。",
    ])?;
    ensure!(
        found(&cli, "冷链仓储")? == [suggestion.clone()],
        "an answer"
    );
    ensure!(found(&cli, "农业农村局")? == [suggestion.clone()], "a unit");

    // The dashboard's API and the records page search the same way.
    let http = hz.http.clone().context("http address")?;
    let api = get_json(&http, "/api/records?text=%E4%B8%8A%E8%8D%89%E6%9D%91")?; // 上草村
    let ids: Vec<String> = api["records"]
        .as_array()
        .context("records")?
        .iter()
        .map(id_of)
        .collect();
    ensure!(ids == [dispute.clone()], "/api/records?text=上草村: {api}");
    let Some(browser) = Browser::for_test("search")? else {
        return Ok(());
    };
    let page = browser.page(None, &format!("http://{http}/records?text=冷链仓储"))?;
    let rows: Vec<&str> = page
        .with_attr("data-id")
        .into_iter()
        .filter_map(|e| e.attr("data-id"))
        .collect();
    ensure!(
        rows == [suggestion.as_str()],
        "the records page lists {rows:?}"
    );
    ensure!(
        page.shows_text("包含文字"),
        "the filter says what it searches"
    );
    Ok(())
}
