//! How the file system holding the cache records access times.
//!
//! modlens reports the access time of `<v>.mod` as "last used". On a file system mounted
//! `noatime` that value is frozen at creation and means nothing; with `relatime` (Linux's
//! default) it is updated at most once a day, which is enough to tell stale versions. This module
//! reads `/proc/self/mountinfo` to tell which case applies.

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

/// The atime mode of the mount that holds `path` (which should be canonical).
pub fn atime_mode(path: &Path) -> AtimeMode {
    match std::fs::read_to_string("/proc/self/mountinfo") {
        Ok(text) => mode_from_mountinfo(&text, path),
        Err(_) => AtimeMode::Unknown,
    }
}

fn mode_from_mountinfo(mountinfo: &str, path: &Path) -> AtimeMode {
    let mut best: Option<(usize, AtimeMode)> = None;
    for line in mountinfo.lines() {
        // Fields: id parent major:minor root mount-point options ...
        let mut fields = line.split(' ');
        let (Some(mount_point), Some(options)) = (fields.nth(4), fields.next()) else {
            continue;
        };
        let mount_point = unescape_octal(mount_point);
        if !path.starts_with(&mount_point) {
            continue;
        }
        let mode = if options.split(',').any(|o| o == "noatime") {
            AtimeMode::Never
        } else if options.split(',').any(|o| o == "relatime") {
            AtimeMode::Relative
        } else {
            AtimeMode::Strict
        };
        // Later lines with the same mount point are mounts stacked on top: they win.
        if best.is_none_or(|(len, _)| mount_point.len() >= len) {
            best = Some((mount_point.len(), mode));
        }
    }
    best.map_or(AtimeMode::Unknown, |(_, mode)| mode)
}

/// mountinfo writes space, tab, newline and backslash as `\ooo`.
fn unescape_octal(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\'
            && i + 3 < bytes.len()
            && let Some(v) = std::str::from_utf8(&bytes[i + 1..i + 4])
                .ok()
                .and_then(|d| u8::from_str_radix(d, 8).ok())
        {
            out.push(v);
            i += 4;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    const MOUNTINFO: &str = "\
22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw
30 22 0:40 / /home/u/go rw,noatime shared:2 - ext4 /dev/vdb rw
31 22 0:41 / /mnt/with\\040space rw,nosuid shared:3 - tmpfs tmpfs rw
";

    #[test]
    fn the_longest_mount_point_decides() {
        let mode = |p: &str| mode_from_mountinfo(MOUNTINFO, Path::new(p));
        assert_eq!(mode("/home/u/go/pkg/mod"), AtimeMode::Never);
        assert_eq!(mode("/home/u/gopath"), AtimeMode::Relative);
        assert_eq!(mode("/mnt/with space/mod"), AtimeMode::Strict);
    }
}
