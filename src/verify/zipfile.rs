//! Reading a module zip: its `h1:` hash over every central-directory entry, and Go's rules for
//! module zips (`golang.org/x/mod/zip.checkZip`).
//!
//! The hash covers all entries verbatim, directory entries included, exactly as go's `HashZip`
//! does. Entry names stay raw bytes. Reading an entry to its end checks its CRC-32, so a
//! damaged zip is reported as unreadable rather than hashed wrongly. Beyond go, the end of the
//! central directory is checked strictly: bytes appended after it are invisible to go.

use std::collections::HashMap;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use super::hash::{FileDigest, H1, hash1, sha256_reader};
use super::read;
use crate::cache::ModuleKey;
use crate::cache::module::check_file_path;

/// Go's limits for module zips (`MaxZipFile`, `MaxGoMod`, `MaxLICENSE`).
const MAX_ZIP_FILE: u64 = 500 << 20;
const MAX_GO_MOD: u64 = 16 << 20;
const MAX_LICENSE: u64 = 16 << 20;

/// What hashing a zip found.
#[derive(Debug, Clone)]
pub struct ZipReport {
    /// HashZip; `None` if an entry name contains a newline, which dirhash refuses.
    pub h1: Option<H1>,
    /// Every entry with its content digest, names verbatim (`path@version/...`).
    pub files: Vec<FileDigest>,
    /// Uncompressed bytes hashed.
    pub bytes: u64,
    /// Violations of Go's module-zip rules, one line each.
    pub structure: Vec<String>,
    /// Number of directory entries (names ending in `/`).
    pub dir_entries: usize,
}

/// Hashes the zip at `path` and checks it against go's rules for `key`. An `Err` means the zip
/// cannot be read at all, or an entry is damaged (go: "zip: not a valid zip file", "zip:
/// checksum error").
pub fn check_zip(path: &Path, key: &ModuleKey) -> Result<ZipReport, String> {
    let file = read::open(path).map_err(|e| e.to_string())?;
    let zip_len = file.metadata().map_err(|e| e.to_string())?.len();
    check_reader(WindowReader::new(file, zip_len), zip_len, key)
}

fn check_reader(
    mut reader: impl Read + Seek,
    zip_len: u64,
    key: &ModuleKey,
) -> Result<ZipReport, String> {
    let mut structure = Vec::new();
    if zip_len > MAX_ZIP_FILE {
        structure.push(format!(
            "module zip file is too large ({zip_len} bytes; limit is {MAX_ZIP_FILE})"
        ));
    }
    if let Some(extra) = bytes_after_end(&mut reader, zip_len).map_err(|e| e.to_string())? {
        structure.push(format!(
            "{extra} bytes after the end of the zip (invisible to go)"
        ));
    }
    reader.seek(SeekFrom::Start(0)).map_err(|e| e.to_string())?;
    let mut archive =
        zip::ZipArchive::new(reader).map_err(|e| format!("not a valid zip file: {e}"))?;
    let mut files = Vec::with_capacity(archive.len());
    let mut declared = Vec::with_capacity(archive.len());
    let mut bytes = 0;
    for i in 0..archive.len() {
        let entry = archive.by_index(i).map_err(|e| format!("entry {i}: {e}"))?;
        let name = entry.name_raw().to_vec();
        declared.push((name.clone(), entry.size()));
        let (digest, n) =
            sha256_reader(entry).map_err(|e| format!("{}: {e}", String::from_utf8_lossy(&name)))?;
        bytes += n;
        files.push(FileDigest { name, digest });
    }
    structure.extend(structure_problems(key, &declared));
    let dir_entries = files.iter().filter(|f| f.name.ends_with(b"/")).count();
    let h1 = hash1(&mut files);
    Ok(ZipReport {
        h1,
        files,
        bytes,
        structure,
        dir_entries,
    })
}

/// The number of bytes after the end-of-central-directory record and its comment, if any.
fn bytes_after_end(reader: &mut (impl Read + Seek), len: u64) -> std::io::Result<Option<u64>> {
    const EOCD_LEN: u64 = 22;
    let window = len.min(EOCD_LEN + 65_535);
    reader.seek(SeekFrom::Start(len - window))?;
    let mut tail = vec![0u8; window as usize];
    reader.read_exact(&mut tail)?;
    let found = (0..tail.len().saturating_sub(EOCD_LEN as usize - 1))
        .rev()
        .find(|&i| tail[i..i + 4] == [0x50, 0x4b, 0x05, 0x06]);
    Ok(found.and_then(|i| {
        let comment = u64::from(u16::from_le_bytes([tail[i + 20], tail[i + 21]]));
        let end = (len - window) + i as u64 + EOCD_LEN + comment;
        (end < len).then(|| len - end)
    }))
}

/// A buffered reader whose seeks stay inside its buffer when they can.
///
/// The zip reader reads the end of the file first, then jumps to each entry's local header;
/// `BufReader` drops its buffer on every seek, which cost a system call per entry. This reader
/// keeps a window of the file and only refills it when a read falls outside. A module zip
/// smaller than the window is read with a single system call; larger ones stream through it.
struct WindowReader {
    file: std::fs::File,
    len: u64,
    buf: Vec<u8>,
    /// File offset of `buf[0]`.
    start: u64,
    /// Logical position.
    pos: u64,
}

impl WindowReader {
    const WINDOW: usize = 1 << 20;

    fn new(file: std::fs::File, len: u64) -> Self {
        WindowReader {
            file,
            len,
            buf: Vec::new(),
            start: 0,
            pos: 0,
        }
    }

    fn fill_at(&mut self, pos: u64) -> std::io::Result<()> {
        let window = Self::WINDOW as u64;
        // Reads near the end (the central directory) pull in the whole tail of the file.
        self.start = if self.len - pos < window {
            self.len.saturating_sub(window)
        } else {
            pos
        };
        let want = (self.len - self.start).min(window) as usize;
        self.buf.resize(want, 0);
        self.file.seek(SeekFrom::Start(self.start))?;
        self.file.read_exact(&mut self.buf)
    }
}

impl Read for WindowReader {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.pos >= self.len || out.is_empty() {
            return Ok(0);
        }
        let end = self.start + self.buf.len() as u64;
        if self.pos < self.start || self.pos >= end {
            self.fill_at(self.pos)?;
        }
        let offset = (self.pos - self.start) as usize;
        let n = out.len().min(self.buf.len() - offset);
        out[..n].copy_from_slice(&self.buf[offset..offset + n]);
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for WindowReader {
    fn seek(&mut self, to: SeekFrom) -> std::io::Result<u64> {
        let target = match to {
            SeekFrom::Start(n) => Some(n),
            SeekFrom::End(d) => self.len.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        self.pos = target.ok_or_else(|| {
            std::io::Error::new(std::io::ErrorKind::InvalidInput, "seek before start")
        })?;
        Ok(self.pos)
    }
}

/// checkZip's rules over the entry names and declared sizes.
fn structure_problems(key: &ModuleKey, entries: &[(Vec<u8>, u64)]) -> Vec<String> {
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
    use sha2::Digest as _;

    fn key() -> ModuleKey {
        ModuleKey {
            path: "example.com/m".into(),
            version: "v1.0.0".into(),
        }
    }

    fn names(list: &[&str]) -> Vec<(Vec<u8>, u64)> {
        list.iter().map(|n| (n.as_bytes().to_vec(), 1)).collect()
    }

    /// A zip larger than the reader's window, with stored and deflated entries, hashes the
    /// same as its entries hashed directly.
    #[test]
    fn zips_larger_than_the_window_stream_correctly() {
        use std::io::Write;
        use zip::write::SimpleFileOptions;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.zip");
        let mut zip = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
        let mut expected = Vec::new();
        let mut seed = 1u32;
        for i in 0..6 {
            let name = format!("example.com/m@v1.0.0/f{i}.bin");
            let content: Vec<u8> = (0..700_000)
                .map(|_| {
                    seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                    (seed >> 16) as u8
                })
                .collect();
            let method = if i % 2 == 0 {
                zip::CompressionMethod::Stored
            } else {
                zip::CompressionMethod::Deflated
            };
            zip.start_file(
                name.as_str(),
                SimpleFileOptions::default().compression_method(method),
            )
            .unwrap();
            zip.write_all(&content).unwrap();
            expected.push(FileDigest {
                name: name.into_bytes(),
                digest: sha2::Sha256::digest(&content).into(),
            });
        }
        zip.finish().unwrap();
        assert!(std::fs::metadata(&path).unwrap().len() > WindowReader::WINDOW as u64 * 3);
        let report = check_zip(&path, &key()).unwrap();
        assert_eq!(report.h1, hash1(&mut expected));
        assert_eq!(report.bytes, 6 * 700_000);
        assert!(report.structure.is_empty(), "{:?}", report.structure);
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
