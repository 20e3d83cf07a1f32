//! Hashing an extracted module tree as go's `HashDir` does, without following symlinks.
//!
//! Every non-directory entry becomes the name `<path>@<version>/<relative path>`. go would open
//! a symlink and hash its target; modlens never follows links out of the cache, so a symlink is
//! hashed as its own target text, which no real file matches: the tree then reads as modified,
//! which it is, since go never extracts symlinks.
//!
//! The walk opens every directory and file relative to its parent's descriptor (`openat`, with
//! `O_NOFOLLOW`). On the scale cache, resolving full paths again for each of 200,000 small files
//! was a tenth of the verification's time; it also means a directory swapped for a symlink while
//! we walk cannot lead us out of the tree.
//!
//! When the zip of the same version has been read already, its entries can be passed as a
//! [`Reference`]: a file whose bytes equal its zip entry takes that entry's digest instead of
//! being hashed a second time. Equal bytes have equal digests, so the result is the same.

use std::ffi::CStr;
use std::io::{self, Read};
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use rustix::fs::{Dir, FileType, Mode, OFlags, openat, readlinkat};
use sha2::{Digest, Sha256};

use super::hash::{Digest32, FileDigest, sha256_reader};
use crate::cache::read;

/// What hashing a tree found.
#[derive(Debug, Clone, Default)]
pub struct TreeReport {
    /// Every file with its content digest, names prefixed with `path@version/`.
    pub files: Vec<FileDigest>,
    /// Bytes read from files.
    pub bytes: u64,
    /// Bytes that went through SHA-256 (the rest matched the reference byte for byte).
    pub bytes_sha: u64,
    /// Whether some directory has its owner write bit set: go makes trees read-only unless
    /// `-modcacherw` was used. (Files are not checked: it would cost a stat per file.)
    pub writable: bool,
    /// The first file that could not be read, with the reason; the hash is then unusable.
    pub error: Option<String>,
    /// Files larger than a module zip may be (go's `MaxZipFile`, 500 MiB for the whole
    /// module), so not extracted by go: counted as modified without being read.
    pub too_large: Vec<String>,
}

/// The largest file a tree go extracted can hold: a module zip's whole uncompressed size is
/// capped at this, so no single file of it can be larger.
pub const MAX_TREE_FILE: u64 = 500 << 20;

/// The zip's entries of the same version: sorted names, digests and contents.
pub trait Reference {
    /// The digest and content of the entry named `name` (with its `path@version/` prefix).
    fn entry(&self, name: &[u8]) -> Option<(&Digest32, &[u8])>;
}

/// Hashes the tree at `dir` with `prefix` = `path@version` (unescaped).
pub fn hash_tree(dir: &Path, prefix: &str, reference: Option<&dyn Reference>) -> TreeReport {
    let mut walk = Walk {
        report: TreeReport::default(),
        name: prefix.as_bytes().to_vec(),
        reference,
        content: Vec::new(),
        device: None,
    };
    match open_dir(rustix::fs::CWD, dir) {
        Ok(fd) => walk.dir(fd, dir),
        Err(err) => walk.fail(dir, err.into()),
    }
    walk.report
}

/// One open directory of the walk.
struct Level {
    entries: Dir,
    /// Length of the directory's own summary name, to which children append.
    name_len: usize,
    path: PathBuf,
}

struct Walk<'a> {
    report: TreeReport,
    /// The summary name of the directory being walked; children append to it.
    name: Vec<u8>,
    reference: Option<&'a dyn Reference>,
    /// Reused buffer for files compared with the reference.
    content: Vec<u8>,
    /// The tree's device: a directory on another is a mount point, never read.
    device: Option<u64>,
}

impl Walk<'_> {
    fn fail(&mut self, path: &Path, err: io::Error) {
        self.report
            .error
            .get_or_insert_with(|| format!("{}: {err}", path.display()));
    }

    /// Opens a directory level of the walk, noting whether it is writable.
    fn enter(&mut self, fd: OwnedFd, path: PathBuf) -> Option<Level> {
        match rustix::fs::fstat(&fd) {
            Ok(st) if *self.device.get_or_insert(st.st_dev) != st.st_dev => {
                self.fail(
                    &path,
                    io::Error::other("a mount point below the tree; modlens does not cross it"),
                );
                return None;
            }
            Ok(st) => self.report.writable |= st.st_mode & 0o200 != 0,
            Err(err) => {
                self.fail(&path, err.into());
                return None;
            }
        }
        match Dir::new(fd) {
            Ok(entries) => Some(Level {
                entries,
                name_len: self.name.len(),
                path,
            }),
            Err(err) => {
                self.fail(&path, err.into());
                None
            }
        }
    }

    /// Walks the tree below `fd` depth-first with an explicit stack of open directories: a
    /// chain of thousands of directories costs memory per level, never call stack.
    fn dir(&mut self, fd: OwnedFd, path: &Path) {
        let mut stack: Vec<Level> = self.enter(fd, path.to_path_buf()).into_iter().collect();
        while let Some(top) = stack.last_mut() {
            let entry = match top.entries.read() {
                None => {
                    stack.pop();
                    continue;
                }
                Some(Ok(e)) => e,
                Some(Err(err)) => {
                    let level = stack.pop().expect("the loop holds a level");
                    self.fail(&level.path, err.into());
                    continue;
                }
            };
            let file = entry.file_name();
            if matches!(file.to_bytes(), b"." | b"..") {
                continue;
            }
            let Ok(parent) = top.entries.fd() else {
                let level = stack.pop().expect("the loop holds a level");
                self.fail(&level.path, io::Error::other("directory closed"));
                continue;
            };
            self.name.truncate(top.name_len);
            self.name.push(b'/');
            self.name.extend_from_slice(file.to_bytes());
            let child = || top.path.join(std::ffi::OsStr::from_bytes(file.to_bytes()));
            let mut kind = entry.file_type();
            if kind == FileType::Unknown {
                match rustix::fs::statat(parent, file, rustix::fs::AtFlags::SYMLINK_NOFOLLOW) {
                    Ok(st) => kind = FileType::from_raw_mode(st.st_mode),
                    Err(err) => {
                        let at = child();
                        self.fail(&at, err.into());
                        continue;
                    }
                }
            }
            match kind {
                FileType::Directory => {
                    let at = child();
                    match open_dir(parent, file) {
                        Ok(sub) => {
                            if let Some(level) = self.enter(sub, at) {
                                stack.push(level);
                            }
                        }
                        Err(err) => self.fail(&at, err.into()),
                    }
                }
                FileType::Symlink => {
                    let target = readlinkat(parent, file, Vec::new()).unwrap_or_default();
                    let digest = Sha256::digest(target.as_bytes()).into();
                    self.push(digest);
                }
                _ => {
                    let at = child();
                    match self.file(parent, file) {
                        Ok(digest) => self.push(digest),
                        Err(err) => self.fail(&at, err),
                    }
                }
            }
        }
    }

    fn push(&mut self, digest: Digest32) {
        self.report.files.push(FileDigest {
            name: self.name.clone(),
            digest,
        });
    }

    /// Hashes one file, or takes the reference digest when the bytes are the same.
    fn file(&mut self, parent: impl AsFd, name: &CStr) -> io::Result<Digest32> {
        let shown = std::ffi::OsStr::from_bytes(&self.name);
        let mut file = read::open_at(parent, name, Path::new(shown))?;
        let size = file.metadata()?.len();
        if size > MAX_TREE_FILE {
            // Go never extracts it; hashing a (sparse) file of any size could take minutes.
            // Its digest is one no content has, so the tree reads as modified.
            self.report
                .too_large
                .push(String::from_utf8_lossy(&self.name).into_owned());
            let mut marker = Sha256::new();
            marker.update(b"modlens: larger than any module file: ");
            marker.update(size.to_le_bytes());
            return Ok(marker.finalize().into());
        }
        let Some((digest, expected)) = self.reference.and_then(|r| r.entry(&self.name)) else {
            let (digest, n) = sha256_reader(file)?;
            self.report.bytes += n;
            self.report.bytes_sha += n;
            return Ok(digest);
        };
        self.content.clear();
        // One byte more than expected, so that a longer file reads as different.
        (&mut file)
            .take(expected.len() as u64 + 1)
            .read_to_end(&mut self.content)?;
        if self.content == expected {
            self.report.bytes += expected.len() as u64;
            return Ok(*digest);
        }
        let (digest, n) = sha256_reader(self.content.as_slice().chain(file))?;
        self.report.bytes += n;
        self.report.bytes_sha += n;
        Ok(digest)
    }
}

fn open_dir(parent: impl AsFd, path: impl rustix::path::Arg) -> rustix::io::Result<OwnedFd> {
    openat(
        parent,
        path,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    )
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    struct Zip(HashMap<Vec<u8>, (Digest32, Vec<u8>)>);

    impl Reference for Zip {
        fn entry(&self, name: &[u8]) -> Option<(&Digest32, &[u8])> {
            self.0.get(name).map(|(d, c)| (d, c.as_slice()))
        }
    }

    fn sha(content: &[u8]) -> Digest32 {
        Sha256::digest(content).into()
    }

    /// Files equal to their zip entry take its digest; every other file is hashed, and every
    /// digest is the SHA-256 of the file's own bytes.
    #[test]
    fn files_are_compared_with_the_reference_or_hashed() {
        let dir = tempfile::tempdir().unwrap();
        // Name, content in the tree, content in the zip.
        type Case = (&'static str, &'static [u8], Option<&'static [u8]>);
        let files: [Case; 5] = [
            ("same.go", b"package same\n", Some(b"package same\n")),
            ("edited.go", b"package EDIT\n", Some(b"package edit\n")),
            (
                "longer.go",
                b"package long\n// more\n",
                Some(b"package long\n"),
            ),
            ("shorter.go", b"package s\n", Some(b"package short\n")),
            ("sub/extra.go", b"package extra\n", None),
        ];
        let mut zip = Zip(HashMap::new());
        for (name, content, entry) in files {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, content).unwrap();
            if let Some(e) = entry {
                zip.0
                    .insert(format!("m@v1/{name}").into_bytes(), (sha(e), e.to_vec()));
            }
        }
        let report = hash_tree(dir.path(), "m@v1", Some(&zip));
        assert_eq!(report.error, None);
        let mut got: Vec<(String, Digest32)> = report
            .files
            .iter()
            .map(|f| (String::from_utf8(f.name.clone()).unwrap(), f.digest))
            .collect();
        got.sort();
        let mut want: Vec<(String, Digest32)> = files
            .iter()
            .map(|(name, content, _)| (format!("m@v1/{name}"), sha(content)))
            .collect();
        want.sort();
        assert_eq!(got, want);
        let total: usize = files.iter().map(|f| f.1.len()).sum();
        assert_eq!(report.bytes, total as u64);
        assert_eq!(report.bytes_sha, (total - b"package same\n".len()) as u64);
        let alone = hash_tree(dir.path(), "m@v1", None);
        assert_eq!(alone.bytes_sha, total as u64);
    }

    /// A symlink is hashed as its target text, never followed, and a tree that is itself a
    /// symlink is not entered.
    #[cfg(unix)]
    #[test]
    fn symlinks_are_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let tree = dir.path().join("tree");
        std::fs::create_dir(&tree).unwrap();
        std::os::unix::fs::symlink("/etc/hostname", tree.join("link")).unwrap();
        let report = hash_tree(&tree, "m@v1", None);
        assert_eq!(report.files.len(), 1);
        assert_eq!(report.files[0].digest, sha(b"/etc/hostname"));
        let link = dir.path().join("linked-tree");
        std::os::unix::fs::symlink(&tree, &link).unwrap();
        let report = hash_tree(&link, "m@v1", None);
        assert!(report.files.is_empty());
        assert!(report.error.is_some());
    }
}
