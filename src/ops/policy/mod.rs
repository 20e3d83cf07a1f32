//! Cleaning policies: which module versions a rule selects.
//!
//! The same pure functions back the TUI's rule-based marks and the CLI's cleaning options, so a
//! rule means the same thing everywhere; [`Policy`] is a rule as a value. Nothing here touches
//! the disk. A new policy is a [`Policy`] variant (and a [`PolicyKind`] when the explorer
//! has a key for it), its flag in `cli/args.rs`, and its key in `tui/keymap.rs`.

mod rule;

pub use rule::{Facts, Policy, PolicyKind};

use std::collections::{BTreeMap, HashSet};
use std::time::{Duration, SystemTime};

use crate::cache::{Kind, ModuleEntry, ModuleKey, gover, semver};

/// All but the newest `keep` versions of each module, "newest" as go's `@latest` means it:
/// releases rank above prereleases, and prereleases above pseudo-versions, then semver order.
/// A prerelease or pseudo-version newer than the newest kept release is kept too: someone is
/// testing it. `keep` is at least 1 (the CLI refuses 0).
pub fn all_but_newest(entries: &[ModuleEntry], keep: usize) -> Vec<ModuleKey> {
    let mut by_path: BTreeMap<&str, Vec<&ModuleKey>> = BTreeMap::new();
    for e in entries {
        by_path.entry(&e.key.path).or_default().push(&e.key);
    }
    let class = |v: &str| {
        if semver::is_pseudo(v) {
            0
        } else if !semver::prerelease(v).is_empty() {
            1
        } else {
            2
        }
    };
    let mut out = Vec::new();
    for versions in by_path.values_mut() {
        versions.sort_by(|a, b| {
            class(&b.version)
                .cmp(&class(&a.version))
                .then_with(|| semver::sort_order(&b.version, &a.version))
        });
        let kept = &versions[..keep.min(versions.len())];
        let newest_kept_release = kept
            .iter()
            .filter(|k| class(&k.version) == 2)
            .map(|k| k.version.as_str())
            .max_by(|a, b| semver::compare(a, b));
        out.extend(
            versions
                .iter()
                .skip(keep)
                .filter(|k| {
                    let testing = class(&k.version) < 2
                        && newest_kept_release
                            .is_some_and(|r| semver::compare(&k.version, r).is_gt());
                    !testing
                })
                .map(|k| (*k).clone()),
        );
    }
    out
}

/// Versions whose time (downloaded or last used) is older than `age` before `now`. Versions
/// without that time are not selected: unknown is not old.
pub fn older_than(
    entries: &[ModuleEntry],
    age: Duration,
    now: SystemTime,
    by: TimeBasis,
) -> Vec<ModuleKey> {
    let cutoff = now.checked_sub(age).unwrap_or(SystemTime::UNIX_EPOCH);
    entries
        .iter()
        .filter(|e| by.time_of(e).is_some_and(|t| t < cutoff))
        .map(|e| e.key.clone())
        .collect()
}

/// Which time `older_than` looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TimeBasis {
    /// When go downloaded the version.
    #[default]
    Downloaded,
    /// When go last read its `.mod`.
    LastUsed,
}

impl TimeBasis {
    fn time_of(self, e: &ModuleEntry) -> Option<SystemTime> {
        match self {
            TimeBasis::Downloaded => e.downloaded,
            TimeBasis::LastUsed => e.last_used,
        }
    }
}

/// Versions no go.sum line names.
pub fn unreferenced<'a>(
    entries: &[ModuleEntry],
    referenced: impl IntoIterator<Item = &'a ModuleKey>,
) -> Vec<ModuleKey> {
    let referenced: HashSet<&ModuleKey> = referenced.into_iter().collect();
    entries
        .iter()
        .filter(|e| !referenced.contains(&e.key))
        .map(|e| e.key.clone())
        .collect()
}

/// All toolchains but the newest for each platform, in go's own order (`gover`:
/// go1.23rc1 < go1.23.4 < go1.23.10, which semver gets wrong).
pub fn old_toolchains(entries: &[ModuleEntry]) -> Vec<ModuleKey> {
    let mut by_platform: BTreeMap<&str, Vec<(&str, &ModuleKey)>> = BTreeMap::new();
    for e in entries.iter().filter(|e| e.kind == Kind::Toolchain) {
        if let Some((go, platform)) = gover::toolchain(&e.key.version) {
            by_platform.entry(platform).or_default().push((go, &e.key));
        }
    }
    let mut out = Vec::new();
    for versions in by_platform.values_mut() {
        versions.sort_by(|a, b| gover::compare(b.0, a.0));
        out.extend(versions.iter().skip(1).map(|(_, key)| (*key).clone()));
    }
    out
}

/// Why `old_toolchains` keeps the toolchain `version`: the newest for its platform, and
/// whether this machine runs that platform.
pub fn toolchain_kept_because(version: &str) -> Option<String> {
    let (go, platform) = gover::toolchain(version)?;
    let runs = if platform == gover::this_platform() {
        ", the platform this machine runs"
    } else {
        ""
    };
    Some(format!(
        "go{go} is the newest toolchain for {platform}{runs}"
    ))
}

/// Least recently used versions to remove until the cache fits in `max_bytes`, given its
/// current size. Versions never used sort first, then by last use, then by download time.
pub fn to_fit(entries: &[ModuleEntry], current_bytes: u64, max_bytes: u64) -> Vec<ModuleKey> {
    let mut order: Vec<&ModuleEntry> = entries.iter().collect();
    order.sort_by_key(|e| (e.last_used.or(e.downloaded), e.downloaded));
    let mut size = current_bytes;
    let mut out = Vec::new();
    for e in order {
        if size <= max_bytes {
            break;
        }
        size = size.saturating_sub(e.usage().disk);
        out.push(e.key.clone());
    }
    out
}

/// Orders times oldest first, unknown times before all known ones (for "age" sorts).
pub fn oldest_first(a: Option<SystemTime>, b: Option<SystemTime>) -> std::cmp::Ordering {
    match (a, b) {
        (Some(a), Some(b)) => a.cmp(&b),
        (None, Some(_)) => std::cmp::Ordering::Less,
        (Some(_), None) => std::cmp::Ordering::Greater,
        (None, None) => std::cmp::Ordering::Equal,
    }
}

/// A rule's value that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadValue {
    /// Not a duration with a unit.
    #[error("invalid duration {0:?}: use a number and a unit, e.g. 30d, 12h, 2w, 6mo, 1y")]
    Duration(String),
    /// `m`, which reads as minutes or months.
    #[error(
        "invalid duration {0:?}: \"m\" reads two ways; did you mean {1}mo (months) or {1}min (minutes)?"
    )]
    AmbiguousMinutes(String, u64),
    /// A zero duration, which would select everything.
    #[error("invalid duration {0:?}: must be more than zero")]
    ZeroDuration(String),
    /// Not a size.
    #[error("invalid size {0:?}: use a number with an optional unit, e.g. 500M, 10G")]
    Size(String),
}

/// Parses a duration such as `30d`, `12h`, `2w`, `90min`, `6mo` or `1y`. Zero, negative,
/// unit-less, unknown or ambiguous values (`m`: minutes or months?) are errors, never
/// "everything".
pub fn parse_duration(text: &str) -> Result<Duration, BadValue> {
    let err = || BadValue::Duration(text.to_owned());
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).ok_or_else(err)?;
    let (num, unit) = text.split_at(split);
    let n: u64 = num.parse().map_err(|_| err())?;
    if n == 0 {
        return Err(BadValue::ZeroDuration(text.to_owned()));
    }
    let secs = match unit {
        "s" => 1,
        "m" => return Err(BadValue::AmbiguousMinutes(text.to_owned(), n)),
        "min" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        "mo" => 30 * 86_400,
        "y" => 365 * 86_400,
        _ => return Err(err()),
    };
    n.checked_mul(secs).map(Duration::from_secs).ok_or_else(err)
}

/// Parses a size such as `10G`, `500MiB`, `1.5GB` or `123456`. Units are binary (K = 1024).
pub fn parse_size(text: &str) -> Result<u64, BadValue> {
    let err = || BadValue::Size(text.to_owned());
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (num, unit) = text.split_at(split);
    let n: f64 = num.parse().map_err(|_| err())?;
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        "t" | "tb" | "tib" => 1 << 40,
        _ => return Err(err()),
    };
    let bytes = n * mult as f64;
    if !bytes.is_finite() || bytes < 0.0 || bytes > u64::MAX as f64 {
        return Err(err());
    }
    Ok(bytes as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry_of(path: &str, version: &str) -> ModuleEntry {
        ModuleEntry {
            key: ModuleKey {
                path: path.into(),
                version: version.into(),
            },
            kind: Kind::Module,
            pieces: crate::cache::Pieces::default(),
            tree: crate::cache::Usage::default(),
            zip: crate::cache::Usage::default(),
            rest: crate::cache::Usage::default(),
            downloaded: None,
            last_used: None,
            published: None,
            origin: None,
            info_error: None,
            scan_error: None,
            unusable: None,
            piece_usage: [crate::cache::Usage::default(); 6],
            fingerprint: None,
        }
    }

    #[test]
    fn newest_is_what_go_calls_latest_and_newer_prereleases_are_kept() {
        let entries: Vec<ModuleEntry> = [
            "v1.0.0",
            "v1.1.0",
            "v1.2.0-rc.1",
            "v1.1.1-0.20240101000000-abcdefabcdef",
            "v1.0.1-0.20230101000000-abcdefabcdef",
            "v0.9.0-beta",
        ]
        .iter()
        .map(|v| entry_of("example.com/m", v))
        .collect();
        let mut gone: Vec<String> = all_but_newest(&entries, 1)
            .into_iter()
            .map(|k| k.version)
            .collect();
        gone.sort();
        // v1.1.0 is the newest release; the rc and the pseudo-version above it are tested.
        assert_eq!(
            gone,
            [
                "v0.9.0-beta",
                "v1.0.0",
                "v1.0.1-0.20230101000000-abcdefabcdef"
            ]
        );
        let only_prereleases: Vec<ModuleEntry> =
            ["v0.1.0-rc.1", "v0.0.0-20230101000000-abcdefabcdef"]
                .iter()
                .map(|v| entry_of("example.com/p", v))
                .collect();
        let gone = all_but_newest(&only_prereleases, 1);
        assert_eq!(gone.len(), 1);
        assert!(
            semver::is_pseudo(&gone[0].version),
            "a prerelease beats a pseudo-version"
        );
    }

    #[test]
    fn durations_parse_and_reject_nonsense() {
        assert_eq!(parse_duration("30d"), Ok(Duration::from_secs(30 * 86_400)));
        assert_eq!(parse_duration("2w"), Ok(Duration::from_secs(14 * 86_400)));
        assert_eq!(parse_duration("6mo"), Ok(Duration::from_secs(180 * 86_400)));
        assert_eq!(parse_duration("90min"), Ok(Duration::from_secs(90 * 60)));
        assert_eq!(
            parse_duration("1m"),
            Err(BadValue::AmbiguousMinutes("1m".into(), 1))
        );
        for bad in [
            "",
            "30",
            "d",
            "0d",
            "-3d",
            "3 days",
            "1.5d",
            "99999999999999999999y",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn sizes_parse_and_reject_nonsense() {
        assert_eq!(parse_size("10G"), Ok(10 << 30));
        assert_eq!(parse_size("500MiB"), Ok(500 << 20));
        assert_eq!(parse_size("1.5k"), Ok(1536));
        assert_eq!(parse_size("123"), Ok(123));
        for bad in ["", "G", "10X", "-5G", "1e99T", "ten"] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
    }
}
