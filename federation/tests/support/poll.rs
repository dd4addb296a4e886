//! Bounded polling for the federation test binaries.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

/// Awaits `probe` every `every` until `done` accepts its value or `within` has passed, and
/// returns the last value seen (the caller asserts on it).
pub async fn poll_until<T, Fut>(
    within: Duration,
    every: Duration,
    mut probe: impl FnMut() -> Fut,
    done: impl Fn(&T) -> bool,
) -> T
where
    Fut: Future<Output = T>,
{
    let deadline = Instant::now() + within;
    loop {
        let value = probe().await;
        if done(&value) || Instant::now() >= deadline {
            return value;
        }
        tokio::time::sleep(every).await;
    }
}
