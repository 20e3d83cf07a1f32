//! The go.sum lines of the user's projects: what each module version's hashes must be.
//!
//! `--project DIR` reads `DIR/go.sum` and `DIR/go.work.sum`; with `--recursive` every such file
//! below DIR (hidden directories, `vendor` and `node_modules` are skipped, symlinks are not
//! followed). Lines are parsed as go 1.19's `readGoSum` does: three fields, blank lines skipped,
//! the old empty-go.mod hash dropped. A malformed line is an error naming the file and line.

use super::error::VerifyError;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use walkdir::WalkDir;

use crate::cache::ModuleKey;

/// The hash of an empty go.mod, which an old go bug wrote into go.sum; go ignores such lines.
const EMPTY_GO_MOD_HASH: &str = "h1:G7mAYYxgmS0lVkHyy2hEOLQCFB0DlQFTMLWggykrydY=";

/// One expected hash and the file that states it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SumLine {
    /// The hash text, e.g. `h1:…`.
    pub hash: String,
    /// The go.sum file it came from.
    pub file: PathBuf,
    /// Its line number there, from 1.
    pub line: usize,
}

impl SumLine {
    /// Whether go compares it with the cache: only `h1:` lines are (other algorithms are
    /// kept in go.sum but never checked).
    pub fn is_h1(&self) -> bool {
        self.hash.starts_with("h1:")
    }

    /// `file:line`, for messages.
    pub fn place(&self) -> String {
        format!("{}:{}", self.file.display(), self.line)
    }
}

/// Expected hashes from go.sum files, by module version.
#[derive(Debug, Clone, Default)]
pub struct GoSums {
    zips: HashMap<ModuleKey, Vec<SumLine>>,
    mods: HashMap<ModuleKey, Vec<SumLine>>,
    files: Vec<PathBuf>,
    notes: Vec<String>,
}

/// The go.sum files of a project directory: its go.sum and go.work.sum, and, when it has a
/// go.work, the go.sum of every module its `use` directives name.
fn project_sum_files(dir: &Path) -> Result<Vec<PathBuf>, VerifyError> {
    let mut files = vec![dir.join("go.sum"), dir.join("go.work.sum")];
    let work = dir.join("go.work");
    if work.is_file() {
        let bytes = crate::cache::read::read_outside_capped(&work, crate::cache::read::cap::GO_SUM)
            .map_err(VerifyError::Unreadable)?;
        for used in work_uses(&String::from_utf8_lossy(&bytes)) {
            let module: PathBuf = dir.join(used).join("go.sum").components().collect();
            if !files.contains(&module) {
                files.push(module);
            }
        }
    }
    Ok(files)
}

/// The directories named by `use` directives of a go.work file, in order: `use dir`, and
/// `use ( dir ... )` blocks; `//` comments and quotes are dropped.
fn work_uses(text: &str) -> Vec<String> {
    let mut uses = Vec::new();
    let mut in_block = false;
    for line in text.lines() {
        let line = line.split("//").next().unwrap_or("").trim();
        let unquote = |s: &str| s.trim_matches(|c| c == '"' || c == '`').to_owned();
        if in_block {
            if line.starts_with(')') {
                in_block = false;
            } else if !line.is_empty() {
                uses.push(unquote(line));
            }
            continue;
        }
        let Some(rest) = line.strip_prefix("use") else {
            continue;
        };
        let rest = rest.trim();
        if let Some(inner) = rest.strip_prefix('(') {
            in_block = true;
            let inner = inner.trim();
            if let Some(inner) = inner.strip_suffix(')') {
                in_block = false;
                uses.extend(inner.split_whitespace().map(unquote));
            } else if !inner.is_empty() {
                uses.push(unquote(inner));
            }
        } else if !rest.is_empty() && line.starts_with("use ") {
            uses.push(unquote(rest));
        }
    }
    uses
}

impl GoSums {
    /// Loads a project directory: its go.sum and go.work.sum (and, with a go.work, the go.sum
    /// of every module it uses), or every one below it when `recursive`. A module with no
    /// go.sum (no dependencies) gets a note; a directory that is no project is an error.
    pub fn load_project(&mut self, dir: &Path, recursive: bool) -> Result<(), VerifyError> {
        if !dir.is_dir() {
            return Err(VerifyError::NotADirectory(dir.to_path_buf()));
        }
        let before = self.files.len();
        if recursive {
            let walk = WalkDir::new(dir)
                .follow_links(false)
                .into_iter()
                .filter_entry(|e| {
                    let name = e.file_name().to_string_lossy();
                    e.depth() == 0
                        || !(name.starts_with('.') || name == "vendor" || name == "node_modules")
                });
            for entry in walk {
                let entry = entry.map_err(|source| VerifyError::ProjectUnreadable {
                    dir: dir.to_path_buf(),
                    source,
                })?;
                let name = entry.file_name();
                if entry.file_type().is_file() && (name == "go.sum" || name == "go.work.sum") {
                    self.load_file(entry.path())?;
                }
            }
        } else {
            for path in project_sum_files(dir)? {
                if path.is_file() {
                    self.load_file(&path)?;
                }
            }
        }
        if self.files.len() == before {
            let has_manifest = ["go.mod", "go.work"].iter().any(|m| dir.join(m).is_file());
            if has_manifest && !recursive {
                // A module without dependencies has no go.sum: nothing to check against. One
                // with dependencies has none yet when go stopped before writing it.
                let requires = crate::cache::read::read_text(
                    &dir.join("go.mod"),
                    crate::cache::read::cap::GO_MOD,
                )
                .is_ok_and(|text| text.lines().any(|l| l.trim_start().starts_with("require")));
                let why = if requires {
                    "its go.mod requires modules, but go has not written go.sum yet (did a \
                     build or `go mod tidy` stop before it?)"
                } else {
                    "a module with no dependencies"
                };
                self.notes.push(format!(
                    "project {} has no go.sum ({why}): nothing to check there",
                    crate::cache::fmt::escaped_path(dir)
                ));
                return Ok(());
            }
            return Err(VerifyError::NoGoFiles {
                dir: dir.to_path_buf(),
                below: recursive,
            });
        }
        Ok(())
    }

    /// Remarks on what was loaded, for people (a project without go.sum, ...).
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// Loads one go.sum file.
    pub fn load_file(&mut self, path: &Path) -> Result<(), VerifyError> {
        use crate::cache::read::{cap, read_outside_capped};
        let bytes = read_outside_capped(path, cap::GO_SUM).map_err(VerifyError::Unreadable)?;
        let text = String::from_utf8_lossy(&bytes);
        self.parse(&text, path)
    }

    /// Adds the lines of one go.sum text, attributed to `file`.
    pub fn parse(&mut self, text: &str, file: &Path) -> Result<(), VerifyError> {
        for (n, line) in text.lines().enumerate() {
            let fields: Vec<&str> = line.split_whitespace().collect();
            if fields.is_empty() {
                continue;
            }
            let [path, version, hash] = fields[..] else {
                return Err(VerifyError::MalformedGoSum {
                    file: file.to_path_buf(),
                    line: n + 1,
                    fields: fields.len(),
                });
            };
            if hash == EMPTY_GO_MOD_HASH {
                continue;
            }
            let (version, table) = match version.strip_suffix("/go.mod") {
                Some(v) => (v, &mut self.mods),
                None => (version, &mut self.zips),
            };
            let key = ModuleKey {
                path: path.to_owned(),
                version: version.to_owned(),
            };
            table.entry(key).or_default().push(SumLine {
                hash: hash.to_owned(),
                file: file.to_path_buf(),
                line: n + 1,
            });
        }
        self.files.push(file.to_path_buf());
        Ok(())
    }

    /// Expected module (zip/tree) hashes for a version.
    pub fn zip_lines(&self, key: &ModuleKey) -> &[SumLine] {
        self.zips.get(key).map_or(&[], Vec::as_slice)
    }

    /// Expected go.mod hashes for a version.
    pub fn mod_lines(&self, key: &ModuleKey) -> &[SumLine] {
        self.mods.get(key).map_or(&[], Vec::as_slice)
    }

    /// The go.sum files read.
    pub fn files(&self) -> &[PathBuf] {
        &self.files
    }

    /// Every module version named by some go.sum line.
    pub fn keys(&self) -> impl Iterator<Item = &ModuleKey> {
        self.zips.keys().chain(self.mods.keys())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_work_use_directives_are_read_in_both_forms() {
        let text = "go 1.18\n\nuse ./a // the app\nuse (\n\t./b\n\t\"../c\"\n)\nuse (./d)\n";
        assert_eq!(work_uses(text), ["./a", "./b", "../c", "./d"]);
    }

    #[test]
    fn lines_are_split_into_zip_and_go_mod_hashes() {
        let mut sums = GoSums::default();
        let text = "example.com/m v1.0.0 h1:SXy42eQ/QbleX7vtuAPFnaM3tNuQnfeo7rulG/p7iOw=\n\
                    example.com/m v1.0.0/go.mod h1:flS2VctbRrTv+sBE+VKgxx6hlkMGPVz9MGOmzMYFg3k=\n\
                    \n\
                    example.com/old v1.0.0/go.mod h1:G7mAYYxgmS0lVkHyy2hEOLQCFB0DlQFTMLWggykrydY=\n";
        sums.parse(text, Path::new("go.sum")).unwrap();
        let key = ModuleKey {
            path: "example.com/m".into(),
            version: "v1.0.0".into(),
        };
        assert_eq!(
            sums.zip_lines(&key)[0].hash,
            "h1:SXy42eQ/QbleX7vtuAPFnaM3tNuQnfeo7rulG/p7iOw="
        );
        assert_eq!(
            sums.mod_lines(&key)[0].hash,
            "h1:flS2VctbRrTv+sBE+VKgxx6hlkMGPVz9MGOmzMYFg3k="
        );
        let old = ModuleKey {
            path: "example.com/old".into(),
            version: "v1.0.0".into(),
        };
        assert!(
            sums.mod_lines(&old).is_empty(),
            "the empty go.mod hash is dropped"
        );
    }

    #[test]
    fn a_malformed_line_names_file_and_line() {
        let mut sums = GoSums::default();
        let err = sums
            .parse("a b c\nexample.com/m v1.0.0\n", Path::new("/p/go.sum"))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "malformed go.sum: /p/go.sum:2: wrong number of fields 2"
        );
    }
}
