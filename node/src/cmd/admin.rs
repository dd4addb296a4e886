//! `lianluo admin …`: maintenance of a stopped node's data dir.

use std::path::PathBuf;

use anyhow::{bail, Context as _};
use lianluo_node::config;
use lianluo_node::store::StoreError;

/// Maintenance of a STOPPED node's data.
#[derive(clap::Subcommand)]
pub enum AdminCommand {
    /// Rebuild the figure counters from the events and compare them with the stored ones.
    ///
    /// Every record is folded again from its events; the figures it adds up to are
    /// compared with the counters the node kept as it went. Differences (and any record
    /// whose stored state differs from its events) are listed and the command exits with
    /// status 1; with --fix every record whose stored state differs is folded again from
    /// its events and rewritten (with its indexes), then the recounted counters replace
    /// the stored ones. The node must be stopped (its data dir is locked while it runs).
    Recount {
        /// The node's config file.
        #[arg(long, env = "LIANLUO_CONFIG", value_name = "FILE")]
        config: PathBuf,
        /// Write the recounted counters in place of the stored ones.
        #[arg(long)]
        fix: bool,
    },
}

/// Runs `lianluo admin …`.
pub fn run(cmd: AdminCommand, json: bool) -> anyhow::Result<()> {
    match cmd {
        AdminCommand::Recount { config, fix } => recount(&config, fix, json),
    }
}

fn recount(path: &std::path::Path, fix: bool, json: bool) -> anyhow::Result<()> {
    let cfg = config::load(path)?;
    let store = lianluo_node::upgrade::open(&cfg.data_dir, &cfg.city, cfg.store_options())
        .map_err(|e| match e {
            StoreError::Locked { dir } => anyhow::anyhow!(
                "data dir {} is in use by a running node; stop the node first, then recount",
                dir.display()
            ),
            other => anyhow::Error::new(other),
        })?;
    let r =
        lianluo_node::recount::recount(store.as_ref(), &cfg.city, fix).context("recount failed")?;
    if json {
        println!("{}", serde_json::to_string_pretty(&r)?);
    } else {
        print!("{}", text(&r, &cfg.city));
    }
    if !r.states_differ.is_empty() {
        // --fix folds them again first, so this is a run without it.
        bail!(
            "{} records' stored state differs from their events (listed above); run again \
             with --fix, which folds them again from their events and rewrites them",
            r.states_differ.len()
        );
    }
    if !r.clean() && !r.fixed {
        bail!("the stored figures differ from the events; run again with --fix to replace them");
    }
    Ok(())
}

fn text(r: &lianluo_node::recount::Recount, city: &str) -> String {
    let mut out = format!(
        "recounted {city}: {} records, {} events, {} counters\n",
        r.records, r.events, r.counters
    );
    if r.clean() {
        out.push_str("every counter matches the events\n");
        return out;
    }
    for d in &r.differences {
        out.push_str(&format!(
            "  {}: stored {}, recounted {}\n",
            d.counter, d.stored, d.recounted
        ));
    }
    if r.outdated {
        out.push_str("  the counters were kept by an older build\n");
    }
    if r.member_differences > 0 {
        out.push_str(&format!(
            "  {} distinct-deputy entries differ\n",
            r.member_differences
        ));
    }
    for id in &r.states_differ {
        out.push_str(&format!(
            "  record {id}: stored state differs from its events\n"
        ));
    }
    if r.refolded > 0 {
        out.push_str(&format!(
            "{} records folded again from their events and rewritten\n",
            r.refolded
        ));
    }
    if r.reindexed > 0 {
        out.push_str(&format!(
            "{} records indexed again for text search (every text, not the title only)\n",
            r.reindexed
        ));
    }
    if r.fixed {
        out.push_str("the recounted counters replace the stored ones\n");
    }
    out
}
