//! The exposition of `/metrics` through the Prometheus project's crate
//! (`prometheus-client`, OpenMetrics text): every family is read into a [`Snapshot`] at
//! scrape time — from the peer registry, the store, the call counters — and the crate's
//! encoder writes it (names, help, types, label escaping, `_total`, `_bucket`, `# EOF`).

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, MetricEncoder, NoLabelSet};
use prometheus_client::metrics::exemplar::Exemplar;
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Registry;

/// The content type of the exposition.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// A sample's labels, in order.
pub type Labels = Vec<(&'static str, String)>;

/// One value of a family.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value {
    /// A whole number.
    Int(u64),
    /// A number with a fraction.
    Float(f64),
}

/// A histogram sample: the count per bucket of [`Histogram::bounds`] (not cumulative),
/// the total count and the sum.
#[derive(Debug, Clone, PartialEq)]
pub struct Histogram {
    /// Calls per bucket, bucket `i` holding values up to `bounds[i]`.
    pub buckets: Vec<u64>,
    /// The upper bounds; `+Inf` is implied.
    pub bounds: &'static [f64],
    /// All values.
    pub count: u64,
    /// Their sum.
    pub sum: f64,
}

#[derive(Debug, Clone, PartialEq)]
enum Samples {
    Gauge(Vec<(Labels, Value)>),
    Counter(Vec<(Labels, Value)>),
    Histogram(Vec<(Labels, Histogram)>),
}

/// Every family of a scrape, in order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Snapshot {
    families: Vec<(&'static str, &'static str, Samples)>,
}

impl Snapshot {
    /// A gauge family.
    pub fn gauge(&mut self, name: &'static str, help: &'static str, samples: Vec<(Labels, Value)>) {
        self.families
            .push((name, help, Samples::Gauge(escaped(samples))));
    }

    /// A counter family; `name` ends in `_total`, as the series are named.
    pub fn counter(
        &mut self,
        name: &'static str,
        help: &'static str,
        samples: Vec<(Labels, Value)>,
    ) {
        // OpenMetrics names the family without the suffix the samples carry.
        let base = name.strip_suffix("_total").unwrap_or(name);
        self.families
            .push((base, help, Samples::Counter(escaped(samples))));
    }

    /// A histogram family.
    pub fn histogram(
        &mut self,
        name: &'static str,
        help: &'static str,
        samples: Vec<(Labels, Histogram)>,
    ) {
        self.families
            .push((name, help, Samples::Histogram(escaped(samples))));
    }

    /// The exposition text.
    pub fn encode(self) -> String {
        let mut registry = Registry::default();
        registry.register_collector(Box::new(self));
        let mut out = String::new();
        if let Err(e) = prometheus_client::encoding::text::encode(&mut out, &registry) {
            tracing::error!("metrics: encoding failed: {e}");
        }
        out
    }
}

impl Collector for Snapshot {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        for (name, help, samples) in &self.families {
            let kind = match samples {
                Samples::Gauge(_) => MetricType::Gauge,
                Samples::Counter(_) => MetricType::Counter,
                Samples::Histogram(_) => MetricType::Histogram,
            };
            let mut family = encoder.encode_descriptor(name, help, None, kind)?;
            match samples {
                Samples::Gauge(list) | Samples::Counter(list) => {
                    let counter = matches!(samples, Samples::Counter(_));
                    for (labels, value) in list {
                        if labels.is_empty() {
                            number(&mut family, counter, *value)?;
                        } else {
                            number(&mut family.encode_family(labels)?, counter, *value)?;
                        }
                    }
                }
                Samples::Histogram(list) => {
                    for (labels, h) in list {
                        let listed: u64 = h.buckets.iter().sum();
                        let buckets: Vec<(f64, u64)> = h
                            .bounds
                            .iter()
                            .copied()
                            .zip(h.buckets.iter().copied())
                            .chain([(f64::MAX, h.count.saturating_sub(listed))])
                            .collect();
                        family
                            .encode_family(labels)?
                            .encode_histogram::<NoLabelSet>(h.sum, h.count, &buckets, None)?;
                    }
                }
            }
        }
        Ok(())
    }
}

/// The samples with their label values escaped (backslash, double quote, newline): the
/// crate writes label values as given.
fn escaped<T>(samples: Vec<(Labels, T)>) -> Vec<(Labels, T)> {
    let escape = |v: String| {
        if !v.contains(['\\', '"', '\n']) {
            return v;
        }
        v.replace('\\', "\\\\")
            .replace('"', "\\\"")
            .replace('\n', "\\n")
    };
    samples
        .into_iter()
        .map(|(labels, v)| (labels.into_iter().map(|(k, l)| (k, escape(l))).collect(), v))
        .collect()
}

/// Writes one gauge or counter sample.
fn number(m: &mut MetricEncoder<'_>, counter: bool, value: Value) -> Result<(), std::fmt::Error> {
    let none: Option<&Exemplar<NoLabelSet, u64>> = None;
    match (counter, value) {
        (false, Value::Int(v)) => m.encode_gauge(&v),
        (false, Value::Float(v)) => m.encode_gauge(&v),
        (true, Value::Int(v)) => m.encode_counter(&v, none),
        (true, Value::Float(v)) => m.encode_counter(&v, none),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_exposition_is_openmetrics_with_escaped_labels_and_the_same_series_names() {
        let mut s = Snapshot::default();
        s.gauge(
            "lianluo_peer_connected",
            "1 when connected.",
            vec![(vec![("peer", "qing\"yuan\\\n".to_string())], Value::Int(1))],
        );
        s.gauge(
            "lianluo_log_last_seq",
            "Highest seq.",
            vec![(vec![], Value::Int(42))],
        );
        s.counter(
            "lianluo_store_flush_seconds_total",
            "Time flushing.",
            vec![(vec![], Value::Float(0.5))],
        );
        s.histogram(
            "lianluo_rpc_duration_seconds",
            "Latency.",
            vec![(
                vec![("code", "OK".into())],
                Histogram {
                    buckets: vec![1, 0, 2],
                    bounds: &[0.001, 0.01, 0.1],
                    count: 4,
                    sum: 1.25,
                },
            )],
        );
        let text = s.encode();
        for line in [
            "# TYPE lianluo_peer_connected gauge",
            "lianluo_peer_connected{peer=\"qing\\\"yuan\\\\\\n\"} 1",
            "lianluo_log_last_seq 42",
            "# TYPE lianluo_store_flush_seconds counter",
            "lianluo_store_flush_seconds_total 0.5",
            "# TYPE lianluo_rpc_duration_seconds histogram",
            "lianluo_rpc_duration_seconds_bucket{le=\"0.001\",code=\"OK\"} 1",
            "lianluo_rpc_duration_seconds_bucket{le=\"0.1\",code=\"OK\"} 3",
            "lianluo_rpc_duration_seconds_bucket{le=\"+Inf\",code=\"OK\"} 4",
            "lianluo_rpc_duration_seconds_sum{code=\"OK\"} 1.25",
            "lianluo_rpc_duration_seconds_count{code=\"OK\"} 4",
            "# EOF",
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "missing {line:?} in\n{text}"
            );
        }
    }
}
