//! `modlens history`: how the cache grew, from the scans the state database recorded: the
//! total of the last scan of each day (or ISO week, `--weekly`), the change from the one
//! before, the modules that grew most over the period, and the runs that changed the cache.

use std::collections::BTreeMap;
use std::process::ExitCode;

use serde::Serialize;

use super::{Engine, HistoryArgs, print};
use crate::cache::fmt::{count, size};
use crate::ops::state::{ScanRecord, unix};

#[derive(Serialize)]
struct Day {
    day: String,
    disk_bytes: u64,
    change_bytes: i64,
    versions: u64,
    trash_bytes: u64,
}

#[derive(Serialize)]
struct Grower {
    path: String,
    change_bytes: i64,
}

pub fn run(engine: &Engine, args: &HistoryArgs) -> anyhow::Result<ExitCode> {
    let Some(state) = &engine.state else {
        anyhow::bail!("the state database is off or cannot be used: no history to show");
    };
    show(state, &engine.located.root, args)
}

/// The history of the cache at `root`, which no longer exists (`go clean -modcache` removes
/// the whole directory): what was recorded of it is still in the state database, and tells
/// what it held before it went.
pub fn run_gone(
    goenv: &crate::cache::goenv::GoEnv,
    root: &std::path::Path,
    state_flag: Option<&std::path::Path>,
    args: &HistoryArgs,
) -> anyhow::Result<ExitCode> {
    let notices: crate::ops::engine::Notices =
        std::sync::Arc::new(|notice| safe_eprintln!("modlens: {notice}"));
    let state = crate::ops::engine::open_state_for(goenv, state_flag, false, root, &notices)?;
    let Some(state) = state else {
        anyhow::bail!("the state database is off or cannot be used: no history to show");
    };
    if state.scans(root)?.is_empty() {
        anyhow::bail!(
            "cache directory {} does not exist, and no history of it is recorded",
            root.display()
        );
    }
    safe_eprintln!(
        "modlens: the cache {} no longer exists (`go clean -modcache` removes it); what was \
         recorded of it:",
        root.display()
    );
    show(&state, root, args)
}

fn show(
    state: &crate::ops::state::State,
    root: &std::path::Path,
    args: &HistoryArgs,
) -> anyhow::Result<ExitCode> {
    let since = args
        .since
        .as_deref()
        .map(crate::ops::policy::parse_duration)
        .transpose()?;
    let now = unix(crate::cache::clock::now());
    let from = since.map_or(i64::MIN, |d| {
        now - i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
    });
    let scans: Vec<ScanRecord> = state
        .scans(root)?
        .into_iter()
        .filter(|s| s.at >= from)
        .collect();
    // Each period's first and last scan: the first period's change is within it (the cache
    // changes on the day modlens first sees it too), later ones against the period before.
    let mut days: BTreeMap<String, (ScanRecord, ScanRecord)> = BTreeMap::new();
    for s in &scans {
        let period = if args.weekly {
            week_of(s.at)
        } else {
            day_of(s.at)
        };
        days.entry(period)
            .and_modify(|(_, last)| *last = *s)
            .or_insert((*s, *s));
    }
    let mut previous: Option<u64> = None;
    let days: Vec<Day> = days
        .into_iter()
        .map(|(day, (first, s))| {
            let base = previous.unwrap_or(first.disk);
            let change = s.disk as i64 - base as i64;
            previous = Some(s.disk);
            Day {
                day,
                disk_bytes: s.disk,
                change_bytes: change,
                versions: s.versions,
                trash_bytes: s.trash,
            }
        })
        .collect();
    let growers = match (scans.first(), scans.last()) {
        (Some(first), Some(last)) => {
            let before = state.module_sizes_at(root, first.at)?;
            let after = state.module_sizes_at(root, last.at)?;
            let mut growers: Vec<Grower> = after
                .iter()
                .map(|(path, disk)| Grower {
                    path: path.clone(),
                    change_bytes: *disk as i64 - before.get(path).copied().unwrap_or(0) as i64,
                })
                .chain(before.iter().filter(|(p, _)| !after.contains_key(*p)).map(
                    |(path, disk)| Grower {
                        path: path.clone(),
                        change_bytes: -(*disk as i64),
                    },
                ))
                .filter(|g| g.change_bytes != 0)
                .collect();
            growers.sort_by_key(|g| std::cmp::Reverse(g.change_bytes));
            growers
        }
        _ => Vec::new(),
    };
    let runs = state.runs(root, from)?;
    if args.json {
        #[derive(Serialize)]
        struct Report<'a> {
            cache: &'a std::path::Path,
            state: &'a std::path::Path,
            days: &'a [Day],
            top_growers: &'a [Grower],
            runs: &'a [crate::ops::state::RunRecord],
        }
        let mut text = serde_json::to_string_pretty(&Report {
            cache: root,
            state: state.path(),
            days: &days,
            top_growers: &growers,
            runs: &runs,
        })?;
        text.push('\n');
        print(&text)?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut out = String::new();
    if days.is_empty() {
        out.push_str("no scans recorded yet: `modlens list` and the explorer record them\n");
    }
    for d in &days {
        let trash = match d.trash_bytes {
            0 => String::new(),
            n => format!(" (trash {})", size(n)),
        };
        out.push_str(&format!(
            "{}  {:>10}  {:>11}  {}{trash}\n",
            d.day,
            size(d.disk_bytes),
            signed(d.change_bytes),
            count(d.versions, "version")
        ));
    }
    // Growers and shrinkers apart: a list of "growers" that only shrank says nothing.
    let grew: Vec<&Grower> = growers
        .iter()
        .filter(|g| g.change_bytes > 0)
        .take(10)
        .collect();
    let shrank: Vec<&Grower> = growers
        .iter()
        .rev()
        .filter(|g| g.change_bytes < 0)
        .take(10)
        .collect();
    for (title, list) in [("top growers", grew), ("shrank most", shrank)] {
        if !list.is_empty() {
            out.push_str(&format!("{title}:\n"));
            for g in list {
                out.push_str(&format!("  {:>11}  {}\n", signed(g.change_bytes), g.path));
            }
        }
    }
    if !runs.is_empty() {
        out.push_str("runs that changed the cache:\n");
        for r in &runs {
            out.push_str(&format!(
                "  {}  {}  {}\n",
                time_of(r.at),
                r.command,
                run_summary(r)
            ));
        }
    }
    print(&out)?;
    Ok(ExitCode::SUCCESS)
}

/// A run's receipt in a few words.
fn run_summary(run: &crate::ops::state::RunRecord) -> String {
    let r = &run.receipt;
    let len = |k: &str| r[k].as_array().map_or(0, Vec::len);
    match run.command.as_str() {
        "clean" if len("removed") == 0 && len("trashed") > 0 => format!(
            "moved {} to the trash",
            count(len("trashed") as u64, "version")
        ),
        "clean" => format!(
            "removed {}, freed {}",
            count(len("removed") as u64, "item"),
            size(r["freed_bytes"].as_u64().unwrap_or(0))
        ),
        "refetch" => format!(
            "repaired {} of {}",
            len("repaired").saturating_sub(r["failed"].as_u64().unwrap_or(0) as usize),
            len("repaired")
        ),
        "doctor --fix" => format!(
            "broken {} -> {}, missing {} -> {}, downloaded {}",
            r["before"]["broken"],
            r["after"]["broken"],
            r["before"]["missing"],
            r["after"]["missing"],
            size(r["bytes_downloaded"].as_u64().unwrap_or(0))
        ),
        _ => count(r.as_array().map_or(0, Vec::len) as u64, "version"),
    }
}

/// The UTC time of `at` (seconds since the epoch).
fn time_of(at: i64) -> String {
    chrono::DateTime::from_timestamp(at, 0)
        .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_else(|| "-".to_owned())
}

/// `+1.2 MiB`, `-3 KiB`, or `0 B`.
pub fn signed(bytes: i64) -> String {
    match bytes {
        0 => "0 B".to_owned(),
        b if b > 0 => format!("+{}", size(b.unsigned_abs())),
        b => format!("-{}", size(b.unsigned_abs())),
    }
}

/// The ISO week of `at` (seconds since the epoch, UTC), as YYYY-Www.
fn week_of(at: i64) -> String {
    chrono::DateTime::from_timestamp(at, 0)
        .map(|t| t.format("%G-W%V").to_string())
        .unwrap_or_else(|| "-".to_owned())
}

/// The UTC day of `at` (seconds since the epoch), as YYYY-MM-DD.
fn day_of(at: i64) -> String {
    chrono::DateTime::from_timestamp(at, 0)
        .map(|t| t.format("%Y-%m-%d").to_string())
        .unwrap_or_else(|| "-".to_owned())
}
