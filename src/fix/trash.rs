//! Moving versions into the trash, restoring them, and emptying it, in go's crash-safe order.
//!
//! A move to the trash is a delete whose removals are renames (format notes §3.6): under the
//! version's flock, the manifest is written first, then `.partial` (so go never uses a tree
//! that is half gone), then the zip and `.ziphash`, the tree, `.info` and `.mod` move one
//! rename each into `cache/modlens-trash/<id>/`, `.partial` goes, the version leaves `@v/list`,
//! and `done` marks the entry whole. Killed at any point, the cache is one go accepts: what is
//! left of the version is marked `.partial` or is complete, and go downloads what is missing.
//!
//! A restore runs the same steps backwards under the same lock: `.partial` first, then `.mod`
//! and `.info` (and `@v/list`), the tree (with its permission bits), `.ziphash` before the zip
//! as go writes them, and `.partial` last. A piece the cache has again (go downloaded the
//! version since) is never replaced: go's copy stays and the trashed one is dropped. Killed
//! part way, the version stays marked `.partial` and the entry keeps the pieces not yet moved;
//! restoring again finishes it.

use std::io::Write as _;

use rustix::fs::FileType;
use std::path::Path;
use std::time::{Duration, SystemTime};

use super::confined::Confined;
use super::confined::unique_suffix;
use super::delete::{VersionLock, edit_list};
use super::error::{DeleteError, io_err};
use crate::cache::trash::{DONE, MANIFEST, Manifest, Piece, TrashEntry, read_manifest, trash_root};
use crate::cache::{ModCache, ModuleKey, VersionFile};

/// What a move to the trash did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trashed {
    /// The new entry's id (`None` when nothing of the version was in the cache).
    pub id: Option<String>,
    /// How many pieces moved.
    pub pieces: usize,
}

/// What a restore did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Restored {
    /// Pieces put back into the cache.
    pub moved: Vec<Piece>,
    /// Pieces the cache already had again (go downloaded them since): go's copy was kept.
    pub kept: Vec<Piece>,
    /// Whether the version is still marked `.partial` (go will extract it again on use).
    pub partial: bool,
}

/// Why a restore did not happen.
#[derive(Debug, thiserror::Error)]
pub enum RestoreError {
    /// The entry's manifest is missing or unreadable, so it names no version.
    #[error("trash entry {id}: {reason}")]
    Unreadable {
        /// The entry.
        id: String,
        /// Why.
        reason: String,
    },
    /// The entry is gone (emptied or restored by another process).
    #[error("trash entry {0} is no longer in the trash")]
    Gone(String),
    /// A file-system step failed; the version is left marked `.partial`.
    #[error(transparent)]
    Change(#[from] DeleteError),
}

/// Moves one version into the trash (see the module doc). Calls `on_step` between steps.
pub fn move_to_trash(
    cache: &ModCache,
    key: &ModuleKey,
    now: SystemTime,
    mut on_step: impl FnMut(&str),
) -> Result<Trashed, DeleteError> {
    let mut step = |name: &str| {
        on_step(name);
        super::fault::checkpoint(&format!("trash:{name}"));
    };
    let confined = Confined::open(cache.root())?;
    let _lock = VersionLock::acquire_in(&confined, cache, key)?;
    step("locked");
    confined.refuse_mounts(&cache.tree_dir(key))?;
    let mut present = Vec::new();
    for piece in Piece::MOVE_ORDER {
        if confined.file_type(&piece.cache_path(cache, key))?.is_some() {
            present.push(piece);
        }
    }
    if present.is_empty() {
        return Ok(Trashed {
            id: None,
            pieces: 0,
        });
    }
    let tree = cache.tree_dir(key);
    let partial = cache.version_file(key, VersionFile::Partial);
    let has_tree = present.contains(&Piece::Tree);
    let tree_mode = if has_tree {
        use std::os::unix::fs::PermissionsExt;
        std::fs::symlink_metadata(&tree)
            .ok()
            .map(|m| m.permissions().mode() & 0o7777)
    } else {
        None
    };
    let secs = now
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    let id = format!("{secs}-{}-{}", std::process::id(), unique_suffix());
    let entry = trash_root(cache).join(&id);
    confined.dir(&entry, super::confined::Missing::Create)?;
    let manifest = Manifest {
        path: key.path.clone(),
        version: key.version.clone(),
        trashed_at: secs,
        tree_mode,
        was_partial: confined.file_type(&partial)?.is_some(),
    };
    write_small(
        &confined,
        &entry.join(MANIFEST),
        &serde_json::to_vec(&manifest).unwrap_or_default(),
    )?;
    step("manifest written");
    let moved = move_pieces(&confined, cache, key, &entry, &present, &mut step);
    if let Err(error) = moved {
        // Put back what moved, so that a move that cannot finish leaves the cache as it was.
        return match restore_locked(&confined, cache, key, &entry, &manifest, &mut |_| {}) {
            Ok(_) => Err(error),
            Err(undo) => Err(DeleteError::Io {
                path: entry.clone(),
                source: std::io::Error::other(format!(
                    "{error}; putting it back failed too ({undo}): restore it with `modlens trash restore {key}`"
                )),
            }),
        };
    }
    write_small(&confined, &entry.join(DONE), b"")?;
    Ok(Trashed {
        id: Some(id),
        pieces: present.len(),
    })
}

/// The renames of [`move_to_trash`], from `.partial` to the `@v/list` update.
fn move_pieces(
    confined: &Confined,
    cache: &ModCache,
    key: &ModuleKey,
    entry: &Path,
    present: &[Piece],
    step: &mut dyn FnMut(&str),
) -> Result<(), DeleteError> {
    let partial = cache.version_file(key, VersionFile::Partial);
    if present.contains(&Piece::Tree) {
        confined.create_marker(&partial)?;
        step("partial written");
    }
    for &piece in present {
        let from = piece.cache_path(cache, key);
        if piece == Piece::Tree && confined.file_type(&from)? == Some(FileType::Directory) {
            // Moving a directory to another parent rewrites its `..`, which needs write
            // permission on it; go leaves trees read-only. The bits are restored with it.
            confined.set_dir_mode(&from, |mode| mode | 0o700)?;
        }
        confined.rename_new(&from, &entry.join(piece.name()))?;
        step(piece.name());
    }
    confined.remove(&partial)?;
    step("partial removed");
    edit_list(confined, cache, key, false)?;
    step("list updated");
    Ok(())
}

/// Puts a trashed version back (see the module doc). Calls `on_step` between steps.
pub fn restore(
    cache: &ModCache,
    entry: &TrashEntry,
    mut on_step: impl FnMut(&str),
) -> Result<Restored, RestoreError> {
    let mut step = |name: &str| {
        on_step(name);
        super::fault::checkpoint(&format!("restore:{name}"));
    };
    let unreadable = |reason: String| RestoreError::Unreadable {
        id: entry.id.clone(),
        reason,
    };
    let key = match (&entry.key, &entry.manifest) {
        (Some(key), _) => key.clone(),
        (None, Err(reason)) => return Err(unreadable(reason.clone())),
        (None, Ok(_)) => return Err(unreadable("names no valid module version".into())),
    };
    let confined = Confined::open(cache.root())?;
    let _lock = VersionLock::acquire_in(&confined, cache, &key)?;
    step("locked");
    let dir = entry.dir(cache);
    // Read again under the lock: another process may have restored or emptied it meanwhile.
    let manifest = match read_manifest(&dir.join(MANIFEST)) {
        Ok(m) => m,
        Err(_) if confined.file_type(&dir)?.is_none() => {
            return Err(RestoreError::Gone(entry.id.clone()));
        }
        Err(reason) => return Err(unreadable(reason)),
    };
    Ok(restore_locked(
        &confined, cache, &key, &dir, &manifest, &mut step,
    )?)
}

/// The steps of [`restore`], with the version's lock held by the caller.
fn restore_locked(
    confined: &Confined,
    cache: &ModCache,
    key: &ModuleKey,
    dir: &Path,
    manifest: &Manifest,
    step: &mut dyn FnMut(&str),
) -> Result<Restored, DeleteError> {
    let in_trash = |piece: Piece| confined.file_type(&dir.join(piece.name()));
    let in_cache = |piece: Piece| confined.file_type(&piece.cache_path(cache, key));
    let partial = cache.version_file(key, VersionFile::Partial);
    let partial_before = confined.file_type(&partial)?.is_some();
    let mut done = Restored::default();
    if in_trash(Piece::Tree)?.is_some() || in_cache(Piece::Tree)?.is_some() {
        confined.create_marker(&partial)?;
        step("partial written");
    }
    let mut tree_back = false;
    for piece in [
        Piece::Mod,
        Piece::Info,
        Piece::Tree,
        Piece::Ziphash,
        Piece::Zip,
    ] {
        let from = dir.join(piece.name());
        if in_trash(piece)?.is_none() {
            continue;
        }
        let to = piece.cache_path(cache, key);
        if piece == Piece::Tree && partial_before && in_cache(piece)?.is_some() {
            // An extraction go never finished: go itself would remove it and start again.
            confined.remove(&to)?;
        }
        if in_cache(piece)?.is_some() {
            done.kept.push(piece);
            continue;
        }
        confined.rename_new(&from, &to)?;
        if piece == Piece::Tree {
            if let Some(mode) = manifest.safe_tree_mode() {
                confined.set_dir_mode(&to, |_| mode)?;
            }
            tree_back = true;
        }
        if piece == Piece::Mod {
            edit_list(confined, cache, key, true)?;
        }
        done.moved.push(piece);
        step(piece.name());
    }
    // A move that was stopped part way wrote the `.partial` found here itself; the manifest
    // says whether the version was partial before it.
    let move_finished = in_trash_marker(confined, dir)?;
    done.partial = if tree_back || !move_finished {
        manifest.was_partial
    } else {
        partial_before
    };
    if !done.partial {
        confined.remove(&partial)?;
        step("partial removed");
    }
    // A piece the cache already had stays in the trash beside it: the caller drops it only
    // after the cache's own copy verifies (it may be garbage go never wrote).
    if done.kept.is_empty() {
        confined.remove(dir)?;
    }
    Ok(done)
}

/// Whether the entry's move finished (its `done` marker is there).
fn in_trash_marker(confined: &Confined, dir: &Path) -> Result<bool, DeleteError> {
    Ok(confined.file_type(&dir.join(DONE))?.is_some())
}

/// Removes one trash entry for good, under the version's lock when the entry names one (so
/// it never races a restore of it). Returns the files removed.
pub fn empty_entry(cache: &ModCache, entry: &TrashEntry) -> Result<u64, DeleteError> {
    let confined = Confined::open(cache.root())?;
    let _lock = match &entry.key {
        Some(key) => Some(VersionLock::acquire_in(&confined, cache, key)?),
        None => None,
    };
    confined.remove(&entry.dir(cache))
}

/// The entries to empty: those trashed more than `max_age` before `now`, then, oldest first,
/// as many as it takes to free `need` bytes. Entries still being moved (no `done` marker, and
/// younger than an hour) are left alone: their move may be running now. So is every entry
/// whose time is unknown (an unreadable manifest, a time in the future): unknown means keep;
/// only `trash empty` removes those.
pub fn due(
    entries: &[TrashEntry],
    max_age: Option<Duration>,
    need: u64,
    now: SystemTime,
) -> Vec<&TrashEntry> {
    let age = |e: &TrashEntry| {
        e.trashed_at()
            .and_then(|t| now.duration_since(t).ok())
            .unwrap_or(Duration::ZERO)
    };
    let known = |e: &&TrashEntry| e.trashed_at().is_some_and(|t| t <= now);
    let settled = |e: &&TrashEntry| known(e) && (e.done || age(e) > Duration::from_secs(3600));
    let mut chosen: Vec<&TrashEntry> = entries
        .iter()
        .filter(settled)
        .filter(|e| max_age.is_some_and(|max| age(e) > max))
        .collect();
    let mut freed: u64 = chosen.iter().map(|e| e.usage.disk).sum();
    let mut oldest_first: Vec<&TrashEntry> = entries.iter().filter(settled).collect();
    oldest_first.sort_by_key(|e| std::cmp::Reverse(age(e)));
    for entry in oldest_first {
        if freed >= need {
            break;
        }
        if !chosen.iter().any(|c| c.id == entry.id) {
            freed += entry.usage.disk;
            chosen.push(entry);
        }
    }
    chosen
}

/// The entries of `cache`'s trash kept longer than `keep` (none when it cannot be read).
pub fn expired(cache: &ModCache, keep: Duration) -> Vec<TrashEntry> {
    let entries = crate::cache::trash::read_trash(cache).unwrap_or_default();
    due(&entries, Some(keep), 0, crate::cache::clock::now())
        .into_iter()
        .cloned()
        .collect()
}

/// Writes a small new file inside the trash and flushes it to disk.
fn write_small(confined: &Confined, path: &Path, bytes: &[u8]) -> Result<(), DeleteError> {
    let mut file = confined.create_new(path, 0o644)?;
    file.write_all(bytes).map_err(io_err(path))?;
    file.sync_all().map_err(io_err(path))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::Usage;

    fn entry(id: &str, days_old: u64, bytes: u64, done: bool, now: SystemTime) -> TrashEntry {
        let at = now - Duration::from_secs(days_old * 86_400 + 1);
        let secs = at.duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs();
        TrashEntry {
            id: id.into(),
            manifest: Ok(Manifest {
                path: "example.com/a".into(),
                version: "v1.0.0".into(),
                trashed_at: secs,
                tree_mode: None,
                was_partial: false,
            }),
            key: None,
            pieces: vec![],
            done,
            usage: Usage {
                disk: bytes,
                ..Usage::default()
            },
        }
    }

    #[test]
    fn old_entries_go_first_and_only_as_many_as_the_space_needs() {
        let now = crate::cache::clock::now();
        let entries = [
            entry("new", 0, 100, true, now),
            entry("old", 40, 10, true, now),
            entry("mid", 10, 50, true, now),
            entry("moving", 0, 1000, false, now),
        ];
        let ids = |v: Vec<&TrashEntry>| v.iter().map(|e| e.id.clone()).collect::<Vec<_>>();
        let month = Some(Duration::from_secs(30 * 86_400));
        assert_eq!(ids(due(&entries, month, 0, now)), ["old"]);
        assert_eq!(ids(due(&entries, month, 40, now)), ["old", "mid"]);
        assert_eq!(ids(due(&entries, None, 1, now)), ["old"]);
        // An entry whose move may still be running is never chosen.
        assert_eq!(ids(due(&entries, None, 10_000, now)), ["old", "mid", "new"]);
    }
}
