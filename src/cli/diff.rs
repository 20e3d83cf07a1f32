//! `modlens diff MODULE@VERSION [PATH…]`: how the cache's tree of a version differs from its
//! intact zip, file by file (see [`crate::verify::diff`]); a changed zip against an authentic
//! copy go downloads into a scratch directory; a tree whose zip is missing, or no zip at all,
//! against that authentic copy: unified diffs for text, sizes and
//! the first differing offset for binary files, the head of an extra file, the name of a
//! missing one. `--stat` counts, `--json` for scripts; colours on a terminal unless NO_COLOR;
//! a pager (`$PAGER`, else `less -R`) on a terminal, as `git diff` does. Every line from a file
//! is escaped before it reaches the terminal. Exit status 0 when nothing differs, 1 when
//! something does, 2 on errors.

use std::process::ExitCode;

use super::Engine;
use super::patch::{Paint, ShowArgs, Sides, render_files, write_out};
use crate::cache::ModuleKey;
use crate::cache::fmt::for_terminal;
use crate::ops::diff::diff_version;
use crate::verify::diff::{DiffLimits, FileDiff};

/// Options of `modlens diff`.
#[derive(Debug, Clone, clap::Args)]
pub struct DiffArgs {
    /// The version: MODULE@VERSION.
    #[arg(value_name = "MODULE@VERSION")]
    pub target: String,
    /// Only these files, or the files below these directories (paths in the module).
    #[arg(value_name = "PATH")]
    pub paths: Vec<String>,
    /// How the diffs are shown.
    #[command(flatten)]
    pub show: ShowArgs,
    /// When the cached zip is not go's, take the authentic copy from this store (a directory
    /// in go's proxy layout or its file:// URL, whose copy must first match go.sum or a proven
    /// checksum-database answer, or a GOPROXY URL) instead of GOPROXY.
    #[arg(long, value_name = "STORE")]
    pub from: Option<String>,
    /// Projects whose go.sum lines prove a store's copy (with --from; repeatable).
    #[arg(long, value_name = "DIR", requires = "from")]
    pub project: Vec<std::path::PathBuf>,
}

pub fn run(engine: &Engine, args: &DiffArgs) -> anyhow::Result<ExitCode> {
    let key = super::check::module_version(&args.target)?;
    let cache = engine.cache();
    let limits = DiffLimits::default();
    let mut go = engine.go_runner();
    if let Some(from) = &args.from {
        let expect = engine.expectations(&args.project, false)?;
        let proxy = crate::ops::store::repair_source(engine, from, &[&key], &expect)?;
        go.env.push(("GOPROXY".into(), proxy));
        go.env.push(("GONOPROXY".into(), "none".into()));
    }
    let notice = |text: String| safe_eprintln!("modlens: {text}");
    // Ctrl-C kills go's download of an authentic copy (go runs in a process group of its own,
    // which the terminal's signal does not reach), and its scratch directory goes.
    let cancel = crate::cache::cancel::CancelToken::new();
    cancel.cancel_on_interrupt()?;
    let diff = match diff_version(&cache, &go, &key, &args.paths, limits, &notice, &cancel) {
        Ok(diff) => diff,
        Err(_) if cancel.is_cancelled() => {
            safe_eprintln!("modlens: interrupted");
            return Ok(ExitCode::from(1));
        }
        Err(e) => return Err(e.into()),
    };
    let (old, new) = diff.compared.sides();
    let sides = Sides { old, new };
    let diffs = diff.files;
    let text = if args.show.json {
        let report = serde_json::json!({
            "path": key.path,
            "version": key.version,
            "compared": format!("the {} against the {}", sides.new, sides.old),
            "files": diffs,
        });
        format!(
            "{}\n",
            for_terminal(&serde_json::to_string_pretty(&report)?)
        )
    } else {
        render(&key, &diffs, sides, args.show.stat, Paint::for_stdout())
    };
    write_out(&text, args.show.paged())?;
    Ok(if diffs.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn render(key: &ModuleKey, diffs: &[FileDiff], sides: Sides, stat: bool, p: Paint) -> String {
    if diffs.is_empty() {
        return format!(
            "{}: the {} holds what the {} holds\n",
            for_terminal(&key.to_string()),
            sides.new,
            sides.old
        );
    }
    render_files(diffs, sides, stat, p)
}
