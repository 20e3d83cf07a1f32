//! What can go wrong in `ops`, typed: the cli turns these into one-line messages and exit
//! status 2, the explorer into a job's failed item.
//!
//! Each variant says what failed and where (a path, a `module@version`). Errors of a single
//! delete keep their own type, [`DeleteError`], which this wraps.

use crate::cache::ModuleKey;

use crate::fix::FixError;
pub use crate::fix::delete::DeleteError;

/// An operation on the cache that failed.
#[derive(Debug, thiserror::Error)]
pub enum OpsError {
    /// Threads could not be started.
    #[error("cannot start threads: {0}")]
    Threads(#[source] std::io::Error),
    /// Removing, locking, writing or renaming in the cache failed, or was refused.
    #[error(transparent)]
    Change(#[from] DeleteError),
    /// Running go failed, in go's words (they name the module) with a hint.
    #[error("{message}")]
    Go {
        /// What go (or starting it) said.
        message: String,
    },
    /// A download was refused or failed; the cache is unchanged for that version.
    #[error("unchanged: {reason}")]
    Fetch {
        /// The version.
        key: ModuleKey,
        /// Why: go's words, or the check of go's hashes against go.sum that failed.
        reason: String,
    },
    /// A `doctor` project directory go cannot work in.
    #[error("project {dir}: {reason}")]
    Project {
        /// The directory.
        dir: std::path::PathBuf,
        /// Why.
        reason: String,
    },
    /// Putting a trash entry back failed (the entry stays in the trash, or the version is
    /// left marked `.partial` for go to fetch again).
    #[error("{0}")]
    Restore(String),
    /// An operation panicked; the program goes on, the item failed.
    #[error("internal error: {0}")]
    Panicked(String),
}

impl OpsError {
    /// The download of `key` did not change the cache, for `reason`.
    pub fn unchanged(key: &ModuleKey, reason: impl std::fmt::Display) -> OpsError {
        OpsError::Fetch {
            key: key.clone(),
            reason: reason.to_string(),
        }
    }
}

impl From<FixError> for OpsError {
    fn from(e: FixError) -> OpsError {
        match e {
            FixError::Change(e) => OpsError::Change(e),
            FixError::Go { message } => OpsError::Go { message },
            FixError::Fetch { key, reason } => OpsError::Fetch { key, reason },
        }
    }
}
