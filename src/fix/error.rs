//! What can go wrong while changing the cache, typed. `ops` wraps these into its own errors;
//! a single delete keeps its own type, [`DeleteError`].

use crate::cache::ModuleKey;

pub use super::delete::DeleteError;

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
