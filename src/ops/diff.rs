//! A version's diff for `modlens diff` and the explorer's diff pane: the tree against its zip
//! when the zip is the one go downloaded; else against an authentic copy of the zip. go
//! downloads that copy with the user's settings (GOPROXY, GOSUMDB, GOPRIVATE…) into a private
//! scratch module cache outside the real one, checking it as it checks every download; the
//! cached zip is compared with it, or, when the cached zip is missing or no zip at all, the
//! tree is. The real cache is never written.

use std::path::PathBuf;

use super::error::OpsError;
use crate::cache::cancel::CancelToken;
use crate::cache::{ModCache, ModuleKey, VersionFile};
use crate::fix::gocmd::{GoRunner, TempDir};
use crate::verify::diff::{DiffError, DiffLimits, FileDiff, diff_tree, diff_tree_with, diff_zips};

/// What a version's diff compared: (the authentic side, the cache's side).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compared {
    /// The tree against its intact zip.
    TreeWithZip,
    /// The cached zip against an authentic copy.
    ZipWithAuthentic,
    /// The tree against an authentic copy (the cached zip missing or no zip).
    TreeWithAuthentic,
}

impl Compared {
    /// The sides' names: (old, new).
    pub fn sides(self) -> (&'static str, &'static str) {
        match self {
            Compared::TreeWithZip => ("zip", "tree"),
            Compared::ZipWithAuthentic => ("authentic zip", "cached zip"),
            Compared::TreeWithAuthentic => ("authentic zip", "tree"),
        }
    }
}

/// How the cache's copy of a version differs from the authentic one.
#[derive(Debug, Clone)]
pub struct VersionDiff {
    /// What was compared.
    pub compared: Compared,
    /// The files that differ.
    pub files: Vec<FileDiff>,
}

/// How the cache's copy of `key` differs from the authentic one, limited to the paths below
/// any of `only`. `notice` hears why an authentic copy is downloaded, before go runs, and
/// `cancel` kills go.
pub fn diff_version(
    cache: &ModCache,
    go: &GoRunner,
    key: &ModuleKey,
    only: &[String],
    limits: DiffLimits,
    notice: &dyn Fn(String),
    cancel: &CancelToken,
) -> Result<VersionDiff, OpsError> {
    let zip = cache.version_file(key, VersionFile::Zip);
    let has_tree = cache.tree_dir(key).is_dir();
    let tree_with = |authentic: &AuthenticZip| -> Result<VersionDiff, OpsError> {
        Ok(VersionDiff {
            compared: Compared::TreeWithAuthentic,
            files: diff_tree_with(cache, key, &authentic.zip, only, limits)?,
        })
    };
    match diff_tree(cache, key, only, limits) {
        Ok(files) => Ok(VersionDiff {
            compared: Compared::TreeWithZip,
            files,
        }),
        // The zip is not go's: it is what changed, and an authentic copy says how.
        Err(DiffError::ZipChanged { why, .. }) => {
            notice(format!(
                "the cached zip of {key} is not the one go downloaded ({why}); go downloads an \
                 authentic copy into a scratch directory to compare it with"
            ));
            let authentic = authentic_zip(go, key, cancel)?;
            match diff_zips(key, &authentic.zip, &zip, only, limits) {
                Ok(files) => Ok(VersionDiff {
                    compared: Compared::ZipWithAuthentic,
                    files,
                }),
                // No zip to compare entry by entry: the tree says what the user sees.
                Err(DiffError::CachedNotAZip(why)) if has_tree => {
                    notice(format!(
                        "the cached zip cannot be read as a zip ({why}); the tree is compared \
                         with the authentic copy instead"
                    ));
                    tree_with(&authentic)
                }
                Err(e) => Err(e.into()),
            }
        }
        Err(DiffError::Missing(_)) if has_tree && !zip.exists() => {
            notice(format!(
                "the cache has no zip of {key}; go downloads an authentic copy into a scratch \
                 directory to compare the tree with"
            ));
            tree_with(&authentic_zip(go, key, cancel)?)
        }
        Err(e) => Err(e.into()),
    }
}

/// A zip go downloaded afresh, in a scratch directory removed when this is dropped.
pub struct AuthenticZip {
    _dir: TempDir,
    /// The zip.
    pub zip: PathBuf,
    /// Its `h1:`, as go reported it.
    pub sum: Option<String>,
}

/// Has go download `key` into a scratch module cache and gives its zip; `cancel` kills go.
pub fn authentic_zip(
    go: &GoRunner,
    key: &ModuleKey,
    cancel: &CancelToken,
) -> Result<AuthenticZip, OpsError> {
    let dir = TempDir::create("diff")?;
    let scratch = ModCache::new(dir.path().join("modcache"));
    // Writable trees (-modcacherw), so that the scratch directory can be removed.
    let fetched =
        crate::fix::fetch::go_download_many(&scratch, std::slice::from_ref(key), go, true, cancel);
    let fetched = fetched
        .into_iter()
        .next()
        .unwrap_or_else(|| Err(crate::fix::FixError::unchanged(key, "go reported nothing")))?;
    Ok(AuthenticZip {
        zip: scratch.version_file(key, VersionFile::Zip),
        sum: fetched.sum,
        _dir: dir,
    })
}
