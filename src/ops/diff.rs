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
    let tree_with = |authentic: &std::path::Path| -> Result<VersionDiff, OpsError> {
        Ok(VersionDiff {
            compared: Compared::TreeWithAuthentic,
            files: diff_tree_with(cache, key, authentic, only, limits)?,
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
            let (_scratch, authentic) = authentic_zip(go, key, cancel)?;
            match diff_zips(key, &authentic, &zip, only, limits) {
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
            let (_scratch, authentic) = authentic_zip(go, key, cancel)?;
            tree_with(&authentic)
        }
        Err(e) => Err(e.into()),
    }
}

/// Zips go downloaded afresh, in one scratch directory removed when this is dropped.
pub struct AuthenticZips {
    _dir: TempDir,
    /// Each key's zip, or why go could not download it, in the order asked.
    pub zips: Vec<(ModuleKey, Result<PathBuf, String>)>,
}

/// Has go download `keys` (in one run) into a scratch module cache and gives their zips;
/// `cancel` kills go.
pub fn authentic_zips(
    go: &GoRunner,
    keys: &[ModuleKey],
    cancel: &CancelToken,
) -> Result<AuthenticZips, OpsError> {
    let dir = TempDir::create("diff")?;
    let scratch = ModCache::new(dir.path().join("modcache"));
    // Writable trees (-modcacherw), so that the scratch directory can be removed.
    let fetched = crate::fix::fetch::go_download_many(&scratch, keys, go, true, cancel);
    let zips = keys
        .iter()
        .enumerate()
        .map(|(i, key)| {
            let zip = match fetched.get(i) {
                Some(Ok(_)) => Ok(scratch.version_file(key, VersionFile::Zip)),
                Some(Err(e)) => Err(e.to_string()),
                None => Err(format!("{key}: go reported nothing")),
            };
            (key.clone(), zip)
        })
        .collect();
    Ok(AuthenticZips { _dir: dir, zips })
}

/// [`authentic_zips`] of one key: its zip, in the scratch directory `AuthenticZips` keeps.
fn authentic_zip(
    go: &GoRunner,
    key: &ModuleKey,
    cancel: &CancelToken,
) -> Result<(AuthenticZips, PathBuf), OpsError> {
    let fetched = authentic_zips(go, std::slice::from_ref(key), cancel)?;
    match fetched.zips.first().map(|(_, zip)| zip.clone()) {
        Some(Ok(zip)) => Ok((fetched, zip)),
        Some(Err(why)) => Err(OpsError::Invalid(why)),
        None => Err(OpsError::Invalid(format!("{key}: go reported nothing"))),
    }
}
