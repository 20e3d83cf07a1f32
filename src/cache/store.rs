//! A module store a team shares, read as a model: a directory in go's proxy layout
//! (`<escaped module>/@v/{list,<v>.info,<v>.mod,<v>.zip}`, what `GOPROXY=file://DIR` serves,
//! which a module cache's `cache/download` also is, and goproxy's directory cacher with its
//! cached `sumdb/` answers), or Athens' disk storage (`<module>/<version>/{go.mod, source.zip,
//! <version>.info}`, written without temp files: a directory with fewer than the three is an
//! interrupted save).
//!
//! Listing reads names only, never follows a link, and never writes.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use super::module::{ModuleKey, check_path};
use super::semver;

/// How a store lays out its files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// go's proxy protocol as files.
    GoProxy,
    /// Athens' disk storage.
    Athens,
}

impl Layout {
    /// Its name, as `--layout` takes it.
    pub fn name(self) -> &'static str {
        match self {
            Layout::GoProxy => "goproxy",
            Layout::Athens => "athens",
        }
    }
}

/// A store on disk.
#[derive(Debug, Clone)]
pub struct Store {
    /// The directory holding the modules (a module cache's `cache/download` when given the
    /// cache's root).
    pub root: PathBuf,
    /// Its layout.
    pub layout: Layout,
}

/// Why a directory cannot be read as a store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Not a directory that can be read.
    #[error("cannot read the store {path}: {reason}")]
    Unreadable {
        /// The directory.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// Nothing in it is laid out as a store.
    #[error(
        "{0} holds no module store: no <module>/@v/ directories (go's proxy layout) and no \
         <module>/<version>/source.zip (Athens); pass --layout if it is one"
    )]
    NotAStore(PathBuf),
}

/// One version as the store holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredVersion {
    /// The version.
    pub key: ModuleKey,
    /// Whether its `.info` is stored (paths are the store's to say: [`Store::piece`]; a
    /// listing of millions of versions keeps none).
    pub has_info: bool,
    /// Whether its `go.mod` is stored.
    pub has_go_mod: bool,
    /// Whether its zip is stored.
    pub has_zip: bool,
    /// Bytes of its files.
    pub bytes: u64,
    /// What is wrong with how it is stored (an interrupted save, a version `list` names that
    /// has no files).
    pub problems: Vec<String>,
}

/// One of a version's files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Piece {
    /// The `.info`.
    Info,
    /// The go.mod.
    GoMod,
    /// The zip.
    Zip,
}

/// Everything a store holds.
#[derive(Debug, Clone, Default)]
pub struct Listing {
    /// The versions, by module path and version.
    pub versions: Vec<StoredVersion>,
    /// Names that are no module or version (with why), and directories that could not be read.
    pub strays: Vec<String>,
}

/// The directory a store argument names: a path, or a `file://` URL as GOPROXY takes one, so
/// that a value copied from `GOPROXY=file:///srv/goproxy` works as given.
pub fn named_dir(text: &std::ffi::OsStr) -> Result<PathBuf, StoreError> {
    let Some(url) = text.to_str().filter(|t| t.starts_with("file://")) else {
        return Ok(PathBuf::from(text));
    };
    url::Url::parse(url)
        .ok()
        .and_then(|u| u.to_file_path().ok())
        .ok_or_else(|| StoreError::Unreadable {
            path: PathBuf::from(text),
            reason: "not the file:// URL of a local directory (file:///path)".into(),
        })
}

impl Store {
    /// The store at `dir`: its layout as `layout` says, else as found. A module cache's root
    /// stands for its `cache/download`.
    pub fn open(dir: &Path, layout: Option<Layout>) -> Result<Store, StoreError> {
        let meta = fs::metadata(dir).map_err(|e| StoreError::Unreadable {
            path: dir.to_path_buf(),
            reason: e.to_string(),
        })?;
        if !meta.is_dir() {
            return Err(StoreError::Unreadable {
                path: dir.to_path_buf(),
                reason: "not a directory".into(),
            });
        }
        let download = dir.join("cache").join("download");
        let root = if download.is_dir() {
            download
        } else {
            dir.to_path_buf()
        };
        let layout = match layout {
            Some(layout) => layout,
            None => detect(&root).ok_or_else(|| StoreError::NotAStore(dir.to_path_buf()))?,
        };
        Ok(Store { root, layout })
    }

    /// Every version the store holds, sorted by module path and version.
    pub fn list(&self) -> Listing {
        let mut listing = Listing::default();
        let device = mount_of(&self.root).unwrap_or(0);
        let at = Walk {
            root: &self.root,
            device,
            layout: self.layout,
        };
        at.walk(&self.root, 0, &mut listing);
        listing.versions.sort_by(|a, b| {
            a.key
                .path
                .cmp(&b.key.path)
                .then_with(|| semver::sort_order(&a.key.version, &b.key.version))
        });
        listing
    }

    /// Where the store keeps `piece` of `v`, if it keeps it.
    pub fn piece(&self, v: &StoredVersion, piece: Piece) -> Option<PathBuf> {
        let stored = match piece {
            Piece::Info => v.has_info,
            Piece::GoMod => v.has_go_mod,
            Piece::Zip => v.has_zip,
        };
        if !stored {
            return None;
        }
        let (path, version) = (&v.key.path, &v.key.version);
        Some(match self.layout {
            Layout::GoProxy => {
                let base = self.root.join(v.key.escaped_path()).join("@v");
                let ext = match piece {
                    Piece::Info => "info",
                    Piece::GoMod => "mod",
                    Piece::Zip => "zip",
                };
                base.join(format!("{}.{ext}", v.key.escaped_version()))
            }
            Layout::Athens => self.root.join(path).join(version).join(match piece {
                Piece::Info => format!("{version}.info"),
                Piece::GoMod => "go.mod".to_owned(),
                Piece::Zip => "source.zip".to_owned(),
            }),
        })
    }

    /// The directory Athens keeps `v` in.
    pub fn version_dir(&self, v: &StoredVersion) -> PathBuf {
        self.root.join(&v.key.path).join(&v.key.version)
    }
}

/// The deepest a module path goes (go allows far fewer elements in practice).
const MAX_DEPTH: usize = 64;

/// Which layout the first module found uses.
fn detect(root: &Path) -> Option<Layout> {
    let mut stack = vec![(root.to_path_buf(), 0)];
    while let Some((dir, depth)) = stack.pop() {
        let Ok(children) = fs::read_dir(&dir) else {
            continue;
        };
        for child in children.flatten() {
            let is_dir = child.file_type().is_ok_and(|t| t.is_dir());
            let name = child.file_name();
            match (name.to_str(), is_dir) {
                (Some("@v"), true) => return Some(Layout::GoProxy),
                (Some("source.zip"), false) => return Some(Layout::Athens),
                (Some("sumdb"), true) if depth == 0 => {}
                (_, true) if depth < MAX_DEPTH => stack.push((child.path(), depth + 1)),
                _ => {}
            }
        }
    }
    None
}

/// The mount `path` is on (never through a link): the kernel's mount id, so that a bind mount
/// of the same file system counts, else its device.
fn mount_of(path: &Path) -> Option<u64> {
    use rustix::fs::{AtFlags, CWD, StatxFlags, statx};
    let st = statx(CWD, path, AtFlags::SYMLINK_NOFOLLOW, StatxFlags::MNT_ID).ok()?;
    Some(if st.stx_mask & StatxFlags::MNT_ID.bits() != 0 {
        st.stx_mnt_id
    } else {
        (u64::from(st.stx_dev_major) << 32) | u64::from(st.stx_dev_minor)
    })
}

/// What a walk of a store keeps fixed: its root, the mount it is on (another mount below it,
/// a bind mount too, is never entered, as `rm --one-file-system` would not), and its layout.
struct Walk<'a> {
    root: &'a Path,
    device: u64,
    layout: Layout,
}

impl Walk<'_> {
    fn walk(&self, dir: &Path, depth: usize, listing: &mut Listing) {
        let (root, layout) = (self.root, self.layout);
        let children = match fs::read_dir(dir) {
            Ok(children) => children,
            Err(e) => {
                listing.strays.push(format!("{}: {e}", dir.display()));
                return;
            }
        };
        let mut dirs = Vec::new();
        let mut files = Vec::new();
        for child in children.flatten() {
            // Links are never followed: lstat, as the entry says.
            match child.file_type() {
                Ok(t) if t.is_dir() => {
                    if mount_of(&child.path()).is_some_and(|m| m != self.device) {
                        listing.strays.push(format!(
                            "{}: another file system is mounted here; not entered",
                            child.path().display()
                        ));
                        continue;
                    }
                    dirs.push(child.path());
                }
                Ok(t) if t.is_file() => files.push(child.path()),
                _ => {}
            }
        }
        let rel = dir.strip_prefix(root).unwrap_or(dir);
        if layout == Layout::GoProxy && dir.file_name().is_some_and(|n| n == "@v") {
            go_proxy_versions(rel, &files, listing);
            return;
        }
        if layout == Layout::Athens && athens_version(rel, &files, listing) {
            return;
        }
        for sub in dirs {
            let name = sub.file_name().and_then(|n| n.to_str()).unwrap_or("");
            // The checksum database's cached answers sit beside the modules.
            if depth == 0 && name == "sumdb" {
                continue;
            }
            if depth < MAX_DEPTH {
                self.walk(&sub, depth + 1, listing);
            }
        }
    }
}

/// The versions of one `@v` directory: `<module>/@v` with `rel` its path below the root.
fn go_proxy_versions(rel: &Path, files: &[PathBuf], listing: &mut Listing) {
    let Some(esc_path) = rel.parent().and_then(Path::to_str) else {
        return;
    };
    let path = match super::module::unescape_path(esc_path) {
        Ok(path) => path,
        Err(e) => {
            listing.strays.push(format!("{}: {e}", rel.display()));
            return;
        }
    };
    let mut by_version: BTreeMap<String, StoredVersion> = BTreeMap::new();
    let mut listed: Vec<String> = Vec::new();
    for file in files {
        let Some(name) = file.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        if name == "list" {
            let text = super::read::read_text(file, 16 << 20).unwrap_or_default();
            listed.extend(
                text.lines()
                    .map(|l| l.trim().to_owned())
                    .filter(|l| !l.is_empty()),
            );
            continue;
        }
        let Some((esc_version, ext)) = name.rsplit_once('.') else {
            continue;
        };
        if !matches!(ext, "info" | "mod" | "zip") {
            continue;
        }
        let key = match ModuleKey::from_escaped_any_major(esc_path, esc_version) {
            Ok(key) => key,
            Err(e) => {
                listing
                    .strays
                    .push(format!("{}: {e}", rel.join(name).display()));
                continue;
            }
        };
        let v = by_version
            .entry(key.version.clone())
            .or_insert_with(|| empty(key));
        v.bytes += fs::symlink_metadata(file).map_or(0, |m| m.len());
        let slot = match ext {
            "info" => &mut v.has_info,
            "mod" => &mut v.has_go_mod,
            _ => &mut v.has_zip,
        };
        *slot = true;
    }
    for version in listed {
        if semver::canonical(&version).as_deref() != Some(version.as_str()) {
            continue;
        }
        by_version.entry(version.clone()).or_insert_with(|| {
            let mut v = empty(ModuleKey {
                path: path.clone(),
                version,
            });
            v.problems
                .push("@v/list names it, but the store holds none of its files".into());
            v
        });
    }
    listing.versions.extend(by_version.into_values());
}

/// One Athens version directory (`<module>/<version>/`), if `rel` is one: its files are
/// `go.mod`, `source.zip` and `<version>.info`.
fn athens_version(rel: &Path, files: &[PathBuf], listing: &mut Listing) -> bool {
    let named = |want: &str| {
        files
            .iter()
            .find(|f| f.file_name().is_some_and(|n| n == want))
            .cloned()
    };
    let (Some(path), Some(version)) = (
        rel.parent().and_then(Path::to_str),
        rel.file_name().and_then(|n| n.to_str()),
    ) else {
        return false;
    };
    let (go_mod, zip, info) = (
        named("go.mod"),
        named("source.zip"),
        named(&format!("{version}.info")),
    );
    if go_mod.is_none() && zip.is_none() && info.is_none() {
        return false;
    }
    if semver::canonical(version).as_deref() != Some(version) || check_path(path).is_err() {
        listing
            .strays
            .push(format!("{}: not a module path and version", rel.display()));
        return true;
    }
    let mut v = empty(ModuleKey {
        path: path.to_owned(),
        version: version.to_owned(),
    });
    for file in [&go_mod, &zip, &info].into_iter().flatten() {
        v.bytes += fs::symlink_metadata(file).map_or(0, |m| m.len());
    }
    let missing: Vec<&str> = [("go.mod", &go_mod), ("source.zip", &zip)]
        .into_iter()
        .chain([("the .info", &info)])
        .filter(|(_, f)| f.is_none())
        .map(|(name, _)| name)
        .collect();
    if !missing.is_empty() {
        v.problems.push(format!(
            "an interrupted save: {} missing (Athens writes all three, without temp files)",
            missing.join(" and ")
        ));
    }
    (v.has_go_mod, v.has_zip, v.has_info) = (go_mod.is_some(), zip.is_some(), info.is_some());
    listing.versions.push(v);
    true
}

fn empty(key: ModuleKey) -> StoredVersion {
    StoredVersion {
        key,
        has_info: false,
        has_go_mod: false,
        has_zip: false,
        bytes: 0,
        problems: Vec::new(),
    }
}
