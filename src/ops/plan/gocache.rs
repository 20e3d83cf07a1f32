//! The build cache's cleaning plan: which files go, why, and how many bytes that frees.
//!
//! Each rule adds what it selects, each file once. A unit is an output with every action
//! entry that names it; its last use is the latest of their mtimes. `older_than` takes units
//! unused that long, `max_size` the least recently used units until the cache fits, `broken`
//! what `gocache verify` would delete, `orphans` outputs no entry names. Action entries come
//! before their outputs, so that a go build running meanwhile sees a miss.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::{Duration, SystemTime};

use crate::cache::gocache::scan::BuildSnapshot;
use crate::ops::gocache::{Unit, units};
use crate::ops::pools::Pools;

/// What to select: any combination, at least one.
#[derive(Debug, Default, Clone, Copy)]
pub struct BuildCleanRules {
    /// Units unused for longer than this.
    pub older_than: Option<Duration>,
    /// The least recently used units until the cache's bytes on disk are at most this.
    pub max_size: Option<u64>,
    /// What `gocache verify` finds broken.
    pub broken: bool,
    /// Outputs no action entry names.
    pub orphans: bool,
}

impl BuildCleanRules {
    /// Whether any rule is set.
    pub fn any(&self) -> bool {
        self.older_than.is_some() || self.max_size.is_some() || self.broken || self.orphans
    }
}

/// Files deleted together, and why.
#[derive(Debug, Clone)]
pub struct BuildCleanItem {
    /// The rule's word: a problem's name, "orphan", "unused" or "least recently used".
    pub why: String,
    /// Paths relative to the cache root, action entries first.
    pub paths: Vec<String>,
    /// Their bytes on disk.
    pub bytes: u64,
}

/// The plan: items in the order they are deleted.
#[derive(Debug, Default)]
pub struct BuildCleanPlan {
    /// What goes.
    pub items: Vec<BuildCleanItem>,
    /// The cache's bytes on disk when planned.
    pub cache_bytes: u64,
    taken: BTreeSet<String>,
}

impl BuildCleanPlan {
    /// Plans a cleaning of the scanned cache at `root`. `broken` and `orphans` verify the
    /// cache first, on the hashing pool.
    pub fn new(
        pools: &Pools,
        root: &Path,
        snapshot: &BuildSnapshot,
        rules: &BuildCleanRules,
        now: SystemTime,
    ) -> Self {
        let mut plan = BuildCleanPlan {
            cache_bytes: snapshot.total().disk,
            ..Default::default()
        };
        if rules.broken || rules.orphans {
            let checked = crate::ops::gocache::verify(pools, root, snapshot, &|_, _| {});
            let disk = snapshot.disk_by_path();
            let bytes = |paths: &[String]| paths.iter().filter_map(|p| disk.get(p)).sum::<u64>();
            if rules.broken {
                for p in &checked.verdict.problems {
                    plan.take(p.kind.name(), &p.delete, bytes(&p.delete));
                }
            }
            if rules.orphans {
                for o in &checked.verdict.orphans {
                    let paths = [o.clone()];
                    plan.take("orphan", &paths, bytes(&paths));
                }
            }
        }
        let all = units(snapshot);
        if let Some(age) = rules.older_than {
            for u in &all {
                if u.used
                    .is_some_and(|t| now.duration_since(t).unwrap_or_default() > age)
                {
                    plan.take("unused", &u.paths, u.bytes);
                }
            }
        }
        if let Some(max) = rules.max_size {
            let mut lru: Vec<&Unit> = all.iter().collect();
            lru.sort_by_key(|u| u.used);
            let mut left = plan.cache_bytes.saturating_sub(plan.bytes());
            for u in lru {
                if left <= max {
                    break;
                }
                if u.paths.iter().all(|p| !plan.taken.contains(p)) {
                    left = left.saturating_sub(u.bytes);
                    plan.take("least recently used", &u.paths, u.bytes);
                }
            }
        }
        plan
    }

    fn take(&mut self, why: &str, paths: &[String], bytes: u64) {
        let fresh: Vec<String> = paths
            .iter()
            .filter(|p| !self.taken.contains(*p))
            .cloned()
            .collect();
        if !fresh.is_empty() {
            self.taken.extend(fresh.iter().cloned());
            self.items.push(BuildCleanItem {
                why: why.to_owned(),
                paths: fresh,
                bytes,
            });
        }
    }

    /// The bytes the plan frees.
    pub fn bytes(&self) -> u64 {
        self.items.iter().map(|i| i.bytes).sum()
    }

    /// The files the plan deletes.
    pub fn files(&self) -> usize {
        self.items.iter().map(|i| i.paths.len()).sum()
    }

    /// Carries the plan out, each item on its own (the delete is `fix::gocache`, action
    /// entries first): the files removed, and each failed item's error.
    pub fn execute(&self, root: &Path) -> (u64, Vec<String>) {
        let units: Vec<Vec<String>> = self.items.iter().map(|i| i.paths.clone()).collect();
        crate::ops::gocache::delete_units(root, &units)
    }
}
