//! The project doctor's diagnosis and its plan: what a Go project needs from the cache (go's
//! build list), each version's state as modlens judges it, and the repair plan that fixes what
//! can be fixed (a repair for a broken version, a download for a missing one). `doctor` prints
//! them; the project view of the explorer shows the same states.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use serde::Serialize;

use super::repair::RepairPlan;
use crate::cache::cancel::CancelToken;
use crate::cache::scan::Depth;
use crate::cache::{ModuleEntry, ModuleKey};
use crate::fix::refetch::Repair;
use crate::ops::engine::Engine;
use crate::ops::error::OpsError;
use crate::ops::project::{Needed, Needs, State};
use crate::verify::{Expectations, Verdict};

/// The project looked at once: go's needs, the cache's entries and their states.
pub struct Examined {
    /// What go says the project needs.
    pub needs: Needs,
    /// The cache's entries of those versions.
    pub entries: BTreeMap<ModuleKey, ModuleEntry>,
    /// Their verdicts.
    pub verdicts: BTreeMap<ModuleKey, Verdict>,
    /// Each needed version's state, in the order of `needs.modules`.
    pub states: Vec<State>,
    /// What the versions were checked against (the project's go.sum files too).
    pub expect: Arc<Expectations>,
}

impl Examined {
    /// Each needed version with its state.
    pub fn rows(&self) -> impl Iterator<Item = (&Needed, &State)> {
        self.needs.modules.iter().zip(&self.states)
    }

    /// How many needed versions are in each state.
    pub fn counts(&self) -> Counts {
        let mut c = Counts {
            needed: self.states.len(),
            ..Counts::default()
        };
        for s in &self.states {
            match s {
                State::Verified => c.verified += 1,
                State::Broken(_) => c.broken += 1,
                State::Missing | State::SourceMissing => c.missing += 1,
                State::Unusable(_) => c.unusable += 1,
                State::NeedsNewerGo(_) => c.needs_newer_go += 1,
                State::LocalReplacement => c.local += 1,
                State::Retracted(_) => c.retracted += 1,
                State::Unreadable(_) => c.unreadable += 1,
            }
        }
        c
    }
}

/// How many needed versions are in each state.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Counts {
    /// Versions the project needs.
    pub needed: usize,
    /// In the cache, and they verify.
    pub verified: usize,
    /// In the cache, damaged.
    pub broken: usize,
    /// Not in the cache (or without the source the project needs).
    pub missing: usize,
    /// In the cache in a state go cannot use.
    pub unusable: usize,
    /// Needing a newer go than the one that runs.
    pub needs_newer_go: usize,
    /// Replaced by a local directory.
    pub local: usize,
    /// Retracted by their authors.
    pub retracted: usize,
    /// Behind a directory modlens cannot read.
    pub unreadable: usize,
}

impl Counts {
    /// Whether nothing the project needs is wrong.
    pub fn all_fine(&self) -> bool {
        self.broken
            + self.missing
            + self.unusable
            + self.needs_newer_go
            + self.retracted
            + self.unreadable
            == 0
    }
}

/// Asks go what the project needs, scans the cache and verifies what it holds of that.
pub fn examine(engine: &Engine, dir: &Path, online: bool) -> Result<Examined, OpsError> {
    let (go, cancel) = (engine.go_runner(), CancelToken::new());
    let found = super::super::project::locate(&go, &engine.located.root, dir, &cancel)?;
    let root = found
        .gowork
        .as_deref()
        .or(found.gomod.as_deref())
        .and_then(|f| f.parent())
        .map_or_else(|| dir.to_path_buf(), Path::to_path_buf);
    let expect = engine.expectations(&[root], false)?;
    let mut needs =
        super::super::project::needs(&go, &engine.located.root, &found, &expect.gosums, &cancel)?;
    if online {
        let retracted =
            super::super::project::retractions(&go, &engine.located.root, &found, &cancel)?;
        for n in &mut needs.modules {
            n.retracted = retracted
                .get(&(n.path.clone(), n.version.clone()))
                .map(|why| why.join("; "));
        }
    }
    let snapshot = engine.snapshot(Depth::Shallow)?;
    let wanted: std::collections::HashSet<&ModuleKey> = needs
        .modules
        .iter()
        .filter_map(|n| n.in_cache.as_ref())
        .collect();
    let entries: BTreeMap<ModuleKey, ModuleEntry> = snapshot
        .entries
        .into_iter()
        .filter(|e| wanted.contains(&e.key))
        .map(|e| (e.key.clone(), e))
        .collect();
    let verdicts = crate::ops::verify::verdicts(
        &engine.pools,
        &engine.cache(),
        entries.values().cloned().collect(),
        Arc::clone(&expect),
    );
    let states = needs
        .modules
        .iter()
        .map(|n| super::super::project::judge(n, &entries, &verdicts))
        .collect();
    Ok(Examined {
        needs,
        entries,
        verdicts,
        states,
        expect,
    })
}

impl Examined {
    /// The needed versions `--fix` can do something about.
    pub fn fixable(&self) -> Vec<(&Needed, &State)> {
        self.rows().filter(|(_, s)| s.is_fixable()).collect()
    }

    /// The plan that fixes `fixable`: the cheapest repair of each broken version (and the
    /// removal of the checksum-database files it names), a download of each missing one.
    pub fn repair_plan(&self, engine: &Engine, fixable: &[(&Needed, &State)]) -> RepairPlan {
        let cache = engine.cache();
        let mut plan = RepairPlan::default();
        for (needed, state) in fixable {
            let Some(key) = needed.in_cache.clone() else {
                continue;
            };
            match (state, self.entries.get(&key), self.verdicts.get(&key)) {
                (State::Broken(_), Some(entry), Some(verdict)) => {
                    plan.add_verdict(&cache, entry, verdict)
                }
                (State::Broken(_), Some(entry), None) => {
                    plan.repairs.push((entry.clone(), Repair::Refetched))
                }
                _ => plan.downloads.push(key),
            }
        }
        // Only what needs doing is reported: a version whose one fault was a checksum-database
        // file is fine once the file is gone.
        plan.healthy.clear();
        plan
    }
}

/// The bytes go downloaded for `keys` (zip, `.mod`, `.info`), as the cache holds them now.
pub fn downloaded_bytes(engine: &Engine, keys: &[ModuleKey]) -> u64 {
    let cache = engine.cache();
    keys.iter()
        .filter_map(|k| crate::cache::scan::scan_version(&cache, k))
        .map(|e| e.zip.apparent + e.rest.apparent)
        .sum()
}
