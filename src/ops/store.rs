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
