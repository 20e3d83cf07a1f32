//! Putting a version back from the trash as the CLI and the explorer both do it: restore it
//! under go's lock ([`super::trash::restore`]), drop go's index of its tree, verify it, and
//! drop the trashed duplicates of pieces go had downloaded again only once the cache's own
//! copies verify (unknown means keep).

use super::refetch::GoRunner;
use super::trash::{RestoreError, empty_entry, restore};
use crate::cache::ModCache;
use crate::cache::scan::scan_version;
use crate::cache::trash::{Piece, TrashEntry};
use crate::verify::{Expectations, verify_entry};

/// What a restore did, once settled.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settled {
    /// Pieces moved back into the cache.
    pub restored: Vec<&'static str>,
    /// Pieces the cache had again (go downloaded them since); go's copy was kept.
    pub kept_from_cache: Vec<&'static str>,
    /// The trash still holds its copies of `kept_from_cache`, because the cache's own did not
    /// verify.
    pub kept_in_trash: bool,
    /// Problem kinds the version came back with (empty: it verifies clean).
    pub problems: Vec<&'static str>,
}

/// Restores `entry` and settles it (see the module doc).
pub fn restore_settled(
    cache: &ModCache,
    entry: &TrashEntry,
    expect: &Expectations,
    go: &GoRunner,
) -> Result<Settled, RestoreError> {
    let done = restore(cache, entry, |_| {})?;
    if let (Some(key), true) = (&entry.key, done.moved.contains(&Piece::Tree)) {
        go.tree_changed(cache, key);
    }
    let problems = match &entry.key {
        None => Vec::new(),
        Some(key) => match scan_version(cache, key) {
            Some(scanned) => verify_entry(cache, &scanned, expect)
                .problems
                .iter()
                .map(|p| p.kind.name())
                .collect(),
            None => vec!["missing_after_restore"],
        },
    };
    let kept_in_trash =
        !done.kept.is_empty() && (!problems.is_empty() || empty_entry(cache, entry).is_err());
    Ok(Settled {
        restored: done.moved.iter().map(|p| p.name()).collect(),
        kept_from_cache: done.kept.iter().map(|p| p.name()).collect(),
        kept_in_trash,
        problems,
    })
}
