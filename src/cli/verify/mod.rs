//! `modlens verify`: check every (or every selected) module version and explain what is broken.
//!
//! The scan runs first, then the verification on a pool; verdicts arrive as events while a
//! progress line updates on stderr (only when stderr is a terminal and the output is not JSON).
//! Exit status: 0 when everything checked is fine, 1 when problems were found, 2 on errors.

use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::Arc;

use super::progress::ProgressLine;
use super::{Engine, VerifyArgs, print, require_matches};
use crate::cache::cancel::CancelToken;
use crate::cache::filter::Filter;
use crate::cache::{Leftover, LeftoverKind, ModCache, ModuleEntry, semver};
use crate::ops::verify::{VerifyEvent, VerifyProgress, VerifySummary};
use crate::verify::{Expectations, Fix, Verdict};
use report::{Counts, JsonReport, human};

mod report;

pub fn run(engine: &Engine, args: &VerifyArgs) -> anyhow::Result<ExitCode> {
    let located = &engine.located;
    let patterns = Filter::parse_patterns(&args.patterns)?;
    let expect = engine.expectations(&args.project, args.recursive)?;
    // With the state database, every file's state is taken (the walk `list` makes), so that
    // unchanged versions keep their remembered verdicts; without it, verification reads every
    // tree anyway and their sizes are not needed.
    let depth = match &engine.state {
        Some(_) => crate::cache::scan::Depth::Fingerprint,
        None => crate::cache::scan::Depth::Shallow,
    };
    let snapshot = engine.snapshot(depth)?;
    let rehash_after = crate::ops::policy::parse_duration(&args.rehash_after)?;
    let memory = engine.state.as_ref().map(|state| {
        crate::ops::state::Memory::new(
            std::sync::Arc::clone(state),
            &engine.located.root,
            &expect,
            rehash_after,
            args.full,
        )
    });
    require_matches(located, &args.patterns, &patterns, &snapshot.entries)?;
    let selected = |key: &crate::cache::ModuleKey| {
        patterns.is_empty() || patterns.iter().any(|f| f.matches(key))
    };
    let entries: Vec<ModuleEntry> = snapshot
        .entries
        .iter()
        .filter(|e| selected(&e.key))
        .cloned()
        .collect();
    let leftovers: Vec<&Leftover> = snapshot
        .leftovers
        .iter()
        .filter(|l| patterns.is_empty() || l.module.as_ref().is_some_and(selected))
        .collect();

    let asked = if args.sumdb {
        let keys: Vec<crate::cache::ModuleKey> = entries.iter().map(|e| e.key.clone()).collect();
        let asked = super::sumdb::ask_database(engine, &keys, !args.json)?;
        if asked.interrupted {
            safe_eprintln!(
                "modlens: interrupted while asking the checksum database ({} proven answers \
                 cached for go); nothing was verified",
                asked.installed
            );
            return Ok(ExitCode::from(1));
        }
        Some(asked)
    } else {
        None
    };
    let cache = ModCache::new(&located.root);
    let (verdicts, summary) = verify_all(engine, entries, expect, memory, !args.json)?;
    let leftover_problems = leftovers.iter().filter(|l| is_problem(l.kind)).count();
    let text = if args.json {
        let report = JsonReport::new(&cache, &verdicts, &leftovers, &summary, leftover_problems);
        let mut report = serde_json::to_value(&report)?;
        if let (Some(asked), Some(object)) = (&asked, report.as_object_mut()) {
            object.insert("sumdb".into(), super::sumdb::asked_json(asked));
        }
        let mut text = serde_json::to_string_pretty(&report)?;
        text.push('\n');
        text
    } else {
        let counts = Counts {
            leftover_problems,
            unreadable: snapshot.errors.len(),
        };
        let mut text = human(&cache, &verdicts, &leftovers, &summary, counts);
        if let Some(asked) = &asked {
            text.push_str(&super::sumdb::asked_text(asked));
        }
        text
    };
    print(&text)?;
    // What could not be read hides versions (or parts of them) that were not verified: they
    // are `unreadable`, never "ok", and the exit status says so.
    for err in &snapshot.errors {
        safe_eprintln!("modlens: unreadable: {err}; what is below it is not verified");
    }
    // A bug of modlens on a version: said in one line, and the run is an error (status 2).
    let failed: Vec<&Verdict> = verdicts
        .iter()
        .filter(|v| v.internal_error.is_some())
        .collect();
    for v in &failed {
        safe_eprintln!(
            "modlens: {}: {}; it is not verified (please report it)",
            v.key,
            v.internal_error.as_deref().unwrap_or_default()
        );
    }
    if !failed.is_empty() {
        return Ok(ExitCode::from(2));
    }
    Ok(
        if summary.problems > 0 || leftover_problems > 0 || !snapshot.errors.is_empty() {
            ExitCode::from(1)
        } else {
            ExitCode::SUCCESS
        },
    )
}

/// Leftovers of interrupted work count as problems, and so does anything modlens could not
/// read (the verdict would be a guess); a legacy `list.lock` or a stray name does not.
pub(super) fn is_problem(kind: LeftoverKind) -> bool {
    kind.is_go_temporary() || kind == LeftoverKind::Unreadable
}

/// What to do about a leftover, for people and for JSON.
fn leftover_fix(kind: LeftoverKind) -> (&'static str, &'static str) {
    if kind.is_go_temporary() {
        (Fix::Delete.name(), Fix::Delete.advice())
    } else {
        (
            "none",
            "none: modlens cannot read it and leaves it alone; check its permissions",
        )
    }
}

/// Runs the verification on the hashing pool and collects the verdicts, sorted by module and
/// version.
fn verify_all(
    engine: &Engine,
    entries: Vec<ModuleEntry>,
    expect: Arc<Expectations>,
    memory: Option<crate::ops::state::Memory>,
    show_progress: bool,
) -> anyhow::Result<(Vec<Verdict>, VerifySummary)> {
    let (tx, rx) = crossbeam_channel::unbounded();
    let cancel = CancelToken::new();
    crate::ops::verify::start(
        &engine.pools,
        engine.cache(),
        entries,
        expect,
        move |_, _| memory,
        tx.into(),
        cancel,
    );
    let progress = ProgressLine::new(show_progress && std::io::stderr().is_terminal());
    let mut verdicts = Vec::new();
    let mut summary = None;
    for event in rx {
        match event {
            VerifyEvent::Started(_) => {}
            VerifyEvent::Verdict(v) => verdicts.push(*v),
            VerifyEvent::Progress(p) => progress.show(|| progress_text(p)),
            VerifyEvent::Done(s) => summary = Some(s),
        }
    }
    progress.clear();
    let summary =
        summary.ok_or_else(|| anyhow::anyhow!("the verification stopped unexpectedly"))?;
    verdicts.sort_by(|a, b| {
        a.key
            .path
            .cmp(&b.key.path)
            .then_with(|| semver::sort_order(&a.key.version, &b.key.version))
    });
    Ok((verdicts, summary))
}

/// The verification's progress as one line: a bar and the versions done. The bar follows the
/// bytes of the versions' files, so that one large version moves it as much as it takes; no
/// byte count is printed, since the summary's "hashed" counts file contents only.
fn progress_text(p: VerifyProgress) -> String {
    let width = 30;
    let filled = (p.bytes_done.saturating_mul(width as u64))
        .checked_div(p.bytes_total)
        .map_or(width, |f| (f as usize).min(width));
    format!(
        "verifying [{}{}] {}/{} versions",
        "#".repeat(filled),
        "-".repeat(width - filled),
        p.entries_done,
        p.entries_total,
    )
}
