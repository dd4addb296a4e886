//! Reconnect delays: exponential backoff with jitter, and the cheap pseudo-random source
//! for the jitter (no cryptographic strength needed: it only desynchronises peers that
//! lost a common neighbour at the same moment).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The delay before reconnect attempt number `attempt` (1 for the first retry after a
/// failure): `min · 2^(attempt-1)` capped at `max`, then scaled by a jitter factor in
/// `[0.5, 1.5)` and capped at `max` again (so `max` stays the longest delay).
///
/// `jitter` is a uniform sample in `[0, 1)`; values outside are clamped.
pub fn backoff_delay(min: Duration, max: Duration, attempt: u32, jitter: f64) -> Duration {
    let base = backoff_base(min, max, attempt);
    let factor = 0.5 + jitter.clamp(0.0, 1.0);
    base.mul_f64(factor).min(max)
}

/// The delay before attempt `attempt` without jitter: `min · 2^(attempt-1)` capped at
/// `max` (never below `min`, even if `max < min`).
pub fn backoff_base(min: Duration, max: Duration, attempt: u32) -> Duration {
    let doublings = attempt.saturating_sub(1);
    // 2^32 and beyond saturate: the cap is long reached by then.
    let factor = 2u32.checked_pow(doublings).unwrap_or(u32::MAX);
    min.saturating_mul(factor).min(max.max(min))
}

/// A small xorshift64* generator seeded from the clock.
#[derive(Debug, Clone)]
pub struct Jitter {
    state: u64,
}

impl Jitter {
    /// A generator seeded from the current time and `salt` (e.g. a hash of the peer's
    /// city, so workers started together still draw different delays).
    pub fn from_time(salt: &str) -> Jitter {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0);
        // FNV-1a over the salt, mixed into the time.
        let salt = salt.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
        Jitter::seeded(nanos ^ salt)
    }

    /// A generator with a fixed seed (tests).
    pub fn seeded(seed: u64) -> Jitter {
        // xorshift must not start at zero.
        Jitter { state: seed | 1 }
    }

    /// The next sample, uniform in `[0, 1)`.
    pub fn next_f64(&mut self) -> f64 {
        let mut x = self.state;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.state = x;
        let out = x.wrapping_mul(0x2545_f491_4f6c_dd1d);
        // The top 53 bits fill an f64 mantissa exactly.
        (out >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: Duration = Duration::from_millis(200);
    const MAX: Duration = Duration::from_secs(10);

    #[test]
    fn base_doubles_monotonically_up_to_the_cap() {
        assert_eq!(backoff_base(MIN, MAX, 1), MIN);
        assert_eq!(backoff_base(MIN, MAX, 2), Duration::from_millis(400));
        assert_eq!(backoff_base(MIN, MAX, 3), Duration::from_millis(800));
        let mut previous = Duration::ZERO;
        for attempt in 0..100 {
            let base = backoff_base(MIN, MAX, attempt);
            assert!(
                base >= previous,
                "attempt {attempt}: {base:?} < {previous:?}"
            );
            assert!(base <= MAX && base >= MIN, "attempt {attempt}: {base:?}");
            previous = base;
        }
        assert_eq!(
            backoff_base(MIN, MAX, 7),
            MAX,
            "200ms·2^6 = 12.8s is capped"
        );
        assert_eq!(backoff_base(MIN, MAX, u32::MAX), MAX);
    }

    #[test]
    fn attempt_zero_is_treated_as_the_first() {
        assert_eq!(backoff_base(MIN, MAX, 0), MIN);
    }

    #[test]
    fn jitter_stays_within_half_to_one_and_a_half_and_under_the_cap() {
        let mut rng = Jitter::seeded(42);
        for attempt in 1..12 {
            let base = backoff_base(MIN, MAX, attempt);
            for _ in 0..200 {
                let d = backoff_delay(MIN, MAX, attempt, rng.next_f64());
                assert!(d >= base / 2, "attempt {attempt}: {d:?} < half of {base:?}");
                assert!(
                    d <= base.mul_f64(1.5),
                    "attempt {attempt}: {d:?} > 1.5·{base:?}"
                );
                assert!(d <= MAX, "attempt {attempt}: {d:?} above the cap");
            }
        }
        assert_eq!(backoff_delay(MIN, MAX, 1, 0.0), Duration::from_millis(100));
        assert_eq!(backoff_delay(MIN, MAX, 1, 7.0), Duration::from_millis(300));
        assert_eq!(backoff_delay(MIN, MAX, 1, -3.0), Duration::from_millis(100));
    }

    #[test]
    fn samples_are_uniform_enough_and_differ_between_seeds() {
        let mut rng = Jitter::seeded(7);
        let samples: Vec<f64> = (0..4000).map(|_| rng.next_f64()).collect();
        assert!(samples.iter().all(|s| (0.0..1.0).contains(s)));
        let low = samples.iter().filter(|s| **s < 0.5).count();
        assert!((1800..2200).contains(&low), "{low} of 4000 below 0.5");
        let mut other = Jitter::seeded(8);
        assert_ne!(rng.next_f64(), other.next_f64());
        let a = Jitter::from_time("hezhou").next_f64();
        let b = Jitter::from_time("qingyuan").next_f64();
        assert_ne!(a, b, "salts separate workers started at the same instant");
    }
}
