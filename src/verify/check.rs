//! The checks run on one module version, producing its [`Verdict`].
//!
//! The zip is read first and its contents kept in memory, so that each tree file equal to its
//! zip entry byte for byte takes the entry's digest instead of being hashed again (the result
//! is the same; the SHA-256 work halves). The hashes are then compared with `.ziphash`, with
//! each other (to name the changed files), with the projects' go.sum lines and with the cached
//! checksum-database record. Toolchain trees, which go edits on first use, and
//! fips140 entries, which have no `.ziphash`, are not flagged for what is normal for them.

use std::collections::BTreeMap;

use super::error::VerifyError;
use super::gosum::{GoSums, SumLine};
use super::hash::{FileDigest, H1, hash_go_mod, hash1};
use super::problem::{Change, FileChange, Fix, Hashes, Problem, ProblemKind, Status, Verdict};
use super::sumdb::{LookupError, Verifier, parse_lookup};
use super::tlog::{Unproven, prove_record};
use super::tree::{Reference, TreeReport, hash_tree};
use super::zipfile::{Scratch, ZipReport, check_zip};
use crate::cache::read::{self, cap};
use crate::cache::{Kind, ModCache, ModuleEntry, VersionFile};

/// What a version is checked against besides itself.
#[derive(Debug, Clone, Default)]
pub struct Expectations {
    /// go.sum lines from the user's projects.
    pub gosums: GoSums,
    /// Keys of the checksum databases whose cached answers are checked.
    pub sumdb_keys: Vec<Verifier>,
}

/// The `h1:` lines of `lines` that name another hash than `hash`.
fn disagreeing(lines: &[SumLine], hash: H1) -> Vec<&SumLine> {
    let hash = hash.to_string();
    lines
        .iter()
        .filter(|l| l.is_h1() && l.hash != hash)
        .collect()
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
    };
    v.run();
    let status = if !v.problems.is_empty() {
        Status::Problem
    } else if entry.kind == Kind::Fips140 && !entry.pieces.ziphash && !entry.pieces.zip {
        Status::Skipped
    } else {
        Status::Ok
    };
    let mut problems = v.problems;
    problems.sort_by_key(|p| p.kind);
    Verdict {
        key: entry.key.clone(),
        status,
        problems,
        notes: v.notes,
        hashes: v.hashes,
        bytes_hashed: v.bytes,
    }
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
        let ziphash = self.read_ziphash();
        if p.partial {
            self.problem(
                ProblemKind::Partial,
                "the .partial marker is present",
                Fix::Reextract,
            );
        }
        let hash_dir = p.tree && !p.partial && e.kind != Kind::Toolchain;
        if p.tree && e.kind == Kind::Toolchain {
            self.notes.push(
                "toolchain trees are changed by go on first use; only the zip was checked".into(),
            );
        }
        let zip_path = self.cache.version_file(&e.key, VersionFile::Zip);
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
        if let Some(tree) = tree {
            self.judge_tree(tree, ziphash, zip.as_ref());
        }
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
                ProblemKind::ZipInvalid | ProblemKind::ZipModified | ProblemKind::ZipStructure
                    if tree_intact =>
                {
                    problem.fix = Fix::Rezip;
                }
                _ => {}
            }
        }
    }

    /// Reads and validates `.ziphash` (go's `isValidSum`); reports missing and invalid ones.
    fn read_ziphash(&mut self) -> Option<H1> {
        let e = self.entry;
        let p = e.pieces;
        if !p.ziphash {
            if p.zip {
                self.problem(
                    ProblemKind::ZiphashMissing,
                    "the zip has no .ziphash beside it",
                    Fix::Refetch,
                );
            } else if p.tree && e.kind != Kind::Fips140 {
                self.problem(
                    ProblemKind::Incomplete,
                    "the tree has neither .ziphash nor zip",
                    Fix::Refetch,
                );
            }
            return None;
        }
        let path = self.cache.version_file(&e.key, VersionFile::Ziphash);
        let bytes = match read::read_capped(&path, cap::ZIPHASH) {
            Ok(b) => b,
            Err(err) => {
                self.problem(
                    ProblemKind::ZiphashInvalid,
                    format!("cannot read it: {err}"),
                    Fix::Refetch,
                );
                return None;
            }
        };
        let text = String::from_utf8_lossy(&bytes);
        let trimmed = text.trim();
        self.hashes.ziphash = Some(trimmed.escape_debug().to_string());
        let why = if trimmed.contains('\0') {
            Some("it contains NUL bytes (a torn write)".to_owned())
        } else if trimmed.len() != 47 {
            Some(format!("it is {} bytes long, not 47", trimmed.len()))
        } else if H1::parse(trimmed).is_none() {
            Some(format!("{trimmed:?} is not an h1: hash"))
        } else {
            None
        };
        match why {
            Some(why) => {
                self.problem(ProblemKind::ZiphashInvalid, why, Fix::Refetch);
                None
            }
            None => H1::parse(trimmed),
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

    /// Compares the cached module hash and the go.mod hash with go.sum and the sumdb cache.
    fn judge_sums(&mut self, module_hash: Option<H1>) {
        let key = &self.entry.key;
        let expect = self.expect;
        let go_mod = self.mod_hash();
        let zip_lines = expect.gosums.zip_lines(key);
        let mod_lines = expect.gosums.mod_lines(key);
        for l in zip_lines.iter().chain(mod_lines).filter(|l| l.is_h1()) {
            self.hashes.gosum.push(format!("{}  {}", l.hash, l.place()));
        }
        // Each line stands on its own, as in go: any h1: line of any project that names
        // another hash is a mismatch, even when another line agrees.
        let also = |n: usize| match n {
            0 => String::new(),
            n => format!(" (and {} more)", crate::cache::fmt::count(n as u64, "line")),
        };
        if let Some(h) = module_hash
            && let Some(agrees) = zip_lines.iter().find(|l| l.hash == h.to_string())
            && disagreeing(zip_lines, h).is_empty()
        {
            self.confirmed_by = Some(agrees.place());
        }
        if let Some(h) = module_hash
            && let [l, rest @ ..] = disagreeing(zip_lines, h).as_slice()
        {
            self.problem(
                ProblemKind::GosumMismatch,
                format!(
                    "cache has {h}, {} says {}{}",
                    l.place(),
                    l.hash,
                    also(rest.len())
                ),
                Fix::Refetch,
            );
        }
        if let Some(m) = go_mod
            && let [l, rest @ ..] = disagreeing(mod_lines, m).as_slice()
        {
            self.problem(
                ProblemKind::GomodSumMismatch,
                format!(
                    ".mod hashes to {m}, {} says {}{}",
                    l.place(),
                    l.hash,
                    also(rest.len())
                ),
                Fix::Refetch,
            );
        }
        for verifier in &expect.sumdb_keys {
            let path = self
                .cache
                .sumdb_root()
                .join(&verifier.name)
                .join("lookup")
                .join(format!("{}@{}", key.escaped_path(), key.escaped_version()));
            let body = match read::read_capped(&path, cap::SUMDB_NOTE) {
                Ok(body) => body,
                // Too large, a link or a special file: nothing go wrote, and go would choke.
                Err(
                    err @ (read::ReadError::TooLarge { .. }
                    | read::ReadError::NotRegular { .. }
                    | read::ReadError::Symlink(_)),
                ) => {
                    self.unauthentic(err.to_string(), vec![path.clone()]);
                    continue;
                }
                Err(_) => continue,
            };
            if body.is_empty() {
                continue; // go treats an empty cache file as missing
            }
            let body = String::from_utf8_lossy(&body);
            match parse_lookup(&body, std::slice::from_ref(verifier)) {
                Err(LookupError::BadSignature(why) | LookupError::Malformed(why)) => {
                    self.unauthentic(format!("{}: {why}", path.display()), vec![path.clone()]);
                }
                Ok(lookup) => {
                    let db_dir = self.cache.sumdb_root().join(&verifier.name);
                    let mut proven = false;
                    match prove_record(
                        &db_dir,
                        lookup.id,
                        lookup.record.as_bytes(),
                        lookup.tree_size,
                        &lookup.root,
                    ) {
                        Ok(()) => proven = true,
                        Err(Unproven::TilesMissing(why)) => {
                            self.notes
                                .push(format!("{} record not proven: {why}", verifier.name));
                        }
                        Err(Unproven::Mismatch(why, tiles)) => {
                            // No tile to blame: the record itself is what changed.
                            let remove = if tiles.is_empty() {
                                vec![path.clone()]
                            } else {
                                tiles
                            };
                            self.unauthentic(format!("{}: {why}", path.display()), remove);
                            continue;
                        }
                    }
                    let checks = [
                        (key.version.clone(), module_hash, "module"),
                        (format!("{}/go.mod", key.version), go_mod, "go.mod"),
                    ];
                    for (version, ours, what) in checks {
                        let Some(theirs) = lookup.hash_for(&key.path, &version) else {
                            continue;
                        };
                        self.hashes
                            .sumdb
                            .push(format!("{theirs}  {} ({what})", verifier.name));
                        if proven
                            && what == "module"
                            && ours.is_some_and(|o| o.to_string() == theirs)
                            && self.confirmed_by.is_none()
                        {
                            self.confirmed_by = Some(format!("the {} record", verifier.name));
                        }
                        if let Some(ours) = ours
                            && ours.to_string() != theirs
                        {
                            self.problem(
                                ProblemKind::SumdbMismatch,
                                format!(
                                    "{what}: cache has {ours}, {} says {theirs}",
                                    verifier.name
                                ),
                                Fix::Refetch,
                            );
                        }
                    }
                }
            }
        }
    }

    /// The go.sum hash of `.mod`, computed once.
    fn mod_hash(&mut self) -> Option<H1> {
        if self.hashes.go_mod.is_none() && self.entry.pieces.mod_file {
            let path = self.cache.version_file(&self.entry.key, VersionFile::Mod);
            if let Ok(bytes) = read::read_capped(&path, cap::GO_MOD) {
                self.bytes += bytes.len() as u64;
                self.hashes.go_mod = Some(hash_go_mod(&bytes));
            }
        }
        self.hashes.go_mod
    }

    fn judge_mod(&mut self) {
        let e = self.entry;
        let p = e.pieces;
        if !p.mod_file {
            if (p.zip || p.tree || p.ziphash) && e.kind == Kind::Module {
                self.problem(
                    ProblemKind::ModMissing,
                    "no .mod beside the zip or tree",
                    Fix::Refetch,
                );
            }
            return;
        }
        let path = self.cache.version_file(&e.key, VersionFile::Mod);
        let bytes = match read::read_capped(&path, cap::GO_MOD) {
            Ok(b) => b,
            Err(err) => {
                self.problem(
                    ProblemKind::ModInvalid,
                    format!("cannot read it: {err}"),
                    Fix::Refetch,
                );
                return;
            }
        };
        match go_mod_problem(&bytes, &e.key.path) {
            Some(GoModFinding::Damage(why)) => {
                self.problem(ProblemKind::ModInvalid, why, Fix::Refetch)
            }
            // Downloading it again gives the same bytes: not damage, and nothing to repair.
            Some(GoModFinding::AsPublished(why)) => self.notes.push(why),
            None => {}
        }
    }
}

/// What is wrong with a `.mod` file.
enum GoModFinding {
    /// The cache's copy is damaged (empty, a pre-1.11 conversion go ignores, not text).
    Damage(String),
    /// The version was published this way (another module path, no module directive): go
    /// caches it and refuses to use it, and a new download gives the same bytes.
    AsPublished(String),
}

/// What is wrong with `.mod` content for module `path`, if anything.
fn go_mod_problem(bytes: &[u8], path: &str) -> Option<GoModFinding> {
    let damage = |why: &str| Some(GoModFinding::Damage(why.to_owned()));
    if bytes.is_empty() {
        return damage("the file is empty");
    }
    if bytes.starts_with(b"//vgo 0.0.") {
        return damage("a pre-Go-1.11 conversion, which go ignores");
    }
    let Ok(text) = std::str::from_utf8(bytes) else {
        return damage("not UTF-8");
    };
    let declared = text.lines().find_map(|line| {
        let line = line.split("//").next().unwrap_or("").trim();
        let rest = line.strip_prefix("module")?;
        (rest.starts_with([' ', '\t', '"'])).then(|| rest.trim().trim_matches('"').to_owned())
    });
    match declared {
        None => Some(GoModFinding::AsPublished(
            "its go.mod has no module directive, as published; go refuses to use it \
             (\"no module declaration in go.mod\")"
                .into(),
        )),
        Some(d) if d != path => Some(GoModFinding::AsPublished(format!(
            "its go.mod declares module {d:?}, as published; go caches it but refuses to use it \
             (\"module declares its path as: {d} but was required as: {path}\")"
        ))),
        Some(_) => None,
    }
}

/// Files that differ between the zip entries and the tree, names relative to the module root.
fn diff(prefix: &str, zip: &[FileDigest], tree: &[FileDigest]) -> Vec<FileChange> {
    let strip = |name: &[u8]| -> String {
        let rel = name
            .strip_prefix(prefix.as_bytes())
            .and_then(|r| r.strip_prefix(b"/"))
            .unwrap_or(name);
        crate::cache::fmt::escaped(rel)
    };
    let zip_files: BTreeMap<String, [u8; 32]> = zip
        .iter()
        .filter(|f| !f.name.ends_with(b"/"))
        .map(|f| (strip(&f.name), f.digest))
        .collect();
    let tree_files: BTreeMap<String, [u8; 32]> =
        tree.iter().map(|f| (strip(&f.name), f.digest)).collect();
    let mut changes = Vec::new();
    for (name, digest) in &zip_files {
        match tree_files.get(name) {
            None => changes.push(FileChange {
                name: name.clone(),
                change: Change::Missing,
            }),
            Some(d) if d != digest => changes.push(FileChange {
                name: name.clone(),
                change: Change::Modified,
            }),
            Some(_) => {}
        }
    }
    for name in tree_files.keys().filter(|n| !zip_files.contains_key(*n)) {
        changes.push(FileChange {
            name: name.clone(),
            change: Change::Extra,
        });
    }
    changes.sort();
    changes
}

fn count_changes(changes: &[FileChange]) -> String {
    let n = |c| changes.iter().filter(|f| f.change == c).count();
    let parts: Vec<String> = [
        (Change::Modified, "modified"),
        (Change::Missing, "missing"),
        (Change::Extra, "extra"),
    ]
    .into_iter()
    .filter(|&(c, _)| n(c) > 0)
    .map(|(c, word)| format!("{} {word}", n(c)))
    .collect();
    format!(
        "{} file(s) differ from the zip: {}",
        changes.len(),
        parts.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_mod_content_is_judged() {
        let judged = |bytes: &[u8]| match go_mod_problem(bytes, "example.com/m") {
            None => "ok".to_owned(),
            Some(GoModFinding::Damage(why)) => format!("damage: {why}"),
            Some(GoModFinding::AsPublished(why)) => format!("published: {why}"),
        };
        assert_eq!(judged(b"module example.com/m\n"), "ok");
        assert_eq!(judged(b"// c\nmodule \"example.com/m\" // x\n"), "ok");
        assert!(judged(b"").starts_with("damage: the file is empty"));
        assert!(judged(b"//vgo 0.0.4\n").contains("damage: a pre-Go-1.11"));
        let other = judged(b"module example.com/other\n");
        assert!(
            other.starts_with("published:") && other.contains("other"),
            "{other}"
        );
        assert!(judged(b"go 1.18\n").starts_with("published:"));
    }

    #[test]
    fn diffs_name_modified_missing_and_extra_files() {
        let f = |n: &str, d: u8| FileDigest {
            name: n.as_bytes().to_vec(),
            digest: [d; 32],
        };
        let zip = [f("m@v1/a.go", 1), f("m@v1/b.go", 2), f("m@v1/sub/", 0)];
        let tree = [f("m@v1/a.go", 9), f("m@v1/c.go", 3)];
        let changes = diff("m@v1", &zip, &tree);
        let got: Vec<(&str, Change)> = changes
            .iter()
            .map(|c| (c.name.as_str(), c.change))
            .collect();
        assert_eq!(
            got,
            [
                ("a.go", Change::Modified),
                ("b.go", Change::Missing),
                ("c.go", Change::Extra)
            ]
        );
    }
}
