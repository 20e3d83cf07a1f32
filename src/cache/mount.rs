//! How the file system holding the cache records access times.
//!
//! modlens reports the access time of `<v>.mod` as "last used". On a file system mounted
//! `noatime` that value is frozen at creation and means nothing; with `relatime` (Linux's
//! default) it is updated at most once a day, which is enough to tell stale versions. The
//! kernel's mount flags (`statvfs`) tell which case applies.

use std::path::Path;

/// How access times are maintained where the cache lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AtimeMode {
    /// Every read updates atime.
    Strict,
    /// atime is updated when older than mtime or than a day (Linux's default).
    Relative,
    /// atime is never updated, so "last used" means nothing.
    Never,
    /// The mount options could not be read (not Linux, or no /proc).
    Unknown,
}

impl AtimeMode {
    /// The stable name used in JSON.
    pub fn name(self) -> &'static str {
        match self {
            AtimeMode::Strict => "strictatime",
            AtimeMode::Relative => "relatime",
            AtimeMode::Never => "noatime",
            AtimeMode::Unknown => "unknown",
        }
    }
}

/// The atime mode of the mount that holds `path`, from the kernel's mount flags
/// (`statvfs`'s `ST_NOATIME` and `ST_RELATIME`).
pub fn atime_mode(path: &Path) -> AtimeMode {
    use rustix::fs::StatVfsMountFlags as Flags;
    match rustix::fs::statvfs(path) {
        Ok(vfs) if vfs.f_flag.contains(Flags::NOATIME) => AtimeMode::Never,
        Ok(vfs) if vfs.f_flag.contains(Flags::RELATIME) => AtimeMode::Relative,
        Ok(_) => AtimeMode::Strict,
        Err(_) => AtimeMode::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mount_the_kernel_reports_has_a_known_mode_and_a_missing_path_has_none() {
        assert_ne!(atime_mode(Path::new("/")), AtimeMode::Unknown);
        assert_eq!(
            atime_mode(Path::new("/no/such/directory/anywhere")),
            AtimeMode::Unknown
        );
    }
}
