//! Where the state database lives, and the checks made before anything is created there: never
//! inside the module cache, never through a link, in a directory only its owner can read.

use std::path::{Path, PathBuf};

use super::StateError;
use crate::cache::goenv::GoEnv;

/// The default place: `$XDG_STATE_HOME/modlens/state.db`, else
/// `$HOME/.local/state/modlens/state.db`.
pub fn default_path(env: &GoEnv) -> Option<PathBuf> {
    let base = env
        .process_var("XDG_STATE_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| {
            env.process_var("HOME")
                .map(|h| PathBuf::from(h).join(".local").join("state"))
        })?;
    Some(base.join("modlens").join("state.db"))
}

/// Checks `path` for a database used with the cache at `cache_root`, and creates its directory
/// (mode 0700): refused inside the cache, and where the file or SQLite's files beside it are
/// anything but regular files.
pub(super) fn prepare_place(path: &Path, cache_root: &Path) -> Result<(), StateError> {
    let canonical_cache = cache_root
        .canonicalize()
        .unwrap_or_else(|_| cache_root.to_path_buf());
    let parent = path.parent().unwrap_or(Path::new("."));
    // Checked before anything is created: a state path inside the cache would make files
    // there that go never wrote.
    if resolve_existing_prefix(parent).starts_with(&canonical_cache) {
        return Err(StateError::InsideCache {
            path: path.to_path_buf(),
            cache: cache_root.to_path_buf(),
        });
    }
    // The database and SQLite's files beside it are never reached through a link, which
    // could point at another file of the user's.
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        let file = PathBuf::from(name);
        if std::fs::symlink_metadata(&file).is_ok_and(|m| !m.file_type().is_file()) {
            return Err(StateError::NotRegular { path: file });
        }
    }
    {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(parent)
            .map_err(|source| StateError::Io {
                path: path.to_path_buf(),
                source,
            })?;
    }
    Ok(())
}

/// `path` with its longest existing prefix resolved (links and `..`), the rest appended: where
/// a path that does not exist yet would be created.
fn resolve_existing_prefix(path: &Path) -> PathBuf {
    let mut rest = Vec::new();
    let mut prefix = path.to_path_buf();
    loop {
        if let Ok(real) = prefix.canonicalize() {
            return rest.iter().rev().fold(real, |p, name| p.join(name));
        }
        match (prefix.file_name().map(|n| n.to_owned()), prefix.parent()) {
            (Some(name), Some(parent)) => {
                rest.push(name);
                prefix = parent.to_path_buf();
            }
            _ => return path.to_path_buf(),
        }
    }
}
