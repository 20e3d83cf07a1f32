//! An `s3://bucket/prefix` store: listed and mirrored (see [`crate::ops::store`]), with what
//! only the bucket shows (interrupted MinIO uploads, objects larger than go accepts) added to
//! its versions' problems.

use std::io::IsTerminal;
use std::sync::Mutex;

use super::StoreArgs;
use crate::cache::goenv::GoEnv;
use crate::cache::store::{Layout, Listing};
use crate::cli::progress::ProgressLine;
use crate::ops::state::StoreMemory;
use crate::ops::store::{Bucket, BucketMirror};
use crate::verify::store::StoreExpectations;

/// A bucket, its mirror, and the mirror's listing.
pub(super) struct Mirrored {
    pub bucket: Bucket,
    pub mirrored: BucketMirror,
    pub listing: Listing,
}

/// Downloads the versions of `listing` that must be judged: all of them without `memory`,
/// else those whose verdict it does not hold for the same objects (and will still hold in an
/// hour, when the judging that follows recalls it).
pub(super) fn fill_needed(
    b: &Mirrored,
    listing: &Listing,
    memory: Option<&StoreMemory>,
    expect: &StoreExpectations<'_>,
    show_progress: bool,
) -> anyhow::Result<()> {
    let store = &b.mirrored.mirror.store;
    let later = crate::cache::clock::now() + std::time::Duration::from_secs(3600);
    let online = expect.online.map(|db| db.name());
    let needed: Vec<&crate::cache::ModuleKey> = listing
        .versions
        .iter()
        .filter(|v| {
            memory.is_none_or(|m| {
                let private = (expect.private)(&v.key.path);
                let digest = m.digest(store, v, expect.gosums, private, online);
                m.recall(v, &digest, later).is_none()
            })
        })
        .map(|v| &v.key)
        .collect();
    let progress = Mutex::new(ProgressLine::new(
        show_progress && std::io::stderr().is_terminal(),
    ));
    crate::ops::store::fill(&b.bucket, &b.mirrored, &needed, &|n, total| {
        if let Ok(mut line) = progress.lock() {
            line.show(|| format!("fetched {n}/{total} versions"));
        }
    })?;
    if let Ok(line) = progress.lock() {
        line.clear();
    }
    safe_eprintln!(
        "modlens: fetched {} of {} from {} (the others' verdicts are remembered for the same \
         objects)",
        needed.len(),
        crate::cache::fmt::count(listing.versions.len() as u64, "version"),
        b.bucket.shown
    );
    Ok(())
}

impl Mirrored {
    /// Each version's object identity (key, size, ETag of its objects).
    pub(super) fn identities(
        &self,
    ) -> std::collections::HashMap<crate::cache::ModuleKey, [u8; 32]> {
        self.mirrored
            .objects
            .keys()
            .map(|k| (k.clone(), self.mirrored.identity(k)))
            .collect()
    }
}

/// Opens and mirrors the bucket store `url`.
pub(super) fn mirror(
    goenv: &GoEnv,
    url: &str,
    args: &StoreArgs,
    layout: Option<Layout>,
) -> anyhow::Result<Mirrored> {
    let var = |name: &str| goenv.process_var(name).and_then(|v| v.into_string().ok());
    let bucket = Bucket::open(url, args.endpoint.as_deref(), args.path_style, &var)?;
    let mirrored = crate::ops::store::mirror_bucket(&bucket, layout)?;
    let mut listing = mirrored.mirror.store.list();
    for v in &mut listing.versions {
        if mirrored.interrupted.contains(&v.key) {
            v.problems
                .push("an interrupted upload: `parts/` objects are left below it".into());
        }
        for (key, why) in &mirrored.oversized {
            if *key == v.key {
                v.problems.push(why.clone());
            }
        }
    }
    Ok(Mirrored {
        bucket,
        mirrored,
        listing,
    })
}
