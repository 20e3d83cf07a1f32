//! Reading a module zip: its `h1:` hash over every central-directory entry, and Go's rules for
//! module zips (`golang.org/x/mod/zip.checkZip`).
//!
//! The hash covers all entries verbatim, directory entries included, exactly as go's `HashZip`
//! does. Entry names stay raw bytes. Reading an entry to its end checks its CRC-32, so a
//! damaged zip is reported as unreadable rather than hashed wrongly. Beyond go, the end of the
//! central directory is checked strictly: bytes appended after it are invisible to go.
//!
//! Speed: the zip is read through a window of 1 MiB, and each entry is inflated whole, in one
//! call, by libdeflate (entries over 32 MiB stream through zlib instead). The uncompressed
//! entries can be kept ([`ZipContents`]) so that the tree is compared with them rather than
//! hashed a second time.

mod gomod;
mod rules;
mod window;

use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::cache::ModuleKey;
use crate::cache::read;
use crate::verify::error::VerifyError;
use crate::verify::hash::{Digest32, FileDigest, H1, hash1, sha256_reader};
use crate::verify::tree::Reference;
use rules::{add_repeats, repeated_names, structure_problems};
use window::{WindowReader, bytes_after_end};

pub use gomod::go_mod_of_zip;

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
    /// Whether the entries were read and hashed: not when the sizes the zip declares already
    /// break go's limits (a zip bomb is judged by its directory, never inflated).
    pub hashed: bool,
}

/// The uncompressed bytes of a zip's entries, looked up by name.
#[derive(Debug, Clone, Default)]
pub struct ZipContents {
    bytes: Vec<u8>,
    /// Sorted by name: name, digest, and where the content lies in `bytes`.
    entries: Vec<(Vec<u8>, Digest32, std::ops::Range<usize>)>,
}

impl Reference for ZipContents {
    fn entry(&self, name: &[u8]) -> Option<(&Digest32, &[u8])> {
        let i = self
            .entries
            .binary_search_by(|(n, _, _)| n.as_slice().cmp(name))
            .ok()?;
        let (_, digest, range) = &self.entries[i];
        Some((digest, &self.bytes[range.clone()]))
    }
}

/// Buffers reused from one zip to the next by a hashing thread. Allocated per zip, these
/// multi-megabyte buffers made the allocator map and unmap fresh memory for every module, and
/// the kernel fault in and zero it again.
pub struct Scratch {
    /// Entries up to this size (compressed and not) are read whole and inflated in one call.
    max_whole_entry: u64,
    /// How many uncompressed bytes a zip may have for its contents to be kept.
    max_kept: u64,
    window: Vec<u8>,
    raw: Vec<u8>,
    decoded: Vec<u8>,
    kept: ZipContents,
    /// Whether `kept` holds every entry of the last zip checked.
    kept_complete: bool,
    inflater: libdeflater::Decompressor,
}

impl Scratch {
    /// Runs `f` with this thread's scratch buffers.
    pub fn with<T>(f: impl FnOnce(&mut Scratch) -> T) -> T {
        thread_local! {
            static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::new(
                Scratch::new(MAX_WHOLE_ENTRY, MAX_KEPT_CONTENTS),
            );
        }
        SCRATCH.with_borrow_mut(f)
    }

    fn new(max_whole_entry: u64, max_kept: u64) -> Scratch {
        Scratch {
            max_whole_entry,
            max_kept,
            window: Vec::new(),
            raw: Vec::new(),
            decoded: Vec::new(),
            kept: ZipContents::default(),
            kept_complete: false,
            inflater: libdeflater::Decompressor::new(),
        }
    }

    /// The contents of the last zip checked with `keep_contents`, if it was read whole.
    pub fn contents(&self) -> Option<&ZipContents> {
        self.kept_complete.then_some(&self.kept)
    }

    /// Gives back memory a big module left behind, so that long-lived threads (the TUI's
    /// hashing pool) do not keep tens of megabytes each between runs. Typical buffers stay.
    pub fn trim(&mut self) {
        const KEEP: usize = 4 << 20;
        for buf in [
            &mut self.window,
            &mut self.raw,
            &mut self.decoded,
            &mut self.kept.bytes,
        ] {
            if buf.capacity() > KEEP {
                *buf = Vec::new();
            }
        }
        if self.kept.entries.capacity() > 16_384 {
            self.kept.entries = Vec::new();
        }
        self.kept_complete = false;
    }
}

/// How many uncompressed bytes a zip may have for its contents to be kept: enough for nearly
/// every module, small enough that a few jobs at once stay cheap.
const MAX_KEPT_CONTENTS: u64 = 32 << 20;

/// Hashes the zip at `path` and checks it against go's rules for `key`. An `Err` means the zip
/// cannot be read at all, or an entry is damaged (go: "zip: not a valid zip file", "zip:
/// checksum error").
///
/// With `keep_contents`, the uncompressed entries are kept in `scratch` (up to
/// [`MAX_KEPT_CONTENTS`]), so that the tree can be compared with them instead of hashed.
pub fn check_zip(
    path: &Path,
    key: &ModuleKey,
    scratch: &mut Scratch,
    keep_contents: bool,
) -> Result<ZipReport, VerifyError> {
    scratch.kept_complete = false;
    scratch.kept.bytes.clear();
    scratch.kept.entries.clear();
    let failed = |reason: String| VerifyError::Zip {
        path: path.to_path_buf(),
        reason,
    };
    let file = read::open(path).map_err(|e| failed(e.to_string()))?;
    let zip_len = file.metadata().map_err(|e| failed(e.to_string()))?.len();
    let window = std::mem::take(&mut scratch.window);
    let mut reader = WindowReader::new(file, zip_len, window);
    let report = check_reader(&mut reader, zip_len, key, scratch, keep_contents).map_err(failed);
    scratch.window = reader.buf;
    if !keep_contents {
        // Nobody reads the contents afterwards; with them kept, the caller trims when done.
        scratch.trim();
    }
    report
}

fn check_reader(
    mut reader: impl Read + Seek,
    zip_len: u64,
    key: &ModuleKey,
    scratch: &mut Scratch,
    keep_contents: bool,
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
    let mut declared = Vec::with_capacity(archive.len());
    for i in 0..archive.len() {
        let entry = archive
            .by_index_raw(i)
            .map_err(|e| format!("entry {i}: {e}"))?;
        declared.push((entry.name_raw().to_vec(), entry.size()));
    }
    let declared_total = declared
        .iter()
        .fold(0u64, |sum, (_, size)| sum.saturating_add(*size));
    if declared_total > MAX_ZIP_FILE {
        // go refuses it before extracting (checkZip); inflating it could only cost.
        structure.extend(structure_problems(key, &declared));
        return Ok(ZipReport {
            h1: None,
            files: Vec::new(),
            bytes: 0,
            structure,
            dir_entries: 0,
            hashed: false,
        });
    }
    let mut files = Vec::with_capacity(archive.len());
    let mut bytes = 0;
    let Scratch {
        max_whole_entry,
        max_kept,
        raw,
        decoded,
        kept,
        inflater,
        ..
    } = scratch;
    let mut contents = keep_contents.then_some(kept);
    for i in 0..archive.len() {
        let mut entry = archive
            .by_index_raw(i)
            .map_err(|e| format!("entry {i}: {e}"))?;
        let name = entry.name_raw().to_vec();
        let size = entry.size();
        let damaged = |e: std::io::Error| format!("{}: {e}", String::from_utf8_lossy(&name));
        if contents
            .as_ref()
            .is_some_and(|c| c.bytes.len() as u64 + size > *max_kept)
        {
            contents = None;
        }
        let (digest, n) = if size.max(entry.compressed_size()) <= *max_whole_entry {
            // Small entries, nearly all of them, are inflated in one call from memory.
            let (method, crc) = (entry.compression(), entry.crc32());
            raw.clear();
            entry.read_to_end(raw).map_err(damaged)?;
            let out = match &mut contents {
                Some(kept) => &mut kept.bytes,
                None => {
                    decoded.clear();
                    &mut *decoded
                }
            };
            let start = out.len();
            decode(inflater, method, raw, size, crc, out).map_err(damaged)?;
            let digest: Digest32 = Sha256::digest(&out[start..]).into();
            if let Some(kept) = &mut contents {
                let range = start..kept.bytes.len();
                kept.entries.push((name.clone(), digest, range));
            }
            (digest, size)
        } else {
            drop(entry);
            contents = None;
            let mut entry = archive.by_index(i).map_err(|e| format!("entry {i}: {e}"))?;
            // One byte more than declared is enough to see a lying size, without letting a
            // zip bomb run on. Reading to the end checks the CRC.
            let (digest, n) = sha256_reader((&mut entry).take(size + 1)).map_err(damaged)?;
            if n != size {
                return Err(damaged(size_error(n, size)));
            }
            (digest, n)
        };
        bytes += n;
        files.push(FileDigest { name, digest });
    }
    if let Some(kept) = contents {
        kept.entries.sort_by(|a, b| a.0.cmp(&b.0));
        scratch.kept_complete = true;
    }
    if archive.has_duplicate_names() {
        let repeats = repeated_names(archive.into_inner())?;
        add_repeats(&repeats, &mut files, &mut declared);
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
        hashed: true,
    })
}

/// Entries up to this size (compressed and not) are read whole and inflated in one call; larger
/// ones stream through zlib.
const MAX_WHOLE_ENTRY: u64 = 32 << 20;

/// Appends the content of one entry to `out`, from its `raw` (compressed) bytes, and checks its
/// size and CRC-32 as go's reader does ("zip: checksum error").
fn decode(
    inflater: &mut libdeflater::Decompressor,
    method: zip::CompressionMethod,
    raw: &[u8],
    size: u64,
    crc: u32,
    out: &mut Vec<u8>,
) -> std::io::Result<()> {
    let start = out.len();
    match method {
        zip::CompressionMethod::Stored => out.extend_from_slice(raw),
        zip::CompressionMethod::Deflated => {
            // One byte of room more than declared, so that longer content is caught.
            out.resize(start + size as usize + 1, 0);
            let n = inflater
                .deflate_decompress(raw, &mut out[start..])
                .map_err(|e| match e {
                    libdeflater::DecompressionError::BadData => {
                        std::io::Error::other("invalid deflate data")
                    }
                    libdeflater::DecompressionError::InsufficientSpace => {
                        size_error(size + 1, size)
                    }
                })?;
            out.truncate(start + n);
        }
        other => {
            return Err(std::io::Error::other(format!(
                "unsupported compression algorithm {other}"
            )));
        }
    }
    let n = (out.len() - start) as u64;
    if n != size {
        return Err(size_error(n, size));
    }
    if libdeflater::crc32(&out[start..]) != crc {
        return Err(std::io::Error::other("checksum error"));
    }
    Ok(())
}

fn size_error(read: u64, declared: u64) -> std::io::Error {
    if read > declared {
        std::io::Error::other(format!("more content than the declared {declared} bytes"))
    } else {
        std::io::Error::other(format!(
            "{read} bytes of content, the zip declares {declared}"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) fn key() -> ModuleKey {
        ModuleKey {
            path: "example.com/m".into(),
            version: "v1.0.0".into(),
        }
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
        let want = hash1(&mut expected);
        // Whole entries kept in memory, whole entries not kept, and streamed entries.
        for (whole, kept) in [
            (MAX_WHOLE_ENTRY, MAX_KEPT_CONTENTS),
            (MAX_WHOLE_ENTRY, 1000),
            (1000, 1000),
        ] {
            let mut scratch = Scratch::new(whole, kept);
            let report = check_zip(&path, &key(), &mut scratch, true).unwrap();
            assert_eq!(report.h1, want, "whole {whole}, kept {kept}");
            assert_eq!(report.bytes, 6 * 700_000);
            assert!(report.structure.is_empty(), "{:?}", report.structure);
            assert_eq!(scratch.contents().is_some(), kept == MAX_KEPT_CONTENTS);
            scratch.trim();
            assert!(scratch.contents().is_none());
            assert!(
                scratch.kept.bytes.capacity() <= 4 << 20 && scratch.window.capacity() <= 4 << 20,
                "a big zip's buffers are given back"
            );
        }
    }

    fn stored_zip(dir: &Path, files: &[(&str, &[u8])]) -> std::path::PathBuf {
        use std::io::Write;
        use zip::write::SimpleFileOptions;
        let path = dir.join("m.zip");
        let mut zip = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
        let opts = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
        for (name, content) in files {
            zip.start_file(format!("example.com/m@v1.0.0/{name}"), opts)
                .unwrap();
            zip.write_all(content).unwrap();
        }
        zip.finish().unwrap();
        path
    }

    #[test]
    fn kept_contents_are_found_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = stored_zip(
            dir.path(),
            &[("b.go", b"package b\n"), ("a.go", b"package a\n")],
        );
        let mut scratch = Scratch::new(MAX_WHOLE_ENTRY, MAX_KEPT_CONTENTS);
        check_zip(&path, &key(), &mut scratch, true).unwrap();
        let kept = scratch.contents().unwrap();
        let (digest, content) = kept.entry(b"example.com/m@v1.0.0/a.go").unwrap();
        assert_eq!(content, b"package a\n");
        assert_eq!(
            *digest,
            <[u8; 32]>::from(sha2::Sha256::digest(b"package a\n"))
        );
        assert!(kept.entry(b"example.com/m@v1.0.0/c.go").is_none());
    }

    /// A flipped byte in stored content fails the CRC check, read whole or streamed.
    #[test]
    fn a_damaged_entry_is_a_checksum_error_either_way() {
        let dir = tempfile::tempdir().unwrap();
        let content = b"package a // some text that will be damaged\n";
        let path = stored_zip(dir.path(), &[("a.go", content)]);
        let mut bytes = std::fs::read(&path).unwrap();
        let at = bytes.windows(4).position(|w| w == b"some").unwrap();
        bytes[at] ^= 0x20;
        std::fs::write(&path, bytes).unwrap();
        for whole in [MAX_WHOLE_ENTRY, 4] {
            let err = check_zip(&path, &key(), &mut Scratch::new(whole, 1000), true).unwrap_err();
            assert!(err.to_string().contains("checksum"), "whole {whole}: {err}");
        }
    }
}
