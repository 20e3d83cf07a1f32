//! The command line: argument definitions, cache discovery and the subcommands.
//!
//! `run` maps everything to an exit status the way ripgrep does: 0 when all is fine, 1 when a
//! check found problems, 2 on a usage or I/O error. A closed stdout (`modlens list | head`) is
//! not an error.

mod clean;
mod context;
pub mod demo;
mod doctor;
mod explain;
mod history;
mod json;
mod list;
pub mod locate;
mod progress;
mod refetch;
mod tui;
mod verify;

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::cache::goenv::GoEnv;
use crate::ops::pools::{PoolSizes, Pools};
pub use context::Ctx;
use context::{DemoDir, locate_cache};

/// Explore, verify and repair the Go module cache.
#[derive(Debug, Parser)]
#[command(name = "modlens", version, about, long_about = None)]
pub struct Cli {
    /// The module cache to use. Without it: GOMODCACHE, then `go env GOMODCACHE`, then the
    /// first GOPATH entry + /pkg/mod, then $HOME/go/pkg/mod.
    #[arg(long, global = true, value_name = "DIR")]
    pub cache: Option<PathBuf>,

    /// Build a small demo cache (with a few broken entries) in a temp dir and use it; it is
    /// removed on exit. Needs no Go.
    #[arg(long, global = true, conflicts_with = "cache")]
    pub demo: bool,

    /// Do not verify in the background after the scan (TUI).
    #[arg(long)]
    pub no_verify: bool,

    /// Check against DIR/go.sum and DIR/go.work.sum, and allow marking versions no project
    /// uses (TUI; repeatable).
    #[arg(long, value_name = "DIR")]
    pub project: Vec<PathBuf>,

    /// With --project, read every go.sum below DIR (TUI).
    #[arg(long, requires = "project")]
    pub recursive: bool,

    /// modlens's own state database (scan history); default
    /// $XDG_STATE_HOME/modlens/state.db, or MODLENS_STATE. Never inside the module cache.
    #[arg(long, global = true, value_name = "PATH", env = "MODLENS_STATE")]
    pub state: Option<PathBuf>,

    /// Do not read or write the state database (wins over --state and MODLENS_STATE).
    #[arg(long, global = true)]
    pub no_state: bool,

    /// What to do; without a subcommand modlens opens the interactive explorer (or prints the
    /// list when stdout is not a terminal).
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// List every module version in the cache with its size and ages.
    List(ListArgs),
    /// How the cache grew: the totals of recorded scans per day, and the top growers.
    History(HistoryArgs),
    /// Check module versions for every kind of damage and explain what is wrong.
    Verify(VerifyArgs),
    /// Remove module versions by policy, and leftovers and vcs repositories, safely.
    Clean(CleanArgs),
    /// Repair module versions: re-extract from an intact zip, else download again through go.
    Refetch(RefetchArgs),
    /// Check what a Go project needs from the cache (go's build list, every version verified,
    /// the project's go.sum included), and with --fix repair or download exactly that.
    Doctor(DoctorArgs),
    /// Read go's error output (stdin, FILE, or `-- go build ./...`), and say for each module
    /// error whether the cache entry is at fault and what to do.
    Explain(ExplainArgs),
}

/// Options of `modlens clean`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct CleanArgs {
    /// Versions downloaded (or, with --by last-used, last used) longer ago than DURATION,
    /// e.g. 90d, 12w, 6mo, 1y.
    #[arg(long, value_name = "DURATION")]
    pub older_than: Option<String>,
    /// Which time --older-than compares.
    #[arg(long, value_enum, default_value_t = clean::ByTime::Downloaded, requires = "older_than")]
    pub by: clean::ByTime,
    /// All but the newest N (at least 1) versions of each module, newest as go's @latest
    /// means it: releases above prereleases above pseudo-versions. A prerelease or
    /// pseudo-version newer than the newest kept release is kept too (someone is testing it).
    #[arg(long, value_name = "N")]
    pub keep_latest: Option<usize>,
    /// Versions no go.sum of the --project directories names.
    #[arg(long)]
    pub unused: bool,
    /// Projects whose go.sum lines count as use (repeatable); also checked by --broken.
    #[arg(long, value_name = "DIR")]
    pub project: Vec<PathBuf>,
    /// With --project, read every go.sum below DIR.
    #[arg(long, requires = "project")]
    pub recursive: bool,
    /// All toolchains (golang.org/toolchain) but the newest.
    #[arg(long)]
    pub toolchains: bool,
    /// Versions the verifier finds problems with.
    #[arg(long)]
    pub broken: bool,
    /// Remove the least recently used versions until the cache fits in SIZE (e.g. 10G).
    #[arg(long, value_name = "SIZE")]
    pub max_size: Option<String>,
    /// Leftovers of go's interrupted work: `*.tmp` files, `*.tmp-*` dirs, orphan `.partial`
    /// files and orphan trees (never names go does not write).
    #[arg(long)]
    pub leftovers: bool,
    /// A leftover to remove by name, whatever its kind (e.g. an unrecognized file that
    /// `list` shows), as a path relative to the cache root or inside it (repeatable). It must
    /// be one of the leftovers the scan lists; an unreadable one cannot be removed.
    #[arg(long = "leftover", value_name = "PATH")]
    pub named_leftovers: Vec<PathBuf>,
    /// Repositories under cache/vcs (go clones them again when needed).
    #[arg(long)]
    pub vcs: bool,
    /// Only print what would be removed.
    #[arg(long)]
    pub dry_run: bool,
    /// Do not ask (needed when stdin is not a terminal).
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
    /// Restrict version policies to these modules (path, path@version or glob); alone, they
    /// select exactly the matching versions.
    #[arg(value_name = "PATTERN")]
    pub patterns: Vec<String>,
}

/// Options of `modlens history`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct HistoryArgs {
    /// How far back, e.g. 30d, 12w (default: everything recorded).
    #[arg(long, value_name = "DURATION")]
    pub since: Option<String>,
    /// One line per ISO week instead of per day.
    #[arg(long)]
    pub weekly: bool,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
}

/// Options of `modlens doctor`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct DoctorArgs {
    /// The project: a directory in a module (go.mod) or a workspace (go.work); default: the
    /// current directory.
    #[arg(value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Also ask the proxy which needed versions their authors retracted (go reads, and
    /// caches, each module's latest go.mod).
    #[arg(long)]
    pub online: bool,
    #[command(flatten)]
    pub fixing: FixFlags,
}

/// `--fix`, `--yes` and `--json` of the commands that can fix what they find.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct FixFlags {
    /// Repair the broken versions (offline first) and download the missing ones through go,
    /// then check again.
    #[arg(long)]
    pub fix: bool,
    /// With --fix: do not ask (needed when stdin is not a terminal).
    #[arg(long, short = 'y', requires = "fix")]
    pub yes: bool,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
}

/// Options of `modlens explain`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ExplainArgs {
    /// A file holding go's output; without it (and without -- COMMAND), standard input.
    #[arg(value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// Check against this project's go.sum (default: the module or workspace of the current
    /// directory, if any).
    #[arg(long, value_name = "DIR")]
    pub project: Option<PathBuf>,
    #[command(flatten)]
    pub fixing: FixFlags,
    /// Run this command and explain its output, e.g. `modlens explain -- go build ./...`.
    #[arg(last = true, value_name = "COMMAND")]
    pub command: Vec<String>,
}

/// Options of `modlens refetch`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct RefetchArgs {
    /// Repair every version with problems, and remove leftovers of interrupted work.
    #[arg(long)]
    pub broken: bool,
    /// Concurrent repairs (go processes), default 4.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=64))]
    pub jobs: Option<u16>,
    /// Check the results against these projects' go.sum too (repeatable).
    #[arg(long, value_name = "DIR")]
    pub project: Vec<PathBuf>,
    /// With --project, read every go.sum below DIR.
    #[arg(long, requires = "project")]
    pub recursive: bool,
    /// Do not ask (needed when stdin is not a terminal).
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
    /// Versions to repair, as MODULE@VERSION.
    #[arg(value_name = "MODULE@VERSION")]
    pub modules: Vec<String>,
}

/// Options of `modlens verify`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct VerifyArgs {
    /// Print one JSON object instead of lines.
    #[arg(long)]
    pub json: bool,
    /// Also check the cache against DIR/go.sum and DIR/go.work.sum (repeatable).
    #[arg(long, value_name = "DIR")]
    pub project: Vec<PathBuf>,
    /// With --project, read every go.sum and go.work.sum below DIR.
    #[arg(long, requires = "project")]
    pub recursive: bool,
    /// Hash every version again, even those whose remembered verdict would stand.
    #[arg(long)]
    pub full: bool,
    /// Hash a version again when its last full hash is older than this, even if nothing about
    /// it changed (disk corruption changes no metadata).
    #[arg(long, value_name = "DURATION", default_value = "30d")]
    pub rehash_after: String,
    /// Number of hashing threads (default: one per core, plus one).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub jobs: Option<u16>,
    /// Module versions to check: a module path, `path@version`, or a glob such as
    /// `github.com/acme/*` (default: all).
    #[arg(value_name = "PATTERN")]
    pub patterns: Vec<String>,
}

/// Options of `modlens list`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ListArgs {
    /// Print one JSON object instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Order of the versions.
    #[arg(long, value_enum, default_value_t = SortKey::Name)]
    pub sort: SortKey,
    /// Reverse the order.
    #[arg(long)]
    pub reverse: bool,
    /// Show only versions whose `path@version` contains TEXT (case-insensitive), or, when TEXT
    /// has `*`, `?` or `[`, whose path (or `path@version`, if TEXT has `@`) matches the glob.
    #[arg(long, value_name = "TEXT")]
    pub filter: Option<String>,
}

pub use crate::cache::sort::SortKey;

/// Runs modlens with parsed arguments and returns the process exit status.
pub fn run(cli: Cli) -> ExitCode {
    match dispatch(cli) {
        Ok(code) => code,
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("modlens: {err:#}");
            ExitCode::from(2)
        }
    }
}

fn dispatch(cli: Cli) -> anyhow::Result<ExitCode> {
    use std::io::IsTerminal;
    let goenv = GoEnv::from_process();
    // With no cache to find and no go installed, a first `cargo run` (the explorer, no
    // subcommand) shows the demo rather than an error: there is nothing of the user's to show
    // yet. Subcommands, which scripts run, still fail.
    let no_cache_no_go = !cli.demo
        && cli.command.is_none()
        && cli.cache.is_none()
        && locate_cache(None, &goenv).is_err()
        && !goenv.go_available();
    if no_cache_no_go {
        eprintln!(
            "modlens: no Go module cache here and no go on PATH: showing the demo cache \
             (pass --cache DIR for another one)"
        );
    }
    let demo = (cli.demo || no_cache_no_go)
        .then(DemoDir::create)
        .transpose()?;
    let located = match &demo {
        Some(d) => locate::Located {
            root: d.root.clone(),
            source: locate::Source::Flag,
        },
        None => locate_cache(cli.cache.as_deref(), &goenv)?,
    };
    let listing_only = match &cli.command {
        Some(Command::List(_)) => true,
        Some(_) => false,
        None => !io::stdout().is_terminal(),
    };
    if let Err(err) = crate::cache::recognize::recognize(&located.root) {
        // Listing changes nothing, so it may look at any directory; everything else refuses.
        if !listing_only {
            return Err(err.into());
        }
        eprintln!("modlens: warning: {err}");
    }
    let mut sizes = PoolSizes::default();
    match &cli.command {
        Some(Command::Verify(args)) => sizes.hash = args.jobs.map_or(sizes.hash, usize::from),
        Some(Command::Refetch(args)) => sizes.jobs = args.jobs.map_or(sizes.jobs, usize::from),
        _ => {}
    }
    let state = context::open_state(&goenv, &located.root, cli.state.as_deref(), cli.no_state);
    let ctx = Ctx {
        located,
        goenv,
        pools: Pools::new(sizes)?,
        state,
    };
    let Some(command) = cli.command else {
        if !io::stdout().is_terminal() {
            return list::run(&ctx, &ListArgs::default());
        }
        return tui::run(&ctx, &cli.project, cli.recursive, !cli.no_verify);
    };
    match command {
        Command::List(args) => list::run(&ctx, &args),
        Command::Verify(args) => verify::run(&ctx, &args),
        Command::Clean(args) => clean::run(&ctx, &args),
        Command::Refetch(args) => refetch::run(&ctx, &args),
        Command::History(args) => history::run(&ctx, &args),
        Command::Doctor(args) => doctor::run(&ctx, &args),
        Command::Explain(args) => explain::run(&ctx, &args),
    }
}

/// Fails on the first pattern that selects no version: most likely a typo, and silently
/// doing nothing (or checking nothing) would hide it.
fn require_matches(
    located: &locate::Located,
    texts: &[String],
    filters: &[crate::cache::filter::Filter],
    entries: &[crate::cache::ModuleEntry],
) -> anyhow::Result<()> {
    for (text, filter) in texts.iter().zip(filters) {
        if !entries.iter().any(|e| filter.matches(&e.key)) {
            anyhow::bail!(
                "pattern {text:?} matches no module version in {}",
                located.root.display()
            );
        }
    }
    Ok(())
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain()
        .filter_map(|e| e.downcast_ref::<io::Error>())
        .any(|e| e.kind() == io::ErrorKind::BrokenPipe)
}

/// Writes `text` to stdout in one go; a broken pipe surfaces as an error for `run` to excuse.
fn print(text: &str) -> io::Result<()> {
    let mut out = io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()
}
