//! What can go wrong while changing the cache, typed. `ops` wraps these into its own errors;
//! a single delete keeps its own type, [`DeleteError`].

use std::io;
use std::path::{Path, PathBuf};

use crate::cache::ModuleKey;

/// A change to the cache, or a go command on its behalf, that failed.
#[derive(Debug, thiserror::Error)]
pub enum FixError {
    /// Removing, locking, writing or renaming in the cache failed, or was refused.
    #[error(transparent)]
    Change(#[from] DeleteError),
    /// Running go failed, in go's words (they name the module) with a hint.
    #[error("{message}")]
    Go {
        /// What go (or starting it) said.
        message: String,
    },
    /// A store behind a URL could not be read, or its mirror not written.
    #[error("{0}")]
    Store(String),
    /// A download was refused or failed; the cache is unchanged for that version.
    #[error("unchanged: {reason}")]
    Fetch {
        /// The version.
        key: ModuleKey,
        /// Why: go's words, or the check of go's hashes against go.sum that failed.
        reason: String,
    },
}

impl FixError {
    /// The download of `key` did not change the cache, for `reason`.
    pub fn unchanged(key: &ModuleKey, reason: impl std::fmt::Display) -> FixError {
        FixError::Fetch {
            key: key.clone(),
            reason: reason.to_string(),
        }
    }
}

/// Why a delete did not happen or did not finish.
#[derive(Debug, thiserror::Error)]
pub enum DeleteError {
    /// The path would leave the cache root.
    #[error("refusing to touch {0}: it is not inside the cache root")]
    OutsideRoot(PathBuf),
    /// A symlink where modlens would write, lock or descend; links are never followed.
    #[error("refusing to touch {0}: it is a symlink, and modlens never writes through links")]
    Link(PathBuf),
    /// A mount point below the root: another file system (or a bind mount) is never entered,
    /// as `rm --one-file-system` does.
    #[error(
        "refusing to touch {0}: it is a mount point below the cache root, and modlens never \
         crosses into another file system"
    )]
    Mount(PathBuf),
    /// A FIFO, socket, device or directory where a regular file belongs.
    #[error("refusing to touch {path}: it is a {kind}, not a regular file")]
    NotRegular {
        /// The path concerned.
        path: PathBuf,
        /// What it is.
        kind: &'static str,
    },
    /// A file-system operation failed.
    #[error("{path}: {source}")]
    Io {
        /// The path concerned.
        path: PathBuf,
        /// The error.
        source: io::Error,
    },
    /// A version delete stopped part way; what it removed is counted.
    #[error("{error} (stopped after removing {files} files)")]
    Interrupted {
        /// Files removed before it stopped.
        files: u64,
        /// Why it stopped.
        error: Box<DeleteError>,
    },
}

impl DeleteError {
    /// Whether it says that the path does not exist.
    pub fn is_not_found(&self) -> bool {
        matches!(self, DeleteError::Io { source, .. } if source.kind() == io::ErrorKind::NotFound)
    }

    /// Whether it says that something is already at the path.
    pub fn is_exists(&self) -> bool {
        matches!(self, DeleteError::Io { source, .. } if source.kind() == io::ErrorKind::AlreadyExists)
    }

    /// Files removed before the error (0 unless the delete stopped part way).
    pub fn files_removed(&self) -> u64 {
        match self {
            DeleteError::Interrupted { files, .. } => *files,
            _ => 0,
        }
    }
}

/// Wraps an I/O error with the path it concerns.
pub(crate) fn io_err(path: &Path) -> impl FnOnce(io::Error) -> DeleteError + '_ {
    move |source| DeleteError::Io {
        path: path.to_path_buf(),
        source,
    }
}
