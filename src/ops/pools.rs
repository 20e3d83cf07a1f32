//! The one owner of concurrency: every thread modlens starts is started here.
//!
//! A run builds one [`Pools`] at start-up and hands it down. It holds three named rayon pools,
//! sized once and reused for the whole run:
//! - `modlens-scan-{i}`: walking and measuring the cache (metadata calls, one per core);
//! - `modlens-hash-{i}`: verification, which reads and hashes (one per core plus one, or
//!   `--jobs`);
//! - `modlens-job-{i}`: jobs that change the cache and the go processes they wait on (few, so
//!   that the number of go processes and of holders of go's locks stays bounded).
//!
//! Threads that block for the life of the run (reading the terminal, waiting for a signal) are
//! started by [`Pools::service`], named too. Nothing else in the crate spawns a thread or uses
//! rayon's global pool; `tests/layers.rs` checks the source, and a tmux test checks the names of
//! the running explorer's threads.

use std::sync::Arc;

use rayon::prelude::*;

use super::error::OpsError;

/// How many threads each pool gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolSizes {
    /// Threads that walk and measure the cache.
    pub scan: usize,
    /// Threads that hash.
    pub hash: usize,
    /// Threads that run jobs (and wait on go).
    pub jobs: usize,
}

impl Default for PoolSizes {
    /// One scanning thread per core; one hashing thread per core plus one. Measured on the
    /// scale cache (2 cores, 2026-11-22): 3 threads verify in 1.17 s, 2 threads in 1.33 s, 4 in
    /// 1.20 s; with one spare thread a core never idles while another waits in a system call.
    /// Four job threads: a slow proxy cannot starve hashing, and at most four go processes run.
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        PoolSizes {
            scan: cores,
            hash: cores + 1,
            jobs: 4,
        }
    }
}

/// The run's pools, shared by reference count.
pub struct Pools {
    scan: rayon::ThreadPool,
    hash: rayon::ThreadPool,
    jobs: rayon::ThreadPool,
    sizes: PoolSizes,
}

impl std::fmt::Debug for Pools {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pools").field("sizes", &self.sizes).finish()
    }
}

impl Pools {
    /// Starts the pools; a size of 0 counts as 1.
    pub fn new(sizes: PoolSizes) -> Result<Arc<Pools>, OpsError> {
        let build = |name: &'static str, threads: usize| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads.max(1))
                .thread_name(move |i| format!("modlens-{name}-{i}"))
                .build()
                .map_err(|e| OpsError::Threads(std::io::Error::other(e)))
        };
        Ok(Arc::new(Pools {
            scan: build("scan", sizes.scan)?,
            hash: build("hash", sizes.hash)?,
            jobs: build("job", sizes.jobs)?,
            sizes,
        }))
    }

    /// Pools of the default sizes.
    pub fn with_defaults() -> Result<Arc<Pools>, OpsError> {
        Pools::new(PoolSizes::default())
    }

    /// The sizes the pools were built with.
    pub fn sizes(&self) -> PoolSizes {
        self.sizes
    }

    /// The scanning pool, for the cache layer's parallel walks.
    pub fn scan_pool(&self) -> &rayon::ThreadPool {
        &self.scan
    }

    /// The hashing pool.
    pub fn hash_pool(&self) -> &rayon::ThreadPool {
        &self.hash
    }

    /// The job pool.
    pub fn job_pool(&self) -> &rayon::ThreadPool {
        &self.jobs
    }

    /// Runs `work` on the scanning pool without waiting for it.
    pub fn spawn_scan(&self, work: impl FnOnce() + Send + 'static) {
        self.scan.spawn(work);
    }

    /// Runs `work` on the hashing pool without waiting for it.
    pub fn spawn_hash(&self, work: impl FnOnce() + Send + 'static) {
        self.hash.spawn(work);
    }

    /// Runs `work` on the job pool without waiting for it.
    pub fn spawn_job(&self, work: impl FnOnce() + Send + 'static) {
        self.jobs.spawn(work);
    }

    /// Runs `a` and `b` at once on the scanning pool and returns both results.
    pub fn both<A: Send, B: Send>(
        &self,
        a: impl FnOnce() -> A + Send,
        b: impl FnOnce() -> B + Send,
    ) -> (A, B) {
        self.scan.join(a, b)
    }

    /// Maps `items` through `f` on the hashing pool, keeping their order.
    pub fn hash_map<T: Send, U: Send>(&self, items: Vec<T>, f: impl Fn(T) -> U + Sync) -> Vec<U> {
        self.hash
            .install(|| items.into_par_iter().map(&f).collect())
    }

    /// Starts a thread that blocks for the life of the run (the terminal reader, a signal
    /// watcher), named `modlens-{name}`.
    pub fn service<T: Send + 'static>(
        name: &str,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<std::thread::JoinHandle<T>, OpsError> {
        std::thread::Builder::new()
            .name(format!("modlens-{name}"))
            .spawn(work)
            .map_err(OpsError::Threads)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pools_name_their_threads_and_keep_their_size() {
        let pools = Pools::new(PoolSizes {
            scan: 2,
            hash: 3,
            jobs: 1,
        })
        .expect("pools");
        let name = || std::thread::current().name().map(str::to_owned);
        assert!(
            pools
                .scan_pool()
                .install(name)
                .is_some_and(|n| n.starts_with("modlens-scan-"))
        );
        assert!(
            pools
                .hash_pool()
                .install(name)
                .is_some_and(|n| n.starts_with("modlens-hash-"))
        );
        assert!(
            pools
                .job_pool()
                .install(name)
                .is_some_and(|n| n.starts_with("modlens-job-"))
        );
        assert_eq!(pools.hash_pool().current_num_threads(), 3);
        assert_eq!(pools.hash_map(vec![1, 2, 3], |n| n * 2), vec![2, 4, 6]);
    }
}
