//! Opening cache files for reading without disturbing their access times.
//!
//! modlens reports the access time of `<v>.mod` as "last used", so verifying must not bump it.
//! On Linux files are opened with `O_NOATIME`, which also saves an inode write per file; the
//! kernel allows it only to the file's owner, so other files fall back to a plain open.

use std::fs::File;
use std::io;
use std::path::Path;

/// Opens `path` for reading, without updating its atime where the system allows it.
pub fn open(path: &Path) -> io::Result<File> {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::fs::OpenOptionsExt;
        match std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NOATIME)
            .open(path)
        {
            Err(e) if e.raw_os_error() == Some(libc::EPERM) => File::open(path),
            other => other,
        }
    }
    #[cfg(not(target_os = "linux"))]
    {
        File::open(path)
    }
}

/// Reads a small file whole (`.ziphash`, `.mod`, go.sum lookups), without touching its atime.
pub fn read_small(path: &Path) -> io::Result<Vec<u8>> {
    use std::io::Read;
    let mut buf = Vec::new();
    open(path)?.read_to_end(&mut buf)?;
    Ok(buf)
}
