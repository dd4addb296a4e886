//! `lianluo report --year YYYY`: the year's summary in Chinese, in the style of the
//! published reports, from the node's `Dashboard.Overview` of that year.

use std::io::IsTerminal as _;
use std::path::PathBuf;

use anyhow::{anyhow, bail};
use clap::{Args, ValueEnum};
use lianluo_node::dashboard::report::{self, ReportFormat};
use tonic::transport::Channel;

use super::overview::{fetch, parse_deadline, request};
use super::{emit_bytes, Context};

/// Long help of `lianluo report`.
pub const REPORT_HELP: &str = "The year's report of the federation's liaison work, in \
Chinese, in the style of the published reports: a title naming the cities, a summary \
(\"在三市毗邻乡镇建立省际人大代表联络站15个，共同督办代表建议23件……参与化解边界土地山林纠纷35起……\"), \
a table with one row per city and the total, a table of the records each city leads \
(牵头) beside those of other cities it takes part in (参与), then one section per city with \
its suggestions by status, ratings, disputes by status, held activities by kind and \
completed projects by kind.

The figures are those of `lianluo overview --year YYYY`: each city's node computes its \
own, the node you ask gathers them within the deadline. When a city's figures are not \
fresh (stale, timeout, unreachable, refused) the report says so at the top, names the \
city and how old its figures are, and its row shows it: a partial report is never \
silent. Use --abort-on-partial to refuse to print one.

Summary wording: 共同督办 counts suggestions shared by more than one city; 已办结 \
suggestions whose every part is answered (answered, rated or closed); 参与化解 disputes \
with at least one mediation session; 本年化解 disputes resolved during the year; \
开展联合活动 held activities; 参与代表 distinct deputies (人, each once across the cities) \
and their attendances (人次); 促成跨区域县乡公路连通工程N条 the road links completed by the \
year's end (其中…年建成 those of the year), 解决沿线…个行政村…群众出行难问题 the villages and \
people along them (10万多 for over 100,000), then 推动建成示范区 and 在建项目 when there are \
any. A city's figures count the records it leads.

With --all-years instead of --year: every year together (历年累计), e.g. the demo's \
\"在三市毗邻乡镇建立省际人大代表联络站15个，共同督办代表建议23件……参与化解边界土地山林纠纷35起……\
促成跨区域县乡公路连通工程7条，解决沿线36个行政村10万多群众出行难问题\".

Examples:
  lianluo --profile lianluo-demo/hezhou/viewer.toml report --year 2026
  lianluo report --all-years
  lianluo report --year 2026 --format html --output report-2026.html
  lianluo report --year 2026 --format docx --output report-2026.docx";

/// Flags of `report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The year reported on (2000–2100).
    #[arg(
        long,
        value_name = "YYYY",
        value_parser = clap::value_parser!(u32).range(2000..=2100),
        required_unless_present = "all_years"
    )]
    pub year: Option<u32>,
    /// Report on every year together (历年累计), as the published accounts of the
    /// mechanism do, instead of one year.
    #[arg(long, conflicts_with = "year")]
    pub all_years: bool,
    /// Output format: Markdown, a standalone HTML document, or a Word document (docx:
    /// give --output FILE, or redirect standard output to a file).
    #[arg(long, value_enum, default_value_t = FormatArg::Md)]
    pub format: FormatArg,
    /// How long to wait for peer cities: `500ms`, `3s`, or milliseconds (100ms–60s;
    /// default: the node's, 3s).
    #[arg(long, value_name = "DURATION", value_parser = parse_deadline)]
    pub deadline: Option<u32>,
    /// Write the report to this file instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Fail (exit 1) instead of printing a report when any city's figures are not fresh.
    #[arg(long)]
    pub abort_on_partial: bool,
}

/// `--format` of `report`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    /// Markdown.
    Md,
    /// A standalone HTML document.
    Html,
    /// A Word document (.docx), for Word, WPS and LibreOffice.
    Docx,
}

/// Runs `report`: fetches the year's overview and prints (or writes) the report.
pub async fn run(
    channel: Channel,
    args: &ReportArgs,
    ctx: &Context,
    ep: &str,
) -> anyhow::Result<()> {
    // 0 asks for every year: clap requires --year unless --all-years, never both.
    let year = args.year.unwrap_or(0);
    let shown = if year == 0 {
        "all".to_owned()
    } else {
        year.to_string()
    };
    if ctx.json {
        bail!(
            "--json: report has no JSON form; use `lianluo overview --json{}` for the figures",
            if year == 0 {
                String::new()
            } else {
                format!(" --year {year}")
            }
        );
    }
    let docx = args.format == FormatArg::Docx;
    if docx && args.output.is_none() && std::io::stdout().is_terminal() {
        bail!(
            "--format docx writes a binary file: give --output report-{}.docx, or redirect \
             standard output to a file",
            shown
        );
    }
    let req = request(args.deadline, Some(year), args.abort_on_partial);
    let resp = fetch(channel, req, ep).await?;
    let bytes = match args.format {
        FormatArg::Md => report::render(&resp, ReportFormat::Markdown).into_bytes(),
        FormatArg::Html => report::render(&resp, ReportFormat::Html).into_bytes(),
        FormatArg::Docx => report::render_docx(&resp)?,
    };
    if resp.partial {
        let bad: Vec<String> = resp
            .cities
            .iter()
            .filter(|c| c.outcome != "ok")
            .map(|c| format!("{} {}", c.city, c.outcome))
            .collect();
        eprintln!(
            "warning: the report is partial ({}); it says so at the top",
            bad.join(", ")
        );
    }
    match &args.output {
        Some(path) => {
            std::fs::write(path, bytes)
                .map_err(|e| anyhow!("--output {}: cannot write: {e}", path.display()))?;
            eprintln!("report written to {}", path.display());
            Ok(())
        }
        None => emit_bytes(&bytes),
    }
}
