//! An authentic copy of a version's zip, for `modlens diff` when the cache's own zip is not the
//! one go downloaded: go downloads the version again, with the user's settings (GOPROXY,
//! GOSUMDB, GOPRIVATE…), into a private scratch module cache outside the real one, checking it
//! as it checks every download. The real cache is never written.

use std::path::PathBuf;

use super::error::OpsError;
use crate::cache::cancel::CancelToken;
use crate::cache::{ModCache, ModuleKey, VersionFile};
use crate::fix::gocmd::{GoRunner, TempDir};

/// A zip go downloaded afresh, in a scratch directory removed when this is dropped.
pub struct AuthenticZip {
    _dir: TempDir,
    /// The zip.
    pub zip: PathBuf,
    /// Its `h1:`, as go reported it.
    pub sum: Option<String>,
}

/// Has go download `key` into a scratch module cache and gives its zip.
pub fn authentic_zip(go: &GoRunner, key: &ModuleKey) -> Result<AuthenticZip, OpsError> {
    let dir = TempDir::create("diff")?;
    let scratch = ModCache::new(dir.path().join("modcache"));
    // Writable trees (-modcacherw), so that the scratch directory can be removed.
    let fetched = crate::fix::fetch::go_download_many(
        &scratch,
        std::slice::from_ref(key),
        go,
        true,
        &CancelToken::new(),
    );
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
