//! JSON shapes more than one command prints, written once so that `list --json` and
//! `verify --json` name a leftover the same way.

use std::path::Path;

use serde::Serialize;

use crate::cache::Leftover;
use crate::cache::fmt::{escaped_path, path_hex};

/// Where a leftover is and whose it is.
#[derive(Serialize)]
pub(super) struct LeftoverPlace {
    kind: &'static str,
    /// The path, with bytes that are not UTF-8 escaped as `\xNN`.
    path: String,
    /// The raw bytes of the path as hex, only when it is not UTF-8.
    #[serde(skip_serializing_if = "Option::is_none")]
    path_hex: Option<String>,
    module: Option<String>,
    version: Option<String>,
}

impl LeftoverPlace {
    /// The place of `leftover` in the cache at `root`.
    pub(super) fn new(root: &Path, leftover: &Leftover) -> LeftoverPlace {
        let path = root.join(&leftover.rel_path);
        LeftoverPlace {
            kind: leftover.kind.name(),
            path: escaped_path(&path),
            path_hex: path_hex(&path),
            module: leftover.module.as_ref().map(|k| k.path.clone()),
            version: leftover.module.as_ref().map(|k| k.version.clone()),
        }
    }
}
