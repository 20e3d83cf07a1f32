//! Comparing a version's hashes with the projects' go.sum lines and with the checksum
//! database's cached answer (its signature and its proof in the tree included).

use super::Checker;
use crate::cache::read::{self, cap};
use crate::verify::gosum::SumLine;
use crate::verify::hash::H1;
use crate::verify::problem::{Fix, ProblemKind};
use crate::verify::sumdb::{LookupError, parse_lookup};
use crate::verify::tlog::{Unproven, prove_record};

/// The `h1:` lines of `lines` that name another hash than `hash`.
fn disagreeing(lines: &[SumLine], hash: H1) -> Vec<&SumLine> {
    let hash = hash.to_string();
    lines
        .iter()
        .filter(|l| l.is_h1() && l.hash != hash)
        .collect()
}

impl Checker<'_> {
    /// Compares the cached module hash and the go.mod hash with go.sum and the sumdb cache.
    pub(super) fn judge_sums(&mut self, module_hash: Option<H1>) {
        let key = &self.entry.key;
        let expect = self.expect;
        let go_mod = self.mod_hash();
        let zip_lines = expect.gosums.zip_lines(key);
        let mod_lines = expect.gosums.mod_lines(key);
        // Both kinds of line name the version; which hash each holds is said with it.
        let labelled = zip_lines
            .iter()
            .map(|l| (l, "zip"))
            .chain(mod_lines.iter().map(|l| (l, "go.mod")));
        self.known_mod_hashes.extend(
            mod_lines
                .iter()
                .filter(|l| l.is_h1())
                .map(|l| (l.hash.clone(), l.place())),
        );
        for (l, what) in labelled.filter(|(l, _)| l.is_h1()) {
            self.hashes
                .gosum
                .push(format!("{}  {} ({what})", l.hash, l.place()));
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
                        Ok(_) => proven = true,
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
                        if proven && what == "go.mod" {
                            self.known_mod_hashes.push((
                                theirs.to_string(),
                                format!("the {} record", verifier.name),
                            ));
                        }
                        if proven
                            && what == "module"
                            && ours.is_some_and(|o| o.to_string() == theirs)
                        {
                            self.hashes.sumdb_proven = Some(verifier.name.clone());
                            if self.confirmed_by.is_none() {
                                self.confirmed_by = Some(format!("the {} record", verifier.name));
                            }
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
}
