//! Every write, lock and removal modlens makes in a cache, confined to the cache root.
//!
//! Paths are checked lexically first (inside the root, no `..`), and then every directory on
//! the way is opened relative to its parent with `O_NOFOLLOW | O_DIRECTORY`, starting from a
//! handle on the root: a symlink anywhere below the root, even one swapped in after a check,
//! makes the operation fail instead of leading out of the cache. The last component is handled
//! the same way: files are opened with `O_NOFOLLOW | O_NONBLOCK` and must be regular files, so
//! a link is never written through and a FIFO never blocks. A file with more than one hard link
//! shares its content with a file elsewhere, so it is never truncated or rewritten in place:
//! it is replaced by a rename. Trees are removed iteratively, one open directory per level and
//! no recursion, with names relative to their directory, so depth and PATH_MAX do not matter.

use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io::{self, Read, Seek, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};

use rustix::fs::{
    AtFlags, Dir, FileType, Mode, OFlags, fchmod, fstat, mkdirat, openat, renameat, statat,
    unlinkat,
};
use rustix::io::Errno;

use super::delete::DeleteError;
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
        let (from_dir, from_name) = self.parent_of(from, Missing::Fail)?;
        let (to_dir, to_name) = self.parent_of(to, Missing::Create)?;
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
            let tmp_name = format!(
                "{}{}{}.tmp",
                name.to_string_lossy(),
                std::process::id(),
                super::delete::unique_suffix()
            );
            let tmp = path.with_file_name(&tmp_name);
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
        remove_tree(dir, &name, path, self.mount)
    }
}

/// How many directory levels a tree walk keeps open at once (two descriptors each). Deeper
/// levels are let go and opened again by name, from the nearest level still open, when the walk
/// comes back to them: any depth works with a bounded number of descriptors.
const OPEN_LEVELS: usize = 32;

/// One open directory of a [`TreeWalk`].
struct Level {
    /// The directory's entries.
    entries: Dir,
    /// A handle on the directory, for unlinking its entries.
    fd: OwnedFd,
    /// Whether it was read again from the start after a removal found it not empty.
    reread: bool,
    /// Entries up to this one were seen before the level was let go (a walk that removes
    /// nothing would otherwise see them again when it opens the level anew).
    resume_after: Option<OsString>,
}

/// An iterative walk over the directories of one tree, with at most [`OPEN_LEVELS`] levels
/// open. Every directory is opened relative to its parent, never through a link, and must be
/// on the root's mount: a mount point below the root is never entered.
struct TreeWalk<'a> {
    /// The directory holding the tree.
    base: &'a OwnedFd,
    /// The names from `base` down to the current directory.
    names: Vec<OsString>,
    /// The deepest levels, the last one current; `names.len() - open.len()` levels above them
    /// were let go.
    open: std::collections::VecDeque<Level>,
    /// The current directory's path, for messages.
    shown: PathBuf,
    /// The root's mount.
    mount: MountId,
    /// Make each directory writable (and searchable) by its owner when it is opened; such a
    /// walk removes what it passes, so a level opened anew starts from its first entry.
    writable: bool,
    /// The name of the directory last left, where a level opened anew resumes.
    last_left: Option<OsString>,
}

impl<'a> TreeWalk<'a> {
    fn new(
        base: &'a OwnedFd,
        name: &OsStr,
        shown: &Path,
        mount: MountId,
        writable: bool,
    ) -> Result<Self, DeleteError> {
        let mut walk = TreeWalk {
            base,
            names: Vec::new(),
            open: std::collections::VecDeque::new(),
            shown: shown.to_path_buf(),
            mount,
            writable,
            last_left: None,
        };
        let level = open_level(base, name, shown, mount, writable)?;
        walk.names.push(name.to_owned());
        walk.open.push_back(level);
        Ok(walk)
    }

    /// The current directory, opened again (with a window of levels above it) if it was let go.
    fn current(&mut self) -> Result<&mut Level, DeleteError> {
        if self.open.is_empty() {
            let depth = self.names.len();
            let first = depth.saturating_sub(OPEN_LEVELS / 2);
            let mut shown = self.shown.clone();
            for _ in 0..depth {
                shown.pop();
            }
            let mut fd = rustix::io::dup(self.base).map_err(errno(&shown))?;
            for name in &self.names[..first] {
                shown.push(name);
                fd = openat(&fd, name, DIR_FLAGS, Mode::empty()).map_err(dir_errno(&shown))?;
                if mount_id(&fd) != self.mount {
                    return Err(DeleteError::Mount(shown.clone()));
                }
            }
            let mut levels = std::collections::VecDeque::new();
            for (i, name) in self.names.iter().enumerate().skip(first) {
                shown.push(name);
                let parent = levels.back().map_or(&fd, |l: &Level| &l.fd);
                let mut level = open_level(parent, name, &shown, self.mount, self.writable)?;
                if !self.writable {
                    level.resume_after = match self.names.get(i + 1) {
                        Some(child) => Some(child.clone()),
                        None => self.last_left.clone(),
                    };
                }
                levels.push_back(level);
            }
            self.open = levels;
        }
        Ok(self.open.back_mut().expect("the walk has a current level"))
    }

    /// Enters the directory `name` of the current one.
    fn enter(&mut self, name: &OsStr) -> Result<(), DeleteError> {
        self.current()?;
        self.shown.push(name);
        let parent = &self.open.back().expect("current() opened it").fd;
        let level = open_level(parent, name, &self.shown, self.mount, self.writable)?;
        if self.open.len() == OPEN_LEVELS {
            self.open.pop_front();
        }
        self.open.push_back(level);
        self.names.push(name.to_owned());
        Ok(())
    }

    /// Leaves the current directory; returns its name and whether the walk is over.
    fn leave(&mut self) -> (OsString, bool) {
        self.open.pop_back();
        self.shown.pop();
        let name = self.names.pop().expect("the walk has a current level");
        self.last_left = Some(name.clone());
        (name, self.names.is_empty())
    }

    /// The directory holding the current one.
    fn parent_fd(&mut self) -> Result<&OwnedFd, DeleteError> {
        if self.names.is_empty() {
            return Ok(self.base);
        }
        Ok(&self.current()?.fd)
    }

    /// The next entry of the current directory (not `.` or `..`) with its type; `None` at its
    /// end.
    fn next_entry(&mut self) -> Result<Option<(OsString, FileType)>, DeleteError> {
        let shown = self.shown.clone();
        let top = self.current()?;
        loop {
            let Some(item) = top.entries.read() else {
                return Ok(None);
            };
            let entry = item.map_err(errno(&shown))?;
            let file = OsStr::from_bytes(entry.file_name().to_bytes()).to_owned();
            if file == "." || file == ".." {
                continue;
            }
            if let Some(seen) = &top.resume_after {
                if *seen == file {
                    top.resume_after = None;
                }
                continue;
            }
            let mut kind = entry.file_type();
            if kind == FileType::Unknown {
                kind = match statat(&top.fd, &file, AtFlags::SYMLINK_NOFOLLOW) {
                    Ok(st) => FileType::from_raw_mode(st.st_mode),
                    Err(Errno::NOENT) => continue,
                    Err(e) => return Err(errno(&shown.join(&file))(e)),
                };
            }
            return Ok(Some((file, kind)));
        }
    }
}

/// Opens the directory `name` in `parent` as a walk's level: never through a link, only on
/// `mount`, made writable and searchable by its owner with `writable`.
fn open_level(
    parent: &OwnedFd,
    name: &OsStr,
    shown: &Path,
    mount: MountId,
    writable: bool,
) -> Result<Level, DeleteError> {
    let fd = openat(parent, name, DIR_FLAGS, Mode::empty()).map_err(dir_errno(shown))?;
    if mount_id(&fd) != mount {
        return Err(DeleteError::Mount(shown.to_path_buf()));
    }
    if writable {
        let st = fstat(&fd).map_err(errno(shown))?;
        if st.st_mode & 0o700 != 0o700 {
            fchmod(&fd, Mode::from_raw_mode((st.st_mode | 0o700) & 0o7777))
                .map_err(errno(shown))?;
        }
    }
    let entries = Dir::read_from(&fd).map_err(errno(shown))?;
    Ok(Level {
        entries,
        fd,
        reread: false,
        resume_after: None,
    })
}

/// Which mount a directory is on: the mount id (so a bind mount of the same file system
/// counts), or the device where the kernel has no `statx` mount ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct MountId(u64, bool);

fn mount_id(fd: &OwnedFd) -> MountId {
    use rustix::fs::{StatxFlags, statx};
    match statx(fd, "", AtFlags::EMPTY_PATH, StatxFlags::MNT_ID) {
        Ok(st) if st.stx_mask & StatxFlags::MNT_ID.bits() != 0 => MountId(st.stx_mnt_id, true),
        _ => MountId(fstat(fd).map_or(0, |st| st.st_dev), false),
    }
}

/// Fails with [`DeleteError::Mount`] when a directory below `name` in `parent` (or it) is a
/// mount point: `rm --one-file-system`'s rule, checked before anything is removed.
fn refuse_mounts(
    parent: &OwnedFd,
    name: &OsStr,
    shown: &Path,
    mount: MountId,
) -> Result<(), DeleteError> {
    let mut walk = TreeWalk::new(parent, name, shown, mount, false)?;
    loop {
        match walk.next_entry()? {
            Some((file, FileType::Directory)) => walk.enter(&file)?,
            Some(_) => {}
            None => {
                if walk.leave().1 {
                    return Ok(());
                }
            }
        }
    }
}

/// Removes the directory `name` in `parent` and everything below it, without recursion and
/// with a bounded number of open descriptors, never crossing into another mount.
fn remove_tree(
    parent: OwnedFd,
    name: &OsStr,
    shown: &Path,
    mount: MountId,
) -> Result<u64, DeleteError> {
    refuse_mounts(&parent, name, shown, mount)?;
    let mut removed = 0;
    let mut walk = TreeWalk::new(&parent, name, shown, mount, true)?;
    loop {
        let Some((file, kind)) = walk.next_entry()? else {
            let reread = walk.current()?.reread;
            let dir_shown = walk.shown.clone();
            let (name, done) = walk.leave();
            let above = walk.parent_fd()?;
            match unlinkat(above, &name, AtFlags::REMOVEDIR) {
                Ok(()) | Err(Errno::NOENT) => {}
                Err(Errno::NOTEMPTY) if !reread => {
                    // Entries added while it was read (or missed): read it once more.
                    walk.enter(&name)?;
                    walk.current()?.reread = true;
                    continue;
                }
                Err(e) => return Err(errno(&dir_shown)(e)),
            }
            if done {
                return Ok(removed);
            }
            continue;
        };
        if kind == FileType::Directory {
            walk.enter(&file)?;
            continue;
        }
        let shown = walk.shown.join(&file);
        match unlinkat(&walk.current()?.fd, &file, AtFlags::empty()) {
            Ok(()) => removed += 1,
            Err(Errno::NOENT) => {}
            Err(e) => return Err(errno(&shown)(e)),
        }
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

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> DeleteError + '_ {
    super::delete::io_err(path)
}

fn errno(path: &Path) -> impl FnOnce(Errno) -> DeleteError + '_ {
    move |e| super::delete::io_err(path)(e.into())
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
