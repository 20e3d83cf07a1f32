//! Work on the build cache: hashing every output on the hashing pool, and deleting entries in
//! the order that is safe while go builds.
//!
//! go keeps no lock on build-cache entries (only `trim.txt` is written under a lock). What
//! makes a delete safe is its order: an action entry goes before the output it names, so a
//! go command running meanwhile finds either both or no entry, which is a miss, and never an
//! entry whose output is gone half way. Deleting can never give go a wrong output; at worst it
//! builds something again.

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::SystemTime;

use super::confined::Confined;
use super::delete::DeleteError;
use super::pools::Pools;
use crate::cache::gocache::Id;
use crate::cache::gocache::scan::BuildSnapshot;
use crate::verify::gocache::{BuildVerdict, IN_FLIGHT, judge, output_matches, rel_path};

/// What a verification did.
#[derive(Debug, Default)]
pub struct Checked {
    /// The findings.
    pub verdict: BuildVerdict,
    /// Bytes hashed.
    pub bytes_hashed: u64,
    /// Outputs hashed.
    pub outputs_hashed: usize,
}

/// Hashes every output (but those written in the last minute) on the hashing pool and judges
/// the cache. `progress` is called with the bytes hashed so far and the total.
pub fn verify(
    pools: &Pools,
    root: &Path,
    snapshot: &BuildSnapshot,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Checked {
    let now = SystemTime::now();
    let due: Vec<(Id, u64)> = snapshot
        .outputs
        .iter()
        .filter(|o| now.duration_since(o.used).unwrap_or_default() >= IN_FLIGHT)
        .map(|o| (o.id, o.size))
        .collect();
    let total: u64 = due.iter().map(|(_, size)| size).sum();
    let done = AtomicU64::new(0);
    let results = pools.hash_map(due, |(id, size)| {
        let matches = output_matches(&root.join(rel_path(&id, 'd')), &id).ok();
        let so_far = done.fetch_add(size, Ordering::Relaxed) + size;
        progress(so_far, total);
        (id, matches)
    });
    let outputs_hashed = results.len();
    let hashed: HashMap<Id, Option<bool>> = results.into_iter().collect();
    Checked {
        verdict: judge(snapshot, &hashed, now),
        bytes_hashed: done.load(Ordering::Relaxed),
        outputs_hashed,
    }
}

/// Deletes build-cache files (paths relative to `root`) in the order given, which puts action
/// entries before their outputs. Returns the files removed; a file already gone counts nothing.
pub fn delete_files(root: &Path, rel_paths: &[String]) -> Result<u64, DeleteError> {
    let confined = Confined::open(root)?;
    let mut removed = 0;
    for rel in rel_paths {
        let path = root.join(rel);
        super::delete::ensure_inside(root, &path)?;
        removed += confined.remove(&path)?;
        super::fault::checkpoint("gocache:removed");
    }
    Ok(removed)
}
