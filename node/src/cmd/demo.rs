//! `lianluo demo`: a ready three-city federation on 127.0.0.1 — Hezhou (Guangxi),
//! Qingyuan (Guangdong) and Yongzhou (Hunan). Writes the PKI, one node config per city
//! and client profiles per role; without `--init-only` it also runs the three nodes in
//! this process until Ctrl-C. Running it again on the same directory keeps what is there.

mod cases;
mod data;
mod plan;
pub mod sample;
#[cfg(test)]
mod tests;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use lianluo_certs::Pki;
use lianluo_node::config;

/// The founding cities, in port order.
pub const CITIES: [&str; 3] = ["hezhou", "qingyuan", "yongzhou"];
/// The demo's client roles; each gets a user certificate and a profile.
pub const ROLES: [&str; 3] = ["admin", "coordinator", "viewer"];

/// Set up (and run) a three-city demo federation on 127.0.0.1.
///
/// Ports: city i (hezhou 0, qingyuan 1, yongzhou 2) serves its client API on
/// BASE + 10*i + 1 (7101, 7111, 7121 by default), federation on BASE + 10*i + 2 and
/// metrics/health HTTP on BASE + 10*i + 3.
#[derive(clap::Args)]
pub struct DemoArgs {
    /// Directory for the PKI, the node configs, data and client profiles.
    #[arg(long, value_name = "DIR", default_value = "lianluo-demo")]
    dir: PathBuf,
    /// Only write the setup (PKI, node.toml, profiles); do not start the nodes.
    #[arg(long)]
    init_only: bool,
    /// Base port N: city i (hezhou 0, qingyuan 1, yongzhou 2) listens on N+10i+1
    /// (client API), N+10i+2 (federation) and N+10i+3 (metrics/health, loopback).
    #[arg(long, value_name = "N", default_value_t = 7100)]
    base_port: u16,
    /// Start the nodes without loading the sample data set.
    #[arg(long)]
    no_sample_data: bool,
}

/// Runs `lianluo demo`.
pub async fn run(args: DemoArgs) -> anyhow::Result<()> {
    if args.base_port > 65_000 {
        anyhow::bail!("--base-port {}: must be at most 65000", args.base_port);
    }
    let dir = absolute(&args.dir)?;
    init(&dir, args.base_port)?;
    if args.init_only {
        print_setup(&dir);
        return Ok(());
    }
    run_nodes(&dir, !args.no_sample_data).await
}

fn absolute(p: &Path) -> anyhow::Result<PathBuf> {
    std::fs::create_dir_all(p).with_context(|| format!("cannot create {}", p.display()))?;
    std::fs::canonicalize(p).with_context(|| format!("cannot resolve {}", p.display()))
}

/// Writes whatever of the setup is missing under `dir`.
pub fn init(dir: &Path, base_port: u16) -> anyhow::Result<()> {
    let pki = Pki::init(&dir.join("pki"), config::DEFAULT_TRUST_DOMAIN)
        .context("cannot set up the demo PKI")?;
    for (i, city) in CITIES.iter().enumerate() {
        pki.ensure_city(city, &[])
            .with_context(|| format!("cannot issue {city}'s certificates"))?;
        let city_dir = dir.join(city);
        std::fs::create_dir_all(&city_dir)?;
        for role in ROLES {
            if !dir
                .join("pki")
                .join(city)
                .join("users")
                .join(format!("{role}.pem"))
                .exists()
            {
                pki.issue_user(city, role, 365)
                    .with_context(|| format!("cannot issue {city}'s {role} certificate"))?;
            }
        }
        let (api_port, _, _) = ports(base_port, i);
        write_new(&city_dir.join("node.toml"), &node_toml(city, base_port))?;
        for role in ROLES {
            write_new(
                &city_dir.join(format!("{role}.toml")),
                &profile_toml(city, role, api_port),
            )?;
        }
    }
    Ok(())
}

/// Writes `path` only if it does not exist yet (re-running keeps edits).
fn write_new(path: &Path, text: &str) -> anyhow::Result<()> {
    if path.exists() {
        return Ok(());
    }
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}

/// Ports of city number `i`: client API, federation, HTTP.
pub fn ports(base: u16, i: usize) -> (u16, u16, u16) {
    let b = base + 10 * i as u16;
    (b + 1, b + 2, b + 3)
}

fn node_toml(city: &str, base_port: u16) -> String {
    let i = CITIES.iter().position(|c| *c == city).unwrap_or_default();
    let (api, fed, http) = ports(base_port, i);
    let local = |port: u16| SocketAddr::from(([127, 0, 0, 1], port));
    let peers: Vec<(&str, SocketAddr)> = CITIES
        .iter()
        .enumerate()
        .filter(|(_, c)| **c != city)
        .map(|(j, c)| (*c, local(ports(base_port, j).1)))
        .collect();
    config::NodeToml {
        city,
        data_dir: "data",
        api: local(api),
        federation: local(fed),
        http: Some(local(http)),
        peers: &peers,
    }
    .render()
}

fn profile_toml(city: &str, role: &str, api_port: u16) -> String {
    format!(
        r#"# Client profile: {city}'s {role}. Use with `lianluo --profile <this file> …`.
endpoint = "https://127.0.0.1:{api_port}"
ca = "../pki/root-ca.pem"
cert = "../pki/{city}/users/{role}.pem"
key = "../pki/{city}/users/{role}.key"
"#
    )
}

fn print_setup(dir: &Path) {
    println!("demo setup in {}", dir.display());
    for city in CITIES {
        println!(
            "  {city}: lianluo node --config {}",
            dir.join(city).join("node.toml").display()
        );
    }
    println!(
        "client profiles: {}/<city>/{{admin,coordinator,viewer}}.toml",
        dir.display()
    );
}

async fn run_nodes(dir: &Path, sample_data: bool) -> anyhow::Result<()> {
    // The three nodes start one after another, so the first dials of each worker fail
    // until its peers are up; `lianluo peers` shows the links. RUST_LOG overrides this.
    super::node::init_logging(
        lianluo_node::config::LogFormat::Text,
        "warn,lianluo_federation::sync::worker=error",
    );
    let (stop_tx, _) = tokio::sync::broadcast::channel::<()>(1);
    let mut nodes = Vec::new();
    for city in CITIES {
        let cfg = config::load(&dir.join(city).join("node.toml"))?;
        let mut rx = stop_tx.subscribe();
        let node = lianluo_node::server::start(cfg, async move {
            let _ = rx.recv().await;
        })
        .await
        .with_context(|| format!("cannot start {city}'s node"))?;
        nodes.push((city, node));
    }
    if sample_data {
        if let Err(e) = load_sample(dir).await {
            let _ = stop_tx.send(());
            for (_, node) in nodes {
                let _ = node.task.await;
            }
            return Err(e);
        }
    }
    for (city, node) in &nodes {
        let dashboard = node
            .bound
            .http
            .map(|a| format!("  dashboard http://{a}/"))
            .unwrap_or_default();
        println!(
            "{city}: api https://{}{dashboard}  profile {}",
            node.bound.api,
            dir.join(city).join("coordinator.toml").display()
        );
    }
    println!(
        "ready: 3 nodes running; try `lianluo --profile {} overview` or open a dashboard; \
         Ctrl-C stops all three",
        dir.join("hezhou").join("viewer.toml").display()
    );
    super::node::shutdown_signal().await;
    let _ = stop_tx.send(());
    for (city, node) in nodes {
        match node.task.await {
            Ok(Ok(())) => println!("{city}: stopped"),
            Ok(Err(e)) => eprintln!("{city}: {e}"),
            Err(e) => eprintln!("{city}: {e}"),
        }
    }
    Ok(())
}

/// Loads the sample data set unless Hezhou's node holds records (a rerun on the same
/// directory keeps what is there).
/// Written once the sample data is fully loaded. An interrupted load has no marker, so
/// the next run finishes it (creates are idempotent by request id; done acts are skipped).
const SAMPLE_MARKER: &str = "sample-data.done";

async fn load_sample(dir: &Path) -> anyhow::Result<()> {
    let marker = dir.join(SAMPLE_MARKER);
    if marker.exists() {
        println!("sample data: loaded by an earlier run, not loading it again");
        return Ok(());
    }
    if sample::has_records(dir, CITIES[0]).await? {
        println!("sample data: finishing a load an earlier run did not complete");
    } else {
        println!("loading the sample data (15 stations, 23 suggestions, 35 disputes, activities)");
    }
    let summary = sample::load(dir)
        .await
        .context("cannot load the sample data (pass --no-sample-data to skip it)")?;
    println!("{summary}");
    std::fs::write(&marker, format!("{summary}\n"))
        .with_context(|| format!("cannot write {}", marker.display()))?;
    Ok(())
}
