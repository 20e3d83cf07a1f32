//! The command line: argument definitions, cache discovery and the subcommands.
//!
//! `run` maps everything to an exit status the way ripgrep does: 0 when all is fine, 1 when a
//! check found problems, 2 on a usage or I/O error. A closed stdout (`modlens list | head`) is
//! not an error.

/// `eprintln!` for anything that may hold a name from disk or an argument: made safe by
/// [`for_terminal`](crate::cache::fmt::for_terminal).
macro_rules! safe_eprintln {
    ($($arg:tt)*) => {
        $crate::cache::fmt::write_stderr(&format!("{}\n", format_args!($($arg)*)))
    };
}

/// `eprint!` made safe, as `safe_eprintln!`.
macro_rules! safe_eprint {
    ($($arg:tt)*) => {
        $crate::cache::fmt::write_stderr(&format!($($arg)*))
    };
}

mod args;
mod ask;
mod check;
mod clean;
pub mod demo;
mod diff;
mod doctor;
mod explain;
mod gocache;
mod history;
mod json;
mod list;
mod patch;
mod progress;
mod proxy;
mod refetch;
mod sumdb;
mod trash;
mod tui;
mod vendor;
mod verify;

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::cache::goenv::GoEnv;
use crate::cache::locate::{self, locate_with as locate_cache};
use crate::ops::engine::{Engine, Settings};
use crate::ops::pools::{PoolSizes, Pools};
use crate::ops::vendor::VendorInputs;
pub use args::*;
use demo::DemoDir;

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

    /// How long versions stay in the trash before a trash or clean run empties them, e.g.
    /// 30d, 12w, or `never`.
    #[arg(
        long,
        global = true,
        value_name = "DURATION",
        env = "MODLENS_TRASH_KEEP",
        default_value = "30d"
    )]
    pub trash_keep: String,

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
    /// Repair module versions the cheapest way: offline from what is intact (re-extract the tree,
    /// rebuild the zip, write the .ziphash or the .mod), else download again through go.
    Refetch(RefetchArgs),
    /// Check what a Go project needs from the cache (go's build list, every version verified,
    /// the project's go.sum included), and with --fix repair or download exactly that.
    Doctor(DoctorArgs),
    /// Show how a version's tree differs from its intact zip (or a changed zip from an
    /// authentic copy): a unified diff for each changed text file, sizes and the first
    /// differing byte for binary ones, extra and missing files.
    Diff(diff::DiffArgs),
    /// A project's (or workspace's) vendor directory: check vendor/modules.txt against go.mod
    /// and every vendored file against its module's zip or replacement directory, as `go mod
    /// verify` does not.
    Vendor(vendor::VendorArgs),
    /// Read go's error output (stdin, FILE, or `-- go build ./...`), and say for each module
    /// error whether the cache entry is at fault and what to do.
    Explain(ExplainArgs),
    /// What `clean --trash` moved aside: list it, restore versions, or empty it.
    Trash(TrashArgs),
    /// The build cache (GOCACHE): list it, verify every output, clean it.
    Gocache(GocacheArgs),
    /// A module store a team shares (a file:// proxy directory, Athens' disk storage, an S3
    /// bucket, a GOPROXY URL): list it, and check every version against go.sum and the
    /// checksum database's answers.
    Proxy(proxy::ProxyArgs),
}

pub use crate::cache::sort::SortKey;

/// Runs modlens with parsed arguments and returns the process exit status.
pub fn run(cli: Cli) -> ExitCode {
    match dispatch(cli) {
        Ok(code) => code,
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        // The explorer stopped its work for a signal: exit as the signal would have.
        Err(err) if let Some(&crate::tui::run::Terminated(signal)) = err.downcast_ref() => {
            ExitCode::from(u8::try_from(128 + signal).unwrap_or(1))
        }
        Err(err) => {
            safe_eprintln!("modlens: {err:#}");
            ExitCode::from(2)
        }
    }
}

/// Whether `command` may change the module cache (a dry run or a listing does not).
fn changes_the_cache(command: Option<&Command>) -> bool {
    match command {
        Some(Command::Clean(a)) => !a.dry_run,
        Some(Command::Refetch(a)) => !a.dry_run,
        Some(Command::Doctor(a)) => a.fixing.fix,
        Some(Command::Explain(a)) => a.fixing.fix,
        Some(Command::Trash(a)) => matches!(
            &a.action,
            TrashAction::Restore { .. } | TrashAction::Empty { dry_run: false, .. }
        ),
        _ => false,
    }
}

/// A cache the user cannot write is said once, before any plan, rather than found out item
/// by item ("Permission denied" on each `.lock`).
fn refuse_unwritable(root: &std::path::Path) -> anyhow::Result<()> {
    match unwritable(root) {
        Some(why) => anyhow::bail!("{why}; or pass --dry-run to see the plan"),
        None => Ok(()),
    }
}

/// Why the user cannot change the module cache at `root`, if they cannot (no write access, a
/// read-only file system).
pub(crate) fn unwritable(root: &std::path::Path) -> Option<String> {
    use rustix::fs::{Access, access};
    [root.to_path_buf(), root.join("cache").join("download")]
        .into_iter()
        .filter(|dir| dir.exists())
        .find_map(|dir| {
            let err = access(&dir, Access::WRITE_OK).err()?;
            Some(format!(
                "cannot change the module cache {}: {} is not writable ({}); run modlens as \
                 the cache's owner",
                root.display(),
                dir.display(),
                std::io::Error::from(err)
            ))
        })
}

fn dispatch(cli: Cli) -> anyhow::Result<ExitCode> {
    use std::io::IsTerminal;
    check::flag_values(&cli)?;
    let goenv = GoEnv::from_process();
    if let Some(Command::Gocache(args)) = &cli.command {
        // The build cache needs no module cache.
        let pools = Pools::new(PoolSizes::default())?;
        return gocache::run(&goenv, &pools, args);
    }
    if let Some(Command::Proxy(args)) = &cli.command {
        // Nor does a store.
        let pools = Pools::new(PoolSizes::default())?;
        return proxy::run(&goenv, &pools, args, cli.state.as_deref(), cli.no_state);
    }
    if let Some(Command::History(args)) = &cli.command
        && !cli.demo
        && !cli.no_state
        && let Ok((root, _)) = locate::chosen_with(cli.cache.as_deref(), &goenv)
        && std::fs::symlink_metadata(&root).is_err_and(|e| e.kind() == io::ErrorKind::NotFound)
    {
        // Gone (`go clean -modcache`): its history is all that is left of it.
        return history::run_gone(&goenv, &root, cli.state.as_deref(), args);
    }
    if let Some(Command::Vendor(args)) = &cli.command
        && cli.cache.is_none()
        && locate_cache(None, &goenv).is_err()
    {
        // A project that builds from vendor/ may have no module cache at all (CI often has
        // none): the zips are then downloaded into scratch directories.
        return vendor::run(&VendorInputs::without_cache(&goenv), args);
    }
    // With no cache to find (no go installed, or a fresh go that has downloaded nothing yet),
    // a first `cargo run` (the explorer, no subcommand) shows the demo rather than an error:
    // there is nothing of the user's to show yet. Subcommands, which scripts run, still fail.
    let no_cache = !cli.demo && cli.command.is_none() && cli.cache.is_none();
    let no_cache = no_cache.then(|| locate_cache(None, &goenv).err()).flatten();
    let no_cache_no_go = no_cache.is_some();
    if let Some(why) = &no_cache {
        if goenv.go_available() {
            safe_eprintln!(
                "modlens: {why:#}; go has not downloaded a module yet: showing the demo cache \
                 (pass --cache DIR for another one)"
            );
        } else {
            safe_eprintln!(
                "modlens: no Go module cache here and no go on PATH: showing the demo cache \
                 (pass --cache DIR for another one)"
            );
        }
    }
    // The explorer stops its work and ends by itself on SIGTERM and SIGHUP, and the demo then
    // goes as the program returns; commands leave that to the demo's own handler.
    let explorer = cli.command.is_none() && io::stdout().is_terminal();
    let demo = (cli.demo || no_cache_no_go)
        .then(|| DemoDir::create(!explorer))
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
        // Listing changes nothing, so it may look at a cache go did not quite write (names go
        // never writes, no version yet), with a warning. Every other directory (`/`, one with
        // no cache/download) stops every command: walking it is unbounded and none of it is go's.
        use crate::cache::recognize::NotACache;
        let cache_shaped = matches!(
            err,
            NotACache::ForeignName { .. } | NotACache::NoVersions(_)
        );
        if !(listing_only && cache_shaped) {
            return Err(err.into());
        }
        safe_eprintln!("modlens: warning: {err}");
    }
    // From here on every change goes through this one handle on the root.
    crate::fix::confined::hold_root(&located.root)?;
    if changes_the_cache(cli.command.as_ref()) {
        refuse_unwritable(&located.root)?;
    }
    let mut sizes = PoolSizes::default();
    match &cli.command {
        Some(Command::Verify(args)) => sizes.hash = args.jobs.map_or(sizes.hash, usize::from),
        Some(Command::Refetch(args)) => sizes.jobs = args.jobs.map_or(sizes.jobs, usize::from),
        _ => {}
    }
    let trash_keep = match cli.trash_keep.trim() {
        "never" => None,
        text => Some(
            crate::ops::policy::parse_duration(text)
                .map_err(|e| anyhow::anyhow!("invalid --trash-keep: {e}"))?,
        ),
    };
    // The demo cache is gone when modlens exits: nothing of it is remembered.
    let no_state = cli.no_state || demo.is_some();
    let settings = Settings {
        located,
        goenv,
        pool_sizes: sizes,
        state_path: cli.state.clone(),
        no_state,
        trash_keep,
    };
    let engine = Engine::open(
        settings,
        std::sync::Arc::new(|notice| safe_eprintln!("modlens: {notice}")),
    )?;
    let Some(command) = cli.command else {
        if !io::stdout().is_terminal() {
            return list::run(&engine, &ListArgs::default());
        }
        return tui::run(&engine, &cli.project, cli.recursive, !cli.no_verify);
    };
    match command {
        Command::List(args) => list::run(&engine, &args),
        Command::Verify(args) => verify::run(&engine, &args),
        Command::Clean(args) => clean::run(&engine, &args),
        Command::Refetch(args) => refetch::run(&engine, &args),
        Command::History(args) => history::run(&engine, &args),
        Command::Doctor(args) => doctor::run(&engine, &args),
        Command::Explain(args) => explain::run(&engine, &args),
        Command::Diff(args) => diff::run(&engine, &args),
        Command::Vendor(args) => vendor::run(&VendorInputs::of(&engine), &args),
        Command::Trash(args) => trash::run(&engine, &args),
        Command::Gocache(args) => gocache::run(&engine.goenv, &engine.pools, &args),
        Command::Proxy(args) => proxy::run(&engine.goenv, &engine.pools, &args, None, true),
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
    // Names from disk and arguments reach the terminal (or a JSON consumer) only escaped.
    out.write_all(crate::cache::fmt::for_terminal(text).as_bytes())?;
    out.flush()
}
