//! The parallel scan of a whole cache, streaming records as they complete.
//!
//! A scan first finds the module directories (`discover.rs`), then measures every module
//! on the rayon pool: it lists `cache/download/<path>/@v`, joins each version's files with its
//! extracted tree, walks the tree with walkdir and sends the finished [`ModuleEntry`]s of that
//! module as one [`ScanEvent::Entries`] batch. The vcs repositories, the sumdb cache, leftovers
//! and the shared directories are reported too, so that a consumer can add up every byte of the
//! cache. A failed send means the consumer has gone, and the scan stops.

use std::collections::HashMap;
use std::fs::{self};
use std::time::{Duration, Instant};

use super::sink::Sink;
use rayon::prelude::*;

use super::discover::{self, relative, unrecognized};
use super::entry::{Leftover, LeftoverKind, ModuleEntry, Usage};
use super::layout::ModCache;
use super::measure::{InodeSet, measure};
use super::module::ModuleKey;
use super::vcs;
pub use super::versions::Depth;
pub use super::versions::scan_version;
use super::versions::{Unit, measure_module};
use crate::cache::cancel::CancelToken;

/// What a running scan reports.
#[derive(Debug, Clone)]
pub enum ScanEvent {
    /// All versions of one module, fully measured.
    Entries(Vec<ModuleEntry>),
    /// Repositories under `cache/vcs`.
    Vcs(Vec<super::entry::VcsRepo>),
    /// Things that belong to no module version.
    Leftovers(Vec<Leftover>),
    /// Versions measured again (after a job) that are no longer in the cache.
    Gone(Vec<ModuleKey>),
    /// The size of `cache/download/sumdb`.
    Sumdb(Usage),
    /// The size of the trash, `cache/modlens-trash` (see [`super::trash`]).
    Trash(Usage),
    /// Space shared by many versions: directories between the root and the modules, `@v`
    /// directories, `list` files, `cache/lock` and lock files of versions that are gone.
    Shared(Usage),
    /// A directory or file that could not be read; the scan goes on.
    Error(String),
    /// Module paths measured so far, out of those found (sent every 32 modules and at the end).
    Progress {
        /// Module paths measured.
        done: usize,
        /// Module paths found.
        total: usize,
    },
    /// The scan has finished (or was cancelled).
    Done(ScanStats),
}

/// Figures about a finished scan.
#[derive(Debug, Clone, Copy, Default)]
pub struct ScanStats {
    /// Wall-clock time of the scan.
    pub elapsed: Duration,
    /// Module paths seen.
    pub modules: usize,
    /// Whether the scan stopped early because it was cancelled.
    pub cancelled: bool,
}

/// Scans `cache`, sending events to `tx` as records complete, and ends with
/// [`ScanEvent::Done`]. Runs its parallel parts on `pool`, which `ops` owns.
pub fn scan(
    pool: &rayon::ThreadPool,
    cache: &ModCache,
    depth: Depth,
    tx: &Sink<ScanEvent>,
    cancel: &CancelToken,
) -> ScanStats {
    let started = Instant::now();
    let inodes = InodeSet::default();
    let root = cache.root();
    let mut shared = Usage::default();
    let mut leftovers = Vec::new();
    let mut trash = Usage::default();

    for dir in [
        root.to_path_buf(),
        root.join("cache"),
        cache.download_root(),
        cache.vcs_root(),
    ] {
        if let Ok(meta) = fs::symlink_metadata(&dir)
            && meta.is_dir()
        {
            shared.add(inodes.usage(&meta));
        }
    }
    match fs::read_dir(root.join("cache")) {
        Ok(children) => {
            for child in children.flatten() {
                let name = child.file_name();
                let path = child.path();
                let is_dir = child.file_type().is_ok_and(|t| t.is_dir());
                match (name.to_str(), is_dir) {
                    (Some("download" | "vcs"), true) => {}
                    (Some(super::trash::TRASH_DIR), true) => {
                        if let Ok(meta) = child.metadata() {
                            shared.add(inodes.usage(&meta));
                        }
                        trash = super::trash::trash_usage(cache, &inodes);
                    }
                    (Some(n), true) if n.starts_with(super::layout::SCRATCH_PREFIX) => {
                        leftovers.push(Leftover {
                            kind: LeftoverKind::TmpDir,
                            rel_path: relative(root, &path),
                            module: None,
                            reason: None,
                            usage: measure(&path, &inodes).usage,
                        });
                    }
                    (Some("lock"), false) => {
                        if let Ok(meta) = child.metadata() {
                            shared.add(inodes.usage(&meta));
                        }
                    }
                    _ => {
                        leftovers.push(unrecognized(root, &path, "unknown name in cache/", &inodes))
                    }
                }
            }
        }
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
        Err(err) => {
            let _ = tx.send(ScanEvent::Error(format!(
                "{}: {err}",
                root.join("cache").display()
            )));
        }
    }

    let (trees, mut downloads) = pool.join(
        || discover::trees(pool, root, &inodes),
        || {
            let download_root = cache.download_root();
            match fs::symlink_metadata(&download_root) {
                Ok(meta) if meta.is_dir() => {
                    discover::downloads(pool, root, &download_root, &inodes)
                }
                Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                    discover::Found::default()
                }
                Ok(_) => {
                    let mut found = discover::Found::blind_to_everything();
                    found.errors.push(format!(
                        "{}: not a directory (links are never followed)",
                        download_root.display()
                    ));
                    found
                }
                Err(err) => {
                    let mut found = discover::Found::blind_to_everything();
                    found
                        .errors
                        .push(format!("{}: {err}", download_root.display()));
                    found
                }
            }
        },
    );
    let sumdb = if cache.sumdb_root().exists() {
        measure(&cache.sumdb_root(), &inodes).usage
    } else {
        Usage::default()
    };
    let repos = vcs::scan(cache, &inodes);

    let mut units: HashMap<String, Unit> = HashMap::new();
    for esc_path in std::mem::take(&mut downloads.at_v) {
        units.entry(esc_path).or_default().at_v = true;
    }
    for (esc_path, esc_version) in trees.trees {
        let unit = units.entry(esc_path).or_default();
        unit.trees.push(esc_version);
    }
    for (esc_path, unit) in units.iter_mut() {
        unit.blind = downloads.is_blind_to(esc_path);
    }
    shared.add(trees.shared);
    shared.add(downloads.shared);
    leftovers.extend(trees.leftovers);
    leftovers.extend(downloads.leftovers);
    leftovers.extend(repos.leftovers);
    let errors = trees.errors.into_iter().chain(downloads.errors);
    let mut events: Vec<ScanEvent> = errors.map(ScanEvent::Error).collect();
    events.extend([
        ScanEvent::Shared(shared),
        ScanEvent::Sumdb(sumdb),
        ScanEvent::Trash(trash),
        ScanEvent::Vcs(repos.repos),
        ScanEvent::Leftovers(leftovers),
    ]);
    let mut stats = ScanStats {
        modules: units.len(),
        ..ScanStats::default()
    };
    if events.into_iter().any(|e| tx.send(e).is_err()) {
        cancel.cancel();
    }

    let total = units.len();
    let done = std::sync::atomic::AtomicUsize::new(0);
    pool.install(|| {
        units.into_par_iter().for_each(|(esc_path, unit)| {
            if cancel.is_cancelled() {
                return;
            }
            // A bug of modlens on one module is an error line for that module, never the end
            // of the scan (or of the explorer's terminal).
            let measured = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                measure_module(cache, depth, &esc_path, &unit, &inodes)
            }));
            let out = measured.unwrap_or_else(|_| super::versions::ModuleScan {
                error: Some(format!(
                    "{}: internal error while measuring it; not listed",
                    root.join(&esc_path).display()
                )),
                ..super::versions::ModuleScan::default()
            });
            let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
            let batch = [
                (!out.entries.is_empty()).then_some(ScanEvent::Entries(out.entries)),
                (!out.leftovers.is_empty()).then_some(ScanEvent::Leftovers(out.leftovers)),
                Some(ScanEvent::Shared(out.shared)),
                out.error.map(ScanEvent::Error),
                (n.is_multiple_of(32) || n == total)
                    .then_some(ScanEvent::Progress { done: n, total }),
            ];
            if batch.into_iter().flatten().any(|e| tx.send(e).is_err()) {
                cancel.cancel();
            }
        });
    });

    stats.cancelled = cancel.is_cancelled();
    stats.elapsed = started.elapsed();
    let _ = tx.send(ScanEvent::Done(stats));
    stats
}
