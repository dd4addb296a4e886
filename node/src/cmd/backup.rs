//! `lianluo backup` and `lianluo restore`: backup of a node's data into one file (online
//! from a running node, or offline), and restore into a fresh store (see `lianluo_node::backup` for the format and rules).

use std::path::PathBuf;

use anyhow::Context as _;
use lianluo_node::backup::{self, BackupOptions, RestoreOptions};
use lianluo_node::config;

/// Back up a node's data into one file, while the node runs or while it is stopped.
///
/// The file holds every event of the node's log, the signer certificates that verify them
/// and a checksum; it is written to a temp file, checked and renamed when complete.
///
/// Running node (its data dir is locked): the node streams a consistent snapshot — its
/// log up to the last write acknowledged when the backup starts — over its federation
/// port on this host, authenticated with the node's own certificate (run it as the node's
/// user, or root; no user certificate needed). The node keeps serving meanwhile.
/// Stopped node: the data dir is read directly.
///
/// Examples: `lianluo backup --config /etc/lianluo/node.toml --out hezhou-2026-12-07.llb`;
/// from a container to the host, `docker exec lianluo-hezhou lianluo backup --out - >
/// hezhou.llb` (with LIANLUO_CONFIG set in the container).
#[derive(clap::Args)]
pub struct BackupArgs {
    /// The node's config file.
    #[arg(long, env = "LIANLUO_CONFIG", value_name = "FILE")]
    config: PathBuf,
    /// The backup file to write (must not exist); `-` writes it to standard output.
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// A signer certificate (PEM) of another city to include, when events signed by it
    /// are stored and its file is not at <pki>/<city>/signer.pem. Repeatable.
    #[arg(long = "signer-cert", value_name = "FILE")]
    signer_certs: Vec<PathBuf>,
}

/// Restore a STOPPED node's data from a backup file.
///
/// Every event is verified against the root CA (tls.ca) and the backup's signer
/// certificates; a damaged or tampered backup is refused and nothing changes. The restored
/// node gets a new log id, so its peers re-send everything they hold for it, filling in
/// what happened after the backup.
#[derive(clap::Args)]
pub struct RestoreArgs {
    /// The node's config file (its city must match the backup's).
    #[arg(long, env = "LIANLUO_CONFIG", value_name = "FILE")]
    config: PathBuf,
    /// The backup file.
    #[arg(long, value_name = "FILE")]
    from: PathBuf,
    /// Replace a non-empty data dir: it is moved aside to
    /// <data_dir>.before-restore-<unix time>, never deleted.
    #[arg(long)]
    force: bool,
}

/// Runs `lianluo backup`: offline when the data dir is free, else from the running node.
pub fn run_backup(args: BackupArgs, json: bool) -> anyhow::Result<()> {
    let cfg = config::load(&args.config)?;
    let opts = BackupOptions {
        signer_certs: args.signer_certs,
        ..BackupOptions::default()
    };
    let (s, online) = match backup::backup(&cfg, &args.out, &opts) {
        Err(backup::BackupError::NodeRunning { .. }) => {
            let rt = crate::runtime()?;
            let s = rt.block_on(backup::online::fetch(&cfg, &args.out, &opts.signer_certs));
            (s.context("backup of the running node failed")?, true)
        }
        other => (other.context("backup failed")?, false),
    };
    // With `--out -` the backup itself is on standard output.
    let to_stdout = args.out.as_os_str() == "-";
    if to_stdout {
        eprintln!("backed up {} ({} bytes)", cfg.city, s.size);
    } else if json {
        println!("{}", serde_json::to_string_pretty(&s)?);
    } else {
        if online {
            println!("the node is running: backed up online (it kept serving)");
        }
        println!(
            "backed up {}: {} events (last seq {}), {} signer certificate(s), log id {}\n\
             file: {} ({} bytes)",
            s.city,
            s.events,
            s.last_seq,
            s.signer_certs,
            s.log_id,
            s.file.display(),
            s.size
        );
    }
    Ok(())
}

/// Runs `lianluo restore`.
pub fn run_restore(args: RestoreArgs, json: bool) -> anyhow::Result<()> {
    let cfg = config::load(&args.config)?;
    let opts = RestoreOptions { force: args.force };
    let s = backup::restore(&cfg, &args.from, &opts).context("restore failed")?;
    if json {
        println!("{}", serde_json::to_string_pretty(&s)?);
        return Ok(());
    }
    println!(
        "restored {}: {} events, {} records from {} (taken {}, last seq {})\n\
         data dir: {} (new log id {}; peers re-send what they hold once the node runs)",
        s.city,
        s.events,
        s.records,
        s.file.display(),
        s.backup_created_at,
        s.backup_last_seq,
        s.data_dir.display(),
        s.log_id
    );
    if s.records_without_view > 0 {
        println!(
            "note: {} record(s) have no valid creation event; their events are kept",
            s.records_without_view
        );
    }
    if let Some(aside) = &s.moved_aside {
        println!("the previous data dir was moved to {}", aside.display());
    }
    Ok(())
}
