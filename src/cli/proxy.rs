//! `modlens proxy list|verify STORE`: the module store a team shares (a `file://` proxy
//! directory, a module cache's `cache/download`, goproxy's directory cacher, Athens' disk
//! storage), listed, and every version judged against go.sum lines (`--project`) and the
//! store's own cached checksum-database answers.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Mutex;

use serde::Serialize;

use super::print;
use super::progress::ProgressLine;
use crate::cache::fmt::{count, size};
use crate::cache::goenv::GoEnv;
use crate::cache::store::{Layout, Listing, Store};
use crate::ops::pools::Pools;
use crate::verify::gosum::GoSums;
use crate::verify::store::{NOTHING_TO_COMPARE, StoreExpectations, StoreStatus, StoreVerdict};

/// Options of `modlens proxy`.
#[derive(Debug, Clone, clap::Args)]
pub struct ProxyArgs {
    /// What to do.
    #[command(subcommand)]
    pub action: ProxyAction,
}

/// The `proxy` subcommands.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum ProxyAction {
    /// Every version the store holds, with its size and pieces.
    List(StoreArgs),
    /// Judge every version: match, mismatch, unverifiable or malformed.
    Verify(StoreArgs),
    /// Report the versions proven wrong (mismatch, malformed); with --yes, move them into a
    /// trash beside the store and drop them from @v/list.
    Clean(StoreCleanArgs),
}

/// Options of `proxy clean`.
#[derive(Debug, Clone, clap::Args)]
pub struct StoreCleanArgs {
    /// The store and how to judge it.
    #[command(flatten)]
    pub store: StoreArgs,
    /// Move the versions proven wrong (without it, only the report).
    #[arg(long, short = 'y')]
    pub yes: bool,
}

/// Where the store is and how to read it.
#[derive(Debug, Clone, clap::Args)]
pub struct StoreArgs {
    /// The store: a directory in go's proxy layout (what GOPROXY=file://DIR serves; a module
    /// cache's root stands for its cache/download), or Athens' disk storage.
    #[arg(value_name = "STORE")]
    pub store: PathBuf,
    /// The store's layout, when detecting it is not wanted.
    #[arg(long, value_enum)]
    pub layout: Option<LayoutArg>,
    /// Projects whose go.sum lines the versions are checked against (repeatable).
    #[arg(long, value_name = "DIR")]
    pub project: Vec<PathBuf>,
    /// With --project, read every go.sum below DIR.
    #[arg(long, requires = "project")]
    pub recursive: bool,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
}

/// `--layout`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LayoutArg {
    /// `<escaped module>/@v/{list,<v>.info,<v>.mod,<v>.zip}`.
    Goproxy,
    /// `<module>/<version>/{go.mod,source.zip,<version>.info}`.
    Athens,
}

pub fn run(goenv: &GoEnv, pools: &Pools, args: &ProxyArgs) -> anyhow::Result<ExitCode> {
    let (ProxyAction::List(a)
    | ProxyAction::Verify(a)
    | ProxyAction::Clean(StoreCleanArgs { store: a, .. })) = &args.action;
    let layout = a.layout.map(|l| match l {
        LayoutArg::Goproxy => Layout::GoProxy,
        LayoutArg::Athens => Layout::Athens,
    });
    let store = Store::open(&a.store, layout)?;
    let listing = store.list();
    match &args.action {
        ProxyAction::List(a) => list(&store, &listing, a.json),
        ProxyAction::Verify(a) => verify(goenv, pools, &store, listing, a),
        ProxyAction::Clean(c) => clean(goenv, pools, &store, listing, c),
    }
}

fn list(store: &Store, listing: &Listing, json: bool) -> anyhow::Result<ExitCode> {
    let total: u64 = listing.versions.iter().map(|v| v.bytes).sum();
    let modules = {
        let mut paths: Vec<&str> = listing
            .versions
            .iter()
            .map(|v| v.key.path.as_str())
            .collect();
        paths.dedup();
        paths.len()
    };
    if json {
        #[derive(Serialize)]
        struct JsonVersion<'a> {
            path: &'a str,
            version: &'a str,
            bytes: u64,
            info: bool,
            go_mod: bool,
            zip: bool,
            problems: &'a [String],
        }
        let versions: Vec<JsonVersion<'_>> = listing
            .versions
            .iter()
            .map(|v| JsonVersion {
                path: &v.key.path,
                version: &v.key.version,
                bytes: v.bytes,
                info: v.info.is_some(),
                go_mod: v.go_mod.is_some(),
                zip: v.zip.is_some(),
                problems: &v.problems,
            })
            .collect();
        let report = serde_json::json!({
            "store": store.root,
            "layout": store.layout.name(),
            "versions": versions,
            "strays": listing.strays,
            "bytes": total,
        });
        print(&format!("{}\n", serde_json::to_string_pretty(&report)?))?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut text = String::new();
    for v in &listing.versions {
        let pieces: Vec<&str> = [
            (v.info.is_some(), "info"),
            (v.go_mod.is_some(), "mod"),
            (v.zip.is_some(), "zip"),
        ]
        .into_iter()
        .filter_map(|(has, name)| has.then_some(name))
        .collect();
        text.push_str(&format!(
            "{:>10}  {:<12} {}\n",
            size(v.bytes),
            pieces.join(","),
            v.key
        ));
        for p in &v.problems {
            text.push_str(&format!("{:>10}  {p}\n", ""));
        }
    }
    for s in &listing.strays {
        text.push_str(&format!("stray: {s}\n"));
    }
    text.push_str(&format!(
        "{} of {} in {} ({} layout), {}\n",
        count(listing.versions.len() as u64, "version"),
        count(modules as u64, "module"),
        store.root.display(),
        store.layout.name(),
        size(total)
    ));
    print(&text)?;
    Ok(ExitCode::SUCCESS)
}

/// Every version of `listing` judged, with a progress line on a terminal.
fn judge_all(
    goenv: &GoEnv,
    pools: &Pools,
    store: &Store,
    listing: &Listing,
    args: &StoreArgs,
) -> anyhow::Result<Vec<StoreVerdict>> {
    let mut gosums = GoSums::default();
    for dir in &args.project {
        gosums.load_project(dir, args.recursive)?;
    }
    let (verifiers, warning) = crate::ops::engine::sumdb_keys(goenv);
    if let Some(warning) = warning {
        safe_eprintln!("modlens: warning: {warning}");
    }
    let private = |path: &str| goenv.private_to_sumdb(path);
    let expect = StoreExpectations {
        gosums: &gosums,
        verifiers: &verifiers,
        private: &private,
    };
    let progress = Mutex::new(ProgressLine::new(
        !args.json && std::io::stderr().is_terminal(),
    ));
    let verdicts = crate::ops::store::verify_store(
        pools,
        store,
        listing.versions.clone(),
        &expect,
        &|n, total| {
            if let Ok(mut line) = progress.lock() {
                line.show(|| format!("verified {n}/{total}"));
            }
        },
    );
    if let Ok(line) = progress.lock() {
        line.clear();
    }
    Ok(verdicts)
}

fn verify(
    goenv: &GoEnv,
    pools: &Pools,
    store: &Store,
    listing: Listing,
    args: &StoreArgs,
) -> anyhow::Result<ExitCode> {
    let verdicts = judge_all(goenv, pools, store, &listing, args)?;
    let tally = |status: StoreStatus| verdicts.iter().filter(|v| v.status == status).count();
    let wrong = tally(StoreStatus::Mismatch) + tally(StoreStatus::Malformed);
    if args.json {
        #[derive(Serialize)]
        struct Report<'a> {
            store: &'a std::path::Path,
            layout: &'static str,
            versions: &'a [StoreVerdict],
            strays: &'a [String],
            summary: std::collections::BTreeMap<&'static str, usize>,
        }
        let statuses = [
            StoreStatus::Match,
            StoreStatus::Mismatch,
            StoreStatus::Malformed,
            StoreStatus::Unverifiable,
        ];
        let report = Report {
            store: &store.root,
            layout: store.layout.name(),
            versions: &verdicts,
            strays: &listing.strays,
            summary: statuses.iter().map(|s| (s.name(), tally(*s))).collect(),
        };
        print(&format!("{}\n", serde_json::to_string_pretty(&report)?))?;
    } else {
        let mut text = String::new();
        let mut nothing_to_compare = 0;
        for v in verdicts.iter().filter(|v| v.status != StoreStatus::Match) {
            text.push_str(&format!(
                "{:<12} {}@{}\n",
                v.status.name(),
                v.path,
                v.version
            ));
            for reason in &v.reasons {
                // The common reason is said once, below.
                if reason == NOTHING_TO_COMPARE {
                    nothing_to_compare += 1;
                    continue;
                }
                text.push_str(&format!("             {reason}\n"));
            }
        }
        if nothing_to_compare > 0 {
            text.push_str(&format!(
                "{} unverifiable: {NOTHING_TO_COMPARE} (--project DIR checks them against its \
                 go.sum)\n",
                count(nothing_to_compare as u64, "version")
            ));
        }
        text.push_str(&format!(
            "{}: {} match, {} mismatch, {} malformed, {} unverifiable\n",
            count(verdicts.len() as u64, "version"),
            tally(StoreStatus::Match),
            tally(StoreStatus::Mismatch),
            tally(StoreStatus::Malformed),
            tally(StoreStatus::Unverifiable),
        ));
        print(&text)?;
    }
    Ok(if wrong == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn clean(
    goenv: &GoEnv,
    pools: &Pools,
    store: &Store,
    listing: Listing,
    args: &StoreCleanArgs,
) -> anyhow::Result<ExitCode> {
    if crate::ops::store::is_module_cache(store) {
        anyhow::bail!(
            "{} is a module cache's download directory: repair it with `modlens refetch \
             --broken` (under go's locks, with its trees), not `proxy clean`",
            store.root.display()
        );
    }
    let verdicts = judge_all(goenv, pools, store, &listing, &args.store)?;
    let wrong: Vec<&StoreVerdict> = verdicts.iter().filter(|v| v.status.is_wrong()).collect();
    let mut text = String::new();
    for v in &wrong {
        text.push_str(&format!(
            "{:<12} {}@{}\n",
            v.status.name(),
            v.path,
            v.version
        ));
        for reason in &v.reasons {
            text.push_str(&format!("             {reason}\n"));
        }
    }
    if wrong.is_empty() {
        if !args.store.json {
            print("nothing proven wrong: nothing to clean\n")?;
        } else {
            print(&format!(
                "{}\n",
                serde_json::json!({ "plan": [], "moved": [], "failed": [] })
            ))?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    if !args.yes {
        if args.store.json {
            let plan: Vec<String> = wrong
                .iter()
                .map(|v| format!("{}@{}", v.path, v.version))
                .collect();
            print(&format!(
                "{}\n",
                serde_json::to_string_pretty(
                    &serde_json::json!({ "plan": plan, "moved": [], "failed": [] })
                )?
            ))?;
        } else {
            text.push_str(&format!(
                "would move {} proven wrong into a trash beside the store (pass --yes); versions \
                 that could not be proven wrong are never moved\n",
                count(wrong.len() as u64, "version")
            ));
            print(&text)?;
        }
        return Ok(ExitCode::from(1));
    }
    let run = format!(
        "{}-{}",
        crate::ops::state::unix(crate::cache::clock::now()),
        std::process::id()
    );
    let cleaned = crate::ops::store::clean_store(store, &listing.versions, &verdicts, &run)?;
    if args.store.json {
        print(&format!("{}\n", serde_json::to_string_pretty(&cleaned)?))?;
    } else {
        for (name, why) in &cleaned.failed {
            text.push_str(&format!("failed: {name}: {why}\n"));
        }
        text.push_str(&format!(
            "moved {} into {} (move them back to undo)\n",
            count(cleaned.moved.len() as u64, "version"),
            cleaned
                .trash
                .as_deref()
                .map_or_else(String::new, |t| t.display().to_string())
        ));
        print(&text)?;
    }
    Ok(if cleaned.failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
