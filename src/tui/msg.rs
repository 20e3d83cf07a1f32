//! The messages the TUI's update function consumes and the effects it asks for.
//!
//! Everything that happens (a key, a scan batch, a verdict, a job's progress, the clock) is a
//! [`Msg`]; everything the app wants done outside itself is an [`Effect`] for the event loop to
//! run. `App::update` therefore stays pure and testable.

use crossterm::event::Event;

pub use super::keymap::Action;

use crate::cache::{ModuleEntry, ModuleKey, ScanEvent};
use crate::ops::jobs::{JobEvent, JobId, JobSpec};
use crate::ops::verify::VerifyEvent;

/// Something that happened.
#[derive(Debug, Clone)]
pub enum Msg {
    /// Terminal input.
    Input(Event),
    /// From the scan.
    Scan(ScanEvent),
    /// From the verification.
    Verify(VerifyEvent),
    /// From a job.
    Job(JobEvent),
    /// Time passed (for ages and spinners); carries the current time.
    Tick(std::time::SystemTime),
    /// What the projects need, as go answered, or why it could not.
    Project(Result<Vec<crate::ops::project::Needed>, String>),
    /// The build cache scanned and verified, or why not.
    Build(Result<crate::ops::gocache::BuildOverview, String>),
    /// The trash's entries, or why they could not be read.
    Trash(Result<Vec<crate::cache::trash::TrashEntry>, String>),
    /// The files and directories of one version's tree, for the file view.
    Files(ModuleKey, Vec<crate::cache::TreeItem>),
    /// What the kept versions' module graph needs of the versions a rule marked for a delete.
    KeptNeeds(std::collections::BTreeMap<ModuleKey, crate::ops::graph::Need>),
    /// How a file of a version differs from its zip entry (or from an authentic copy's),
    /// or why that cannot be said.
    Diff(
        ModuleKey,
        String,
        Result<crate::ops::diff::VersionDiff, String>,
    ),
    /// What asking the checksum database about these versions came to, or why it failed.
    Sumdb(Vec<ModuleKey>, Result<crate::ops::sumdb::Asked, String>),
}

/// Something the app wants the event loop to do.
#[derive(Debug, Clone)]
pub enum Effect {
    /// Verify these versions in the background.
    Verify(Vec<ModuleEntry>),
    /// Start a job.
    StartJob(JobId, JobSpec),
    /// Measure these versions again and verify them (after a repair).
    Refresh(Vec<ModuleKey>),
    /// Scan the whole cache again.
    Rescan,
    /// Cancel a running job: it stops between items, its go processes are killed.
    CancelJob(JobId),
    /// List the files of a version's tree (for the drill-down view).
    ListFiles(ModuleKey),
    /// Ask go what the `--project` directories need.
    LoadProject,
    /// Scan and verify the build cache at this root.
    LoadBuild(std::path::PathBuf),
    /// Read the trash's entries.
    LoadTrash,
    /// Record a finished full scan in the state database: its totals, each module path's
    /// bytes, and the versions themselves (the snapshot the next session opens with).
    RecordScan(
        crate::ops::state::ScanTotals,
        std::collections::BTreeMap<String, u64>,
        Vec<ModuleEntry>,
    ),
    /// Ask the module graph of every version but `selected` what it needs of `selected`.
    KeptNeeds {
        /// Every version in the cache.
        entries: Vec<ModuleEntry>,
        /// The versions a rule marked for the delete.
        selected: Vec<ModuleKey>,
    },
    /// Compare one file of a version's tree with its zip entry (or, when the zip is not go's,
    /// with an authentic copy go downloads).
    DiffFile(ModuleKey, String),
    /// Stop the comparison the diff pane waits for (go is killed).
    CancelDiff,
    /// Ask the checksum database about these versions, cache its proven answers as go does,
    /// and verify them by the answers.
    AskSumdb(Vec<ModuleKey>),
    /// Leave.
    Quit,
}
