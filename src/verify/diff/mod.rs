//! What changed in a version, to the byte: every file of its tree that differs from its entry
//! in the version's zip (once the zip is known intact, its `h1:` equal to `.ziphash`), or every
//! file of a changed zip that differs from an authentic copy's.
//!
//! A changed text file becomes a unified diff (`similar`); a binary or large one, both sizes
//! and the first offset where they differ, found by streaming both; an extra file, its head; a
//! missing one, its name and size. Everything is bounded: files are read up to a cap, diffs
//! stop after a number of lines, long lines are cut, so a huge or hostile file never floods
//! the terminal or the memory.

use std::path::Path;

use serde::Serialize;

mod shown;
mod sides;
mod text;
pub mod vendor;

use super::zipfile::{Scratch, check_zip};
use crate::cache::layout::VersionFile;
use crate::cache::read::{self, cap};
use crate::cache::{ModCache, ModuleKey};
pub use shown::Shown;
use sides::{Side, TreeSide, ZipSide};

/// How much a diff shows.
#[derive(Debug, Clone, Copy)]
pub struct DiffLimits {
    /// Files larger than this are compared as binary (sizes and first difference).
    pub text_bytes: u64,
    /// Lines of diff (or of an extra file's head) shown per file.
    pub lines: usize,
    /// Characters shown of one line.
    pub line_chars: usize,
}

impl Default for DiffLimits {
    fn default() -> Self {
        DiffLimits {
            text_bytes: 1 << 20,
            lines: 400,
            line_chars: 400,
        }
    }
}

/// How one file differs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Detail {
    /// A text file changed: its unified diff (`@@` hunk headers, then ` `, `-`, `+` lines).
    Text {
        /// The diff's lines, without the file header.
        lines: Vec<String>,
        /// Lines added and removed.
        added: usize,
        removed: usize,
        /// Whether lines were left out (the diff was longer than shown).
        truncated: bool,
    },
    /// A binary (or large) file changed.
    Binary {
        /// Its size in the zip and in the tree.
        authentic_bytes: u64,
        cached_bytes: u64,
        /// The first offset where they differ (the shorter one's end when one is a prefix).
        first_difference: u64,
    },
    /// A file the zip does not have.
    Extra {
        /// Its size.
        bytes: u64,
        /// Its first lines, when it is text.
        head: Vec<String>,
        /// Whether it is binary.
        binary: bool,
        /// Whether it has more than the head shows.
        truncated: bool,
    },
    /// A file of the zip the tree lacks.
    Missing {
        /// Its size in the zip.
        bytes: u64,
    },
    /// A file that could not be read (a link, a special file, no permission).
    Unreadable {
        /// Why.
        why: String,
    },
}

/// One file that differs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileDiff {
    /// Its path below the module root, escaped for display.
    pub name: String,
    /// How it differs.
    #[serde(flatten)]
    pub detail: Detail,
}

/// Why a diff could not be made.
#[derive(Debug, thiserror::Error)]
pub enum DiffError {
    /// The version has no zip or no tree in the cache.
    #[error("{0}")]
    Missing(String),
    /// The zip is not the one go downloaded: comparing the tree with it would mislead.
    #[error(
        "the zip of {key} is not the one go downloaded ({why}); the tree cannot be compared \
         with it"
    )]
    ZipChanged {
        /// The version.
        key: ModuleKey,
        /// What is wrong with it.
        why: String,
    },
    /// The zip could not be read.
    #[error("{0}")]
    Zip(String),
    /// The cache's zip, compared with an authentic copy, is not a zip at all.
    #[error("the cached zip cannot be read as a zip: {0}")]
    CachedNotAZip(String),
}

/// The files of `key`'s tree that differ from its zip, limited to the paths below any of
/// `only` (all when empty).
pub fn diff_tree(
    cache: &ModCache,
    key: &ModuleKey,
    only: &[String],
    limits: DiffLimits,
) -> Result<Vec<FileDiff>, DiffError> {
    let zip_path = cache.version_file(key, VersionFile::Zip);
    let tree = cache.tree_dir(key);
    if !zip_path.is_file() {
        return Err(DiffError::Missing(format!(
            "{key}: the cache has no zip to compare the tree with"
        )));
    }
    if !sides::is_real_dir(&tree) {
        return Err(DiffError::Missing(format!(
            "{key}: the cache has no tree (or a link where go writes a directory)"
        )));
    }
    check_intact(cache, key, &zip_path)?;
    let mut zip = ZipSide::open(&zip_path, &format!("{key}/")).map_err(DiffError::Zip)?;
    Ok(compare(&mut zip, &mut TreeSide::new(&tree), only, limits))
}

/// The files of the zip `changed` that differ from those of `authentic` (both zips of `key`),
/// limited as [`diff_tree`] is.
pub fn diff_zips(
    key: &ModuleKey,
    authentic: &Path,
    changed: &Path,
    only: &[String],
    limits: DiffLimits,
) -> Result<Vec<FileDiff>, DiffError> {
    let prefix = format!("{key}/");
    let mut old = ZipSide::open(authentic, &prefix).map_err(DiffError::Zip)?;
    let mut new = ZipSide::open(changed, &prefix).map_err(DiffError::CachedNotAZip)?;
    Ok(compare(&mut old, &mut new, only, limits))
}

/// The files of `key`'s tree in the cache that differ from those of the zip `authentic` (a
/// copy go downloaded afresh), for when the cache's own zip is missing or is no zip: limited
/// as [`diff_tree`] is.
pub fn diff_tree_with(
    cache: &ModCache,
    key: &ModuleKey,
    authentic: &Path,
    only: &[String],
    limits: DiffLimits,
) -> Result<Vec<FileDiff>, DiffError> {
    let tree = cache.tree_dir(key);
    if !sides::is_real_dir(&tree) {
        return Err(DiffError::Missing(format!(
            "{key}: the cache has no tree (or a link where go writes a directory)"
        )));
    }
    let mut zip = ZipSide::open(authentic, &format!("{key}/")).map_err(DiffError::Zip)?;
    Ok(compare(&mut zip, &mut TreeSide::new(&tree), only, limits))
}

/// Whether `key`'s zip in the cache is the one go downloaded; why not, if not.
pub fn zip_intact(cache: &ModCache, key: &ModuleKey) -> Result<(), DiffError> {
    check_intact(cache, key, &cache.version_file(key, VersionFile::Zip))
}

/// How `new` differs from `old`, file by file.
fn compare(
    old: &mut dyn Side,
    new: &mut dyn Side,
    only: &[String],
    limits: DiffLimits,
) -> Vec<FileDiff> {
    let wanted = |name: &str| {
        only.is_empty()
            || only.iter().any(|o| {
                let o = o.trim_end_matches('/');
                name == o || name.starts_with(&format!("{o}/"))
            })
    };
    let (old_files, new_files) = (old.files(), new.files());
    let mut names: Vec<&String> = old_files.keys().chain(new_files.keys()).collect();
    names.sort();
    names.dedup();
    let mut diffs = Vec::new();
    for name in names.into_iter().filter(|n| wanted(n)) {
        let detail = match (old_files.get(name), new_files.get(name)) {
            (Some(&bytes), None) => Some(Detail::Missing { bytes }),
            (None, Some(&bytes)) => Some(text::extra(new, name, bytes, limits)),
            (Some(&a), Some(&b)) => changed(old, new, name, (a, b), limits),
            (None, None) => None,
        };
        if let Some(detail) = detail {
            diffs.push(FileDiff {
                name: crate::cache::fmt::escaped(name.as_bytes()),
                detail,
            });
        }
    }
    diffs
}

/// How `name` differs between the sides (of sizes `old_bytes`, `new_bytes`), or `None`.
fn changed(
    old: &mut dyn Side,
    new: &mut dyn Side,
    name: &str,
    (old_bytes, new_bytes): (u64, u64),
    limits: DiffLimits,
) -> Option<Detail> {
    let unreadable = |why: String| Some(Detail::Unreadable { why });
    if old_bytes <= limits.text_bytes && new_bytes <= limits.text_bytes {
        let a = match old.read(name, limits.text_bytes) {
            Ok(a) => a,
            Err(why) => return unreadable(why),
        };
        let b = match new.read(name, limits.text_bytes) {
            Ok(b) => b,
            Err(why) => return unreadable(why),
        };
        if a == b {
            return None;
        }
        if let (Some(x), Some(y)) = (text::as_text(&a), text::as_text(&b)) {
            return Some(text::text_diff(x, y, limits));
        }
        return Some(Detail::Binary {
            authentic_bytes: old_bytes,
            cached_bytes: new_bytes,
            first_difference: text::first_difference(&a[..], &b[..]).unwrap_or(0),
        });
    }
    let offset = {
        let a = match old.open(name) {
            Ok(a) => a,
            Err(why) => return unreadable(why),
        };
        let b = match new.open(name) {
            Ok(b) => b,
            Err(why) => return unreadable(why),
        };
        text::first_difference(a, b)
    };
    if offset.is_none() && old_bytes == new_bytes {
        return None;
    }
    Some(Detail::Binary {
        authentic_bytes: old_bytes,
        cached_bytes: new_bytes,
        first_difference: offset.unwrap_or(old_bytes.min(new_bytes)),
    })
}

/// Fails unless the zip's `h1:` is the one `.ziphash` recorded when go downloaded it.
fn check_intact(cache: &ModCache, key: &ModuleKey, zip: &Path) -> Result<(), DiffError> {
    let changed = |why: String| DiffError::ZipChanged {
        key: key.clone(),
        why,
    };
    let recorded = read::read_text(&cache.version_file(key, VersionFile::Ziphash), cap::ZIPHASH)
        .map_err(|e| changed(format!("its .ziphash cannot be read: {e}")))?;
    let report = Scratch::with(|scratch| check_zip(zip, key, scratch, false))
        .map_err(|e| changed(e.to_string()))?;
    match report.h1 {
        Some(h1) if h1.to_string() == recorded.trim() => Ok(()),
        Some(h1) => Err(changed(format!(
            "it hashes to {h1}, .ziphash says {}",
            recorded.trim()
        ))),
        None => Err(changed("it cannot be hashed".into())),
    }
}
