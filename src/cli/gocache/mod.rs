//! `modlens gocache list | verify | clean`: the build cache (GOCACHE) beside the module cache.
//!
//! `list` accounts for every byte (totals equal `du`) and shows how recently the entries were
//! used against go's 5-day trim limit; `verify` hashes every output against its name and
//! checks every action entry, saying what go would do with each problem; `clean` deletes by
//! age, size, damage or orphanhood, action entries before their outputs. The build cache does
//! not need the module cache: this command runs without one.

mod clean;

use std::process::ExitCode;
use std::time::SystemTime;

use serde::Serialize;

use super::progress::ProgressLine;
use super::{GocacheAction, GocacheArgs, print};
use crate::cache::fmt::{ago, count, rfc3339, size};
use crate::cache::gocache::scan::{BuildSnapshot, scan};
use crate::cache::gocache::{AGE_BANDS as BUCKETS, Location, locate};
use crate::cache::goenv::GoEnv;
use crate::ops::pools::Pools;

pub fn run(goenv: &GoEnv, pools: &Pools, args: &GocacheArgs) -> anyhow::Result<ExitCode> {
    let root = match locate(args.dir.as_deref(), goenv) {
        Location::Dir(dir) => dir,
        Location::Off(why) => anyhow::bail!("no build cache: {why}"),
    };
    if std::fs::symlink_metadata(&root).is_err_and(|e| e.kind() == std::io::ErrorKind::NotFound) {
        anyhow::bail!(
            "build cache {}: it does not exist (go has built nothing with this GOCACHE yet)",
            root.display()
        );
    }
    if let Some(prog) = goenv.get("GOCACHEPROG") {
        safe_eprintln!(
            "modlens: note: GOCACHEPROG={prog} is set: go keeps its build outputs through that \
             program, and {} holds only what it keeps locally",
            root.display()
        );
    }
    let destructive = matches!(args.action, Some(GocacheAction::Clean(_)));
    if let Err(why) = crate::cache::gocache::recognize(&root) {
        // Looking changes nothing; removing needs a cache go made.
        if destructive {
            anyhow::bail!("{why}");
        }
        safe_eprintln!("modlens: warning: {why}");
    }
    // From here on every change goes through this one handle on the root.
    crate::fix::confined::hold_root(&root)?;
    let snapshot = scan(pools.scan_pool(), &root)
        .map_err(|e| anyhow::anyhow!("build cache {}: {e}", root.display()))?;
    for err in &snapshot.errors {
        safe_eprintln!("modlens: warning: {err}");
    }
    match &args.action {
        None => list(&root, &snapshot, args.json),
        Some(GocacheAction::List { json: false }) => list(&root, &snapshot, args.json),
        Some(GocacheAction::List { json: true }) => list(&root, &snapshot, true),
        Some(GocacheAction::Verify { json }) => verify(pools, &root, &snapshot, *json),
        Some(GocacheAction::Clean(clean)) => clean::run(pools, &root, &snapshot, clean),
    }
}

/// Entries (action entries and outputs) and their bytes, by when they were last used.
#[derive(Debug, Default, Clone, Copy, Serialize)]
struct Bucket {
    files: u64,
    disk_bytes: u64,
}

/// The same bands as the explorer's: each output with the entries naming it, by its last use.
fn histogram(snapshot: &BuildSnapshot, now: SystemTime) -> [Bucket; 4] {
    crate::ops::gocache::by_last_use(snapshot, now).map(|units| Bucket {
        files: units.iter().map(|u| u.paths.len() as u64).sum(),
        disk_bytes: units.iter().map(|u| u.bytes).sum(),
    })
}

fn list(root: &std::path::Path, snapshot: &BuildSnapshot, json: bool) -> anyhow::Result<ExitCode> {
    let now = crate::cache::clock::now();
    let buckets = histogram(snapshot, now);
    let total = snapshot.total();
    if json {
        let other: Vec<_> = snapshot
            .other
            .iter()
            .map(|o| {
                serde_json::json!({
                    "path": crate::cache::fmt::escaped_path(&o.rel),
                    "kind": o.kind,
                    "disk_bytes": o.usage.disk,
                })
            })
            .collect();
        let ages: Vec<_> = BUCKETS
            .iter()
            .zip(buckets)
            .map(|((name, _), b)| serde_json::json!({"used": name, "files": b.files, "disk_bytes": b.disk_bytes}))
            .collect();
        let report = serde_json::json!({
            "cache": root,
            "outputs": {"count": snapshot.outputs.len(), "disk_bytes": snapshot.outputs_usage().disk},
            "actions": {"count": snapshot.actions.len(), "disk_bytes": snapshot.actions_usage().disk},
            "other": other,
            "shared_disk_bytes": snapshot.shared.disk,
            "totals": {"disk_bytes": total.disk, "apparent_bytes": total.apparent, "files": total.files},
            "ages": ages,
            "last_trim": snapshot.trimmed.map(rfc3339),
            "errors": snapshot.errors,
        });
        print(&format!("{}\n", serde_json::to_string_pretty(&report)?))?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut out = format!("build cache {}\n", root.display());
    out.push_str(&format!(
        "{:>10}  {}\n{:>10}  {}\n",
        size(snapshot.outputs_usage().disk),
        count(snapshot.outputs.len() as u64, "output"),
        size(snapshot.actions_usage().disk),
        entries(snapshot.actions.len()),
    ));
    for o in &snapshot.other {
        out.push_str(&format!(
            "{:>10}  {} ({})\n",
            size(o.usage.disk),
            crate::cache::fmt::escaped_path(&o.rel),
            o.kind
        ));
    }
    out.push_str(&format!(
        "{:>10}  the cache's directories\ntotal {} on disk, {}\nlast used:\n",
        size(snapshot.shared.disk),
        size(total.disk),
        count(total.files, "file")
    ));
    for ((name, _), b) in BUCKETS.iter().zip(buckets) {
        let note = if *name == "5 to 30 days" || *name == "over 30 days" {
            "  (go's next trim removes these)"
        } else {
            ""
        };
        out.push_str(&format!(
            "  {name:<13} {:>10}  {}{note}\n",
            size(b.disk_bytes),
            count(b.files, "file")
        ));
    }
    out.push_str(&match snapshot.trimmed {
        Some(t) => format!(
            "go last trimmed {} (trim.txt); it trims entries unused for 5 days, at most once a day\n",
            ago(Some(t), now)
        ),
        None => "go has not trimmed this cache (no trim.txt)\n".to_owned(),
    });
    print(&out)?;
    Ok(ExitCode::SUCCESS)
}

fn verify(
    pools: &Pools,
    root: &std::path::Path,
    snapshot: &BuildSnapshot,
    json: bool,
) -> anyhow::Result<ExitCode> {
    use std::io::IsTerminal;
    let started = std::time::Instant::now();
    let progress = ProgressLine::new(!json && std::io::stderr().is_terminal());
    let show = |done: u64, total: u64| {
        progress.show(|| format!("hashed {} of {}", size(done), size(total)));
    };
    let checked = crate::ops::gocache::verify(pools, root, snapshot, &show);
    progress.clear();
    let verdict = &checked.verdict;
    let seconds = started.elapsed().as_secs_f64();
    if json {
        let report = serde_json::json!({
            "cache": root,
            "problems": verdict.problems.iter().map(|p| serde_json::json!({
                "kind": p.kind.name(), "detail": p.detail, "go_does": p.go_does,
                "fix": "delete", "delete": p.delete,
            })).collect::<Vec<_>>(),
            "orphans": verdict.orphans,
            "summary": {
                "outputs": snapshot.outputs.len(), "actions": snapshot.actions.len(),
                "outputs_hashed": checked.outputs_hashed, "bytes_hashed": checked.bytes_hashed,
                "in_flight": verdict.in_flight, "problems": verdict.problems.len(),
                "orphans": verdict.orphans.len(), "orphan_bytes": verdict.orphan_bytes,
                "seconds": seconds,
            },
        });
        print(&format!("{}\n", serde_json::to_string_pretty(&report)?))?;
    } else {
        let mut out = String::new();
        for p in &verdict.problems {
            out.push_str(&format!(
                "{}: {}\n  go {}\n  fix: delete {}\n",
                p.kind.name(),
                p.detail,
                p.go_does,
                p.delete.join(", ")
            ));
        }
        out.push_str(&format!(
            "checked {} and {} ({} hashed in {seconds:.2} s): {}; {} ({}) that no action entry names{}\n",
            count(snapshot.outputs.len() as u64, "output"),
            entries(snapshot.actions.len()),
            size(checked.bytes_hashed),
            count(verdict.problems.len() as u64, "problem"),
            count(verdict.orphans.len() as u64, "orphan output"),
            size(verdict.orphan_bytes),
            match verdict.in_flight {
                0 => String::new(),
                n => format!("; {n} written in the last minute not judged"),
            },
        ));
        if !verdict.problems.is_empty() {
            out.push_str(
                "`modlens gocache clean --broken` deletes them; go rebuilds what it needs\n",
            );
        }
        print(&out)?;
    }
    Ok(if verdict.problems.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// "1 action entry", "2 action entries".
fn entries(n: usize) -> String {
    match n {
        1 => "1 action entry".to_owned(),
        n => format!("{n} action entries"),
    }
}
