//! Reading what go printed when a build failed: every module error go reports, which module
//! version it is about, and where such an error comes from.
//!
//! go names the module version in a few fixed ways: `go: M@V: ...`, `verifying M@V: ...`,
//! `go mod verify`'s `M V: ...`, a path into `cache/download/<M>/@v/<V>.zip`, and, for a
//! package whose module it could not download, the `go: downloading M V` line before it. A
//! source position (`…/a@v1.0.0/a.go:3:8:`) names the importer, never the culprit, and is not
//! taken for it. This module only reads text; judging the cache is the caller's business.

use crate::cache::ModuleKey;
use crate::cache::module::{unescape_path, unescape_version};

/// What kind of error go reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GoErrorKind {
    /// A hash differs from go.sum or the checksum database ("SECURITY ERROR").
    ChecksumMismatch {
        /// Whether it is the go.mod's hash (`M@V/go.mod`), not the zip's.
        go_mod: bool,
        /// What go computed from the download or the cache.
        downloaded: Option<String>,
        /// What go.sum (or the checksum database) says.
        expected: Option<String>,
        /// Who says it: `go.sum` or the checksum database's name.
        expected_by: Option<String>,
    },
    /// The cached zip cannot be opened ("zip: not a valid zip file").
    ZipInvalid,
    /// `go mod verify`: the extracted tree differs from the zip.
    DirModified,
    /// `go mod verify`: the zip differs from `.ziphash`.
    ZipModified,
    /// `go mod verify`: `.ziphash` is missing.
    MissingZiphash,
    /// go needed the version and could not download it: GOPROXY=off or a flag forbade it.
    LookupDisabled,
    /// go.sum has no line for what go needs.
    MissingGoSumEntry,
    /// The version does not exist at the origin, or cannot be seen there.
    UnknownRevision,
    /// git failed (`exit status 128`; go 1.22+: `no secure protocol found for repository`):
    /// usually access to a private repository.
    GitFailed,
    /// The proxy does not have it (404, 410, a missing file in a `file://` proxy).
    NotOnProxy,
    /// The network or the proxy could not be reached.
    Network,
    /// The module was published under another path (`module declares its path as`).
    DeclaresOtherPath,
    /// The version's major does not fit the module path, as published.
    WrongMajor,
    /// The version needs a newer go than the one running (go 1.21+: `requires go >= X
    /// (running go Y; GOTOOLCHAIN=local)`): a toolchain matter, not the cache's.
    NeedsNewerGo,
}

impl GoErrorKind {
    /// A stable name for JSON.
    pub fn name(&self) -> &'static str {
        match self {
            GoErrorKind::ChecksumMismatch { .. } => "checksum_mismatch",
            GoErrorKind::ZipInvalid => "zip_invalid",
            GoErrorKind::DirModified => "dir_modified",
            GoErrorKind::ZipModified => "zip_modified",
            GoErrorKind::MissingZiphash => "ziphash_missing",
            GoErrorKind::LookupDisabled => "lookup_disabled",
            GoErrorKind::MissingGoSumEntry => "missing_gosum_entry",
            GoErrorKind::UnknownRevision => "unknown_revision",
            GoErrorKind::GitFailed => "git_failed",
            GoErrorKind::NotOnProxy => "not_on_proxy",
            GoErrorKind::Network => "network",
            GoErrorKind::DeclaresOtherPath => "declares_other_path",
            GoErrorKind::WrongMajor => "wrong_major",
            GoErrorKind::NeedsNewerGo => "needs_newer_go",
        }
    }

    /// Whether the cache entry can be the cause, so that it must be looked at.
    pub fn may_be_the_cache(&self) -> bool {
        matches!(
            self,
            GoErrorKind::ChecksumMismatch { .. }
                | GoErrorKind::ZipInvalid
                | GoErrorKind::DirModified
                | GoErrorKind::ZipModified
                | GoErrorKind::MissingZiphash
                | GoErrorKind::LookupDisabled
        )
    }

    /// Where the cause lies when the cache is not it, and what to do.
    pub fn elsewhere(&self) -> &'static str {
        match self {
            GoErrorKind::ChecksumMismatch { .. } => {
                "the cache agrees with what go computed, so the go.sum line (or the checksum \
                 database's record) disagrees with the module's content: the line was edited, \
                 or the module was re-published under the same version. Check where the line \
                 came from (git log go.sum) before trusting either"
            }
            GoErrorKind::ZipInvalid
            | GoErrorKind::DirModified
            | GoErrorKind::ZipModified
            | GoErrorKind::MissingZiphash => {
                "the cache entry verifies now: it was repaired since go ran; run the command again"
            }
            GoErrorKind::LookupDisabled => {
                "the version is not in the cache and downloads are off (GOPROXY=off or \
                 GOFLAGS=-mod=vendor/readonly): download it with network access \
                 (modlens doctor --fix, or go mod download)"
            }
            GoErrorKind::MissingGoSumEntry => {
                "go.sum lacks the line: the cache is not the cause. Run `go mod download` for \
                 the module (or `go mod tidy`) to add it, and commit go.sum"
            }
            GoErrorKind::UnknownRevision => {
                "the version (tag or commit) does not exist at the origin, or go cannot see it: \
                 check the version in go.mod; for a private repository set GOPRIVATE and your \
                 git credentials. The cache is not the cause"
            }
            GoErrorKind::GitFailed => {
                "git could not fetch the repository (git's exit status 128, or go 1.22's \
                 \"no secure protocol found\"): for a private module set \
                 GOPRIVATE (and GONOSUMDB), and give git access: ~/.netrc, a credential helper, \
                 or url.<base>.insteadOf to ssh. The cache is not the cause"
            }
            GoErrorKind::NotOnProxy => {
                "the proxy does not have it: for a private module set GOPRIVATE so go fetches it \
                 directly; otherwise check the version and GOPROXY. The cache is not the cause"
            }
            GoErrorKind::Network => {
                "the network or the proxy cannot be reached: check connectivity, GOPROXY and any \
                 HTTP proxy settings. The cache is not the cause"
            }
            GoErrorKind::DeclaresOtherPath => {
                "the module was published with another path in its go.mod: require it by the \
                 path it declares, or add a replace directive. The cache holds it as published \
                 and is not the cause"
            }
            GoErrorKind::WrongMajor => {
                "the version's major version does not fit the module path (v2+ needs a /vN \
                 suffix, or +incompatible): require a version that fits. The cache is not the \
                 cause"
            }
            GoErrorKind::NeedsNewerGo => {
                "the module's go.mod needs a newer go than the one that ran: the toolchain is the \
                 cause, not the cache (go downloaded the version whole). Install that go, or let \
                 go switch toolchains (GOTOOLCHAIN=auto, or GOTOOLCHAIN=goX.Y.Z)"
            }
        }
    }
}

/// One error go reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoError {
    /// The module version it is about, when go names one.
    pub key: Option<ModuleKey>,
    /// What kind of error.
    pub kind: GoErrorKind,
    /// go's line, trimmed, and cut after [`MAX_LINE`] bytes (a log may hold a line of any
    /// length; go's own are short).
    pub line: String,
    /// The source position go put before its words when it named no module version
    /// (`main.go:4:2`, go 1.21 and later): the import it is about.
    pub position: Option<String>,
}

/// The most of a line kept to show.
pub const MAX_LINE: usize = 1024;

/// `line`, cut after `MAX_LINE` bytes (at a character boundary) with `…`.
fn shown(line: &str) -> String {
    if line.len() <= MAX_LINE {
        return line.to_owned();
    }
    let mut end = MAX_LINE;
    while !line.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &line[..end])
}

/// `line` without a leading source position, which go 1.21 and later put before
/// `module@version` (`main.go:3:8: example.com/m@v1.0.0: parsing go.mod:`).
fn strip_position(line: &str) -> &str {
    split_position(line).1
}

/// The leading source position of `line`, if any, and the rest.
fn split_position(line: &str) -> (Option<&str>, &str) {
    let Some((head, rest)) = line.split_once(": ") else {
        return (None, line);
    };
    let numbers = head
        .rsplitn(3, ':')
        .take_while(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        .count();
    let file = head.split(':').next().unwrap_or("");
    if numbers >= 1 && (file.ends_with(".go") || file.ends_with("go.mod")) {
        (Some(head), rest)
    } else {
        (None, line)
    }
}

/// `line` without what CI logs put before each line of a program's output: timestamps
/// (`2026-12-07T04:00:00.1234567Z`, `[04:00:00]`) and BuildKit's step and seconds
/// (`#12 4.123`), so that go's words are read from their start. What follows the stamps keeps
/// its own indentation, which says that a line goes on with the one above.
fn strip_log_prefix(line: &str) -> &str {
    let stamp = |token: &str| {
        let t = token.trim_start_matches(['[', '#']).trim_end_matches(']');
        t.starts_with(|c: char| c.is_ascii_digit())
            && t.chars()
                .all(|c| c.is_ascii_digit() || "-:.,TZ+".contains(c))
    };
    let mut rest = line;
    while let Some((token, after)) = rest.split_once(' ')
        && stamp(token)
    {
        rest = after;
    }
    rest
}

/// Every module error in `text`, in order, each (version, kind) once.
pub fn read(text: &str) -> Vec<GoError> {
    let lines: Vec<&str> = text.lines().map(strip_log_prefix).collect();
    let mut found: Vec<GoError> = Vec::new();
    let mut downloading: Option<ModuleKey> = None;
    // The version a message's first line names (`go: M@V: parsing go.mod:`), for the indented
    // lines that go on with it.
    let mut heading: Option<ModuleKey> = None;
    for (i, raw) in lines.iter().enumerate() {
        let line = raw.trim();
        if let Some(rest) = line.strip_prefix("go: downloading ") {
            downloading = space_key(rest);
            continue;
        }
        let indented = raw.starts_with([' ', '\t']);
        if !indented {
            heading = named_key(line).filter(|_| line.ends_with(':'));
        }
        let (position, line) = split_position(line);
        let Some(kind) = classify(line, &lines[i + 1..]) else {
            continue;
        };
        let key = named_key(line)
            .or_else(|| heading.clone().filter(|_| indented))
            .or_else(|| {
                // A package whose module go could not download names only its importer.
                matches!(kind, GoErrorKind::LookupDisabled | GoErrorKind::Network)
                    .then(|| downloading.clone())
                    .flatten()
            });
        let error = GoError {
            position: position.filter(|_| key.is_none()).map(shown),
            key,
            kind,
            line: shown(line),
        };
        if !found.iter().any(|f| {
            f.key == error.key && f.kind.name() == error.kind.name() && f.position == error.position
        }) {
            found.push(error);
        }
    }
    found
}

/// The kind of error on `line` (with the lines after it, for multi-line messages).
fn classify(line: &str, after: &[&str]) -> Option<GoErrorKind> {
    let has = |s: &str| line.contains(s);
    if has(": checksum mismatch") {
        let field = |name: &str| {
            after.iter().take(3).find_map(|l| {
                let l = l.trim();
                l.strip_prefix(name).map(|v| v.trim().to_owned())
            })
        };
        let expected_by = after.iter().take(3).find_map(|l| {
            let (who, value) = l.trim().split_once(':')?;
            (who != "downloaded" && value.trim().starts_with("h1:")).then(|| who.to_owned())
        });
        let expected = expected_by
            .as_deref()
            .and_then(|who| field(&format!("{who}:")));
        return Some(GoErrorKind::ChecksumMismatch {
            go_mod: line
                .split(": checksum mismatch")
                .next()
                .is_some_and(|s| s.ends_with("/go.mod")),
            downloaded: field("downloaded:"),
            expected,
            expected_by,
        });
    }
    let kinds: [(&[&str], GoErrorKind); 13] = [
        (&[" requires go >= "], GoErrorKind::NeedsNewerGo),
        (&["zip: not a valid zip file"], GoErrorKind::ZipInvalid),
        (&["dir has been modified"], GoErrorKind::DirModified),
        (&["zip has been modified"], GoErrorKind::ZipModified),
        (&["missing ziphash"], GoErrorKind::MissingZiphash),
        (
            &["module lookup disabled", "disabled by -mod="],
            GoErrorKind::LookupDisabled,
        ),
        (&["missing go.sum entry"], GoErrorKind::MissingGoSumEntry),
        (&["unknown revision"], GoErrorKind::UnknownRevision),
        (
            // go 1.19 prints git's exit status; go 1.22 and later name the protocols it tried.
            &["exit status 128", "no secure protocol found for repository"],
            GoErrorKind::GitFailed,
        ),
        (
            &["module declares its path as"],
            GoErrorKind::DeclaresOtherPath,
        ),
        (
            &[
                "module path must match major version",
                "has post-v1 module path",
                "should be v0 or v1, not",
            ],
            GoErrorKind::WrongMajor,
        ),
        (
            &[
                "404 Not Found",
                "410 Gone",
                "no such file or directory",
                "not found:",
            ],
            GoErrorKind::NotOnProxy,
        ),
        (
            &[
                "dial tcp",
                "no such host",
                "connection refused",
                "i/o timeout",
                "TLS handshake timeout",
                "unrecognized import path",
            ],
            GoErrorKind::Network,
        ),
    ];
    kinds
        .into_iter()
        .find(|(needles, _)| needles.iter().any(|n| has(n)))
        .map(|(_, kind)| kind)
}

/// The module version a line names as the subject of its error.
fn named_key(line: &str) -> Option<ModuleKey> {
    let line = strip_position(line.trim());
    // A path into the download cache names the version exactly.
    if let Some(at) = line.find("/cache/download/") {
        let rest = &line[at + "/cache/download/".len()..];
        if let Some((esc_path, tail)) = rest.split_once("/@v/") {
            let file: String = tail
                .chars()
                .take_while(|c| !c.is_whitespace() && *c != ':')
                .collect();
            let esc_version = [".zip", ".ziphash", ".mod", ".info"]
                .iter()
                .find_map(|ext| file.strip_suffix(ext));
            if let (Ok(path), Some(Ok(version))) =
                (unescape_path(esc_path), esc_version.map(unescape_version))
            {
                return Some(ModuleKey { path, version });
            }
        }
    }
    for prefix in ["go: ", "verifying ", ""] {
        let Some(rest) = line.strip_prefix(prefix) else {
            continue;
        };
        let subject = rest.split(": ").next().unwrap_or("");
        if let Some(key) = at_key(subject).or_else(|| space_key(subject)) {
            return Some(key);
        }
        // `go: M@V requires go >= 1.99 (...)` names the version before a space.
        if let Some(key) = rest
            .split_whitespace()
            .next()
            .filter(|first| first.contains('@'))
            .and_then(at_key)
        {
            return Some(key);
        }
    }
    None
}

/// `M@V` (or `M@V/go.mod`).
fn at_key(text: &str) -> Option<ModuleKey> {
    let text = text.strip_suffix("/go.mod").unwrap_or(text);
    let (path, version) = text.split_once('@')?;
    plausible(path, version)
}

/// `M V` as `go mod verify` and `go: downloading` write it.
fn space_key(text: &str) -> Option<ModuleKey> {
    let mut words = text.split_whitespace();
    let (path, version) = (words.next()?, words.next()?);
    if words.next().is_some() {
        return None;
    }
    plausible(path, version)
}

fn plausible(path: &str, version: &str) -> Option<ModuleKey> {
    let valid = crate::cache::module::check_path(path).is_ok()
        && version.starts_with('v')
        && !version.contains(['/', ' ']);
    valid.then(|| ModuleKey {
        path: path.to_owned(),
        version: version.to_owned(),
    })
}

#[cfg(test)]
mod tests;
