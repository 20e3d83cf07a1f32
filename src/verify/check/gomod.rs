//! Judging a version's `.mod` file: present, readable, hashing as recorded, and declaring the
//! module path it is cached under (a different path is how it was published: a note).

use super::Checker;
use crate::cache::read::{self, cap};
use crate::cache::{Kind, VersionFile};
use crate::verify::hash::{H1, hash_go_mod};
use crate::verify::problem::{Fix, ProblemKind};
use crate::verify::zipfile::go_mod_of_zip;

impl Checker<'_> {
    /// The go.sum hash of `.mod`, computed once.
    pub(super) fn mod_hash(&mut self) -> Option<H1> {
        if self.hashes.go_mod.is_none() && self.entry.pieces.mod_file {
            let path = self.cache.version_file(&self.entry.key, VersionFile::Mod);
            if let Ok(bytes) = read::read_capped(&path, cap::GO_MOD) {
                self.bytes += bytes.len() as u64;
                self.hashes.go_mod = Some(hash_go_mod(&bytes));
            }
        }
        self.hashes.go_mod
    }

    /// When the `.mod` can be restored from the intact zip: the zip's go.mod hashes to what
    /// every independent record of the version's go.mod says (and there is one). Returns the
    /// first such record.
    pub(super) fn mod_restorable(&self, zip_intact: bool) -> Option<String> {
        use ProblemKind::{GomodSumMismatch, ModInvalid, ModMissing};
        let e = self.entry;
        if !zip_intact
            || e.kind != Kind::Module
            || self.known_mod_hashes.is_empty()
            || !self.has(&[ModMissing, ModInvalid, GomodSumMismatch])
        {
            return None;
        }
        let zip = self.cache.version_file(&e.key, VersionFile::Zip);
        let hash = hash_go_mod(&go_mod_of_zip(&zip, &e.key).ok()?).to_string();
        self.known_mod_hashes
            .iter()
            .all(|(known, _)| *known == hash)
            .then(|| self.known_mod_hashes[0].1.clone())
    }

    pub(super) fn judge_mod(&mut self) {
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
            Some(GoModFinding::AsPublished(why)) => {
                self.as_published = Some(why.clone());
                self.notes.push(why);
            }
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
}
