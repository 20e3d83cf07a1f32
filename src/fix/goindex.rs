//! go's index of module-cache trees. Since go 1.19 the go command keeps, in GOCACHE, an index
//! of each module tree it builds from (`cmd/go/internal/modindex`), keyed by the tree's path
//! alone: go assumes trees in the module cache never change. After modlens changes a tree in
//! place (a re-extraction, a swap, a restore), that index would still describe the old tree,
//! and go would keep failing with the old damage. Dropping the index's action entry makes go
//! index the tree again on its next use.
//!
//! The key is go's `moduleHash`: the SHA-256 of go's version (its GOEXPERIMENT part cut off,
//! the cache's salt), then `module index <version> <index version> <tree>\n`. The index
//! version changed over releases ("go index v1" in go 1.19, "go index v2" in go 1.27); every
//! one go has used is dropped, so no GOROOT source is needed.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::confined::Confined;
use crate::cache::gocache::{Location, locate};
use crate::cache::goenv::GoEnv;

/// The index versions go has written (`indexVersion` in `modindex/write.go`), and the next.
const INDEX_VERSIONS: [&str; 4] = ["go index v0", "go index v1", "go index v2", "go index v3"];

/// Where the user's go keeps its tree index, and which go it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeIndex {
    gocache: PathBuf,
    go_version: String,
}

impl TreeIndex {
    /// The index of the go the user runs, `None` without a build cache or a go to ask.
    pub fn from_env(goenv: &GoEnv) -> Option<TreeIndex> {
        let go_version = goenv.get("GOVERSION")?;
        match locate(None, goenv) {
            Location::Dir(gocache) => Some(TreeIndex {
                gocache,
                go_version,
            }),
            Location::Off(_) => None,
        }
    }

    /// Drops go's index entries of the tree at `tree` (the path go knows it by: GOMODCACHE and
    /// the escaped `path@version`); returns how many there were.
    pub fn forget(&self, tree: &Path) -> usize {
        let Ok(confined) = Confined::open(&self.gocache) else {
            return 0;
        };
        INDEX_VERSIONS
            .iter()
            .map(|index| action_id(&self.go_version, index, tree))
            .filter(|id| {
                let hex: String = id.iter().map(|b| format!("{b:02x}")).collect();
                let entry = self.gocache.join(&hex[..2]).join(format!("{hex}-a"));
                confined.remove(&entry).is_ok_and(|n| n > 0)
            })
            .count()
    }
}

/// go's `moduleHash(tree, true)` for the go `version` and `index` version.
fn action_id(version: &str, index: &str, tree: &Path) -> [u8; 32] {
    let salt = version
        .find(" X:")
        .or_else(|| version.find("-X:"))
        .map_or(version, |i| &version[..i]);
    let mut h = Sha256::new();
    h.update(salt.as_bytes());
    h.update(format!("module index {version} {index} {}\n", tree.display()).as_bytes());
    h.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_salt_drops_the_experiment_but_the_line_keeps_it() {
        let plain = action_id("go1.22.0", "go index v1", Path::new("/m/a@v1.0.0"));
        let experiment = action_id(
            "go1.22.0 X:loopvar",
            "go index v1",
            Path::new("/m/a@v1.0.0"),
        );
        assert_ne!(plain, experiment);
        let mut h = Sha256::new();
        h.update(b"go1.22.0module index go1.22.0 X:loopvar go index v1 /m/a@v1.0.0\n");
        assert_eq!(experiment, <[u8; 32]>::from(h.finalize()));
    }
}
