//! `modlens doctor [DIR]`: what a Go project needs from the cache, version by version, and with
//! `--fix`, the cheapest repair of what is broken and a download of what is missing, through the
//! same jobs as `refetch`; then the project is checked again and a receipt printed.
//!
//! go says what the project needs ([`crate::ops::project`]); modlens says what the cache holds
//! and whether it verifies, against the project's go.sum files too. Nothing outside the
//! project's needs is touched.

mod report;

use std::io::IsTerminal;
use std::process::ExitCode;

use serde::Serialize;

use crate::cache::ModuleKey;
use crate::cache::cancel::CancelToken;
use crate::cache::fmt::count;
use crate::cli::progress::ProgressLine;
use crate::cli::{DoctorArgs, Engine, print};
use crate::ops::plan::doctor::{Counts, Examined, downloaded_bytes, examine};
use crate::ops::plan::repair::{Outcome, RepairPlan, execute};
use crate::ops::project::{Needed, State};
use report::{print_json, receipt, table};

pub fn run(engine: &Engine, args: &DoctorArgs) -> anyhow::Result<ExitCode> {
    let cwd = std::env::current_dir()?;
    let dir = args
        .dir
        .as_ref()
        .map_or_else(|| cwd.clone(), |d| cwd.join(d));
    let before = examine(engine, &dir, args.online)?;
    let counts = before.counts();
    if !args.fixing.fix {
        if args.fixing.json {
            print_json(&before, None)?;
        } else {
            print(&table(&before))?;
        }
        return Ok(exit(counts.all_fine()));
    }
    let fixable = before.fixable();
    if fixable.is_empty() {
        if args.fixing.json {
            print_json(&before, Some(&Fixed::nothing(counts)))?;
        } else {
            print(&format!("{}nothing to fix\n", table(&before)))?;
        }
        return Ok(exit(counts.all_fine()));
    }
    if !args.fixing.json {
        safe_eprint!("{}", table(&before));
    }
    let plan = before.repair_plan(engine, &fixable);
    let warning = plan.download_warning(&engine.goenv.goproxy());
    if !args.fixing.yes && !confirm(&fixable, warning.as_deref())? {
        safe_eprintln!("nothing changed");
        return Ok(ExitCode::SUCCESS);
    }
    let fixed = fix(engine, &before, plan, args.fixing.json)?;
    let after = examine(engine, &dir, args.online)?;
    let fixed = Fixed {
        after: after.counts(),
        ..fixed
    };
    engine.record_run("doctor --fix", &fixed);
    if args.fixing.json {
        print_json(&after, Some(&fixed))?;
    } else {
        print(&receipt(&fixed, &table(&after)))?;
    }
    Ok(exit(fixed.after.all_fine() && fixed.failed == 0))
}

fn exit(fine: bool) -> ExitCode {
    if fine {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn confirm(fixable: &[(&Needed, &State)], warning: Option<&str>) -> anyhow::Result<bool> {
    let mut plan = String::new();
    for (needed, state) in fixable {
        let how = match state {
            State::Broken(_) => "repair it, cheapest way first (offline when it can)",
            _ => "download it through go",
        };
        plan.push_str(&format!("  {}@{}: {how}\n", needed.path, needed.version));
    }
    if let Some(warning) = warning {
        plan.push_str(&format!("  {warning}\n"));
    }
    let versions = count(fixable.len() as u64, "version");
    super::ask::confirm(
        &format!("{plan}fix {versions}?"),
        &format!("refusing to fix {versions} without --yes: stdin is not a terminal"),
    )
}

/// What `--fix` did.
#[derive(Serialize)]
struct Fixed {
    before: Counts,
    after: Counts,
    /// Bytes of the versions downloaded (zip, `.mod`, `.info`).
    bytes_downloaded: u64,
    /// Versions that could not be fixed.
    failed: usize,
    touched: Vec<Outcome>,
}

impl Fixed {
    fn nothing(counts: Counts) -> Fixed {
        Fixed {
            before: counts,
            after: counts,
            bytes_downloaded: 0,
            failed: 0,
            touched: Vec::new(),
        }
    }
}

fn fix(engine: &Engine, ex: &Examined, plan: RepairPlan, quiet: bool) -> anyhow::Result<Fixed> {
    let cancel = CancelToken::new();
    cancel.cancel_on_interrupt()?;
    let progress = ProgressLine::new(!quiet && std::io::stderr().is_terminal());
    let done = execute(engine, plan, &ex.expect, &cancel, &mut |n, total, key| {
        progress.show(|| format!("repaired {n}/{total}: {key}"));
    });
    progress.clear();
    let touched = done.outcomes;
    let failed = touched.iter().filter(|o| o.failed()).count();
    let downloaded: Vec<ModuleKey> = touched
        .iter()
        .filter(|o| o.error.is_none() && (o.action == "re-fetched" || o.action == "downloaded"))
        .map(|o| ModuleKey {
            path: o.path.clone(),
            version: o.version.clone(),
        })
        .collect();
    Ok(Fixed {
        before: ex.counts(),
        after: Counts::default(),
        bytes_downloaded: downloaded_bytes(engine, &downloaded),
        failed,
        touched,
    })
}
