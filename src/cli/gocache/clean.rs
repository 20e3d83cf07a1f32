//! `modlens gocache clean`: deleting build-cache entries by age, by size, because they are
//! broken, or because nothing names them. The flags become the rules of
//! [`BuildCleanPlan`](crate::ops::plan::gocache), which this file prints, confirms and
//! carries out, and whose receipt it prints.

use std::path::Path;
use std::process::ExitCode;

use super::super::ask::confirm;
use super::super::{GocacheCleanArgs, print};
use crate::cache::fmt::{count, size};
use crate::cache::gocache::scan::{BuildSnapshot, scan};
use crate::ops::plan::gocache::{BuildCleanPlan, BuildCleanRules};
use crate::ops::policy::{parse_duration, parse_size};
use crate::ops::pools::Pools;

pub(super) fn run(
    pools: &Pools,
    root: &Path,
    snapshot: &BuildSnapshot,
    args: &GocacheCleanArgs,
) -> anyhow::Result<ExitCode> {
    let rules = BuildCleanRules {
        older_than: args.older_than.as_deref().map(parse_duration).transpose()?,
        max_size: args.max_size.as_deref().map(parse_size).transpose()?,
        broken: args.broken,
        orphans: args.orphans,
    };
    if rules.max_size == Some(0) {
        anyhow::bail!("invalid --max-size 0: give a size above zero");
    }
    if !rules.any() {
        anyhow::bail!("say what to clean: --older-than, --max-size, --broken or --orphans");
    }
    let plan = BuildCleanPlan::new(pools, root, snapshot, &rules, crate::cache::clock::now());
    let before = plan.cache_bytes;
    let freed = plan.bytes();
    let files = plan.files();
    // With --json the plan is printed with the receipt below, or alone for a dry run.
    if !args.json {
        let mut text = String::new();
        for item in plan.items.iter().take(20) {
            text.push_str(&format!(
                "{:>10}  {:<20} {}\n",
                size(item.bytes),
                item.why,
                item.paths.join(" ")
            ));
        }
        if plan.items.len() > 20 {
            text.push_str(&format!("… and {} more\n", plan.items.len() - 20));
        }
        if plan.items.is_empty() {
            text.push_str(&format!(
                "nothing to delete: nothing in the build cache ({}) is selected\n",
                size(before)
            ));
        } else {
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
        }
        print(&text)?;
    }
    let report = |deleted: Option<(u64, &[String], u64)>| {
        serde_json::json!({
            "cache": root,
            "dry_run": args.dry_run,
            "plan": plan.items.iter().map(|i| serde_json::json!({
                "why": i.why, "delete": i.paths, "disk_bytes": i.bytes,
            })).collect::<Vec<_>>(),
            "plan_bytes": freed,
            "files_removed": deleted.map(|d| d.0),
            "failed": deleted.map(|d| d.1),
            "cache_bytes_before": before,
            "cache_bytes_after": deleted.map(|d| d.2),
        })
    };
    if plan.items.is_empty() || args.dry_run {
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
    let (removed, failed) = plan.execute(root);
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
