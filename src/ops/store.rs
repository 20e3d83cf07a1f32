//! Verifying a shared module store on the hashing pool: every version judged by
//! [`crate::verify::store`], with progress, in the store's order.

use std::sync::atomic::{AtomicUsize, Ordering};

pub use super::sumdb::connect as connect_sumdb;
pub use crate::fix::mirror::{Absent, Mirror, catalog, fill as fill_url, is_url, mirror};
pub use crate::fix::s3::{Bucket, is_s3};
pub use crate::fix::s3_store::{BucketMirror, fill, mirror_bucket};

use super::pools::Pools;
use super::state::StoreMemory;
use crate::cache::cancel::CancelToken;
use crate::cache::store::{Store, StoredVersion};
use crate::verify::store::{StoreExpectations, StoreVerdict, judge};
use crate::verify::zipfile::Scratch;

/// How many versions are judged at once: results are handed on a chunk at a time, so memory
/// stays flat however large the store.
const CHUNK: usize = 2048;

/// What a store verification took from memory, and why it could not remember, if it could not.
#[derive(Debug, Default)]
pub struct Recalled {
    /// Verdicts reused from the state database.
    pub remembered: usize,
    /// Why verdicts were not remembered (the database failed), if they were not.
    pub unsaved: Option<String>,
    /// Whether the cancel token stopped it between chunks (the versions after are unjudged).
    pub interrupted: bool,
}

/// What a store verification checks against, and what stops it.
pub struct StoreCheck<'a> {
    /// The store whose versions are judged.
    pub store: &'a Store,
    /// The go.sum lines, checksum-database answers and privacy rule they are judged by.
    pub expect: &'a StoreExpectations<'a>,
    /// Verdicts remembered from earlier runs, reused while their digest is unchanged.
    pub memory: Option<&'a StoreMemory>,
    /// Stops the run between versions.
    pub cancel: &'a CancelToken,
}

/// Judges `versions` of the check's store in parallel, a chunk at a time, handing each chunk's
/// verdicts to `on_verdicts` in the store's order; `progress` hears (done, total) as they
/// finish. With memory, a verdict whose digest is unchanged is reused, and each chunk's new
/// verdicts are remembered before the next chunk starts.
pub fn verify_store(
    pools: &Pools,
    check: &StoreCheck<'_>,
    versions: &[StoredVersion],
    progress: &(dyn Fn(usize, usize) + Sync),
    on_verdicts: &mut dyn FnMut(Vec<StoreVerdict>),
) -> Recalled {
    let StoreCheck {
        store,
        expect,
        memory,
        cancel,
    } = *check;
    let total = versions.len();
    let done = AtomicUsize::new(0);
    let now = crate::cache::clock::now();
    let mut recalled = Recalled::default();
    for chunk in versions.chunks(CHUNK) {
        // (the verdict, its digest when memory is kept, whether it was remembered); none for
        // a version the cancel token came before.
        let judged = pools.hash_map(chunk.iter().collect(), |v| {
            if cancel.is_cancelled() {
                return None;
            }
            let online = expect.online.map(|db| db.name());
            let private = (expect.private)(&v.key.path);
            let digest = memory.map(|m| m.digest(store, v, expect.gosums, private, online));
            let old = memory
                .zip(digest.as_ref())
                .and_then(|(m, d)| m.recall(v, d, now));
            let fresh = old.is_none();
            let verdict =
                old.unwrap_or_else(|| Scratch::with(|scratch| judge(store, v, expect, scratch)));
            progress(done.fetch_add(1, Ordering::Relaxed) + 1, total);
            Some((verdict, digest, fresh))
        });
        let judged: Vec<_> = judged.into_iter().flatten().collect();
        if cancel.is_cancelled() {
            recalled.interrupted = true;
        }
        if let Some(memory) = memory {
            // Online, "unverifiable" may say only that the database was not reached this time.
            let lasting = |v: &StoreVerdict| {
                expect.online.is_none()
                    || v.status != crate::verify::store::StoreStatus::Unverifiable
            };
            let new: Vec<([u8; 32], &StoreVerdict)> = judged
                .iter()
                .filter(|(v, _, fresh)| *fresh && lasting(v))
                .filter_map(|(v, d, _)| d.map(|d| (d, v)))
                .collect();
            recalled.remembered += judged.iter().filter(|(_, _, fresh)| !fresh).count();
            if recalled.unsaved.is_none()
                && !new.is_empty()
                && let Err(e) = memory.remember(now, &new)
            {
                recalled.unsaved = Some(e.to_string());
            }
        }
        on_verdicts(judged.into_iter().map(|(v, _, _)| v).collect());
        if recalled.interrupted {
            break;
        }
    }
    recalled
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

/// Moves every version `verdicts` proves wrong out of the bucket store `bucket` (mirrored as
/// `mirrored`): copied to a trash prefix beside it for run `run`, then deleted, then dropped
/// from its `@v/list`. Nothing else is touched.
pub fn clean_bucket(
    bucket: &Bucket,
    mirrored: &BucketMirror,
    verdicts: &[StoreVerdict],
    run: &str,
) -> crate::fix::store::StoreCleaned {
    let wrong: Vec<crate::cache::ModuleKey> = verdicts
        .iter()
        .filter(|d| d.status.is_wrong())
        .map(|d| crate::cache::ModuleKey {
            path: d.path.clone(),
            version: d.version.clone(),
        })
        .collect();
    let wrong: Vec<&crate::cache::ModuleKey> = wrong.iter().collect();
    crate::fix::s3_store::trash_versions(bucket, mirrored, &wrong, run)
}

/// Where go downloads from for `refetch --from SOURCE`: a URL as given (go's checks, and
/// modlens's verification after the download, judge what it serves), or a directory store in
/// go's proxy layout, as `file://`, once its copy of every one of `keys` is proven (`match`
/// against `expect`'s go.sum lines and the store's proven checksum-database answers).
pub fn repair_source(
    engine: &super::engine::Engine,
    source: &str,
    keys: &[&crate::cache::ModuleKey],
    expect: &crate::verify::Expectations,
) -> Result<String, super::error::OpsError> {
    use super::error::OpsError;
    use crate::cache::store::Layout;
    use crate::verify::store::StoreStatus;
    if source.starts_with("http://") || source.starts_with("https://") {
        return Ok(source.to_owned());
    }
    let dir = crate::cache::store::named_dir(source.as_ref())
        .and_then(|dir| {
            std::path::absolute(&dir).map_err(|e| crate::cache::store::StoreError::Unreadable {
                path: dir,
                reason: e.to_string(),
            })
        })
        .map_err(|e| OpsError::Invalid(format!("--from: {e}")))?;
    let store = Store::open(&dir, None).map_err(|e| OpsError::Invalid(format!("--from: {e}")))?;
    if store.layout != Layout::GoProxy {
        return Err(OpsError::Invalid(format!(
            "--from {source}: go reads a store only in its proxy layout; serve Athens' storage \
             through Athens and pass its URL"
        )));
    }
    let listing = store.list();
    let private = |path: &str| engine.goenv.private_to_sumdb(path);
    let judged = StoreExpectations {
        gosums: &expect.gosums,
        verifiers: &expect.sumdb_keys,
        private: &private,
        online: None,
    };
    for key in keys {
        let Some(v) = listing.versions.iter().find(|v| v.key == **key) else {
            return Err(OpsError::Invalid(format!(
                "--from {source}: the store has no copy of {key}"
            )));
        };
        let verdict = Scratch::with(|scratch| judge(&store, v, &judged, scratch));
        if verdict.status != StoreStatus::Match {
            return Err(OpsError::Invalid(format!(
                "--from {source}: its copy of {key} is {}, not proven: {}",
                verdict.status.name(),
                verdict.reasons.join("; ")
            )));
        }
    }
    Ok(format!("file://{}", store.root.display()))
}
