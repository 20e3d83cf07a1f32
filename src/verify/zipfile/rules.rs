//! go's rules for module zips (`golang.org/x/mod/zip.checkZip`) over entry names and sizes, and
//! the repeated names go's `HashZip` counts once per entry.

use std::collections::HashMap;
use std::io::{Read, Seek, SeekFrom};

use super::{MAX_GO_MOD, MAX_LICENSE, MAX_ZIP_FILE};
use crate::cache::ModuleKey;
use crate::cache::module::check_file_path;
use crate::verify::hash::FileDigest;

/// Names the central directory holds more than once, with how many times. The archive reader
/// keys entries by name, so a repeated name shows there once; go's `dirhash.HashZip` lists it
/// once per entry.
pub(super) fn repeated_names(
    mut reader: impl Read + Seek,
) -> Result<std::collections::HashMap<Vec<u8>, usize>, String> {
    reader.seek(SeekFrom::Start(0)).map_err(|e| e.to_string())?;
    let mut listing =
        zip::unstable::read::ZipIterable::try_new(reader, zip::read::Config::default())
            .map_err(|e| format!("not a valid zip file: {e}"))?;
    let mut counts = std::collections::HashMap::new();
    for entry in listing.files().map_err(|e| e.to_string())? {
        let entry = entry.map_err(|e| e.to_string())?;
        *counts.entry(entry.name_raw().to_vec()).or_insert(0usize) += 1;
    }
    counts.retain(|_, n| *n > 1);
    Ok(counts)
}

/// Adds a line per extra entry of a repeated name, with the content the archive reader gave
/// for that name: the last entry's, which is the one go opens by name (`HashZip` keeps a map
/// of name to entry, so later entries replace earlier ones). Such a zip breaks go's rules
/// ("multiple entries for file"), yet go downloads it and writes its `.ziphash` this way.
pub(super) fn add_repeats(
    repeats: &std::collections::HashMap<Vec<u8>, usize>,
    files: &mut Vec<FileDigest>,
    declared: &mut Vec<(Vec<u8>, u64)>,
) {
    for (name, times) in repeats {
        let digest = files.iter().find(|f| &f.name == name).map(|f| f.digest);
        let size = declared.iter().find(|d| &d.0 == name).map(|d| d.1);
        for _ in 1..*times {
            if let Some(digest) = digest {
                files.push(FileDigest {
                    name: name.clone(),
                    digest,
                });
            }
            declared.push((name.clone(), size.unwrap_or(0)));
        }
    }
}

/// checkZip's rules over the entry names and declared sizes.
pub(super) fn structure_problems(key: &ModuleKey, entries: &[(Vec<u8>, u64)]) -> Vec<String> {
    let prefix = format!("{}@{}/", key.path, key.version);
    let mut problems = Vec::new();
    let mut seen: HashMap<String, (String, bool)> = HashMap::new();
    let mut total: u64 = 0;
    for (raw, size) in entries {
        let shown = String::from_utf8_lossy(raw);
        let mut report = |why: String| problems.push(format!("{shown}: {why}"));
        let Some(rest) = raw.strip_prefix(prefix.as_bytes()) else {
            report(format!("path does not have prefix {prefix:?}"));
            continue;
        };
        if rest.is_empty() {
            continue;
        }
        let Ok(rest) = std::str::from_utf8(rest) else {
            report("invalid UTF-8".into());
            continue;
        };
        let (name, is_dir) = match rest.strip_suffix('/') {
            Some(dir) => (dir, true),
            None => (rest, false),
        };
        if is_dir {
            report("directory entry: go mod verify will wrongly say the tree was modified".into());
        }
        if !is_clean(name) {
            report("file path is not clean".into());
            continue;
        }
        if let Err(e) = check_file_path(name) {
            report(e);
            continue;
        }
        if let Err(e) = check_collision(&mut seen, name, is_dir) {
            report(e);
            continue;
        }
        if is_dir {
            continue;
        }
        let base = name.rsplit('/').next().unwrap_or(name);
        if base.eq_ignore_ascii_case("go.mod") && name != "go.mod" {
            report(if base == name {
                "go.mod file must be named go.mod".into()
            } else {
                "go.mod file not in module root directory".into()
            });
            continue;
        }
        total = total.saturating_add(*size);
        if name == "go.mod" && *size > MAX_GO_MOD {
            report(format!(
                "go.mod file too large (max size is {MAX_GO_MOD} bytes)"
            ));
        }
        if name == "LICENSE" && *size > MAX_LICENSE {
            report(format!(
                "LICENSE file too large (max size is {MAX_LICENSE} bytes)"
            ));
        }
    }
    if total > MAX_ZIP_FILE {
        problems.push(format!(
            "total uncompressed size of module contents too large ({total} bytes)"
        ));
    }
    problems
}

/// `path.Clean(name) == name` for a relative slash-separated path.
fn is_clean(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('/')
        && name
            .split('/')
            .all(|e| !e.is_empty() && e != "." && e != "..")
}

/// x/mod's collisionChecker: no two names equal under case folding, no name both a file and a
/// directory, no duplicate files. Case folding is approximated by lower-casing every character.
fn check_collision(
    seen: &mut HashMap<String, (String, bool)>,
    name: &str,
    is_dir: bool,
) -> Result<(), String> {
    let fold = name.to_lowercase();
    match seen.get(&fold) {
        Some((other, other_is_dir)) => {
            if other != name {
                return Err(format!(
                    "case-insensitive file name collision: {other:?} and {name:?}"
                ));
            }
            if *other_is_dir != is_dir {
                return Err(format!("entry {name:?} is both a file and a directory"));
            }
            if !is_dir {
                return Err(format!("multiple entries for file {name:?}"));
            }
        }
        None => {
            seen.insert(fold, (name.to_owned(), is_dir));
        }
    }
    match name.rsplit_once('/') {
        Some((parent, _)) => check_collision(seen, parent, true),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verify::zipfile::tests::key;

    fn names(list: &[&str]) -> Vec<(Vec<u8>, u64)> {
        list.iter().map(|n| (n.as_bytes().to_vec(), 1)).collect()
    }

    #[test]
    fn a_good_zip_has_no_structure_problems() {
        let entries = names(&[
            "example.com/m@v1.0.0/go.mod",
            "example.com/m@v1.0.0/a/b.go",
            "example.com/m@v1.0.0/LICENSE",
        ]);
        assert!(structure_problems(&key(), &entries).is_empty());
    }

    #[test]
    fn checkzip_rules_are_enforced() {
        let cases = [
            ("other.com/m@v1.0.0/a.go", "prefix"),
            ("example.com/m@v1.0.0/a/../b.go", "not clean"),
            ("example.com/m@v1.0.0/sub/go.mod", "not in module root"),
            ("example.com/m@v1.0.0/GO.MOD", "must be named go.mod"),
            ("example.com/m@v1.0.0/a\"b.go", "invalid char"),
            ("example.com/m@v1.0.0/sub/", "directory entry"),
        ];
        for (name, want) in cases {
            let problems = structure_problems(&key(), &names(&[name]));
            assert!(
                problems.iter().any(|p| p.contains(want)),
                "{name}: {problems:?}"
            );
        }
        let collide = structure_problems(
            &key(),
            &names(&["example.com/m@v1.0.0/A.go", "example.com/m@v1.0.0/a.go"]),
        );
        assert!(collide[0].contains("case-insensitive"), "{collide:?}");
        let dup = structure_problems(
            &key(),
            &names(&["example.com/m@v1.0.0/a.go", "example.com/m@v1.0.0/a.go"]),
        );
        assert!(dup[0].contains("multiple entries"), "{dup:?}");
        let both = structure_problems(
            &key(),
            &names(&["example.com/m@v1.0.0/a", "example.com/m@v1.0.0/a/b.go"]),
        );
        assert!(both[0].contains("both a file and a directory"), "{both:?}");
    }
}
