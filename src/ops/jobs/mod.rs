//! Background jobs (delete, trash, repair, download, build-cache delete) with ids, progress, cancellation and an outcome per item.
//!
//! The TUI and the CLI start jobs through [`Jobs::start`] and receive [`JobEvent`]s. Items of a
//! job run on the job pool (`modlens-job-{i}`), so a slow proxy cannot starve hashing and the
//! number of concurrent go processes stays bounded; checking what to repair is hashing, and
//! runs on the hashing pool. A job that panics reports a failure
//! instead of taking the program down.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::cache::sink::Sink;
use rayon::prelude::*;

use super::error::OpsError;
use super::pools::Pools;
use crate::cache::cancel::CancelToken;
use crate::cache::{ModCache, ModuleEntry, ModuleKey};
use crate::fix::delete::{DeleteError, Removed, delete_rel, delete_source, delete_version};
use crate::fix::fetch::fetch_and_swap;
use crate::fix::refetch::{GoRunner, Repair, plan, repair_offline};
use crate::verify::Expectations;

mod spec;

pub use spec::*;

/// Starts jobs on a shared I/O pool.
pub struct Jobs {
    cache: ModCache,
    pools: Arc<Pools>,
    /// Jobs started and not yet finished.
    active: Arc<AtomicUsize>,
}

/// Counts a job as finished when dropped, also when the job panicked.
struct Running(Arc<AtomicUsize>);

impl Drop for Running {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Jobs {
    /// A job runner for `cache` on the run's pools.
    pub fn new(cache: ModCache, pools: &Arc<Pools>) -> Jobs {
        Jobs {
            cache,
            pools: Arc::clone(pools),
            active: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// Starts `spec` as job `id`; returns at once. Events go to `tx`.
    pub fn start(&self, id: JobId, spec: JobSpec, tx: Sink<JobEvent>, cancel: CancelToken) {
        let cache = self.cache.clone();
        let pools = Arc::clone(&self.pools);
        self.active.fetch_add(1, Ordering::SeqCst);
        let running = Running(Arc::clone(&self.active));
        self.pools.spawn_job(move || {
            let _running = running;
            run(&cache, &pools, id, spec, &tx, &cancel);
        });
    }

    /// Waits until every started job has finished, at most `limit`; returns whether they all
    /// did. Used after cancelling, so that go processes are killed and scratch dirs removed
    /// before the program exits.
    pub fn wait_idle(&self, limit: std::time::Duration) -> bool {
        let started = std::time::Instant::now();
        while self.active.load(Ordering::SeqCst) > 0 {
            if started.elapsed() >= limit {
                return false;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        true
    }

    /// Runs `spec` on the calling thread (for the CLI and tests).
    pub fn run_blocking(
        &self,
        id: JobId,
        spec: JobSpec,
        tx: &Sink<JobEvent>,
        cancel: &CancelToken,
    ) {
        run(&self.cache, &self.pools, id, spec, tx, cancel);
    }
}

fn run(
    cache: &ModCache,
    pools: &Pools,
    id: JobId,
    spec: JobSpec,
    tx: &Sink<JobEvent>,
    cancel: &CancelToken,
) {
    let mut total = spec.len();
    let expired = match &spec {
        JobSpec::Trash {
            keep: Some(keep), ..
        } => crate::fix::trash::expired(cache, *keep),
        _ => Vec::new(),
    };
    total += expired.len();
    let done = AtomicUsize::new(0);
    let ok = AtomicUsize::new(0);
    let send_item = |item: JobItem, result: Result<ItemDone, ItemError>, files_removed: u64| {
        if result.is_ok() {
            ok.fetch_add(1, Ordering::Relaxed);
        }
        let _ = tx.send(JobEvent::Item {
            id,
            item,
            result,
            files_removed,
        });
        let done = done.fetch_add(1, Ordering::Relaxed) + 1;
        let _ = tx.send(JobEvent::Progress { id, done, total });
    };
    let finish_deleted =
        |item: JobItem, outcome: std::thread::Result<Result<Removed, DeleteError>>| {
            let (result, files_removed) = match outcome {
                Ok(Ok(Removed { files })) => (Ok(ItemDone::Deleted { files }), files),
                Ok(Err(e)) => {
                    let files = e.files_removed();
                    (Err(Arc::new(OpsError::from(e))), files)
                }
                Err(panic) => (Err(panicked(&panic)), 0),
            };
            send_item(item, result, files_removed);
        };
    let finish_item = |item: JobItem, result: std::thread::Result<Result<ItemDone, OpsError>>| {
        let result = match result {
            Ok(result) => result.map_err(Arc::new),
            Err(panic) => Err(panicked(&panic)),
        };
        send_item(item, result, 0);
    };
    let _ = tx.send(JobEvent::Progress { id, done: 0, total });
    match spec {
        JobSpec::Delete {
            versions,
            sources,
            paths,
        } => {
            // Deletes run one after the other: they are disk-bound and each holds go's lock.
            for key in versions {
                if cancel.is_cancelled() {
                    break;
                }
                let outcome =
                    catch_unwind(AssertUnwindSafe(|| delete_version(cache, &key, |_| {})));
                finish_deleted(JobItem::Version(key), outcome);
            }
            for key in sources {
                if cancel.is_cancelled() {
                    break;
                }
                let outcome = catch_unwind(AssertUnwindSafe(|| delete_source(cache, &key)));
                finish_deleted(JobItem::Version(key), outcome);
            }
            for rel in paths {
                if cancel.is_cancelled() {
                    break;
                }
                let outcome = catch_unwind(AssertUnwindSafe(|| delete_rel(cache, &rel)));
                finish_deleted(JobItem::Path(rel), outcome);
            }
        }
        JobSpec::Repair {
            entries,
            expect,
            go,
        } => {
            let job_pool = pools.job_pool();
            job_pool
                .install(|| repair_all(cache, pools, entries, &expect, &go, cancel, &finish_item));
        }
        JobSpec::Trash { versions, .. } => {
            let now = crate::cache::clock::now();
            for key in versions {
                if cancel.is_cancelled() {
                    break;
                }
                let outcome = catch_unwind(AssertUnwindSafe(|| {
                    crate::fix::trash::move_to_trash(cache, &key, now, |_| {})
                        .map(|t| ItemDone::Trashed { pieces: t.pieces })
                        .map_err(OpsError::from)
                }));
                finish_item(JobItem::Version(key), outcome);
            }
            for entry in expired {
                if cancel.is_cancelled() {
                    break;
                }
                let rel = entry.rel_dir();
                let outcome = catch_unwind(AssertUnwindSafe(|| {
                    crate::fix::trash::empty_entry(cache, &entry).map(|files| Removed { files })
                }));
                finish_deleted(JobItem::Path(rel), outcome);
            }
        }
        JobSpec::Restore {
            entries,
            expect,
            go,
        } => {
            for entry in entries {
                if cancel.is_cancelled() {
                    break;
                }
                let outcome = catch_unwind(AssertUnwindSafe(|| {
                    crate::fix::restore::restore_settled(cache, &entry, &expect, &go)
                        .map(ItemDone::Restored)
                        .map_err(|e| OpsError::Restore(e.to_string()))
                }));
                finish_item(JobItem::Path(entry.rel_dir()), outcome);
            }
        }
        JobSpec::EmptyTrash { entries } => {
            for entry in entries {
                if cancel.is_cancelled() {
                    break;
                }
                let outcome = catch_unwind(AssertUnwindSafe(|| {
                    crate::fix::trash::empty_entry(cache, &entry).map(|files| Removed { files })
                }));
                finish_deleted(JobItem::Path(entry.rel_dir()), outcome);
            }
        }
        JobSpec::BuildDelete { root, units } => {
            for unit in units {
                if cancel.is_cancelled() {
                    break;
                }
                let item =
                    JobItem::BuildEntry(PathBuf::from(unit.first().cloned().unwrap_or_default()));
                let outcome = catch_unwind(AssertUnwindSafe(|| {
                    crate::fix::gocache::delete_files(&root, &unit).map(|files| Removed { files })
                }));
                finish_deleted(item, outcome);
            }
        }
        JobSpec::Download { keys, expect, go } => {
            let fetch = Fetch {
                cache,
                expect: &expect,
                go: &go,
                cancel,
                done: ItemDone::Downloaded,
            };
            pools
                .job_pool()
                .install(|| fetch_all(&fetch, pools, &keys, &finish_item));
        }
    }
    let done = done.load(Ordering::Relaxed);
    let ok = ok.load(Ordering::Relaxed);
    let _ = tx.send(JobEvent::Finished {
        id,
        ok,
        failed: done - ok,
        cancelled: done < total || cancel.is_cancelled(),
    });
}

/// Re-extracts or re-zips what can be, offline; deletes the rest and downloads it again in
/// batches, one go process per pool thread (go parallelizes within a batch), so the number of go
/// processes stays bounded.
fn repair_all(
    cache: &ModCache,
    pools: &Pools,
    entries: Vec<ModuleEntry>,
    expect: &Expectations,
    go: &GoRunner,
    cancel: &CancelToken,
    finish_item: &(dyn Fn(JobItem, std::thread::Result<Result<ItemDone, OpsError>>) + Sync),
) {
    // Checked again rather than trusting the verdict that led here: the cache may have changed
    // since, and re-extracting from a zip that no longer verifies would spread the damage.
    let plans: Vec<Repair> = pools.hash_map(entries.iter().collect(), |e| {
        catch_unwind(AssertUnwindSafe(|| plan(cache, e, expect))).unwrap_or(Repair::Refetched)
    });
    let (fetch, offline): (Vec<_>, Vec<_>) = entries
        .into_iter()
        .zip(plans)
        .partition(|(_, how)| *how == Repair::Refetched);
    offline.into_par_iter().for_each(|(entry, how)| {
        if cancel.is_cancelled() {
            return;
        }
        let result = catch_unwind(AssertUnwindSafe(|| {
            repair_offline(cache, &entry.key, how, go)
                .map(|()| ItemDone::Repaired(how))
                .map_err(OpsError::from)
        }));
        finish_item(JobItem::Version(entry.key), result);
    });
    let keys: Vec<ModuleKey> = fetch.into_iter().map(|(entry, _)| entry.key).collect();
    let fetch = Fetch {
        cache,
        expect,
        go,
        cancel,
        done: ItemDone::Repaired(Repair::Refetched),
    };
    fetch_all(&fetch, pools, &keys, finish_item);
}

/// What a batch of downloads needs, and what a success is called.
struct Fetch<'a> {
    cache: &'a ModCache,
    expect: &'a Expectations,
    go: &'a GoRunner,
    cancel: &'a CancelToken,
    done: ItemDone,
}

/// Downloads `keys` in batches, one go process per job-pool thread (go parallelizes within a
/// batch), so the number of go processes stays bounded. One go process per batch downloads
/// into a scratch cache; each version that arrives and checks out is swapped in. A failed
/// download leaves the cache as it was.
fn fetch_all(
    fetch: &Fetch<'_>,
    pools: &Pools,
    keys: &[ModuleKey],
    finish_item: &(dyn Fn(JobItem, std::thread::Result<Result<ItemDone, OpsError>>) + Sync),
) {
    let batch = keys
        .len()
        .div_ceil(pools.job_pool().current_num_threads().max(1))
        .clamp(1, 50);
    keys.par_chunks(batch).for_each(|keys| {
        if fetch.cancel.is_cancelled() {
            return;
        }
        let results = catch_unwind(AssertUnwindSafe(|| {
            fetch_and_swap(fetch.cache, keys, fetch.expect, fetch.go, fetch.cancel)
        }));
        match results {
            Ok(results) => {
                for (key, result) in keys.iter().zip(results) {
                    let result = result.map(|()| fetch.done.clone()).map_err(OpsError::from);
                    finish_item(JobItem::Version(key.clone()), Ok(result));
                }
            }
            Err(_) => {
                for key in keys {
                    let panicked = OpsError::Panicked("the download panicked".to_owned());
                    finish_item(JobItem::Version(key.clone()), Ok(Err(panicked)));
                }
            }
        }
    });
}

/// A panic of an item as its error.
fn panicked(panic: &(dyn std::any::Any + Send)) -> ItemError {
    let text = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a job panicked".to_owned());
    Arc::new(OpsError::Panicked(text))
}
