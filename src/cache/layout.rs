//! Where the go command keeps each piece of a module version inside GOMODCACHE.
//!
//! Every other part of modlens asks this module for paths instead of joining strings itself, so
//! the layout of `cache/download/<escaped path>/@v/<escaped version>.<ext>` and of the extracted
//! `<escaped path>@<escaped version>/` trees is written down exactly once. It performs no I/O.

use std::path::{Path, PathBuf};

use super::module::{ModuleKey, escape};

/// The files go keeps for one version under `cache/download/<path>/@v/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VersionFile {
    /// `<v>.info`: JSON with `Version`, `Time` and sometimes `Origin`.
    Info,
    /// `<v>.mod`: the go.mod bytes.
    Mod,
    /// `<v>.zip`: the module zip as downloaded.
    Zip,
    /// `<v>.ziphash`: the `h1:` hash of the zip, written when it was downloaded.
    Ziphash,
    /// `<v>.lock`: the flock go takes while it downloads or extracts the version.
    Lock,
    /// `<v>.partial`: present while the tree is being extracted (or deleted).
    Partial,
}

impl VersionFile {
    /// All pieces, in the order they are listed to users.
    pub const ALL: [VersionFile; 6] = [
        VersionFile::Info,
        VersionFile::Mod,
        VersionFile::Zip,
        VersionFile::Ziphash,
        VersionFile::Lock,
        VersionFile::Partial,
    ];

    /// The file-name extension, without the dot.
    pub fn ext(self) -> &'static str {
        match self {
            VersionFile::Info => "info",
            VersionFile::Mod => "mod",
            VersionFile::Zip => "zip",
            VersionFile::Ziphash => "ziphash",
            VersionFile::Lock => "lock",
            VersionFile::Partial => "partial",
        }
    }

    /// Splits a file name found in an `@v` directory into its escaped version and piece.
    pub fn split_name(name: &str) -> Option<(&str, VersionFile)> {
        let (stem, ext) = name.rsplit_once('.')?;
        let file = VersionFile::ALL.into_iter().find(|f| f.ext() == ext)?;
        (!stem.is_empty()).then_some((stem, file))
    }
}

/// The name prefix, inside `cache/`, of the scratch caches modlens downloads into before it
/// swaps a re-fetched version in. One left behind by a crash is a `tmp_dir` leftover.
pub const SCRATCH_PREFIX: &str = "modlens-fetch-";

/// A module cache rooted at an absolute directory (GOMODCACHE).
#[derive(Debug, Clone)]
pub struct ModCache {
    root: PathBuf,
}

impl ModCache {
    /// A cache at `root`. The caller has checked that it is an existing directory.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        ModCache { root: root.into() }
    }

    /// The GOMODCACHE directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `cache/download`, where go keeps what it downloaded.
    pub fn download_root(&self) -> PathBuf {
        self.root.join("cache").join("download")
    }

    /// `cache/vcs`, the repositories of direct-mode fetches.
    pub fn vcs_root(&self) -> PathBuf {
        self.root.join("cache").join("vcs")
    }

    /// `cache/download/sumdb`, the checksum-database cache.
    pub fn sumdb_root(&self) -> PathBuf {
        self.download_root().join("sumdb")
    }

    /// `cache/download/<escaped path>/@v` for a module path given in escaped form.
    pub fn at_v_dir_escaped(&self, esc_path: &str) -> PathBuf {
        let mut dir = self.download_root();
        dir.extend(esc_path.split('/'));
        dir.push("@v");
        dir
    }

    /// `cache/download/<escaped path>/@v` for a module.
    pub fn at_v_dir(&self, key: &ModuleKey) -> PathBuf {
        self.at_v_dir_escaped(&key.escaped_path())
    }

    /// `cache/download/<escaped path>/@v/<escaped version>.<ext>`.
    pub fn version_file(&self, key: &ModuleKey, file: VersionFile) -> PathBuf {
        self.at_v_dir(key)
            .join(format!("{}.{}", key.escaped_version(), file.ext()))
    }

    /// The extracted tree `<escaped path>@<escaped version>`.
    pub fn tree_dir(&self, key: &ModuleKey) -> PathBuf {
        self.tree_dir_escaped(&key.escaped_path(), &escape(&key.version))
    }

    /// The extracted tree for an escaped path and escaped version.
    pub fn tree_dir_escaped(&self, esc_path: &str, esc_version: &str) -> PathBuf {
        let mut dir = self.root.clone();
        dir.extend(format!("{esc_path}@{esc_version}").split('/'));
        dir
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_use_escaped_names() {
        let cache = ModCache::new("/c");
        let key = ModuleKey {
            path: "example.com/MixedCase".into(),
            version: "v1.3.0-RC1".into(),
        };
        assert_eq!(
            cache.version_file(&key, VersionFile::Zip),
            PathBuf::from("/c/cache/download/example.com/!mixed!case/@v/v1.3.0-!r!c1.zip")
        );
        assert_eq!(
            cache.tree_dir(&key),
            PathBuf::from("/c/example.com/!mixed!case@v1.3.0-!r!c1")
        );
    }

    #[test]
    fn version_file_names_split() {
        assert_eq!(
            VersionFile::split_name("v2.0.0+incompatible.ziphash"),
            Some(("v2.0.0+incompatible", VersionFile::Ziphash))
        );
        assert_eq!(VersionFile::split_name("v1.2.3.zip123.tmp"), None);
        assert_eq!(VersionFile::split_name("list"), None);
    }
}
