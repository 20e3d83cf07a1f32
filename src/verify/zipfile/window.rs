//! Reading a zip file fast: a window of the file that serves the zip reader's seeks from memory,
//! and the strict check of what follows the end of the central directory.

use std::io::{Read, Seek, SeekFrom};

/// The number of bytes after the end-of-central-directory record and its comment, if any.
pub(super) fn bytes_after_end(
    reader: &mut (impl Read + Seek),
    len: u64,
) -> std::io::Result<Option<u64>> {
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
pub(super) struct WindowReader {
    file: std::fs::File,
    len: u64,
    pub(super) buf: Vec<u8>,
    /// File offset of `buf[0]`.
    start: u64,
    /// Logical position.
    pos: u64,
}

impl WindowReader {
    pub(super) const WINDOW: usize = 1 << 20;

    /// A reader over `file`, reusing the allocation of `buf`.
    pub(super) fn new(file: std::fs::File, len: u64, mut buf: Vec<u8>) -> Self {
        buf.clear();
        WindowReader {
            file,
            len,
            buf,
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
