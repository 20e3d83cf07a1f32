//! Work on the build cache: hashing every output on the hashing pool, and the units a delete
//! removes, action entries before their outputs (the delete itself is `fix::gocache`).

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::SystemTime;

use super::pools::Pools;
use crate::cache::gocache::Id;
use crate::cache::gocache::rel_path;
use crate::cache::gocache::scan::BuildSnapshot;
use crate::verify::gocache::{BuildVerdict, IN_FLIGHT, judge, output_matches};

/// Files deleted together, action entries first.
#[derive(Debug, Default, Clone)]
pub struct Unit {
    /// The files, action entries first.
    pub paths: Vec<String>,
    /// Their bytes on disk.
    pub bytes: u64,
    /// The latest of their mtimes: when go last used any of them.
    pub used: Option<SystemTime>,
}

impl Unit {
    fn add(&mut self, path: String, bytes: u64, used: SystemTime) {
        self.paths.push(path);
        self.bytes += bytes;
        self.used = Some(self.used.map_or(used, |u| u.max(used)));
    }
}

/// Units of the cache: each output with the action entries naming it (entries first), and
/// each action entry naming nothing there.
pub fn units(snapshot: &BuildSnapshot) -> Vec<Unit> {
    let mut by_output: HashMap<Id, Unit> = HashMap::new();
    let mut alone = Vec::new();
    for a in &snapshot.actions {
        let path = rel_path(&a.id, 'a');
        match a.record {
            Ok(record) => {
                by_output
                    .entry(record.output)
                    .or_default()
                    .add(path, a.usage.disk, a.used)
            }
            Err(_) => {
                let mut unit = Unit::default();
                unit.add(path, a.usage.disk, a.used);
                alone.push(unit);
            }
        }
    }
    for o in &snapshot.outputs {
        by_output
            .entry(o.id)
            .or_default()
            .add(rel_path(&o.id, 'd'), o.usage.disk, o.used);
    }
    by_output.into_values().chain(alone).collect()
}

/// The cache's units in the bands of [`AGE_BANDS`](crate::cache::gocache::AGE_BANDS), by
/// when go last used them (recent first).
pub fn by_last_use(snapshot: &BuildSnapshot, now: SystemTime) -> [Vec<Unit>; 4] {
    use crate::cache::gocache::AGE_BANDS;
    let mut bands: [Vec<Unit>; 4] = Default::default();
    for unit in units(snapshot) {
        let age = unit.used.map_or(std::time::Duration::MAX, |t| {
            now.duration_since(t).unwrap_or_default()
        });
        let band = AGE_BANDS
            .iter()
            .position(|(_, max)| age < *max)
            .unwrap_or(3);
        bands[band].push(unit);
    }
    bands
}

/// What a verification did.
#[derive(Debug, Default)]
pub struct Checked {
    /// The findings.
    pub verdict: BuildVerdict,
    /// Bytes hashed.
    pub bytes_hashed: u64,
    /// Outputs hashed.
    pub outputs_hashed: usize,
}

/// The most bytes hashed for any one output. go caches executables and test binaries, which
/// reach a few hundred MB; a larger file is judged without its hash rather than read for
/// minutes (a sparse file can claim any size).
pub const MAX_HASHED_OUTPUT: u64 = 4 << 30;

/// Hashes the outputs go could use (but those written in the last minute) on the hashing pool
/// and judges the cache. An output is hashed only when an action entry names it with its
/// actual size and it is at most [`MAX_HASHED_OUTPUT`]: an orphan is an orphan whatever its
/// bytes, and go never uses an output whose size differs from its entry's. `progress` is
/// called with the bytes hashed so far and the total.
pub fn verify(
    pools: &Pools,
    root: &Path,
    snapshot: &BuildSnapshot,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Checked {
    let now = crate::cache::clock::now();
    let claimed: std::collections::HashSet<(Id, u64)> = snapshot
        .actions
        .iter()
        .filter_map(|a| a.record.ok().map(|r| (r.output, r.size)))
        .collect();
    let due: Vec<(Id, u64, Option<&str>)> = snapshot
        .outputs
        .iter()
        .filter(|o| now.duration_since(o.used).unwrap_or_default() >= IN_FLIGHT)
        .filter(|o| o.invalid.is_none())
        .filter(|o| o.size <= MAX_HASHED_OUTPUT && claimed.contains(&(o.id, o.size)))
        .map(|o| (o.id, o.size, o.executable.as_deref()))
        .collect();
    let total: u64 = due.iter().map(|(_, size, _)| size).sum();
    let done = AtomicU64::new(0);
    let results = pools.hash_map(due, |(id, size, executable)| {
        // A cached executable is the one file inside its `-d` directory.
        let mut path = root.join(rel_path(&id, 'd'));
        if let Some(name) = executable {
            path.push(name);
        }
        let matches = output_matches(&path, &id).ok();
        let so_far = done.fetch_add(size, Ordering::Relaxed) + size;
        progress(so_far, total);
        (id, matches)
    });
    let outputs_hashed = results.len();
    let hashed: HashMap<Id, Option<bool>> = results.into_iter().collect();
    Checked {
        verdict: judge(snapshot, &hashed, now),
        bytes_hashed: done.load(Ordering::Relaxed),
        outputs_hashed,
    }
}

/// What the explorer shows as one row of the build cache: an age band, the orphans, or one
/// problem, with the files deleting it removes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildGroup {
    /// The row's name, e.g. "unused 5 to 30 days" or "output_corrupt".
    pub label: String,
    /// What it is and what go does with it.
    pub detail: String,
    /// Whether it is a problem (not an age band or the orphans).
    pub problem: bool,
    /// Bytes on disk.
    pub bytes: u64,
    /// Files.
    pub files: u64,
    /// What deleting it removes, unit by unit (action entries before outputs).
    pub delete: Vec<Vec<String>>,
}

/// The build cache scanned and verified, for the explorer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildOverview {
    /// Where it is.
    pub root: std::path::PathBuf,
    /// Everything, as `du` counts it.
    pub total_bytes: u64,
    /// Output files.
    pub outputs: usize,
    /// Action entries.
    pub actions: usize,
    /// When go last trimmed.
    pub trimmed: Option<SystemTime>,
    /// Problems found.
    pub problems: usize,
    /// The rows: problems first, then the orphans, then the age bands, oldest first, then the
    /// rest of the total (go's own files and the directories, which are not for deleting).
    pub groups: Vec<BuildGroup>,
}

/// A problem row's name: its kind and the entry it concerns (the first 12 characters of the
/// first file's name, go's hash), so that two problems of one kind can be told apart (and
/// marked apart: marks are by name).
fn problem_label(kind: &str, files: &[String]) -> String {
    let entry = files
        .first()
        .and_then(|f| f.rsplit('/').next())
        .map(|name| name.chars().take(12).collect::<String>());
    match entry {
        Some(id) => format!("{kind} {id}"),
        None => kind.to_owned(),
    }
}

/// Scans and verifies the build cache at `root` for the explorer.
pub fn overview(pools: &Pools, root: &Path) -> Result<BuildOverview, String> {
    use crate::cache::gocache::{AGE_BANDS, TRIM_LIMIT};
    let snapshot = crate::cache::gocache::scan::scan(pools.scan_pool(), root)
        .map_err(|e| format!("{}: {e}", root.display()))?;
    let checked = verify(pools, root, &snapshot, &|_, _| {});
    let now = crate::cache::clock::now();
    let disk = snapshot.disk_by_path();
    let mut groups: Vec<BuildGroup> = checked
        .verdict
        .problems
        .iter()
        .map(|p| BuildGroup {
            label: problem_label(p.kind.name(), &p.delete),
            detail: format!("{}. go {}.", p.detail, p.go_does),
            problem: true,
            bytes: p.delete.iter().filter_map(|f| disk.get(f)).sum(),
            files: p.delete.len() as u64,
            delete: vec![p.delete.clone()],
        })
        .collect();
    // Labels name rows and marks: make any that still collide distinct.
    let mut seen = std::collections::HashMap::<String, usize>::new();
    for g in &mut groups {
        let n = seen.entry(g.label.clone()).or_default();
        *n += 1;
        if *n > 1 {
            g.label = format!("{} ({n})", g.label);
        }
    }
    if !checked.verdict.orphans.is_empty() {
        groups.push(BuildGroup {
            label: "orphan outputs".into(),
            detail: "Outputs no action entry names: go never reads them again; its trim \
                     removes them after 5 days unused."
                .into(),
            problem: false,
            bytes: checked.verdict.orphan_bytes,
            files: checked.verdict.orphans.len() as u64,
            delete: checked
                .verdict
                .orphans
                .iter()
                .map(|o| vec![o.clone()])
                .collect(),
        });
    }
    let mut bands: Vec<BuildGroup> = AGE_BANDS
        .iter()
        .map(|(name, max)| BuildGroup {
            label: format!("used {name} ago"),
            detail: if *max > TRIM_LIMIT {
                "Unused for longer than go's 5-day trim limit: go's next trim (at most once a \
                 day, at the end of a go command) removes them."
                    .into()
            } else {
                "Used recently: go is likely to reuse them; deleting them costs rebuilds.".into()
            },
            problem: false,
            bytes: 0,
            files: 0,
            delete: Vec::new(),
        })
        .collect();
    for (band, units) in bands.iter_mut().zip(by_last_use(&snapshot, now)) {
        for unit in units {
            band.bytes += unit.bytes;
            band.files += unit.paths.len() as u64;
            band.delete.push(unit.paths);
        }
    }
    bands.reverse();
    // The rest (go's README, trim.txt and the like, and the directories themselves), so that
    // the rows add up to the total: not for deleting.
    let total = snapshot.total();
    let (unit_bytes, unit_files) = bands
        .iter()
        .fold((0, 0), |(b, f), band| (b + band.bytes, f + band.files));
    let rest = total.disk.saturating_sub(unit_bytes);
    groups.extend(bands);
    if rest > 0 {
        groups.push(BuildGroup {
            label: "go's own files and directories".into(),
            detail: "go's bookkeeping (README, trim.txt, ...) and the cache's directories: \
                     not entries, never deleted here."
                .into(),
            problem: false,
            bytes: rest,
            files: total.files.saturating_sub(unit_files),
            delete: Vec::new(),
        });
    }
    Ok(BuildOverview {
        root: root.to_path_buf(),
        total_bytes: snapshot.total().disk,
        outputs: snapshot.outputs.len(),
        actions: snapshot.actions.len(),
        trimmed: snapshot.trimmed,
        problems: checked.verdict.problems.len(),
        groups,
    })
}
/// Deletes build-cache units (each a list of files relative to `root`, action entries before
/// their outputs), each on its own: the files removed, and each unit's failure.
pub fn delete_units(root: &std::path::Path, units: &[Vec<String>]) -> (u64, Vec<String>) {
    let mut removed = 0;
    let mut failed = Vec::new();
    for unit in units {
        match crate::fix::gocache::delete_files(root, unit) {
            Ok(n) => removed += n,
            Err(e) => failed.push(e.to_string()),
        }
    }
    (removed, failed)
}
