//! The receipt of a `clean` as JSON: the plan, what went, what was already gone, what failed,
//! and the space freed.

use serde::Serialize;

use crate::cli::print;
use crate::ops::plan::clean::PlanItem;
use crate::ops::plan::receipt::Receipt;

/// Prints the plan and, after the run, its receipt.
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
