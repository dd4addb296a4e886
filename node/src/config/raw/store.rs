//! `[store]` and the clock settings of `[federation]`: validated values, defaults where
//! unset, a problem naming the key otherwise.

use super::{Checker, RawConfig};

impl RawConfig {
    pub(super) fn store_cache_mb(&self, c: &mut Checker<'_>) -> u64 {
        let default = crate::store::DEFAULT_CACHE_MB;
        match self.store.cache_mb {
            None => default,
            Some(n @ 8..=65_536) => n.unsigned_abs(),
            Some(n) => {
                c.problem(
                    "store.cache_mb",
                    format!("{n}: must be between 8 and 65536 (MiB; default {default})"),
                );
                default
            }
        }
    }

    pub(super) fn max_clock_skew(&self, c: &mut Checker<'_>) -> std::time::Duration {
        let default = crate::clock::DEFAULT_MAX_SKEW;
        let secs = match self.federation.max_clock_skew_secs {
            None => return default,
            Some(n @ 1..=86_400) => n.unsigned_abs(),
            Some(n) => {
                c.problem(
                    "federation.max_clock_skew_secs",
                    format!(
                        "{n}: must be between 1 and 86400 (seconds; default {})",
                        default.as_secs()
                    ),
                );
                return default;
            }
        };
        std::time::Duration::from_secs(secs)
    }

    pub(super) fn store_ballast_mb(&self, c: &mut Checker<'_>) -> u64 {
        let default = crate::store::DEFAULT_BALLAST_MB;
        match self.store.ballast_mb {
            None => default,
            Some(n @ 0..=4096) => n.unsigned_abs(),
            Some(n) => {
                c.problem(
                    "store.ballast_mb",
                    format!(
                        "{n}: must be between 0 and 4096 (MiB; default {default}, 0: no ballast)"
                    ),
                );
                default
            }
        }
    }

    pub(super) fn store_reserve_mb(&self, c: &mut Checker<'_>) -> u64 {
        let default = crate::store::DEFAULT_RESERVE_MB;
        match self.store.reserve_mb {
            None => default,
            Some(n @ 0..=1_048_576) => n.unsigned_abs(),
            Some(n) => {
                c.problem(
                    "store.reserve_mb",
                    format!("{n}: must be between 0 and 1048576 (MiB; default {default}, 0 turns the check off)"),
                );
                default
            }
        }
    }
}
