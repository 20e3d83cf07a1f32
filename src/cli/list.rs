//! `modlens list`: every module version with its size and ages, as a table or as JSON.
//!
//! The JSON schema is documented in the README; field names are part of modlens's interface.
//! Totals always describe the whole cache, also when `--filter` selects fewer versions.

use std::cmp::Ordering;
use std::fmt::Write as _;
use std::path::Path;
use std::process::ExitCode;
use std::time::SystemTime;

use serde::Serialize;

use super::json::LeftoverPlace;
use super::{Engine, ListArgs, SortKey, print};
use crate::cache::filter::Filter;
use crate::cache::fmt::{age, count, rfc3339, size};
use crate::cache::mount::{AtimeMode, atime_mode};
use crate::cache::{ModCache, ModuleEntry, Snapshot, Usage, VersionFile, semver};
use crate::ops::policy;

pub fn run(engine: &Engine, args: &ListArgs) -> anyhow::Result<ExitCode> {
    let located = &engine.located;
    let filter = args.filter.as_deref().map(Filter::parse).transpose()?;
    let snapshot = engine.snapshot(crate::cache::scan::Depth::Full)?;
    let atime = atime_mode(
        &located
            .root
            .canonicalize()
            .unwrap_or_else(|_| located.root.clone()),
    );
    let mut selected: Vec<&ModuleEntry> = snapshot
        .entries
        .iter()
        .filter(|e| filter.as_ref().is_none_or(|f| f.matches(&e.key)))
        .collect();
    sort_entries(&mut selected, args.sort);
    if args.reverse {
        selected.reverse();
    }
    let text = if args.json {
        let cache = ModCache::new(&located.root);
        let report = JsonReport::new(&cache, &snapshot, &selected, atime);
        let mut text = serde_json::to_string_pretty(&report)?;
        text.push('\n');
        text
    } else {
        table(
            &located.root,
            &snapshot,
            &selected,
            atime,
            crate::cache::clock::now(),
        )
    };
    print(&text)?;
    let entry_errors = snapshot
        .entries
        .iter()
        .filter_map(|e| e.scan_error.as_ref());
    for err in snapshot.errors.iter().chain(entry_errors) {
        safe_eprintln!("modlens: warning: {err}");
    }
    Ok(ExitCode::SUCCESS)
}

/// Sorts by the chosen key; ties fall back to path, then Go's version order, so the order is
/// total and repeatable.
pub fn sort_entries(entries: &mut [&ModuleEntry], key: SortKey) {
    let by_name = |a: &ModuleEntry, b: &ModuleEntry| {
        a.key
            .path
            .cmp(&b.key.path)
            .then_with(|| semver::sort_order(&a.key.version, &b.key.version))
    };
    entries.sort_by(|a, b| {
        let primary = match key {
            SortKey::Size => b.usage().disk.cmp(&a.usage().disk),
            SortKey::Age => policy::oldest_first(a.downloaded, b.downloaded),
            SortKey::LastUsed => policy::oldest_first(a.last_used, b.last_used),
            SortKey::Name => Ordering::Equal,
            SortKey::Version => semver::sort_order(&a.key.version, &b.key.version),
        };
        primary.then_with(|| by_name(a, b))
    });
}

fn table(
    root: &Path,
    snap: &Snapshot,
    entries: &[&ModuleEntry],
    atime: AtimeMode,
    now: SystemTime,
) -> String {
    let path_w = entries
        .iter()
        .map(|e| e.key.path.len())
        .max()
        .unwrap_or(0)
        .max(6);
    let ver_w = entries
        .iter()
        .map(|e| e.key.version.len())
        .max()
        .unwrap_or(0)
        .max(7);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:path_w$}  {:ver_w$}  {:>10}  {:>5}  {:>5}  {:>9}  PIECES",
        "MODULE", "VERSION", "SIZE", "AGE", "USED", "PUBLISHED"
    );
    for e in entries {
        let _ = writeln!(
            out,
            "{:path_w$}  {:ver_w$}  {:>10}  {:>5}  {:>5}  {:>9}  {}",
            e.key.path,
            e.key.version,
            size(e.usage().disk),
            age(e.downloaded, now),
            age(e.last_used, now),
            age(e.published, now),
            pieces(e),
        );
    }
    for repo in &snap.vcs {
        let remote = repo.remote.as_deref().unwrap_or("(remote unknown)");
        let _ = writeln!(
            out,
            "vcs       {:>10}  {remote}  cache/vcs/{}",
            size(repo.usage.disk),
            repo.hash
        );
    }
    for l in &snap.leftovers {
        let why = l
            .reason
            .as_deref()
            .map(|r| format!("  ({r})"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "leftover  {:>10}  {}  {}{why}",
            size(l.usage.disk),
            l.kind.name(),
            crate::cache::fmt::escaped_path(&l.rel_path)
        );
    }
    let shown = if entries.len() == snap.entries.len() {
        String::new()
    } else {
        let bytes: u64 = entries.iter().map(|e| e.usage().disk).sum();
        format!("{} shown ({}); ", entries.len(), size(bytes))
    };
    let trash = match snap.trash.disk {
        0 => String::new(),
        n => format!(", trash {} (`modlens trash list`)", size(n)),
    };
    let _ = writeln!(
        out,
        "{shown}{} of {} {}, vcs {} ({} repos), sumdb {}, leftovers {} ({}){trash}, \
         shared dirs {}; total {} on disk in {}",
        count(snap.entries.len() as u64, "version"),
        count(snap.module_count() as u64, "module"),
        size(snap.entries_usage().disk),
        size(snap.vcs_usage().disk),
        snap.vcs.len(),
        size(snap.sumdb.disk),
        size(snap.leftovers_usage().disk),
        snap.leftovers.len(),
        size(snap.shared.disk),
        size(snap.total().disk),
        root.display(),
    );
    if atime == AtimeMode::Never {
        let _ = writeln!(
            out,
            "note: the cache is on a noatime mount, so USED (last used) is only the creation time"
        );
    }
    out
}

/// A compact view of the pieces present: `i m z h l p t`, `-` for missing ones.
fn pieces(e: &ModuleEntry) -> String {
    let p = e.pieces;
    [
        (p.info, 'i'),
        (p.mod_file, 'm'),
        (p.zip, 'z'),
        (p.ziphash, 'h'),
        (p.partial, 'P'),
        (p.tree, 't'),
    ]
    .iter()
    .map(|&(has, c)| if has { c } else { '-' })
    .collect()
}

#[derive(Serialize)]
struct JsonReport<'a> {
    cache: &'a Path,
    atime: &'static str,
    entries: Vec<JsonEntry<'a>>,
    vcs: Vec<JsonVcs<'a>>,
    leftovers: Vec<JsonLeftover>,
    sumdb: JsonUsage,
    totals: JsonTotals,
    errors: &'a [String],
}

#[derive(Serialize)]
struct JsonUsage {
    disk_bytes: u64,
    apparent_bytes: u64,
    files: u64,
}

impl From<Usage> for JsonUsage {
    fn from(u: Usage) -> Self {
        JsonUsage {
            disk_bytes: u.disk,
            apparent_bytes: u.apparent,
            files: u.files,
        }
    }
}

#[derive(Serialize)]
struct JsonEntry<'a> {
    path: &'a str,
    version: &'a str,
    kind: &'static str,
    extracted: bool,
    has_zip: bool,
    dir: Option<String>,
    zip: Option<String>,
    pieces: JsonPieces,
    dir_bytes: u64,
    zip_bytes: u64,
    other_bytes: u64,
    disk_bytes: u64,
    apparent_bytes: u64,
    files: u64,
    downloaded: Option<String>,
    last_used: Option<String>,
    published: Option<String>,
    origin: Option<JsonOrigin<'a>>,
    info_error: Option<&'a str>,
    scan_error: Option<&'a str>,
}

#[derive(Serialize)]
struct JsonPieces {
    info: bool,
    #[serde(rename = "mod")]
    mod_file: bool,
    zip: bool,
    ziphash: bool,
    lock: bool,
    partial: bool,
}

#[derive(Serialize)]
struct JsonOrigin<'a> {
    vcs: Option<&'a str>,
    url: Option<&'a str>,
    subdir: Option<&'a str>,
    #[serde(rename = "ref")]
    reference: Option<&'a str>,
    hash: Option<&'a str>,
}

#[derive(Serialize)]
struct JsonVcs<'a> {
    hash: &'a str,
    vcs: Option<&'a str>,
    remote: Option<&'a str>,
    info_matches: bool,
    dir: String,
    #[serde(flatten)]
    usage: JsonUsage,
}

#[derive(Serialize)]
struct JsonLeftover {
    #[serde(flatten)]
    place: LeftoverPlace,
    reason: Option<String>,
    #[serde(flatten)]
    usage: JsonUsage,
}

#[derive(Serialize)]
struct JsonTotals {
    disk_bytes: u64,
    apparent_bytes: u64,
    files: u64,
    versions: usize,
    modules: usize,
    selected_versions: usize,
    selected_disk_bytes: u64,
    entries_disk_bytes: u64,
    vcs_disk_bytes: u64,
    sumdb_disk_bytes: u64,
    leftovers_disk_bytes: u64,
    trash_disk_bytes: u64,
    shared_disk_bytes: u64,
}

impl<'a> JsonReport<'a> {
    fn new(
        cache: &'a ModCache,
        snap: &'a Snapshot,
        selected: &[&'a ModuleEntry],
        atime: AtimeMode,
    ) -> Self {
        let root = cache.root();
        let total = snap.total();
        JsonReport {
            cache: root,
            atime: atime.name(),
            entries: selected.iter().map(|e| json_entry(cache, e)).collect(),
            vcs: snap
                .vcs
                .iter()
                .map(|r| JsonVcs {
                    hash: &r.hash,
                    vcs: r.vcs.as_deref(),
                    remote: r.remote.as_deref(),
                    info_matches: r.info_matches,
                    dir: cache.vcs_root().join(&r.hash).display().to_string(),
                    usage: r.usage.into(),
                })
                .collect(),
            leftovers: snap
                .leftovers
                .iter()
                .map(|l| JsonLeftover {
                    place: LeftoverPlace::new(root, l),
                    reason: l.reason.clone(),
                    usage: l.usage.into(),
                })
                .collect(),
            sumdb: snap.sumdb.into(),
            totals: JsonTotals {
                disk_bytes: total.disk,
                apparent_bytes: total.apparent,
                files: total.files,
                versions: snap.entries.len(),
                modules: snap.module_count(),
                selected_versions: selected.len(),
                selected_disk_bytes: selected.iter().map(|e| e.usage().disk).sum(),
                entries_disk_bytes: snap.entries_usage().disk,
                vcs_disk_bytes: snap.vcs_usage().disk,
                sumdb_disk_bytes: snap.sumdb.disk,
                leftovers_disk_bytes: snap.leftovers_usage().disk,
                trash_disk_bytes: snap.trash.disk,
                shared_disk_bytes: snap.shared.disk,
            },
            errors: &snap.errors,
        }
    }
}

fn json_entry<'a>(cache: &ModCache, e: &'a ModuleEntry) -> JsonEntry<'a> {
    let p = e.pieces;
    let usage = e.usage();
    JsonEntry {
        path: &e.key.path,
        version: &e.key.version,
        kind: e.kind.name(),
        extracted: p.tree,
        has_zip: p.zip,
        dir: p.tree.then(|| cache.tree_dir(&e.key).display().to_string()),
        zip: p.zip.then(|| {
            cache
                .version_file(&e.key, VersionFile::Zip)
                .display()
                .to_string()
        }),
        pieces: JsonPieces {
            info: p.info,
            mod_file: p.mod_file,
            zip: p.zip,
            ziphash: p.ziphash,
            lock: p.lock,
            partial: p.partial,
        },
        dir_bytes: e.tree.apparent,
        zip_bytes: e.zip.apparent,
        other_bytes: e.rest.apparent,
        disk_bytes: usage.disk,
        apparent_bytes: usage.apparent,
        files: usage.files,
        downloaded: e.downloaded.map(rfc3339),
        last_used: e.last_used.map(rfc3339),
        published: e.published.map(rfc3339),
        origin: e.origin.as_ref().map(|o| JsonOrigin {
            vcs: o.vcs.as_deref(),
            url: o.url.as_deref(),
            subdir: o.subdir.as_deref(),
            reference: o.reference.as_deref(),
            hash: o.hash.as_deref(),
        }),
        info_error: e.info_error.as_deref(),
        scan_error: e.scan_error.as_deref(),
    }
}
