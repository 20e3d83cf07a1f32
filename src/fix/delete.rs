//! Deleting module versions, vcs repositories and leftovers the way go itself would.
//!
//! A version is deleted in go's crash-safe order (format notes §3.6): take the version's flock
//! on `@v/<v>.lock` (the lock go takes, so a concurrent go command waits), write `.partial` so
//! that go never adopts a half-deleted tree, remove the zip and `.ziphash`, make the read-only
//! tree writable and remove it, remove `.info` and `.mod`, remove `.partial`, and drop the
//! version from `@v/list`. For a re-fetch the tree can instead be renamed aside in the same
//! step ([`TreeDisposal::MoveAside`]) and removed while go downloads. The
//! `.lock` file stays: go keeps lock files for ever, and re-creating one would break mutual
//! exclusion. Every change goes through [`Confined`]: it stays inside the cache root, never
//! follows a link, and counts only the files it removed itself.

use std::fs::{self, File};
use std::path::{Component, Path, PathBuf};

use super::confined::{Confined, unique_suffix};
pub use super::error::DeleteError;
pub(super) use super::error::io_err;
use crate::cache::{ModCache, ModuleKey, VersionFile, read, semver};

/// Checks that `path` is strictly inside `root` without `..` components, and that no directory
/// between them is a symlink (which could lead out of the cache). Operations themselves go
/// through [`Confined`], which enforces the same with handles; this is the early check.
pub fn ensure_inside(root: &Path, path: &Path) -> Result<(), DeleteError> {
    let outside = || DeleteError::OutsideRoot(path.to_path_buf());
    let rel = path.strip_prefix(root).map_err(|_| outside())?;
    if rel.as_os_str().is_empty() || rel.components().any(|c| !matches!(c, Component::Normal(_))) {
        return Err(outside());
    }
    let mut dir = root.to_path_buf();
    let parts: Vec<_> = rel.components().collect();
    for part in &parts[..parts.len() - 1] {
        dir.push(part);
        match fs::symlink_metadata(&dir) {
            Ok(meta) if meta.file_type().is_symlink() => return Err(DeleteError::Link(dir)),
            _ => {}
        }
    }
    Ok(())
}

/// Removes a file, a link (as a link) or a directory tree below the root; directories are made
/// writable first (go makes them read-only). Returns the files this call removed; a missing
/// path is not an error.
pub fn remove_path(root: &Path, path: &Path) -> Result<u64, DeleteError> {
    Confined::open(root)?.remove(path)
}

/// Holds go's flock on `@v/<v>.lock` while alive.
pub struct VersionLock {
    _lock: FileLock,
}

impl VersionLock {
    /// Takes the exclusive lock go takes before touching a version's zip or tree, creating the
    /// lock file (and its `@v` directory) if needed. Blocks while a go command holds it.
    pub fn acquire(cache: &ModCache, key: &ModuleKey) -> Result<VersionLock, DeleteError> {
        let confined = Confined::open(cache.root())?;
        Self::acquire_in(&confined, cache, key)
    }

    /// [`VersionLock::acquire`] through an open root.
    pub(super) fn acquire_in(
        confined: &Confined,
        cache: &ModCache,
        key: &ModuleKey,
    ) -> Result<VersionLock, DeleteError> {
        let path = cache.version_file(key, VersionFile::Lock);
        Ok(VersionLock {
            _lock: FileLock::acquire(confined, &path)?,
        })
    }
}

/// An exclusive flock on a lock file (created if absent, never deleted), released on drop.
struct FileLock {
    file: File,
}

impl FileLock {
    fn acquire(confined: &Confined, path: &Path) -> Result<FileLock, DeleteError> {
        let file = confined.lock_file(path)?;
        file.lock().map_err(io_err(path))?;
        Ok(FileLock { file })
    }
}

impl Drop for FileLock {
    fn drop(&mut self) {
        let _ = self.file.unlock();
    }
}

/// What one deletion removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Removed {
    /// Files removed by this deletion (files someone else removed first do not count).
    pub files: u64,
}

/// What happens to the extracted tree of a version being deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TreeDisposal {
    /// Removed before the delete returns.
    Remove,
    /// Renamed aside, in one atomic step, to `<tree>.tmp-modlens-<pid>-<n>`, for the caller to
    /// remove later, off the critical path (a re-fetch removes it while go downloads). go never
    /// looks at that name; modlens lists it as a leftover if it is ever left behind.
    MoveAside,
}

/// Deletes one module version in go's crash-safe order. Calls `step` between steps so callers
/// can report progress or test interruptions.
pub fn delete_version(
    cache: &ModCache,
    key: &ModuleKey,
    on_step: impl FnMut(&str),
) -> Result<Removed, DeleteError> {
    delete_version_with(cache, key, TreeDisposal::Remove, on_step).map(|(removed, _)| removed)
}

/// [`delete_version`], choosing what happens to the tree; returns where a tree moved aside is.
/// An error after some files went is [`DeleteError::Interrupted`], which counts them.
pub fn delete_version_with(
    cache: &ModCache,
    key: &ModuleKey,
    disposal: TreeDisposal,
    on_step: impl FnMut(&str),
) -> Result<(Removed, Option<PathBuf>), DeleteError> {
    let mut removed = Removed::default();
    delete_steps(cache, key, disposal, on_step, &mut removed)
        .map(|aside| (removed, aside))
        .map_err(|error| match removed.files {
            0 => error,
            files => DeleteError::Interrupted {
                files,
                error: Box::new(error),
            },
        })
}

fn delete_steps(
    cache: &ModCache,
    key: &ModuleKey,
    disposal: TreeDisposal,
    mut on_step: impl FnMut(&str),
    removed: &mut Removed,
) -> Result<Option<PathBuf>, DeleteError> {
    let mut step = |name: &str| {
        on_step(name);
        super::fault::checkpoint(&format!("delete:{name}"));
    };
    let confined = Confined::open(cache.root())?;
    let tree = cache.tree_dir(key);
    let partial = cache.version_file(key, VersionFile::Partial);
    let _lock = VersionLock::acquire_in(&confined, cache, key)?;
    step("locked");
    confined.refuse_mounts(&tree)?;
    let tree_exists = confined.file_type(&tree)?.is_some();
    if tree_exists {
        confined.create_marker(&partial)?;
        step("partial written");
    }
    // With `.partial` in place go treats whatever is left as incomplete, so the order below
    // only decides what an interrupted delete leaves. Zip and .ziphash go before the tree: a
    // broken zip is what makes go fail ("zip: not a valid zip file" is sticky), and once it is
    // gone go downloads the version again instead of extracting the broken one.
    for file in [VersionFile::Zip, VersionFile::Ziphash] {
        removed.files += confined.remove(&cache.version_file(key, file))?;
        step(file.ext());
    }
    let mut aside = None;
    if disposal == TreeDisposal::MoveAside && tree_exists {
        let to = aside_path(&tree);
        match confined.rename(&tree, &to) {
            Ok(()) => aside = Some(to),
            Err(_) => removed.files += confined.remove(&tree)?,
        }
    } else {
        removed.files += confined.remove_checked(&tree)?;
    }
    step("tree removed");
    for file in [VersionFile::Info, VersionFile::Mod] {
        removed.files += confined.remove(&cache.version_file(key, file))?;
        step(file.ext());
    }
    confined.remove(&partial)?;
    step("partial removed");
    drop_from_list(&confined, cache, key)?;
    step("list updated");
    Ok(aside)
}

/// Deletes the source of one version, its zip, `.ziphash` and tree, and keeps its `.mod` and
/// `.info`: what go caches of a version it reads only for the module graph. The order is
/// [`delete_version`]'s, under the same lock, stopping before `.info` and `.mod`; the version
/// stays in `@v/list`, which lists the versions whose `.mod` go holds.
pub fn delete_source(cache: &ModCache, key: &ModuleKey) -> Result<Removed, DeleteError> {
    let mut removed = Removed::default();
    source_steps(cache, key, &mut removed)
        .map(|()| removed)
        .map_err(|error| match removed.files {
            0 => error,
            files => DeleteError::Interrupted {
                files,
                error: Box::new(error),
            },
        })
}

fn source_steps(
    cache: &ModCache,
    key: &ModuleKey,
    removed: &mut Removed,
) -> Result<(), DeleteError> {
    let confined = Confined::open(cache.root())?;
    let tree = cache.tree_dir(key);
    let partial = cache.version_file(key, VersionFile::Partial);
    let _lock = VersionLock::acquire_in(&confined, cache, key)?;
    confined.refuse_mounts(&tree)?;
    let tree_exists = confined.file_type(&tree)?.is_some();
    if tree_exists {
        confined.create_marker(&partial)?;
    }
    for file in [VersionFile::Zip, VersionFile::Ziphash] {
        removed.files += confined.remove(&cache.version_file(key, file))?;
        super::fault::checkpoint(&format!("source:{}", file.ext()));
    }
    removed.files += confined.remove_checked(&tree)?;
    super::fault::checkpoint("source:tree removed");
    confined.remove(&partial)?;
    Ok(())
}

/// A fresh name beside `tree` for moving it aside: `<tree>.tmp-modlens-<pid>-<n>`.
fn aside_path(tree: &Path) -> PathBuf {
    let mut name = tree.as_os_str().to_owned();
    name.push(format!(
        ".tmp-modlens-{}-{}",
        std::process::id(),
        unique_suffix()
    ));
    PathBuf::from(name)
}

/// Rewrites `@v/list` without `key`'s version, under a flock on `list` itself, the way go
/// rewrites it (see [`Confined::rewrite`]).
fn drop_from_list(
    confined: &Confined,
    cache: &ModCache,
    key: &ModuleKey,
) -> Result<(), DeleteError> {
    edit_list(confined, cache, key, false)
}

/// Rewrites `@v/list` with (`present`) or without `key`'s version, sorted and without
/// duplicates as go writes it. A missing `list` stays missing.
pub(super) fn edit_list(
    confined: &Confined,
    cache: &ModCache,
    key: &ModuleKey,
    present: bool,
) -> Result<(), DeleteError> {
    let path = cache.at_v_dir(key).join("list");
    confined.rewrite(&path, read::cap::LIST, |text| {
        let mut versions: Vec<&str> = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && *l != key.version)
            .collect();
        if present {
            versions.push(&key.version);
        }
        versions.sort_by(|a, b| semver::sort_order(a, b));
        versions.dedup();
        let mut out = String::new();
        for v in versions {
            out.push_str(v);
            out.push('\n');
        }
        out
    })
}

/// Deletes a leftover or a vcs repository path (relative to the root), holding the lock go
/// would hold while touching it: `cache/vcs/<hash>.lock` for a repository, the version's
/// `@v/<v>.lock` for a version's temp files, orphan `.partial` or orphan tree.
pub fn delete_rel(cache: &ModCache, rel: &Path) -> Result<Removed, DeleteError> {
    let confined = Confined::open(cache.root())?;
    let path = cache.root().join(rel);
    ensure_inside(cache.root(), &path)?;
    if path.starts_with(cache.sumdb_root()) {
        // go reads and writes each checksum-database cache file under a flock on the file
        // itself (lockedfile): take it exclusively, then unlink.
        let Some(file) = confined.open_existing(&path)? else {
            return Ok(Removed::default());
        };
        file.lock().map_err(io_err(&path))?;
        let files = confined.remove(&path)?;
        let _ = file.unlock();
        return Ok(Removed { files });
    }
    // A trash entry goes under its version's lock, so it never races a restore of it.
    let lock = match crate::cache::trash::entry_key(cache, rel) {
        Some(key) => Some(cache.version_file(&key, VersionFile::Lock)),
        None => lock_file_for(cache, rel),
    };
    let _lock = match lock {
        Some(lock) if lock.parent().is_some_and(|d| d.is_dir()) => {
            Some(FileLock::acquire(&confined, &lock)?)
        }
        _ => None,
    };
    Ok(Removed {
        files: confined.remove(&path)?,
    })
}

/// The lock file go takes for a path that is not a whole version, when there is one.
fn lock_file_for(cache: &ModCache, rel: &Path) -> Option<PathBuf> {
    let text = rel.to_str()?;
    if let Some(name) = text.strip_prefix("cache/vcs/") {
        let hash = name.split('.').next()?;
        return Some(cache.vcs_root().join(format!("{hash}.lock")));
    }
    if let Some(rest) = text.strip_prefix("cache/download/") {
        let (esc_path, file) = rest.rsplit_once("/@v/")?;
        let stem = file
            .strip_suffix(".tmp")
            .map_or(file, |s| s.trim_end_matches(|c: char| c.is_ascii_digit()));
        let (esc_version, _) = VersionFile::split_name(stem)?;
        return Some(
            cache
                .at_v_dir_escaped(esc_path)
                .join(format!("{esc_version}.lock")),
        );
    }
    // `<esc path>@<esc version>` trees and their `.tmp-*` extraction dirs.
    let (esc_path, version) = text.rsplit_once('@')?;
    let esc_version = version.split(".tmp-").next()?;
    Some(
        cache
            .at_v_dir_escaped(esc_path)
            .join(format!("{esc_version}.lock")),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leftovers_are_deleted_under_the_lock_go_would_take() {
        let cache = ModCache::new("/c");
        let lock =
            |rel: &str| lock_file_for(&cache, Path::new(rel)).map(|p| p.display().to_string());
        let hash = "b2f02d6f27c4649eccd98c249abe9f06b329934610ccddb3d63d6c9da1ae121d";
        let vcs_lock = format!("/c/cache/vcs/{hash}.lock");
        assert_eq!(lock(&format!("cache/vcs/{hash}")), Some(vcs_lock.clone()));
        assert_eq!(lock(&format!("cache/vcs/{hash}.info")), Some(vcs_lock));
        let v_lock = Some("/c/cache/download/example.com/!a/@v/v1.0.0.lock".to_owned());
        assert_eq!(
            lock("cache/download/example.com/!a/@v/v1.0.0.zip123.tmp"),
            v_lock
        );
        assert_eq!(
            lock("cache/download/example.com/!a/@v/v1.0.0.partial"),
            v_lock
        );
        assert_eq!(lock("example.com/!a@v1.0.0.tmp-42"), v_lock);
        assert_eq!(lock("example.com/!a@v1.0.0"), v_lock);
        assert_eq!(lock("stray.txt"), None);
    }

    #[test]
    fn paths_must_stay_inside_the_root() {
        let root = Path::new("/c");
        assert!(ensure_inside(root, Path::new("/c/a/b")).is_ok());
        assert!(ensure_inside(root, Path::new("/c")).is_err());
        assert!(ensure_inside(root, Path::new("/c/../etc")).is_err());
        assert!(ensure_inside(root, Path::new("/d/a")).is_err());
    }
}
