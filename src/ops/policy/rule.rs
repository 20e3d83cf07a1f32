//! A cleaning rule as a value: `clean` builds them from its flags, the explorer from its keys,
//! and both apply them the same way. Rules narrow each other: a version goes only if every
//! rule given selects it.

use std::collections::HashSet;
use std::time::{Duration, SystemTime};

use super::TimeBasis;
use crate::cache::{Kind, ModuleEntry, ModuleKey};

/// One rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    /// Versions downloaded (or last used) longer ago than `age`.
    OlderThan {
        /// How old.
        age: Duration,
        /// Which time counts.
        by: TimeBasis,
    },
    /// All but the newest N versions of each module (N ≥ 1).
    KeepLatest(usize),
    /// Versions no go.sum line of the projects names.
    Unused,
    /// All toolchains but the newest for each platform.
    Toolchains,
    /// Versions whose own files are broken.
    Broken,
    /// The least recently used of what the other rules chose, until the cache fits in this
    /// many bytes; applied last.
    MaxSize(u64),
}

/// What rules look at.
pub struct Facts<'a> {
    /// Every version in the cache.
    pub entries: &'a [ModuleEntry],
    /// The versions the projects' go.sum files name.
    pub referenced: HashSet<&'a ModuleKey>,
    /// The versions found broken.
    pub broken: &'a HashSet<ModuleKey>,
    /// The time "older than" counts from.
    pub now: SystemTime,
    /// The cache's size before the rule removes anything (the trash already emptied).
    pub bytes: u64,
}

impl Policy {
    /// Narrows `candidates` to the versions this rule selects; `notes` hears what the rule
    /// keeps on purpose, and why.
    pub fn narrow(
        &self,
        facts: &Facts<'_>,
        candidates: &mut Vec<&ModuleEntry>,
        notes: &mut Vec<String>,
    ) {
        let selected: Vec<ModuleKey> = match *self {
            Policy::OlderThan { age, by } => super::older_than(facts.entries, age, facts.now, by),
            Policy::KeepLatest(n) => super::all_but_newest(facts.entries, n),
            Policy::Unused => super::unreferenced(facts.entries, facts.referenced.iter().copied()),
            Policy::Toolchains => {
                let old = super::old_toolchains(facts.entries);
                let toolchains = facts.entries.iter().filter(|e| e.kind == Kind::Toolchain);
                for e in toolchains.filter(|e| !old.contains(&e.key)) {
                    if let Some(why) = super::toolchain_kept_because(&e.key.version) {
                        notes.push(format!("keeps {}: {why}", e.key));
                    }
                }
                old
            }
            Policy::Broken => facts.broken.iter().cloned().collect(),
            Policy::MaxSize(max) => {
                let pool: Vec<ModuleEntry> = candidates.iter().map(|e| (*e).clone()).collect();
                super::to_fit(&pool, facts.bytes, max)
            }
        };
        let selected: HashSet<ModuleKey> = selected.into_iter().collect();
        candidates.retain(|e| selected.contains(&e.key));
    }

    /// Whether the versions that kept versions need stay. Every rule but `Broken` keeps them:
    /// go cannot use a broken version as it is.
    pub fn keeps_what_is_needed(&self) -> bool {
        *self != Policy::Broken
    }

    /// The size the cache must fit in, for `MaxSize`.
    pub fn budget(&self) -> Option<u64> {
        match *self {
            Policy::MaxSize(max) => Some(max),
            _ => None,
        }
    }
}

/// A rule the explorer applies from a key, asking for its number first when it has one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyKind {
    /// [`Policy::KeepLatest`].
    KeepLatest,
    /// [`Policy::OlderThan`] by download time, in days.
    OlderThanDays,
    /// [`Policy::Unused`].
    Unused,
    /// [`Policy::Broken`].
    Broken,
}

impl PolicyKind {
    /// The question for its number, and the suggested answer; `None` when it has no number.
    pub fn question(self) -> Option<(&'static str, &'static str)> {
        match self {
            PolicyKind::KeepLatest => {
                Some(("Mark all but the newest N versions of each module. N:", "1"))
            }
            PolicyKind::OlderThanDays => {
                Some(("Mark versions downloaded more than N days ago. N:", "90"))
            }
            PolicyKind::Unused | PolicyKind::Broken => None,
        }
    }

    /// The rule with the number `n` (ignored when it has none), and what it marks, for the
    /// status line; or why `n` cannot be used.
    pub fn with(self, n: u64) -> Result<(Policy, String), String> {
        match self {
            PolicyKind::KeepLatest if n == 0 => {
                Err("keep at least 1 version of each module".into())
            }
            PolicyKind::KeepLatest => Ok((
                Policy::KeepLatest(usize::try_from(n).unwrap_or(usize::MAX)),
                format!("beyond the newest {n} of each module"),
            )),
            PolicyKind::OlderThanDays if n == 0 => Err("give a number of days above zero".into()),
            PolicyKind::OlderThanDays => Ok((
                Policy::OlderThan {
                    age: Duration::from_secs(n.saturating_mul(86_400)),
                    by: TimeBasis::Downloaded,
                },
                format!("downloaded more than {n} days ago"),
            )),
            PolicyKind::Unused => Ok((Policy::Unused, "not referenced by the projects".into())),
            PolicyKind::Broken => Ok((Policy::Broken, "with problems".into())),
        }
    }

    /// Whether it needs `--project`.
    pub fn needs_projects(self) -> bool {
        self == PolicyKind::Unused
    }
}
