//! What the explorer shows, as state: the list's rows (versions under their module) and the
//! build-cache and trash views. [`App`](super::app::App) holds them; `rows`, `build` and
//! `trash` fill them in, and the view draws them.

use std::collections::{BTreeMap, BTreeSet};
use std::time::SystemTime;

use crate::cache::ModuleKey;
use crate::cache::trash::TrashEntry;
use crate::ops::gocache::BuildOverview;

/// One line of the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowRef {
    /// A module path heading its versions.
    Module(String),
    /// A version.
    Version(ModuleKey),
    /// A version the project view's project needs and the cache does not hold (or holds
    /// without its source).
    Missing(ModuleKey),
}

/// Totals of a module's versions, as shown on its row.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModuleTotals {
    /// Versions shown.
    pub versions: usize,
    /// Bytes of those versions, in the unit shown.
    pub bytes: u64,
    /// Files of those versions.
    pub files: u64,
    /// Versions with problems.
    pub problems: usize,
    /// Oldest download.
    pub downloaded: Option<SystemTime>,
    /// Most recent use.
    pub last_used: Option<SystemTime>,
}

/// The rows on screen.
#[derive(Debug, Clone, Default)]
pub struct Visible {
    /// The rows in order.
    pub rows: Vec<RowRef>,
    /// Totals per module path.
    pub modules: BTreeMap<String, ModuleTotals>,
    /// The largest row size, for the relative size bars.
    pub max_bytes: u64,
    /// Versions shown (also those of collapsed modules).
    pub version_count: usize,
    /// The shown versions of each module path.
    pub(super) versions: BTreeMap<String, Vec<ModuleKey>>,
}

impl Visible {
    /// The shown versions of a module (collapsed ones included).
    pub fn versions_of(&self, path: &str) -> impl Iterator<Item = &ModuleKey> {
        self.versions.get(path).into_iter().flatten()
    }

    /// Every shown version.
    pub fn all_versions(&self) -> impl Iterator<Item = &ModuleKey> {
        self.versions.values().flatten()
    }
}

/// What the build-cache view shows.
#[derive(Debug, Clone, Default)]
pub struct BuildView {
    /// Whether it is on screen.
    pub on: bool,
    /// Whether a scan and verification are running.
    pub loading: bool,
    /// The last overview, or why there is none.
    pub overview: Option<Result<BuildOverview, String>>,
    /// The selected row.
    pub cursor: usize,
    /// Marked rows, by label.
    pub marks: BTreeSet<String>,
}

/// A file's diff as it arrived: the version, the file, and how it differs (or why that cannot
/// be said).
pub type DiffShown = (
    ModuleKey,
    String,
    Result<crate::ops::diff::VersionDiff, String>,
);

/// What the checksum database said when the explorer asked it (`S`).
#[derive(Debug, Clone, Default)]
pub struct SumdbView {
    /// How many versions are being asked about now (0: none).
    pub asking: usize,
    /// The versions it could not vouch for, with why (not found, unreachable, unproven,
    /// private): marked ◇ until asked again.
    pub unanswered: std::collections::HashMap<ModuleKey, String>,
}

/// What the trash view shows.
#[derive(Debug, Clone, Default)]
pub struct TrashView {
    /// Whether it is on screen.
    pub on: bool,
    /// Whether the list is being read.
    pub loading: bool,
    /// The entries, newest first, or why they could not be read.
    pub entries: Option<Result<Vec<TrashEntry>, String>>,
    /// The selected row.
    pub cursor: usize,
    /// Marked entries, by id.
    pub marks: BTreeSet<String>,
}
