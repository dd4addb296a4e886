//! A real node whose data dir is a small tmpfs that the test fills (run as root): writes
//! are refused at once with UNAVAILABLE, the node turns not-ready, reads go on (the node
//! gives up its ballast file to reopen its storage), shutdown stays prompt, a node
//! restarted on a full disk serves reads, a new one says there is no space, and writes
//! resume by themselves once space is freed. Every acknowledged write is still there at the end.

use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};
use lianluo_tests::browser::http_get;
use lianluo_tests::tmpfs::Tmpfs;
use lianluo_tests::{block_on_here, eventually, Cli, Federation, NodeProc};
use serde_json::Value;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_health::pb::HealthCheckRequest;

/// A body of about 3 KB, so the disk fills in few writes.
fn body() -> String {
    "三地联合督办省际道路建设。".repeat(80)
}

/// Creates a suggestion; its id when acknowledged, else the CLI's error and how long the
/// answer took.
fn create(cli: &Cli, title: &str) -> Result<String, (String, Duration)> {
    let started = Instant::now();
    let body = body();
    let args = [
        "suggestion",
        "create",
        "--title",
        title,
        "--body",
        &body,
        "--json",
    ];
    let out = cli.run(&args);
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        return Err((err, started.elapsed()));
    }
    let v: Value =
        serde_json::from_slice(&out.stdout).map_err(|e| (e.to_string(), started.elapsed()))?;
    Ok(v["id"].as_str().unwrap_or_default().to_string())
}

/// Creates until a write is refused; returns the refusal, the acknowledged ids added.
fn create_until_refused(cli: &Cli, acked: &mut Vec<String>) -> Result<String> {
    for i in 0..400 {
        match create(cli, &format!("满盘测试{i}")) {
            Ok(id) => acked.push(id),
            Err((err, took)) => {
                assert!(
                    took < Duration::from_secs(5),
                    "the refusal took {took:?}: {err}"
                );
                return Ok(err);
            }
        }
    }
    anyhow::bail!("400 writes were taken on a full disk")
}

fn readyz(node: &NodeProc) -> Result<(u16, String)> {
    http_get(node.http.as_deref().context("no http address")?, "/readyz")
}

async fn grpc_health(node: &NodeProc) -> Result<ServingStatus> {
    let ch = lianluo_tests::grpc::channel(node, "viewer").await?;
    let answer = HealthClient::new(ch)
        .check(HealthCheckRequest {
            service: "lianluo.v1.Records".into(),
        })
        .await?
        .into_inner();
    Ok(answer.status())
}

/// Every acknowledged id is listed by the node.
fn all_present(cli: &Cli, acked: &[String]) -> Result<()> {
    let listed = cli.json(&["list", "--all"])?;
    let ids: Vec<&str> = listed
        .as_array()
        .context("list --json is an array")?
        .iter()
        .filter_map(|r| r["id"].as_str())
        .collect();
    for id in acked {
        anyhow::ensure!(ids.contains(&id.as_str()), "acknowledged {id} is missing");
    }
    Ok(())
}

/// A node on a 32 MiB tmpfs with no reserve (so the storage engine itself meets the full
/// disk) and a 4 MiB ballast, once the ballast is made.
fn full_disk_node(fed: &Federation) -> Result<(Tmpfs, NodeProc)> {
    fed.set_config("hezhou", "store", "reserve_mb", "0")?;
    fed.set_config("hezhou", "store", "ballast_mb", "4")?;
    let disk = Tmpfs::mount(&fed.data_dir("hezhou"), 32)?;
    let node = fed.start("hezhou")?;
    let ballast = fed.data_dir("hezhou").join("lianluo-ballast");
    eventually(Duration::from_secs(10), "the ballast made", || {
        ballast.exists().then_some(())
    })?;
    Ok((disk, node))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_full_disk_refuses_writes_at_once_keeps_reads_and_recovers_by_itself() -> Result<()> {
    lianluo_federation::install_crypto_provider();
    let fed = Federation::init()?;
    let (disk, node) = full_disk_node(&fed)?;
    let cli = node.cli("coordinator");
    let mut acked = vec![create(&cli, "满盘之前").map_err(|(e, _)| anyhow::anyhow!(e))?];

    let filler = disk.fill()?;
    let refusal = create_until_refused(&cli, &mut acked)?;
    assert!(
        refusal.contains("no space left") || refusal.contains("writes are stopped"),
        "{refusal}"
    );
    // From now on every write is refused at once, saying why and what to do.
    let (again, took) = create(&cli, "满盘之后").expect_err("refused");
    assert!(took < Duration::from_secs(2), "{took:?}");
    assert!(
        again.contains("writes are stopped") && again.contains("free space"),
        "{again}\nafter the first refusal: {refusal}\nnode log:\n{}",
        node.log()
    );
    let (code, text) = readyz(&node)?;
    assert_eq!(code, 503, "{text}");
    assert!(text.contains("writes are stopped"), "{text}");
    eventually(Duration::from_secs(5), "gRPC health NOT_SERVING", || {
        let status = block_on_here(grpc_health(&node)).ok()?;
        (status == ServingStatus::NotServing).then_some(())
    })?;
    // Reads go on (once the node reopened its storage in the ballast's room); writes not.
    eventually(Duration::from_secs(10), "reads served again", || {
        all_present(&cli, &acked).ok()
    })
    .with_context(|| format!("node log:\n{}", node.log()))?;
    cli.json(&["show", &acked[0]])?;
    let (still, _) = create(&cli, "仍然满盘").expect_err("still refused");
    assert!(still.contains("writes are stopped"), "{still}");

    // Space returns: writes resume without a restart.
    std::fs::remove_file(&filler)?;
    let id = eventually(Duration::from_secs(15), "a write taken again", || {
        create(&cli, "空间恢复之后").ok()
    })?;
    acked.push(id);
    assert_eq!(readyz(&node)?.0, 200);
    eventually(Duration::from_secs(5), "gRPC health SERVING", || {
        let status = block_on_here(grpc_health(&node)).ok()?;
        (status == ServingStatus::Serving).then_some(())
    })?;
    let metrics = http_get(node.http.as_deref().context("http")?, "/metrics")?.1;
    assert!(
        metrics.contains("lianluo_store_reopens_total 1"),
        "{metrics}"
    );
    all_present(&cli, &acked)?;
    drop(node);
    let node = fed.start("hezhou")?;
    all_present(&node.cli("viewer"), &acked)?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_node_restarted_on_a_full_disk_serves_reads_and_stops_promptly() -> Result<()> {
    let fed = Federation::init()?;
    let (disk, mut node) = full_disk_node(&fed)?;
    let cli = node.cli("coordinator");
    let acked = vec![create(&cli, "停机之前").map_err(|(e, _)| anyhow::anyhow!(e))?];
    node.stop()?;
    let filler = disk.fill()?;

    // It starts (in the room of its ballast if opening needs space) and serves reads.
    let mut node = fed.start("hezhou")?;
    all_present(&node.cli("viewer"), &acked)?;
    let started = Instant::now();
    node.stop()?;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "SIGTERM took {:?}",
        started.elapsed()
    );

    std::fs::remove_file(&filler)?;
    let node = fed.start("hezhou")?;
    all_present(&node.cli("viewer"), &acked)?;
    create(&node.cli("coordinator"), "重启之后").map_err(|(e, _)| anyhow::anyhow!(e))?;
    Ok(())
}

#[test]
fn a_new_node_on_a_full_disk_says_there_is_no_space() -> Result<()> {
    let fed = Federation::init()?;
    let disk = Tmpfs::mount(&fed.data_dir("yongzhou"), 8)?;
    disk.fill()?;
    let mut child = std::process::Command::new(lianluo_tests::lianluo_bin())
        .args(["node", "--config"])
        .arg(fed.node_config("yongzhou"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()?;
    let exited = eventually(Duration::from_secs(20), "the start to fail", || {
        child.try_wait().ok().flatten()
    });
    if exited.is_err() {
        let _ = child.kill();
    }
    let status = exited?;
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().context("stderr")?, &mut err)?;
    assert!(!status.success(), "started on a full disk: {err}");
    assert!(
        err.contains("no space left on the data dir's file system"),
        "{err}"
    );
    assert!(!err.contains("corrupt"), "{err}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn below_the_reserve_writes_are_refused_naming_it_and_resume_when_space_is_freed(
) -> Result<()> {
    let fed = Federation::init()?;
    fed.set_config("hezhou", "store", "reserve_mb", "4")?;
    let disk = Tmpfs::mount(&fed.data_dir("hezhou"), 32)?;
    let node = fed.start("hezhou")?;
    let cli = node.cli("coordinator");
    let mut acked = vec![create(&cli, "预留之前").map_err(|(e, _)| anyhow::anyhow!(e))?];
    let ballast = disk.fill()?;
    let (err, took) = create(&cli, "低于预留").expect_err("refused below the reserve");
    assert!(took < Duration::from_secs(2), "{took:?}");
    assert!(
        err.contains("reserve_mb = 4") && err.contains("free"),
        "{err}"
    );
    assert!(
        !err.contains("is the node running"),
        "a storage refusal is no connection problem: {err}"
    );
    eventually(
        Duration::from_secs(5),
        "not ready below the reserve",
        || (readyz(&node).ok()?.0 == 503).then_some(()),
    )?;
    all_present(&cli, &acked)?;
    std::fs::remove_file(&ballast)?;
    acked.push(create(&cli, "释放之后").map_err(|(e, _)| anyhow::anyhow!(e))?);
    eventually(Duration::from_secs(5), "ready again", || {
        (readyz(&node).ok()?.0 == 200).then_some(())
    })?;
    all_present(&cli, &acked)?;
    Ok(())
}
