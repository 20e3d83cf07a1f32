//! Opening cache files for reading without disturbing their access times.
//!
//! modlens reports the access time of `<v>.mod` as "last used", so verifying must not bump it.
//! On Linux files are opened with `O_NOATIME`, which also saves an inode write per file; the
//! kernel allows it only to the file's owner, so other files fall back to a plain open.

use std::fs::File;
use std::io;
use std::os::fd::AsFd;
use std::path::Path;

use rustix::fs::{Mode, OFlags, openat};

/// Opens `path` for reading, without updating its atime where the system allows it.
pub fn open(path: &Path) -> io::Result<File> {
    open_at(rustix::fs::CWD, path, Follow::Yes)
}

/// Whether opening a symlink opens its target.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Follow {
    Yes,
    No,
}

/// Opens `name`, relative to the directory `dir`, for reading, without updating its atime
/// where the system allows it.
pub fn open_at(
    dir: impl AsFd,
    name: impl rustix::path::Arg + Copy,
    follow: Follow,
) -> io::Result<File> {
    let mut flags = OFlags::RDONLY | OFlags::CLOEXEC;
    if follow == Follow::No {
        flags |= OFlags::NOFOLLOW;
    }
    #[cfg(target_os = "linux")]
    match openat(&dir, name, flags | OFlags::NOATIME, Mode::empty()) {
        Err(rustix::io::Errno::PERM) => {}
        other => return Ok(other?.into()),
    }
    Ok(openat(&dir, name, flags, Mode::empty())?.into())
}

/// Reads a small file whole (`.ziphash`, `.mod`, go.sum lookups), without touching its atime.
pub fn read_small(path: &Path) -> io::Result<Vec<u8>> {
    use std::io::Read;
    let mut buf = Vec::new();
    open(path)?.read_to_end(&mut buf)?;
    Ok(buf)
}
