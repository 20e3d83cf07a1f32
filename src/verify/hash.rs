//! Go's `h1:` hash (`golang.org/x/mod/sumdb/dirhash.Hash1`) and streaming SHA-256 of files.
//!
//! Hash1 hashes a summary with one line per file, `<hex sha256>  <name>\n`, sorted by name
//! bytes, and prints the SHA-256 of the summary as `h1:` + standard padded base64. Names are kept
//! as raw bytes, as Go keeps them, so a zip entry name that is not UTF-8 still hashes exactly as
//! go hashes it. Files are read in chunks, never whole into memory.

use std::fmt;
use std::io::{self, Read};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};

/// A SHA-256 digest.
pub type Digest32 = [u8; 32];

/// An `h1:` hash: SHA-256 of a dirhash summary.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct H1(pub Digest32);

impl fmt::Display for H1 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "h1:{}", STANDARD.encode(self.0))
    }
}

impl fmt::Debug for H1 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl serde::Serialize for H1 {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for H1 {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<H1, D::Error> {
        let text = String::deserialize(deserializer)?;
        H1::parse(&text).ok_or_else(|| serde::de::Error::custom(format!("not an h1 hash: {text}")))
    }
}

impl H1 {
    /// Parses `h1:<44 base64 chars>`; other hash algorithms and malformed text give `None`.
    pub fn parse(text: &str) -> Option<H1> {
        let b64 = text.strip_prefix("h1:")?;
        let bytes = STANDARD.decode(b64).ok()?;
        Some(H1(bytes.try_into().ok()?))
    }
}

/// One file of a hashed set: its name as hashed (with any prefix) and its content digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileDigest {
    /// The name bytes as they appear in the summary.
    pub name: Vec<u8>,
    /// SHA-256 of the content.
    pub digest: Digest32,
}

/// Hash1 over a set of file digests. Sorts `files` by name in place. Names containing a newline
/// cannot be summarised and give `None`, as dirhash refuses them.
pub fn hash1(files: &mut [FileDigest]) -> Option<H1> {
    files.sort_by(|a, b| a.name.cmp(&b.name));
    let mut summary = Sha256::new();
    for f in files.iter() {
        if f.name.contains(&b'\n') {
            return None;
        }
        summary.update(hex(&f.digest).as_bytes());
        summary.update(b"  ");
        summary.update(&f.name);
        summary.update(b"\n");
    }
    Some(H1(summary.finalize().into()))
}

/// The go.sum `/go.mod` hash: Hash1 over the single name `go.mod`.
pub fn hash_go_mod(content: &[u8]) -> H1 {
    let mut files = [FileDigest {
        name: b"go.mod".to_vec(),
        digest: Sha256::digest(content).into(),
    }];
    hash1(&mut files).expect("the name go.mod has no newline")
}

/// SHA-256 of everything `reader` yields, read in 64 KiB chunks; returns the digest and length.
pub fn sha256_reader(mut reader: impl Read) -> io::Result<(Digest32, u64)> {
    thread_local! {
        // One buffer per thread: allocating and zeroing 64 KiB per file showed up in profiles.
        static BUF: std::cell::RefCell<Vec<u8>> = std::cell::RefCell::new(vec![0u8; 64 * 1024]);
    }
    BUF.with_borrow_mut(|buf| {
        let mut hasher = Sha256::new();
        let mut total = 0u64;
        loop {
            match reader.read(buf) {
                Ok(0) => break,
                Ok(n) => {
                    hasher.update(&buf[..n]);
                    total += n as u64;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok((hasher.finalize().into(), total))
    })
}

/// Lower-case hex of a digest.
pub fn hex(digest: &Digest32) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(64);
    for b in digest {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 15)] as char);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str, content: &str) -> FileDigest {
        FileDigest {
            name: name.as_bytes().to_vec(),
            digest: Sha256::digest(content).into(),
        }
    }

    /// The worked example of `../shared/GO_MODCACHE_FORMAT.md` §2.5, where
    /// `go mod download -json example.com/m@v1.0.0` printed these `Sum` and `GoModSum`.
    #[test]
    fn tiny_module_hashes_match_go() {
        let mut files = [
            file("example.com/m@v1.0.0/go.mod", "module example.com/m\n"),
            file("example.com/m@v1.0.0/a.go", "package m\n"),
        ];
        assert_eq!(
            hash1(&mut files).unwrap().to_string(),
            "h1:SXy42eQ/QbleX7vtuAPFnaM3tNuQnfeo7rulG/p7iOw="
        );
        assert_eq!(
            hash_go_mod(b"module example.com/m\n").to_string(),
            "h1:flS2VctbRrTv+sBE+VKgxx6hlkMGPVz9MGOmzMYFg3k="
        );
    }

    #[test]
    fn the_empty_go_mod_hash_is_gos_constant() {
        assert_eq!(
            hash_go_mod(b"").to_string(),
            "h1:G7mAYYxgmS0lVkHyy2hEOLQCFB0DlQFTMLWggykrydY="
        );
    }

    #[test]
    fn h1_text_round_trips() {
        let text = "h1:miaa7LDmapNV50jqOtymhRMQeD2LieuGen2EfvnANHg=";
        assert_eq!(H1::parse(text).unwrap().to_string(), text);
        assert_eq!(
            H1::parse("h2:miaa7LDmapNV50jqOtymhRMQeD2LieuGen2EfvnANHg="),
            None
        );
        assert_eq!(H1::parse("h1:short"), None);
    }
}
