//! The build cache (GOCACHE) as the go command lays it out (cmd/go/internal/cache, 1.12+).
//!
//! The cache is 256 directories `00`..`ff`. In them, `<action id>-a` is an action entry: one
//! line of exactly 175 bytes, `v1 <action id> <output id> <size, 20 wide> <unix ns, 20 wide>\n`,
//! saying which output an action (a compile, a link, a test run) produced; `<output id>-d` is
//! that output, named by the SHA-256 of its contents. A file goes into the directory named by
//! its id's first byte. Beside them: `README`, `trim.txt` (when go last trimmed, in Unix
//! seconds) and `fuzz/` (the fuzzing corpus, which `go clean -cache` keeps).
//!
//! go bumps a file's mtime when it uses it, at most once an hour, so the mtime reads as "last
//! used"; it trims entries unused for 5 days, at most once a day. When go reuses an output it
//! only compares its size with the action entry's (`Cache.GetFile`): a corrupt output of the
//! right size is used as is. That, and the names being content hashes, is what makes
//! verifying the cache worth doing.

pub mod scan;

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use super::goenv::GoEnv;

/// go's trim limit: entries unused this long are removed by the next trim.
pub const TRIM_LIMIT: Duration = Duration::from_secs(5 * 86_400);

/// Bands of "last used", with their upper bounds: a day, go's trim limit, a month, and older.
pub const AGE_BANDS: [(&str, Duration); 4] = [
    ("under 1 day", Duration::from_secs(86_400)),
    ("1 to 5 days", TRIM_LIMIT),
    ("5 to 30 days", Duration::from_secs(30 * 86_400)),
    ("over 30 days", Duration::MAX),
];

/// The size of an action entry in bytes.
pub const ENTRY_SIZE: usize = 2 + 1 + 64 + 1 + 64 + 1 + 20 + 1 + 20 + 1;

/// Where the build cache is, and why there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A directory.
    Dir(PathBuf),
    /// The cache is off: `GOCACHE=off`, or a value go refuses (a relative path), with why.
    Off(String),
}

/// The first line of the `README` go writes into every build cache it opens
/// (`cmd/go/internal/cache/default.go`, since go 1.10).
pub const README_FIRST_LINE: &str =
    "This directory holds cached build artifacts from the Go build system.";

/// Why `root` is not a build cache go made, or `Ok` when it is: its `README` is a regular file
/// whose first line is go's. Destructive commands need this; a directory that merely holds
/// files named like go's outputs is not a build cache.
pub fn recognize(root: &Path) -> Result<(), String> {
    let readme = root.join("README");
    let not = |why: &str| {
        Err(format!(
            "{} is not a Go build cache ({why}); pass the directory go uses (`go env GOCACHE`)",
            root.display()
        ))
    };
    match std::fs::symlink_metadata(&readme) {
        Ok(meta) if meta.file_type().is_file() => {}
        Ok(_) => return not("its README is not a regular file"),
        Err(_) => return not("it has no README from go"),
    }
    match super::read::read_text(&readme, 4096) {
        Ok(text) if text.lines().next() == Some(README_FIRST_LINE) => Ok(()),
        Ok(_) => not("its README is not go's"),
        Err(e) => not(&format!("its README cannot be read: {e}")),
    }
}

/// Finds the build cache as go does: `--gocache`, then GOCACHE (the environment, `go env`, the
/// `go env -w` file), then the user cache directory + `go-build`.
pub fn locate(flag: Option<&Path>, goenv: &GoEnv) -> Location {
    if let Some(dir) = flag {
        return Location::Dir(dir.to_path_buf());
    }
    match goenv.get("GOCACHE") {
        Some(v) if v == "off" => Location::Off("GOCACHE=off: go builds without a cache".into()),
        Some(v) if Path::new(&v).is_absolute() => Location::Dir(PathBuf::from(v)),
        Some(v) => Location::Off(format!(
            "GOCACHE={v} is not an absolute path, so go runs without a cache"
        )),
        None => match user_cache_dir() {
            Some(dir) => Location::Dir(dir.join("go-build")),
            None => Location::Off("GOCACHE is not set and there is no user cache directory".into()),
        },
    }
}

/// `os.UserCacheDir` on Unix: `$XDG_CACHE_HOME`, else `$HOME/.cache` (macOS:
/// `$HOME/Library/Caches`).
fn user_cache_dir() -> Option<PathBuf> {
    if cfg!(target_os = "macos") {
        return std::env::var_os("HOME").map(|h| PathBuf::from(h).join("Library/Caches"));
    }
    match std::env::var_os("XDG_CACHE_HOME") {
        Some(dir) if Path::new(&dir).is_absolute() => Some(PathBuf::from(dir)),
        _ => std::env::var_os("HOME")
            .filter(|h| !h.is_empty())
            .map(|h| PathBuf::from(h).join(".cache")),
    }
}

/// A 32-byte id (action or output), as in file names.
pub type Id = [u8; 32];

/// Lower-case hex of an id, as go names files.
pub fn hex(id: &Id) -> String {
    id.iter().map(|b| format!("{b:02x}")).collect()
}

/// The path of an action entry (`kind` `a`) or output (`d`), relative to the root.
pub fn rel_path(id: &Id, kind: char) -> String {
    format!("{:02x}/{}-{kind}", id[0], hex(id))
}

/// Decodes 64 hex digits (either case, as Go's `hex.Decode` accepts).
pub fn parse_hex(text: &[u8]) -> Option<Id> {
    if text.len() != 64 {
        return None;
    }
    let digit = |c: u8| (c as char).to_digit(16);
    let mut id = [0u8; 32];
    for (i, pair) in text.chunks(2).enumerate() {
        id[i] = (digit(pair[0])? * 16 + digit(pair[1])?) as u8;
    }
    Some(id)
}

/// What an action entry says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActionRecord {
    /// The output it names.
    pub output: Id,
    /// The output's size in bytes.
    pub size: u64,
    /// When it was written, Unix nanoseconds.
    pub time_ns: i64,
}

/// Parses an action entry the way go's `Cache.get` does, with go's reasons for a miss. `bytes`
/// is the start of the file, at most [`ENTRY_SIZE`] + 1 bytes.
pub fn parse_action(id: &Id, bytes: &[u8]) -> Result<ActionRecord, &'static str> {
    if bytes.len() > ENTRY_SIZE {
        return Err("too long");
    }
    if bytes.is_empty() {
        return Err("file is empty");
    }
    if bytes.len() < ENTRY_SIZE {
        return Err("entry file incomplete");
    }
    let h = 64;
    if &bytes[0..3] != b"v1 "
        || bytes[3 + h] != b' '
        || bytes[3 + h + 1 + h] != b' '
        || bytes[3 + h + 1 + h + 1 + 20] != b' '
        || bytes[ENTRY_SIZE - 1] != b'\n'
    {
        return Err("invalid header");
    }
    let eid = &bytes[3..3 + h];
    let eout = &bytes[4 + h..4 + 2 * h];
    let esize = &bytes[5 + 2 * h..5 + 2 * h + 20];
    let etime = &bytes[6 + 2 * h + 20..6 + 2 * h + 40];
    match parse_hex(eid) {
        None => return Err("decoding ID"),
        Some(found) if &found != id => return Err("mismatched ID"),
        Some(_) => {}
    }
    let output = parse_hex(eout).ok_or("decoding output ID")?;
    let number = |field: &[u8]| -> Option<i64> {
        let text = std::str::from_utf8(field).ok()?.trim_start_matches(' ');
        text.parse::<i64>().ok()
    };
    let size = number(esize).ok_or("parsing size")?;
    if size < 0 {
        return Err("negative size");
    }
    let time_ns = number(etime).ok_or("parsing timestamp")?;
    if time_ns < 0 {
        return Err("negative timestamp");
    }
    Ok(ActionRecord {
        output,
        size: size as u64,
        time_ns,
    })
}

/// When go last trimmed the cache, from `trim.txt` (None when absent or unreadable).
pub fn last_trim(root: &Path) -> Option<SystemTime> {
    let text = super::read::read_text(&root.join("trim.txt"), 64).ok()?;
    let secs: u64 = text.trim().parse().ok()?;
    Some(SystemTime::UNIX_EPOCH + Duration::from_secs(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: &Id, out: &Id, size: i64, time: i64) -> Vec<u8> {
        format!("v1 {} {} {size:20} {time:20}\n", hex(id), hex(out)).into_bytes()
    }

    #[test]
    fn action_entries_parse_as_go_parses_them() {
        let (id, out) = ([0xab; 32], [0x01; 32]);
        let good = entry(&id, &out, 1234, 1_700_000_000_000_000_000);
        assert_eq!(good.len(), ENTRY_SIZE);
        let record = parse_action(&id, &good).unwrap();
        assert_eq!((record.output, record.size), (out, 1234));
        assert_eq!(parse_action(&[0xac; 32], &good), Err("mismatched ID"));
        assert_eq!(
            parse_action(&id, &good[..100]),
            Err("entry file incomplete")
        );
        assert_eq!(parse_action(&id, b""), Err("file is empty"));
        let mut long = good.clone();
        long.push(b'x');
        assert_eq!(parse_action(&id, &long), Err("too long"));
        let mut bad = good.clone();
        bad[0] = b'V';
        assert_eq!(parse_action(&id, &bad), Err("invalid header"));
        assert_eq!(
            parse_action(&id, &entry(&id, &out, -1, 0)),
            Err("negative size")
        );
        let upper = String::from_utf8(good).unwrap().replacen("ab", "AB", 2);
        assert!(
            parse_action(&id, upper.as_bytes()).is_ok(),
            "hex of either case"
        );
    }
}
