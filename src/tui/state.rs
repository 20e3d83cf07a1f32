//! The types the TUI's state is made of: rows, progress, jobs, modes and start-up settings.

use std::path::PathBuf;
use std::sync::Arc;

use crate::cache::{ModuleEntry, ModuleKey};
use crate::fix::refetch::GoRunner;
use crate::ops::verify::VerifyProgress;
use crate::verify::{Expectations, Verdict};

/// What is known about a version's integrity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Integrity {
    /// Not verified yet.
    Unverified,
    /// Being hashed now.
    Hashing,
    /// Verified, no problem.
    Ok,
    /// An interrupted extraction.
    Partial,
    /// Verified, with problems.
    Problem,
    /// Nothing to check.
    Skipped,
}

impl Integrity {
    /// Whether the version counts as a problem (an interrupted extraction included).
    pub fn is_problem(self) -> bool {
        matches!(self, Integrity::Problem | Integrity::Partial)
    }
}

/// A version as the TUI shows it.
#[derive(Debug, Clone)]
pub struct Row {
    /// What the scan found.
    pub entry: ModuleEntry,
    /// Integrity mark.
    pub integrity: Integrity,
    /// The verifier's findings, once verified.
    pub verdict: Option<Box<Verdict>>,
    /// The last job error for this version.
    pub job_error: Option<String>,
    /// Whether the mark comes from the last session's snapshot, not yet confirmed by this
    /// session's scan and verification.
    pub remembered: bool,
}

/// The mark a verdict gives.
pub fn integrity_of(verdict: &Verdict) -> Integrity {
    use crate::verify::{ProblemKind, Status};
    match verdict.status {
        Status::Ok => Integrity::Ok,
        Status::Skipped => Integrity::Skipped,
        Status::Problem
            if verdict
                .problems
                .iter()
                .all(|p| p.kind == ProblemKind::Partial) =>
        {
            Integrity::Partial
        }
        Status::Problem => Integrity::Problem,
    }
}

/// Where the scan is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScanState {
    /// Running: versions found so far, and module paths measured out of those found.
    Running(usize, usize, usize),
    /// Finished.
    Done,
}

/// Where the background verification is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerifyState {
    /// Turned off with `--no-verify`.
    Off,
    /// Waiting for the scan.
    Waiting,
    /// Running.
    Running(VerifyProgress),
    /// Finished.
    Done,
}

/// A running or finished job.
#[derive(Debug, Clone)]
pub struct JobState {
    /// Delete or repair.
    pub kind: crate::ops::jobs::JobKind,
    /// Items finished.
    pub done: usize,
    /// Items in the job.
    pub total: usize,
    /// Items that failed.
    pub failed: usize,
    /// Whether the job has ended.
    pub finished: bool,
    /// Whether the user asked to cancel it.
    pub cancelling: bool,
    /// The last outcome it reported, for the jobs view.
    pub last: Option<String>,
    /// The versions and leftovers it holds busy; whatever is left of them when it ends
    /// (stopped, or items it never reached) is released then.
    pub holds: (Vec<ModuleKey>, Vec<std::path::PathBuf>),
}

/// What a confirmation dialog would start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpKind {
    /// Delete versions.
    Delete,
    /// Repair versions (re-extract, re-zip or re-fetch).
    Repair,
    /// Move versions into the trash (chosen in the delete dialog).
    Trash,
    /// Delete build-cache entries (the build-cache view's marked rows).
    DeleteBuild,
    /// Delete the leftovers of go's interrupted work.
    DeleteLeftovers,
    /// Repair what the project view shows broken and download what it shows missing.
    FixProject,
    /// Put trash entries back (the trash view's marked rows).
    RestoreTrash,
    /// Remove trash entries for good (the trash view's marked rows).
    EmptyTrash,
}

/// A destructive operation waiting for a yes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingOp {
    /// What it does.
    pub kind: OpKind,
    /// The versions it concerns.
    pub keys: Vec<ModuleKey>,
    /// The leftovers it concerns, relative to the cache root.
    pub paths: Vec<std::path::PathBuf>,
    /// Bytes on disk they occupy.
    pub bytes: u64,
    /// Versions to download (the project view's missing ones).
    pub downloads: Vec<ModuleKey>,
    /// Which marked versions it leaves out, and why (a job holds them; they are gone).
    pub left_out: Option<String>,
    /// What it does to each item, when that differs per item (a repair plan's lines);
    /// otherwise the dialog names the items.
    pub lines: Vec<String>,
}

/// The project view: what the `--project` directories need, as go says.
#[derive(Debug, Clone, Default)]
pub struct ProjectView {
    /// Whether the list shows only what the projects need.
    pub on: bool,
    /// Whether go is being asked.
    pub loading: bool,
    /// Every version the projects need, once go answered.
    pub needs: Vec<crate::ops::project::Needed>,
    /// Why go could not answer.
    pub error: Option<String>,
    /// Why the last download of a missing version failed.
    pub failed: std::collections::BTreeMap<ModuleKey, String>,
}

impl ProjectView {
    /// The cache entries the projects need.
    pub fn keys(&self) -> std::collections::HashSet<&ModuleKey> {
        self.needs
            .iter()
            .filter_map(|n| n.in_cache.as_ref())
            .collect()
    }
}

/// The input mode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    /// Browsing.
    Normal,
    /// The help overlay.
    Help,
    /// Typing a filter.
    Filter,
    /// Typing the number for a marking rule.
    Prompt(crate::ops::policy::PolicyKind, String),
    /// Asking before a delete or repair.
    Confirm(PendingOp),
    /// Asking before quitting with jobs running.
    ConfirmQuit,
    /// The jobs view: running and finished jobs, the selected one by index.
    Jobs(usize),
    /// Inside a version: the files and directories of one of its directories (`/`-separated,
    /// relative to the tree; empty for the tree itself), the selected one by index.
    Files(ModuleKey, String, usize),
    /// A file's diff against the zip: the version, the file, the file view to go back to (its
    /// directory and selection), and the first line shown.
    Diff(DiffMode),
}

/// Where the diff pane is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffMode {
    /// The version.
    pub key: ModuleKey,
    /// The file, relative to the tree.
    pub file: String,
    /// The file view's directory and selection, to go back to.
    pub back: (String, usize),
    /// The first line shown.
    pub scroll: usize,
}

/// The Go settings shown in the header.
#[derive(Debug, Clone, Default)]
pub struct EnvInfo {
    /// GOPROXY in force.
    pub goproxy: String,
    /// GOSUMDB in force.
    pub gosumdb: String,
    /// GOFLAGS in force.
    pub goflags: String,
}

/// Settings the TUI starts with.
#[derive(Debug, Clone, Default)]
pub struct AppConfig {
    /// The cache root.
    pub root: PathBuf,
    /// Go settings for the header.
    pub env: EnvInfo,
    /// Whether to verify after the scan.
    pub verify: bool,
    /// go.sum lines and sumdb keys, for verification and the "unused" rule.
    pub expect: Arc<Expectations>,
    /// Whether projects were given (the "unused" rule needs them).
    pub has_projects: bool,
    /// The `--project` directories, for the project view.
    pub projects: Vec<PathBuf>,
    /// How repairs run go.
    pub go: GoRunner,
    /// Whether colours are off (`NO_COLOR`).
    pub no_color: bool,
    /// Whether the cache is on a `noatime` mount, where "last used" means nothing.
    pub noatime: bool,
    /// The state database, to record scans in.
    pub state: Option<Arc<crate::ops::state::State>>,
    /// The cache's total on disk a week ago, as recorded, for the header's growth.
    pub week_ago: Option<u64>,
    /// The build cache, when there is one (`b` shows it).
    pub gocache: Option<std::path::PathBuf>,
    /// Why there is no build cache, when there is none.
    pub gocache_off: Option<String>,
    /// How long trashed versions are kept before a trash job empties them (`None`: for ever).
    pub trash_keep: Option<std::time::Duration>,
    /// The last session's versions and their remembered verdicts, shown at once until this
    /// session's scan confirms or corrects them.
    pub preload: Option<Preload>,
    /// What asking the checksum database needs of go's settings (`S`).
    pub sumdb: crate::ops::sumdb::SumdbSettings,
    /// Why the module cache cannot be changed (the user cannot write it): said once at start,
    /// and every job that would change it is refused with it.
    pub read_only: Option<String>,
}

/// What the explorer shows before its scan ends.
#[derive(Debug, Clone, Default)]
pub struct Preload {
    /// The versions of the last recorded snapshot.
    pub entries: Vec<ModuleEntry>,
    /// Their remembered verdicts.
    pub verdicts: std::collections::HashMap<ModuleKey, Verdict>,
    /// Bytes on disk of everything but the versions at the last recorded scan.
    pub other_bytes: u64,
}
