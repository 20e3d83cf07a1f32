//! What verification reports: problem kinds with stable names, explanations and fixes.
//!
//! The kind names are part of modlens's interface (JSON, exit status, tests); each kind knows
//! its one-line explanation for people.

use crate::cache::ModuleKey;

use super::hash::H1;

/// Every way a module version can be broken.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum ProblemKind {
    /// The zip's hash differs from `.ziphash`.
    ZipModified,
    /// The extracted tree's hash differs from `.ziphash`.
    DirModified,
    /// The zip cannot be read: truncated, garbage or a CRC error.
    ZipInvalid,
    /// The zip breaks go's module-zip rules.
    ZipStructure,
    /// The zip is there but `.ziphash` is not.
    ZiphashMissing,
    /// `.ziphash` is not a valid `h1:` hash.
    ZiphashInvalid,
    /// A `.partial` marker: an interrupted extraction.
    Partial,
    /// A tree go will treat as partial (no `.ziphash` and no zip).
    Incomplete,
    /// The tree or zip is there but `.mod` is not.
    ModMissing,
    /// `.mod` is empty, a pre-1.11 conversion, or declares another module.
    ModInvalid,
    /// `.info` is not JSON or names another version.
    InfoInvalid,
    /// The cached hash disagrees with a project's go.sum.
    GosumMismatch,
    /// The `.mod` hash disagrees with a project's go.sum `/go.mod` line.
    GomodSumMismatch,
    /// The cached hash disagrees with the cached checksum-database record.
    SumdbMismatch,
    /// The cached checksum-database record's signature does not verify.
    SumdbBadSignature,
    /// A version go downloaded but can never use: its major version does not fit the path, or
    /// its go.mod is a directory (refused since go 1.21).
    UnusableVersion,
}

impl ProblemKind {
    /// The stable name used in JSON.
    pub fn name(self) -> &'static str {
        match self {
            ProblemKind::ZipModified => "zip_modified",
            ProblemKind::DirModified => "dir_modified",
            ProblemKind::ZipInvalid => "zip_invalid",
            ProblemKind::ZipStructure => "zip_structure",
            ProblemKind::ZiphashMissing => "ziphash_missing",
            ProblemKind::ZiphashInvalid => "ziphash_invalid",
            ProblemKind::Partial => "partial",
            ProblemKind::Incomplete => "incomplete",
            ProblemKind::ModMissing => "mod_missing",
            ProblemKind::ModInvalid => "mod_invalid",
            ProblemKind::InfoInvalid => "info_invalid",
            ProblemKind::GosumMismatch => "gosum_mismatch",
            ProblemKind::GomodSumMismatch => "gomod_sum_mismatch",
            ProblemKind::SumdbMismatch => "sumdb_mismatch",
            ProblemKind::SumdbBadSignature => "sumdb_bad_signature",
            ProblemKind::UnusableVersion => "unusable_version",
        }
    }

    /// What the problem means for the go command, in one line.
    pub fn explanation(self) -> &'static str {
        match self {
            ProblemKind::ZipModified => {
                "the zip changed since go downloaded it (go: \"zip has been modified\")"
            }
            ProblemKind::DirModified => {
                "files in the extracted tree changed (go: \"dir has been modified\")"
            }
            ProblemKind::ZipInvalid => {
                "the zip cannot be read (go: \"zip: not a valid zip file\"); go will not re-download it by itself"
            }
            ProblemKind::ZipStructure => {
                "the zip breaks go's module-zip rules, so go cannot extract or trust it"
            }
            ProblemKind::ZiphashMissing => {
                "the zip has no .ziphash (go mod verify: \"missing ziphash\")"
            }
            ProblemKind::ZiphashInvalid => "the .ziphash is not a valid h1: hash",
            ProblemKind::Partial => "an extraction was interrupted; go will redo it on next use",
            ProblemKind::Incomplete => {
                "the tree has no .ziphash and no zip, so go treats it as partial and downloads it again"
            }
            ProblemKind::ModMissing => {
                "the go.mod (.mod) of this version is missing; offline builds will fail"
            }
            ProblemKind::ModInvalid => "the .mod file is not a usable go.mod for this module",
            ProblemKind::InfoInvalid => {
                "the .info file is unreadable or names another version; go treats it as not cached"
            }
            ProblemKind::GosumMismatch => {
                "the cached module differs from your go.sum (go: \"checksum mismatch … SECURITY ERROR\")"
            }
            ProblemKind::GomodSumMismatch => {
                "the cached go.mod differs from your go.sum (go: \"verifying …/go.mod: checksum mismatch\")"
            }
            ProblemKind::SumdbMismatch => {
                "the cached module differs from the checksum database's record (SECURITY ERROR)"
            }
            ProblemKind::SumdbBadSignature => {
                "the cached checksum-database answer is not authentic: its note is not signed by \
                 the database's key, or its record is not in the signed tree"
            }
            ProblemKind::UnusableVersion => {
                "go downloaded this version but can never use it (its major version does not fit \
                 the module path, or its go.mod is a directory); downloading it again gives the \
                 same: delete it and require another version"
            }
        }
    }
}

/// How to repair a problem, cheapest first.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum Fix {
    /// Re-extract the tree from the intact zip, offline.
    Reextract,
    /// Rebuild the zip from the intact tree, offline.
    Rezip,
    /// Download the version again through go.
    Refetch,
    /// Delete it.
    Delete,
    /// Remove the unauthentic checksum-database files it names (go fetches them again); the
    /// version itself is not touched.
    RemoveSumdbFiles,
    /// Write the missing `.ziphash` from the zip, offline: go.sum or the checksum database
    /// confirms the zip's hash.
    WriteZiphash,
    /// Write the `.mod` from the intact zip's go.mod, offline: go.sum or the checksum
    /// database confirms its hash.
    RestoreMod,
}

impl Fix {
    /// The stable name used in JSON.
    pub fn name(self) -> &'static str {
        match self {
            Fix::Reextract => "reextract",
            Fix::Rezip => "rezip",
            Fix::Refetch => "refetch",
            Fix::Delete => "delete",
            Fix::RemoveSumdbFiles => "remove_sumdb_files",
            Fix::WriteZiphash => "write_ziphash",
            Fix::RestoreMod => "restore_mod",
        }
    }

    /// The advice shown to people.
    pub fn advice(self) -> &'static str {
        match self {
            Fix::Reextract => "re-extract from the zip",
            Fix::Rezip => "rebuild the zip from the tree",
            Fix::Refetch => "re-fetch",
            Fix::Delete => "delete",
            Fix::RemoveSumdbFiles => {
                "remove the unauthentic checksum-database files (go fetches them again)"
            }
            Fix::WriteZiphash => "write .ziphash from the zip, offline (its hash is confirmed)",
            Fix::RestoreMod => {
                "restore the .mod from the zip's go.mod, offline (its hash is confirmed)"
            }
        }
    }
}

/// How a file of a tree differs from the zip.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum Change {
    /// Present in both, with different content.
    Modified,
    /// In the zip, not in the tree.
    Missing,
    /// In the tree, not in the zip.
    Extra,
}

impl Change {
    /// The stable name used in JSON.
    pub fn name(self) -> &'static str {
        match self {
            Change::Modified => "modified",
            Change::Missing => "missing",
            Change::Extra => "extra",
        }
    }
}

/// One changed file, relative to the module root.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct FileChange {
    /// The file name relative to the module root.
    pub name: String,
    /// How it changed.
    pub change: Change,
}

/// One finding about a module version.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Problem {
    /// What is wrong.
    pub kind: ProblemKind,
    /// The specifics: hashes, file names, error text.
    pub detail: String,
    /// For `dir_modified`: the files that differ.
    pub files: Vec<FileChange>,
    /// The suggested repair.
    pub fix: Fix,
    /// For [`Fix::RemoveSumdbFiles`]: the cached lookup and tile files found unauthentic.
    pub remove: Vec<std::path::PathBuf>,
}

/// The overall result for a version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Status {
    /// Every check passed.
    Ok,
    /// At least one problem.
    Problem,
    /// Nothing could be checked (e.g. fips140 without a ziphash).
    Skipped,
}

impl Status {
    /// The stable name used in JSON.
    pub fn name(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Problem => "problem",
            Status::Skipped => "skipped",
        }
    }
}

/// The hashes verification saw, expected and computed, for the detail view.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Hashes {
    /// The text of `.ziphash`, trimmed, when readable.
    pub ziphash: Option<String>,
    /// HashZip of the zip.
    pub zip: Option<H1>,
    /// HashDir of the tree.
    pub dir: Option<H1>,
    /// The go.sum `/go.mod` hash of `.mod`.
    pub go_mod: Option<H1>,
    /// go.sum lines for the version (`hash  file:line (zip)`, or `(go.mod)` for its go.mod's).
    pub gosum: Vec<String>,
    /// Checksum-database records for the version.
    pub sumdb: Vec<String>,
    /// The checksum database whose record, proven by its tiles, agrees with the module's hash.
    #[serde(default)]
    pub sumdb_proven: Option<String>,
}

/// Everything verification found about one version.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Verdict {
    /// The version.
    pub key: ModuleKey,
    /// Ok, problem or skipped.
    pub status: Status,
    /// The problems, in kind order.
    pub problems: Vec<Problem>,
    /// Observations that are not problems (writable trees, toolchain trees not hashed).
    pub notes: Vec<String>,
    /// Why go refuses the version as it was published (its `.mod` declares another module
    /// path, or none), also among the notes: not damage, a download gives the same bytes.
    pub as_published: Option<String>,
    /// The hashes involved.
    pub hashes: Hashes,
    /// Bytes read and hashed.
    pub bytes_hashed: u64,
    /// Why modlens could not verify it (a bug in modlens: it panicked), if so; the version is
    /// then not verified, and never called fine.
    #[serde(default)]
    pub internal_error: Option<String>,
}

impl Verdict {
    /// The verdict on a version modlens failed to verify because of a bug of its own.
    pub fn internal_error(key: ModuleKey, why: String) -> Verdict {
        Verdict {
            key,
            status: Status::Skipped,
            problems: Vec::new(),
            notes: vec![format!("not verified: modlens failed on it ({why})")],
            as_published: None,
            hashes: Hashes::default(),
            bytes_hashed: 0,
            internal_error: Some(why),
        }
    }

    /// Whether the version itself needs a repair (or a delete), beyond removing unauthentic
    /// checksum-database files.
    pub fn needs_version_repair(&self) -> bool {
        self.problems.iter().any(|p| p.fix != Fix::RemoveSumdbFiles)
    }

    /// The cached checksum-database files found unauthentic, to remove.
    pub fn sumdb_files(&self) -> impl Iterator<Item = &std::path::PathBuf> {
        self.problems.iter().flat_map(|p| p.remove.iter())
    }
}
