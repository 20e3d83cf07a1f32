//! Opening and reading cache files safely: never a link, never a FIFO or device, never more
//! than a cap, and without disturbing access times.
//!
//! A cache is whatever the disk holds. A FIFO where go keeps `.partial` would hang a plain
//! `open`, `/dev/zero` behind a link would fill memory, and a sparse multi-GB `.ziphash` would
//! be read whole. So every open here is `O_NOFOLLOW | O_NONBLOCK` (a FIFO opens at once and is
//! then refused), the opened file must be a regular file by `fstat`, and whole-file reads check
//! the size from `fstat` against a cap before reading a byte, and read at most the cap.
//!
//! modlens reports the access time of `<v>.mod` as "last used", so reading must not bump it:
//! on Linux files are opened with `O_NOATIME`, which the kernel allows only to the file's
//! owner; other files fall back to a plain open.

use std::fs::File;
use std::io::{self, Read};
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};

use rustix::fs::{FileType, Mode, OFlags, fstat, openat};

/// Caps on files modlens reads whole, from go's own limits where it has them.
pub mod cap {
    /// `<v>.ziphash`: 47 bytes (`h1:` and 44 base64 characters), plus room for whitespace.
    pub const ZIPHASH: u64 = 1024;
    /// `<v>.mod`: go's `MaxGoMod`.
    pub const GO_MOD: u64 = 16 << 20;
    /// `<v>.info`: a few hundred bytes of JSON; go sets no limit, this is generous.
    pub const INFO: u64 = 1 << 20;
    /// `@v/list`: one line per version.
    pub const LIST: u64 = 16 << 20;
    /// A go.sum or go.work.sum file.
    pub const GO_SUM: u64 = 64 << 20;
    /// A cached checksum-database lookup or `latest` note.
    pub const SUMDB_NOTE: u64 = 1 << 20;
    /// A checksum-database tile: at most 256 hashes of 32 bytes.
    pub const TILE: u64 = 256 * 32;
    /// `cache/vcs/<hash>.info` and a repository's config.
    pub const VCS_TEXT: u64 = 1 << 20;
}

/// Why a file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The path is a symlink; modlens never follows links in a cache.
    #[error("{0} is a symlink; modlens does not follow links in a module cache")]
    Symlink(PathBuf),
    /// Not a regular file: a directory, FIFO, socket or device.
    #[error("{path} is not a regular file but a {kind}")]
    NotRegular {
        /// The path concerned.
        path: PathBuf,
        /// What it is.
        kind: &'static str,
    },
    /// Larger than the cap for its kind.
    #[error("{path} is too large: {size} bytes, more than the {cap} modlens reads")]
    TooLarge {
        /// The path concerned.
        path: PathBuf,
        /// Its size.
        size: u64,
        /// The cap.
        cap: u64,
    },
    /// Any other I/O error.
    #[error("{path}: {source}")]
    Io {
        /// The path concerned.
        path: PathBuf,
        /// The error.
        source: io::Error,
    },
}

impl ReadError {
    /// Whether the file does not exist.
    pub fn is_not_found(&self) -> bool {
        matches!(self, ReadError::Io { source, .. } if source.kind() == io::ErrorKind::NotFound)
    }
}

impl From<ReadError> for io::Error {
    fn from(err: ReadError) -> io::Error {
        match err {
            ReadError::Io { source, .. } => source,
            other => io::Error::other(other.to_string()),
        }
    }
}

/// A name for a file type, for messages.
pub fn type_name(kind: FileType) -> &'static str {
    match kind {
        FileType::RegularFile => "regular file",
        FileType::Directory => "directory",
        FileType::Symlink => "symlink",
        FileType::Fifo => "FIFO",
        FileType::Socket => "socket",
        FileType::CharacterDevice => "character device",
        FileType::BlockDevice => "block device",
        FileType::Unknown => "file of unknown type",
    }
}

/// Opens the regular file `path` for reading (see the module doc).
pub fn open(path: &Path) -> Result<File, ReadError> {
    open_at(rustix::fs::CWD, path, path)
}

/// Opens the regular file `name`, relative to the directory `dir`, for reading; `shown` names
/// it in errors.
pub fn open_at(
    dir: impl AsFd,
    name: impl rustix::path::Arg + Copy,
    shown: &Path,
) -> Result<File, ReadError> {
    open_noting(dir, name, shown).map(|(file, _)| file)
}

/// [`open_at`], also saying whether the file was opened without `O_NOATIME` (the kernel
/// refused it: modlens does not own the file), so that reading it may move its access time.
fn open_noting(
    dir: impl AsFd,
    name: impl rustix::path::Arg + Copy,
    shown: &Path,
) -> Result<(File, bool), ReadError> {
    let flags = OFlags::RDONLY | OFlags::CLOEXEC | OFlags::NOFOLLOW | OFlags::NONBLOCK;
    let io = |e: rustix::io::Errno| ReadError::Io {
        path: shown.to_path_buf(),
        source: e.into(),
    };
    let mut moves_atime = !cfg!(target_os = "linux");
    let opened = {
        #[cfg(target_os = "linux")]
        {
            match openat(&dir, name, flags | OFlags::NOATIME, Mode::empty()) {
                Err(rustix::io::Errno::PERM) => {
                    moves_atime = true;
                    openat(&dir, name, flags, Mode::empty())
                }
                other => other,
            }
        }
        #[cfg(not(target_os = "linux"))]
        {
            openat(&dir, name, flags, Mode::empty())
        }
    };
    let fd = match opened {
        Ok(fd) => fd,
        Err(rustix::io::Errno::LOOP) => return Err(ReadError::Symlink(shown.to_path_buf())),
        Err(e) => return Err(io(e)),
    };
    let kind = FileType::from_raw_mode(fstat(&fd).map_err(io)?.st_mode);
    if kind != FileType::RegularFile {
        return Err(ReadError::NotRegular {
            path: shown.to_path_buf(),
            kind: type_name(kind),
        });
    }
    Ok((fd.into(), moves_atime))
}

/// Reads the regular file `path` whole, if it is at most `cap` bytes. A read that may move
/// the access time is noted ([`super::atimes`]).
pub fn read_capped(path: &Path, cap: u64) -> Result<Vec<u8>, ReadError> {
    let (file, moves_atime) = open_noting(rustix::fs::CWD, path, path)?;
    let io = |source| ReadError::Io {
        path: path.to_path_buf(),
        source,
    };
    let meta = file.metadata().map_err(io)?;
    let size = meta.len();
    let before = meta.accessed().ok().filter(|_| moves_atime);
    if size > cap {
        return Err(ReadError::TooLarge {
            path: path.to_path_buf(),
            size,
            cap,
        });
    }
    let mut buf = Vec::with_capacity(size as usize);
    // The file may grow after fstat; one byte past the cap tells.
    (&file).take(cap + 1).read_to_end(&mut buf).map_err(io)?;
    if let Some(before) = before
        && let Ok(after) = file.metadata().and_then(|m| m.accessed())
    {
        super::atimes::note(path, super::atimes::Moved { before, after });
    }
    if buf.len() as u64 > cap {
        return Err(ReadError::TooLarge {
            path: path.to_path_buf(),
            size: buf.len() as u64,
            cap,
        });
    }
    Ok(buf)
}

/// [`read_capped`] for a file outside the cache (a project's go.sum), whose path may go through
/// links: they are resolved first; the file itself must still be regular and within the cap.
pub fn read_outside_capped(path: &Path, cap: u64) -> Result<Vec<u8>, ReadError> {
    let real = std::fs::canonicalize(path).map_err(|source| ReadError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    read_capped(&real, cap)
}

/// [`read_capped`] as UTF-8 text (invalid sequences replaced).
pub fn read_text(path: &Path, cap: u64) -> Result<String, ReadError> {
    read_capped(path, cap).map(|b| String::from_utf8_lossy(&b).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn special_files_links_and_big_files_are_refused_without_reading() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        rustix::fs::mknodat(
            rustix::fs::CWD,
            &fifo,
            FileType::Fifo,
            Mode::from_raw_mode(0o644),
            0,
        )
        .unwrap();
        assert!(matches!(
            read_capped(&fifo, 10),
            Err(ReadError::NotRegular { kind: "FIFO", .. })
        ));
        let link = dir.path().join("zero");
        std::os::unix::fs::symlink("/dev/zero", &link).unwrap();
        assert!(matches!(read_capped(&link, 10), Err(ReadError::Symlink(_))));
        let sparse = dir.path().join("sparse");
        File::create(&sparse).unwrap().set_len(8 << 30).unwrap();
        assert!(matches!(
            read_capped(&sparse, cap::ZIPHASH),
            Err(ReadError::TooLarge { size, .. }) if size == 8 << 30
        ));
        std::fs::write(dir.path().join("ok"), "h1:x").unwrap();
        assert_eq!(read_capped(&dir.path().join("ok"), 4).unwrap(), b"h1:x");
        assert!(
            read_capped(&dir.path().join("missing"), 4)
                .unwrap_err()
                .is_not_found()
        );
    }
}
