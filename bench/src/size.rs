//! Size and start-up at the loaded store, per city: the node process's peak resident
//! memory over its whole life including the load (`VmHWM`), the data dir's bytes on disk
//! per event in its log (`du` after a clean stop ÷ `lianluo_log_last_seq`), and the
//! start-up time of the loaded node: from spawning the process to its ready file (the
//! harness's readiness signal; the file's mtime is used, so the harness's 50 ms polling
//! does not blur it). Targets: RSS < 300 MB, ≤ 2 KB per event, start-up < 2 s.

use std::time::{Duration, Instant, SystemTime};

use anyhow::{Context, Result};
use lianluo_tests::CITIES;

use crate::load::Loaded;
use crate::probe::{disk_usage, metric, peak_rss_bytes};
use crate::report::{Cmp, Report, Row, Unit};

const S: &str = "size";

/// What one city's node measured.
struct Measured {
    peak_rss: u64,
    events: u64,
    disk: u64,
    startup: Duration,
    rss_after_start: u64,
}

/// Runs the scenario on a loaded setup and adds its rows.
pub fn run(loaded: &mut Loaded, report: &mut Report) -> Result<()> {
    for (i, city) in CITIES.iter().enumerate() {
        let m = measure(loaded, i).with_context(|| format!("measuring {city}"))?;
        report.note(
            S,
            format!(
                "{city}: {} events in its log, {:.1} MB on disk; peak RSS right after the \
                 restart {:.1} MB",
                m.events,
                m.disk as f64 / 1e6,
                mib(m.rss_after_start)
            ),
        );
        report.push(
            Row::new(
                S,
                format!("{city} peak RSS (VmHWM)"),
                mib(m.peak_rss),
                Unit::MiB,
            )
            .target(Cmp::Lt, 300.0),
        )?;
        let per_event = m.disk as f64 / m.events.max(1) as f64;
        report.push(
            Row::new(S, format!("{city} disk per event"), per_event, Unit::Bytes)
                .target(Cmp::Le, 2048.0),
        )?;
        report.push(
            Row::new(
                S,
                format!("{city} start-up, loaded"),
                m.startup.as_secs_f64(),
                Unit::Secs,
            )
            .target(Cmp::Lt, 2.0),
        )?;
    }
    Ok(())
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

/// Reads node `i`, stops it cleanly, measures its disk, restarts it and times that.
fn measure(loaded: &mut Loaded, i: usize) -> Result<Measured> {
    let node = &mut loaded.nodes[i];
    let pid = node.pid().context("the node is not running")?;
    let peak_rss = peak_rss_bytes(pid)?;
    let http = node.http.clone().context("no http address")?;
    let events = metric(&http, "lianluo_log_last_seq")?;
    let clean = node.stop()?;
    anyhow::ensure!(clean, "{} did not exit cleanly on SIGTERM", node.city);
    let data = node.data_dir();
    let disk = disk_usage(&data)?;
    let (wall, since) = (SystemTime::now(), Instant::now());
    let restarted = loaded.fed.start(CITIES[i])?;
    let waited = since.elapsed();
    let ready_at = std::fs::metadata(data.join("node.ready.json"))?.modified()?;
    let startup = ready_at.duration_since(wall).unwrap_or(waited).min(waited);
    let rss_after_start = restarted
        .pid()
        .map(peak_rss_bytes)
        .transpose()?
        .unwrap_or(0);
    loaded.nodes[i] = restarted;
    Ok(Measured {
        peak_rss,
        events,
        disk,
        startup,
        rss_after_start,
    })
}
