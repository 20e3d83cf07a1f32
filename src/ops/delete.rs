//! Deleting module versions, vcs repositories and leftovers the way go itself would.
//!
//! A version is deleted in go's crash-safe order (format notes §3.6): take the version's flock
//! on `@v/<v>.lock` (the lock go takes, so a concurrent go command waits), write `.partial` so
//! that go never adopts a half-deleted tree, remove the zip and `.ziphash`, make the read-only
//! tree writable and remove it, remove `.info` and `.mod`, remove `.partial`, and drop the
//! version from `@v/list`. For a re-fetch the tree can instead be renamed aside in the same
//! step ([`TreeDisposal::MoveAside`]) and removed while go downloads. The
//! `.lock` file stays: go keeps lock files for ever, and re-creating one would break mutual
//! exclusion. Every path is checked to lie inside the cache root first, and symlinks are
//! removed as links, never followed.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, Write};
use std::path::{Component, Path, PathBuf};

use walkdir::WalkDir;

use crate::cache::{ModCache, ModuleKey, VersionFile, semver};

/// Why a delete did not happen or did not finish.
#[derive(Debug, thiserror::Error)]
pub enum DeleteError {
    /// The path would leave the cache root.
    #[error("refusing to touch {0}: it is not inside the cache root")]
    OutsideRoot(PathBuf),
    /// A file-system operation failed.
    #[error("{path}: {source}")]
    Io {
        /// The path concerned.
        path: PathBuf,
        /// The error.
        source: io::Error,
    },
}

/// Wraps an I/O error with the path it concerns.
pub(super) fn io_err(path: &Path) -> impl FnOnce(io::Error) -> DeleteError + '_ {
    move |source| DeleteError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Checks that `path` is strictly inside `root` without `..` components, and that no directory
/// between them is a symlink (which could lead out of the cache).
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
            Ok(meta) if meta.file_type().is_symlink() => return Err(outside()),
            _ => {}
        }
    }
    Ok(())
}

/// Removes a file or a directory tree below the root: directories are made writable first (go
/// makes them read-only), symlinks are removed as links. A missing path is not an error.
pub fn remove_path(root: &Path, path: &Path) -> Result<u64, DeleteError> {
    ensure_inside(root, path)?;
    let meta = match fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(io_err(path)(e)),
    };
    if !meta.is_dir() {
        fs::remove_file(path).map_err(io_err(path))?;
        return Ok(1);
    }
    make_dirs_writable(path)?;
    let mut removed = 0;
    for entry in WalkDir::new(path)
        .follow_links(false)
        .follow_root_links(false)
        .contents_first(true)
    {
        let entry = entry.map_err(|e| io_err(path)(e.into()))?;
        let p = entry.path();
        if entry.file_type().is_dir() {
            fs::remove_dir(p).map_err(io_err(p))?;
        } else {
            fs::remove_file(p).map_err(io_err(p))?;
            removed += 1;
        }
    }
    Ok(removed)
}

/// Adds the owner's write and execute bits to every directory below `dir` (never through a
/// symlink), so that its entries can be unlinked.
fn make_dirs_writable(dir: &Path) -> Result<(), DeleteError> {
    for entry in WalkDir::new(dir)
        .follow_links(false)
        .follow_root_links(false)
    {
        let entry = entry.map_err(|e| io_err(dir)(e.into()))?;
        if entry.file_type().is_dir() {
            set_owner_writable(entry.path())?;
        }
    }
    Ok(())
}

#[cfg(unix)]
fn set_owner_writable(dir: &Path) -> Result<(), DeleteError> {
    use std::os::unix::fs::PermissionsExt;
    let meta = fs::symlink_metadata(dir).map_err(io_err(dir))?;
    let mode = meta.permissions().mode();
    if mode & 0o700 != 0o700 {
        fs::set_permissions(dir, fs::Permissions::from_mode(mode | 0o700)).map_err(io_err(dir))?;
    }
    Ok(())
}

#[cfg(not(unix))]
fn set_owner_writable(dir: &Path) -> Result<(), DeleteError> {
    let mut perm = fs::symlink_metadata(dir)
        .map_err(io_err(dir))?
        .permissions();
    #[expect(
        clippy::permissions_set_readonly_false,
        reason = "deleting needs write access"
    )]
    perm.set_readonly(false);
    fs::set_permissions(dir, perm).map_err(io_err(dir))
}

/// Holds go's flock on `@v/<v>.lock` while alive.
pub struct VersionLock {
    _lock: FileLock,
}

impl VersionLock {
    /// Takes the exclusive lock go takes before touching a version's zip or tree, creating the
    /// lock file if needed. Blocks while a go command holds it.
    pub fn acquire(cache: &ModCache, key: &ModuleKey) -> Result<VersionLock, DeleteError> {
        let path = cache.version_file(key, VersionFile::Lock);
        ensure_inside(cache.root(), &path)?;
        let dir = cache.at_v_dir(key);
        fs::create_dir_all(&dir).map_err(io_err(&dir))?;
        Ok(VersionLock {
            _lock: FileLock::acquire(&path)?,
        })
    }
}

/// An exclusive flock on a lock file (created if absent, never deleted), released on drop.
struct FileLock {
    file: File,
}

impl FileLock {
    fn acquire(path: &Path) -> Result<FileLock, DeleteError> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(io_err(path))?;
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
    /// Files removed.
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
pub fn delete_version_with(
    cache: &ModCache,
    key: &ModuleKey,
    disposal: TreeDisposal,
    mut on_step: impl FnMut(&str),
) -> Result<(Removed, Option<PathBuf>), DeleteError> {
    let mut step = |name: &str| {
        on_step(name);
        super::fault::checkpoint(&format!("delete:{name}"));
    };
    let root = cache.root();
    let tree = cache.tree_dir(key);
    let partial = cache.version_file(key, VersionFile::Partial);
    for path in [&tree, &partial] {
        ensure_inside(root, path)?;
    }
    let _lock = VersionLock::acquire(cache, key)?;
    step("locked");
    let tree_exists = fs::symlink_metadata(&tree).is_ok();
    if tree_exists {
        File::create(&partial).map_err(io_err(&partial))?;
        step("partial written");
    }
    // With `.partial` in place go treats whatever is left as incomplete, so the order below
    // only decides what an interrupted delete leaves. Zip and .ziphash go before the tree: a
    // broken zip is what makes go fail ("zip: not a valid zip file" is sticky), and once it is
    // gone go downloads the version again instead of extracting the broken one.
    let mut removed = Removed::default();
    for file in [VersionFile::Zip, VersionFile::Ziphash] {
        removed.files += remove_path(root, &cache.version_file(key, file))?;
        step(file.ext());
    }
    let mut aside = None;
    if disposal == TreeDisposal::MoveAside && tree_exists {
        let to = aside_path(&tree);
        ensure_inside(root, &to)?;
        match fs::rename(&tree, &to) {
            Ok(()) => aside = Some(to),
            Err(_) => removed.files += remove_path(root, &tree)?,
        }
    } else {
        removed.files += remove_path(root, &tree)?;
    }
    step("tree removed");
    for file in [VersionFile::Info, VersionFile::Mod] {
        removed.files += remove_path(root, &cache.version_file(key, file))?;
        step(file.ext());
    }
    remove_path(root, &partial)?;
    step("partial removed");
    drop_from_list(cache, key)?;
    step("list updated");
    Ok((removed, aside))
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

/// A number unique within this process, for temp names.
pub(super) fn unique_suffix() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// Rewrites `@v/list` without `key`'s version, under a flock on `list` itself, the way go
/// rewrites it (truncate, then write in place).
fn drop_from_list(cache: &ModCache, key: &ModuleKey) -> Result<(), DeleteError> {
    let path = cache.at_v_dir(key).join("list");
    ensure_inside(cache.root(), &path)?;
    let mut file = match OpenOptions::new().read(true).write(true).open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(io_err(&path)(e)),
    };
    file.lock().map_err(io_err(&path))?;
    let mut text = String::new();
    file.read_to_string(&mut text).map_err(io_err(&path))?;
    let mut versions: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && *l != key.version)
        .collect();
    versions.sort_by(|a, b| semver::sort_order(a, b));
    versions.dedup();
    let mut out = String::new();
    for v in versions {
        out.push_str(v);
        out.push('\n');
    }
    file.set_len(0).map_err(io_err(&path))?;
    file.rewind().map_err(io_err(&path))?;
    file.write_all(out.as_bytes()).map_err(io_err(&path))?;
    let _ = file.unlock();
    Ok(())
}

/// Deletes a leftover or a vcs repository path (relative to the root), holding the lock go
/// would hold while touching it: `cache/vcs/<hash>.lock` for a repository, the version's
/// `@v/<v>.lock` for a version's temp files, orphan `.partial` or orphan tree.
pub fn delete_rel(cache: &ModCache, rel: &Path) -> Result<Removed, DeleteError> {
    let path = cache.root().join(rel);
    ensure_inside(cache.root(), &path)?;
    let _lock = match lock_file_for(cache, rel) {
        Some(lock) if lock.parent().is_some_and(Path::is_dir) => Some(FileLock::acquire(&lock)?),
        _ => None,
    };
    Ok(Removed {
        files: remove_path(cache.root(), &path)?,
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
