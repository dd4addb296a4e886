//! The open-files limit: every connection and every store file takes a file descriptor,
//! so a limit below what `[limits]` allows makes a busy node refuse connections with
//! "too many open files". The node reads its limit at start (`/proc/self/limits`) and
//! warns, naming how to raise it, when it is lower than its limits need.

use crate::config::Config;

/// Descriptors kept for the store's files, the log and peers' outgoing streams.
const BASE: u64 = 256;

/// The descriptors `config`'s limits allow at once: every TLS listener's connections
/// (client API, federation, and HTTPS when enabled), the plain HTTP listener's, and
/// [`BASE`].
pub fn needed(config: &Config) -> u64 {
    let tls = config.rates.tls_connections as u64;
    let listeners = 2 + u64::from(config.http_security == crate::config::HttpSecurity::MutualTls);
    let http = config
        .http_listen
        .map_or(0, |_| config.conn_limits.max as u64);
    tls * listeners + http + BASE
}

/// The soft "Max open files" limit in a `/proc/<pid>/limits` text.
pub fn soft_limit(limits: &str) -> Option<u64> {
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

/// A warning when this process's open-files limit is below what `config` needs.
pub fn warning(config: &Config) -> Option<String> {
    let text = std::fs::read_to_string("/proc/self/limits").ok()?;
    check(soft_limit(&text)?, needed(config))
}

fn check(soft: u64, needed: u64) -> Option<String> {
    (soft < needed).then(|| {
        format!(
            "the open-files limit is {soft}, below the {needed} this node's [limits] allow at \
             once; connections past it fail with \"too many open files\". Raise it: \
             LimitNOFILE=65536 (systemd), --ulimit nofile=65536:65536 or compose ulimits \
             (Docker), `ulimit -n 65536` (shell), or lower limits.tls_connections \
             (docs/operations.md, Open files)"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_files_limit_is_read_and_a_low_one_named_with_the_fix() {
        let limits = "Limit                     Soft Limit           Hard Limit           Units\n\
                      Max processes             127431               127431               processes\n\
                      Max open files            1024                 524288               files\n";
        assert_eq!(soft_limit(limits), Some(1024));
        assert_eq!(
            soft_limit("Max open files  unlimited unlimited files"),
            None
        );
        let warning = check(1024, 1792).expect("1024 < 1792");
        assert!(
            warning.contains("1024") && warning.contains("1792"),
            "{warning}"
        );
        assert!(
            warning.contains("LimitNOFILE") && warning.contains("ulimit"),
            "{warning}"
        );
        assert_eq!(check(65_536, 1792), None);
    }
}
