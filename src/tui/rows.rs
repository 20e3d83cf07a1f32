//! The rows on screen: versions grouped under their module, filtered and sorted.
//!
//! Derived from the app's versions and view settings whenever one of them changes; the view only
//! reads the result. Sort orders are total (ties fall back to path and Go's version order), so
//! the screen never flickers between equal rows.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::time::SystemTime;

use super::app::{App, Row};
use crate::cache::sort::SortKey;
use crate::cache::{ModuleKey, semver};
use crate::ops::policy;

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
    versions: BTreeMap<String, Vec<ModuleKey>>,
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

/// Builds the visible rows from the app's state.
pub fn build_visible(app: &App) -> Visible {
    let needed = app.project.on.then(|| app.project.keys());
    let missing = if app.project.on {
        app.project_missing()
    } else {
        Vec::new()
    };
    let mut groups: BTreeMap<&str, Vec<&Row>> = BTreeMap::new();
    for row in app.rows.values() {
        let key = &row.entry.key;
        if app.filter.as_ref().is_some_and(|f| !f.matches(key))
            || (app.problems_only && !row.integrity.is_problem())
            || needed.as_ref().is_some_and(|n| !n.contains(key))
            || missing.contains(key)
        {
            continue;
        }
        groups.entry(&key.path).or_default().push(row);
    }
    let mut visible = Visible::default();
    let mut ordered: Vec<(&str, Vec<&Row>, ModuleTotals)> = groups
        .into_iter()
        .map(|(path, mut rows)| {
            rows.sort_by(|a, b| compare_rows(app, a, b, app.sort));
            if app.reverse {
                rows.reverse();
            }
            let totals = ModuleTotals {
                versions: rows.len(),
                bytes: rows.iter().map(|r| app.bytes(r.entry.usage())).sum(),
                files: rows.iter().map(|r| r.entry.usage().files).sum(),
                problems: rows.iter().filter(|r| r.integrity.is_problem()).count(),
                downloaded: rows.iter().filter_map(|r| r.entry.downloaded).min(),
                last_used: rows.iter().filter_map(|r| r.entry.last_used).max(),
            };
            (path, rows, totals)
        })
        .collect();
    ordered.sort_by(|a, b| compare_modules(a, b, app.sort));
    if app.reverse {
        ordered.reverse();
    }
    for (path, rows, totals) in ordered {
        visible.max_bytes = visible.max_bytes.max(totals.bytes);
        visible.version_count += rows.len();
        visible.rows.push(RowRef::Module(path.to_owned()));
        let keys: Vec<ModuleKey> = rows.iter().map(|r| r.entry.key.clone()).collect();
        if !app.collapsed.contains(path) {
            visible
                .rows
                .extend(keys.iter().cloned().map(RowRef::Version));
        }
        visible.versions.insert(path.to_owned(), keys);
        visible.modules.insert(path.to_owned(), totals);
    }
    // What the project needs and the cache lacks comes first: it is what breaks the build.
    let missing = missing
        .into_iter()
        .filter(|k| app.filter.as_ref().is_none_or(|f| f.matches(k)))
        .map(RowRef::Missing);
    visible.rows.splice(0..0, missing);
    visible
}

fn compare_rows(app: &App, a: &Row, b: &Row, sort: SortKey) -> Ordering {
    let (x, y) = (&a.entry, &b.entry);
    let primary = match sort {
        SortKey::Size => app.bytes(y.usage()).cmp(&app.bytes(x.usage())),
        SortKey::Age => policy::oldest_first(x.downloaded, y.downloaded),
        SortKey::LastUsed => policy::oldest_first(x.last_used, y.last_used),
        SortKey::Name | SortKey::Version => Ordering::Equal,
    };
    primary.then_with(|| semver::sort_order(&x.key.version, &y.key.version))
}

fn compare_modules(
    a: &(&str, Vec<&Row>, ModuleTotals),
    b: &(&str, Vec<&Row>, ModuleTotals),
    sort: SortKey,
) -> Ordering {
    let primary = match sort {
        SortKey::Size => b.2.bytes.cmp(&a.2.bytes),
        SortKey::Age => policy::oldest_first(a.2.downloaded, b.2.downloaded),
        SortKey::LastUsed => policy::oldest_first(a.2.last_used, b.2.last_used),
        SortKey::Name => Ordering::Equal,
        // Modules by their newest version, Go's order.
        SortKey::Version => {
            fn newest<'r>(rows: &[&'r Row]) -> Option<&'r str> {
                rows.iter()
                    .map(|r| r.entry.key.version.as_str())
                    .max_by(|x, y| semver::sort_order(x, y))
            }
            match (newest(&a.1), newest(&b.1)) {
                (Some(x), Some(y)) => semver::sort_order(x, y),
                _ => Ordering::Equal,
            }
        }
    };
    primary.then_with(|| a.0.cmp(b.0))
}
