//! Client subcommands of `lianluo`: record acts (`suggestion`, `dispute`, `activity`,
//! `station`), queries (`show`, `list`) and `whoami`, spoken to a node's `Records` gRPC
//! API, the office workbook of a year's suggestions (`export`), and the federation's
//! figures (`overview`, `report`) from its `Dashboard` API,
//! over mutual TLS with the certificate named by a profile file.

mod args;
mod build;
pub(crate) mod connect;
mod export;
mod output;
mod overview;
mod peers;
mod report;
#[cfg(test)]
mod tests;

use std::future::Future;
use std::io::Write as _;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::anyhow;
use lianluo_node::dashboard::labels::Lang;
use lianluo_proto::node_client::NodeClient;
use lianluo_proto::records_client::RecordsClient;
use lianluo_proto::{ActRequest, GetRequest, PeersRequest, Record, WhoAmIRequest};
use tonic::transport::Channel;

use args::KindArg;
pub use args::{
    ActivityCommand, DisputeCommand, ListArgs, ProjectCommand, StationCommand, SuggestionCommand,
};
use build::Call;
use connect::Profile;

/// How long one RPC may take before the client gives up.
const RPC_TIMEOUT: Duration = Duration::from_secs(30);

/// Settings shared by every client subcommand (global flags of `lianluo`).
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// Profile file naming the node and the user's certificate (`--profile`,
    /// `LIANLUO_PROFILE`).
    pub profile: Option<PathBuf>,
    /// Print JSON instead of a human summary (`--json`).
    pub json: bool,
    /// The language of text output (`--lang`, else a Chinese `LANG` gives Chinese).
    pub lang: Lang,
    /// The cities' names for Chinese output, as the node's configuration gives them.
    pub names: output::Names,
}

/// The configured city names, asked of the node when the output is Chinese text (one
/// `Node.Peers` call); none otherwise, or when the node does not answer (the built-in
/// names are shown then).
async fn names_for(channel: &Channel, ctx: &Context) -> output::Names {
    if ctx.json || ctx.lang != Lang::Zh {
        return output::Names::default();
    }
    let mut node = NodeClient::new(channel.clone());
    rpc(node.peers(PeersRequest {}))
        .await
        .map(|r| output::Names::from_labels(&r.names))
        .unwrap_or_default()
}

/// The language of text output: `--lang zh|en` when given, else Chinese when the locale
/// (`LC_ALL`, `LC_MESSAGES` or `LANG`, the first set) is Chinese, else English.
pub fn output_lang(arg: Option<&str>, env: impl Fn(&str) -> Option<String>) -> Lang {
    if let Some(lang) = arg.and_then(Lang::from_code) {
        return lang;
    }
    let locale = ["LC_ALL", "LC_MESSAGES", "LANG"]
        .iter()
        .find_map(|k| env(k).filter(|v| !v.is_empty()));
    match locale.as_deref().and_then(Lang::from_code) {
        Some(Lang::Zh) => Lang::Zh,
        _ => Lang::En,
    }
}

/// The client subcommands; flattened into the `lianluo` command line.
#[derive(Debug, clap::Subcommand)]
pub enum ClientCommand {
    /// Deputies' suggestions: submit, dispatch, answer, rate, close (代表点单、人大派单、部门接单).
    #[command(
        subcommand,
        long_about = "Deputies' suggestions, supervised jointly across cities \
(代表点单、人大派单、部门接单).

Workflow: a deputy's suggestion is submitted at the origin city (create, with --partner \
for a joint one; the origin may add-partner later) → each participant city dispatches its \
own part to one of its handling units with a deadline (dispatch) → the unit records \
progress and answers that part (progress, answer); the suggestion is answered once every \
participant city has answered → the origin city rates the answers for the proposers \
(rate): satisfied or basically-satisfied makes it rated, while unsatisfied itself reopens \
it (status reopened, every part back to dispatched, to be answered again) → the origin \
closes a rated suggestion (close). The origin may also reopen an answered or rated \
suggestion without a rating (reopen), and carry an unfinished one into a later congress \
year (carry-over) rather than drop it.

Who: any participant city dispatches, records progress on and answers its own part; only \
the origin city may add-partner, rate, reopen, carry-over and close.

Statuses: submitted → dispatched → in_progress → answered → rated → closed; reopened \
(unsatisfied rating or reopen); carried_over (届期制)."
    )]
    Suggestion(SuggestionCommand),
    /// Border land and forest disputes: report, mediate, agree, confirm, check, resolve.
    #[command(
        subcommand,
        long_about = "Border land and forest disputes mediated with deputies taking part.

Workflow: the origin city reports the dispute (report, with --partner for the other \
cities; the origin may add-partner later) → participant cities hold one or more \
mediation sessions (session) → record the agreement reached (agree) → every participant \
city, an added one too, confirms it for its side (confirm; it is in force once all have) \
→ check its implementation, as often as needed (check --passed | --not-passed) → resolve \
once the last check passed. Mediation may be marked failed (fail) at any point before \
the dispute is resolved; a failed dispute, or one still in mediation, may be escalated \
to a higher body (escalate). The origin city may withdraw the dispute before an \
agreement is recorded (withdraw).

Statuses: reported → mediating → agreed → in_force → checked → resolved; failed → \
escalated; withdrawn."
    )]
    Dispute(DisputeCommand),
    /// Joint station activities: plan, report when held, or cancel.
    #[command(
        subcommand,
        long_about = "Joint station activities: joint inspection, joint research, \
constituent reception, joint training.

Workflow: the origin city plans the activity (plan, with --partner for the other cities; \
add-partner adds one while it is planned) → the origin reports it once held (date, \
deputies from each city as NAME@CITY, opinions collected, problems solved, report text), \
or cancels it. At a constituent reception (接待群众), any participant city registers each \
public opinion received (opinion: who, what, where), then answers it on the spot \
(answer-opinion N), or passes it to a unit (refer-opinion N) and records the unit's \
feedback (opinion-feedback N); the reception's opinions collected and problems solved \
are then counted from its opinions.

Statuses: planned → held or cancelled (both final). An opinion: received → answered, or \
received → referred → fed_back."
    )]
    Activity(ActivityCommand),
    /// Cross-border projects deputies push (road links, demonstration zones): propose,
    /// start, complete, link the suggestions and activities behind them.
    #[command(
        subcommand,
        long_about = "Cross-border projects (项目) that deputies push: the county and \
township road links (跨区域县乡公路连通工程), demonstration zones such as the \
桂粤省际供港蔬菜种植示范区, and others.

Workflow: the origin city records the proposed project (propose: kind, places, the \
administrative villages and people it is to benefit, --suggestion and --activity for the \
records behind it, --partner for the cities it joins) → the origin starts it when work \
begins (start --started-on) → the origin completes it (complete --completed-on, with the \
villages and people as built). Any participant city links more suggestions or activities \
at any time (link). The annual report counts completed road links and the villages and \
people they serve (促成…公路连通工程N条，解决…N个行政村…群众出行难问题).

Statuses: proposed → under_construction → completed."
    )]
    Project(ProjectCommand),
    /// Joint deputy liaison stations: register, add a partner city, close.
    #[command(
        subcommand,
        long_about = "Joint deputy liaison stations in border townships.

Workflow: the origin city registers the station (register, with --partner for the \
cities that run it together) → the origin may add-partner to share it with one more city \
while it is active → the origin closes it when it stops operating (close). Suggestions, \
disputes and activities can name the station with --station ID.

Statuses: active → closed."
    )]
    Station(StationCommand),
    /// Show one record with its full history (each event's signature was verified when
    /// it reached this node; --verify checks every one again now).
    Show {
        /// Record id, e.g. hezhou-01J….
        id: String,
        /// Check every event's signature again now, with the signer certificates the
        /// node knows (a ✗ then means it does not verify today).
        #[arg(long)]
        verify: bool,
    },
    /// List records visible to this node, with filters.
    List(ListArgs),
    /// Show who the node thinks you are (city, user, role).
    #[command(name = "whoami")]
    Whoami,
    /// Show this node's federation peers: state, connected, lag, last contact, last error.
    #[command(
        long_about = "Show the replication state of each configured peer of the \
node: state (connecting | connected | backing_off | stopped), whether a stream is open, \
lag in events (0 when caught up), last contact and last error. Below the table, a \
warning line for a peer whose events claim a time ahead of this node's clock by more \
than [federation] max_clock_skew_secs, for each equivocation of a city (two different \
events it signed on one record from the same state) and for each seq of a city's log \
found served two ways; each names what to check. With --json: a list of objects with \
city, state, connected, lag, last_contact, last_error, events_clock_ahead, \
equivocations, log_proofs and more."
    )]
    Peers,
    /// The federation's figures city by city, each with its outcome (ok, stale, timeout,
    /// unreachable, refused).
    #[command(long_about = overview::OVERVIEW_HELP)]
    Overview(overview::OverviewArgs),
    /// The year's report in Chinese (Markdown, HTML or Word), with a table per city.
    #[command(long_about = report::REPORT_HELP)]
    Report(report::ReportArgs),
    /// A year's suggestions as an Excel workbook: the 交办清单 and the 办理台账.
    #[command(long_about = export::EXPORT_HELP)]
    Export(export::ExportArgs),
}

/// Runs one client subcommand against the node named by the profile.
pub async fn run(cmd: ClientCommand, ctx: &Context) -> anyhow::Result<()> {
    let profile = Profile::load(ctx.profile.as_deref())?;
    let channel = connect::channel(&profile).await?;
    let mut client = RecordsClient::new(channel.clone());
    let ep = profile.endpoint.as_str();
    // Only the commands that print a record or the caller name cities by the
    // configuration (peers has the names in its answer, the overview in its own).
    let names_cities = matches!(
        cmd,
        ClientCommand::Suggestion(_)
            | ClientCommand::Dispute(_)
            | ClientCommand::Activity(_)
            | ClientCommand::Project(_)
            | ClientCommand::Station(_)
            | ClientCommand::Show { .. }
            | ClientCommand::Whoami
    );
    let names = if names_cities {
        names_for(&channel, ctx).await
    } else {
        output::Names::default()
    };
    let ctx = &Context {
        names,
        ..ctx.clone()
    };
    match cmd {
        ClientCommand::Suggestion(c) => write(&mut client, build::suggestion(c), ctx, ep).await,
        ClientCommand::Dispute(c) => write(&mut client, build::dispute(c), ctx, ep).await,
        ClientCommand::Activity(c) => write(&mut client, build::activity(c), ctx, ep).await,
        ClientCommand::Project(c) => write(&mut client, build::project(c), ctx, ep).await,
        ClientCommand::Station(c) => write(&mut client, build::station(c), ctx, ep).await,
        ClientCommand::Show { id, verify } => {
            let record = rpc(client.get(GetRequest { id, verify }))
                .await
                .map_err(|s| output::status_error(&s, ep))?;
            print_record(&record, ctx)
        }
        ClientCommand::List(a) => list(&mut client, &a, ctx, ep).await,
        ClientCommand::Peers => peers::run(channel, ctx, ep).await,
        ClientCommand::Overview(a) => overview::run(channel, &a, ctx, ep).await,
        ClientCommand::Report(a) => report::run(channel, &a, ctx, ep).await,
        ClientCommand::Export(a) => export::run(&mut client, &a, ctx, ep).await,
        ClientCommand::Whoami => {
            let me = rpc(client.who_am_i(WhoAmIRequest {}))
                .await
                .map_err(|s| output::status_error(&s, ep))?;
            emit(&if ctx.json {
                output::json(&me)? + "\n"
            } else {
                output::whoami(&me, ctx.lang, &ctx.names)
            })
        }
    }
}

/// Sends a create or act and prints the resulting record.
async fn write(
    client: &mut RecordsClient<Channel>,
    call: Call,
    ctx: &Context,
    ep: &str,
) -> anyhow::Result<()> {
    let record = match call {
        Call::Create(req) => {
            let request_id = req.request_id.clone();
            let record = rpc(client.create(req))
                .await
                .map_err(|s| output::create_error(&s, ep, &request_id))?;
            if !ctx.json {
                emit(&format!("request id: {request_id}\n"))?;
            }
            record
        }
        Call::Act(req) => rpc(client.act(req))
            .await
            .map_err(|s| output::status_error(&s, ep))?,
        Call::AddPartner { kind, req } => add_partner(client, kind, req, ep).await?,
    };
    print_record(&record, ctx)
}

/// `<kind> add-partner`: checks the record is of the subcommand's kind, then adds the city.
async fn add_partner(
    client: &mut RecordsClient<Channel>,
    kind: KindArg,
    req: ActRequest,
    ep: &str,
) -> anyhow::Result<Record> {
    let id = req.record_id.clone();
    let current = rpc(client.get(GetRequest {
        id: id.clone(),
        verify: false,
    }))
    .await
    .map_err(|s| output::status_error(&s, ep))?;
    build::check_kind(&id, &current.kind, kind).map_err(|e| anyhow!(e))?;
    rpc(client.act(req))
        .await
        .map_err(|s| output::status_error(&s, ep))
}

/// `list`: one page, or every page with `--all`.
async fn list(
    client: &mut RecordsClient<Channel>,
    args: &ListArgs,
    ctx: &Context,
    ep: &str,
) -> anyhow::Result<()> {
    let (records, next, total) = fetch_list(client, args, ep).await?;
    if ctx.json {
        emit(&(output::json(&records)? + "\n"))?;
    } else {
        emit(&output::table(&records, ctx.lang))?;
    }
    if !next.is_empty() {
        // On stderr so `--json` output stays one parseable array.
        let of = total.map_or_else(String::new, |n| {
            format!(" ({} of {n} shown)", records.len())
        });
        eprintln!("more records{of}: add --all, or continue with --page-token {next}");
    }
    Ok(())
}

/// The records `list` asks for, the token of the page after them (empty at the end) and
/// how many match in all when the node says.
async fn fetch_list(
    client: &mut RecordsClient<Channel>,
    args: &ListArgs,
    ep: &str,
) -> anyhow::Result<(Vec<Record>, String, Option<u64>)> {
    let mut req = build::list(args);
    let mut records = Vec::new();
    let mut total = None;
    loop {
        let page = rpc(client.list(req.clone()))
            .await
            .map_err(|s| output::status_error(&s, ep))?;
        records.extend(page.records);
        total = total.or(page.total);
        let token = page.next_page_token;
        if !args.all || token.is_empty() {
            return Ok((records, token, total));
        }
        if token == req.page_token {
            // The same token again would loop forever.
            return Err(anyhow!(
                "the node at {ep} returned the same page token twice; stopping"
            ));
        }
        req.page_token = token;
    }
}

fn print_record(record: &Record, ctx: &Context) -> anyhow::Result<()> {
    if ctx.json {
        emit(&(output::json(record)? + "\n"))
    } else {
        emit(&output::record(record, ctx.lang, &ctx.names))
    }
}

/// Awaits one RPC under [`RPC_TIMEOUT`], returning the message or the status.
async fn rpc<T>(
    call: impl Future<Output = Result<tonic::Response<T>, tonic::Status>>,
) -> Result<T, tonic::Status> {
    match tokio::time::timeout(RPC_TIMEOUT, call).await {
        Ok(result) => result.map(tonic::Response::into_inner),
        Err(_) => Err(tonic::Status::deadline_exceeded(format!(
            "no answer from the node within {} s",
            RPC_TIMEOUT.as_secs()
        ))),
    }
}

/// Writes to stdout; a closed pipe (e.g. `| head`) is not an error.
fn emit(text: &str) -> anyhow::Result<()> {
    emit_bytes(text.as_bytes())
}

/// Writes `bytes` to stdout; a reader that stopped early (`| head`) is not an error.
fn emit_bytes(bytes: &[u8]) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(anyhow!("cannot write to stdout: {e}")),
    }
}
