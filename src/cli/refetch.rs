//! `modlens refetch`: repair module versions, cheapest way first, then verify them again.
//!
//! `--broken` repairs every version the verifier flags and removes leftovers of interrupted
//! work; otherwise the named `path@version`s are repaired (a version not in the cache is simply
//! downloaded). Repairs run concurrently on a bounded pool (`--jobs`, default 4 go processes).
//! Each result is verified again, against the `--project` go.sum lines too, because outside a
//! module go itself checks only the checksum database. The plan and its execution are
//! [`crate::ops::plan::repair`]'s; this file parses, asks and prints.

use std::io::IsTerminal;
use std::process::ExitCode;

use serde::Serialize;

use super::progress::ProgressLine;
use super::{Engine, RefetchArgs, print};
use crate::cache::ModuleKey;
use crate::cache::cancel::CancelToken;
use crate::cache::fmt::count;
use crate::cache::scan::Depth;
use crate::ops::plan::repair::{Outcome, RepairPlan, execute, plan_refetch};

pub fn run(engine: &Engine, args: &RefetchArgs) -> anyhow::Result<ExitCode> {
    let wanted = args
        .modules
        .iter()
        .map(|m| super::check::module_version(m))
        .collect::<anyhow::Result<Vec<ModuleKey>>>()?;
    let expect = engine.expectations(&args.project, args.recursive)?;
    // Sizes are not needed here, so the trees are not walked.
    let snapshot = engine.snapshot(Depth::Shallow)?;
    let mut plan = plan_refetch(engine, &snapshot, &wanted, args.broken, &expect);
    if let Some(from) = &args.from {
        plan.source = Some(crate::ops::store::repair_source(
            engine,
            from,
            &plan.fetched(),
            &expect,
        )?);
    }
    if args.json && (args.dry_run || plan.is_empty()) {
        let mut text = serde_json::to_string_pretty(&PlanJson::of(&plan, args.dry_run))?;
        text.push('\n');
        print(&text)?;
        return Ok(ExitCode::SUCCESS);
    }
    if plan.is_empty() {
        // Said once: per version when they were named, else for the whole cache.
        let mut text = String::new();
        for key in &plan.healthy {
            text.push_str(&format!("{key}: nothing to repair\n"));
        }
        if plan.healthy.is_empty() {
            text.push_str("nothing to repair\n");
        }
        print(&text)?;
        return Ok(ExitCode::SUCCESS);
    }
    if !args.yes || args.dry_run {
        let mut lines = String::new();
        for line in plan.lines() {
            lines.push_str(&format!("  {line}\n"));
        }
        if let Some(source) = &plan.source {
            lines.push_str(&format!("  (go downloads from {source}, not GOPROXY)\n"));
        }
        if let Some(warning) = plan.download_warning(&engine.goenv.goproxy()) {
            lines.push_str(&format!("  {warning}\n"));
        }
        let versions = count(plan.versions() as u64, "version");
        let files = count(plan.removals.len() as u64, "file");
        if args.dry_run {
            print(&format!(
                "{lines}would repair {versions} and remove {files}\n"
            ))?;
            return Ok(ExitCode::SUCCESS);
        }
        let question = format!("{lines}repair {versions} and remove {files}?");
        let refusal =
            format!("refusing to repair {versions} without --yes: stdin is not a terminal");
        if !super::ask::confirm(&question, &refusal)? {
            safe_eprintln!("nothing repaired");
            return Ok(ExitCode::SUCCESS);
        }
    }

    // Ctrl-C stops the jobs between items, kills go's whole process group and removes the
    // scratch caches: what was not swapped in stays as it was.
    let cancel = CancelToken::new();
    cancel.cancel_on_interrupt()?;
    let progress = ProgressLine::new(!args.json && std::io::stderr().is_terminal());
    let done = execute(engine, plan, &expect, &cancel, &mut |n, total, key| {
        progress.show(|| format!("repaired {n}/{total}: {key}"));
    });
    progress.clear();
    let (outcomes, cleaned) = (done.outcomes, done.removed);
    let failed = outcomes.iter().filter(|o| o.failed()).count();
    if done.interrupted {
        safe_eprintln!(
            "modlens: interrupted: {} repaired; the rest is unchanged",
            count((outcomes.len() - failed) as u64, "version")
        );
    }
    #[derive(Serialize)]
    struct Report<'a> {
        repaired: &'a [Outcome],
        leftovers_removed: usize,
        failed: usize,
    }
    let report = Report {
        repaired: &outcomes,
        leftovers_removed: cleaned,
        failed,
    };
    engine.record_run("refetch", &report);
    if args.json {
        let mut text = serde_json::to_string_pretty(&report)?;
        text.push('\n');
        print(&text)?;
    } else {
        let mut text = String::new();
        for o in &outcomes {
            match (&o.error, o.problems.is_empty()) {
                (Some(e), _) => text.push_str(&format!("{}@{}: failed: {e}\n", o.path, o.version)),
                (None, true) => text.push_str(&format!(
                    "{}@{}: {}, verified\n",
                    o.path, o.version, o.action
                )),
                (None, false) => text.push_str(&format!(
                    "{}@{}: {}, but still has problems: {}\n",
                    o.path,
                    o.version,
                    o.action,
                    o.problems.join(", ")
                )),
            }
        }
        text.push_str(&format!(
            "repaired {} of {}; removed {}\n",
            outcomes.len() - failed,
            count(outcomes.len() as u64, "version"),
            count(
                cleaned as u64,
                "leftover or unauthentic checksum-database file"
            )
        ));
        print(&text)?;
    }
    Ok(if failed == 0 && !done.interrupted {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// A plan as `--json` prints it when nothing runs: with `--dry-run`, or when there is nothing
/// to repair. It carries a receipt's fields too, empty, so that scripts read one shape.
#[derive(Serialize)]
struct PlanJson {
    dry_run: bool,
    /// Each version and what it would get.
    plan: Vec<PlannedJson>,
    /// Files that would be removed, relative to the cache root (escaped where not UTF-8).
    remove: Vec<String>,
    /// Versions named that need nothing.
    healthy: Vec<String>,
    /// Where go would download from instead of GOPROXY (`--from`).
    source: Option<String>,
    repaired: Vec<Outcome>,
    leftovers_removed: usize,
    failed: usize,
}

#[derive(Serialize)]
struct PlannedJson {
    path: String,
    version: String,
    repair: String,
}

impl PlanJson {
    fn of(plan: &RepairPlan, dry_run: bool) -> PlanJson {
        let planned = |key: &ModuleKey, repair: &str| PlannedJson {
            path: key.path.clone(),
            version: key.version.clone(),
            repair: repair.to_owned(),
        };
        let mut versions: Vec<PlannedJson> = plan
            .repairs
            .iter()
            .map(|(e, how)| planned(&e.key, how.intent()))
            .collect();
        versions.extend(
            plan.unverified
                .iter()
                .map(|e| planned(&e.key, "verify, then repair the cheapest way")),
        );
        versions.extend(
            plan.downloads
                .iter()
                .map(|k| planned(k, "download through go (not in the cache)")),
        );
        PlanJson {
            dry_run,
            plan: versions,
            remove: plan
                .removals
                .iter()
                .map(|rel| crate::cache::fmt::escaped_path(rel))
                .collect(),
            healthy: plan.healthy.iter().map(ToString::to_string).collect(),
            source: plan.source.clone(),
            repaired: Vec::new(),
            leftovers_removed: 0,
            failed: 0,
        }
    }
}
