//! The module graph that kept versions need: what a cleaning policy must not take away.
//!
//! go builds a module's dependency graph from the cached go.mod files (`@v/<v>.mod`) and then
//! needs the source (zip and tree) only of the version it selects for each module path, the
//! highest in the graph (minimal version selection). A version that a kept version's graph
//! reaches therefore stays: whole when go may select it, and as `.mod` and `.info` alone when
//! a higher version of its path is certainly in the same graph, as go itself caches the
//! versions it only reads for the graph.
//!
//! "Certainly" follows go's graph pruning (`modload/buildlist.go`): a consumer that requires a
//! kept version always loads that version's own requirements; it loads their requirements in
//! turn only when the kept version's go.mod says `go` below 1.17 (an unpruned module). The
//! reach is the full transitive closure, a superset of anything go may load.

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::cache::read::{cap, read_text};
use crate::cache::{ModCache, ModuleEntry, ModuleKey, VersionFile, gomod, gover, semver};

/// Why a version that a policy selected stays, and how much of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Need {
    /// The kept version whose graph reaches it (the first one found).
    pub by: ModuleKey,
    /// Whether go may select it and so needs its source; `false` when only its `.mod` (and
    /// `.info`) are needed.
    pub source: bool,
}

/// Work beyond which the graph is not walked per kept version; every needed version then
/// stays whole, which is always safe.
const MAX_STEPS: usize = 5_000_000;

/// The versions in `selected` that a version outside it (a kept one) needs to build offline,
/// each with the kept version that needs it and whether its source is needed.
pub fn needed_by_kept(
    cache: &ModCache,
    entries: &[ModuleEntry],
    selected: &[ModuleKey],
) -> BTreeMap<ModuleKey, Need> {
    let in_cache: HashSet<&ModuleKey> = entries.iter().map(|e| &e.key).collect();
    let selected: HashSet<&ModuleKey> = selected.iter().collect();
    let mut mods = GoMods {
        cache,
        read: HashMap::new(),
    };
    let mut needed: BTreeMap<ModuleKey, Need> = BTreeMap::new();
    let mut steps = 0usize;
    for root in entries.iter().filter(|e| !selected.contains(&e.key)) {
        let reach = mods.closure(&root.key, &in_cache, &mut steps);
        let reached: Vec<&ModuleKey> = reach.iter().filter(|k| selected.contains(k)).collect();
        if reached.is_empty() {
            continue;
        }
        let certain = if mods.get(&root.key).pruned {
            let mut direct: HashSet<ModuleKey> =
                mods.get(&root.key).requires.clone().into_iter().collect();
            direct.insert(root.key.clone());
            direct
        } else {
            reach.clone()
        };
        for key in reached {
            let source = steps > MAX_STEPS || !has_higher(&certain, key);
            let need = needed.entry(key.clone()).or_insert_with(|| Need {
                by: root.key.clone(),
                source,
            });
            if source && !need.source {
                *need = Need {
                    by: root.key.clone(),
                    source,
                };
            }
        }
    }
    needed
}

/// Whether `versions` holds a version of `key`'s path above `key`'s.
fn has_higher(versions: &HashSet<ModuleKey>, key: &ModuleKey) -> bool {
    versions.iter().any(|other| {
        other.path == key.path
            && semver::sort_order(&other.version, &key.version) == std::cmp::Ordering::Greater
    })
}

/// A cached go.mod, as much as the graph needs of it.
#[derive(Debug, Clone, Default)]
struct GoMod {
    requires: Vec<ModuleKey>,
    /// `go 1.17` or later: a consumer does not load its requirements' requirements.
    pruned: bool,
}

/// The cached go.mod files, each read once.
struct GoMods<'a> {
    cache: &'a ModCache,
    read: HashMap<ModuleKey, GoMod>,
}

impl GoMods<'_> {
    fn get(&mut self, key: &ModuleKey) -> &GoMod {
        let cache = self.cache;
        self.read
            .entry(key.clone())
            .or_insert_with(|| read_go_mod(cache, key))
    }

    /// Every version reachable from `root` through `require` lines, `root` included; versions
    /// not in the cache are in the set but not followed. Past [`MAX_STEPS`] in all, the walk
    /// stops following (and the caller keeps every needed version whole).
    fn closure(
        &mut self,
        root: &ModuleKey,
        in_cache: &HashSet<&ModuleKey>,
        steps: &mut usize,
    ) -> HashSet<ModuleKey> {
        let mut seen = HashSet::new();
        let mut stack = vec![root.clone()];
        while let Some(key) = stack.pop() {
            if *steps > MAX_STEPS || !seen.insert(key.clone()) || !in_cache.contains(&key) {
                continue;
            }
            *steps += 1;
            stack.extend(self.get(&key).requires.iter().cloned());
        }
        seen
    }
}

/// The `go` and `require` lines of the cached go.mod of `key`.
fn read_go_mod(cache: &ModCache, key: &ModuleKey) -> GoMod {
    let Ok(text) = read_text(&cache.version_file(key, VersionFile::Mod), cap::GO_MOD) else {
        return GoMod::default();
    };
    let parsed = gomod::parse(&text);
    GoMod {
        requires: parsed.requires,
        pruned: parsed
            .go
            .is_some_and(|v| gover::compare(&v, "1.17") != std::cmp::Ordering::Less),
    }
}
