//! `lianluo health`: is the node on this host ready? For container health checks,
//! systemd and Kubernetes probes; needs no user certificate.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context as _};
use lianluo_node::config;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_health::pb::HealthCheckRequest;

/// Check that the node on this host is ready: exit 0 if it is, 1 if not.
///
/// Silent when the node is ready; one line on standard error saying why otherwise. It
/// needs no user certificate: it reads the node's config and, with the node's own node
/// certificate and key (so run it as the node's user, or root), asks the node's federation
/// port on loopback for its gRPC health. Ready means serving and taking writes (a full
/// disk makes it not ready; reads still work then).
///
/// Examples: `lianluo health --config /etc/lianluo/node.toml`;
/// in a container, `LIANLUO_CONFIG=/etc/lianluo/node.toml lianluo health`.
#[derive(clap::Args)]
pub struct HealthArgs {
    /// The node's config file.
    #[arg(long, env = "LIANLUO_CONFIG", value_name = "FILE")]
    config: PathBuf,
    /// Give up (not ready) after this many seconds.
    #[arg(long, default_value_t = 3, value_name = "SECS")]
    timeout: u64,
}

/// Runs `lianluo health`.
pub async fn run(args: HealthArgs) -> anyhow::Result<()> {
    let cfg = config::load(&args.config).context("not ready")?;
    let timeout = Duration::from_secs(args.timeout.max(1));
    let check = async {
        let channel = lianluo_node::local::channel(&cfg, timeout).await?;
        let status = HealthClient::new(channel)
            .check(HealthCheckRequest {
                service: "lianluo.v1.Records".into(),
            })
            .await
            .map_err(|s| anyhow::anyhow!("{}", s.message()))?
            .into_inner()
            .status();
        anyhow::Ok(status)
    };
    let status = tokio::time::timeout(timeout, check)
        .await
        .map_err(|_| anyhow::anyhow!("not ready: no answer within {} s", timeout.as_secs()))?
        .context("not ready")?;
    match status {
        ServingStatus::Serving => Ok(()),
        ServingStatus::NotServing => {
            bail!("not ready: the node serves but refuses writes (storage; see its log or /readyz)")
        }
        other => bail!("not ready: the node reports {}", other.as_str_name()),
    }
}
