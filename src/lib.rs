//! modlens explores, verifies and repairs the Go module cache (GOMODCACHE).
//!
//! The library is layered: [`cache`] models the cache on disk and scans it; [`cli`] turns
//! command-line arguments into calls and output. The binary in `main.rs` only calls [`run`].

pub mod cache;
pub mod cancel;
pub mod cli;
pub mod demo;
pub mod filter;
mod fmt;
pub mod ops;
pub mod policy;
pub mod tui;
pub mod verify;

pub use cli::run;
