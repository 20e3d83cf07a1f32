//! The spawner: turns the app's [`Effect`]s into work, and everything the work finds into
//! [`Msg`]s on one channel, the only one the event loop reads besides input.
//!
//! Each effect becomes a task: work for one of the pools `ops` owns (scanning, hashing, jobs).
//! [`Spawner::pooled`] runs it there and returns at once; [`Spawner::inline`] runs it on the
//! calling thread before returning, so that tests drive the real work without a terminal and
//! read its messages in order.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender, unbounded};

use super::app::AppConfig;
use super::msg::{Effect, Msg};
use crate::cache::atimes::Moved;
use crate::cache::cancel::CancelToken;
use crate::cache::scan::Depth;
use crate::cache::sink::Sink;
use crate::cache::{ModCache, ModuleKey, ScanEvent};
use crate::fix::refetch::GoRunner;
use crate::ops::jobs::{JobId, JobSpec, Jobs};
use crate::ops::pools::Pools;
use crate::ops::state::{Memory, State};
use crate::ops::verify::VerifyEvent;
use crate::verify::Expectations;

/// Where a task runs.
enum Pool {
    Scan,
    Hash,
    Job,
}

/// Runs the explorer's effects.
pub struct Spawner {
    inline: bool,
    pools: Arc<Pools>,
    cache: ModCache,
    expect: Arc<Expectations>,
    projects: Vec<PathBuf>,
    go: GoRunner,
    sumdb: crate::ops::sumdb::SumdbSettings,
    state: Option<Arc<State>>,
    depth: Depth,
    tx: Sender<Msg>,
    /// Stops scans, verifications and project questions when the explorer quits.
    cancel: CancelToken,
    jobs: Jobs,
    job_tokens: HashMap<JobId, CancelToken>,
    /// Stops the diff pane's comparison (go's download of an authentic copy).
    diff_cancel: CancelToken,
    /// Access times modlens moved in earlier runs (see `cache::atimes`), undone in every scan.
    kept_moves: Arc<HashMap<PathBuf, Moved>>,
    /// Work the program waits for before it ends: scan records still being written, and diff
    /// comparisons (a cancelled download's scratch directory must still be removed).
    finishing: Arc<AtomicUsize>,
}

impl Spawner {
    /// A spawner whose work runs on `pools`; its messages arrive on the receiver.
    pub fn pooled(config: &AppConfig, pools: &Arc<Pools>) -> (Spawner, Receiver<Msg>) {
        Spawner::new(config, pools, false)
    }

    /// A spawner that does each effect's work before `spawn` returns (for tests).
    pub fn inline(config: &AppConfig, pools: &Arc<Pools>) -> (Spawner, Receiver<Msg>) {
        Spawner::new(config, pools, true)
    }

    fn new(config: &AppConfig, pools: &Arc<Pools>, inline: bool) -> (Spawner, Receiver<Msg>) {
        let (tx, rx) = unbounded();
        let cache = ModCache::new(&config.root);
        let kept_moves = config
            .state
            .as_ref()
            .and_then(|s| s.moved_atimes(cache.root()).ok())
            .unwrap_or_default();
        let spawner = Spawner {
            inline,
            pools: Arc::clone(pools),
            jobs: Jobs::new(cache.clone(), pools),
            cache,
            expect: Arc::clone(&config.expect),
            projects: config.projects.clone(),
            go: config.go.clone(),
            sumdb: config.sumdb.clone(),
            state: config.state.clone(),
            // With the state database, the scan takes every file's state, so that verdicts
            // of unchanged versions are remembered rather than hashed again.
            depth: if config.state.is_some() {
                Depth::Fingerprint
            } else {
                Depth::Full
            },
            tx,
            cancel: CancelToken::new(),
            job_tokens: HashMap::new(),
            diff_cancel: CancelToken::new(),
            kept_moves: Arc::new(kept_moves),
            finishing: Arc::new(AtomicUsize::new(0)),
        };
        (spawner, rx)
    }

    /// Starts the work `effect` asks for (`Quit` is the loop's: see [`Spawner::shutdown`]).
    pub fn spawn(&mut self, effect: Effect) {
        match effect {
            Effect::Quit => {}
            Effect::CancelJob(id) => {
                if let Some(token) = self.job_tokens.get(&id) {
                    token.cancel();
                }
            }
            Effect::StartJob(id, spec) => self.start_job(id, spec),
            Effect::CancelDiff => self.diff_cancel.cancel(),
            other => {
                if matches!(other, Effect::DiffFile(..)) {
                    // One comparison at a time: a new one stops the last.
                    self.diff_cancel.cancel();
                    self.diff_cancel = CancelToken::new();
                }
                if let Some((pool, work)) = self.task(other) {
                    self.run(pool, work);
                }
            }
        }
    }

    /// Stops every job between items (a download's go processes are killed and its scratch
    /// cache removed) and waits for them and for the scan records, a bounded time.
    pub fn shutdown(&mut self) {
        self.cancel.cancel();
        self.diff_cancel.cancel();
        self.job_tokens.values().for_each(CancelToken::cancel);
        self.jobs.wait_idle(Duration::from_secs(30));
        let started = Instant::now();
        while self.finishing.load(Ordering::SeqCst) > 0
            && started.elapsed() < Duration::from_secs(5)
        {
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn run(&self, pool: Pool, work: Box<dyn FnOnce() + Send>) {
        match (self.inline, pool) {
            (true, _) => work(),
            (false, Pool::Scan) => self.pools.spawn_scan(work),
            (false, Pool::Hash) => self.pools.spawn_hash(work),
            (false, Pool::Job) => self.pools.spawn_job(work),
        }
    }

    fn start_job(&mut self, id: JobId, spec: JobSpec) {
        // Each job can be cancelled on its own; quitting cancels them all.
        let token = CancelToken::new();
        self.job_tokens.insert(id, token.clone());
        let sink = Sink::wrapping(self.tx.clone(), Msg::Job);
        if self.inline {
            self.jobs.run_blocking(id, spec, &sink, &token);
        } else {
            self.jobs.start(id, spec, sink, token);
        }
    }

    /// The scan's events, with the access times modlens itself moved undone.
    fn scan_sink(&self) -> Sink<ScanEvent> {
        let (cache, kept) = (self.cache.clone(), Arc::clone(&self.kept_moves));
        Sink::wrapping(self.tx.clone(), move |event| {
            Msg::Scan(undo_own_atimes(&cache, &kept, event))
        })
    }

    fn verify_sink(&self) -> Sink<VerifyEvent> {
        Sink::wrapping(self.tx.clone(), Msg::Verify)
    }

    /// The work of `effect`, and the pool it runs on; `None` for the effects that are no work.
    fn task(&self, effect: Effect) -> Option<(Pool, Box<dyn FnOnce() + Send>)> {
        let (pools, cache, tx) = (Arc::clone(&self.pools), self.cache.clone(), self.tx.clone());
        let (expect, cancel) = (Arc::clone(&self.expect), self.cancel.clone());
        let task: (Pool, Box<dyn FnOnce() + Send>) = match effect {
            Effect::Rescan => {
                let (sink, depth) = (self.scan_sink(), self.depth);
                let work = move || crate::ops::scan::run(&pools, &cache, depth, &sink, &cancel);
                (Pool::Scan, Box::new(work))
            }
            Effect::Verify(entries) => {
                let (sink, state) = (self.verify_sink(), self.state.clone());
                let work = move || {
                    // Remembered for up to 30 days, as `verify` by default.
                    let month = Duration::from_secs(30 * 86_400);
                    let memory = state.map(|s| Memory::new(s, cache.root(), &expect, month, false));
                    crate::ops::verify::run_remembering(
                        &pools,
                        &cache,
                        entries,
                        Arc::clone(&expect),
                        memory.as_ref(),
                        &sink,
                        &cancel,
                    );
                };
                (Pool::Hash, Box::new(work))
            }
            Effect::Refresh(keys) => {
                // Measures repaired versions again and verifies them.
                let (scan_sink, verify_sink) = (self.scan_sink(), self.verify_sink());
                let work = move || {
                    let (entries, gone) = crate::ops::scan::measure_again(&pools, &cache, &keys);
                    if !gone.is_empty() {
                        let _ = scan_sink.send(ScanEvent::Gone(gone));
                    }
                    if scan_sink.send(ScanEvent::Entries(entries.clone())).is_ok() {
                        crate::ops::verify::run(
                            &pools,
                            &cache,
                            entries,
                            expect,
                            &verify_sink,
                            &cancel,
                        );
                    }
                };
                (Pool::Scan, Box::new(work))
            }
            Effect::ListFiles(key) => {
                let tree = cache.tree_dir(&key);
                let work = move || {
                    let items = crate::cache::tree_items(&tree, 100_000);
                    let _ = tx.send(Msg::Files(key, items));
                };
                (Pool::Scan, Box::new(work))
            }
            Effect::RecordScan(totals, sizes, entries) => {
                let (state, pending) = (self.state.clone(), Arc::clone(&self.finishing));
                pending.fetch_add(1, Ordering::SeqCst);
                let work = move || {
                    // A failed record only loses a history point; the screen is right.
                    if let Some(state) = state {
                        let now = crate::cache::clock::now();
                        let _ = state.record(cache.root(), now, totals, &sizes);
                        let _ = state.save_snapshot(cache.root(), now, &entries);
                    }
                    pending.fetch_sub(1, Ordering::SeqCst);
                };
                (Pool::Job, Box::new(work))
            }
            Effect::LoadBuild(root) => {
                let work = move || {
                    let _ = tx.send(Msg::Build(crate::ops::gocache::overview(&pools, &root)));
                };
                (Pool::Job, Box::new(work))
            }
            Effect::LoadTrash => {
                let work = move || {
                    let entries = crate::cache::trash::read_trash(&cache)
                        .map_err(|e| format!("cannot read the trash: {e}"));
                    let _ = tx.send(Msg::Trash(entries));
                };
                (Pool::Job, Box::new(work))
            }
            Effect::LoadProject => {
                let (projects, go) = (self.projects.clone(), self.go.clone());
                let work = move || {
                    let needs = project_needs(&projects, &go, cache.root(), &expect, &cancel);
                    let _ = tx.send(Msg::Project(needs));
                };
                (Pool::Job, Box::new(work))
            }
            Effect::KeptNeeds { entries, selected } => {
                let work = move || {
                    let needed = crate::ops::graph::needed_by_kept(&cache, &entries, &selected);
                    let _ = tx.send(Msg::KeptNeeds(needed));
                };
                (Pool::Scan, Box::new(work))
            }
            Effect::DiffFile(key, file) => {
                let cancel = self.diff_cancel.clone();
                let go = self.go.clone();
                let pending = Arc::clone(&self.finishing);
                pending.fetch_add(1, Ordering::SeqCst);
                let work = move || {
                    let only = std::slice::from_ref(&file);
                    let limits = crate::verify::diff::DiffLimits::default();
                    let diff = crate::ops::diff::diff_version(
                        &cache,
                        &go,
                        &key,
                        only,
                        limits,
                        &|_| {},
                        &cancel,
                    )
                    .map_err(|e| e.to_string());
                    let _ = tx.send(Msg::Diff(key, file, diff));
                    pending.fetch_sub(1, Ordering::SeqCst);
                };
                (Pool::Job, Box::new(work))
            }
            Effect::AskSumdb(keys) => {
                let settings = self.sumdb.clone();
                let work = move || {
                    let asked = crate::ops::sumdb::ask_for_cache(
                        &pools,
                        &settings,
                        &cache,
                        &keys,
                        &|_, _| {},
                        &cancel,
                    )
                    .map_err(|e| e.to_string());
                    let _ = tx.send(Msg::Sumdb(keys, asked));
                };
                (Pool::Job, Box::new(work))
            }
            Effect::Quit | Effect::CancelJob(_) | Effect::StartJob(..) | Effect::CancelDiff => {
                return None;
            }
        };
        Some(task)
    }
}

/// `event` with the access times modlens moved (now, or in runs the state database recalls)
/// put back: a version is never "used" because modlens read it.
fn undo_own_atimes(
    cache: &ModCache,
    kept: &HashMap<PathBuf, Moved>,
    event: ScanEvent,
) -> ScanEvent {
    let ScanEvent::Entries(mut entries) = event else {
        return event;
    };
    let current = crate::cache::atimes::current();
    if !current.is_empty() || !kept.is_empty() {
        crate::ops::state::undo_moved_atimes(cache, &mut entries, |p| {
            current.get(p).or_else(|| kept.get(p)).copied()
        });
    }
    ScanEvent::Entries(entries)
}

/// Asks go what every `--project` directory needs; a version two projects need is listed once.
fn project_needs(
    projects: &[PathBuf],
    go: &GoRunner,
    root: &Path,
    expect: &Expectations,
    cancel: &CancelToken,
) -> Result<Vec<crate::ops::project::Needed>, String> {
    let mut all: Vec<crate::ops::project::Needed> = Vec::new();
    for dir in projects {
        let found =
            crate::ops::project::locate(go, root, dir, cancel).map_err(|e| e.to_string())?;
        let needs = crate::ops::project::needs(go, root, &found, &expect.gosums, cancel)
            .map_err(|e| e.to_string())?;
        for n in needs.modules {
            if !all
                .iter()
                .any(|m| m.path == n.path && m.version == n.version)
            {
                all.push(n);
            }
        }
    }
    Ok(all)
}

/// The keys of the versions a batch of effects asks to measure again, merged into one effect
/// (a job's items finishing in one batch would each ask for their own).
pub fn merge_refreshes(effects: Vec<Effect>) -> Vec<Effect> {
    let mut keys: Vec<ModuleKey> = Vec::new();
    let mut out: Vec<Effect> = Vec::new();
    for effect in effects {
        match effect {
            Effect::Refresh(more) => keys.extend(more),
            other => out.push(other),
        }
    }
    if !keys.is_empty() {
        keys.sort();
        keys.dedup();
        out.push(Effect::Refresh(keys));
    }
    out
}
