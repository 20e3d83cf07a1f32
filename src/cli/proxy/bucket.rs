//! An `s3://bucket/prefix` store: listed and mirrored (see [`crate::ops::store`]), with what
//! only the bucket shows (interrupted MinIO uploads, objects larger than go accepts) added to
//! its versions' problems.

use super::StoreArgs;
use crate::cache::goenv::GoEnv;
use crate::cache::store::{Layout, Listing};
use crate::ops::store::{Bucket, BucketMirror};

/// A bucket, its mirror, and the mirror's listing.
pub(super) struct Mirrored {
    pub bucket: Bucket,
    pub mirrored: BucketMirror,
    pub listing: Listing,
}

impl Mirrored {
    /// Each version's object identity (key, size, ETag of its objects).
    pub(super) fn identities(
        &self,
    ) -> std::collections::HashMap<crate::cache::ModuleKey, [u8; 32]> {
        // Every listed version, one `@v/list` names without objects too: its verdict rests on
        // its listing problems, which the digest holds.
        self.listing
            .versions
            .iter()
            .map(|v| (v.key.clone(), self.mirrored.identity(&v.key)))
            .collect()
    }
}

/// Opens and mirrors the bucket store `url`.
pub(super) fn mirror(
    goenv: &GoEnv,
    url: &str,
    args: &StoreArgs,
    layout: Option<Layout>,
    cancel: &crate::cache::cancel::CancelToken,
) -> anyhow::Result<Mirrored> {
    let var = |name: &str| goenv.process_var(name).and_then(|v| v.into_string().ok());
    let bucket = Bucket::open(url, args.endpoint.as_deref(), args.path_style, &var)?;
    let mirrored = crate::ops::store::mirror_bucket(&bucket, layout, cancel)?;
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
