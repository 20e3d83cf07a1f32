//! The report of `modlens verify`: the text for people (every problem, with its fix, and a
//! summary line that never says "all verified" when something was not) and the JSON for
//! scripts.

use serde::Serialize;

use super::{is_problem, leftover_fix};
use crate::cache::fmt::{count, size};
use crate::cache::{Leftover, ModCache};
use crate::cli::json::LeftoverPlace;
use crate::ops::verify::VerifySummary;
use crate::verify::{Status, Verdict};

pub(super) fn human(
    cache: &ModCache,
    verdicts: &[Verdict],
    leftovers: &[&Leftover],
    summary: &VerifySummary,
    counts: Counts,
) -> String {
    use std::fmt::Write as _;
    let Counts {
        leftover_problems,
        unreadable,
    } = counts;
    let mut out = String::new();
    for v in verdicts {
        if v.status == Status::Skipped && v.internal_error.is_none() {
            for note in &v.notes {
                let _ = writeln!(out, "{} {}  {note}", v.key.path, v.key.version);
            }
        }
        for p in &v.problems {
            let _ = writeln!(
                out,
                "{} {}  {}: {} [{}]  fix: {}",
                v.key.path,
                v.key.version,
                p.kind.name(),
                p.kind.explanation(),
                p.detail,
                p.fix.advice()
            );
            for f in p.files.iter().take(10) {
                let _ = writeln!(out, "    {:<8}  {}", f.change.name(), f.name);
            }
            if p.files.len() > 10 {
                let _ = writeln!(out, "    … and {} more (see --json)", p.files.len() - 10);
            }
            for r in &p.remove {
                let _ = writeln!(out, "    remove    {}", crate::cache::fmt::escaped_path(r));
            }
        }
    }
    for l in leftovers.iter().filter(|l| is_problem(l.kind)) {
        let _ = writeln!(
            out,
            "leftover  {}: {}{}  fix: {}",
            l.kind.name(),
            crate::cache::fmt::escaped_path(&cache.root().join(&l.rel_path)),
            l.reason
                .as_deref()
                .map(|r| format!(" ({r})"))
                .unwrap_or_default(),
            leftover_fix(l.kind).1
        );
    }
    let secs = summary.elapsed.as_secs_f64();
    let _ = writeln!(
        out,
        "checked {}: {} ok, {} with problems, {} skipped; {} of interrupted work; \
         hashed {} in {secs:.2} s{}",
        count(summary.checked, "version"),
        summary.ok,
        summary.problems,
        summary.skipped,
        count(leftover_problems as u64, "leftover"),
        size(summary.bytes_hashed),
        if summary.remembered > 0 {
            format!(
                " ({} re-hashed, {} unchanged and remembered)",
                summary.checked - summary.remembered,
                summary.remembered
            )
        } else {
            String::new()
        }
    );
    // Versions modlens failed on (a bug of its own) are not verified: never "all verified".
    let failed = verdicts
        .iter()
        .filter(|v| v.internal_error.is_some())
        .count();
    if failed > 0 {
        let _ = writeln!(
            out,
            "{} not verified: modlens failed on them (see the errors)",
            count(failed as u64, "version")
        );
    } else if unreadable > 0 {
        let _ = writeln!(
            out,
            "{} unreadable: what is below it is not verified",
            count(unreadable as u64, "directory")
        );
    } else if summary.problems == 0 && leftover_problems == 0 {
        match summary.skipped {
            0 => {
                let _ = writeln!(out, "all module versions verified");
            }
            n => {
                let _ = writeln!(
                    out,
                    "no problems found; {} could not be verified (see above)",
                    count(n, "version")
                );
            }
        }
    }
    out
}

/// What the summary line counts besides the verdicts.
#[derive(Clone, Copy)]
pub(super) struct Counts {
    pub leftover_problems: usize,
    /// Directories the scan could not read.
    pub unreadable: usize,
}

#[derive(Serialize)]
pub(super) struct JsonReport<'a> {
    cache: &'a std::path::Path,
    entries: Vec<JsonVerdict<'a>>,
    leftovers: Vec<JsonLeftover>,
    summary: JsonSummary,
}

#[derive(Serialize)]
struct JsonVerdict<'a> {
    path: &'a str,
    version: &'a str,
    status: &'static str,
    problems: Vec<JsonProblem<'a>>,
    notes: &'a [String],
    hashes: JsonHashes<'a>,
    bytes_hashed: u64,
}

#[derive(Serialize)]
struct JsonProblem<'a> {
    kind: &'static str,
    detail: &'a str,
    fix: &'static str,
    files: Vec<JsonFile<'a>>,
    /// For `remove_sumdb_files`: the cached files the fix removes.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    remove: Vec<String>,
}

#[derive(Serialize)]
struct JsonFile<'a> {
    name: &'a str,
    change: &'static str,
}

#[derive(Serialize)]
struct JsonHashes<'a> {
    ziphash: Option<&'a str>,
    zip: Option<String>,
    dir: Option<String>,
    go_mod: Option<String>,
    gosum: &'a [String],
    sumdb: &'a [String],
}

#[derive(Serialize)]
struct JsonLeftover {
    #[serde(flatten)]
    place: LeftoverPlace,
    problem: bool,
    fix: &'static str,
}

#[derive(Serialize)]
struct JsonSummary {
    checked: u64,
    ok: u64,
    problems: u64,
    skipped: u64,
    leftovers: usize,
    bytes_hashed: u64,
    /// Versions hashed in this run.
    rehashed: u64,
    /// Versions whose remembered verdict stood.
    remembered: u64,
    seconds: f64,
}

impl<'a> JsonReport<'a> {
    pub(super) fn new(
        cache: &'a ModCache,
        verdicts: &'a [Verdict],
        leftovers: &[&Leftover],
        summary: &VerifySummary,
        leftover_problems: usize,
    ) -> Self {
        JsonReport {
            cache: cache.root(),
            entries: verdicts
                .iter()
                .map(|v| JsonVerdict {
                    path: &v.key.path,
                    version: &v.key.version,
                    status: v.status.name(),
                    problems: v
                        .problems
                        .iter()
                        .map(|p| JsonProblem {
                            kind: p.kind.name(),
                            detail: &p.detail,
                            fix: p.fix.name(),
                            files: p
                                .files
                                .iter()
                                .map(|f| JsonFile {
                                    name: &f.name,
                                    change: f.change.name(),
                                })
                                .collect(),
                            remove: p
                                .remove
                                .iter()
                                .map(|r| crate::cache::fmt::escaped_path(r))
                                .collect(),
                        })
                        .collect(),
                    notes: &v.notes,
                    hashes: JsonHashes {
                        ziphash: v.hashes.ziphash.as_deref(),
                        zip: v.hashes.zip.map(|h| h.to_string()),
                        dir: v.hashes.dir.map(|h| h.to_string()),
                        go_mod: v.hashes.go_mod.map(|h| h.to_string()),
                        gosum: &v.hashes.gosum,
                        sumdb: &v.hashes.sumdb,
                    },
                    bytes_hashed: v.bytes_hashed,
                })
                .collect(),
            leftovers: leftovers
                .iter()
                .map(|l| JsonLeftover {
                    place: LeftoverPlace::new(cache.root(), l),
                    problem: is_problem(l.kind),
                    fix: leftover_fix(l.kind).0,
                })
                .collect(),
            summary: JsonSummary {
                checked: summary.checked,
                ok: summary.ok,
                problems: summary.problems,
                skipped: summary.skipped,
                leftovers: leftover_problems,
                bytes_hashed: summary.bytes_hashed,
                rehashed: summary.checked - summary.remembered,
                remembered: summary.remembered,
                seconds: summary.elapsed.as_secs_f64(),
            },
        }
    }
}
