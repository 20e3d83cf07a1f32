//! Finding the module directories of a cache without reading any module's files.
//!
//! The first phase of a scan walks only the directories *between* the cache root and the module
//! data: the escaped-path directories leading to extracted trees (`<path>@<version>`) and to
//! `cache/download/<path>/@v`. It never descends into an extracted tree, because `a/b@v1` and
//! `a/b/c@v1` are siblings, never parent and child. Directories are read in parallel on the pool the scan
//! is handed, a level at a time, without recursion.
//! Anything found on the way that go would not have written becomes a leftover, and the inodes of
//! the directories walked are accounted as shared space, so that nothing goes uncounted.

use std::fs;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::entry::{Leftover, LeftoverKind, Usage};
use super::measure::{InodeSet, measure};
use super::module::ModuleKey;

/// What the directory walk found.
#[derive(Debug, Default)]
pub struct Found {
    /// Escaped module paths that have a `cache/download/<path>/@v` directory.
    pub at_v: Vec<String>,
    /// Extracted trees as (escaped path, escaped version).
    pub trees: Vec<(String, String)>,
    /// Things that belong to no module version.
    pub leftovers: Vec<Leftover>,
    /// The directories walked (and other shared files), which belong to no single version.
    pub shared: Usage,
    /// Directories that could not be read, with the reason.
    pub errors: Vec<String>,
    /// On the download side, escaped module-path prefixes whose contents modlens could not
    /// see (a read error, or a symlink it does not follow); `""` stands for all of
    /// `cache/download`. A tree below one of them may well have download files: it is never
    /// taken for an orphan.
    pub blind: Vec<String>,
}

impl Found {
    /// A walk that saw nothing of `cache/download`.
    pub fn blind_to_everything() -> Found {
        Found {
            blind: vec![String::new()],
            ..Found::default()
        }
    }

    /// Whether the download files of `esc_path` may exist unseen.
    pub fn is_blind_to(&self, esc_path: &str) -> bool {
        self.blind.iter().any(|p| {
            p.is_empty()
                || esc_path == p
                || esc_path
                    .strip_prefix(p.as_str())
                    .is_some_and(|r| r.starts_with('/'))
        })
    }
}

impl Found {
    fn merge(mut self, other: Found) -> Found {
        self.at_v.extend(other.at_v);
        self.trees.extend(other.trees);
        self.leftovers.extend(other.leftovers);
        self.shared.add(other.shared);
        self.errors.extend(other.errors);
        self.blind.extend(other.blind);
        self
    }
}

/// Which half of the cache a directory walk is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    /// Below the root, where extracted trees live.
    Trees,
    /// Below `cache/download`, where `@v` directories live.
    Downloads,
}

/// Walks the extracted-tree side of the cache, starting at the root. The root's own `cache`
/// directory is skipped; the caller handles it.
pub fn trees(pool: &rayon::ThreadPool, root: &Path, inodes: &InodeSet) -> Found {
    walk(pool, root, root, Side::Trees, inodes)
}

/// Walks `cache/download`, except `sumdb`, which the caller measures on its own.
pub fn downloads(
    pool: &rayon::ThreadPool,
    root: &Path,
    download_root: &Path,
    inodes: &InodeSet,
) -> Found {
    walk(pool, root, download_root, Side::Downloads, inodes)
}

/// Walks breadth-first, one level at a time, reading the directories of a level in parallel.
/// No recursion: a chain of thousands of directories costs iterations, not stack.
fn walk(
    pool: &rayon::ThreadPool,
    root: &Path,
    start: &Path,
    side: Side,
    inodes: &InodeSet,
) -> Found {
    let mut found = Found::default();
    let mut frontier = vec![(start.to_path_buf(), String::new())];
    while !frontier.is_empty() {
        let level: Vec<(Found, Vec<(PathBuf, String)>)> = pool.install(|| {
            frontier
                .into_par_iter()
                .map(|(dir, esc)| read_level_dir(root, &dir, &esc, side, inodes))
                .collect()
        });
        frontier = Vec::new();
        for (f, below) in level {
            found = found.merge(f);
            frontier.extend(below);
        }
    }
    found
}

/// Reads one directory of the walk: what it holds, and the subdirectories to read next.
fn read_level_dir(
    root: &Path,
    dir: &Path,
    esc_prefix: &str,
    side: Side,
    inodes: &InodeSet,
) -> (Found, Vec<(PathBuf, String)>) {
    let mut found = Found::default();
    let children = match fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(err) => {
            found.errors.push(format!("{}: {err}", dir.display()));
            found.blind.push(esc_prefix.to_owned());
            return (found, Vec::new());
        }
    };
    let mut subdirs = Vec::new();
    for child in children {
        let child = match child {
            Ok(c) => c,
            Err(err) => {
                found.errors.push(format!("{}: {err}", dir.display()));
                continue;
            }
        };
        let path = child.path();
        let kind = child.file_type().ok();
        let is_dir = kind.is_some_and(|t| t.is_dir());
        if side == Side::Downloads && !kind.is_some_and(|t| t.is_dir() || t.is_file()) {
            // A link (or worse) where go keeps directories: what it hides stays unjudged.
            let esc = child.file_name().to_str().map(|n| join_esc(esc_prefix, n));
            found.blind.push(if name_is_at_v(&child.file_name()) {
                esc_prefix.to_owned()
            } else {
                esc.unwrap_or_else(|| esc_prefix.to_owned())
            });
            let why = "not a regular file or directory (links are never followed)";
            found.leftovers.push(unrecognized(root, &path, why, inodes));
            continue;
        }
        let Some(name) = child.file_name().to_str().map(str::to_owned) else {
            found
                .leftovers
                .push(unrecognized(root, &path, "name is not UTF-8", inodes));
            continue;
        };
        if esc_prefix.is_empty() && dir == root && name == "cache" && side == Side::Trees {
            continue;
        }
        if esc_prefix.is_empty() && side == Side::Downloads && name == "sumdb" {
            continue;
        }
        match (side, is_dir) {
            (Side::Downloads, true) if name == "@v" => {
                if esc_prefix.is_empty() {
                    let why = "`@v` directly under cache/download";
                    found.leftovers.push(unrecognized(root, &path, why, inodes));
                } else {
                    found.at_v.push(esc_prefix.to_owned());
                }
            }
            (Side::Trees, true) if name.contains('@') => {
                classify_tree(root, &path, esc_prefix, &name, inodes, &mut found);
            }
            (_, true) => subdirs.push((path, join_esc(esc_prefix, &name))),
            (_, false) => {
                let why = match side {
                    Side::Trees if name.contains('@') => "not a directory, where go keeps a tree",
                    Side::Trees => "a file outside any module tree",
                    Side::Downloads => "a file outside any @v directory",
                };
                found.leftovers.push(unrecognized(root, &path, why, inodes));
            }
        }
    }
    for (path, _) in &subdirs {
        match fs::symlink_metadata(path) {
            Ok(meta) => found.shared.add(inodes.usage(&meta)),
            Err(err) => found.errors.push(format!("{}: {err}", path.display())),
        }
    }
    (found, subdirs)
}

/// Sorts a directory named `<last element>@<version>` into an extracted tree, a pre-1.16
/// extraction temp dir (`…@v.tmp-<rand>`), or a name go never writes.
fn classify_tree(
    root: &Path,
    path: &Path,
    esc_prefix: &str,
    name: &str,
    inodes: &InodeSet,
    found: &mut Found,
) {
    let (elem, version) = name.split_once('@').unwrap_or((name, ""));
    let esc_path = join_esc(esc_prefix, elem);
    if let Some((version, _)) = version.split_once(".tmp-") {
        let module = ModuleKey::from_escaped(&esc_path, version).ok();
        let measured = measure(path, inodes);
        found.leftovers.push(Leftover {
            kind: LeftoverKind::TmpDir,
            rel_path: relative(root, path),
            module,
            reason: None,
            usage: measured.usage,
        });
        return;
    }
    found.trees.push((esc_path, version.to_owned()));
}

fn name_is_at_v(name: &std::ffi::OsStr) -> bool {
    name == "@v"
}

fn join_esc(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_owned()
    } else {
        format!("{prefix}/{name}")
    }
}

/// A leftover for a name go could not have written, measured with everything below it.
pub fn unrecognized(root: &Path, path: &Path, reason: &str, inodes: &InodeSet) -> Leftover {
    Leftover {
        kind: LeftoverKind::Unrecognized,
        rel_path: relative(root, path),
        module: None,
        reason: Some(reason.to_owned()),
        usage: measure(path, inodes).usage,
    }
}

/// `path` relative to the cache root (the path itself if it is not below the root).
pub fn relative(root: &Path, path: &Path) -> PathBuf {
    path.strip_prefix(root).unwrap_or(path).to_path_buf()
}
