//! The two sides a diff compares, read the same way: a version's tree on disk, or the files
//! of a module zip (the cache's, or an authentic copy). Names are relative to the module
//! root; reads are capped, and streams never hold a file whole.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Why a file of one side could not be read.
pub(super) type Unreadable = String;

/// One side of a diff.
pub(super) trait Side {
    /// Every file, by name, with its size.
    fn files(&self) -> BTreeMap<String, u64>;
    /// A stream of `name`.
    fn open(&mut self, name: &str) -> Result<Box<dyn Read + '_>, Unreadable>;
    /// The first `cap` bytes of `name` (all of it when smaller).
    fn read(&mut self, name: &str, cap: u64) -> Result<Vec<u8>, Unreadable> {
        let mut bytes = Vec::new();
        self.open(name)?
            .take(cap)
            .read_to_end(&mut bytes)
            .map_err(|e| e.to_string())?;
        Ok(bytes)
    }
}

/// Whether `path` is a directory itself, not a link to one.
pub(super) fn is_real_dir(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.is_dir())
}

/// A version's tree. Links and special files are listed (they never match a zip's file) and
/// never followed; another file system below it is never entered.
pub(super) struct TreeSide {
    files: BTreeMap<String, (PathBuf, u64)>,
}

impl TreeSide {
    /// The tree at `tree`, which is never followed when it is itself a link (a caller that
    /// must tell checks [`is_real_dir`] first).
    pub(super) fn new(tree: &Path) -> TreeSide {
        Self::walk(tree, false, |t| !t.is_dir(), |_| true)
    }

    /// The regular files of a module's directory that `go mod vendor` could copy: none from
    /// a directory of another module (one holding a go.mod) or from a version-control
    /// directory, which go never vendors or embeds (and which can be large).
    pub(super) fn module_directory(dir: &Path) -> TreeSide {
        let enter = |e: &walkdir::DirEntry| {
            e.depth() == 0
                || !e.file_type().is_dir()
                || !(matches!(
                    e.file_name().to_str(),
                    Some(".git" | ".hg" | ".svn" | ".bzr")
                ) || e.path().join("go.mod").exists())
        };
        // go reads a replacement directory through a link, as the user named it.
        Self::walk(dir, true, |t| t.is_file(), enter)
    }

    fn walk(
        tree: &Path,
        follow_root: bool,
        keep: impl Fn(std::fs::FileType) -> bool,
        enter: impl FnMut(&walkdir::DirEntry) -> bool,
    ) -> TreeSide {
        let files = walkdir::WalkDir::new(tree)
            .follow_links(false)
            .follow_root_links(follow_root)
            .same_file_system(true)
            .into_iter()
            .filter_entry(enter)
            .flatten()
            .filter(|e| e.depth() > 0 && keep(e.file_type()))
            .filter_map(|e| {
                let rel = e.path().strip_prefix(tree).ok()?.to_str()?.to_owned();
                let size = e.metadata().map_or(0, |m| m.len());
                Some((rel, (e.path().to_path_buf(), size)))
            })
            .collect();
        TreeSide { files }
    }

    fn path(&self, name: &str) -> Result<&Path, Unreadable> {
        let (path, _) = self.files.get(name).ok_or("no such file")?;
        match std::fs::symlink_metadata(path) {
            Ok(m) if m.is_file() => Ok(path),
            Ok(_) => Err("not a regular file (a link or a special file)".into()),
            Err(e) => Err(e.to_string()),
        }
    }
}

impl Side for TreeSide {
    fn files(&self) -> BTreeMap<String, u64> {
        self.files
            .iter()
            .map(|(name, (_, size))| (name.clone(), *size))
            .collect()
    }

    fn open(&mut self, name: &str) -> Result<Box<dyn Read + '_>, Unreadable> {
        use rustix::fs::{Mode, OFlags};
        let path = self.path(name)?;
        // Never through a link, and never blocking on a FIFO swapped in since it was listed.
        let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC;
        rustix::fs::open(path, flags, Mode::empty())
            .map(|fd| Box::new(File::from(fd)) as Box<dyn Read>)
            .map_err(|e| e.to_string())
    }
}

/// The files of a module zip below `<module>@<version>/`.
pub(super) struct ZipSide {
    archive: zip::ZipArchive<File>,
    index: BTreeMap<String, (usize, u64)>,
}

impl ZipSide {
    pub(super) fn open(zip: &Path, prefix: &str) -> Result<ZipSide, String> {
        let file = File::open(zip).map_err(|e| format!("{}: {e}", zip.display()))?;
        let mut archive =
            zip::ZipArchive::new(file).map_err(|e| format!("{}: {e}", zip.display()))?;
        let mut index = BTreeMap::new();
        for i in 0..archive.len() {
            let Ok(entry) = archive.by_index_raw(i) else {
                continue;
            };
            let Ok(name) = entry.name() else {
                continue;
            };
            if let Some(rel) = name.strip_prefix(prefix)
                && !rel.is_empty()
                && !rel.ends_with('/')
            {
                index.insert(rel.to_owned(), (i, entry.size()));
            }
        }
        Ok(ZipSide { archive, index })
    }
}

impl Side for ZipSide {
    fn files(&self) -> BTreeMap<String, u64> {
        self.index
            .iter()
            .map(|(name, (_, size))| (name.clone(), *size))
            .collect()
    }

    fn open(&mut self, name: &str) -> Result<Box<dyn Read + '_>, Unreadable> {
        let (index, _) = *self.index.get(name).ok_or("no such file")?;
        self.archive
            .by_index(index)
            .map(|e| Box::new(e) as Box<dyn Read>)
            .map_err(|e| e.to_string())
    }
}
