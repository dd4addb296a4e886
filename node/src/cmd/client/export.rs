//! `lianluo export`: a year's suggestions as the office workbook (`.xlsx`) with the
//! 交办清单 and the 办理台账, made by the node (`Records.Export`) and written here.

use std::io::IsTerminal as _;
use std::path::PathBuf;

use anyhow::{anyhow, bail};
use clap::Args;
use lianluo_proto::records_client::RecordsClient;
use lianluo_proto::ExportRequest;
use tonic::transport::Channel;

use super::{emit_bytes, output, rpc, Context};

/// Long help of `lianluo export`.
pub const EXPORT_HELP: &str = "A year's suggestions as an Excel workbook (.xlsx) for the \
congress office, with three sheets:

  交办清单  one row per city's part of each suggestion: title, proposers, year, the city \
that leads it, the city that dispatched the part, the 主办 and 协办 units, the \
dispatch date (交办日期) and the deadline (办理期限); a suggestion not dispatched yet has \
one row that says 尚未交办.
  办理台账  the same rows with how each part stands (办理中 / 已退回（待改派） / 已答复), \
the answer date, text and result category (办理结果, A–D), whether it is overdue, the \
proposers' rating and comment, 重点督办 leaders, and the suggestion's status.
  承办单位办理情况  per handling unit: parts dispatched, answered, answered by the deadline \
and 按期办结率, rated and 满意率 (满意 or 基本满意 of those rated).

The node you ask exports the suggestions it holds (its own city's and those shared with \
it) of that congress year or carried over into it. Dates are in Beijing time. The file \
opens in Excel, WPS and LibreOffice; the header row stays in view and filters.

Examples:
  lianluo --profile lianluo-demo/hezhou/viewer.toml export --year 2026 --output 建议办理台账-2026.xlsx
  lianluo export --year 2026 > suggestions-2026.xlsx";

/// Flags of `export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The congress year exported (2000–2100).
    #[arg(long, value_name = "YYYY", value_parser = clap::value_parser!(u32).range(2000..=2100))]
    pub year: u32,
    /// Write the workbook to this file (else to standard output, which must not be a
    /// terminal).
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// Runs `export`.
pub async fn run(
    client: &mut RecordsClient<Channel>,
    args: &ExportArgs,
    ctx: &Context,
    ep: &str,
) -> anyhow::Result<()> {
    if ctx.json {
        bail!(
            "--json: export writes a workbook; use `lianluo list --all --kind suggestion \
             --year {} --json` for the records",
            args.year
        );
    }
    if args.output.is_none() && std::io::stdout().is_terminal() {
        bail!(
            "export writes a binary file: give --output suggestions-{}.xlsx, or redirect \
             standard output to a file",
            args.year
        );
    }
    // A workbook is larger than the default 4 MiB answer; the node caps it.
    let limit = lianluo_node::service::export::MAX_EXPORT_BYTES + (1 << 20);
    let mut client = client.clone().max_decoding_message_size(limit);
    let resp = rpc(client.export(ExportRequest { year: args.year }))
        .await
        .map_err(|s| output::status_error(&s, ep))?;
    match &args.output {
        Some(path) => {
            std::fs::write(path, &resp.content)
                .map_err(|e| anyhow!("--output {}: cannot write: {e}", path.display()))?;
            eprintln!(
                "{} suggestions ({} rows) of {} written to {}",
                resp.suggestions,
                resp.rows,
                args.year,
                path.display()
            );
            Ok(())
        }
        None => emit_bytes(&resp.content),
    }
}
