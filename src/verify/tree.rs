//! Hashing an extracted module tree as go's `HashDir` does, without following symlinks.
//!
//! Every non-directory entry becomes the name `<path>@<version>/<relative path>`. go would open
//! a symlink and hash its target; modlens never follows links out of the cache, so a symlink is
//! hashed as its own target text, which no real file matches: the tree then reads as modified,
//! which it is, since go never extracts symlinks.

use std::path::Path;

use sha2::{Digest, Sha256};
use walkdir::WalkDir;

use super::hash::{FileDigest, sha256_reader};
use super::read;

/// What hashing a tree found.
#[derive(Debug, Clone, Default)]
pub struct TreeReport {
    /// Every file with its content digest, names prefixed with `path@version/`.
    pub files: Vec<FileDigest>,
    /// Bytes hashed.
    pub bytes: u64,
    /// Whether some directory has its owner write bit set: go makes trees read-only unless
    /// `-modcacherw` was used. (Files are not checked: it would cost a stat per file.)
    pub writable: bool,
    /// The first file that could not be read, with the reason; the hash is then unusable.
    pub error: Option<String>,
}

/// Hashes the tree at `dir` with `prefix` = `path@version` (unescaped).
pub fn hash_tree(dir: &Path, prefix: &str) -> TreeReport {
    let mut report = TreeReport::default();
    for item in WalkDir::new(dir)
        .follow_links(false)
        .follow_root_links(false)
    {
        let entry = match item {
            Ok(e) => e,
            Err(err) => {
                report.error.get_or_insert_with(|| err.to_string());
                continue;
            }
        };
        if entry.file_type().is_dir() {
            report.writable |= entry.metadata().is_ok_and(|m| is_writable(&m));
            continue;
        }
        let mut name = Vec::with_capacity(prefix.len() + 32);
        name.extend_from_slice(prefix.as_bytes());
        for part in entry
            .path()
            .strip_prefix(dir)
            .unwrap_or(entry.path())
            .components()
        {
            name.push(b'/');
            name.extend_from_slice(os_bytes(part.as_os_str()));
        }
        let digest = if entry.file_type().is_symlink() {
            let target = std::fs::read_link(entry.path()).unwrap_or_default();
            Sha256::digest(os_bytes(target.as_os_str())).into()
        } else {
            match read::open(entry.path()).and_then(sha256_reader) {
                Ok((digest, n)) => {
                    report.bytes += n;
                    digest
                }
                Err(err) => {
                    report
                        .error
                        .get_or_insert_with(|| format!("{}: {err}", entry.path().display()));
                    continue;
                }
            }
        };
        report.files.push(FileDigest { name, digest });
    }
    report
}

#[cfg(unix)]
fn is_writable(meta: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o200 != 0
}

#[cfg(not(unix))]
fn is_writable(meta: &std::fs::Metadata) -> bool {
    !meta.permissions().readonly()
}

#[cfg(unix)]
fn os_bytes(s: &std::ffi::OsStr) -> &[u8] {
    use std::os::unix::ffi::OsStrExt;
    s.as_bytes()
}

#[cfg(not(unix))]
fn os_bytes(s: &std::ffi::OsStr) -> &[u8] {
    s.to_str().unwrap_or_default().as_bytes()
}
