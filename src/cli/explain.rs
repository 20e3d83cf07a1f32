//! `modlens explain`: reads what go printed when it failed (standard input, a file, or the
//! output of `-- COMMAND` run on the spot), finds every module error in it, and for each one
//! says whether the cache entry is at fault, by verifying it, and what to do; or that the cache
//! is fine and where the cause is. `--fix` repairs or downloads the entries at fault, with the
//! same confirmation rules as `refetch`.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde::Serialize;

use super::progress::ProgressLine;
use super::{Engine, ExplainArgs, print};
use crate::cache::cancel::CancelToken;
use crate::cache::fmt::count;
use crate::ops::plan::explain::{Context, Explained, explain, repair_plan};
use crate::ops::plan::repair::{Outcome, execute};
use crate::verify::Expectations;
use crate::verify::goerr;

/// How much of go's output `explain` keeps to explain (of a command's, a file's or standard
/// input's): go's errors come last.
const KEPT_TAIL: usize = 4 << 20;

pub fn run(engine: &Engine, args: &ExplainArgs) -> anyhow::Result<ExitCode> {
    let text = input(args)?;
    let (expect, project) = project_expectations(engine, args)?;
    // The fix printed must work when pasted: with the go.sum it was judged against.
    let refetch_flags = project.as_ref().map_or_else(String::new, |dir| {
        format!(" --project {}", shell_word(&dir.display().to_string()))
    });
    // go names files relative to where it ran: here, or the project's directory.
    let dirs: Vec<PathBuf> = std::env::current_dir()
        .into_iter()
        .chain(project.clone())
        .collect();
    let context = Context {
        expect: &expect,
        refetch_flags: &refetch_flags,
        project: project.as_deref(),
        dirs: &dirs,
    };
    let explained: Vec<Explained> = goerr::read(&text)
        .into_iter()
        .map(|e| explain(engine, e, &context))
        .collect();
    let fixable: Vec<&Explained> = explained.iter().filter(|e| e.fix.is_some()).collect();
    if !args.fixing.fix || fixable.is_empty() {
        if args.fixing.json {
            print_json(&explained, None)?;
        } else {
            let mut text = report(&explained);
            if args.fixing.fix {
                text.push_str("nothing in the cache to fix\n");
            }
            print(&text)?;
        }
        return Ok(if explained.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        });
    }
    if !args.fixing.json {
        safe_eprint!("{}", report(&explained));
    }
    let versions = count(fixable.len() as u64, "version");
    let plan = repair_plan(&explained);
    let warning = plan
        .download_warning(&engine.goenv.goproxy())
        .map_or(String::new(), |w| format!("{w}\n"));
    if !args.fixing.yes
        && !super::ask::confirm(
            &format!("{warning}fix {versions}?"),
            &format!("refusing to fix {versions} without --yes: stdin is not a terminal"),
        )?
    {
        safe_eprintln!("nothing changed");
        return Ok(ExitCode::SUCCESS);
    }
    let cancel = CancelToken::new();
    cancel.cancel_on_interrupt()?;
    let progress = ProgressLine::new(!args.fixing.json && std::io::stderr().is_terminal());
    let done = execute(engine, plan, &expect, &cancel, &mut |n, total, key| {
        progress.show(|| format!("repaired {n}/{total}: {key}"));
    });
    progress.clear();
    let outcomes = done.outcomes;
    engine.record_run("explain --fix", &outcomes);
    let failed = outcomes.iter().filter(|o| o.failed()).count();
    if args.fixing.json {
        print_json(&explained, Some(&outcomes))?;
    } else {
        let mut text = String::new();
        for o in &outcomes {
            let what = match (&o.error, o.problems.is_empty()) {
                (Some(e), _) => format!("failed: {e}"),
                (None, true) => format!("{}, verified", o.action),
                (None, false) => format!("{}, but still: {}", o.action, o.problems.join(", ")),
            };
            text.push_str(&format!("{}@{}: {what}\n", o.path, o.version));
        }
        text.push_str(&format!(
            "fixed {} of {}\n",
            outcomes.len() - failed,
            count(outcomes.len() as u64, "version")
        ));
        print(&text)?;
    }
    if failed == 0 && !args.command.is_empty() {
        // The proof: the command that failed, run again.
        let again = crate::ops::stream::run_streaming(
            &args.command,
            &cancel,
            KEPT_TAIL,
            &mut pass_through,
        )?;
        let shown = args.command.join(" ");
        if again.status.success() {
            safe_eprintln!("modlens: {shown} succeeds now");
        } else {
            safe_eprintln!("modlens: {shown} still fails");
            return Ok(ExitCode::from(1));
        }
    }
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Shows a piece of the user's command's output on stderr, escaped, as it comes.
fn pass_through(bytes: &[u8]) {
    crate::cache::fmt::write_stderr(&String::from_utf8_lossy(bytes));
}

/// go's output: from `-- COMMAND` (run now, its output shown on stderr as it was), a file, or
/// standard input.
fn input(args: &ExplainArgs) -> anyhow::Result<String> {
    if !args.command.is_empty() {
        if args.file.is_some() {
            anyhow::bail!("give either FILE or -- COMMAND, not both");
        }
        let cancel = CancelToken::new();
        cancel.cancel_on_interrupt()?;
        // Its output is shown as it comes; only its last KEPT_TAIL bytes are kept to explain.
        let out = crate::ops::stream::run_streaming(
            &args.command,
            &cancel,
            KEPT_TAIL,
            &mut pass_through,
        )?;
        let text = String::from_utf8_lossy(&out.tail).into_owned();
        if out.status.success() {
            safe_eprintln!("modlens: {} succeeded", args.command.join(" "));
        }
        return Ok(text);
    }
    // Saved output is the user's own file, or a pipe (`explain <(go build ./... 2>&1)`), of
    // any length: only its last KEPT_TAIL bytes are kept, as for a command.
    let bytes = match &args.file {
        Some(path) => {
            let cannot = |e: std::io::Error| {
                anyhow::anyhow!("cannot read go's output {}: {e}", path.display())
            };
            let mut file = std::fs::File::open(path).map_err(cannot)?;
            let meta = file.metadata().map_err(cannot)?;
            if meta.is_dir() {
                anyhow::bail!("cannot read go's output {}: a directory", path.display());
            }
            // A file is read from where its tail starts: a huge log costs no more than a
            // small one.
            let tail_start = meta.len().saturating_sub(KEPT_TAIL as u64);
            if meta.is_file() && tail_start > 0 {
                use std::io::Seek;
                file.seek(std::io::SeekFrom::Start(tail_start))
                    .map_err(cannot)?;
            }
            crate::ops::stream::read_tail(file, KEPT_TAIL).map_err(cannot)?
        }
        None => {
            if std::io::stdin().is_terminal() {
                anyhow::bail!(
                    "give go's output on standard input, as a FILE, or run it: \
                     modlens explain -- go build ./..."
                );
            }
            crate::ops::stream::read_tail(std::io::stdin().lock(), KEPT_TAIL)?
        }
    };
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// The go.sum files of `--project`, else of the module or workspace of the current directory
/// (as go finds it), else none.
fn project_expectations(
    engine: &Engine,
    args: &ExplainArgs,
) -> anyhow::Result<(std::sync::Arc<Expectations>, Option<PathBuf>)> {
    let dirs: Vec<PathBuf> = match &args.project {
        Some(dir) => vec![dir.clone()],
        None => {
            let cwd = std::env::current_dir()?;
            crate::ops::project::locate(
                &engine.go_runner(),
                &engine.located.root,
                &cwd,
                &CancelToken::new(),
            )
            .ok()
            .and_then(|p| p.gowork.or(p.gomod))
            .and_then(|f| f.parent().map(Path::to_path_buf))
            .into_iter()
            .collect()
        }
    };
    let project = dirs.first().cloned();
    Ok((engine.expectations(&dirs, false)?, project))
}

/// `word` quoted for a POSIX shell when it needs it.
fn shell_word(word: &str) -> String {
    let plain = word
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"/._-+@:,=".contains(&b));
    if plain && !word.is_empty() {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

fn report(explained: &[Explained]) -> String {
    if explained.is_empty() {
        return "no module errors in go's output\n".to_owned();
    }
    let mut out = String::new();
    for e in explained {
        let name = match (&e.module, &e.version) {
            (Some(m), Some(v)) => format!("{m}@{v}"),
            _ => "(no module named)".to_owned(),
        };
        out.push_str(&format!("{name}: {}\n  go said: {}\n", e.kind, e.line));
        if let Some(found_by) = &e.found_by {
            out.push_str(&format!("  go named no module: {found_by}\n"));
        }
        match e.at_fault {
            "cache" if e.cache == "missing" => out.push_str("  the cache: missing\n"),
            "cache" => out.push_str(&format!(
                "  the cache entry is at fault: {}\n",
                e.problems.join("; ")
            )),
            "cache_or_gosum" => out.push_str(&format!(
                "  the cache entry or the go.sum line: {}\n",
                e.problems.join("; ")
            )),
            _ if e.cache == "verified" => {
                out.push_str("  the cache entry verifies: not the cause\n")
            }
            _ => {}
        }
        out.push_str(&format!("  what to do: {}\n", e.advice));
    }
    let in_cache = explained.iter().filter(|e| e.fix.is_some()).count();
    let unknown = explained.iter().filter(|e| e.at_fault == "unknown").count();
    out.push_str(&format!(
        "{} explained: {in_cache} in the cache{}, {} elsewhere{}\n",
        count(explained.len() as u64, "error"),
        if in_cache > 0 {
            " (modlens explain --fix repairs them)"
        } else {
            ""
        },
        explained.len() - in_cache - unknown,
        match unknown {
            0 => String::new(),
            n => format!(", {n} naming no version"),
        }
    ));
    out
}

fn print_json(explained: &[Explained], fixed: Option<&[Outcome]>) -> anyhow::Result<()> {
    #[derive(Serialize)]
    struct Report<'a> {
        errors: &'a [Explained],
        #[serde(skip_serializing_if = "Option::is_none")]
        fixed: Option<&'a [Outcome]>,
    }
    let mut text = serde_json::to_string_pretty(&Report {
        errors: explained,
        fixed,
    })?;
    text.push('\n');
    print(&text)?;
    Ok(())
}
