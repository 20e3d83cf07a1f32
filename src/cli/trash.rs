//! `modlens trash list | restore | empty`: what `clean --trash` and the explorer's `t` moved
//! aside, putting it back, and removing it for good.
//!
//! A restore puts each version back under go's lock with the `.partial` protocol (see
//! `fix::trash`) and then verifies it, so the answer is "restored and verified", or which
//! problem it came back with. Emptying removes entries for good and, like every removal,
//! asks first on a terminal and needs `--yes` elsewhere.

use std::process::ExitCode;

use serde::Serialize;

use super::ask::confirm;
use super::{Engine, TrashAction, TrashArgs, print};
use crate::cache::cancel::CancelToken;
use crate::cache::fmt::{ago, count, rfc3339, size};
use crate::cache::trash::{TrashEntry, read_trash, trash_root};
use crate::fix::trash::due;
use crate::ops::jobs::{ItemDone, JobItem, JobSpec};
use crate::ops::policy::parse_duration;

pub fn run(engine: &Engine, args: &TrashArgs) -> anyhow::Result<ExitCode> {
    let cache = engine.cache();
    let entries =
        read_trash(&cache).map_err(|e| anyhow::anyhow!("{}: {e}", trash_root(&cache).display()))?;
    match &args.action {
        TrashAction::List { json } => list(engine, &entries, *json),
        TrashAction::Restore { targets, json } => restore_all(engine, &entries, targets, *json),
        TrashAction::Empty {
            older_than,
            dry_run,
            yes,
            json,
        } => {
            let older_than = older_than.as_deref().map(parse_duration).transpose()?;
            empty(engine, &entries, older_than, *dry_run, *yes, *json)
        }
    }
}

/// One entry as `trash list --json` shows it.
#[derive(Serialize)]
struct JsonEntry<'a> {
    id: &'a str,
    module: Option<&'a str>,
    version: Option<&'a str>,
    trashed_at: Option<String>,
    disk_bytes: u64,
    pieces: Vec<&'static str>,
    /// `false` when the move was interrupted (the rest is still in the cache, `.partial`).
    complete: bool,
    error: Option<&'a str>,
    /// Whether the next `clean` or `trash empty` removes it (older than --trash-keep).
    expired: bool,
}

fn list(engine: &Engine, entries: &[TrashEntry], json: bool) -> anyhow::Result<ExitCode> {
    let now = crate::cache::clock::now();
    let expired: Vec<&str> = match engine.trash_keep {
        Some(keep) => due(entries, Some(keep), 0, now)
            .iter()
            .map(|e| e.id.as_str())
            .collect(),
        None => Vec::new(),
    };
    let total: u64 = entries.iter().map(|e| e.usage.disk).sum();
    if json {
        let shown: Vec<JsonEntry<'_>> = entries
            .iter()
            .map(|e| JsonEntry {
                id: &e.id,
                module: e.key.as_ref().map(|k| k.path.as_str()),
                version: e.key.as_ref().map(|k| k.version.as_str()),
                trashed_at: e.trashed_at().map(rfc3339),
                disk_bytes: e.usage.disk,
                pieces: e.pieces.iter().map(|p| p.name()).collect(),
                complete: e.done,
                error: e.manifest.as_ref().err().map(String::as_str),
                expired: expired.contains(&e.id.as_str()),
            })
            .collect();
        let report = serde_json::json!({
            "trash": trash_root(&engine.cache()),
            "entries": shown,
            "disk_bytes": total,
            "keep_seconds": engine.trash_keep.map(|d| d.as_secs()),
        });
        print(&format!("{}\n", serde_json::to_string_pretty(&report)?))?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut text = String::new();
    for e in entries {
        let name = e.key.as_ref().map_or("?".to_owned(), ToString::to_string);
        let mut notes = Vec::new();
        if !e.done {
            notes.push("interrupted: the rest is still in the cache".to_owned());
        }
        if let Err(why) = &e.manifest {
            notes.push(why.clone());
        }
        if expired.contains(&e.id.as_str()) {
            notes.push("expired".to_owned());
        }
        let notes = match notes.is_empty() {
            true => String::new(),
            false => format!("  ({})", notes.join("; ")),
        };
        text.push_str(&format!(
            "{:>10}  {:<14}  {name}  [{}]{notes}\n",
            size(e.usage.disk),
            ago(e.trashed_at(), now),
            e.id,
        ));
    }
    let keep = match engine.trash_keep {
        Some(keep) => format!(
            "kept {} days (--trash-keep)",
            keep.as_secs().div_ceil(86_400)
        ),
        None => "kept until emptied (--trash-keep never)".to_owned(),
    };
    text.push_str(&format!(
        "{} in the trash, {}; {keep}\n",
        count(entries.len() as u64, "version"),
        size(total)
    ));
    print(&text)?;
    Ok(ExitCode::SUCCESS)
}

/// What became of one restore.
#[derive(Serialize)]
struct Restoration {
    target: String,
    module: Option<String>,
    version: Option<String>,
    restored: Vec<&'static str>,
    /// Pieces the cache had again (go downloaded them since); go's copy was kept.
    kept_from_cache: Vec<&'static str>,
    /// The trash still holds its copies of `kept_from_cache`, because the cache's own did not
    /// verify: unknown means keep.
    kept_in_trash: bool,
    error: Option<String>,
    /// Problem kinds the version came back with (empty: it verifies clean).
    problems: Vec<&'static str>,
}

fn restore_all(
    engine: &Engine,
    entries: &[TrashEntry],
    targets: &[String],
    json: bool,
) -> anyhow::Result<ExitCode> {
    let chosen = targets
        .iter()
        .map(|t| find(entries, t).map(|e| (t, e)))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let expect = engine.expectations(&[], false)?;
    let spec = JobSpec::Restore {
        entries: chosen.iter().map(|(_, e)| (*e).clone()).collect(),
        expect,
        go: engine.go_runner(),
    };
    let (finished, not_done) = run_stoppable(engine, spec, "restored")?;
    let mut results = Vec::new();
    for (target, entry) in chosen {
        let mut result = Restoration {
            target: target.clone(),
            module: entry.key.as_ref().map(|k| k.path.clone()),
            version: entry.key.as_ref().map(|k| k.version.clone()),
            restored: Vec::new(),
            kept_from_cache: Vec::new(),
            kept_in_trash: false,
            error: None,
            problems: Vec::new(),
        };
        let done = finished
            .iter()
            .find(|f| f.item == JobItem::Path(entry.rel_dir()));
        match done.map(|f| &f.result) {
            Some(Ok(ItemDone::Restored(settled))) => {
                result.restored = settled.restored.clone();
                result.kept_from_cache = settled.kept_from_cache.clone();
                result.kept_in_trash = settled.kept_in_trash;
                result.problems = settled.problems.clone();
            }
            Some(Err(e)) => result.error = Some(e.to_string()),
            Some(Ok(_)) | None => result.error = Some(not_done.clone()),
        }
        results.push(result);
    }
    engine.record_run("trash restore", &results);
    if json {
        let text = serde_json::to_string_pretty(&serde_json::json!({ "restored": results }))?;
        print(&format!("{text}\n"))?;
    } else {
        let mut text = String::new();
        for r in &results {
            let name = match (&r.module, &r.version) {
                (Some(m), Some(v)) => format!("{m}@{v}"),
                _ => r.target.clone(),
            };
            let line = match (&r.error, r.problems.as_slice()) {
                (Some(e), _) => format!("failed: {name}: {e}"),
                (None, []) => format!(
                    "restored {name} ({}); verified: no problems",
                    pieces_text(&r.restored, &r.kept_from_cache)
                ),
                (None, problems) => format!(
                    "restored {name} ({}); verify found: {} (see `modlens verify {name}`)",
                    pieces_text(&r.restored, &r.kept_from_cache),
                    problems.join(", ")
                ),
            };
            let line = if r.kept_in_trash {
                format!(
                    "{line}\n  the trashed {} stay in the trash as {}: the cache's own did not \
                     verify",
                    r.kept_from_cache.join(", "),
                    r.target
                )
            } else {
                line
            };
            text.push_str(&line);
            text.push('\n');
        }
        print(&text)?;
    }
    let clean = results
        .iter()
        .all(|r| r.error.is_none() && r.problems.is_empty());
    Ok(if clean {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Runs `spec`, which Ctrl-C or SIGTERM stops between entries (the one under way finishes);
/// also what an entry it never reached is called.
fn run_stoppable(
    engine: &Engine,
    spec: JobSpec,
    done: &str,
) -> anyhow::Result<(Vec<crate::ops::engine::Finished>, String)> {
    let cancel = CancelToken::new();
    cancel.cancel_on_interrupt()?;
    let finished = engine.run_job(spec, &cancel);
    let not_done = if cancel.is_cancelled() {
        format!("interrupted before it was {done}")
    } else {
        format!("not {done}")
    };
    Ok((finished, not_done))
}

fn pieces_text(restored: &[&str], kept: &[&str]) -> String {
    let mut text = match restored {
        [] => "nothing to put back".to_owned(),
        names => names.join(", "),
    };
    if !kept.is_empty() {
        text.push_str(&format!("; go had downloaded {} again", kept.join(", ")));
    }
    text
}

/// The entry a restore target names: an entry id, or `MODULE@VERSION` (its newest entry).
fn find<'a>(entries: &'a [TrashEntry], target: &str) -> anyhow::Result<&'a TrashEntry> {
    if let Some(entry) = entries.iter().find(|e| e.id == target) {
        return Ok(entry);
    }
    let (path, version) = target.rsplit_once('@').ok_or_else(|| {
        anyhow::anyhow!("invalid target {target:?}: give MODULE@VERSION or a trash entry id")
    })?;
    entries
        .iter()
        .rev()
        .find(|e| {
            e.key
                .as_ref()
                .is_some_and(|k| k.path == path && k.version == version)
        })
        .ok_or_else(|| anyhow::anyhow!("{target} is not in the trash (see `modlens trash list`)"))
}

/// Verifies a restored version; the kinds of problem it has.
fn empty(
    engine: &Engine,
    entries: &[TrashEntry],
    older_than: Option<std::time::Duration>,
    dry_run: bool,
    yes: bool,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let now = crate::cache::clock::now();
    let chosen: Vec<&TrashEntry> = match older_than {
        Some(age) => due(entries, Some(age), 0, now),
        None => due(entries, None, u64::MAX, now),
    };
    let bytes: u64 = chosen.iter().map(|e| e.usage.disk).sum();
    if !json {
        let mut text = String::new();
        for e in &chosen {
            let name = e.key.as_ref().map_or(e.id.clone(), ToString::to_string);
            text.push_str(&format!(
                "{:>10}  {name}  (trashed {})\n",
                size(e.usage.disk),
                ago(e.trashed_at(), now)
            ));
        }
        if chosen.is_empty() {
            let which = match older_than {
                Some(_) => "no trashed version is that old",
                None => "the trash is empty",
            };
            text.push_str(&format!("nothing to remove: {which}\n"));
        } else {
            let verb = if dry_run { "would empty" } else { "will empty" };
            text.push_str(&format!(
                "{verb} {}, freeing {}\n",
                count(chosen.len() as u64, "trashed version"),
                size(bytes)
            ));
        }
        print(&text)?;
    }
    if chosen.is_empty() || dry_run {
        if json {
            print_empty_json(&chosen, &[], &[], dry_run)?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    let question = format!(
        "remove {} from the trash for good and free {}?",
        count(chosen.len() as u64, "version"),
        size(bytes)
    );
    let refusal =
        "refusing to remove without --yes: stdin is not a terminal (use --dry-run to see the plan)";
    if !yes && !confirm(&question, refusal)? {
        safe_eprintln!("nothing removed");
        return Ok(ExitCode::SUCCESS);
    }
    let spec = JobSpec::EmptyTrash {
        entries: chosen.iter().map(|e| (*e).clone()).collect(),
    };
    let (finished, not_done) = run_stoppable(engine, spec, "emptied")?;
    let mut emptied = Vec::new();
    let mut failed = Vec::new();
    for entry in &chosen {
        let done = finished
            .iter()
            .find(|f| f.item == JobItem::Path(entry.rel_dir()));
        match done.map(|f| &f.result) {
            Some(Ok(_)) => emptied.push(entry.id.clone()),
            Some(Err(e)) => failed.push((entry.id.clone(), e.to_string())),
            None => failed.push((entry.id.clone(), not_done.clone())),
        }
    }
    engine.record_run(
        "trash empty",
        &serde_json::json!({ "emptied": emptied, "failed": failed, "plan_bytes": bytes }),
    );
    if json {
        print_empty_json(&chosen, &emptied, &failed, false)?;
    } else {
        let mut text = String::new();
        for (id, e) in &failed {
            text.push_str(&format!("failed: {id}: {e}\n"));
        }
        text.push_str(&format!(
            "emptied {}\n",
            count(emptied.len() as u64, "trashed version")
        ));
        print(&text)?;
    }
    Ok(if failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn print_empty_json(
    chosen: &[&TrashEntry],
    emptied: &[String],
    failed: &[(String, String)],
    dry_run: bool,
) -> anyhow::Result<()> {
    let plan: Vec<_> = chosen
        .iter()
        .map(|e| {
            serde_json::json!({
                "id": e.id,
                "module": e.key.as_ref().map(|k| k.to_string()),
                "disk_bytes": e.usage.disk,
            })
        })
        .collect();
    let failed: Vec<_> = failed
        .iter()
        .map(|(id, error)| serde_json::json!({ "id": id, "error": error }))
        .collect();
    let report = serde_json::json!({
        "dry_run": dry_run,
        "plan": plan,
        "plan_bytes": chosen.iter().map(|e| e.usage.disk).sum::<u64>(),
        "emptied": emptied,
        "failed": failed,
    });
    print(&format!("{}\n", serde_json::to_string_pretty(&report)?))?;
    Ok(())
}
