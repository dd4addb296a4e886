//! Hybrid logical clock for event timestamps: wall-clock milliseconds that never go
//! backwards, plus a counter that orders events made within the same millisecond or after
//! an event that claims a later time.

use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use lianluo_proto::Hlc;

/// A node's HLC. Cheap to share behind an `Arc`.
#[derive(Debug, Default)]
pub struct HlcClock {
    last: Mutex<(u64, u32)>,
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

impl HlcClock {
    /// A clock starting at the current time.
    pub fn new() -> Self {
        Self::default()
    }

    /// A reading later than every earlier reading of this clock and later than every
    /// `seen` reading (the parents of the event being made).
    pub fn tick<'a>(&self, seen: impl IntoIterator<Item = &'a Hlc>) -> Hlc {
        let mut last = match self.last.lock() {
            Ok(g) => g,
            // A panic while holding this lock cannot leave the pair inconsistent.
            Err(p) => p.into_inner(),
        };
        let mut cur = *last;
        for h in seen {
            cur = cur.max((h.wall_ms, h.counter));
        }
        let wall = now_ms();
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
    fn readings_strictly_increase_and_pass_seen_clocks() {
        let c = HlcClock::new();
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
}
