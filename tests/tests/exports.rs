//! Office files: the year's report as a Word document, from the CLI (`lianluo report
//! --format docx`) and the web dashboard (`/api/report?format=docx`), opened with the real
//! LibreOffice (converted headless to text) and read: the title, the summary with the
//! figures of the Markdown report, every city's row.

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

/// The text LibreOffice reads from `file`, converted headless in a profile of its own.
fn libreoffice_text(file: &Path, work: &Path) -> Result<String> {
    let out_dir = work.join("converted");
    let profile = format!("file://{}", work.join("lo-profile").display());
    let out = Command::new(soffice()?)
        .arg(format!("-env:UserInstallation={profile}"))
        .args([
            "--headless",
            "--convert-to",
            "txt:Text (encoded):UTF8",
            "--outdir",
        ])
        .arg(&out_dir)
        .arg(file)
        .output()?;
    lianluo_tests::check_ok(&out, "soffice --convert-to txt")?;
    let stem = file.file_stem().context("file name")?;
    let txt = out_dir.join(stem).with_extension("txt");
    std::fs::read_to_string(&txt).with_context(|| {
        format!(
            "LibreOffice wrote no {}: {}",
            txt.display(),
            String::from_utf8_lossy(&out.stderr)
        )
    })
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

/// This year (the records count in the year they were entered).
fn time_year() -> String {
    time::OffsetDateTime::now_utc().year().to_string()
}
