//! A project's `vendor/` directory against the modules' zips (or the directories that replace
//! them), file by file: what `go mod vendor` copies of a module is its listed packages' files (no `_test.go` files, no go.mod or
//! go.sum once the main module says go 1.17 or later, no `.go` file tagged `ignore`), the files
//! they embed, and the license-like files of their parent directories up to the module root
//! (`cmd/go/internal/modcmd/vendor.go`). A vendored file that differs from its source is
//! modified, one the source lacks is extra, and one go would have copied but is absent is
//! missing; a file go would not copy (tests, other packages) is never missing.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use super::sides::{Side, TreeSide, ZipSide};
use super::{Detail, DiffError, DiffLimits, FileDiff, changed, text};
use crate::cache::ModuleKey;

/// `vendor/modules.txt`, parsed: the vendored modules in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModulesTxt {
    /// The modules.
    pub modules: Vec<VendoredModule>,
}

/// One `# path version [=> replacement]` block of `vendor/modules.txt`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VendoredModule {
    /// The module path, as vendored (the directory below `vendor/`).
    pub path: String,
    /// Its version, as required.
    pub version: String,
    /// What replaces it: another module version, or a directory (version `None`).
    pub replacement: Option<(String, Option<String>)>,
    /// The packages vendored from it.
    pub packages: Vec<String>,
}

impl VendoredModule {
    /// The module version whose zip its files come from, unless a directory replaces it.
    pub fn source(&self) -> Option<ModuleKey> {
        match &self.replacement {
            Some((path, Some(version))) => Some(ModuleKey {
                path: path.clone(),
                version: version.clone(),
            }),
            Some((_, None)) => None,
            None => Some(ModuleKey {
                path: self.path.clone(),
                version: self.version.clone(),
            }),
        }
    }
}

/// Parses `vendor/modules.txt`. Lines it does not know are skipped (go's own reader does).
pub fn parse_modules_txt(text: &str) -> ModulesTxt {
    let mut txt = ModulesTxt::default();
    let mut in_module = false;
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# ") {
            let (module, replacement) = match rest.split_once(" => ") {
                Some((m, r)) => (m, Some(r)),
                None => (rest, None),
            };
            let mut f = module.split_whitespace();
            let Some(path) = f.next() else { continue };
            // `# path => replacement` records a replace directive of every version: no
            // module is vendored by it (its packages are under the requirement's block).
            let Some(version) = f.next().map(str::to_owned) else {
                in_module = false;
                continue;
            };
            in_module = true;
            let replacement = replacement.and_then(|r| {
                let mut f = r.split_whitespace();
                let path = f.next()?.to_owned();
                Some((path, f.next().map(str::to_owned)))
            });
            txt.modules.push(VendoredModule {
                path: path.to_owned(),
                version,
                replacement,
                packages: Vec::new(),
            });
        } else if line.starts_with('#') || line.trim().is_empty() {
            continue;
        } else if in_module && let Some(m) = txt.modules.last_mut() {
            m.packages.push(line.trim().to_owned());
        }
    }
    txt
}

/// go's metadata file prefixes (`metaPrefixes`): copied from every parent of a package.
const META: [&str; 9] = [
    "AUTHORS",
    "CONTRIBUTORS",
    "COPYLEFT",
    "COPYING",
    "COPYRIGHT",
    "LEGAL",
    "LICENSE",
    "NOTICE",
    "PATENTS",
];

/// Where a vendored module's files come from.
#[derive(Debug, Clone, Copy)]
pub enum VendorSource<'a> {
    /// A module version's zip at a path.
    Zip(&'a ModuleKey, &'a Path),
    /// A directory that replaces the module (go copies its regular files, none from nested
    /// modules or version-control directories).
    Directory(&'a Path),
}

/// How `vendor/<module>` (at `vendored`) differs from where go copies it from: `nested` are
/// the directories below it that belong to other vendored modules, `main_go` the main
/// module's go version.
pub fn diff_vendored(
    module: &VendoredModule,
    from: VendorSource<'_>,
    vendored: &Path,
    nested: &[String],
    main_go: &str,
    limits: DiffLimits,
) -> Result<Vec<FileDiff>, DiffError> {
    let mut side: Box<dyn Side> = match from {
        VendorSource::Zip(key, zip) => {
            Box::new(ZipSide::open(zip, &format!("{key}/")).map_err(DiffError::Zip)?)
        }
        VendorSource::Directory(dir) => Box::new(TreeSide::module_directory(dir)),
    };
    let source = side.as_mut();
    if std::fs::symlink_metadata(vendored).is_ok_and(|m| !m.is_dir()) {
        return Err(DiffError::Missing(format!(
            "{} is not a directory (a link or a file), which go mod vendor never writes",
            crate::cache::fmt::escaped_path(vendored)
        )));
    }
    let mut tree = TreeSide::new(vendored);
    let dirs: Vec<String> = module
        .packages
        .iter()
        .map(|p| {
            p.strip_prefix(&module.path)
                .map_or("", |r| r.trim_start_matches('/'))
                .to_owned()
        })
        .collect();
    let theirs = |name: &str| nested.iter().any(|n| name.starts_with(&format!("{n}/")));
    let in_tree: BTreeMap<String, u64> = tree
        .files()
        .into_iter()
        .filter(|(n, _)| !theirs(n))
        .collect();
    let in_source = source.files();
    let embedded = embedded(source, &in_source, &dirs, main_go);
    let mut diffs = Vec::new();
    for (name, &bytes) in &in_tree {
        let detail = match in_source.get(name) {
            Some(&old) => changed(source, &mut tree, name, (old, bytes), limits),
            None => Some(text::extra(&mut tree, name, bytes, limits)),
        };
        if let Some(detail) = detail {
            diffs.push(FileDiff {
                name: crate::cache::fmt::escaped(name.as_bytes()),
                detail,
            });
        }
    }
    for (name, &bytes) in &in_source {
        if in_tree.contains_key(name) || theirs(name) {
            continue;
        }
        if embedded.contains(name) || copied_by_go(source, name, &dirs, main_go) {
            diffs.push(FileDiff {
                name: crate::cache::fmt::escaped(name.as_bytes()),
                detail: Detail::Missing { bytes },
            });
        }
    }
    diffs.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(diffs)
}

/// Whether `go mod vendor` copies nothing of `module` (it lists no package: a requirement
/// none of whose packages is imported) and `vendored` holds no file of it either, with
/// `nested` as in [`diff_vendored`]: there is nothing to compare, and no zip is needed.
pub fn vendors_nothing(module: &VendoredModule, vendored: &Path, nested: &[String]) -> bool {
    let holds_nothing = || {
        TreeSide::new(vendored)
            .files()
            .keys()
            .all(|name| nested.iter().any(|n| name.starts_with(&format!("{n}/"))))
    };
    module.packages.is_empty()
        && match std::fs::symlink_metadata(vendored) {
            Err(_) => true,
            Ok(m) => m.is_dir() && holds_nothing(),
        }
}

/// Whether `go mod vendor` copies the source's file `name`, given the vendored package
/// directories `dirs` (relative to the module root).
fn copied_by_go(source: &mut dyn Side, name: &str, dirs: &[String], main_go: &str) -> bool {
    let (dir, file) = name.rsplit_once('/').unwrap_or(("", name));
    if dirs.iter().any(|d| d == dir) {
        if file.ends_with("_test.go") {
            return false;
        }
        if (file == "go.mod" || file == "go.sum")
            && crate::cache::gover::compare(main_go, "1.17").is_ge()
        {
            return false;
        }
        if file.ends_with(".go") {
            return !tagged_ignore(source, name);
        }
        return true;
    }
    // A license-like file of a parent of a vendored package.
    META.iter().any(|m| file.starts_with(m))
        && dirs
            .iter()
            .any(|d| dir.is_empty() || d.starts_with(&format!("{dir}/")))
}

/// The files the vendored packages embed (`//go:embed`), which `go mod vendor` copies too: the
/// patterns of their `.go` files (with go below 1.22 in the main module, of their tests too),
/// each a file, or a directory whose files are all embedded except those whose names start
/// with `.` or `_` (unless the pattern says `all:`).
fn embedded(
    source_side: &mut dyn Side,
    files: &BTreeMap<String, u64>,
    dirs: &[String],
    main_go: &str,
) -> std::collections::HashSet<String> {
    let with_tests = crate::cache::gover::compare(main_go, "1.22").is_lt();
    let sources: Vec<(String, String)> = files
        .keys()
        .filter_map(|name| {
            let (dir, file) = name.rsplit_once('/').unwrap_or(("", name));
            (dirs.iter().any(|d| d == dir)
                && file.ends_with(".go")
                && (with_tests || !file.ends_with("_test.go")))
            .then(|| (dir.to_owned(), name.clone()))
        })
        .collect();
    let mut out = std::collections::HashSet::new();
    for (dir, source) in sources {
        if tagged_ignore(source_side, &source) {
            continue;
        }
        let mut text = String::new();
        let Ok(reader) = source_side.open(&source) else {
            continue;
        };
        if reader.take(1 << 20).read_to_string(&mut text).is_err() {
            continue;
        }
        for line in text.lines() {
            let Some(patterns) = line.trim().strip_prefix("//go:embed ") else {
                continue;
            };
            for pattern in patterns.split_whitespace() {
                let pattern = pattern.trim_matches(['"', '`']);
                let (all, pattern) = match pattern.strip_prefix("all:") {
                    Some(rest) => (true, rest),
                    None => (false, pattern),
                };
                let full = if dir.is_empty() {
                    pattern.to_owned()
                } else {
                    format!("{dir}/{pattern}")
                };
                let Ok(glob) = globset::GlobBuilder::new(&full)
                    .literal_separator(true)
                    .build()
                    .map(|g| g.compile_matcher())
                else {
                    continue;
                };
                for name in files.keys() {
                    if glob.is_match(name) {
                        out.insert(name.clone());
                        continue;
                    }
                    // A directory the pattern names: everything below it, hidden names aside.
                    let below = name.match_indices('/').any(|(at, _)| {
                        glob.is_match(&name[..at])
                            && (all
                                || !name[at + 1..]
                                    .split('/')
                                    .any(|e| e.starts_with('.') || e.starts_with('_')))
                    });
                    if below {
                        out.insert(name.clone());
                    }
                }
            }
        }
    }
    out
}

/// Whether the `.go` file `name` is built under no tags at all (`//go:build ignore`).
fn tagged_ignore(source: &mut dyn Side, name: &str) -> bool {
    let mut head = String::new();
    let Ok(reader) = source.open(name) else {
        return false;
    };
    if reader.take(8 << 10).read_to_string(&mut head).is_err() {
        return false;
    }
    for line in head.lines() {
        let line = line.trim();
        if line.starts_with("package ") {
            break;
        }
        if let Some(expr) = line.strip_prefix("//go:build") {
            return expr.trim() == "ignore";
        }
        if let Some(tags) = line.strip_prefix("// +build") {
            return tags.split_whitespace().all(|t| t == "ignore");
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modules_txt_parses_replacements_and_packages() {
        let txt = parse_modules_txt(
            "# example.com/a v1.0.0\n## explicit; go 1.18\nexample.com/a\nexample.com/a/sub\n\
             # example.com/b v1.2.0 => example.com/fork v1.2.1\n## explicit\nexample.com/b\n\
             # example.com/c v0.1.0 => ../c\nexample.com/c\n# example.com/c => ../c\n",
        );
        assert_eq!(
            txt.modules.len(),
            3,
            "a replace directive's record is no module"
        );
        assert_eq!(
            txt.modules[0].packages,
            ["example.com/a", "example.com/a/sub"]
        );
        assert_eq!(
            txt.modules[1].source().map(|k| k.to_string()).as_deref(),
            Some("example.com/fork@v1.2.1")
        );
        assert_eq!(txt.modules[2].source(), None);
    }
}
