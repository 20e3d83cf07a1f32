//! `modlens doctor [DIR]`: what a Go project needs from the cache, version by version, and with
//! `--fix`, the cheapest repair of what is broken and a download of what is missing, through the
//! same jobs as `refetch`; then the project is checked again and a receipt printed.
//!
//! go says what the project needs ([`crate::ops::project`]); modlens says what the cache holds
//! and whether it verifies, against the project's go.sum files too. Nothing outside the
//! project's needs is touched.

mod report;

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::Arc;

use serde::Serialize;

use crate::cache::cancel::CancelToken;
use crate::cache::fmt::count;
use crate::cache::scan::Depth;
use crate::cache::{ModuleEntry, ModuleKey};
use crate::cli::progress::ProgressLine;
use crate::cli::{DoctorArgs, Engine, print};
use crate::fix::refetch::Repair;
use crate::ops::plan::repair::{Outcome, RepairPlan, execute};
use crate::ops::project::{self, Needed, Needs, State};
use crate::verify::{Expectations, Verdict};
use report::{print_json, receipt, table};

/// The project looked at once: go's needs, the cache's entries and their states.
struct Examined {
    needs: Needs,
    entries: BTreeMap<ModuleKey, ModuleEntry>,
    verdicts: BTreeMap<ModuleKey, Verdict>,
    states: Vec<State>,
    expect: Arc<Expectations>,
}

impl Examined {
    fn rows(&self) -> impl Iterator<Item = (&Needed, &State)> {
        self.needs.modules.iter().zip(&self.states)
    }

    fn counts(&self) -> Counts {
        let mut c = Counts {
            needed: self.states.len(),
            ..Counts::default()
        };
        for s in &self.states {
            match s {
                State::Verified => c.verified += 1,
                State::Broken(_) => c.broken += 1,
                State::Missing | State::SourceMissing => c.missing += 1,
                State::Unusable(_) => c.unusable += 1,
                State::NeedsNewerGo(_) => c.needs_newer_go += 1,
                State::LocalReplacement => c.local += 1,
                State::Retracted(_) => c.retracted += 1,
                State::Unreadable(_) => c.unreadable += 1,
            }
        }
        c
    }
}

/// How many needed versions are in each state.
#[derive(Debug, Clone, Copy, Default, Serialize)]
struct Counts {
    needed: usize,
    verified: usize,
    broken: usize,
    missing: usize,
    unusable: usize,
    needs_newer_go: usize,
    local: usize,
    retracted: usize,
    unreadable: usize,
}

impl Counts {
    fn all_fine(&self) -> bool {
        self.broken
            + self.missing
            + self.unusable
            + self.needs_newer_go
            + self.retracted
            + self.unreadable
            == 0
    }
}

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
    let fixable: Vec<(&Needed, &State)> = before.rows().filter(|(_, s)| s.is_fixable()).collect();
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
    if !args.fixing.yes && !confirm(&fixable)? {
        safe_eprintln!("nothing changed");
        return Ok(ExitCode::SUCCESS);
    }
    let fixed = fix(engine, &before, &fixable, args.fixing.json)?;
    let after = examine(engine, &dir, args.online)?;
    let fixed = Fixed {
        after: after.counts(),
        ..fixed
    };
    engine.record_run("doctor --fix", &fixed);
    if args.fixing.json {
        print_json(&after, Some(&fixed))?;
    } else {
        print(&format!("{}{}", table(&after), receipt(&fixed)))?;
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

/// Asks go what the project needs, scans the cache and verifies what it holds of that.
fn examine(engine: &Engine, dir: &std::path::Path, online: bool) -> anyhow::Result<Examined> {
    let (go, cancel) = (engine.go_runner(), CancelToken::new());
    let found = project::locate(&go, &engine.located.root, dir, &cancel)?;
    let root = found
        .gowork
        .as_deref()
        .or(found.gomod.as_deref())
        .and_then(|f| f.parent())
        .map_or_else(|| dir.to_path_buf(), std::path::Path::to_path_buf);
    let expect = engine.expectations(&[root], false)?;
    let mut needs = project::needs(&go, &engine.located.root, &found, &expect.gosums, &cancel)?;
    if online {
        let retracted = project::retractions(&go, &engine.located.root, &found, &cancel)?;
        for n in &mut needs.modules {
            n.retracted = retracted
                .get(&(n.path.clone(), n.version.clone()))
                .map(|why| why.join("; "));
        }
    }
    let snapshot = engine.snapshot(Depth::Shallow)?;
    let wanted: std::collections::HashSet<&ModuleKey> = needs
        .modules
        .iter()
        .filter_map(|n| n.in_cache.as_ref())
        .collect();
    let entries: BTreeMap<ModuleKey, ModuleEntry> = snapshot
        .entries
        .into_iter()
        .filter(|e| wanted.contains(&e.key))
        .map(|e| (e.key.clone(), e))
        .collect();
    let verdicts = crate::ops::verify::verdicts(
        &engine.pools,
        &engine.cache(),
        entries.values().cloned().collect(),
        Arc::clone(&expect),
    );
    let states = needs
        .modules
        .iter()
        .map(|n| project::judge(n, &entries, &verdicts))
        .collect();
    Ok(Examined {
        needs,
        entries,
        verdicts,
        states,
        expect,
    })
}

fn confirm(fixable: &[(&Needed, &State)]) -> anyhow::Result<bool> {
    let mut plan = String::new();
    for (needed, state) in fixable {
        let how = match state {
            State::Broken(_) => "repair it, cheapest way first (offline when it can)",
            _ => "download it through go",
        };
        plan.push_str(&format!("  {}@{}: {how}\n", needed.path, needed.version));
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

fn fix(
    engine: &Engine,
    ex: &Examined,
    fixable: &[(&Needed, &State)],
    quiet: bool,
) -> anyhow::Result<Fixed> {
    let cache = engine.cache();
    let mut plan = RepairPlan::default();
    for (needed, state) in fixable {
        let Some(key) = needed.in_cache.clone() else {
            continue;
        };
        match (state, ex.entries.get(&key), ex.verdicts.get(&key)) {
            (State::Broken(_), Some(entry), Some(verdict)) => {
                plan.add_verdict(&cache, entry, verdict)
            }
            (State::Broken(_), Some(entry), None) => {
                plan.repairs.push((entry.clone(), Repair::Refetched))
            }
            _ => plan.downloads.push(key),
        }
    }
    // Only what needs doing is reported: a version whose one fault was a checksum-database
    // file is fine once the file is gone.
    plan.healthy.clear();
    let cancel = CancelToken::new();
    cancel.cancel_on_interrupt()?;
    let mut progress = ProgressLine::new(!quiet && std::io::stderr().is_terminal());
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
    let bytes_downloaded = downloaded
        .iter()
        .filter_map(|k| crate::cache::scan::scan_version(&cache, k))
        .map(|e| e.zip.apparent + e.rest.apparent)
        .sum();
    Ok(Fixed {
        before: ex.counts(),
        after: Counts::default(),
        bytes_downloaded,
        failed,
        touched,
    })
}
