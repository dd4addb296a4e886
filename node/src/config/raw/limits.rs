//! `[limits]` of the connection listeners: how many connections, from one source, and
//! how long one may sit idle.

use std::time::Duration;

use super::{Checker, RawLimits};
use crate::http::conn::ConnLimits;

/// Default of `limits.http_connections`: well under the usual 1,024 open files.
pub const DEFAULT_HTTP_CONNECTIONS: usize = 256;
/// Default of `limits.connections_per_source`.
pub const DEFAULT_CONNECTIONS_PER_SOURCE: usize = 32;
/// Default of `limits.idle_secs`.
pub const DEFAULT_IDLE_SECS: u64 = 60;
/// Default of `limits.calls_per_caller`.
pub const DEFAULT_CALLS_PER_CALLER: usize = 16;
/// Default of `limits.calls_per_second`.
pub const DEFAULT_CALLS_PER_SECOND: u32 = 200;
/// Default of `limits.calls_per_peer`.
pub const DEFAULT_CALLS_PER_PEER: usize = 8;
/// Default of `limits.tls_connections`: well under the usual 1,024 open files.
pub const DEFAULT_TLS_CONNECTIONS: usize = lianluo_federation::tls::MAX_CONNECTIONS;

impl RawLimits {
    /// The validated connection limits (defaults where unset).
    pub(super) fn conn(&self, c: &mut Checker<'_>) -> ConnLimits {
        let max = bounded(
            c,
            "limits.http_connections",
            self.http_connections,
            DEFAULT_HTTP_CONNECTIONS as u64,
            1..=65_536,
        );
        let per_source = bounded(
            c,
            "limits.connections_per_source",
            self.connections_per_source,
            DEFAULT_CONNECTIONS_PER_SOURCE as u64,
            1..=65_536,
        );
        let idle = bounded(
            c,
            "limits.idle_secs",
            self.idle_secs,
            DEFAULT_IDLE_SECS,
            1..=86_400,
        );
        ConnLimits {
            max: usize::try_from(max).unwrap_or(DEFAULT_HTTP_CONNECTIONS),
            per_source: usize::try_from(per_source).unwrap_or(DEFAULT_CONNECTIONS_PER_SOURCE),
            idle: Duration::from_secs(idle),
        }
    }
}

impl RawLimits {
    /// The validated `limits.handshakes_per_source`.
    pub(super) fn handshakes_per_source(&self, c: &mut Checker<'_>) -> usize {
        let default = lianluo_federation::tls::MAX_PENDING_PER_SOURCE;
        let n = bounded(
            c,
            "limits.handshakes_per_source",
            self.handshakes_per_source,
            default as u64,
            1..=256,
        );
        usize::try_from(n).unwrap_or(default)
    }

    /// The validated `limits.calls_per_second`, `limits.calls_per_peer` and
    /// `limits.tls_connections`.
    pub(super) fn rates(&self, c: &mut Checker<'_>) -> Rates {
        let per_second = bounded(
            c,
            "limits.calls_per_second",
            self.calls_per_second,
            u64::from(DEFAULT_CALLS_PER_SECOND),
            1..=1_000_000,
        );
        let per_peer = bounded(
            c,
            "limits.calls_per_peer",
            self.calls_per_peer,
            DEFAULT_CALLS_PER_PEER as u64,
            1..=10_000,
        );
        let tls = bounded(
            c,
            "limits.tls_connections",
            self.tls_connections,
            DEFAULT_TLS_CONNECTIONS as u64,
            1..=65_536,
        );
        Rates {
            calls_per_second: u32::try_from(per_second).unwrap_or(DEFAULT_CALLS_PER_SECOND),
            calls_per_peer: usize::try_from(per_peer).unwrap_or(DEFAULT_CALLS_PER_PEER),
            tls_connections: usize::try_from(tls).unwrap_or(DEFAULT_TLS_CONNECTIONS),
        }
    }

    /// The validated `limits.calls_per_caller`.
    pub(super) fn calls_per_caller(&self, c: &mut Checker<'_>) -> usize {
        let n = bounded(
            c,
            "limits.calls_per_caller",
            self.calls_per_caller,
            DEFAULT_CALLS_PER_CALLER as u64,
            1..=10_000,
        );
        usize::try_from(n).unwrap_or(DEFAULT_CALLS_PER_CALLER)
    }
}

/// The call-rate and connection limits of `[limits]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rates {
    /// New calls a second from one user on the client API.
    pub calls_per_second: u32,
    /// Calls at once from one peer on the federation port.
    pub calls_per_peer: usize,
    /// Connections open at once on each TLS listener.
    pub tls_connections: usize,
}

/// `value` when in `range`, else a problem naming `key` and the default.
fn bounded(
    c: &mut Checker<'_>,
    key: &str,
    value: Option<i64>,
    default: u64,
    range: std::ops::RangeInclusive<u64>,
) -> u64 {
    match value.map(u64::try_from) {
        None => default,
        Some(Ok(n)) if range.contains(&n) => n,
        Some(_) => {
            c.problem(
                key,
                format!(
                    "{}: must be between {} and {}",
                    value.unwrap_or_default(),
                    range.start(),
                    range.end()
                ),
            );
            default
        }
    }
}
