//! `lianluo node` and `lianluo config check`.

use std::path::PathBuf;

use anyhow::Context as _;
use lianluo_node::config::{self, LogFormat};

/// Run one city's node until Ctrl-C or SIGTERM.
#[derive(clap::Args)]
pub struct NodeArgs {
    /// The node's config file (see `lianluo demo --init-only` for examples).
    #[arg(long, env = "LIANLUO_CONFIG", value_name = "FILE")]
    config: PathBuf,
}

/// Validate configuration.
#[derive(clap::Subcommand)]
pub enum ConfigCommand {
    /// Check a node config and report every problem (key, value, why).
    Check {
        /// The node's config file.
        #[arg(long, env = "LIANLUO_CONFIG", value_name = "FILE")]
        config: PathBuf,
    },
}

/// Runs a node with logging set up from its config (RUST_LOG overrides the level).
///
/// Failures before the node serves (config, files, data dir, ports) are "cannot start the
/// node"; a failure of a node that was serving is "node stopped".
pub async fn run(args: NodeArgs) -> anyhow::Result<()> {
    const NOT_STARTED: &str = "cannot start the node";
    // Blocking file reads, before the node does anything else.
    let path = args.config.clone();
    let cfg = tokio::task::spawn_blocking(move || config::load_verified(&path))
        .await
        .context(NOT_STARTED)?
        .context(NOT_STARTED)?;
    init_logging(cfg.log_format, &cfg.log_level);
    tracing::info!(config = %args.config.display(), city = %cfg.city, "starting lianluo node");
    if let Some(w) = lianluo_node::server::open_files::warning(&cfg) {
        tracing::warn!("{w}");
    }
    let node = lianluo_node::server::start(cfg, shutdown_signal())
        .await
        .context(NOT_STARTED)?;
    let ended = node.task.await;
    tracing::info!("node stopped");
    match ended {
        Ok(result) => result.context("node stopped"),
        Err(e) => Err(anyhow::anyhow!("node stopped: its task failed: {e}")),
    }
}

/// `lianluo config check`: the config and the files it names (certificates, keys, CRLs,
/// data dir) are all checked; exit 0 and a summary when valid, every problem otherwise.
pub fn check(cmd: ConfigCommand, json: bool) -> anyhow::Result<()> {
    let ConfigCommand::Check { config } = cmd;
    match config::load_verified(&config) {
        Ok(c) => {
            if json {
                println!(
                    "{}",
                    serde_json::json!({"ok": true, "city": c.city, "api_listen": c.api_listen.to_string(), "data_dir": c.data_dir})
                );
            } else {
                println!(
                    "{}: ok (city {}, api {}, data {})",
                    config.display(),
                    c.city,
                    c.api_listen,
                    c.data_dir.display()
                );
            }
            Ok(())
        }
        Err(e) if json => {
            let problems: Vec<_> = e
                .problems
                .iter()
                .map(|p| serde_json::json!({"key": p.key, "message": p.message}))
                .collect();
            println!("{}", serde_json::json!({"ok": false, "problems": problems}));
            anyhow::bail!("{} problem(s) in {}", e.problems.len(), config.display())
        }
        Err(e) => Err(e.into()),
    }
}

pub fn init_logging(format: LogFormat, level: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    // Colours only on a terminal: log files and journald get plain text.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => tracing::info!("ctrl-c received"),
        _ = term => tracing::info!("sigterm received"),
    }
}
