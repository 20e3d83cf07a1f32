//! What can go wrong in `verify`, typed. Most damage is not an error but a
//! [`Problem`](super::Problem) of a verdict; these are the failures of a single check, which the
//! verdict then explains, and the settings the verifier cannot use.

use std::path::PathBuf;

/// A check that could not be carried out, or a setting that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// A zip could not be read, or is not a zip go can open.
    #[error("{reason}")]
    Zip {
        /// The zip file.
        path: PathBuf,
        /// Why, in words close to go's ("not a valid zip file: ...").
        reason: String,
    },
    /// A checksum-database verifier key that cannot be used.
    #[error("invalid verifier key {key:?}: {reason}")]
    VerifierKey {
        /// The key as given.
        key: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// GOSUMDB names a database without its key.
    #[error("GOSUMDB={0:?} names a checksum database without its key; use <name>+<hash>+<key>")]
    GosumdbWithoutKey(String),
    /// A signed note (a cached checksum-database answer) does not verify.
    #[error("{0}")]
    Note(String),
}
