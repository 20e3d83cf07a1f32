//! Work that runs off the caller's thread: pools, progress and cancellation.
//!
//! The libraries below (`cache`, `verify`, `fix`) are synchronous; this module runs them on named
//! rayon pools and reports through channels, so the CLI and the TUI consume the same events.

pub mod broken;
pub mod diff;
pub mod engine;
pub mod error;
pub mod gocache;
pub mod graph;
pub mod jobs;
pub mod plan;
pub mod policy;
pub mod pools;
pub mod project;
pub mod scan;
pub mod state;
pub mod store;
pub mod stream;
pub mod sumdb;
pub mod vendor;
pub mod verify;
