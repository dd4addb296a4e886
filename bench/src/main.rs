//! `lianluo-bench`: benchmarks that run REAL `lianluo` node processes (through the
//! multi-process test harness: a temp dir with the demo PKI, three city configs, nodes on
//! port 0, every federation link through a proxy) and print each figure beside a limit
//! measured in the same run, with the ratio, or beside its target:
//!
//! - `creates`: durable creates at 1, 16 and 64 mTLS clients vs WhoAmI and raw sled;
//! - `catchup`: a node catching up N events vs stream-only and verify-only;
//! - `live`: replication latency under steady load vs its targets;
//! - `overview`: the federated overview at a loaded store, all up and one peer
//!   black-holed;
//! - `size`: peak RSS, disk per event and start-up at the loaded store.
//!
//! `--quick` (default) uses small sizes so the whole run stays short even against a
//! debug build (CI runs it so the code never rots); `--full` uses the sizes and
//! refuses a debug node unless `--allow-debug`.

mod catchup;
mod cleanup;
mod clients;
mod cluster;
mod creates;
mod env;
mod live;
mod load;
mod overview;
mod payload;
mod pg;
mod probe;
mod report;
mod size;
mod sled_limit;
mod stats;
mod write;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use clap::{Parser, ValueEnum};

use crate::clients::Window;
use crate::report::Report;

/// Benchmarks of real lianluo nodes, each figure beside a limit measured in the same run.
#[derive(Parser, Debug)]
#[command(name = "lianluo-bench")]
struct Args {
    /// Small sizes, a couple of minutes even with a debug build (the default).
    #[arg(long, conflicts_with = "full")]
    quick: bool,
    /// The sizes (100,000-event catch-up, 1,000,000-event store); needs a
    /// release build of lianluo unless --allow-debug.
    #[arg(long)]
    full: bool,
    /// Run only these scenarios (repeatable); all by default.
    #[arg(long, value_enum)]
    only: Vec<Scenario>,
    /// Also write the rows as JSON to FILE.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    /// Run full mode against a debug build of lianluo anyway.
    #[arg(long)]
    allow_debug: bool,
    /// Override the number of events of the catch-up scenario.
    #[arg(long, value_name = "N")]
    catchup_events: Option<u64>,
    /// Override the number of events loaded for overview and size.
    #[arg(long, value_name = "N")]
    load_events: Option<u64>,
    /// Override the number of loading clients per city.
    #[arg(long, value_name = "N")]
    load_clients: Option<usize>,
    /// Set every node's `[federation] max_stream_secs` (the longest life of a stream and
    /// of any connection to the node; the node's default is 300).
    #[arg(long, value_name = "SECS")]
    max_stream_secs: Option<u64>,
}

/// A scenario of issue #8.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Scenario {
    Creates,
    Catchup,
    Live,
    Overview,
    Size,
}

/// How big each scenario is.
#[derive(Debug, Clone)]
pub struct Sizes {
    /// Full mode (also runs the PostgreSQL comparison).
    pub full: bool,
    /// Client counts of the creates scenario.
    pub concurrency: Vec<usize>,
    /// Warm-up and window of each closed-loop phase.
    pub window: Window,
    /// Events written while the catching-up node is down.
    pub catchup_events: u64,
    /// Concurrent writers when filling a node for catch-up.
    pub writers: usize,
    /// Live scenario: creates per second and seconds.
    pub live_rate: u64,
    /// Live scenario duration.
    pub live_secs: u64,
    /// Events loaded for overview and size.
    pub load_events: u64,
    /// Loading clients per city.
    pub load_clients_per_city: usize,
    /// Overview calls with every city up.
    pub overview_calls: usize,
    /// Overview calls with a peer black-holed.
    pub blackhole_calls: usize,
    /// `[federation] max_stream_secs` for every node, if set.
    pub max_stream_secs: Option<u64>,
}

impl Sizes {
    fn new(full: bool, args: &Args) -> Sizes {
        let secs = |s: f64| Duration::from_secs_f64(s);
        let base = if full {
            Sizes {
                full,
                concurrency: vec![1, 16, 64],
                window: Window {
                    warmup: secs(2.0),
                    run: secs(10.0),
                },
                catchup_events: 100_000,
                writers: 32,
                live_rate: 200,
                live_secs: 60,
                load_events: 1_000_000,
                load_clients_per_city: 16,
                overview_calls: 200,
                blackhole_calls: 30,
                max_stream_secs: None,
            }
        } else {
            Sizes {
                full,
                concurrency: vec![1, 16, 64],
                window: Window {
                    warmup: secs(0.3),
                    run: secs(1.5),
                },
                catchup_events: 1_000,
                writers: 8,
                live_rate: 200,
                live_secs: 5,
                load_events: 3_000,
                load_clients_per_city: 4,
                overview_calls: 40,
                blackhole_calls: 3,
                max_stream_secs: None,
            }
        };
        Sizes {
            catchup_events: args.catchup_events.unwrap_or(base.catchup_events),
            load_events: args.load_events.unwrap_or(base.load_events),
            load_clients_per_city: args.load_clients.unwrap_or(base.load_clients_per_city),
            max_stream_secs: args.max_stream_secs,
            ..base
        }
    }
}

/// What every scenario gets.
pub struct Ctx {
    /// Sizes of this run.
    pub sizes: Sizes,
    /// The runtime the gRPC clients run on.
    pub rt: tokio::runtime::Runtime,
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("lianluo-bench: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// Runs the selected scenarios; `Ok(false)` when any of them failed.
fn run(args: &Args) -> Result<bool> {
    lianluo_federation::install_crypto_provider();
    let bin = env::lianluo_bin()?;
    let (release, why) = env::is_release(&bin)?;
    if args.full && !release && !args.allow_debug {
        bail!(
            "refusing to run --full against a DEBUG build of lianluo ({}: {why}): its \
             figures would not be comparable. Build a release node (scripts/bench does: \
             cargo build --release -p lianluo-node) or pass --allow-debug.",
            bin.display()
        );
    }
    // The harness runs what LIANLUO_BIN names.
    std::env::set_var("LIANLUO_BIN", &bin);
    let sizes = Sizes::new(args.full, args);
    let mut report = Report::default();
    header(&mut report, args, &bin, release, &why);
    for (k, v) in &report.header {
        println!("{k}: {v}");
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(env::cores())
        .enable_all()
        .build()?;
    cleanup::install(&rt);
    let ctx = Ctx { sizes, rt };
    let ok = scenarios(&ctx, args, &mut report);
    report
        .header
        .push(("other CPU load after the run".to_string(), env::cpu_busy()));
    println!("\n{}", report.render());
    if let Some(path) = &args.json {
        let text = serde_json::to_string_pretty(&report.to_json())?;
        std::fs::write(path, text + "\n").with_context(|| format!("writing {}", path.display()))?;
        println!("rows written to {}", path.display());
    }
    Ok(ok)
}

fn header(report: &mut Report, args: &Args, bin: &std::path::Path, release: bool, why: &str) {
    let mut h = |k: &str, v: String| report.header.push((k.to_string(), v));
    h("date", env::now_rfc3339());
    h(
        "git commit",
        env::git_commit().unwrap_or_else(|| "unknown".into()),
    );
    let mem = env::mem_gib().map_or_else(String::new, |g| format!(", {g:.0} GiB RAM"));
    h(
        "machine",
        format!("{} cores ({}){mem}", env::cores(), env::cpu_model()),
    );
    let kind = if release {
        "release"
    } else {
        "DEBUG (figures not representative)"
    };
    h(
        "lianluo binary",
        format!("{} — {kind} ({why})", bin.display()),
    );
    h("data dirs", env::filesystem_of(&std::env::temp_dir()));
    h("other CPU load before the run", env::cpu_busy());
    h(
        "mode",
        if args.full {
            "full".into()
        } else {
            "quick".into()
        },
    );
    h("ratio", "value ÷ limit".into());
}

/// Runs each selected scenario, noting failures; true when all succeeded.
fn scenarios(ctx: &Ctx, args: &Args, report: &mut Report) -> bool {
    let on = |s: Scenario| args.only.is_empty() || args.only.contains(&s);
    let mut ok = true;
    let mut step =
        |name: &str, report: &mut Report, f: &mut dyn FnMut(&mut Report) -> Result<()>| {
            println!("\n== {name}");
            let started = Instant::now();
            if let Err(e) = f(report) {
                ok = false;
                report.note(name, format!("FAILED: {e:#}"));
            }
            println!("  ({name} took {:.1} s)", started.elapsed().as_secs_f64());
        };
    if on(Scenario::Creates) {
        step("creates", report, &mut |r| creates::run(ctx, r));
    }
    if on(Scenario::Catchup) {
        step("catchup", report, &mut |r| catchup::run(ctx, r));
    }
    if on(Scenario::Live) {
        step("live", report, &mut |r| live::run(ctx, r));
    }
    if on(Scenario::Overview) || on(Scenario::Size) {
        let mut loaded = None;
        step("load", report, &mut |r| {
            loaded = Some(load::load(ctx, r)?);
            Ok(())
        });
        if let Some(loaded) = loaded.as_mut() {
            if on(Scenario::Overview) {
                step("overview", report, &mut |r| overview::run(ctx, loaded, r));
            }
            if on(Scenario::Size) {
                step("size", report, &mut |r| size::run(loaded, r));
            }
        }
    }
    ok
}
