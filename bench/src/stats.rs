//! Latency samples and their percentiles. Every latency the benchmark reports is a
//! nearest-rank percentile over all samples of one phase (no interpolation, no
//! histogram buckets), so p99 of 100 samples is the 99th smallest and max is the
//! largest. Samples are kept as microseconds in `u32` (4 bytes each): a million samples
//! cost 4 MB, which keeps the bench process small.

use std::time::Duration;

/// Latency samples of one phase, in microseconds.
#[derive(Debug, Clone, Default)]
pub struct Samples {
    micros: Vec<u32>,
    sorted: bool,
}

impl Samples {
    /// No samples yet, with room for `n`.
    pub fn with_capacity(n: usize) -> Self {
        Samples {
            micros: Vec::with_capacity(n),
            sorted: true,
        }
    }

    /// Adds one latency (saturating at about 71 minutes).
    pub fn push(&mut self, d: Duration) {
        let us = u32::try_from(d.as_micros()).unwrap_or(u32::MAX);
        self.micros.push(us);
        self.sorted = false;
    }

    /// Adds every sample of `other`.
    pub fn extend(&mut self, other: &Samples) {
        self.micros.extend_from_slice(&other.micros);
        self.sorted = false;
    }

    /// Number of samples.
    pub fn len(&self) -> usize {
        self.micros.len()
    }

    fn sort(&mut self) {
        if !self.sorted {
            self.micros.sort_unstable();
            self.sorted = true;
        }
    }

    /// The nearest-rank `p`-th percentile (0 < p ≤ 100), in milliseconds; 0 without
    /// samples.
    pub fn percentile_ms(&mut self, p: f64) -> f64 {
        self.sort();
        match nearest_rank(self.micros.len(), p) {
            Some(i) => f64::from(self.micros[i]) / 1000.0,
            None => 0.0,
        }
    }

    /// The largest sample in milliseconds; 0 without samples.
    pub fn max_ms(&mut self) -> f64 {
        self.percentile_ms(100.0)
    }

    /// p50, p99 and max in milliseconds.
    pub fn summary(&mut self) -> Summary {
        Summary {
            n: self.len(),
            p50: self.percentile_ms(50.0),
            p99: self.percentile_ms(99.0),
            max: self.max_ms(),
        }
    }
}

/// p50, p99 and max of a set of samples, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Summary {
    /// Number of samples.
    pub n: usize,
    /// Median.
    pub p50: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Largest.
    pub max: f64,
}

/// Index of the nearest-rank percentile `p` among `n` sorted values: the smallest value
/// such that at least `p` % of the values are ≤ it. `None` when `n` is 0.
pub fn nearest_rank(n: usize, p: f64) -> Option<usize> {
    if n == 0 {
        return None;
    }
    let rank = (p.clamp(0.0, 100.0) / 100.0 * n as f64).ceil() as usize;
    Some(rank.clamp(1, n) - 1)
}

/// `count / elapsed` per second; 0 for an empty interval.
pub fn rate(count: u64, elapsed: Duration) -> f64 {
    let secs = elapsed.as_secs_f64();
    if secs > 0.0 {
        count as f64 / secs
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        assert_eq!(nearest_rank(0, 50.0), None);
        assert_eq!(nearest_rank(1, 50.0), Some(0));
        assert_eq!(nearest_rank(1, 99.0), Some(0));
        assert_eq!(nearest_rank(100, 50.0), Some(49));
        assert_eq!(nearest_rank(100, 99.0), Some(98));
        assert_eq!(nearest_rank(100, 100.0), Some(99));
        assert_eq!(nearest_rank(10, 99.0), Some(9));
        assert_eq!(nearest_rank(3, 50.0), Some(1));
    }

    #[test]
    fn samples_summary_in_milliseconds() {
        let mut s = Samples::with_capacity(100);
        // 100 µs … 10 000 µs in reverse order: sorting is the summary's job.
        for i in (1..=100u64).rev() {
            s.push(Duration::from_micros(i * 100));
        }
        let sum = s.summary();
        assert_eq!(sum.n, 100);
        assert!((sum.p50 - 5.0).abs() < 1e-9, "{sum:?}");
        assert!((sum.p99 - 9.9).abs() < 1e-9, "{sum:?}");
        assert!((sum.max - 10.0).abs() < 1e-9, "{sum:?}");
        let mut empty = Samples::default();
        assert_eq!(empty.summary(), Summary::default());
        assert!((rate(500, Duration::from_millis(250)) - 2000.0).abs() < 1e-9);
        assert_eq!(rate(5, Duration::ZERO), 0.0);
    }
}
