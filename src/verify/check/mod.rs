//! The checks run on one module version, producing its [`Verdict`].
//!
//! The zip is read first and its contents kept in memory, so that each tree file equal to its
//! zip entry byte for byte takes the entry's digest instead of being hashed again (the result
//! is the same; the SHA-256 work halves). The hashes are then compared with `.ziphash`, with
//! each other (to name the changed files), with the projects' go.sum lines and with the cached
//! checksum-database record. Toolchain trees, which go edits on first use, and
//! fips140 entries, which have no `.ziphash`, are not flagged for what is normal for them.

mod changes;
mod gomod;
mod sums;
mod ziphash;

use super::error::VerifyError;
use super::gosum::GoSums;
use super::hash::{H1, hash1};
use super::problem::{FileChange, Fix, Hashes, Problem, ProblemKind, Status, Verdict};
use super::sumdb::Verifier;
use super::tree::{Reference, TreeReport, hash_tree};
use super::zipfile::{Scratch, ZipReport, check_zip};
use crate::cache::{Kind, ModCache, ModuleEntry, VersionFile};
use changes::{count_changes, diff};

/// What a version is checked against besides itself.
#[derive(Debug, Clone, Default)]
pub struct Expectations {
    /// go.sum lines from the user's projects.
    pub gosums: GoSums,
    /// Keys of the checksum databases whose cached answers are checked.
    pub sumdb_keys: Vec<Verifier>,
    /// GOROOT's `lib/fips140`, holding the snapshot zips go unpacks `golang.org/fips140` from.
    pub fips_snapshots: Option<std::path::PathBuf>,
}

impl Expectations {
    /// The snapshot zip of `golang.org/fips140@version` in GOROOT, when it is there.
    pub fn fips_snapshot(&self, version: &str) -> Option<std::path::PathBuf> {
        let zip = self.fips_snapshots.as_ref()?.join(format!("{version}.zip"));
        std::fs::symlink_metadata(&zip)
            .is_ok_and(|m| m.is_file())
            .then_some(zip)
    }
}

/// How many changed files a `dir_modified` problem lists at most.
const MAX_LISTED_FILES: usize = 200;

/// Verifies one module version of `cache`.
pub fn verify_entry(cache: &ModCache, entry: &ModuleEntry, expect: &Expectations) -> Verdict {
    let mut v = Checker {
        cache,
        entry,
        expect,
        problems: Vec::new(),
        notes: Vec::new(),
        hashes: Hashes::default(),
        bytes: 0,
        confirmed_by: None,
        as_published: None,
        known_mod_hashes: Vec::new(),
    };
    v.run();
    let status = if !v.problems.is_empty() {
        Status::Problem
    } else if entry.kind == Kind::Fips140
        && !entry.pieces.ziphash
        && !entry.pieces.zip
        && expect.fips_snapshot(&entry.key.version).is_none()
    {
        Status::Skipped
    } else {
        Status::Ok
    };
    let mut notes = v.notes;
    if status == Status::Skipped {
        notes.push(
            "not verified: go keeps no zip or .ziphash of it, and GOROOT's lib/fips140 snapshot \
             of this version is not at hand (run with the go that unpacked it)"
                .to_string(),
        );
    }
    let mut problems = v.problems;
    if entry.kind == Kind::Fips140 {
        // go cannot download golang.org/fips140: it unpacks it from GOROOT again once deleted.
        for p in &mut problems {
            p.fix = Fix::Delete;
        }
    }
    problems.sort_by_key(|p| p.kind);
    Verdict {
        key: entry.key.clone(),
        status,
        problems,
        notes,
        as_published: v.as_published,
        hashes: v.hashes,
        bytes_hashed: v.bytes,
        internal_error: None,
    }
}

/// Drops from a toolchain tree's files the copies go makes on its first use of the toolchain
/// (`cmd/go/internal/toolchain`: every `_go.mod` gets a `go.mod` beside it with the same
/// content); go's other change, the execute bits, is not part of the hash.
fn forget_first_use_copies(tree: &mut TreeReport) {
    let copies: std::collections::HashSet<Vec<u8>> = tree
        .files
        .iter()
        .filter_map(|f| {
            let dir = f.name.strip_suffix(b"/_go.mod")?;
            let copy: Vec<u8> = [dir, b"/go.mod"].concat();
            tree.files
                .iter()
                .any(|g| g.name == copy && g.digest == f.digest)
                .then_some(copy)
        })
        .collect();
    tree.files.retain(|f| !copies.contains(&f.name));
}

struct Checker<'a> {
    cache: &'a ModCache,
    entry: &'a ModuleEntry,
    expect: &'a Expectations,
    problems: Vec<Problem>,
    notes: Vec<String>,
    hashes: Hashes,
    bytes: u64,
    /// What confirms the module hash independently of the cache (a go.sum line, a proven
    /// checksum-database record), if anything.
    confirmed_by: Option<String>,
    /// Why go refuses the version as published, if it does.
    as_published: Option<String>,
    /// The go.mod hashes something independent of the cache names (go.sum lines, proven
    /// checksum-database records), each with where it is from.
    known_mod_hashes: Vec<(String, String)>,
}

impl Checker<'_> {
    /// Whether a problem of one of `kinds` was found.
    fn has(&self, kinds: &[ProblemKind]) -> bool {
        self.problems.iter().any(|p| kinds.contains(&p.kind))
    }

    /// A cached checksum-database answer that is not authentic, and the files to blame.
    fn unauthentic(&mut self, detail: String, remove: Vec<std::path::PathBuf>) {
        self.problems.push(Problem {
            kind: ProblemKind::SumdbBadSignature,
            detail,
            files: Vec::new(),
            fix: Fix::RemoveSumdbFiles,
            remove,
        });
    }

    fn problem(&mut self, kind: ProblemKind, detail: impl Into<String>, fix: Fix) {
        self.problems.push(Problem {
            kind,
            detail: detail.into(),
            files: Vec::new(),
            fix,
            remove: Vec::new(),
        });
    }

    fn run(&mut self) {
        let e = self.entry;
        let p = e.pieces;
        if let Some(why) = &e.unusable {
            // Nothing else about it matters: go refuses it before reading a byte.
            self.problem(
                ProblemKind::UnusableVersion,
                format!("{}: invalid version: {why}", e.key),
                Fix::Delete,
            );
            return;
        }
        let go_mod = self.cache.tree_dir(&e.key).join("go.mod");
        if p.tree && std::fs::symlink_metadata(&go_mod).is_ok_and(|m| m.is_dir()) {
            // go 1.19 built it; go 1.21 and later refuse it on every use.
            self.problem(
                ProblemKind::UnusableVersion,
                format!(
                    "its go.mod is a directory: go 1.21 and later refuse it on every use \
                     (\"read {}: is a directory\")",
                    go_mod.display()
                ),
                Fix::Delete,
            );
        }
        let ziphash = self.read_ziphash();
        if p.partial {
            self.problem(
                ProblemKind::Partial,
                "the .partial marker is present",
                Fix::Reextract,
            );
        }
        let hash_dir = p.tree && !p.partial;
        // golang.org/fips140 has no zip in the cache: go unpacks it from GOROOT's snapshot,
        // which then stands in for the zip.
        let snapshot = (e.kind == Kind::Fips140 && !p.zip)
            .then(|| self.expect.fips_snapshot(&e.key.version))
            .flatten();
        let zip_path = snapshot
            .clone()
            .unwrap_or_else(|| self.cache.version_file(&e.key, VersionFile::Zip));
        let p = crate::cache::Pieces {
            zip: p.zip || snapshot.is_some(),
            ..p
        };
        let tree_path = self.cache.tree_dir(&e.key);
        let prefix = e.key.to_string();
        // The tree is compared with the zip's contents where it can be: a file equal to its
        // zip entry needs no second SHA-256. Otherwise at most one of the two is there.
        let (zip, tree) = if p.zip && hash_dir {
            Scratch::with(|scratch| {
                let zip = check_zip(&zip_path, &e.key, scratch, true);
                let reference = scratch.contents().filter(|_| zip.is_ok());
                let tree = hash_tree(&tree_path, &prefix, reference.map(|r| r as &dyn Reference));
                scratch.trim();
                (Some(zip), Some(tree))
            })
        } else {
            let zip = p
                .zip
                .then(|| Scratch::with(|s| check_zip(&zip_path, &e.key, s, false)));
            (zip, hash_dir.then(|| hash_tree(&tree_path, &prefix, None)))
        };
        let zip = self.judge_zip(zip, ziphash);
        if let Some(mut tree) = tree {
            if e.kind == Kind::Toolchain {
                forget_first_use_copies(&mut tree);
            }
            self.judge_tree(tree, ziphash, zip.as_ref());
        }
        let ziphash = self.wrong_ziphash(ziphash, zip.as_ref()).or(ziphash);
        let reference = ziphash.or(zip.as_ref().and_then(|z| z.h1));
        self.judge_sums(reference);
        self.judge_mod();
        if let Some(err) = &e.info_error {
            self.problem(ProblemKind::InfoInvalid, err.clone(), Fix::Refetch);
        }
        // A tree whose zip is intact needs no download: point the fixes at re-extraction.
        use ProblemKind::*;
        let zip_intact = zip
            .as_ref()
            .is_some_and(|z| z.h1.is_some() && z.h1 == ziphash)
            && !self.has(&[GosumMismatch, SumdbMismatch, ZipStructure]);
        // And a zip beside an intact tree can be rebuilt from the tree, offline.
        let tree_intact = self.hashes.dir.is_some_and(|d| Some(d) == ziphash)
            && !p.partial
            && e.kind == Kind::Module
            && !self.has(&[
                GosumMismatch,
                SumdbMismatch,
                DirModified,
                InfoInvalid,
                ModMissing,
                ModInvalid,
                GomodSumMismatch,
            ]);
        // A zip without .ziphash whose hash something else confirms needs no download: go
        // would rewrite .ziphash from the zip, and modlens can, offline.
        let zip_confirmed = zip.as_ref().is_some_and(|z| z.h1.is_some())
            && self.confirmed_by.is_some()
            && !self.has(&[
                GosumMismatch,
                SumdbMismatch,
                ZipStructure,
                SumdbBadSignature,
            ]);
        let confirmed_by = self.confirmed_by.clone().unwrap_or_default();
        let mod_restorable = self.mod_restorable(zip_intact);
        for problem in &mut self.problems {
            match problem.kind {
                ProblemKind::ZiphashMissing if zip_confirmed => {
                    problem.fix = Fix::WriteZiphash;
                    problem
                        .detail
                        .push_str(&format!("; {confirmed_by} confirms the zip's hash"));
                }
                ProblemKind::DirModified | ProblemKind::Partial => {
                    problem.fix = if zip_intact {
                        Fix::Reextract
                    } else {
                        Fix::Refetch
                    };
                }
                ProblemKind::ModMissing
                | ProblemKind::ModInvalid
                | ProblemKind::GomodSumMismatch
                    if let Some(by) = &mod_restorable =>
                {
                    problem.fix = Fix::RestoreMod;
                    problem
                        .detail
                        .push_str(&format!("; the zip's go.mod is the one {by} names"));
                }
                ProblemKind::ZipInvalid | ProblemKind::ZipModified | ProblemKind::ZipStructure
                    if tree_intact =>
                {
                    problem.fix = Fix::Rezip;
                }
                _ => {}
            }
        }
    }

    fn judge_zip(
        &mut self,
        zip: Option<Result<ZipReport, VerifyError>>,
        ziphash: Option<H1>,
    ) -> Option<ZipReport> {
        match zip? {
            Err(err) => {
                self.problem(ProblemKind::ZipInvalid, err.to_string(), Fix::Refetch);
                None
            }
            Ok(report) => {
                self.bytes += report.bytes;
                self.hashes.zip = report.h1;
                if !report.structure.is_empty() {
                    let shown: Vec<&str> = report
                        .structure
                        .iter()
                        .take(5)
                        .map(String::as_str)
                        .collect();
                    let more = report.structure.len().saturating_sub(shown.len());
                    let more = if more > 0 {
                        format!("; and {more} more")
                    } else {
                        String::new()
                    };
                    self.problem(
                        ProblemKind::ZipStructure,
                        format!("{}{more}", shown.join("; ")),
                        Fix::Refetch,
                    );
                }
                match (report.h1, ziphash) {
                    (Some(z), Some(h)) if z != h => {
                        self.problem(
                            ProblemKind::ZipModified,
                            format!("zip hashes to {z}, .ziphash says {h}"),
                            Fix::Refetch,
                        );
                    }
                    (None, _) if report.hashed => {
                        self.problem(
                            ProblemKind::ZipStructure,
                            "an entry name contains a newline, which dirhash refuses",
                            Fix::Refetch,
                        );
                    }
                    _ => {}
                }
                Some(report)
            }
        }
    }

    fn judge_tree(&mut self, mut tree: TreeReport, ziphash: Option<H1>, zip: Option<&ZipReport>) {
        self.bytes += tree.bytes;
        if tree.writable {
            self.notes.push("the tree is writable (made with -modcacherw or changed by hand); go makes it read-only".into());
        }
        if let Some(err) = tree.error.take() {
            self.problem(
                ProblemKind::DirModified,
                format!("cannot read the tree: {err}"),
                Fix::Refetch,
            );
            return;
        }
        let files_for_diff = tree.files.clone();
        let Some(d) = hash1(&mut tree.files) else {
            self.problem(
                ProblemKind::DirModified,
                "a file name contains a newline",
                Fix::Refetch,
            );
            return;
        };
        self.hashes.dir = Some(d);
        let Some(reference) = ziphash.or(zip.and_then(|z| z.h1)) else {
            return;
        };
        if d == reference {
            return;
        }
        let Some(zip) = zip else {
            self.problem(
                ProblemKind::DirModified,
                format!(
                    "tree hashes to {d}, .ziphash says {reference}; no zip to compare files with"
                ),
                Fix::Refetch,
            );
            return;
        };
        let changes = diff(&self.entry.key.to_string(), &zip.files, &files_for_diff);
        if changes.is_empty() {
            if zip.dir_entries > 0 && zip.h1 == Some(reference) {
                // Only the zip's directory entries differ; go mod verify's false alarm (#53448).
                return;
            }
            self.problem(
                ProblemKind::DirModified,
                format!("tree hashes to {d}, .ziphash says {reference}; the tree matches the zip, so either \
                     .ziphash changed or zip and tree changed together"),
                Fix::Refetch,
            );
            return;
        }
        let counts = count_changes(&changes);
        let listed: Vec<FileChange> = changes.into_iter().take(MAX_LISTED_FILES).collect();
        self.problems.push(Problem {
            kind: ProblemKind::DirModified,
            detail: format!("{counts}; tree hashes to {d}, .ziphash says {reference}"),
            files: listed,
            fix: Fix::Refetch,
            remove: Vec::new(),
        });
    }
}
