//! modlens explores, verifies and repairs the Go module cache (GOMODCACHE).
//!
//! The library is layered. [`cache`] models the cache on disk and scans it; [`verify`] finds
//! and explains damage; both are synchronous and never write. [`ops`] runs them on pools and
//! holds everything that changes the cache (crash-safe deletes, repairs, jobs); [`ops::policy`]
//! says which versions a cleaning rule selects. [`tui`] is the interactive explorer and [`cli`]
//! the commands; `main.rs` only calls [`run`].

pub mod cache;
pub mod cli;
pub mod ops;
pub mod tui;
pub mod verify;

pub use cli::run;
