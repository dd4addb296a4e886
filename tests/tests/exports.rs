//! Office files: the year's report as a Word document, from the CLI (`lianluo report
//! --format docx`) and the web dashboard (`/api/report?format=docx`), opened with the real
//! LibreOffice (converted headless to text) and read: the title, the summary with the
//! figures of the Markdown report, every city's row. The year's suggestions as an Excel
//! workbook (`lianluo export`, `/api/export`), opened with LibreOffice Calc (each sheet
//! converted to CSV) and read: the 交办清单 and 办理台账 rows of every city's part and each
//! unit's 按期办结率 and 满意率.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, ensure, Context, Result};
use lianluo_tests::browser::http_get_raw;
use lianluo_tests::check::{create_suggestion, wait_for, REPL};
use lianluo_tests::Federation;

/// LibreOffice's `soffice` (Debian's libreoffice-writer-nogui; scripts/test installs it).
fn soffice() -> Result<PathBuf> {
    [
        "/usr/bin/soffice",
        "/usr/bin/libreoffice",
        "/usr/lib/libreoffice/program/soffice",
    ]
    .iter()
    .map(PathBuf::from)
    .find(|p| p.exists())
    .context(
        "LibreOffice is not installed: run scripts/test (it installs it) or \
             `apt-get install libreoffice-writer-nogui`",
    )
}

/// Converts `file` headless with LibreOffice (in a profile of its own) into `out_dir` with
/// the conversion `filter`; fails with LibreOffice's output when it does not.
fn libreoffice_convert(file: &Path, work: &Path, filter: &str, out_dir: &Path) -> Result<String> {
    let profile = format!("file://{}", work.join("lo-profile").display());
    let out = Command::new(soffice()?)
        .arg(format!("-env:UserInstallation={profile}"))
        .args(["--headless", "--convert-to", filter, "--outdir"])
        .arg(out_dir)
        .arg(file)
        .output()?;
    lianluo_tests::check_ok(&out, "soffice --convert-to")?;
    Ok(String::from_utf8_lossy(&out.stderr).into_owned())
}

/// The text LibreOffice reads from `file`.
fn libreoffice_text(file: &Path, work: &Path) -> Result<String> {
    let out_dir = work.join("converted");
    let said = libreoffice_convert(file, work, "txt:Text (encoded):UTF8", &out_dir)?;
    let stem = file.file_stem().context("file name")?;
    let txt = out_dir.join(stem).with_extension("txt");
    std::fs::read_to_string(&txt)
        .with_context(|| format!("LibreOffice wrote no {}: {said}", txt.display()))
}

/// The sentence of the Markdown report that starts with 在 (the summary).
fn summary_of(markdown: &str) -> Result<String> {
    match markdown.lines().find(|l| l.starts_with('在')) {
        Some(l) => Ok(l.to_string()),
        None => bail!("no summary in the Markdown report:\n{markdown}"),
    }
}

#[test]
fn the_report_as_docx_opens_in_libreoffice_with_the_figures_of_the_text_report() -> Result<()> {
    let fed = Federation::init()?;
    let hz = fed.start("hezhou")?;
    let qy = fed.start("qingyuan")?;
    let _yz = fed.start("yongzhou")?;
    let hzc = hz.cli("coordinator");
    let id = create_suggestion(&hzc, "关于打通三市毗邻县乡断头路的建议", &["qingyuan"])?;
    create_suggestion(&qy.cli("coordinator"), "关于联合开展森林防火的建议", &[])?;
    wait_for(
        &qy.cli("viewer"),
        &id,
        REPL,
        "the record at qingyuan",
        |_| true,
    )?;
    let year = time_year();
    let viewer = hz.cli("viewer");
    let md = viewer.run(&["report", "--year", &year]);
    lianluo_tests::check_ok(&md, "report --format md")?;
    let md = String::from_utf8_lossy(&md.stdout).into_owned();
    let summary = summary_of(&md)?;
    let title = md
        .lines()
        .next()
        .context("title")?
        .trim_start_matches("# ")
        .to_string();

    let work = tempfile::tempdir()?;
    let file = work.path().join(format!("report-{year}.docx"));
    let out = viewer.run(&[
        "report",
        "--year",
        &year,
        "--format",
        "docx",
        "--output",
        &file.to_string_lossy(),
    ]);
    lianluo_tests::check_ok(&out, "report --format docx")?;
    ensure!(
        std::fs::read(&file)?.starts_with(b"PK\x03\x04"),
        "not a zip package"
    );
    let text = libreoffice_text(&file, work.path())?;
    for want in [
        title.as_str(),
        summary.as_str(),
        "分市情况",
        "各市主要数据",
        "合计",
    ] {
        ensure!(
            text.contains(want),
            "{want:?} not in LibreOffice's text of the .docx:\n{text}"
        );
    }
    // One row per city, each with its figures' provenance (正常: fresh), and each city's
    // own section.
    ensure!(
        text.matches("正常").count() >= 3,
        "three rows of fresh figures:\n{text}"
    );
    for city in ["贺州", "清远", "永州"] {
        ensure!(
            text.lines().any(|l| l.trim() == city),
            "no line naming {city} alone (its row or section):\n{text}"
        );
    }

    // The same file from the web dashboard.
    let http = hz.http.as_deref().context("hezhou's http address")?;
    let (status, headers, body) =
        http_get_raw(http, &format!("/api/report?year={year}&format=docx"))?;
    ensure!(status == 200, "GET /api/report: {status} {headers}");
    let lower = headers.to_ascii_lowercase();
    ensure!(
        lower.contains("application/vnd.openxmlformats-officedocument.wordprocessingml.document")
            && lower.contains(&format!("filename=\"lianluo-report-{year}.docx\"")),
        "{headers}"
    );
    let web = work.path().join("web.docx");
    std::fs::write(&web, body)?;
    let web_text = libreoffice_text(&web, work.path())?;
    ensure!(
        web_text.contains(&summary),
        "the dashboard's .docx differs:\n{web_text}"
    );
    let (status, _, body) = http_get_raw(http, "/api/report?year=2026&format=pdf")?;
    ensure!(status == 400, "an unknown format is refused: {status}");
    ensure!(
        String::from_utf8_lossy(&body).contains("format"),
        "names the parameter"
    );
    Ok(())
}

/// Each sheet of the workbook `file` as LibreOffice Calc reads it: (sheet name, CSV rows).
fn libreoffice_sheets(file: &Path, work: &Path) -> Result<Vec<(String, Vec<Vec<String>>)>> {
    let out_dir = work.join("sheets");
    // CSV, comma-separated, quoted, UTF-8 (76), every sheet to a file of its own (-1).
    let filter = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1";
    let said = libreoffice_convert(file, work, filter, &out_dir)?;
    let stem = file.file_stem().context("file name")?.to_string_lossy();
    let mut sheets = Vec::new();
    for name in ["交办清单", "办理台账", "承办单位办理情况"] {
        let csv = out_dir.join(format!("{stem}-{name}.csv"));
        let text = std::fs::read_to_string(&csv)
            .with_context(|| format!("LibreOffice wrote no {}: {said}", csv.display()))?;
        sheets.push((name.to_string(), parse_csv(&text)));
    }
    Ok(sheets)
}

/// Rows of a CSV that quotes every text field with `"` (doubled inside).
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let (mut row, mut field, mut quoted) = (Vec::new(), String::new(), false);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => row.push(std::mem::take(&mut field)),
            ('\n', false) => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            ('\r', false) => {}
            (c, _) => field.push(c),
        }
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push(row);
    }
    rows
}

/// The cell of `row` under `heading` (the sheet's second row holds the headings).
fn cell<'a>(rows: &'a [Vec<String>], row: &'a [String], heading: &str) -> &'a str {
    let col = rows
        .get(1)
        .and_then(|h| h.iter().position(|x| x == heading));
    col.and_then(|c| row.get(c)).map_or("", String::as_str)
}

#[test]
fn the_suggestions_workbook_opens_in_libreoffice_calc_with_every_part() -> Result<()> {
    let fed = Federation::init()?;
    let hz = fed.start("hezhou")?;
    let qy = fed.start("qingyuan")?;
    let (hzc, qyc) = (hz.cli("coordinator"), qy.cli("coordinator"));
    let id = create_suggestion(&hzc, "关于开通连山至贺州客运班线的建议", &["qingyuan"])?;
    wait_for(&qyc, &id, REPL, "the suggestion at qingyuan", |_| true)?;
    for (cli, unit, co_unit) in [
        (&hzc, "贺州市交通运输局", "贺州市财政局"),
        (&qyc, "清远市交通运输局", "清远市财政局"),
    ] {
        cli.json(&[
            "suggestion",
            "dispatch",
            &id,
            "--unit",
            unit,
            "--co-unit",
            co_unit,
            "--deadline",
            "2099-06-30",
        ])?;
    }
    hzc.json(&[
        "suggestion",
        "answer",
        &id,
        "--answer",
        "已协调开通直达班线",
        "--category",
        "a",
    ])?;
    wait_for(&hzc, &id, REPL, "qingyuan's dispatch at hezhou", |v| {
        v["history"].as_array().map_or(0, Vec::len) == 4
    })?;
    let year = time_year();
    let today = time::OffsetDateTime::now_utc()
        .to_offset(time::macros::offset!(+8))
        .date()
        .to_string();

    let work = tempfile::tempdir()?;
    let file = work.path().join(format!("suggestions-{year}.xlsx"));
    let out = hz.cli("viewer").run(&[
        "export",
        "--year",
        &year,
        "--output",
        &file.to_string_lossy(),
    ]);
    lianluo_tests::check_ok(&out, "export")?;
    let sheets = libreoffice_sheets(&file, work.path())?;
    let (_, dispatch) = &sheets[0];
    ensure!(
        dispatch[0][0].starts_with(&format!("{year}年代表建议交办清单（贺州节点导出")),
        "title: {dispatch:?}"
    );
    let parts: Vec<&Vec<String>> = dispatch.iter().skip(2).collect();
    ensure!(parts.len() == 2, "one row per city's part: {dispatch:?}");
    for (row, city, unit) in [
        (parts[0], "贺州", "贺州市交通运输局"),
        (parts[1], "清远", "清远市交通运输局"),
    ] {
        let got = |h: &str| cell(dispatch, row, h).to_string();
        ensure!(
            (
                got("建议标题"),
                got("交办城市"),
                got("主办单位"),
                got("牵头城市")
            ) == (
                "关于开通连山至贺州客运班线的建议".into(),
                city.into(),
                unit.into(),
                "贺州".into()
            ),
            "{row:?}"
        );
        ensure!(
            got("交办日期") == today && got("办理期限") == "2099-06-30" && got("记录编号") == id,
            "{row:?}"
        );
    }
    let (_, ledger) = &sheets[1];
    let rows: Vec<&Vec<String>> = ledger.iter().skip(2).collect();
    ensure!(rows.len() == 2, "{ledger:?}");
    let get = |row: &[String], h: &str| cell(ledger, row, h).to_string();
    ensure!(
        (
            get(rows[0], "办理情况"),
            get(rows[0], "答复日期"),
            get(rows[0], "答复意见"),
            get(rows[0], "办理结果"),
            get(rows[0], "协办单位"),
        ) == (
            "已答复".into(),
            today.clone(),
            "已协调开通直达班线".into(),
            "A类（已解决或采纳）".into(),
            "贺州市财政局".into()
        ),
        "{:?}",
        rows[0]
    );
    ensure!(
        get(rows[1], "办理情况") == "办理中" && get(rows[1], "答复日期").is_empty(),
        "{:?}",
        rows[1]
    );
    // Per unit: hezhou's answered on time, qingyuan's not yet; nothing rated.
    let (_, units) = &sheets[2];
    let unit = |row: &[String], h: &str| cell(units, row, h).to_string();
    let got: Vec<(String, String, String)> = units
        .iter()
        .skip(2)
        .map(|r| {
            (
                unit(r, "承办单位"),
                unit(r, "按期办结率"),
                unit(r, "满意率"),
            )
        })
        .collect();
    ensure!(
        got == [
            ("清远市交通运输局".into(), "0.0%".into(), "—".into()),
            ("贺州市交通运输局".into(), "100.0%".into(), "—".into()),
        ],
        "{units:?}"
    );

    // The same workbook from the web dashboard.
    let http = hz.http.as_deref().context("hezhou's http address")?;
    let (status, headers, body) = http_get_raw(http, &format!("/api/export?year={year}"))?;
    ensure!(status == 200, "GET /api/export: {status} {headers}");
    let lower = headers.to_ascii_lowercase();
    ensure!(
        lower.contains("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
            && lower.contains(&format!("filename=\"lianluo-suggestions-{year}.xlsx\"")),
        "{headers}"
    );
    let web = work.path().join("web.xlsx");
    std::fs::write(&web, body)?;
    let web_sheets = libreoffice_sheets(&web, work.path())?;
    for ((name, cli_rows), (_, web_rows)) in sheets.iter().zip(&web_sheets) {
        // The title line says when each was made; the rows are the same.
        ensure!(
            cli_rows[1..] == web_rows[1..],
            "{name} differs: {web_rows:?}"
        );
    }
    let (status, _, body) = http_get_raw(http, "/api/export?year=1999")?;
    ensure!(
        status == 400 && String::from_utf8_lossy(&body).contains("year"),
        "a year out of range is refused, naming it: {status}"
    );
    Ok(())
}

/// This year (the records count in the year they were entered).
fn time_year() -> String {
    time::OffsetDateTime::now_utc().year().to_string()
}
