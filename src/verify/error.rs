//! What can go wrong in `verify`, typed. Most damage is not an error but a
//! [`Problem`](super::Problem) of a verdict; these are the failures of a single check, which the
//! verdict then explains, and the settings the verifier cannot use.

use std::path::PathBuf;

/// A check that could not be carried out, or a setting that cannot be used.
#[derive(Debug, thiserror::Error)]
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
    /// A `--project` directory that is not one.
    #[error("project {0} is not a directory")]
    NotADirectory(PathBuf),
    /// A `--project` directory that cannot be walked.
    #[error("reading project {dir}: {source}")]
    ProjectUnreadable {
        /// The project.
        dir: PathBuf,
        /// Why.
        source: walkdir::Error,
    },
    /// A `--project` directory with nothing of go's in it.
    #[error(
        "no go.mod, go.work, go.sum or go.work.sum {} project {}",
        if *below { "below" } else { "in" },
        dir.display()
    )]
    NoGoFiles {
        /// The project.
        dir: PathBuf,
        /// Whether the files were looked for below it (`--recursive`).
        below: bool,
    },
    /// A go.sum, go.work.sum or go.work that cannot be read.
    #[error("cannot read {0}")]
    Unreadable(#[from] crate::cache::read::ReadError),
    /// A go.sum line go would reject.
    #[error("malformed go.sum: {}:{line}: wrong number of fields {fields}", file.display())]
    MalformedGoSum {
        /// The file.
        file: PathBuf,
        /// Its line number, from 1.
        line: usize,
        /// How many fields it has.
        fields: usize,
    },
    /// A signed note (a cached checksum-database answer) does not verify.
    #[error("{0}")]
    Note(String),
}
