//! Repairing a module version, cheapest way first.
//!
//! 1. If the zip is intact (it hashes to `.ziphash`, and to the go.sum or sumdb hash where one
//!    is known), the tree is re-extracted from it offline, under the `.partial` protocol and
//!    go's lock, with files 0444 and directories read-only as go leaves them.
//! 2. If the zip is broken ("zip: not a valid zip file") or modified but the tree still hashes
//!    to `.ziphash` (and agrees with go.sum and sumdb), the zip is rebuilt from the tree,
//!    offline. go judges a zip only by its `h1:` hash, which covers names and contents, not the
//!    zip's bytes, so the rebuilt zip is as good as the one the proxy served.
//! 3. Otherwise the version is deleted in go's crash-safe order and downloaded again by the real
//!    go command (`go mod download -json path@version` in an empty temp dir, with the user's
//!    environment), so GOPROXY, GOPRIVATE, GOFLAGS, `.netrc` and direct VCS fetches behave as in
//!    the user's builds.
//!
//! The caller verifies the result again.

use std::fs::File;
use std::io;
use std::path::Path;

use super::confined::{Confined, Missing, temp_beside};
use super::delete::{VersionLock, ensure_inside};
use super::error::FixError;
use super::error::{DeleteError, io_err};
pub use super::gocmd::GoRunner;
use crate::cache::{ModCache, ModuleEntry, ModuleKey, VersionFile, read};
use crate::verify::hash::H1;
use crate::verify::zipfile::{Scratch, check_zip};
use crate::verify::{Expectations, Fix, verify_entry};

/// How a version was repaired.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Repair {
    /// The tree was re-extracted from the intact zip.
    Reextracted,
    /// The zip was rebuilt from the intact tree.
    Rezipped,
    /// The version was downloaded again through go.
    Refetched,
    /// The missing `.ziphash` was written from the zip, whose hash go.sum or the checksum
    /// database confirms.
    ZiphashWritten,
    /// The `.mod` was written from the intact zip's go.mod, whose hash go.sum or the checksum
    /// database confirms.
    ModRestored,
    /// The version has no problem: nothing was rewritten.
    Nothing,
    /// The version was deleted, for go to unpack again: golang.org/fips140, which go unpacks
    /// from GOROOT and cannot download.
    Deleted,
}

impl Repair {
    /// A word for people.
    pub fn name(self) -> &'static str {
        match self {
            Repair::Reextracted => "re-extracted",
            Repair::Rezipped => "re-zipped",
            Repair::Refetched => "re-fetched",
            Repair::ZiphashWritten => ".ziphash written",
            Repair::ModRestored => ".mod restored from the zip",
            Repair::Nothing => "nothing to repair",
            Repair::Deleted => "deleted (go unpacks it again from GOROOT)",
        }
    }

    /// What it will do, for a confirmation.
    pub fn intent(self) -> &'static str {
        match self {
            Repair::Reextracted => "re-extract the tree from the intact zip (offline)",
            Repair::Rezipped => "rebuild the zip from the intact tree (offline)",
            Repair::Refetched => {
                "download again through go, into a scratch cache first (the cache changes only \
                 if it succeeds)"
            }
            Repair::ZiphashWritten => "write .ziphash from the confirmed zip (offline)",
            Repair::ModRestored => "restore the .mod from the intact zip's go.mod (offline)",
            Repair::Nothing => "nothing to repair",
            Repair::Deleted => {
                "delete it: go cannot download golang.org/fips140, it unpacks it again from \
                 GOROOT on the next build with GOFIPS140"
            }
        }
    }
}

/// Decides the cheapest repair of `entry`, from a fresh verification: the fixes the verifier
/// suggests for its problems (it knows when the zip, or the tree, can be trusted; see
/// [`Fix`]). A version without problems, when asked for by name, is re-extracted if its zip is
/// intact and downloaded again otherwise.
pub fn plan(cache: &ModCache, entry: &ModuleEntry, expect: &Expectations) -> Repair {
    plan_for(&verify_entry(cache, entry, expect))
}

/// [`plan`] from a verdict already at hand.
pub fn plan_for(verdict: &crate::verify::Verdict) -> Repair {
    if crate::cache::Kind::of_path(&verdict.key.path) == crate::cache::Kind::Fips140
        && !verdict.problems.is_empty()
    {
        return Repair::Deleted;
    }
    // Unauthentic checksum-database files are removed on their own; they say nothing about
    // the version's files.
    let fixes: Vec<Fix> = verdict
        .problems
        .iter()
        .map(|p| p.fix)
        .filter(|f| *f != Fix::RemoveSumdbFiles)
        .collect();
    let only = |fix: Fix| !fixes.is_empty() && fixes.iter().all(|f| *f == fix);
    if fixes
        .iter()
        .any(|f| matches!(f, Fix::Refetch | Fix::Delete))
        // A lost .mod beside other damage: one download mends both.
        || (fixes.contains(&Fix::RestoreMod) && !only(Fix::RestoreMod))
    {
        Repair::Refetched
    } else if fixes.contains(&Fix::Rezip) {
        Repair::Rezipped
    } else if only(Fix::WriteZiphash) {
        Repair::ZiphashWritten
    } else if only(Fix::RestoreMod) {
        Repair::ModRestored
    } else if fixes.is_empty() {
        Repair::Nothing
    } else {
        Repair::Reextracted
    }
}

/// Repairs `entry` the cheapest way [`plan`] finds.
pub fn repair(
    cache: &ModCache,
    entry: &ModuleEntry,
    expect: &Expectations,
    go: &GoRunner,
) -> Result<Repair, FixError> {
    let how = plan(cache, entry, expect);
    if how == Repair::Refetched {
        let fetched = super::fetch::fetch_and_swap(
            cache,
            std::slice::from_ref(&entry.key),
            expect,
            go,
            &crate::cache::cancel::CancelToken::new(),
        );
        return fetched.into_iter().next().unwrap_or(Ok(())).map(|()| how);
    }
    repair_offline(cache, &entry.key, how, go)?;
    Ok(how)
}

/// Carries out a repair that needs no download (`how` is not [`Repair::Refetched`], which
/// [`super::fetch::fetch_and_swap`] does): the one place the CLI's and the explorer's jobs
/// and [`repair`] do it.
pub fn repair_offline(
    cache: &ModCache,
    key: &ModuleKey,
    how: Repair,
    go: &GoRunner,
) -> Result<(), DeleteError> {
    match how {
        Repair::Nothing => Ok(()),
        Repair::Deleted => super::delete::delete_version(cache, key, |_| {}).map(drop),
        Repair::Rezipped => rezip(cache, key),
        Repair::ZiphashWritten => write_ziphash(cache, key),
        Repair::ModRestored => super::gomod::restore_mod(cache, key),
        Repair::Reextracted | Repair::Refetched => {
            reextract(cache, key, go.modcacherw).inspect(|()| go.tree_changed(cache, key))
        }
    }
}

/// Re-extracts the tree of `key` from its zip under go's lock and `.partial` protocol.
pub fn reextract(cache: &ModCache, key: &ModuleKey, modcacherw: bool) -> Result<(), DeleteError> {
    let confined = Confined::open(cache.root())?;
    let tree = cache.tree_dir(key);
    let partial = cache.version_file(key, VersionFile::Partial);
    let zip_path = cache.version_file(key, VersionFile::Zip);
    let _lock = VersionLock::acquire_in(&confined, cache, key)?;
    confined.refuse_mounts(&tree)?;
    confined.create_marker(&partial)?;
    super::fault::checkpoint("reextract:partial written");
    confined.remove_checked(&tree)?;
    super::fault::checkpoint("reextract:tree removed");
    let file = read::open(&zip_path).map_err(|e| io_err(&zip_path)(e.into()))?;
    let mut archive = zip::ZipArchive::new(io::BufReader::new(file))
        .map_err(|e| io_err(&zip_path)(io::Error::other(e)))?;
    let prefix = format!("{key}/");
    let mut dirs = vec![tree.clone()];
    confined.dir(&tree, Missing::Create)?;
    for i in 0..archive.len() {
        let mut entry = archive
            .by_index(i)
            .map_err(|e| io_err(&zip_path)(io::Error::other(e)))?;
        let name = String::from_utf8_lossy(entry.name_raw()).into_owned();
        let Some(rel) = name.strip_prefix(&prefix) else {
            continue;
        };
        if rel.is_empty() || rel.ends_with('/') {
            continue;
        }
        let dest = tree.join(rel);
        ensure_inside(cache.root(), &dest)?;
        // Every directory between the tree and the file, so that all get go's modes.
        let mut parent = dest.parent();
        while let Some(dir) = parent.filter(|d| d.starts_with(&tree) && *d != tree) {
            dirs.push(dir.to_path_buf());
            parent = dir.parent();
        }
        let mut out = confined.create_new(&dest, 0o444)?;
        io::copy(&mut entry, &mut out).map_err(io_err(&dest))?;
        super::fault::checkpoint("reextract:file written");
    }
    if !modcacherw {
        dirs.sort();
        dirs.dedup();
        confined.make_read_only(&dirs)?;
    }
    super::fault::checkpoint("reextract:extracted");
    confined.remove(&partial)?;
    Ok(())
}

/// Rebuilds the zip of `key` from its tree, under go's lock: written to a temp file beside the
/// zip (`<v>.zip<n>.tmp`, as go names its own), checked to hash to `.ziphash` and to follow
/// go's module-zip rules, then renamed over the old zip.
pub fn rezip(cache: &ModCache, key: &ModuleKey) -> Result<(), DeleteError> {
    let confined = Confined::open(cache.root())?;
    let tree = cache.tree_dir(key);
    let zip_path = cache.version_file(key, VersionFile::Zip);
    let ziphash_path = cache.version_file(key, VersionFile::Ziphash);
    let tmp = temp_beside(&zip_path);
    for path in [&tree, &zip_path, &tmp] {
        ensure_inside(cache.root(), path)?;
    }
    let _lock = VersionLock::acquire_in(&confined, cache, key)?;
    let text = read::read_text(&ziphash_path, read::cap::ZIPHASH)
        .map_err(|e| io_err(&ziphash_path)(e.into()))?;
    let expected = H1::parse(text.trim())
        .ok_or_else(|| io_err(&ziphash_path)(io::Error::other("not an h1: hash")))?;
    let out = confined.create_new(&tmp, 0o666)?;
    let checked = write_zip_of_tree(&tree, key, out).and_then(|()| {
        let report = Scratch::with(|s| check_zip(&tmp, key, s, false)).map_err(io::Error::other)?;
        if let Some(rule) = report.structure.first() {
            return Err(io::Error::other(format!(
                "the rebuilt zip breaks go's rules: {rule}"
            )));
        }
        match report.h1 {
            Some(h1) if h1 == expected => Ok(()),
            other => Err(io::Error::other(format!(
                "the rebuilt zip hashes to {}, not to .ziphash {expected}",
                other.map_or("nothing".to_owned(), |h| h.to_string())
            ))),
        }
    });
    if let Err(e) = checked {
        let _ = confined.remove(&tmp);
        return Err(io_err(&tmp)(e));
    }
    super::fault::checkpoint("rezip:written");
    // A directory in the zip's place cannot be renamed over; it is no zip go could use.
    if confined.file_type(&zip_path)? == Some(rustix::fs::FileType::Directory) {
        confined.remove(&zip_path)?;
    }
    confined.rename(&tmp, &zip_path)
}

/// Writes the missing `.ziphash` of `key` from its zip, under go's version lock and a flock on
/// `.ziphash` itself (go's `lockedfile`), after checking again that the zip is readable and
/// follows go's rules. The caller checked that go.sum or the checksum database confirms it.
pub fn write_ziphash(cache: &ModCache, key: &ModuleKey) -> Result<(), DeleteError> {
    use std::io::Write as _;
    let confined = Confined::open(cache.root())?;
    let zip_path = cache.version_file(key, VersionFile::Zip);
    let ziphash_path = cache.version_file(key, VersionFile::Ziphash);
    let _lock = VersionLock::acquire_in(&confined, cache, key)?;
    let report = Scratch::with(|s| check_zip(&zip_path, key, s, false))
        .map_err(|e| io_err(&zip_path)(io::Error::other(e)))?;
    let h1 = match (report.h1, report.structure.first()) {
        (Some(h1), None) => h1,
        (_, Some(rule)) => return Err(io_err(&zip_path)(io::Error::other(rule.clone()))),
        (None, None) => return Err(io_err(&zip_path)(io::Error::other("cannot be hashed"))),
    };
    let mut file = confined.lock_file(&ziphash_path)?;
    file.lock().map_err(io_err(&ziphash_path))?;
    file.set_len(0).map_err(io_err(&ziphash_path))?;
    file.write_all(h1.to_string().as_bytes())
        .map_err(io_err(&ziphash_path))?;
    let _ = file.unlock();
    super::fault::checkpoint("ziphash:written");
    Ok(())
}

/// Writes a module zip of the files below `tree`, named `path@version/<relative path>`, in name
/// order, deflated, with zero timestamps as go writes zips itself. Symlinks and other special
/// files are refused: go never extracts them, so a tree holding one cannot be zipped faithfully.
fn write_zip_of_tree(tree: &Path, key: &ModuleKey, dest: File) -> io::Result<()> {
    use zip::write::SimpleFileOptions;
    let mut zip = zip::ZipWriter::new(io::BufWriter::new(dest));
    let options = SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(zip::DateTime::default());
    for item in walkdir::WalkDir::new(tree)
        .follow_links(false)
        .follow_root_links(false)
        .sort_by_file_name()
    {
        let item = item.map_err(io::Error::other)?;
        let kind = item.file_type();
        if kind.is_dir() {
            continue;
        }
        if !kind.is_file() {
            return Err(io::Error::other(format!(
                "{} is not a regular file",
                item.path().display()
            )));
        }
        let rel = item
            .path()
            .strip_prefix(tree)
            .map_err(io::Error::other)?
            .to_str()
            .ok_or_else(|| io::Error::other("a file name is not UTF-8"))?;
        zip.start_file(format!("{key}/{rel}"), options)
            .map_err(io::Error::other)?;
        io::copy(&mut crate::cache::read::open(item.path())?, &mut zip)?;
    }
    zip.finish()
        .map_err(io::Error::other)?
        .into_inner()
        .map_err(|e| e.into_error())?;
    Ok(())
}
