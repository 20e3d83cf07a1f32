//! Walking and removing a tree below the root with a bounded number of open descriptors, never
//! through a link and never into another mount (`rm --one-file-system`'s rule, with mount ids so
//! that bind mounts of the same file system count too).

use std::ffi::{OsStr, OsString};
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use rustix::fs::{AtFlags, Dir, FileType, Mode, fchmod, fstat, openat, statat, unlinkat};
use rustix::io::Errno;

use super::{DIR_FLAGS, dir_errno, errno};
use crate::fix::error::DeleteError;

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
pub(super) struct MountId(u64, bool);

pub(super) fn mount_id(fd: &OwnedFd) -> MountId {
    use rustix::fs::{StatxFlags, statx};
    match statx(fd, "", AtFlags::EMPTY_PATH, StatxFlags::MNT_ID) {
        Ok(st) if st.stx_mask & StatxFlags::MNT_ID.bits() != 0 => MountId(st.stx_mnt_id, true),
        _ => MountId(fstat(fd).map_or(0, |st| st.st_dev), false),
    }
}

/// Fails with [`DeleteError::Mount`] when a directory below `name` in `parent` (or it) is a
/// mount point: `rm --one-file-system`'s rule, checked before anything is removed.
pub(super) fn refuse_mounts(
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
/// with a bounded number of open descriptors, never entering another mount (the caller walks
/// it with [`refuse_mounts`] first, so that a removal does not stop half way).
pub(super) fn remove_tree(
    parent: OwnedFd,
    name: &OsStr,
    shown: &Path,
    mount: MountId,
) -> Result<u64, DeleteError> {
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
