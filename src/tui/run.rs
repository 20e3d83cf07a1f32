//! The event loop: the UI thread owns the [`App`] and the terminal; everything else reports
//! through channels.
//!
//! Input is read on its own thread (`modlens-input`); the scan, verification and jobs run on
//! the pools `ops` owns. Each iteration drains all pending input before a bounded batch
//! of work messages, so a flood of verdicts cannot delay a key, and draws at most every 33 ms,
//! only when something changed. With `MODLENS_FRAME_LOG=path`, the time from each key's
//! arrival to the end of the frame that shows it is logged, one line per key.

use std::fs::File;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender, bounded, never, select, unbounded};
use crossterm::event::{self, Event};

use super::app::{App, AppConfig};
use super::msg::{Effect, Msg};
use super::view;
use crate::cache::cancel::CancelToken;
use crate::cache::scan::Depth;
use crate::cache::{ModCache, ModuleKey, ScanEvent};
use crate::ops::jobs::{JobEvent, Jobs};
use crate::ops::pools::Pools;
use crate::ops::scan;
use crate::ops::verify::VerifyEvent;
use crate::verify::Expectations;

const FRAME: Duration = Duration::from_millis(33);
const TICK: Duration = Duration::from_millis(250);
const WORK_BATCH: usize = 1024;

/// Restores the terminal however the loop ends.
/// The channels work arrives on.
struct Channels {
    scan_tx: Sender<ScanEvent>,
    scan_rx: Receiver<ScanEvent>,
    verify_tx: Sender<VerifyEvent>,
    verify_rx: Receiver<VerifyEvent>,
    job_tx: Sender<JobEvent>,
    job_rx: Receiver<JobEvent>,
    project_tx: Sender<ProjectAnswer>,
    project_rx: Receiver<ProjectAnswer>,
    build_tx: Sender<BuildAnswer>,
    build_rx: Receiver<BuildAnswer>,
    /// One-off answers that are messages as they are (the trash's entries).
    answer_tx: Sender<Msg>,
    answer_rx: Receiver<Msg>,
}

/// What go said the `--project` directories need.
type ProjectAnswer = Result<Vec<crate::ops::project::Needed>, String>;
type BuildAnswer = Result<crate::ops::gocache::BuildOverview, String>;

/// Runs the TUI until the user quits.
pub fn run(
    config: AppConfig,
    pools: &Arc<Pools>,
    frame_log: Option<PathBuf>,
) -> anyhow::Result<()> {
    let cache = ModCache::new(&config.root);
    let expect = Arc::clone(&config.expect);
    let (projects, go) = (config.projects.clone(), config.go.clone());
    let state = config.state.clone();
    // Scan records still being written, finished before the program ends.
    let recording = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut log = frame_log.map(File::create).transpose()?;
    let cancel = CancelToken::new();
    let jobs = Jobs::new(cache.clone(), pools);
    let (scan_tx, scan_rx) = unbounded();
    let (verify_tx, verify_rx) = unbounded();
    let (job_tx, job_rx) = unbounded();
    let (project_tx, project_rx) = unbounded();
    let (build_tx, build_rx) = unbounded();
    let (answer_tx, answer_rx) = unbounded();
    let ch = Channels {
        scan_tx,
        scan_rx,
        verify_tx,
        verify_rx,
        job_tx,
        job_rx,
        project_tx,
        project_rx,
        build_tx,
        build_rx,
        answer_tx,
        answer_rx,
    };
    let (input_tx, input_rx) = bounded::<(Instant, Event)>(256);
    Pools::service("input", move || {
        while let Ok(ev) = event::read() {
            if input_tx.send((Instant::now(), ev)).is_err() {
                break;
            }
        }
    })?;

    // Access times modlens moved in earlier runs (see `cache::atimes`), undone in every scan.
    let kept_moves = state
        .as_ref()
        .and_then(|s| s.moved_atimes(cache.root()).ok())
        .unwrap_or_default();
    let own_atimes = |ev: ScanEvent| match ev {
        ScanEvent::Entries(mut entries) => {
            let current = crate::cache::atimes::current();
            if !current.is_empty() || !kept_moves.is_empty() {
                crate::ops::state::undo_moved_atimes(&cache, &mut entries, |p| {
                    current.get(p).or_else(|| kept_moves.get(p)).copied()
                });
            }
            ScanEvent::Entries(entries)
        }
        other => other,
    };
    let mut held = super::terminal::Held::take()?;
    let terminal = &mut held.terminal;
    let mut app = App::new(config, crate::cache::clock::now());
    let size = terminal.size()?;
    app.size = (size.width, size.height);
    // With the state database, the scan takes every file's state, so that verdicts of
    // unchanged versions are remembered rather than hashed again.
    let depth = if state.is_some() {
        Depth::Fingerprint
    } else {
        Depth::Full
    };
    let rescan = || {
        scan::start(
            pools,
            cache.clone(),
            depth,
            ch.scan_tx.clone(),
            cancel.clone(),
        )
    };
    // The scan starts once the first frame is on screen: on few cores it would otherwise
    // delay the frame that shows the last session's rows.
    let mut scan_started = false;

    let mut input_rx = input_rx;
    let mut last_draw = Instant::now()
        .checked_sub(FRAME)
        .unwrap_or_else(Instant::now);
    let mut last_tick = Instant::now();
    let mut waiting_keys: Vec<Instant> = Vec::new();
    let mut job_tokens: std::collections::HashMap<crate::ops::jobs::JobId, CancelToken> =
        std::collections::HashMap::new();
    loop {
        let timeout = if app.dirty {
            FRAME.saturating_sub(last_draw.elapsed())
        } else {
            TICK
        };
        let mut effects = Vec::new();
        select! {
            recv(input_rx) -> m => match m {
                Ok((t, ev)) => { note_key(&ev, t, &mut waiting_keys); effects.extend(app.update(Msg::Input(ev))); }
                Err(_) => input_rx = never(),
            },
            recv(ch.scan_rx) -> m => if let Ok(ev) = m { effects.extend(app.update(Msg::Scan(own_atimes(ev)))) },
            recv(ch.verify_rx) -> m => if let Ok(ev) = m { effects.extend(app.update(Msg::Verify(ev))) },
            recv(ch.job_rx) -> m => if let Ok(ev) = m { effects.extend(app.update(Msg::Job(ev))) },
            recv(ch.project_rx) -> m => if let Ok(answer) = m { effects.extend(app.update(Msg::Project(answer))) },
            recv(ch.build_rx) -> m => if let Ok(answer) = m { effects.extend(app.update(Msg::Build(answer))) },
            recv(ch.answer_rx) -> m => if let Ok(msg) = m { effects.extend(app.update(msg)) },
            default(timeout) => {},
        }
        // Keys first, then a bounded batch of work: `q` is never stuck behind verdicts.
        while let Ok((t, ev)) = input_rx.try_recv() {
            note_key(&ev, t, &mut waiting_keys);
            effects.extend(app.update(Msg::Input(ev)));
        }
        for ev in ch.scan_rx.try_iter().take(WORK_BATCH).collect::<Vec<_>>() {
            effects.extend(app.update(Msg::Scan(own_atimes(ev))));
        }
        for ev in ch.verify_rx.try_iter().take(WORK_BATCH).collect::<Vec<_>>() {
            effects.extend(app.update(Msg::Verify(ev)));
        }
        for ev in ch.job_rx.try_iter().take(WORK_BATCH).collect::<Vec<_>>() {
            effects.extend(app.update(Msg::Job(ev)));
        }
        if last_tick.elapsed() >= TICK {
            last_tick = Instant::now();
            effects.extend(app.update(Msg::Tick(crate::cache::clock::now())));
        }
        for effect in merge_refreshes(effects) {
            match effect {
                Effect::Quit => {
                    // Running jobs stop between items; a download's go processes are killed
                    // and its scratch cache removed before the program ends.
                    cancel.cancel();
                    job_tokens.values().for_each(CancelToken::cancel);
                    jobs.wait_idle(Duration::from_secs(30));
                    let started = Instant::now();
                    while recording.load(std::sync::atomic::Ordering::SeqCst) > 0
                        && started.elapsed() < Duration::from_secs(5)
                    {
                        std::thread::sleep(Duration::from_millis(10));
                    }
                    return Ok(());
                }
                Effect::Verify(entries) => {
                    let state = state.clone();
                    crate::ops::verify::start(
                        pools,
                        cache.clone(),
                        entries,
                        Arc::clone(&expect),
                        move |cache, expect| {
                            // Remembered for up to 30 days, as `verify` by default.
                            let month = Duration::from_secs(30 * 86_400);
                            state.map(|s| {
                                crate::ops::state::Memory::new(
                                    s,
                                    cache.root(),
                                    expect,
                                    month,
                                    false,
                                )
                            })
                        },
                        ch.verify_tx.clone(),
                        cancel.clone(),
                    )
                }
                Effect::StartJob(id, spec) => {
                    // Each job can be cancelled on its own; quitting cancels them all.
                    let token = CancelToken::new();
                    job_tokens.insert(id, token.clone());
                    jobs.start(id, spec, ch.job_tx.clone(), token)
                }
                Effect::ListFiles(key) => {
                    let tx = ch.answer_tx.clone();
                    scan::list_files(pools, &cache, key, 100_000, move |key, items| {
                        let _ = tx.send(Msg::Files(key, items));
                    })
                }
                Effect::CancelJob(id) => {
                    if let Some(token) = job_tokens.get(&id) {
                        token.cancel();
                    }
                }
                Effect::Refresh(keys) => refresh(pools, &cache, keys, &expect, &ch, &cancel),
                Effect::Rescan => rescan(),
                Effect::RecordScan(totals, sizes, entries) => {
                    if let Some(state) = state.clone() {
                        let root = cache.root().to_path_buf();
                        let pending = Arc::clone(&recording);
                        pending.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        pools.spawn_job(move || {
                            // A failed record only loses a history point; the screen is right.
                            let now = crate::cache::clock::now();
                            let _ = state.record(&root, now, totals, &sizes);
                            let _ = state.save_snapshot(&root, now, &entries);
                            pending.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
                        });
                    }
                }
                Effect::LoadBuild(root) => {
                    let (tx, pools_for_job) = (ch.build_tx.clone(), Arc::clone(pools));
                    pools.spawn_job(move || {
                        let _ = tx.send(crate::ops::gocache::overview(&pools_for_job, &root));
                    });
                }
                Effect::LoadTrash => {
                    let (tx, cache) = (ch.answer_tx.clone(), cache.clone());
                    pools.spawn_job(move || {
                        let entries = crate::cache::trash::read_trash(&cache)
                            .map_err(|e| format!("cannot read the trash: {e}"));
                        let _ = tx.send(Msg::Trash(entries));
                    });
                }
                Effect::LoadProject => {
                    let (projects, go, root) =
                        (projects.clone(), go.clone(), cache.root().to_path_buf());
                    let (expect, tx, cancel) =
                        (Arc::clone(&expect), ch.project_tx.clone(), cancel.clone());
                    pools.spawn_job(move || {
                        let _ = tx.send(project_needs(&projects, &go, &root, &expect, &cancel));
                    });
                }
            }
        }
        if app.dirty && last_draw.elapsed() >= FRAME {
            app.refresh();
            terminal.draw(|f| view::render(&app, f))?;
            app.dirty = false;
            last_draw = Instant::now();
            if !scan_started {
                scan_started = true;
                rescan();
            }
            if let Some(log) = log.as_mut() {
                for t in waiting_keys.drain(..) {
                    writeln!(log, "{}", last_draw.duration_since(t).as_micros())?;
                }
            }
        }
    }
}

/// The effects of one turn of the loop, with every request to measure versions again folded
/// into one (a job's items finishing in one batch would each ask for their own).
fn merge_refreshes(effects: Vec<Effect>) -> Vec<Effect> {
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

fn note_key(ev: &Event, at: Instant, waiting: &mut Vec<Instant>) {
    if matches!(ev, Event::Key(_)) {
        waiting.push(at);
    }
}

/// Measures repaired versions again and verifies them, on the pools.
fn refresh(
    pools: &Arc<Pools>,
    cache: &ModCache,
    keys: Vec<ModuleKey>,
    expect: &Arc<Expectations>,
    ch: &Channels,
    cancel: &CancelToken,
) {
    let (owned, cache, expect, cancel) = (
        Arc::clone(pools),
        cache.clone(),
        Arc::clone(expect),
        cancel.clone(),
    );
    let (scan_tx, verify_tx) = (ch.scan_tx.clone(), ch.verify_tx.clone());
    pools.spawn_scan(move || {
        let (entries, gone) = scan::measure_again(&owned, &cache, &keys);
        if !gone.is_empty() {
            let _ = scan_tx.send(ScanEvent::Gone(gone));
        }
        if scan_tx.send(ScanEvent::Entries(entries.clone())).is_ok() {
            crate::ops::verify::run(&owned, &cache, entries, expect, &verify_tx, &cancel);
        }
    });
}

/// Asks go what every `--project` directory needs; a version two projects need is listed once.
fn project_needs(
    projects: &[PathBuf],
    go: &crate::fix::refetch::GoRunner,
    root: &std::path::Path,
    expect: &Expectations,
    cancel: &CancelToken,
) -> ProjectAnswer {
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
