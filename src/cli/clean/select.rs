//! What `clean` selects besides versions by rule: broken versions (by verifying them), the
//! cached checksum-database files found unauthentic, and leftovers of interrupted work.

use std::path::PathBuf;
use std::sync::Arc;

use super::{PlanItem, Target};
use crate::cache::{ModuleEntry, ModuleKey, Snapshot};
use crate::cli::Engine;
use crate::verify::Expectations;

/// What `--broken` selects: versions with problems, and the cached checksum-database files
/// found unauthentic (relative to the root). A version whose only problem is such a file is
/// not deleted: removing the file is the fix.
pub(super) fn broken(
    engine: &Engine,
    entries: &[ModuleEntry],
    expect: Arc<Expectations>,
) -> (Vec<ModuleKey>, Vec<PathBuf>) {
    let found =
        crate::ops::broken::find_broken(&engine.pools, &engine.cache(), entries.to_vec(), expect);
    let versions = found.versions.into_iter().map(|v| v.key).collect();
    (versions, found.sumdb_files)
}

/// Leftovers of interrupted work: only temporaries go writes itself (see
/// [`LeftoverKind::is_go_temporary`]).
pub(super) fn leftover_items(snapshot: &Snapshot) -> Vec<PlanItem> {
    snapshot
        .leftovers
        .iter()
        .filter(|l| l.kind.is_go_temporary())
        .map(leftover_item)
        .collect()
}

/// The plan item that removes one leftover.
pub(super) fn leftover_item(l: &crate::cache::Leftover) -> PlanItem {
    PlanItem {
        kind: l.kind.name(),
        name: crate::cache::fmt::escaped_path(&l.rel_path),
        bytes: l.usage.disk,
        target: Target::Paths(vec![l.rel_path.clone()]),
    }
}

/// The leftover the user named with `--leftover PATH`: it must be one the scan lists, and
/// readable (what modlens cannot see into, it does not delete).
pub(super) fn named_leftover(
    root: &std::path::Path,
    snapshot: &Snapshot,
    named: &std::path::Path,
) -> anyhow::Result<PlanItem> {
    let rel = named.strip_prefix(root).unwrap_or(named);
    let leftover = snapshot
        .leftovers
        .iter()
        .find(|l| l.rel_path == rel)
        .ok_or_else(|| {
            anyhow::anyhow!(
                "--leftover {}: not a leftover in {} (see `modlens list`)",
                named.display(),
                root.display()
            )
        })?;
    if leftover.kind == crate::cache::LeftoverKind::Unreadable {
        anyhow::bail!(
            "--leftover {}: modlens cannot read what it hides, and does not delete it",
            named.display()
        );
    }
    Ok(leftover_item(leftover))
}

/// A policy never breaks what it keeps: takes out of `candidates` every version that a kept
/// version's module graph needs (telling the user which kept version needs it), and returns
/// the ones go needs only for the graph as plan items that remove their source alone. With
/// `whole` (moving to the trash, which holds whole versions) they stay whole.
pub(super) fn protect_graph(
    engine: &Engine,
    all: &[ModuleEntry],
    candidates: &mut Vec<&ModuleEntry>,
    whole: bool,
    quiet: bool,
) -> Vec<PlanItem> {
    let selected: Vec<ModuleKey> = candidates.iter().map(|e| e.key.clone()).collect();
    let needed = crate::ops::graph::needed_by_kept(&engine.cache(), all, &selected);
    let mut trims = Vec::new();
    for e in candidates.iter() {
        let Some(need) = needed.get(&e.key) else {
            continue;
        };
        let source_bytes = source_usage(e);
        let trim = !need.source && !whole && source_bytes > 0;
        if !quiet {
            if trim {
                safe_eprintln!(
                    "keeps {}'s .mod and .info: {} needs them (its module graph; go selects a \
                     newer version, so the source goes)",
                    e.key,
                    need.by
                );
            } else {
                safe_eprintln!("keeps {}: {} needs it (its module graph)", e.key, need.by);
            }
        }
        if trim {
            trims.push(PlanItem {
                kind: "source",
                name: e.key.to_string(),
                bytes: source_bytes,
                target: Target::Source(e.key.clone()),
            });
        }
    }
    candidates.retain(|e| !needed.contains_key(&e.key));
    trims
}

/// The space of a version's zip, `.ziphash` and tree.
fn source_usage(e: &ModuleEntry) -> u64 {
    use crate::cache::VersionFile;
    let ziphash = VersionFile::ALL
        .iter()
        .position(|f| *f == VersionFile::Ziphash)
        .map_or(0, |i| e.piece_usage[i].disk);
    e.tree.disk + e.zip.disk + ziphash
}
