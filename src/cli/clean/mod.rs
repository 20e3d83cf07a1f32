//! `modlens clean`: remove module versions by policy, plus leftovers and vcs repositories.
//!
//! Version policies narrow each other: a version goes only if every policy given selects it
//! (`--older-than 90d --keep-latest 2` removes old versions but never the newest two of a
//! module), and PATTERNs restrict them to matching modules. `--max-size` then removes the least
//! recently used of those candidates until the cache fits. `--leftovers` and `--vcs` add their
//! own items. Nothing is removed without a policy or a pattern, without a yes on a terminal, or
//! without `--yes` elsewhere. `--dry-run` only prints the plan.

mod receipt;

use std::io::IsTerminal;
use std::process::ExitCode;

use super::ask::confirm;
use super::progress::ProgressLine;
use super::{CleanArgs, Engine, print, require_matches};
use crate::cache::cancel::CancelToken;
use crate::cache::filter::Filter;
use crate::cache::fmt::{count, size};
use crate::cache::scan::Depth;
use crate::ops::jobs::JobItem;
use crate::ops::plan::clean::{CleanRequest, plan};
use crate::ops::plan::receipt::execute;
use receipt::print_json;

/// Why a delete without `--yes` and without a terminal does nothing.
pub(super) const REFUSE_DELETE: &str =
    "refusing to delete without --yes: stdin is not a terminal (use --dry-run to see the plan)";

pub fn run(engine: &Engine, args: &CleanArgs) -> anyhow::Result<ExitCode> {
    let located = &engine.located;
    let policies = args.policies()?;
    let patterns = Filter::parse_patterns(&args.patterns)?;
    let expect = engine.expectations(&args.project, args.recursive)?;
    let snapshot = engine.snapshot(Depth::Full)?;
    require_matches(located, &args.patterns, &patterns, &snapshot.entries)?;
    let request = CleanRequest {
        policies,
        patterns,
        leftovers: args.leftovers,
        named_leftovers: args.named_leftovers.clone(),
        vcs: args.vcs,
        to_trash: args.trash,
    };
    let plan = plan(engine, &request, &snapshot, &expect)?;
    let before = plan.before;
    if !args.json {
        for note in &plan.notes {
            safe_eprintln!("{note}");
        }
    }
    let what = plan.summary();
    let removed = plan.items.iter().filter(|p| p.kind != "to-trash").count();

    if !args.json {
        let mut text = String::new();
        for item in &plan.items {
            text.push_str(&format!(
                "{:>10}  {:<8} {}\n",
                size(item.bytes),
                item.kind,
                item.name
            ));
        }
        if plan.items.is_empty() {
            text.push_str(&format!(
                "nothing to remove: nothing in the cache ({}) is selected\n",
                size(before)
            ));
        } else {
            let verb = if args.dry_run { "would" } else { "will" };
            text.push_str(&format!("{verb} {what}\n"));
        }
        print(&text)?;
    }
    if plan.items.is_empty() || args.dry_run {
        if args.json {
            print_json(&plan.items, None, before, None, args.dry_run)?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    if !args.yes && !confirm(&format!("{what}?"), REFUSE_DELETE)? {
        safe_eprintln!("nothing deleted");
        return Ok(ExitCode::SUCCESS);
    }

    // Ctrl-C stops between items: each version goes in go's crash-safe order or not at all.
    let cancel = CancelToken::new();
    cancel.cancel_on_interrupt()?;
    let progress = ProgressLine::new(!args.json && std::io::stderr().is_terminal());
    let receipt = execute(
        engine,
        &plan,
        args.trash,
        &cancel,
        &mut |done, total, item| {
            progress.show(|| {
                let name = match item {
                    JobItem::Version(k) => k.to_string(),
                    JobItem::Path(p) | JobItem::BuildEntry(p) => crate::cache::fmt::escaped_path(p),
                };
                format!("deleted {done}/{total}: {name}")
            });
        },
    );
    progress.clear();
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
        print_json(&plan.items, Some(&receipt), before, Some(after), false)?;
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

/// Which time `--older-than` compares.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ByTime {
    /// When go downloaded the version.
    #[default]
    Downloaded,
    /// When go last read its `.mod` (meaningless on noatime mounts).
    LastUsed,
}
