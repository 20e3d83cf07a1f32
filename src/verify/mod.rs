//! The integrity engine: every way a module version of the cache can be broken, found by
//! hashing and explained.
//!
//! This layer is a synchronous library, like [`crate::cache`]: it reads files (never writing,
//! and without bumping access times) and returns [`Verdict`]s. Running it over a whole cache on
//! a thread pool, with progress and cancellation, is the job of [`crate::ops::verify`]. It never
//! reads environment variables; callers pass go.sum lines and checksum-database keys in.

mod check;
pub mod diff;
pub mod error;
pub mod gocache;
pub mod goerr;
pub mod gosum;
pub mod hash;
mod problem;
pub mod store;
pub mod sumdb;
pub mod tlog;
mod tree;
pub(crate) mod zipfile;

pub use check::{Expectations, verify_entry};
pub use hash::H1;
pub use problem::{Change, FileChange, Fix, Hashes, Problem, ProblemKind, Status, Verdict};
