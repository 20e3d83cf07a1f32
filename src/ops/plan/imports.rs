//! Which module version go meant when its line names only a source position. Since go 1.21,
//! an import whose module go cannot load offline is reported as
//! `main.go:4:2: module lookup disabled by GOPROXY=off`, without the module. The position
//! points at the import; the project's go.mod requires the module that provides it (the
//! longest required path the import path starts with, as go resolves it), at one version.
//! An import of a module that a `replace` directive replaces names nothing in the cache.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use crate::cache::read::{self, cap};
use crate::cache::{ModuleKey, gomod};

/// The most of a source file read to find the import at a position.
const MAX_SOURCE: u64 = 4 << 20;

/// What a position in go's line names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Imported {
    /// The module version that provides the import.
    pub key: ModuleKey,
    /// The import path at the position.
    pub import: String,
    /// The position, as go wrote it.
    pub position: String,
}

/// The module version imported at `position` (`main.go:4:2`), with the file looked for
/// relative to each of `dirs` in turn (where go ran) and the requirement in `project`'s
/// go.mod. `None` when any of it cannot be told.
pub fn imported_at(position: &str, dirs: &[PathBuf], project: &Path) -> Option<Imported> {
    let mut parts = position.rsplitn(3, ':');
    let column: usize = parts.next()?.parse().ok()?;
    let line_number: usize = parts.next()?.parse().ok()?;
    let file = parts.next().filter(|f| f.ends_with(".go"))?;
    let source = dirs
        .iter()
        .map(|d| d.join(file))
        .find_map(|path| source_line(&path, line_number))?;
    let import = quoted_at(&source, column.checked_sub(1)?)?;
    let go_mod = read::read_text(&project.join("go.mod"), cap::GO_MOD).ok()?;
    let go_mod = gomod::parse(&go_mod);
    let key = go_mod
        .requires
        .into_iter()
        .filter(|k| import == k.path || import.starts_with(&format!("{}/", k.path)))
        .max_by_key(|k| k.path.len())?;
    if go_mod.replaced.contains(&key.path) {
        return None;
    }
    Some(Imported {
        key,
        import,
        position: position.to_owned(),
    })
}

/// Line `number` (from 1) of the Go source file at `path`, read no further than it.
fn source_line(path: &Path, number: usize) -> Option<String> {
    let file = read::open(path).ok()?;
    BufReader::new(file.take(MAX_SOURCE))
        .lines()
        .nth(number.checked_sub(1)?)?
        .ok()
}

/// The quoted string (an import path) at or after byte `from` of `line`.
fn quoted_at(line: &str, from: usize) -> Option<String> {
    let rest = line.get(from..)?;
    let start = rest.find(['"', '`'])?;
    let quote = rest[start..].chars().next()?;
    let body = &rest[start + 1..];
    let path = &body[..body.find(quote)?];
    (!path.is_empty() && !path.contains(char::is_whitespace)).then(|| path.to_owned())
}
