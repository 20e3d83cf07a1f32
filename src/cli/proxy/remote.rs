//! A store judged through a mirror (a bucket, or a GOPROXY URL): its pieces are laid out as
//! placeholders, and only the versions whose verdict the state database does not hold for
//! the same objects (and will still hold in an hour, when the judging that follows recalls
//! it) are downloaded.

use std::collections::HashMap;
use std::io::IsTerminal;

use super::bucket::Mirrored;
use crate::cache::ModuleKey;
use crate::cache::cancel::CancelToken;
use crate::cache::store::{Listing, Store};
use crate::cli::progress::ProgressLine;
use crate::ops::state::StoreMemory;
use crate::ops::store::Mirror;
use crate::verify::store::StoreExpectations;

/// A mirrored store.
#[derive(Clone, Copy)]
pub(super) enum Remote<'a> {
    /// An `s3://` bucket.
    Bucket(&'a Mirrored),
    /// A GOPROXY URL, as the user named it.
    Url(&'a Mirror, &'a str),
}

impl Remote<'_> {
    /// What names it in the state database.
    pub(super) fn id(&self) -> String {
        match self {
            Remote::Bucket(b) => b.bucket.id(),
            Remote::Url(_, url) => (*url).to_owned(),
        }
    }

    fn shown(&self) -> &str {
        match self {
            Remote::Bucket(b) => &b.bucket.shown,
            Remote::Url(_, url) => url,
        }
    }

    /// The mirror, as a store.
    pub(super) fn store(&self) -> &Store {
        match self {
            Remote::Bucket(b) => &b.mirrored.mirror.store,
            Remote::Url(m, _) => &m.store,
        }
    }

    /// What identifies each version's objects unchanged.
    pub(super) fn identities(&self) -> HashMap<ModuleKey, [u8; 32]> {
        match self {
            Remote::Bucket(b) => b.identities(),
            Remote::Url(m, _) => m.identities.clone(),
        }
    }

    fn fetch(
        &self,
        keys: &[&ModuleKey],
        progress: &dyn Fn(usize, usize),
        cancel: &CancelToken,
    ) -> anyhow::Result<()> {
        match self {
            Remote::Bucket(b) => {
                crate::ops::store::fill(&b.bucket, &b.mirrored, keys, progress, cancel)?
            }
            Remote::Url(m, _) => crate::ops::store::fill_url(m, keys, progress, cancel)?,
        }
        Ok(())
    }
}

/// Downloads the versions of `listing` that must be judged: all of them without `memory`,
/// else those whose verdict it does not hold.
pub(super) fn fill_needed(
    remote: Remote<'_>,
    listing: &Listing,
    memory: Option<&StoreMemory>,
    expect: &StoreExpectations<'_>,
    show_progress: bool,
    cancel: &CancelToken,
) -> anyhow::Result<()> {
    let store = remote.store();
    let later = crate::cache::clock::now() + std::time::Duration::from_secs(3600);
    let online = expect.online.map(|db| db.name());
    let needed: Vec<&ModuleKey> = listing
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
    let progress = ProgressLine::new(show_progress && std::io::stderr().is_terminal());
    remote.fetch(
        &needed,
        &|n, total| {
            progress.show(|| format!("fetched {n}/{total} versions"));
        },
        cancel,
    )?;
    progress.clear();
    safe_eprintln!(
        "modlens: fetched {} of {} from {} (the others' verdicts are remembered for the same \
         objects)",
        needed.len(),
        crate::cache::fmt::count(listing.versions.len() as u64, "version"),
        remote.shown()
    );
    Ok(())
}
