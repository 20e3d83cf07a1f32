//! Verifying a shared module store on the hashing pool: every version judged by
//! [`crate::verify::store`], with progress, in the store's order.

use std::sync::atomic::{AtomicUsize, Ordering};

use super::pools::Pools;
use crate::cache::store::{Store, StoredVersion};
use crate::verify::store::{StoreExpectations, StoreVerdict, judge};
use crate::verify::zipfile::Scratch;

/// How many versions are judged at once: results are handed on a chunk at a time, so memory
/// stays flat however large the store.
const CHUNK: usize = 2048;

/// Judges `versions` of `store` in parallel, a chunk at a time, handing each chunk's verdicts to
/// `on_verdicts` in the store's order; `progress` hears (done, total) as they finish.
pub fn verify_store(
    pools: &Pools,
    store: &Store,
    versions: &[StoredVersion],
    expect: &StoreExpectations<'_>,
    progress: &(dyn Fn(usize, usize) + Sync),
    on_verdicts: &mut dyn FnMut(Vec<StoreVerdict>),
) {
    let total = versions.len();
    let done = AtomicUsize::new(0);
    for chunk in versions.chunks(CHUNK) {
        let verdicts = pools.hash_map(chunk.iter().collect(), |v| {
            let verdict = Scratch::with(|scratch| judge(store, v, expect, scratch));
            progress(done.fetch_add(1, Ordering::Relaxed) + 1, total);
            verdict
        });
        on_verdicts(verdicts);
    }
}

/// Whether `store` is a module cache's download directory, which only the module cache's own
/// commands change (under go's locks, with its trees).
pub fn is_module_cache(store: &Store) -> bool {
    store.root.ends_with("cache/download")
}

/// Moves every version `verdicts` proves wrong (mismatch or malformed) out of `store` into a
/// trash beside it, run `run`, and drops it from its `@v/list`. Nothing else is touched.
pub fn clean_store(
    store: &Store,
    versions: &[StoredVersion],
    verdicts: &[StoreVerdict],
    run: &str,
) -> Result<crate::fix::store::StoreCleaned, super::error::OpsError> {
    let wrong: Vec<&StoredVersion> = versions
        .iter()
        .filter(|v| {
            verdicts
                .iter()
                .any(|d| d.status.is_wrong() && d.path == v.key.path && d.version == v.key.version)
        })
        .collect();
    Ok(crate::fix::store::move_versions(store, &wrong, run)?)
}
