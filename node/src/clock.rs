//! Hybrid logical clock for event timestamps: wall-clock milliseconds that never go
//! backwards, plus a counter that orders events made within the same millisecond or after
//! an event that claims a later time.
//!
//! A peer's clock may be wrong. The clock follows an event time it has seen only up to
//! `max_skew` past its own wall clock: a peer one hour ahead cannot pull this node's
//! timestamps an hour into the future (its events are kept, and counted by the
//! replication sink, see [`HlcClock::ahead`]). An event made after such a parent then
//! carries an earlier time than the parent; the fold orders parents before children by
//! the DAG, not by time, so nothing depends on it.

use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use lianluo_proto::Hlc;

/// Default of `[federation] max_clock_skew_secs`.
pub const DEFAULT_MAX_SKEW: Duration = Duration::from_secs(300);

/// A node's HLC. Cheap to share behind an `Arc`.
#[derive(Debug)]
pub struct HlcClock {
    last: Mutex<(u64, u32)>,
    max_skew_ms: u64,
}

/// The wall clock in Unix milliseconds.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

impl Default for HlcClock {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_SKEW)
    }
}

impl HlcClock {
    /// A clock starting at the current time that follows seen times at most `max_skew`
    /// past its wall clock.
    pub fn new(max_skew: Duration) -> Self {
        Self {
            last: Mutex::new((0, 0)),
            max_skew_ms: u64::try_from(max_skew.as_millis()).unwrap_or(u64::MAX),
        }
    }

    /// How far `hlc` is past this node's wall clock beyond the allowed skew, if it is:
    /// the clock does not follow it that far.
    pub fn ahead(&self, hlc: &Hlc) -> Option<Duration> {
        let now = now_ms();
        (hlc.wall_ms > now.saturating_add(self.max_skew_ms))
            .then(|| Duration::from_millis(hlc.wall_ms - now))
    }

    /// A reading later than every earlier reading of this clock and later than every
    /// `seen` reading (the parents of the event being made) that is at most the allowed
    /// skew past the wall clock; a seen reading further ahead is followed only that far.
    pub fn tick<'a>(&self, seen: impl IntoIterator<Item = &'a Hlc>) -> Hlc {
        self.tick_at(now_ms(), seen)
    }

    fn tick_at<'a>(&self, wall: u64, seen: impl IntoIterator<Item = &'a Hlc>) -> Hlc {
        let mut last = match self.last.lock() {
            Ok(g) => g,
            // A panic while holding this lock cannot leave the pair inconsistent.
            Err(p) => p.into_inner(),
        };
        let limit = (wall.saturating_add(self.max_skew_ms), 0);
        let mut cur = *last;
        for h in seen {
            cur = cur.max((h.wall_ms, h.counter).min(limit));
        }
        let next = if wall > cur.0 {
            (wall, 0)
        } else {
            (cur.0, cur.1.saturating_add(1))
        };
        *last = next;
        Hlc {
            wall_ms: next.0,
            counter: next.1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readings_strictly_increase_and_pass_seen_clocks_within_the_skew() {
        let c = HlcClock::new(Duration::from_secs(300));
        let a = c.tick([]);
        let b = c.tick([]);
        assert!((b.wall_ms, b.counter) > (a.wall_ms, a.counter));
        let future = Hlc {
            wall_ms: a.wall_ms + 60_000,
            counter: 7,
        };
        let d = c.tick([&future]);
        assert_eq!((d.wall_ms, d.counter), (future.wall_ms, 8));
        let e = c.tick([]);
        assert!((e.wall_ms, e.counter) > (d.wall_ms, d.counter));
    }

    #[test]
    fn a_reading_further_ahead_than_the_skew_is_followed_only_to_the_skew() {
        let c = HlcClock::new(Duration::from_secs(300));
        let wall = 1_800_000_000_000;
        let hour_ahead = Hlc {
            wall_ms: wall + 3_600_000,
            counter: 3,
        };
        let d = c.tick_at(wall, [&hour_ahead]);
        assert!(d.wall_ms <= wall + 300_000, "{d:?}");
        assert!(d.wall_ms >= wall);
        // Later readings go on from the wall clock, not from the hour-ahead time.
        let later = c.tick_at(wall + 400_000, []);
        assert_eq!((later.wall_ms, later.counter), (wall + 400_000, 0));
        let now = now_ms();
        let an_hour = c.ahead(&Hlc {
            wall_ms: now + 3_600_000,
            counter: 0,
        });
        assert!(
            an_hour.is_some_and(|d| d > Duration::from_secs(3_590)),
            "{an_hour:?}"
        );
        let a_minute = Hlc {
            wall_ms: now + 60_000,
            counter: 0,
        };
        assert_eq!(c.ahead(&a_minute), None, "within the skew");
    }
}
