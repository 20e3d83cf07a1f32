//! What can go wrong in `ops`, typed: the cli turns these into one-line messages and exit
//! status 2, the explorer into a job's failed item.
//!
//! Each variant says what failed and where (a path, a `module@version`). The write kernel's
//! errors keep their own type, [`FixError`], which this wraps.

use crate::cache::ModuleKey;

use crate::fix::FixError;
pub use crate::fix::delete::DeleteError;

/// An operation on the cache that failed.
#[derive(Debug, thiserror::Error)]
pub enum OpsError {
    /// Threads could not be started.
    #[error("cannot start threads: {0}")]
    Threads(#[source] std::io::Error),
    /// A change to the cache, or a go command on its behalf, failed (see [`FixError`]).
    #[error(transparent)]
    Fix(#[from] FixError),
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
    /// A `--state` (or `MODLENS_STATE`) that modlens must never use.
    #[error("invalid --state: {0}")]
    BadState(#[source] super::state::StateError),
    /// A go.sum or a checksum-database setting that cannot be read.
    #[error(transparent)]
    Verify(#[from] crate::verify::error::VerifyError),
    /// A diff could not be made.
    #[error(transparent)]
    Diff(#[from] crate::verify::diff::DiffError),
    /// An argument that names nothing modlens may act on.
    #[error("{0}")]
    Invalid(String),
    /// An operation panicked; the program goes on, the item failed.
    #[error("internal error: {0}")]
    Panicked(String),
}

impl OpsError {
    /// The download of `key` did not change the cache, for `reason`.
    pub fn unchanged(key: &ModuleKey, reason: impl std::fmt::Display) -> OpsError {
        OpsError::Fix(FixError::unchanged(key, reason))
    }

    /// Running go (or the user's command) failed, in its words.
    pub fn go(message: impl Into<String>) -> OpsError {
        OpsError::Fix(FixError::Go {
            message: message.into(),
        })
    }
}

impl From<DeleteError> for OpsError {
    fn from(e: DeleteError) -> OpsError {
        OpsError::Fix(FixError::Change(e))
    }
}
