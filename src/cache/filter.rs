//! Selecting module versions by a user's text: a substring, or a glob when it has `*?[`.
//!
//! A glob is matched against the whole module path, or against `path@version` when it contains
//! `@`. `*` matches any run of characters, slashes included, so `github.com/acme/*` selects every
//! module of that owner. A malformed glob (an unclosed `[`) is an error, never "match all".

use std::fmt;

use crate::cache::ModuleKey;

/// A compiled filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Filter {
    /// Case-insensitive substring of `path@version`.
    Substring(String),
    /// Exactly this module path, any version.
    Path(String),
    /// Exactly this `path@version`.
    PathVersion(String, String),
    /// A glob over the path, or over `path@version` when it contains `@`.
    Glob(Vec<Token>),
}

/// One element of a glob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Token {
    /// A literal character.
    Char(char),
    /// `?`: any one character.
    AnyChar,
    /// `*`: any run of characters.
    AnyRun,
    /// `[...]` or `[!...]`: a set of ranges, possibly negated.
    Class {
        negated: bool,
        ranges: Vec<(char, char)>,
    },
}

/// Why a filter text could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterError {
    text: String,
    reason: &'static str,
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
        let err = |reason| FilterError {
            text: text.to_owned(),
            reason,
        };
        if text.trim().is_empty() {
            return Err(err("empty pattern"));
        }
        if !text.contains(['*', '?', '[']) {
            return Ok(Filter::Substring(text.to_lowercase()));
        }
        let mut tokens = Vec::new();
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            tokens.push(match c {
                '*' => Token::AnyRun,
                '?' => Token::AnyChar,
                '\\' => Token::Char(chars.next().ok_or_else(|| err("trailing backslash"))?),
                '[' => {
                    let negated = chars.next_if(|&c| c == '!' || c == '^').is_some();
                    let mut ranges = Vec::new();
                    loop {
                        let lo = chars.next().ok_or_else(|| err("unclosed ["))?;
                        if lo == ']' && !ranges.is_empty() {
                            break;
                        }
                        let hi = if chars.next_if_eq(&'-').is_some() {
                            chars.next().ok_or_else(|| err("unclosed ["))?
                        } else {
                            lo
                        };
                        if hi < lo {
                            return Err(err("range out of order in [...]"));
                        }
                        ranges.push((lo, hi));
                    }
                    Token::Class { negated, ranges }
                }
                c => Token::Char(c),
            });
        }
        Ok(Filter::Glob(tokens))
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
            Filter::Glob(tokens) => {
                let wants_version = tokens.contains(&Token::Char('@'));
                let subject = if wants_version {
                    key.to_string()
                } else {
                    key.path.clone()
                };
                let subject: Vec<char> = subject.chars().collect();
                glob_match(tokens, &subject)
            }
        }
    }
}

fn glob_match(tokens: &[Token], s: &[char]) -> bool {
    // Iterative matching with backtracking to the last `*`, linear in practice.
    let (mut t, mut i) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while i < s.len() {
        match tokens.get(t) {
            Some(Token::AnyRun) => {
                star = Some((t, i));
                t += 1;
                continue;
            }
            Some(tok) if single_matches(tok, s[i]) => {
                t += 1;
                i += 1;
                continue;
            }
            _ => {}
        }
        match star {
            Some((st, si)) => {
                t = st + 1;
                i = si + 1;
                star = Some((st, si + 1));
            }
            None => return false,
        }
    }
    tokens[t..].iter().all(|tok| *tok == Token::AnyRun)
}

fn single_matches(tok: &Token, c: char) -> bool {
    match tok {
        Token::Char(x) => *x == c,
        Token::AnyChar => true,
        Token::AnyRun => false,
        Token::Class { negated, ranges } => {
            ranges.iter().any(|&(lo, hi)| lo <= c && c <= hi) != *negated
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
