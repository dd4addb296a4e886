//! Reading a running node from the outside, as an operator would: its Prometheus
//! `/metrics` (plain HTTP on the loopback listener), its process's peak resident memory
//! (`VmHWM` in /proc/<pid>/status) and its data dir's size on disk (allocated blocks,
//! like `du`).

use std::path::Path;

use anyhow::{bail, Context, Result};

/// One `GET /metrics` from `addr` (`host:port`); the body of a 200 answer.
pub fn scrape(addr: &str) -> Result<String> {
    let (status, body) = lianluo_tests::browser::http_get(addr, "/metrics")
        .with_context(|| format!("GET /metrics at {addr}"))?;
    if status != 200 {
        bail!("GET /metrics at {addr}: HTTP {status}");
    }
    Ok(body)
}

/// The value of the sample `series` (name and labels exactly as rendered, e.g.
/// `lianluo_events_applied_total{peer="hezhou"}`).
pub fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .and_then(|v| v.trim().parse().ok())
}

/// `sample` as a whole number, failing with the series name when it is missing.
pub fn sample_u64(text: &str, series: &str) -> Result<u64> {
    sample(text, series)
        .map(|v| v as u64)
        .with_context(|| format!("/metrics has no sample {series}"))
}

/// Scrapes `addr` and reads one series.
pub fn metric(addr: &str, series: &str) -> Result<u64> {
    sample_u64(&scrape(addr)?, series)
}

/// `VmHWM` (peak resident set) of process `pid`, in bytes.
pub fn peak_rss_bytes(pid: u32) -> Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .with_context(|| format!("reading /proc/{pid}/status"))?;
    let kib: u64 = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .context("no VmHWM line")?;
    Ok(kib * 1024)
}

/// Bytes allocated on disk under `path` (512-byte blocks of every file, like `du`).
pub fn disk_usage(path: &Path) -> Result<u64> {
    use std::os::unix::fs::MetadataExt as _;
    let meta =
        std::fs::symlink_metadata(path).with_context(|| format!("reading {}", path.display()))?;
    let mut total = meta.blocks() * 512;
    if meta.is_dir() {
        for entry in std::fs::read_dir(path)? {
            total += disk_usage(&entry?.path())?;
        }
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_are_found_by_exact_series() {
        let text = "# HELP x y\nlianluo_events_applied_total{peer=\"hezhou\"} 42\n\
                    lianluo_events_applied_total{peer=\"yongzhou\"} 7\nlianluo_log_last_seq 9\n";
        let s = |k: &str| sample(text, k);
        assert_eq!(
            s("lianluo_events_applied_total{peer=\"hezhou\"}"),
            Some(42.0)
        );
        assert_eq!(s("lianluo_log_last_seq"), Some(9.0));
        assert_eq!(s("lianluo_log"), None);
        assert!(sample_u64(text, "missing").is_err());
    }
}
