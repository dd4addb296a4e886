//! `lianluo overview`: the federation's figures city by city, each with where it came
//! from, from the node's `Dashboard.Overview` API; and the deadline and year flags it
//! shares with `lianluo report`.

use std::fmt::Write as _;
use std::time::Duration;

use anyhow::anyhow;
use clap::Args;
use lianluo_node::dashboard::labels::Lang;
use lianluo_node::dashboard::{DEFAULT_DEADLINE, MAX_DEADLINE_MS, MIN_DEADLINE_MS};
use lianluo_proto::dashboard_client::DashboardClient;
use lianluo_proto::{CityFigures, CityOverview, OverviewRequest, OverviewResponse};
use tonic::transport::Channel;

use super::{emit, output, Context, RPC_TIMEOUT};

mod zh;

pub use zh::text as text_zh;

/// Long help of `lianluo overview`.
pub const OVERVIEW_HELP: &str = "The federation's figures, city by city, with where each \
city's figures came from.

The node you ask computes its own city's figures and asks every peer city's node for \
theirs at the same time, waiting at most the deadline (default 3s): one dead peer never \
makes the answer slower. Each record counts once, at the city that created it, so the \
total is the sum of the cities (a deputy is counted once however many cities' activities \
they attended).

Figures per city: stations (not closed); suggestions by status, jointly supervised, \
overdue (a deadline passed, the part not answered) and satisfaction ratings; disputes by \
status, mediated (with at least one session) and resolved this year; activities by status, held ones by kind and month, with \
deputies (distinct and attendances), opinions collected and problems solved; projects by \
status, completed ones by kind with the villages and people they benefit, and those under \
construction; and the records of other cities each city takes part in. With --year, \
the records of that year by their business dates: stations set up (设立日期) by its end, \
suggestions of that congress year or carried over into it, disputes registered (受理日期) in \
it and resolved (化解日期) in it, activities held (or planned) in it, projects proposed, \
started or completed in it (completed and under construction: as at its end).

Outcome of each city:
  ok           fresh figures from the city's node
  stale        the fresh query failed; the last figures received, with their age
  timeout      no answer within the deadline (and no earlier figures)
  unreachable  the node could not be reached (and no earlier figures)
  refused      the node was reached but refused (TLS or gRPC error)
The answer is partial when any city is not ok: a PARTIAL line says which (with --json, \
the top-level `partial` is true). A partial answer still exits 0, unless \
--abort-on-partial is given: then it is an error (exit 1) naming the cities at fault.

--json prints the whole answer: `partial`, `answered_by`, `as_of`, `year`, `deadline_ms`, \
`cities` (each with `city`, `outcome`, `figures`, `age_seconds`, `error`, \
`fresh_outcome`, `elapsed_ms`, `local`, `link`) and `total`.

Examples:
  lianluo --profile lianluo-demo/hezhou/viewer.toml overview
  lianluo overview --json --deadline 500ms
  lianluo overview --year 2026 --abort-on-partial";

/// Flags of `overview`.
#[derive(Debug, Args)]
pub struct OverviewArgs {
    /// How long to wait for peer cities: `500ms`, `3s`, or milliseconds (100ms–60s;
    /// default: the node's, 3s).
    #[arg(long, value_name = "DURATION", value_parser = parse_deadline)]
    pub deadline: Option<u32>,
    /// Only the records of this year (2000–2100); default: all years.
    #[arg(long, value_name = "YYYY", value_parser = clap::value_parser!(u32).range(2000..=2100))]
    pub year: Option<u32>,
    /// Fail (exit 1) instead of answering when any city's figures are not fresh.
    #[arg(long)]
    pub abort_on_partial: bool,
}

/// Parses a deadline: `500ms`, `3s` or plain milliseconds, 100 ms to 60 s.
pub fn parse_deadline(s: &str) -> Result<u32, String> {
    let t = s.trim();
    let (digits, scale) = if let Some(n) = t.strip_suffix("ms") {
        (n, 1)
    } else if let Some(n) = t.strip_suffix('s') {
        (n, 1000)
    } else {
        (t, 1)
    };
    let n: u32 = digits.trim().parse().map_err(|_| {
        format!("{s:?} is not a duration; use e.g. 500ms, 3s or 1500 (milliseconds)")
    })?;
    let ms = n.saturating_mul(scale);
    if (MIN_DEADLINE_MS..=MAX_DEADLINE_MS).contains(&ms) {
        Ok(ms)
    } else {
        Err(format!(
            "{s} is out of range; use {MIN_DEADLINE_MS}ms–{}s (omit --deadline for the node's \
             default, {}s)",
            MAX_DEADLINE_MS / 1000,
            DEFAULT_DEADLINE.as_secs()
        ))
    }
}

/// The request of `overview` (and `report`): 0 means the node's default / all years.
pub fn request(
    deadline: Option<u32>,
    year: Option<u32>,
    abort_on_partial: bool,
) -> OverviewRequest {
    OverviewRequest {
        deadline_ms: deadline.unwrap_or(0),
        abort_on_partial,
        year: year.unwrap_or(0),
    }
}

/// Asks the node for the overview, waiting longer than the deadline it gives its peers.
pub async fn fetch(
    channel: Channel,
    req: OverviewRequest,
    ep: &str,
) -> anyhow::Result<OverviewResponse> {
    let abort = req.abort_on_partial;
    let deadline = match req.deadline_ms {
        0 => DEFAULT_DEADLINE,
        ms => Duration::from_millis(u64::from(ms)),
    };
    let wait = RPC_TIMEOUT.max(deadline + Duration::from_secs(10));
    let mut client = DashboardClient::new(channel);
    let status = match tokio::time::timeout(wait, client.overview(req)).await {
        Ok(Ok(resp)) => return Ok(resp.into_inner()),
        Ok(Err(status)) => status,
        Err(_) => tonic::Status::deadline_exceeded(format!(
            "no answer from the node within {} s",
            wait.as_secs()
        )),
    };
    if abort && status.code() == tonic::Code::Unavailable {
        // The node answered: some city is not fresh. "Is the node running?" would mislead.
        return Err(anyhow!(
            "{}\nhint: run without --abort-on-partial to get the other cities' figures, \
             each with its outcome",
            status.message()
        ));
    }
    Err(output::status_error(&status, ep))
}

/// Runs `overview`: prints the answer as text or JSON.
pub async fn run(
    channel: Channel,
    args: &OverviewArgs,
    ctx: &Context,
    ep: &str,
) -> anyhow::Result<()> {
    let req = request(args.deadline, args.year, args.abort_on_partial);
    let resp = fetch(channel, req, ep).await?;
    if ctx.json {
        emit(&(output::json(&resp)? + "\n"))
    } else if ctx.lang == Lang::Zh {
        emit(&text_zh(&resp))
    } else {
        emit(&text(&resp))
    }
}

/// The overview for people: a header, one block per city, the total, and a PARTIAL line
/// when any city is not ok.
pub fn text(resp: &OverviewResponse) -> String {
    let years = match resp.year {
        0 => "all years".to_string(),
        y => format!("year {y}"),
    };
    let mut out = format!(
        "overview answered by {} at {} ({years}; deadline {} ms)\n",
        resp.answered_by, resp.as_of, resp.deadline_ms
    );
    for c in &resp.cities {
        let _ = writeln!(out, "{}", city_line(c));
        if let Some(f) = &c.figures {
            let _ = writeln!(out, "  {}", figures_line(f));
        }
    }
    if let Some(t) = &resp.total {
        let with = resp.cities.iter().filter(|c| c.figures.is_some()).count();
        let _ = writeln!(
            out,
            "total of {with} of {} cities:\n  {}",
            resp.cities.len(),
            figures_line(t)
        );
    }
    let bad: Vec<String> = resp
        .cities
        .iter()
        .filter(|c| c.outcome != "ok")
        .map(|c| match c.outcome.as_str() {
            "stale" => format!("{} stale ({} s old)", c.city, c.age_seconds),
            other => format!("{} {other}", c.city),
        })
        .collect();
    if resp.partial || !bad.is_empty() {
        let _ = writeln!(
            out,
            "PARTIAL: {} — these figures are incomplete",
            bad.join(", ")
        );
    }
    out
}

/// `qingyuan (清远): stale — …`: the city, its outcome and why.
fn city_line(c: &CityOverview) -> String {
    let mut line = c.city.clone();
    let name = lianluo_node::dashboard::entry_name(c);
    if name != c.city {
        let _ = write!(line, " ({name})");
    }
    if c.local {
        line.push_str(", this node");
    }
    let _ = write!(line, ": {} in {} ms", c.outcome, c.elapsed_ms);
    if c.outcome == "stale" {
        let _ = write!(
            line,
            "; figures {} s old, fresh query {}",
            c.age_seconds, c.fresh_outcome
        );
    }
    if !c.error.is_empty() {
        let _ = write!(line, ": {}", c.error.replace(['\n', '\r'], " "));
    }
    if !c.link.is_empty() {
        let _ = write!(line, " [link {}]", c.link);
    }
    line
}

fn count(map: &std::collections::BTreeMap<String, u64>, key: &str) -> u64 {
    map.get(key).copied().unwrap_or_default()
}

/// The key figures of a city (or the total) on one line; a city's line ends with the
/// records of other cities it takes part in.
fn figures_line(f: &CityFigures) -> String {
    let mut line = format!(
        "stations {} · suggestions {} (joint {}, overdue {}) · disputes {} ({} mediated, {} \
         resolved in {}) · activities {} (held {}) · deputies {} ({} attendances) · opinions {} \
         · problems solved {}",
        f.stations,
        f.suggestions,
        f.joint_suggestions,
        f.suggestions_overdue,
        f.disputes,
        f.disputes_mediated,
        f.disputes_resolved_in_year,
        f.resolved_year,
        f.activities,
        count(&f.activities_by_status, "held"),
        f.deputies,
        f.deputy_attendances,
        f.opinions_collected,
        f.problems_solved,
    );
    let done: u64 = f.projects_completed_by_kind.values().sum();
    if f.projects != 0 || done != 0 {
        let roads = count(&f.projects_completed_by_kind, "road_link");
        let _ = write!(
            line,
            " · projects {} (completed by the year's end {done}, road links {roads})",
            f.projects
        );
    }
    if let (false, Some(p)) = (f.city.is_empty(), &f.participating) {
        let _ = write!(
            line,
            " · takes part in other cities' stations {}, suggestions {}, disputes {}, \
             activities {}",
            p.stations, p.suggestions, p.disputes, p.activities
        );
        if p.projects != 0 {
            let _ = write!(line, ", projects {}", p.projects);
        }
    }
    line
}
