//! A hand-built cache for tests that do not need the go command: they exercise names and shapes
//! go never writes (leftovers, bad names, symlinks), which go cannot be asked to produce.

use std::fs;
use std::path::{Path, PathBuf};

use super::TempTree;

/// A module cache under construction in a temp dir.
pub struct HandCache {
    tree: TempTree,
}

impl HandCache {
    pub fn new() -> Self {
        let tree = TempTree::new();
        fs::create_dir_all(tree.path().join("modcache/cache/download")).unwrap();
        HandCache { tree }
    }

    /// The cache root.
    pub fn root(&self) -> PathBuf {
        self.tree.path().join("modcache")
    }

    /// A path beside the cache, outside it.
    pub fn outside(&self) -> PathBuf {
        self.tree.path().join("outside")
    }

    /// Writes a file at `rel` below the root, creating parents.
    pub fn file(&self, rel: &str, content: &str) -> &Self {
        let path = self.root().join(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, content).unwrap();
        self
    }

    /// Creates a directory at `rel` below the root.
    pub fn dir(&self, rel: &str) -> &Self {
        fs::create_dir_all(self.root().join(rel)).unwrap();
        self
    }

    /// A complete version as go leaves it: `.info`, `.mod`, `.zip` (not a real zip: list never
    /// opens it), `.ziphash`, `.lock` and an extracted tree with `files`.
    pub fn version(
        &self,
        esc_path: &str,
        esc_version: &str,
        real_version: &str,
        files: &[(&str, &str)],
    ) -> &Self {
        let at_v = format!("cache/download/{esc_path}/@v/{esc_version}");
        self.file(
            &format!("{at_v}.info"),
            &format!("{{\"Version\":\"{real_version}\",\"Time\":\"2023-01-02T03:04:05Z\"}}"),
        );
        self.file(&format!("{at_v}.mod"), "module x\n");
        self.file(&format!("{at_v}.zip"), "PK not really a zip");
        self.file(
            &format!("{at_v}.ziphash"),
            "h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        );
        self.file(&format!("{at_v}.lock"), "");
        for (name, content) in files {
            self.file(&format!("{esc_path}@{esc_version}/{name}"), content);
        }
        self
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.root().join(rel)
    }

    pub fn exists(&self, rel: &str) -> bool {
        Path::new(&self.root().join(rel)).exists()
    }
}
