//! The `lianluo` binary: run a node, set up a demo federation, manage the PKI, check a
//! config, and act on records as a client.

mod cmd;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Lianluo (联络): inter-provincial people's-congress deputy cooperation.
///
/// Each city runs one node. Staff and dashboards talk to their city's node with a client
/// profile (endpoint + certificates), e.g. `lianluo --profile
/// lianluo-demo/hezhou/coordinator.toml list`. Start with `lianluo demo` for a ready
/// three-city setup in `lianluo-demo/`.
#[derive(Parser)]
#[command(name = "lianluo", version, propagate_version = true)]
struct Cli {
    /// Client profile (TOML: endpoint, ca, cert, key) for client commands.
    #[arg(long, global = true, env = "LIANLUO_PROFILE", value_name = "FILE")]
    profile: Option<PathBuf>,
    /// Print machine-readable JSON instead of text.
    #[arg(long, global = true)]
    json: bool,
    /// Language of text output: zh (Chinese: labels, statuses, cities, Beijing time) or
    /// en. Default: Chinese when the locale (LC_ALL, LC_MESSAGES, LANG) is Chinese, e.g.
    /// LANG=zh_CN.UTF-8, else English.
    #[arg(long, global = true, value_parser = ["zh", "en"])]
    lang: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a city node.
    Node(cmd::node::NodeArgs),
    /// Validate configuration files.
    #[command(subcommand)]
    Config(cmd::node::ConfigCommand),
    /// Set up (and run) a three-city demo federation: hezhou, qingyuan, yongzhou.
    Demo(cmd::demo::DemoArgs),
    /// Manage the PKI: root CA, city certificates, user certificates, CRLs.
    #[command(subcommand)]
    Tls(cmd::tls::TlsCommand),
    /// Is the node on this host ready? Exit 0 or 1 (for health checks and probes).
    Health(cmd::health::HealthArgs),
    /// Back up a node's data into one file, while it runs or stopped.
    Backup(cmd::backup::BackupArgs),
    /// Restore a stopped node's data from a backup file.
    Restore(cmd::backup::RestoreArgs),
    /// Maintenance of a stopped node's data (recount the figures).
    #[command(subcommand)]
    Admin(cmd::admin::AdminCommand),
    #[command(flatten)]
    Client(cmd::client::ClientCommand),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    lianluo_federation::crypto::install_crypto_provider();
    let result = match cli.command {
        Command::Tls(c) => cmd::tls::run(c),
        Command::Config(c) => cmd::node::check(c, cli.json),
        Command::Backup(a) => cmd::backup::run_backup(a, cli.json),
        Command::Restore(a) => cmd::backup::run_restore(a, cli.json),
        Command::Admin(c) => cmd::admin::run(c, cli.json),
        other => runtime().and_then(|rt| {
            let result = rt.block_on(async move {
                match other {
                    Command::Node(a) => cmd::node::run(a).await,
                    Command::Demo(a) => cmd::demo::run(a).await,
                    Command::Health(a) => cmd::health::run(a).await,
                    Command::Client(c) => {
                        let ctx = cmd::client::Context {
                            profile: cli.profile,
                            json: cli.json,
                            lang: cmd::client::output_lang(cli.lang.as_deref(), |k| {
                                std::env::var(k).ok()
                            }),
                            ..Default::default()
                        };
                        cmd::client::run(c, &ctx).await
                    }
                    Command::Tls(_)
                    | Command::Config(_)
                    | Command::Backup(_)
                    | Command::Restore(_)
                    | Command::Admin(_) => Ok(()),
                }
            });
            // A storage call stuck in the kernel (a failing disk) must not keep the
            // process from exiting: what was acknowledged is durable already.
            rt.shutdown_timeout(EXIT_GRACE);
            result
        }),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// How long the process waits at exit for blocking work still running.
const EXIT_GRACE: std::time::Duration = std::time::Duration::from_secs(5);

pub(crate) fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("lianluo")
        .build()?)
}
