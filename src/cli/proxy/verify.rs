//! `proxy verify`: every version of a store judged (a chunk at a time, on the hashing pool),
//! against go.sum lines, the store's proven checksum-database answers and, with `--sumdb`, the
//! checksum database online; streamed as text or JSON.

use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::Arc;

use super::remote::Remote;
use super::{StoreArgs, World};
use crate::cache::fmt::count;
use crate::cache::store::{Listing, Store};
use crate::cli::print;
use crate::cli::progress::ProgressLine;
use crate::ops::state::StoreMemory;
use crate::verify::gosum::GoSums;
use crate::verify::store::{NOTHING_TO_COMPARE, StoreExpectations, StoreStatus, StoreVerdict};

/// Every version of `listing` judged, a chunk at a time (see [`crate::ops::store`]), with a
/// progress line on a terminal.
pub(super) fn judge_all(
    world: &World<'_>,
    store: &Store,
    listing: &Listing,
    args: &StoreArgs,
    on_verdicts: &mut dyn FnMut(Vec<StoreVerdict>) -> anyhow::Result<()>,
) -> anyhow::Result<Judged> {
    let goenv = world.goenv;
    let mut gosums = GoSums::default();
    for dir in &args.project {
        gosums.load_project(dir, args.recursive)?;
    }
    let (verifiers, warning) = crate::ops::engine::sumdb_keys(goenv);
    if let Some(warning) = warning {
        safe_eprintln!("modlens: warning: {warning}");
    }
    let private = |path: &str| goenv.private_to_sumdb(path);
    let database = if args.sumdb {
        // A store at a URL is the proxy go would use; a directory is not one.
        let proxies = if crate::ops::store::is_url(&world.shown) {
            world.shown.clone()
        } else {
            goenv.goproxy()
        };
        let database = crate::ops::store::connect_sumdb(goenv, &proxies)?;
        match database.base() {
            Ok(base) => safe_eprintln!("modlens: asking the checksum database at {base}"),
            Err(why) => {
                safe_eprintln!("modlens: warning: the checksum database is unreachable: {why}")
            }
        }
        Some(database)
    } else {
        None
    };
    let expect = StoreExpectations {
        gosums: &gosums,
        verifiers: &verifiers,
        private: &private,
        online: database
            .as_ref()
            .map(|d| d as &dyn crate::verify::sumdb::AskDatabase),
    };
    let progress = ProgressLine::new(!args.json && std::io::stderr().is_terminal());
    let mut failed = Ok(());
    let show = |n: usize, total: usize| {
        progress.show(|| format!("verified {n}/{total}"));
    };
    let remote = match (world.bucket, world.url) {
        (Some(b), _) => Some(Remote::Bucket(b)),
        (None, Some(m)) => Some(Remote::Url(m, &world.shown)),
        (None, None) => None,
    };
    let memory = match &world.state {
        Some(state) => {
            let loaded = match remote {
                // A mirror is new each run: its objects' identities stand for its files.
                Some(r) => StoreMemory::load_named(Arc::clone(state), &r.id(), store, &verifiers)
                    .map(|m| m.with_identities(r.identities())),
                None => StoreMemory::load(Arc::clone(state), store, &verifiers),
            };
            match loaded {
                Ok(memory) => Some(memory),
                Err(e) => {
                    safe_eprintln!("modlens: warning: {e}; verdicts are not remembered");
                    None
                }
            }
        }
        None => None,
    };
    let cancel = world.cancel;
    if let Some(remote) = remote {
        let show = !args.json;
        super::remote::fill_needed(remote, listing, memory.as_ref(), &expect, show, cancel)?;
    }
    let check = crate::ops::store::StoreCheck {
        store,
        expect: &expect,
        memory: memory.as_ref(),
        cancel,
    };
    let recalled = crate::ops::store::verify_store(
        world.pools,
        &check,
        &listing.versions,
        &show,
        &mut |chunk| {
            if failed.is_ok() {
                progress.clear();
                failed = on_verdicts(chunk);
            }
        },
    );
    progress.clear();
    if let Some(why) = &recalled.unsaved {
        safe_eprintln!("modlens: warning: {why}; verdicts are not remembered");
    }
    failed.map(|()| Judged {
        remembered: recalled.remembered,
        interrupted: recalled.interrupted,
    })
}

/// What judging a store came to, beside the verdicts.
pub(super) struct Judged {
    /// Verdicts reused from an earlier run.
    pub remembered: usize,
    /// Whether Ctrl-C or SIGTERM stopped it before every version was judged.
    pub interrupted: bool,
}

/// The lines a verdict other than `match` prints; the common reason is counted, not printed.
fn verdict_lines(v: &StoreVerdict, nothing_to_compare: &mut usize) -> String {
    let mut text = format!("{:<12} {}@{}\n", v.status.name(), v.path, v.version);
    for reason in &v.reasons {
        if reason == NOTHING_TO_COMPARE {
            *nothing_to_compare += 1;
        } else {
            text.push_str(&format!("             {reason}\n"));
        }
    }
    text
}

pub(super) fn verify(
    world: &World<'_>,
    store: &Store,
    listing: Listing,
    args: &StoreArgs,
) -> anyhow::Result<ExitCode> {
    let mut tally: std::collections::BTreeMap<&'static str, usize> = [
        StoreStatus::Match,
        StoreStatus::Mismatch,
        StoreStatus::Malformed,
        StoreStatus::Unverifiable,
    ]
    .iter()
    .map(|s| (s.name(), 0))
    .collect();
    let mut nothing_to_compare = 0;
    let mut first = true;
    if args.json {
        // Streamed: one verdict per line of the array, as they come.
        print(&format!(
            "{{\"store\": {}, \"layout\": \"{}\", \"versions\": [\n",
            serde_json::to_string(&world.shown)?,
            store.layout.name()
        ))?;
    }
    let judged = judge_all(world, store, &listing, args, &mut |chunk| {
        let mut text = String::new();
        for v in &chunk {
            *tally.entry(v.status.name()).or_default() += 1;
            if args.json {
                text.push_str(if first { "  " } else { ",\n  " });
                text.push_str(&serde_json::to_string(v)?);
                first = false;
            } else if v.status != StoreStatus::Match {
                text.push_str(&verdict_lines(v, &mut nothing_to_compare));
            }
        }
        Ok(print(&text)?)
    })?;
    let remembered = judged.remembered;
    let wrong = tally["mismatch"] + tally["malformed"];
    if args.json {
        print(&format!(
            "\n], \"strays\": {}, \"summary\": {}, \"remembered\": {remembered}, \
             \"interrupted\": {}}}\n",
            serde_json::to_string(&listing.strays)?,
            serde_json::to_string(&tally)?,
            judged.interrupted
        ))?;
    } else {
        let mut text = String::new();
        if nothing_to_compare > 0 {
            text.push_str(&format!(
                "{} unverifiable: {NOTHING_TO_COMPARE} (--project DIR checks them against its go.sum; \
                 --sumdb asks the checksum database)\n",
                count(nothing_to_compare as u64, "version")
            ));
        }
        text.push_str(&format!(
            "{}: {} match, {} mismatch, {} malformed, {} unverifiable{}\n",
            count(tally.values().sum::<usize>() as u64, "version"),
            tally["match"],
            tally["mismatch"],
            tally["malformed"],
            tally["unverifiable"],
            match remembered {
                0 => String::new(),
                n => format!(" ({n} remembered from an earlier run, their files unchanged)"),
            }
        ));
        print(&text)?;
    }
    if judged.interrupted {
        safe_eprintln!(
            "modlens: interrupted: {} of {} judged",
            tally.values().sum::<usize>(),
            count(listing.versions.len() as u64, "version")
        );
        return Ok(ExitCode::from(1));
    }
    Ok(if wrong == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
