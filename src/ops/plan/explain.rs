//! `explain`'s judgement of go's errors: for each module error in go's output, whether the
//! cache entry it names is at fault (by verifying it), what to do, and the repair plan that
//! fixes the entries at fault. The CLI reads go's output and prints the result.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::imports;
use super::repair::RepairPlan;
use crate::cache::scan::scan_version;
use crate::cache::{ModuleEntry, ModuleKey};
use crate::fix::refetch::{Repair, plan_for};
use crate::ops::engine::Engine;
use crate::verify::goerr::{GoError, GoErrorKind};
use crate::verify::{Expectations, Verdict, verify_entry};

/// One error and the verdict on it.
#[derive(Serialize)]
pub struct Explained {
    /// The module go named.
    pub module: Option<String>,
    /// Its version.
    pub version: Option<String>,
    /// The kind of error, as `goerr` names it.
    pub kind: &'static str,
    /// go's line.
    pub line: String,
    /// `cache` when the cache entry is at fault, `cache_or_gosum` when only a fresh download
    /// can tell the cache's copy from the go.sum line (both fixable), `unknown` when the error
    /// is about a cache entry but go's line names none that could be checked, else `elsewhere`.
    pub at_fault: &'static str,
    /// The cache entry: `verified`, `broken`, `missing`, or `not_checked`.
    pub cache: &'static str,
    /// Its problems, as `kind: detail`.
    pub problems: Vec<String>,
    /// When go named no module: the import its source position points at, and where the
    /// version comes from (`main.go:4:2 imports example.com/m/pkg; go.mod requires
    /// example.com/m v1.0.0`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub found_by: Option<String>,
    /// What to do.
    pub advice: String,
    /// How the cache entry would be fixed, when it is at fault.
    #[serde(skip)]
    pub fix: Option<Fixable>,
}

/// How the cache entry would be fixed.
#[derive(Debug, Clone)]
pub enum Fixable {
    /// Repaired, the cheapest way its verdict allows.
    Repair(Box<ModuleEntry>, Repair),
    /// Downloaded: it is not in the cache.
    Download(ModuleKey),
}

/// Where go's errors are judged from.
pub struct Context<'a> {
    /// The go.sum lines and checksum-database keys versions are checked against.
    pub expect: &'a Expectations,
    /// Added to the commands the advice suggests (`--project DIR`).
    pub refetch_flags: &'a str,
    /// The project go ran in, if known.
    pub project: Option<&'a Path>,
    /// Where go may have run, to find the files its source positions name.
    pub dirs: &'a [PathBuf],
}

/// Judges one of go's errors: whether the cache entry it names is at fault (by verifying it),
/// and what to do.
pub fn explain(engine: &Engine, mut error: GoError, context: &Context<'_>) -> Explained {
    let Context {
        expect,
        refetch_flags,
        ..
    } = *context;
    let mut found_by = None;
    if error.key.is_none()
        && error.kind.may_be_the_cache()
        && let (Some(position), Some(project)) = (&error.position, context.project)
        && let Some(imported) = imports::imported_at(position, context.dirs, project)
    {
        found_by = Some(format!(
            "{} imports {}; {} requires {} {}",
            imported.position,
            imported.import,
            project.join("go.mod").display(),
            imported.key.path,
            imported.key.version
        ));
        error.key = Some(imported.key);
    }
    let mut out = Explained {
        module: error.key.as_ref().map(|k| k.path.clone()),
        version: error.key.as_ref().map(|k| k.version.clone()),
        kind: error.kind.name(),
        line: match &error.position {
            Some(position) => format!("{position}: {}", error.line),
            None => error.line.clone(),
        },
        at_fault: "elsewhere",
        cache: "not_checked",
        problems: Vec::new(),
        found_by,
        advice: error.kind.elsewhere().to_owned(),
        fix: None,
    };
    if !error.kind.may_be_the_cache() {
        return out;
    }
    let Some(key) = error.key else {
        // Never "it verifies now": nothing was checked.
        out.at_fault = "unknown";
        out.advice = "go's line names no module version to check (it may be cut or mixed with \
                      other output): `modlens verify` checks every version in the cache"
            .to_owned();
        return out;
    };
    let cache = engine.cache();
    let entry = scan_version(&cache, &key).filter(|e| e.pieces.mod_file || e.pieces.zip);
    let Some(entry) = entry else {
        out.cache = "missing";
        out.at_fault = "cache";
        out.advice = format!(
            "{key} is not in the cache: download it (modlens refetch {key}{refetch_flags}, or modlens explain \
             --fix), with network access"
        );
        out.fix = Some(Fixable::Download(key));
        return out;
    };
    let verdict: Verdict = verify_entry(&cache, &entry, expect);
    if verdict.problems.is_empty() {
        out.cache = "verified";
        if let GoErrorKind::ChecksumMismatch {
            expected: Some(expected),
            ..
        } = &error.kind
            && cached_hash(&verdict, &error.kind).as_deref() == Some(expected.as_str())
        {
            out.advice = "the cache holds what go.sum records, so the mismatch came from a fresh \
                          download: the proxy or origin serves other content under this version. \
                          Keep the cache; check GOPROXY and the module's publisher"
                .to_owned();
        }
        return out;
    }
    out.cache = "broken";
    out.at_fault = "cache";
    out.problems = verdict
        .problems
        .iter()
        .map(|p| format!("{}: {}", p.kind.name(), p.detail))
        .collect();
    use crate::verify::ProblemKind::{GomodSumMismatch, GosumMismatch};
    let only_gosum = verdict
        .problems
        .iter()
        .all(|p| matches!(p.kind, GosumMismatch | GomodSumMismatch));
    out.advice = match &error.kind {
        GoErrorKind::ChecksumMismatch { .. } if only_gosum => {
            // The entry is consistent with itself and with what go computed; only go.sum
            // disagrees. Offline, nothing tells a damaged copy from an edited go.sum line;
            // a fresh download does, and it changes the cache only if it matches go.sum.
            out.at_fault = "cache_or_gosum";
            format!(
                "the cache's copy is what go hashed, and go.sum disagrees with it: either the \
                 copy was changed after download, or the go.sum line was edited (or the origin \
                 re-published the version). A fresh download decides (modlens refetch {key}{refetch_flags}, or \
                 modlens explain --fix): if it matches go.sum, it replaces the cache's copy; if \
                 not, the cache is left as it is and go.sum is the one to check (git log -p \
                 go.sum)"
            )
        }
        _ => format!(
            "the cache entry is damaged: {} (modlens refetch {key}{refetch_flags}, or modlens \
             explain --fix)",
            plan_for(&verdict).intent()
        ),
    };
    out.fix = Some(Fixable::Repair(Box::new(entry), plan_for(&verdict)));
    out
}

/// The hash the cache entry has for what the mismatch is about (go.mod or module).
fn cached_hash(verdict: &Verdict, kind: &GoErrorKind) -> Option<String> {
    let GoErrorKind::ChecksumMismatch { go_mod, .. } = kind else {
        return None;
    };
    let h = &verdict.hashes;
    if *go_mod {
        h.go_mod.map(|h| h.to_string())
    } else {
        h.ziphash
            .clone()
            .or_else(|| h.zip.or(h.dir).map(|h| h.to_string()))
    }
}

/// The plan that fixes every entry at fault among `explained`.
pub fn repair_plan(explained: &[Explained]) -> RepairPlan {
    let mut plan = RepairPlan::default();
    for e in explained {
        match &e.fix {
            Some(Fixable::Repair(entry, how)) => plan.repairs.push(((**entry).clone(), *how)),
            Some(Fixable::Download(key)) => plan.downloads.push(key.clone()),
            None => {}
        }
    }
    plan
}
