//! The records a scan produces: module versions, vcs repositories and leftovers.
//!
//! A [`ModuleEntry`] joins the download files of one version with its extracted tree. Records
//! carry only totals (never per-file data) so that memory grows with the number of versions,
//! not with the number of files. Together with [`Leftover`]s, [`VcsRepo`]s and the sumdb and
//! shared-directory totals they account for every byte of the cache as `du` counts it.

use std::path::PathBuf;
use std::time::SystemTime;

use serde::Deserialize;

use super::module::ModuleKey;

/// Space used by a set of files and directories, counted the way `du` counts it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Usage {
    /// Allocated bytes (`st_blocks * 512`); a hard-linked inode is counted once per scan.
    pub disk: u64,
    /// Apparent bytes (`st_size`), including the size of directory inodes, as
    /// `du --apparent-size` counts them.
    pub apparent: u64,
    /// Number of non-directory entries (regular files and symlinks).
    pub files: u64,
}

impl Usage {
    /// Adds another usage to this one.
    pub fn add(&mut self, other: Usage) {
        self.disk += other.disk;
        self.apparent += other.apparent;
        self.files += other.files;
    }
}

impl std::iter::Sum for Usage {
    fn sum<I: Iterator<Item = Usage>>(iter: I) -> Usage {
        iter.fold(Usage::default(), |mut acc, u| {
            acc.add(u);
            acc
        })
    }
}

/// What kind of module a version belongs to. Toolchains and fips140 follow special rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Kind {
    /// An ordinary module.
    Module,
    /// `golang.org/toolchain`, a Go toolchain downloaded by GOTOOLCHAIN; go edits its tree.
    Toolchain,
    /// `golang.org/fips140`, unpacked from GOROOT without a zip or `.ziphash`.
    Fips140,
}

impl Kind {
    /// The kind of a module path.
    pub fn of_path(path: &str) -> Kind {
        match path {
            "golang.org/toolchain" => Kind::Toolchain,
            "golang.org/fips140" => Kind::Fips140,
            _ => Kind::Module,
        }
    }

    /// The stable name used in JSON and tables.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Module => "module",
            Kind::Toolchain => "toolchain",
            Kind::Fips140 => "fips140",
        }
    }
}

/// Which pieces of a version exist on disk.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Pieces {
    /// `<v>.info`
    pub info: bool,
    /// `<v>.mod`
    pub mod_file: bool,
    /// `<v>.zip`
    pub zip: bool,
    /// `<v>.ziphash`
    pub ziphash: bool,
    /// `<v>.lock`
    pub lock: bool,
    /// `<v>.partial`
    pub partial: bool,
    /// The extracted tree `<path>@<version>/` (a directory).
    pub tree: bool,
}

/// Where a version came from, as recorded in `.info` `Origin` (Go 1.19+).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Origin {
    /// Version control system, e.g. `git`.
    #[serde(rename = "VCS")]
    pub vcs: Option<String>,
    /// Repository URL.
    #[serde(rename = "URL")]
    pub url: Option<String>,
    /// Subdirectory of the module within the repository.
    pub subdir: Option<String>,
    /// The ref the version was resolved from, e.g. `refs/tags/v1.2.3`.
    #[serde(rename = "Ref")]
    pub reference: Option<String>,
    /// The commit hash.
    pub hash: Option<String>,
}

/// One module version in the cache: its download files and its extracted tree.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ModuleEntry {
    /// Module path and version, unescaped.
    pub key: ModuleKey,
    /// Ordinary module, toolchain or fips140.
    pub kind: Kind,
    /// Which pieces are present.
    pub pieces: Pieces,
    /// The extracted tree, its directories included.
    pub tree: Usage,
    /// The `.zip` file.
    pub zip: Usage,
    /// `.info`, `.mod`, `.ziphash`, `.lock` and `.partial`.
    pub rest: Usage,
    /// When go downloaded the version: mtime of the zip, else of `.info` or `.mod`, else of the
    /// tree.
    pub downloaded: Option<SystemTime>,
    /// Access time of `<v>.mod`, which go reads whenever it loads the module graph.
    pub last_used: Option<SystemTime>,
    /// Publish time from `.info` `Time`; `None` when absent, zero or unreadable.
    pub published: Option<SystemTime>,
    /// `.info` `Origin`, when present (boxed: most entries have none, and records stay small).
    pub origin: Option<Box<Origin>>,
    /// Why `.info` could not be read as JSON, if it could not.
    pub info_error: Option<String>,
    /// The first I/O error met while measuring the version, if any.
    pub scan_error: Option<String>,
    /// Why go refuses to use the version as published (a major version that does not fit the
    /// path: go downloads it, then "invalid version: should be v0 or v1, not v2"), if so.
    pub unusable: Option<String>,
    /// The space of each download file, in [`crate::cache::VersionFile::ALL`] order (zero
    /// when absent), for the detail view.
    pub piece_usage: [Usage; 6],
    /// The state of every file of the version folded into one digest, when the scan was asked
    /// for it ([`crate::cache::scan::Depth::Fingerprint`]): equal digests mean nothing was
    /// written, renamed or replaced since.
    pub fingerprint: Option<[u8; 32]>,
}

impl ModuleEntry {
    /// Everything the version occupies: tree, zip and the other download files.
    pub fn usage(&self) -> Usage {
        [self.tree, self.zip, self.rest].into_iter().sum()
    }
}

/// A repository that go cloned for a direct-mode fetch, under `cache/vcs/<sha256 of key>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VcsRepo {
    /// The directory name: hex SHA-256 of the key text.
    pub hash: String,
    /// The version control system (`git`, `hg`, ...), when known.
    pub vcs: Option<String>,
    /// The remote URL, from `<hash>.info` or, failing that, from the repository's config.
    pub remote: Option<String>,
    /// Whether `<hash>.info` exists and its SHA-256 equals the directory name.
    pub info_matches: bool,
    /// The repository with its `.info` and `.lock` files.
    pub usage: Usage,
}

/// Why a file or directory is a leftover rather than part of a version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeftoverKind {
    /// `*.tmp` files from interrupted downloads or metadata writes.
    TmpFile,
    /// `<path>@<version>.tmp-*` directories from interrupted extractions (Go 1.14/1.15).
    TmpDir,
    /// A `.partial` marker without an extracted tree.
    OrphanPartial,
    /// An extracted tree with no download files at all.
    OrphanTree,
    /// `list.lock`, written by Go 1.12 to 1.15 and never removed.
    LegacyLock,
    /// A name the go command could not have written.
    Unrecognized,
    /// Something modlens could not see into (a read error, or a symlink it does not follow),
    /// such as a tree whose download files are behind an unreadable directory. Never removed:
    /// what cannot be read cannot be judged.
    Unreadable,
}

impl LeftoverKind {
    /// The stable name used in JSON and tables.
    pub fn name(self) -> &'static str {
        match self {
            LeftoverKind::TmpFile => "tmp_file",
            LeftoverKind::TmpDir => "tmp_dir",
            LeftoverKind::OrphanPartial => "orphan_partial",
            LeftoverKind::OrphanTree => "orphan_tree",
            LeftoverKind::LegacyLock => "legacy_lock",
            LeftoverKind::Unrecognized => "unrecognized",
            LeftoverKind::Unreadable => "unreadable",
        }
    }

    /// Whether it is a temporary of go's own making (or what an interrupted go left), which
    /// `clean --leftovers`, `refetch --broken` and the explorer may remove. Names go never
    /// writes, unreadable items and go's lock files are never removed as leftovers: they may
    /// be the user's files, or hide something that is still in use.
    pub fn is_go_temporary(self) -> bool {
        matches!(
            self,
            LeftoverKind::TmpFile
                | LeftoverKind::TmpDir
                | LeftoverKind::OrphanPartial
                | LeftoverKind::OrphanTree
        )
    }
}

/// Something in the cache that is not part of any module version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leftover {
    /// What it is.
    pub kind: LeftoverKind,
    /// Its path relative to the cache root.
    pub rel_path: PathBuf,
    /// The module version it belonged to, when its name tells.
    pub module: Option<ModuleKey>,
    /// Why a name was not recognized, for [`LeftoverKind::Unrecognized`].
    pub reason: Option<String>,
    /// Its size (a directory with everything below it).
    pub usage: Usage,
}
