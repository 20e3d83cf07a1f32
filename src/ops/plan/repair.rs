//! The repair plan: what `refetch`, `doctor --fix`, `explain --fix` and the explorer's `R` and
//! `F` do to each version, built once; the one pipeline that carries it out (the repair job,
//! then go's download for versions not in the cache); and each result verified again.
//!
//! The CLI prints a plan's [`lines`](RepairPlan::lines) and asks; the explorer shows the same
//! lines in its dialog and starts the plan's [`job`](RepairPlan::job).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use serde::Serialize;

use crate::cache::cancel::CancelToken;
use crate::cache::fmt::{count, escaped_path};
use crate::cache::scan::scan_version;
use crate::cache::{ModCache, ModuleEntry, ModuleKey, Snapshot, semver};
use crate::fix::fetch::fetch_and_swap;
use crate::fix::refetch::{GoRunner, Repair, plan_for};
use crate::ops::engine::Engine;
use crate::ops::jobs::{ItemDone, ItemError, JobEvent, JobItem, JobSpec, Jobs};
use crate::verify::{Expectations, Verdict, verify_entry};

/// What a repair will do.
#[derive(Debug, Clone, Default)]
pub struct RepairPlan {
    /// Versions in the cache, each with the cheapest repair its verdict allows.
    pub repairs: Vec<(ModuleEntry, Repair)>,
    /// Versions not verified yet (the explorer's, while it verifies): the job verifies each
    /// first, then repairs it the cheapest way.
    pub unverified: Vec<ModuleEntry>,
    /// Versions not in the cache, downloaded through go.
    pub downloads: Vec<ModuleKey>,
    /// Leftovers of go's interrupted work and unauthentic checksum-database files, relative to
    /// the cache root.
    pub removals: Vec<PathBuf>,
    /// Versions asked for that verify: nothing to do.
    pub healthy: Vec<ModuleKey>,
    /// Where go downloads from, instead of the user's GOPROXY: a store whose copies were
    /// checked (`refetch --from`).
    pub source: Option<String>,
}

impl RepairPlan {
    /// Whether it changes nothing.
    pub fn is_empty(&self) -> bool {
        self.versions() == 0 && self.removals.is_empty()
    }

    /// How many versions it repairs or downloads.
    pub fn versions(&self) -> usize {
        self.repairs.len() + self.unverified.len() + self.downloads.len()
    }

    /// Adds `entry`, planned from its verdict: a healthy one is left alone, and unauthentic
    /// checksum-database files it names are removed (go fetches them again).
    pub fn add_verdict(&mut self, cache: &ModCache, entry: &ModuleEntry, verdict: &Verdict) {
        crate::ops::broken::add_sumdb_files(cache, verdict, &mut self.removals);
        if self.repairs.iter().any(|(e, _)| e.key == entry.key) {
            return;
        }
        match plan_for(verdict) {
            Repair::Nothing => self.healthy.push(entry.key.clone()),
            how => self.repairs.push((entry.clone(), how)),
        }
    }

    /// One line per thing it does, for a confirmation.
    pub fn lines(&self) -> Vec<String> {
        let mut lines: Vec<String> = self
            .repairs
            .iter()
            .map(|(e, how)| format!("{}: {}", e.key, how.intent()))
            .collect();
        lines.extend(self.unverified.iter().map(|e| {
            format!(
                "{}: not verified yet: verify, then repair the cheapest way",
                e.key
            )
        }));
        lines.extend(
            self.downloads
                .iter()
                .map(|k| format!("{k}: download through go (not in the cache)")),
        );
        lines.extend(
            self.removals
                .iter()
                .map(|rel| format!("remove {}", escaped_path(rel))),
        );
        lines
    }

    /// The versions go may download: re-fetches, versions not verified yet (their repair may
    /// come to that) and versions not in the cache.
    pub fn fetched(&self) -> Vec<&ModuleKey> {
        self.repairs
            .iter()
            .filter(|(_, how)| *how == Repair::Refetched)
            .map(|(e, _)| &e.key)
            .chain(self.unverified.iter().map(|e| &e.key))
            .chain(&self.downloads)
            .collect()
    }

    /// What to say before asking when go will be asked to download while GOPROXY (the first
    /// of its list) is `off`: those repairs cannot succeed, and the user should know before,
    /// not from a failed job. `None` when a store (`--from`) stands in for GOPROXY.
    pub fn download_warning(&self, goproxy: &str) -> Option<String> {
        let off = goproxy.split([',', '|']).next().map(str::trim) == Some("off");
        let downloads = self
            .repairs
            .iter()
            .filter(|(_, how)| *how == Repair::Refetched)
            .count()
            + self.downloads.len();
        (off && downloads > 0 && self.source.is_none()).then(|| {
            format!(
                "GOPROXY=off: go may not download, so the {} that {} a download will fail; \
                 set GOPROXY (or repair from a store: modlens refetch --from STORE)",
                count(downloads as u64, "version"),
                if downloads == 1 { "needs" } else { "need" }
            )
        })
    }

    /// "3 versions and 1 file", what the plan touches.
    pub fn summary(&self) -> String {
        format!(
            "{} and {}",
            count(self.versions() as u64, "version"),
            count(self.removals.len() as u64, "file")
        )
    }

    /// The job that repairs the versions in the cache.
    pub fn job(&self, expect: &Arc<Expectations>, go: &GoRunner) -> JobSpec {
        JobSpec::Repair {
            entries: self
                .repairs
                .iter()
                .map(|(e, _)| e)
                .chain(&self.unverified)
                .cloned()
                .collect(),
            expect: Arc::clone(expect),
            go: go.clone(),
        }
    }
}

/// Plans `refetch`: the `named` versions (a healthy one is left alone, one not in the cache is
/// downloaded), and with `broken`, every version the verifier flags, the unauthentic
/// checksum-database files and the leftovers of go's interrupted work.
pub fn plan_refetch(
    engine: &Engine,
    snapshot: &Snapshot,
    named: &[ModuleKey],
    broken: bool,
    expect: &Arc<Expectations>,
) -> RepairPlan {
    let cache = engine.cache();
    let by_key: BTreeMap<&ModuleKey, &ModuleEntry> =
        snapshot.entries.iter().map(|e| (&e.key, e)).collect();
    let mut plan = RepairPlan::default();
    if broken {
        let found = super::super::broken::find_broken(
            &engine.pools,
            &cache,
            snapshot.entries.clone(),
            Arc::clone(expect),
        );
        plan.removals.extend(found.sumdb_files);
        for v in found.versions {
            if let Some(e) = by_key.get(&v.key) {
                plan.add_verdict(&cache, e, &v);
            }
        }
        // Leftovers of interrupted work only; stray files of unknown origin are the user's.
        plan.removals.extend(
            snapshot
                .leftovers
                .iter()
                .filter(|l| l.kind.is_go_temporary())
                .map(|l| l.rel_path.clone()),
        );
    }
    for key in named {
        match by_key.get(key) {
            Some(e) if !plan.repairs.iter().any(|(r, _)| r.key == *key) => {
                // Named by hand: planned from a fresh verdict.
                plan.add_verdict(&cache, e, &verify_entry(&cache, e, expect));
            }
            Some(_) => {}
            None => plan.downloads.push(key.clone()),
        }
    }
    plan
}

/// What became of one version.
#[derive(Debug, Serialize)]
pub struct Outcome {
    /// The module path.
    pub path: String,
    /// The version.
    pub version: String,
    /// `re-extracted`, `re-zipped`, `re-fetched`, `downloaded`, or `failed`.
    pub action: String,
    /// Why it failed.
    pub error: Option<String>,
    /// Problem kinds left after the repair (empty when it verifies clean).
    pub problems: Vec<&'static str>,
}

impl Outcome {
    /// Whether the version is not fine after all.
    pub fn failed(&self) -> bool {
        self.error.is_some() || !self.problems.is_empty()
    }
}

/// What [`execute`] did.
pub struct Executed {
    /// Each version, verified again, sorted by module and version.
    pub outcomes: Vec<Outcome>,
    /// Files removed.
    pub removed: usize,
    /// Whether `cancel` stopped it: what was not swapped in stays as it was.
    pub interrupted: bool,
}

/// Carries out `plan`: the repair job and the removals on the pools, then go's download of the
/// versions not in the cache; then verifies every version again. `on_repaired` hears each
/// repaired version (for a progress line); a removal that fails is a warning.
pub fn execute(
    engine: &Engine,
    plan: RepairPlan,
    expect: &Arc<Expectations>,
    cancel: &CancelToken,
    on_repaired: &mut dyn FnMut(usize, usize, &ModuleKey),
) -> Executed {
    let cache = engine.cache();
    let mut go = engine.go_runner();
    if let Some(proxy) = &plan.source {
        // Every module from the store, private ones too (GONOPROXY would send those to
        // their origin).
        go.env.push(("GOPROXY".into(), proxy.clone()));
        go.env.push(("GONOPROXY".into(), "none".into()));
    }
    let jobs = Jobs::new(cache.clone(), &engine.pools);
    let (tx, rx) = crossbeam_channel::unbounded();
    let total = plan.repairs.len() + plan.unverified.len();
    jobs.start(1, plan.job(expect, &go), tx.clone().into(), cancel.clone());
    if !plan.removals.is_empty() {
        let spec = JobSpec::Delete {
            versions: Vec::new(),
            sources: Vec::new(),
            paths: plan.removals,
        };
        jobs.start(2, spec, tx.clone().into(), cancel.clone());
    }
    drop(tx);
    let mut results: Vec<(ModuleKey, Result<ItemDone, Option<ItemError>>)> = Vec::new();
    let mut removed = 0;
    for event in rx {
        match event {
            JobEvent::Item {
                id: 1,
                item: JobItem::Version(key),
                result,
                ..
            } => {
                on_repaired(results.len() + 1, total, &key);
                results.push((key, result.map_err(Some)));
            }
            JobEvent::Item {
                id: 2,
                result: Ok(_),
                files_removed,
                ..
            } => removed += usize::from(files_removed > 0),
            JobEvent::Item {
                id: 2,
                item,
                result: Err(e),
                ..
            } => engine.warn(format!("cannot remove leftover {item:?}: {e}")),
            _ => {}
        }
    }
    let downloaded = fetch_and_swap(&cache, &plan.downloads, expect, &go, cancel);
    for (key, result) in plan.downloads.into_iter().zip(downloaded) {
        let result = result
            .map(|()| ItemDone::Downloaded)
            .map_err(|e| Some(Arc::new(e.into())));
        results.push((key, result));
    }
    for key in plan.healthy {
        results.push((key, Ok(ItemDone::Repaired(Repair::Nothing))));
    }
    Executed {
        outcomes: verify_outcomes(engine, results, expect),
        removed,
        interrupted: cancel.is_cancelled(),
    }
}

/// Verifies each repaired or downloaded version again (hashing, on the hashing pool), sorted by
/// module and version.
fn verify_outcomes(
    engine: &Engine,
    results: Vec<(ModuleKey, Result<ItemDone, Option<ItemError>>)>,
    expect: &Expectations,
) -> Vec<Outcome> {
    let cache = engine.cache();
    let mut outcomes: Vec<Outcome> = engine.pools.hash_map(results, |(key, result)| {
        outcome(&cache, &key, result, expect)
    });
    outcomes.sort_by(|a, b| {
        a.path
            .cmp(&b.path)
            .then_with(|| semver::sort_order(&a.version, &b.version))
    });
    outcomes
}

/// Verifies a repaired version again and records what happened.
fn outcome(
    cache: &ModCache,
    key: &ModuleKey,
    result: Result<ItemDone, Option<ItemError>>,
    expect: &Expectations,
) -> Outcome {
    let deleted = matches!(result, Ok(ItemDone::Repaired(Repair::Deleted)));
    let (action, error) = match result {
        Ok(done) => (done.to_string(), None),
        Err(e) => ("failed".to_owned(), e.map(|e| e.to_string())),
    };
    let problems = match (&error, scan_version(cache, key)) {
        // Deleted on purpose, for go to unpack again.
        (None, None) if deleted => Vec::new(),
        (None, Some(entry)) => verify_entry(cache, &entry, expect)
            .problems
            .iter()
            .map(|p| p.kind.name())
            .collect(),
        (None, None) => vec!["missing_after_repair"],
        (Some(_), _) => Vec::new(),
    };
    Outcome {
        path: key.path.clone(),
        version: key.version.clone(),
        action,
        error,
        problems,
    }
}
