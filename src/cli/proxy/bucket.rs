//! An `s3://bucket/prefix` store: listed and mirrored (see [`crate::ops::store`]), with what
//! only the bucket shows (interrupted MinIO uploads, objects larger than go accepts) added to
//! its versions' problems.

use std::io::IsTerminal;
use std::sync::Mutex;

use super::StoreArgs;
use crate::cache::goenv::GoEnv;
use crate::cache::store::{Layout, Listing};
use crate::cli::progress::ProgressLine;
use crate::ops::store::{Bucket, BucketMirror};

/// A bucket, its mirror, and the mirror's listing.
pub(super) struct Mirrored {
    pub bucket: Bucket,
    pub mirrored: BucketMirror,
    pub listing: Listing,
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
    let progress = Mutex::new(ProgressLine::new(
        !args.json && std::io::stderr().is_terminal(),
    ));
    let mirrored = crate::ops::store::mirror_bucket(&bucket, layout, &|n, total| {
        if let Ok(mut line) = progress.lock() {
            line.show(|| format!("fetched {n}/{total} objects"));
        }
    })?;
    if let Ok(line) = progress.lock() {
        line.clear();
    }
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
