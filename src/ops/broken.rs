//! What is broken, decided once for every command that acts on it (`clean --broken`,
//! `refetch --broken`): the versions whose own files need a repair (or a delete), and the
//! cached checksum-database files found unauthentic. A version whose only problem is such a
//! file is not broken itself: removing the file is the fix, and go fetches it again.

use std::path::PathBuf;
use std::sync::Arc;

use super::pools::Pools;
use crate::cache::{ModCache, ModuleEntry};
use crate::verify::{Expectations, Status, Verdict};

/// The broken versions and files of a cache.
#[derive(Debug, Default)]
pub struct Broken {
    /// The verdicts of the versions that need a repair of their own files, by version.
    pub versions: Vec<Verdict>,
    /// Unauthentic cached checksum-database files, relative to the root, without repeats.
    pub sumdb_files: Vec<PathBuf>,
}

/// Verifies `entries` on the pools and says what is broken.
pub fn find_broken(
    pools: &Arc<Pools>,
    cache: &ModCache,
    entries: Vec<ModuleEntry>,
    expect: Arc<Expectations>,
) -> Broken {
    let mut broken = Broken::default();
    for v in super::verify::verdicts(pools, cache, entries, expect).into_values() {
        add_sumdb_files(cache, &v, &mut broken.sumdb_files);
        if v.status == Status::Problem && v.needs_version_repair() {
            broken.versions.push(v);
        }
    }
    broken
}

/// Adds the unauthentic checksum-database files `verdict` names to `files`, relative to the
/// cache root and without repeats.
pub fn add_sumdb_files(cache: &ModCache, verdict: &Verdict, files: &mut Vec<PathBuf>) {
    for file in verdict.sumdb_files() {
        let rel = file
            .strip_prefix(cache.root())
            .unwrap_or(file)
            .to_path_buf();
        if !files.contains(&rel) {
            files.push(rel);
        }
    }
}
