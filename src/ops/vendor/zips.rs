//! The zips vendored modules are compared with, each proven first: by the project's go.sum,
//! else by an answer of a checksum database that go cached and that its tiles prove. The
//! cache's own copy is taken when it hashes as proven; every other one is downloaded by go in
//! one run into a private scratch directory (never the cache), and must hash as proven too.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::VendorInputs;
use crate::cache::{ModuleKey, VersionFile};
use crate::ops::diff::{AuthenticZips, authentic_zips};
use crate::verify::gosum::GoSums;
use crate::verify::zipfile::{Scratch, check_zip};

/// Each module version's proven zip, or why there is none; the downloaded ones live as long
/// as this.
pub(super) struct ProvenZips {
    zips: HashMap<ModuleKey, Result<PathBuf, String>>,
    _downloaded: Option<AuthenticZips>,
}

impl ProvenZips {
    /// Proves the zips of `keys`, downloading in one go run those the cache does not hold as
    /// proven.
    pub(super) fn prove(inputs: &VendorInputs<'_>, keys: &[ModuleKey], gosums: &GoSums) -> Self {
        let mut zips = HashMap::new();
        let mut wants = HashMap::new();
        let mut to_fetch = Vec::new();
        for key in keys {
            let Some(want) = wanted(inputs, key, gosums) else {
                zips.insert(
                    key.clone(),
                    Err(format!(
                        "go.sum has no line for {key}, and no proven checksum-database answer \
                         is cached"
                    )),
                );
                continue;
            };
            let cached = inputs
                .cache
                .as_ref()
                .map(|c| c.version_file(key, VersionFile::Zip))
                .filter(|zip| h1(zip, key).as_deref() == Some(want.0.as_str()));
            match cached {
                Some(zip) => {
                    zips.insert(key.clone(), Ok(zip));
                }
                None => {
                    to_fetch.push(key.clone());
                    wants.insert(key.clone(), want);
                }
            }
        }
        if to_fetch.is_empty() {
            return ProvenZips {
                zips,
                _downloaded: None,
            };
        }
        let downloaded = match authentic_zips(&inputs.go, &to_fetch, &inputs.cancel) {
            Ok(downloaded) => downloaded,
            Err(e) => {
                for key in to_fetch {
                    zips.insert(key.clone(), Err(format!("no proven zip of {key}: {e}")));
                }
                return ProvenZips {
                    zips,
                    _downloaded: None,
                };
            }
        };
        for (key, zip) in &downloaded.zips {
            let (hash, place) = &wants[key];
            let proven = match zip {
                Err(why) => Err(format!("no proven zip of {key}: {why}")),
                Ok(zip) => match h1(zip, key) {
                    Some(h) if h == *hash => Ok(zip.clone()),
                    other => Err(format!(
                        "the zip of {key} go downloads hashes to {}, {place} says {hash}",
                        other.as_deref().unwrap_or("nothing"),
                    )),
                },
            };
            zips.insert(key.clone(), proven);
        }
        ProvenZips {
            zips,
            _downloaded: Some(downloaded),
        }
    }

    /// `key`'s proven zip, or why there is none.
    pub(super) fn get(&self, key: &ModuleKey) -> Result<&Path, String> {
        match self.zips.get(key) {
            Some(Ok(zip)) => Ok(zip),
            Some(Err(why)) => Err(why.clone()),
            None => Err(format!("{key}: no zip was asked for")),
        }
    }
}

/// The `h1:` a zip of `key` must hash to, and what says so: go.sum's line, else a proven
/// answer of a checksum database go cached.
fn wanted(inputs: &VendorInputs<'_>, key: &ModuleKey, gosums: &GoSums) -> Option<(String, String)> {
    match gosums.zip_lines(key).iter().find(|l| l.is_h1()) {
        Some(line) => Some((line.hash.clone(), line.place())),
        None => proven_record(inputs, key),
    }
}

/// The zip hash of `source` in a checksum-database answer go cached, proven by the cached
/// tiles, and where it comes from.
fn proven_record(inputs: &VendorInputs<'_>, source: &ModuleKey) -> Option<(String, String)> {
    use crate::verify::sumdb::{Answer, cached_answer};
    let (keys, _) = crate::ops::engine::sumdb_keys(inputs.goenv);
    let sumdb = inputs.cache.as_ref()?.sumdb_root();
    keys.iter()
        .find_map(|verifier| match cached_answer(&sumdb, verifier, source) {
            Answer::Proven(Some(zip), _) => Some((zip, format!("the {} record", verifier.name))),
            _ => None,
        })
}

/// The zip's `h1:`, if it is a zip go would accept for `key`.
fn h1(zip: &Path, key: &ModuleKey) -> Option<String> {
    Scratch::with(|scratch| check_zip(zip, key, scratch, false))
        .ok()
        .and_then(|r| r.h1)
        .map(|h| h.to_string())
}
