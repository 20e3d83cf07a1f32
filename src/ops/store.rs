//! Verifying a shared module store on the hashing pool: every version judged by
//! [`crate::verify::store`], with progress, in the store's order.

use std::sync::atomic::{AtomicUsize, Ordering};

use super::pools::Pools;
use crate::cache::store::{Store, StoredVersion};
use crate::verify::store::{StoreExpectations, StoreVerdict, judge};
use crate::verify::zipfile::Scratch;

/// Judges `versions` of `store` in parallel; `progress` hears (done, total) as they finish.
pub fn verify_store(
    pools: &Pools,
    store: &Store,
    versions: Vec<StoredVersion>,
    expect: &StoreExpectations<'_>,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Vec<StoreVerdict> {
    let total = versions.len();
    let done = AtomicUsize::new(0);
    pools.hash_map(versions, |v| {
        let verdict = Scratch::with(|scratch| judge(store, &v, expect, scratch));
        progress(done.fetch_add(1, Ordering::Relaxed) + 1, total);
        verdict
    })
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
