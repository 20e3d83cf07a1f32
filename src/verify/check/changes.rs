//! Naming the files of a tree that differ from its zip: modified, missing or extra.

use std::collections::BTreeMap;

use crate::verify::hash::FileDigest;
use crate::verify::problem::{Change, FileChange};

/// Files that differ between the zip entries and the tree, names relative to the module root.
pub(super) fn diff(prefix: &str, zip: &[FileDigest], tree: &[FileDigest]) -> Vec<FileChange> {
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

pub(super) fn count_changes(changes: &[FileChange]) -> String {
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
