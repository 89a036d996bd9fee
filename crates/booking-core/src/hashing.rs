//! A bound on password hashing: argon2id takes 19 MiB and tens of milliseconds of a core
//! per hash, so a burst of logins or registrations on an unbounded blocking pool grows the
//! process by a gigabyte and starves every other request. At most `slots` hashes run at
//! once (one per core by default); a request waits for a slot up to `wait`, then is shed
//! with [`Error::Busy`] (503 + `Retry-After`) having done nothing. Each slot's 19 MiB of
//! argon2 memory is allocated once and reused, so the process grows by `slots` x 19 MiB
//! at most, however long the burst.

use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use tokio::sync::Semaphore;

use crate::{Error, password::Memory, sync::lock};

/// How long a request waits for a hashing slot before it is shed.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(2);
/// What a shed request is told to wait before it tries again.
pub const RETRY_AFTER_SECS: u64 = 1;

/// The hashing slots of one process; share one per process.
#[derive(Debug)]
pub struct HashPool {
    slots: Arc<Semaphore>,
    size: usize,
    wait: Duration,
    gauge: Arc<Gauge>,
    /// The argon2 memory of the slots not in use; at most `size` ever exist.
    memories: Arc<Mutex<Vec<Memory>>>,
}

/// Hashes running now and the most that ever ran at once (what the tests assert).
#[derive(Debug, Default)]
struct Gauge {
    now: AtomicUsize,
    peak: AtomicUsize,
}

impl HashPool {
    pub fn new(slots: usize, wait: Duration) -> Self {
        let size = slots.max(1);
        HashPool {
            slots: Arc::new(Semaphore::new(size)),
            size,
            wait,
            gauge: Arc::default(),
            memories: Arc::default(),
        }
    }

    /// One slot per core this process may use (Lambda's vCPUs grow with its memory).
    pub fn per_core() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        HashPool::new(cores, DEFAULT_WAIT)
    }

    /// Hashes running now.
    pub fn running(&self) -> usize {
        self.gauge.now.load(Ordering::SeqCst)
    }

    /// The largest number of hashes that ran at the same time since the pool was made.
    pub fn peak(&self) -> usize {
        self.gauge.peak.load(Ordering::SeqCst)
    }

    /// Runs `work` (a hash or a verification) on the blocking pool once a slot is free,
    /// with that slot's argon2 memory. The slot and its memory travel with the work: a
    /// caller that gives up (a closed connection drops its future) cannot free the slot
    /// while the hash still runs.
    pub async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Memory) -> T + Send + 'static,
    ) -> Result<T, Error> {
        let permit = match tokio::time::timeout(self.wait, self.slots.clone().acquire_owned()).await
        {
            Ok(Ok(permit)) => permit,
            Ok(Err(closed)) => return Err(Error::Store(Box::new(closed))),
            Err(_) => {
                tracing::warn!(slots = self.size, "password hashing busy; request shed");
                return Err(Error::Busy {
                    retry_after_secs: RETRY_AFTER_SECS,
                });
            }
        };
        let gauge = self.gauge.clone();
        let memories = self.memories.clone();
        tokio::task::spawn_blocking(move || {
            let running = gauge.now.fetch_add(1, Ordering::SeqCst) + 1;
            gauge.peak.fetch_max(running, Ordering::SeqCst);
            let spare = lock(&memories).pop();
            let mut memory = spare.unwrap_or_default();
            let out = work(&mut memory);
            lock(&memories).push(memory);
            gauge.now.fetch_sub(1, Ordering::SeqCst);
            drop(permit);
            out
        })
        .await
        .map_err(|e| Error::Store(Box::new(e)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn no_more_hashes_run_at_once_than_there_are_slots() {
        // Given a pool of two slots and 16 jobs that each take a while
        let pool = Arc::new(HashPool::new(2, Duration::from_secs(60)));
        let jobs = (0..16).map(|_| {
            let pool = pool.clone();
            tokio::spawn(async move {
                pool.run(|_| std::thread::sleep(Duration::from_millis(20)))
                    .await
            })
        });
        // When they all start at once
        for job in jobs.collect::<Vec<_>>() {
            job.await.unwrap().unwrap();
        }
        // Then at most two ran at the same time, with at most two memories between them
        assert!(pool.peak() <= 2, "peak {}", pool.peak());
        assert!(pool.peak() >= 1);
        assert!(lock(&pool.memories).len() <= 2);
    }

    #[tokio::test]
    async fn a_request_that_waits_too_long_is_shed_without_running() {
        // Given a pool of one slot, held by a long job
        let pool = Arc::new(HashPool::new(1, Duration::from_millis(50)));
        let (release, hold) = std::sync::mpsc::channel::<()>();
        let busy = {
            let pool = pool.clone();
            tokio::spawn(async move { pool.run(move |_| hold.recv()).await })
        };
        while pool.running() == 0 {
            tokio::task::yield_now().await;
        }
        // When another job asks for a slot
        let ran = Arc::new(AtomicUsize::new(0));
        let r = ran.clone();
        let shed = pool
            .run(move |_| r.fetch_add(1, Ordering::SeqCst))
            .await
            .unwrap_err();
        // Then it is shed with a retry hint and its work never ran
        assert!(matches!(
            shed,
            Error::Busy {
                retry_after_secs: 1
            }
        ));
        assert_eq!(ran.load(Ordering::SeqCst), 0);
        release.send(()).unwrap();
        busy.await.unwrap().unwrap().unwrap();
    }
}
