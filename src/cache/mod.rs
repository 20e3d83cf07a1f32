//! The model of the Go module cache: names, layout, records and the scan that fills them.
//!
//! This layer is a synchronous library over the file system. It knows nothing of the CLI, the
//! TUI or jobs, and never writes to the cache. It starts no thread: the scan's parallel parts run
//! on a pool `ops` hands it. It also holds the small shared types every layer uses (sort keys,
//! filters, sizes and ages for people, cancellation) and go's settings ([`goenv`]).

pub mod atimes;
pub mod cancel;
pub mod clock;
mod discover;
pub mod entry;
pub mod error;
pub mod filter;
pub mod fmt;
pub mod gocache;
pub mod goenv;
pub mod gomod;
pub mod gover;
pub mod layout;
pub mod locate;
pub mod measure;
pub mod module;
pub mod mount;
pub mod read;
pub mod recognize;
pub mod scan;
pub mod semver;
pub mod sink;
pub mod snapshot;
pub mod sort;
pub mod store;
pub mod trash;
mod vcs;
mod versions;

pub use entry::{Kind, Leftover, LeftoverKind, ModuleEntry, Origin, Pieces, Usage, VcsRepo};
pub use layout::{ModCache, VersionFile};
pub use measure::{TreeItem, tree_items};
pub use module::ModuleKey;
pub use scan::{ScanEvent, ScanStats};
pub use snapshot::Snapshot;
