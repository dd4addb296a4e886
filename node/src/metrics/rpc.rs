//! gRPC call metrics: a count and a latency histogram per port, service, method and status
//! code, filled by [`RpcMetricsLayer`](super::RpcMetricsLayer) and rendered with the rest
//! of `/metrics`.
//!
//! Services and methods come from the request path (`/lianluo.v1.Records/Create`). Only
//! paths the node serves get their own labels — the Lianluo protos, gRPC health and
//! reflection; anything else counts as `service="other",method="other"`, so a client
//! cannot grow the label set.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use prost::Message as _;

/// Upper bounds (seconds) of the latency histogram's buckets; `+Inf` is implied.
pub const BUCKETS: [f64; 13] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The label of paths the node does not serve.
pub const OTHER: &str = "other";

/// gRPC status codes by number, with their canonical names.
const CODES: [&str; 17] = [
    "OK",
    "CANCELLED",
    "UNKNOWN",
    "INVALID_ARGUMENT",
    "DEADLINE_EXCEEDED",
    "NOT_FOUND",
    "ALREADY_EXISTS",
    "PERMISSION_DENIED",
    "RESOURCE_EXHAUSTED",
    "FAILED_PRECONDITION",
    "ABORTED",
    "OUT_OF_RANGE",
    "UNIMPLEMENTED",
    "INTERNAL",
    "UNAVAILABLE",
    "DATA_LOSS",
    "UNAUTHENTICATED",
];

/// Methods served besides the descriptor sets' (gRPC reflection ships no public one).
const REFLECTION_METHODS: [(&str, &str); 2] = [
    (
        "grpc.reflection.v1.ServerReflection",
        "ServerReflectionInfo",
    ),
    (
        "grpc.reflection.v1alpha.ServerReflection",
        "ServerReflectionInfo",
    ),
];

/// The canonical name of a `grpc-status` value (`"7"` → `PERMISSION_DENIED`); anything
/// that is not a known code is `UNKNOWN`, as gRPC clients read it.
pub fn code_name(status: &[u8]) -> &'static str {
    std::str::from_utf8(status)
        .ok()
        .and_then(|s| s.trim().parse::<usize>().ok())
        .and_then(|n| CODES.get(n).copied())
        .unwrap_or("UNKNOWN")
}

/// Which listener a call came in on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Port {
    /// The client API (`api.listen`).
    Api,
    /// The federation listener (`federation.listen`).
    Federation,
}

impl Port {
    /// The `port` label value.
    pub fn label(self) -> &'static str {
        match self {
            Port::Api => "api",
            Port::Federation => "federation",
        }
    }
}

/// The labels of a call known when it starts (the code comes when it ends).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Call {
    service: Arc<str>,
    method: Arc<str>,
    port: Port,
}

/// One series: a count per bucket (not cumulative), the total and the sum of seconds.
#[derive(Debug, Clone, Default)]
struct Series {
    buckets: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

/// The calls of a running node, shared by both listeners' layers and `/metrics`.
#[derive(Debug, Clone)]
pub struct RpcMetrics {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// Served paths → (service, method).
    known: HashMap<String, (Arc<str>, Arc<str>)>,
    series: Mutex<BTreeMap<(Call, &'static str), Series>>,
}

impl Default for RpcMetrics {
    fn default() -> Self {
        Self::new()
    }
}

impl RpcMetrics {
    /// Empty metrics that know every method the node serves.
    pub fn new() -> Self {
        let mut known = HashMap::new();
        for set in [
            lianluo_proto::FILE_DESCRIPTOR_SET,
            tonic_health::pb::FILE_DESCRIPTOR_SET,
        ] {
            match prost_types::FileDescriptorSet::decode(set) {
                Ok(fds) => add_methods(&mut known, &fds),
                // Compiled in; a unit test decodes both.
                Err(e) => tracing::warn!("metrics: cannot read a file descriptor set: {e}"),
            }
        }
        for (service, method) in REFLECTION_METHODS {
            known.insert(
                format!("/{service}/{method}"),
                (service.into(), method.into()),
            );
        }
        RpcMetrics {
            inner: Arc::new(Inner {
                known,
                series: Mutex::new(BTreeMap::new()),
            }),
        }
    }

    /// The layer that counts calls on `port`.
    pub fn layer(&self, port: Port) -> super::RpcMetricsLayer {
        super::RpcMetricsLayer::new(self.clone(), port)
    }

    /// The labels of a call to `path` on `port`.
    pub fn call(&self, port: Port, path: &str) -> Call {
        let (service, method) = match self.inner.known.get(path) {
            Some((s, m)) => (s.clone(), m.clone()),
            None => (OTHER.into(), OTHER.into()),
        };
        Call {
            service,
            method,
            port,
        }
    }

    /// Counts a finished call.
    pub fn record(&self, call: &Call, code: &'static str, elapsed: Duration) {
        let secs = elapsed.as_secs_f64();
        let mut series = self
            .inner
            .series
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let s = series.entry((call.clone(), code)).or_default();
        if let Some(i) = BUCKETS.iter().position(|le| secs <= *le) {
            s.buckets[i] += 1;
        }
        s.count += 1;
        s.sum += secs;
    }

    /// Adds both families (their HELP and TYPE even before any call).
    pub fn families(&self, snap: &mut super::Snapshot) {
        // Copied so the lock is not held while encoding.
        let series = self
            .inner
            .series
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        snap.counter(
            "lianluo_rpc_requests_total",
            "gRPC calls finished, by service, method, status code and port (api or federation).",
            series
                .iter()
                .map(|((call, code), s)| (labels(call, code), super::Value::Int(s.count)))
                .collect(),
        );
        snap.histogram(
            "lianluo_rpc_duration_seconds",
            "gRPC call latency in seconds, from request to status; a server stream's whole lifetime.",
            series
                .iter()
                .map(|((call, code), s)| {
                    let h = super::exposition::Histogram {
                        buckets: s.buckets.to_vec(),
                        bounds: &BUCKETS,
                        count: s.count,
                        sum: s.sum,
                    };
                    (labels(call, code), h)
                })
                .collect(),
        );
    }
}

fn labels(call: &Call, code: &str) -> super::Labels {
    vec![
        ("service", call.service.to_string()),
        ("method", call.method.to_string()),
        ("code", code.to_string()),
        ("port", call.port.label().to_string()),
    ]
}

fn add_methods(
    known: &mut HashMap<String, (Arc<str>, Arc<str>)>,
    fds: &prost_types::FileDescriptorSet,
) {
    for file in &fds.file {
        for svc in &file.service {
            let service: Arc<str> = match file.package() {
                "" => svc.name().into(),
                pkg => format!("{pkg}.{}", svc.name()).into(),
            };
            for m in &svc.method {
                let path = format!("/{service}/{}", m.name());
                known.insert(path, (service.clone(), m.name().into()));
            }
        }
    }
}

#[cfg(test)]
mod tests;
