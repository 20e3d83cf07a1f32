//! Module paths and versions as the go command names them on disk.
//!
//! The cache spells every module path and version in Go's case-escaped form (`!x` for `X`), so
//! that case-insensitive file systems cannot merge two modules. This module escapes and unescapes
//! those names and validates them with the rules of `golang.org/x/mod/module` (`CheckPath`,
//! `UnescapeVersion`, `Check` and `CanonicalVersion`), so that a directory the go command could
//! not have written is recognised as such instead of being misread. It performs no I/O.

use std::fmt;

use super::error::CacheError;
use super::semver;

/// One module version, with the real (unescaped) path and canonical version.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct ModuleKey {
    /// The module path, e.g. `github.com/BurntSushi/toml`.
    pub path: String,
    /// The canonical version, e.g. `v1.2.3` or `v2.0.0+incompatible`.
    pub version: String,
}

impl fmt::Display for ModuleKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.path, self.version)
    }
}

impl ModuleKey {
    /// Decodes an escaped module path and escaped version as found in cache file names, and
    /// checks that the go command could have written them: the path passes `CheckPath`, the
    /// version is canonical and matches the path's major-version suffix.
    pub fn from_escaped(esc_path: &str, esc_version: &str) -> Result<Self, CacheError> {
        let key = Self::from_escaped_any_major(esc_path, esc_version)?;
        if let Err(reason) = check_path_major(&key.path, &key.version) {
            return Err(CacheError::WrongMajor {
                key: key.to_string(),
                reason,
            });
        }
        Ok(key)
    }

    /// Like [`ModuleKey::from_escaped`], but accepts a major version that does not fit the
    /// path (`v2.0.0` of a path without `/v2`): go downloads such a version, writes its files,
    /// and then refuses to use it. The caller learns why from [`ModuleKey::unusable`].
    pub fn from_escaped_any_major(esc_path: &str, esc_version: &str) -> Result<Self, CacheError> {
        let path = unescape_path(esc_path)?;
        let version = unescape_version(esc_version)?;
        match semver::canonical(&version) {
            Some(c) if c == version => {}
            Some(_) => return Err(CacheError::NotCanonical(version)),
            None => return Err(CacheError::NotSemver(version)),
        }
        Ok(ModuleKey { path, version })
    }

    /// Why go refuses to use this version, in go's words, when its major version does not fit
    /// the path (`module.Check`); `None` for a usable one.
    pub fn unusable(&self) -> Option<String> {
        check_path_major(&self.path, &self.version).err()
    }

    /// The escaped path, as used in cache directory names.
    pub fn escaped_path(&self) -> String {
        escape(&self.path)
    }

    /// The escaped version, as used in cache file names.
    pub fn escaped_version(&self) -> String {
        escape(&self.version)
    }
}

/// Case-escapes a path or version: every ASCII upper-case letter `X` becomes `!x`.
///
/// Callers pass strings that were validated (module paths and versions are ASCII without `!`),
/// so unlike Go's `EscapePath` this cannot fail.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 4);
    for c in s.chars() {
        if c.is_ascii_uppercase() {
            out.push('!');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// Reverses the case-escaping: `!x` becomes `X`. Bare upper case, a `!` not followed by a
/// lower-case letter, or any non-ASCII byte make the name invalid, as in Go's `unescapeString`.
pub fn unescape(escaped: &str) -> Option<String> {
    let mut out = String::with_capacity(escaped.len());
    let mut bang = false;
    for c in escaped.chars() {
        if !c.is_ascii() {
            return None;
        }
        if bang {
            bang = false;
            if !c.is_ascii_lowercase() {
                return None;
            }
            out.push(c.to_ascii_uppercase());
        } else if c == '!' {
            bang = true;
        } else if c.is_ascii_uppercase() {
            return None;
        } else {
            out.push(c);
        }
    }
    (!bang).then_some(out)
}

/// `module.UnescapePath`: unescape, then require a valid module path.
pub fn unescape_path(escaped: &str) -> Result<String, CacheError> {
    let path = unescape(escaped).ok_or_else(|| CacheError::EscapedPath(escaped.to_owned()))?;
    if let Err(reason) = check_path(&path) {
        return Err(CacheError::ModulePath { path, reason });
    }
    Ok(path)
}

/// `module.UnescapeVersion`: unescape, then require a valid file-name element.
pub fn unescape_version(escaped: &str) -> Result<String, CacheError> {
    let version =
        unescape(escaped).ok_or_else(|| CacheError::EscapedVersion(escaped.to_owned()))?;
    if let Err(reason) = check_elem(&version, PathKind::File) {
        return Err(CacheError::VersionName { version, reason });
    }
    Ok(version)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum PathKind {
    Module,
    File,
}

/// `module.CheckPath`: the rules a module path must follow.
pub fn check_path(path: &str) -> Result<(), String> {
    check_general_path(path, PathKind::Module)?;
    let first = path.split('/').next().unwrap_or("");
    if first.is_empty() {
        return Err("leading slash".into());
    }
    if !first.contains('.') {
        return Err("missing dot in first path element".into());
    }
    if path.starts_with('-') {
        return Err("leading dash in first path element".into());
    }
    if let Some(c) = first
        .chars()
        .find(|&c| !(c == '-' || c == '.' || c.is_ascii_digit() || c.is_ascii_lowercase()))
    {
        return Err(format!("invalid char {c:?} in first path element"));
    }
    if split_path_version(path).is_none() {
        return Err("invalid version".into());
    }
    Ok(())
}

/// `module.CheckImportPath`'s rules for the elements of a path (what a module a directory
/// replaces may be called, with no dot needed in its first element): no empty, `.` or `..`
/// element, no leading slash, only the characters module paths allow.
pub fn check_import_path(path: &str) -> Result<(), String> {
    check_general_path(path, PathKind::Module)
}

/// `module.CheckFilePath`: the rules for a file name inside a module zip.
pub fn check_file_path(path: &str) -> Result<(), String> {
    check_general_path(path, PathKind::File)
}

fn check_general_path(path: &str, kind: PathKind) -> Result<(), String> {
    if path.is_empty() {
        return Err("empty string".into());
    }
    if path.starts_with('-') && kind != PathKind::File {
        return Err("leading dash".into());
    }
    if path.contains("//") {
        return Err("double slash".into());
    }
    if path.ends_with('/') {
        return Err("trailing slash".into());
    }
    path.split('/').try_for_each(|elem| check_elem(elem, kind))
}

const BAD_WINDOWS_NAMES: [&str; 22] = [
    "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8",
    "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
];

fn check_elem(elem: &str, kind: PathKind) -> Result<(), String> {
    if elem.is_empty() {
        return Err("empty path element".into());
    }
    if elem.bytes().all(|b| b == b'.') {
        return Err(format!("invalid path element {elem:?}"));
    }
    if elem.starts_with('.') && kind == PathKind::Module {
        return Err("leading dot in path element".into());
    }
    if elem.ends_with('.') {
        return Err("trailing dot in path element".into());
    }
    let char_ok = |c: char| match kind {
        PathKind::Module => c.is_ascii_alphanumeric() || "-._~".contains(c),
        PathKind::File if c.is_ascii() => {
            c.is_ascii_alphanumeric() || "!#$%&()+,-.=@[]^_{}~ ".contains(c)
        }
        PathKind::File => c.is_alphabetic(),
    };
    if let Some(c) = elem.chars().find(|&c| !char_ok(c)) {
        return Err(format!("invalid char {c:?}"));
    }
    let short = elem.split('.').next().unwrap_or(elem);
    if BAD_WINDOWS_NAMES
        .iter()
        .any(|bad| bad.eq_ignore_ascii_case(short))
    {
        return Err(format!(
            "{short:?} disallowed as path element component on Windows"
        ));
    }
    if kind == PathKind::File {
        return Ok(());
    }
    if let Some(tilde) = short.rfind('~')
        && tilde < short.len() - 1
        && short[tilde + 1..].bytes().all(|b| b.is_ascii_digit())
    {
        return Err("trailing tilde and digits in path element".into());
    }
    Ok(())
}

/// `module.SplitPathVersion`: splits off a `/vN` (or gopkg.in `.vN`) major-version suffix.
/// Returns `(prefix, path_major)`, or `None` when the suffix is malformed (such as `/v1`).
pub fn split_path_version(path: &str) -> Option<(&str, &str)> {
    if path.starts_with("gopkg.in/") {
        return split_gopkg_in(path);
    }
    let bytes = path.as_bytes();
    let mut i = bytes.len();
    let mut dot = false;
    while i > 0 && (bytes[i - 1].is_ascii_digit() || bytes[i - 1] == b'.') {
        dot |= bytes[i - 1] == b'.';
        i -= 1;
    }
    if i <= 1 || i == bytes.len() || bytes[i - 1] != b'v' || bytes[i - 2] != b'/' {
        return Some((path, ""));
    }
    let (prefix, major) = path.split_at(i - 2);
    if dot || major.len() <= 2 || major.as_bytes()[2] == b'0' || major == "/v1" {
        return None;
    }
    Some((prefix, major))
}

fn split_gopkg_in(path: &str) -> Option<(&str, &str)> {
    let bytes = path.as_bytes();
    let mut i = path.strip_suffix("-unstable").unwrap_or(path).len();
    while i > 0 && bytes[i - 1].is_ascii_digit() {
        i -= 1;
    }
    if i <= 1 || bytes[i - 1] != b'v' || bytes[i - 2] != b'.' {
        return None;
    }
    let (prefix, major) = path.split_at(i - 2);
    if major.len() <= 2 || (major.as_bytes()[2] == b'0' && major != ".v0") {
        return None;
    }
    Some((prefix, major))
}

/// `module.CheckPathMajor` applied to a full path: the version's major must fit the path.
fn check_path_major(path: &str, version: &str) -> Result<(), String> {
    let (_, path_major) = split_path_version(path).ok_or("invalid major-version suffix")?;
    let path_major = if path_major.starts_with(".v") {
        path_major.strip_suffix("-unstable").unwrap_or(path_major)
    } else {
        path_major
    };
    if version.starts_with("v0.0.0-") && path_major == ".v1" {
        return Ok(());
    }
    let major = semver::major(version).unwrap_or("");
    let fits = if path_major.is_empty() {
        major == "v0" || major == "v1" || semver::is_incompatible(version)
    } else {
        major == &path_major[1..]
    };
    if fits {
        Ok(())
    } else {
        let want = if path_major.is_empty() {
            "v0 or v1"
        } else {
            &path_major[1..]
        };
        Err(format!("version {version} should be {want}, not {major}"))
    }
}

/// `module.MatchPrefixPatterns`: whether any of the comma-separated glob patterns (GOPRIVATE,
/// GONOSUMDB, ...) matches a prefix of `target` with as many path elements as the pattern.
pub fn match_prefix_patterns(globs: &str, target: &str) -> bool {
    globs.split(',').any(|glob| {
        let glob = glob.trim_end_matches('/');
        if glob.is_empty() {
            return false;
        }
        let elements = glob.matches('/').count() + 1;
        let parts: Vec<&str> = target.splitn(elements + 1, '/').collect();
        if parts.len() < elements {
            return false;
        }
        let prefix = parts[..elements].join("/");
        // path.Match: `*` and `?` never match a slash.
        globset::GlobBuilder::new(glob)
            .literal_separator(true)
            .backslash_escape(true)
            .build()
            .is_ok_and(|g| g.compile_matcher().is_match(prefix.as_str()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_round_trips() {
        for (real, esc) in [
            ("github.com/BurntSushi/toml", "github.com/!burnt!sushi/toml"),
            ("example.com/MixedCase", "example.com/!mixed!case"),
            ("v1.2.3-RC1", "v1.2.3-!r!c1"),
            ("golang.org/x/mod", "golang.org/x/mod"),
        ] {
            assert_eq!(escape(real), esc);
            assert_eq!(unescape(esc).as_deref(), Some(real));
        }
    }

    #[test]
    fn prefix_patterns_match_as_go_s_do() {
        assert!(match_prefix_patterns(
            "*.corp.example.com",
            "git.corp.example.com/a/b"
        ));
        assert!(match_prefix_patterns(
            "rsc.io/private",
            "rsc.io/private/quux"
        ));
        assert!(match_prefix_patterns("x.io,rsc.io/*", "rsc.io/private"));
        assert!(!match_prefix_patterns("rsc.io/private", "rsc.io/privately"));
        assert!(!match_prefix_patterns("rsc.io/a/b", "rsc.io/a"));
        assert!(!match_prefix_patterns("", "rsc.io/a"));
        assert!(match_prefix_patterns("*.io", "rsc.io/a"));
    }

    #[test]
    fn unescape_rejects_what_go_never_writes() {
        for bad in ["github.com/Foo", "a!", "a!1", "caf\u{e9}", "x!!y"] {
            assert_eq!(unescape(bad), None, "{bad}");
        }
    }

    #[test]
    fn keys_decode_and_check_major_versions() {
        let key = ModuleKey::from_escaped("example.com/!mixed!case", "v1.2.3").unwrap();
        assert_eq!(key.path, "example.com/MixedCase");
        assert!(ModuleKey::from_escaped("example.com/m/v2", "v2.1.0").is_ok());
        assert!(ModuleKey::from_escaped("example.com/m/v2", "v1.0.0").is_err());
        assert!(ModuleKey::from_escaped("example.com/m", "v2.0.0").is_err());
        assert!(ModuleKey::from_escaped("example.com/m", "v2.0.0+incompatible").is_ok());
        assert!(ModuleKey::from_escaped("example.com/m", "v1.2").is_err());
        assert!(ModuleKey::from_escaped("example.com/m/v1", "v1.0.0").is_err());
        assert!(ModuleKey::from_escaped("gopkg.in/yaml.v3", "v3.0.1").is_ok());
        assert!(
            ModuleKey::from_escaped("gopkg.in/check.v1", "v0.0.0-20161208181325-20d25e280405")
                .is_ok()
        );
        assert!(ModuleKey::from_escaped("nodot/m", "v1.0.0").is_err());
    }
}
