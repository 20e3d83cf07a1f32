//! Selecting module versions by a user's text: a substring, or a glob when it has `*?[`.
//!
//! A glob is matched against the whole module path, or against `path@version` when it contains
//! `@`. `*` matches any run of characters, slashes included, so `github.com/acme/*` selects every
//! module of that owner (`globset`, with its separator rule off: module paths are names, not
//! file paths). A malformed glob (an unclosed `[`) is an error, never "match all".

use std::fmt;

use globset::{GlobBuilder, GlobMatcher};

use crate::cache::ModuleKey;

/// A compiled filter.
#[derive(Debug, Clone)]
pub enum Filter {
    /// Case-insensitive substring of `path@version`.
    Substring(String),
    /// Exactly this module path, any version.
    Path(String),
    /// Exactly this `path@version`.
    PathVersion(String, String),
    /// A glob over the path, or over `path@version` when it contains `@`.
    Glob {
        /// The glob as given.
        text: String,
        /// It compiled.
        matcher: GlobMatcher,
    },
}

impl PartialEq for Filter {
    fn eq(&self, other: &Filter) -> bool {
        match (self, other) {
            (Filter::Substring(a), Filter::Substring(b)) | (Filter::Path(a), Filter::Path(b)) => {
                a == b
            }
            (Filter::PathVersion(a, x), Filter::PathVersion(b, y)) => a == b && x == y,
            (Filter::Glob { text: a, .. }, Filter::Glob { text: b, .. }) => a == b,
            _ => false,
        }
    }
}

impl Eq for Filter {}

/// Why a filter text could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterError {
    text: String,
    reason: String,
}

impl fmt::Display for FilterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid pattern {:?}: {}", self.text, self.reason)
    }
}

impl std::error::Error for FilterError {}

impl Filter {
    /// Compiles `text`. Empty text is an error: it would select everything by accident.
    pub fn parse(text: &str) -> Result<Filter, FilterError> {
        let err = |reason: String| FilterError {
            text: text.to_owned(),
            reason,
        };
        if text.trim().is_empty() {
            return Err(err("empty pattern".into()));
        }
        if !text.contains(['*', '?', '[']) {
            return Ok(Filter::Substring(text.to_lowercase()));
        }
        let glob = GlobBuilder::new(text)
            .literal_separator(false)
            .backslash_escape(true)
            .build()
            .map_err(|e| err(e.kind().to_string()))?;
        Ok(Filter::Glob {
            text: text.to_owned(),
            matcher: glob.compile_matcher(),
        })
    }

    /// Compiles every command-line PATTERN (see [`Filter::parse_pattern`]).
    pub fn parse_patterns(texts: &[String]) -> Result<Vec<Filter>, FilterError> {
        texts.iter().map(|t| Filter::parse_pattern(t)).collect()
    }

    /// Compiles a command-line PATTERN: a glob as in [`Filter::parse`], otherwise an exact
    /// module path or `path@version`.
    pub fn parse_pattern(text: &str) -> Result<Filter, FilterError> {
        match Filter::parse(text)? {
            Filter::Substring(_) => Ok(match text.split_once('@') {
                Some((path, version)) => Filter::PathVersion(path.to_owned(), version.to_owned()),
                None => Filter::Path(text.to_owned()),
            }),
            glob => Ok(glob),
        }
    }

    /// Reports whether the module version matches.
    pub fn matches(&self, key: &ModuleKey) -> bool {
        match self {
            Filter::Substring(needle) => {
                key.path.to_lowercase().contains(needle.as_str())
                    || key.to_string().to_lowercase().contains(needle.as_str())
            }
            Filter::Path(path) => key.path == *path,
            Filter::PathVersion(path, version) => key.path == *path && key.version == *version,
            Filter::Glob { text, matcher } => {
                if text.contains('@') {
                    matcher.is_match(key.to_string())
                } else {
                    matcher.is_match(&key.path)
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(path: &str, version: &str) -> ModuleKey {
        ModuleKey {
            path: path.into(),
            version: version.into(),
        }
    }

    #[test]
    fn substrings_ignore_case() {
        let f = Filter::parse("mixedcase").unwrap();
        assert!(f.matches(&key("example.com/MixedCase", "v1.2.3")));
        assert!(
            Filter::parse("case@v1.2")
                .unwrap()
                .matches(&key("example.com/MixedCase", "v1.2.3"))
        );
        assert!(!f.matches(&key("example.com/other", "v1.2.3")));
    }

    #[test]
    fn globs_match_paths_or_path_at_version() {
        let k = key("github.com/acme/widget", "v1.2.3");
        assert!(Filter::parse("github.com/acme/*").unwrap().matches(&k));
        assert!(Filter::parse("*/widget").unwrap().matches(&k));
        assert!(!Filter::parse("*/widg").unwrap().matches(&k));
        assert!(Filter::parse("*widget@v1.*").unwrap().matches(&k));
        assert!(!Filter::parse("*widget@v2.*").unwrap().matches(&k));
        assert!(
            Filter::parse("github.com/[a-c]cme/w?dget")
                .unwrap()
                .matches(&k)
        );
        assert!(!Filter::parse("github.com/[!a]cme/*").unwrap().matches(&k));
    }

    #[test]
    fn command_line_patterns_are_exact_unless_globs() {
        let k = key("example.com/a", "v1.0.0");
        assert!(Filter::parse_pattern("example.com/a").unwrap().matches(&k));
        assert!(!Filter::parse_pattern("example.com/").unwrap().matches(&k));
        assert!(
            Filter::parse_pattern("example.com/a@v1.0.0")
                .unwrap()
                .matches(&k)
        );
        assert!(
            !Filter::parse_pattern("example.com/a@v1.0.1")
                .unwrap()
                .matches(&k)
        );
        assert!(Filter::parse_pattern("example.com/*").unwrap().matches(&k));
    }

    #[test]
    fn malformed_patterns_are_errors() {
        assert!(Filter::parse("").is_err());
        assert!(Filter::parse("  ").is_err());
        assert!(Filter::parse("github.com/[abc").is_err());
        assert!(Filter::parse("x*\\").is_err());
        assert!(Filter::parse("[z-a]").is_err());
    }
}
