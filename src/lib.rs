//! modlens explores, verifies and repairs the Go module cache (GOMODCACHE).
//!
//! The library is layered. [`cache`] models the cache on disk and scans it; [`verify`] finds
//! and explains damage; both are synchronous and never write. [`fix`] is the write kernel:
//! every change to a cache (crash-safe deletes, the trash, repairs, downloads), synchronous.
//! [`ops`] runs all of them on pools (scans, verification, jobs); [`ops::policy`]
//! says which versions a cleaning rule selects. [`tui`] is the interactive explorer and [`cli`]
//! the commands; `main.rs` only calls [`run`].

pub mod cache;
pub mod cli;
pub mod fix;
pub mod ops;
pub mod tui;
pub mod verify;

pub use cli::run;
