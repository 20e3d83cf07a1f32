//! The trash: module versions moved aside by `clean --trash`, kept until restored or emptied.
//!
//! The trash lives inside the cache, at `cache/modlens-trash/`, so that moving a version there
//! is a rename on the same filesystem and never a copy. go never looks there: every name under
//! `cache/` that go reads is fixed (`download`, `vcs`, `lock`), and no module path can start
//! with `cache/` because a module path's first element has a dot. `go clean -modcache` removes
//! it with the rest of the cache.
//!
//! Each trashed version is one directory, `<id>`, named by the time it was trashed, holding a
//! `manifest.json` (the module version, when, the tree's permission bits and whether go had
//! marked it `.partial`), the pieces moved there by rename (`tree`, `zip`, `ziphash`, `mod`,
//! `info`), and a `done` marker written last. An entry without `done` is one whose move was
//! interrupted: the rest of the version is still in the cache, marked `.partial`. This module
//! only reads the trash; `fix::trash` changes it.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use super::entry::Usage;
use super::layout::{ModCache, VersionFile};
use super::measure::{InodeSet, measure};
use super::module::{ModuleKey, escape};
use super::read;

/// The trash directory's name inside `cache/`.
pub const TRASH_DIR: &str = "modlens-trash";
/// The manifest's name inside an entry.
pub const MANIFEST: &str = "manifest.json";
/// The marker written once every piece has moved.
pub const DONE: &str = "done";
/// The largest manifest modlens reads.
const MANIFEST_CAP: u64 = 64 << 10;

/// One piece of a version, as it is named inside a trash entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Piece {
    /// The extracted tree.
    Tree,
    /// `<v>.zip`.
    Zip,
    /// `<v>.ziphash`.
    Ziphash,
    /// `<v>.mod`.
    Mod,
    /// `<v>.info`.
    Info,
}

impl Piece {
    /// Every piece, in the order a move to the trash takes them: the zip before the tree, so
    /// that an interrupted move never leaves a zip go would extract again over a half tree, and
    /// `.mod`/`.info` last, so that go lists the version as long as any of it is left.
    pub const MOVE_ORDER: [Piece; 5] = [
        Piece::Zip,
        Piece::Ziphash,
        Piece::Tree,
        Piece::Info,
        Piece::Mod,
    ];

    /// The piece's name inside a trash entry.
    pub fn name(self) -> &'static str {
        match self {
            Piece::Tree => "tree",
            Piece::Zip => "zip",
            Piece::Ziphash => "ziphash",
            Piece::Mod => "mod",
            Piece::Info => "info",
        }
    }

    /// Where the piece of `key` lives in the cache.
    pub fn cache_path(self, cache: &ModCache, key: &ModuleKey) -> PathBuf {
        match self {
            Piece::Tree => cache.tree_dir(key),
            Piece::Zip => cache.version_file(key, VersionFile::Zip),
            Piece::Ziphash => cache.version_file(key, VersionFile::Ziphash),
            Piece::Mod => cache.version_file(key, VersionFile::Mod),
            Piece::Info => cache.version_file(key, VersionFile::Info),
        }
    }
}

/// What `manifest.json` records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// The module path.
    pub path: String,
    /// The version.
    pub version: String,
    /// When it was trashed, in seconds since the Unix epoch.
    pub trashed_at: u64,
    /// The permission bits of the tree's top directory in the cache, restored with it.
    pub tree_mode: Option<u32>,
    /// Whether go had marked the tree `.partial` (incompletely extracted) before the move.
    pub was_partial: bool,
}

impl Manifest {
    /// The module version, checked the way names found in the cache are: a manifest cannot
    /// name a path go could not have written.
    pub fn key(&self) -> Option<ModuleKey> {
        ModuleKey::from_escaped_any_major(&escape(&self.path), &escape(&self.version)).ok()
    }

    /// When it was trashed; `None` for a time no clock can hold (a forged manifest).
    pub fn trashed_at(&self) -> Option<SystemTime> {
        SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(self.trashed_at))
    }

    /// The mode to give the restored tree: go's read-only or writable directory mode, never
    /// set-id or sticky bits or write access for others, whatever the manifest says.
    pub fn safe_tree_mode(&self) -> Option<u32> {
        self.tree_mode.map(|mode| (mode & 0o755) | 0o500)
    }
}

/// One entry of the trash as found on disk.
#[derive(Debug, Clone)]
pub struct TrashEntry {
    /// The entry's directory name.
    pub id: String,
    /// Its manifest, or why it could not be read.
    pub manifest: Result<Manifest, String>,
    /// The module version the manifest names (`None` when the manifest is unusable).
    pub key: Option<ModuleKey>,
    /// The pieces it holds.
    pub pieces: Vec<Piece>,
    /// Whether every piece moved (the `done` marker is there).
    pub done: bool,
    /// Its size on disk.
    pub usage: Usage,
}

impl TrashEntry {
    /// When it was trashed, from its manifest; `None` when that is unknown.
    pub fn trashed_at(&self) -> Option<SystemTime> {
        self.manifest.as_ref().ok().and_then(Manifest::trashed_at)
    }

    /// The entry's directory.
    pub fn dir(&self, cache: &ModCache) -> PathBuf {
        cache.root().join(self.rel_dir())
    }

    /// The entry's directory relative to the cache root, `cache/modlens-trash/<id>`.
    pub fn rel_dir(&self) -> PathBuf {
        Path::new("cache").join(TRASH_DIR).join(&self.id)
    }
}

/// `cache/modlens-trash`.
pub fn trash_root(cache: &ModCache) -> PathBuf {
    cache.root().join("cache").join(TRASH_DIR)
}

/// Reads every entry of the trash, oldest first; a missing trash is an empty one. Entries that
/// cannot be understood are listed with the reason, never skipped: they take space too.
pub fn read_trash(cache: &ModCache) -> Result<Vec<TrashEntry>, std::io::Error> {
    let root = trash_root(cache);
    match fs::symlink_metadata(&root) {
        Ok(meta) if !meta.is_dir() => {
            return Err(std::io::Error::other(
                "not a directory (modlens never follows links in a cache)",
            ));
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        _ => {}
    }
    let children = match fs::read_dir(&root) {
        Ok(c) => c,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let inodes = InodeSet::default();
    let mut entries: Vec<TrashEntry> = children
        .flatten()
        .filter_map(|child| {
            let id = child.file_name().to_str()?.to_owned();
            Some(read_entry(&child.path(), id, &inodes))
        })
        .collect();
    entries.sort_by(|a, b| a.trashed_at().cmp(&b.trashed_at()).then(a.id.cmp(&b.id)));
    Ok(entries)
}

fn read_entry(dir: &Path, id: String, inodes: &InodeSet) -> TrashEntry {
    let usage = measure(dir, inodes).usage;
    let is_dir = fs::symlink_metadata(dir).is_ok_and(|m| m.is_dir());
    let manifest = if is_dir {
        read_manifest(&dir.join(MANIFEST))
    } else {
        Err("not a directory".to_owned())
    };
    let key = manifest.as_ref().ok().and_then(Manifest::key);
    let manifest = match (manifest, &key) {
        (Ok(_), None) => Err(format!("{MANIFEST} names no valid module version")),
        (m, _) => m,
    };
    let present = |name: &str| is_dir && fs::symlink_metadata(dir.join(name)).is_ok();
    let pieces = Piece::MOVE_ORDER
        .into_iter()
        .filter(|p| present(p.name()))
        .collect();
    TrashEntry {
        done: present(DONE),
        id,
        manifest,
        key,
        pieces,
        usage,
    }
}

/// Reads and parses a manifest, within a cap, never through a link.
pub fn read_manifest(path: &Path) -> Result<Manifest, String> {
    let bytes = read::read_capped(path, MANIFEST_CAP).map_err(|e| e.to_string())?;
    serde_json::from_slice(&bytes).map_err(|e| format!("{}: {e}", path.display()))
}

/// The size of the trash's entries (zero when there is none). The `modlens-trash` directory
/// itself is not counted: it stays when the trash is empty, and counts as shared space.
pub fn trash_usage(cache: &ModCache, inodes: &InodeSet) -> Usage {
    let mut usage = Usage::default();
    if let Ok(children) = fs::read_dir(trash_root(cache)) {
        for child in children.flatten() {
            usage.add(measure(&child.path(), inodes).usage);
        }
    }
    usage
}

/// The version a trash entry's directory (`cache/modlens-trash/<id>`, relative to the root)
/// holds, from its manifest.
pub fn entry_key(cache: &ModCache, rel: &Path) -> Option<ModuleKey> {
    let id = rel.strip_prefix(Path::new("cache").join(TRASH_DIR)).ok()?;
    if id.components().count() != 1 {
        return None;
    }
    read_manifest(&cache.root().join(rel).join(MANIFEST))
        .ok()?
        .key()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manifest_cannot_name_a_path_go_could_not_write() {
        let manifest = |path: &str, version: &str| Manifest {
            path: path.into(),
            version: version.into(),
            trashed_at: 0,
            tree_mode: None,
            was_partial: false,
        };
        assert!(manifest("example.com/a", "v1.0.0").key().is_some());
        assert!(manifest("../../etc", "v1.0.0").key().is_none());
        assert!(manifest("example.com/a", "../v1").key().is_none());
        assert!(manifest("example.com/a", "latest").key().is_none());
    }
}
