//! `modlens refetch`: repair module versions, cheapest way first, then verify them again.
//!
//! `--broken` repairs every version the verifier flags and removes leftovers of interrupted
//! work; otherwise the named `path@version`s are repaired (a version not in the cache is simply
//! downloaded). Repairs run concurrently on a bounded pool (`--jobs`, default 4 go processes).
//! Each result is verified again, against the `--project` go.sum lines too, because outside a
//! module go itself checks only the checksum database.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::Arc;

use serde::Serialize;

use super::progress::ProgressLine;
use super::{Ctx, RefetchArgs, print};
use crate::cache::cancel::CancelToken;
use crate::cache::fmt::count;
use crate::cache::scan::{Depth, scan_version};
use crate::cache::{ModCache, ModuleEntry, ModuleKey, semver};
use crate::fix::fetch::fetch_and_swap;
use crate::fix::refetch::{Repair, plan_for};
use crate::ops::jobs::{ItemDone, ItemError, JobEvent, JobItem, JobSpec, Jobs};
use crate::verify::{Expectations, verify_entry};

/// What became of one version.
#[derive(Serialize)]
pub(super) struct Outcome {
    pub(super) path: String,
    pub(super) version: String,
    /// `re-extracted`, `re-zipped`, `re-fetched`, `downloaded`, or `failed`.
    pub(super) action: String,
    pub(super) error: Option<String>,
    /// Problem kinds left after the repair (empty when it verifies clean).
    pub(super) problems: Vec<&'static str>,
}

pub fn run(ctx: &Ctx, args: &RefetchArgs) -> anyhow::Result<ExitCode> {
    if !args.broken && args.modules.is_empty() {
        anyhow::bail!("say what to repair: --broken, or MODULE@VERSION arguments");
    }
    let mut wanted = Vec::new();
    for m in &args.modules {
        let (path, version) = m
            .split_once('@')
            .ok_or_else(|| anyhow::anyhow!("invalid argument {m:?}: want MODULE@VERSION"))?;
        if semver::canonical(version).as_deref() != Some(version) {
            anyhow::bail!("invalid argument {m:?}: {version:?} is not a canonical version");
        }
        wanted.push(ModuleKey {
            path: path.to_owned(),
            version: version.to_owned(),
        });
    }
    let expect = ctx.expectations(&args.project, args.recursive)?;
    let cache = ctx.cache();
    // Sizes are not needed here, so the trees are not walked.
    let snapshot = ctx.snapshot(Depth::Shallow)?;
    let by_key: BTreeMap<&ModuleKey, &ModuleEntry> =
        snapshot.entries.iter().map(|e| (&e.key, e)).collect();

    let mut targets: Vec<ModuleEntry> = Vec::new();
    let mut missing: Vec<ModuleKey> = Vec::new();
    let mut sumdb_files: Vec<std::path::PathBuf> = Vec::new();
    let mut intents: BTreeMap<ModuleKey, Repair> = BTreeMap::new();
    for k in &wanted {
        match by_key.get(k) {
            Some(e) => targets.push((*e).clone()),
            None => missing.push(k.clone()),
        }
    }
    if args.broken {
        // Unauthentic checksum-database answers are removed (go fetches them again); the
        // version itself is repaired only when something else is wrong with it.
        let found = crate::ops::broken::find_broken(
            &ctx.pools,
            &cache,
            snapshot.entries.clone(),
            Arc::clone(&expect),
        );
        sumdb_files.extend(found.sumdb_files);
        for v in found.versions {
            if let Some(e) = by_key.get(&v.key)
                && !targets.iter().any(|t| t.key == v.key)
            {
                targets.push((*e).clone());
                intents.insert(v.key.clone(), plan_for(&v));
            }
        }
    }
    // Leftovers of interrupted work only; stray files of unknown origin are the user's call.
    let mut leftovers: Vec<std::path::PathBuf> = if args.broken {
        snapshot
            .leftovers
            .iter()
            .filter(|l| l.kind.is_go_temporary())
            .map(|l| l.rel_path.clone())
            .collect()
    } else {
        Vec::new()
    };
    leftovers.extend(sumdb_files);
    // Versions named by hand are planned from a fresh verdict; a healthy one is left alone.
    for t in &targets {
        if !intents.contains_key(&t.key) {
            intents.insert(t.key.clone(), plan_for(&verify_entry(&cache, t, &expect)));
        }
    }
    let healthy: Vec<ModuleKey> = targets
        .iter()
        .filter(|t| intents.get(&t.key) == Some(&Repair::Nothing))
        .map(|t| t.key.clone())
        .collect();
    targets.retain(|t| !healthy.contains(&t.key));
    if targets.is_empty() && missing.is_empty() && leftovers.is_empty() {
        // Said once: per version when they were named, else for the whole cache.
        let mut text = String::new();
        for key in &healthy {
            text.push_str(&format!("{key}: nothing to repair\n"));
        }
        if healthy.is_empty() {
            text.push_str("nothing to repair\n");
        }
        print(&text)?;
        return Ok(ExitCode::SUCCESS);
    }
    if !args.yes || args.dry_run {
        let versions = count((targets.len() + missing.len()) as u64, "version");
        let mut plan = String::new();
        for t in &targets {
            let how = intents.get(&t.key).copied().unwrap_or(Repair::Refetched);
            plan.push_str(&format!("  {}: {}\n", t.key, how.intent()));
        }
        for key in &missing {
            plan.push_str(&format!(
                "  {key}: download through go (not in the cache)\n"
            ));
        }
        for rel in &leftovers {
            plan.push_str(&format!(
                "  remove {}\n",
                crate::cache::fmt::escaped_path(rel)
            ));
        }
        if args.dry_run {
            print(&format!(
                "{plan}would repair {versions} and remove {}\n",
                count(leftovers.len() as u64, "file")
            ))?;
            return Ok(ExitCode::SUCCESS);
        }
        let question = format!(
            "{plan}repair {versions} and remove {}?",
            count(leftovers.len() as u64, "file")
        );
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
    let show = !args.json && std::io::stderr().is_terminal();
    let mut done = execute(ctx, targets, missing, leftovers, &expect, &cancel, show);
    for key in healthy {
        done.results
            .push((key, Ok(ItemDone::Repaired(Repair::Nothing))));
    }
    let (outcomes, cleaned) = (verify_outcomes(ctx, done.results, &expect), done.cleaned);
    let failed = outcomes
        .iter()
        .filter(|o| o.error.is_some() || !o.problems.is_empty())
        .count();
    if cancel.is_cancelled() {
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
    ctx.record_run("refetch", &report);
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
    Ok(if failed == 0 && !cancel.is_cancelled() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// What [`execute`] did: one result per version, and how many leftovers it removed.
pub(super) struct Executed {
    /// Each version and what became of it.
    pub(super) results: Vec<(ModuleKey, Result<ItemDone, Option<ItemError>>)>,
    /// Leftovers removed.
    pub(super) cleaned: usize,
}

/// Repairs `targets` (cheapest way first) and downloads `missing` through go, removing
/// `leftovers` on the side; with `show`, a progress line on stderr.
pub(super) fn execute(
    ctx: &Ctx,
    targets: Vec<ModuleEntry>,
    missing: Vec<ModuleKey>,
    leftovers: Vec<std::path::PathBuf>,
    expect: &Arc<Expectations>,
    cancel: &CancelToken,
    show: bool,
) -> Executed {
    let cache = ctx.cache();
    let go = ctx.go_runner();
    let jobs = Jobs::new(cache.clone(), &ctx.pools);
    let (tx, rx) = crossbeam_channel::unbounded();
    let total = targets.len();
    jobs.start(
        1,
        JobSpec::Repair {
            entries: targets,
            expect: Arc::clone(expect),
            go: go.clone(),
        },
        tx.clone(),
        cancel.clone(),
    );
    if !leftovers.is_empty() {
        jobs.start(
            2,
            JobSpec::Delete {
                versions: Vec::new(),
                sources: Vec::new(),
                paths: leftovers,
            },
            tx.clone(),
            cancel.clone(),
        );
    }
    drop(tx);
    let mut results = Vec::new();
    let mut cleaned = 0;
    let mut progress = ProgressLine::new(show);
    for event in rx {
        match event {
            JobEvent::Item {
                id: 1,
                item: JobItem::Version(key),
                result,
                ..
            } => {
                progress.show(|| format!("repaired {}/{total}: {key}", results.len() + 1));
                results.push((key, result.map_err(Some)));
            }
            JobEvent::Item {
                id: 2,
                result: Ok(_),
                files_removed,
                ..
            } => cleaned += usize::from(files_removed > 0),
            JobEvent::Item {
                id: 2,
                item,
                result: Err(e),
                ..
            } => {
                safe_eprintln!("modlens: cannot remove leftover {item:?}: {e}");
            }
            _ => {}
        }
    }
    progress.clear();
    let downloaded = fetch_and_swap(&cache, &missing, expect, &go, cancel);
    for (key, result) in missing.into_iter().zip(downloaded) {
        results.push((
            key,
            result
                .map(|()| ItemDone::Downloaded)
                .map_err(|e| Some(Arc::new(e.into()))),
        ));
    }
    Executed { results, cleaned }
}

/// Verifies each repaired or downloaded version again (hashing, on the hashing pool), sorted by
/// module and version.
pub(super) fn verify_outcomes(
    ctx: &Ctx,
    results: Vec<(ModuleKey, Result<ItemDone, Option<ItemError>>)>,
    expect: &Expectations,
) -> Vec<Outcome> {
    let cache = ctx.cache();
    let mut outcomes: Vec<Outcome> = ctx.pools.hash_map(results, |(key, result)| {
        outcome(&cache, &key, result, expect)
    });
    outcomes.sort_by(|a, b| {
        a.path
            .cmp(&b.path)
            .then_with(|| semver::sort_order(&a.version, &b.version))
    });
    outcomes
}

/// Verifies a repaired version again and records what happened.
fn outcome(
    cache: &ModCache,
    key: &ModuleKey,
    result: Result<ItemDone, Option<ItemError>>,
    expect: &Expectations,
) -> Outcome {
    let deleted = matches!(result, Ok(ItemDone::Repaired(Repair::Deleted)));
    let (action, error) = match result {
        Ok(done) => (done.to_string(), None),
        Err(e) => ("failed".to_owned(), e.map(|e| e.to_string())),
    };
    let problems = match (&error, scan_version(cache, key)) {
        // Deleted on purpose, for go to unpack again.
        (None, None) if deleted => Vec::new(),
        (None, Some(entry)) => verify_entry(cache, &entry, expect)
            .problems
            .iter()
            .map(|p| p.kind.name())
            .collect(),
        (None, None) => vec!["missing_after_repair"],
        (Some(_), _) => Vec::new(),
    };
    Outcome {
        path: key.path.clone(),
        version: key.version.clone(),
        action,
        error,
        problems,
    }
}
