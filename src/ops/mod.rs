//! Work that runs off the caller's thread: pools, progress and cancellation.
//!
//! The libraries below (`cache`, `verify`) are synchronous; this module runs them on named
//! rayon pools and reports through channels, so the CLI and the TUI consume the same events.

pub mod confined;
pub mod delete;
pub mod error;
pub mod fault;
pub mod fetch;
pub mod gocache;
pub mod gocmd;
pub mod goindex;
pub mod graph;
pub mod jobs;
pub mod policy;
pub mod pools;
pub mod project;
pub mod refetch;
pub mod restore;
pub mod scan;
pub mod state;
pub mod trash;
pub mod verify;
