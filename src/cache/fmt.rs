//! Formatting sizes, ages and times for people and for JSON.

use std::time::{Duration, SystemTime};

/// A size in binary units, e.g. `12.3 MiB`.
pub fn size(bytes: u64) -> String {
    humansize::format_size(bytes, humansize::BINARY)
}

/// How long before `now` something happened, as a short age such as `5m`, `3d` or `2y`.
/// `-` when unknown; `now` when in the future (clock skew).
pub fn age(time: Option<SystemTime>, now: SystemTime) -> String {
    let Some(time) = time else {
        return "-".to_owned();
    };
    let secs = now.duration_since(time).unwrap_or(Duration::ZERO).as_secs();
    const MIN: u64 = 60;
    const HOUR: u64 = 60 * MIN;
    const DAY: u64 = 24 * HOUR;
    if secs < MIN {
        "now".to_owned()
    } else if secs < HOUR {
        format!("{}m", secs / MIN)
    } else if secs < DAY {
        format!("{}h", secs / HOUR)
    } else if secs < 60 * DAY {
        format!("{}d", secs / DAY)
    } else if secs < 730 * DAY {
        format!("{}mo", secs / (30 * DAY))
    } else {
        format!("{}y", secs / (365 * DAY))
    }
}

/// How long ago, for prose: `3d ago`, `just now`, or `-` when unknown.
pub fn ago(time: Option<SystemTime>, now: SystemTime) -> String {
    match age(time, now).as_str() {
        "-" => "-".to_owned(),
        "now" => "just now".to_owned(),
        short => format!("{short} ago"),
    }
}

/// `n` and a noun in the right number: `1 version`, `2 versions`, `3 entries`.
pub fn count(n: impl Into<u64>, singular: &str) -> String {
    let n = n.into();
    match (n, singular) {
        (1, _) => format!("1 {singular}"),
        (_, "entry") => format!("{n} entries"),
        (_, "vcs repository") => format!("{n} vcs repositories"),
        (_, "directory") => format!("{n} directories"),
        _ => format!("{n} {singular}s"),
    }
}

/// RFC 3339 in UTC with second precision, e.g. `2023-01-02T03:04:05Z`.
pub fn rfc3339(time: SystemTime) -> String {
    // chrono's `From<SystemTime>` panics outside its years; a forged file can say any time.
    let (secs, nanos) = match time.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(d) => (i64::try_from(d.as_secs()).ok(), d.subsec_nanos()),
        Err(e) => (i64::try_from(e.duration().as_secs()).ok().map(|s| -s), 0),
    };
    match secs.and_then(|s| chrono::DateTime::<chrono::Utc>::from_timestamp(s, nanos)) {
        Some(t) => t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        None => "out of range".to_owned(),
    }
}

/// A path for people and JSON: valid UTF-8 as is, every byte that is not escaped as `\xNN`
/// (so two different names never print the same, unlike a lossy decode).
pub fn escaped_path(path: &std::path::Path) -> String {
    use std::os::unix::ffi::OsStrExt;
    escaped(path.as_os_str().as_bytes())
}

/// Bytes as text: valid UTF-8 as is, every other byte escaped as `\xNN`.
pub fn escaped(bytes: &[u8]) -> String {
    let mut out = String::new();
    for chunk in bytes.utf8_chunks() {
        out.push_str(chunk.valid());
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}

/// Whether `c` must not reach a terminal raw: a control character (C0 but newline and tab,
/// DEL, C1), or one that reorders or hides text (bidi overrides, isolates and marks).
fn unsafe_for_terminal(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(
            c,
            '\u{061c}' | '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
        )
}

/// `text` made safe for a terminal: every character of [`unsafe_for_terminal`] becomes a
/// visible `\uXXXX`, so a name from disk cannot move the cursor, retitle the terminal or hide
/// what follows it. The same escape is valid inside a JSON string, so JSON output stays valid
/// and its decoded strings keep the original characters.
pub fn for_terminal(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(unsafe_for_terminal) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if unsafe_for_terminal(c) {
            out.push_str(&format!("\\u{:04x}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Writes `text` to standard error, made safe by [`for_terminal`].
pub fn write_stderr(text: &str) {
    use std::io::Write;
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(for_terminal(text).as_bytes());
    let _ = err.flush();
}

/// The raw bytes of a path as hex, when it is not valid UTF-8 (JSON's `path_hex`).
pub fn path_hex(path: &std::path::Path) -> Option<String> {
    use std::os::unix::ffi::OsStrExt;
    let bytes = path.as_os_str().as_bytes();
    std::str::from_utf8(bytes)
        .is_err()
        .then(|| bytes.iter().map(|b| format!("{b:02x}")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_controls_are_made_visible_and_stay_valid_json() {
        let name = "a\u{1b}]0;owned\u{7}b\u{202e}c\r\u{85}\u{7f}\td\n";
        let safe = for_terminal(name);
        assert_eq!(
            safe,
            "a\\u001b]0;owned\\u0007b\\u202ec\\u000d\\u0085\\u007f\td\n"
        );
        // Inside a JSON string the escapes decode to the original characters.
        let json = for_terminal(
            &serde_json::to_string(&name.replace(['\u{1b}', '\r', '\u{7}', '\n', '\t'], ""))
                .unwrap_or_default(),
        )
        .into_owned();
        let back: String = serde_json::from_str(&json).unwrap_or_default();
        assert_eq!(back, "a]0;ownedb\u{202e}c\u{85}\u{7f}d");
        assert_eq!(for_terminal("plain/path@v1.0.0 ü"), "plain/path@v1.0.0 ü");
    }

    #[test]
    fn ages_are_short() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(100 * 86_400 * 365);
        let ago = |s: u64| age(Some(now - Duration::from_secs(s)), now);
        assert_eq!(ago(5), "now");
        assert_eq!(ago(300), "5m");
        assert_eq!(ago(7200), "2h");
        assert_eq!(ago(3 * 86_400), "3d");
        assert_eq!(ago(90 * 86_400), "3mo");
        assert_eq!(ago(800 * 86_400), "2y");
        assert_eq!(age(None, now), "-");
    }

    #[test]
    fn counts_agree_in_number() {
        assert_eq!(count(1u64, "version"), "1 version");
        assert_eq!(count(0u64, "version"), "0 versions");
        assert_eq!(count(3u64, "entry"), "3 entries");
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        assert_eq!(ago(Some(now), now), "just now");
        assert_eq!(ago(Some(now - Duration::from_secs(7200)), now), "2h ago");
        assert_eq!(ago(None, now), "-");
    }

    #[test]
    fn times_print_as_utc_seconds() {
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_672_628_645);
        assert_eq!(rfc3339(t), "2023-01-02T03:04:05Z");
    }
}
