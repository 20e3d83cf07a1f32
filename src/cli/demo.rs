//! `modlens --demo`: a small module cache, laid out exactly as go lays one out, for trying
//! modlens without Go.
//!
//! The module sources live in `assets/demo.txtar` (compiled in). Each version gets its `.info`,
//! `.mod`, deflated `.zip`, `.ziphash` (its `h1:` hash), `.lock`, a `list` entry, and a read-only
//! extracted tree. Ages are spread out so sorting shows something. Then a few entries are
//! broken on purpose: an edited tree, a truncated zip, an interrupted extraction and a
//! leftover temp file, so the integrity marks have something to show. The integration tests
//! check the intact entries with the real go command.

use std::collections::BTreeMap;
use std::fs::{self, File, FileTimes};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use sha2::{Digest, Sha256};
use zip::write::SimpleFileOptions;

use crate::cache::{ModCache, ModuleKey, VersionFile, semver};
use crate::verify::hash::{FileDigest, hash1};

const SOURCES: &str = include_str!("../../assets/demo.txtar");
const DAY: u64 = 86_400;

/// The versions `--demo` breaks, and how.
pub const BROKEN: [(&str, &str, &str); 3] = [
    ("example.com/tampered", "v1.0.0", "dir_modified"),
    ("example.com/legacy", "v2.0.0+incompatible", "zip_invalid"),
    ("example.com/interrupted", "v1.1.0", "partial"),
];

/// Parses a txtar archive into (name, content) pairs.
fn txtar(text: &str) -> Vec<(&str, String)> {
    let mut files: Vec<(&str, String)> = Vec::new();
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_end_matches('\n');
        if let Some(name) = trimmed
            .strip_prefix("-- ")
            .and_then(|l| l.strip_suffix(" --"))
        {
            files.push((name, String::new()));
        } else if let Some((_, content)) = files.last_mut() {
            content.push_str(line);
        }
    }
    files
}

/// The demo's module versions: key → files relative to the module root.
fn modules() -> BTreeMap<ModuleKey, Vec<(String, String)>> {
    let mut out: BTreeMap<ModuleKey, Vec<(String, String)>> = BTreeMap::new();
    for (name, content) in txtar(SOURCES) {
        let Some((module, rel)) = name.split_once('/').and_then(|_| {
            let at = name.find('@')?;
            let slash = name[at..].find('/')? + at;
            Some((&name[..slash], &name[slash + 1..]))
        }) else {
            continue;
        };
        let Some((path, version)) = module.split_once('@') else {
            continue;
        };
        let key = ModuleKey {
            path: path.to_owned(),
            version: version.to_owned(),
        };
        out.entry(key).or_default().push((rel.to_owned(), content));
    }
    out
}

/// Writes the demo cache under `dir` and returns its root.
pub fn build(dir: &Path, now: SystemTime) -> io::Result<PathBuf> {
    let root = dir.join("modcache");
    fs::create_dir_all(&root)?;
    let cache = ModCache::new(&root);
    let mut lists: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (i, (key, files)) in modules().into_iter().enumerate() {
        // Spread downloads over two years and uses over the last months.
        let downloaded = now - Duration::from_secs((i as u64 * 97 % 700 + 1) * DAY);
        let used = now - Duration::from_secs((i as u64 * 31 % 120) * DAY + 3600);
        write_version(&cache, &key, &files, downloaded, used)?;
        lists
            .entry(key.escaped_path())
            .or_default()
            .push(key.version.clone());
    }
    for (esc_path, mut versions) in lists {
        versions.sort_by(|a, b| semver::sort_order(a, b));
        let text: String = versions.iter().map(|v| format!("{v}\n")).collect();
        fs::write(cache.at_v_dir_escaped(&esc_path).join("list"), text)?;
    }
    break_some(&cache)?;
    Ok(root)
}

fn write_version(
    cache: &ModCache,
    key: &ModuleKey,
    files: &[(String, String)],
    downloaded: SystemTime,
    used: SystemTime,
) -> io::Result<()> {
    let prefix = format!("{key}/");
    let go_mod = files
        .iter()
        .find(|(rel, _)| rel == "go.mod")
        .map_or_else(|| format!("module {}\n", key.path), |(_, c)| c.clone());
    let mut zip_bytes = io::Cursor::new(Vec::new());
    let mut digests = Vec::new();
    {
        let mut zip = zip::ZipWriter::new(&mut zip_bytes);
        let opts =
            SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        for (rel, content) in files {
            zip.start_file(format!("{prefix}{rel}"), opts)
                .map_err(io::Error::other)?;
            zip.write_all(content.as_bytes())?;
            digests.push(FileDigest {
                name: format!("{prefix}{rel}").into_bytes(),
                digest: Sha256::digest(content).into(),
            });
        }
        zip.finish().map_err(io::Error::other)?;
    }
    let h1 =
        hash1(&mut digests).ok_or_else(|| io::Error::other("a demo file name has a newline"))?;
    fs::create_dir_all(cache.at_v_dir(key))?;
    let published = downloaded - Duration::from_secs(30 * DAY);
    let info = format!(
        "{{\"Version\":\"{}\",\"Time\":\"{}\"}}",
        key.version,
        crate::cache::fmt::rfc3339(published)
    );
    fs::write(cache.version_file(key, VersionFile::Info), info)?;
    fs::write(cache.version_file(key, VersionFile::Mod), &go_mod)?;
    fs::write(
        cache.version_file(key, VersionFile::Zip),
        zip_bytes.into_inner(),
    )?;
    fs::write(
        cache.version_file(key, VersionFile::Ziphash),
        h1.to_string(),
    )?;
    fs::write(cache.version_file(key, VersionFile::Lock), "")?;
    let tree = cache.tree_dir(key);
    for (rel, content) in files {
        let path = tree.join(rel);
        fs::create_dir_all(path.parent().unwrap_or(&tree))?;
        fs::write(&path, content)?;
        set_mode(&path, 0o444)?;
    }
    for file in [
        VersionFile::Info,
        VersionFile::Mod,
        VersionFile::Zip,
        VersionFile::Ziphash,
    ] {
        let f = File::options()
            .write(true)
            .open(cache.version_file(key, file))?;
        f.set_times(FileTimes::new().set_modified(downloaded).set_accessed(used))?;
    }
    read_only_dirs(&tree)
}

/// Breaks a few versions the way real caches break.
fn break_some(cache: &ModCache) -> io::Result<()> {
    let key = |(path, version, _): (&str, &str, &str)| ModuleKey {
        path: path.into(),
        version: version.into(),
    };
    let tampered = key(BROKEN[0]);
    let file = cache.tree_dir(&tampered).join("main.go");
    set_mode(file.parent().unwrap_or(&file), 0o755)?;
    set_mode(&file, 0o644)?;
    fs::write(
        &file,
        "package tampered\n\n// Answer was edited by hand.\nconst Answer = 43\n",
    )?;
    fs::write(file.with_file_name("debug.go"), "package tampered\n")?;
    let legacy = cache.version_file(&key(BROKEN[1]), VersionFile::Zip);
    let len = fs::metadata(&legacy)?.len();
    File::options()
        .write(true)
        .open(&legacy)?
        .set_len(len / 2)?;
    fs::write(
        cache.version_file(&key(BROKEN[2]), VersionFile::Partial),
        "",
    )?;
    let hello = ModuleKey {
        path: "example.com/hello".into(),
        version: "v1.2.0".into(),
    };
    fs::write(
        cache.at_v_dir(&hello).join("v1.2.0.zip284719.tmp"),
        "an interrupted download",
    )?;
    Ok(())
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(_path: &Path, _mode: u32) -> io::Result<()> {
    Ok(())
}

fn read_only_dirs(tree: &Path) -> io::Result<()> {
    let mut dirs: Vec<PathBuf> = walkdir::WalkDir::new(tree)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_dir())
        .map(walkdir::DirEntry::into_path)
        .collect();
    dirs.sort();
    for dir in dirs.iter().rev() {
        set_mode(dir, 0o555)?;
    }
    Ok(())
}

/// The demo cache's temp dir, removed when dropped.
pub struct DemoDir {
    dir: PathBuf,
    /// The demo cache's root.
    pub root: PathBuf,
    /// Says that the directory is in use (see [`crate::fix::private_dir`]).
    _alive: fs::File,
}

impl DemoDir {
    /// Builds the demo cache in a temp dir. With `on_termination`, a signal that ends the
    /// process removes it too (the explorer, which ends on them by itself, passes `false`).
    pub fn create(on_termination: bool) -> anyhow::Result<DemoDir> {
        let (dir, alive) = crate::fix::private_dir::private_temp_dir("demo")
            .map_err(|e| {
                anyhow::anyhow!(
                    "cannot create the demo cache's directory in {}: {e}",
                    std::env::temp_dir().display()
                )
            })?
            .keep();
        let root = build(&dir, crate::cache::clock::now()).map_err(|e| {
            anyhow::anyhow!("cannot build the demo cache in {}: {e}", dir.display())
        })?;
        if on_termination {
            remove_on_termination(dir.clone())?;
        }
        Ok(DemoDir {
            dir,
            root,
            _alive: alive,
        })
    }
}

/// Removes the demo dir when the process is told to end (SIGTERM, SIGHUP as when its terminal
/// closes, SIGINT outside the explorer), which skips destructors: restore the terminal, remove
/// the dir, and exit as the signal would have.
fn remove_on_termination(dir: PathBuf) -> anyhow::Result<()> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let mut signals = signal_hook::iterator::Signals::new([SIGTERM, SIGHUP, SIGINT])?;
    crate::ops::pools::Pools::service("demo-signals", move || {
        if let Some(signal) = signals.forever().next() {
            if std::io::IsTerminal::is_terminal(&io::stdout()) {
                ratatui::restore();
            }
            let _ = crate::fix::delete::remove_path(&std::env::temp_dir(), &dir);
            std::process::exit(128 + signal);
        }
    })?;
    Ok(())
}

impl Drop for DemoDir {
    fn drop(&mut self) {
        let _ = crate::fix::delete::remove_path(&std::env::temp_dir(), &self.dir);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sources_parse_into_versions() {
        let m = modules();
        assert!(m.len() >= 9, "{:?}", m.keys().collect::<Vec<_>>());
        let widget = ModuleKey {
            path: "github.com/Acme/Widget".into(),
            version: "v0.3.1".into(),
        };
        let files: Vec<&str> = m[&widget].iter().map(|(r, _)| r.as_str()).collect();
        assert_eq!(files, ["go.mod", "widget.go", "internal/geom/geom.go"]);
        assert!(
            m[&widget][0]
                .1
                .starts_with("module github.com/Acme/Widget\n")
        );
    }
}
