//! Measuring files and trees the way `du` does, without following symlinks.
//!
//! Sizes are taken from `lstat`, so a symlink counts as itself and is never followed out of the
//! cache. Hard-linked files are counted once per scan through an [`InodeSet`] shared by all
//! scanning threads; only inodes with more than one link are remembered, so memory stays
//! proportional to the (usually zero) number of hard links, not to the number of files.

use std::collections::HashSet;
use std::fs::Metadata;
use std::path::Path;
use std::sync::Mutex;
use std::time::SystemTime;

use sha2::{Digest, Sha256};
use walkdir::WalkDir;

use super::entry::Usage;

/// Inodes with several links that were already counted in this scan.
#[derive(Debug, Default)]
pub struct InodeSet {
    seen: Mutex<HashSet<(u64, u64)>>,
}

impl InodeSet {
    /// The usage of one directory entry, given its `lstat` metadata. A non-directory with
    /// several links contributes nothing after its first sighting.
    pub fn usage(&self, meta: &Metadata) -> Usage {
        let is_dir = meta.is_dir();
        if !is_dir && !self.first_sighting(meta) {
            return Usage::default();
        }
        Usage {
            disk: disk_bytes(meta),
            apparent: meta.len(),
            files: u64::from(!is_dir),
        }
    }

    #[cfg(unix)]
    fn first_sighting(&self, meta: &Metadata) -> bool {
        use std::os::unix::fs::MetadataExt;
        if meta.nlink() <= 1 {
            return true;
        }
        // A poisoned lock only means another scanning thread panicked; the set is still valid.
        let mut seen = self
            .seen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        seen.insert((meta.dev(), meta.ino()))
    }

    #[cfg(not(unix))]
    fn first_sighting(&self, _meta: &Metadata) -> bool {
        true
    }
}

#[cfg(unix)]
fn disk_bytes(meta: &Metadata) -> u64 {
    use std::os::unix::fs::MetadataExt;
    meta.blocks() * 512
}

#[cfg(not(unix))]
fn disk_bytes(meta: &Metadata) -> u64 {
    meta.len()
}

/// The result of measuring one path and everything below it.
#[derive(Debug, Default)]
pub struct Measured {
    /// Space used.
    pub usage: Usage,
    /// Modification time of the path itself.
    pub mtime: Option<SystemTime>,
    /// The first error met, with the path it concerns.
    pub error: Option<String>,
}

/// Measures `path` and, if it is a directory, everything below it. Symlinks are counted as
/// themselves and never followed. Errors do not stop the walk; the first one is kept.
pub fn measure(path: &Path, inodes: &InodeSet) -> Measured {
    measure_folding(path, inodes, None)
}

/// [`measure`], folding every entry's name and state into `fingerprint` (see [`fold_stat`]).
pub fn measure_folding(
    path: &Path,
    inodes: &InodeSet,
    mut fingerprint: Option<&mut Sha256>,
) -> Measured {
    let mut out = Measured::default();
    // walkdir follows a symlink given as the root unless told not to.
    // A mount below the cache is another file system's space, never the cache's (`du -x`).
    for item in WalkDir::new(path)
        .follow_links(false)
        .follow_root_links(false)
        .same_file_system(true)
    {
        let entry = match item {
            Ok(entry) => entry,
            Err(err) => {
                out.error
                    .get_or_insert_with(|| describe_walk_error(&err, path));
                continue;
            }
        };
        let meta = match entry.metadata() {
            Ok(meta) => meta,
            Err(err) => {
                out.error
                    .get_or_insert_with(|| describe_walk_error(&err, path));
                continue;
            }
        };
        if entry.depth() == 0 {
            out.mtime = meta.modified().ok();
        }
        if let Some(h) = fingerprint.as_deref_mut() {
            use std::os::unix::ffi::OsStrExt;
            let rel = entry.path().strip_prefix(path).unwrap_or(entry.path());
            fold_stat(h, rel.as_os_str().as_bytes(), &meta);
        }
        out.usage.add(inodes.usage(&meta));
    }
    out
}

/// Folds what tells a file's state apart into `hasher`: its name, type and mode, inode, size,
/// and modification and change times to the nanosecond. An edit that keeps the size and puts
/// the modification time back still changes the change time; a file replaced by a rename has
/// another inode.
pub fn fold_stat(hasher: &mut Sha256, name: &[u8], meta: &Metadata) {
    use std::os::unix::fs::MetadataExt;
    hasher.update((name.len() as u64).to_le_bytes());
    hasher.update(name);
    for n in [
        u64::from(meta.mode()),
        meta.dev(),
        meta.ino(),
        meta.size(),
        meta.mtime() as u64,
        meta.mtime_nsec() as u64,
        meta.ctime() as u64,
        meta.ctime_nsec() as u64,
    ] {
        hasher.update(n.to_le_bytes());
    }
}

/// Measures only `path` itself, not what is below it.
pub fn measure_top(path: &Path, inodes: &InodeSet) -> Measured {
    match std::fs::symlink_metadata(path) {
        Ok(meta) => Measured {
            usage: inodes.usage(&meta),
            mtime: meta.modified().ok(),
            error: None,
        },
        Err(err) => Measured {
            error: Some(format!("{}: {err}", path.display())),
            ..Measured::default()
        },
    }
}

fn describe_walk_error(err: &walkdir::Error, root: &Path) -> String {
    let at = err.path().unwrap_or(root).display();
    match err.io_error() {
        Some(io) => format!("{at}: {io}"),
        None => format!("{at}: {err}"),
    }
}

/// One file or directory of an extracted tree, for the drill-down view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeItem {
    /// The path relative to the tree, `/`-separated.
    pub rel: String,
    /// Whether it is a directory (its usage then includes everything below it).
    pub is_dir: bool,
    /// Its space, with everything below it for a directory.
    pub usage: Usage,
}

/// Every file and directory below `tree`, each directory with the total of what it holds,
/// largest first on disk. Links are listed as themselves, never followed. Stops after `limit`
/// items (a huge tree is summarised, not listed whole).
pub fn tree_items(tree: &Path, limit: usize) -> Vec<TreeItem> {
    use std::collections::HashMap;
    let inodes = InodeSet::default();
    let mut items: Vec<TreeItem> = Vec::new();
    let mut dirs: HashMap<String, usize> = HashMap::new();
    for entry in WalkDir::new(tree)
        .min_depth(1)
        .follow_links(false)
        .follow_root_links(false)
        .same_file_system(true)
        .into_iter()
        .flatten()
    {
        let Ok(meta) = entry.metadata() else {
            continue;
        };
        let rel = entry
            .path()
            .strip_prefix(tree)
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default();
        let usage = inodes.usage(&meta);
        // Add this entry's space to every directory above it.
        let mut parent = rel.as_str();
        while let Some((up, _)) = parent.rsplit_once('/') {
            if let Some(&i) = dirs.get(up) {
                items[i].usage.add(usage);
            }
            parent = up;
        }
        if items.len() < limit {
            if meta.is_dir() {
                dirs.insert(rel.clone(), items.len());
            }
            items.push(TreeItem {
                rel,
                is_dir: meta.is_dir(),
                usage,
            });
        }
    }
    items.sort_by(|a, b| {
        b.usage
            .disk
            .cmp(&a.usage.disk)
            .then_with(|| a.rel.cmp(&b.rel))
    });
    items
}
