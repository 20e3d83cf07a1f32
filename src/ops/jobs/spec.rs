//! What a job is asked to do and what it reports: the job specs, kinds, items, outcomes and
//! events that the TUI and the CLI exchange with the job runner.

use std::path::PathBuf;
use std::sync::Arc;

use super::super::error::OpsError;
use crate::cache::{ModuleEntry, ModuleKey};
use crate::fix::refetch::{GoRunner, Repair};
use crate::verify::Expectations;

/// Identifies a job.
pub type JobId = u64;

/// What a job should do.
#[derive(Debug, Clone)]
pub enum JobSpec {
    /// Delete versions (in go's crash-safe order) and paths (leftovers, vcs repositories).
    Delete {
        /// Module versions to delete.
        versions: Vec<ModuleKey>,
        /// Module versions whose source (zip, `.ziphash`, tree) goes while their `.mod` and
        /// `.info` stay, for the module graph.
        sources: Vec<ModuleKey>,
        /// Other paths, relative to the cache root.
        paths: Vec<PathBuf>,
    },
    /// Repair versions: re-extract from an intact zip, re-zip from an intact tree, else re-fetch
    /// through go.
    Repair {
        /// The versions, as scanned.
        entries: Vec<ModuleEntry>,
        /// What they are checked against before choosing a repair.
        expect: Arc<Expectations>,
        /// How to run go.
        go: GoRunner,
    },
    /// Move versions into the trash (in go's crash-safe order), then empty the trash entries
    /// older than `keep` (`None`: never by age).
    Trash {
        /// Module versions to move.
        versions: Vec<ModuleKey>,
        /// How long trashed versions are kept.
        keep: Option<std::time::Duration>,
    },
    /// Delete build-cache entries, unit by unit, action entries before outputs.
    BuildDelete {
        /// The build cache.
        root: PathBuf,
        /// The units, each a list of files relative to `root`.
        units: Vec<Vec<String>>,
    },
    /// Download versions the cache does not hold (or holds only the `.mod` of) through go,
    /// into a scratch cache first.
    Download {
        /// The versions.
        keys: Vec<ModuleKey>,
        /// What the downloads are checked against before they are swapped in.
        expect: Arc<Expectations>,
        /// How to run go.
        go: GoRunner,
    },
    /// Put trash entries back into the cache, each verified afterwards (see
    /// [`crate::fix::restore`]).
    Restore {
        /// The entries.
        entries: Vec<crate::cache::trash::TrashEntry>,
        /// What the restored versions are verified against.
        expect: Arc<Expectations>,
        /// How to run go (its index of module trees is dropped for a restored tree).
        go: GoRunner,
    },
    /// Remove trash entries for good.
    EmptyTrash {
        /// The entries.
        entries: Vec<crate::cache::trash::TrashEntry>,
    },
}

/// What kind of job it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobKind {
    /// Deleting versions and paths.
    Delete,
    /// Repairing versions.
    Repair,
    /// Downloading versions.
    Download,
    /// Moving versions into the trash.
    Trash,
    /// Deleting build-cache entries.
    BuildDelete,
    /// Putting trash entries back.
    Restore,
    /// Emptying trash entries.
    EmptyTrash,
}

impl JobKind {
    /// A short name for people.
    pub fn name(self) -> &'static str {
        match self {
            JobKind::Delete => "delete",
            JobKind::Repair => "repair",
            JobKind::Download => "download",
            JobKind::Trash => "trash",
            JobKind::BuildDelete => "build cache delete",
            JobKind::Restore => "restore",
            JobKind::EmptyTrash => "empty trash",
        }
    }
}

impl JobSpec {
    /// The job's kind.
    pub fn kind(&self) -> JobKind {
        match self {
            JobSpec::Delete { .. } => JobKind::Delete,
            JobSpec::Repair { .. } => JobKind::Repair,
            JobSpec::Download { .. } => JobKind::Download,
            JobSpec::Trash { .. } => JobKind::Trash,
            JobSpec::BuildDelete { .. } => JobKind::BuildDelete,
            JobSpec::Restore { .. } => JobKind::Restore,
            JobSpec::EmptyTrash { .. } => JobKind::EmptyTrash,
        }
    }

    /// How many items the job has.
    pub fn len(&self) -> usize {
        match self {
            JobSpec::Delete {
                versions,
                sources,
                paths,
            } => versions.len() + sources.len() + paths.len(),
            JobSpec::Repair { entries, .. } => entries.len(),
            JobSpec::Download { keys, .. } => keys.len(),
            JobSpec::Trash { versions, .. } => versions.len(),
            JobSpec::BuildDelete { units, .. } => units.len(),
            JobSpec::Restore { entries, .. } | JobSpec::EmptyTrash { entries } => entries.len(),
        }
    }

    /// Whether the job has nothing to do.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// One item of a job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobItem {
    /// A module version.
    Version(ModuleKey),
    /// A path relative to the module cache's root (a leftover, a vcs repository, a trash
    /// entry).
    Path(PathBuf),
    /// A build-cache entry: its first file, relative to the build cache's root.
    BuildEntry(PathBuf),
}

/// What a job did with one item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemDone {
    /// Removed; `files` counts the files this job removed (0: someone else removed them first).
    Deleted {
        /// Files removed.
        files: u64,
    },
    /// Repaired, and how.
    Repaired(Repair),
    /// Downloaded: it was not in the cache.
    Downloaded,
    /// Moved into the trash; `pieces` counts what moved (0: nothing was left to move).
    Trashed {
        /// Pieces moved (tree, zip, .ziphash, .info, .mod).
        pieces: usize,
    },
    /// Put back from the trash: what moved back, what the cache had again, and the problems
    /// the verification found afterwards (none: it verifies clean).
    Restored(crate::fix::restore::Settled),
}

impl std::fmt::Display for ItemDone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ItemDone::Deleted { files: 0 } => f.write_str("already gone"),
            ItemDone::Deleted { files } => write!(f, "deleted ({files} files)"),
            ItemDone::Repaired(how) => f.write_str(how.name()),
            ItemDone::Downloaded => f.write_str("downloaded"),
            ItemDone::Trashed { pieces: 0 } => f.write_str("already gone"),
            ItemDone::Trashed { .. } => f.write_str("moved to the trash"),
            ItemDone::Restored(settled) if settled.problems.is_empty() => {
                f.write_str("restored and verified")
            }
            ItemDone::Restored(settled) => write!(
                f,
                "restored, with {} problem(s): see its details",
                settled.problems.len()
            ),
        }
    }
}

/// Why an item failed, shared by the events that report it.
pub type ItemError = Arc<OpsError>;

/// What a job reports.
#[derive(Debug, Clone)]
pub enum JobEvent {
    /// Items done out of the total.
    Progress {
        /// The job.
        id: JobId,
        /// Items finished.
        done: usize,
        /// Items in the job.
        total: usize,
    },
    /// One item finished: what was done, or why it failed.
    Item {
        /// The job.
        id: JobId,
        /// The item.
        item: JobItem,
        /// What was done, or why not.
        result: Result<ItemDone, ItemError>,
        /// Files this item removed from disk, counted as they went (also when it failed part
        /// way; files someone else removed first do not count).
        files_removed: u64,
    },
    /// The job ended.
    Finished {
        /// The job.
        id: JobId,
        /// Items that succeeded.
        ok: usize,
        /// Items that failed (panics included).
        failed: usize,
        /// Whether it was cancelled, or stopped before its last item.
        cancelled: bool,
    },
}
