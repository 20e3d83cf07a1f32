//! Everything a scan reported, gathered into one value with totals.
//!
//! The CLI folds the scan's event stream into a [`Snapshot`] before printing; the TUI will fold
//! the same events into its state as they arrive. Folding is pure: no I/O happens here.

use super::entry::{Leftover, ModuleEntry, Usage, VcsRepo};
use super::scan::{ScanEvent, ScanStats};

/// The state of a cache as one scan saw it.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// Module versions.
    pub entries: Vec<ModuleEntry>,
    /// Repositories under `cache/vcs`.
    pub vcs: Vec<VcsRepo>,
    /// Things that belong to no version.
    pub leftovers: Vec<Leftover>,
    /// `cache/download/sumdb`.
    pub sumdb: Usage,
    /// The trash (`cache/modlens-trash`).
    pub trash: Usage,
    /// Directories and files shared by many versions.
    pub shared: Usage,
    /// Non-fatal errors met while scanning.
    pub errors: Vec<String>,
    /// Set once the scan has finished.
    pub stats: Option<ScanStats>,
}

impl Snapshot {
    /// Folds one scan event into the snapshot.
    pub fn apply(&mut self, event: ScanEvent) {
        match event {
            ScanEvent::Entries(entries) => self.entries.extend(entries),
            ScanEvent::Gone(keys) => self.entries.retain(|e| !keys.contains(&e.key)),
            ScanEvent::Vcs(repos) => self.vcs.extend(repos),
            ScanEvent::Leftovers(leftovers) => self.leftovers.extend(leftovers),
            ScanEvent::Sumdb(usage) => self.sumdb.add(usage),
            ScanEvent::Trash(usage) => self.trash.add(usage),
            ScanEvent::Shared(usage) => self.shared.add(usage),
            ScanEvent::Error(err) => self.errors.push(err),
            ScanEvent::Done(stats) => self.stats = Some(stats),
            ScanEvent::Progress { .. } => {}
        }
    }

    /// Space used by module versions.
    pub fn entries_usage(&self) -> Usage {
        self.entries.iter().map(ModuleEntry::usage).sum()
    }

    /// Space used by vcs repositories.
    pub fn vcs_usage(&self) -> Usage {
        self.vcs.iter().map(|r| r.usage).sum()
    }

    /// Space used by leftovers.
    pub fn leftovers_usage(&self) -> Usage {
        self.leftovers.iter().map(|l| l.usage).sum()
    }

    /// The whole cache: versions, vcs, sumdb, the trash, leftovers and shared space.
    pub fn total(&self) -> Usage {
        [
            self.entries_usage(),
            self.vcs_usage(),
            self.sumdb,
            self.trash,
            self.leftovers_usage(),
            self.shared,
        ]
        .into_iter()
        .sum()
    }

    /// Number of distinct module paths among the entries.
    pub fn module_count(&self) -> usize {
        let mut paths: Vec<&str> = self.entries.iter().map(|e| e.key.path.as_str()).collect();
        paths.sort_unstable();
        paths.dedup();
        paths.len()
    }
}
