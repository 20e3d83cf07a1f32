//! `modlens clean`: remove module versions by policy, plus leftovers and vcs repositories.
//!
//! Version policies narrow each other: a version goes only if every policy given selects it
//! (`--older-than 90d --keep-latest 2` removes old versions but never the newest two of a
//! module), and PATTERNs restrict them to matching modules. `--max-size` then removes the least
//! recently used of those candidates until the cache fits. `--leftovers` and `--vcs` add their
//! own items. Nothing is removed without a policy or a pattern, without a yes on a terminal, or
//! without `--yes` elsewhere. `--dry-run` only prints the plan.

mod receipt;
mod select;

use std::collections::HashSet;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::SystemTime;

use serde::Serialize;

use super::ask::confirm;
use super::{CleanArgs, Engine, print, require_matches};
use crate::cache::filter::Filter;
use crate::cache::fmt::{count, size};
use crate::cache::scan::Depth;
use crate::cache::trash::{TrashEntry, read_trash};
use crate::cache::{ModCache, ModuleEntry, ModuleKey, semver};
use crate::fix::trash::due;
use crate::ops::policy::{self, TimeBasis};
use receipt::{execute, print_json};
use select::{broken, leftover_items, named_leftover, protect_graph};

/// Why a delete without `--yes` and without a terminal does nothing.
pub(super) const REFUSE_DELETE: &str =
    "refusing to delete without --yes: stdin is not a terminal (use --dry-run to see the plan)";

/// One thing the plan removes.
#[derive(Debug, Clone, Serialize)]
struct PlanItem {
    kind: &'static str,
    name: String,
    bytes: u64,
    #[serde(skip)]
    target: Target,
}

#[derive(Debug, Clone)]
enum Target {
    Version(ModuleKey),
    /// A version's zip, `.ziphash` and tree; its `.mod` and `.info` stay.
    Source(ModuleKey),
    Paths(Vec<PathBuf>),
}

pub fn run(engine: &Engine, args: &CleanArgs) -> anyhow::Result<ExitCode> {
    let located = &engine.located;
    let older_than = args
        .older_than
        .as_deref()
        .map(policy::parse_duration)
        .transpose()?;
    let max_size = args
        .max_size
        .as_deref()
        .map(policy::parse_size)
        .transpose()?;
    if args.keep_latest == Some(0) {
        anyhow::bail!(
            "invalid --keep-latest 0: it would remove every version; keep at least 1 (to remove \
             versions, name them as PATTERNs)"
        );
    }
    if args.trash && max_size.is_some() {
        anyhow::bail!(
            "--trash cannot be used with --max-size: a trashed version still takes its space \
             (run `clean --max-size` alone: it empties the trash first)"
        );
    }
    if max_size == Some(0) {
        anyhow::bail!(
            "invalid --max-size {:?}: a cache of 0 bytes is no cache; give a size above zero",
            args.max_size.as_deref().unwrap_or_default()
        );
    }
    let patterns = args
        .patterns
        .iter()
        .map(|p| Filter::parse_pattern(p))
        .collect::<Result<Vec<_>, _>>()?;
    let version_policy = older_than.is_some()
        || args.keep_latest.is_some()
        || args.unused
        || args.toolchains
        || args.broken
        || max_size.is_some();
    if !version_policy
        && patterns.is_empty()
        && !args.leftovers
        && !args.vcs
        && args.named_leftovers.is_empty()
    {
        anyhow::bail!(
            "say what to clean: --older-than, --keep-latest, --unused, --toolchains, --broken, \
             --max-size, --leftovers, --leftover PATH, --vcs, or PATTERNs"
        );
    }
    if args.unused && args.project.is_empty() {
        anyhow::bail!("--unused needs --project DIR: the projects whose go.sum lines count as use");
    }
    let expect = engine.expectations(&args.project, args.recursive)?;
    let snapshot = engine.snapshot(Depth::Full)?;
    require_matches(located, &args.patterns, &patterns, &snapshot.entries)?;
    let cache = ModCache::new(&located.root);
    let before = snapshot.total().disk;

    let mut candidates: Vec<&ModuleEntry> = if version_policy || !patterns.is_empty() {
        snapshot
            .entries
            .iter()
            .filter(|e| patterns.is_empty() || patterns.iter().any(|f| f.matches(&e.key)))
            .collect()
    } else {
        Vec::new()
    };
    let all: Vec<ModuleEntry> = snapshot.entries.clone();
    let keep_only = |candidates: &mut Vec<&ModuleEntry>, selected: Vec<ModuleKey>| {
        let set: HashSet<ModuleKey> = selected.into_iter().collect();
        candidates.retain(|e| set.contains(&e.key));
    };
    if let Some(age) = older_than {
        let by = if args.by == ByTime::LastUsed {
            TimeBasis::LastUsed
        } else {
            TimeBasis::Downloaded
        };
        keep_only(
            &mut candidates,
            policy::older_than(&all, age, crate::cache::clock::now(), by),
        );
    }
    if let Some(n) = args.keep_latest {
        keep_only(&mut candidates, policy::all_but_newest(&all, n));
    }
    if args.unused {
        keep_only(
            &mut candidates,
            policy::unreferenced(&all, expect.gosums.keys()),
        );
    }
    if args.toolchains {
        let old = policy::old_toolchains(&all);
        // The plan says which toolchain it keeps for each platform, and why.
        if !args.json {
            for e in all
                .iter()
                .filter(|e| e.kind == crate::cache::Kind::Toolchain)
            {
                if !old.contains(&e.key)
                    && let Some(why) = policy::toolchain_kept_because(&e.key.version)
                {
                    safe_eprintln!("keeps {}: {why}", e.key);
                }
            }
        }
        keep_only(&mut candidates, old);
    }
    let mut sumdb_files = Vec::new();
    if args.broken {
        let (versions, files) = broken(engine, &all, Arc::clone(&expect));
        keep_only(&mut candidates, versions);
        sumdb_files = files;
    }
    // The trash goes first: entries older than --trash-keep, then, when --max-size needs
    // room, the oldest others, before any version that go can still use.
    let trash_entries = read_trash(&cache).unwrap_or_default();
    let need = max_size.map_or(0, |max| before.saturating_sub(max));
    let now = crate::cache::clock::now();
    let emptied = due(&trash_entries, engine.trash_keep, need, now);
    let emptied_bytes: u64 = emptied.iter().map(|e| e.usage.disk).sum();
    if let Some(max) = max_size {
        let pool: Vec<ModuleEntry> = candidates.iter().map(|e| (*e).clone()).collect();
        let after_trash = before.saturating_sub(emptied_bytes);
        keep_only(&mut candidates, policy::to_fit(&pool, after_trash, max));
    }
    // A policy never breaks what it keeps: what a kept version needs to build offline (its
    // module graph, from the cached go.mod files) stays, and the plan says who needs it.
    // (Broken versions are not protected: go cannot use them as they are.)
    let trims = if version_policy && !args.broken {
        protect_graph(engine, &all, &mut candidates, args.trash, args.json)
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

    let mut plan: Vec<PlanItem> = candidates
        .iter()
        .map(|e| PlanItem {
            kind: if args.trash { "to-trash" } else { "version" },
            name: e.key.to_string(),
            bytes: e.usage().disk,
            target: Target::Version(e.key.clone()),
        })
        .collect();
    plan.extend(trims);
    plan.extend(emptied.iter().map(|e| trash_item(e, now)));
    if args.leftovers {
        plan.extend(leftover_items(&snapshot));
    }
    plan.extend(sumdb_files.into_iter().map(|rel| PlanItem {
        kind: "sumdb",
        name: crate::cache::fmt::escaped_path(&rel),
        bytes: std::fs::symlink_metadata(cache.root().join(&rel)).map_or(0, |m| {
            use std::os::unix::fs::MetadataExt;
            m.blocks() * 512
        }),
        target: Target::Paths(vec![rel]),
    }));
    for named in &args.named_leftovers {
        let item = named_leftover(&located.root, &snapshot, named)?;
        if !plan.iter().any(|p| p.name == item.name) {
            plan.push(item);
        }
    }
    if args.vcs {
        plan.extend(snapshot.vcs.iter().map(|r| PlanItem {
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
    let to_trash: u64 = plan
        .iter()
        .filter(|p| p.kind == "to-trash")
        .map(|p| p.bytes)
        .sum();
    let freed: u64 = plan.iter().map(|p| p.bytes).sum::<u64>() - to_trash;
    let moved = plan.iter().filter(|p| p.kind == "to-trash").count() as u64;
    let removed = plan.len() as u64 - moved;
    // "remove 3 items, freeing 1 MiB", "move 2 versions (5 MiB) to the trash", or both.
    let what = {
        let mut parts = Vec::new();
        if moved > 0 {
            parts.push(format!(
                "move {} ({}) to the trash",
                count(moved, "version"),
                size(to_trash)
            ));
        }
        if removed > 0 || moved == 0 {
            parts.push(format!(
                "remove {}, freeing {} of {}",
                count(removed, "item"),
                size(freed),
                size(before)
            ));
        }
        parts.join(" and ")
    };

    if !args.json {
        let mut text = String::new();
        for item in &plan {
            text.push_str(&format!(
                "{:>10}  {:<8} {}\n",
                size(item.bytes),
                item.kind,
                item.name
            ));
        }
        let verb = if args.dry_run { "would" } else { "will" };
        text.push_str(&format!("{verb} {what}\n"));
        print(&text)?;
    }
    if plan.is_empty() || args.dry_run {
        if args.json {
            print_json(&plan, None, before, None, args.dry_run)?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    if !args.yes && !confirm(&format!("{what}?"), REFUSE_DELETE)? {
        safe_eprintln!("nothing deleted");
        return Ok(ExitCode::SUCCESS);
    }

    let show_progress = !args.json && std::io::stderr().is_terminal();
    let receipt = execute(engine, &plan, args.trash, show_progress)?;
    let after = engine.snapshot(Depth::Full)?.total().disk;
    engine.record_run(
        "clean",
        &serde_json::json!({
            "removed": receipt.removed,
            "trashed": receipt.trashed,
            "already_gone": receipt.already_gone,
            "failed": receipt.failed,
            "files": receipt.files,
            "interrupted": receipt.interrupted,
            "before_bytes": before,
            "after_bytes": after,
            "freed_bytes": before.saturating_sub(after),
        }),
    );
    if args.json {
        print_json(&plan, Some(&receipt), before, Some(after), false)?;
    } else {
        let mut text = String::new();
        for (name, err) in &receipt.failed {
            text.push_str(&format!("failed: {name}: {err}\n"));
        }
        let gone = match receipt.already_gone.len() {
            0 => String::new(),
            n => format!("; {} already gone", count(n as u64, "item")),
        };
        if !receipt.trashed.is_empty() {
            text.push_str(&format!(
                "moved {} to the trash (`modlens trash restore MODULE@VERSION` puts one back)\n",
                count(receipt.trashed.len() as u64, "version"),
            ));
        }
        let only_moved = removed == 0 && receipt.failed.is_empty() && !receipt.trashed.is_empty();
        if only_moved {
            text.push_str(&format!(
                "cache {} before, {} after (the trash is inside it)\n",
                size(before),
                size(after)
            ));
        } else {
            text.push_str(&format!(
                "removed {} ({}, freeing {}){gone}; cache {} before, {} after\n",
                count(receipt.removed.len() as u64, "item"),
                count(receipt.files, "file"),
                size(before.saturating_sub(after)),
                size(before),
                size(after)
            ));
        }
        print(&text)?;
    }
    if receipt.interrupted {
        safe_eprintln!(
            "modlens: interrupted: {} removed; the rest of the plan is unchanged",
            count(
                (receipt.removed.len() + receipt.trashed.len()) as u64,
                "item"
            )
        );
    }
    Ok(if receipt.failed.is_empty() && !receipt.interrupted {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// A trash entry to empty, as a plan item.
fn trash_item(entry: &TrashEntry, now: SystemTime) -> PlanItem {
    let rel = entry.rel_dir();
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
        target: Target::Paths(vec![rel]),
    }
}

/// Which time `--older-than` compares.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ByTime {
    /// When go downloaded the version.
    #[default]
    Downloaded,
    /// When go last read its `.mod` (meaningless on noatime mounts).
    LastUsed,
}
