//! Scans on the scanning pool: the whole cache, a few versions again after a job, or the files
//! of one tree for the drill-down view. Results arrive as [`ScanEvent`]s.

use std::sync::Arc;

use super::error::OpsError;
use super::pools::Pools;
use crate::cache::cancel::CancelToken;
use crate::cache::scan::{Depth, scan, scan_version};
use crate::cache::sink::Sink;
use crate::cache::{ModCache, ModuleEntry, ModuleKey, ScanEvent, Snapshot};

/// Starts a scan of `cache`; events arrive on `tx`, ending with [`ScanEvent::Done`].
pub fn start(
    pools: &Arc<Pools>,
    cache: ModCache,
    depth: Depth,
    tx: Sink<ScanEvent>,
    cancel: CancelToken,
) {
    let owned = Arc::clone(pools);
    pools.spawn_scan(move || {
        scan(owned.scan_pool(), &cache, depth, &tx, &cancel);
    });
}

/// Scans `cache` on the calling thread (its parallel parts on the scanning pool); events go
/// to `tx`, ending with [`ScanEvent::Done`].
pub fn run(
    pools: &Pools,
    cache: &ModCache,
    depth: Depth,
    tx: &Sink<ScanEvent>,
    cancel: &CancelToken,
) {
    scan(pools.scan_pool(), cache, depth, tx, cancel);
}

/// Scans the whole cache and folds the events into a snapshot; blocks until done.
pub fn snapshot(pools: &Arc<Pools>, cache: &ModCache, depth: Depth) -> Result<Snapshot, OpsError> {
    let (tx, rx) = crossbeam_channel::unbounded::<ScanEvent>();
    start(pools, cache.clone(), depth, tx.into(), CancelToken::new());
    let mut snapshot = Snapshot::default();
    let mut finished = false;
    for event in rx {
        finished |= matches!(event, ScanEvent::Done(_));
        snapshot.apply(event);
    }
    if !finished {
        return Err(OpsError::Panicked(format!(
            "the scan of {} stopped unexpectedly",
            cache.root().display()
        )));
    }
    Ok(snapshot)
}

/// Measures `keys` again on the scanning pool: the versions still there, and those gone.
pub fn measure_again(
    pools: &Pools,
    cache: &ModCache,
    keys: &[ModuleKey],
) -> (Vec<ModuleEntry>, Vec<ModuleKey>) {
    let measured = pools.scan_pool().install(|| {
        keys.iter()
            .map(|k| (k, scan_version(cache, k)))
            .collect::<Vec<_>>()
    });
    let mut entries = Vec::new();
    let mut gone = Vec::new();
    for (key, entry) in measured {
        match entry {
            Some(e) => entries.push(e),
            None => gone.push(key.clone()),
        }
    }
    (entries, gone)
}
