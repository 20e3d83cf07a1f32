//! Restoring a version's lost or damaged `.mod` from its intact zip, offline: the zip's go.mod
//! (or the line go makes up for a module without one) is what the proxy serves as the `.mod`.
//! The verifier offers this only when go.sum or a proven checksum-database record confirms
//! that go.mod's hash; the caller verifies the result again.
//!
//! The order is go's own (`modfetch.writeDiskCache`): a temp file beside the `.mod`, renamed
//! over it, then `@v/list` rewritten with the version; here also under the version's lock.

use std::io::{self, Write as _};

use super::confined::{Confined, temp_beside};
use super::delete::{VersionLock, edit_list, ensure_inside};
use super::error::{DeleteError, io_err};
use crate::cache::{ModCache, ModuleKey, VersionFile};
use crate::verify::zipfile::go_mod_of_zip;

/// Writes `key`'s `.mod` from its zip's go.mod, replacing whatever is at that place.
pub fn restore_mod(cache: &ModCache, key: &ModuleKey) -> Result<(), DeleteError> {
    let confined = Confined::open(cache.root())?;
    let zip_path = cache.version_file(key, VersionFile::Zip);
    let mod_path = cache.version_file(key, VersionFile::Mod);
    let tmp = temp_beside(&mod_path);
    for path in [&zip_path, &mod_path, &tmp] {
        ensure_inside(cache.root(), path)?;
    }
    let _lock = VersionLock::acquire_in(&confined, cache, key)?;
    let bytes =
        go_mod_of_zip(&zip_path, key).map_err(|e| io_err(&zip_path)(io::Error::other(e)))?;
    let mut out = confined.create_new(&tmp, 0o666)?;
    if let Err(e) = out.write_all(&bytes) {
        let _ = confined.remove(&tmp);
        return Err(io_err(&tmp)(e));
    }
    drop(out);
    super::fault::checkpoint("restore_mod:written");
    // A directory in the .mod's place cannot be renamed over; it is nothing go wrote.
    let placed = match confined.file_type(&mod_path) {
        Ok(Some(rustix::fs::FileType::Directory)) => confined.remove(&mod_path).map(drop),
        other => other.map(drop),
    }
    .and_then(|()| confined.rename(&tmp, &mod_path));
    if let Err(e) = placed {
        let _ = confined.remove(&tmp);
        return Err(e);
    }
    super::fault::checkpoint("restore_mod:renamed");
    edit_list(&confined, cache, key, true)
}
