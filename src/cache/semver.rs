//! Go's semantic-version rules, as `golang.org/x/mod/semver` and `module` implement them.
//!
//! The module cache names every entry by a canonical version, and users expect versions in the
//! order the go command prints them. This module parses versions the way Go does (with the
//! `v` prefix, the `vX`/`vX.Y` shorthands and build metadata), computes the canonical form that
//! `module.CanonicalVersion` produces (which keeps `+incompatible`), and orders versions as
//! `semver.Sort` does: by precedence, then by plain string comparison to break ties.
//! It performs no I/O.

use std::cmp::Ordering;

/// A version string split into the parts Go compares.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Parsed<'a> {
    major: &'a str,
    minor: &'a str,
    patch: &'a str,
    /// Prerelease including its leading `-`, or empty.
    prerelease: &'a str,
    /// Build metadata including its leading `+`, or empty.
    build: &'a str,
    /// True when the version was written as `vX` or `vX.Y`.
    short: bool,
}

/// Reports whether `v` is a valid Go semantic version (`vMAJOR[.MINOR[.PATCH[-PRE][+BUILD]]]`).
pub fn is_valid(v: &str) -> bool {
    parse(v).is_some()
}

/// The canonical form of `v` as `module.CanonicalVersion` computes it: shorthands filled in,
/// build metadata dropped except `+incompatible`. `None` when `v` is not valid semver.
pub fn canonical(v: &str) -> Option<String> {
    let p = parse(v)?;
    let mut out = format!("v{}.{}.{}{}", p.major, p.minor, p.patch, p.prerelease);
    if p.build == "+incompatible" {
        out.push_str(p.build);
    }
    Some(out)
}

/// The major version prefix, e.g. `v2` for `v2.1.0`. `None` when `v` is invalid.
pub fn major(v: &str) -> Option<&str> {
    let p = parse(v)?;
    Some(&v[..1 + p.major.len()])
}

/// Reports whether `v` carries `+incompatible` build metadata.
pub fn is_incompatible(v: &str) -> bool {
    parse(v).is_some_and(|p| p.build == "+incompatible")
}

/// The prerelease part of `v` including its leading `-`, or "" when it has none.
pub fn prerelease(v: &str) -> &str {
    parse(v).map_or("", |p| p.prerelease)
}

/// Compares two versions by semver precedence, as `semver.Compare` does: invalid versions sort
/// before valid ones and compare equal to each other; build metadata is ignored.
pub fn compare(a: &str, b: &str) -> Ordering {
    match (parse(a), parse(b)) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Less,
        (Some(_), None) => Ordering::Greater,
        (Some(x), Some(y)) => compare_int(x.major, y.major)
            .then_with(|| compare_int(x.minor, y.minor))
            .then_with(|| compare_int(x.patch, y.patch))
            .then_with(|| compare_prerelease(x.prerelease, y.prerelease)),
    }
}

/// The total order of `semver.Sort`: precedence first, then the plain strings.
pub fn sort_order(a: &str, b: &str) -> Ordering {
    compare(a, b).then_with(|| a.cmp(b))
}

/// Reports whether `v` is a pseudo-version (`module.IsPseudoVersion`).
pub fn is_pseudo(v: &str) -> bool {
    if v.matches('-').count() < 2 || !is_valid(v) {
        return false;
    }
    let pre = prerelease(v);
    // The last two dash-separated fields are a 14-digit timestamp and a revision.
    let Some((head, rev)) = pre.rsplit_once('-') else {
        return false;
    };
    if rev.is_empty() || !rev.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return false;
    }
    let ts = head.rsplit(['-', '.']).next().unwrap_or("");
    ts.len() == 14 && ts.bytes().all(|b| b.is_ascii_digit())
}

fn parse(v: &str) -> Option<Parsed<'_>> {
    let rest = v.strip_prefix('v')?;
    let (major, rest) = take_num(rest)?;
    if rest.is_empty() {
        return Some(Parsed {
            major,
            minor: "0",
            patch: "0",
            prerelease: "",
            build: "",
            short: true,
        });
    }
    let rest = rest.strip_prefix('.')?;
    let (minor, rest) = take_num(rest)?;
    if rest.is_empty() {
        return Some(Parsed {
            major,
            minor,
            patch: "0",
            prerelease: "",
            build: "",
            short: true,
        });
    }
    let rest = rest.strip_prefix('.')?;
    let (patch, mut rest) = take_num(rest)?;
    let mut prerelease = "";
    if rest.starts_with('-') {
        let end = rest.find('+').unwrap_or(rest.len());
        prerelease = &rest[..end];
        if !valid_idents(&prerelease[1..], true) {
            return None;
        }
        rest = &rest[end..];
    }
    let mut build = "";
    if rest.starts_with('+') {
        build = rest;
        if !valid_idents(&build[1..], false) {
            return None;
        }
        rest = "";
    }
    if !rest.is_empty() {
        return None;
    }
    Some(Parsed {
        major,
        minor,
        patch,
        prerelease,
        build,
        short: false,
    })
}

/// Takes a decimal number without leading zeros from the front of `s`.
fn take_num(s: &str) -> Option<(&str, &str)> {
    let end = s
        .bytes()
        .position(|b| !b.is_ascii_digit())
        .unwrap_or(s.len());
    let num = &s[..end];
    if num.is_empty() || (num.len() > 1 && num.starts_with('0')) {
        return None;
    }
    Some((num, &s[end..]))
}

/// Dot-separated non-empty identifiers of `[0-9A-Za-z-]`; numeric prerelease identifiers may not
/// have leading zeros.
fn valid_idents(s: &str, is_prerelease: bool) -> bool {
    s.split('.').all(|id| {
        !id.is_empty()
            && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !(is_prerelease && is_num(id) && id.len() > 1 && id.starts_with('0'))
    })
}

fn is_num(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

fn compare_int(a: &str, b: &str) -> Ordering {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

fn compare_prerelease(a: &str, b: &str) -> Ordering {
    match (a.is_empty(), b.is_empty()) {
        (true, true) => return Ordering::Equal,
        (true, false) => return Ordering::Greater,
        (false, true) => return Ordering::Less,
        (false, false) => {}
    }
    let mut xs = a[1..].split('.');
    let mut ys = b[1..].split('.');
    loop {
        match (xs.next(), ys.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) => {
                let ord = match (is_num(x), is_num(y)) {
                    (true, true) => compare_int(x, y),
                    (true, false) => Ordering::Less,
                    (false, true) => Ordering::Greater,
                    (false, false) => x.cmp(y),
                };
                if ord != Ordering::Equal {
                    return ord;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_fills_shorthands_and_keeps_incompatible() {
        assert_eq!(canonical("v1").as_deref(), Some("v1.0.0"));
        assert_eq!(canonical("v1.2").as_deref(), Some("v1.2.0"));
        assert_eq!(canonical("v1.2.3+meta").as_deref(), Some("v1.2.3"));
        assert_eq!(
            canonical("v2.0.0+incompatible").as_deref(),
            Some("v2.0.0+incompatible")
        );
        assert_eq!(canonical("v1.2-pre"), None);
        assert_eq!(canonical("1.2.3"), None);
        assert_eq!(canonical("v01.2.3"), None);
        assert_eq!(canonical("v1.2.3-01"), None);
    }

    #[test]
    fn pseudo_versions_are_recognised() {
        assert!(is_pseudo("v0.0.0-20190101000000-abcdefabcdef"));
        assert!(is_pseudo("v1.2.4-0.20230105000000-abcdefabcdef"));
        assert!(is_pseudo("v1.2.3-pre.0.20230101000000-abcdefabcdef"));
        assert!(is_pseudo(
            "v2.0.0-0.20200101000000-abcdefabcdef+incompatible"
        ));
        assert!(!is_pseudo("v1.2.3-rc.1"));
        assert!(!is_pseudo("v1.2.3"));
    }

    /// The order `semver.Sort` printed for this list, recorded from a Go program built against
    /// `golang.org/x/mod` (see `../shared/GO_MODCACHE_FORMAT.md` §8). The integration test
    /// `names_go::versions_sort_as_go_sorts_them` re-asks a live go for a larger list.
    #[test]
    fn sorting_matches_the_order_recorded_from_go() {
        let go_order = [
            "1.2.3",
            "v01.2.3",
            "v1.2.3-01",
            "v0.0.0-20190101000000-abcdefabcdef",
            "v0.0.0",
            "v0.0.1",
            "v1",
            "v1.2",
            "v1.2.3-0.1",
            "v1.2.3-RC1",
            "v1.2.3-alpha",
            "v1.2.3-alpha.1",
            "v1.2.3-alpha.beta",
            "v1.2.3-beta",
            "v1.2.3-pre.0.20230101000000-abcdefabcdef",
            "v1.2.3-rc.1",
            "v1.2.3-rc.2",
            "v1.2.3-rc.11",
            "v1.2.3",
            "v1.2.3+meta",
            "v1.2.4-0.20230105000000-abcdefabcdef",
            "v1.2.4-0.20230106000000-000000000000",
            "v1.2.4-rc1",
            "v1.2.4",
            "v1.10.0",
            "v2.0.0-0.20200101000000-abcdefabcdef+incompatible",
            "v2.0.0",
            "v2.0.0+incompatible",
        ];
        let mut shuffled = go_order.to_vec();
        shuffled.reverse();
        shuffled.swap(3, 17);
        shuffled.sort_by(|a, b| sort_order(a, b));
        assert_eq!(shuffled, go_order);
    }

    #[test]
    fn major_of_versions() {
        assert_eq!(major("v2.1.0"), Some("v2"));
        assert_eq!(major("v10.0.0+incompatible"), Some("v10"));
        assert_eq!(major("x"), None);
    }
}
