//! What changed in a version's tree, to the byte: every file that differs from its entry in the
//! version's zip (once the zip is known intact, its `h1:` equal to `.ziphash`).
//!
//! A changed text file becomes a unified diff (`similar`); a binary or large one, both sizes
//! and the first offset where they differ, found by streaming both; an extra file, its head; a
//! missing one, its name and size. Everything is bounded: files are read up to a cap, diffs
//! stop after a number of lines, long lines are cut, so a huge or hostile file never floods
//! the terminal or the memory.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::zipfile::{Scratch, check_zip};
use crate::cache::layout::VersionFile;
use crate::cache::read::{self, cap};
use crate::cache::{ModCache, ModuleKey};

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
        zip_bytes: u64,
        tree_bytes: u64,
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
    if !tree.is_dir() {
        return Err(DiffError::Missing(format!("{key}: the cache has no tree")));
    }
    check_intact(cache, key, &zip_path)?;
    let prefix = format!("{key}/");
    let file = File::open(&zip_path)
        .map_err(|e| DiffError::Zip(format!("{}: {e}", zip_path.display())))?;
    let mut archive = zip::ZipArchive::new(file)
        .map_err(|e| DiffError::Zip(format!("{}: {e}", zip_path.display())))?;
    let mut in_zip: BTreeMap<String, (usize, u64)> = BTreeMap::new();
    for i in 0..archive.len() {
        let Ok(entry) = archive.by_index_raw(i) else {
            continue;
        };
        let Ok(name) = entry.name() else {
            continue;
        };
        if let Some(rel) = name.strip_prefix(&prefix)
            && !rel.ends_with('/')
        {
            in_zip.insert(rel.to_owned(), (i, entry.size()));
        }
    }
    let in_tree = tree_files(&tree);
    let wanted = |name: &str| {
        only.is_empty()
            || only.iter().any(|o| {
                let o = o.trim_end_matches('/');
                name == o || name.starts_with(&format!("{o}/"))
            })
    };
    let mut names: Vec<&String> = in_zip.keys().chain(in_tree.keys()).collect();
    names.sort();
    names.dedup();
    let mut diffs = Vec::new();
    for name in names.into_iter().filter(|n| wanted(n)) {
        let shown = crate::cache::fmt::escaped(name.as_bytes());
        let detail = match (in_zip.get(name), in_tree.get(name)) {
            (Some(&(_, bytes)), None) => Some(Detail::Missing { bytes }),
            (None, Some(path)) => Some(extra(path, limits)),
            (Some(&(index, _)), Some(path)) => changed(&mut archive, index, path, limits),
            (None, None) => None,
        };
        if let Some(detail) = detail {
            diffs.push(FileDiff {
                name: shown,
                detail,
            });
        }
    }
    Ok(diffs)
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

/// Every regular file below `tree` (links and special files too, which never match a zip
/// entry), by its path relative to `tree`. Links are never followed.
fn tree_files(tree: &Path) -> BTreeMap<String, PathBuf> {
    walkdir::WalkDir::new(tree)
        .follow_links(false)
        .same_file_system(true)
        .into_iter()
        .flatten()
        .filter(|e| !e.file_type().is_dir())
        .filter_map(|e| {
            let rel = e.path().strip_prefix(tree).ok()?.to_str()?.to_owned();
            Some((rel, e.path().to_path_buf()))
        })
        .collect()
}

/// How the tree's `path` differs from zip entry `index`, or `None` when it does not.
fn changed(
    archive: &mut zip::ZipArchive<File>,
    index: usize,
    path: &Path,
    limits: DiffLimits,
) -> Option<Detail> {
    let tree_bytes = match std::fs::symlink_metadata(path) {
        Ok(m) if m.is_file() => m.len(),
        Ok(_) => {
            return Some(Detail::Unreadable {
                why: "not a regular file (a link or a special file) where the zip has a file"
                    .into(),
            });
        }
        Err(e) => return Some(Detail::Unreadable { why: e.to_string() }),
    };
    let mut entry = archive.by_index(index).ok()?;
    let zip_bytes = entry.size();
    if zip_bytes <= limits.text_bytes && tree_bytes <= limits.text_bytes {
        let mut old = Vec::new();
        (&mut entry)
            .take(limits.text_bytes + 1)
            .read_to_end(&mut old)
            .ok()?;
        let new = match read::read_capped(path, limits.text_bytes) {
            Ok(new) => new,
            Err(e) => return Some(Detail::Unreadable { why: e.to_string() }),
        };
        if old == new {
            return None;
        }
        if let (Some(old_text), Some(new_text)) = (as_text(&old), as_text(&new)) {
            return Some(text_diff(old_text, new_text, limits));
        }
        return Some(Detail::Binary {
            zip_bytes,
            tree_bytes,
            first_difference: first_difference(&old[..], &new[..]).unwrap_or(0),
        });
    }
    let tree_file = match File::open(path) {
        Ok(file) => file,
        Err(e) => return Some(Detail::Unreadable { why: e.to_string() }),
    };
    let offset = first_difference(&mut entry, tree_file);
    if offset.is_none() && zip_bytes == tree_bytes {
        return None;
    }
    Some(Detail::Binary {
        zip_bytes,
        tree_bytes,
        first_difference: offset.unwrap_or(zip_bytes.min(tree_bytes)),
    })
}

/// The text of `bytes`, when it is text: UTF-8 without NUL bytes.
fn as_text(bytes: &[u8]) -> Option<&str> {
    std::str::from_utf8(bytes)
        .ok()
        .filter(|t| !t.contains('\0'))
}

/// The first offset where `a` and `b` differ, streaming both; `None` when they are equal (or
/// one is a prefix of the other, which the sizes then tell).
fn first_difference(mut a: impl Read, mut b: impl Read) -> Option<u64> {
    let (mut x, mut y) = (vec![0u8; 64 << 10], vec![0u8; 64 << 10]);
    let mut offset = 0u64;
    loop {
        let n = read_full(&mut a, &mut x);
        let m = read_full(&mut b, &mut y);
        let common = n.min(m);
        if let Some(i) = x[..common]
            .iter()
            .zip(&y[..common])
            .position(|(p, q)| p != q)
        {
            return Some(offset + i as u64);
        }
        if n != m {
            return Some(offset + common as u64);
        }
        if n == 0 {
            return None;
        }
        offset += n as u64;
    }
}

fn read_full(r: &mut impl Read, buf: &mut [u8]) -> usize {
    let mut filled = 0;
    while filled < buf.len() {
        match r.read(&mut buf[filled..]) {
            Ok(0) | Err(_) => break,
            Ok(n) => filled += n,
        }
    }
    filled
}

/// A line cut to `limit` characters.
fn cut(line: &str, limit: usize) -> String {
    match line.char_indices().nth(limit) {
        Some((at, _)) => format!("{}… ({} more bytes)", &line[..at], line.len() - at),
        None => line.to_owned(),
    }
}

fn text_diff(old: &str, new: &str, limits: DiffLimits) -> Detail {
    let diff = similar::TextDiff::configure()
        .timeout(std::time::Duration::from_secs(2))
        .diff_lines(old, new);
    let (mut added, mut removed) = (0, 0);
    let mut lines = Vec::new();
    for hunk in diff.unified_diff().context_radius(3).iter_hunks() {
        lines.push(hunk.header().to_string());
        for change in hunk.iter_changes() {
            let sign = match change.tag() {
                similar::ChangeTag::Equal => ' ',
                similar::ChangeTag::Delete => {
                    removed += 1;
                    '-'
                }
                similar::ChangeTag::Insert => {
                    added += 1;
                    '+'
                }
            };
            let text = change.value().trim_end_matches(['\n', '\r']);
            lines.push(format!("{sign}{}", cut(text, limits.line_chars)));
        }
    }
    let truncated = lines.len() > limits.lines;
    lines.truncate(limits.lines);
    Detail::Text {
        lines,
        added,
        removed,
        truncated,
    }
}

fn extra(path: &Path, limits: DiffLimits) -> Detail {
    let bytes = match std::fs::symlink_metadata(path) {
        Ok(m) if m.is_file() => m.len(),
        Ok(_) => {
            return Detail::Unreadable {
                why: "not a regular file (a link or a special file)".into(),
            };
        }
        Err(e) => return Detail::Unreadable { why: e.to_string() },
    };
    // The head only: enough lines, never the whole of a huge file.
    let head_bytes = (limits.lines * (limits.line_chars + 1)) as u64;
    let head = match read::read_capped(path, bytes.min(head_bytes)) {
        Ok(head) => head,
        Err(e) => return Detail::Unreadable { why: e.to_string() },
    };
    // A head cut inside a character is still text.
    let valid = match std::str::from_utf8(&head) {
        Ok(text) => Some(text),
        Err(e) if e.error_len().is_none() => std::str::from_utf8(&head[..e.valid_up_to()]).ok(),
        Err(_) => None,
    };
    match valid.filter(|t| !t.contains('\0')) {
        Some(text) => {
            let all: Vec<&str> = text.lines().collect();
            Detail::Extra {
                bytes,
                truncated: all.len() > limits.lines || (head.len() as u64) < bytes,
                head: all
                    .iter()
                    .take(limits.lines)
                    .map(|l| cut(l, limits.line_chars))
                    .collect(),
                binary: false,
            }
        }
        None => Detail::Extra {
            bytes,
            head: Vec::new(),
            binary: true,
            truncated: false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_difference_is_found_across_buffers() {
        let a = vec![7u8; 200_000];
        let mut b = a.clone();
        b[150_001] = 8;
        assert_eq!(first_difference(&a[..], &b[..]), Some(150_001));
        assert_eq!(first_difference(&a[..], &a[..]), None);
        assert_eq!(first_difference(&a[..], &a[..100]), Some(100));
    }

    #[test]
    fn text_diffs_count_and_cut() {
        let limits = DiffLimits {
            lines: 4,
            line_chars: 10,
            ..DiffLimits::default()
        };
        let Detail::Text {
            lines,
            added,
            removed,
            truncated,
        } = text_diff("a\nb\nc\n", "a\nB is a very long line\nc\n", limits)
        else {
            panic!("not text");
        };
        assert_eq!((added, removed), (1, 1));
        assert_eq!(lines[0], "@@ -1,3 +1,3 @@");
        assert!(lines.contains(&"-b".to_owned()));
        assert!(lines.iter().any(|l| l.starts_with("+B is a ver…")));
        assert!(truncated);
    }
}
