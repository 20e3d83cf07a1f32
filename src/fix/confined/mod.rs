//! Every write, lock and removal modlens makes in a cache, confined to the cache root.
//!
//! Paths are checked lexically first (inside the root, no `..`), and then every directory on
//! the way is opened relative to its parent with `O_NOFOLLOW | O_DIRECTORY`, starting from a
//! handle on the root: a symlink anywhere below the root, even one swapped in after a check,
//! makes the operation fail instead of leading out of the cache. The last component is handled
//! the same way: files are opened with `O_NOFOLLOW | O_NONBLOCK` and must be regular files, so
//! a link is never written through and a FIFO never blocks. A file with more than one hard link
//! shares its content with a file elsewhere, so it is never truncated or rewritten in place:
//! it is replaced by a rename. Trees are removed iteratively ([`tree`]), with a bounded number
//! of open directories and names relative to their directory, so depth and PATH_MAX do not
//! matter, and never across a mount point. The root is opened once per command
//! ([`hold_root`]), so re-pointing a link to it cannot redirect later changes.

use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io::{Read, Seek, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::path::{Component, Path, PathBuf};

use rustix::fs::{
    AtFlags, FileType, Mode, OFlags, fchmod, fstat, mkdirat, openat, renameat, statat, unlinkat,
};
use rustix::io::Errno;

mod tree;

use tree::{MountId, mount_id, refuse_mounts, remove_tree};

use super::error::{DeleteError, io_err};
use crate::cache::read::type_name;

/// Whether missing directories on the way are created.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Missing {
    /// Create them (mode 0777 less the umask, as go does).
    Create,
    /// Fail with "not found".
    Fail,
}

/// A handle on the cache root through which every change is made.
pub struct Confined {
    root: PathBuf,
    fd: OwnedFd,
    /// The root's mount: no directory below it on another one is entered.
    mount: MountId,
}

/// Directories are opened for reading, never through a link.
const DIR_FLAGS: OFlags = OFlags::RDONLY
    .union(OFlags::DIRECTORY)
    .union(OFlags::NOFOLLOW)
    .union(OFlags::CLOEXEC);

/// The roots held by [`hold_root`], with their handles.
static HELD: std::sync::Mutex<Vec<(PathBuf, OwnedFd)>> = std::sync::Mutex::new(Vec::new());

/// Resolves `root` once and holds a handle on it for the rest of the process: every later
/// [`Confined::open`] of the same path works through this handle, so a link that is re-pointed
/// while a command runs cannot send its later items into another directory.
pub fn hold_root(root: &Path) -> Result<(), DeleteError> {
    let fd = open_root(root)?;
    let mut held = HELD
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    held.retain(|(path, _)| path != root);
    held.push((root.to_path_buf(), fd));
    Ok(())
}

fn open_root(root: &Path) -> Result<OwnedFd, DeleteError> {
    openat(
        rustix::fs::CWD,
        root,
        DIR_FLAGS.difference(OFlags::NOFOLLOW),
        Mode::empty(),
    )
    .map_err(errno(root))
}

impl Confined {
    /// Opens the root: through the handle [`hold_root`] keeps for it, or else anew. The root
    /// itself may be reached through links (the user named it).
    pub fn open(root: &Path) -> Result<Confined, DeleteError> {
        let held = HELD
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .iter()
            .find(|(path, _)| path == root)
            .map(|(_, fd)| rustix::io::dup(fd));
        let fd = match held {
            Some(dup) => dup.map_err(errno(root))?,
            None => open_root(root)?,
        };
        Ok(Confined {
            root: root.to_path_buf(),
            mount: mount_id(&fd),
            fd,
        })
    }

    /// The root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `path` relative to the root, checked to stay strictly inside it.
    fn relative<'p>(&self, path: &'p Path) -> Result<&'p Path, DeleteError> {
        let outside = || DeleteError::OutsideRoot(path.to_path_buf());
        let rel = path.strip_prefix(&self.root).map_err(|_| outside())?;
        if rel.as_os_str().is_empty()
            || rel.components().any(|c| !matches!(c, Component::Normal(_)))
        {
            return Err(outside());
        }
        Ok(rel)
    }

    /// Opens the directory holding `path` and returns it with the last name of `path`.
    fn parent_of(&self, path: &Path, missing: Missing) -> Result<(OwnedFd, OsString), DeleteError> {
        let rel = self.relative(path)?;
        let mut parts: Vec<&OsStr> = rel.iter().collect();
        let name = parts
            .pop()
            .expect("a relative path has a last name")
            .to_owned();
        let mut dir = rustix::io::dup(&self.fd).map_err(errno(&self.root))?;
        let mut shown = self.root.clone();
        for part in parts {
            shown.push(part);
            dir = match openat(&dir, part, DIR_FLAGS, Mode::empty()) {
                Ok(fd) => fd,
                Err(Errno::NOENT) if missing == Missing::Create => {
                    match mkdirat(&dir, part, Mode::from_raw_mode(0o777)) {
                        Ok(()) | Err(Errno::EXIST) => {}
                        Err(e) => return Err(errno(&shown)(e)),
                    }
                    openat(&dir, part, DIR_FLAGS, Mode::empty()).map_err(dir_errno(&shown))?
                }
                Err(e) => return Err(dir_errno(&shown)(e)),
            };
            if mount_id(&dir) != self.mount {
                return Err(DeleteError::Mount(shown));
            }
        }
        Ok((dir, name))
    }

    /// Opens the directory `path`, creating it and its missing parents with `Missing::Create`.
    pub fn dir(&self, path: &Path, missing: Missing) -> Result<OwnedFd, DeleteError> {
        if path == self.root {
            return rustix::io::dup(&self.fd).map_err(errno(path));
        }
        let (parent, name) = self.parent_of(path, missing)?;
        match openat(&parent, &name, DIR_FLAGS, Mode::empty()) {
            Err(Errno::NOENT) if missing == Missing::Create => {
                match mkdirat(&parent, &name, Mode::from_raw_mode(0o777)) {
                    Ok(()) | Err(Errno::EXIST) => {}
                    Err(e) => return Err(errno(path)(e)),
                }
                openat(&parent, &name, DIR_FLAGS, Mode::empty()).map_err(dir_errno(path))
            }
            other => other.map_err(dir_errno(path)),
        }
    }

    /// Creates the new directory `path` with `mode` (failing if anything is there).
    pub fn create_dir_new(&self, path: &Path, mode: u32) -> Result<(), DeleteError> {
        let (parent, name) = self.parent_of(path, Missing::Fail)?;
        mkdirat(&parent, &name, Mode::from_raw_mode(mode)).map_err(errno(path))
    }

    /// Creates the new regular file `path` with `mode` (failing if anything is there), its
    /// directory created as needed.
    pub fn create_new(&self, path: &Path, mode: u32) -> Result<File, DeleteError> {
        let (dir, name) = self.parent_of(path, Missing::Create)?;
        let flags =
            OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let fd = openat(&dir, &name, flags, Mode::from_raw_mode(mode)).map_err(errno(path))?;
        Ok(fd.into())
    }

    /// Changes the permission bits of the directory `path` with `change`, through a handle
    /// (so never through a link).
    pub fn set_dir_mode(
        &self,
        path: &Path,
        change: impl FnOnce(u32) -> u32,
    ) -> Result<(), DeleteError> {
        let fd = self.dir(path, Missing::Fail)?;
        let mode = fstat(&fd).map_err(errno(path))?.st_mode & 0o7777;
        let new = change(mode);
        if new != mode {
            fchmod(&fd, Mode::from_raw_mode(new)).map_err(errno(path))?;
        }
        Ok(())
    }

    /// Clears the write bits of `dirs` as go does after extracting, children first, so that
    /// parents are still writable while their children change. `dirs` is sorted by path.
    pub fn make_read_only(&self, dirs: &[PathBuf]) -> Result<(), DeleteError> {
        for dir in dirs.iter().rev() {
            self.set_dir_mode(dir, |mode| mode & !0o222)?;
        }
        Ok(())
    }

    /// The type of `path`, without following a link; `None` when it does not exist.
    pub fn file_type(&self, path: &Path) -> Result<Option<FileType>, DeleteError> {
        let (dir, name) = match self.parent_of(path, Missing::Fail) {
            Ok(found) => found,
            Err(e) if e.is_not_found() => return Ok(None),
            Err(e) => return Err(e),
        };
        match statat(&dir, &name, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(st) => Ok(Some(FileType::from_raw_mode(st.st_mode))),
            Err(Errno::NOENT) => Ok(None),
            Err(e) => Err(errno(path)(e)),
        }
    }

    /// Opens (creating it if absent, never truncating it) a lock file such as `<v>.lock`,
    /// creating missing directories on the way.
    pub fn lock_file(&self, path: &Path) -> Result<File, DeleteError> {
        let (dir, name) = self.parent_of(path, Missing::Create)?;
        refuse_special(&dir, &name, path)?;
        open_regular(&dir, &name, path, OFlags::RDWR | OFlags::CREATE)
    }

    /// Opens the existing regular file `path` for reading and writing (to lock it), without
    /// creating it; `None` when it does not exist.
    pub fn open_existing(&self, path: &Path) -> Result<Option<File>, DeleteError> {
        let (dir, name) = match self.parent_of(path, Missing::Fail) {
            Ok(found) => found,
            Err(e) if e.is_not_found() => return Ok(None),
            Err(e) => return Err(e),
        };
        refuse_special(&dir, &name, path)?;
        match open_regular(&dir, &name, path, OFlags::RDWR) {
            Ok(file) => Ok(Some(file)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Makes `path` an empty regular file (go's `.partial` marker). A hard-linked one is
    /// replaced rather than truncated; a link or special file is refused.
    pub fn create_marker(&self, path: &Path) -> Result<(), DeleteError> {
        let (dir, name) = self.parent_of(path, Missing::Fail)?;
        refuse_special(&dir, &name, path)?;
        if let Ok(st) = statat(&dir, &name, AtFlags::SYMLINK_NOFOLLOW)
            && (st.st_nlink > 1 || st.st_size > 0)
        {
            unlinkat(&dir, &name, AtFlags::empty()).map_err(errno(path))?;
        }
        open_regular(&dir, &name, path, OFlags::WRONLY | OFlags::CREATE).map(drop)
    }

    /// Renames `from` to `to` (both inside the root; `to` is replaced if it exists).
    pub fn rename(&self, from: &Path, to: &Path) -> Result<(), DeleteError> {
        let (from_dir, from_name) = self.parent_of(from, Missing::Fail)?;
        let (to_dir, to_name) = self.parent_of(to, Missing::Fail)?;
        renameat(&from_dir, &from_name, &to_dir, &to_name).map_err(errno(to))
    }

    /// Renames `from` to `to` only if nothing is at `to` (`RENAME_NOREPLACE` where the
    /// filesystem has it, else a check just before): a restore must never replace what go has
    /// written since. Fails with "file exists" when something is there.
    pub fn rename_new(&self, from: &Path, to: &Path) -> Result<(), DeleteError> {
        self.move_to(from, self, to)
    }

    /// Moves `from` (below this root) to `to` below `target`'s root (another handle, as a
    /// trash beside a store), as [`Confined::rename_new`]: never over something there, and
    /// the directories on the way to `to` created. Across file systems it fails, and nothing
    /// moves.
    pub fn move_to(&self, from: &Path, target: &Confined, to: &Path) -> Result<(), DeleteError> {
        let (from_dir, from_name) = self.parent_of(from, Missing::Fail)?;
        let (to_dir, to_name) = target.parent_of(to, Missing::Create)?;
        #[cfg(target_os = "linux")]
        {
            use rustix::fs::{RenameFlags, renameat_with};
            match renameat_with(
                &from_dir,
                &from_name,
                &to_dir,
                &to_name,
                RenameFlags::NOREPLACE,
            ) {
                Err(Errno::INVAL | Errno::NOSYS) => {}
                other => return other.map_err(errno(to)),
            }
        }
        if statat(&to_dir, &to_name, AtFlags::SYMLINK_NOFOLLOW).is_ok() {
            return Err(errno(to)(Errno::EXIST));
        }
        renameat(&from_dir, &from_name, &to_dir, &to_name).map_err(errno(to))
    }

    /// Rewrites the small text file `path` (`@v/list`) under a flock on the file itself, as go
    /// does: `edit` maps the old text to the new one. A missing file is left missing. With one
    /// link the file is rewritten in place (go's own way, so a go command waiting on the lock
    /// sees the result); with more, the new text goes to a temp file renamed over it.
    pub fn rewrite(
        &self,
        path: &Path,
        cap: u64,
        edit: impl FnOnce(&str) -> String,
    ) -> Result<(), DeleteError> {
        let (dir, name) = self.parent_of(path, Missing::Fail)?;
        refuse_special(&dir, &name, path)?;
        let mut file = match open_regular(&dir, &name, path, OFlags::RDWR) {
            Ok(f) => f,
            Err(e) if e.is_not_found() => return Ok(()),
            Err(e) => return Err(e),
        };
        file.lock().map_err(io_err(path))?;
        let meta = file.metadata().map_err(io_err(path))?;
        if meta.len() > cap {
            // Too large to be go's; list only matters to file:// proxies, so leave it.
            return Ok(());
        }
        let mut text = String::new();
        (&mut file)
            .take(cap)
            .read_to_string(&mut text)
            .map_err(io_err(path))?;
        let new = edit(&text);
        if new == text {
            return Ok(());
        }
        use std::os::unix::fs::MetadataExt;
        if meta.nlink() > 1 {
            let tmp = temp_beside(path);
            let tmp_name = tmp.file_name().unwrap_or_default().to_owned();
            let mut out = open_regular(
                &dir,
                &tmp_name,
                &tmp,
                OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL,
            )?;
            let written = out.write_all(new.as_bytes()).map_err(io_err(&tmp));
            if let Err(e) =
                written.and_then(|()| renameat(&dir, &tmp_name, &dir, &name).map_err(errno(path)))
            {
                let _ = unlinkat(&dir, &tmp_name, AtFlags::empty());
                return Err(e);
            }
            return Ok(());
        }
        file.set_len(0).map_err(io_err(path))?;
        file.rewind().map_err(io_err(path))?;
        file.write_all(new.as_bytes()).map_err(io_err(path))?;
        Ok(())
    }

    /// Fails with [`DeleteError::Mount`] when `path` is a directory that is, or holds, a mount
    /// point: checked before a multi-step change starts, so that it never stops half way.
    pub fn refuse_mounts(&self, path: &Path) -> Result<(), DeleteError> {
        let (dir, name) = match self.parent_of(path, Missing::Fail) {
            Ok(found) => found,
            Err(e) if e.is_not_found() => return Ok(()),
            Err(e) => return Err(e),
        };
        match statat(&dir, &name, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(st) if FileType::from_raw_mode(st.st_mode) == FileType::Directory => {
                refuse_mounts(&dir, &name, path, self.mount)
            }
            Ok(_) | Err(Errno::NOENT) => Ok(()),
            Err(e) => Err(errno(path)(e)),
        }
    }

    /// Removes a file, a link (as a link) or a whole tree. Directories are made writable first
    /// (go makes them read-only). Returns how many non-directory entries this call unlinked: a
    /// missing path, or entries another process removed first, count nothing.
    pub fn remove(&self, path: &Path) -> Result<u64, DeleteError> {
        self.remove_with(path, true)
    }

    /// [`Confined::remove`] of a tree the caller has just passed through
    /// [`Confined::refuse_mounts`] under the version's lock: it is not walked for mounts a
    /// second time (each level is still checked as the removal enters it).
    pub fn remove_checked(&self, path: &Path) -> Result<u64, DeleteError> {
        self.remove_with(path, false)
    }

    fn remove_with(&self, path: &Path, check_mounts: bool) -> Result<u64, DeleteError> {
        let (dir, name) = match self.parent_of(path, Missing::Fail) {
            Ok(found) => found,
            Err(e) if e.is_not_found() => return Ok(0),
            Err(e) => return Err(e),
        };
        let st = match statat(&dir, &name, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(st) => st,
            Err(Errno::NOENT) => return Ok(0),
            Err(e) => return Err(errno(path)(e)),
        };
        if FileType::from_raw_mode(st.st_mode) != FileType::Directory {
            return match unlinkat(&dir, &name, AtFlags::empty()) {
                Ok(()) => Ok(1),
                Err(Errno::NOENT) => Ok(0),
                Err(e) => Err(errno(path)(e)),
            };
        }
        if check_mounts {
            refuse_mounts(&dir, &name, path, self.mount)?;
        }
        remove_tree(dir, &name, path, self.mount)
    }
}

/// Fails when `name` in `dir` exists and is not a regular file (a link, FIFO, device, ...).
fn refuse_special(dir: &OwnedFd, name: &OsStr, shown: &Path) -> Result<(), DeleteError> {
    match statat(dir, name, AtFlags::SYMLINK_NOFOLLOW) {
        Ok(st) => match FileType::from_raw_mode(st.st_mode) {
            FileType::RegularFile => Ok(()),
            FileType::Symlink => Err(DeleteError::Link(shown.to_path_buf())),
            other => Err(DeleteError::NotRegular {
                path: shown.to_path_buf(),
                kind: type_name(other),
            }),
        },
        Err(Errno::NOENT) => Ok(()),
        Err(e) => Err(errno(shown)(e)),
    }
}

/// Opens the regular file `name` in `dir` with `flags` plus no-follow and non-blocking.
fn open_regular(
    dir: impl AsFd,
    name: impl rustix::path::Arg,
    shown: &Path,
    flags: OFlags,
) -> Result<File, DeleteError> {
    let flags = flags | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC;
    let fd = match openat(dir, name, flags, Mode::from_raw_mode(0o666)) {
        Ok(fd) => fd,
        Err(Errno::LOOP) => return Err(DeleteError::Link(shown.to_path_buf())),
        Err(e) => return Err(errno(shown)(e)),
    };
    let kind = FileType::from_raw_mode(fstat(&fd).map_err(errno(shown))?.st_mode);
    if kind != FileType::RegularFile {
        return Err(DeleteError::NotRegular {
            path: shown.to_path_buf(),
            kind: type_name(kind),
        });
    }
    Ok(fd.into())
}

fn errno(path: &Path) -> impl FnOnce(Errno) -> DeleteError + '_ {
    move |e| io_err(path)(e.into())
}

/// Like [`errno`], but a directory that turns out to be a link says so.
fn dir_errno(path: &Path) -> impl FnOnce(Errno) -> DeleteError + '_ {
    move |e| match e {
        Errno::LOOP | Errno::NOTDIR
            if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) =>
        {
            DeleteError::Link(path.to_path_buf())
        }
        e => errno(path)(e),
    }
}

/// A fresh name for a temp file beside `path`: `<name><pid><random>.tmp`, as go names its own
/// (`<name><random>.tmp`), which go and modlens both take for a leftover if it stays.
pub(crate) fn temp_beside(path: &Path) -> PathBuf {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    path.with_file_name(format!(
        "{name}{}{}.tmp",
        std::process::id(),
        unique_suffix()
    ))
}

/// A number for temp names: unique within this process and unpredictable from outside it
/// (std's `RandomState` is seeded from the OS's randomness), so no one can prepare the name.
pub(crate) fn unique_suffix() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    static SEED: std::sync::OnceLock<std::hash::RandomState> = std::sync::OnceLock::new();
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mut hasher = SEED.get_or_init(std::hash::RandomState::new).build_hasher();
    hasher.write_u64(n);
    hasher.finish()
}
