//! Downloading versions again without putting what the cache holds at risk: fetch first into
//! a scratch cache, check, and only then swap the result in.
//!
//! 1. The real go command (`go mod download -json`, the user's environment and `go env`
//!    settings) downloads into a private scratch GOMODCACHE, `cache/modlens-fetch-<pid>-<n>`
//!    inside the real cache, so that every later move is a rename on one file system. Its
//!    `cache/download/sumdb` is a link to the real one, so cached checksum-database answers
//!    serve offline as they would for go.
//! 2. go has checked the zip against the checksum database; modlens also compares go's `Sum`
//!    and `GoModSum` with every go.sum line the user named. Any failure (offline, 404, auth,
//!    SECURITY ERROR, a go.sum mismatch) ends here: the real cache has not been touched, and
//!    the answer says "unchanged" with go's error and a hint.
//! 3. The swap runs under the version's lock in go's crash-safe order: `.partial` first (go
//!    then never adopts a half-swapped tree), `.info` and `.mod`, `.ziphash` then the zip
//!    (go's own order), the old tree renamed aside, the new tree renamed in, `.partial`
//!    removed. A crash before the swap leaves the old state plus the scratch dir; a crash
//!    during it leaves a `.partial`, which go resolves by itself by extracting the zip again
//!    (the new one, once it is in) and modlens reports; the dirs left behind are `tmp_dir`
//!    leftovers that `clean --leftovers` and `refetch --broken` remove.

use std::path::{Path, PathBuf};

use super::confined::unique_suffix;
use super::confined::{Confined, Missing};
use super::delete::VersionLock;
use super::error::DeleteError;
use super::error::FixError;
use super::fault::checkpoint;
use super::gocmd;
use super::gocmd::GoRunner;
use crate::cache::cancel::CancelToken;
use crate::cache::layout::SCRATCH_PREFIX;
use crate::cache::{ModCache, ModuleKey, VersionFile, read, semver};
use crate::verify::Expectations;

/// What go reported for one downloaded version.
#[derive(Debug, Clone, Default)]
pub struct Fetched {
    /// The zip's `h1:` hash.
    pub sum: Option<String>,
    /// The `.mod` file's `h1:` hash.
    pub go_mod_sum: Option<String>,
}

/// Downloads `keys` through go into a scratch cache and swaps each good one into `cache`;
/// returns one result per key, in order. On error the real cache is unchanged for that key.
pub fn fetch_and_swap(
    cache: &ModCache,
    keys: &[ModuleKey],
    expect: &Expectations,
    go: &GoRunner,
    cancel: &CancelToken,
) -> Vec<Result<(), FixError>> {
    let confined = match Confined::open(cache.root()) {
        Ok(c) => c,
        Err(e) => {
            return keys
                .iter()
                .map(|k| Err(FixError::unchanged(k, &e)))
                .collect();
        }
    };
    let scratch_root = cache.root().join("cache").join(format!(
        "{SCRATCH_PREFIX}{}-{}",
        std::process::id(),
        unique_suffix()
    ));
    if let Err(e) = prepare_scratch(&confined, cache, &scratch_root) {
        let _ = confined.remove(&scratch_root);
        return keys
            .iter()
            .map(|k| Err(FixError::unchanged(k, &e)))
            .collect();
    }
    let scratch = ModCache::new(&scratch_root);
    let fetched = go_download_many(&scratch, keys, go, true, cancel);
    checkpoint("fetch:downloaded");
    let results = keys
        .iter()
        .zip(fetched)
        .map(|(key, fetched)| {
            if cancel.is_cancelled() {
                return Err(FixError::unchanged(key, "cancelled"));
            }
            let fetched = fetched.map_err(|e| FixError::unchanged(key, e))?;
            check_sums(key, &fetched, expect)?;
            swap(&confined, cache, &scratch, key, go.modcacherw)?;
            go.tree_changed(cache, key);
            Ok(())
        })
        .collect();
    let _ = confined.remove(&scratch_root);
    results
}

/// Creates the scratch cache and links its sumdb cache to the real one.
fn prepare_scratch(
    confined: &Confined,
    cache: &ModCache,
    scratch_root: &Path,
) -> Result<(), DeleteError> {
    let download = scratch_root.join("cache").join("download");
    let fd = confined.dir(&download, Missing::Create)?;
    let real_sumdb = cache.sumdb_root();
    if confined.file_type(&real_sumdb)? == Some(rustix::fs::FileType::Directory) {
        rustix::fs::symlinkat(&real_sumdb, &fd, "sumdb")
            .map_err(|e| super::error::io_err(&download)(e.into()))?;
    }
    Ok(())
}

/// Compares go's hashes with every go.sum line named for the version.
fn check_sums(key: &ModuleKey, fetched: &Fetched, expect: &Expectations) -> Result<(), FixError> {
    let pairs = [
        (expect.gosums.zip_lines(key), &fetched.sum, ""),
        (expect.gosums.mod_lines(key), &fetched.go_mod_sum, "/go.mod"),
    ];
    for (lines, got, what) in pairs {
        for line in lines.iter().filter(|l| l.hash.starts_with("h1:")) {
            if got.as_deref() != Some(line.hash.as_str()) {
                return Err(FixError::unchanged(
                    key,
                    format!(
                        "{key}{what}: checksum mismatch: downloaded {}, {} says {} \
                         (hint: the source serves different content than recorded)",
                        got.as_deref().unwrap_or("nothing"),
                        line.file.display(),
                        line.hash
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// Moves one downloaded version from `scratch` into `cache` (see the module doc).
fn swap(
    confined: &Confined,
    cache: &ModCache,
    scratch: &ModCache,
    key: &ModuleKey,
    modcacherw: bool,
) -> Result<(), DeleteError> {
    let _lock = VersionLock::acquire_in(confined, cache, key)?;
    let partial = cache.version_file(key, VersionFile::Partial);
    let tree = cache.tree_dir(key);
    confined.refuse_mounts(&tree)?;
    let new_tree = scratch.tree_dir(key);
    let has_new_tree = confined.file_type(&new_tree)?.is_some();
    confined.create_marker(&partial)?;
    checkpoint("swap:partial written");
    // The files first: from the moment the new zip and `.ziphash` are in, go (which ignores a
    // tree while `.partial` exists) can re-extract the version by itself.
    for file in [
        VersionFile::Info,
        VersionFile::Mod,
        VersionFile::Ziphash,
        VersionFile::Zip,
    ] {
        let from = scratch.version_file(key, file);
        if confined.file_type(&from)?.is_some() {
            confined.rename(&from, &cache.version_file(key, file))?;
        }
        checkpoint(&format!("swap:{}", file.ext()));
    }
    let aside = PathBuf::from(format!(
        "{}.tmp-modlens-{}-{}",
        tree.display(),
        std::process::id(),
        unique_suffix()
    ));
    let moved_aside = confined.file_type(&tree)?.is_some();
    if moved_aside {
        confined.rename(&tree, &aside)?;
    }
    checkpoint("swap:tree aside");
    if has_new_tree {
        if let Some(parent) = tree.parent() {
            confined.dir(parent, Missing::Create)?;
        }
        let dirs = directories_below(&new_tree);
        confined.rename(&new_tree, &tree)?;
        if !modcacherw {
            let dirs: Vec<PathBuf> = dirs.iter().map(|rel| tree.join(rel)).collect();
            confined.make_read_only(&dirs)?;
        }
    }
    checkpoint("swap:tree in");
    confined.remove(&partial)?;
    checkpoint("swap:partial removed");
    add_to_list(confined, cache, key)?;
    if moved_aside {
        confined.remove(&aside)?;
    }
    Ok(())
}

/// The directories below `tree` (itself included, as ""), relative to it, in name order.
fn directories_below(tree: &Path) -> Vec<PathBuf> {
    walkdir::WalkDir::new(tree)
        .follow_links(false)
        .follow_root_links(false)
        .sort_by_file_name()
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_dir())
        .filter_map(|e| e.path().strip_prefix(tree).ok().map(Path::to_path_buf))
        .collect()
}

/// Adds the version to `@v/list` when it is missing there, as go does when it writes `.mod`.
fn add_to_list(confined: &Confined, cache: &ModCache, key: &ModuleKey) -> Result<(), DeleteError> {
    let path = cache.at_v_dir(key).join("list");
    confined.rewrite(&path, read::cap::LIST, |text| {
        let mut versions: Vec<&str> = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
        // go lists only versions whose escaped form is canonical (no upper case).
        if key.escaped_version() == key.version {
            versions.push(&key.version);
        }
        versions.sort_by(|a, b| semver::sort_order(a, b));
        versions.dedup();
        versions.iter().map(|v| format!("{v}\n")).collect()
    })
}

/// Runs `go mod download -json` for `keys` in an empty temp dir with the user's environment,
/// with `modcache` as GOMODCACHE; with `writable_dirs`, `-modcacherw` is added so the trees
/// can be renamed into place. Returns one result per key; errors carry go's message and a
/// hint.
pub fn go_download_many(
    modcache: &ModCache,
    keys: &[ModuleKey],
    go: &GoRunner,
    writable_dirs: bool,
    cancel: &CancelToken,
) -> Vec<Result<Fetched, FixError>> {
    // One failure for every key.
    let all_failed = |message: String| {
        keys.iter()
            .map(|_| {
                Err(FixError::Go {
                    message: message.clone(),
                })
            })
            .collect()
    };
    let workdir = match gocmd::TempDir::create("refetch") {
        Ok(dir) => dir,
        Err(e) => return all_failed(e.to_string()),
    };
    let extra = if writable_dirs {
        "-mod=mod -modcacherw"
    } else {
        "-mod=mod"
    };
    let mut command = gocmd::command(go, modcache.root(), extra);
    command
        .args(["mod", "download", "-json"])
        .args(keys.iter().map(ModuleKey::to_string))
        .current_dir(workdir.path());
    let out = gocmd::run(command, workdir.path(), cancel);
    drop(workdir);
    let out = match out {
        Ok(out) => out,
        Err(err) => return all_failed(err.to_string()),
    };
    let reports: Vec<serde_json::Value> = serde_json::Deserializer::from_slice(&out.stdout)
        .into_iter()
        .filter_map(Result::ok)
        .collect();
    let stderr = String::from_utf8_lossy(&out.stderr);
    keys.iter()
        .map(|key| {
            let report = reports
                .iter()
                .find(|r| r["Path"] == key.path.as_str() && r["Version"] == key.version.as_str());
            let text = |field: &str| {
                report
                    .and_then(|r| r.get(field))
                    .and_then(|v| v.as_str())
                    .map(str::to_owned)
            };
            match (report, text("Error")) {
                // go 1.21+ downloads the version whole, then refuses to use it with a go older
                // than its go.mod needs: its files are good.
                (Some(_), Some(err))
                    if err.contains(" requires go >= ")
                        && text("Zip").is_some()
                        && text("Sum").is_some() =>
                {
                    Ok(Fetched {
                        sum: text("Sum"),
                        go_mod_sum: text("GoModSum"),
                    })
                }
                // go's message already names the module.
                (_, Some(err)) => Err(FixError::Go {
                    message: format!("{err}{}", hint(&err)),
                }),
                (Some(_), None) => Ok(Fetched {
                    sum: text("Sum"),
                    go_mod_sum: text("GoModSum"),
                }),
                (None, None) => {
                    let stderr = stderr.trim();
                    Err(FixError::Go {
                        message: format!("{key}: go mod download failed: {stderr}{}", hint(stderr)),
                    })
                }
            }
        })
        .collect()
}

/// Advice for common go download failures.
pub(super) fn hint(err: &str) -> &'static str {
    if err.contains("exit status 128") || err.contains("terminal prompts disabled") {
        " (hint: git could not fetch it: check access to the repository, GOPRIVATE/GONOPROXY and ~/.netrc)"
    } else if err.contains("410 Gone")
        || err.contains("404 Not Found")
        || err.contains("not found")
        || err.contains("no such file or directory")
    {
        " (hint: the proxy does not have it: for a private module set GOPRIVATE, or check GOPROXY)"
    } else if err.contains("GOPROXY=off") || err.contains("lookup disabled") {
        " (hint: GOPROXY=off forbids downloads)"
    } else if err.contains("SECURITY ERROR") || err.contains("checksum mismatch") {
        " (hint: the source serves different content than recorded: check GOPROXY and go.sum)"
    } else if err.contains("dial tcp") || err.contains("no such host") {
        " (hint: the network or proxy is unreachable: check GOPROXY and connectivity)"
    } else {
        ""
    }
}
