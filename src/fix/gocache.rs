//! Deleting build-cache entries in the order that is safe while go builds.
//!
//! go keeps no lock on build-cache entries (only `trim.txt` is written under a lock). What
//! makes a delete safe is its order: an action entry goes before the output it names, so a
//! go command running meanwhile finds either both or no entry, which is a miss, and never an
//! entry whose output is gone half way. Deleting can never give go a wrong output; at worst it
//! builds something again.

use std::path::Path;

use super::confined::Confined;
use super::delete::DeleteError;

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
