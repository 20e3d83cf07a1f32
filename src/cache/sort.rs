//! The orders in which versions are listed, shared by `list` and the explorer.

use clap::ValueEnum;

/// Orders for `list`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum SortKey {
    /// Largest on disk first.
    Size,
    /// Oldest download first.
    Age,
    /// Least recently used first.
    LastUsed,
    /// Module path, then version as Go orders versions.
    #[default]
    Name,
    /// Version as Go orders versions, then module path.
    Version,
}
