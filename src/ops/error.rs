//! What can go wrong in `ops`, typed: the cli turns these into one-line messages and exit
//! status 2, the explorer into a job's failed item.
//!
//! Each variant says what failed and where (a path, a `module@version`). Errors of a single
//! delete keep their own type, [`DeleteError`], which this wraps.

use crate::cache::ModuleKey;

pub use super::delete::DeleteError;

/// An operation on the cache that failed.
#[derive(Debug, thiserror::Error)]
pub enum OpsError {
    /// Threads could not be started.
    #[error("cannot start threads: {0}")]
    Threads(#[source] std::io::Error),
    /// Removing, locking, writing or renaming in the cache failed.
    #[error(transparent)]
    Delete(#[from] DeleteError),
    /// A download through go failed or was refused; the cache is unchanged for that version.
    #[error("unchanged: {reason}")]
    Fetch {
        /// The version.
        key: ModuleKey,
        /// go's words (they name the module) and a hint, or modlens's check that failed.
        reason: String,
    },
    /// The version could not be repaired offline.
    #[error("{key}: {reason}")]
    Repair {
        /// The version.
        key: ModuleKey,
        /// What went wrong.
        reason: String,
    },
    /// An operation panicked; the program goes on, the item failed.
    #[error("internal error: {0}")]
    Panicked(String),
}
