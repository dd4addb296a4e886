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
    /// Base port N of a new setup: city i (hezhou 0, qingyuan 1, yongzhou 2) listens on
    /// N+10i+1 (client API), N+10i+2 (federation) and N+10i+3 (dashboard, loopback).
    /// [default: 7100; an existing --dir keeps the ports it was set up with]
    #[arg(long, value_name = "N")]
    base_port: Option<u16>,
    /// Start the nodes without loading the sample data set.
    #[arg(long)]
    no_sample_data: bool,
}

/// Runs `lianluo demo`.
pub async fn run(args: DemoArgs) -> anyhow::Result<()> {
    if let Some(n) = args.base_port.filter(|n| !(1024..=65_000).contains(n)) {
        anyhow::bail!("--base-port {n}: must be between 1024 and 65000");
    }
    let dir = absolute(&args.dir)?;
    let base_port = base_port_of(&dir, &args.dir, args.base_port)?;
    init(&dir, base_port)?;
    if args.init_only {
        print_setup(&dir);
        return Ok(());
    }
    run_nodes(&dir, &args.dir, base_port, !args.no_sample_data).await
}

/// The base port of the setup in `dir`: the one it was made with if it exists (a
/// different `--base-port` is refused, saying how to get a fresh setup), else `asked`
/// or 7100.
fn base_port_of(dir: &Path, shown: &Path, asked: Option<u16>) -> anyhow::Result<u16> {
    let existing = dir.join(CITIES[0]).join("node.toml");
    let Ok(cfg) = config::load(&existing) else {
        return Ok(asked.unwrap_or(DEFAULT_BASE_PORT));
    };
    let had = cfg.api_listen.port().saturating_sub(1);
    match asked {
        Some(n) if n != had => anyhow::bail!(
            "--base-port {n}: the demo directory {shown} was set up with --base-port {had} \
             (hezhou's client API on port {}), and an existing setup keeps its ports; run \
             `lianluo demo --dir {shown}` to use it as it is, or make a fresh setup in a new \
             directory: `lianluo demo --dir {shown}-{n} --base-port {n}`",
            cfg.api_listen.port(),
            shown = shown.display(),
        ),
        _ => Ok(had),
    }
}

/// The base port of a new setup when `--base-port` is not given.
const DEFAULT_BASE_PORT: u16 = 7100;

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

async fn run_nodes(
    dir: &Path,
    shown: &Path,
    base_port: u16,
    sample_data: bool,
) -> anyhow::Result<()> {
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
        .map_err(|e| port_hint(e, shown, base_port))
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

/// A start failure; a port in use also says which other ports a fresh setup could take.
fn port_hint(e: lianluo_node::server::ServeError, shown: &Path, base_port: u16) -> anyhow::Error {
    if !matches!(e, lianluo_node::server::ServeError::Bind { .. }) {
        return e.into();
    }
    let next = if base_port >= 64_900 {
        7200
    } else {
        base_port + 100
    };
    anyhow::Error::new(e).context(format!(
        "a port of the demo directory {shown} (--base-port {base_port}: ports {}–{}) is in \
         use, by another program or a demo still running; stop it, or make a fresh setup on \
         other ports in a new directory: `lianluo demo --dir {shown}-{next} --base-port {next}`",
        base_port + 1,
        base_port + 23,
        shown = shown.display(),
    ))
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
        println!(
            "loading the sample data (15 stations, 23 suggestions, 35 disputes, activities, \
             projects)"
        );
    }
    let summary = sample::load(dir)
        .await
        .context("cannot load the sample data (pass --no-sample-data to skip it)")?;
    println!("{summary}");
    std::fs::write(&marker, format!("{summary}\n"))
        .with_context(|| format!("cannot write {}", marker.display()))?;
    Ok(())
}
