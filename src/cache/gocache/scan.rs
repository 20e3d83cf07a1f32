//! Reading a whole build cache: every action entry (parsed), every output (sized), and
//! everything else, accounted so that the totals equal `du`.
//!
//! The 256 subdirectories are read in parallel on the pool the scan is handed. Each action
//! entry is read (175 bytes); outputs are only stat'ed, their contents are the verifier's.
//! Links are never followed, and a name go could not have written is listed, never judged.

use std::collections::HashMap;
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use rayon::prelude::*;

use super::{ActionRecord, ENTRY_SIZE, Id, last_trim, parse_action, parse_hex, rel_path};
use crate::cache::entry::Usage;
use crate::cache::measure::{InodeSet, measure};

/// An action entry, `<id>-a`.
#[derive(Debug, Clone)]
pub struct Action {
    /// Its action id.
    pub id: Id,
    /// What it says, or go's reason for treating it as a miss.
    pub record: Result<ActionRecord, &'static str>,
    /// Space it takes.
    pub usage: Usage,
    /// Its mtime: when go last used it (to within an hour).
    pub used: SystemTime,
}

/// An output, `<id>-d`, named by the SHA-256 of its contents: a file, or (go 1.24 and later,
/// for the executables `go run` and `go tool` cache) a directory holding that one file under
/// its program's name.
#[derive(Debug, Clone)]
pub struct Output {
    /// Its output id (the name).
    pub id: Id,
    /// Its size in bytes (the executable's, for a directory).
    pub size: u64,
    /// The executable's name inside a `-d` directory; `None` for a plain output file.
    pub executable: Option<String>,
    /// Why go cannot use a `-d` directory ("DO NOT USE - invalid binary cache entry": it
    /// must hold exactly one regular file).
    pub invalid: Option<&'static str>,
    /// Space it takes.
    pub usage: Usage,
    /// Its mtime: when go last used it (to within an hour).
    pub used: SystemTime,
}

/// Anything else in the cache.
#[derive(Debug, Clone)]
pub struct Other {
    /// Its path relative to the cache root.
    pub rel: PathBuf,
    /// `readme`, `trim`, `testexpire`, `log`, `fuzz` (go's fuzzing corpus), or
    /// `unrecognized`.
    pub kind: &'static str,
    /// Space it takes (a directory with everything below it).
    pub usage: Usage,
}

/// A whole build cache.
#[derive(Debug, Default)]
pub struct BuildSnapshot {
    /// Action entries.
    pub actions: Vec<Action>,
    /// Output files.
    pub outputs: Vec<Output>,
    /// Everything else.
    pub other: Vec<Other>,
    /// The root and its 256 subdirectories themselves.
    pub shared: Usage,
    /// When go last trimmed (`trim.txt`).
    pub trimmed: Option<SystemTime>,
    /// What could not be read; the scan went on.
    pub errors: Vec<String>,
}

impl BuildSnapshot {
    /// Everything, as `du` counts it.
    pub fn total(&self) -> Usage {
        let mut total = self.shared;
        total.add(self.actions_usage());
        total.add(self.outputs_usage());
        for o in &self.other {
            total.add(o.usage);
        }
        total
    }

    /// Each action entry's and output's bytes on disk, by its path relative to the root.
    pub fn disk_by_path(&self) -> HashMap<String, u64> {
        let actions = self
            .actions
            .iter()
            .map(|a| (rel_path(&a.id, 'a'), a.usage.disk));
        let outputs = self
            .outputs
            .iter()
            .map(|o| (rel_path(&o.id, 'd'), o.usage.disk));
        actions.chain(outputs).collect()
    }

    /// Space of the action entries.
    pub fn actions_usage(&self) -> Usage {
        self.actions.iter().map(|a| a.usage).sum()
    }

    /// Space of the outputs.
    pub fn outputs_usage(&self) -> Usage {
        self.outputs.iter().map(|o| o.usage).sum()
    }

    fn merge(mut self, other: BuildSnapshot) -> BuildSnapshot {
        self.actions.extend(other.actions);
        self.outputs.extend(other.outputs);
        self.other.extend(other.other);
        self.shared.add(other.shared);
        self.errors.extend(other.errors);
        self
    }
}

/// Scans the build cache at `root` on `pool`.
pub fn scan(pool: &rayon::ThreadPool, root: &Path) -> std::io::Result<BuildSnapshot> {
    let inodes = InodeSet::default();
    // The root may be reached through a link: the user named it. Nothing below it is.
    let meta = fs::metadata(root)?;
    if !meta.is_dir() {
        return Err(std::io::Error::other(format!(
            "{} is not a directory",
            root.display()
        )));
    }
    let mut top = BuildSnapshot {
        shared: inodes.usage(&meta),
        trimmed: last_trim(root),
        ..BuildSnapshot::default()
    };
    let mut subdirs = Vec::new();
    for child in fs::read_dir(root)? {
        let child = child?;
        let path = child.path();
        let name = child.file_name();
        let is_dir = child.file_type().is_ok_and(|t| t.is_dir());
        match (name.to_str(), is_dir) {
            (Some(n), true) if is_subdir_name(n) => subdirs.push((n.to_owned(), path)),
            (Some(n), _) => top.other.push(Other {
                kind: match (n, is_dir) {
                    ("README", false) => "readme",
                    ("trim.txt", false) => "trim",
                    // `go clean -testcache` (test results before it are ignored).
                    ("testexpire.txt", false) => "testexpire",
                    // Written by go before 1.20 (GODEBUG=gocachetest), removed by go clean.
                    ("log.txt", false) => "log",
                    ("fuzz", true) => "fuzz",
                    _ => "unrecognized",
                },
                rel: PathBuf::from(n),
                usage: measure(&path, &inodes).usage,
            }),
            (None, _) => top.other.push(Other {
                kind: "unrecognized",
                rel: PathBuf::from(&name),
                usage: measure(&path, &inodes).usage,
            }),
        }
    }
    let found: Vec<BuildSnapshot> = pool.install(|| {
        subdirs
            .into_par_iter()
            .map(|(name, path)| read_subdir(&name, &path, &inodes))
            .collect()
    });
    Ok(found.into_iter().fold(top, BuildSnapshot::merge))
}

/// `00` to `ff`.
fn is_subdir_name(name: &str) -> bool {
    name.len() == 2
        && name
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn read_subdir(name: &str, dir: &Path, inodes: &InodeSet) -> BuildSnapshot {
    let mut out = BuildSnapshot::default();
    match fs::symlink_metadata(dir) {
        Ok(meta) => out.shared.add(inodes.usage(&meta)),
        Err(e) => out.errors.push(format!("{}: {e}", dir.display())),
    }
    let children = match fs::read_dir(dir) {
        Ok(c) => c,
        Err(e) => {
            out.errors.push(format!("{}: {e}", dir.display()));
            return out;
        }
    };
    for child in children.flatten() {
        let path = child.path();
        let meta = match fs::symlink_metadata(&path) {
            Ok(m) => m,
            Err(e) => {
                out.errors.push(format!("{}: {e}", path.display()));
                continue;
            }
        };
        let file_name = child.file_name();
        let parsed = file_name
            .to_str()
            .filter(|_| meta.is_file() || meta.is_dir())
            .and_then(|n| n.split_once('-'))
            .and_then(|(id, kind)| Some((parse_hex(id.as_bytes())?, kind)))
            .filter(|(id, _)| format!("{:02x}", id[0]) == name);
        let usage = inodes.usage(&meta);
        let used = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
        match parsed {
            Some((id, "a")) if meta.is_file() => out.actions.push(Action {
                id,
                record: read_action(&path, &id),
                usage,
                used,
            }),
            Some((id, "d")) if meta.is_file() => out.outputs.push(Output {
                id,
                size: meta.size(),
                executable: None,
                invalid: None,
                usage,
                used,
            }),
            Some((id, "d")) => {
                let (executable, size, invalid) = cached_executable(&path);
                out.outputs.push(Output {
                    id,
                    size,
                    executable,
                    invalid,
                    usage: measure(&path, inodes).usage,
                    used,
                });
            }
            _ => out.other.push(Other {
                rel: PathBuf::from(name).join(&file_name),
                kind: "unrecognized",
                usage: measure(&path, inodes).usage,
            }),
        }
    }
    out
}

/// What a `-d` directory holds, as go's `OutputFile` reads it: exactly one regular file, the
/// executable (its name and size), or why go cannot use it.
fn cached_executable(dir: &Path) -> (Option<String>, u64, Option<&'static str>) {
    let Ok(children) = fs::read_dir(dir) else {
        return (None, 0, Some("missing binary cache entry: unreadable"));
    };
    // Two names are enough to know there are too many.
    let children: Vec<fs::DirEntry> = children.flatten().take(2).collect();
    let [only] = children.as_slice() else {
        return (
            None,
            0,
            Some("invalid binary cache entry: not exactly one file"),
        );
    };
    match (
        only.file_name().into_string(),
        only.path().symlink_metadata(),
    ) {
        (Ok(name), Ok(meta)) if meta.is_file() => (Some(name), meta.size(), None),
        _ => (
            None,
            0,
            Some("invalid binary cache entry: not a regular file"),
        ),
    }
}

/// Reads the start of an action entry (never more than go reads) and parses it.
fn read_action(path: &Path, id: &Id) -> Result<ActionRecord, &'static str> {
    use std::io::Read;
    let Ok(file) = crate::cache::read::open(path) else {
        return Err("unreadable");
    };
    let mut bytes = Vec::with_capacity(ENTRY_SIZE + 1);
    if file
        .take(ENTRY_SIZE as u64 + 1)
        .read_to_end(&mut bytes)
        .is_err()
    {
        return Err("unreadable");
    }
    parse_action(id, &bytes)
}
