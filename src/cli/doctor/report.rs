//! What `doctor` prints: a row per needed version with its state and why, the receipt of a
//! `--fix`, and the one JSON object for CI.

use std::path::PathBuf;

use serde::Serialize;

use super::Fixed;
use crate::cache::fmt::{count, size};
use crate::cli::print;
use crate::ops::plan::doctor::{Counts, Examined};
use crate::ops::project::State;

pub(super) fn table(ex: &Examined) -> String {
    let mut out = String::new();
    for (needed, state) in ex.rows() {
        let name = format!("{}@{}", needed.path, needed.version);
        let by = needed
            .replaced_by
            .as_ref()
            .map(|r| format!(" => {r}"))
            .unwrap_or_default();
        let detail = match state {
            State::Verified if needed.needs_source => "zip, tree and .mod verified".to_owned(),
            State::Verified => "its go.mod verified (go needs only that)".to_owned(),
            State::Broken(problems) => problems
                .iter()
                .map(|p| format!("{}: {} (fix: {})", p.kind.name(), p.detail, p.fix.name()))
                .collect::<Vec<_>>()
                .join("; "),
            State::Missing => "not in the cache".to_owned(),
            State::SourceMissing => {
                "only its go.mod is cached, and go.sum says its source is needed".to_owned()
            }
            State::Unusable(why) => format!("go refuses it as published: {why}"),
            State::Unreadable(dir) => {
                format!("{dir} cannot be read, so it is not verified (permission denied)")
            }
            State::NeedsNewerGo(why) => format!(
                "cached whole, but it {why}: install that go or let go switch toolchains \
                 (GOTOOLCHAIN); the cache is not the cause"
            ),
            State::LocalReplacement => "replaced by a local directory".to_owned(),
            State::Retracted(why) => format!(
                "retracted by its author: {why} (go get {}@latest moves off it)",
                needed.path
            ),
        };
        let go_error = needed
            .go_error
            .as_ref()
            .map(|e| format!(" (go: {e})"))
            .unwrap_or_default();
        out.push_str(&format!(
            "{:<15} {name}{by}  {detail}{go_error}\n",
            state.name()
        ));
    }
    let c = ex.counts();
    let project = &ex.needs.project;
    let file = project
        .gowork
        .as_ref()
        .or(project.gomod.as_ref())
        .map_or_else(String::new, |f| format!(" ({})", f.display()));
    out.push_str(&format!(
        "project {}{file}: {} needed: {} verified, {} broken, {} missing, {} unusable{}\n",
        project.dir.display(),
        count(c.needed as u64, "module version"),
        c.verified,
        c.broken,
        c.missing,
        c.unusable,
        [
            (c.needs_newer_go, "needing a newer go"),
            (c.retracted, "retracted"),
            (c.unreadable, "unreadable"),
            (c.local, "local"),
        ]
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, what)| format!(", {n} {what}"))
        .collect::<String>()
    ));
    out
}

/// What `--fix` did to each version, then (after the table of the project as it is now,
/// `after`) the counts before and after.
pub(super) fn receipt(fixed: &Fixed, after: &str) -> String {
    let mut out = String::new();
    for o in &fixed.touched {
        let what = match (&o.error, o.problems.is_empty()) {
            (Some(e), _) => format!("failed: {e}"),
            (None, true) => format!("{}, verified", o.action),
            (None, false) => format!("{}, but still: {}", o.action, o.problems.join(", ")),
        };
        out.push_str(&format!("  {}@{}: {what}\n", o.path, o.version));
    }
    out.push_str("now:\n");
    out.push_str(after);
    let (b, a) = (fixed.before, fixed.after);
    out.push_str(&format!(
        "fixed {} of {}: broken {} -> {}, missing {} -> {}; downloaded {}\n",
        fixed.touched.len() - fixed.failed,
        count(fixed.touched.len() as u64, "version"),
        b.broken,
        a.broken,
        b.missing,
        a.missing,
        size(fixed.bytes_downloaded)
    ));
    out
}

pub(super) fn print_json(ex: &Examined, fixed: Option<&Fixed>) -> anyhow::Result<()> {
    #[derive(Serialize)]
    struct JsonProblem<'a> {
        kind: &'static str,
        detail: &'a str,
        fix: &'static str,
    }
    #[derive(Serialize)]
    struct JsonModule<'a> {
        path: &'a str,
        version: &'a str,
        replaced_by: Option<&'a str>,
        state: &'static str,
        needs_source: bool,
        indirect: bool,
        problems: Vec<JsonProblem<'a>>,
        unusable: Option<&'a str>,
        go_error: Option<&'a str>,
    }
    #[derive(Serialize)]
    struct Report<'a> {
        project: PathBuf,
        gomod: Option<&'a std::path::Path>,
        gowork: Option<&'a std::path::Path>,
        modules: Vec<JsonModule<'a>>,
        summary: Counts,
        #[serde(skip_serializing_if = "Option::is_none")]
        fix: Option<&'a Fixed>,
    }
    let modules = ex
        .rows()
        .map(|(n, s)| JsonModule {
            path: &n.path,
            version: &n.version,
            replaced_by: n.replaced_by.as_deref(),
            state: s.name(),
            needs_source: n.needs_source,
            indirect: n.indirect,
            problems: match s {
                State::Broken(problems) => problems
                    .iter()
                    .map(|p| JsonProblem {
                        kind: p.kind.name(),
                        detail: &p.detail,
                        fix: p.fix.name(),
                    })
                    .collect(),
                _ => Vec::new(),
            },
            unusable: match s {
                State::Unusable(why) | State::Retracted(why) | State::NeedsNewerGo(why) => {
                    Some(why)
                }
                _ => None,
            },
            go_error: n.go_error.as_deref(),
        })
        .collect();
    let report = Report {
        project: ex.needs.project.dir.clone(),
        gomod: ex.needs.project.gomod.as_deref(),
        gowork: ex.needs.project.gowork.as_deref(),
        modules,
        summary: ex.counts(),
        fix: fixed,
    };
    let mut text = serde_json::to_string_pretty(&report)?;
    text.push('\n');
    print(&text)?;
    Ok(())
}
