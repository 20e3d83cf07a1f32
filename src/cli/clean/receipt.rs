//! Carrying out a `clean` plan as a delete job, and the receipt: what went, what was already
//! gone, what failed, and the space freed, as text or JSON.

use std::collections::HashMap;
use std::path::PathBuf;

use serde::Serialize;

use super::{PlanItem, Target};
use crate::cache::cancel::CancelToken;
use crate::cli::progress::ProgressLine;
use crate::cli::{Engine, print};
use crate::ops::jobs::{ItemDone, JobEvent, JobItem, JobSpec, Jobs};

/// Items that could not be removed, with the reason.
type Failures = Vec<(String, String)>;

/// What the deletions did on disk.
#[derive(Debug, Default)]
pub(super) struct Receipt {
    /// Items of which this run removed something.
    pub(super) removed: Vec<String>,
    /// Versions moved into the trash.
    pub(super) trashed: Vec<String>,
    /// Items that were gone before this run got to them (another process removed them).
    pub(super) already_gone: Vec<String>,
    /// Items that could not be (wholly) removed, with the reason.
    pub(super) failed: Failures,
    /// Files this run removed, failed items included.
    pub(super) files: u64,
    /// Ctrl-C or SIGTERM stopped it between items: the rest of the plan is unchanged.
    pub(super) interrupted: bool,
}

/// Deletes the plan as one job; with `show_progress`, a line on stderr counts the items done.
pub(super) fn execute(
    engine: &Engine,
    plan: &[PlanItem],
    to_trash: bool,
    show_progress: bool,
) -> anyhow::Result<Receipt> {
    let mut versions = Vec::new();
    let mut sources = Vec::new();
    let mut paths = Vec::new();
    for item in plan {
        match &item.target {
            Target::Version(k) => versions.push(k.clone()),
            Target::Source(k) => sources.push(k.clone()),
            Target::Paths(p) => paths.extend(p.iter().cloned()),
        }
    }
    let jobs = Jobs::new(engine.cache(), &engine.pools);
    // Ctrl-C stops between items: each version goes in go's crash-safe order or not at all.
    let cancel = CancelToken::new();
    cancel.cancel_on_interrupt()?;
    let (tx, rx) = crossbeam_channel::unbounded();
    let total = versions.len() + sources.len() + paths.len();
    if to_trash {
        let versions = std::mem::take(&mut versions);
        let spec = JobSpec::Trash {
            versions,
            keep: None,
        };
        jobs.start(2, spec, tx.clone(), cancel.clone());
    }
    let spec = JobSpec::Delete {
        versions,
        sources,
        paths,
    };
    jobs.start(1, spec, tx, cancel.clone());
    let mut receipt = Receipt::default();
    let mut path_files: HashMap<PathBuf, Result<u64, String>> = HashMap::new();
    let mut done = 0;
    let mut progress = ProgressLine::new(show_progress);
    for event in rx {
        if let JobEvent::Item {
            item,
            result,
            files_removed,
            ..
        } = event
        {
            done += 1;
            receipt.files += files_removed;
            progress.show(|| {
                let name = match &item {
                    JobItem::Version(k) => k.to_string(),
                    JobItem::Path(p) | JobItem::BuildEntry(p) => crate::cache::fmt::escaped_path(p),
                };
                format!("deleted {done}/{total}: {name}")
            });
            match (item, result) {
                (JobItem::Version(k), Ok(ItemDone::Trashed { pieces })) if pieces > 0 => {
                    receipt.trashed.push(k.to_string())
                }
                (JobItem::Version(k), Ok(_)) if files_removed > 0 => {
                    receipt.removed.push(k.to_string())
                }
                (JobItem::Version(k), Ok(_)) => receipt.already_gone.push(k.to_string()),
                (JobItem::Version(k), Err(e)) => {
                    receipt.failed.push((k.to_string(), e.to_string()))
                }
                (JobItem::Path(p) | JobItem::BuildEntry(p), result) => {
                    path_files.insert(p, result.map(|_| files_removed).map_err(|e| e.to_string()));
                }
            }
        }
    }
    progress.clear();
    receipt.interrupted = cancel.is_cancelled();
    // A plan item of several paths (a vcs repository and its .info) is one item.
    for item in plan {
        let Target::Paths(paths) = &item.target else {
            continue;
        };
        let results: Vec<_> = paths.iter().filter_map(|p| path_files.get(p)).collect();
        if let Some(Err(e)) = results.iter().find(|r| r.is_err()) {
            receipt.failed.push((item.name.clone(), e.clone()));
        } else if results.iter().any(|r| matches!(r, Ok(n) if *n > 0)) {
            receipt.removed.push(item.name.clone());
        } else if !results.is_empty() {
            receipt.already_gone.push(item.name.clone());
        }
    }
    Ok(receipt)
}

pub(super) fn print_json(
    plan: &[PlanItem],
    receipt: Option<&Receipt>,
    before: u64,
    after: Option<u64>,
    dry_run: bool,
) -> anyhow::Result<()> {
    #[derive(Serialize)]
    struct Failed<'a> {
        name: &'a str,
        error: &'a str,
    }
    #[derive(Serialize)]
    struct Report<'a> {
        dry_run: bool,
        plan: &'a [PlanItem],
        plan_bytes: u64,
        removed: &'a [String],
        trashed: &'a [String],
        already_gone: &'a [String],
        files_removed: u64,
        interrupted: bool,
        failed: Vec<Failed<'a>>,
        cache_bytes_before: u64,
        cache_bytes_after: Option<u64>,
    }
    let report = Report {
        dry_run,
        plan,
        plan_bytes: plan.iter().map(|p| p.bytes).sum(),
        removed: receipt.map_or(&[][..], |r| &r.removed),
        trashed: receipt.map_or(&[][..], |r| &r.trashed),
        already_gone: receipt.map_or(&[][..], |r| &r.already_gone),
        files_removed: receipt.map_or(0, |r| r.files),
        interrupted: receipt.is_some_and(|r| r.interrupted),
        failed: receipt
            .map_or(&[][..], |r| &r.failed)
            .iter()
            .map(|(n, e)| Failed { name: n, error: e })
            .collect(),
        cache_bytes_before: before,
        cache_bytes_after: after,
    };
    let mut text = serde_json::to_string_pretty(&report)?;
    text.push('\n');
    print(&text)?;
    Ok(())
}
