//! Verifying many module versions on the hashing pool, streaming verdicts as they complete.
//!
//! Entries are verified largest first, so that a big toolchain does not start last and hold up
//! the end. Each verdict is sent as soon as it is ready; progress (entries and input bytes done,
//! out of the total) is sent at most every 100 ms. Cancellation stops new entries from
//! starting; a failed send means the consumer has gone and cancels the run.

use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::cache::sink::Sink;
use rayon::prelude::*;

use super::pools::Pools;
use super::state::Memory;
use crate::cache::cancel::CancelToken;
use crate::cache::{ModCache, ModuleEntry};
use crate::verify::{Expectations, Status, Verdict, verify_entry};

/// What a running verification reports.
#[derive(Debug, Clone)]
pub enum VerifyEvent {
    /// Hashing of one version has started.
    Started(crate::cache::ModuleKey),
    /// One version was verified.
    Verdict(Box<Verdict>),
    /// How far the run is.
    Progress(VerifyProgress),
    /// The run has ended (or was cancelled).
    Done(VerifySummary),
}

/// Progress of a run, in entries and in input bytes (tree files plus zip, as scanned).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct VerifyProgress {
    /// Entries verified.
    pub entries_done: u64,
    /// Entries to verify.
    pub entries_total: u64,
    /// Input bytes of the verified entries.
    pub bytes_done: u64,
    /// Input bytes of all entries.
    pub bytes_total: u64,
}

/// Totals of a finished run.
#[derive(Debug, Clone, Copy, Default)]
pub struct VerifySummary {
    /// Entries verified.
    pub checked: u64,
    /// Entries found fine.
    pub ok: u64,
    /// Entries with problems.
    pub problems: u64,
    /// Entries with nothing to check.
    pub skipped: u64,
    /// Bytes read and hashed.
    pub bytes_hashed: u64,
    /// Entries whose remembered verdict stood (nothing they depend on changed), not hashed.
    pub remembered: u64,
    /// Wall-clock time.
    pub elapsed: Duration,
    /// Whether the run stopped early.
    pub cancelled: bool,
}

/// What a panic said, for people.
pub fn panic_text(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| format!("internal error: {s}"))
        .or_else(|| {
            panic
                .downcast_ref::<String>()
                .map(|s| format!("internal error: {s}"))
        })
        .unwrap_or_else(|| "internal error".to_owned())
}

/// The input bytes of an entry, the unit of progress.
fn input_bytes(entry: &ModuleEntry) -> u64 {
    entry.tree.apparent + entry.zip.apparent
}

/// Starts verifying `entries` on the hashing pool without waiting; events arrive on `tx`,
/// ending with [`VerifyEvent::Done`]. `memory` builds, on the pool (it may read the
/// checksum-database cache), what verdicts are remembered with, if any.
pub fn start(
    pools: &Arc<Pools>,
    cache: ModCache,
    entries: Vec<ModuleEntry>,
    expect: Arc<Expectations>,
    memory: impl FnOnce(&ModCache, &Expectations) -> Option<Memory> + Send + 'static,
    tx: Sink<VerifyEvent>,
    cancel: CancelToken,
) {
    let owned = Arc::clone(pools);
    pools.spawn_hash(move || {
        let memory = memory(&cache, &expect);
        run_remembering(
            &owned,
            &cache,
            entries,
            expect,
            memory.as_ref(),
            &tx,
            &cancel,
        );
    });
}

/// Verifies `entries` on the hashing pool, sending events to `tx`. Blocks until done and
/// returns the summary (also sent as [`VerifyEvent::Done`]).
pub fn run(
    pools: &Pools,
    cache: &ModCache,
    entries: Vec<ModuleEntry>,
    expect: Arc<Expectations>,
    tx: &Sink<VerifyEvent>,
    cancel: &CancelToken,
) -> VerifySummary {
    run_remembering(pools, cache, entries, expect, None, tx, cancel)
}

/// Verifies `entries` on the hashing pool and returns their verdicts by version.
pub fn verdicts(
    pools: &Pools,
    cache: &ModCache,
    entries: Vec<ModuleEntry>,
    expect: Arc<Expectations>,
) -> std::collections::BTreeMap<crate::cache::ModuleKey, Verdict> {
    let (tx, rx) = crossbeam_channel::unbounded();
    run(
        pools,
        cache,
        entries,
        expect,
        &tx.into(),
        &CancelToken::new(),
    );
    rx.into_iter()
        .filter_map(|event| match event {
            VerifyEvent::Verdict(v) => Some((v.key.clone(), *v)),
            _ => None,
        })
        .collect()
}

/// [`run`], reusing the verdicts `memory` holds for versions whose digest is unchanged, and
/// remembering the verdicts it computes.
pub fn run_remembering(
    pools: &Pools,
    cache: &ModCache,
    mut entries: Vec<ModuleEntry>,
    expect: Arc<Expectations>,
    memory: Option<&Memory>,
    tx: &Sink<VerifyEvent>,
    cancel: &CancelToken,
) -> VerifySummary {
    let started = Instant::now();
    let now = crate::cache::clock::now();
    entries.sort_by_key(|e| std::cmp::Reverse(input_bytes(e)));
    let total = VerifyProgress {
        entries_total: entries.len() as u64,
        bytes_total: entries.iter().map(input_bytes).sum(),
        ..VerifyProgress::default()
    };
    let counters = Counters::default();
    let last_progress = Mutex::new(Instant::now());
    let _ = tx.send(VerifyEvent::Progress(total));
    // A database that cannot be read remembers nothing: every version is hashed.
    let recalled = memory
        .and_then(|m| m.state.recall(&m.root).ok())
        .unwrap_or_default();
    let computed: Mutex<Vec<([u8; 32], Verdict)>> = Mutex::new(Vec::new());
    pools.hash_pool().install(|| {
        entries.par_iter().for_each(|entry| {
            if cancel.is_cancelled() {
                return;
            }
            let digest = memory.and_then(|m| m.digest(entry, &expect));
            let remembered = match (memory, &digest, recalled.get(&entry.key)) {
                (Some(m), Some(d), Some(r)) if m.still_good(r, d, now) => Some(r.verdict.clone()),
                _ => None,
            };
            let verdict = match remembered {
                Some(verdict) => {
                    counters.remembered.fetch_add(1, Ordering::Relaxed);
                    counters.record(&verdict, input_bytes(entry), false);
                    verdict
                }
                None => {
                    if tx.send(VerifyEvent::Started(entry.key.clone())).is_err() {
                        cancel.cancel();
                        return;
                    }
                    // A bug of modlens on one version is that version's verdict, never the
                    // end of the process (or of the explorer's terminal).
                    let verdict = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        crate::fix::fault::checkpoint(&format!("verify:{}", entry.key));
                        verify_entry(cache, entry, &expect)
                    }))
                    .unwrap_or_else(|panic| {
                        Verdict::internal_error(entry.key.clone(), panic_text(panic.as_ref()))
                    });
                    counters.record(&verdict, input_bytes(entry), true);
                    // A failure of modlens is never remembered: the next run tries again.
                    if let Some(d) = digest
                        && verdict.internal_error.is_none()
                    {
                        computed
                            .lock()
                            .unwrap_or_else(std::sync::PoisonError::into_inner)
                            .push((d, verdict.clone()));
                    }
                    verdict
                }
            };
            if tx.send(VerifyEvent::Verdict(Box::new(verdict))).is_err() {
                cancel.cancel();
                return;
            }
            let due = last_progress.try_lock().is_ok_and(|mut last| {
                let due = last.elapsed() >= Duration::from_millis(100);
                if due {
                    *last = Instant::now();
                }
                due
            });
            if due {
                let _ = tx.send(VerifyEvent::Progress(counters.progress(total)));
            }
        });
    });
    let _ = tx.send(VerifyEvent::Progress(counters.progress(total)));
    if let Some(m) = memory {
        let computed = computed
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // Not remembered means hashed again next time: never a wrong verdict.
        let _ = m.state.remember(&m.root, now, &computed);
    }
    let summary = counters.summary(started.elapsed(), cancel.is_cancelled());
    let _ = tx.send(VerifyEvent::Done(summary));
    summary
}

#[derive(Default)]
struct Counters {
    checked: AtomicU64,
    ok: AtomicU64,
    problems: AtomicU64,
    skipped: AtomicU64,
    bytes_hashed: AtomicU64,
    input_done: AtomicU64,
    remembered: AtomicU64,
}

impl Counters {
    fn record(&self, verdict: &Verdict, input: u64, hashed: bool) {
        self.checked.fetch_add(1, Ordering::Relaxed);
        let counter = match verdict.status {
            Status::Ok => &self.ok,
            Status::Problem => &self.problems,
            Status::Skipped => &self.skipped,
        };
        counter.fetch_add(1, Ordering::Relaxed);
        if hashed {
            self.bytes_hashed
                .fetch_add(verdict.bytes_hashed, Ordering::Relaxed);
        }
        self.input_done.fetch_add(input, Ordering::Relaxed);
    }

    fn progress(&self, total: VerifyProgress) -> VerifyProgress {
        VerifyProgress {
            entries_done: self.checked.load(Ordering::Relaxed),
            bytes_done: self.input_done.load(Ordering::Relaxed),
            ..total
        }
    }

    fn summary(&self, elapsed: Duration, cancelled: bool) -> VerifySummary {
        VerifySummary {
            checked: self.checked.load(Ordering::Relaxed),
            ok: self.ok.load(Ordering::Relaxed),
            problems: self.problems.load(Ordering::Relaxed),
            skipped: self.skipped.load(Ordering::Relaxed),
            bytes_hashed: self.bytes_hashed.load(Ordering::Relaxed),
            remembered: self.remembered.load(Ordering::Relaxed),
            elapsed,
            cancelled,
        }
    }
}
