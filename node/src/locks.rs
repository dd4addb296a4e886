//! Locks per entity, not per node (after conduwuit's `utils/mutex_map.rs`): writes to one
//! record (or one idempotency key) wait for each other, writes to different ones run in
//! parallel. An entry lives only while someone holds or waits for it, so the map stays as
//! small as the work in flight.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};

use tokio::sync::{Mutex as AsyncMutex, OwnedMutexGuard};

/// Async mutexes keyed by `K`, created on demand.
pub struct MutexMap<K: Eq + Hash + Clone> {
    map: Arc<Mutex<HashMap<K, Arc<AsyncMutex<()>>>>>,
}

impl<K: Eq + Hash + Clone> Default for MutexMap<K> {
    fn default() -> Self {
        Self {
            map: Arc::default(),
        }
    }
}

/// Holds one key's lock; dropping it releases the lock and forgets the key when nobody
/// else holds or waits for it.
pub struct Guard<K: Eq + Hash + Clone> {
    key: K,
    lock: Option<OwnedMutexGuard<()>>,
    map: Arc<Mutex<HashMap<K, Arc<AsyncMutex<()>>>>>,
}

impl<K: Eq + Hash + Clone> MutexMap<K> {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// Waits for `key`'s lock.
    pub async fn lock(&self, key: K) -> Guard<K> {
        let mutex = {
            let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
            map.entry(key.clone()).or_default().clone()
        };
        let lock = mutex.lock_owned().await;
        Guard {
            key,
            lock: Some(lock),
            map: self.map.clone(),
        }
    }

    /// Waits for the locks of all `keys`, taken in sorted order so that two callers
    /// locking overlapping sets never deadlock.
    pub async fn lock_all(&self, mut keys: Vec<K>) -> Vec<Guard<K>>
    where
        K: Ord,
    {
        keys.sort();
        keys.dedup();
        let mut guards = Vec::with_capacity(keys.len());
        for k in keys {
            guards.push(self.lock(k).await);
        }
        guards
    }

    /// Number of keys locked or waited for.
    pub fn len(&self) -> usize {
        self.map.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// True when no key is locked.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<K: Eq + Hash + Clone> Drop for Guard<K> {
    fn drop(&mut self) {
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        // Release first: a waiter then holds the mutex's only other reference.
        drop(self.lock.take());
        if let Some(m) = map.get(&self.key) {
            // The map's reference is the last one: nobody holds or waits for the key.
            if Arc::strong_count(m) == 1 {
                map.remove(&self.key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn locks_serialize_one_key_and_let_others_run() {
        let locks: Arc<MutexMap<String>> = Arc::new(MutexMap::new());
        let a = locks.lock("a".into()).await;
        // Another key is free while "a" is held.
        let b = tokio::time::timeout(Duration::from_secs(5), locks.lock("b".into()))
            .await
            .expect("b is not blocked by a");
        drop(b);
        let waiter = {
            let locks = locks.clone();
            tokio::spawn(async move {
                let _g = locks.lock("a".into()).await;
            })
        };
        tokio::task::yield_now().await;
        assert!(!waiter.is_finished(), "a second holder of a must wait");
        drop(a);
        tokio::time::timeout(Duration::from_secs(5), waiter)
            .await
            .expect("the waiter gets a once released")
            .expect("waiter task");
        assert!(locks.is_empty(), "keys nobody holds are forgotten");
    }

    #[tokio::test]
    async fn locks_of_overlapping_sets_are_taken_in_one_order() {
        let locks: Arc<MutexMap<u32>> = Arc::new(MutexMap::new());
        let tasks: Vec<_> = (0..8)
            .map(|i| {
                let locks = locks.clone();
                tokio::spawn(async move {
                    let keys = if i % 2 == 0 {
                        vec![1, 2, 3]
                    } else {
                        vec![3, 2, 1]
                    };
                    let _g = locks.lock_all(keys).await;
                    tokio::task::yield_now().await;
                })
            })
            .collect();
        for t in tasks {
            tokio::time::timeout(Duration::from_secs(5), t)
                .await
                .expect("no deadlock")
                .expect("task");
        }
        assert!(locks.is_empty());
    }
}
