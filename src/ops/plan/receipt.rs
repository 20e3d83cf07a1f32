//! Carrying out a cleaning plan as delete (and trash) jobs, and the receipt: what went, what
//! was already gone, what failed.

use std::collections::HashMap;
use std::path::PathBuf;

use super::clean::{CleanPlan, Target};
use crate::cache::cancel::CancelToken;
use crate::ops::engine::Engine;
use crate::ops::jobs::{ItemDone, JobEvent, JobItem, JobSpec, Jobs};

/// What the deletions did on disk.
#[derive(Debug, Default)]
pub struct Receipt {
    /// Items of which this run removed something.
    pub removed: Vec<String>,
    /// Versions moved into the trash.
    pub trashed: Vec<String>,
    /// Items that were gone before this run got to them (another process removed them).
    pub already_gone: Vec<String>,
    /// Items that could not be (wholly) removed, with the reason.
    pub failed: Vec<(String, String)>,
    /// Files this run removed, failed items included.
    pub files: u64,
    /// `cancel` stopped it between items: the rest of the plan is unchanged.
    pub interrupted: bool,
}

/// Carries out `plan` (versions to the trash with `to_trash`); `on_item` hears each item done,
/// with how many there are, for a progress line.
pub fn execute(
    engine: &Engine,
    plan: &CleanPlan,
    to_trash: bool,
    cancel: &CancelToken,
    on_item: &mut dyn FnMut(usize, usize, &JobItem),
) -> Receipt {
    let jobs = Jobs::new(engine.cache(), &engine.pools);
    let (tx, rx) = crossbeam_channel::unbounded();
    let specs = plan.jobs(to_trash, None);
    let total: usize = specs.iter().map(JobSpec::len).sum();
    for (id, spec) in (1..).zip(specs) {
        jobs.start(id, spec, tx.clone().into(), cancel.clone());
    }
    drop(tx);
    let mut receipt = Receipt::default();
    let mut path_files: HashMap<PathBuf, Result<u64, String>> = HashMap::new();
    let mut done = 0;
    for event in rx {
        let JobEvent::Item {
            item,
            result,
            files_removed,
            ..
        } = event
        else {
            continue;
        };
        done += 1;
        receipt.files += files_removed;
        on_item(done, total, &item);
        match (item, result) {
            (JobItem::Version(k), Ok(ItemDone::Trashed { pieces })) if pieces > 0 => {
                receipt.trashed.push(k.to_string())
            }
            (JobItem::Version(k), Ok(_)) if files_removed > 0 => {
                receipt.removed.push(k.to_string())
            }
            (JobItem::Version(k), Ok(_)) => receipt.already_gone.push(k.to_string()),
            (JobItem::Version(k), Err(e)) => receipt.failed.push((k.to_string(), e.to_string())),
            (JobItem::Path(p) | JobItem::BuildEntry(p), result) => {
                path_files.insert(p, result.map(|_| files_removed).map_err(|e| e.to_string()));
            }
        }
    }
    receipt.interrupted = cancel.is_cancelled();
    // A plan item of several paths (a vcs repository and its .info) is one item.
    for item in &plan.items {
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
    receipt
}
