//! Deciding whether a directory is a Go module cache before modlens acts on it.
//!
//! Everything modlens deletes is chosen by reading names, so pointed at the wrong directory (a
//! home directory, `$GOPATH/pkg`, `/`) it would read a user's files as junk in a cache. A root
//! is therefore accepted only when it carries go's own markers: a real `cache/download`
//! directory (not a symlink) holding at least one `@v` directory with a file go writes there,
//! and no name at the top that go never writes (a dot file, upper case). An empty directory is
//! accepted too: it is what go creates before its first download, and holds nothing to harm.
//! A directory inside a cache (`cache/`, `cache/download`, a module tree) and the parent of a
//! cache are refused by name, with the directory the user probably meant. Reads only.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::layout::VersionFile;

/// Why a directory is not accepted as a module cache.
#[derive(Debug, thiserror::Error)]
pub enum NotACache {
    /// `/` itself.
    #[error("{0} is the file-system root, not a Go module cache")]
    FileSystemRoot(PathBuf),
    /// A directory inside a cache: `cache/`, `cache/download`, a module tree, ...
    #[error("{path} is inside the Go module cache {cache}; pass --cache {cache}")]
    InsideCache {
        /// The directory given.
        path: PathBuf,
        /// The cache it belongs to.
        cache: PathBuf,
    },
    /// A directory that holds one cache or more below it, such as `$GOPATH/pkg`.
    #[error("{path} is not a Go module cache but holds {}", caches_below(caches))]
    ParentOfCache {
        /// The directory given.
        path: PathBuf,
        /// The caches below it (at most [`MAX_NAMED`]), in name order.
        caches: Vec<PathBuf>,
    },
    /// No `cache/download` directory.
    #[error("{0} is not a Go module cache: it has no cache/download directory")]
    NoDownloadDir(PathBuf),
    /// `cache` or `cache/download` is a symlink, which modlens never follows.
    #[error(
        "{0} is a symlink; modlens does not follow links in a module cache (pass the directory it points to as --cache)"
    )]
    LinkedDownloadDir(PathBuf),
    /// `cache/download` holds no module version go could have written.
    #[error("{0} is not a Go module cache: cache/download holds no module versions")]
    NoVersions(PathBuf),
    /// A name at the top that go never writes.
    #[error("{path} is not a Go module cache: go never writes {name:?} at the top of one")]
    ForeignName {
        /// The directory given.
        path: PathBuf,
        /// The name found.
        name: String,
    },
    /// The directory could not be read.
    #[error("cannot read {path}: {source}")]
    Unreadable {
        /// The path concerned.
        path: PathBuf,
        /// The error.
        source: io::Error,
    },
}

/// How many caches below a directory an error names, at most.
pub const MAX_NAMED: usize = 8;

/// "one at A; pass --cache A", or "3 caches: A, B, C; pass one of them as --cache".
fn caches_below(caches: &[PathBuf]) -> String {
    match caches {
        [one] => format!("one at {0}; pass --cache {0}", one.display()),
        many => format!(
            "{} Go module caches: {}; pass one of them as --cache",
            if many.len() == MAX_NAMED {
                format!("at least {MAX_NAMED}")
            } else {
                many.len().to_string()
            },
            many.iter()
                .map(|c| c.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// How many directories below `cache/download` are read, at most, looking for a version.
const SEARCH_LIMIT: usize = 4096;

/// Accepts `root` as a module cache, or says why not.
pub fn recognize(root: &Path) -> Result<(), NotACache> {
    let unreadable = |path: &Path| {
        let path = path.to_path_buf();
        move |source| NotACache::Unreadable { path, source }
    };
    let canonical = fs::canonicalize(root).map_err(unreadable(root))?;
    if canonical.parent().is_none() {
        return Err(NotACache::FileSystemRoot(root.to_path_buf()));
    }
    if let Some(cache) = canonical
        .ancestors()
        .skip(1)
        .find(|a| holds_as_cache_part(a, &canonical))
    {
        return Err(NotACache::InsideCache {
            path: root.to_path_buf(),
            cache: cache.to_path_buf(),
        });
    }
    let mut names = Vec::new();
    for child in fs::read_dir(root).map_err(unreadable(root))? {
        names.push(child.map_err(unreadable(root))?.file_name());
    }
    if names.is_empty() {
        return Ok(());
    }
    for link in [root.join("cache"), root.join("cache").join("download")] {
        if fs::symlink_metadata(&link).is_ok_and(|m| m.file_type().is_symlink()) {
            return Err(NotACache::LinkedDownloadDir(link));
        }
    }
    if names.len() == 1 && names[0] == "cache" && only_go_started(&root.join("cache")) {
        // A cache go has begun: its first command failed before any download (say, git
        // could not fetch a private module), leaving `cache/vcs` and `cache/lock`.
        return Ok(());
    }
    if !has_download_dir(root) {
        names.sort();
        let caches: Vec<PathBuf> = names
            .iter()
            .map(|n| root.join(n))
            .flat_map(|d| [d.clone(), d.join("mod"), d.join("pkg").join("mod")])
            .filter(|d| has_download_dir(d))
            .take(MAX_NAMED)
            .collect();
        return Err(if caches.is_empty() {
            NotACache::NoDownloadDir(root.to_path_buf())
        } else {
            NotACache::ParentOfCache {
                path: root.to_path_buf(),
                caches,
            }
        });
    }
    if let Some(name) = names.iter().find(|n| !plausible_top_name(n)) {
        return Err(NotACache::ForeignName {
            path: root.to_path_buf(),
            name: name.to_string_lossy().into_owned(),
        });
    }
    let download = root.join("cache").join("download");
    if !holds_a_version(&download) && names.iter().any(|n| n != "cache") {
        return Err(NotACache::NoVersions(root.to_path_buf()));
    }
    Ok(())
}

/// Whether `cache` is a real directory holding nothing but what go creates there first.
fn only_go_started(cache: &Path) -> bool {
    let is_dir = fs::symlink_metadata(cache).is_ok_and(|m| m.is_dir());
    is_dir
        && fs::read_dir(cache).is_ok_and(|children| {
            children
                .flatten()
                .all(|c| matches!(c.file_name().to_str(), Some("vcs" | "lock" | "download")))
        })
}

/// Whether `inner` is part of a cache rooted at `outer`: below its `cache` directory, or below a
/// top-level directory named like a module path's first element (which always has a dot).
fn holds_as_cache_part(outer: &Path, inner: &Path) -> bool {
    let Ok(rel) = inner.strip_prefix(outer) else {
        return false;
    };
    let first = rel.components().next().and_then(|c| c.as_os_str().to_str());
    let part =
        first.is_some_and(|f| f == "cache" || (f.contains('.') && plausible_top_name(f.as_ref())));
    part && has_download_dir(outer) && holds_a_version(&outer.join("cache").join("download"))
}

/// Whether `dir/cache/download` is a directory (not through a symlink).
fn has_download_dir(dir: &Path) -> bool {
    let cache = dir.join("cache");
    [cache.clone(), cache.join("download")]
        .iter()
        .all(|d| fs::symlink_metadata(d).is_ok_and(|m| m.is_dir()))
}

/// Whether go could have written `name` directly in the cache root: `cache`, or the first
/// element of an escaped module path (which has no upper case and cannot start with a dot),
/// possibly with `@version`. Finder's `.DS_Store` is tolerated: it appears in every directory
/// a Mac user has opened.
fn plausible_top_name(name: &std::ffi::OsStr) -> bool {
    let Some(name) = name.to_str() else {
        // Damage, not a sign of a foreign directory; the scan reports it.
        return true;
    };
    name == "cache"
        || name == ".DS_Store"
        || (!name.starts_with('.') && !name.chars().any(|c| c.is_ascii_uppercase()))
}

/// Whether some `@v` directory below `download` holds a file go writes there (looked for
/// depth-first, reading at most [`SEARCH_LIMIT`] directories).
fn holds_a_version(download: &Path) -> bool {
    let mut queue = std::collections::VecDeque::from([download.to_path_buf()]);
    let mut read = 0;
    // Depth first: in a real cache the first `@v` is a few reads away, whatever its width.
    while let Some(dir) = queue.pop_back() {
        read += 1;
        if read > SEARCH_LIMIT {
            return false;
        }
        let Ok(children) = fs::read_dir(&dir) else {
            continue;
        };
        let at_v = dir.file_name().is_some_and(|n| n == "@v");
        for child in children.flatten() {
            let Ok(kind) = child.file_type() else {
                continue;
            };
            let name = child.file_name();
            if at_v {
                let is_version_file = name
                    .to_str()
                    .and_then(VersionFile::split_name)
                    .is_some_and(|(_, f)| f != VersionFile::Partial);
                if kind.is_file() && is_version_file {
                    return true;
                }
            } else if kind.is_dir() && !(dir == download && name == "sumdb") {
                queue.push_back(child.path());
            }
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(files: &[&str]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for f in files {
            let path = dir.path().join(f);
            if let Some(sub) = f.strip_suffix('/') {
                fs::create_dir_all(dir.path().join(sub)).unwrap();
            } else {
                fs::create_dir_all(path.parent().unwrap()).unwrap();
                fs::write(path, "").unwrap();
            }
        }
        dir
    }

    const VERSION: &str = "cache/download/example.com/a/@v/v1.0.0.mod";

    #[test]
    fn a_cache_go_wrote_is_accepted() {
        let t = tree(&[VERSION, "example.com/a@v1.0.0/a.go", ".DS_Store"]);
        recognize(t.path()).unwrap();
    }

    #[test]
    fn an_empty_directory_is_accepted() {
        let t = tree(&[]);
        recognize(t.path()).unwrap();
    }

    #[test]
    fn a_home_directory_is_refused_even_with_a_cache_download_dir() {
        let t = tree(&[VERSION, ".ssh/id_ed25519", "Documents/a.txt"]);
        let err = recognize(t.path()).unwrap_err();
        assert!(matches!(err, NotACache::ForeignName { .. }), "{err}");
        let t = tree(&["notes.txt", "src/main.go"]);
        let err = recognize(t.path()).unwrap_err();
        assert!(matches!(err, NotACache::NoDownloadDir(_)), "{err}");
    }

    #[test]
    fn a_parent_of_a_cache_names_the_cache() {
        let t = tree(&[&format!("mod/{VERSION}"), "sumdb/sum.golang.org/latest"]);
        let err = recognize(t.path()).unwrap_err();
        assert!(
            matches!(&err, NotACache::ParentOfCache { caches, .. } if caches.len() == 1 && caches[0].ends_with("mod")),
            "{err}"
        );
    }

    #[test]
    fn a_parent_of_several_caches_names_them_all() {
        let t = tree(&[
            &format!("a/{VERSION}"),
            &format!("b/pkg/mod/{VERSION}"),
            "c/readme.txt",
            &format!("d/mod/{VERSION}"),
        ]);
        let err = recognize(t.path()).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("3 Go module caches"), "{text}");
        for cache in ["a", "b/pkg/mod", "d/mod"] {
            assert!(
                text.contains(&t.path().join(cache).display().to_string()),
                "{text}"
            );
        }
        assert!(text.contains("pass one of them as --cache"), "{text}");
    }

    #[test]
    fn directories_inside_a_cache_are_refused() {
        let t = tree(&[VERSION, "example.com/a@v1.0.0/a.go"]);
        for inner in [
            "cache",
            "cache/download",
            "example.com",
            "example.com/a@v1.0.0",
        ] {
            let err = recognize(&t.path().join(inner)).unwrap_err();
            assert!(
                matches!(err, NotACache::InsideCache { .. }),
                "{inner}: {err}"
            );
        }
    }

    #[test]
    fn a_cache_below_an_unrelated_cache_download_is_still_a_cache() {
        let t = tree(&[VERSION, &format!("go/pkg/mod/{VERSION}")]);
        recognize(&t.path().join("go/pkg/mod")).unwrap();
    }

    #[test]
    fn a_cache_under_a_dir_named_cache_is_still_a_cache() {
        // /srv/cache/download belongs to something else; /srv/cache/gomod is the Go cache.
        let t = tree(&[
            "cache/download/files/a.bin",
            &format!("cache/gomod/{VERSION}"),
        ]);
        recognize(&t.path().join("cache/gomod")).unwrap();
    }

    #[test]
    fn the_file_system_root_is_refused_by_name() {
        let err = recognize(Path::new("/")).unwrap_err();
        assert!(matches!(err, NotACache::FileSystemRoot(_)), "{err}");
    }

    #[test]
    fn a_download_dir_without_versions_is_not_enough() {
        let t = tree(&["cache/download/", "project/go.mod"]);
        let err = recognize(t.path()).unwrap_err();
        assert!(matches!(err, NotACache::NoVersions(_)), "{err}");
    }

    #[test]
    fn a_linked_download_dir_is_refused() {
        let t = tree(&["elsewhere/example.com/a/@v/v1.0.0.mod", "cache/"]);
        std::os::unix::fs::symlink(t.path().join("elsewhere"), t.path().join("cache/download"))
            .unwrap();
        let err = recognize(t.path()).unwrap_err();
        assert!(matches!(err, NotACache::LinkedDownloadDir(_)), "{err}");
    }
}
