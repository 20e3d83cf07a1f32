//! Reading a version's `.ziphash` as go does (`isValidSum`), and telling a wrong `.ziphash`
//! from a wrong zip when go.sum confirms the zip.

use super::Checker;
use crate::cache::read::{self, cap};
use crate::cache::{Kind, VersionFile};
use crate::verify::hash::H1;
use crate::verify::problem::{Fix, ProblemKind};
use crate::verify::zipfile::ZipReport;

impl Checker<'_> {
    /// A `.ziphash` that disagrees with a zip and tree that agree with each other, when every
    /// go.sum line of the version confirms the zip's hash: the `.ziphash` is what is wrong.
    /// Its zip and tree problems become one `ziphash_invalid`, rewritten offline, and the
    /// zip's hash is returned to stand for the `.ziphash`.
    pub(super) fn wrong_ziphash(
        &mut self,
        ziphash: Option<H1>,
        zip: Option<&ZipReport>,
    ) -> Option<H1> {
        let h = ziphash?;
        let zip = zip.filter(|z| z.structure.is_empty())?;
        let z = zip.h1.filter(|z| *z != h)?;
        if self.hashes.dir.is_some_and(|d| d != z) {
            return None;
        }
        let lines: Vec<_> = self
            .expect
            .gosums
            .zip_lines(&self.entry.key)
            .iter()
            .filter(|l| l.is_h1())
            .collect();
        let z_text = z.to_string();
        let first = lines.iter().find(|l| l.hash == z_text)?;
        if lines.iter().any(|l| l.hash != z_text) {
            return None;
        }
        let place = first.place();
        self.problems
            .retain(|p| !matches!(p.kind, ProblemKind::ZipModified | ProblemKind::DirModified));
        self.problem(
            ProblemKind::ZiphashInvalid,
            format!(".ziphash says {h}, but the zip and tree hash to {z}, which {place} confirms"),
            Fix::WriteZiphash,
        );
        Some(z)
    }

    /// Reads and validates `.ziphash` (go's `isValidSum`); reports missing and invalid ones.
    pub(super) fn read_ziphash(&mut self) -> Option<H1> {
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
}
