//! `modlens gocache clean`: deleting build-cache entries by age, by size, because they are
//! broken, or because nothing names them, with a plan, a confirmation and a receipt.
//!
//! Each option adds what it selects. A unit is an output with every action entry that names
//! it; its last use is the latest of their mtimes. `--older-than` takes units unused that
//! long, `--max-size` the least recently used units until the cache fits, `--broken` what
//! `gocache verify` would delete, `--orphans` outputs no entry names. Action entries are
//! deleted before their outputs, so that a go build running meanwhile sees a miss.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::ExitCode;

use super::super::ask::confirm;
use super::super::{GocacheCleanArgs, print};
use crate::cache::fmt::{count, size};
use crate::cache::gocache::scan::{BuildSnapshot, scan};
use crate::ops::gocache::{Unit, units};
use crate::ops::policy::{parse_duration, parse_size};
use crate::ops::pools::Pools;

/// What will go: (why, files in order, bytes), each file once.
#[derive(Default)]
struct Plan {
    items: Vec<(String, Vec<String>, u64)>,
    taken: BTreeSet<String>,
}

impl Plan {
    fn take(&mut self, why: &str, paths: &[String], bytes: u64) {
        let fresh: Vec<String> = paths
            .iter()
            .filter(|p| !self.taken.contains(*p))
            .cloned()
            .collect();
        if !fresh.is_empty() {
            self.taken.extend(fresh.iter().cloned());
            self.items.push((why.to_owned(), fresh, bytes));
        }
    }

    fn bytes(&self) -> u64 {
        self.items.iter().map(|(_, _, b)| b).sum()
    }
}

pub(super) fn run(
    pools: &Pools,
    root: &Path,
    snapshot: &BuildSnapshot,
    args: &GocacheCleanArgs,
) -> anyhow::Result<ExitCode> {
    let older_than = args.older_than.as_deref().map(parse_duration).transpose()?;
    let max_size = args.max_size.as_deref().map(parse_size).transpose()?;
    if max_size == Some(0) {
        anyhow::bail!("invalid --max-size 0: give a size above zero");
    }
    if older_than.is_none() && max_size.is_none() && !args.broken && !args.orphans {
        anyhow::bail!("say what to clean: --older-than, --max-size, --broken or --orphans");
    }
    let now = crate::cache::clock::now();
    let all = units(snapshot);
    let mut plan = Plan::default();
    if args.broken || args.orphans {
        let checked = crate::ops::gocache::verify(pools, root, snapshot, &|_, _| {});
        let disk = snapshot.disk_by_path();
        let bytes = |paths: &[String]| paths.iter().filter_map(|p| disk.get(p)).sum::<u64>();
        if args.broken {
            for p in &checked.verdict.problems {
                plan.take(p.kind.name(), &p.delete, bytes(&p.delete));
            }
        }
        if args.orphans {
            for o in &checked.verdict.orphans {
                let paths = [o.clone()];
                plan.take("orphan", &paths, bytes(&paths));
            }
        }
    }
    if let Some(age) = older_than {
        for u in &all {
            if u.used
                .is_some_and(|t| now.duration_since(t).unwrap_or_default() > age)
            {
                plan.take("unused", &u.paths, u.bytes);
            }
        }
    }
    let before = snapshot.total().disk;
    if let Some(max) = max_size {
        let mut lru: Vec<&Unit> = all.iter().collect();
        lru.sort_by_key(|u| u.used);
        let mut left = before.saturating_sub(plan.bytes());
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
    let freed = plan.bytes();
    let plan = plan.items;
    let files: usize = plan.iter().map(|(_, p, _)| p.len()).sum();
    // With --json the plan is printed with the receipt below, or alone for a dry run.
    if !args.json {
        let mut text = String::new();
        for (what, paths, bytes) in plan.iter().take(20) {
            text.push_str(&format!(
                "{:>10}  {what:<20} {}\n",
                size(*bytes),
                paths.join(" ")
            ));
        }
        if plan.len() > 20 {
            text.push_str(&format!("… and {} more\n", plan.len() - 20));
        }
        let verb = if args.dry_run {
            "would delete"
        } else {
            "will delete"
        };
        text.push_str(&format!(
            "{verb} {}, freeing {} of {}\n",
            count(files as u64, "file"),
            size(freed),
            size(before)
        ));
        print(&text)?;
    }
    let report = |deleted: Option<(u64, &[String], u64)>| {
        serde_json::json!({
            "cache": root,
            "dry_run": args.dry_run,
            "plan": plan.iter().map(|(what, paths, bytes)| serde_json::json!({
                "why": what, "delete": paths, "disk_bytes": bytes,
            })).collect::<Vec<_>>(),
            "plan_bytes": freed,
            "files_removed": deleted.map(|d| d.0),
            "failed": deleted.map(|d| d.1),
            "cache_bytes_before": before,
            "cache_bytes_after": deleted.map(|d| d.2),
        })
    };
    if plan.is_empty() || args.dry_run {
        if args.json {
            print(&format!(
                "{}\n",
                serde_json::to_string_pretty(&report(None))?
            ))?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    let question = format!(
        "delete {} and free {}?",
        count(files as u64, "file"),
        size(freed)
    );
    if !args.yes && !confirm(&question, super::super::clean::REFUSE_DELETE)? {
        safe_eprintln!("nothing deleted");
        return Ok(ExitCode::SUCCESS);
    }
    let units: Vec<Vec<String>> = plan.iter().map(|(_, paths, _)| paths.clone()).collect();
    let (removed, failed) = crate::ops::gocache::delete_units(root, &units);
    let after = scan(pools.scan_pool(), root).map_or(before, |s| s.total().disk);
    if args.json {
        let text = serde_json::to_string_pretty(&report(Some((removed, &failed, after))))?;
        print(&format!("{text}\n"))?;
    } else {
        let mut text = String::new();
        for e in &failed {
            text.push_str(&format!("failed: {e}\n"));
        }
        text.push_str(&format!(
            "deleted {} (freeing {}); build cache {} before, {} after\n",
            count(removed, "file"),
            size(before.saturating_sub(after)),
            size(before),
            size(after)
        ));
        print(&text)?;
    }
    Ok(if failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
