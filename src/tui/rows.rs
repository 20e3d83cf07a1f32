//! The rows on screen: versions grouped under their module, filtered and sorted.
//!
//! Derived from the app's versions and view settings whenever one of them changes; the view only
//! reads the result. Sort orders are total (ties fall back to path and Go's version order), so
//! the screen never flickers between equal rows.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use super::app::{App, Row};
pub use super::views::{ModuleTotals, RowRef, Visible};
use crate::cache::sort::SortKey;
use crate::cache::{ModuleKey, semver};
use crate::ops::policy;

impl App {
    /// Builds the visible rows from the app's state.
    pub(super) fn build_visible(&self) -> Visible {
        build_visible(self)
    }
}

fn build_visible(app: &App) -> Visible {
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
