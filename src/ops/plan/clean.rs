//! The cleaning plan: what `clean` removes, by rule, pattern and kind, with the space each
//! item frees; built once, printed by the CLI, carried out by [`super::receipt`].
//!
//! The rules ([`Policy`]) narrow each other, and patterns restrict them to matching modules.
//! The trash goes first: entries older than the trash's keep time, then, when a size budget
//! needs room, the oldest others. A rule never breaks what it keeps: a version that a kept
//! version's module graph needs stays, and the plan says who needs it.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use serde::Serialize;

use crate::cache::filter::Filter;
use crate::cache::fmt::{count, escaped_path, size};
use crate::cache::trash::{TrashEntry, read_trash};
use crate::cache::{Leftover, LeftoverKind, ModuleEntry, ModuleKey, Snapshot, VersionFile, semver};
use crate::fix::trash::due;
use crate::ops::engine::Engine;
use crate::ops::error::OpsError;
use crate::ops::jobs::JobSpec;
use crate::ops::policy::{Facts, Policy};
use crate::verify::Expectations;

/// What to clean.
#[derive(Debug, Clone, Default)]
pub struct CleanRequest {
    /// The rules versions must all meet.
    pub policies: Vec<Policy>,
    /// Module patterns that restrict the rules (or, alone, select versions).
    pub patterns: Vec<Filter>,
    /// Every leftover of go's interrupted work.
    pub leftovers: bool,
    /// Leftovers named one by one.
    pub named_leftovers: Vec<PathBuf>,
    /// The vcs repositories go keeps for direct fetches.
    pub vcs: bool,
    /// Move versions to the trash rather than remove them.
    pub to_trash: bool,
}

/// One thing the plan removes.
#[derive(Debug, Clone, Serialize)]
pub struct PlanItem {
    /// `version`, `to-trash`, `source`, `trash`, a leftover's kind, `sumdb` or `vcs`.
    pub kind: &'static str,
    /// What it is, for people.
    pub name: String,
    /// Its space on disk.
    pub bytes: u64,
    /// What goes.
    #[serde(skip)]
    pub target: Target,
}

/// What a plan item removes.
#[derive(Debug, Clone)]
pub enum Target {
    /// A whole version.
    Version(ModuleKey),
    /// A version's zip, `.ziphash` and tree; its `.mod` and `.info` stay.
    Source(ModuleKey),
    /// Files or directories, relative to the cache root.
    Paths(Vec<PathBuf>),
}

/// What a cleaning will do.
#[derive(Debug, Clone, Default)]
pub struct CleanPlan {
    /// The items, versions first (by module and version).
    pub items: Vec<PlanItem>,
    /// What the rules keep on purpose, and why.
    pub notes: Vec<String>,
    /// The cache's size before.
    pub before: u64,
}

impl CleanPlan {
    /// A plan that removes exactly these versions and files (relative to the cache root), each
    /// with its space: what the explorer's marks and `L` select.
    pub fn exactly(versions: Vec<(ModuleKey, u64)>, paths: Vec<(PathBuf, u64)>) -> CleanPlan {
        let versions = versions.into_iter().map(|(key, bytes)| PlanItem {
            kind: "version",
            name: key.to_string(),
            bytes,
            target: Target::Version(key),
        });
        let paths = paths.into_iter().map(|(rel, bytes)| PlanItem {
            kind: "leftover",
            name: escaped_path(&rel),
            bytes,
            target: Target::Paths(vec![rel]),
        });
        CleanPlan {
            items: versions.chain(paths).collect(),
            ..CleanPlan::default()
        }
    }

    /// The jobs that carry it out: its versions moved to the trash (kept for `keep`) with
    /// `to_trash`, else deleted in go's crash-safe order with the rest.
    pub fn jobs(&self, to_trash: bool, keep: Option<std::time::Duration>) -> Vec<JobSpec> {
        let (mut versions, mut sources, mut paths) = (Vec::new(), Vec::new(), Vec::new());
        for item in &self.items {
            match &item.target {
                Target::Version(k) => versions.push(k.clone()),
                Target::Source(k) => sources.push(k.clone()),
                Target::Paths(p) => paths.extend(p.iter().cloned()),
            }
        }
        let mut jobs = Vec::new();
        if to_trash && !versions.is_empty() {
            let versions = std::mem::take(&mut versions);
            jobs.push(JobSpec::Trash { versions, keep });
        }
        if !(versions.is_empty() && sources.is_empty() && paths.is_empty()) {
            jobs.push(JobSpec::Delete {
                versions,
                sources,
                paths,
            });
        }
        jobs
    }

    /// Bytes of the versions moved to the trash.
    pub fn to_trash_bytes(&self) -> u64 {
        self.items
            .iter()
            .filter(|p| p.kind == "to-trash")
            .map(|p| p.bytes)
            .sum()
    }

    /// "remove 3 items, freeing 1 MiB of 9 MiB", "move 2 versions (5 MiB) to the trash", or
    /// both.
    pub fn summary(&self) -> String {
        let moved = self.items.iter().filter(|p| p.kind == "to-trash").count() as u64;
        let removed = self.items.len() as u64 - moved;
        let freed = self.items.iter().map(|p| p.bytes).sum::<u64>() - self.to_trash_bytes();
        let mut parts = Vec::new();
        if moved > 0 {
            parts.push(format!(
                "move {} ({}) to the trash",
                count(moved, "version"),
                size(self.to_trash_bytes())
            ));
        }
        if removed > 0 || moved == 0 {
            parts.push(format!(
                "remove {}, freeing {} of {}",
                count(removed, "item"),
                size(freed),
                size(self.before)
            ));
        }
        parts.join(" and ")
    }
}

/// Plans `request` on `snapshot`. Versions are judged against `expect` (for `Unused` and
/// `Broken`, which verifies on the pools).
pub fn plan(
    engine: &Engine,
    request: &CleanRequest,
    snapshot: &Snapshot,
    expect: &Arc<Expectations>,
) -> Result<CleanPlan, OpsError> {
    let cache = engine.cache();
    let all = &snapshot.entries;
    let before = snapshot.total().disk;
    let now = crate::cache::clock::now();
    let mut candidates: Vec<&ModuleEntry> =
        if !request.policies.is_empty() || !request.patterns.is_empty() {
            let wanted = |e: &&ModuleEntry| {
                request.patterns.is_empty() || request.patterns.iter().any(|f| f.matches(&e.key))
            };
            all.iter().filter(wanted).collect()
        } else {
            Vec::new()
        };
    let (mut broken, mut sumdb_files) = (HashSet::new(), Vec::new());
    if request.policies.contains(&Policy::Broken) {
        let found =
            crate::ops::broken::find_broken(&engine.pools, &cache, all.clone(), Arc::clone(expect));
        broken = found.versions.into_iter().map(|v| v.key).collect();
        sumdb_files = found.sumdb_files;
    }
    // The trash goes first: entries older than the keep time, then, when a budget needs
    // room, the oldest others, before any version that go can still use.
    let trash_entries = read_trash(&cache).unwrap_or_default();
    let budget = request.policies.iter().find_map(Policy::budget);
    let need = budget.map_or(0, |max| before.saturating_sub(max));
    let emptied = due(&trash_entries, engine.trash_keep, need, now);
    let facts = Facts {
        entries: all,
        referenced: expect.gosums.keys().collect(),
        broken: &broken,
        now,
        bytes: before.saturating_sub(emptied.iter().map(|e| e.usage.disk).sum()),
    };
    let mut notes = Vec::new();
    // A budget picks among what the other rules chose: it goes last.
    let mut policies = request.policies.clone();
    policies.sort_by_key(|p| p.budget().is_some());
    for policy in &policies {
        policy.narrow(&facts, &mut candidates, &mut notes);
    }
    let keep_needed = !policies.is_empty() && policies.iter().all(Policy::keeps_what_is_needed);
    let trims = if keep_needed {
        protect_graph(engine, all, &mut candidates, request.to_trash, &mut notes)
    } else {
        Vec::new()
    };
    // The scan's order is the order threads finished in; a plan reads best sorted.
    candidates.sort_by(|a, b| {
        a.key
            .path
            .cmp(&b.key.path)
            .then_with(|| semver::sort_order(&a.key.version, &b.key.version))
    });
    let mut items: Vec<PlanItem> = candidates
        .iter()
        .map(|e| PlanItem {
            kind: if request.to_trash {
                "to-trash"
            } else {
                "version"
            },
            name: e.key.to_string(),
            bytes: e.usage().disk,
            target: Target::Version(e.key.clone()),
        })
        .collect();
    items.extend(trims);
    items.extend(emptied.iter().map(|e| trash_item(e, now)));
    if request.leftovers {
        let go_s = snapshot
            .leftovers
            .iter()
            .filter(|l| l.kind.is_go_temporary());
        items.extend(go_s.map(leftover_item));
    }
    items.extend(sumdb_files.into_iter().map(|rel| PlanItem {
        kind: "sumdb",
        name: escaped_path(&rel),
        bytes: disk_usage(&cache.root().join(&rel)),
        target: Target::Paths(vec![rel]),
    }));
    for named in &request.named_leftovers {
        let item = named_leftover(cache.root(), snapshot, named)?;
        if !items.iter().any(|p| p.name == item.name) {
            items.push(item);
        }
    }
    if request.vcs {
        items.extend(snapshot.vcs.iter().map(|r| PlanItem {
            kind: "vcs",
            name: format!(
                "cache/vcs/{} ({})",
                r.hash,
                r.remote.as_deref().unwrap_or("remote unknown")
            ),
            bytes: r.usage.disk,
            // The `.lock` stays, as go's own lock files always do.
            target: Target::Paths(vec![
                PathBuf::from(format!("cache/vcs/{}", r.hash)),
                PathBuf::from(format!("cache/vcs/{}.info", r.hash)),
            ]),
        }));
    }
    Ok(CleanPlan {
        items,
        notes,
        before,
    })
}

/// A file's space on disk, without following a link.
fn disk_usage(path: &Path) -> u64 {
    use std::os::unix::fs::MetadataExt;
    std::fs::symlink_metadata(path).map_or(0, |m| m.blocks() * 512)
}

/// The plan item that removes one leftover.
fn leftover_item(l: &Leftover) -> PlanItem {
    PlanItem {
        kind: l.kind.name(),
        name: escaped_path(&l.rel_path),
        bytes: l.usage.disk,
        target: Target::Paths(vec![l.rel_path.clone()]),
    }
}

/// The leftover the user named: it must be one the scan lists, and readable (what modlens
/// cannot see into, it does not delete).
fn named_leftover(root: &Path, snapshot: &Snapshot, named: &Path) -> Result<PlanItem, OpsError> {
    let rel = named.strip_prefix(root).unwrap_or(named);
    let leftover = snapshot
        .leftovers
        .iter()
        .find(|l| l.rel_path == rel)
        .ok_or_else(|| {
            OpsError::Invalid(format!(
                "--leftover {}: not a leftover in {} (see `modlens list`)",
                named.display(),
                root.display()
            ))
        })?;
    if leftover.kind == LeftoverKind::Unreadable {
        return Err(OpsError::Invalid(format!(
            "--leftover {}: modlens cannot read what it hides, and does not delete it",
            named.display()
        )));
    }
    Ok(leftover_item(leftover))
}

/// Takes out of `candidates` every version that a kept version's module graph needs (noting
/// which kept version needs it), and returns the ones go needs only for the graph as items
/// that remove their source alone. With `whole` (moving to the trash, which holds whole
/// versions) they stay whole.
fn protect_graph(
    engine: &Engine,
    all: &[ModuleEntry],
    candidates: &mut Vec<&ModuleEntry>,
    whole: bool,
    notes: &mut Vec<String>,
) -> Vec<PlanItem> {
    let selected: Vec<ModuleKey> = candidates.iter().map(|e| e.key.clone()).collect();
    let needed = crate::ops::graph::needed_by_kept(&engine.cache(), all, &selected);
    let mut trims = Vec::new();
    for e in candidates.iter() {
        let Some(need) = needed.get(&e.key) else {
            continue;
        };
        let source_bytes = source_usage(e);
        if !need.source && !whole && source_bytes > 0 {
            notes.push(format!(
                "keeps {}'s .mod and .info: {} needs them (its module graph; go selects a newer \
                 version, so the source goes)",
                e.key, need.by
            ));
            trims.push(PlanItem {
                kind: "source",
                name: e.key.to_string(),
                bytes: source_bytes,
                target: Target::Source(e.key.clone()),
            });
        } else {
            notes.push(format!(
                "keeps {}: {} needs it (its module graph)",
                e.key, need.by
            ));
        }
    }
    candidates.retain(|e| !needed.contains_key(&e.key));
    trims
}

/// The space of a version's zip, `.ziphash` and tree.
fn source_usage(e: &ModuleEntry) -> u64 {
    let ziphash = VersionFile::ALL
        .iter()
        .position(|f| *f == VersionFile::Ziphash)
        .map_or(0, |i| e.piece_usage[i].disk);
    e.tree.disk + e.zip.disk + ziphash
}

/// A trash entry to empty, as a plan item.
fn trash_item(entry: &TrashEntry, now: SystemTime) -> PlanItem {
    let name = entry
        .key
        .as_ref()
        .map_or(entry.id.clone(), ToString::to_string);
    PlanItem {
        kind: "trash",
        name: format!(
            "{name} (trashed {})",
            crate::cache::fmt::ago(entry.trashed_at(), now)
        ),
        bytes: entry.usage.disk,
        target: Target::Paths(vec![entry.rel_dir()]),
    }
}
