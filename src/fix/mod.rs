//! The write kernel: every change modlens makes to a cache, synchronous, with no threads and
//! no channels.
//!
//! Writes are confined under a held root handle and never cross a link or a mount
//! ([`confined`]); versions are deleted, trashed, restored and repaired in go's crash-safe
//! order under go's own locks ([`delete`], [`trash`], [`restore`], [`refetch`]); downloads go
//! through go into a scratch cache and are swapped in only once checked ([`fetch`]); go runs on
//! modlens's behalf with the user's settings ([`gocmd`]), and its index of module trees is
//! dropped for every tree changed ([`goindex`]). `ops` runs all of it on its pools.

pub mod confined;
pub mod delete;
pub mod error;
pub mod fault;
pub mod fetch;
pub mod gocache;
pub mod gocmd;
pub mod goindex;
pub mod gomod;
pub(crate) mod http;
pub mod mirror;
pub mod private_dir;
pub mod refetch;
pub mod restore;
pub mod s3;
pub mod s3_store;
pub mod store;
pub mod sumdb;
pub mod trash;

pub use error::FixError;
