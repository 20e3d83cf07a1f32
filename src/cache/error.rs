//! What can go wrong in `cache`, typed: names go could not have written, files that cannot be
//! read. (A root that is not a module cache is [`super::recognize::NotACache`], beside the
//! check.) The cli turns these into one-line messages and exit status 2; the scan turns them
//! into leftovers and notes, which are data.

use std::path::PathBuf;

pub use super::read::ReadError;

/// A failure of the model.
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    /// A directory or file name that is not a valid escaped module path.
    #[error("invalid escaped module path {0:?}")]
    EscapedPath(String),
    /// A module path go's `CheckPath` rejects.
    #[error("invalid module path {path:?}: {reason}")]
    ModulePath {
        /// The unescaped path.
        path: String,
        /// go's rule it breaks.
        reason: String,
    },
    /// A file name that is not a valid escaped version.
    #[error("invalid escaped version {0:?}")]
    EscapedVersion(String),
    /// A version that is not a valid file-name element.
    #[error("invalid version {version:?}: {reason}")]
    VersionName {
        /// The unescaped version.
        version: String,
        /// go's rule it breaks.
        reason: String,
    },
    /// A version go would have written in canonical form.
    #[error("version {0:?} is not canonical")]
    NotCanonical(String),
    /// Not a semantic version at all.
    #[error("version {0:?} is not a semantic version")]
    NotSemver(String),
    /// A major version that does not fit the module path, in go's words.
    #[error("{reason}")]
    WrongMajor {
        /// `path@version`.
        key: String,
        /// go's words.
        reason: String,
    },
    /// A `.info` file that cannot be used.
    #[error("{reason}")]
    Info {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A file that cannot be read safely (the error names it).
    #[error(transparent)]
    Read(#[from] ReadError),
}
