//! The go.mod a module zip carries, as go serves it for the version's `.mod`: the zip's root
//! `go.mod`, or, for a module without one, the line go makes up (`modfetch.LegacyGoMod`:
//! `module <path>`). It is what the proxy protocol's `.mod` answers for a version whose zip
//! this is, so a lost `.mod` can be restored from an intact zip, once its hash is confirmed.

use std::io::Read;
use std::path::Path;

use super::MAX_GO_MOD;
use crate::cache::{ModuleKey, read};

/// The bytes of the `.mod` that goes with the zip at `zip` of `key`, or why they cannot be
/// told (an unreadable zip, a `go.mod` that is a directory or larger than go allows).
pub fn go_mod_of_zip(zip: &Path, key: &ModuleKey) -> Result<Vec<u8>, String> {
    let file = read::open(zip).map_err(|e| e.to_string())?;
    let mut archive =
        zip::ZipArchive::new(std::io::BufReader::new(file)).map_err(|e| e.to_string())?;
    let name = format!("{key}/go.mod");
    let dir = format!("{name}/");
    if archive
        .file_names()
        .any(|n| n.is_ok_and(|n| n.starts_with(&dir)))
    {
        return Err("its go.mod is a directory".into());
    }
    if archive.index_for_name(&name).is_none() {
        return Ok(format!("module {}\n", key.path).into_bytes());
    }
    let entry = archive.by_name(&name).map_err(|e| e.to_string())?;
    if entry.size() > MAX_GO_MOD {
        return Err(format!(
            "its go.mod is larger than go allows ({MAX_GO_MOD} bytes)"
        ));
    }
    let mut bytes = Vec::new();
    entry
        .take(MAX_GO_MOD + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| e.to_string())?;
    if bytes.len() as u64 > MAX_GO_MOD {
        return Err(format!(
            "its go.mod is larger than go allows ({MAX_GO_MOD} bytes)"
        ));
    }
    Ok(bytes)
}
